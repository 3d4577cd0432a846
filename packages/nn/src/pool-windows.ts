/**
 * Window reductions shared by the N-d pooling layers (internal; not exported from the package).
 *
 * A pool over the spatial dims of x [N, C, ...spatial] is separable: the max (or sum) over a box
 * window is the max (sum) along the last spatial dim, then along the one before, and so on. Each
 * dim is reduced by {@link reduceAxis} from a plan of one of two kinds:
 *  - strided (regular sliding windows): the dim is padded (−∞ for a max, 0 for a sum) and offset j
 *    of every window is one strided slice; no index tensors, no host reads.
 *  - gather (adaptive bins, fractional windows that differ per plane): for every offset j, an
 *    int32 tensor of the input position each output reads, gathered along the dim. Positions past
 *    a bin's end repeat a valid one (cannot change a max) and carry weight 0 in a sum.
 * A max picks the winning offset by argmax and keeps only it (a `where` mask, or a gather), so the
 * gradient goes to that one element, as PyTorch's; everything is core ops, so every backend runs
 * it and autograd comes for free.
 *
 * Max with indices carries, beside the values, the flat index of each value within its plane
 * (d·H·W + h·W + w, as PyTorch's `return_indices`). Reducing the last dim first with a
 * first-occurrence argmax picks, among equal maxima, the first in row-major order, as PyTorch's
 * CPU kernels scan their windows.
 */
import {
  arange,
  argmax,
  broadcastTo,
  equal,
  fmtShape,
  gather,
  maxPool2d,
  slice,
  stack,
  type Tensor,
  tensor,
  where,
} from '@myelin/core';

/** Regular sliding windows along one dim: window o reads o·s − p + j·d for j < k. */
export interface StridedPlan {
  kind: 'strided';
  out: number;
  k: number;
  s: number;
  p: number;
  d: number;
  /** Per output position, a factor applied to a sum (1/divisor of an average); absent for max. */
  scale?: Float32Array;
}

/** Irregular windows: for each offset j, the input position read by each output position. */
export interface GatherPlan {
  kind: 'gather';
  out: number;
  /** One int32 tensor per window offset, with the dim's size `out` and 1 or the full size elsewhere. */
  pos: Tensor[];
  /** Per offset, the weight of that read in a sum (same shapes as `pos`, float32); absent for max. */
  weight?: Tensor[];
}

export type AxisPlan = StridedPlan | GatherPlan;

/** PyTorch's pooling_output_shape: floor or ceil, the last window starting inside the input or left pad. */
export function poolOutSize(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = n + 2 * p - d * (k - 1) - 1;
  let out = Math.floor((span + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= n + p) out--;
  return out;
}

/** The shape of a 1-D plan tensor for spatial dim `axis` of a rank-`rank` tensor. */
function along(values: Int32Array | Float32Array, rank: number, axis: number): Tensor {
  const shape = new Array<number>(rank).fill(1);
  shape[axis] = values.length;
  return tensor(values, { shape, dtype: values instanceof Int32Array ? 'int32' : 'float32' });
}

/**
 * Sliding windows along one dim of size n. `divisor(start, valid)` (for an average) gives window
 * o's divisor from its start o·s − p and its number of positions inside the input.
 */
export function slidingPlan(
  n: number,
  g: { k: number; s: number; p: number; d: number; out: number },
  divisor?: (start: number, valid: number) => number,
): StridedPlan {
  const plan: StridedPlan = { kind: 'strided', ...g };
  if (divisor) {
    plan.scale = new Float32Array(g.out);
    for (let o = 0; o < g.out; o++) {
      let valid = 0;
      for (let j = 0; j < g.k; j++) {
        const q = o * g.s - g.p + j * g.d;
        if (q >= 0 && q < n) valid++;
      }
      plan.scale[o] = 1 / divisor(o * g.s - g.p, valid);
    }
  }
  return plan;
}

/** PyTorch's adaptive bins: output i covers ⌊i·n/out⌋ … ⌈(i+1)·n/out⌉ − 1. */
export function adaptivePlan(
  rank: number,
  axis: number,
  n: number,
  out: number,
  average: boolean,
): GatherPlan {
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < out; i++) {
    starts.push(Math.floor((i * n) / out));
    ends.push(Math.ceil(((i + 1) * n) / out));
  }
  const k = Math.max(...ends.map((e, i) => e - starts[i]!));
  const pos: Tensor[] = [];
  const weight: Tensor[] = [];
  for (let j = 0; j < k; j++) {
    const pj = new Int32Array(out);
    const wj = new Float32Array(out);
    for (let o = 0; o < out; o++) {
      const len = ends[o]! - starts[o]!;
      pj[o] = j < len ? starts[o]! + j : starts[o]!;
      wj[o] = j < len ? 1 / len : 0;
    }
    pos.push(along(pj, rank, axis));
    if (average) weight.push(along(wj, rank, axis));
  }
  return average ? { kind: 'gather', out, pos, weight } : { kind: 'gather', out, pos };
}

