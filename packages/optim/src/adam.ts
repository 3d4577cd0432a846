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

export interface AdamOptions extends BaseOptions {
  /** Decay rates of the first and second moment estimates (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the root of the second moment, outside it as PyTorch (default 1e-8). */
  eps: number;
  /** Adam: L2 penalty added to the gradient; AdamW: decoupled decay θ ← θ(1 − lr·λ). */
  weightDecay: number;
  /** Normalise by the running maximum of the second moment (Reddi et al. 2018). */
  amsgrad: boolean;
  maximize: boolean;
}

interface AdamState extends MomentState {
  expAvgSq: Variable;
  maxExpAvgSq?: Variable;
}

/** The shared step of Adam and AdamW; they differ in how weight decay enters. */
abstract class AdamBase extends Optimizer<AdamOptions> {
  protected override validateGroup(group: ParamGroup<AdamOptions>, index: number): void {
    super.validateGroup(group, index);
    checkBetas(this.name, group.betas);
    checkNonNegative(this.name, 'eps', group.eps);
    checkNonNegative(this.name, 'weightDecay', group.weightDecay);
  }

  /** The Adam update of `p` from the (already decayed) gradient `g`. */
  protected adamStep(p: Variable, g: Tensor, state: AdamState, group: ParamGroup<AdamOptions>): void {
    const [beta1, beta2] = group.betas;
    if (group.amsgrad && !state.maxExpAvgSq) state.maxExpAvgSq = this.stateVar(zerosLike(p));
    this.updateMoments(state, p, g, group.betas);
    const { expAvg: m, expAvgSq: v } = state;
    const biasCorrection1 = 1 - beta1 ** state.step;
    const biasCorrection2 = 1 - beta2 ** state.step;
    const stepSize = group.lr / biasCorrection1;
    const bc2Sqrt = Math.sqrt(biasCorrection2);
    let second: Tensor = v;
    if (group.amsgrad) {
      const vmax = state.maxExpAvgSq!;
      vmax.assign(maximum(vmax, v));
      second = vmax;
    }
    const denom = second.sqrt().div(bc2Sqrt).add(group.eps);
    p.assign(p.add(m.mul(-stepSize).div(denom)));
  }
}

/**
 * Adam (Kingma & Ba 2015), as `torch.optim.Adam` (PyTorch 1.13), ε outside the root:
 *
 *     m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
 *
 * `weightDecay` adds the L2 term λθ to the gradient. Defaults lr 1e-3, betas [0.9, 0.999], eps 1e-8.
 *
 * ```ts
 * const opt = new Adam(model.parameters(), { lr: 1e-3 });
 * ```
 */
export class Adam extends AdamBase {
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, adamDefaults(options, 0));
  }

  protected override get name(): string {
    return 'Adam';
  }

  protected update(p: Variable, grad: Tensor, st: ParamState, group: ParamGroup<AdamOptions>): void {
    const g = directedGrad(grad, p, group.weightDecay, group.maximize);
    this.adamStep(p, g, st as unknown as AdamState, group);
  }
}

/**
 * AdamW (Loshchilov & Hutter 2019), as `torch.optim.AdamW`: Adam whose weight decay is decoupled
 * from the gradient, `θ ← θ(1 − lr·λ)` before the Adam step. Default weightDecay 0.01.
 */
export class AdamW extends AdamBase {
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, adamDefaults(options, 1e-2));
  }

  protected override get name(): string {
    return 'AdamW';
  }

  protected update(p: Variable, grad: Tensor, st: ParamState, group: ParamGroup<AdamOptions>): void {
    const g = group.maximize ? grad.neg() : grad;
    p.assign(p.mul(1 - group.lr * group.weightDecay));
    this.adamStep(p, g, st as unknown as AdamState, group);
  }
}

function adamDefaults(options: Partial<AdamOptions>, weightDecay: number): AdamOptions {
  return {
    lr: options.lr ?? 1e-3,
    betas: options.betas ? [options.betas[0], options.betas[1]] : [0.9, 0.999],
    eps: options.eps ?? 1e-8,
    weightDecay: options.weightDecay ?? weightDecay,
    amsgrad: options.amsgrad ?? false,
    maximize: options.maximize ?? false,
  };
}
