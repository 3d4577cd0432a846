/**
 * Loss functions with PyTorch's semantics (torch.nn.functional names in camelCase) and a module
 * class for each (`crossEntropy` ↔ `CrossEntropyLoss`). Every loss takes `reduction`:
 * 'none' (per element / per sample), 'mean' (default) or 'sum'.
 */
import {
  abs,
  clip,
  fmtShape,
  gather,
  indexSelect,
  log,
  logSoftmax,
  Module,
  minimum,
  norm,
  oneHot,
  relu,
  softplus,
  sqrt,
  square,
  stopGradient,
  type Tensor,
  where,
} from '@myelin/core';
import { nnOp } from './scoped.js';

import type { Reduction } from './util.js';

export type { Reduction };

export interface ReductionOptions {
  /** 'none' | 'mean' (default) | 'sum'. */
  reduction?: Reduction;
}

function reduce(op: string, loss: Tensor, reduction: Reduction | undefined): Tensor {
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

function sameShape(op: string, a: Tensor, b: Tensor, what = 'target'): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i]))
    throw new RangeError(
      `${op}: ${what} shape ${fmtShape(b.shape)} must match the input shape ${fmtShape(a.shape)}`,
    );
}

const f32 = (t: Tensor) => t.cast('float32');

// ---------------------------------------------------------------------------------------------
// Regression
// ---------------------------------------------------------------------------------------------

/** (x − y)² (torch.nn.functional.mse_loss). */
export const mseLoss = nnOp(function mseLoss(
  input: Tensor,
  target: Tensor,
  options: ReductionOptions = {},
): Tensor {
  sameShape('mseLoss', input, target);
  return reduce('mseLoss', square(f32(input).sub(target)), options.reduction);
});

/** |x − y| (l1_loss). */
export const l1Loss = nnOp(function l1Loss(
  input: Tensor,
  target: Tensor,
  options: ReductionOptions = {},
): Tensor {
  sameShape('l1Loss', input, target);
  return reduce('l1Loss', abs(f32(input).sub(target)), options.reduction);
});

/** 0.5·d²/β where |d| < β, else |d| − 0.5·β (smooth_l1_loss; β = 1; β = 0 is the L1 loss). */
export const smoothL1Loss = nnOp(function smoothL1Loss(
  input: Tensor,
  target: Tensor,
  options: ReductionOptions & { beta?: number } = {},
): Tensor {
  sameShape('smoothL1Loss', input, target);
  const beta = options.beta ?? 1;
  if (beta < 0) throw new RangeError(`smoothL1Loss: beta must be non-negative, got ${beta}`);
  const d = abs(f32(input).sub(target));
  const loss = beta === 0 ? d : where(d.less(beta), square(d).mul(0.5 / beta), d.sub(0.5 * beta));
  return reduce('smoothL1Loss', loss, options.reduction);
});

/** 0.5·d² where |d| ≤ δ, else δ·(|d| − 0.5·δ) (huber_loss; δ = 1). */
export const huberLoss = nnOp(function huberLoss(
  input: Tensor,
  target: Tensor,
  options: ReductionOptions & { delta?: number } = {},
): Tensor {
  sameShape('huberLoss', input, target);
  const delta = options.delta ?? 1;
  if (!(delta > 0)) throw new RangeError(`huberLoss: delta must be positive, got ${delta}`);
  const d = abs(f32(input).sub(target));
  const loss = where(d.lessEqual(delta), square(d).mul(0.5), d.sub(0.5 * delta).mul(delta));
  return reduce('huberLoss', loss, options.reduction);
});

/**
 * Negative log-likelihood of a Poisson (poisson_nll_loss): exp(x) − y·x with logInput (default),
 * else x − y·log(x + eps); `full` adds Stirling's y·log y − y + ½·log(2πy) where y > 1.
 */
