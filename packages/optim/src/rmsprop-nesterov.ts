import { type Tensor, type Variable, zerosLike } from '@myelin/core';
import {
  checkNonNegative,
  directedGrad,
  Optimizer,
  type ParamGroup,
  type ParamState,
  type ParamsInput,
} from './optimizer.js';
import type { RMSpropOptions } from './rmsprop.js';

export interface NesterovRMSpropOptions extends RMSpropOptions {
  /** Use the Nesterov look-ahead (default true; false is exactly `RMSprop` with momentum). */
  nesterov: boolean;
}

interface NesterovRMSpropState {
  step: number;
  squareAvg: Variable;
  momentumBuffer: Variable;
  gradAvg?: Variable;
}

/**
 * RMSprop with Nesterov momentum (Sutskever et al. 2013's look-ahead, in the form torch's SGD uses
 * for `nesterov: true`), applied to RMSprop's normalised gradient u = g/(√v + ε):
 *
 *     v ← αv + (1−α)g²;   b ← μb + u;   θ ← θ − lr·(u + μb)
 *
 * (`centered` divides by √(v − E[g]²) instead, as RMSprop.) torch has no such option, so it is
 * tested against this closed form. With `nesterov: false` it is `RMSprop` with momentum. Defaults
 * as RMSprop (lr 0.01, alpha 0.99, eps 1e-8) but momentum 0.9, which must be > 0.
 */
export class NesterovRMSprop extends Optimizer<NesterovRMSpropOptions> {
  constructor(params: ParamsInput<NesterovRMSpropOptions>, options: Partial<NesterovRMSpropOptions> = {}) {
    super(params, {
      lr: options.lr ?? 1e-2,
      alpha: options.alpha ?? 0.99,
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      momentum: options.momentum ?? 0.9,
      centered: options.centered ?? false,
      maximize: options.maximize ?? false,
      nesterov: options.nesterov ?? true,
    });
  }

  protected override get name(): string {
    return 'NesterovRMSprop';
  }

  protected override validateGroup(group: ParamGroup<NesterovRMSpropOptions>, index: number): void {
    super.validateGroup(group, index);
    checkNonNegative('NesterovRMSprop', 'alpha', group.alpha);
    checkNonNegative('NesterovRMSprop', 'eps', group.eps);
    checkNonNegative('NesterovRMSprop', 'weightDecay', group.weightDecay);
    if (!(group.momentum > 0)) {
      throw new RangeError(
        `NesterovRMSprop: invalid momentum ${String(group.momentum)} (Nesterov momentum needs momentum > 0)`,
      );
    }
  }

  protected update(
    p: Variable,
    grad: Tensor,
    st: ParamState,
    group: ParamGroup<NesterovRMSpropOptions>,
  ): void {
    const state = st as unknown as NesterovRMSpropState;
    const { lr, alpha, eps, momentum, centered } = group;
    if (!state.squareAvg) {
      state.step = 0;
      state.squareAvg = this.stateVar(zerosLike(p));
      state.momentumBuffer = this.stateVar(zerosLike(p));
    }
    if (centered && !state.gradAvg) state.gradAvg = this.stateVar(zerosLike(p));
    state.step += 1;
    const g = directedGrad(grad, p, group.weightDecay, group.maximize);
    const sq = state.squareAvg;
    sq.assign(sq.mul(alpha).add(g.mul(1 - alpha).mul(g)));
    let second: Tensor = sq;
    if (centered) {
      const ga = state.gradAvg!;
      ga.assign(ga.mul(alpha).add(g.mul(1 - alpha)));
      second = sq.sub(ga.square());
    }
    const u = g.div(second.sqrt().add(eps));
    const buf = state.momentumBuffer;
    buf.assign(buf.mul(momentum).add(u));
    const direction = group.nesterov ? u.add(buf.mul(momentum)) : buf;
    p.assign(p.sub(direction.mul(lr)));
  }
}
