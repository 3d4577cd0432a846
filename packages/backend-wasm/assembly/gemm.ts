/*
 * Single-precision GEMM with 128-bit SIMD, in the Goto/BLIS shape:
 *
 *   for jc in n step NC              B panel (kc × NC) packed once per (jc, pc)
 *     for pc in k step kb            kb ≤ KC: k split into equal blocks (no thin last block)
 *       pack B[pc.., jc..] into NR-wide strips
 *       for ic in m step MC          A block (MC × kc, 128 KiB) packed once per (jc, pc, ic): L2
 *         pack A[ic.., pc..] into MR-tall strips
 *         for jr in nc step NR       one B strip (kc × NR, 8 KiB) stays in L1 ...
 *           for ir in mc step MR     ... while the A strips stream past it from L2
 *             C[MR × NR] += A strip · B strip      (micro-kernel, k innermost)
 *
 * The 4×8 micro-kernel keeps C in 8 f32x4 accumulators; per k step it loads two B vectors and
 * splats four A values (`v128.load32_splat`), 16 SIMD mul/add (or 8 fused multiply-adds, `madd`)
 * for 6 loads; 4×8 leaves registers free (8 acc + 2 B + A + temporaries of the 16 xmm), so V8
 * does not spill. Without FMA the kernel is bound by instruction issue (22 instructions per k
 * step): the relaxed-SIMD build's `f32x4.relaxed_madd` makes it 1.25× faster on this machine.
 * Packing resolves transposes and any strides; edge strips are zero-padded and their tiles go
 * through a small buffer.
 *
 * Every operand is addressed by element strides: A(i, p) = a[i·rsa + p·csa], B(p, j) =
 * b[p·rsb + j·csb], C row-major with row stride ldc. C is accumulated into (C += A·B).
 */

import { claim } from './tasks';

export const MR: i32 = 4;
export const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 128;
const NC: i32 = 2048;

/** Bytes of per-thread scratch `gemm` needs: packed A block, packed B panel, one edge tile. */
export function gemmScratchBytes(): i32 {
  return (MC * KC + KC * NC + MR * NR) * 4;
}

/**
 * c + a·b per lane: one fused multiply-add in the relaxed-SIMD build (where the engine has FMA;
 * the rounding then differs from the separate multiply and add only in the last place), a
 * multiply and an add otherwise.
 */
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