/** Keep the entry of the last dim that `best` (keepdims) names, dropping that dim. */
function pick(cands: Tensor, best: Tensor): Tensor {
  const k = cands.shape[cands.rank - 1]!;
  const mask = equal(arange(k, undefined, 1, { dtype: 'int32' }), best);
  return where(mask, cands, 0).sum(-1);
}

/** Pad dim `axis` by [before, after] with a constant. */
function padAxis(t: Tensor, axis: number, before: number, after: number, value: number): Tensor {
  if (before === 0 && after === 0) return t;
  const pads = new Array<number>(2 * (t.rank - axis)).fill(0);
  pads[pads.length - 2] = before;
  pads[pads.length - 1] = after;
  return t.pad(pads, { value });
}

function reduceStrided(
  v: Tensor,
  idx: Tensor | null,
  axis: number,
  plan: StridedPlan,
): { v: Tensor; idx: Tensor | null } {
  const { out, k, s, p, d } = plan;
  const n = v.shape[axis]!;
  const need = (out - 1) * s + d * (k - 1) + 1;
  const after = Math.max(0, need - n - p);
  const lead = new Array<null>(axis).fill(null);
  const taps = (t: Tensor) =>
    Array.from({ length: k }, (_, j) => slice(t, ...lead, [j * d, j * d + (out - 1) * s + 1, s]));
  if (plan.scale) {
    let acc: Tensor | null = null;
    for (const t of taps(padAxis(v, axis, p, after, 0))) acc = acc ? acc.add(t) : t;
    return { v: acc!.mul(along(plan.scale, v.rank, axis)), idx: null };
  }
  if (k === 1 && p === 0) {
    const only = (t: Tensor) => taps(t)[0]!;
    return { v: only(v), idx: idx && only(idx) };
  }
  const cands = stack(taps(padAxis(v, axis, p, after, Number.NEGATIVE_INFINITY)), -1);
  const best = argmax(cands, -1, { keepdims: true });
  return {
    v: pick(cands, best),
    idx: idx && pick(stack(taps(padAxis(idx, axis, p, after, -1)), -1), best),
  };
}

function reduceGathered(
  v: Tensor,
  idx: Tensor | null,
  axis: number,
  plan: GatherPlan,
): { v: Tensor; idx: Tensor | null } {
  const shape = v.shape.map((d, i) => (i === axis ? plan.out : d));
  const reads = plan.pos.map((p) => broadcastTo(p, shape));
  if (plan.weight) {
    let acc: Tensor | null = null;
    reads.forEach((r, j) => {
      const term = gather(v, axis, r).mul(broadcastTo(plan.weight![j]!, shape));
      acc = acc ? acc.add(term) : term;
    });
    return { v: acc!, idx: null };
  }
  const cands = stack(
    reads.map((r) => gather(v, axis, r)),
    -1,
  );
  const best = argmax(cands, -1, { keepdims: true });
  return {
    v: pick(cands, best),
    idx:
      idx &&
      pick(
        stack(
          reads.map((r) => gather(idx, axis, r)),
          -1,
        ),
        best,
      ),
  };
}

/**
 * Reduce dim `axis` of v by a plan: the (weighted) sum of the reads for an average plan, else
 * their max; `idx` (same shape as v, int32) follows the winning reads of a max.
 */
export function reduceAxis(
  v: Tensor,
  idx: Tensor | null,
  axis: number,
  plan: AxisPlan,
): { v: Tensor; idx: Tensor | null } {
  return plan.kind === 'strided' ? reduceStrided(v, idx, axis, plan) : reduceGathered(v, idx, axis, plan);
}

/**
 * Reduce the spatial dims of x [N, C, ...spatial] by one plan per spatial dim (last dim first);
 * with `withIndices`, also the flat in-plane index of each max.
 */
