import type { Tensor, Variable } from '@myelin/core';
import {
  type BaseOptions,
  Optimizer,
  type ParamGroup,
  type ParamState,
  type ParamsInput,
} from './optimizer.js';

export interface SGDOptions extends BaseOptions {
  /** Momentum factor (default 0: plain SGD). */
  momentum: number;
  /** Dampening of the momentum's gradient term (default 0). */
  dampening: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** Ascend instead of descend. */
  maximize: boolean;
}

interface SGDState {
  momentumBuffer?: Variable;
}

/**
 * Stochastic gradient descent with momentum, as `torch.optim.SGD` (PyTorch 1.13):
 *
 *     g ← ∇ + λθ;  b ← μb + (1 − τ)g (b = g at the first step);  g ← g + μb (Nesterov) or b;  θ ← θ − γg
 *
 * ```ts
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 * loss.backward(); opt.step(); opt.zeroGrad();
 * ```
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(params, {
      lr: options.lr as number,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0,
      nesterov: options.nesterov ?? false,
      maximize: options.maximize ?? false,
    });
  }

  protected override get name(): string {
    return 'SGD';
  }

  protected override validateGroup(group: ParamGroup<SGDOptions>, index: number): void {
    super.validateGroup(group, index);
    if (!(group.momentum >= 0))
      throw new RangeError(`SGD: invalid momentum ${group.momentum} (must be >= 0)`);
    if (!(group.weightDecay >= 0)) {
      throw new RangeError(`SGD: invalid weightDecay ${group.weightDecay} (must be >= 0)`);
    }
    if (group.nesterov && (group.momentum <= 0 || group.dampening !== 0)) {
      throw new RangeError('SGD: Nesterov momentum requires a momentum and zero dampening');
    }
  }

  protected update(p: Variable, grad: Tensor, st: ParamState, group: ParamGroup<SGDOptions>): void {
    const state = st as SGDState;
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = group;
    let d = maximize ? grad.neg() : grad;
    if (weightDecay !== 0) d = d.add(p.mul(weightDecay));
    if (momentum !== 0) {
      const buf = state.momentumBuffer;
      if (!buf) state.momentumBuffer = this.stateVar(d);
      else buf.assign(buf.mul(momentum).add(d.mul(1 - dampening)));
      const b = state.momentumBuffer!;
      d = nesterov ? d.add(b.mul(momentum)) : b;
    }
    p.assign(p.add(d.mul(-lr)));
  }
}
