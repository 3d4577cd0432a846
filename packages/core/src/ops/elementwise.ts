import {
  apply,
  defineGrad,
  defineNonDifferentiable,
  type GradFn,
  hasGradRule,
  isGradEnabled,
} from '../autograd.js';
import type { OutputSpec } from '../backend.js';
import { type DType, promoteTypes } from '../dtype.js';
import { getBackend } from '../engine.js';
import type { BinaryPrimitive, KernelAttrs, KernelName, UnaryPrimitive } from '../kernels.js';
import { broadcastShapes, fmtShape, type Shape, shapesEqual, sizeOf } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { full, toTensor, zerosLike } from './creation.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';

// ---------------------------------------------------------------------------------------------
// Casting
// ---------------------------------------------------------------------------------------------

/** Convert to `dtype` (float→int32 truncates toward zero; anything→bool is `x != 0`). */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  return apply('Cast', [x], {}, [{ shape: x.shape, dtype }])[0]!;
}
defineGrad('Cast', ({ dys, inputs }) => [inputs[0]!.dtype === 'float32' ? cast(dys[0]!, 'float32') : null]);

const asFloat = (x: Tensor) => (x.dtype === 'float32' ? x : cast(x, 'float32'));

/** Sum `g` over broadcast dims so it has `shape` (the gradient of broadcasting). */
export function unbroadcast(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return reshape(axes.length ? sum(g, axes) : g, shape);
}

// ---------------------------------------------------------------------------------------------
// Unary primitives: one row each — which dtypes the kernel sees and the gradient rule.
// ---------------------------------------------------------------------------------------------

/**
 * How a unary op treats dtypes: 'float' casts int/bool inputs to float32; 'numeric' keeps int32
 * (bool → int32); 'round' is the identity on integers; 'pred' returns bool; 'logic' takes bool.
 */
type UnaryKind = 'float' | 'numeric' | 'round' | 'pred' | 'logic';

type UnaryGrad = (dy: Tensor, x: Tensor, y: Tensor) => Tensor;

const UNARY: Record<UnaryPrimitive, [UnaryKind, UnaryGrad | null]> = {
  Neg: ['numeric', (dy) => neg(dy)],
  Abs: ['numeric', (dy, x) => mul(dy, sign(x))],
  Sign: ['numeric', (dy) => zerosLike(dy)],
  Exp: ['float', (dy, _x, y) => mul(dy, y)],
  Expm1: ['float', (dy, _x, y) => mul(dy, add(y, 1))],
  Log: ['float', (dy, x) => div(dy, x)],
  Log1p: ['float', (dy, x) => div(dy, add(x, 1))],
  Sqrt: ['float', (dy, _x, y) => div(dy, mul(y, 2))],
  Rsqrt: ['float', (dy, _x, y) => mul(dy, mul(pow(y, 3), -0.5))],
  Square: ['numeric', (dy, x) => mul(dy, mul(x, 2))],
  Reciprocal: ['float', (dy, _x, y) => neg(mul(dy, square(y)))],
  Sin: ['float', (dy, x) => mul(dy, cos(x))],
  Cos: ['float', (dy, x) => neg(mul(dy, sin(x)))],
  Tan: ['float', (dy, _x, y) => mul(dy, add(square(y), 1))],
  Asin: ['float', (dy, x) => div(dy, sqrt(sub(1, square(x))))],
  Acos: ['float', (dy, x) => neg(div(dy, sqrt(sub(1, square(x)))))],
  Atan: ['float', (dy, x) => div(dy, add(square(x), 1))],
  Sinh: ['float', (dy, x) => mul(dy, cosh(x))],
  Cosh: ['float', (dy, x) => mul(dy, sinh(x))],
  Tanh: ['float', (dy, _x, y) => mul(dy, sub(1, square(y)))],
  Sigmoid: ['float', (dy, _x, y) => mul(dy, mul(y, sub(1, y)))],
  Softplus: ['float', (dy, x) => mul(dy, sigmoid(x))],
  // relu'(0) = 0, as PyTorch.
  Relu: ['numeric', (dy, x) => mul(dy, cast(greater(x, 0), dy.dtype))],
  Erf: ['float', (dy, x) => mul(dy, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI)))],
  Floor: ['round', (dy) => zerosLike(dy)],
  Ceil: ['round', (dy) => zerosLike(dy)],
  Round: ['round', (dy) => zerosLike(dy)],
  Trunc: ['round', (dy) => zerosLike(dy)],
  IsNaN: ['pred', null],
  IsFinite: ['pred', null],
  LogicalNot: ['logic', null],
};

