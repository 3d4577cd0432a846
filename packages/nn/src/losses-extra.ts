import {
  fmtShape,
  Module,
  minimum,
  relu,
  softplus,
  type Tensor,
  tensor,
  where,
  zerosLike,
} from '@myelin/core';
import { pairwiseDistance } from './losses.js';
import { nnOp } from './scoped.js';

function sameShape(op: string, a: Tensor, b: Tensor, what: string, against: string): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i]))
    throw new RangeError(
      `${op}: ${what} shape ${fmtShape(b.shape)} must match the ${against} shape ${fmtShape(a.shape)}`,
    );
}

export interface GaussianKlOptions {
  /**
   * 'sum' (default, as the PyTorch VAE example), 'batchmean' (the sum over all but dim 0 averaged
   * over dim 0: the mean per-sample KL), 'mean' (over every element) or 'none' (per element).
   */
  reduction?: 'none' | 'mean' | 'sum' | 'batchmean';
}

/**
 * KL(N(μ, σ²) ‖ N(0, 1)) of a VAE's diagonal Gaussian posterior, from `mu` and `logvar` = log σ²
 * (Kingma & Welling 2014, appendix B): −½ (1 + log σ² − μ² − σ²) per latent element.
 * @example const loss = mseLoss(recon, x, { reduction: 'sum' }).add(gaussianKlLoss(mu, logvar));
 */
export const gaussianKlLoss = nnOp(function gaussianKlLoss(
  mu: Tensor,
  logvar: Tensor,
  options: GaussianKlOptions = {},
): Tensor {
  const op = 'gaussianKlLoss';
  sameShape(op, mu, logvar, 'logvar', 'mu');
  const lv = logvar.cast('float32');
  const kl = lv.add(1).sub(mu.cast('float32').square()).sub(lv.exp()).mul(-0.5);
  const reduction = options.reduction ?? 'sum';
  switch (reduction) {
    case 'none':
      return kl;
    case 'sum':
      return kl.sum();
    case 'mean':
      return kl.mean();
    case 'batchmean':
      if (mu.rank === 0)
        throw new RangeError(`${op}: reduction 'batchmean' needs a batch dim, got a scalar mu`);
      return kl.sum().div(mu.shape[0]!);
    default:
      throw new RangeError(
        `${op}: reduction must be 'none', 'mean', 'sum' or 'batchmean', got '${String(reduction)}'`,
      );
  }
});

export interface MaskedMseOptions {
  /** 'mean' (default: over the elements the mask keeps), 'sum' or 'none' (masked-out elements 0). */
  reduction?: 'none' | 'mean' | 'sum';
}

/**
 * Squared error over the elements where `mask` is true (or weighted by a float mask): the mean is
 * Σ m·(x − y)² / Σ m, as torch's `mse_loss(x[mask], y[mask])`; no element kept gives NaN, as that.
 * @example maskedMseLoss(pred, target, target.isFinite())
 */
export const maskedMseLoss = nnOp(function maskedMseLoss(
  input: Tensor,
  target: Tensor,
  mask: Tensor,
  options: MaskedMseOptions = {},
): Tensor {
  const op = 'maskedMseLoss';
  sameShape(op, input, target, 'target', 'input');
  sameShape(op, input, mask, 'mask', 'input');
  const m = mask.cast('float32');
  // where() before the product, so a NaN target under a false mask poisons neither the loss
  // nor the gradient.
  const diff = where(m.notEqual(0), input.cast('float32').sub(target.cast('float32')), 0);
  const sq = diff.square().mul(m);
  const reduction = options.reduction ?? 'mean';
  switch (reduction) {
    case 'none':
      return sq;
    case 'sum':
      return sq.sum();
    case 'mean':
      return sq.sum().div(m.sum());
    default:
      throw new RangeError(`${op}: reduction must be 'none', 'mean' or 'sum', got '${String(reduction)}'`);
  }
});

/** Module form of {@link gaussianKlLoss}: forward(mu, logvar). */
export class GaussianKLLoss extends Module {
  constructor(readonly options: GaussianKlOptions = {}) {
    super();
  }
  forward(mu: Tensor, logvar: Tensor): Tensor {
    return gaussianKlLoss(mu, logvar, this.options);
  }
}

