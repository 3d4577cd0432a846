import type { BinaryPrimitive, KernelAttrs, TypedArray, UnaryPrimitive } from '@myelin/core';
import { BINARY_PRIMITIVES, stridesOf, UNARY_PRIMITIVES } from '@myelin/core';
import { allocate, type CpuKernel, type CpuKernelTable, valuesOf } from './kernel.js';
import {
  erf,
  erfc,
  floorDiv,
  floorDivInt,
  pow,
  powInt,
  remainder,
  remainderInt,
  roundHalfEven,
  sign,
  softplus,
} from './math.js';
import { broadcastStrides, copyRuns, StridedRuns } from './strided.js';

/*
 * Elementwise kernels as tables of formulas. Every entry is its own small loop rather than a formula
 * function called from one shared loop: V8 shares type feedback across a shared loop, so the call
 * goes megamorphic and cheap ops (neg, floor) run 5-10x slower. Written out per entry, each loop is
 * monomorphic and the scalar helpers from `math.ts` inline into it.
 */

/** `o[i] = f(x[i])` for i < n; `p`, `q` carry an activation's parameters (alpha, min/max). */
type UnaryLoop = (x: TypedArray, o: TypedArray, n: number, p: number, q: number) => void;

/** Composite activations this backend fuses; `GeluTanh` is `Gelu` with `approximate: 'tanh'`. */
type Activation =
  | 'Log2'
  | 'LogSigmoid'
  | 'Softsign'
  | 'Relu6'
  | 'LeakyRelu'
  | 'Elu'
  | 'Selu'
  | 'Celu'
  | 'Gelu'
  | 'GeluTanh'
  | 'Silu'
  | 'Mish'
  | 'HardSigmoid'
  | 'HardTanh'
  | 'HardSwish';

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const SQRT1_2 = Math.SQRT1_2;

/** Float formulas (also the fallback for any op an integer table lacks). */
export const FLOAT_UNARY: Record<Exclude<UnaryPrimitive, BoolUnary> | Activation, UnaryLoop> = {
  Neg: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = -x[i];
  },
  Abs: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.abs(x[i]);
  },
  Sign: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = sign(x[i]);
  },
  Exp: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.exp(x[i]);
  },
  Expm1: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.expm1(x[i]);
  },
  Log: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.log(x[i]);
  },
  Log1p: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.log1p(x[i]);
  },
  Sqrt: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.sqrt(x[i]);
  },
  Rsqrt: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = 1 / Math.sqrt(x[i]);
  },
  Square: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = x[i] * x[i];
  },
  Reciprocal: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = 1 / x[i];
  },
  Sin: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.sin(x[i]);
  },
  Cos: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.cos(x[i]);
  },
  Tan: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.tan(x[i]);
  },
  Asin: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.asin(x[i]);
  },
  Acos: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.acos(x[i]);
  },
  Atan: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.atan(x[i]);
  },
  Sinh: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.sinh(x[i]);
  },
  Cosh: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.cosh(x[i]);
  },
  Tanh: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.tanh(x[i]);
  },
  Sigmoid: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = 1 / (1 + Math.exp(-x[i]));
  },
  Softplus: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = softplus(x[i]);
  },
  // (v + |v|) / 2 is branch-free: a compare on random signs mispredicts half the time and runs
  // ~4x slower. It keeps NaN and sends -0 to +0 (as torch.relu); only -Infinity (which it would
  // turn into NaN) takes the rarely-taken branch.
  Relu: (x, o, n) => {
    for (let i = 0; i < n; i++) {
      const v = x[i];
      o[i] = v > -Infinity ? (v + Math.abs(v)) * 0.5 : Number.isNaN(v) ? v : 0;
    }
  },
  Erf: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = erf(x[i]);
  },
  Floor: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.floor(x[i]);
  },
  Ceil: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.ceil(x[i]);
  },
  Round: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = roundHalfEven(x[i]);
  },
  Trunc: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.trunc(x[i]);
  },

  // --- fused activations (core's composites) ---
  Log2: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.log2(x[i]);
  },
  // min(x, 0) - log1p(exp(-|x|)): PyTorch's stable form of -softplus(-x).
  LogSigmoid: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.min(x[i], 0) - Math.log1p(Math.exp(-Math.abs(x[i])));
  },
  Softsign: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = x[i] / (1 + Math.abs(x[i]));
  },
  Relu6: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.min(Math.max(x[i], 0), 6);
  },
  LeakyRelu: (x, o, n, alpha) => {
    for (let i = 0; i < n; i++) o[i] = x[i] > 0 ? x[i] : x[i] * alpha;
  },
  Elu: (x, o, n, alpha) => {
    for (let i = 0; i < n; i++) o[i] = x[i] > 0 ? x[i] : alpha * Math.expm1(x[i]);
  },
  Selu: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = SELU_SCALE * (x[i] > 0 ? x[i] : SELU_ALPHA * Math.expm1(x[i]));
  },
  Celu: (x, o, n, alpha) => {
    for (let i = 0; i < n; i++) o[i] = x[i] > 0 ? x[i] : alpha * Math.expm1(x[i] / alpha);
  },
  // x·Φ(x) with Φ(x) = erfc(-x/√2)/2, which keeps its relative accuracy for very negative x.
  Gelu: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = 0.5 * x[i] * erfc(-x[i] * SQRT1_2);
  },
  GeluTanh: (x, o, n) => {
    for (let i = 0; i < n; i++) {
      const v = x[i];
      o[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
    }
  },
  Silu: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = x[i] / (1 + Math.exp(-x[i]));
  },
  Mish: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = x[i] * Math.tanh(softplus(x[i]));
  },
  // relu6(x + 3) / 6
  HardSigmoid: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = x[i] <= -3 ? 0 : x[i] >= 3 ? 1 : x[i] / 6 + 0.5;
  },
  // min(max(x, lo), hi) as torch.clamp: NaN stays NaN, and hi wins when lo > hi.
  HardTanh: (x, o, n, min, max) => {
    for (let i = 0; i < n; i++) o[i] = Math.min(Math.max(x[i], min), max);
  },
  // x · relu6(x + 3) / 6
  HardSwish: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = x[i] <= -3 ? 0 : x[i] >= 3 ? x[i] : (x[i] * (x[i] + 3)) / 6;
  },
};

