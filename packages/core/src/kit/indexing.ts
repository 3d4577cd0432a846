import type { DType, TypedArray } from '../dtype.js';
import { type Shape, stridesOf } from '../shape.js';
import { aroundAxis, copyRange, StridedRuns, stridesWithoutAxis } from './strided.js';

/*
 * Reference kernels over typed arrays for the index-driven family (gather, scatter, index-select),
 * ordering (sort, top-k) and scans (cumsum, cumprod), with PyTorch's semantics. Every function
 * writes into output arrays the caller allocated (zero-filled, of the output spec's size), so a
 * backend can pass plain arrays (CPU) or views of its own memory (wasm). Index values are data,
 * which core cannot validate up front, so they are range-checked here with a RangeError.
 */

/** Throws a RangeError naming `op` when `idx` is outside [0, size) along `axis`. */
export function checkIndex(op: string, idx: number, size: number, axis: number): void {
  if (idx < 0 || idx >= size) {
    throw new RangeError(`${op}: index ${idx} is out of bounds for dimension ${axis} with size ${size}`);
  }
}

/** torch.gather: out[…i…] = x[…index[…i…]…] along `axis`; `out` has the index's shape. */
export function gatherInto(
  out: TypedArray,
  x: TypedArray,
  xShape: Shape,
  index: TypedArray,
  indexShape: Shape,
  axis: number,
): void {
  const size = xShape[axis]!;
  const axisStride = stridesOf(xShape)[axis]!;
  const runs = new StridedRuns(indexShape, [stridesOf(indexShape), stridesWithoutAxis(xShape, axis)]);
  const { offset, step, length } = runs;
  for (let r = 0; r < runs.count; r++) {
    const oi = offset[0]!;
    const xi = offset[1]!;
    const sx = step[1]!;
    for (let j = 0; j < length; j++) {
      const idx = index[oi + j]!;
      checkIndex('gather', idx, size, axis);
      out[oi + j] = x[xi + j * sx + idx * axisStride]!;
    }
    runs.next();
  }
}

/**
 * torch.scatter / scatter_add over `out`, which already holds x (shape `xShape`):
 * out[…index[…i…]…] = src[…i…] (or += with `add`) over the index's shape. int32 adds wrap; bool
 * adds saturate (logical or).
 */
export function scatterInto(
  out: TypedArray,
  dtype: DType,
  xShape: Shape,
  index: TypedArray,
  indexShape: Shape,
  src: TypedArray,
  srcShape: Shape,
  axis: number,
  add: boolean,
): void {
  const op = add ? 'scatterAdd' : 'scatter';
  const size = xShape[axis]!;
  const axisStride = stridesOf(xShape)[axis]!;
  const wrap = dtype === 'int32';
  // bool adds saturate (logical or): a Uint8Array would otherwise hold 2 for true + true
  const bool = dtype === 'bool';
  const runs = new StridedRuns(indexShape, [
    stridesOf(indexShape),
    stridesWithoutAxis(xShape, axis),
    stridesOf(srcShape),
  ]);
  const { offset, step, length } = runs;
  for (let r = 0; r < runs.count; r++) {
    const ii = offset[0]!;
    const xi = offset[1]!;
    const si = offset[2]!;
    const sx = step[1]!;
    const ss = step[2]!;
    for (let j = 0; j < length; j++) {
      const idx = index[ii + j]!;
      checkIndex(op, idx, size, axis);
      const at = xi + j * sx + idx * axisStride;
      const v = src[si + j * ss]!;
      if (!add) out[at] = v;
      else if (bool) out[at] = out[at] || v ? 1 : 0;
      else out[at] = wrap ? (out[at]! + v) | 0 : out[at]! + v;
    }
    runs.next();
  }
}

/** Whole slices of x along `axis`, picked by the first `count` entries of a 1-D index. */
export function indexSelectInto(
  out: TypedArray,
  x: TypedArray,
  xShape: Shape,
  index: TypedArray,
  count: number,
  axis: number,
): void {
  const [outer, size, inner] = aroundAxis(xShape, axis);
  for (let k = 0; k < count; k++) checkIndex('indexSelect', index[k]!, size, axis);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < count; k++) {
      copyRange(out, (o * count + k) * inner, x, (o * size + index[k]!) * inner, inner);
    }
  }
}

// --- ordering ---

/**
 * Whether key a goes strictly before key b. Ascending puts NaN last, descending puts it first (both
 * as PyTorch); equal keys are never "before", which keeps sorts stable.
 */
function before(a: number, b: number, descending: boolean): boolean {
  return descending
    ? a > b || (Number.isNaN(a) && !Number.isNaN(b))
    : a < b || (Number.isNaN(b) && !Number.isNaN(a));
}

const INSERTION_RUN = 16;

/**
 * Stable sort of idx[0, n) by keys[idx[·]]: insertion sort on runs of 16, then bottom-up merges
 * that take from the right half only when its head is strictly before the left's.
 */