export const poissonNllLoss = nnOp(function poissonNllLoss(
  input: Tensor,
  target: Tensor,
  options: ReductionOptions & { logInput?: boolean; full?: boolean; eps?: number } = {},
): Tensor {
  const x = f32(input);
  const y = f32(target);
  let loss =
    (options.logInput ?? true) ? x.exp().sub(y.mul(x)) : x.sub(y.mul(log(x.add(options.eps ?? 1e-8))));
  if (options.full) {
    const big = y.greater(1);
    const ys = where(big, y, 2);
    const stirling = ys
      .mul(log(ys))
      .sub(ys)
      .add(log(ys.mul(2 * Math.PI)).mul(0.5));
    loss = loss.add(where(big, stirling, 0));
  }
  return reduce('poissonNllLoss', loss, options.reduction);
});

/**
 * Negative log-likelihood of a Gaussian with predicted variance (gaussian_nll_loss):
 * ½·(log var + (x − y)²/var) (+ ½·log 2π with `full`). `variance` has the input's shape, or lacks
 * its last dim, or has 1 there (one variance per sample). It is clamped at `eps` (default 1e-6)
 * for the value only — the gradient passes as if unclamped, as PyTorch.
 */
export const gaussianNllLoss = nnOp(function gaussianNllLoss(
  input: Tensor,
  target: Tensor,
  variance: Tensor,
  options: ReductionOptions & { full?: boolean; eps?: number } = {},
): Tensor {
  const op = 'gaussianNllLoss';
  let v = f32(variance);
  const lead = input.shape.slice(0, -1);
  const same = (a: readonly number[], b: readonly number[]) =>
    a.length === b.length && a.every((d, i) => d === b[i]);
  if (!same(v.shape, input.shape)) {
    if (same(lead, v.shape)) v = v.unsqueeze(-1);
    else if (!(same(lead, v.shape.slice(0, -1)) && v.shape[v.rank - 1] === 1))
      throw new RangeError(
        `${op}: variance shape ${fmtShape(variance.shape)} does not fit the input ${fmtShape(input.shape)}`,
      );
  }
  if (v.less(0).any().item()) throw new RangeError(`${op}: variance has negative entries`);
  const eps = options.eps ?? 1e-6;
  // Clamp the value, keep the identity gradient (PyTorch clamps a clone under no_grad).
  const vc = v.add(stopGradient(clip(v, eps).sub(v)));
  let loss = log(vc)
    .add(square(f32(input).sub(target)).div(vc))
    .mul(0.5);
  if (options.full) loss = loss.add(0.5 * Math.log(2 * Math.PI));
  return reduce(op, loss, options.reduction);
});

// ---------------------------------------------------------------------------------------------
// Binary classification
// ---------------------------------------------------------------------------------------------

/**
 * Binary cross-entropy of probabilities (binary_cross_entropy): −w·(y·log x + (1 − y)·log(1 − x)),
 * each log clamped at −100 as PyTorch.
 */
export const binaryCrossEntropy = nnOp(function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  options: ReductionOptions & { weight?: Tensor | null } = {},
): Tensor {
  sameShape('binaryCrossEntropy', input, target);
  const x = f32(input);
  const y = f32(target);
  const lx = clip(log(x), -100);
  const l1x = clip(log(x.neg().add(1)), -100);
  let loss = y.mul(lx).add(y.neg().add(1).mul(l1x)).neg();
  if (options.weight) loss = loss.mul(options.weight);
  return reduce('binaryCrossEntropy', loss, options.reduction);
});

/**
 * Binary cross-entropy of logits, computed stably (binary_cross_entropy_with_logits):
 * (1 − y)·x + (1 + (posWeight − 1)·y)·log(1 + e^{−x}), times `weight`. `posWeight` weighs the
 * positive class (broadcast along the last dim: one per class).
 */
export const binaryCrossEntropyWithLogits = nnOp(function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: ReductionOptions & { weight?: Tensor | null; posWeight?: Tensor | null } = {},
): Tensor {
  sameShape('binaryCrossEntropyWithLogits', input, target);
  const x = f32(input);
  const y = f32(target);
  const sp = softplus(x.neg());
  const logWeight = options.posWeight ? f32(options.posWeight).sub(1).mul(y).add(1) : null;
  let loss = y
    .neg()
    .add(1)
    .mul(x)
    .add(logWeight ? logWeight.mul(sp) : sp);
  if (options.weight) loss = loss.mul(options.weight);
  return reduce('binaryCrossEntropyWithLogits', loss, options.reduction);
});

