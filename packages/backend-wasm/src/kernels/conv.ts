import type { Conv2dAttrs, Pool2dAttrs, Shape } from '@myelin/core';
import type { Runtime } from '../runtime.js';
import { dataOf, type WasmKernel, type WasmKernelTable } from './kernel.js';
import { PARALLEL_MIN_MACS } from './matmul.js';

/*
 * Host side of the convolution and pooling jobs (assembly/conv.ts, assembly/pool.ts): fill the
 * args block, size the per-thread scratch, choose how finely to split the work, run the job.
 */

/** Floats of im2col one thread may hold; output rows are taken in bands that fit. */
const COL_BUDGET = 1 << 18;

interface ConvShape {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  groups: number;
}

function convShape(x: Shape, w: Shape, y: Shape, groups: number): ConvShape {
  return {
    n: x[0]!,
    c: x[1]!,
    h: x[2]!,
    w: x[3]!,
    o: w[0]!,
    oh: y[2]!,
    ow: y[3]!,
    kh: w[2]!,
    kw: w[3]!,
    groups,
  };
}

/** Fill the conv args block (fields 0-23), size the scratch and return [args, threads]. */
function convArgs(
  rt: Runtime,
  s: ConvShape,
  attrs: Conv2dAttrs,
  ptrs: [number, number, number],
  items: (rows: number) => number,
): [args: number, nt: number] {
  const taps = (s.c / s.groups) * s.kh * s.kw;
  const macs = s.n * s.o * taps * s.oh * s.ow;
  const nt = macs >= PARALLEL_MIN_MACS ? rt.threads : 1;
  let rows = Math.max(1, Math.min(s.oh, Math.floor(COL_BUDGET / Math.max(1, taps * s.ow))));
  // Enough work items for every thread: thinner bands when there are few images.
  while (rows > 1 && items(rows) < 8 * nt) rows = Math.ceil(rows / 2);
  const fields = [
    s.n,
    s.c,
    s.h,
    s.w,
    s.o,
    s.oh,
    s.ow,
    s.kh,
    s.kw,
    attrs.stride[0],
    attrs.stride[1],
    attrs.pad[0],
    attrs.pad[2],
    attrs.dilation[0],
    attrs.dilation[1],
    s.groups,
    ptrs[0],
    ptrs[1],
    ptrs[2],
    rows,
    0,
    0,
    0,
    0,
  ];
  const args = rt.setArgs(fields);
  const stride = rt.exports.convScratchBytes(args);
  const partials = s.o * taps * 4 * (filterChunks(items(rows), nt) - 1);
  const scratch = rt.scratch(nt * stride + partials + 64);
  rt.setArgs([scratch, stride, 0, scratch + nt * stride, 0], 80);
  return [args, nt];
}

/**
 * Chunks of a filter gradient's items: runs that threads claim whole, each summed into its own
 * buffer and added in chunk order, so the gradient does not depend on which thread ran what (a
 * seeded training run reproduces). Four per thread keep a descheduled thread from holding much.
 */
function filterChunks(items: number, nt: number): number {
  return Math.max(1, Math.min(items, nt === 1 ? 1 : 4 * nt));
}

function zero(rt: Runtime, ptr: number, length: number): void {
  rt.f32.fill(0, ptr >> 2, (ptr >> 2) + length);
}

/** Bytes of the Winograd products (V and M) one work item may hold: half of a 1 MiB L2. */
const WINOGRAD_BUDGET = 1 << 19;
/** Fewest tiles per image (and per work item) for which the filter gradient takes Winograd. */
const WINOGRAD_FILTER_MIN_TILES = 48;

/**
 * Whether a pass goes through Winograd's F(2×2, 3×3) (assembly/winograd.ts): 3×3 kernels,
 * stride and dilation 1, one group, padding of at most 2 (the input gradient is then a
 * convolution of dy with padding 2 − pad), and enough channels on both sides for its 16
 * products (GEMMs of depth C) to pay for the transforms.
 */
function winogradFits(s: ConvShape, attrs: Conv2dAttrs): boolean {
  return (
    attrs.pad.every((p) => p <= 2) &&
    s.kh === 3 &&
    s.kw === 3 &&
    attrs.stride[0] === 1 &&
    attrs.stride[1] === 1 &&
    attrs.dilation[0] === 1 &&
    attrs.dilation[1] === 1 &&
    s.groups === 1 &&
    s.c >= 8 &&
    s.o >= 8 &&
    s.oh >= 2 &&
    s.ow >= 2
  );
}

