import { fullLike, type Tensor, type Variable } from '@myelin/core';
import {
  type BaseOptions,
  checkNonNegative,
  directedGrad,
  Optimizer,
  type ParamGroup,
  type ParamState,
  type ParamsInput,
} from './optimizer.js';

export interface AdagradOptions extends BaseOptions {
  /** Learning-rate decay: the step size is lr / (1 + (t − 1)·lrDecay). Default 0. */
  lrDecay: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Starting value of the sum of squared gradients (default 0). */
  initialAccumulatorValue: number;
  /** Added to the root of the sum (default 1e-10). */
  eps: number;
  maximize: boolean;
}

interface AdagradState {
  step: number;
  sum: Variable;
}

/**
 * AdaGrad (Duchi et al. 2011), as `torch.optim.Adagrad`: per-coordinate steps shrink with the sum of
 * squared gradients, `s ← s + g²; θ ← θ − lr/(1 + (t−1)·lrDecay) · g/(√s + ε)`. Defaults lr 0.01.
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: ParamsInput<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    super(params, {
      lr: options.lr ?? 1e-2,
      lrDecay: options.lrDecay ?? 0,
      weightDecay: options.weightDecay ?? 0,
      initialAccumulatorValue: options.initialAccumulatorValue ?? 0,
      eps: options.eps ?? 1e-10,
      maximize: options.maximize ?? false,
    });
  }

  protected override get name(): string {
    return 'Adagrad';
  }

  protected override validateGroup(group: ParamGroup<AdagradOptions>, index: number): void {
    super.validateGroup(group, index);
    checkNonNegative('Adagrad', 'lrDecay', group.lrDecay);
    checkNonNegative('Adagrad', 'weightDecay', group.weightDecay);
    checkNonNegative('Adagrad', 'initialAccumulatorValue', group.initialAccumulatorValue);
    checkNonNegative('Adagrad', 'eps', group.eps);
  }

  protected update(p: Variable, grad: Tensor, st: ParamState, group: ParamGroup<AdagradOptions>): void {
    const state = st as unknown as AdagradState;
    if (!state.sum) {
      state.step = 0;
      state.sum = this.stateVar(fullLike(p, group.initialAccumulatorValue));
    }
    state.step += 1;
    const g = directedGrad(grad, p, group.weightDecay, group.maximize);
    const clr = group.lr / (1 + (state.step - 1) * group.lrDecay);
    state.sum.assign(state.sum.add(g.mul(g)));
    const std = state.sum.sqrt().add(group.eps);
    p.assign(p.add(g.mul(-clr).div(std)));
  }
}