/** SVM hinge loss with labels ±1: max(0, margin − y·x) (margin 1). */
export const hingeLoss = nnOp(function hingeLoss(
  input: Tensor,
  target: Tensor,
  options: ReductionOptions & { margin?: number } = {},
): Tensor {
  sameShape('hingeLoss', input, target);
  return reduce(
    'hingeLoss',
    relu(
      f32(target)
        .mul(input)
        .neg()
        .add(options.margin ?? 1),
    ),
    options.reduction,
  );
});

/** Squared SVM hinge loss with labels ±1: max(0, margin − y·x)². */
export const squaredHingeLoss = nnOp(function squaredHingeLoss(
  input: Tensor,
  target: Tensor,
  options: ReductionOptions & { margin?: number } = {},
): Tensor {
  sameShape('squaredHingeLoss', input, target);
  const hinge = hingeLoss(input, target, { margin: options.margin ?? 1, reduction: 'none' });
  return reduce('squaredHingeLoss', square(hinge), options.reduction);
});

/**
 * torch.nn.HingeEmbeddingLoss: x where y = 1, max(0, margin − x) where y = −1 (margin 1); as
 * PyTorch, a label other than ±1 gets both terms.
 */
export const hingeEmbeddingLoss = nnOp(function hingeEmbeddingLoss(
  input: Tensor,
  target: Tensor,
  options: ReductionOptions & { margin?: number } = {},
): Tensor {
  const x = f32(input);
  const marginTerm = where(target.notEqual(1), relu(x.neg().add(options.margin ?? 1)), 0);
  const selfTerm = where(target.notEqual(-1), x, 0);
  return reduce('hingeEmbeddingLoss', marginTerm.add(selfTerm), options.reduction);
});

/** log(1 + exp(−y·x)) with labels ±1 (soft_margin_loss). */
export const softMarginLoss = nnOp(function softMarginLoss(
  input: Tensor,
  target: Tensor,
  options: ReductionOptions = {},
): Tensor {
  sameShape('softMarginLoss', input, target);
  return reduce('softMarginLoss', softplus(f32(target).mul(input).neg()), options.reduction);
});

// ---------------------------------------------------------------------------------------------
// Multi-class classification
// ---------------------------------------------------------------------------------------------

interface ClassLayout {
  /** Scores with the class dim last, flattened to [M, C]. */
  flat: Tensor;
  /** The shape of the per-element loss (the input without its class dim). */
  outShape: number[];
  C: number;
}

/** Move the class dim (1, or 0 for an unbatched [C] input) last and flatten: [M, C]. */
function classLast(op: string, input: Tensor): ClassLayout {
  if (input.rank === 0) throw new RangeError(`${op}: input must have a class dim, got a scalar`);
  if (input.rank === 1) return { flat: input.reshape([1, -1]), outShape: [], C: input.shape[0]! };
  const C = input.shape[1]!;
  const outShape = input.shape.filter((_, i) => i !== 1);
  const perm = [0, ...input.shape.map((_, i) => i).slice(2), 1];
  const moved = input.rank === 2 ? input : input.permute(perm);
  return { flat: moved.reshape([-1, C]), outShape, C };
}

function checkTarget(op: string, target: Tensor, outShape: number[]): Tensor {
  if (target.dtype === 'float32')
    throw new TypeError(
      `${op}: class-index targets must be int32 (float targets are probabilities for crossEntropy)`,
    );
  if (target.rank !== outShape.length || target.shape.some((d, i) => d !== outShape[i]))
    throw new RangeError(`${op}: target shape ${fmtShape(target.shape)} must be ${fmtShape(outShape)}`);
  return target.reshape([-1]);
}

export interface NllOptions extends ReductionOptions {
  /** A rescaling weight per class, [C]. */
  weight?: Tensor | null;
  /** Targets equal to this contribute nothing (to the loss nor to the mean's denominator); default −100. */
  ignoreIndex?: number;
}