/** Module form of {@link maskedMseLoss}: forward(input, target, mask). */
export class MaskedMSELoss extends Module {
  constructor(readonly options: MaskedMseOptions = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor, mask: Tensor): Tensor {
    return maskedMseLoss(input, target, mask, this.options);
  }
}

// ---------------------------------------------------------------------------------------------
// Multi-label and triplet losses (torch.nn.functional names)
// ---------------------------------------------------------------------------------------------

type Red = 'none' | 'mean' | 'sum';

function reduceLoss(op: string, loss: Tensor, reduction: Red | undefined): Tensor {
  switch (reduction ?? 'mean') {
    case 'none':
      return loss;
    case 'mean':
      return loss.mean();
    case 'sum':
      return loss.sum();
    default:
      throw new RangeError(`${op}: reduction must be 'none', 'mean' or 'sum', got '${String(reduction)}'`);
  }
}

export interface MultilabelLossOptions {
  /** 'none' (per sample), 'mean' (default) or 'sum'. */
  reduction?: Red;
}

/**
 * Multi-class multi-label hinge loss (torch.nn.functional.multilabel_margin_loss): input [C] or
 * [N, C] scores; target of the same shape, int, holding each sample's target classes first and
 * then −1 (everything from the first −1 on is ignored). Per sample
 * Σ_{j ∈ targets} Σ_{i ∉ targets} max(0, 1 − (x[j] − x[i])) / C.
 * @example multilabelMarginLoss(scores, tensor([[3, 0, -1, 1]], { dtype: 'int32' }))
 */
export const multilabelMarginLoss = nnOp(function multilabelMarginLoss(
  input: Tensor,
  target: Tensor,
  options: MultilabelLossOptions = {},
): Tensor {
  const op = 'multilabelMarginLoss';
  if (input.rank !== 1 && input.rank !== 2)
    throw new RangeError(`${op}: input must be [C] or [N, C], got ${fmtShape(input.shape)}`);
  sameShape(op, input, target, 'target', 'input');
  if (target.dtype !== 'int32')
    throw new TypeError(
      `${op}: target must hold int32 class indices (−1 ends each list), got ${target.dtype}`,
    );
  const x = (input.rank === 1 ? input.unsqueeze(0) : input).cast('float32');
  const [N, C] = x.shape as [number, number];
  const t = target.dataSync() as Int32Array;
  // w[n, j, i] = (times j is listed as a target of n) · (i is not a target of n).
  const w = new Float32Array(N * C * C);
  for (let n = 0; n < N; n++) {
    const count = new Float32Array(C);
    for (let k = 0; k < C; k++) {
      const y = t[n * C + k]!;
      if (y === -1) break;
      if (y < -1 || y >= C)
        throw new RangeError(`${op}: target ${y} is out of range for ${C} classes (expected −1 … ${C - 1})`);
      count[y]! += 1;
    }
    for (let j = 0; j < C; j++)
      if (count[j]) for (let i = 0; i < C; i++) if (!count[i]) w[(n * C + j) * C + i] = count[j]!;
  }
  if (C === 0) return reduceLoss(op, zerosLike(x.sum(-1)), options.reduction);
  const hinge = relu(x.unsqueeze(1).sub(x.unsqueeze(2)).add(1)); // [N, j, i]: 1 − x[j] + x[i]
  let loss = hinge
    .mul(tensor(w, { shape: [N, C, C] }))
    .sum([1, 2])
    .div(C);
  if (input.rank === 1) loss = loss.squeeze(0);
  return reduceLoss(op, loss, options.reduction);
});

export interface MultilabelSoftMarginOptions extends MultilabelLossOptions {
  /** Per-class weights [C]. */
  weight?: Tensor | null;
}

/**
 * One-versus-all logistic loss (torch.nn.functional.multilabel_soft_margin_loss): per sample
 * −(1/C) Σ_c w_c [y_c log σ(x_c) + (1 − y_c) log σ(−x_c)], with y ∈ {0, 1} (or soft) of x's shape
 * [N, C] (or [C]).
 */
