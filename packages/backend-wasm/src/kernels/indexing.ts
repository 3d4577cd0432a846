import type { KernelAttrs, Shape } from '@myelin/core';
import { sizeOf, stridesOf } from '@myelin/core';
import { dataOf, type WasmKernel, type WasmKernelTable } from './kernel.js';
import { aroundAxis, StridedRuns } from './strided.js';

/*
 * Index-driven kernels (gather/scatter family), ordering (sort, top-k) and scans, in TypeScript
 * over views of the wasm memory: they are data-dependent and rarely hot, and the CPU backend's
 * semantics carry over line for line. Index values are range-checked here.
 */

function checkIndex(op: string, idx: number, size: number, axis: number): void {
  if (idx < 0 || idx >= size) {
    throw new RangeError(`${op}: index ${idx} is out of bounds for dimension ${axis} with size ${size}`);
  }
}

function stridesWithoutAxis(shape: Shape, axis: number): number[] {
  const strides = stridesOf(shape);
  strides[axis] = 0;
  return strides;
}

const gather: WasmKernel<KernelAttrs['Gather']> = (
  rt,
  { inputs: [x, index], attrs: { axis }, outputs: [spec] },
) => {
  const out = rt.allocate(sizeOf(spec!.shape), spec!.dtype);
  if (out.length === 0) return [out];
  const ov = rt.view(out);
  const xv = rt.view(dataOf(x!));
  const iv = rt.view(dataOf(index!));
  const size = x!.shape[axis]!;
  const axisStride = stridesOf(x!.shape)[axis]!;
  const runs = new StridedRuns(index!.shape, [stridesOf(index!.shape), stridesWithoutAxis(x!.shape, axis)]);
  const { offset, step, length } = runs;
  for (let r = 0; r < runs.count; r++) {
    const oi = offset[0]!;
    const xi = offset[1]!;
    const sx = step[1]!;
    for (let j = 0; j < length; j++) {
      const idx = iv[oi + j]!;
      checkIndex('gather', idx, size, axis);
      ov[oi + j] = xv[xi + j * sx + idx * axisStride]!;
    }
    runs.next();
  }
  return [out];
};

function scatterKernel(add: boolean): WasmKernel<{ axis: number }> {
  const op = add ? 'scatterAdd' : 'scatter';
  return (rt, { inputs: [x, index, src], attrs: { axis }, outputs: [spec] }) => {
    const out = rt.allocate(sizeOf(spec!.shape), spec!.dtype);
    if (out.length === 0) return [out];
    const ov = rt.view(out);
    ov.set(rt.view(dataOf(x!)));
    if (sizeOf(index!.shape) === 0) return [out];
    const iv = rt.view(dataOf(index!));
    const sv = rt.view(dataOf(src!));
    const size = x!.shape[axis]!;
    const axisStride = stridesOf(x!.shape)[axis]!;
    const wrap = spec!.dtype === 'int32';
    // bool adds saturate (logical or): a Uint8Array would otherwise hold 2 for true + true
    const bool = spec!.dtype === 'bool';
    const runs = new StridedRuns(index!.shape, [
      stridesOf(index!.shape),
      stridesWithoutAxis(x!.shape, axis),
      stridesOf(src!.shape),
    ]);
    const { offset, step, length } = runs;
    for (let r = 0; r < runs.count; r++) {
      const ii = offset[0]!;
      const xi = offset[1]!;
      const si = offset[2]!;
      const sx = step[1]!;
      const ss = step[2]!;
      for (let j = 0; j < length; j++) {
        const idx = iv[ii + j]!;
        checkIndex(op, idx, size, axis);
        const at = xi + j * sx + idx * axisStride;
        const v = sv[si + j * ss]!;
        if (!add) ov[at] = v;
        else if (bool) ov[at] = ov[at] || v ? 1 : 0;
        else ov[at] = wrap ? (ov[at]! + v) | 0 : ov[at]! + v;
      }
      runs.next();
    }
    return [out];
  };
}

const indexSelect: WasmKernel<KernelAttrs['IndexSelect']> = (
  rt,
  { inputs: [x, index], attrs, outputs: [spec] },
) => {
  const out = rt.allocate(sizeOf(spec!.shape), spec!.dtype);
  const [outer, size, inner] = aroundAxis(x!.shape, attrs.axis);
  const count = sizeOf(index!.shape);
  const iv = count > 0 ? rt.view(dataOf(index!)) : new Int32Array(0);
  for (let k = 0; k < count; k++) checkIndex('indexSelect', iv[k]!, size, attrs.axis);
  if (out.length === 0) return [out];
  const ov = rt.view(out);
  const xv = rt.view(dataOf(x!));
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < count; k++) {
      const xi = (o * size + iv[k]!) * inner;
      const oi = (o * count + k) * inner;
      if (inner > 32) ov.set(xv.subarray(xi, xi + inner), oi);
      else for (let j = 0; j < inner; j++) ov[oi + j] = xv[xi + j]!;
    }
  }
  return [out];
};

// --- ordering ---

/** Whether key a goes strictly before key b: ascending puts NaN last, descending first (PyTorch). */
function before(a: number, b: number, descending: boolean): boolean {
  return descending
    ? a > b || (Number.isNaN(a) && !Number.isNaN(b))
    : a < b || (Number.isNaN(b) && !Number.isNaN(a));
}

