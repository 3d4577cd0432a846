import type { KernelAttrs, TypedArray } from '@myelin/core';
import { allocate, type CpuKernel, type CpuKernelTable, valuesOf } from './kernel.js';
import { broadcastStrides, StridedRuns } from './strided.js';

/*
 * GEMM in the Goto/BLIS shape, for V8's scalar float64 arithmetic.
 *
 *   for jc in n step NC            B panel  (kb × NC, ≤ 960 KiB)  packed once per (jc, pc)
 *     for pc in k step kb          kb ≤ KC: k split into equal blocks (no thin last block)
 *       pack B[pc.., jc..] into NR-wide column strips
 *       for ic in m step MC        A block  (MC × kb, ≤ 192 KiB: L2)  packed once per (jc, pc, ic)
 *         pack A[ic.., pc..] into MR-tall row strips
 *         for jr in nc step NR     one B strip (kb × NR, ≤ 12 KiB) stays in L1 ...
 *           for ir in mc step MR   ... while the A strips stream past it from L2
 *             C[MR × NR] += A strip · B strip   (micro-kernel, k innermost)
 *
 * The micro-kernel keeps a 3×3 block of C in 9 locals and reads 3 + 3 packed values per k step.
 * V8 (Node 20, x64) has no SIMD or fused multiply-add for JS and keeps doubles in 16 xmm registers
 * (one reserved): 3×3 with one b value live at a time needs 13 and measured fastest (~5.2 GFLOP/s
 * on 480³) of 2×4 … 8×4, 4×3, 4×4 (~4.6, spills), 4×8 and 6×8; unrolling k did not help.
 * KC = 512 keeps the micro-kernel's C loads and stores rare and covers a whole 3×3 conv over up
 * to 56 channels in one block; NC = 240 already makes re-packing A negligible (1/480 of the
 * flops). The packs are Float64Array so the hot loop does no float32 → float64 conversions, and
 * packing also resolves transposes and any other strides: the micro-kernel only ever sees
 * contiguous strips. Edge strips are zero-padded; their blocks go through a scratch tile.
 *
 * Products too small to amortise packing (few rows, columns or k steps, or few flops overall) go
 * to a direct loop instead. Both paths accumulate in float64 and round once per k block when
 * adding into C.
 */

const MR = 3;
const NR = 3;
const KC = 512;
const MC = 48; // multiple of MR
const NC = 240; // multiple of NR

/** C[m×n] += A[m×k] · B[k×n] with A, B given by offset and (row, column) strides; see `gemm`. */
type Gemm = (
  m: number,
  n: number,
  k: number,
  a: TypedArray,
  aOff: number,
  aRow: number,
  aCol: number,
  b: TypedArray,
  bOff: number,
  bRow: number,
  bCol: number,
  c: TypedArray,
  cOff: number,
  ldc: number,
) => void;

let packedGemm: Gemm | null = null;
let rowAcc = new Float64Array(0);

/**
 * C[m×n] += A[m×k] · B[k×n], where A(i, p) = a[aOff + i·aRow + p·aCol], B(p, j) =
 * b[bOff + p·bRow + j·bCol] (any strides: a transpose is just swapped strides) and C is row-major
 * with row stride `ldc`, starting at `cOff`.
 */
export const gemm: Gemm = (m, n, k, a, aOff, aRow, aCol, b, bOff, bRow, bCol, c, cOff, ldc) => {
  if (m === 0 || n === 0 || k === 0) return;
  if (m < MR || n < NR || k < 3 || m * n * k < 16384) {
    gemmDirect(m, n, k, a, aOff, aRow, aCol, b, bOff, bRow, bCol, c, cOff, ldc);
    return;
  }
  packedGemm ??= createPackedGemm();
  packedGemm(m, n, k, a, aOff, aRow, aCol, b, bOff, bRow, bCol, c, cOff, ldc);
};

/**
 * The packed GEMM, created on first use. Its scratch buffers are `const`s of this closure rather
 * than module variables on purpose: V8 then treats them as constants in the compiled micro-kernel
 * (their addresses and lengths need no registers), which measured ~12% faster. tsup compiles
 * top-level consts to `var`s, which V8 must re-read.
 */
