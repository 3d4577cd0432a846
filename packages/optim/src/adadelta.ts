import { type Tensor, type Variable, zerosLike } from '@myelin/core';
import {
  type BaseOptions,
  checkNonNegative,
  directedGrad,
  Optimizer,
  type ParamGroup,
  type ParamState,
  type ParamsInput,
} from './optimizer.js';

export interface AdadeltaOptions extends BaseOptions {
  /** Decay of both running averages (default 0.9). */
  rho: number;
  /** Added inside both roots (default 1e-6); without it the update is 0 forever (see README). */
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

interface AdadeltaState {
  step: number;
  squareAvg: Variable;
  accDelta: Variable;
}

/**
 * AdaDelta (Zeiler 2012), as `torch.optim.Adadelta`, with ε as in the paper:
 * `v ← ρv + (1−ρ)g²; Δ = √(u + ε)/√(v + ε) · g; u ← ρu + (1−ρ)Δ²; θ ← θ − lr·Δ`. Default lr 1.
 */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(params: ParamsInput<AdadeltaOptions>, options: Partial<AdadeltaOptions> = {}) {
    super(params, {
      lr: options.lr ?? 1,
      rho: options.rho ?? 0.9,
      eps: options.eps ?? 1e-6,
      weightDecay: options.weightDecay ?? 0,
      maximize: options.maximize ?? false,
    });
  }

  protected override get name(): string {
    return 'Adadelta';
  }

  protected override validateGroup(group: ParamGroup<AdadeltaOptions>, index: number): void {
    super.validateGroup(group, index);
    if (!(group.rho >= 0 && group.rho <= 1))
      throw new RangeError(`Adadelta: invalid rho ${group.rho} (must be in [0, 1])`);
    checkNonNegative('Adadelta', 'eps', group.eps);
    checkNonNegative('Adadelta', 'weightDecay', group.weightDecay);
  }

  protected update(p: Variable, grad: Tensor, st: ParamState, group: ParamGroup<AdadeltaOptions>): void {
    const state = st as unknown as AdadeltaState;
    const { lr, rho, eps } = group;
    if (!state.squareAvg) {
      state.step = 0;
      state.squareAvg = this.stateVar(zerosLike(p));
      state.accDelta = this.stateVar(zerosLike(p));
    }
    state.step += 1;
    const g = directedGrad(grad, p, group.weightDecay, group.maximize);
    const { squareAvg: sq, accDelta: acc } = state;
    sq.assign(sq.mul(rho).add(g.mul(1 - rho).mul(g)));
    const std = sq.add(eps).sqrt();
    const delta = acc.add(eps).sqrt().div(std).mul(g);
    acc.assign(acc.mul(rho).add(delta.mul(1 - rho).mul(delta)));
    p.assign(p.add(delta.mul(-lr)));
  }
}
