import { type Tensor, type Variable, where, zerosLike } from '@myelin/core';
import {
  type BaseOptions,
  checkBetas,
  Optimizer,
  type ParamGroup,
  type ParamState,
  type ParamsInput,
} from './optimizer.js';

export interface SparseAdamOptions extends BaseOptions {
  /** Decay rates of the first and second moment estimates (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the root of the second moment (default 1e-8). */
  eps: number;
  maximize: boolean;
}

interface SparseAdamState {
  step: number;
  expAvg: Variable;
  expAvgSq: Variable;
}

/**
 * Lazy Adam for embedding tables, as `torch.optim.SparseAdam` (PyTorch 1.13), on dense gradients:
 * Myelin has no sparse gradient tensors, so **a row of the gradient that is all zeros counts as
 * absent** (the rows along the first axis; for a 1-D parameter, its elements). Only the rows present
 * move, and only their moments decay:
 *
 *     on present rows:  m ← m + (1−β₁)(g − m);  v ← v + (1−β₂)(g² − v)
 *                       θ ← θ − lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m/(√v + ε)
 *
 * `t` counts the steps in which the parameter had a gradient at all (as torch, not per row). This
 * equals torch's result for a sparse gradient holding exactly the non-zero rows; a row whose true
 * gradient is exactly zero is treated as untouched (torch would decay its moments). No weight decay,
 * as torch. Defaults lr 1e-3, betas [0.9, 0.999], eps 1e-8.
 */
export class SparseAdam extends Optimizer<SparseAdamOptions> {
  constructor(params: ParamsInput<SparseAdamOptions>, options: Partial<SparseAdamOptions> = {}) {
    super(params, {
      lr: options.lr ?? 1e-3,
      betas: options.betas ? [options.betas[0], options.betas[1]] : [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      maximize: options.maximize ?? false,
    });
  }

  protected override get name(): string {
    return 'SparseAdam';
  }

  protected override validateGroup(group: ParamGroup<SparseAdamOptions>, index: number): void {
    super.validateGroup(group, index);
    checkBetas('SparseAdam', group.betas);
    if (!(group.eps > 0)) throw new RangeError(`SparseAdam: invalid eps ${String(group.eps)} (must be > 0)`);
  }

  protected update(p: Variable, grad: Tensor, st: ParamState, group: ParamGroup<SparseAdamOptions>): void {
    const state = st as unknown as SparseAdamState;
    const [beta1, beta2] = group.betas;
    if (!state.expAvg) {
      state.step = 0;
      state.expAvg = this.stateVar(zerosLike(p));
      state.expAvgSq = this.stateVar(zerosLike(p));
    }
    state.step += 1;
    const g = group.maximize ? grad.neg() : grad;
    const present = presentRows(g);
    const { expAvg: m, expAvgSq: v } = state;
    const mNew = m.add(g.sub(m).mul(1 - beta1));
    const vNew = v.add(
      g
        .square()
        .sub(v)
        .mul(1 - beta2),
    );
    const bc1 = 1 - beta1 ** state.step;
    const bc2 = 1 - beta2 ** state.step;
    const stepSize = (group.lr * Math.sqrt(bc2)) / bc1;
    const moved = p.add(mNew.div(vNew.sqrt().add(group.eps)).mul(-stepSize));
    m.assign(where(present, mNew, m));
    v.assign(where(present, vNew, v));
    p.assign(where(present, moved, p));
  }
}

/** A boolean mask, broadcastable to `g`, of the rows (first-axis slices) with a non-zero entry. */
function presentRows(g: Tensor): Tensor {
  const nz = g.notEqual(0);
  if (g.shape.length <= 1) return nz;
  const axes = g.shape.slice(1).map((_, i) => i + 1);
  return nz.any(axes, { keepdims: true });
}
