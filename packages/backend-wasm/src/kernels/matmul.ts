import type { KernelAttrs, Shape, TensorInfo } from '@myelin/core';
import type { Runtime, WasmData } from '../runtime.js';
import { dataOf, type WasmKernel, type WasmKernelTable } from './kernel.js';
import { broadcastStrides, StridedRuns } from './strided.js';

/**
 * Multiply-adds below which a product runs on the calling thread only. Waking a worker costs a few
 * microseconds when it is spinning and tens when it sleeps or shares its core with other work, so
 * below ~2^22 multiply-adds (about 100 µs on one thread, e.g. a 128³ matmul) threads lose.
 */
export const PARALLEL_MIN_MACS = 1 << 22;

/**
 * MatMul: a [...batchA, m, k] · b [...batchB, k, n] (last two dims swapped first where
 * transposed), batch dims broadcast. Transposes are strides to the wasm GEMM, which packs them.
 * When b has no real batch and a is not transposed, the batch folds into m (one product, B packed
 * once). Otherwise each product's (a, b, c) addresses go to the job in a table; the threads split
 * the products, or the rows (columns) of one product when there are fewer products than threads.
 */
const matMul: WasmKernel<KernelAttrs['MatMul']> = (rt, { inputs: [a, b], attrs, outputs: [spec] }) => {
  const { transposeA, transposeB } = attrs;
  const shape = spec!.shape;
  const rank = shape.length;
  const m = shape[rank - 2]!;
  const n = shape[rank - 1]!;
  const aShape = a!.shape;
  const bShape = b!.shape;
  const k = transposeA ? aShape[aShape.length - 2]! : aShape[aShape.length - 1]!;
  const batchShape = shape.slice(0, rank - 2);
  const batches = batchShape.reduce((x, y) => x * y, 1);
  const out = rt.allocate(batches * m * n, spec!.dtype);
  if (out.length === 0) return [out];
  if (k === 0) {
    rt.view(out).fill(0);
    return [out];
  }
  if (spec!.dtype !== 'float32') return matMulInt(rt, a!, b!, batchShape, attrs, out);
  // The job zeroes out, tile by tile.
  const ad = dataOf(a!);
  const bd = dataOf(b!);
  const rsa = transposeA ? 1 : k;
  const csa = transposeA ? m : 1;
  const rsb = transposeB ? 1 : n;
  const csb = transposeB ? k : 1;

  const aBatch = broadcastStrides(aShape.slice(0, aShape.length - 2), batchShape);
  const bBatch = broadcastStrides(bShape.slice(0, bShape.length - 2), batchShape);
  const aFull =
    aShape.length - 2 === batchShape.length && aBatch.every((s, d) => s !== 0 || batchShape[d] === 1);
  const fold = !transposeA && aFull && bBatch.every((s) => s === 0);
  const pm = fold ? batches * m : m;
  const count = fold ? 1 : batches;

  const e = rt.exports;
  const nt = m * n * k * batches >= PARALLEL_MIN_MACS ? rt.threads : 1;
  const stride = e.gemmScratchBytes();
  const scratch = rt.scratch(nt * stride + count * 12 + 64);
  const table = scratch + nt * stride;
  const i32 = rt.i32;
  if (fold) {
    i32[table >> 2] = ad.ptr;
    i32[(table >> 2) + 1] = bd.ptr;
    i32[(table >> 2) + 2] = out.ptr;
  } else {
    const runs = new StridedRuns(batchShape, [aBatch, bBatch]);
    let q = 0;
    for (let r = 0; r < runs.count; r++) {
      for (let j = 0; j < runs.length; j++) {
        const t = (table >> 2) + 3 * q;
        i32[t] = ad.ptr + (runs.offset[0]! + j * runs.step[0]!) * m * k * 4;
        i32[t + 1] = bd.ptr + (runs.offset[1]! + j * runs.step[1]!) * k * n * 4;
        i32[t + 2] = out.ptr + q * m * n * 4;
        q++;
      }
      runs.next();
    }
  }
  const [tm, tn] = tiles(pm, n, count, nt);
  const args = rt.setArgs([pm, n, k, rsa, csa, rsb, csb, n, count, table, scratch, stride, tm, tn, 0]);
  rt.job('jobMatmul', args, nt);
  return [out];
};

/**
 * Int32 products (core casts bool to int32): the wasm GEMM is float32 only and integer matmul is
 * rare, so a plain loop in TypeScript over views, wrapping mod 2^32 as int32 arithmetic does.
 */
function matMulInt(
  rt: Runtime,
  a: TensorInfo,
  b: TensorInfo,
  batchShape: Shape,
  { transposeA, transposeB }: KernelAttrs['MatMul'],
  out: WasmData,
): WasmData[] {
  const m = transposeA ? a.shape[a.shape.length - 1]! : a.shape[a.shape.length - 2]!;
  const k = transposeA ? a.shape[a.shape.length - 2]! : a.shape[a.shape.length - 1]!;
  const n = transposeB ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
  // Element (i, p) of A and (p, j) of B inside one matrix.
  const [aRow, aCol] = transposeA ? [1, m] : [k, 1];
  const [bRow, bCol] = transposeB ? [1, k] : [n, 1];
  const av = rt.view(dataOf(a));
  const bv = rt.view(dataOf(b));
  const cv = rt.view(out);
  const runs = new StridedRuns(batchShape, [
    broadcastStrides(a.shape.slice(0, -2), batchShape),
    broadcastStrides(b.shape.slice(0, -2), batchShape),
  ]);
  let c = 0;
  for (let r = 0; r < runs.count; r++) {
    for (let q = 0; q < runs.length; q++) {
      const ao = (runs.offset[0]! + q * runs.step[0]!) * m * k;
      const bo = (runs.offset[1]! + q * runs.step[1]!) * k * n;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let p = 0; p < k; p++)
            acc = (acc + Math.imul(av[ao + i * aRow + p * aCol]!, bv[bo + p * bRow + j * bCol]!)) | 0;
          cv[c++] = acc;
        }
      }
    }
    runs.next();
  }
  return [out];
}

/**
 * Tile of C per task. One thread: whole products (the GEMM blocks for cache itself). Threads:
 * about four tasks per thread, so a thread that the OS parks costs little; tiles split the
 * longer side of C, in multiples of the micro-kernel's 4 rows or 8 columns.
 */
function tiles(m: number, n: number, products: number, nt: number): [number, number] {
  const want = Math.ceil((4 * nt) / products);
  if (nt === 1 || want <= 1) return [m, n];
  if (m >= n) return [Math.max(4, Math.ceil(Math.ceil(m / want) / 4) * 4), n];
  return [m, Math.max(8, Math.ceil(Math.ceil(n / want) / 8) * 8)];
}

export const matmulKernels: WasmKernelTable = { MatMul: matMul };
