import type { KernelAttrs } from '@myelin/core';
import { bufferOf, type GpuKernel, type GpuKernelTable, meta, output, unravel, wgslType } from '../kernel.js';
import { gemmGroups, gemmSource } from './gemm.js';

/*
 * Batched matmul on the tiled GEMM template. Transposes are strides (A read as (m, k) with strides
 * saM/saK, B as (k, n) with sbK/sbN) and broadcast batch dims are per-operand batch strides walked
 * from the grid's z index, so nothing is copied or transposed first.
 *
 * params: [M, N, K, saM, saK, sbK, sbN, batchRank, outBatchShape(br), aBatchStrides(br), bBatchStrides(br)]
 */
function source(T: 'f32' | 'i32', br: number): string {
  const offsets = (name: string, at: number) =>
    br === 0
      ? `fn ${name}(z: i32) -> i32 { return 0; }`
      : `fn ${name}(z: i32) -> i32 {
  ${unravel('z', br, 8, [['o', at]])}
  return o;
}`;
  return gemmSource({
    type: T,
    functions: `${offsets('aBase', 8 + br)}
${offsets('bBase', 8 + 2 * br)}
var<private> aOff: i32; var<private> bOff: i32; var<private> cOff: i32;
var<private> saM: i32; var<private> saK: i32; var<private> sbK: i32; var<private> sbN: i32; var<private> ldc: i32;
fn setup(z: i32) {
  aOff = aBase(z); bOff = bBase(z); cOff = z * P(0) * P(1);
  saM = P(3); saK = P(4); sbK = P(5); sbN = P(6); ldc = P(1);
}
fn loadA(z: i32, m: i32, k: i32) -> ${T} { return A_[aOff + m * saM + k * saK]; }
fn loadB(z: i32, k: i32, n: i32) -> ${T} { return B_[bOff + k * sbK + n * sbN]; }
fn store(z: i32, m: i32, n: i32, v: ${T}) { C_[cOff + m * ldc + n] = v; }`,
  });
}

const matmul: GpuKernel<KernelAttrs['MatMul']> = (rt, { inputs: [a, b], attrs, outputs: [spec] }) => {
  const out = output(rt, spec);
  const rank = spec.shape.length;
  const M = spec.shape[rank - 2];
  const N = spec.shape[rank - 1];
  const ar = a.shape.length;
  const brk = b.shape.length;
  const [a0, a1] = [a.shape[ar - 2], a.shape[ar - 1]];
  const [b0, b1] = [b.shape[brk - 2], b.shape[brk - 1]];
  const K = attrs.transposeA ? a0 : a1;
  // Element strides of A as (m, k) and B as (k, n), transposes included.
  const [saM, saK] = attrs.transposeA ? [1, a1] : [a1, 1];
  const [sbK, sbN] = attrs.transposeB ? [1, b1] : [b1, 1];
  const batchShape = spec.shape.slice(0, rank - 2);
  const bRank = batchShape.length;
  const batchStrides = (shape: readonly number[], matSize: number): number[] => {
    const own = shape.slice(0, shape.length - 2);
    const st = new Array<number>(bRank).fill(0);
    let s = matSize;
    for (let d = own.length - 1; d >= 0; d--) {
      st[bRank - own.length + d] = own[d] === 1 ? 0 : s;
      s *= own[d];
    }
    return st;
  };
  const batch = batchShape.reduce((p, d) => p * d, 1);
  const words = [
    M,
    N,
    K,
    saM,
    saK,
    sbK,
    sbN,
    bRank,
    ...batchShape,
    ...batchStrides(a.shape, a0 * a1),
    ...batchStrides(b.shape, b0 * b1),
  ];
  if (out.length > 0) {
    rt.dispatch(
      source(spec.dtype === 'float32' ? 'f32' : (wgslType(spec.dtype) as 'i32'), bRank),
      meta(words),
      [bufferOf(a), bufferOf(b), out.buffer as GPUBuffer],
      gemmGroups(M, N, batch),
    );
  }
  return [out];
};

export const matmulKernels: GpuKernelTable = { MatMul: matmul };