const INSERTION_RUN = 16;

/** Stable sort of idx[0, n) by keys[idx[·]]: insertion sort on runs of 16, then bottom-up merges. */
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

const sort: WasmKernel<KernelAttrs['Sort']> = (
  rt,
  { inputs: [x], attrs, outputs: [valuesSpec, indicesSpec] },
) => {
  const values = rt.allocate(sizeOf(valuesSpec!.shape), valuesSpec!.dtype);
  const indices = rt.allocate(sizeOf(indicesSpec!.shape), indicesSpec!.dtype);
  if (values.length === 0) return [values, indices];
  const xv = rt.view(dataOf(x!));
  const vv = rt.view(values);
  const ivv = rt.view(indices);
  const [outer, len, inner] = aroundAxis(x!.shape, attrs.axis);
  const keys = new Float64Array(len);
  const idx = new Int32Array(len);
  const tmp = new Int32Array(len);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * len * inner + j;
      for (let l = 0; l < len; l++) {
        keys[l] = xv[base + l * inner]!;
        idx[l] = l;
      }
      sortIndices(keys, idx, tmp, len, attrs.descending);
      for (let l = 0; l < len; l++) {
        vv[base + l * inner] = keys[idx[l]!]!;
        ivv[base + l * inner] = idx[l]!;
      }
    }
  }
  return [values, indices];
};

const TOPK_INSERTION_MAX = 64;

const topK: WasmKernel<KernelAttrs['TopK']> = (
  rt,
  { inputs: [x], attrs, outputs: [valuesSpec, indicesSpec] },
) => {
  const values = rt.allocate(sizeOf(valuesSpec!.shape), valuesSpec!.dtype);
  const indices = rt.allocate(sizeOf(indicesSpec!.shape), indicesSpec!.dtype);
  const { k } = attrs;
  if (k === 0 || values.length === 0) return [values, indices];
  const xv = rt.view(dataOf(x!));
  const vv = rt.view(values);
  const ivv = rt.view(indices);
  const desc = attrs.largest;
  const len = x!.shape.length === 0 ? 1 : x!.shape[x!.shape.length - 1]!;
  const rows = len === 0 ? 0 : xv.length / len;
  const keys = new Float64Array(len);
  const idx = new Int32Array(len);
  const tmp = new Int32Array(len);
  const topKeys = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    const base = r * len;
    const oi = r * k;
    if (k <= TOPK_INSERTION_MAX) {
      let count = 0;
      for (let l = 0; l < len; l++) {
        const v = xv[base + l]!;
        if (count === k && !before(v, topKeys[k - 1]!, desc)) continue;
        let pos = count < k ? count++ : k - 1;
        while (pos > 0 && before(v, topKeys[pos - 1]!, desc)) {
          topKeys[pos] = topKeys[pos - 1]!;
          ivv[oi + pos] = ivv[oi + pos - 1]!;
          pos--;
        }
        topKeys[pos] = v;
        ivv[oi + pos] = l;
      }
      for (let j = 0; j < k; j++) vv[oi + j] = topKeys[j]!;
    } else {
      for (let l = 0; l < len; l++) {
        keys[l] = xv[base + l]!;
        idx[l] = l;
      }
      sortIndices(keys, idx, tmp, len, desc);
      for (let j = 0; j < k; j++) {
        vv[oi + j] = keys[idx[j]!]!;
        ivv[oi + j] = idx[j]!;
      }
    }
  }
  return [values, indices];
};

// --- scans: along the axis outermost, so each step updates a contiguous row of accumulators ---

function scanKernel(prod: boolean): WasmKernel<{ axis: number; reverse: boolean }> {
  return (rt, { inputs: [x], attrs, outputs: [spec] }) => {
    const out = rt.allocate(sizeOf(spec!.shape), spec!.dtype);
    if (out.length === 0) return [out];
    const xv = rt.view(dataOf(x!));
    const ov = rt.view(out);
    const int = spec!.dtype !== 'float32';
    const [outer, len, inner] = aroundAxis(x!.shape, attrs.axis);
    // Float scans accumulate in float64 (as PyTorch's CPU cumsum); int32 scans wrap.
    const acc = int ? new Int32Array(inner) : new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      acc.fill(prod ? 1 : 0);
      for (let t = 0; t < len; t++) {
        const l = attrs.reverse ? len - 1 - t : t;
        const row = (o * len + l) * inner;
        if (prod) {
          if (int) for (let j = 0; j < inner; j++) ov[row + j] = acc[j] = Math.imul(acc[j]!, xv[row + j]!);
          else for (let j = 0; j < inner; j++) ov[row + j] = acc[j] *= xv[row + j]!;
        } else {
          for (let j = 0; j < inner; j++) ov[row + j] = acc[j] += xv[row + j]!;
        }
      }
    }
    return [out];
  };
}

export const indexingKernels: WasmKernelTable = {
  Gather: gather,
  IndexSelect: indexSelect,
  Scatter: scatterKernel(false),
  ScatterAdd: scatterKernel(true),
  Sort: sort,
  TopK: topK,
  Cumsum: scanKernel(false),
  Cumprod: scanKernel(true),
};