function sortIndices(keys: Float64Array, idx: Int32Array, tmp: Int32Array, n: number, desc: boolean): void {
  for (let lo = 0; lo < n; lo += INSERTION_RUN) {
    const hi = Math.min(lo + INSERTION_RUN, n);
    for (let i = lo + 1; i < hi; i++) {
      const v = idx[i]!;
      const key = keys[v]!;
      let j = i;
      while (j > lo && before(key, keys[idx[j - 1]!]!, desc)) {
        idx[j] = idx[j - 1]!;
        j--;
      }
      idx[j] = v;
    }
  }
  let src = idx;
  let dst = tmp;
  for (let width = INSERTION_RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let q = lo;
      while (i < mid && j < hi)
        dst[q++] = before(keys[src[j]!]!, keys[src[i]!]!, desc) ? src[j++]! : src[i++]!;
      while (i < mid) dst[q++] = src[i++]!;
      while (j < hi) dst[q++] = src[j++]!;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== idx) idx.set(src.subarray(0, n));
}

/** Stable sort along `axis` (NaN last ascending, first descending): sorted values and their indices. */
export function sortInto(
  values: TypedArray,
  indices: TypedArray,
  x: TypedArray,
  shape: Shape,
  axis: number,
  descending: boolean,
): void {
  const [outer, len, inner] = aroundAxis(shape, axis);
  const keys = new Float64Array(len);
  const idx = new Int32Array(len);
  const tmp = new Int32Array(len);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * len * inner + j;
      for (let l = 0; l < len; l++) {
        keys[l] = x[base + l * inner]!;
        idx[l] = l;
      }
      sortIndices(keys, idx, tmp, len, descending);
      for (let l = 0; l < len; l++) {
        values[base + l * inner] = keys[idx[l]!]!;
        indices[base + l * inner] = idx[l]!;
      }
    }
  }
}

/** Up to this k, top-k keeps a sorted list of k and inserts into it; above, it sorts the whole row. */
const TOPK_INSERTION_MAX = 64;

/** The k largest (or smallest) along the last axis, sorted, ties keeping the lower index first. */
export function topKInto(
  values: TypedArray,
  indices: TypedArray,
  x: TypedArray,
  shape: Shape,
  k: number,
  largest: boolean,
): void {
  if (k === 0) return;
  const desc = largest;
  const len = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const rows = len === 0 ? 0 : x.length / len;
  const keys = new Float64Array(len);
  const idx = new Int32Array(len);
  const tmp = new Int32Array(len);
  const topKeys = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    const base = r * len;
    const oi = r * k;
    if (k <= TOPK_INSERTION_MAX) {
      // Insertion into a sorted top list; a new element goes after equal keys (it has a higher index).
      let count = 0;
      for (let l = 0; l < len; l++) {
        const v = x[base + l]!;
        if (count === k && !before(v, topKeys[k - 1]!, desc)) continue;
        let pos = count < k ? count++ : k - 1;
        while (pos > 0 && before(v, topKeys[pos - 1]!, desc)) {
          topKeys[pos] = topKeys[pos - 1]!;
          indices[oi + pos] = indices[oi + pos - 1]!;
          pos--;
        }
        topKeys[pos] = v;
        indices[oi + pos] = l;
      }
      for (let j = 0; j < k; j++) values[oi + j] = topKeys[j]!;
    } else {
      for (let l = 0; l < len; l++) {
        keys[l] = x[base + l]!;
        idx[l] = l;
      }
      sortIndices(keys, idx, tmp, len, desc);
      for (let j = 0; j < k; j++) {
        values[oi + j] = keys[idx[j]!]!;
        indices[oi + j] = idx[j]!;
      }
    }
  }
}

// --- scans ---

/**
 * Cumulative sum (or product with `prod`) along `axis`, from the end with `reverse`. Float scans
 * accumulate in float64 (as PyTorch's CPU cumsum); other dtypes accumulate in int32 and wrap. The
 * axis is walked outermost so each step updates a contiguous row of accumulators.
 */
export function scanInto(
  out: TypedArray,
  x: TypedArray,
  shape: Shape,
  dtype: DType,
  axis: number,
  reverse: boolean,
  prod: boolean,
): void {
  const int = dtype !== 'float32';
  const [outer, len, inner] = aroundAxis(shape, axis);
  const acc = int ? new Int32Array(inner) : new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(prod ? 1 : 0);
    for (let t = 0; t < len; t++) {
      const l = reverse ? len - 1 - t : t;
      const row = (o * len + l) * inner;
      if (!prod) {
        if (int) for (let j = 0; j < inner; j++) out[row + j] = acc[j] = (acc[j]! + x[row + j]!) | 0;
        else for (let j = 0; j < inner; j++) out[row + j] = acc[j] += x[row + j]!;
      } else if (int) for (let j = 0; j < inner; j++) out[row + j] = acc[j] = Math.imul(acc[j]!, x[row + j]!);
      else for (let j = 0; j < inner; j++) out[row + j] = acc[j] *= x[row + j]!;
    }
  }
}