/**
 * −w[y]·logp[y] per element, and PyTorch's weighted mean Σ loss / Σ w[y] over non-ignored targets.
 * Returns the per-element loss (flat [M]), the per-element weights and the valid mask.
 */
function nllCore(
  op: string,
  logp: Tensor,
  target: Tensor,
  options: NllOptions,
): { loss: Tensor; w: Tensor; valid: Tensor; safe: Tensor; layout: ClassLayout } {
  const layout = classLast(op, logp);
  const t = checkTarget(op, target, layout.outShape);
  const ignore = options.ignoreIndex ?? -100;
  const valid = t.notEqual(ignore);
  const safe = where(valid, t, 0).cast('int32');
  // An out-of-range target is reported by gather's bounds check (no second read of the targets here).
  const picked = gather(layout.flat, 1, safe.unsqueeze(1)).reshape([-1]);
  let w = valid.cast('float32');
  if (options.weight) {
    if (options.weight.rank !== 1 || options.weight.shape[0] !== layout.C)
      throw new RangeError(`${op}: weight must be [${layout.C}], got ${fmtShape(options.weight.shape)}`);
    w = w.mul(indexSelect(f32(options.weight), 0, safe));
  }
  return { loss: picked.mul(w).neg(), w, valid, safe, layout };
}

function reduceNll(
  op: string,
  loss: Tensor,
  w: Tensor,
  outShape: number[],
  reduction: Reduction | undefined,
): Tensor {
  switch (reduction ?? 'mean') {
    case 'none':
      return loss.reshape(outShape);
    case 'sum':
      return loss.sum();
    case 'mean':
      return loss.sum().div(w.sum());
    default:
      throw new RangeError(`${op}: reduction must be 'none', 'mean' or 'sum', got '${String(reduction)}'`);
  }
}

/**
 * Negative log-likelihood of log-probabilities `input` ([N, C], [N, C, d1, …] or [C]) at int32
 * class indices `target` ([N], [N, d1, …] or []), as torch.nn.functional.nll_loss. The mean is
 * weighted: Σ −w[yᵢ]·input[i, yᵢ] / Σ w[yᵢ], over targets ≠ ignoreIndex.
 */
export const nllLoss = nnOp(function nllLoss(
  input: Tensor,
  target: Tensor,
  options: NllOptions = {},
): Tensor {
  const { loss, w, layout } = nllCore('nllLoss', f32(input), target, options);
  return reduceNll('nllLoss', loss, w, layout.outShape, options.reduction);
});

