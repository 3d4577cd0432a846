import { gemm, microStore4x8 } from './gemm';
import { chunkStart, claim } from './tasks';

/*
 * 3×3 stride-1 convolutions (NCHW, groups 1) by Winograd's minimal filtering F(2×2, 3×3)
 * (Lavin & Gray 2016): each 2×2 tile of output comes from a 4×4 tile of input through
 *
 *   Y = Aᵀ [ Σ_c (G g_oc Gᵀ) ⊙ (Bᵀ d_c B) ] A
 *
 * so the 36 multiply-adds per tile and channel pair of the direct method become 16, done as 16
 * independent GEMMs (one per position ξ of the 4×4 transformed tile):
 *
 *   M_ξ [O × T] = U_ξ [O × C] · V_ξ [C × T]      T = tiles of a band of tile rows
 *
 * The transforms only add and subtract (G has halves), so the result differs from the direct sum
 * by rounding alone. Work items are (image, band of tile rows); for each the thread
 *   1. copies the band's input rows with zero borders into `xp` (every 4×4 tile then lies inside),
 *   2. transforms the tiles of every channel, four neighbouring tiles per f32x4, straight into
 *      the GEMM's packed layout (strips of 8 tiles × C),
 *   3. runs the 16 products with a 4×8 register tile (U packed by `winogradFilter` on the host),
 *   4. transforms M back into the 2×2 output tiles, again four tiles per f32x4.
 * Groups of four tiles that straddle a tile row or the output's edge take a scalar path.
 *
 * Args block (i32 fields): 0 N, 1 C, 2 H, 3 W, 4 O, 5 OH, 6 OW, 7 top pad, 8 left pad, 9 x,
 * 10 U, 11 y, 12 tile rows per band, 13 scratch, 14 scratch stride per thread, 16 task counter.
 */

let g_c: i32 = 0;
let g_h: i32 = 0;
let g_w: i32 = 0;
let g_o: i32 = 0;
let g_op: i32 = 0;
let g_oh: i32 = 0;
let g_ow: i32 = 0;
let g_top: i32 = 0;
let g_left: i32 = 0;
let g_tilesH: i32 = 0;
let g_tilesW: i32 = 0;
let g_rows: i32 = 0;
let g_xr: i32 = 0;
let g_xw: i32 = 0;

