import { expV } from './math';

/*
 * Float32 reductions and the fused softmax / log-softmax.
 *
 * A reduction walks x once in row-major order; the accumulator is read with stride 0 on the
 * reduced dims. After dim merging the innermost run is either along a reduced dim (fold a
 * contiguous run into one accumulator) or along a kept dim (fold elementwise into a contiguous
 * row of accumulators); both are f32x4 loops. Sums accumulate in f64 (two f64x2 lanes per
 * f32x4), as PyTorch's and the CPU backend's results are that accurate; max/min keep NaN.
 */

const SUM = 0;
const MAX = 1;
const MIN = 2;

@inline
function ptr(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

@inline
function ptr8(base: usize, index: i32): usize {
  return base + (<usize>index << 3);
}

/** Sum of x[0, n) in f64. */
@inline
function sumRun(x: usize, n: i32): f64 {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const v = v128.load(ptr(x, j));
    a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
    a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
  }
  const s = f64x2.add(a0, a1);
  let t = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; j < n; j++) t += <f64>load<f32>(ptr(x, j));
  return t;
}

@inline
function extremeRun(isMax: bool, x: usize, n: i32, init: f32): f32 {
  let m = f32x4.splat(init);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const v = v128.load(ptr(x, j));
    m = isMax ? f32x4.max(m, v) : f32x4.min(m, v);
  }
  const l0 = f32x4.extract_lane(m, 0);
  const l1 = f32x4.extract_lane(m, 1);
  const l2 = f32x4.extract_lane(m, 2);
  const l3 = f32x4.extract_lane(m, 3);
  let r = isMax ? max(max(l0, l1), max(l2, l3)) : min(min(l0, l1), min(l2, l3));
  for (; j < n; j++) {
    const v = load<f32>(ptr(x, j));
    r = isMax ? max(r, v) : min(r, v);
  }
  return r;
}

/**
 * Reduce float32 x into acc over `nd` merged dims at `dims` ([size, strideX, strideAcc] per dim,
 * outermost first). Sum: acc is f64 (zeroed by the caller); Max/Min: acc is the f32 output,
 * filled with ∓Infinity by the caller.
 */
export function reduceF32(op: i32, x: usize, acc: usize, dims: usize, nd: i32): void {
  // No dims left after merging means every dim had size 1: one run of one element (as `binary`).
  let n = 1;
  let sacc = 0;
  let runs = 1;
  if (nd > 0) {
    const last = dims + <usize>(nd - 1) * 12;
    n = load<i32>(last);
    sacc = load<i32>(last, 8);
    for (let d = 0; d < nd - 1; d++) runs *= load<i32>(dims + <usize>d * 12);
  }
  for (let r = 0; r < runs; r++) {
    let rem = r;
    let xo = 0;
    let ao = 0;
    for (let d = nd - 2; d >= 0; d--) {
      const at = dims + <usize>d * 12;
      const size = load<i32>(at);
      const idx = rem % size;
      rem /= size;
      xo += idx * load<i32>(at, 4);
      ao += idx * load<i32>(at, 8);
    }
    const xr = ptr(x, xo);
    if (op == SUM) {
      if (sacc == 0) {
        const at = ptr8(acc, ao);
        store<f64>(at, load<f64>(at) + sumRun(xr, n));
      } else {
        const ar = ptr8(acc, ao);
        let j = 0;
        for (; j + 4 <= n; j += 4) {
          const v = v128.load(ptr(xr, j));
          const a0 = ptr8(ar, j);
          v128.store(a0, f64x2.add(v128.load(a0), f64x2.promote_low_f32x4(v)));
          v128.store(a0, f64x2.add(v128.load(a0, 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1))), 16);
        }
        for (; j < n; j++) {
          const at = ptr8(ar, j);
          store<f64>(at, load<f64>(at) + <f64>load<f32>(ptr(xr, j)));
        }
      }
    } else {
      const isMax = op == MAX;
      if (sacc == 0) {
        const at = ptr(acc, ao);
        store<f32>(at, isMax ? extremeRun(true, xr, n, load<f32>(at)) : extremeRun(false, xr, n, load<f32>(at)));
      } else {
        const ar = ptr(acc, ao);
        let j = 0;
        for (; j + 4 <= n; j += 4) {
          const v = v128.load(ptr(xr, j));
          const a = ptr(ar, j);
          v128.store(a, isMax ? f32x4.max(v128.load(a), v) : f32x4.min(v128.load(a), v));
        }
        for (; j < n; j++) {
          const a = ptr(ar, j);
          const v = load<f32>(ptr(xr, j));
          store<f32>(a, isMax ? max(load<f32>(a), v) : min(load<f32>(a), v));
        }
      }
    }
  }
}