export interface CrossEntropyOptions extends NllOptions {
  /** Mix the targets with the uniform distribution: ε/C on every class (default 0). */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of unnormalised scores `input` ([N, C], [N, C, d1, …] or [C]) as
 * torch.nn.functional.cross_entropy, with either int32 class indices (shape of the input without
 * dim 1; `ignoreIndex` and the weighted mean apply) or float class probabilities (the input's
 * shape; the mean divides by the number of samples). `labelSmoothing` ε blends in the uniform
 * distribution exactly as PyTorch does for both kinds of target.
 *
 * @example
 * const loss = crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 */
export const crossEntropy = nnOp(function crossEntropy(
  input: Tensor,
  target: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  const op = 'crossEntropy';
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new RangeError(`${op}: labelSmoothing must be in [0, 1], got ${eps}`);
  const classDim = input.rank === 1 ? 0 : 1;
  const logp = logSoftmax(f32(input), classDim);
  const C = input.shape[classDim]!;
  const wShape = input.shape.map((d, i) => (i === classDim ? d : 1));
  if (options.weight && (options.weight.rank !== 1 || options.weight.shape[0] !== C))
    throw new RangeError(`${op}: weight must be [${C}], got ${fmtShape(options.weight.shape)}`);
  const weightB = options.weight ? f32(options.weight).reshape(wShape) : null;

  if (target.dtype === 'float32') {
    // Class probabilities. A float target shaped like class indices is the common mistake: say so.
    const indexShape = input.shape.filter((_, i) => i !== classDim);
    if (target.rank === indexShape.length && target.shape.every((d, i) => d === indexShape[i]))
      throw new TypeError(
        `${op}: a target of shape ${fmtShape(target.shape)} holds class indices and must be int32, got float32 ` +
          `(cast it: target.cast('int32')); a float32 target holds class probabilities and has the input's shape ${fmtShape(input.shape)}`,
      );
    sameShape(op, input, target);
    const t = eps > 0 ? target.mul(1 - eps).add(eps / C) : target;
    let prod = logp.mul(t);
    if (weightB) prod = prod.mul(weightB);
    const loss = prod.sum(classDim).neg();
    if ((options.reduction ?? 'mean') === 'mean') return loss.sum().div(input.size / C);
    return reduce(op, loss, options.reduction);
  }

  const nll = nllCore(op, logp, target, options);
  const nllReduced = reduceNll(op, nll.loss, nll.w, nll.layout.outShape, options.reduction);
  if (eps === 0) return nllReduced;
  // PyTorch's label-smoothing term: −Σ_c w_c·logp_c per element, zero where ignored.
  let smooth = weightB ? logp.mul(weightB) : logp;
  smooth = classLast(op, smooth).flat.sum(1).neg().mul(nll.valid.cast('float32'));
  let smoothReduced: Tensor;
  switch (options.reduction ?? 'mean') {
    case 'none':
      smoothReduced = smooth.reshape(nll.layout.outShape);
      break;
    case 'sum':
      smoothReduced = smooth.sum();
      break;
    default:
      smoothReduced = smooth.sum().div(nll.w.sum());
  }
  return nllReduced.mul(1 - eps).add(smoothReduced.mul(eps / C));
});

/**
 * Kullback–Leibler divergence with `input` as log-probabilities (kl_div): y·(log y − x), or
 * e^y·(y − x) with logTarget. Reduction 'batchmean' (sum / batch size) gives the true KL
 * divergence; 'mean' averages over all elements, as PyTorch.
 */
export const klDiv = nnOp(function klDiv(
  input: Tensor,
  target: Tensor,
  options: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {},
): Tensor {
  sameShape('klDiv', input, target);
  const x = f32(input);
  const y = f32(target);
  let loss: Tensor;
  if (options.logTarget) loss = y.exp().mul(y.sub(x));
  else {
    const pos = y.greater(0);
    const ys = where(pos, y, 1);
    loss = where(pos, ys.mul(log(ys)), 0).sub(y.mul(x));
  }
  if (options.reduction === 'batchmean') return loss.sum().div(input.rank > 0 ? input.shape[0]! : 1);
  return reduce('klDiv', loss, options.reduction);
});

/**
 * Multi-class hinge loss of Weston & Watkins (1999), as torch.nn.MultiMarginLoss: for each sample,
 * Σ_{i≠y} max(0, margin − x_y + x_i)^p · w[y] / C (p ∈ {1, 2}, margin 1). Input [N, C] or [C].
 */
export const multiMarginLoss = nnOp(function multiMarginLoss(
  input: Tensor,
  target: Tensor,
  options: ReductionOptions & { p?: 1 | 2; margin?: number; weight?: Tensor | null } = {},
): Tensor {
  const op = 'multiMarginLoss';
  const p = options.p ?? 1;
  if (p !== 1 && p !== 2) throw new RangeError(`${op}: p must be 1 or 2, got ${p}`);
  if (input.rank !== 1 && input.rank !== 2)
    throw new RangeError(`${op}: input must be [N, C] or [C], got ${fmtShape(input.shape)}`);
  const { flat, C, outShape } = classLast(op, f32(input));
  const t = checkTarget(op, target, outShape);
  const xy = gather(flat, 1, t.unsqueeze(1));
  let h = relu(flat.sub(xy).add(options.margin ?? 1));
  if (p === 2) h = square(h);
  h = where(oneHot(t, C).cast('bool'), 0, h);
  let loss = h.sum(1).div(C);
  if (options.weight) loss = loss.mul(indexSelect(f32(options.weight), 0, t));
  return reduce(op, loss.reshape(outShape), options.reduction);
});

/**
 * Multi-class hinge loss of Crammer & Singer (2001): max(0, margin + max_{i≠y} x_i − x_y) per
 * sample (margin 1). Input [N, C] or [C]; int32 targets.
 */
export const crammerSingerLoss = nnOp(function crammerSingerLoss(
  input: Tensor,
  target: Tensor,
  options: ReductionOptions & { margin?: number } = {},
): Tensor {
  const op = 'crammerSingerLoss';
  if (input.rank !== 1 && input.rank !== 2)
    throw new RangeError(`${op}: input must be [N, C] or [C], got ${fmtShape(input.shape)}`);
  const { flat, C, outShape } = classLast(op, f32(input));
  const t = checkTarget(op, target, outShape);
  const xy = gather(flat, 1, t.unsqueeze(1)).reshape([-1]);
  const others = where(oneHot(t, C).cast('bool'), Number.NEGATIVE_INFINITY, flat).max(1);
  const loss = relu(others.sub(xy).add(options.margin ?? 1));
  return reduce(op, loss.reshape(outShape), options.reduction);
});

// ---------------------------------------------------------------------------------------------
// Metric learning
// ---------------------------------------------------------------------------------------------

/** max(0, −y·(x1 − x2) + margin) with labels ±1 (margin_ranking_loss; margin 0). */
export const marginRankingLoss = nnOp(function marginRankingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options: ReductionOptions & { margin?: number } = {},
): Tensor {
  const loss = relu(
    f32(target)
      .neg()
      .mul(f32(input1).sub(input2))
      .add(options.margin ?? 0),
  );
  return reduce('marginRankingLoss', loss, options.reduction);
});

