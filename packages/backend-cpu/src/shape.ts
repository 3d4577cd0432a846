import type { KernelAttrs, Shape, TypedArray } from '@myelin/core';
import { stridesOf } from '@myelin/core';
import { allocate, type CpuKernel, type CpuKernelTable, valuesOf } from './kernel.js';
import { aroundAxis } from './reduce.js';
import { copyRange, copyRuns, StridedRuns } from './strided.js';

/*
 * Data-movement kernels. Slice, Pad, Tile and Flip are all "separable gathers": each output
 * coordinate along dim d reads input coordinate map_d[i] (or the fill value where the map says -1),
 * independently per dim. So each builds one small index map per dim and shares one copy loop.
 */

/**
 * out[i0, …, iN] = x[map0[i0], …, mapN[iN]], or `fill` where any map entry is -1. Walks the output
 * row by row; a last-dim map that is a contiguous range becomes a straight copy.
 */
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
    out[0] = x[0];
    return;
  }
  const inStrides = stridesOf(inShape);
  const last = maps[rank - 1];
  const width = outShape[rank - 1];
  if (width === 0 || out.length === 0) return;
  let contiguous = true;
  for (let j = 0; j < width && contiguous; j++) contiguous = last[j] >= 0 && last[j] === last[0] + j;
  const rows = out.length / width;
  const index = new Array<number>(rank - 1).fill(0);
  for (let r = 0; r < rows; r++) {
    // Input offset of this output row; -1 in any outer map fills the whole row.
    let base = 0;
    let filled = false;
    for (let d = 0; d < rank - 1; d++) {
      const src = maps[d][index[d]];
      if (src < 0) filled = true;
      base += src * inStrides[d];
    }
    const oi = r * width;
    if (filled) out.fill(fill, oi, oi + width);
    else if (contiguous) copyRange(out, oi, x, base + last[0], width);
    else {
      for (let j = 0; j < width; j++) {
        const src = last[j];
        out[oi + j] = src < 0 ? fill : x[base + src];
      }
    }
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d] < outShape[d]) break;
      index[d] = 0;
    }
  }
}

/** A per-dim map of `size` output coordinates. */
function makeMap(size: number, at: (i: number) => number): Int32Array {
  const map = new Int32Array(size);
  for (let i = 0; i < size; i++) map[i] = at(i);
  return map;
}

const slice: CpuKernel<KernelAttrs['Slice']> = ({ inputs: [x], attrs, outputs: [spec] }) => {
  const out = allocate(spec);
  const maps = spec.shape.map((size, d) => makeMap(size, (i) => attrs.begin[d] + i * attrs.step[d]));
  gatherSeparable(valuesOf(x), x.shape, maps, spec.shape, out, 0);
  return [out];
};

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

const pad: CpuKernel<KernelAttrs['Pad']> = ({ inputs: [x], attrs, outputs: [spec] }) => {
  const out = allocate(spec);
  const maps = spec.shape.map((size, d) =>
    makeMap(size, (i) => padSource(i - attrs.pads[2 * d], x.shape[d], attrs.mode)),
  );
  gatherSeparable(valuesOf(x), x.shape, maps, spec.shape, out, attrs.value);
  return [out];
};

const tile: CpuKernel<KernelAttrs['Tile']> = ({ inputs: [x], outputs: [spec] }) => {
  const out = allocate(spec);
  const maps = spec.shape.map((size, d) => makeMap(size, (i) => i % x.shape[d]));
  gatherSeparable(valuesOf(x), x.shape, maps, spec.shape, out, 0);
  return [out];
};

const flip: CpuKernel<KernelAttrs['Flip']> = ({ inputs: [x], attrs, outputs: [spec] }) => {
  const out = allocate(spec);
  const maps = spec.shape.map((size, d) => makeMap(size, (i) => (attrs.axes.includes(d) ? size - 1 - i : i)));
  gatherSeparable(valuesOf(x), x.shape, maps, spec.shape, out, 0);
  return [out];
};

/** Walk the output in row-major order reading x through permuted strides. */
const transpose: CpuKernel<KernelAttrs['Transpose']> = ({ inputs: [x], attrs, outputs: [spec] }) => {
  const out = allocate(spec);
  const xStrides = stridesOf(x.shape);
  const permuted = attrs.perm.map((d) => xStrides[d]);
  copyRuns(new StridedRuns(spec.shape, [stridesOf(spec.shape), permuted]), valuesOf(x), out);
  return [out];
};

/** Each outer index takes one block from every input in turn. */
const concat: CpuKernel<KernelAttrs['Concat']> = ({ inputs, attrs, outputs: [spec] }) => {
  const out = allocate(spec);
  const [outer, , inner] = aroundAxis(spec.shape, attrs.axis);
  const outBlock = spec.shape[attrs.axis] * inner;
  let start = 0;
  for (const input of inputs) {
    const xv = valuesOf(input);
    const block = input.shape[attrs.axis] * inner;
    for (let o = 0; o < outer; o++) copyRange(out, o * outBlock + start, xv, o * block, block);
    start += block;
  }
  return [out];
};

export const shapeKernels: CpuKernelTable = {
  Transpose: transpose,
  Slice: slice,
  Concat: concat,
  Pad: pad,
  Tile: tile,
  Flip: flip,
};
