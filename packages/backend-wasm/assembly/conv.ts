import { gemm, gemmScratchBytes } from './gemm';
import { chunkStart, claim } from './tasks';

/*
 * Conv2d (NCHW, weight [O, C/groups, kh, kw]) and both its gradients as GEMMs over im2col:
 *
 *   col      [K, L]   K = (C/groups)·kh·kw taps, L = output pixels of a band of output rows
 *   forward  y_g  [Og, L] = w_g [Og, K] · col
 *   filter   dw_g [Og, K] += dy_g [Og, L] · colᵀ           summed over images and bands
 *   input    dcol [K, L]  = w_gᵀ [K, Og] · dy_g [Og, L], then col2im adds dcol into dx
 *
 * A 1×1, stride-1, unpadded convolution needs no im2col (the image is col). Work is split into
 * items — (image, group, band) for the forward pass, (image, group, channel chunk) for the input
 * gradient (disjoint parts of dx, since bands of one image overlap), (image, band) for the filter
 * gradient, cut into chunks (contiguous runs of items) that threads claim whole: chunk 0
 * accumulates into dw, every other chunk into its own zeroed partial that the host adds in chunk
 * order, so the sum is the same whichever thread ran which chunk (seeded training reproduces). Each thread owns `colBytes` of col scratch followed by gemm scratch.
 *
 * Args block (i32 fields): 0 N, 1 C, 2 H, 3 W, 4 O, 5 OH, 6 OW, 7 kh, 8 kw, 9 sh, 10 sw, 11 top,
 * 12 left, 13 dh, 14 dw, 15 groups, 16 in0, 17 in1, 18 out, 19 band rows, 20 scratch, 21 scratch
 * stride, 22 channels per chunk (input gradient), 23 partials (filter gradient), 24 task counter,
 * 25 chunks (filter gradient).
 * Threads claim items from the counter (assembly/tasks.ts).
 */

// The geometry lives in globals: each thread's instance has its own, filled from the args block.
// (No objects: the stub runtime would allocate them at the same address in every instance.)
let g_n: i32 = 0;
let g_c: i32 = 0;
let g_h: i32 = 0;
let g_w: i32 = 0;
let g_o: i32 = 0;
let g_oh: i32 = 0;
let g_ow: i32 = 0;
let g_kh: i32 = 0;
let g_kw: i32 = 0;
let g_sh: i32 = 0;
let g_sw: i32 = 0;
let g_top: i32 = 0;
let g_left: i32 = 0;
let g_dh: i32 = 0;
let g_dw: i32 = 0;
let g_groups: i32 = 0;
let g_cg: i32 = 0;
let g_og: i32 = 0;
let g_taps: i32 = 0;
let g_pixels: i32 = 0;
let g_rows: i32 = 0;
let g_pointwise: bool = false;

function readGeometry(args: usize): void {
  g_n = load<i32>(args, 0);
  g_c = load<i32>(args, 4);
  g_h = load<i32>(args, 8);
  g_w = load<i32>(args, 12);
  g_o = load<i32>(args, 16);
  g_oh = load<i32>(args, 20);
  g_ow = load<i32>(args, 24);
  g_kh = load<i32>(args, 28);
  g_kw = load<i32>(args, 32);
  g_sh = load<i32>(args, 36);
  g_sw = load<i32>(args, 40);
  g_top = load<i32>(args, 44);
  g_left = load<i32>(args, 48);
  g_dh = load<i32>(args, 52);
  g_dw = load<i32>(args, 56);
  g_groups = load<i32>(args, 60);
  g_rows = load<i32>(args, 76);
  g_cg = g_c / g_groups;
  g_og = g_o / g_groups;
  g_taps = g_cg * g_kh * g_kw;
  g_pixels = g_oh * g_ow;
  g_pointwise = g_kh == 1 && g_kw == 1 && g_sh == 1 && g_sw == 1 && g_top == 0 && g_left == 0 &&
    g_oh == g_h && g_ow == g_w;
}