@inline
function ptr(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** Tile rows and columns, the padded band's size and the floats of scratch one thread needs. */
function winogradGeometry(args: usize): i32 {
  g_c = load<i32>(args, 4);
  g_h = load<i32>(args, 8);
  g_w = load<i32>(args, 12);
  g_o = load<i32>(args, 16);
  g_oh = load<i32>(args, 20);
  g_ow = load<i32>(args, 24);
  g_top = load<i32>(args, 28);
  g_left = load<i32>(args, 32);
  g_rows = load<i32>(args, 48);
  g_op = (g_o + 3) & ~3;
  g_tilesH = (g_oh + 1) >> 1;
  g_tilesW = (g_ow + 1) >> 1;
  g_xr = 2 * g_rows + 2;
  // Room for the vector loads of the last group of a row (up to 10 floats from its first column).
  g_xw = (2 * g_tilesW + 10 + 3) & ~3;
  const tp = tilesPadded(g_rows * g_tilesW);
  return g_c * g_xr * g_xw + 16 * g_c * tp + 16 * g_op * tp;
}

/** Tiles rounded up to a whole number of 8-wide strips. */
@inline
function tilesPadded(t: i32): i32 {
  return (t + 7) & ~7;
}

/** Bytes of scratch one thread needs for the job whose args block is at `args`. */
export function winogradScratchBytes(args: usize): i32 {
  return ((winogradGeometry(args) << 2) + 63) & ~63;
}

/** Store the four values of row r of U = t Gᵀ, where (a, b, d) is row r of t = G g. */
@inline
function filterRow(dst: usize, step: usize, r: i32, a: f32, b: f32, d: f32): void {
  const at = dst + <usize>(r * 4) * step;
  store<f32>(at, a);
  store<f32>(at + step, 0.5 * (a + b + d));
  store<f32>(at + 2 * step, 0.5 * (a - b + d));
  store<f32>(at + 3 * step, d);
}

/**
 * U = G g Gᵀ for every (o, c) of a 3×3 filter bank, stored for the GEMM: position ξ, then strips
 * of 4 output channels (zero past o), then c, then the 4 channels of the strip. G's rows: [1 0 0],
 * [½ ½ ½], [½ −½ ½], [0 0 1]. With `flip` 0 the bank is w [o, c, 3, 3] (a forward pass); with 1 it
 * is w [c, o, 3, 3] taken transposed and rotated by 180° (the input gradient of w's forward pass).
 */
export function winogradFilter(w: usize, o: i32, c: i32, u: usize, flip: i32): void {
  const op = (o + 3) & ~3;
  const step = <usize>(op * c) << 2;
  for (let oc = 0; oc < op; oc++) {
    for (let ci = 0; ci < c; ci++) {
      const dst = u + (<usize>(((oc >> 2) * c + ci) * 4 + (oc & 3)) << 2);
      if (oc >= o) {
        for (let xi = 0; xi < 16; xi++) store<f32>(dst + <usize>xi * step, 0);
        continue;
      }
      const g = ptr(w, (flip ? ci * o + oc : oc * c + ci) * 9);
      // Element k of the 3×3 filter (row-major) is g[k], or g[8 − k] rotated.
      const k0 = flip ? 32 : 0;
      const dk = flip ? -4 : 4;
      const g00 = load<f32>(g + <usize>k0);
      const g01 = load<f32>(g + <usize>(k0 + dk));
      const g02 = load<f32>(g + <usize>(k0 + 2 * dk));
      const g10 = load<f32>(g + <usize>(k0 + 3 * dk));
      const g11 = load<f32>(g + <usize>(k0 + 4 * dk));
      const g12 = load<f32>(g + <usize>(k0 + 5 * dk));
      const g20 = load<f32>(g + <usize>(k0 + 6 * dk));
      const g21 = load<f32>(g + <usize>(k0 + 7 * dk));
      const g22 = load<f32>(g + <usize>(k0 + 8 * dk));
      filterRow(dst, step, 0, g00, g01, g02);
      filterRow(dst, step, 1, 0.5 * (g00 + g10 + g20), 0.5 * (g01 + g11 + g21), 0.5 * (g02 + g12 + g22));
      filterRow(dst, step, 2, 0.5 * (g00 - g10 + g20), 0.5 * (g01 - g11 + g21), 0.5 * (g02 - g12 + g22));
      filterRow(dst, step, 3, g20, g21, g22);
    }
  }
}

/** Copy the input rows of tile rows [tr0, tr0 + g_rows) of one image's channels into xp, zero outside the image. */
function padBand(x: usize, tr0: i32, xp: usize): void {
  const H = g_h;
  const W = g_w;
  const xw = g_xw;
  memory.fill(xp, 0, <usize>(g_c * g_xr * xw) << 2);
  const c0 = max(0, g_left);
  const c1 = min(xw, W + g_left);
  for (let c = 0; c < g_c; c++) {
    const plane = ptr(x, c * H * W);
    for (let i = 0; i < g_xr; i++) {
      const ih = 2 * tr0 - g_top + i;
      if (ih < 0 || ih >= H) continue;
      const src = ptr(plane, ih * W - g_left);
      const dst = ptr(xp, (c * g_xr + i) * xw);
      let j = c0;
      for (; j + 4 <= c1; j += 4) v128.store(dst + (<usize>j << 2), v128.load(src + (<usize>j << 2)));
      for (; j < c1; j++) store<f32>(dst + (<usize>j << 2), load<f32>(src + (<usize>j << 2)));
    }
  }
}

/**
 * V = Bᵀ d B for every channel and tile of the band, per position ξ either as packed GEMM strips
 * (strip of 8 tiles, channel, tile within the strip: the forward pass's B operand) or, with
 * `packed` false, as rows [channel][tile] (the filter gradient's). Tiles [tiles, tp) are zero.
 * Bᵀ's rows: [1 0 −1 0], [0 1 1 0], [0 −1 1 0], [0 1 0 −1].
 */
function inputTransform(xp: usize, tiles: i32, tp: i32, v: usize, packed: bool): void {
  const C = g_c;
  const TW = g_tilesW;
  const xw = g_xw;
  const rowBytes = <usize>xw << 2;
  const step = <usize>(C * tp) << 2;
  for (let c = 0; c < C; c++) {
    const plane = ptr(xp, c * g_xr * xw);
    for (let t = 0; t < tp; t += 4) {
      const dst = v + (<usize>(packed ? ((t >> 3) * C + c) * 8 + (t & 7) : c * tp + t) << 2);
      const tr = t / TW;
      const tc = t - tr * TW;
      if (t + 4 <= tiles && tc + 4 <= TW) {
        // Four neighbouring tiles of one row: lane l is the tile at column tc + l, and dRS the
        // value in row R, column S of each tile's 4×4 patch.
        const at0 = plane + <usize>(2 * tr) * rowBytes + (<usize>(2 * tc) << 2);
        const at1 = at0 + rowBytes;
        const at2 = at1 + rowBytes;
        const at3 = at2 + rowBytes;
        const d00 = lanes(at0, 0, 0);
        const d01 = lanes(at0, 0, 1);
        const d02 = lanes(at0, 8, 0);
        const d03 = lanes(at0, 8, 1);
        const d10 = lanes(at1, 0, 0);
        const d11 = lanes(at1, 0, 1);
        const d12 = lanes(at1, 8, 0);
        const d13 = lanes(at1, 8, 1);
        const d20 = lanes(at2, 0, 0);
        const d21 = lanes(at2, 0, 1);
        const d22 = lanes(at2, 8, 0);
        const d23 = lanes(at2, 8, 1);
        const d30 = lanes(at3, 0, 0);
        const d31 = lanes(at3, 0, 1);
        const d32 = lanes(at3, 8, 0);
        const d33 = lanes(at3, 8, 1);
        // Bᵀ d (rows), then (Bᵀ d) B (columns).
        transformRowsStore(dst, step, 0, f32x4.sub(d00, d20), f32x4.sub(d01, d21), f32x4.sub(d02, d22), f32x4.sub(d03, d23));
        transformRowsStore(dst, step, 1, f32x4.add(d10, d20), f32x4.add(d11, d21), f32x4.add(d12, d22), f32x4.add(d13, d23));
        transformRowsStore(dst, step, 2, f32x4.sub(d20, d10), f32x4.sub(d21, d11), f32x4.sub(d22, d12), f32x4.sub(d23, d13));
        transformRowsStore(dst, step, 3, f32x4.sub(d10, d30), f32x4.sub(d11, d31), f32x4.sub(d12, d32), f32x4.sub(d13, d33));
      } else {
        for (let l = 0; l < 4; l++) scalarInputTile(plane, t + l, tiles, dst + (<usize>l << 2), step);
      }
    }
  }
}

/**
 * Floats at + offset + 2l + odd for lanes l = 0..3: every other float of the 8 from at + offset
 * (the even or the odd ones), i.e. one column of four tiles that start two floats apart.
 */
@inline
function lanes(at: usize, offset: usize, odd: i32): v128 {
  const lo = v128.load(at + offset);
  const hi = v128.load(at + offset, 16);
  return odd ? v128.shuffle<f32>(lo, hi, 1, 3, 5, 7) : v128.shuffle<f32>(lo, hi, 0, 2, 4, 6);
}

/** Row r of V = t B from row r of t = Bᵀ d (four tiles per vector), stored at positions 4r..4r+3. */
@inline
function transformRowsStore(dst: usize, step: usize, r: i32, t0: v128, t1: v128, t2: v128, t3: v128): void {
  const at = dst + <usize>(r * 4) * step;
  v128.store(at, f32x4.sub(t0, t2));
  v128.store(at + step, f32x4.add(t1, t2));
  v128.store(at + 2 * step, f32x4.sub(t2, t1));
  v128.store(at + 3 * step, f32x4.sub(t1, t3));
}

/** One tile's 16 transformed values (zeros past the band's tiles), one float per position. */
function scalarInputTile(plane: usize, t: i32, tiles: i32, dst: usize, step: usize): void {
  if (t >= tiles) {
    for (let xi = 0; xi < 16; xi++) store<f32>(dst + <usize>xi * step, 0);
    return;
  }
  const tr = t / g_tilesW;
  const tc = t - tr * g_tilesW;
  const base = ptr(plane, 2 * tr * g_xw + 2 * tc);
  const rb = <usize>g_xw << 2;
  for (let s = 0; s < 4; s++) {
    const col = base + (<usize>s << 2);
    const d0 = load<f32>(col);
    const d1 = load<f32>(col + rb);
    const d2 = load<f32>(col + 2 * rb);
    const d3 = load<f32>(col + 3 * rb);
    // Column s of Bᵀ d, kept in the destination's slots 4r + s for the column pass below.
    store<f32>(dst + <usize>s * step, d0 - d2);
    store<f32>(dst + <usize>(4 + s) * step, d1 + d2);
    store<f32>(dst + <usize>(8 + s) * step, d2 - d1);
    store<f32>(dst + <usize>(12 + s) * step, d1 - d3);
  }
  for (let r = 0; r < 4; r++) {
    const at = dst + <usize>(4 * r) * step;
    const t0 = load<f32>(at);
    const t1 = load<f32>(at + step);
    const t2 = load<f32>(at + 2 * step);
    const t3 = load<f32>(at + 3 * step);
    store<f32>(at, t0 - t2);
    store<f32>(at + step, t1 + t2);
    store<f32>(at + 2 * step, t2 - t1);
    store<f32>(at + 3 * step, t1 - t3);
  }
}

/** M_ξ [Op × tp] = U_ξ · V_ξ for the 16 positions. */
function products(u: usize, v: usize, tp: i32, m: usize): void {
  const C = g_c;
  const op = g_op;
  const ldcBytes = <usize>tp << 2;
  const stripsA = op >> 2;
  const stripsB = tp >> 3;
  for (let xi = 0; xi < 16; xi++) {
    const uXi = u + (<usize>(xi * op * C) << 2);
    const vXi = v + (<usize>(xi * C * tp) << 2);
    const mXi = m + (<usize>(xi * op * tp) << 2);
    for (let jr = 0; jr < stripsB; jr++) {
      const pb = vXi + (<usize>(jr * C * 8) << 2);
      for (let ir = 0; ir < stripsA; ir++) {
        microStore4x8(C, uXi + (<usize>(ir * C * 4) << 2), pb, mXi + (<usize>(4 * ir * tp + 8 * jr) << 2), ldcBytes);
      }
    }
  }
}

/**
 * Whether the four tiles from t (at tile column tc, output row oh) lie in one tile row and inside
 * the output: their 2×4 output block then moves as two f32x4 rows.
 */
@inline
function wholeOutputGroup(t: i32, tiles: i32, tc: i32, oh: i32): bool {
  return t + 4 <= tiles && tc + 4 <= g_tilesW && 2 * tc + 8 <= g_ow && oh + 2 <= g_oh;
}

/**
 * Y = Aᵀ M A for every output channel and tile of the band, into y's plane block of one image.
 * Aᵀ's rows: [1 1 1 0], [0 1 −1 −1].
 */
function outputTransform(m: usize, tr0: i32, tiles: i32, tp: i32, y: usize): void {
  const TW = g_tilesW;
  const OH = g_oh;
  const OW = g_ow;
  const step = <usize>(g_op * tp) << 2;
  const owBytes = <usize>OW << 2;
  for (let o = 0; o < g_o; o++) {
    const plane = ptr(y, o * OH * OW);
    for (let t = 0; t < tiles; t += 4) {
      const src = m + (<usize>(o * tp + t) << 2);
      const tr = t / TW;
      const tc = t - tr * TW;
      const oh = 2 * (tr0 + tr);
      if (wholeOutputGroup(t, tiles, tc, oh)) {
        // Aᵀ M (rows): u0 = m0 + m1 + m2, u1 = m1 − m2 − m3, for each column s.
        const m00 = v128.load(src);
        const m01 = v128.load(src + step);
        const m02 = v128.load(src + 2 * step);
        const m03 = v128.load(src + 3 * step);
        const m10 = v128.load(src + 4 * step);
        const m11 = v128.load(src + 5 * step);
        const m12 = v128.load(src + 6 * step);
        const m13 = v128.load(src + 7 * step);
        const m20 = v128.load(src + 8 * step);
        const m21 = v128.load(src + 9 * step);
        const m22 = v128.load(src + 10 * step);
        const m23 = v128.load(src + 11 * step);
        const m30 = v128.load(src + 12 * step);
        const m31 = v128.load(src + 13 * step);
        const m32 = v128.load(src + 14 * step);
        const m33 = v128.load(src + 15 * step);
        const u00 = f32x4.add(f32x4.add(m00, m10), m20);
        const u01 = f32x4.add(f32x4.add(m01, m11), m21);
        const u02 = f32x4.add(f32x4.add(m02, m12), m22);
        const u03 = f32x4.add(f32x4.add(m03, m13), m23);
        const u10 = f32x4.sub(f32x4.sub(m10, m20), m30);
        const u11 = f32x4.sub(f32x4.sub(m11, m21), m31);
        const u12 = f32x4.sub(f32x4.sub(m12, m22), m32);
        const u13 = f32x4.sub(f32x4.sub(m13, m23), m33);
        // (Aᵀ M) A (columns); lane l is the tile at column tc + l: interleave its two columns.
        const y00 = f32x4.add(f32x4.add(u00, u01), u02);
        const y01 = f32x4.sub(f32x4.sub(u01, u02), u03);
        const y10 = f32x4.add(f32x4.add(u10, u11), u12);
        const y11 = f32x4.sub(f32x4.sub(u11, u12), u13);
        const row = plane + <usize>oh * owBytes + (<usize>(2 * tc) << 2);
        v128.store(row, v128.shuffle<f32>(y00, y01, 0, 4, 1, 5));
        v128.store(row, v128.shuffle<f32>(y00, y01, 2, 6, 3, 7), 16);
        v128.store(row + owBytes, v128.shuffle<f32>(y10, y11, 0, 4, 1, 5));
        v128.store(row + owBytes, v128.shuffle<f32>(y10, y11, 2, 6, 3, 7), 16);
      } else {
        const end = min(tiles, t + 4);
        for (let q = t; q < end; q++) scalarOutputTile(m + (<usize>(o * tp + q) << 2), step, tr0, q, plane);
      }
    }
  }
}

/** One tile of output from its 16 products, clipped to the output's edge. */
function scalarOutputTile(src: usize, step: usize, tr0: i32, t: i32, plane: usize): void {
  const tr = t / g_tilesW;
  const tc = t - tr * g_tilesW;
  const oh = 2 * (tr0 + tr);
  const ow = 2 * tc;
  let y00: f32 = 0;
  let y01: f32 = 0;
  let y10: f32 = 0;
  let y11: f32 = 0;
  for (let s = 0; s < 4; s++) {
    const m0 = load<f32>(src + <usize>s * step);
    const m1 = load<f32>(src + <usize>(4 + s) * step);
    const m2 = load<f32>(src + <usize>(8 + s) * step);
    const m3 = load<f32>(src + <usize>(12 + s) * step);
    const u0 = m0 + m1 + m2;
    const u1 = m1 - m2 - m3;
    // Column weights of A: [1 0], [1 1], [1 −1], [0 −1].
    const w0: f32 = s < 3 ? 1 : 0;
    const w1: f32 = s == 0 ? 0 : s == 1 ? 1 : -1;
    y00 += w0 * u0;
    y01 += w1 * u0;
    y10 += w0 * u1;
    y11 += w1 * u1;
  }
  const at = ptr(plane, oh * g_ow + ow);
  const right = ow + 1 < g_ow;
  store<f32>(at, y00);
  if (right) store<f32>(at, y01, 4);
  if (oh + 1 < g_oh) {
    store<f32>(at + (<usize>g_ow << 2), y10);
    if (right) store<f32>(at + (<usize>g_ow << 2), y11, 4);
  }
}

/** inputs x (9), U (10) → y (11): items (image, band of tile rows). */
export function jobConvWinograd(args: usize, tid: i32, nt: i32): void {
  winogradGeometry(args);
  const n = load<i32>(args, 0);
  const x = <usize>load<i32>(args, 36);
  const u = <usize>load<i32>(args, 40);
  const y = <usize>load<i32>(args, 44);
  const scratch = <usize>load<i32>(args, 52) + <usize>tid * <usize>load<i32>(args, 56);
  const xp = scratch;
  const v = ptr(xp, g_c * g_xr * g_xw);
  const m = ptr(v, 16 * g_c * tilesPadded(g_rows * g_tilesW));
  const bands = (g_tilesH + g_rows - 1) / g_rows;
  const items = n * bands;
  for (let it = claim(args + 64); it < items; it = claim(args + 64)) {
    const img = it / bands;
    const tr0 = (it - img * bands) * g_rows;
    const tiles = min(g_rows, g_tilesH - tr0) * g_tilesW;
    const tp = tilesPadded(tiles);
    padBand(ptr(x, img * g_c * g_h * g_w), tr0, xp);
    inputTransform(xp, tiles, tp, v, true);
    products(u, v, tp, m);
    outputTransform(m, tr0, tiles, tp, ptr(y, img * g_o * g_oh * g_ow));
  }
}

/*
 * Filter gradient of the same convolution (Lavin & Gray's backward pass): with
 * M_ot = Σ_c U_oc ⊙ V_ct and Y_ot = Aᵀ M_ot A, the gradients are dM_ot = A dY_ot Aᵀ,
 * dU_oc = Σ_t dM_ot ⊙ V_ct — for each position ξ a GEMM dU_ξ [O × C] += dM_ξ [O × T] · V_ξᵀ over
 * the tiles of every image — and dw_oc = Gᵀ dU_oc G (winogradFilterGrad, on the host's thread
 * after the partial dU of every thread are summed). Items are (image, band of tile rows) as in
 * the forward pass, cut into `chunks` (args field 17) contiguous runs that threads claim whole;
 * chunk k accumulates into its own dU (args field 10 + k · 16·O·C floats, zeroed by the host, summed
 * by the host in chunk order, so the result does not depend on which thread ran which chunk) and uses `gemm` with its own scratch after xp, V and dM.
 */

/** dM = A dY Aᵀ for every output channel and tile of the band, rows [o][tile] per position ξ. */
function outputGradTransform(dy: usize, tr0: i32, tiles: i32, tp: i32, m: usize): void {
  const TW = g_tilesW;
  const OH = g_oh;
  const OW = g_ow;
  const step = <usize>(g_o * tp) << 2;
  const owBytes = <usize>OW << 2;
  for (let o = 0; o < g_o; o++) {
    const plane = ptr(dy, o * OH * OW);
    for (let t = 0; t < tp; t += 4) {
      const dst = m + (<usize>(o * tp + t) << 2);
      const tr = t / TW;
      const tc = t - tr * TW;
      const oh = 2 * (tr0 + tr);
      if (!wholeOutputGroup(t, tiles, tc, oh)) {
        for (let l = 0; l < 4; l++) scalarGradTile(plane, tr0, t + l, tiles, dst + (<usize>l << 2), step);
        continue;
      }
      // Lane l is the tile at column tc + l: split the two output columns of each tile.
      const row = plane + <usize>oh * owBytes + (<usize>(2 * tc) << 2);
      const a = lanes(row, 0, 0);
      const b = lanes(row, 0, 1);
      const c = lanes(row + owBytes, 0, 0);
      const d = lanes(row + owBytes, 0, 1);
      // A dY: rows (a, b), (a + c, b + d), (a − c, b − d), (−c, −d); then each row (p, q) times
      // Aᵀ gives (p, p + q, p − q, −q).
      gradRowStore(dst, step, 0, a, b);
      gradRowStore(dst, step, 1, f32x4.add(a, c), f32x4.add(b, d));
      gradRowStore(dst, step, 2, f32x4.sub(a, c), f32x4.sub(b, d));
      gradRowStore(dst, step, 3, f32x4.neg(c), f32x4.neg(d));
    }
  }
}

/** One tile's dM (zero past the band's tiles or the output's edge), one float per position. */
function scalarGradTile(plane: usize, tr0: i32, t: i32, tiles: i32, dst: usize, step: usize): void {
  let a: f32 = 0;
  let b: f32 = 0;
  let c: f32 = 0;
  let d: f32 = 0;
  if (t < tiles) {
    const tr = t / g_tilesW;
    const oh = 2 * (tr0 + tr);
    const ow = 2 * (t - tr * g_tilesW);
    const at = ptr(plane, oh * g_ow + ow);
    const right = ow + 1 < g_ow;
    const below = oh + 1 < g_oh;
    const rowBytes = <usize>g_ow << 2;
    a = load<f32>(at);
    if (right) b = load<f32>(at, 4);
    if (below) c = load<f32>(at + rowBytes);
    if (right && below) d = load<f32>(at + rowBytes, 4);
  }
  gradRowScalar(dst, step, 0, a, b);
  gradRowScalar(dst, step, 1, a + c, b + d);
  gradRowScalar(dst, step, 2, a - c, b - d);
  gradRowScalar(dst, step, 3, -c, -d);
}

@inline
function gradRowScalar(dst: usize, step: usize, r: i32, p: f32, q: f32): void {
  const at = dst + <usize>(r * 4) * step;
  store<f32>(at, p);
  store<f32>(at + step, p + q);
  store<f32>(at + 2 * step, p - q);
  store<f32>(at + 3 * step, -q);
}

@inline
function gradRowStore(dst: usize, step: usize, r: i32, p: v128, q: v128): void {
  const at = dst + <usize>(r * 4) * step;
  v128.store(at, p);
  v128.store(at + step, f32x4.add(p, q));
  v128.store(at + 2 * step, f32x4.sub(p, q));
  v128.store(at + 3 * step, f32x4.neg(q));
}

/** inputs x (9), dy (11) → this thread's dU (10 + tid · 16·O·C floats), accumulated. */
export function jobConvWinogradFilter(args: usize, tid: i32, nt: i32): void {
  winogradGeometry(args);
  const n = load<i32>(args, 0);
  const x = <usize>load<i32>(args, 36);
  const du0 = <usize>load<i32>(args, 40);
  const dy = <usize>load<i32>(args, 44);
  const scratch = <usize>load<i32>(args, 52) + <usize>tid * <usize>load<i32>(args, 56);
  const tpMax = tilesPadded(g_rows * g_tilesW);
  const xp = scratch;
  const v = ptr(xp, g_c * g_xr * g_xw);
  const m = ptr(v, 16 * g_c * tpMax);
  const gs = ptr(m, 16 * g_op * tpMax);
  const bands = (g_tilesH + g_rows - 1) / g_rows;
  const items = n * bands;
  const chunks = load<i32>(args, 68);
  for (let ch = claim(args + 64); ch < chunks; ch = claim(args + 64)) {
    const du = du0 + (<usize>(ch * 16 * g_o * g_c) << 2);
    for (let it = chunkStart(items, ch, chunks), end = chunkStart(items, ch + 1, chunks); it < end; it++) {
      const img = it / bands;
      const tr0 = (it - img * bands) * g_rows;
      const tiles = min(g_rows, g_tilesH - tr0) * g_tilesW;
      const tp = tilesPadded(tiles);
      padBand(ptr(x, img * g_c * g_h * g_w), tr0, xp);
      inputTransform(xp, tiles, tp, v, false);
      outputGradTransform(ptr(dy, img * g_o * g_oh * g_ow), tr0, tiles, tp, m);
      for (let xi = 0; xi < 16; xi++) {
        // dU_ξ [O × C] += dM_ξ [O × tiles] · V_ξᵀ, V_ξ stored [C][tp].
        gemm(g_o, g_c, tiles, ptr(m, xi * g_o * tp), tp, 1, ptr(v, xi * g_c * tp), 1, tp, ptr(du, xi * g_o * g_c), g_c, gs);
      }
    }
  }
}

/**
 * dw [O, C, 3, 3] = Gᵀ dU G for every (o, c), from dU [16][O][C] (the summed partials).
 * Gᵀ's rows: [1 ½ ½ 0], [0 ½ −½ 0], [0 ½ ½ 1].
 */
export function winogradFilterGrad(du: usize, o: i32, c: i32, dw: usize): void {
  const step = <usize>(o * c) << 2;
  for (let oc = 0; oc < o; oc++) {
    for (let ci = 0; ci < c; ci++) {
      const src = du + (<usize>(oc * c + ci) << 2);
      const dst = ptr(dw, (oc * c + ci) * 9);
      // T = Gᵀ dU (3×4), column by column; then each row of T times G.
      for (let r = 0; r < 3; r++) {
        let t0: f32 = 0;
        let t1: f32 = 0;
        let t2: f32 = 0;
        let t3: f32 = 0;
        for (let s = 0; s < 4; s++) {
          const u0 = load<f32>(src + <usize>s * step);
          const u1 = load<f32>(src + <usize>(4 + s) * step);
          const u2 = load<f32>(src + <usize>(8 + s) * step);
          const u3 = load<f32>(src + <usize>(12 + s) * step);
          const v: f32 = r == 0 ? u0 + 0.5 * (u1 + u2) : r == 1 ? 0.5 * (u1 - u2) : 0.5 * (u1 + u2) + u3;
          if (s == 0) t0 = v;
          else if (s == 1) t1 = v;
          else if (s == 2) t2 = v;
          else t3 = v;
        }
        store<f32>(dst + (<usize>(r * 3) << 2), t0 + 0.5 * (t1 + t2));
        store<f32>(dst + (<usize>(r * 3 + 1) << 2), 0.5 * (t1 - t2));
        store<f32>(dst + (<usize>(r * 3 + 2) << 2), 0.5 * (t1 + t2) + t3);
      }
    }
  }
}
