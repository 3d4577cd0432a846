import {
  apply,
  defineGrad,
  defineNonDifferentiable,
  type GradFn,
  opWithGrad,
  stopGradient as stopGrad,
} from '../autograd.js';
import { fmtShape, normAxes, normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { full } from './creation.js';
import {
  abs,
  add,
  cast,
  div,
  equal,
  exp,
  isFinite as isFiniteOp,
  log,
  mul,
  pow,
  sqrt,
  square,
  sub,
  where,
} from './elementwise.js';
import { cumprod, numeric, type ReduceOptions, reduce, reducedShape, sum } from './kernel-calls.js';
import { broadcastTo, concat, flatten, permute, reshape, slice } from './shape.js';

export { type ReduceOptions, reducedShape, sum } from './kernel-calls.js';

export function prod(x: Tensor, axis?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  return reduce('Prod', 'prod', x, axis, opts, numeric(x));
}
/**
 * The extreme of no elements is undefined (there is no identity to return, unlike sum's 0 or prod's
 * 1): reducing an empty axis is an error, as PyTorch ("Expected reduction dim to have non-zero
 * size"), instead of the ∓Infinity a kernel's initial value would give.
 */
function assertNonEmpty(op: string, x: Tensor, axis: number | readonly number[] | undefined): void {
  if (x.size !== 0) return;
  for (const a of normAxes(op, axis, x.rank)) {
    if (x.shape[a] === 0) {
      throw new RangeError(
        axis === undefined
          ? `${op}: cannot reduce the empty tensor of shape ${fmtShape(x.shape)} over all its axes (the ${op} of no elements is undefined); pass an axis of non-zero size`
          : `${op}: axis ${a} of shape ${fmtShape(x.shape)} is empty (the ${op} of no elements is undefined)`,
      );
    }
  }
}

/** Maximum over `axis` (torch.amax): ties share the gradient evenly. An empty reduced axis is an error. */
export function max(x: Tensor, axis?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  assertNonEmpty('max', x, axis);
  return reduce('Max', 'max', x, axis, opts, numeric(x));
}
/** Minimum over `axis` (torch.amin): ties share the gradient evenly. An empty reduced axis is an error. */
export function min(x: Tensor, axis?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  assertNonEmpty('min', x, axis);
  return reduce('Min', 'min', x, axis, opts, numeric(x));
}
export function any(x: Tensor, axis?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  return reduce('Any', 'any', x, axis, opts, 'bool');
}
export function all(x: Tensor, axis?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  return reduce('All', 'all', x, axis, opts, 'bool');
}

/** The gradient of a reduction, broadcast back to the input's shape. */
function expandGrad(dy: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  return broadcastTo(reshape(dy, reducedShape(x.shape, axes, true)), x.shape);
}

defineGrad('Sum', ({ dys, inputs, attrs }) => [expandGrad(dys[0]!, inputs[0]!, attrs.axes)]);

// Max/Min: spread evenly over the elements equal to the extreme (torch.amax/amin).
const extremeGrad = ({
  dys,
  inputs,
  outputs,
  attrs,
}: {
  dys: readonly Tensor[];
  inputs: readonly Tensor[];
  outputs: readonly Tensor[];
  attrs: { axes: number[] };
}) => {
  const x = inputs[0]!;
  const y = expandGrad(outputs[0]!, x, attrs.axes);
  const mask = cast(equal(x, y), 'float32');
  const count = sum(mask, attrs.axes, { keepdims: true });
  return [div(mul(mask, expandGrad(dys[0]!, x, attrs.axes)), count)];
};
defineGrad('Max', extremeGrad);
defineGrad('Min', extremeGrad);

// Prod: d/dx_i = product of all other elements, computed with exclusive cumulative products from
// both sides so that zeros are handled exactly (no division by x).
defineGrad('Prod', ({ dys, inputs, attrs }) => {
  const x = inputs[0]!;
  if (x.size === 0) return [full(x.shape, 0)];
  const axes = attrs.axes;
  const rest = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...rest, ...axes];
  const moved = permute(x, perm);
  const flat = flatten(moved, rest.length);
  const r = flat.rank - 1;
  const n = flat.shape[r]!;
  const ones = onesOfRank(flat, r);
  const left = cumprod(concat([ones, slice(flat, ...new Array(r).fill(null), [0, n - 1])], r), r);
  const right = cumprod(concat([slice(flat, ...new Array(r).fill(null), [1, n]), ones], r), r, {
    reverse: true,
  });
  const others = reshape(mul(left, right), moved.shape);
  const inv = perm.map((_, i) => perm.indexOf(i));
  return [mul(permute(others, inv), expandGrad(dys[0]!, x, axes))];
});

/** Ones shaped like one slot of the last axis of `flat` (a fill, so infinities in `flat` cannot leak in). */
function onesOfRank(flat: Tensor, r: number): Tensor {
  return full([...flat.shape.slice(0, r), 1], 1);
}

defineNonDifferentiable('Any', 'All', 'ArgMax', 'ArgMin');

function argReduce(
  name: 'ArgMax' | 'ArgMin',
  op: string,
  x: Tensor,
  axis: number | undefined,
  opts: ReduceOptions,
): Tensor {
  assertNonEmpty(op, x, axis);
  if (axis === undefined) {
    const flat = reshape(x, [x.size]);
    const out = apply(name, [numericInput(flat)], { axis: 0 }, [{ shape: [], dtype: 'int32' }])[0]!;
    return opts.keepdims
      ? reshape(
          out,
          x.shape.map(() => 1),
        )
      : out;
  }
  const a = normAxis(op, axis, x.rank);
  const input = x.rank === 0 ? reshape(x, [1]) : x;
  const out = apply(name, [numericInput(input)], { axis: x.rank === 0 ? 0 : a }, [
    { shape: reducedShape(input.shape, [a], false), dtype: 'int32' },
  ])[0]!;
  return opts.keepdims ? reshape(out, reducedShape(x.shape, [a], true)) : out;
}
const numericInput = (x: Tensor) => (x.dtype === 'bool' ? cast(x, 'int32') : x);

