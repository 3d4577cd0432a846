import type { KernelAttrs, Shape, TypedArray } from '@myelin/core';
import { sizeOf, stridesOf } from '@myelin/core';
import { copyRuns } from './elementwise.js';
import { dataOf, type WasmKernel, type WasmKernelTable } from './kernel.js';
import { aroundAxis, StridedRuns } from './strided.js';

/*
 * Data-movement kernels, in TypeScript over views of the wasm memory (they move bytes; typed-array
 * `set`/`fill` are memcpy/memset). Slice, Pad, Tile and Flip are "separable gathers": output
 * coordinate i along dim d reads input coordinate map_d[i] (or the fill value where it is -1), so
 * each builds one index map per dim and shares one copy loop.
 */

/** dst[di .. di + n) = src[si .. si + n). */
function copyRange(dst: TypedArray, di: number, src: TypedArray, si: number, n: number): void {
  if (n > 32) dst.set(src.subarray(si, si + n), di);
  else for (let j = 0; j < n; j++) dst[di + j] = src[si + j]!;
}

function gatherSeparable(
  x: TypedArray,
  inShape: Shape,
  maps: Int32Array[],
  outShape: Shape,
  out: TypedArray,
  fill: number,
): void {
  const rank = outShape.length;
  if (rank === 0) {
    out[0] = x[0]!;
    return;
  }
  const inStrides = stridesOf(inShape);
  const last = maps[rank - 1]!;
  const width = outShape[rank - 1]!;
  if (width === 0 || out.length === 0) return;
  let contiguous = true;
  for (let j = 0; j < width && contiguous; j++) contiguous = last[j]! >= 0 && last[j] === last[0]! + j;
  // Whole input rows: consecutive output rows that read consecutive input rows (a slice or pad of
  // leading dims) merge into one copy, and consecutive fill rows into one fill.
  const whole = contiguous && width === inShape[rank - 1]!;
  const rows = out.length / width;
  const index = new Array<number>(rank - 1).fill(0);
  // The pending run: `runRows` rows from output row `runStart`, filled (runSrc < 0) or copied from runSrc.
  let runStart = 0;
  let runRows = 0;
  let runSrc = -1;
  const flush = () => {
    if (runRows === 0) return;
    if (runSrc < 0) out.fill(fill, runStart * width, (runStart + runRows) * width);
    else copyRange(out, runStart * width, x, runSrc, runRows * width);
    runRows = 0;
  };
  for (let r = 0; r < rows; r++) {
    let base = 0;
    let filled = false;
    for (let d = 0; d < rank - 1; d++) {
      const src = maps[d]![index[d]!]!;
      if (src < 0) filled = true;
      base += src * inStrides[d]!;
    }
    const oi = r * width;
    if (whole || filled) {
      const src = filled ? -1 : base + last[0]!;
      const extends_ =
        runRows > 0 && (src < 0 ? runSrc < 0 : runSrc >= 0 && src === runSrc + runRows * width);
      if (!extends_) {
        flush();
        runStart = r;
        runSrc = src;
      }
      runRows++;
    } else {
      flush();
      if (contiguous) copyRange(out, oi, x, base + last[0]!, width);
      else {
        for (let j = 0; j < width; j++) {
          const src = last[j]!;
          out[oi + j] = src < 0 ? fill : x[base + src]!;
        }
      }
    }
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d]! < outShape[d]!) break;
      index[d] = 0;
    }
  }
  flush();
}

function makeMap(size: number, at: (i: number) => number): Int32Array {
  const map = new Int32Array(size);
  for (let i = 0; i < size; i++) map[i] = at(i);
  return map;
}

/** A kernel that fills its one output from x through per-dim index maps. */
function separable<A>(
  maps: (attrs: A, inShape: Shape, outShape: Shape) => Int32Array[],
  fill?: (attrs: A) => number,
): WasmKernel<A> {
  return (rt, { inputs: [x], attrs, outputs: [spec] }) => {
    const out = rt.allocate(sizeOf(spec!.shape), spec!.dtype);
    if (out.length === 0) return [out];
    const xv = rt.view(dataOf(x!));
    gatherSeparable(
      xv,
      x!.shape,
      maps(attrs, x!.shape, spec!.shape),
      spec!.shape,
      rt.view(out),
      fill ? fill(attrs) : 0,
    );
    return [out];
  };
}

/** Reflect (edge excluded, as PyTorch) or clamp an out-of-range coordinate into [0, size). */
function padSource(i: number, size: number, mode: 'constant' | 'reflect' | 'replicate'): number {
  if (i >= 0 && i < size) return i;
  if (mode === 'constant') return -1;
  if (mode === 'replicate' || size === 1) return i < 0 ? 0 : size - 1;
  const period = 2 * (size - 1);
  let r = i % period;
  if (r < 0) r += period;
  return r < size ? r : period - r;
}

const slice = separable<KernelAttrs['Slice']>((attrs, _in, out) =>
  out.map((size, d) => makeMap(size, (i) => attrs.begin[d]! + i * attrs.step[d]!)),
);

const pad = separable<KernelAttrs['Pad']>(
  (attrs, inShape, out) =>
    out.map((size, d) => makeMap(size, (i) => padSource(i - attrs.pads[2 * d]!, inShape[d]!, attrs.mode))),
  (attrs) => attrs.value,
);

const tile = separable<KernelAttrs['Tile']>((_attrs, inShape, out) =>
  out.map((size, d) => makeMap(size, (i) => i % inShape[d]!)),
);

const flip = separable<KernelAttrs['Flip']>((attrs, _in, out) =>
  out.map((size, d) => makeMap(size, (i) => (attrs.axes.includes(d) ? size - 1 - i : i))),
);

/** Walk the output in row-major order reading x through permuted strides. */
const transpose: WasmKernel<KernelAttrs['Transpose']> = (rt, { inputs: [x], attrs, outputs: [spec] }) => {
  const out = rt.allocate(sizeOf(spec!.shape), spec!.dtype);
  if (out.length === 0) return [out];
  const xStrides = stridesOf(x!.shape);
  const permuted = attrs.perm.map((d) => xStrides[d]!);
  const xv = rt.view(dataOf(x!));
  copyRuns(new StridedRuns(spec!.shape, [stridesOf(spec!.shape), permuted]), xv, rt.view(out));
  return [out];
};

/** Each outer index takes one block from every input in turn. */
const concat: WasmKernel<KernelAttrs['Concat']> = (rt, { inputs, attrs, outputs: [spec] }) => {
  const out = rt.allocate(sizeOf(spec!.shape), spec!.dtype);
  if (out.length === 0) return [out];
  const ov = rt.view(out);
  const [outer, , inner] = aroundAxis(spec!.shape, attrs.axis);
  const outBlock = spec!.shape[attrs.axis]! * inner;
  let start = 0;
  for (const input of inputs) {
    const block = input.shape[attrs.axis]! * inner;
    if (block > 0) {
      const xv = rt.view(dataOf(input));
      for (let o = 0; o < outer; o++) copyRange(ov, o * outBlock + start, xv, o * block, block);
    }
    start += block;
  }
  return [out];
};

export const shapeKernels: WasmKernelTable = {
  Transpose: transpose,
  Slice: slice,
  Concat: concat,
  Pad: pad,
  Tile: tile,
  Flip: flip,
};
