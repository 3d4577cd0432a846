import type { TypedArray } from '../dtype.js';
import type { KernelAttrs } from '../kernels.js';
import { type Shape, stridesOf } from '../shape.js';
import { aroundAxis, copyRange, copyRuns, StridedRuns } from './strided.js';

/*
 * Data-movement reference kernels. Slice, Pad, Tile and Flip are "separable gathers": output coordinate i along dim d reads input
 * coordinate map_d[i] (or the fill value where the map says -1), independently per dim. Each builds
 * one small index map per dim (the `*Maps` functions below) and shares one copy loop.
 */

/**
 * out[i0, …, iN] = x[map0[i0], …, mapN[iN]], or `fill` where any map entry is -1. Walks the output
 * row by row; a last-dim map that is a contiguous range becomes a straight copy, and consecutive
 * whole rows (a slice or pad of leading dims) merge into one copy or one fill.
 */
export function gatherSeparable(
  x: TypedArray,
  inShape: Shape,
  maps: readonly Int32Array[],
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
    // Input offset of this output row; -1 in any outer map fills the whole row.
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

/** A per-dim map of `size` output coordinates. */
function makeMap(size: number, at: (i: number) => number): Int32Array {
  const map = new Int32Array(size);
  for (let i = 0; i < size; i++) map[i] = at(i);
  return map;
}

/** Reflect (edge excluded, as PyTorch) or clamp an out-of-range coordinate into [0, size); -1 for constant. */
export function padSource(i: number, size: number, mode: 'constant' | 'reflect' | 'replicate'): number {
  if (i >= 0 && i < size) return i;
  if (mode === 'constant') return -1;
  if (mode === 'replicate' || size === 1) return i < 0 ? 0 : size - 1;
  const period = 2 * (size - 1);
  let r = i % period;
  if (r < 0) r += period;
  return r < size ? r : period - r;
}

/** Per-dim maps of `Slice`: begin + i·step. */
export function sliceMaps(attrs: KernelAttrs['Slice'], outShape: Shape): Int32Array[] {
  return outShape.map((size, d) => makeMap(size, (i) => attrs.begin[d]! + i * attrs.step[d]!));
}

/** Per-dim maps of `Pad` (fill with `attrs.value` where a map says -1). */
export function padMaps(attrs: KernelAttrs['Pad'], inShape: Shape, outShape: Shape): Int32Array[] {
  return outShape.map((size, d) =>
    makeMap(size, (i) => padSource(i - attrs.pads[2 * d]!, inShape[d]!, attrs.mode)),
  );
}

/** Per-dim maps of `Tile`: i mod the input's size. */
export function tileMaps(inShape: Shape, outShape: Shape): Int32Array[] {
  return outShape.map((size, d) => makeMap(size, (i) => i % inShape[d]!));
}

/** Per-dim maps of `Flip`: reversed along `attrs.axes`. */
export function flipMaps(attrs: KernelAttrs['Flip'], outShape: Shape): Int32Array[] {
  return outShape.map((size, d) => makeMap(size, (i) => (attrs.axes.includes(d) ? size - 1 - i : i)));
}

/** Transpose: walk the output in row-major order reading x through permuted strides. */
export function transposeInto(
  out: TypedArray,
  x: TypedArray,
  xShape: Shape,
  perm: readonly number[],
  outShape: Shape,
): void {
  const xStrides = stridesOf(xShape);
  const permuted = perm.map((d) => xStrides[d]!);
  copyRuns(new StridedRuns(outShape, [stridesOf(outShape), permuted]), x, out);
}

/**
 * Concat along `axis`: each outer index takes one block from every input in turn. `values(i)` gives
 * input i's elements; it is only asked for inputs with elements (a backend may not view empty storage).
 */
export function concatInto(
  out: TypedArray,
  outShape: Shape,
  axis: number,
  shapes: readonly Shape[],
  values: (i: number) => TypedArray,
): void {
  const [outer, , inner] = aroundAxis(outShape, axis);
  const outBlock = outShape[axis]! * inner;
  let start = 0;
  for (let i = 0; i < shapes.length; i++) {
    const block = shapes[i]![axis]! * inner;
    if (block > 0) {
      const xv = values(i);
      for (let o = 0; o < outer; o++) copyRange(out, o * outBlock + start, xv, o * block, block);
    }
    start += block;
  }
}
