import type {
  AnyUnaryRow,
  BinaryPrimitive,
  DType,
  KernelAttrs,
  OutputSpec,
  TensorInfo,
  UnaryActivation,
  UnaryFormName,
  UnaryPrimitive,
} from '@myelin/core';
import {
  BINARY_PRIMITIVES,
  sizeOf,
  UNARY_ACTIVATIONS,
  UNARY_PRIMITIVES,
  UNARY_TABLE,
  unaryForm,
} from '@myelin/core';
import {
  broadcastStrides,
  bufferOf,
  f32bits,
  type GpuKernel,
  type GpuKernelTable,
  header,
  hostFor,
  hostOf,
  main1d,
  meta,
  output,
  strides,
  unravel,
  wgslType,
} from '../kernel.js';
import type { GpuData } from '../runtime.js';
import { MATH_WGSL } from './math.wgsl.js';

/*
 * Elementwise kernels as WGSL expressions, each written once: a unary formula in `x` (with
 * activation params `p`, `q`) from its row of core's `UNARY_TABLE` (`wgsl`, `wgslInt`), a binary
 * formula in `a`, `b` from the table below. One template wraps a formula into a shader, specialised
 * by dtypes and (for broadcasting) rank; the pipeline cache keys on the text.
 */

const row = (name: UnaryFormName): AnyUnaryRow => UNARY_TABLE[name] as AnyUnaryRow;

/** WGSL that converts a value of `from` type to `to` type, as Cast does. */
export function convert(expr: string, from: DType, to: DType): string {
  if (from === to) return expr;
  if (to === 'bool') return from === 'float32' ? `u32(truthy_(${expr}))` : `u32(${expr} != 0)`;
  if (to === 'float32') return `f32(${expr})`;
  return from === 'float32' ? `f2i_(${expr})` : `i32(${expr})`;
}

function unaryShader(formula: string, inType: DType, calc: DType, result: DType, outType: DType): string {
  const x = convert('xs[i]', inType, calc);
  return `${MATH_WGSL}
${header([
  ['xs', wgslType(inType)],
  ['out', wgslType(outType)],
])}
${main1d(`  let x = ${x};
  let p = bitcast<f32>(params[1]);
  let q = bitcast<f32>(params[2]);
  out[i] = ${convert(`(${formula})`, result, outType)};`)}`;
}

/** Run `formula` (in `x` of type `calc`, giving a `result`-typed value) over every element. */
function runUnary(
  formula: string,
  calc: DType,
  params: [number, number] = [0, 0],
  result: DType = calc,
): GpuKernel<unknown> {
  return (rt, { inputs: [x], outputs: [spec] }) => {
    const out = output(rt, spec);
    const n = out.length;
    const source = unaryShader(formula, x.dtype, calc, result, spec.dtype);
    rt.dispatch(
      source,
      meta([n, f32bits(params[0]), f32bits(params[1])]),
      [bufferOf(x), out.buffer as GPUBuffer],
      n,
    );
    return [out];
  };
}

function unaryKernel(op: UnaryPrimitive): GpuKernel<unknown> {
  const r = row(op);
  return (rt, args) => {
    const spec = args.outputs[0];
    // Predicates on an f32 `x` (any input converts to f32 first; exact for bool and small ints).
    if (r.kind === 'pred' || r.kind === 'logic') {
      return runUnary(`select(0u, 1u, ${r.wgsl})`, 'float32', [0, 0], 'bool')(rt, args);
    }
    if (spec.dtype === 'int32' && r.wgslInt) return runUnary(r.wgslInt, 'int32')(rt, args);
    return runUnary(nanSafe(r.wgsl, op), 'float32')(rt, args);
  };
}

/**
 * NaN in, NaN out (Sign excepted: NaN → 0, as the CPU reference): GPU builtins and comparisons are
 * free to lose NaN, so every float formula passes it through explicitly.
 */
function nanSafe(formula: string, op: string): string {
  return op === 'Sign' ? formula : `select(${formula}, x, isnan_(x))`;
}

/** The NaN-preserving f32 formula in `x` of a row of the unary table (for fused kernels). */
export function floatFormula(op: UnaryFormName): string {
  return nanSafe(row(op).wgsl, op);
}

/** A fused activation of the table: the formula its attrs pick (Gelu's tanh form), with p and q. */
function activation(op: UnaryActivation): GpuKernel<unknown> {
  return (rt, args) => {
    const [form, p, q] = unaryForm(op, args.attrs as object);
    return runUnary(floatFormula(form), 'float32', [p, q])(rt, args);
  };
}

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

