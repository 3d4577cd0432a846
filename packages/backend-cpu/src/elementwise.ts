import type {
  BinaryPrimitive,
  KernelAttrs,
  TypedArray,
  UnaryActivation,
  UnaryFormName,
  UnaryPrimitive,
} from '@myelin/core';
import {
  BINARY_PRIMITIVES,
  stridesOf,
  UNARY_ACTIVATIONS,
  UNARY_PRIMITIVES,
  UNARY_ROWS,
  UNARY_TABLE,
  unaryForm,
} from '@myelin/core';
import { allocate, type CpuKernel, type CpuKernelTable, valuesOf } from './kernel.js';
import { floorDiv, floorDivInt, pow, powInt, remainder, remainderInt } from './math.js';
import { broadcastStrides, copyRuns, StridedRuns } from './strided.js';

/*
 * Elementwise kernels. The unary ones (primitives and fused activations) are built from core's
 * unary op table (`UNARY_TABLE`: each row's `host` formula); the binary ones are tables of
 * formulas below. Every op gets its own loop rather than one shared loop calling a formula: V8
 * shares type feedback across a shared loop, so the call goes megamorphic and cheap ops (neg,
 * floor) run 5-10x slower. Written out per op (or compiled per row, below), each loop is
 * monomorphic and the scalar formula inlines into it.
 */

/** `o[i] = f(x[i])` for i < n; `p`, `q` carry an activation's parameters (alpha, min/max). */
type UnaryLoop = (x: TypedArray, o: TypedArray, n: number, p: number, q: number) => void;
type Formula = (v: number, p: number, q: number) => number;

/**
 * The loop of one row's formula. `new Function` gives each row a loop of its own (its own feedback
 * and optimised code, the formula inlined); where a content security policy forbids it, one closure
 * per row is the fallback (correct, slower for the cheapest ops).
 */
function loopOf(f: Formula): UnaryLoop {
  try {
    return new Function(
      'f',
      'return function unaryLoop(x, o, n, p, q) { for (let i = 0; i < n; i++) o[i] = f(x[i], p, q); };',
    )(f) as UnaryLoop;
  } catch {
    return (x, o, n, p, q) => {
      for (let i = 0; i < n; i++) o[i] = f(x[i], p, q);
    };
  }
}

/** Float loops of every row of the table (predicates write 0/1 into a bool output). */
export const FLOAT_UNARY = Object.fromEntries(
  UNARY_ROWS.map(([name, row]) => [name, loopOf(row.host)]),
) as Record<UnaryFormName, UnaryLoop>;

/** Int32 loops of the rows whose int32 form differs (wrap-around, identity rounding). */
const INT_UNARY: Partial<Record<UnaryFormName, UnaryLoop>> = Object.fromEntries(
  UNARY_ROWS.filter(([, row]) => row.hostInt).map(([name, row]) => [name, loopOf(row.hostInt!)]),
);

function unaryKernel(op: UnaryPrimitive): CpuKernel<KernelAttrs[UnaryPrimitive]> {
  const kind = UNARY_TABLE[op].kind;
  const bool = kind === 'pred' || kind === 'logic';
  return ({ inputs: [x], outputs: [spec] }) => {
    const xv = valuesOf(x);
    const out = allocate(spec);
    const loop = !bool && spec.dtype === 'int32' ? (INT_UNARY[op] ?? FLOAT_UNARY[op]) : FLOAT_UNARY[op];
    loop(xv, out, out.length, 0, 0);
    return [out];
  };
}

/** A fused activation of the table: the formula its attrs pick (Gelu's tanh form), with p and q. */
function activationKernel(op: UnaryActivation): CpuKernel<unknown> {
  return ({ inputs: [x], attrs, outputs: [spec] }) => {
    const out = allocate(spec);
    const [form, p, q] = unaryForm(op, attrs as object);
    FLOAT_UNARY[form](valuesOf(x), out, out.length, p, q);
    return [out];
  };
}

