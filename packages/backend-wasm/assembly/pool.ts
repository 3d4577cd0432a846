import { ceilDiv } from './conv';
import { claim } from './tasks';

/*
 * 2-D max and average pooling over NCHW planes and their gradients. Threads split the planes.
 * A window's taps along one dim are start + t·dilation; for a kernel column j the output columns
 * whose tap lands inside the row are one contiguous range [lo, hi), so the inner loops run over
 * output columns with no bounds tests: f32x4 over 4 columns at a time (stride 1: one load; stride
 * 2: two loads and an even-lane shuffle; other strides: lane gathers).
 *
 * Args block (i32 fields): 0 planes, 1 H, 2 W, 3 OH, 4 OW, 5 kh, 6 kw, 7 sh, 8 sw, 9 top,
 * 10 bottom, 11 left, 12 right, 13 dh, 14 dw, 15 countIncludePad, 16 x, 17 out, 18 dy,
 * 19 scratch, 20 scratch stride, 21 task counter. Threads claim planes from the counter.
 */

let p_planes: i32 = 0;
let p_h: i32 = 0;
let p_w: i32 = 0;
let p_oh: i32 = 0;
let p_ow: i32 = 0;
let p_kh: i32 = 0;
let p_kw: i32 = 0;
let p_sh: i32 = 0;
let p_sw: i32 = 0;
let p_top: i32 = 0;
let p_bottom: i32 = 0;
let p_left: i32 = 0;
let p_right: i32 = 0;
let p_dh: i32 = 0;
let p_dw: i32 = 0;
let p_includePad: bool = false;

function readPool(args: usize): void {
  p_planes = load<i32>(args);
  p_h = load<i32>(args, 4);
  p_w = load<i32>(args, 8);
  p_oh = load<i32>(args, 12);
  p_ow = load<i32>(args, 16);
  p_kh = load<i32>(args, 20);
  p_kw = load<i32>(args, 24);
  p_sh = load<i32>(args, 28);
  p_sw = load<i32>(args, 32);
  p_top = load<i32>(args, 36);
  p_bottom = load<i32>(args, 40);
  p_left = load<i32>(args, 44);
  p_right = load<i32>(args, 48);
  p_dh = load<i32>(args, 52);
  p_dw = load<i32>(args, 56);
  p_includePad = load<i32>(args, 60) != 0;
}

@inline
function ptr(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** First tap (of `kernel`) inside [0, size) for a window starting at s. */
@inline
function tapLo(s: i32, kernel: i32, dil: i32): i32 {
  return min(kernel, max(0, ceilDiv(-s, dil)));
}

@inline
function tapHi(lo: i32, s: i32, kernel: i32, dil: i32, size: i32): i32 {
  return max(lo, min(kernel, ceilDiv(size - s, dil)));
}

/** Taps inside the padded extent [-padBefore, size + padAfter): countIncludePad's divisor. */
@inline
function tapPadded(s: i32, kernel: i32, dil: i32, size: i32, padAfter: i32): i32 {
  return max(0, min(kernel, ceilDiv(size + padAfter - s, dil)));
}

@inline
function colLo(shift: i32): i32 {
  return min(p_ow, max(0, ceilDiv(-shift, p_sw)));
}

@inline
function colHi(lo: i32, shift: i32): i32 {
  return max(lo, min(p_ow, ceilDiv(p_w - shift, p_sw)));
}

/** Four input values at src + (ow + l)·sw for l < 4. */
@inline
function gather4(src: usize, ow: i32, sw: i32): v128 {
  if (sw == 1) return v128.load(src + (<usize>ow << 2));
  if (sw == 2) {
    const s = src + (<usize>ow << 3);
    return v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6);
  }
  const s = ptr(src, ow * sw);
  const st = <usize>sw << 2;
  let v = f32x4.splat(load<f32>(s));
  v = f32x4.replace_lane(v, 1, load<f32>(s + st));
  v = f32x4.replace_lane(v, 2, load<f32>(s + 2 * st));
  return f32x4.replace_lane(v, 3, load<f32>(s + 3 * st));
}