const FLOAT_BINARY: Record<Arithmetic, string> = {
  Add: 'a + b',
  Sub: 'a - b',
  Mul: 'a * b',
  Div: 'a / b',
  Pow: 'pow_(a, b)',
  Maximum: 'maximum_(a, b)',
  Minimum: 'minimum_(a, b)',
  Mod: 'remainder_(a, b)',
  FloorDiv: 'floordiv_(a, b)',
  Atan2: 'atan2_(a, b)',
};

const INT_BINARY: Partial<Record<Arithmetic, string>> = {
  Add: 'a + b',
  Sub: 'a - b',
  Mul: 'a * b',
  Pow: 'powi_(a, b)',
  Maximum: 'max(a, b)',
  Minimum: 'min(a, b)',
  Mod: 'remi_(a, b)',
  FloorDiv: 'floordivi_(a, b)',
};

/** WGSL bool formulas on a common type (logic tests `!= 0`, so NaN is true). */
const COMPARISON: Record<Comparison, string> = {
  Equal: 'a == b',
  NotEqual: 'a != b',
  Less: 'a < b',
  LessEqual: 'a <= b',
  Greater: 'a > b',
  GreaterEqual: 'a >= b',
  LogicalAnd: 'T(a) && T(b)',
  LogicalOr: 'T(a) || T(b)',
  LogicalXor: 'T(a) != T(b)',
};

/**
 * Float comparisons with IEEE NaN semantics spelled out (any comparison with NaN is false, `!=`
 * true): shader compilers may assume no NaNs and fold them otherwise.
 */
function floatComparison(op: Comparison): string {
  const f = COMPARISON[op].replaceAll('T(', 'truthy_(');
  if (op.startsWith('Logical')) return f;
  if (op === 'NotEqual') return `(${f}) || isnan_(a) || isnan_(b)`;
  return `(${f}) && !isnan_(a) && !isnan_(b)`;
}

/**
 * A broadcasting shader over `operands` (each a name and dtype) producing `out` of `outType`;
 * `body` sees each operand's value converted to `calc` under the operand's name.
 */
function broadcastShader(
  operands: readonly [string, DType, DType][],
  outType: DType,
  rank: number,
  body: string,
): string {
  const arrays: [string, string][] = operands.map(([name, dt]) => [`${name}_in`, wgslType(dt)]);
  arrays.push(['out', wgslType(outType)]);
  const offs = operands.map(([name], k): [string, number] => [`o_${name}`, 1 + rank * (k + 1)]);
  const loads = operands
    .map(([name, dt, calc]) => `let ${name} = ${convert(`${name}_in[o_${name}]`, dt, calc)};`)
    .join('\n  ');
  return `${MATH_WGSL}
${header(arrays)}
${main1d(`  ${unravel('i', rank, 1, offs)}
  ${loads}
  out[i] = ${body};`)}`;
}

/** Meta for a broadcast shader: [n, outShape, strides of each operand]. */
function broadcastMeta(outShape: readonly number[], shapes: readonly (readonly number[])[]): Int32Array {
  const words = [sizeOf(outShape), ...outShape];
  for (const s of shapes) words.push(...broadcastStrides(s, outShape));
  return meta(words);
}

function binaryKernel(op: BinaryPrimitive): GpuKernel<unknown> {
  return (rt, { inputs: [a, b], outputs: [spec] }) => {
    const out = output(rt, spec);
    const rank = spec.shape.length;
    let source: string;
    if (op in COMPARISON) {
      const calc: DType = a.dtype === 'float32' || b.dtype === 'float32' ? 'float32' : 'int32';
      const f =
        calc === 'float32'
          ? floatComparison(op as Comparison)
          : COMPARISON[op as Comparison].replace(/T\(([ab])\)/g, '($1 != 0)');
      source = broadcastShader(
        [
          ['a', a.dtype, calc],
          ['b', b.dtype, calc],
        ],
        'bool',
        rank,
        `select(0u, 1u, ${f})`,
      );
    } else {
      const intForm = spec.dtype === 'int32' ? INT_BINARY[op as Arithmetic] : undefined;
      const calc: DType = intForm ? 'int32' : 'float32';
      const f = intForm ?? FLOAT_BINARY[op as Arithmetic];
      source = broadcastShader(
        [
          ['a', a.dtype, calc],
          ['b', b.dtype, calc],
        ],
        spec.dtype,
        rank,
        convert(`(${f})`, calc, spec.dtype),
      );
    }
    rt.dispatch(
      source,
      broadcastMeta(spec.shape, [a.shape, b.shape]),
      [bufferOf(a), bufferOf(b), out.buffer as GPUBuffer],
      out.length,
    );
    return [out];
  };
}

