import { type AnyOptimizer, bisectRight, LRScheduler } from './base.js';

/** Shared by every schedule: resume from an epoch (groups must then carry `initialLr`). */
export interface ScheduleOptions {
  /** The index of the last epoch when resuming (default −1: start). */
  lastEpoch?: number;
}

/**
 * Multiply the learning rate by `gamma` every `stepSize` epochs (`torch.optim.lr_scheduler.StepLR`):
 * lr = base · gamma^⌊epoch / stepSize⌋.
 *
 * ```ts
 * const sched = new StepLR(opt, { stepSize: 30, gamma: 0.1 });
 * for (let epoch = 0; epoch < 100; epoch++) { train(); sched.step(); }
 * ```
 */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: AnyOptimizer, options: { stepSize: number; gamma?: number } & ScheduleOptions) {
    super(optimizer, options.lastEpoch);
    if (!(Number.isInteger(options.stepSize) && options.stepSize > 0)) {
      throw new RangeError(`StepLR: stepSize must be a positive integer, got ${String(options.stepSize)}`);
    }
    this.stepSize = options.stepSize;
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/**
 * Multiply the learning rate by `gamma` at each milestone epoch (a milestone listed twice applies
 * gamma twice), as `MultiStepLR`.
 */
export class MultiStepLR extends LRScheduler {
  /** Sorted, with repeats. */
  milestones: number[];
  gamma: number;

  constructor(
    optimizer: AnyOptimizer,
    options: { milestones: readonly number[]; gamma?: number } & ScheduleOptions,
  ) {
    super(optimizer, options.lastEpoch);
    this.milestones = [...options.milestones].sort((a, b) => a - b);
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  protected getLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (hits === 0) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma ** hits);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** bisectRight(this.milestones, this.lastEpoch));
  }
}

/** Multiply the learning rate by `factor` until epoch `totalIters` (`ConstantLR`; defaults 1/3, 5). */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;

  constructor(
    optimizer: AnyOptimizer,
    options: { factor?: number; totalIters?: number } & ScheduleOptions = {},
  ) {
    super(optimizer, options.lastEpoch);
    this.factor = options.factor ?? 1 / 3;
    this.totalIters = options.totalIters ?? 5;
    if (!(this.factor >= 0 && this.factor <= 1)) {
      throw new RangeError(`ConstantLR: factor must be in [0, 1], got ${this.factor}`);
    }
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groupLrs().map((lr) => lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * (1 / this.factor));
  }

  protected override closedFormLr(): number[] {
    const on = this.lastEpoch >= this.totalIters ? 1 : 0;
    return this.baseLrs.map((b) => b * (this.factor + on * (1 - this.factor)));
  }
}

/**
 * Scale the learning rate linearly from `startFactor` to `endFactor` over `totalIters` epochs,
 * then hold it (`torch.optim.lr_scheduler.LinearLR`; defaults 1/3 → 1 over 5). With
 * `startFactor < 1` this is the usual linear warmup, exported also as `LinearWarmup`.
 */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(
    optimizer: AnyOptimizer,
    options: { startFactor?: number; endFactor?: number; totalIters?: number } & ScheduleOptions = {},
  ) {
    super(optimizer, options.lastEpoch);
    this.startFactor = options.startFactor ?? 1 / 3;
    this.endFactor = options.endFactor ?? 1;
    this.totalIters = options.totalIters ?? 5;
    if (!(this.startFactor > 0 && this.startFactor <= 1)) {
      throw new RangeError(`LinearLR: startFactor must be in (0, 1], got ${this.startFactor}`);
    }
    if (!(this.endFactor >= 0 && this.endFactor <= 1)) {
      throw new RangeError(`LinearLR: endFactor must be in [0, 1], got ${this.endFactor}`);
    }
    this.initialStep();
  }

  protected getLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    if (this.lastEpoch === 0) return this.groupLrs().map((lr) => lr * s);
    if (this.lastEpoch > n) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * (1 + (e - s) / (n * s + (this.lastEpoch - 1) * (e - s))));
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    return this.baseLrs.map((b) => b * (s + ((e - s) * Math.min(n, this.lastEpoch)) / n));
  }
}

/** Linear warmup: `LinearLR` under the name schedules are usually searched for. */
export const LinearWarmup = LinearLR;
export type LinearWarmup = LinearLR;

