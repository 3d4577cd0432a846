import type { KernelAttrs, Shape, TypedArray } from '@myelin/core';
import { stridesOf } from '@myelin/core';
import { allocate, type CpuKernel, type CpuKernelTable, valuesOf } from './kernel.js';
import { aroundAxis } from './reduce.js';
import { StridedRuns } from './strided.js';

/*
 * Index-driven kernels (gather/scatter family), ordering (sort, top-k) and scans (cumsum/cumprod).
 * Index values are data, which core cannot validate up front, so they are range-checked here.
 */

function checkIndex(op: string, idx: number, size: number, axis: number): void {
  if (idx < 0 || idx >= size) {
    throw new RangeError(`${op}: index ${idx} is out of bounds for dimension ${axis} with size ${size}`);
  }
}

/** Row-major strides of `shape` with the stride of `axis` zeroed (the index supplies that coordinate). */
function stridesWithoutAxis(shape: Shape, axis: number): number[] {
  const strides = stridesOf(shape);
  strides[axis] = 0;
  return strides;
}

/** torch.gather: out[…i…] = x[…index[…i…]…] along `axis`; out has the index's shape. */
const gather: CpuKernel<KernelAttrs['Gather']> = ({
  inputs: [x, index],
  attrs: { axis },
  outputs: [spec],
}) => {
  const out = allocate(spec);
  const xv = valuesOf(x);
  const iv = valuesOf(index);
  const size = x.shape[axis];
  const axisStride = stridesOf(x.shape)[axis];
  const runs = new StridedRuns(index.shape, [stridesOf(index.shape), stridesWithoutAxis(x.shape, axis)]);
  const { offset, step, length } = runs;
  for (let r = 0; r < runs.count; r++) {
    const oi = offset[0];
    const xi = offset[1];
    const sx = step[1];
    for (let j = 0; j < length; j++) {
      const idx = iv[oi + j];
      checkIndex('gather', idx, size, axis);
      out[oi + j] = xv[xi + j * sx + idx * axisStride];
    }
    runs.next();
  }
  return [out];
};

/** torch.scatter / scatter_add: out = x, then out[…index[…i…]…] (+)= src[…i…] over the index's shape. */
function scatterKernel(add: boolean): CpuKernel<{ axis: number }> {
  const op = add ? 'scatterAdd' : 'scatter';
  return ({ inputs: [x, index, src], attrs: { axis }, outputs: [spec] }) => {
    const out = allocate(spec);
    out.set(valuesOf(x));
    const iv = valuesOf(index);
    const sv = valuesOf(src);
    const size = x.shape[axis];
    const axisStride = stridesOf(x.shape)[axis];
    const wrap = spec.dtype === 'int32';
    // bool adds saturate (logical or): a Uint8Array would otherwise hold 2 for true + true
    const bool = spec.dtype === 'bool';
    const runs = new StridedRuns(index.shape, [
      stridesOf(index.shape),
      stridesWithoutAxis(x.shape, axis),
      stridesOf(src.shape),
    ]);
    const { offset, step, length } = runs;
    for (let r = 0; r < runs.count; r++) {
      const ii = offset[0];
      const xi = offset[1];
      const si = offset[2];
      const sx = step[1];
      const ss = step[2];
      for (let j = 0; j < length; j++) {
        const idx = iv[ii + j];
        checkIndex(op, idx, size, axis);
        const at = xi + j * sx + idx * axisStride;
        const v = sv[si + j * ss];
        if (!add) out[at] = v;
        else if (bool) out[at] = out[at] || v ? 1 : 0;
        else out[at] = wrap ? (out[at] + v) | 0 : out[at] + v;
      }
      runs.next();
    }
    return [out];
  };
}

/** Whole slices of x along `axis`, picked by a 1-D index. */
const indexSelect: CpuKernel<KernelAttrs['IndexSelect']> = ({
  inputs: [x, index],
  attrs,
  outputs: [spec],
}) => {
  const out = allocate(spec);
  const xv = valuesOf(x);
  const iv = valuesOf(index);
  const [outer, size, inner] = aroundAxis(x.shape, attrs.axis);
  const count = iv.length;
  for (let k = 0; k < count; k++) checkIndex('indexSelect', iv[k], size, attrs.axis);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < count; k++) {
      const xi = (o * size + iv[k]) * inner;
      const oi = (o * count + k) * inner;
      for (let j = 0; j < inner; j++) out[oi + j] = xv[xi + j];
    }
  }
  return [out];
};

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
      const v = idx[i];
      const key = keys[v];
      let j = i;
      while (j > lo && before(key, keys[idx[j - 1]], desc)) {
        idx[j] = idx[j - 1];
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
      while (i < mid && j < hi) dst[q++] = before(keys[src[j]], keys[src[i]], desc) ? src[j++] : src[i++];
      while (i < mid) dst[q++] = src[i++];
      while (j < hi) dst[q++] = src[j++];
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== idx) idx.set(src.subarray(0, n));
}