/**
 * Tile rows per work item and threads for a Winograd job over shape s (of the convolution run).
 * `minTiles`: the filter gradient's GEMMs run over the tiles of an item (their depth), so its
 * items are not thinned below that many tiles to make more of them.
 */
function winogradSplit(rt: Runtime, s: ConvShape, minTiles = 0): [rows: number, nt: number] {
  const op = Math.ceil(s.o / 4) * 4;
  const tilesH = Math.ceil(s.oh / 2);
  const tilesW = Math.ceil(s.ow / 2);
  const macs = s.n * s.o * s.c * 9 * s.oh * s.ow;
  const nt = macs >= PARALLEL_MIN_MACS ? rt.threads : 1;
  // The item's transformed input and products fit the budget, and there are enough items for
  // every thread.
  const tiles = Math.max(8, Math.floor(WINOGRAD_BUDGET / (64 * (s.c + op))));
  let rows = Math.max(1, Math.min(tilesH, Math.floor(tiles / tilesW)));
  while (rows > 1 && s.n * Math.ceil(tilesH / rows) < 8 * nt && Math.ceil(rows / 2) * tilesW >= minTiles) {
    rows = Math.ceil(rows / 2);
  }
  return [rows, nt];
}

/**
 * y = conv(x, w) for a `winogradFits` shape; with `flip`, s describes the forward pass of w and
 * this computes its input gradient dx (x = dy, y = dx) as the convolution of dy with w
 * transposed and rotated, padded by 2 − pad.
 */
function conv2dWinograd(
  rt: Runtime,
  fwd: ConvShape,
  attrs: Conv2dAttrs,
  x: number,
  w: number,
  y: number,
  flip: boolean,
): void {
  const s = flip ? { ...fwd, c: fwd.o, h: fwd.oh, w: fwd.ow, o: fwd.c, oh: fwd.h, ow: fwd.w } : fwd;
  const [top, left] = flip ? [2 - attrs.pad[0], 2 - attrs.pad[2]] : [attrs.pad[0], attrs.pad[2]];
  const op = Math.ceil(s.o / 4) * 4;
  const [rows, nt] = winogradSplit(rt, s);
  const uBytes = Math.ceil((16 * op * s.c * 4) / 64) * 64;
  const fields = [s.n, s.c, s.h, s.w, s.o, s.oh, s.ow, top, left, x, 0, y, rows];
  const args = rt.setArgs(fields);
  const stride = rt.exports.winogradScratchBytes(args);
  const scratch = rt.scratch(uBytes + nt * stride + 64);
  rt.exports.winogradFilter(w, s.o, s.c, scratch, flip ? 1 : 0);
  rt.setArgs([scratch], 40);
  rt.setArgs([scratch + uBytes, stride, 0, 0], 52);
  rt.job('jobConvWinograd', args, nt);
}

const conv2d: WasmKernel<Conv2dAttrs> = (rt, { inputs: [x, w], attrs, outputs: [spec] }) => {
  const s = convShape(x!.shape, w!.shape, spec!.shape, attrs.groups);
  const out = rt.allocate(s.n * s.o * s.oh * s.ow, 'float32');
  if (out.length === 0) return [out];
  if (winogradFits(s, attrs)) {
    conv2dWinograd(rt, s, attrs, dataOf(x!).ptr, dataOf(w!).ptr, out.ptr, false);
    return [out];
  }
  // The job zeroes out, item by item.
  const bands = (rows: number) => Math.ceil(s.oh / rows);
  const [args, nt] = convArgs(
    rt,
    s,
    attrs,
    [dataOf(x!).ptr, dataOf(w!).ptr, out.ptr],
    (r) => s.n * s.groups * bands(r),
  );
  rt.job('jobConvForward', args, nt);
  return [out];
};

