import type { BiasActivation } from './kernels.js';
import type * as creation from './ops/creation.js';
import type * as elementwise from './ops/elementwise.js';
import { erf, erfc, roundHalfEven, sign, softplus } from './scalar-math.js';
import type { Tensor } from './tensor.js';

/*
 * The one table of elementwise unary ops: the primitives every backend implements and the fused
 * activations (composites) they may run as one kernel. A row holds everything about its op:
 *
 * - `op`: the public function (and testkit op) name; the row's key is the kernel name;
 * - `kind`: how the op layer treats dtypes (below);
 * - `host`: the formula on the host, in float64, rounded once when stored (the CPU kernel);
 *   `hostInt`: the int32 form where it differs (wrap-around, identity rounding);
 * - `wgsl`, `wgslInt`: the WGSL expression in `x` (and the activation parameters `p`, `q`), with
 *   the helpers of backend-webgpu's math.wgsl.ts;
 * - `asc`, `ascInt`: the AssemblyScript f64 / i32 expression in `v` (and `p`, `q`), with the
 *   helpers of backend-wasm's assembly/math.ts; backend-wasm's build numbers the rows that have
 *   one in table order and generates the wasm switch from them;
 * - `grad`: the gradient rule, written with the ops it is handed (no import cycle);
 * - `decompose`: for composites, the same function from primitives, for backends without the
 *   fused kernel;
 * - `ref`: the float64 reference the testkit generates cases from, and `domain`, the interval its
 *   random inputs come from when the op is not defined (or not smooth) on all of [-3, 3].
 *
 * Adding a unary op: a row here, its public function in ops/elementwise.ts, its name in
 * ops/index.ts (and `METHOD_TABLE` if chainable), and its PyTorch fixture in
 * tools/fixtures_elementwise.py. Kernel names, dtypes, the three backends' kernels and the testkit
 * cases are derived from the row.
 */

/**
 * How a unary op treats dtypes: 'float' casts int/bool inputs to float32; 'numeric' keeps int32
 * (bool → int32); 'round' is the identity on integers; 'pred' returns bool; 'logic' takes bool;
 * 'activation' is a float32 composite that a backend may fuse; 'form' is not a kernel but another
 * formula of one (Gelu's tanh approximation), chosen by `form` from the kernel's attrs.
 */
export type UnaryKind = 'float' | 'numeric' | 'round' | 'pred' | 'logic' | 'activation' | 'form';

/** The ops a gradient rule or a decomposition is written with (handed in by ops/elementwise.ts). */
export type UnaryOps = typeof elementwise & Pick<typeof creation, 'zerosLike'>;

type NoAttrs = Record<string, never>;

export interface UnaryRow<A = NoAttrs> {
  readonly op: string;
  readonly kind: UnaryKind;
  /** The activation parameters `p`, `q` that the formulas read, from the kernel's attrs. */
  readonly params?: (attrs: A) => readonly [number, number];
  /** The row whose formulas compute this kernel for these attrs (default: this row). */
  readonly form?: (attrs: A) => UnaryFormName;
  readonly host: (v: number, p: number, q: number) => number;
  readonly hostInt?: (v: number) => number;
  readonly wgsl: string;
  readonly wgslInt?: string;
  /** null: no float formula in wasm (the predicates have their own kernel there). */
  readonly asc: string | null;
  readonly ascInt?: string;
  /** cotangent of the output → cotangent of the input; null: not differentiable. */
  readonly grad: ((o: UnaryOps, dy: Tensor, x: Tensor, y: Tensor, attrs: A) => Tensor) | null;
  readonly decompose?: (o: UnaryOps, x: Tensor, attrs: A) => Tensor;
  readonly ref?: (x: number) => number;
  readonly domain?: readonly [number, number];
}

/** A primitive's row (or a form's); keeps its kind as a literal type. */
function row<const K extends Exclude<UnaryKind, 'activation'>>(
  r: UnaryRow & { kind: K },
): UnaryRow & { kind: K } {
  return r;
}

