/**
 * Weight penalties to add to a loss: functions of a parameter list returning a scalar tensor, so
 * their gradients flow through core's autograd.
 *
 * @example
 * const loss = crossEntropy(model.forward(x), y).add(l2Penalty(model.parameters(), 1e-4));
 */
import { clip, fmtShape, log, scalar, type Tensor, tensor, vjp, zeros } from '@myelin/core';
import { nnOp } from './scoped.js';

function total(params: Iterable<Tensor>, term: (p: Tensor) => Tensor): Tensor {
  let sum: Tensor | null = null;
  for (const p of params) {
    const t = term(p);
    sum = sum ? sum.add(t) : t;
  }
  return sum ?? scalar(0);
}

/** λ·Σ|w| over every element of every parameter (lasso; default λ = 1). */
export const l1Penalty = nnOp(function l1Penalty(params: Iterable<Tensor>, lambda = 1): Tensor {
  return total(params, (p) => p.abs().sum()).mul(lambda);
});

/**
 * λ·Σw² (ridge; default λ = 1). Its gradient is 2λ·w: plain SGD with weight decay `wd` corresponds
 * to λ = wd / 2.
 */
export const l2Penalty = nnOp(function l2Penalty(params: Iterable<Tensor>, lambda = 1): Tensor {
  return total(params, (p) => p.square().sum()).mul(lambda);
});

/** Elastic net (Zou & Hastie, 2005): l1·Σ|w| + l2·Σw². */
export const elasticNetPenalty = nnOp(function elasticNetPenalty(
  params: Iterable<Tensor>,
  options: { l1: number; l2: number },
): Tensor {
  const list = [...params];
  return l1Penalty(list, options.l1).add(l2Penalty(list, options.l2));
});

/**
 * Sparsity by KL divergence (Ng's sparse-autoencoder notes; Aggarwal §5.10.1): with ρ̂ⱼ the batch
 * mean (over dim 0) of unit j of `activations` [N, ...units] (values in (0, 1), e.g. a sigmoid
 * layer), Σⱼ KL(ρ ‖ ρ̂ⱼ) = Σⱼ ρ·log(ρ/ρ̂ⱼ) + (1 − ρ)·log((1 − ρ)/(1 − ρ̂ⱼ)). ρ̂ is clamped to
 * [1e-6, 1 − 1e-6] so a dead or saturated unit gives a large finite penalty.
 */
export const klSparsityPenalty = nnOp(function klSparsityPenalty(activations: Tensor, rho: number): Tensor {
  if (activations.rank < 1 || activations.shape[0] === 0)
    throw new RangeError(
      `klSparsityPenalty: expected activations [N, ...units] with N ≥ 1, got ${fmtShape(activations.shape)}`,
    );
  if (!(rho > 0 && rho < 1)) throw new RangeError(`klSparsityPenalty: rho must be in (0, 1), got ${rho}`);
  const rhoHat = clip(activations.cast('float32').mean(0), 1e-6, 1 - 1e-6);
  const a = log(rhoHat).neg().add(Math.log(rho)).mul(rho);
  const b = log(rhoHat.neg().add(1))
    .neg()
    .add(Math.log(1 - rho))
    .mul(1 - rho);
  return a.add(b).sum();
});

/**
 * The contractive penalty (Rifai et al., 2011, eq. 2; Aggarwal §5.10.3) of any encoder: the batch
 * mean of ‖∂h(xₙ)/∂xₙ‖²_F, the squared Frobenius norm of each sample's Jacobian, computed with
 * core's vector–Jacobian products (one backward pass per code unit), so it is itself
 * differentiable: its gradient reaches the encoder's parameters (PyTorch's `create_graph=True`).
 * `encoder` must treat samples independently (no batch statistics: BatchNorm in eval mode).
 * For a sigmoid layer this equals the closed form Σⱼ (hⱼ(1 − hⱼ))² Σᵢ Wⱼᵢ² (eq. 4).
 *
 * @example
 * const pen = contractivePenalty((v) => sigmoid(enc.forward(v)), x);
 */
export const contractivePenalty = nnOp(function contractivePenalty(
  encoder: (x: Tensor) => Tensor,
  x: Tensor,
): Tensor {
  if (x.rank < 1 || x.shape[0] === 0)
    throw new RangeError(
      `contractivePenalty: expected inputs [N, ...features] with N ≥ 1, got ${fmtShape(x.shape)}`,
    );
  const n = x.shape[0]!;
  // A recorded copy of x, not x itself: vjp links a recorded tensor to the outer tape, so the
  // penalty's gradient also reaches x (an imperative leaf would become a fresh, unlinked target).
  const [h, back] = vjp(encoder, x.cast('float32').add(0));
  if (h.rank < 1 || h.shape[0] !== n)
    throw new RangeError(
      `contractivePenalty: the encoder must keep the batch dim: inputs ${fmtShape(x.shape)} gave codes ${fmtShape(h.shape)}`,
    );
  const units = h.size / n;
  const flatShape = [n, units];
  let total: Tensor = scalar(0);
  for (let j = 0; j < units; j++) {
    const oneHot = zeros(flatShape).add(unitColumn(units, j)).reshape(h.shape);
    const [row] = back(oneHot) as [Tensor]; // ∂hⱼ(xₙ)/∂xₙ for every n
    total = total.add(row.square().sum());
  }
  return total.div(n);
});

/** A [1, units] tensor with a one in column j. */
function unitColumn(units: number, j: number): Tensor {
  const v = new Float32Array(units);
  v[j] = 1;
  return tensor(v, { shape: [1, units] });
}