/** inputs [dy, w] → dx of outputs[0].shape. */
const conv2dBackpropInput: WasmKernel<Conv2dAttrs> = (rt, { inputs: [dy, w], attrs, outputs: [spec] }) => {
  const s = convShape(spec!.shape, w!.shape, dy!.shape, attrs.groups);
  const dx = rt.allocate(s.n * s.c * s.h * s.w, 'float32');
  if (dx.length === 0) return [dx];
  if (s.o === 0 || s.oh * s.ow === 0) {
    zero(rt, dx.ptr, dx.length);
    return [dx];
  }
  if (winogradFits(s, attrs)) {
    conv2dWinograd(rt, s, attrs, dataOf(dy!).ptr, dataOf(w!).ptr, dx.ptr, true);
    return [dx];
  }
  // The job zeroes dx, item by item.
  const [args, nt] = convArgs(
    rt,
    s,
    attrs,
    [dataOf(dy!).ptr, dataOf(w!).ptr, dx.ptr],
    () => Number.MAX_SAFE_INTEGER,
  );
  // Split the channels of a group when there are fewer (image, group) pairs than threads.
  const cg = s.c / s.groups;
  const pairs = s.n * s.groups;
  const perChunk = pairs >= nt ? cg : Math.max(1, Math.ceil(cg / Math.ceil(nt / pairs)));
  rt.setArgs([perChunk], 88);
  rt.job('jobConvInput', args, nt);
  return [dx];
};

/**
 * dw = the filter gradient of a `winogradFits` convolution: each chunk of items accumulates
 * dU_ξ = Σ dM_ξ · V_ξᵀ into its own zeroed partial, the host sums the partials in chunk order and
 * maps dU back to 3×3 filters (Gᵀ dU G).
 */
function conv2dWinogradFilter(
  rt: Runtime,
  s: ConvShape,
  attrs: Conv2dAttrs,
  x: number,
  dy: number,
  dw: number,
): void {
  const [rows, nt] = winogradSplit(rt, s, WINOGRAD_FILTER_MIN_TILES);
  const chunks = filterChunks(s.n * Math.ceil(Math.ceil(s.oh / 2) / rows), nt);
  const duFloats = 16 * s.o * s.c;
  const duBytes = Math.ceil((chunks * duFloats * 4) / 64) * 64;
  const args = rt.setArgs([s.n, s.c, s.h, s.w, s.o, s.oh, s.ow, attrs.pad[0], attrs.pad[2], x, 0, dy, rows]);
  const stride = rt.exports.winogradScratchBytes(args) + rt.exports.gemmScratchBytes();
  const scratch = rt.scratch(duBytes + nt * stride + 64);
  // Zeroed here, not by the workers: a worker that joins no task leaves its partial untouched.
  zero(rt, scratch, chunks * duFloats);
  rt.setArgs([scratch], 40);
  rt.setArgs([scratch + duBytes, stride, 0, 0, chunks], 52);
  rt.job('jobConvWinogradFilter', args, nt);
  for (let k = 1; k < chunks; k++) rt.exports.addInto(scratch, scratch + k * duFloats * 4, duFloats);
  rt.exports.winogradFilterGrad(scratch, s.o, s.c, dw);
}

/** inputs [x, dy] → dw of outputs[0].shape, accumulated over the batch. */
const conv2dBackpropFilter: WasmKernel<Conv2dAttrs> = (rt, { inputs: [x, dy], attrs, outputs: [spec] }) => {
  const s = convShape(x!.shape, spec!.shape, dy!.shape, attrs.groups);
  const dw = rt.allocate(
    spec!.shape.reduce((a, b) => a * b, 1),
    'float32',
  );
  if (dw.length === 0) return [dw];
  zero(rt, dw.ptr, dw.length);
  if (s.n === 0 || s.oh * s.ow === 0) return [dw];
  // The filter gradient's products are as deep as an image has tiles: too few, and the
  // im2col GEMM (as deep as an image has pixels) does better.
  if (winogradFits(s, attrs) && Math.ceil(s.oh / 2) * Math.ceil(s.ow / 2) >= WINOGRAD_FILTER_MIN_TILES) {
    conv2dWinogradFilter(rt, s, attrs, dataOf(x!).ptr, dataOf(dy!).ptr, dw.ptr);
    return [dw];
  }
  const bands = (rows: number) => Math.ceil(s.oh / rows);
  const [args, nt] = convArgs(rt, s, attrs, [dataOf(x!).ptr, dataOf(dy!).ptr, dw.ptr], (r) => s.n * bands(r));
  // Zeroed here, not by the workers: a worker that joins no task leaves its partial untouched.
  const partials = rt.i32[(args >> 2) + 23]!;
  const chunks = filterChunks(s.n * bands(rt.i32[(args >> 2) + 19]!), nt);
  zero(rt, partials, (chunks - 1) * dw.length);
  rt.setArgs([chunks], 100);
  rt.job('jobConvFilter', args, nt);
  for (let k = 1; k < chunks; k++) rt.exports.addInto(dw.ptr, partials + (k - 1) * dw.length * 4, dw.length);
  return [dw];
};

