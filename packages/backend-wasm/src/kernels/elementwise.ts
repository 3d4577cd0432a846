import type {
  BinaryPrimitive,
  KernelAttrs,
  UnaryActivation,
  UnaryFormName,
  UnaryPrimitive,
} from '@myelin/core';
import {
  BIAS_ACTIVATION_ROWS,
  BINARY_PRIMITIVES,
  stridesOf,
  UNARY_ACTIVATIONS,
  UNARY_PRIMITIVES,
  UNARY_ROWS,
  unaryForm,
} from '@myelin/core';
import { copyRuns } from '@myelin/core/kit';
import type { Runtime } from '../runtime.js';
import { DTYPE_CODE, dataOf, type WasmKernel, type WasmKernelTable } from './kernel.js';
import { broadcastStrides, mergeDims, StridedRuns } from './strided.js';

/*
 * Elementwise kernels: thin host wrappers over the wasm loops in assembly/elementwise.ts. The unary
 * op numbers are the rows of core's `UNARY_TABLE` that have an AssemblyScript formula, in table
 * order: scripts/build-wasm.mjs generates the wasm switch from the same rows, so the two cannot
 * drift apart.
 */

/** The wasm op number of each unary row with a float formula. */
const UNARY_CODE = Object.fromEntries(
  UNARY_ROWS.filter(([, row]) => row.asc !== null).map(([name], i) => [name, i]),
) as Record<UnaryFormName, number>;

/** Unary rows with an int32 form in wasm (the rest are the identity on integers). */
const UNARY_I32 = new Set<string>(UNARY_ROWS.filter(([, row]) => row.ascInt).map(([name]) => name));

/** The predicates' numbers in the wasm `predicate` kernel. */
const PREDICATE_CODE: Readonly<Record<string, number>> = { IsNaN: 0, IsFinite: 1, LogicalNot: 2 };

const BINARY_CODE = Object.fromEntries(BINARY_PRIMITIVES.map((n, i) => [n, i])) as Record<
  BinaryPrimitive,
  number
>;
const COMPARISONS = new Set<string>(BINARY_PRIMITIVES.slice(BINARY_PRIMITIVES.indexOf('Equal')));

/**
 * Elements from which a same-shape or scalar-broadcast elementwise op is split over the threads:
 * below it, waking the workers costs more than the loop. At 2^16 (an add of 12 µs on one thread,
 * e.g. an LSTM's dW_hh accumulation, 31 per training step) two threads saved 1.5 µs at best and
 * lost 40–60 µs at the 90th percentile on a busy machine, so 2^17.
 */
const PARALLEL_MIN_ELEMENTS = 1 << 17;

/** o[i] = op(x[i]) over float32, on the pool when it is long enough to pay. */
function unaryF32(rt: Runtime, op: number, x: number, o: number, n: number, p: number, q: number): void {
  if (n < PARALLEL_MIN_ELEMENTS || rt.threads === 1) {
    rt.exports.unaryF32(op, x, o, n, p, q);
    return;
  }
  const args = rt.setArgs([op, x, o, n, 0]);
  rt.setArgsF64([p, q], 24);
  rt.job('jobUnary', args, rt.threads);
}

/** Write merged dims into the args block's dims area (args + 512) and return [address, count]. */
export function writeDims(rt: Runtime, dims: readonly number[], per: number): [number, number] {
  if (dims.length > 128) throw new RangeError('wasm backend: too many dims after merging');
  return [rt.setArgs(dims, 512), dims.length / per];
}

function unaryKernel(op: UnaryPrimitive): WasmKernel<KernelAttrs[UnaryPrimitive]> {
  return (rt, { inputs: [x], outputs: [spec] }) => {
    const xd = dataOf(x!);
    const out = rt.allocate(xd.length, spec!.dtype);
    const n = out.length;
    if (n === 0) return [out];
    const e = rt.exports;
    const predicate = PREDICATE_CODE[op];
    if (predicate !== undefined) e.predicate(predicate, xd.ptr, out.ptr, n);
    else if (xd.dtype === 'float32') unaryF32(rt, UNARY_CODE[op], xd.ptr, out.ptr, n, 0, 0);
    else if (UNARY_I32.has(op)) e.unaryI32(UNARY_CODE[op], xd.ptr, out.ptr, n);
    else e.cast(DTYPE_CODE[xd.dtype], DTYPE_CODE[xd.dtype], xd.ptr, out.ptr, n);
    return [out];
  };
}

/** A fused activation of the table: the formula its attrs pick (Gelu's tanh form), with p and q. */
function activationKernel(op: UnaryActivation): WasmKernel<unknown> {
  return (rt, { inputs: [x], attrs, outputs: [spec] }) => {
    const xd = dataOf(x!);
    const out = rt.allocate(xd.length, spec!.dtype);
    const [form, p, q] = unaryForm(op, attrs as object);
    if (out.length > 0) unaryF32(rt, UNARY_CODE[form], xd.ptr, out.ptr, out.length, p, q);
    return [out];
  };
}

function binaryKind(op: BinaryPrimitive, inputDtype: string): number {
  if (COMPARISONS.has(op)) return inputDtype === 'float32' ? 2 : inputDtype === 'int32' ? 3 : 4;
  return inputDtype === 'float32' ? 0 : 1;
}