/**
 * 1 − cos(x1, x2) where y = 1, max(0, cos(x1, x2) − margin) where y = −1 (cosine_embedding_loss;
 * cos over dim 1, or 0 for 1-D inputs, with PyTorch's ε = 1e-12 inside each squared norm).
 */
export const cosineEmbeddingLoss = nnOp(function cosineEmbeddingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options: ReductionOptions & { margin?: number } = {},
): Tensor {
  sameShape('cosineEmbeddingLoss', input1, input2, 'input2');
  const dim = input1.rank === 1 ? 0 : 1;
  const a = f32(input1);
  const b = f32(input2);
  const prod = a.mul(b).sum(dim);
  const m1 = a.mul(a).sum(dim).add(1e-12);
  const m2 = b.mul(b).sum(dim).add(1e-12);
  const cos = prod.div(sqrt(m1.mul(m2)));
  const pos = where(target.equal(1), cos.neg().add(1), 0);
  const neg = where(target.equal(-1), relu(cos.sub(options.margin ?? 0)), 0);
  return reduce('cosineEmbeddingLoss', pos.add(neg), options.reduction);
});

/** ‖x1 − x2 + eps‖_p over the last dim (torch.nn.functional.pairwise_distance). */
export const pairwiseDistance = nnOp(function pairwiseDistance(
  x1: Tensor,
  x2: Tensor,
  options: { p?: number; eps?: number } = {},
): Tensor {
  const p = options.p ?? 2;
  return norm(
    f32(x1)
      .sub(x2)
      .add(options.eps ?? 1e-6),
    p === 2 ? 2 : p,
    -1,
  );
});

/**
 * Triplet loss (Schroff et al., 2015; triplet_margin_loss): max(0, margin + d(a, p) − d(a, n)) with
 * d the pairwise p-norm distance (margin 1, p 2, eps 1e-6); `swap` uses min(d(a, n), d(p, n)).
 */
export const tripletMarginLoss = nnOp(function tripletMarginLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options: ReductionOptions & { margin?: number; p?: number; eps?: number; swap?: boolean } = {},
): Tensor {
  const o = { p: options.p ?? 2, eps: options.eps ?? 1e-6 };
  const dPos = pairwiseDistance(anchor, positive, o);
  let dNeg = pairwiseDistance(anchor, negative, o);
  if (options.swap) dNeg = minimum(dNeg, pairwiseDistance(positive, negative, o));
  const loss = relu(dPos.sub(dNeg).add(options.margin ?? 1));
  return reduce('tripletMarginLoss', loss, options.reduction);
});

