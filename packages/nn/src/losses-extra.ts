import { fmtShape, Module, type Tensor, where } from '@myelin/core';
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