function binaryKernel(op: BinaryPrimitive): WasmKernel<KernelAttrs[BinaryPrimitive]> {
  return (rt, { inputs: [a, b], outputs: [spec] }) => {
    const { shape, dtype } = spec!;
    const ad = dataOf(a!);
    const bd = dataOf(b!);
    const { dims, total } = mergeDims(shape, [
      broadcastStrides(a!.shape, shape),
      broadcastStrides(b!.shape, shape),
    ]);
    const out = rt.allocate(total, dtype);
    if (total === 0) return [out];
    const kind = binaryKind(op, ad.dtype);
    if (kind === 1 && (op === 'Div' || op === 'Atan2'))
      throw new TypeError(`wasm backend: ${op} has no int32 form`);
    if (dims.length === 3 && total >= PARALLEL_MIN_ELEMENTS && rt.threads > 1) {
      // One run (same shape, or one operand a scalar): chunks on the pool.
      const args = rt.setArgs([kind, BINARY_CODE[op], out.ptr, ad.ptr, bd.ptr, total, dims[1]!, dims[2]!, 0]);
      rt.job('jobBinary', args, rt.threads);
      return [out];
    }
    const [at, nd] = writeDims(rt, dims, 3);
    rt.exports.binary(kind, BINARY_CODE[op], out.ptr, ad.ptr, bd.ptr, at, nd);
    return [out];
  };
}

const cast: WasmKernel<KernelAttrs['Cast']> = (rt, { inputs: [x], outputs: [spec] }) => {
  const xd = dataOf(x!);
  const out = rt.allocate(xd.length, spec!.dtype);
  if (out.length > 0)
    rt.exports.cast(DTYPE_CODE[xd.dtype], DTYPE_CODE[spec!.dtype], xd.ptr, out.ptr, out.length);
  return [out];
};

const clip: WasmKernel<KernelAttrs['Clip']> = (rt, { inputs: [x], attrs, outputs: [spec] }) => {
  const xd = dataOf(x!);
  const out = rt.allocate(xd.length, spec!.dtype);
  if (out.length === 0) return [out];
  if (xd.dtype === 'float32') {
    rt.exports.unaryF32(UNARY_CODE.HardTanh, xd.ptr, out.ptr, out.length, attrs.min, attrs.max);
  } else {
    const xv = rt.view(xd);
    const ov = rt.view(out);
    for (let i = 0; i < ov.length; i++) ov[i] = Math.min(Math.max(xv[i]!, attrs.min), attrs.max);
  }
  return [out];
};

const where: WasmKernel<KernelAttrs['Where']> = (rt, { inputs: [c, a, b], outputs: [spec] }) => {
  const { shape, dtype } = spec!;
  const { dims, total } = mergeDims(shape, [
    broadcastStrides(c!.shape, shape),
    broadcastStrides(a!.shape, shape),
    broadcastStrides(b!.shape, shape),
  ]);
  const out = rt.allocate(total, dtype);
  if (total === 0) return [out];
  const [at, nd] = writeDims(rt, dims, 4);
  rt.exports.where(dtype === 'bool' ? 1 : 4, out.ptr, dataOf(c!).ptr, dataOf(a!).ptr, dataOf(b!).ptr, at, nd);
  return [out];
};

/** Copy x broadcast to the output shape: runs along the merged inner dim, set or fill. */
const broadcastTo: WasmKernel<KernelAttrs['BroadcastTo']> = (rt, { inputs: [x], outputs: [spec] }) => {
  const { shape } = spec!;
  const runs = new StridedRuns(shape, [stridesOf(shape), broadcastStrides(x!.shape, shape)]);
  const out = rt.allocate(runs.count * runs.length, spec!.dtype);
  if (out.length === 0) return [out];
  copyRuns(runs, rt.view(dataOf(x!)), rt.view(out));
  return [out];
};

/**
 * The fused epilogue of a dense or conv layer: out = x + bias along `axis` (each sum rounded to
 * float32, as a separate add), then the activation in place — one kernel call, no intermediate
 * tensor.
 */
const biasAct: WasmKernel<KernelAttrs['BiasAct']> = (rt, { inputs: [x, bias], attrs, outputs: [spec] }) => {
  const shape = spec!.shape;
  const xd = dataOf(x!);
  const bd = dataOf(bias!);
  const biasShape = shape.map((n, i) => (i === attrs.axis ? n : 1));
  const { dims, total } = mergeDims(shape, [
    broadcastStrides(x!.shape, shape),
    broadcastStrides(biasShape, shape),
  ]);
  const out = rt.allocate(total, 'float32');
  if (total === 0) return [out];
  const [at, nd] = writeDims(rt, dims, 3);
  rt.exports.binary(0, BINARY_CODE.Add, out.ptr, xd.ptr, bd.ptr, at, nd);
  if (attrs.activation !== 'none') {
    unaryF32(rt, UNARY_CODE[BIAS_ACTIVATION_ROWS[attrs.activation]], out.ptr, out.ptr, total, 0, 0);
  }
  return [out];
};

function unaryAndBinaryKernels(): WasmKernelTable {
  const table: Record<string, WasmKernel<never>> = {};
  for (const op of UNARY_PRIMITIVES) table[op] = unaryKernel(op);
  for (const op of UNARY_ACTIVATIONS) table[op] = activationKernel(op);
  for (const op of BINARY_PRIMITIVES) table[op] = binaryKernel(op);
  return table as WasmKernelTable;
}

/** Elementwise kernels: unary and binary tables (with the fused activations), Cast, Clip, Where, BroadcastTo, BiasAct. */
export const elementwiseKernels: WasmKernelTable = {
  ...unaryAndBinaryKernels(),
  Cast: cast,
  Clip: clip,
  BiasAct: biasAct,
  Where: where,
  BroadcastTo: broadcastTo,
};
