import { apply, defineGrad } from '../autograd.js';
import { fmtShape, normAxis } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { arange, full, zerosLike } from './creation.js';
import { equal, greaterEqual, lessEqual, logicalAnd, mul, notEqual, where } from './elementwise.js';
import { cast, checkBounds, checkIndex, indexSelect } from './kernel-calls.js';
import { prod, sum } from './reduce.js';
import { broadcastTo, flip, pad, permute, reshape, transpose, unsqueeze } from './shape.js';

export { cumprod, indexSelect } from './kernel-calls.js';

function checkSameRank(op: string, x: Tensor, index: Tensor, axis: number, src?: Tensor): void {
  if (index.rank !== x.rank) {
    throw new RangeError(
      `${op}: index has rank ${index.rank} (shape ${fmtShape(index.shape)}) but input has rank ${x.rank} (shape ${fmtShape(x.shape)})`,
    );
  }
  index.shape.forEach((d, i) => {
    if (i !== axis && d > x.shape[i]!) {
      throw new RangeError(
        `${op}: index shape ${fmtShape(index.shape)} exceeds input shape ${fmtShape(x.shape)} at dim ${i}`,
      );
    }
    if (src && d > src.shape[i]!) {
      throw new RangeError(
        `${op}: index shape ${fmtShape(index.shape)} exceeds src shape ${fmtShape(src.shape)} at dim ${i}`,
      );
    }
  });
}

/** torch.gather: out[…i…] = x[…index[…i…]…] along `axis`; `index` has x's rank. */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normAxis('gather', axis, x.rank);
  const idx = checkIndex('gather', index);
  checkSameRank('gather', x, idx, a);
  checkBounds('gather', idx, x.shape[a]!, `dim ${a}`);
  return apply('Gather', [x, idx], { axis: a }, [{ shape: idx.shape, dtype: x.dtype }])[0]!;
}
defineGrad('Gather', ({ dys, inputs, attrs }) => [
  scatterAddTrusted(zerosLike(inputs[0]!), attrs.axis, inputs[1]!, dys[0]!),
  null,
]);

/** Elements of the flattened `x` at `index` (torch.take); the result has index's shape. */
export function take(x: Tensor, index: Tensor): Tensor {
  const flat = reshape(x, [x.size]);
  const idx = checkIndex('take', index);
  const picked = indexSelect(flat, 0, reshape(idx, [idx.size]));
  return reshape(picked, idx.shape);
}

defineGrad('IndexSelect', ({ dys, inputs, attrs }) => {
  const [x, idx] = inputs as [Tensor, Tensor];
  const dy = dys[0]!;
  const shape = dy.shape.map((_, i) => (i === attrs.axis ? idx.size : 1));
  const full = broadcastTo(reshape(idx, shape), dy.shape);
  return [scatterAddTrusted(zerosLike(x), attrs.axis, full, dy), null];
});

/** torch.scatter: a copy of `x` with `src` written at `index` along `axis`. */
export function scatter(x: Tensor, axis: number, index: Tensor, src: TensorLike): Tensor {
  const a = normAxis('scatter', axis, x.rank);
  const idx = checkIndex('scatter', index);
  const s =
    typeof src === 'number' || typeof src === 'boolean'
      ? full(idx.shape, src, { dtype: x.dtype })
      : cast(src, x.dtype);
  checkSameRank('scatter', x, idx, a, s);
  checkBounds('scatter', idx, x.shape[a]!, `dim ${a}`);
  return apply('Scatter', [x, idx, s], { axis: a }, [{ shape: x.shape, dtype: x.dtype }])[0]!;
}
defineGrad('Scatter', ({ dys, inputs, attrs }) => {
  const [, idx, src] = inputs as [Tensor, Tensor, Tensor];
  const dy = dys[0]!;
  const zero = apply('Scatter', [dy, idx, full(idx.shape, 0, { dtype: dy.dtype })], { axis: attrs.axis }, [
    { shape: dy.shape, dtype: dy.dtype },
  ])[0]!;
  return [zero, null, padTo(gatherTrusted(dy, attrs.axis, idx), src)];
});