export function reduceWindows(
  x: Tensor,
  plans: readonly AxisPlan[],
  withIndices: boolean,
): { values: Tensor; indices: Tensor | null } {
  let v = x.cast('float32');
  let idx: Tensor | null = null;
  if (withIndices) {
    const spatial = x.shape.slice(2);
    const plane = spatial.reduce((a, b) => a * b, 1);
    idx = broadcastTo(arange(plane, undefined, 1, { dtype: 'int32' }).reshape([1, 1, ...spatial]), x.shape);
  }
  for (let a = plans.length - 1; a >= 0; a--) {
    const r = reduceAxis(v, idx, a + 2, plans[a]!);
    v = r.v;
    idx = r.idx;
  }
  return { values: v, indices: idx };
}

/** Check x is [N, C, ...spatial] or [C, ...spatial] with non-empty spatial dims; return it batched. */
export function batchedInput(
  op: string,
  x: Tensor,
  nd: number,
  dims: string,
): { x: Tensor; unbatched: boolean } {
  if (x.rank !== nd + 1 && x.rank !== nd + 2)
    throw new RangeError(`${op}: input must be [N, C, ${dims}] or [C, ${dims}], got ${fmtShape(x.shape)}`);
  if (x.shape.slice(-nd).some((d) => d === 0))
    throw new RangeError(`${op}: input ${fmtShape(x.shape)} has an empty spatial dim`);
  const unbatched = x.rank === nd + 1;
  return { x: unbatched ? x.unsqueeze(0) : x, unbatched };
}

/** A number or one value per spatial dim, checked to be integers ≥ min. */
export function tupleOf(
  op: string,
  v: number | readonly number[],
  nd: number,
  what: string,
  min = 0,
): number[] {
  const t = typeof v === 'number' ? new Array<number>(nd).fill(v) : [...v];
  if (t.length !== nd || !t.every((d) => Number.isInteger(d) && d >= min))
    throw new RangeError(
      `${op}: ${what} must be ${nd === 1 ? 'an integer' : `an integer or ${nd} integers`} ≥ ${min}, got ${JSON.stringify(v)}`,
    );
  return t;
}

export interface MaxPoolGeometry {
  k: number[];
  s: number[];
  p: number[];
  d: number[];
  ceil: boolean;
}

/**
 * Max pooling over the nd spatial dims of x (batched or not), as torch's max_poolNd: values and,
 * with `withIndices`, int32 indices flattened over each plane.
 */
export function maxPoolNd(
  op: string,
  x: Tensor,
  nd: number,
  dims: string,
  g: MaxPoolGeometry,
  withIndices: boolean,
): { values: Tensor; indices: Tensor | null } {
  const { x: xb, unbatched } = batchedInput(op, x, nd, dims);
  const spatial = xb.shape.slice(2);
  g.p.forEach((p, i) => {
    if (p > g.k[i]! / 2)
      throw new RangeError(
        `${op}: padding ${fmtShape(g.p)} must be at most half the kernel size ${fmtShape(g.k)}`,
      );
  });
  const outs = spatial.map((n, i) => poolOutSize(n, g.k[i]!, g.s[i]!, g.p[i]!, g.d[i]!, g.ceil));
  if (outs.some((o) => o < 1))
    throw new RangeError(
      `${op}: input ${fmtShape(x.shape)} is too small for kernel ${fmtShape(g.k)} (padding ${fmtShape(g.p)}, dilation ${fmtShape(g.d)}): output ${fmtShape(outs)}`,
    );
  const plans = spatial.map((n, i) =>
    slidingPlan(n, { k: g.k[i]!, s: g.s[i]!, p: g.p[i]!, d: g.d[i]!, out: outs[i]! }),
  );
  if (nd === 3 && !withIndices) {
    // Values only: core's fused max pool over (H, W) of every depth plane first, then the depth.
    const [N, C, D, H, W] = xb.shape as [number, number, number, number, number];
    const hw = maxPool2d(xb.cast('float32').reshape([N, C * D, H, W]), [g.k[1]!, g.k[2]!], {
      stride: [g.s[1]!, g.s[2]!],
      padding: [g.p[1]!, g.p[2]!],
      dilation: [g.d[1]!, g.d[2]!],
      ceilMode: g.ceil,
    }).reshape([N, C, D, outs[1]!, outs[2]!]);
    const y = reduceAxis(hw, null, 2, plans[0]!).v;
    return { values: unbatched ? y.squeeze(0) : y, indices: null };
  }
  const r = reduceWindows(xb, plans, withIndices);
  return unbatched ? { values: r.values.squeeze(0), indices: r.indices ? r.indices.squeeze(0) : null } : r;
}