@inline
function ptr(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/**
 * Store the 4×4 transpose of rows r0..r3 (4 floats each) as four vectors at dst, dst + step, …:
 * vector q holds element q of every row.
 */
@inline
function storeTransposed(dst: usize, step: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + step, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * step, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * step, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/** Pack `count` rows of A (MR per strip, zero-padded) over `depth` steps: strip-major, then p, then row. */
function packA(dst: usize, a: usize, rsa: i32, csa: i32, count: i32, depth: i32): void {
  for (let s = 0; s < count; s += MR) {
    const rows = min(MR, count - s);
    const base = ptr(a, s * rsa);
    if (rows == MR && rsa == 1) {
      // Transposed A: the MR values of one p are contiguous.
      for (let p = 0; p < depth; p++) {
        v128.store(dst, v128.load(ptr(base, p * csa)));
        dst += 16;
      }
    } else if (rows == MR && csa == 1) {
      // Row-major A: four p steps of the four rows at a time, transposed in registers.
      const r = <usize>rsa << 2;
      let p = 0;
      for (; p + 4 <= depth; p += 4) {
        const at = base + (<usize>p << 2);
        storeTransposed(dst, 16, v128.load(at), v128.load(at + r), v128.load(at + 2 * r), v128.load(at + 3 * r));
        dst += 64;
      }
      for (; p < depth; p++) {
        const at = base + (<usize>p << 2);
        let v = f32x4.splat(load<f32>(at));
        v = f32x4.replace_lane(v, 1, load<f32>(at + r));
        v = f32x4.replace_lane(v, 2, load<f32>(at + 2 * r));
        v = f32x4.replace_lane(v, 3, load<f32>(at + 3 * r));
        v128.store(dst, v);
        dst += 16;
      }
    } else if (rows == MR) {
      for (let p = 0; p < depth; p++) {
        const at = ptr(base, p * csa);
        const r = <usize>rsa << 2;
        let v = f32x4.splat(load<f32>(at));
        v = f32x4.replace_lane(v, 1, load<f32>(at + r));
        v = f32x4.replace_lane(v, 2, load<f32>(at + 2 * r));
        v = f32x4.replace_lane(v, 3, load<f32>(at + 3 * r));
        v128.store(dst, v);
        dst += 16;
      }
    } else {
      for (let p = 0; p < depth; p++) {
        const at = ptr(base, p * csa);
        let i = 0;
        for (; i < rows; i++) store<f32>(dst + (<usize>i << 2), load<f32>(ptr(at, i * rsa)));
        for (; i < MR; i++) store<f32>(dst + (<usize>i << 2), 0);
        dst += <usize>MR << 2;
      }
    }
  }
}

/** Pack `count` columns of B (NR per strip, zero-padded) over `depth` steps. */
function packB(dst: usize, b: usize, rsb: i32, csb: i32, count: i32, depth: i32): void {
  for (let s = 0; s < count; s += NR) {
    const cols = min(NR, count - s);
    const base = ptr(b, s * csb);
    if (cols == NR && csb == 1) {
      for (let p = 0; p < depth; p++) {
        const at = ptr(base, p * rsb);
        v128.store(dst, v128.load(at));
        v128.store(dst, v128.load(at, 16), 16);
        dst += 32;
      }
    } else if (cols == NR && rsb == 1) {
      // Transposed B: four p steps of the eight columns at a time, transposed in registers.
      const c = <usize>csb << 2;
      let p = 0;
      for (; p + 4 <= depth; p += 4) {
        const at = base + (<usize>p << 2);
        storeTransposed(dst, 32, v128.load(at), v128.load(at + c), v128.load(at + 2 * c), v128.load(at + 3 * c));
        storeTransposed(dst + 16, 32, v128.load(at + 4 * c), v128.load(at + 5 * c), v128.load(at + 6 * c), v128.load(at + 7 * c));
        dst += 128;
      }
      for (; p < depth; p++) {
        const at = base + (<usize>p << 2);
        for (let j = 0; j < NR; j++) store<f32>(dst + (<usize>j << 2), load<f32>(at + <usize>j * c));
        dst += 32;
      }
    } else if (cols == NR) {
      const c = <usize>csb << 2;
      for (let p = 0; p < depth; p++) {
        const at = ptr(base, p * rsb);
        let v = f32x4.splat(load<f32>(at));
        v = f32x4.replace_lane(v, 1, load<f32>(at + c));
        v = f32x4.replace_lane(v, 2, load<f32>(at + 2 * c));
        v = f32x4.replace_lane(v, 3, load<f32>(at + 3 * c));
        let w = f32x4.splat(load<f32>(at + 4 * c));
        w = f32x4.replace_lane(w, 1, load<f32>(at + 5 * c));
        w = f32x4.replace_lane(w, 2, load<f32>(at + 6 * c));
        w = f32x4.replace_lane(w, 3, load<f32>(at + 7 * c));
        v128.store(dst, v);
        v128.store(dst, w, 16);
        dst += 32;
      }
    } else {
      for (let p = 0; p < depth; p++) {
        const at = ptr(base, p * rsb);
        let j = 0;
        for (; j < cols; j++) store<f32>(dst + (<usize>j << 2), load<f32>(ptr(at, j * csb)));
        for (; j < NR; j++) store<f32>(dst + (<usize>j << 2), 0);
        dst += <usize>NR << 2;
      }
    }
  }
}

/**
 * The 4×8 register tile over kc steps of an A strip (4 values per step) and a B strip (8 per
 * step): C[4×8] (row stride ldcBytes) += A·B with `accumulate`, = A·B without. Both forms are
 * inlined with the flag constant, so each compiles to its own straight-line kernel.
 */
@inline
function microTile(kc: i32, pa: usize, pb: usize, c: usize, ldcBytes: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    pa += 16;
    pb += 32;
  }
  tileRow(c, c00, c01, accumulate);
  tileRow(c + ldcBytes, c10, c11, accumulate);
  tileRow(c + 2 * ldcBytes, c20, c21, accumulate);
  tileRow(c + 3 * ldcBytes, c30, c31, accumulate);
}

@inline
function tileRow(c: usize, lo: v128, hi: v128, accumulate: bool): void {
  if (accumulate) {
    lo = f32x4.add(v128.load(c), lo);
    hi = f32x4.add(v128.load(c, 16), hi);
  }
  v128.store(c, lo);
  v128.store(c, hi, 16);
}

/** C[4×8] (row stride ldcBytes) += A strip · B strip over kc steps. */
@inline
function micro4x8(kc: i32, pa: usize, pb: usize, c: usize, ldcBytes: usize): void {
  microTile(kc, pa, pb, c, ldcBytes, true);
}

/** C[4×8] (row stride ldcBytes) = A strip · B strip over kc steps (stores, does not accumulate). */
@inline
export function microStore4x8(kc: i32, pa: usize, pb: usize, c: usize, ldcBytes: usize): void {
  microTile(kc, pa, pb, c, ldcBytes, false);
}

function microFull(kc: i32, pa: usize, pb: usize, c: usize, ldcBytes: usize): void {
  micro4x8(kc, pa, pb, c, ldcBytes);
}

/** An edge tile: compute the full 4×8 into `tile`, then add its h×w corner into C. */
function microEdge(kc: i32, pa: usize, pb: usize, c: usize, ldc: i32, h: i32, w: i32, tile: usize): void {
  memory.fill(tile, 0, <usize>(MR * NR) << 2);
  micro4x8(kc, pa, pb, tile, <usize>NR << 2);
  for (let i = 0; i < h; i++) {
    const row = ptr(c, i * ldc);
    const t = ptr(tile, i * NR);
    for (let j = 0; j < w; j++) {
      const at = row + (<usize>j << 2);
      store<f32>(at, load<f32>(at) + load<f32>(t + (<usize>j << 2)));
    }
  }
}

/**
 * Unpacked product for small or skinny shapes. With B's rows contiguous (csb = 1) each row of C
 * accumulates scaled rows of B four columns at a time; otherwise dot products along p.
 */
function gemmDirect(
  m: i32, n: i32, k: i32,
  a: usize, rsa: i32, csa: i32,
  b: usize, rsb: i32, csb: i32,
  c: usize, ldc: i32,
): void {
  if (csb == 1) {
    for (let i = 0; i < m; i++) {
      const crow = ptr(c, i * ldc);
      const arow = ptr(a, i * rsa);
      for (let p = 0; p < k; p++) {
        const av = load<f32>(ptr(arow, p * csa));
        const vv = f32x4.splat(av);
        const brow = ptr(b, p * rsb);
        let j = 0;
        for (; j + 4 <= n; j += 4) {
          const at = crow + (<usize>j << 2);
          v128.store(at, f32x4.add(v128.load(at), f32x4.mul(vv, v128.load(brow + (<usize>j << 2)))));
        }
        for (; j < n; j++) {
          const at = crow + (<usize>j << 2);
          store<f32>(at, load<f32>(at) + av * load<f32>(brow + (<usize>j << 2)));
        }
      }
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    const crow = ptr(c, i * ldc);
    const arow = ptr(a, i * rsa);
    for (let j = 0; j < n; j++) {
      const bcol = ptr(b, j * csb);
      let s: f32 = 0;
      if (csa == 1 && rsb == 1) {
        let acc = f32x4.splat(0);
        let p = 0;
        for (; p + 4 <= k; p += 4) {
          acc = f32x4.add(acc, f32x4.mul(v128.load(arow + (<usize>p << 2)), v128.load(bcol + (<usize>p << 2))));
        }
        s =
          f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) +
          (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
        for (; p < k; p++) s += load<f32>(arow + (<usize>p << 2)) * load<f32>(bcol + (<usize>p << 2));
      } else {
        for (let p = 0; p < k; p++) s += load<f32>(ptr(arow, p * csa)) * load<f32>(ptr(bcol, p * rsb));
      }
      const at = crow + (<usize>j << 2);
      store<f32>(at, load<f32>(at) + s);
    }
  }
}

/** C[m×n] += A[m×k] · B[k×n] (element strides; byte pointers). `scratch` holds gemmScratchBytes(). */
export function gemm(
  m: i32, n: i32, k: i32,
  a: usize, rsa: i32, csa: i32,
  b: usize, rsb: i32, csb: i32,
  c: usize, ldc: i32,
  scratch: usize,
): void {
  if (m <= 0 || n <= 0 || k <= 0) return;
  if (m < MR || n < NR || <i64>m * <i64>n * <i64>k < 8192) {
    gemmDirect(m, n, k, a, rsa, csa, b, rsb, csb, c, ldc);
    return;
  }
  const pa = scratch;
  const pb = scratch + (<usize>(MC * KC) << 2);
  const tile = pb + (<usize>(KC * NC) << 2);
  const blocks = (k + KC - 1) / KC;
  const kb = (k + blocks - 1) / blocks;
  const ldcBytes = <usize>ldc << 2;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kb) {
      const kc = min(kb, k - pc);
      packB(pb, ptr(b, pc * rsb + jc * csb), rsb, csb, nc, kc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(pa, ptr(a, ic * rsa + pc * csa), rsa, csa, mc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const w = min(NR, nc - jr);
          const bp = ptr(pb, jr * kc);
          for (let ir = 0; ir < mc; ir += MR) {
            const h = min(MR, mc - ir);
            const cp = ptr(c, (ic + ir) * ldc + jc + jr);
            const ap = ptr(pa, ir * kc);
            if (h == MR && w == NR) microFull(kc, ap, bp, cp, ldcBytes);
            else microEdge(kc, ap, bp, cp, ldc, h, w, tile);
          }
        }
      }
    }
  }
}

