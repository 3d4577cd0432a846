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

export interface RMSpropOptions extends BaseOptions {
  /** Smoothing constant of the running mean of squared gradients (default 0.99). */
  alpha: number;
  /** Added to the root (default 1e-8). */
  eps: number;
  weightDecay: number;
  /** Momentum factor (default 0). */
  momentum: number;
  /** Divide by the estimated variance (E[g²] − E[g]²) instead of E[g²] (Graves 2013). */
  centered: boolean;
  /**
   * Nesterov's look-ahead on the normalised gradient u = g/(√v + ε): b ← μb + u, θ ← θ − lr·(u + μb)
   * (default false; needs momentum > 0). torch has no such option: tested against the closed form.
   */
  nesterov: boolean;
  maximize: boolean;
}

interface RMSpropState {
  step: number;
  squareAvg: Variable;
  momentumBuffer?: Variable;
  gradAvg?: Variable;
}

/**
 * RMSProp (Hinton's lecture 6e), as `torch.optim.RMSprop`:
 * `v ← αv + (1−α)g²; θ ← θ − lr · g/(√v + ε)`, with optional momentum and the centered variant.
 * Defaults lr 0.01, alpha 0.99, eps 1e-8 (ε outside the root, as PyTorch).
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsInput<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, {
      lr: options.lr ?? 1e-2,
      alpha: options.alpha ?? 0.99,
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      momentum: options.momentum ?? 0,
      centered: options.centered ?? false,
      nesterov: options.nesterov ?? false,
      maximize: options.maximize ?? false,
    });
  }

  protected override get name(): string {
    return 'RMSprop';
  }

  protected override validateGroup(group: ParamGroup<RMSpropOptions>, index: number): void {
    super.validateGroup(group, index);
    checkNonNegative('RMSprop', 'alpha', group.alpha);
    checkNonNegative('RMSprop', 'eps', group.eps);
    checkNonNegative('RMSprop', 'weightDecay', group.weightDecay);
    checkNonNegative('RMSprop', 'momentum', group.momentum);
    if (group.nesterov && !(group.momentum > 0)) {
      throw new RangeError(
        `${this.name}: invalid momentum ${String(group.momentum)} (Nesterov momentum needs momentum > 0)`,
      );
    }
  }

  protected update(p: Variable, grad: Tensor, st: ParamState, group: ParamGroup<RMSpropOptions>): void {
    const state = st as unknown as RMSpropState;
    const { lr, alpha, eps, momentum, centered } = group;
    if (!state.squareAvg) {
      state.step = 0;
      state.squareAvg = this.stateVar(zerosLike(p));
    }
    if (momentum > 0 && !state.momentumBuffer) state.momentumBuffer = this.stateVar(zerosLike(p));
    if (centered && !state.gradAvg) state.gradAvg = this.stateVar(zerosLike(p));
    state.step += 1;
    const g = directedGrad(grad, p, group.weightDecay, group.maximize);
    const sq = state.squareAvg;
    sq.assign(sq.mul(alpha).add(g.mul(1 - alpha).mul(g)));
    let avg: Tensor;
    if (centered) {
      const ga = state.gradAvg!;
      ga.assign(ga.mul(alpha).add(g.mul(1 - alpha)));
      avg = sq.add(ga.mul(-1).mul(ga)).sqrt();
    } else {
      avg = sq.sqrt();
    }
    avg = avg.add(eps);
    if (momentum > 0) {
      const buf = state.momentumBuffer!;
      const u = g.div(avg);
      buf.assign(buf.mul(momentum).add(u));
      p.assign(p.sub((group.nesterov ? u.add(buf.mul(momentum)) : buf).mul(lr)));
    } else {
      p.assign(p.add(g.mul(-lr).div(avg)));
    }
  }
}