/** Index of the first maximum along `axis` (over the flattened tensor when omitted). */
export function argmax(x: Tensor, axis?: number, opts: ReduceOptions = {}): Tensor {
  return argReduce('ArgMax', 'argmax', x, axis, opts);
}
export function argmin(x: Tensor, axis?: number, opts: ReduceOptions = {}): Tensor {
  return argReduce('ArgMin', 'argmin', x, axis, opts);
}

function countOf(x: Tensor, axis: number | readonly number[] | undefined): number {
  const axes = normAxes('mean', axis, x.rank);
  let n = 1;
  for (const a of axes) n *= x.shape[a]!;
  return n;
}

/** Arithmetic mean over `axis`; the result is float32. */
export function mean(x: Tensor, axis?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  return div(sum(cast(x, 'float32'), axis, opts), countOf(x, axis));
}

export interface VarianceOptions extends ReduceOptions {
  /** Bessel's correction: divide by N − correction (1 = unbiased, as PyTorch's default). */
  correction?: number;
}

export function variance(x: Tensor, axis?: number | readonly number[], opts: VarianceOptions = {}): Tensor {
  const xf = cast(x, 'float32');
  const mu = mean(xf, axis, { keepdims: true });
  const n = countOf(x, axis);
  const ss = sum(square(sub(xf, mu)), axis, { keepdims: opts.keepdims ?? false });
  return div(ss, Math.max(0, n - (opts.correction ?? 1)));
}

/**
 * Standard deviation. Its gradient (x − mean) / ((N − correction) · std) is taken as 0 where the
 * std is 0, as PyTorch, instead of the 0/0 the chain rule through sqrt would give.
 */
export function std(x: Tensor, axis?: number | readonly number[], opts: VarianceOptions = {}): Tensor {
  const xf = cast(x, 'float32');
  const axes = normAxes('std', axis, x.rank);
  const keepdims = opts.keepdims ?? false;
  const denom = Math.max(0, countOf(x, axis) - (opts.correction ?? 1));
  return opWithGrad('Std', [xf], () => sqrt(variance(xf, axes, { ...opts, keepdims })), (({
    dys,
    inputs,
    outputs,
  }) => {
    const xi = inputs[0]!;
    const s = reshape(outputs[0]!, reducedShape(xi.shape, axes, true));
    const dy = reshape(dys[0]!, s.shape);
    const centered = sub(xi, mean(xi, axes, { keepdims: true }));
    const g = div(mul(dy, centered), mul(s, denom));
    return [where(equal(s, 0), 0, g)];
  }) as GradFn<never>);
}

/** log(sum(exp(x))) computed stably by subtracting the max (infinite maxima handled as PyTorch). */
export function logSumExp(x: Tensor, axis?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  const xf = cast(x, 'float32');
  const axes = normAxes('logSumExp', axis, x.rank);
  if (axes.some((a) => x.shape[a] === 0)) {
    // A sum of no exponentials is 0, so its log is −∞ (torch.logsumexp).
    return full(reducedShape(x.shape, axes, opts.keepdims ?? false), -Infinity);
  }
  const m = max(xf, axis, { keepdims: true });
  const safe = where(isFiniteOp(m), m, 0);
  const mc = stopGrad(safe);
  const s = log(sum(exp(sub(xf, mc)), axis, { keepdims: true }));
  const out = add(s, mc);
  return opts.keepdims
    ? out
    : reshape(out, reducedShape(x.shape, normAxes('logSumExp', axis, x.rank), false));
}

export type NormOrd = 1 | 2 | 'inf' | '-inf' | 'fro' | number;

/**
 * Vector norm over `axis` (all elements when omitted): ord 1, 2 ('fro'), inf, −inf or any p > 0.
 * The 2-norm's gradient x / ‖x‖ is taken as 0 at ‖x‖ = 0, as PyTorch.
 */
export function norm(
  x: Tensor,
  ord: NormOrd = 'fro',
  axis?: number | readonly number[],
  opts: ReduceOptions = {},
): Tensor {
  const xf = cast(x, 'float32');
  if (ord === 'fro' || ord === 2) {
    const axes = normAxes('norm', axis, x.rank);
    return opWithGrad('Norm2', [xf], () => sqrt(sum(square(xf), axes, opts)), (({ dys, inputs, outputs }) => {
      const xi = inputs[0]!;
      const n = reshape(outputs[0]!, reducedShape(xi.shape, axes, true));
      const dy = reshape(dys[0]!, n.shape);
      return [where(equal(n, 0), 0, div(mul(dy, xi), n))];
    }) as GradFn<never>);
  }
  if (ord === 1) return sum(abs(xf), axis, opts);
  if (ord === 'inf' || ord === Infinity) return max(abs(xf), axis, opts);
  if (ord === '-inf' || ord === -Infinity) return min(abs(xf), axis, opts);
  if (typeof ord === 'number' && ord > 0) return pow(sum(pow(abs(xf), ord), axis, opts), 1 / ord);
  throw new RangeError(`norm: unsupported ord ${String(ord)} (expected 1, 2, 'fro', 'inf', '-inf' or p > 0)`);
}