// ---------------------------------------------------------------------------------------------
// Module classes
// ---------------------------------------------------------------------------------------------

/** Loss layers: the options go to the constructor, the tensors to forward. */
export class MSELoss extends Module {
  constructor(readonly options: ReductionOptions = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, this.options);
  }
}

export class L1Loss extends Module {
  constructor(readonly options: ReductionOptions = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, this.options);
  }
}

export class SmoothL1Loss extends Module {
  constructor(readonly options: ReductionOptions & { beta?: number } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, this.options);
  }
}

export class HuberLoss extends Module {
  constructor(readonly options: ReductionOptions & { delta?: number } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, this.options);
  }
}

export class PoissonNLLLoss extends Module {
  constructor(
    readonly options: ReductionOptions & { logInput?: boolean; full?: boolean; eps?: number } = {},
  ) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return poissonNllLoss(input, target, this.options);
  }
}

export class GaussianNLLLoss extends Module {
  constructor(readonly options: ReductionOptions & { full?: boolean; eps?: number } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor, variance: Tensor): Tensor {
    return gaussianNllLoss(input, target, variance, this.options);
  }
}

export class BCELoss extends Module {
  constructor(readonly options: ReductionOptions & { weight?: Tensor | null } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, this.options);
  }
}

export class BCEWithLogitsLoss extends Module {
  constructor(
    readonly options: ReductionOptions & { weight?: Tensor | null; posWeight?: Tensor | null } = {},
  ) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, this.options);
  }
}

export class HingeLoss extends Module {
  constructor(readonly options: ReductionOptions & { margin?: number } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return hingeLoss(input, target, this.options);
  }
}

export class SquaredHingeLoss extends Module {
  constructor(readonly options: ReductionOptions & { margin?: number } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return squaredHingeLoss(input, target, this.options);
  }
}

export class HingeEmbeddingLoss extends Module {
  constructor(readonly options: ReductionOptions & { margin?: number } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return hingeEmbeddingLoss(input, target, this.options);
  }
}

export class SoftMarginLoss extends Module {
  constructor(readonly options: ReductionOptions = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return softMarginLoss(input, target, this.options);
  }
}

export class NLLLoss extends Module {
  constructor(readonly options: NllOptions = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, this.options);
  }
}

/**
 * @example
 * const lossFn = new CrossEntropyLoss({ labelSmoothing: 0.1 });
 * const loss = lossFn.forward(logits, labels);
 */
export class CrossEntropyLoss extends Module {
  constructor(readonly options: CrossEntropyOptions = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, this.options);
  }
}

export class KLDivLoss extends Module {
  constructor(readonly options: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, this.options);
  }
}

export class MultiMarginLoss extends Module {
  constructor(
    readonly options: ReductionOptions & { p?: 1 | 2; margin?: number; weight?: Tensor | null } = {},
  ) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return multiMarginLoss(input, target, this.options);
  }
}

export class CrammerSingerLoss extends Module {
  constructor(readonly options: ReductionOptions & { margin?: number } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crammerSingerLoss(input, target, this.options);
  }
}

export class MarginRankingLoss extends Module {
  constructor(readonly options: ReductionOptions & { margin?: number } = {}) {
    super();
  }
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return marginRankingLoss(input1, input2, target, this.options);
  }
}

export class CosineEmbeddingLoss extends Module {
  constructor(readonly options: ReductionOptions & { margin?: number } = {}) {
    super();
  }
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return cosineEmbeddingLoss(input1, input2, target, this.options);
  }
}

export class TripletMarginLoss extends Module {
  constructor(
    readonly options: ReductionOptions & { margin?: number; p?: number; eps?: number; swap?: boolean } = {},
  ) {
    super();
  }
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return tripletMarginLoss(anchor, positive, negative, this.options);
  }
}
