import { fullLike, type Tensor, type Variable, where, zerosLike } from '@myelin/core';
import {
  type BaseOptions,
  checkNonNegative,
  directedGrad,
  Optimizer,
  type ParamGroup,
  type ParamState,
  type ParamsInput,
} from './optimizer.js';

export interface DeltaBarDeltaOptions extends BaseOptions {
  /** κ: added to an element's rate while its gradient agrees in sign with δ̄ (default 0.035). */
  kappa: number;
  /** φ ∈ [0, 1): the fraction a rate loses when its gradient disagrees in sign with δ̄ (default 0.333). */
  phi: number;
  /** θ ∈ [0, 1): weight of the history in δ̄ ← (1 − θ)δ + θδ̄ (default 0.7). */
  theta: number;
  /** Momentum μ ∈ [0, 1): Δw ← μΔw − ε⊙δ (default 0, the plain rule). */
  momentum: number;
  /** Rates are capped here (default Infinity: no cap; saved as JSON it reads back as null, also no cap). */
  maxLr: number;
  /** L2 penalty added to the gradient, as torch's optimizers (default 0). */
  weightDecay: number;
  maximize: boolean;
}

interface DeltaBarDeltaState {
  step: number;
  /** ε: each element's own learning rate. */
  rates: Variable;
  /** δ̄: the exponential average of past gradients. */
  deltaBar: Variable;
  /** Δw of the last step (only with momentum). */
  velocity?: Variable;
}

/**
 * Delta-bar-delta (Jacobs 1988, "Increased rates of convergence through learning rate
 * adaptation"; Aggarwal §4.5.4): every element has its own learning rate ε, started at `lr`. With
 * δ the gradient and δ̄ the average of the past ones, one step does
 *
 *   ε ← ε + κ        where δ̄ₜ₋₁·δₜ > 0   (the slope keeps its sign: grow additively)
 *   ε ← (1 − φ)·ε    where δ̄ₜ₋₁·δₜ < 0   (it flipped: the minimum was jumped, shrink geometrically)
 *   w ← w − ε⊙δₜ     (with momentum: Δw ← μΔw − ε⊙δₜ, w ← w + Δw)
 *   δ̄ₜ ← (1 − θ)·δₜ + θ·δ̄ₜ₋₁
 *
 * so the new rate already applies to this step's gradient, and the first step (δ̄₀ = 0) runs at lr.
 * Growing linearly and shrinking exponentially keeps rates from blowing up. A full-batch method,
 * as Rprop: mini-batch noise flips signs and shrinks the rates.
 *
 * Defaults lr 0.01, κ 0.035, φ 0.333, θ 0.7. Jacobs tuned κ, φ and θ per task; θ = 0.7 is the
 * history weight that accounts of his runs use (e.g. Tveter's backprop manual), κ = 0.035 and
 * φ = 0.333 follow a textbook account of his XOR runs and were not checked against the paper's
 * tables. κ is additive, so scale it with lr.
 *
 * @example
 * const opt = new DeltaBarDelta(model.parameters(), { lr: 0.05, kappa: 0.01 });
 */
export class DeltaBarDelta extends Optimizer<DeltaBarDeltaOptions> {
  constructor(params: ParamsInput<DeltaBarDeltaOptions>, options: Partial<DeltaBarDeltaOptions> = {}) {
    super(params, {
      lr: options.lr ?? 1e-2,
      kappa: options.kappa ?? 0.035,
      phi: options.phi ?? 0.333,
      theta: options.theta ?? 0.7,
      momentum: options.momentum ?? 0,
      maxLr: options.maxLr ?? Infinity,
      weightDecay: options.weightDecay ?? 0,
      maximize: options.maximize ?? false,
    });
  }

  protected override get name(): string {
    return 'DeltaBarDelta';
  }

  protected override validateGroup(group: ParamGroup<DeltaBarDeltaOptions>, index: number): void {
    super.validateGroup(group, index);
    checkNonNegative('DeltaBarDelta', 'kappa', group.kappa);
    checkNonNegative('DeltaBarDelta', 'weightDecay', group.weightDecay);
    for (const key of ['phi', 'theta', 'momentum'] as const) {
      const v = group[key];
      if (!(typeof v === 'number' && v >= 0 && v < 1))
        throw new RangeError(`DeltaBarDelta: invalid ${key} ${String(v)} (must be in [0, 1))`);
    }
    if (!(typeof group.maxLr === 'number' && group.maxLr >= group.lr))
      throw new RangeError(`DeltaBarDelta: invalid maxLr ${String(group.maxLr)} (must be >= lr ${group.lr})`);
  }

  protected update(p: Variable, grad: Tensor, st: ParamState, group: ParamGroup<DeltaBarDeltaOptions>): void {
    const state = st as unknown as DeltaBarDeltaState;
    if (!state.rates) {
      state.step = 0;
      state.rates = this.stateVar(fullLike(p, group.lr));
      state.deltaBar = this.stateVar(zerosLike(p));
      if (group.momentum !== 0) state.velocity = this.stateVar(zerosLike(p));
    }
    state.step += 1;
    const g = directedGrad(grad, p, group.weightDecay, group.maximize);
    const agree = state.deltaBar.mul(g);
    const eps = state.rates;
    // A state saved as JSON turns the default Infinity into null: both mean no cap.
    const cap = typeof group.maxLr === 'number' ? group.maxLr : Infinity;
    const grown = eps.add(group.kappa).clip(-Infinity, cap);
    eps.assign(where(agree.greater(0), grown, where(agree.less(0), eps.mul(1 - group.phi), eps)));
    const stepTaken = eps.mul(g);
    if (group.momentum !== 0) {
      if (!state.velocity) state.velocity = this.stateVar(zerosLike(p));
      state.velocity.assign(state.velocity.mul(group.momentum).sub(stepTaken));
      p.assign(p.add(state.velocity));
    } else {
      p.assign(p.sub(stepTaken));
    }
    state.deltaBar.assign(g.mul(1 - group.theta).add(state.deltaBar.mul(group.theta)));
  }
}