/** torch.scatter_add: a copy of `x` with `src` added at `index` along `axis`. */
export function scatterAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  const a = normAxis('scatterAdd', axis, x.rank);
  const idx = checkIndex('scatterAdd', index);
  const s = cast(src, x.dtype);
  checkSameRank('scatterAdd', x, idx, a, s);
  checkBounds('scatterAdd', idx, x.shape[a]!, `dim ${a}`);
  return apply('ScatterAdd', [x, idx, s], { axis: a }, [{ shape: x.shape, dtype: x.dtype }])[0]!;
}
/**
 * scatterAdd without the host-side bounds check, for gradient rules whose indices are valid by
 * construction (they came from a forward op that checked them, or from Sort/TopK): no sync read.
 */
function scatterAddTrusted(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  return apply('ScatterAdd', [x, index, src], { axis }, [{ shape: x.shape, dtype: x.dtype }])[0]!;
}

defineGrad('ScatterAdd', ({ dys, inputs, attrs }) => {
  const [, idx, src] = inputs as [Tensor, Tensor, Tensor];
  return [dys[0]!, null, padTo(gatherTrusted(dys[0]!, attrs.axis, idx), src)];
});

/** gather without the host-side bounds check (indices already checked by the forward op). */
function gatherTrusted(x: Tensor, axis: number, index: Tensor): Tensor {
  return apply('Gather', [x, index], { axis }, [{ shape: index.shape, dtype: x.dtype }])[0]!;
}

/** Gradients for src where index is smaller than src: zero-fill to src's shape. */
function padTo(g: Tensor, src: Tensor): Tensor {
  if (g.shape.every((d, i) => d === src.shape[i])) return g;
  const pads: number[] = [];
  for (let i = src.rank - 1; i >= 0; i--) pads.push(0, src.shape[i]! - g.shape[i]!);
  return pad(g, pads);
}