/** Int32 formulas that differ from the float ones (wrap-around, identity rounding). */
const INT_UNARY: Partial<Record<UnaryPrimitive, UnaryLoop>> = {
  Neg: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = -x[i] | 0;
  },
  Abs: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.abs(x[i]) | 0;
  },
  Square: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.imul(x[i], x[i]);
  },
  Floor: (x, o) => o.set(x),
  Ceil: (x, o) => o.set(x),
  Round: (x, o) => o.set(x),
  Trunc: (x, o) => o.set(x),
};

/** Predicates: any input dtype, bool output. */
type BoolUnary = 'IsNaN' | 'IsFinite' | 'LogicalNot';
const BOOL_UNARY: Record<BoolUnary, UnaryLoop> = {
  IsNaN: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Number.isNaN(x[i]) ? 1 : 0;
  },
  // x - x is 0 for finite x and NaN for ±Infinity and NaN.
  IsFinite: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = x[i] - x[i] === 0 ? 1 : 0;
  },
  LogicalNot: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = x[i] === 0 ? 1 : 0;
  },
};

function isBoolUnary(op: UnaryPrimitive): op is BoolUnary {
  return op in BOOL_UNARY;
}

function unaryKernel(op: UnaryPrimitive): CpuKernel<KernelAttrs[UnaryPrimitive]> {
  return ({ inputs: [x], outputs: [spec] }) => {
    const xv = valuesOf(x);
    const out = allocate(spec);
    const loop = isBoolUnary(op)
      ? BOOL_UNARY[op]
      : (spec.dtype === 'int32' && INT_UNARY[op]) || FLOAT_UNARY[op];
    loop(xv, out, out.length, 0, 0);
    return [out];
  };
}

function activationKernel<A>(op: Activation, params?: (attrs: A) => [number, number]): CpuKernel<A> {
  return ({ inputs: [x], attrs, outputs: [spec] }) => {
    const out = allocate(spec);
    const [p, q] = params ? params(attrs) : [0, 0];
    FLOAT_UNARY[op](valuesOf(x), out, out.length, p, q);
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
  const table: Record<string, CpuKernel<KernelAttrs[UnaryPrimitive]>> = {};
  for (const op of UNARY_PRIMITIVES) table[op] = unaryKernel(op);
  for (const op of BINARY_PRIMITIVES) table[op] = binaryKernel(op);
  return table as CpuKernelTable;
}

/** Elementwise kernels: unary and binary tables, Cast, Clip, Where, BroadcastTo, fused activations. */
export const elementwiseKernels: CpuKernelTable = {
  ...unaryAndBinaryKernels(),
  Cast: cast,
  Clip: clip,
  Where: where,
  BroadcastTo: broadcastTo,
  Log2: activationKernel('Log2'),
  LogSigmoid: activationKernel('LogSigmoid'),
  Softsign: activationKernel('Softsign'),
  Relu6: activationKernel('Relu6'),
  LeakyRelu: activationKernel<{ alpha: number }>('LeakyRelu', (a) => [a.alpha, 0]),
  Elu: activationKernel<{ alpha: number }>('Elu', (a) => [a.alpha, 0]),
  Selu: activationKernel('Selu'),
  Celu: activationKernel<{ alpha: number }>('Celu', (a) => [a.alpha, 0]),
  Gelu: ({ inputs: [x], attrs, outputs: [spec] }) => {
    const out = allocate(spec);
    FLOAT_UNARY[attrs.approximate === 'tanh' ? 'GeluTanh' : 'Gelu'](valuesOf(x), out, out.length, 0, 0);
    return [out];
  },
  Silu: activationKernel('Silu'),
  Mish: activationKernel('Mish'),
  HardSigmoid: activationKernel('HardSigmoid'),
  HardTanh: activationKernel<{ min: number; max: number }>('HardTanh', (a) => [a.min, a.max]),
  HardSwish: activationKernel('HardSwish'),
};