/** out row [OW] = max (or sum) over the in-bounds taps of output row oh of one plane. */
@inline
function poolRow(x: usize, orow: usize, oh: i32, isMax: bool): void {
  const fill: f32 = isMax ? -Infinity : 0;
  const fv = f32x4.splat(fill);
  let ow = 0;
  for (; ow + 4 <= p_ow; ow += 4) v128.store(orow + (<usize>ow << 2), fv);
  for (; ow < p_ow; ow++) store<f32>(orow + (<usize>ow << 2), fill);
  const s = oh * p_sh - p_top;
  const ilo = tapLo(s, p_kh, p_dh);
  const ihi = tapHi(ilo, s, p_kh, p_dh, p_h);
  for (let i = ilo; i < ihi; i++) {
    const row = ptr(x, (s + i * p_dh) * p_w);
    for (let j = 0; j < p_kw; j++) {
      const shift = j * p_dw - p_left;
      const lo = colLo(shift);
      const hi = colHi(lo, shift);
      const src = ptr(row, shift);
      let c = lo;
      for (; c + 4 <= hi; c += 4) {
        const at = orow + (<usize>c << 2);
        const v = gather4(src, c, p_sw);
        v128.store(at, isMax ? f32x4.max(v128.load(at), v) : f32x4.add(v128.load(at), v));
      }
      for (; c < hi; c++) {
        const at = orow + (<usize>c << 2);
        const v = load<f32>(ptr(src, c * p_sw));
        store<f32>(at, isMax ? max(load<f32>(at), v) : load<f32>(at) + v);
      }
    }
  }
}

/** The divisor of window (oh, ow). */
@inline
function divisor(oh: i32, ow: i32): f32 {
  const s = oh * p_sh - p_top;
  const t = ow * p_sw - p_left;
  if (p_includePad) {
    return <f32>(tapPadded(s, p_kh, p_dh, p_h, p_bottom) * tapPadded(t, p_kw, p_dw, p_w, p_right));
  }
  const ilo = tapLo(s, p_kh, p_dh);
  const jlo = tapLo(t, p_kw, p_dw);
  return <f32>((tapHi(ilo, s, p_kh, p_dh, p_h) - ilo) * (tapHi(jlo, t, p_kw, p_dw, p_w) - jlo));
}

/** x (16) → out (17): window maxima; padding never wins, NaN propagates. */
export function jobMaxPool(args: usize, tid: i32, nt: i32): void {
  readPool(args);
  const x = <usize>load<i32>(args, 64);
  const out = <usize>load<i32>(args, 68);
  for (let pl = claim(args + 84); pl < p_planes; pl = claim(args + 84)) {
    const xp = ptr(x, pl * p_h * p_w);
    for (let oh = 0; oh < p_oh; oh++) poolRow(xp, ptr(out, (pl * p_oh + oh) * p_ow), oh, true);
  }
}

/** x (16) → out (17): window means. */
export function jobAvgPool(args: usize, tid: i32, nt: i32): void {
  readPool(args);
  const x = <usize>load<i32>(args, 64);
  const out = <usize>load<i32>(args, 68);
  for (let pl = claim(args + 84); pl < p_planes; pl = claim(args + 84)) {
    const xp = ptr(x, pl * p_h * p_w);
    for (let oh = 0; oh < p_oh; oh++) {
      const orow = ptr(out, (pl * p_oh + oh) * p_ow);
      poolRow(xp, orow, oh, false);
      for (let ow = 0; ow < p_ow; ow++) {
        const at = orow + (<usize>ow << 2);
        store<f32>(at, load<f32>(at) / divisor(oh, ow));
      }
    }
  }
}

/**
 * dy (18), x (17 is dx, 16 is x) → dx: each window's gradient goes to its first maximum in
 * row-major window order (a NaN takes over), as PyTorch. Columns whose windows lie wholly inside
 * the row run four at a time, keeping the running best and its index per lane; the rest are scalar.
 */