export const multilabelSoftMarginLoss = nnOp(function multilabelSoftMarginLoss(
  input: Tensor,
  target: Tensor,
  options: MultilabelSoftMarginOptions = {},
): Tensor {
  const op = 'multilabelSoftMarginLoss';
  if (input.rank < 1) throw new RangeError(`${op}: input must be [N, C] or [C], got a scalar`);
  sameShape(op, input, target, 'target', 'input');
  const x = input.cast('float32');
  const y = target.cast('float32');
  const C = x.shape[x.rank - 1]!;
  // log σ(x) = −softplus(−x), log σ(−x) = −softplus(x).
  let loss = y.mul(softplus(x.neg())).add(y.neg().add(1).mul(softplus(x)));
  if (options.weight) {
    const w = options.weight;
    if (w.rank !== 1 || w.shape[0] !== C)
      throw new RangeError(`${op}: weight must be [${C}] (one per class), got ${fmtShape(w.shape)}`);
    loss = loss.mul(w.cast('float32'));
  }
  return reduceLoss(op, loss.sum(-1).div(C), options.reduction);
});

/** A distance between batches of embeddings [..., D] → [...]. */
export type DistanceFunction = (a: Tensor, b: Tensor) => Tensor;

export interface TripletWithDistanceOptions {
  /** d(a, b) per sample (default pairwiseDistance: the Euclidean distance, eps 1e-6). */
  distanceFunction?: DistanceFunction | null;
  /** Must be > 0 (default 1). */
  margin?: number;
  /** Use min(d(a, n), d(p, n)) as the negative distance (Balntas et al., 2016; default false). */
  swap?: boolean;
  reduction?: Red;
}

/**
 * Triplet loss with any distance (torch.nn.functional.triplet_margin_with_distance_loss):
 * max(0, margin + d(a, p) − d(a, n)).
 * @example
 * const cosine = (a, b) => cosineSimilarity(a, b, { dim: -1 }).neg().add(1);
 * tripletMarginWithDistanceLoss(a, p, n, { distanceFunction: cosine, margin: 0.5 })
 */
export const tripletMarginWithDistanceLoss = nnOp(function tripletMarginWithDistanceLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options: TripletWithDistanceOptions = {},
): Tensor {
  const op = 'tripletMarginWithDistanceLoss';
  const margin = options.margin ?? 1;
  if (!(margin > 0) || !Number.isFinite(margin))
    throw new RangeError(`${op}: margin must be a finite number > 0, got ${margin}`);
  if (anchor.rank !== positive.rank || anchor.rank !== negative.rank)
    throw new RangeError(
      `${op}: anchor, positive and negative must have the same rank, got ${fmtShape(anchor.shape)}, ${fmtShape(positive.shape)} and ${fmtShape(negative.shape)}`,
    );
  const d = options.distanceFunction ?? ((a: Tensor, b: Tensor) => pairwiseDistance(a, b));
  if (typeof d !== 'function')
    throw new TypeError(`${op}: distanceFunction must be a function (a, b) => distances, got ${typeof d}`);
  const dPos = d(anchor, positive);
  let dNeg = d(anchor, negative);
  if (options.swap) dNeg = minimum(dNeg, d(positive, negative));
  return reduceLoss(op, relu(dPos.sub(dNeg).add(margin)), options.reduction);
});

/** Module form of {@link multilabelMarginLoss}: forward(input, target). */
export class MultiLabelMarginLoss extends Module {
  constructor(readonly options: MultilabelLossOptions = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return multilabelMarginLoss(input, target, this.options);
  }
}

/** Module form of {@link multilabelSoftMarginLoss}: forward(input, target). */
export class MultiLabelSoftMarginLoss extends Module {
  constructor(readonly options: MultilabelSoftMarginOptions = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return multilabelSoftMarginLoss(input, target, this.options);
  }
}

/** Module form of {@link tripletMarginWithDistanceLoss}: forward(anchor, positive, negative). */
export class TripletMarginWithDistanceLoss extends Module {
  constructor(readonly options: TripletWithDistanceOptions = {}) {
    super();
  }
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return tripletMarginWithDistanceLoss(anchor, positive, negative, this.options);
  }
}