function unary(name: UnaryPrimitive, x: Tensor): Tensor {
  const [kind] = UNARY[name];
  let input = x;
  let out: DType;
  switch (kind) {
    case 'float':
      input = asFloat(x);
      out = 'float32';
      break;
    case 'numeric':
      if (x.dtype === 'bool') input = cast(x, 'int32');
      out = input.dtype;
      break;
    case 'round':
      if (x.dtype !== 'float32') return x;
      out = 'float32';
      break;
    case 'pred':
      // Integers are never NaN and always finite.
      if (x.dtype !== 'float32') return full(x.shape, name === 'IsFinite', { dtype: 'bool' });
      out = 'bool';
      break;
    case 'logic':
      input = x.dtype === 'bool' ? x : cast(x, 'bool');
      out = 'bool';
      break;
  }
  return apply(name, [input], {}, [{ shape: input.shape, dtype: out }])[0]!;
}

for (const [name, [, g]] of Object.entries(UNARY) as [UnaryPrimitive, [UnaryKind, UnaryGrad | null]][]) {
  if (g) defineGrad(name, ({ dys, inputs, outputs }) => [g(dys[0]!, inputs[0]!, outputs[0]!)]);
  else defineNonDifferentiable(name);
}

export const neg = (x: TensorLike) => unary('Neg', toTensor(x));
export const abs = (x: TensorLike) => unary('Abs', toTensor(x));
export const sign = (x: TensorLike) => unary('Sign', toTensor(x));
export const exp = (x: TensorLike) => unary('Exp', toTensor(x));
export const expm1 = (x: TensorLike) => unary('Expm1', toTensor(x));
export const log = (x: TensorLike) => unary('Log', toTensor(x));
export const log1p = (x: TensorLike) => unary('Log1p', toTensor(x));
export const sqrt = (x: TensorLike) => unary('Sqrt', toTensor(x));
export const rsqrt = (x: TensorLike) => unary('Rsqrt', toTensor(x));
export const square = (x: TensorLike) => unary('Square', toTensor(x));
export const reciprocal = (x: TensorLike) => unary('Reciprocal', toTensor(x));
export const sin = (x: TensorLike) => unary('Sin', toTensor(x));
export const cos = (x: TensorLike) => unary('Cos', toTensor(x));
export const tan = (x: TensorLike) => unary('Tan', toTensor(x));
export const asin = (x: TensorLike) => unary('Asin', toTensor(x));
export const acos = (x: TensorLike) => unary('Acos', toTensor(x));
export const atan = (x: TensorLike) => unary('Atan', toTensor(x));
export const sinh = (x: TensorLike) => unary('Sinh', toTensor(x));
export const cosh = (x: TensorLike) => unary('Cosh', toTensor(x));
export const tanh = (x: TensorLike) => unary('Tanh', toTensor(x));
export const sigmoid = (x: TensorLike) => unary('Sigmoid', toTensor(x));
/** log(1 + exp(x)), linear above 20 as PyTorch. */
export const softplus = (x: TensorLike) => unary('Softplus', toTensor(x));
export const relu = (x: TensorLike) => unary('Relu', toTensor(x));
export const erf = (x: TensorLike) => unary('Erf', toTensor(x));
export const floor = (x: TensorLike) => unary('Floor', toTensor(x));
export const ceil = (x: TensorLike) => unary('Ceil', toTensor(x));
/** Rounds half to even, as PyTorch. */
export const round = (x: TensorLike) => unary('Round', toTensor(x));
export const trunc = (x: TensorLike) => unary('Trunc', toTensor(x));
export const isNaN = (x: TensorLike) => unary('IsNaN', toTensor(x));
export const isFinite = (x: TensorLike) => unary('IsFinite', toTensor(x));
export const logicalNot = (x: TensorLike) => unary('LogicalNot', toTensor(x));

// ---------------------------------------------------------------------------------------------
// Binary primitives with broadcasting
// ---------------------------------------------------------------------------------------------

/** 'arith' promotes (bool+bool → int32); 'float' computes in float32; 'cmp' compares in the promoted type; 'logic' works on bool. */
type BinaryKind = 'arith' | 'float' | 'cmp' | 'logic';
type BinaryGrad = (dy: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null];