function createPackedGemm(): Gemm {
  const packA = new Float64Array(MC * KC);
  const packB = new Float64Array(KC * NC);
  const edge = new Float64Array(MR * NR);

  /** C[3×3] += A strip · B strip over kc steps, the 9 sums held in locals. */
  function micro3x3(
    kc: number,
    ai: number,
    bi: number,
    c: TypedArray | Float64Array,
    ci: number,
    ldc: number,
  ) {
    const a = packA;
    const b = packB;
    let c00 = 0;
    let c01 = 0;
    let c02 = 0;
    let c10 = 0;
    let c11 = 0;
    let c12 = 0;
    let c20 = 0;
    let c21 = 0;
    let c22 = 0;
    for (let p = 0; p < kc; p++) {
      const a0 = a[ai];
      const a1 = a[ai + 1];
      const a2 = a[ai + 2];
      // One b value live at a time: 9 sums + 3 a + 1 b = 13 doubles, no spills. Loading all
      // three b values first needs 15 and measured ~10% slower.
      let bv = b[bi];
      c00 += a0 * bv;
      c10 += a1 * bv;
      c20 += a2 * bv;
      bv = b[bi + 1];
      c01 += a0 * bv;
      c11 += a1 * bv;
      c21 += a2 * bv;
      bv = b[bi + 2];
      c02 += a0 * bv;
      c12 += a1 * bv;
      c22 += a2 * bv;
      ai += 3;
      bi += 3;
    }
    c[ci] += c00;
    c[ci + 1] += c01;
    c[ci + 2] += c02;
    ci += ldc;
    c[ci] += c10;
    c[ci + 1] += c11;
    c[ci + 2] += c12;
    ci += ldc;
    c[ci] += c20;
    c[ci + 1] += c21;
    c[ci + 2] += c22;
  }

  /**
   * An h×w corner block (h or w < 3): computed whole into `edge`, then the part that exists is
   * added to C. Handling partial blocks inside the micro-kernel slows its loop down.
   */
  function microEdge(
    kc: number,
    ai: number,
    bi: number,
    c: TypedArray,
    ci: number,
    ldc: number,
    h: number,
    w: number,
  ) {
    edge.fill(0);
    micro3x3(kc, ai, bi, edge, 0, NR);
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) c[ci + i * ldc + j] += edge[i * NR + j];
    }
  }

  return (m, n, k, a, aOff, aRow, aCol, b, bOff, bRow, bCol, c, cOff, ldc) => {
    const kb = Math.ceil(k / Math.ceil(k / KC));
    for (let jc = 0; jc < n; jc += NC) {
      const nc = Math.min(NC, n - jc);
      for (let pc = 0; pc < k; pc += kb) {
        const kc = Math.min(kb, k - pc);
        packStrips(packB, b, bOff + pc * bRow + jc * bCol, bCol, bRow, nc, kc, NR);
        for (let ic = 0; ic < m; ic += MC) {
          const mc = Math.min(MC, m - ic);
          packStrips(packA, a, aOff + ic * aRow + pc * aCol, aRow, aCol, mc, kc, MR);
          for (let jr = 0; jr < nc; jr += NR) {
            const w = Math.min(NR, nc - jr);
            for (let ir = 0; ir < mc; ir += MR) {
              const h = Math.min(MR, mc - ir);
              const ci = cOff + (ic + ir) * ldc + jc + jr;
              if (h === MR && w === NR) micro3x3(kc, ir * kc, jr * kc, c, ci, ldc);
              else microEdge(kc, ir * kc, jr * kc, c, ci, ldc, h, w);
            }
          }
        }
      }
    }
  };
}

/**
 * Pack `count` lines of a matrix (rows of A or columns of B) into strips of `width` lines, each strip
 * stored depth-major: strip s holds, for each p < depth, the `width` values of lines s·width … at
 * depth p, so the micro-kernel reads both operands sequentially. Lines past `count` are zero.
 */