/** dst[i] = f32(src[i]) for an f64 accumulator. */
export function f64ToF32(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(ptr(dst, i), <f32>load<f64>(ptr8(src, i)));
}

/**
 * Softmax / log-softmax of rows of `len` contiguous floats: the max, then exp(x - max) summed in
 * f64, then the normalisation; softmax stores the exps on the way. A NaN makes its row NaN.
 */
export function softmaxRows(x: usize, o: usize, rows: i32, len: i32, log: bool): void {
  for (let r = 0; r < rows; r++) {
    const xr = ptr(x, r * len);
    const orow = ptr(o, r * len);
    const m = extremeRun(true, xr, len, -Infinity);
    const mv = f32x4.splat(m);
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let j = 0;
    for (; j + 4 <= len; j += 4) {
      const e = expV(f32x4.sub(v128.load(ptr(xr, j)), mv));
      if (!log) v128.store(ptr(orow, j), e);
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(e));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1)));
    }
    const sv = f64x2.add(s0, s1);
    let sum = f64x2.extract_lane(sv, 0) + f64x2.extract_lane(sv, 1);
    for (; j < len; j++) {
      const e = Math.exp(<f64>load<f32>(ptr(xr, j)) - <f64>m);
      if (!log) store<f32>(ptr(orow, j), <f32>e);
      sum += e;
    }
    j = 0;
    if (log) {
      // (x − m) − log(sum), not x − (m + log(sum)): at |m| ≈ 1e4 and beyond, m + log(sum) rounds
      // log(sum) to float32's spacing at m (at 3e38 away entirely)
      const logSum = <f32>Math.log(sum);
      const ls = f32x4.splat(logSum);
      for (; j + 4 <= len; j += 4) v128.store(ptr(orow, j), f32x4.sub(f32x4.sub(v128.load(ptr(xr, j)), mv), ls));
      for (; j < len; j++) store<f32>(ptr(orow, j), load<f32>(ptr(xr, j)) - m - logSum);
    } else {
      const scale = <f32>(1 / sum);
      const sc = f32x4.splat(scale);
      for (; j + 4 <= len; j += 4) v128.store(ptr(orow, j), f32x4.mul(v128.load(ptr(orow, j)), sc));
      for (; j < len; j++) store<f32>(ptr(orow, j), load<f32>(ptr(orow, j)) * scale);
    }
  }
}

/**
 * Softmax along an axis that is not innermost: x is [outer, len, inner]; the passes run over the
 * axis outermost, updating `inner` running maxima (f32, at scratch) and sums (f64, after them)
 * along contiguous rows.
 */