/** Cast; a host copy (int32/bool) is carried across int32 ↔ bool. */
const cast: GpuKernel<KernelAttrs['Cast']> = (rt, args) => {
  const [x] = args.inputs;
  const outs = runUnary('x', x.dtype)(rt, args);
  const hx = hostOf(x);
  const host = hx ? hostFor(args.outputs[0]) : null;
  if (hx && host) {
    if (host instanceof Uint8Array) for (let i = 0; i < hx.length; i++) host[i] = hx[i] !== 0 ? 1 : 0;
    else host.set(hx);
    outs[0].host = host;
  }
  return outs;
};

const clip: GpuKernel<KernelAttrs['Clip']> = (rt, args) =>
  runUnary('clip_(x, p, q)', 'float32', [args.attrs.min, args.attrs.max])(rt, args);

const ZERO: Record<DType, string> = { float32: '0.0', int32: '0', bool: '0u' };

const where: GpuKernel<KernelAttrs['Where']> = (rt, { inputs: [c, a, b], outputs: [spec] }) => {
  const out = output(rt, spec);
  const source = broadcastShader(
    [
      ['c', c.dtype, c.dtype],
      ['a', a.dtype, spec.dtype],
      ['b', b.dtype, spec.dtype],
    ],
    spec.dtype,
    spec.shape.length,
    `select(b, a, c != ${ZERO[c.dtype]})`,
  );
  rt.dispatch(
    source,
    broadcastMeta(spec.shape, [c.shape, a.shape, b.shape]),
    [bufferOf(c), bufferOf(a), bufferOf(b), out.buffer as GPUBuffer],
    out.length,
  );
  return [out];
};

/**
 * out = x read through `strides` from `base`: Transpose, Slice, Flip and BroadcastTo in one shader.
 * A host copy of x (small int32/bool) is carried to out by the same index map.
 */
export function stridedCopy(
  rt: Parameters<GpuKernel<unknown>>[0],
  x: TensorInfo,
  spec: OutputSpec,
  base: number,
  inStrides: readonly number[],
): GpuData {
  const out = output(rt, spec);
  const outShape = spec.shape;
  const rank = outShape.length;
  const n = out.length;
  const source = `${header([
    ['xs', 'u32'],
    ['out', 'u32'],
  ])}
${main1d(`  ${unravel('i', rank, 2, [['o', 2 + rank]])}
  out[i] = xs[params[1] + o];`)}`;
  rt.dispatch(source, meta([n, base, ...outShape, ...inStrides]), [bufferOf(x), out.buffer as GPUBuffer], n);
  const hx = hostOf(x);
  const host = hx ? hostFor(spec) : null;
  if (hx && host) {
    for (let i = 0; i < n; i++) {
      let rem = i;
      let o = base;
      for (let d = rank - 1; d >= 0; d--) {
        o += (rem % outShape[d]) * inStrides[d];
        rem = Math.floor(rem / outShape[d]);
      }
      host[i] = hx[o];
    }
    out.host = host;
  }
  return out;
}

const broadcastTo: GpuKernel<KernelAttrs['BroadcastTo']> = (rt, { inputs: [x], outputs: [spec] }) => [
  stridedCopy(rt, x, spec, 0, broadcastStrides(x.shape, spec.shape)),
];

function tables(): GpuKernelTable {
  const t: Record<string, GpuKernel<unknown>> = {};
  for (const op of UNARY_PRIMITIVES) t[op] = unaryKernel(op);
  for (const op of UNARY_ACTIVATIONS) t[op] = activation(op);
  for (const op of BINARY_PRIMITIVES) t[op] = binaryKernel(op);
  return t as GpuKernelTable;
}

/** Elementwise kernels: unary and binary tables (with the fused activations), Cast, Clip, Where, BroadcastTo. */
export const elementwiseKernels: GpuKernelTable = {
  ...tables(),
  Cast: cast,
  Clip: clip,
  Where: where,
  BroadcastTo: broadcastTo,
};

export { strides };
