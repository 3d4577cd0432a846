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
import type { BinaryPrimitive, KernelAttrs, KernelName } from '../kernels.js';
import { broadcastShapes, fmtShape, type Shape, shapesEqual, sizeOf } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import {
  UNARY_ROWS,
  UNARY_TABLE,
  type UnaryActivation,
  type UnaryOps,
  type UnaryPrimitive,
  type UnaryRow,
} from '../unary-table.js';
import { full, toTensor, zerosLike } from './creation.js';
import * as elementwiseOps from './elementwise.js';
import { cast, reshape, sum } from './kernel-calls.js';

export { cast } from './kernel-calls.js';

// ---------------------------------------------------------------------------------------------
// Casting (`cast` itself is a kernel call of ./kernel-calls.ts)
// ---------------------------------------------------------------------------------------------

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
// Unary primitives: their rows (dtype kind, gradient rule, kernels) are in unary-table.ts.
// ---------------------------------------------------------------------------------------------

/** The ops the table's gradient rules and decompositions are written with, handed to them. */
let tableOps: UnaryOps | null = null;
const opsForTable = (): UnaryOps => {
  tableOps ??= { ...elementwiseOps, zerosLike };
  return tableOps;
};

function unary(name: UnaryPrimitive, x: Tensor): Tensor {
  const kind = UNARY_TABLE[name].kind;
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

for (const [name, row] of UNARY_ROWS) {
  if (row.kind === 'form') continue;
  const g = row.grad as UnaryRow<unknown>['grad'];
  if (g) {
    defineGrad(name, (({ dys, inputs, outputs, attrs }) => [
      g(opsForTable(), dys[0]!, inputs[0]!, outputs[0]!, attrs),
    ]) as GradFn<never>);
  } else defineNonDifferentiable(name);
}

export const neg = (x: TensorLike): Tensor => unary('Neg', toTensor(x));
export const abs = (x: TensorLike): Tensor => unary('Abs', toTensor(x));
export const sign = (x: TensorLike): Tensor => unary('Sign', toTensor(x));
export const exp = (x: TensorLike): Tensor => unary('Exp', toTensor(x));
export const expm1 = (x: TensorLike): Tensor => unary('Expm1', toTensor(x));
export const log = (x: TensorLike): Tensor => unary('Log', toTensor(x));
export const log1p = (x: TensorLike): Tensor => unary('Log1p', toTensor(x));
export const sqrt = (x: TensorLike): Tensor => unary('Sqrt', toTensor(x));
export const rsqrt = (x: TensorLike): Tensor => unary('Rsqrt', toTensor(x));
export const square = (x: TensorLike): Tensor => unary('Square', toTensor(x));
export const reciprocal = (x: TensorLike): Tensor => unary('Reciprocal', toTensor(x));
export const sin = (x: TensorLike): Tensor => unary('Sin', toTensor(x));
export const cos = (x: TensorLike): Tensor => unary('Cos', toTensor(x));
export const tan = (x: TensorLike): Tensor => unary('Tan', toTensor(x));
export const asin = (x: TensorLike): Tensor => unary('Asin', toTensor(x));
export const acos = (x: TensorLike): Tensor => unary('Acos', toTensor(x));
export const atan = (x: TensorLike): Tensor => unary('Atan', toTensor(x));
export const sinh = (x: TensorLike): Tensor => unary('Sinh', toTensor(x));
export const cosh = (x: TensorLike): Tensor => unary('Cosh', toTensor(x));
export const tanh = (x: TensorLike): Tensor => unary('Tanh', toTensor(x));
export const sigmoid = (x: TensorLike): Tensor => unary('Sigmoid', toTensor(x));
/** log(1 + exp(x)), linear above 20 as PyTorch. */
export const softplus = (x: TensorLike): Tensor => unary('Softplus', toTensor(x));
export const relu = (x: TensorLike): Tensor => unary('Relu', toTensor(x));
export const erf = (x: TensorLike): Tensor => unary('Erf', toTensor(x));
export const floor = (x: TensorLike): Tensor => unary('Floor', toTensor(x));
export const ceil = (x: TensorLike): Tensor => unary('Ceil', toTensor(x));
/** Rounds half to even, as PyTorch. */
export const round = (x: TensorLike): Tensor => unary('Round', toTensor(x));
export const trunc = (x: TensorLike): Tensor => unary('Trunc', toTensor(x));
export const isNaN = (x: TensorLike): Tensor => unary('IsNaN', toTensor(x));
export const isFinite = (x: TensorLike): Tensor => unary('IsFinite', toTensor(x));
export const logicalNot = (x: TensorLike): Tensor => unary('LogicalNot', toTensor(x));

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

export const add = (a: TensorLike, b: TensorLike): Tensor => binary('Add', a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('Sub', a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('Mul', a, b);
/** True division: the result is float32. */
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('Div', a, b);
export const pow = (a: TensorLike, b: TensorLike): Tensor => binary('Pow', a, b);
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary('Maximum', a, b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary('Minimum', a, b);
/** Python remainder: the result has the divisor's sign (torch.remainder). */
export const mod = (a: TensorLike, b: TensorLike): Tensor => binary('Mod', a, b);
/** Division rounded toward −∞. */
export const floorDiv = (a: TensorLike, b: TensorLike): Tensor => binary('FloorDiv', a, b);
export const atan2 = (a: TensorLike, b: TensorLike): Tensor => binary('Atan2', a, b);
export const equal = (a: TensorLike, b: TensorLike): Tensor => binary('Equal', a, b);
export const notEqual = (a: TensorLike, b: TensorLike): Tensor => binary('NotEqual', a, b);
export const less = (a: TensorLike, b: TensorLike): Tensor => binary('Less', a, b);
export const lessEqual = (a: TensorLike, b: TensorLike): Tensor => binary('LessEqual', a, b);
export const greater = (a: TensorLike, b: TensorLike): Tensor => binary('Greater', a, b);
export const greaterEqual = (a: TensorLike, b: TensorLike): Tensor => binary('GreaterEqual', a, b);
export const logicalAnd = (a: TensorLike, b: TensorLike): Tensor => binary('LogicalAnd', a, b);
export const logicalOr = (a: TensorLike, b: TensorLike): Tensor => binary('LogicalOr', a, b);
export const logicalXor = (a: TensorLike, b: TensorLike): Tensor => binary('LogicalXor', a, b);

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

/**
 * A fused activation of the table: its kernel when the backend has it, else the row's
 * decomposition. Inputs compute in float32.
 */
function activation<K extends UnaryActivation>(name: K, x: TensorLike, attrs: KernelAttrs[K]): Tensor {
  const xf = asFloat(toTensor(x));
  const row = UNARY_TABLE[name] as UnaryRow<KernelAttrs[K]>;
  return composite(name, [xf], attrs, 'float32', () => row.decompose!(opsForTable(), xf, attrs));
}

export const log2 = (x: TensorLike): Tensor => activation('Log2', x, {});
export const logSigmoid = (x: TensorLike): Tensor => activation('LogSigmoid', x, {});
export const softsign = (x: TensorLike): Tensor => activation('Softsign', x, {});
export const relu6 = (x: TensorLike): Tensor => activation('Relu6', x, {});
export const leakyRelu = (x: TensorLike, alpha = 0.01): Tensor => activation('LeakyRelu', x, { alpha });
export const elu = (x: TensorLike, alpha = 1): Tensor => activation('Elu', x, { alpha });
export const selu = (x: TensorLike): Tensor => activation('Selu', x, {});
export const celu = (x: TensorLike, alpha = 1): Tensor => activation('Celu', x, { alpha });
export const gelu = (x: TensorLike, options: { approximate?: 'none' | 'tanh' } = {}): Tensor =>
  activation('Gelu', x, { approximate: options.approximate ?? 'none' });
export const silu = (x: TensorLike): Tensor => activation('Silu', x, {});
export const mish = (x: TensorLike): Tensor => activation('Mish', x, {});
export const hardSigmoid = (x: TensorLike): Tensor => activation('HardSigmoid', x, {});
export const hardSwish = (x: TensorLike): Tensor => activation('HardSwish', x, {});
export const hardTanh = (x: TensorLike, min = -1, max = 1): Tensor => activation('HardTanh', x, { min, max });
/** x − tanh(x), as torch.nn.functional.tanhshrink. */
export const tanhshrink = (x: TensorLike): Tensor => activation('Tanhshrink', x, {});