/**
 * One run of a broadcast binary op: `o[oi + j] = f(a[ai + j·sa], b[bi + j·sb])` for j < n. The
 * steps are 1 along a contiguous run and 0 for a broadcast (scalar) operand.
 */
type BinaryLoop = (
  o: TypedArray,
  oi: number,
  n: number,
  a: TypedArray,
  ai: number,
  sa: number,
  b: TypedArray,
  bi: number,
  sb: number,
) => void;

type Comparison =
  | 'Equal'
  | 'NotEqual'
  | 'Less'
  | 'LessEqual'
  | 'Greater'
  | 'GreaterEqual'
  | 'LogicalAnd'
  | 'LogicalOr'
  | 'LogicalXor';
type Arithmetic = Exclude<BinaryPrimitive, Comparison>;

const FLOAT_BINARY: Record<Arithmetic, BinaryLoop> = {
  Add: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * sa] + b[bi + j * sb];
  },
  Sub: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * sa] - b[bi + j * sb];
  },
  Mul: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * sa] * b[bi + j * sb];
  },
  Div: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * sa] / b[bi + j * sb];
  },
  Pow: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = pow(a[ai + j * sa], b[bi + j * sb]);
  },
  // Math.max/min propagate NaN, as torch.maximum/minimum.
  Maximum: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = Math.max(a[ai + j * sa], b[bi + j * sb]);
  },
  Minimum: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = Math.min(a[ai + j * sa], b[bi + j * sb]);
  },
  Mod: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = remainder(a[ai + j * sa], b[bi + j * sb]);
  },
  FloorDiv: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = floorDiv(a[ai + j * sa], b[bi + j * sb]);
  },
  Atan2: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = Math.atan2(a[ai + j * sa], b[bi + j * sb]);
  },
};

/** Int32 arithmetic wraps like int32 (`| 0`, `Math.imul`); Div and Atan2 have no int32 form. */
const INT_BINARY: Partial<Record<Arithmetic, BinaryLoop>> = {
  Add: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = (a[ai + j * sa] + b[bi + j * sb]) | 0;
  },
  Sub: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = (a[ai + j * sa] - b[bi + j * sb]) | 0;
  },
  Mul: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = Math.imul(a[ai + j * sa], b[bi + j * sb]);
  },
  Pow: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = powInt(a[ai + j * sa], b[bi + j * sb]);
  },
  Mod: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = remainderInt(a[ai + j * sa], b[bi + j * sb]);
  },
  FloorDiv: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = floorDivInt(a[ai + j * sa], b[bi + j * sb]);
  },
};

/** Comparisons and logic: any input dtype (logic tests `!= 0`, so NaN is true), bool output. */
const BOOL_BINARY: Record<Comparison, BinaryLoop> = {
  Equal: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * sa] === b[bi + j * sb] ? 1 : 0;
  },
  NotEqual: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * sa] !== b[bi + j * sb] ? 1 : 0;
  },
  Less: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * sa] < b[bi + j * sb] ? 1 : 0;
  },
  LessEqual: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * sa] <= b[bi + j * sb] ? 1 : 0;
  },
  Greater: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * sa] > b[bi + j * sb] ? 1 : 0;
  },
  GreaterEqual: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * sa] >= b[bi + j * sb] ? 1 : 0;
  },
  LogicalAnd: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * sa] !== 0 && b[bi + j * sb] !== 0 ? 1 : 0;
  },
  LogicalOr: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = a[ai + j * sa] !== 0 || b[bi + j * sb] !== 0 ? 1 : 0;
  },
  LogicalXor: (o, oi, n, a, ai, sa, b, bi, sb) => {
    for (let j = 0; j < n; j++) o[oi + j] = (a[ai + j * sa] !== 0) !== (b[bi + j * sb] !== 0) ? 1 : 0;
  },
};