const BINARY: Record<BinaryPrimitive, [BinaryKind, BinaryGrad | null]> = {
  Add: ['arith', (dy) => [dy, dy]],
  Sub: ['arith', (dy) => [dy, neg(dy)]],
  Mul: ['arith', (dy, a, b) => [mul(dy, b), mul(dy, a)]],
  Div: ['float', (dy, a, b) => [div(dy, b), neg(div(mul(dy, a), square(b)))]],
  // As PyTorch: d/da is 0 where b == 0; d/db is 0 where a == 0 and b >= 0.
  Pow: [
    'arith',
    (dy, a, b, y) => [
      where(equal(b, 0), 0, mul(dy, mul(b, pow(a, sub(b, 1))))),
      where(logicalAnd(equal(a, 0), greaterEqual(b, 0)), 0, mul(dy, mul(y, log(a)))),
    ],
  ],
  // Ties split the gradient evenly, as torch.maximum.
  Maximum: ['arith', (dy, a, b) => minmaxGrad(dy, a, b, greater)],
  Minimum: ['arith', (dy, a, b) => minmaxGrad(dy, a, b, less)],
  Mod: ['arith', (dy, a, b) => [dy, neg(mul(dy, floorDiv(a, b)))]],
  FloorDiv: ['arith', (dy) => [zerosLike(dy), zerosLike(dy)]],
  Atan2: [
    'float',
    (dy, a, b) => {
      const d = add(square(a), square(b));
      return [div(mul(dy, b), d), neg(div(mul(dy, a), d))];
    },
  ],
  Equal: ['cmp', null],
  NotEqual: ['cmp', null],
  Less: ['cmp', null],
  LessEqual: ['cmp', null],
  Greater: ['cmp', null],
  GreaterEqual: ['cmp', null],
  LogicalAnd: ['logic', null],
  LogicalOr: ['logic', null],
  LogicalXor: ['logic', null],
};

function minmaxGrad(
  dy: Tensor,
  a: Tensor,
  b: Tensor,
  wins: (a: Tensor, b: Tensor) => Tensor,
): [Tensor, Tensor] {
  const tie = cast(equal(a, b), 'float32');
  const aw = add(cast(wins(a, b), 'float32'), mul(tie, 0.5));
  return [mul(dy, aw), mul(dy, sub(1, aw))];
}

function binary(name: BinaryPrimitive, a0: TensorLike, b0: TensorLike): Tensor {
  const [kind] = BINARY[name];
  const a = a0 instanceof Tensor ? a0 : toTensor(a0, b0 instanceof Tensor ? b0 : undefined);
  const b = toTensor(b0, a);
  const shape = broadcastShapes(name.toLowerCase(), a.shape, b.shape);
  let t: DType;
  let out: DType;
  switch (kind) {
    case 'arith':
      t = promoteTypes(a.dtype, b.dtype);
      if (t === 'bool') t = 'int32';
      out = t;
      break;
    case 'float':
      t = out = 'float32';
      break;
    case 'cmp':
      t = promoteTypes(a.dtype, b.dtype);
      out = 'bool';
      break;
    case 'logic':
      t = out = 'bool';
      break;
  }
  const inputs = [a.dtype === t ? a : cast(a, t), b.dtype === t ? b : cast(b, t)];
  if ((name === 'FloorDiv' || name === 'Mod') && t === 'int32' && sizeOf(shape) > 0)
    assertNoZeroDivisor(name, inputs[1]!, b0);
  return apply(name, inputs, {}, [{ shape, dtype: out }])[0]!;
}

/**
 * Integer `floorDiv` and `mod` by zero have no value: PyTorch raises ZeroDivisionError (CPU), and
 * kernels would silently return 0. The divisor is checked on the host: a JS number directly, a
 * tensor when its backend reads synchronously (cpu, wasm; on WebGPU only divisors written from the
 * host, which is where integer divisors usually come from). A float division by zero is not an
 * error: it gives ±Infinity or NaN, as IEEE and PyTorch.
 */
function assertNoZeroDivisor(name: 'FloorDiv' | 'Mod', divisor: Tensor, given: TensorLike): void {
  const op = name === 'FloorDiv' ? 'floorDiv' : 'mod';
  let at = -1;
  if (typeof given === 'number' || typeof given === 'boolean') {
    if (Number(given) === 0) at = 0;
  } else if (divisor.size > 0) {
    let values: ArrayLike<number>;
    try {
      if (divisor.backend.canReadSync === false) return;
      values = divisor.dataSync();
    } catch {
      return; // This backend cannot read the divisor synchronously: unchecked, as documented.
    }
    for (let i = 0; i < values.length; i++) {
      if (values[i] === 0) {
        at = i;
        break;
      }
    }
  }
  if (at >= 0) {
    throw new RangeError(
      `${op}: integer division by zero (the int32 divisor ${typeof given === 'number' || typeof given === 'boolean' ? `is ${String(given)}` : `of shape ${fmtShape(divisor.shape)} holds 0 at flat index ${at}`}); PyTorch raises ZeroDivisionError here. Cast to float32 for IEEE results (±Infinity, NaN)`,
    );
  }
}