/*
 * Threaded (batched) matmul. Args block (i32 fields):
 *   0 m, 1 n, 2 k, 3 rsa, 4 csa, 5 rsb, 6 csb, 7 ldc, 8 batches, 9 offsets (ptr to batches × 3
 *   byte addresses: a, b, c), 10 scratch, 11 scratch stride per thread, 12 tile rows, 13 tile
 *   columns, 14 task counter.
 * A task is one tile of one product's C (tile rows × tile columns): the thread that claims it
 * zeroes the tile, then packs the tile's A rows and B columns into its own scratch.
 */
export function jobMatmul(args: usize, tid: i32, nt: i32): void {
  const m = load<i32>(args);
  const n = load<i32>(args, 4);
  const k = load<i32>(args, 8);
  const rsa = load<i32>(args, 12);
  const csa = load<i32>(args, 16);
  const rsb = load<i32>(args, 20);
  const csb = load<i32>(args, 24);
  const ldc = load<i32>(args, 28);
  const batches = load<i32>(args, 32);
  const offsets = <usize>load<i32>(args, 36);
  const scratch = <usize>load<i32>(args, 40) + <usize>tid * <usize>load<i32>(args, 44);
  const tm = load<i32>(args, 48);
  const tn = load<i32>(args, 52);
  const tilesM = (m + tm - 1) / tm;
  const tilesN = (n + tn - 1) / tn;
  const perProduct = tilesM * tilesN;
  const total = batches * perProduct;
  for (let t = claim(args + 56); t < total; t = claim(args + 56)) {
    const q = t / perProduct;
    const r = t - q * perProduct;
    const i0 = (r / tilesN) * tm;
    const j0 = (r % tilesN) * tn;
    const o = offsets + <usize>q * 12;
    const a = <usize>load<i32>(o);
    const b = <usize>load<i32>(o, 4);
    const c = <usize>load<i32>(o, 8);
    // Zero this tile of C here rather than all of C on the host: split over the threads, and
    // still in cache when the GEMM accumulates into it.
    const rows = min(tm, m - i0);
    const cols = <usize>min(tn, n - j0) << 2;
    for (let i = 0; i < rows; i++) memory.fill(ptr(c, (i0 + i) * ldc + j0), 0, cols);
    gemm(min(tm, m - i0), min(tn, n - j0), k, ptr(a, i0 * rsa), rsa, csa, ptr(b, j0 * csb), rsb, csb,
      ptr(c, i0 * ldc + j0), ldc, scratch);
  }
}