export function jobMaxPoolGrad(args: usize, tid: i32, nt: i32): void {
  readPool(args);
  const x = <usize>load<i32>(args, 64);
  const dx = <usize>load<i32>(args, 68);
  const dy = <usize>load<i32>(args, 72);
  // Output columns whose every tap is inside the row.
  let inLo = 0;
  let inHi = p_ow;
  for (let j = 0; j < p_kw; j++) {
    const shift = j * p_dw - p_left;
    const lo = colLo(shift);
    inLo = max(inLo, lo);
    inHi = min(inHi, colHi(lo, shift));
  }
  if (inHi < inLo) inHi = inLo;
  const lanes = i32x4(0, p_sw, 2 * p_sw, 3 * p_sw);
  for (let pl = claim(args + 84); pl < p_planes; pl = claim(args + 84)) {
    const xp = ptr(x, pl * p_h * p_w);
    const dxp = ptr(dx, pl * p_h * p_w);
    for (let oh = 0; oh < p_oh; oh++) {
      const dyrow = ptr(dy, (pl * p_oh + oh) * p_ow);
      const s = oh * p_sh - p_top;
      const ilo = tapLo(s, p_kh, p_dh);
      const ihi = tapHi(ilo, s, p_kh, p_dh, p_h);
      if (ilo >= ihi) continue;
      let ow = 0;
      for (; ow < p_ow; ow++) {
        if (ow >= inLo && ow + 4 <= inHi) {
          // Four interior columns.
          let best = f32x4.splat(0);
          let idx = i32x4.splat(0);
          let first = true;
          for (let i = ilo; i < ihi; i++) {
            const rowIndex = (s + i * p_dh) * p_w;
            for (let j = 0; j < p_kw; j++) {
              const start = rowIndex + ow * p_sw + j * p_dw - p_left;
              const v = gather4(ptr(xp, rowIndex + j * p_dw - p_left), ow, p_sw);
              const at = i32x4.add(i32x4.splat(start), lanes);
              if (first) {
                best = v;
                idx = at;
                first = false;
              } else {
                const take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
                best = v128.bitselect(v, best, take);
                idx = v128.bitselect(at, idx, take);
              }
            }
          }
          const g = v128.load(dyrow + (<usize>ow << 2));
          let d = ptr(dxp, i32x4.extract_lane(idx, 0));
          store<f32>(d, load<f32>(d) + f32x4.extract_lane(g, 0));
          d = ptr(dxp, i32x4.extract_lane(idx, 1));
          store<f32>(d, load<f32>(d) + f32x4.extract_lane(g, 1));
          d = ptr(dxp, i32x4.extract_lane(idx, 2));
          store<f32>(d, load<f32>(d) + f32x4.extract_lane(g, 2));
          d = ptr(dxp, i32x4.extract_lane(idx, 3));
          store<f32>(d, load<f32>(d) + f32x4.extract_lane(g, 3));
          ow += 3;
          continue;
        }
        const t = ow * p_sw - p_left;
        const jlo = tapLo(t, p_kw, p_dw);
        const jhi = tapHi(jlo, t, p_kw, p_dw, p_w);
        if (jlo >= jhi) continue;
        let m: f32 = -Infinity;
        let at = (s + ilo * p_dh) * p_w + t + jlo * p_dw;
        for (let i = ilo; i < ihi; i++) {
          const row = (s + i * p_dh) * p_w + t;
          for (let j = jlo; j < jhi; j++) {
            const v = load<f32>(ptr(xp, row + j * p_dw));
            if (v > m || v != v) {
              m = v;
              at = row + j * p_dw;
            }
          }
        }
        const d = ptr(dxp, at);
        store<f32>(d, load<f32>(d) + load<f32>(dyrow + (<usize>ow << 2)));
      }
    }
  }
}

/** dy (18) → dx (17): each window spreads dy / divisor over its in-bounds taps. Scratch: one row. */
export function jobAvgPoolGrad(args: usize, tid: i32, nt: i32): void {
  readPool(args);
  const dx = <usize>load<i32>(args, 68);
  const dy = <usize>load<i32>(args, 72);
  const grow = <usize>load<i32>(args, 76) + <usize>tid * <usize>load<i32>(args, 80);
  for (let pl = claim(args + 84); pl < p_planes; pl = claim(args + 84)) {
    const dxp = ptr(dx, pl * p_h * p_w);
    for (let oh = 0; oh < p_oh; oh++) {
      const dyrow = ptr(dy, (pl * p_oh + oh) * p_ow);
      for (let ow = 0; ow < p_ow; ow++) {
        store<f32>(grow + (<usize>ow << 2), load<f32>(dyrow + (<usize>ow << 2)) / divisor(oh, ow));
      }
      const s = oh * p_sh - p_top;
      const ilo = tapLo(s, p_kh, p_dh);
      const ihi = tapHi(ilo, s, p_kh, p_dh, p_h);
      for (let i = ilo; i < ihi; i++) {
        const row = ptr(dxp, (s + i * p_dh) * p_w);
        for (let j = 0; j < p_kw; j++) {
          const shift = j * p_dw - p_left;
          const lo = colLo(shift);
          const hi = colHi(lo, shift);
          const dst = ptr(row, shift);
          let c = lo;
          if (p_sw == 1) {
            for (; c + 4 <= hi; c += 4) {
              const at = dst + (<usize>c << 2);
              v128.store(at, f32x4.add(v128.load(at), v128.load(grow + (<usize>c << 2))));
            }
          }
          for (; c < hi; c++) {
            const at = ptr(dst, c * p_sw);
            store<f32>(at, load<f32>(at) + load<f32>(grow + (<usize>c << 2)));
          }
        }
      }
    }
  }
}