for (const [name, [, g]] of Object.entries(BINARY) as [BinaryPrimitive, [BinaryKind, BinaryGrad | null]][]) {
  if (!g) {
    defineNonDifferentiable(name);
    continue;
  }
  defineGrad(name, ({ dys, inputs, outputs, needs }) => {
    const [a, b] = inputs as [Tensor, Tensor];
    const [ga, gb] = g(dys[0]!, a, b, outputs[0]!);
    return [
      needs[0] && ga ? unbroadcast(ga, a.shape) : null,
      needs[1] && gb ? unbroadcast(gb, b.shape) : null,
    ];
  });
}

export const add = (a: TensorLike, b: TensorLike) => binary('Add', a, b);
export const sub = (a: TensorLike, b: TensorLike) => binary('Sub', a, b);
export const mul = (a: TensorLike, b: TensorLike) => binary('Mul', a, b);
/** True division: the result is float32. */
export const div = (a: TensorLike, b: TensorLike) => binary('Div', a, b);
export const pow = (a: TensorLike, b: TensorLike) => binary('Pow', a, b);
export const maximum = (a: TensorLike, b: TensorLike) => binary('Maximum', a, b);
export const minimum = (a: TensorLike, b: TensorLike) => binary('Minimum', a, b);
/** Python remainder: the result has the divisor's sign (torch.remainder). */
export const mod = (a: TensorLike, b: TensorLike) => binary('Mod', a, b);
/** Division rounded toward −∞. */
export const floorDiv = (a: TensorLike, b: TensorLike) => binary('FloorDiv', a, b);
export const atan2 = (a: TensorLike, b: TensorLike) => binary('Atan2', a, b);
export const equal = (a: TensorLike, b: TensorLike) => binary('Equal', a, b);
export const notEqual = (a: TensorLike, b: TensorLike) => binary('NotEqual', a, b);
export const less = (a: TensorLike, b: TensorLike) => binary('Less', a, b);
export const lessEqual = (a: TensorLike, b: TensorLike) => binary('LessEqual', a, b);
export const greater = (a: TensorLike, b: TensorLike) => binary('Greater', a, b);
export const greaterEqual = (a: TensorLike, b: TensorLike) => binary('GreaterEqual', a, b);
export const logicalAnd = (a: TensorLike, b: TensorLike) => binary('LogicalAnd', a, b);
export const logicalOr = (a: TensorLike, b: TensorLike) => binary('LogicalOr', a, b);
export const logicalXor = (a: TensorLike, b: TensorLike) => binary('LogicalXor', a, b);

/** `condition ? a : b` elementwise, with broadcasting. */
export function where(condition: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  let c = toTensor(condition, 'bool');
  if (c.dtype !== 'bool') c = cast(c, 'bool');
  const at = a instanceof Tensor ? a : toTensor(a, b instanceof Tensor ? b : undefined);
  const bt = toTensor(b, at);
  const t = promoteTypes(at.dtype, bt.dtype);
  const shape = broadcastShapes('where', c.shape, at.shape, bt.shape);
  return apply('Where', [c, cast(at, t), cast(bt, t)], {}, [{ shape, dtype: t }])[0]!;
}
defineGrad('Where', ({ dys, inputs, needs }) => {
  const [c, a, b] = inputs as [Tensor, Tensor, Tensor];
  const dy = dys[0]!;
  return [
    null,
    needs[1] ? unbroadcast(where(c, dy, 0), a.shape) : null,
    needs[2] ? unbroadcast(where(c, 0, dy), b.shape) : null,
  ];
});

