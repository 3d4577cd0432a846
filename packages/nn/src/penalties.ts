/**
 * Weight penalties to add to a loss: functions of a parameter list returning a scalar tensor, so
 * their gradients flow through core's autograd.
 *
 * @example
 * const loss = crossEntropy(model.forward(x), y).add(l2Penalty(model.parameters(), 1e-4));
 */
import { scalar, type Tensor } from '@myelin/core';
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