export function softmaxAlong(x: usize, o: usize, outer: i32, len: i32, inner: i32, log: bool, scratch: usize): void {
  const mx = scratch;
  const sm = scratch + ((<usize>inner << 2) + 15) & ~(<usize>15);
  for (let q = 0; q < outer; q++) {
    const base = q * len * inner;
    for (let j = 0; j < inner; j++) {
      store<f32>(ptr(mx, j), -Infinity);
      store<f64>(ptr8(sm, j), 0);
    }
    for (let l = 0; l < len; l++) {
      const row = ptr(x, base + l * inner);
      let j = 0;
      for (; j + 4 <= inner; j += 4) v128.store(ptr(mx, j), f32x4.max(v128.load(ptr(mx, j)), v128.load(ptr(row, j))));
      for (; j < inner; j++) store<f32>(ptr(mx, j), max(load<f32>(ptr(mx, j)), load<f32>(ptr(row, j))));
    }
    for (let l = 0; l < len; l++) {
      const row = ptr(x, base + l * inner);
      const orow = ptr(o, base + l * inner);
      let j = 0;
      for (; j + 4 <= inner; j += 4) {
        const e = expV(f32x4.sub(v128.load(ptr(row, j)), v128.load(ptr(mx, j))));
        if (!log) v128.store(ptr(orow, j), e);
        const s = ptr8(sm, j);
        v128.store(s, f64x2.add(v128.load(s), f64x2.promote_low_f32x4(e)));
        v128.store(s, f64x2.add(v128.load(s, 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1))), 16);
      }
      for (; j < inner; j++) {
        const e = Math.exp(<f64>load<f32>(ptr(row, j)) - <f64>load<f32>(ptr(mx, j)));
        if (!log) store<f32>(ptr(orow, j), <f32>e);
        store<f64>(ptr8(sm, j), load<f64>(ptr8(sm, j)) + e);
      }
    }
    for (let j = 0; j < inner; j++) {
      const s = load<f64>(ptr8(sm, j));
      store<f64>(ptr8(sm, j), log ? Math.log(s) : 1 / s);
    }
    for (let l = 0; l < len; l++) {
      const row = ptr(x, base + l * inner);
      const orow = ptr(o, base + l * inner);
      for (let j = 0; j < inner; j++) {
        const s = load<f64>(ptr8(sm, j));
        if (log) store<f32>(ptr(orow, j), <f32>(<f64>load<f32>(ptr(row, j)) - <f64>load<f32>(ptr(mx, j)) - s));
        else store<f32>(ptr(orow, j), <f32>(<f64>load<f32>(ptr(orow, j)) * s));
      }
    }
  }
}

/**
 * Layer normalisation of `rows` contiguous rows of `size`: (x − mean) / sqrt(var + eps) with the
 * biased variance, two passes (the mean, then squared deviations) accumulated in f64x2 as the other
 * sums here; the output in f32x4.
 */
export function layerNormRows(x: usize, o: usize, rows: i32, size: i32, eps: f64): void {
  for (let r = 0; r < rows; r++) {
    const xr = ptr(x, r * size);
    const orow = ptr(o, r * size);
    const sum = sumRun(xr, size);
    const mean = sum / <f64>size;
    const mv = f64x2.splat(mean);
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let j = 0;
    for (; j + 4 <= size; j += 4) {
      const v = v128.load(ptr(xr, j));
      const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), mv);
      const d1 = f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)), mv);
      s0 = f64x2.add(s0, f64x2.mul(d0, d0));
      s1 = f64x2.add(s1, f64x2.mul(d1, d1));
    }
    const sv = f64x2.add(s0, s1);
    let sq = f64x2.extract_lane(sv, 0) + f64x2.extract_lane(sv, 1);
    for (; j < size; j++) {
      const d = <f64>load<f32>(ptr(xr, j)) - mean;
      sq += d * d;
    }
    const rstd = 1 / Math.sqrt(sq / <f64>size + eps);
    // (x − mean) · rstd in f64 per pair of lanes, rounded once to f32 (as the CPU backend).
    const rv = f64x2.splat(rstd);
    j = 0;
    for (; j + 4 <= size; j += 4) {
      const v = v128.load(ptr(xr, j));
      const lo = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(v), mv), rv);
      const hi = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)), mv), rv);
      v128.store(ptr(orow, j), v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
    }
    for (; j < size; j++) store<f32>(ptr(orow, j), <f32>((<f64>load<f32>(ptr(xr, j)) - mean) * rstd));
  }
}
