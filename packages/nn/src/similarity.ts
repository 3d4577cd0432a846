import { fmtShape, Module, maximum, norm, scope, stopGradient, type Tensor } from '@myelin/core';

function broadcastShape(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1)
      throw new RangeError(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= Math.max(rank, 1))
    throw new RangeError(`${op}: dim ${axis} is out of range for a rank-${rank} input`);
  return a;
}

/**
 * ‖x‖₂ over `axis` (kept), floored at eps, whose gradient is x / max(‖x‖, eps): PyTorch 1.13's
 * cosine_similarity clamps the norm in place, so its backward sees the clamped value.
 */
function clampedNorm(x: Tensor, axis: number, eps: number): Tensor {
  const sq = x.square().sum(axis, { keepdims: true });
  const value = stopGradient(maximum(sq.sqrt(), eps));
  return value.add(sq.sub(stopGradient(sq)).div(value.mul(2)));
}

export interface CosineSimilarityOptions {
  /** The axis holding the vectors (default 1, as PyTorch). */
  dim?: number;
  /** Each norm is floored at eps (default 1e-8). */
  eps?: number;
}

/**
 * Cosine of the angle between x1 and x2 along `dim` (torch.nn.functional.cosine_similarity, 1.13
 * semantics): Σ (x1 / max(‖x1‖, ε)) · (x2 / max(‖x2‖, ε)). The inputs broadcast; `dim` is removed.
 * @example cosineSimilarity(a, b, { dim: -1 }) // [N] from a, b [N, D]
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options: CosineSimilarityOptions = {}): Tensor {
  const shape = broadcastShape('cosineSimilarity', x1.shape, x2.shape);
  const axis = normAxis('cosineSimilarity', options.dim ?? 1, shape.length);
  const eps = options.eps ?? 1e-8;
  if (!(eps >= 0)) throw new RangeError(`cosineSimilarity: eps must be ≥ 0, got ${eps}`);
  return scope(() => {
    const a = x1.cast('float32').broadcastTo(shape);
    const b = x2.cast('float32').broadcastTo(shape);
    const an = a.div(clampedNorm(a, axis, eps));
    const bn = b.div(clampedNorm(b, axis, eps));
    return an.mul(bn).sum(axis);
  });
}

/** Module form of {@link cosineSimilarity} (torch.nn.CosineSimilarity). */
export class CosineSimilarity extends Module {
  constructor(readonly options: CosineSimilarityOptions = {}) {
    super();
  }

  forward(x1: Tensor, x2: Tensor): Tensor {
    return cosineSimilarity(x1, x2, this.options);
  }
}

export interface NormalizeOptions {
  /** The norm's order (default 2). */
  p?: number;
  /** The axis normalised (default 1, as PyTorch). */
  dim?: number;
  /** The norm is floored at eps (default 1e-12). */
  eps?: number;
}

/**
 * x / max(‖x‖_p, ε) along `dim` (torch.nn.functional.normalize); below ε the norm is constant, so
 * its gradient stops there, as PyTorch's clamp_min.
 * @example normalize(embeddings, { dim: -1 }) // unit rows
 */
export function normalize(x: Tensor, options: NormalizeOptions = {}): Tensor {
  const p = options.p ?? 2;
  const eps = options.eps ?? 1e-12;
  if (!(p > 0)) throw new RangeError(`normalize: p must be > 0, got ${p}`);
  if (!(eps >= 0)) throw new RangeError(`normalize: eps must be ≥ 0, got ${eps}`);
  const axis = normAxis('normalize', options.dim ?? 1, x.rank);
  return scope(() => {
    const xf = x.cast('float32');
    if (xf.rank === 0) return xf.div(maximum(xf.abs(), eps));
    return xf.div(maximum(norm(xf, p, axis, { keepdims: true }), eps));
  });
}