/** One-hot encoding: int indices of shape S → int32 of shape [...S, numClasses] (as torch's, in int32). */
export function oneHot(indices: Tensor, numClasses: number): Tensor {
  if (indices.dtype === 'float32') throw new TypeError('oneHot: indices must be int32, got float32');
  if (!Number.isInteger(numClasses) || numClasses <= 0)
    throw new RangeError(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  checkBounds('oneHot', indices, numClasses, 'numClasses');
  return cast(equal(unsqueeze(indices, indices.rank), arange(numClasses)), 'int32');
}

/** Where `mask` is true, replace with `value`. */
export function maskedFill(x: Tensor, mask: Tensor, value: number | boolean): Tensor {
  if (mask.dtype !== 'bool') throw new TypeError(`maskedFill: mask must be bool, got ${mask.dtype}`);
  return where(
    mask,
    full([], value, { dtype: typeof value === 'number' && !Number.isInteger(value) ? 'float32' : x.dtype }),
    x,
  );
}

export interface SortOptions {
  axis?: number;
  descending?: boolean;
}

/** Stable sort along `axis`: `[values, indices]`. NaN sorts last ascending, as PyTorch. */
export function sort(x: Tensor, options: SortOptions = {}): [Tensor, Tensor] {
  if (x.rank === 0) return [reshape(x, []), full([], 0, { dtype: 'int32' })];
  const a = normAxis('sort', options.axis ?? -1, x.rank);
  const [v, i] = apply('Sort', [x], { axis: a, descending: options.descending ?? false }, [
    { shape: x.shape, dtype: x.dtype },
    { shape: x.shape, dtype: 'int32' },
  ]);
  return [v!, i!];
}
defineGrad('Sort', ({ dys, inputs, outputs, attrs }) => [
  scatterAddTrusted(zerosLike(inputs[0]!), attrs.axis, outputs[1]!, dys[0]!),
]);

export function argsort(x: Tensor, options: SortOptions = {}): Tensor {
  return sort(x, options)[1];
}

/** The k largest (or smallest) along `axis`, sorted: `[values, indices]`. */
export function topk(
  x: Tensor,
  k: number,
  options: { axis?: number; largest?: boolean } = {},
): [Tensor, Tensor] {
  const a = normAxis('topk', options.axis ?? -1, Math.max(x.rank, 1));
  const n = x.rank === 0 ? 1 : x.shape[a]!;
  if (!Number.isInteger(k) || k < 0 || k > n)
    throw new RangeError(`topk: k = ${k} is out of range for dim ${a} of size ${n}`);
  const last = x.rank - 1;
  const moved = x.rank === 0 ? reshape(x, [1]) : a === last ? x : transpose(x, a, last);
  const shape = [...moved.shape];
  shape[shape.length - 1] = k;
  const [v, i] = apply('TopK', [moved], { k, largest: options.largest ?? true }, [
    { shape, dtype: x.dtype },
    { shape, dtype: 'int32' },
  ]);
  if (x.rank === 0) return [reshape(v!, []), reshape(i!, [])];
  return a === last ? [v!, i!] : [transpose(v!, a, last), transpose(i!, a, last)];
}
defineGrad('TopK', ({ dys, inputs, outputs }) => {
  const x = inputs[0]!;
  return [scatterAddTrusted(zerosLike(x), x.rank - 1, outputs[1]!, dys[0]!)];
});

/** Running sum along `axis`. */
export function cumsum(x: Tensor, axis: number, options: { reverse?: boolean } = {}): Tensor {
  const a = normAxis('cumsum', axis, Math.max(x.rank, 1));
  const input = x.dtype === 'bool' ? cast(x, 'int32') : x;
  if (x.rank === 0) return reshape(input, []);
  return apply('Cumsum', [input], { axis: a, reverse: options.reverse ?? false }, [
    { shape: x.shape, dtype: input.dtype },
  ])[0]!;
}
defineGrad('Cumsum', ({ dys, attrs }) => [cumsum(dys[0]!, attrs.axis, { reverse: !attrs.reverse })]);

// d y_j / d x_i = prod_{k ≤ j, k ≠ i} x_k for j ≥ i (0 otherwise). Computed exactly, zeros
// included, as a masked product over an [i, j, k] cube along the axis: O(n³) work, fine for the
// lengths cumprod sees, and written with ops so it is differentiable again.
defineGrad('Cumprod', ({ dys, inputs, attrs }) => {
  const a = attrs.axis;
  let x = moveLast(inputs[0]!, a);
  let dy = moveLast(dys[0]!, a);
  const last = x.rank - 1;
  if (attrs.reverse) {
    x = flip(x, last);
    dy = flip(dy, last);
  }
  const n = x.shape[last]!;
  const lead = x.shape.slice(0, -1);
  const ii = reshape(arange(n), [n, 1, 1]);
  const jj = reshape(arange(n), [1, n, 1]);
  const kk = reshape(arange(n), [1, 1, n]);
  const factors = where(logicalAnd(notEqual(kk, ii), lessEqual(kk, jj)), reshape(x, [...lead, 1, 1, n]), 1);
  const p = prod(factors, -1); // [..., i, j]
  const upper = cast(greaterEqual(reshape(arange(n), [1, n]), reshape(arange(n), [n, 1])), 'float32'); // j ≥ i
  let g = sum(mul(mul(p, upper), reshape(dy, [...lead, 1, n])), -1); // [..., i]
  if (attrs.reverse) g = flip(g, last);
  return [moveBack(g, a)];
});

/** Move `axis` to the end. */
function moveLast(x: Tensor, axis: number): Tensor {
  const perm = x.shape.map((_, i) => i).filter((i) => i !== axis);
  return permute(x, [...perm, axis]);
}

/** Undo moveLast: the last dim goes back to `axis`. */
function moveBack(x: Tensor, axis: number): Tensor {
  const last = x.rank - 1;
  return permute(
    x,
    x.shape.map((_, d) => (d < axis ? d : d === axis ? last : d - 1)),
  );
}