/** A fused activation's row, with the attrs of its kernel. */
function act<A = NoAttrs>(r: UnaryRow<A> & { kind: 'activation' }): UnaryRow<A> & { kind: 'activation' } {
  return r;
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const GELU_C = Math.sqrt(2 / Math.PI);
const clamp = (x: number, lo: number, hi: number) => (Number.isNaN(x) ? x : Math.min(Math.max(x, lo), hi));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const between = (o: UnaryOps, x: Tensor, lo: number, hi: number) =>
  o.cast(o.logicalAnd(o.greater(x, lo), o.less(x, hi)), 'float32');
const zero = (o: UnaryOps, dy: Tensor) => o.zerosLike(dy);

/**
 * Every unary op, in the order backend-wasm numbers them (rows with an `asc` formula). New rows go
 * at the end.
 */
export const UNARY_TABLE = {
  // --- primitives ---
  Neg: row({
    op: 'neg',
    kind: 'numeric',
    host: (v) => -v,
    hostInt: (v) => -v | 0,
    wgsl: '-x',
    wgslInt: '-x',
    asc: '-v',
    ascInt: '-v',
    grad: (o, dy) => o.neg(dy),
    ref: (x) => -x,
  }),
  Abs: row({
    op: 'abs',
    kind: 'numeric',
    host: (v) => Math.abs(v),
    hostInt: (v) => Math.abs(v) | 0,
    wgsl: 'abs(x)',
    wgslInt: 'abs(x)',
    asc: 'Math.abs(v)',
    ascInt: 'v < 0 ? -v : v',
    grad: (o, dy, x) => o.mul(dy, o.sign(x)),
    ref: (x) => Math.abs(x),
  }),
  Sign: row({
    op: 'sign',
    kind: 'numeric',
    host: (v) => sign(v),
    wgsl: 'sign_(x)',
    wgslInt: 'sign(x)',
    asc: 'sign(v)',
    ascInt: 'v > 0 ? 1 : v < 0 ? -1 : 0',
    grad: zero,
    ref: (x) => Math.sign(x),
  }),
  Exp: row({
    op: 'exp',
    kind: 'float',
    host: (v) => Math.exp(v),
    wgsl: 'exp(x)',
    asc: 'Math.exp(v)',
    grad: (o, dy, _x, y) => o.mul(dy, y),
    ref: (x) => Math.exp(x),
  }),
  Expm1: row({
    op: 'expm1',
    kind: 'float',
    host: (v) => Math.expm1(v),
    wgsl: 'expm1_(x)',
    asc: 'Math.expm1(v)',
    grad: (o, dy, _x, y) => o.mul(dy, o.add(y, 1)),
    ref: (x) => Math.expm1(x),
  }),
  Log: row({
    op: 'log',
    kind: 'float',
    host: (v) => Math.log(v),
    wgsl: 'select(log(x), select(nan_(), -inf_(), x == 0.0), x <= 0.0)',
    asc: 'Math.log(v)',
    grad: (o, dy, x) => o.div(dy, x),
    ref: (x) => Math.log(x),
    domain: [0.1, 4],
  }),
  Log1p: row({
    op: 'log1p',
    kind: 'float',
    host: (v) => Math.log1p(v),
    wgsl: 'select(log1p_(x), select(nan_(), -inf_(), x == -1.0), x <= -1.0)',
    asc: 'Math.log1p(v)',
    grad: (o, dy, x) => o.div(dy, o.add(x, 1)),
    ref: (x) => Math.log1p(x),
    domain: [-0.9, 3],
  }),
  Sqrt: row({
    op: 'sqrt',
    kind: 'float',
    host: (v) => Math.sqrt(v),
    wgsl: 'select(sqrt(x), select(nan_(), x, x == 0.0), x <= 0.0)',
    asc: 'Math.sqrt(v)',
    grad: (o, dy, _x, y) => o.div(dy, o.mul(y, 2)),
    ref: (x) => Math.sqrt(x),
    domain: [0.1, 4],
  }),
  Rsqrt: row({
    op: 'rsqrt',
    kind: 'float',
    host: (v) => 1 / Math.sqrt(v),
    wgsl: 'select(inverseSqrt(x), select(nan_(), 1.0 / x, x == 0.0), x <= 0.0)',
    asc: '1 / Math.sqrt(v)',
    grad: (o, dy, _x, y) => o.mul(dy, o.mul(o.pow(y, 3), -0.5)),
    ref: (x) => 1 / Math.sqrt(x),
    domain: [0.1, 4],
  }),
  Square: row({
    op: 'square',
    kind: 'numeric',
    host: (v) => v * v,
    hostInt: (v) => Math.imul(v, v),
    wgsl: 'x * x',
    wgslInt: 'x * x',
    asc: 'v * v',
    ascInt: 'v * v',
    grad: (o, dy, x) => o.mul(dy, o.mul(x, 2)),
    ref: (x) => x * x,
  }),
  Reciprocal: row({
    op: 'reciprocal',
    kind: 'float',
    host: (v) => 1 / v,
    wgsl: '1.0 / x',
    asc: '1 / v',
    grad: (o, dy, _x, y) => o.neg(o.mul(dy, o.square(y))),
    ref: (x) => 1 / x,
  }),
  Sin: row({
    op: 'sin',
    kind: 'float',
    host: (v) => Math.sin(v),
    wgsl: 'sin_(x)',
    asc: 'Math.sin(v)',
    grad: (o, dy, x) => o.mul(dy, o.cos(x)),
    ref: (x) => Math.sin(x),
  }),
  Cos: row({
    op: 'cos',
    kind: 'float',
    host: (v) => Math.cos(v),
    wgsl: 'cos_(x)',
    asc: 'Math.cos(v)',
    grad: (o, dy, x) => o.neg(o.mul(dy, o.sin(x))),
    ref: (x) => Math.cos(x),
  }),
  Tan: row({
    op: 'tan',
    kind: 'float',
    host: (v) => Math.tan(v),
    wgsl: 'tan_(x)',
    asc: 'Math.tan(v)',
    grad: (o, dy, _x, y) => o.mul(dy, o.add(o.square(y), 1)),
    ref: (x) => Math.tan(x),
    domain: [-1.3, 1.3],
  }),
  Asin: row({
    op: 'asin',
    kind: 'float',
    host: (v) => Math.asin(v),
    wgsl: 'asin_(x)',
    asc: 'Math.asin(v)',
    grad: (o, dy, x) => o.div(dy, o.sqrt(o.sub(1, o.square(x)))),
    ref: (x) => Math.asin(x),
    domain: [-0.95, 0.95],
  }),
  Acos: row({
    op: 'acos',
    kind: 'float',
    host: (v) => Math.acos(v),
    wgsl: 'acos_(x)',
    asc: 'Math.acos(v)',
    grad: (o, dy, x) => o.neg(o.div(dy, o.sqrt(o.sub(1, o.square(x))))),
    ref: (x) => Math.acos(x),
    domain: [-0.95, 0.95],
  }),
  Atan: row({
    op: 'atan',
    kind: 'float',
    host: (v) => Math.atan(v),
    wgsl: 'atan(x)',
    asc: 'Math.atan(v)',
    grad: (o, dy, x) => o.div(dy, o.add(o.square(x), 1)),
    ref: (x) => Math.atan(x),
  }),
  Sinh: row({
    op: 'sinh',
    kind: 'float',
    host: (v) => Math.sinh(v),
    wgsl: 'select(0.5 * (expm1_(x) - expm1_(-x)), sign_(x) * inf_(), abs(x) > 89.0)',
    asc: 'Math.sinh(v)',
    grad: (o, dy, x) => o.mul(dy, o.cosh(x)),
    ref: (x) => Math.sinh(x),
  }),
  Cosh: row({
    op: 'cosh',
    kind: 'float',
    host: (v) => Math.cosh(v),
    wgsl: 'select(0.5 * (exp(x) + exp(-x)), inf_(), abs(x) > 89.0)',
    asc: 'Math.cosh(v)',
    grad: (o, dy, x) => o.mul(dy, o.sinh(x)),
    ref: (x) => Math.cosh(x),
  }),
  Tanh: row({
    op: 'tanh',
    kind: 'float',
    host: (v) => Math.tanh(v),
    wgsl: 'tanh_(x)',
    asc: 'Math.tanh(v)',
    grad: (o, dy, _x, y) => o.mul(dy, o.sub(1, o.square(y))),
    ref: (x) => Math.tanh(x),
  }),
  Sigmoid: row({
    op: 'sigmoid',
    kind: 'float',
    host: (v) => 1 / (1 + Math.exp(-v)),
    wgsl: 'sigmoid_(x)',
    asc: '1 / (1 + Math.exp(-v))',
    grad: (o, dy, _x, y) => o.mul(dy, o.mul(y, o.sub(1, y))),
    ref: sigmoid,
  }),
  /** log(1 + exp(x)), linear above 20 as PyTorch. */
  Softplus: row({
    op: 'softplus',
    kind: 'float',
    host: (v) => softplus(v),
    wgsl: 'softplus_(x)',
    asc: 'softplus(v)',
    grad: (o, dy, x) => o.mul(dy, o.sigmoid(x)),
    ref: softplus,
  }),
  // (v + |v|) / 2 is branch-free: a compare on random signs mispredicts half the time and runs
  // ~4x slower. It keeps NaN and sends -0 to +0 (as torch.relu); only -Infinity (which it would
  // turn into NaN) takes the rarely-taken branch. relu'(0) = 0, as PyTorch.
  Relu: row({
    op: 'relu',
    kind: 'numeric',
    host: (v) => (v > -Infinity ? (v + Math.abs(v)) * 0.5 : Number.isNaN(v) ? v : 0),
    wgsl: 'select(x, 0.0, x < 0.0)',
    wgslInt: 'max(x, 0)',
    asc: 'v > 0 ? v : v != v ? v : 0',
    ascInt: 'v > 0 ? v : 0',
    grad: (o, dy, x) => o.mul(dy, o.cast(o.greater(x, 0), dy.dtype)),
    ref: (x) => Math.max(x, 0),
  }),
  Erf: row({
    op: 'erf',
    kind: 'float',
    host: (v) => erf(v),
    wgsl: 'erf_(x)',
    asc: 'erf(v)',
    grad: (o, dy, x) => o.mul(dy, o.mul(o.exp(o.neg(o.square(x))), 2 / Math.sqrt(Math.PI))),
    ref: erf,
  }),
  Floor: row({
    op: 'floor',
    kind: 'round',
    host: (v) => Math.floor(v),
    hostInt: (v) => v,
    wgsl: 'floor(x)',
    wgslInt: 'x',
    asc: 'Math.floor(v)',
    grad: zero,
    ref: (x) => Math.floor(x),
  }),
  Ceil: row({
    op: 'ceil',
    kind: 'round',
    host: (v) => Math.ceil(v),
    hostInt: (v) => v,
    wgsl: 'ceil(x)',
    wgslInt: 'x',
    asc: 'Math.ceil(v)',
    grad: zero,
    ref: (x) => Math.ceil(x),
  }),
  /** Rounds half to even, as PyTorch. */
  Round: row({
    op: 'round',
    kind: 'round',
    host: (v) => roundHalfEven(v),
    hostInt: (v) => v,
    wgsl: 'round(x)',
    wgslInt: 'x',
    asc: 'nearest<f64>(v)',
    grad: zero,
    ref: roundHalfEven,
  }),
  Trunc: row({
    op: 'trunc',
    kind: 'round',
    host: (v) => Math.trunc(v),
    hostInt: (v) => v,
    wgsl: 'trunc(x)',
    wgslInt: 'x',
    asc: 'Math.trunc(v)',
    grad: zero,
    ref: (x) => Math.trunc(x),
  }),
  IsNaN: row({
    op: 'isNaN',
    kind: 'pred',
    host: (v) => (Number.isNaN(v) ? 1 : 0),
    wgsl: 'isnan_(x)',
    asc: null,
    grad: null,
    ref: (x) => (Number.isNaN(x) ? 1 : 0),
  }),
  // x - x is 0 for finite x and NaN for ±Infinity and NaN.
  IsFinite: row({
    op: 'isFinite',
    kind: 'pred',
    host: (v) => (v - v === 0 ? 1 : 0),
    wgsl: 'isfinite_(x)',
    asc: null,
    grad: null,
    ref: (x) => (Number.isFinite(x) ? 1 : 0),
  }),
  LogicalNot: row({
    op: 'logicalNot',
    kind: 'logic',
    host: (v) => (v === 0 ? 1 : 0),
    wgsl: '!truthy_(x)',
    asc: null,
    grad: null,
    ref: (x) => (x ? 0 : 1),
  }),

  // --- fused activations (composites) ---
  Log2: act({
    op: 'log2',
    kind: 'activation',
    host: (v) => Math.log2(v),
    wgsl: 'select(log2(x), select(nan_(), -inf_(), x == 0.0), x <= 0.0)',
    asc: 'Math.log2(v)',
    decompose: (o, x) => o.div(o.log(x), Math.LN2),
    grad: (o, dy, x) => o.div(dy, o.mul(x, Math.LN2)),
    ref: (x) => Math.log2(x),
    domain: [0.1, 4],
  }),
  // min(x, 0) - log1p(exp(-|x|)): PyTorch's stable form of -softplus(-x).
  LogSigmoid: act({
    op: 'logSigmoid',
    kind: 'activation',
    host: (v) => Math.min(v, 0) - Math.log1p(Math.exp(-Math.abs(v))),
    wgsl: 'min(x, 0.0) - log1p_(exp(-abs(x)))',
    asc: 'min(v, 0) - Math.log1p(Math.exp(-Math.abs(v)))',
    decompose: (o, x) => o.neg(o.softplus(o.neg(x))),
    grad: (o, dy, x) => o.mul(dy, o.sigmoid(o.neg(x))),
    ref: (x) => -softplus(-x),
  }),
  Softsign: act({
    op: 'softsign',
    kind: 'activation',
    host: (v) => v / (1 + Math.abs(v)),
    wgsl: 'x / (1.0 + abs(x))',
    asc: 'v / (1 + Math.abs(v))',
    decompose: (o, x) => o.div(x, o.add(o.abs(x), 1)),
    grad: (o, dy, x) => o.div(dy, o.square(o.add(o.abs(x), 1))),
    ref: (x) => x / (1 + Math.abs(x)),
  }),
  // hardtanh-style ops pass the gradient only strictly inside the range, as PyTorch.
  Relu6: act({
    op: 'relu6',
    kind: 'activation',
    host: (v) => Math.min(Math.max(v, 0), 6),
    wgsl: 'clip_(x, 0.0, 6.0)',
    asc: 'min(max(v, 0), 6)',
    decompose: (o, x) => o.hardTanh(x, 0, 6),
    grad: (o, dy, x) => o.mul(dy, between(o, x, 0, 6)),
    ref: (x) => clamp(x, 0, 6),
    domain: [-3, 9],
  }),
  LeakyRelu: act<{ alpha: number }>({
    op: 'leakyRelu',
    kind: 'activation',
    params: (a) => [a.alpha, 0],
    host: (v, p) => (v > 0 ? v : v * p),
    wgsl: 'select(x * p, x, x > 0.0)',
    asc: 'v > 0 ? v : v * p',
    decompose: (o, x, { alpha }) => o.where(o.greater(x, 0), x, o.mul(x, alpha)),
    grad: (o, dy, x, _y, { alpha }) => o.mul(dy, o.where(o.greater(x, 0), 1, alpha)),
  }),
  Elu: act<{ alpha: number }>({
    op: 'elu',
    kind: 'activation',
    params: (a) => [a.alpha, 0],
    host: (v, p) => (v > 0 ? v : p * Math.expm1(v)),
    wgsl: 'select(p * expm1_(x), x, x > 0.0)',
    asc: 'v > 0 ? v : p * Math.expm1(v)',
    decompose: (o, x, { alpha }) => o.where(o.greater(x, 0), x, o.mul(o.expm1(x), alpha)),
    grad: (o, dy, x, _y, { alpha }) => o.mul(dy, o.where(o.greater(x, 0), 1, o.mul(o.exp(x), alpha))),
  }),
  Selu: act({
    op: 'selu',
    kind: 'activation',
    host: (v) => SELU_SCALE * (v > 0 ? v : SELU_ALPHA * Math.expm1(v)),
    wgsl: '1.0507009873554805 * select(1.6732632423543772 * expm1_(x), x, x > 0.0)',
    asc: '1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * Math.expm1(v))',
    decompose: (o, x) => o.mul(o.elu(x, SELU_ALPHA), SELU_SCALE),
    grad: (o, dy, x) =>
      o.mul(dy, o.where(o.greater(x, 0), SELU_SCALE, o.mul(o.exp(x), SELU_SCALE * SELU_ALPHA))),
    ref: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
  }),
  Celu: act<{ alpha: number }>({
    op: 'celu',
    kind: 'activation',
    params: (a) => [a.alpha, 0],
    host: (v, p) => (v > 0 ? v : p * Math.expm1(v / p)),
    wgsl: 'select(p * expm1_(x / p), x, x > 0.0)',
    asc: 'v > 0 ? v : p * Math.expm1(v / p)',
    decompose: (o, x, { alpha }) => o.where(o.greater(x, 0), x, o.mul(o.expm1(o.div(x, alpha)), alpha)),
    grad: (o, dy, x, _y, { alpha }) => o.mul(dy, o.where(o.greater(x, 0), 1, o.exp(o.div(x, alpha)))),
  }),
  // x·Φ(x) with Φ(x) = erfc(-x/√2)/2, which keeps its relative accuracy for very negative x.
  Gelu: act<{ approximate: 'none' | 'tanh' }>({
    op: 'gelu',
    kind: 'activation',
    form: (a) => (a.approximate === 'tanh' ? 'GeluTanh' : 'Gelu'),
    host: (v) => 0.5 * v * erfc(-v * Math.SQRT1_2),
    wgsl: '0.5 * x * erfc_(-x * 0.7071067811865476)',
    asc: '0.5 * v * erfc(-v * 0.7071067811865476)',
    decompose: (o, x, { approximate }) =>
      approximate === 'tanh'
        ? o.mul(o.mul(x, 0.5), o.add(o.tanh(o.mul(o.add(x, o.mul(o.pow(x, 3), 0.044715)), GELU_C)), 1))
        : o.mul(o.mul(x, 0.5), o.add(o.erf(o.mul(x, Math.SQRT1_2)), 1)),
    grad: (o, dy, x, _y, { approximate }) => {
      if (approximate === 'tanh') {
        const inner = o.mul(o.add(x, o.mul(o.pow(x, 3), 0.044715)), GELU_C);
        const t = o.tanh(inner);
        const dinner = o.mul(o.add(o.mul(o.square(x), 3 * 0.044715), 1), GELU_C);
        return o.mul(
          dy,
          o.add(o.mul(o.add(t, 1), 0.5), o.mul(o.mul(o.mul(x, 0.5), o.sub(1, o.square(t))), dinner)),
        );
      }
      const cdf = o.mul(o.add(o.erf(o.mul(x, Math.SQRT1_2)), 1), 0.5);
      const pdf = o.mul(o.exp(o.mul(o.square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return o.mul(dy, o.add(cdf, o.mul(x, pdf)));
    },
  }),
  /** Gelu with `approximate: 'tanh'`: a formula of the Gelu kernel, not a kernel of its own. */
  GeluTanh: row({
    op: 'gelu',
    kind: 'form',
    host: (v) => 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v))),
    wgsl: '0.5 * x * (1.0 + tanh_(0.7978845608028654 * (x + 0.044715 * x * x * x)))',
    asc: '0.5 * v * (1 + Math.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)))',
    grad: null,
  }),
  Silu: act({
    op: 'silu',
    kind: 'activation',
    host: (v) => v / (1 + Math.exp(-v)),
    wgsl: 'x * sigmoid_(x)',
    asc: 'v / (1 + Math.exp(-v))',
    decompose: (o, x) => o.mul(x, o.sigmoid(x)),
    grad: (o, dy, x) => {
      const s = o.sigmoid(x);
      return o.mul(dy, o.mul(s, o.add(o.mul(x, o.sub(1, s)), 1)));
    },
    ref: (x) => x * sigmoid(x),
  }),
  Mish: act({
    op: 'mish',
    kind: 'activation',
    host: (v) => v * Math.tanh(softplus(v)),
    wgsl: 'x * tanh_(softplus_(x))',
    asc: 'v * Math.tanh(softplus(v))',
    decompose: (o, x) => o.mul(x, o.tanh(o.softplus(x))),
    grad: (o, dy, x) => {
      const t = o.tanh(o.softplus(x));
      return o.mul(dy, o.add(t, o.mul(o.mul(x, o.sigmoid(x)), o.sub(1, o.square(t)))));
    },
    ref: (x) => x * Math.tanh(softplus(x)),
  }),
  // relu6(x + 3) / 6
  HardSigmoid: act({
    op: 'hardSigmoid',
    kind: 'activation',
    host: (v) => (v <= -3 ? 0 : v >= 3 ? 1 : v / 6 + 0.5),
    wgsl: 'select(select(x / 6.0 + 0.5, 1.0, x >= 3.0), 0.0, x <= -3.0)',
    asc: 'v <= -3 ? 0 : v >= 3 ? 1 : v / 6 + 0.5',
    decompose: (o, x) =>
      o.where(o.lessEqual(x, -3), 0, o.where(o.greaterEqual(x, 3), 1, o.add(o.div(x, 6), 0.5))),
    grad: (o, dy, x) => o.div(o.mul(dy, between(o, x, -3, 3)), 6),
    ref: (x) => clamp(x / 6 + 0.5, 0, 1),
  }),
  // min(max(x, lo), hi) as torch.clamp: NaN stays NaN, and hi wins when lo > hi.
  HardTanh: act<{ min: number; max: number }>({
    op: 'hardTanh',
    kind: 'activation',
    params: (a) => [a.min, a.max],
    host: (v, p, q) => Math.min(Math.max(v, p), q),
    wgsl: 'clip_(x, p, q)',
    asc: 'min(max(v, p), q)',
    decompose: (o, x, { min, max }) =>
      o.where(o.lessEqual(x, min), min, o.where(o.greaterEqual(x, max), max, x)),
    grad: (o, dy, x, _y, { min, max }) => o.mul(dy, between(o, x, min, max)),
  }),
  // As PyTorch: 0 below −3, x(x+3)/6 on [−3, 3], x above; gradient (2x+3)/6 on the closed interval.
  HardSwish: act({
    op: 'hardSwish',
    kind: 'activation',
    host: (v) => (v <= -3 ? 0 : v >= 3 ? v : (v * (v + 3)) / 6),
    wgsl: 'select(select(x * (x + 3.0) / 6.0, x, x >= 3.0), 0.0, x <= -3.0)',
    asc: 'v <= -3 ? 0 : v >= 3 ? v : (v * (v + 3)) / 6',
    decompose: (o, x) =>
      o.where(o.less(x, -3), 0, o.where(o.lessEqual(x, 3), o.div(o.mul(x, o.add(x, 3)), 6), x)),
    grad: (o, dy, x) =>
      o.mul(dy, o.where(o.less(x, -3), 0, o.where(o.lessEqual(x, 3), o.add(o.div(x, 3), 0.5), 1))),
    ref: (x) => (x * clamp(x + 3, 0, 6)) / 6,
  }),
  // x − tanh(x) (torch.nn.functional.tanhshrink); its derivative 1 − tanh′(x) is tanh²(x).
  Tanhshrink: act({
    op: 'tanhshrink',
    kind: 'activation',
    host: (v) => v - Math.tanh(v),
    wgsl: 'x - tanh_(x)',
    asc: 'v - Math.tanh(v)',
    decompose: (o, x) => o.sub(x, o.tanh(x)),
    grad: (o, dy, x) => o.mul(dy, o.square(o.tanh(x))),
    ref: (x) => x - Math.tanh(x),
  }),
} as const;

type Table = typeof UNARY_TABLE;

/** Every row name: kernels and the extra formulas (forms) of kernels. */
export type UnaryFormName = keyof Table;

/** The attrs of a unary kernel, as its row declares them. */
export type UnaryAttrsOf<K extends UnaryFormName> = Table[K] extends UnaryRow<infer A> ? A : never;

type KindOf<K extends UnaryFormName> = Table[K]['kind'];

/** Unary kernels every backend implements. */
export type UnaryPrimitive = {
  [K in UnaryFormName]: KindOf<K> extends 'activation' | 'form' ? never : K;
}[UnaryFormName];

/** Fused unary activations: composites a backend may implement as one kernel. */
export type UnaryActivation = {
  [K in UnaryFormName]: KindOf<K> extends 'activation' ? K : never;
}[UnaryFormName];

/** The attrs of every unary kernel (primitives and fused activations). */
export type UnaryKernelAttrs = { [K in UnaryPrimitive | UnaryActivation]: UnaryAttrsOf<K> };

/** A row, typed loosely for code that walks the whole table. */
export type AnyUnaryRow = UnaryRow<never>;

/** The rows in table order, with their names. */
export const UNARY_ROWS: readonly (readonly [UnaryFormName, AnyUnaryRow])[] = Object.entries(UNARY_TABLE) as [
  UnaryFormName,
  AnyUnaryRow,
][];

const names = (keep: (r: AnyUnaryRow) => boolean) => UNARY_ROWS.filter(([, r]) => keep(r)).map(([n]) => n);

/** Elementwise unary kernels with no attrs that every backend implements. Output dtype is given. */
export const UNARY_PRIMITIVES = names(
  (r) => r.kind !== 'activation' && r.kind !== 'form',
) as readonly UnaryPrimitive[];

/** The fused unary activations, in table order. */
export const UNARY_ACTIVATIONS = names((r) => r.kind === 'activation') as readonly UnaryActivation[];

/**
 * Which row's formulas compute unary kernel `name` with `attrs`, and its parameters `p`, `q`: what
 * a backend needs to run any unary kernel from the table.
 */
export function unaryForm(name: string, attrs: object): [UnaryFormName, number, number] {
  const r = (UNARY_TABLE as Record<string, AnyUnaryRow>)[name];
  if (!r) throw new Error(`unaryForm: '${name}' is not a unary op of the table`);
  const a = attrs as never;
  const [p, q] = r.params ? r.params(a) : [0, 0];
  return [r.form ? r.form(a) : (name as UnaryFormName), p, q];
}

/** The row each `BiasAct` activation runs (the fused epilogue of a dense or conv layer). */
export const BIAS_ACTIVATION_ROWS: Readonly<Record<Exclude<BiasActivation, 'none'>, UnaryFormName>> = {
  relu: 'Relu',
  gelu: 'Gelu',
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
  silu: 'Silu',
};