@inline
function ptr(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** ⌈a / b⌉ for b > 0 and any sign of a. */
@inline
export function ceilDiv(a: i32, b: i32): i32 {
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

/** First output column whose input column ow·sw + shift is ≥ 0. */
@inline
function loColumn(shift: i32, sw: i32, outWidth: i32): i32 {
  return min(outWidth, max(0, ceilDiv(-shift, sw)));
}

/** One past the last output column whose input column ow·sw + shift is < width. */
@inline
function hiColumn(lo: i32, shift: i32, sw: i32, width: i32, outWidth: i32): i32 {
  return max(lo, min(outWidth, ceilDiv(width - shift, sw)));
}

/** Zero floats [from, to) of the row at dst (short runs: the padding columns, or one row). */
@inline
function zeroRun(dst: usize, from: i32, to: i32): void {
  let i = from;
  const z = f32x4.splat(0);
  for (; i + 4 <= to; i += 4) v128.store(dst + (<usize>i << 2), z);
  for (; i < to; i++) store<f32>(dst + (<usize>i << 2), 0);
}

/** col[tap, (oh - oh0)·OW + ow] for output rows [oh0, oh1) and channels [c0, c1) of the plane block at x. */
function im2col(x: usize, c0: i32, c1: i32, oh0: i32, oh1: i32, col: usize): void {
  const H = g_h;
  const W = g_w;
  const OW = g_ow;
  const sw = g_sw;
  const band = (oh1 - oh0) * OW;
  let row = 0;
  for (let c = c0; c < c1; c++) {
    const plane = ptr(x, c * H * W);
    for (let i = 0; i < g_kh; i++) {
      for (let j = 0; j < g_kw; j++) {
        const shift = j * g_dw - g_left;
        const lo = loColumn(shift, sw, OW);
        const hi = hiColumn(lo, shift, sw, W, OW);
        for (let oh = oh0; oh < oh1; oh++) {
          const ih = oh * g_sh - g_top + i * g_dh;
          const dst = ptr(col, row * band + (oh - oh0) * OW);
          if (ih < 0 || ih >= H || hi <= lo) {
            zeroRun(dst, 0, OW);
            continue;
          }
          const src = ptr(plane, ih * W + shift);
          zeroRun(dst, 0, lo);
          if (sw == 1) {
            // Rows are short (tens of floats): a vector loop beats a memory.copy call.
            let ow = lo;
            for (; ow + 4 <= hi; ow += 4) v128.store(dst + (<usize>ow << 2), v128.load(src + (<usize>ow << 2)));
            for (; ow < hi; ow++) store<f32>(dst + (<usize>ow << 2), load<f32>(src + (<usize>ow << 2)));
          } else if (sw == 2) {
            let ow = lo;
            for (; ow + 4 <= hi; ow += 4) {
              const s = src + (<usize>ow << 3);
              v128.store(dst + (<usize>ow << 2), v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6));
            }
            for (; ow < hi; ow++) store<f32>(dst + (<usize>ow << 2), load<f32>(src + (<usize>ow << 3)));
          } else {
            for (let ow = lo; ow < hi; ow++) store<f32>(dst + (<usize>ow << 2), load<f32>(ptr(src, ow * sw)));
          }
          zeroRun(dst, hi, OW);
        }
        row++;
      }
    }
  }
}

/** The adjoint of im2col: dx[c, ih, iw] += col[tap, pixel] for the in-bounds taps of channels [c0, c1). */
function col2im(col: usize, c0: i32, c1: i32, oh0: i32, oh1: i32, dx: usize): void {
  const H = g_h;
  const W = g_w;
  const OW = g_ow;
  const sw = g_sw;
  const band = (oh1 - oh0) * OW;
  let row = 0;
  for (let c = c0; c < c1; c++) {
    const plane = ptr(dx, c * H * W);
    for (let i = 0; i < g_kh; i++) {
      for (let j = 0; j < g_kw; j++) {
        const shift = j * g_dw - g_left;
        const lo = loColumn(shift, sw, OW);
        const hi = hiColumn(lo, shift, sw, W, OW);
        for (let oh = oh0; oh < oh1; oh++) {
          const ih = oh * g_sh - g_top + i * g_dh;
          if (ih < 0 || ih >= H) continue;
          const src = ptr(col, row * band + (oh - oh0) * OW);
          const dst = ptr(plane, ih * W + shift);
          if (sw == 1) {
            let ow = lo;
            for (; ow + 4 <= hi; ow += 4) {
              const d = dst + (<usize>ow << 2);
              v128.store(d, f32x4.add(v128.load(d), v128.load(src + (<usize>ow << 2))));
            }
            for (; ow < hi; ow++) {
              const d = dst + (<usize>ow << 2);
              store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>ow << 2)));
            }
          } else {
            for (let ow = lo; ow < hi; ow++) {
              const d = ptr(dst, ow * sw);
              store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>ow << 2)));
            }
          }
        }
        row++;
      }
    }
  }
}

