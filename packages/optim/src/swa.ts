import { type Module, noGrad, scope, type Tensor, type Variable } from '@myelin/core';
import { type AnyOptimizer, LRScheduler, perGroup } from './schedulers/base.js';

/** How AveragedModel folds a new value in: (average, value, how many are averaged so far) → new average. */
export type AveragingFn = (averaged: Tensor, value: Tensor, numAveraged: number) => Tensor;

export interface AveragedModelOptions {
  /** Default: the running mean, averaged + (value − averaged)/(n + 1). */
  avgFn?: AveragingFn;
  /** Average the buffers (batch-norm statistics) too, instead of only the parameters (default false). */
  useBuffers?: boolean;
}

/**
 * Stochastic weight averaging (Izmailov et al. 2018), as `torch.optim.swa_utils.AveragedModel`
 * (PyTorch 1.13): a second copy of the model whose parameters are the running mean of the trained
 * model's parameters at each `updateParameters` call (the first call copies them).
 *
 * JavaScript cannot deep-copy a Module, so pass a second instance of the same architecture as
 * `copy`: it becomes `module`, is loaded with the model's current parameters (and buffers) here,
 * and is what you evaluate. Its batch-norm statistics are the copy's own unless `useBuffers`; torch's
 * `update_bn` (recompute them with one pass over the data) is not provided: set momentum-free
 * running statistics on the copy yourself, or use `useBuffers: true`.
 *
 * ```ts
 * const swa = new AveragedModel(model, buildModel());
 * // after each epoch past the SWA start:
 * swa.updateParameters(model);
 * evaluate(swa.module);
 * ```
 */
export class AveragedModel<M extends Module = Module> {
  readonly module: M;
  /** How many models have been averaged. */
  nAveraged = 0;
  readonly useBuffers: boolean;
  private readonly avgFn: AveragingFn;

  constructor(model: Module, copy: M, options: AveragedModelOptions = {}) {
    if (copy === (model as unknown)) {
      throw new RangeError(
        'AveragedModel: copy must be a second instance of the model, not the model itself',
      );
    }
    this.module = copy;
    this.useBuffers = options.useBuffers ?? false;
    this.avgFn = options.avgFn ?? ((avg, value, n) => avg.add(value.sub(avg).div(n + 1)));
    const [own, theirs] = [this.tensorsOf(copy, 'copy'), this.tensorsOf(model, 'model')];
    this.check(own, theirs);
    // the copy starts as the model (torch deep-copies it)
    noGrad(() =>
      scope(() => {
        for (const [name, v] of own) v.assign(theirs.get(name)!);
        if (!this.useBuffers) {
          const theirBuffers = new Map(model.namedBuffers());
          for (const [name, b] of copy.namedBuffers()) {
            const src = theirBuffers.get(name);
            if (src && src.shape.join() === b.shape.join() && src.dtype === b.dtype) b.assign(src);
          }
        }
      }),
    );
  }

  /** Fold the model's current parameters (and buffers with `useBuffers`) into the average. */
  updateParameters(model: Module): void {
    const own = this.tensorsOf(this.module, 'copy');
    const theirs = this.tensorsOf(model, 'model');
    this.check(own, theirs);
    const n = this.nAveraged;
    noGrad(() =>
      scope(() => {
        for (const [name, v] of own) {
          const value = theirs.get(name)!;
          if (n === 0 || v.dtype !== 'float32') v.assign(value);
          else v.assign(this.avgFn(v, value, n));
        }
      }),
    );
    this.nAveraged += 1;
  }

  private tensorsOf(m: Module, which: string): Map<string, Variable> {
    if (!m || typeof (m as Module).namedParameters !== 'function') {
      throw new TypeError(`AveragedModel: the ${which} is not a Module`);
    }
    const out = new Map<string, Variable>(m.namedParameters());
    if (this.useBuffers) for (const [k, b] of m.namedBuffers()) out.set(k, b);
    return out;
  }

  private check(own: Map<string, Variable>, theirs: Map<string, Variable>): void {
    for (const [name, v] of own) {
      const t = theirs.get(name);
      if (!t || t.shape.join() !== v.shape.join() || t.dtype !== v.dtype) {
        throw new RangeError(
          `AveragedModel: the copy and the model differ at ${name} (copy [${v.shape.join(', ')}] ${v.dtype}, model ${t ? `[${t.shape.join(', ')}] ${t.dtype}` : 'missing'})`,
        );
      }
    }
    if (theirs.size !== own.size) {
      throw new RangeError(
        `AveragedModel: the model has ${theirs.size} tensors to average, the copy ${own.size} (not the same architecture)`,
      );
    }
  }
}

export interface SWALROptions {
  /** The lr to anneal to and hold, one for all groups or one per group (stored as each group's `swaLr`). */
  swaLr: number | readonly number[];
  /** Steps of the annealing (default 10; 0 jumps to swaLr at once). */
  annealEpochs?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  lastEpoch?: number;
}

type SwaGroup = { lr: number; swaLr?: number };

/**
 * The SWA learning rate, as `torch.optim.swa_utils.SWALR` (PyTorch 1.13): anneals each group's lr
 * from its current value to `swaLr` over `annealEpochs` steps (cosine or linear in the fraction
 * done), then holds it. Step it once per epoch of the SWA phase.
 */
export class SWALR extends LRScheduler {
  annealEpochs: number;
  annealStrategy: 'cos' | 'linear';

  constructor(optimizer: AnyOptimizer, options: SWALROptions) {
    super(optimizer, options.lastEpoch);
    const swaLrs = perGroup('SWALR swaLr', optimizer, options.swaLr);
    swaLrs.forEach((v, i) => {
      if (!(typeof v === 'number' && v >= 0))
        throw new RangeError(`SWALR: invalid swaLr ${String(v)} for group ${i}`);
      (optimizer.paramGroups[i] as unknown as SwaGroup).swaLr = v;
    });
    const strategy = options.annealStrategy ?? 'cos';
    if (strategy !== 'cos' && strategy !== 'linear') {
      throw new RangeError(
        `SWALR: annealStrategy must be 'cos' or 'linear', got ${JSON.stringify(strategy)}`,
      );
    }
    this.annealStrategy = strategy;
    const epochs = options.annealEpochs ?? 10;
    if (!(Number.isInteger(epochs) && epochs >= 0)) {
      throw new RangeError(`SWALR: annealEpochs must be an integer >= 0, got ${String(epochs)}`);
    }
    this.annealEpochs = epochs;
    this.initialStep();
  }

  private anneal(t: number): number {
    return this.annealStrategy === 'cos' ? (1 - Math.cos(Math.PI * t)) / 2 : t;
  }

  protected getLr(): number[] {
    let step = this.stepCount - 1;
    if (this.annealEpochs === 0) step = Math.max(1, step);
    const span = Math.max(1, this.annealEpochs);
    const prevAlpha = this.anneal(Math.max(0, Math.min(1, (step - 1) / span)));
    const alpha = this.anneal(Math.max(0, Math.min(1, step / span)));
    return this.optimizer.paramGroups.map((g) => {
      const { lr, swaLr } = g as unknown as Required<SwaGroup>;
      // recover the lr the annealing started from, then move it alpha of the way to swaLr
      const start = prevAlpha === 1 ? swaLr : (lr - prevAlpha * swaLr) / (1 - prevAlpha);
      return swaLr * alpha + start * (1 - alpha);
    });
  }
}