/** Clamp to [min, max] (either may be omitted); NaN stays NaN. The gradient passes where min ≤ x ≤ max. */
export function clip(x: Tensor, min = -Infinity, max = Infinity): Tensor {
  if (min > max) throw new RangeError(`clip: min ${min} is greater than max ${max}`);
  const input = x.dtype === 'bool' ? cast(x, 'int32') : x;
  const dtype =
    input.dtype === 'int32' && !(Number.isInteger(min) || min === -Infinity) ? 'float32' : input.dtype;
  return apply('Clip', [cast(input, dtype)], { min, max }, [{ shape: x.shape, dtype }])[0]!;
}
defineGrad('Clip', ({ dys, inputs, attrs }) => {
  const x = inputs[0]!;
  const inside = logicalAnd(greaterEqual(x, attrs.min), lessEqual(x, attrs.max));
  return [mul(dys[0]!, cast(inside, 'float32'))];
});

// ---------------------------------------------------------------------------------------------
// Composite activations: decomposed into primitives, unless the backend has a fused kernel (then
// the fused kernel runs and the decomposition's gradient is written out below).
// ---------------------------------------------------------------------------------------------

/**
 * Run composite kernel `name` fused when the backend has it (and, while recording, a gradient rule
 * exists), else run `decompose`, whose primitives autograd differentiates.
 */
export function composite<K extends KernelName>(
  name: K,
  inputs: Tensor[],
  attrs: KernelAttrs[K],
  outDtype: DType,
  decompose: () => Tensor,
  outShape?: Shape,
): Tensor {
  const fused = getBackend().kernels[name];
  if (fused && (!inputs.some((t) => t.requiresGrad) || hasGradRule(name))) {
    return apply(name, inputs, attrs, [{ shape: outShape ?? inputs[0]!.shape, dtype: outDtype }])[0]!;
  }
  return decompose();
}

/**
 * `composite` for kernels with several outputs (the fused recurrent cells): the fused kernel when
 * the backend has it, else `decompose`. The fused kernel also runs while gradients are off (inside
 * an imperative `backward()`, say) even for kernels without a gradient rule of their own, whose
 * decomposition is only needed when a higher-order gradient records through them.
 */
export function compositeMulti<K extends KernelName>(
  name: K,
  inputs: Tensor[],
  attrs: KernelAttrs[K],
  outputs: readonly OutputSpec[],
  decompose: () => Tensor[],
): Tensor[] {
  const fused = getBackend().kernels[name];
  if (fused && (!isGradEnabled() || !inputs.some((t) => t.requiresGrad) || hasGradRule(name))) {
    return apply(name, inputs, attrs, outputs);
  }
  return decompose();
}

type Act<A> = { fwd: (x: Tensor, a: A) => Tensor; grad: (dy: Tensor, x: Tensor, y: Tensor, a: A) => Tensor };

function activation<K extends KernelName>(name: K, def: Act<KernelAttrs[K]>) {
  defineGrad(name, (({ dys, inputs, outputs, attrs }) => [
    def.grad(dys[0]!, inputs[0]!, outputs[0]!, attrs as KernelAttrs[K]),
  ]) as GradFn<KernelAttrs[K]>);
  return (x: TensorLike, attrs: KernelAttrs[K]) => {
    const xf = asFloat(toTensor(x));
    return composite(name, [xf], attrs, 'float32', () => def.fwd(xf, attrs));
  };
}

const between = (x: Tensor, lo: number, hi: number) =>
  cast(logicalAnd(greater(x, lo), less(x, hi)), 'float32');