// --- pooling ---

function poolArgs(
  rt: Runtime,
  x: Shape,
  y: Shape,
  attrs: Pool2dAttrs & { countIncludePad?: boolean },
  ptrs: [number, number, number],
): [args: number, nt: number] {
  const planes = x[0]! * x[1]!;
  const work = planes * y[2]! * y[3]! * attrs.kernel[0] * attrs.kernel[1];
  const nt = work >= PARALLEL_MIN_MACS && planes > 1 ? rt.threads : 1;
  const rowBytes = Math.ceil((y[3]! * 4 + 16) / 64) * 64;
  const scratch = rt.scratch(nt * rowBytes + 64);
  const args = rt.setArgs([
    planes,
    x[2]!,
    x[3]!,
    y[2]!,
    y[3]!,
    attrs.kernel[0],
    attrs.kernel[1],
    attrs.stride[0],
    attrs.stride[1],
    attrs.pad[0],
    attrs.pad[1],
    attrs.pad[2],
    attrs.pad[3],
    attrs.dilation[0],
    attrs.dilation[1],
    attrs.countIncludePad ? 1 : 0,
    ptrs[0],
    ptrs[1],
    ptrs[2],
    scratch,
    rowBytes,
    0, // task counter
  ]);
  return [args, nt];
}

const size = (shape: Shape) => shape.reduce((a, b) => a * b, 1);

const maxPool2d: WasmKernel<Pool2dAttrs> = (rt, { inputs: [x], attrs, outputs: [spec] }) => {
  const out = rt.allocate(size(spec!.shape), 'float32');
  if (out.length === 0) return [out];
  const [args, nt] = poolArgs(rt, x!.shape, spec!.shape, attrs, [dataOf(x!).ptr, out.ptr, 0]);
  rt.job('jobMaxPool', args, nt);
  return [out];
};

/** inputs [dy, x]: each window's gradient goes to the input its maximum came from. */
const maxPool2dGrad: WasmKernel<Pool2dAttrs> = (rt, { inputs: [dy, x], attrs, outputs: [spec] }) => {
  const dx = rt.allocate(size(spec!.shape), 'float32');
  if (dx.length === 0) return [dx];
  zero(rt, dx.ptr, dx.length);
  if (size(dy!.shape) === 0) return [dx];
  const [args, nt] = poolArgs(rt, x!.shape, dy!.shape, attrs, [dataOf(x!).ptr, dx.ptr, dataOf(dy!).ptr]);
  rt.job('jobMaxPoolGrad', args, nt);
  return [dx];
};

const avgPool2d: WasmKernel<Pool2dAttrs & { countIncludePad: boolean }> = (
  rt,
  { inputs: [x], attrs, outputs: [spec] },
) => {
  const out = rt.allocate(size(spec!.shape), 'float32');
  if (out.length === 0) return [out];
  const [args, nt] = poolArgs(rt, x!.shape, spec!.shape, attrs, [dataOf(x!).ptr, out.ptr, 0]);
  rt.job('jobAvgPool', args, nt);
  return [out];
};

const avgPool2dGrad: WasmKernel<Pool2dAttrs & { countIncludePad: boolean }> = (
  rt,
  { inputs: [dy], attrs, outputs: [spec] },
) => {
  const dx = rt.allocate(size(spec!.shape), 'float32');
  if (dx.length === 0) return [dx];
  zero(rt, dx.ptr, dx.length);
  if (size(dy!.shape) === 0) return [dx];
  const [args, nt] = poolArgs(rt, spec!.shape, dy!.shape, attrs, [0, dx.ptr, dataOf(dy!).ptr]);
  rt.job('jobAvgPoolGrad', args, nt);
  return [dx];
};

export const convKernels: WasmKernelTable = {
  Conv2d: conv2d,
  Conv2dBackpropInput: conv2dBackpropInput,
  Conv2dBackpropFilter: conv2dBackpropFilter,
  MaxPool2d: maxPool2d,
  MaxPool2dGrad: maxPool2dGrad,
  AvgPool2d: avgPool2d,
  AvgPool2dGrad: avgPool2dGrad,
};
