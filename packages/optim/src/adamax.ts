import { maximum, type Tensor, type Variable, zerosLike } from '@myelin/core';
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

export interface AdamaxOptions extends BaseOptions {
  betas: [number, number];
  /** Added to |g| inside the running maximum (default 1e-8). */
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

interface AdamaxState extends MomentState {
  expInf: Variable;
}

/**
 * Adamax (Kingma & Ba 2015, §7.1), Adam with the infinity norm, as `torch.optim.Adamax`:
 * `m ← β₁m + (1−β₁)g; u ← max(β₂u, |g| + ε); θ ← θ − lr/(1−β₁ᵗ) · m/u`. Default lr 2e-3.
 */
export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: ParamsInput<AdamaxOptions>, options: Partial<AdamaxOptions> = {}) {
    super(params, {
      lr: options.lr ?? 2e-3,
      betas: options.betas ? [options.betas[0], options.betas[1]] : [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      maximize: options.maximize ?? false,
    });
  }

  protected override get name(): string {
    return 'Adamax';
  }

  protected override validateGroup(group: ParamGroup<AdamaxOptions>, index: number): void {
    super.validateGroup(group, index);
    checkBetas('Adamax', group.betas);
    checkNonNegative('Adamax', 'eps', group.eps);
    checkNonNegative('Adamax', 'weightDecay', group.weightDecay);
  }

  protected update(p: Variable, grad: Tensor, st: ParamState, group: ParamGroup<AdamaxOptions>): void {
    const state = st as unknown as AdamaxState;
    const [beta1, beta2] = group.betas;
    if (!state.expAvg) state.expInf = this.stateVar(zerosLike(p));
    const g = directedGrad(grad, p, group.weightDecay, group.maximize);
    this.updateMoments(state, p, g, group.betas, false);
    const { expAvg: m, expInf: u } = state;
    u.assign(maximum(u.mul(beta2), g.abs().add(group.eps)));
    const clr = group.lr / (1 - beta1 ** state.step);
    p.assign(p.add(m.mul(-clr).div(u)));
  }
}
