/**
 * Order statistics after torch.median / torch.quantile, built on the stable `sort` (so they run on
 * the backend and their gradients flow to the selected elements, as PyTorch's).
 */
import { scope } from '../engine.js';
import { add, indexSelect, mul, reshape, sort, squeeze, stack, sub, tensor } from '../ops/all.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

function normAxisOf(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new RangeError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Element `k` along `axis` of `x`, with the axis kept (size 1). */
const pick = (x: Tensor, axis: number, k: number) => indexSelect(x, axis, tensor([k], { dtype: 'int32' }));

export interface MedianOptions {
  /** Keep the reduced axis with size 1 (torch's keepdim). */
  keepdims?: boolean;
}

/**
 * Median (torch.median): the lower of the two middle values for an even count, not their mean.
 * Without `axis` the median of all elements (a 0-d tensor); with `axis`, `[values, indices]` where
 * indices point into `x` along `axis`. An empty input is an error.
 */
export function median(x: Tensor): Tensor;
export function median(x: Tensor, axis: number, options?: MedianOptions): [Tensor, Tensor];
export function median(x: Tensor, axis?: number, options: MedianOptions = {}): Tensor | [Tensor, Tensor] {
  if (x.size === 0)
    throw new RangeError(`median: expects a non-empty tensor, got shape ${fmtShape(x.shape)}`);
  if (x.dtype === 'bool') throw new TypeError('median: expects a numeric tensor, got bool');
  return scope(() => {
    if (axis === undefined) {
      const [v] = sort(reshape(x, [x.size]));
      return reshape(pick(v, 0, Math.floor((x.size - 1) / 2)), []);
    }
    const a = normAxisOf('median', axis, Math.max(x.rank, 1));
    const xr = x.rank === 0 ? reshape(x, [1]) : x;
    const k = Math.floor((xr.shape[a]! - 1) / 2);
    const [v, i] = sort(xr, { axis: a });
    const out = [pick(v, a, k), pick(i, a, k)];
    const keep = options.keepdims === true && x.rank > 0;
    return out.map((t) => (keep ? t : x.rank === 0 ? reshape(t, []) : squeeze(t, a))) as [Tensor, Tensor];
  });
}

export type QuantileInterpolation = 'linear' | 'lower' | 'higher' | 'midpoint' | 'nearest';

export interface QuantileOptions {
  /** Keep the reduced axis with size 1 (torch's keepdim). */
  keepdims?: boolean;
  /** How to pick between the two order statistics around q·(n−1); default 'linear', as torch. */
  interpolation?: QuantileInterpolation;
}

/**
 * q-th quantiles (torch.quantile) of all elements, or along `axis`. `q` is a number in [0, 1] or
 * a list of them; a list puts a leading dim of its length on the result, as torch. 'nearest'
 * rounds half to even, as torch.
 */
export function quantile(
  x: Tensor,
  q: number | readonly number[],
  axis?: number,
  options: QuantileOptions = {},
): Tensor {
  const qs = typeof q === 'number' ? [q] : [...q];
  if (qs.length === 0) throw new RangeError('quantile: q is an empty list');
  for (const v of qs) {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`quantile: q must lie in [0, 1], got ${v}`);
  }
  if (x.size === 0)
    throw new RangeError(`quantile: expects a non-empty tensor, got shape ${fmtShape(x.shape)}`);
  if (x.dtype !== 'float32') throw new TypeError(`quantile: expects a float32 tensor, got ${x.dtype}`);
  const interp = options.interpolation ?? 'linear';
  if (!['linear', 'lower', 'higher', 'midpoint', 'nearest'].includes(interp)) {
    throw new RangeError(
      `quantile: unknown interpolation '${interp}' (expected 'linear', 'lower', 'higher', 'midpoint' or 'nearest')`,
    );
  }
  return scope(() => {
    const flat = axis === undefined;
    const xr = flat ? reshape(x, [x.size]) : x.rank === 0 ? reshape(x, [1]) : x;
    const a = flat ? 0 : normAxisOf('quantile', axis, Math.max(x.rank, 1));
    const n = xr.shape[a]!;
    const [sorted] = sort(xr, { axis: a });
    const results = qs.map((qv) => {
      const pos = qv * (n - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(lo + 1, n - 1);
      const frac = pos - lo;
      const vlo = pick(sorted, a, lo);
      const vhi = pick(sorted, a, hi);
      switch (interp) {
        case 'lower':
          return vlo;
        case 'higher':
          return frac > 0 ? vhi : vlo;
        case 'midpoint':
          return frac > 0 ? mul(add(vlo, vhi), 0.5) : vlo;
        case 'nearest': {
          const r = Math.round(pos);
          const even = Math.abs(pos - lo - 0.5) < 1e-12 ? (lo % 2 === 0 ? lo : lo + 1) : r;
          return pick(sorted, a, Math.min(even, n - 1));
        }
        default:
          return frac > 0 ? add(vlo, mul(sub(vhi, vlo), frac)) : vlo;
      }
    });
    const keep = options.keepdims === true && !flat && x.rank > 0;
    const shaped = results.map((r) => {
      if (flat) return keep ? r : reshape(r, []);
      if (x.rank === 0) return reshape(r, []);
      return keep ? r : squeeze(r, a);
    });
    return typeof q === 'number' ? shaped[0]! : stack(shaped, 0);
  });
}