function isComparison(op: BinaryPrimitive): op is Comparison {
  return op in BOOL_BINARY;
}

function binaryKernel(op: BinaryPrimitive): CpuKernel<KernelAttrs[BinaryPrimitive]> {
  return ({ inputs: [a, b], outputs: [spec] }) => {
    const { shape, dtype } = spec;
    const out = allocate(spec);
    const loop = isComparison(op)
      ? BOOL_BINARY[op]
      : (dtype === 'int32' && INT_BINARY[op]) || FLOAT_BINARY[op];
    const av = valuesOf(a);
    const bv = valuesOf(b);
    const runs = new StridedRuns(shape, [
      stridesOf(shape),
      broadcastStrides(a.shape, shape),
      broadcastStrides(b.shape, shape),
    ]);
    const { offset, step, length } = runs;
    for (let r = 0; r < runs.count; r++) {
      loop(out, offset[0], length, av, offset[1], step[1], bv, offset[2], step[2]);
      runs.next();
    }
    return [out];
  };
}

const cast: CpuKernel<KernelAttrs['Cast']> = ({ inputs: [x], outputs: [spec] }) => {
  const xv = valuesOf(x);
  const out = allocate(spec);
  if (spec.dtype === 'bool') {
    for (let i = 0; i < xv.length; i++) out[i] = xv[i] !== 0 ? 1 : 0;
  } else {
    // TypedArray.set converts like a store: float → int32 truncates toward zero (NaN → 0).
    out.set(xv);
  }
  return [out];
};

const clip: CpuKernel<KernelAttrs['Clip']> = ({ inputs: [x], attrs, outputs: [spec] }) => {
  const out = allocate(spec);
  FLOAT_UNARY.HardTanh(valuesOf(x), out, out.length, attrs.min, attrs.max);
  return [out];
};

const where: CpuKernel<KernelAttrs['Where']> = ({ inputs: [c, a, b], outputs: [spec] }) => {
  const { shape } = spec;
  const out = allocate(spec);
  const cv = valuesOf(c);
  const av = valuesOf(a);
  const bv = valuesOf(b);
  const runs = new StridedRuns(shape, [
    stridesOf(shape),
    broadcastStrides(c.shape, shape),
    broadcastStrides(a.shape, shape),
    broadcastStrides(b.shape, shape),
  ]);
  const { offset, step, length } = runs;
  const sc = step[1];
  const sa = step[2];
  const sb = step[3];
  for (let r = 0; r < runs.count; r++) {
    const oi = offset[0];
    const ci = offset[1];
    const ai = offset[2];
    const bi = offset[3];
    for (let j = 0; j < length; j++) out[oi + j] = cv[ci + j * sc] ? av[ai + j * sa] : bv[bi + j * sb];
    runs.next();
  }
  return [out];
};

const broadcastTo: CpuKernel<KernelAttrs['BroadcastTo']> = ({ inputs: [x], outputs: [spec] }) => {
  const { shape } = spec;
  const out = allocate(spec);
  copyRuns(new StridedRuns(shape, [stridesOf(shape), broadcastStrides(x.shape, shape)]), valuesOf(x), out);
  return [out];
};

function unaryAndBinaryKernels(): CpuKernelTable {
  const table: Record<string, CpuKernel<never>> = {};
  for (const op of UNARY_PRIMITIVES) table[op] = unaryKernel(op);
  for (const op of UNARY_ACTIVATIONS) table[op] = activationKernel(op);
  for (const op of BINARY_PRIMITIVES) table[op] = binaryKernel(op);
  return table as CpuKernelTable;
}

/** Elementwise kernels: unary and binary tables (with the fused activations), Cast, Clip, Where, BroadcastTo. */
export const elementwiseKernels: CpuKernelTable = {
  ...unaryAndBinaryKernels(),
  Cast: cast,
  Clip: clip,
  Where: where,
  BroadcastTo: broadcastTo,
};