/** Stable sort along `axis`: each (outer, inner) line is copied into `keys`, sorted, written back. */
const sort: CpuKernel<KernelAttrs['Sort']> = ({ inputs: [x], attrs, outputs: [valuesSpec, indicesSpec] }) => {
  const xv = valuesOf(x);
  const values = allocate(valuesSpec);
  const indices = allocate(indicesSpec);
  const [outer, len, inner] = aroundAxis(x.shape, attrs.axis);
  const keys = new Float64Array(len);
  const idx = new Int32Array(len);
  const tmp = new Int32Array(len);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * len * inner + j;
      for (let l = 0; l < len; l++) {
        keys[l] = xv[base + l * inner];
        idx[l] = l;
      }
      sortIndices(keys, idx, tmp, len, attrs.descending);
      for (let l = 0; l < len; l++) {
        values[base + l * inner] = keys[idx[l]];
        indices[base + l * inner] = idx[l];
      }
    }
  }
  return [values, indices];
};

/** Up to this k, top-k keeps a sorted list of k and inserts into it; above, it sorts the whole row. */
const TOPK_INSERTION_MAX = 64;

/** The k largest (or smallest) along the last axis, sorted, ties keeping the lower index first. */
const topK: CpuKernel<KernelAttrs['TopK']> = ({ inputs: [x], attrs, outputs: [valuesSpec, indicesSpec] }) => {
  const xv = valuesOf(x);
  const values = allocate(valuesSpec);
  const indices = allocate(indicesSpec);
  const { k } = attrs;
  const desc = attrs.largest;
  if (k === 0) return [values, indices];
  const len = x.shape.length === 0 ? 1 : x.shape[x.shape.length - 1];
  const rows = len === 0 ? 0 : xv.length / len;
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
        const v = xv[base + l];
        if (count === k && !before(v, topKeys[k - 1], desc)) continue;
        let pos = count < k ? count++ : k - 1;
        while (pos > 0 && before(v, topKeys[pos - 1], desc)) {
          topKeys[pos] = topKeys[pos - 1];
          indices[oi + pos] = indices[oi + pos - 1];
          pos--;
        }
        topKeys[pos] = v;
        indices[oi + pos] = l;
      }
      for (let j = 0; j < k; j++) values[oi + j] = topKeys[j];
    } else {
      for (let l = 0; l < len; l++) {
        keys[l] = xv[base + l];
        idx[l] = l;
      }
      sortIndices(keys, idx, tmp, len, desc);
      for (let j = 0; j < k; j++) {
        values[oi + j] = keys[idx[j]];
        indices[oi + j] = idx[j];
      }
    }
  }
  return [values, indices];
};

// --- scans ---

/** One step of a scan along the axis: acc[j] ⊕= x[row + j]; out[row + j] = acc[j] for j < n. */
type ScanStep = (
  acc: Float64Array | Int32Array,
  x: TypedArray,
  out: TypedArray,
  row: number,
  n: number,
) => void;

/** Float scans accumulate in float64 (as PyTorch's CPU cumsum); int32 scans wrap. */
const SCANS: Record<'Sum' | 'Prod' | 'SumInt' | 'ProdInt', ScanStep> = {
  Sum: (acc, x, out, row, n) => {
    for (let j = 0; j < n; j++) out[row + j] = acc[j] += x[row + j];
  },
  Prod: (acc, x, out, row, n) => {
    for (let j = 0; j < n; j++) out[row + j] = acc[j] *= x[row + j];
  },
  SumInt: (acc, x, out, row, n) => {
    for (let j = 0; j < n; j++) out[row + j] = acc[j] = (acc[j] + x[row + j]) | 0;
  },
  ProdInt: (acc, x, out, row, n) => {
    for (let j = 0; j < n; j++) out[row + j] = acc[j] = Math.imul(acc[j], x[row + j]);
  },
};

/** Scan along the axis outermost so each step updates a contiguous row of `inner` accumulators. */
function scanKernel(prod: boolean): CpuKernel<{ axis: number; reverse: boolean }> {
  return ({ inputs: [x], attrs, outputs: [spec] }) => {
    const xv = valuesOf(x);
    const out = allocate(spec);
    const int = spec.dtype !== 'float32';
    const scan = SCANS[prod ? (int ? 'ProdInt' : 'Prod') : int ? 'SumInt' : 'Sum'];
    const [outer, len, inner] = aroundAxis(x.shape, attrs.axis);
    const acc = int ? new Int32Array(inner) : new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      acc.fill(prod ? 1 : 0);
      for (let t = 0; t < len; t++) {
        const l = attrs.reverse ? len - 1 - t : t;
        scan(acc, xv, out, (o * len + l) * inner, inner);
      }
    }
    return [out];
  };
}

export const indexingKernels: CpuKernelTable = {
  Gather: gather,
  IndexSelect: indexSelect,
  Scatter: scatterKernel(false),
  ScatterAdd: scatterKernel(true),
  Sort: sort,
  TopK: topK,
  Cumsum: scanKernel(false),
  Cumprod: scanKernel(true),
};
