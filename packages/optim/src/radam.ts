import type { Tensor, Variable } from '@myelin/core';
import {
  type BaseOptions,
  checkBetas,
  checkNonNegative,
  directedGrad,
  type MomentState,
  Optimizer,
  type ParamGroup,
  type ParamState,
  type ParamsInput,
} from './optimizer.js';

export interface RAdamOptions extends BaseOptions {
  /** Decay rates of the first and second moment estimates (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the root of the second moment (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
}

interface RAdamState extends MomentState {
  expAvgSq: Variable;
}

/**
 * Rectified Adam (Liu et al. 2020), as `torch.optim.RAdam` (PyTorch 1.13). With ρ∞ = 2/(1−β₂) − 1
 * and ρₜ = ρ∞ − 2tβ₂ᵗ/(1−β₂ᵗ), the length of the approximated simple moving average:
 *
 *     m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  m̂ = m/(1−β₁ᵗ)
 *     ρₜ > 5:  r = √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ));  θ ← θ − lr · m̂ · r · √(1−β₂ᵗ)/(√v + ε)
 *     else:    θ ← θ − lr · m̂   (SGD with momentum while the variance estimate is unreliable)
 *
 * Defaults lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0 (torch 1.13 has no `maximize` here).
 */
export class RAdam extends Optimizer<RAdamOptions> {
  constructor(params: ParamsInput<RAdamOptions>, options: Partial<RAdamOptions> = {}) {
    super(params, {
      lr: options.lr ?? 1e-3,
      betas: options.betas ? [options.betas[0], options.betas[1]] : [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
    });
  }

  protected override get name(): string {
    return 'RAdam';
  }

  protected override validateGroup(group: ParamGroup<RAdamOptions>, index: number): void {
    super.validateGroup(group, index);
    checkBetas('RAdam', group.betas);
    checkNonNegative('RAdam', 'eps', group.eps);
    checkNonNegative('RAdam', 'weightDecay', group.weightDecay);
  }

  protected update(p: Variable, grad: Tensor, st: ParamState, group: ParamGroup<RAdamOptions>): void {
    const state = st as unknown as RAdamState;
    const [beta1, beta2] = group.betas;
    const g = directedGrad(grad, p, group.weightDecay, false);
    const t = this.updateMoments(state, p, g, group.betas);
    const { expAvg: m, expAvgSq: v } = state;
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    const mHat = m.div(bc1);
    const rhoInf = 2 / (1 - beta2) - 1;
    const rhoT = rhoInf - (2 * t * beta2 ** t) / bc2;
    if (rhoT > 5) {
      const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
      const adaptive = v.sqrt().add(group.eps).reciprocal().mul(Math.sqrt(bc2));
      p.assign(p.sub(mHat.mul(group.lr).mul(adaptive).mul(rect)));
    } else {
      p.assign(p.sub(mHat.mul(group.lr)));
    }
  }
}