function packStrips(
  dst: Float64Array,
  src: TypedArray,
  off: number,
  lineStride: number,
  depthStride: number,
  count: number,
  depth: number,
  width: number,
): void {
  let q = 0;
  for (let s = 0; s < count; s += width) {
    const lines = Math.min(width, count - s);
    const base = off + s * lineStride;
    for (let p = 0; p < depth; p++) {
      const at = base + p * depthStride;
      let i = 0;
      for (; i < lines; i++) dst[q + i] = src[at + i * lineStride];
      for (; i < width; i++) dst[q + i] = 0;
      q += width;
    }
  }
}

/**
 * Unpacked GEMM for small or skinny products. With B's rows contiguous it runs i-p-j (a row of C
 * accumulates scaled rows of B, both sequential); otherwise (B transposed) i-j-p, a dot product
 * per element along B's contiguous columns.
 */
function gemmDirect(
  m: number,
  n: number,
  k: number,
  a: TypedArray,
  aOff: number,
  aRow: number,
  aCol: number,
  b: TypedArray,
  bOff: number,
  bRow: number,
  bCol: number,
  c: TypedArray,
  cOff: number,
  ldc: number,
): void {
  if (bCol === 1) {
    if (rowAcc.length < n) rowAcc = new Float64Array(n);
    const acc = rowAcc;
    for (let i = 0; i < m; i++) {
      acc.fill(0, 0, n);
      const ai = aOff + i * aRow;
      for (let p = 0; p < k; p++) {
        const av = a[ai + p * aCol];
        const bi = bOff + p * bRow;
        for (let j = 0; j < n; j++) acc[j] += av * b[bi + j];
      }
      const ci = cOff + i * ldc;
      for (let j = 0; j < n; j++) c[ci + j] += acc[j];
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    const ai = aOff + i * aRow;
    const ci = cOff + i * ldc;
    for (let j = 0; j < n; j++) {
      const bj = bOff + j * bCol;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p * aCol] * b[bj + p * bRow];
      c[ci + j] += s;
    }
  }
}

/**
 * MatMul: a [...batchA, m, k] · b [...batchB, k, n] (last two dims swapped first where transposed),
 * batch dims broadcast to the output's. When b has no real batch and a is not transposed, the
 * batch folds into m: one [batch·m, k] · [k, n] GEMM packs B once instead of per batch item.
 */
const matMul: CpuKernel<KernelAttrs['MatMul']> = ({ inputs: [a, b], attrs, outputs: [spec] }) => {
  const { transposeA, transposeB } = attrs;
  const out = allocate(spec);
  const rank = spec.shape.length;
  const m = spec.shape[rank - 2];
  const n = spec.shape[rank - 1];
  const k = transposeA ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1];
  // Element (i, p) of A and (p, j) of B inside one matrix.
  const aRow = transposeA ? 1 : k;
  const aCol = transposeA ? m : 1;
  const bRow = transposeB ? 1 : n;
  const bCol = transposeB ? k : 1;
  const av = valuesOf(a);
  const bv = valuesOf(b);

  const batchShape = spec.shape.slice(0, rank - 2);
  const aBatch = broadcastStrides(a.shape.slice(0, a.shape.length - 2), batchShape);
  const bBatch = broadcastStrides(b.shape.slice(0, b.shape.length - 2), batchShape);
  const batches = out.length / (m * n) || 0;
  const aFull =
    a.shape.length - 2 === batchShape.length && aBatch.every((s, d) => s !== 0 || batchShape[d] === 1);
  if (!transposeA && aFull && bBatch.every((s) => s === 0)) {
    gemm(batches * m, n, k, av, 0, aRow, aCol, bv, 0, bRow, bCol, out, 0, n);
    return [out];
  }
  const runs = new StridedRuns(batchShape, [aBatch, bBatch]);
  const aSize = m * k;
  const bSize = k * n;
  let ci = 0;
  for (let r = 0; r < runs.count; r++) {
    for (let j = 0; j < runs.length; j++) {
      const ao = (runs.offset[0] + j * runs.step[0]) * aSize;
      const bo = (runs.offset[1] + j * runs.step[1]) * bSize;
      gemm(m, n, k, av, ao, aRow, aCol, bv, bo, bRow, bCol, out, ci, n);
      ci += m * n;
    }
    runs.next();
  }
  return [out];
};

export const matmulKernels: CpuKernelTable = { MatMul: matMul };
