import type { Tensor, Variable } from '@myelin/core';
import {
  type BaseOptions,
  checkBetas,
  checkNonNegative,
  type MomentState,
  Optimizer,
  type ParamGroup,
  type ParamState,
  type ParamsInput,
} from './optimizer.js';

export interface NAdamOptions extends BaseOptions {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /** ψ of the momentum schedule μₜ = β₁(1 − ½·0.96^(tψ)) (default 4e-3). */
  momentumDecay: number;
}

interface NAdamState extends MomentState {
  /** Π μᵢ, kept in float32 as torch keeps it in a float32 tensor. */
  muProduct: number;
  expAvgSq: Variable;
}

const f32 = Math.fround;

/**
 * NAdam (Dozat 2016): Adam with Nesterov momentum and a momentum schedule, as `torch.optim.NAdam`
 * (PyTorch 1.13, which has no `maximize` here). Default lr 2e-3.
 */
export class NAdam extends Optimizer<NAdamOptions> {
  constructor(params: ParamsInput<NAdamOptions>, options: Partial<NAdamOptions> = {}) {
    super(params, {
      lr: options.lr ?? 2e-3,
      betas: options.betas ? [options.betas[0], options.betas[1]] : [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      momentumDecay: options.momentumDecay ?? 4e-3,
    });
  }

  protected override get name(): string {
    return 'NAdam';
  }

  protected override validateGroup(group: ParamGroup<NAdamOptions>, index: number): void {
    super.validateGroup(group, index);
    checkBetas('NAdam', group.betas);
    checkNonNegative('NAdam', 'eps', group.eps);
    checkNonNegative('NAdam', 'weightDecay', group.weightDecay);
    checkNonNegative('NAdam', 'momentumDecay', group.momentumDecay);
  }

  protected update(p: Variable, grad: Tensor, st: ParamState, group: ParamGroup<NAdamOptions>): void {
    const state = st as unknown as NAdamState;
    const { lr, eps, weightDecay, momentumDecay } = group;
    const [beta1, beta2] = group.betas;
    if (!state.expAvg) state.muProduct = 1;
    const g = weightDecay !== 0 ? grad.add(p.mul(weightDecay)) : grad;
    const step = this.updateMoments(state, p, g, group.betas);
    const biasCorrection2 = 1 - beta2 ** step;
    const mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentumDecay));
    const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentumDecay));
    // torch keeps mu_product in a float32 tensor: each product rounds to float32.
    state.muProduct = f32(state.muProduct * f32(mu));
    const muProductNext = f32(f32(state.muProduct * f32(mu)) * f32(muNext));
    const { expAvg: m, expAvgSq: v } = state;
    const denom = v.div(biasCorrection2).sqrt().add(eps);
    const p1 = p.add(g.mul((-lr * (1 - mu)) / (1 - state.muProduct)).div(denom));
    p.assign(p1.add(m.mul((-lr * muNext) / (1 - muProductNext)).div(denom)));
  }
}
