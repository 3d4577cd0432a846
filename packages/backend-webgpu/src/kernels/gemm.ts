import { header } from '../kernel.js';

/*
 * One tiled GEMM template for matmul and for convolution as implicit GEMM. A workgroup of 8×8
 * threads computes a 32×32 block of C = A·B, each thread a 4×4 register block; A and B are
 * staged through shared memory in 32×16 and 16×32 tiles (as vec4s), so every element loaded from
 * storage is reused 32 times. The caller supplies how an element of A (m, k) and B (k, n) is loaded and how C (m, n)
 * is stored, for grid layer z (a batch for matmul, a group for convolution); the template only calls
 * them in bounds. params[0..3) are M, N, K; the rest are the caller's.
 *
 * Implicit GEMM: convolution loads B as the im2col matrix computed on the fly from the image, so
 * the unfolded matrix is never materialised. Each thread keeps its 4×4 block in four vec4
 * accumulators and reads one vec4 of A and one of B from shared memory per step of k.
 */

export interface GemmSpec {
  /** WGSL element type of A, B and C. */
  type: 'f32' | 'i32';
  /**
   * WGSL functions `setup(z: i32)` (called once per invocation: copy params into `var<private>`
   * registers, so loads do not re-read the params buffer), `loadA(z: i32, m: i32, k: i32) -> T`,
   * `loadB(z, k, n) -> T`, `store(z, m, n, v: T)`, reading arrays `A_`, `B_`, writing `C_`.
   */
  functions: string;
}

export const GEMM_TILE = 32;

export function gemmSource({ type: T, functions }: GemmSpec): string {
  return `${header([
    ['A_', T],
    ['B_', T],
    ['C_', T],
  ])}
fn P(i: i32) -> i32 { return params[i]; }
${functions}
var<workgroup> As: array<array<vec4<${T}>, 8>, 16>;
var<workgroup> Bs: array<array<vec4<${T}>, 8>, 16>;
@compute @workgroup_size(8, 8, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = params[0]; let N = params[1]; let K = params[2];
  let z = i32(wid.z);
  setup(z);
  let row0 = i32(wid.y) * 32;
  let col0 = i32(wid.x) * 32;
  let tid = i32(lid.y * 8u + lid.x);
  let ty = i32(lid.y) * 4;
  let tx = i32(lid.x);
  // Accumulators as four vec4 rows with constant indices, so they stay in registers (a
  // dynamically indexed private array spills to memory on llvmpipe and SwiftShader).
  var acc0 = vec4<${T}>(); var acc1 = vec4<${T}>(); var acc2 = vec4<${T}>(); var acc3 = vec4<${T}>();
  for (var k0 = 0; k0 < K; k0 += 16) {
    for (var l = 0; l < 2; l++) {
      // A tile stored k-major as vec4 columns of 4 consecutive rows.
      let e = tid + l * 64;
      let ak = e / 8; let am = (e % 8) * 4;
      let gk = k0 + ak; let gr = row0 + am;
      var av = vec4<${T}>();
      if (gk < K) {
        if (gr < M) { av.x = loadA(z, gr, gk); }
        if (gr + 1 < M) { av.y = loadA(z, gr + 1, gk); }
        if (gr + 2 < M) { av.z = loadA(z, gr + 2, gk); }
        if (gr + 3 < M) { av.w = loadA(z, gr + 3, gk); }
      }
      As[ak][am / 4] = av;
    }
    for (var l = 0; l < 2; l++) {
      let e = tid + l * 64;
      let bk = e / 8; let bc = (e % 8) * 4;
      let hk = k0 + bk; let gc = col0 + bc;
      var bv = vec4<${T}>();
      if (hk < K) {
        if (gc < N) { bv.x = loadB(z, hk, gc); }
        if (gc + 1 < N) { bv.y = loadB(z, hk, gc + 1); }
        if (gc + 2 < N) { bv.z = loadB(z, hk, gc + 2); }
        if (gc + 3 < N) { bv.w = loadB(z, hk, gc + 3); }
      }
      Bs[bk][bc / 4] = bv;
    }
    workgroupBarrier();
    for (var kk = 0; kk < 16; kk++) {
      let a4 = As[kk][lid.y];
      let b4 = Bs[kk][tx];
      acc0 += a4.x * b4;
      acc1 += a4.y * b4;
      acc2 += a4.z * b4;
      acc3 += a4.w * b4;
    }
    workgroupBarrier();
  }
  let c0 = col0 + tx * 4;
  storeRow(z, row0 + ty, c0, acc0, M, N);
  storeRow(z, row0 + ty + 1, c0, acc1, M, N);
  storeRow(z, row0 + ty + 2, c0, acc2, M, N);
  storeRow(z, row0 + ty + 3, c0, acc3, M, N);
}
fn storeRow(z: i32, r: i32, c0: i32, v: vec4<${T}>, M: i32, N: i32) {
  if (r >= M) { return; }
  if (c0 < N) { store(z, r, c0, v.x); }
  if (c0 + 1 < N) { store(z, r, c0 + 1, v.y); }
  if (c0 + 2 < N) { store(z, r, c0 + 2, v.z); }
  if (c0 + 3 < N) { store(z, r, c0 + 3, v.w); }
}`;
}

/** Workgroups for an M×N product over `layers` grid layers. */
export function gemmGroups(M: number, N: number, layers: number): [number, number, number] {
  return [Math.ceil(N / GEMM_TILE), Math.ceil(M / GEMM_TILE), layers];
}
