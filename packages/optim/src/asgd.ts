import { type Tensor, Variable, zerosLike } from '@myelin/core';
import {
  type BaseOptions,
  checkNonNegative,
  directedGrad,
  Optimizer,
  type ParamGroup,
  type ParamState,
  type ParamsInput,
} from './optimizer.js';

export interface ASGDOptions extends BaseOptions {
  /** Decay term λ: θ ← θ(1 − λη) before the gradient step (default 1e-4). */
  lambd: number;
  /** Power of the step-size decay ηₜ = lr / (1 + λ·lr·t)^α (default 0.75). */
  alpha: number;
  /** The step after which averaging starts (default 1e6: plain SGD with a decaying step). */
  t0: number;
  weightDecay: number;
  maximize: boolean;
}

interface ASGDState {
  step: number;
  /** The current step size ηₜ. */
  eta: number;
  /** The averaging weight μₜ = 1 / max(1, t − t0). */
  mu: number;
  /** The averaged parameters. */
  ax: Variable;
}

/**
 * Averaged SGD (Polyak & Juditsky 1992; Bottou's schedule), as `torch.optim.ASGD` (PyTorch 1.13):
 *
 *     θ ← θ(1 − λη) − η·g;   ax ← ax + μ(θ − ax);   η ← lr/(1 + λ·lr·t)^α;   μ ← 1/max(1, t − t0)
 *
 * The iterates `θ` are what the model trains with; the Polyak average `ax` (read it with
 * `averaged(p)`) is the estimate with the better asymptotic variance: evaluate with it. As torch, ηₜ
 * and μₜ are kept in float32. Defaults lr 0.01, lambd 1e-4, alpha 0.75, t0 1e6, weightDecay 0.
 */
export class ASGD extends Optimizer<ASGDOptions> {
  constructor(params: ParamsInput<ASGDOptions>, options: Partial<ASGDOptions> = {}) {
    super(params, {
      lr: options.lr ?? 1e-2,
      lambd: options.lambd ?? 1e-4,
      alpha: options.alpha ?? 0.75,
      t0: options.t0 ?? 1e6,
      weightDecay: options.weightDecay ?? 0,
      maximize: options.maximize ?? false,
    });
  }

  protected override get name(): string {
    return 'ASGD';
  }

  protected override validateGroup(group: ParamGroup<ASGDOptions>, index: number): void {
    super.validateGroup(group, index);
    checkNonNegative('ASGD', 'lambd', group.lambd);
    checkNonNegative('ASGD', 'alpha', group.alpha);
    checkNonNegative('ASGD', 't0', group.t0);
    checkNonNegative('ASGD', 'weightDecay', group.weightDecay);
  }

  /** The averaged value `ax` of a parameter (null before its first step). A live state tensor: do not dispose it. */
  averaged(p: Variable): Variable | null {
    const st = this.state.get(p) as unknown as ASGDState | undefined;
    return st?.ax ?? null;
  }

  /**
   * Copy the averaged values into the parameters (for evaluation), returning a function that puts
   * the iterates back. Parameters without a step yet are left alone.
   */
  swapInAverages(): () => void {
    const saved: [Variable, Variable][] = [];
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const ax = this.averaged(p);
        if (!ax) continue;
        saved.push([p, new Variable(p)]);
        p.assign(ax);
      }
    }
    return () => {
      for (const [p, old] of saved) {
        p.assign(old);
        old.dispose();
      }
    };
  }

  protected update(p: Variable, grad: Tensor, st: ParamState, group: ParamGroup<ASGDOptions>): void {
    const state = st as unknown as ASGDState;
    if (!state.ax) {
      state.step = 0;
      state.eta = Math.fround(group.lr);
      state.mu = 1;
      state.ax = this.stateVar(zerosLike(p));
    }
    state.step += 1;
    const g = directedGrad(grad, p, group.weightDecay, group.maximize);
    const { eta, mu } = state;
    p.assign(p.mul(1 - group.lambd * eta).sub(g.mul(eta)));
    if (mu !== 1) state.ax.assign(state.ax.add(p.sub(state.ax).mul(mu)));
    else state.ax.assign(p);
    state.eta = Math.fround(group.lr / (1 + group.lambd * group.lr * state.step) ** group.alpha);
    state.mu = Math.fround(1 / Math.max(1, state.step - group.t0));
  }
}