/** Bytes of col scratch one thread needs for `rows` output rows of `taps` taps. */
function colBytes(): usize {
  return g_pointwise ? 0 : ((<usize>(g_taps * g_rows * g_ow) << 2) + 63) & ~(<usize>63);
}

/** inputs x (16), w (17) → y (18), each item zeroing its part first. */
export function jobConvForward(args: usize, tid: i32, nt: i32): void {
  readGeometry(args);
  const x = <usize>load<i32>(args, 64);
  const w = <usize>load<i32>(args, 68);
  const y = <usize>load<i32>(args, 72);
  const col = <usize>load<i32>(args, 80) + <usize>tid * <usize>load<i32>(args, 84);
  const gs = col + colBytes();
  const bands = (g_oh + g_rows - 1) / g_rows;
  const items = g_n * g_groups * bands;
  const P = g_pixels;
  for (let it = claim(args + 96); it < items; it = claim(args + 96)) {
    const band = it % bands;
    const ng = it / bands;
    const gi = ng % g_groups;
    const n = ng / g_groups;
    const xOff = (n * g_c + gi * g_cg) * g_h * g_w;
    const yOff = (n * g_o + gi * g_og) * P;
    const wOff = gi * g_og * g_taps;
    const oh0 = band * g_rows;
    const oh1 = min(g_oh, oh0 + g_rows);
    const L = (oh1 - oh0) * g_ow;
    // Zero this item's part of y here rather than all of y on the host: split over the threads,
    // and still in cache when the GEMM accumulates into it.
    for (let o = 0; o < g_og; o++) memory.fill(ptr(y, yOff + o * P + oh0 * g_ow), 0, <usize>L << 2);
    if (g_pointwise) {
      gemm(g_og, L, g_taps, ptr(w, wOff), g_taps, 1, ptr(x, xOff + oh0 * g_ow), P, 1, ptr(y, yOff + oh0 * g_ow), P, gs);
    } else {
      im2col(ptr(x, xOff), 0, g_cg, oh0, oh1, col);
      gemm(g_og, L, g_taps, ptr(w, wOff), g_taps, 1, col, L, 1, ptr(y, yOff + oh0 * g_ow), P, gs);
    }
  }
}