/** Multiply the learning rate by `gamma` every epoch (`ExponentialLR`): lr = base · gammaᵗ. */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: AnyOptimizer, options: { gamma: number } & ScheduleOptions) {
    super(optimizer, options.lastEpoch);
    this.gamma = options.gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

/**
 * Polynomial decay to 0 over `totalIters` epochs (`PolynomialLR`, defaults 5 and power 1):
 * lr = base · (1 − min(t, T)/T)^power.
 */
export class PolynomialLR extends LRScheduler {
  totalIters: number;
  power: number;

  constructor(
    optimizer: AnyOptimizer,
    options: { totalIters?: number; power?: number } & ScheduleOptions = {},
  ) {
    super(optimizer, options.lastEpoch);
    this.totalIters = options.totalIters ?? 5;
    this.power = options.power ?? 1;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: t, totalIters: n } = this;
    if (t === 0 || t > n) return this.groupLrs();
    const decay = ((1 - t / n) / (1 - (t - 1) / n)) ** this.power;
    return this.groupLrs().map((lr) => lr * decay);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map(
      (b) => b * (1 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power,
    );
  }
}

/**
 * Inverse-time decay, as Keras' `InverseTimeDecay`: lr = base / (1 + decayRate · t / decaySteps),
 * with t/decaySteps floored when `staircase`. Written in chainable form (it multiplies the current
 * lr by the ratio of successive factors), so it composes with others in a `ChainedScheduler`.
 */
export class InverseTimeDecay extends LRScheduler {
  decaySteps: number;
  decayRate: number;
  staircase: boolean;

  constructor(
    optimizer: AnyOptimizer,
    options: { decaySteps: number; decayRate: number; staircase?: boolean } & ScheduleOptions,
  ) {
    super(optimizer, options.lastEpoch);
    if (!(options.decaySteps > 0)) {
      throw new RangeError(`InverseTimeDecay: decaySteps must be > 0, got ${String(options.decaySteps)}`);
    }
    this.decaySteps = options.decaySteps;
    this.decayRate = options.decayRate;
    this.staircase = options.staircase ?? false;
    this.initialStep();
  }

  private factor(t: number): number {
    const p = t / this.decaySteps;
    return 1 / (1 + this.decayRate * (this.staircase ? Math.floor(p) : p));
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groupLrs();
    const ratio = this.factor(this.lastEpoch) / this.factor(this.lastEpoch - 1);
    return this.groupLrs().map((lr) => lr * ratio);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.factor(this.lastEpoch));
  }
}

/** A function of the epoch (`LambdaLR`: lr = base · f(t); `MultiplicativeLR`: lr ← lr · f(t)). */
export type LrLambda = (epoch: number) => number;

function lambdasFor(name: string, optimizer: AnyOptimizer, f: LrLambda | readonly LrLambda[]): LrLambda[] {
  const n = optimizer.paramGroups.length;
  if (typeof f === 'function') return new Array(n).fill(f);
  if (f.length !== n)
    throw new RangeError(`${name}: expected ${n} lrLambdas (one per group), got ${f.length}`);
  return [...f];
}

/** lr = base · lrLambda(epoch), one function or one per group (`LambdaLR`; functions are not saved). */
export class LambdaLR extends LRScheduler {
  lrLambdas: LrLambda[];

  constructor(
    optimizer: AnyOptimizer,
    options: { lrLambda: LrLambda | readonly LrLambda[] } & ScheduleOptions,
  ) {
    super(optimizer, options.lastEpoch);
    this.lrLambdas = lambdasFor('LambdaLR', optimizer, options.lrLambda);
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i]!(this.lastEpoch));
  }
}

/** lr ← lr · lrLambda(epoch) from epoch 1 on (`MultiplicativeLR`). */
export class MultiplicativeLR extends LRScheduler {
  lrLambdas: LrLambda[];

  constructor(
    optimizer: AnyOptimizer,
    options: { lrLambda: LrLambda | readonly LrLambda[] } & ScheduleOptions,
  ) {
    super(optimizer, options.lastEpoch);
    this.lrLambdas = lambdasFor('MultiplicativeLR', optimizer, options.lrLambda);
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch > 0) return this.groupLrs().map((lr, i) => lr * this.lrLambdas[i]!(this.lastEpoch));
    return this.groupLrs();
  }
}
