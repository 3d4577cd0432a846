import type { OutputSpec } from '../backend.js';
import type { TypedArray } from '../dtype.js';
import type { KernelAttrs, KernelName } from '../kernels.js';
import type { Shape } from '../shape.js';
import { gatherInto, indexSelectInto, scanInto, scatterInto, sortInto, topKInto } from './indexing.js';
import {
  concatInto,
  flipMaps,
  gatherSeparable,
  padMaps,
  sliceMaps,
  tileMaps,
  transposeInto,
} from './movement.js';

/**
 * What a host kernel sees: each input's elements and shape, the attrs, and one array per output
 * spec to fill. Output arrays need not be zeroed: every host kernel writes every output element.
 */
export interface HostKernelArgs<A> {
  readonly values: readonly TypedArray[];
  readonly shapes: readonly Shape[];
  readonly attrs: A;
  readonly outputs: readonly TypedArray[];
  readonly specs: readonly OutputSpec[];
}

/** A reference kernel over typed arrays, for any backend whose storage the host can view. */
export type HostKernel<A> = (args: HostKernelArgs<A>) => void;

/** Host kernels by kernel name. */
export type HostKernelTable = { readonly [K in KernelName]?: HostKernel<KernelAttrs[K]> };

function scatter(add: boolean): HostKernel<{ axis: number }> {
  return ({
    values: [x, index, src],
    shapes: [xShape, indexShape, srcShape],
    attrs,
    outputs: [out],
    specs,
  }) => {
    out!.set(x!);
    scatterInto(out!, specs[0]!.dtype, xShape!, index!, indexShape!, src!, srcShape!, attrs.axis, add);
  };
}

function scan(prod: boolean): HostKernel<{ axis: number; reverse: boolean }> {
  return ({ values: [x], shapes: [shape], attrs, outputs: [out], specs }) =>
    scanInto(out!, x!, shape!, specs[0]!.dtype, attrs.axis, attrs.reverse, prod);
}

/** A separable gather (Slice, Pad, Tile, Flip) from its per-dim maps and fill value. */
function separable<A>(
  maps: (attrs: A, inShape: Shape, outShape: Shape) => Int32Array[],
  fill: (attrs: A) => number = () => 0,
): HostKernel<A> {
  return ({ values: [x], shapes: [inShape], attrs, outputs: [out], specs: [spec] }) =>
    gatherSeparable(x!, inShape!, maps(attrs, inShape!, spec!.shape), spec!.shape, out!, fill(attrs));
}

/**
 * The reference kernels that both host backends (CPU, and wasm's host code) run as they are:
 * the index-driven family, ordering, scans and data movement, with PyTorch's semantics. Index
 * values are range-checked (RangeError naming the op).
 */
export const HOST_KERNELS: HostKernelTable = {
  Gather: ({ values: [x, index], shapes: [xShape, indexShape], attrs, outputs: [out] }) =>
    gatherInto(out!, x!, xShape!, index!, indexShape!, attrs.axis),
  IndexSelect: ({ values: [x, index], shapes: [xShape], attrs, outputs: [out] }) =>
    indexSelectInto(out!, x!, xShape!, index!, index!.length, attrs.axis),
  Scatter: scatter(false),
  ScatterAdd: scatter(true),
  Sort: ({ values: [x], shapes: [shape], attrs, outputs: [values, indices] }) =>
    sortInto(values!, indices!, x!, shape!, attrs.axis, attrs.descending),
  TopK: ({ values: [x], shapes: [shape], attrs, outputs: [values, indices] }) =>
    topKInto(values!, indices!, x!, shape!, attrs.k, attrs.largest),
  Cumsum: scan(false),
  Cumprod: scan(true),
  Transpose: ({ values: [x], shapes: [shape], attrs, outputs: [out], specs: [spec] }) =>
    transposeInto(out!, x!, shape!, attrs.perm, spec!.shape),
  Concat: ({ values, shapes, attrs, outputs: [out], specs: [spec] }) =>
    concatInto(out!, spec!.shape, attrs.axis, shapes, (i) => values[i]!),
  Slice: separable<KernelAttrs['Slice']>((attrs, _in, out) => sliceMaps(attrs, out)),
  Pad: separable<KernelAttrs['Pad']>(padMaps, (attrs) => attrs.value),
  Tile: separable<KernelAttrs['Tile']>((_attrs, inShape, out) => tileMaps(inShape, out)),
  Flip: separable<KernelAttrs['Flip']>((attrs, _in, out) => flipMaps(attrs, out)),
};
