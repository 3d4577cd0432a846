import { fullLike, type Tensor, type Variable, where, zerosLike } from '@myelin/core';
import {
  type BaseOptions,
  Optimizer,
  type ParamGroup,
  type ParamState,
  type ParamsInput,
} from './optimizer.js';

export interface RpropOptions extends BaseOptions {
  /** [η⁻, η⁺]: the factors a step size shrinks by on a sign change and grows by otherwise (default [0.5, 1.2]). */
  etas: [number, number];
  /** [min, max] bounds of the per-element step sizes (default [1e-6, 50]). */
  stepSizes: [number, number];
  maximize: boolean;
}

interface RpropState {
  step: number;
  prev: Variable;
  stepSize: Variable;
}

/**
 * Resilient backpropagation (Riedmiller & Braun 1993), as `torch.optim.Rprop` (PyTorch 1.13): each
 * element has its own step size, started at lr, multiplied by η⁺ while its gradient keeps its sign
 * and by η⁻ when the sign flips (clamped to `stepSizes`); the parameter moves by −sign(g)·step.
 * After a sign flip the element does not move and its remembered gradient becomes 0, so the next
 * step neither grows nor shrinks it (the iRprop⁻ variant of Igel & Hüsken 2000, no weight backtracking). Only the gradient's sign is used, so it suits full-batch training.
 * Defaults lr 0.01, etas [0.5, 1.2], stepSizes [1e-6, 50].
 */
export class Rprop extends Optimizer<RpropOptions> {
  constructor(params: ParamsInput<RpropOptions>, options: Partial<RpropOptions> = {}) {
    super(params, {
      lr: options.lr ?? 1e-2,
      etas: options.etas ? [options.etas[0], options.etas[1]] : [0.5, 1.2],
      stepSizes: options.stepSizes ? [options.stepSizes[0], options.stepSizes[1]] : [1e-6, 50],
      maximize: options.maximize ?? false,
    });
  }

  protected override get name(): string {
    return 'Rprop';
  }

  protected override validateGroup(group: ParamGroup<RpropOptions>, index: number): void {
    super.validateGroup(group, index);
    const [minus, plus] = group.etas ?? [];
    if (!(Array.isArray(group.etas) && minus! > 0 && minus! < 1 && plus! > 1)) {
      throw new RangeError(
        `Rprop: invalid etas ${JSON.stringify(group.etas)} (expected [etaminus, etaplus] with 0 < etaminus < 1 < etaplus)`,
      );
    }
    const [lo, hi] = group.stepSizes ?? [];
    if (!(Array.isArray(group.stepSizes) && lo! >= 0 && hi! >= lo!)) {
      throw new RangeError(
        `Rprop: invalid stepSizes ${JSON.stringify(group.stepSizes)} (expected [min, max] with 0 <= min <= max)`,
      );
    }
  }

  protected update(p: Variable, grad: Tensor, st: ParamState, group: ParamGroup<RpropOptions>): void {
    const state = st as unknown as RpropState;
    const [etaMinus, etaPlus] = group.etas;
    const [minStep, maxStep] = group.stepSizes;
    if (!state.prev) {
      state.step = 0;
      state.prev = this.stateVar(zerosLike(p));
      state.stepSize = this.stateVar(fullLike(p, group.lr));
    }
    state.step += 1;
    const g = group.maximize ? grad.neg() : grad;
    const prod = g.mul(state.prev);
    const factor = where(prod.greater(0), etaPlus, where(prod.less(0), etaMinus, 1));
    state.stepSize.assign(state.stepSize.mul(factor).clip(minStep, maxStep));
    const flipped = prod.less(0);
    const gKept = where(flipped, 0, g);
    p.assign(p.sub(gKept.sign().mul(state.stepSize)));
    state.prev.assign(gKept);
  }
}