const log2Op = activation('Log2', {
  fwd: (x) => div(log(x), Math.LN2),
  grad: (dy, x) => div(dy, mul(x, Math.LN2)),
});
const logSigmoidOp = activation('LogSigmoid', {
  fwd: (x) => neg(softplus(neg(x))),
  grad: (dy, x) => mul(dy, sigmoid(neg(x))),
});
const softsignOp = activation('Softsign', {
  fwd: (x) => div(x, add(abs(x), 1)),
  grad: (dy, x) => div(dy, square(add(abs(x), 1))),
});
// hardtanh-style ops pass the gradient only strictly inside the range, as PyTorch.
const hardTanhOp = activation('HardTanh', {
  fwd: (x, { min, max }) => where(lessEqual(x, min), min, where(greaterEqual(x, max), max, x)),
  grad: (dy, x, _y, { min, max }) => mul(dy, between(x, min, max)),
});
const relu6Op = activation('Relu6', {
  fwd: (x) => hardTanhOp(x, { min: 0, max: 6 }),
  grad: (dy, x) => mul(dy, between(x, 0, 6)),
});
const leakyReluOp = activation('LeakyRelu', {
  fwd: (x, { alpha }) => where(greater(x, 0), x, mul(x, alpha)),
  grad: (dy, x, _y, { alpha }) => mul(dy, where(greater(x, 0), 1, alpha)),
});
const eluOp = activation('Elu', {
  fwd: (x, { alpha }) => where(greater(x, 0), x, mul(expm1(x), alpha)),
  grad: (dy, x, _y, { alpha }) => mul(dy, where(greater(x, 0), 1, mul(exp(x), alpha))),
});
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const seluOp = activation('Selu', {
  fwd: (x) => mul(eluOp(x, { alpha: SELU_ALPHA }), SELU_SCALE),
  grad: (dy, x) => mul(dy, where(greater(x, 0), SELU_SCALE, mul(exp(x), SELU_SCALE * SELU_ALPHA))),
});
const celuOp = activation('Celu', {
  fwd: (x, { alpha }) => where(greater(x, 0), x, mul(expm1(div(x, alpha)), alpha)),
  grad: (dy, x, _y, { alpha }) => mul(dy, where(greater(x, 0), 1, exp(div(x, alpha)))),
});
const GELU_C = Math.sqrt(2 / Math.PI);
const geluOp = activation('Gelu', {
  fwd: (x, { approximate }) =>
    approximate === 'tanh'
      ? mul(mul(x, 0.5), add(tanh(mul(add(x, mul(pow(x, 3), 0.044715)), GELU_C)), 1))
      : mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1)),
  grad: (dy, x, _y, { approximate }) => {
    if (approximate === 'tanh') {
      const inner = mul(add(x, mul(pow(x, 3), 0.044715)), GELU_C);
      const t = tanh(inner);
      const dinner = mul(add(mul(square(x), 3 * 0.044715), 1), GELU_C);
      return mul(dy, add(mul(add(t, 1), 0.5), mul(mul(mul(x, 0.5), sub(1, square(t))), dinner)));
    }
    const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = mul(exp(mul(square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return mul(dy, add(cdf, mul(x, pdf)));
  },
});
const siluOp = activation('Silu', {
  fwd: (x) => mul(x, sigmoid(x)),
  grad: (dy, x) => {
    const s = sigmoid(x);
    return mul(dy, mul(s, add(mul(x, sub(1, s)), 1)));
  },
});
const mishOp = activation('Mish', {
  fwd: (x) => mul(x, tanh(softplus(x))),
  grad: (dy, x) => {
    const t = tanh(softplus(x));
    return mul(dy, add(t, mul(mul(x, sigmoid(x)), sub(1, square(t)))));
  },
});
const hardSigmoidOp = activation('HardSigmoid', {
  fwd: (x) => where(lessEqual(x, -3), 0, where(greaterEqual(x, 3), 1, add(div(x, 6), 0.5))),
  grad: (dy, x) => div(mul(dy, between(x, -3, 3)), 6),
});
// As PyTorch: 0 below −3, x(x+3)/6 on [−3, 3], x above; gradient (2x+3)/6 on the closed interval.
const hardSwishOp = activation('HardSwish', {
  fwd: (x) => where(less(x, -3), 0, where(lessEqual(x, 3), div(mul(x, add(x, 3)), 6), x)),
  grad: (dy, x) => mul(dy, where(less(x, -3), 0, where(lessEqual(x, 3), add(div(x, 3), 0.5), 1))),
});

export const log2 = (x: TensorLike) => log2Op(x, {});
export const logSigmoid = (x: TensorLike) => logSigmoidOp(x, {});
export const softsign = (x: TensorLike) => softsignOp(x, {});
export const relu6 = (x: TensorLike) => relu6Op(x, {});
export const leakyRelu = (x: TensorLike, alpha = 0.01) => leakyReluOp(x, { alpha });
export const elu = (x: TensorLike, alpha = 1) => eluOp(x, { alpha });
export const selu = (x: TensorLike) => seluOp(x, {});
export const celu = (x: TensorLike, alpha = 1) => celuOp(x, { alpha });
export const gelu = (x: TensorLike, options: { approximate?: 'none' | 'tanh' } = {}) =>
  geluOp(x, { approximate: options.approximate ?? 'none' });
export const silu = (x: TensorLike) => siluOp(x, {});
export const mish = (x: TensorLike) => mishOp(x, {});
export const hardSigmoid = (x: TensorLike) => hardSigmoidOp(x, {});
export const hardSwish = (x: TensorLike) => hardSwishOp(x, {});
export const hardTanh = (x: TensorLike, min = -1, max = 1) => hardTanhOp(x, { min, max });