/** inputs dy (16), w (17) → dx (18), each item zeroing its channels first. */
export function jobConvInput(args: usize, tid: i32, nt: i32): void {
  readGeometry(args);
  const dy = <usize>load<i32>(args, 64);
  const w = <usize>load<i32>(args, 68);
  const dx = <usize>load<i32>(args, 72);
  const col = <usize>load<i32>(args, 80) + <usize>tid * <usize>load<i32>(args, 84);
  const gs = col + colBytes();
  const perChunk = load<i32>(args, 88);
  const chunks = (g_cg + perChunk - 1) / perChunk;
  const items = g_n * g_groups * chunks;
  const P = g_pixels;
  const kk = g_kh * g_kw;
  for (let it = claim(args + 96); it < items; it = claim(args + 96)) {
    const chunk = it % chunks;
    const ng = it / chunks;
    const gi = ng % g_groups;
    const n = ng / g_groups;
    const c0 = chunk * perChunk;
    const c1 = min(g_cg, c0 + perChunk);
    const xOff = (n * g_c + gi * g_cg) * g_h * g_w;
    const yOff = (n * g_o + gi * g_og) * P;
    const wOff = gi * g_og * g_taps;
    const r0 = c0 * kk;
    const r1 = c1 * kk;
    // This item's channels of dx are its own: zero them here (split over the threads, and in cache).
    memory.fill(ptr(dx, xOff + c0 * g_h * g_w), 0, <usize>((c1 - c0) * g_h * g_w) << 2);
    for (let oh0 = 0; oh0 < g_oh; oh0 += g_rows) {
      const oh1 = min(g_oh, oh0 + g_rows);
      const L = (oh1 - oh0) * g_ow;
      // wᵀ: element (tap, o) of w_gᵀ is w_g[o, tap].
      if (g_pointwise) {
        gemm(r1 - r0, L, g_og, ptr(w, wOff + r0), 1, g_taps, ptr(dy, yOff + oh0 * g_ow), P, 1,
          ptr(dx, xOff + c0 * P + oh0 * g_ow), P, gs);
      } else {
        memory.fill(col, 0, <usize>((r1 - r0) * L) << 2);
        gemm(r1 - r0, L, g_og, ptr(w, wOff + r0), 1, g_taps, ptr(dy, yOff + oh0 * g_ow), P, 1, col, L, gs);
        col2im(col, c0, c1, oh0, oh1, ptr(dx, xOff));
      }
    }
  }
}

/**
 * inputs x (16), dy (17) → dw (18) for chunk 0, partials (23) for chunks 1…; all zeroed by the
 * host. The (image, band) items are cut into `chunks` (25) runs claimed whole from the counter.
 */
export function jobConvFilter(args: usize, tid: i32, nt: i32): void {
  readGeometry(args);
  const x = <usize>load<i32>(args, 64);
  const dy = <usize>load<i32>(args, 68);
  const size = g_o * g_taps;
  const dw0 = <usize>load<i32>(args, 72);
  const partials = <usize>load<i32>(args, 92);
  const col = <usize>load<i32>(args, 80) + <usize>tid * <usize>load<i32>(args, 84);
  const gs = col + colBytes();
  const bands = (g_oh + g_rows - 1) / g_rows;
  const items = g_n * bands;
  const chunks = load<i32>(args, 100);
  const P = g_pixels;
  for (let ch = claim(args + 96); ch < chunks; ch = claim(args + 96)) {
    const dw = ch == 0 ? dw0 : ptr(partials, (ch - 1) * size);
    for (let it = chunkStart(items, ch, chunks), end = chunkStart(items, ch + 1, chunks); it < end; it++) {
      const band = it % bands;
      const n = it / bands;
      const oh0 = band * g_rows;
      const oh1 = min(g_oh, oh0 + g_rows);
      const L = (oh1 - oh0) * g_ow;
      for (let gi = 0; gi < g_groups; gi++) {
        const xOff = (n * g_c + gi * g_cg) * g_h * g_w;
        const yOff = (n * g_o + gi * g_og) * P;
        const wOff = gi * g_og * g_taps;
        // colᵀ: element (pixel, tap) is col[tap, pixel].
        if (g_pointwise) {
          gemm(g_og, g_taps, L, ptr(dy, yOff + oh0 * g_ow), P, 1, ptr(x, xOff + oh0 * g_ow), 1, P, ptr(dw, wOff), g_taps, gs);
        } else {
          im2col(ptr(x, xOff), 0, g_cg, oh0, oh1, col);
          gemm(g_og, g_taps, L, ptr(dy, yOff + oh0 * g_ow), P, 1, col, 1, L, ptr(dw, wOff), g_taps, gs);
        }
      }
    }
  }
}

/** Bytes of scratch one conv thread needs (col band plus gemm scratch), from a filled args block. */
export function convScratchBytes(args: usize): i32 {
  readGeometry(args);
  return <i32>colBytes() + gemmScratchBytes();
}
