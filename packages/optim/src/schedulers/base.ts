import type { BaseOptions, JsonValue, Optimizer, ParamGroup } from '../optimizer.js';

/** Any optimizer: schedules only touch `lr` (and, for OneCycleLR, `momentum` or `betas`). */
export type AnyOptimizer = Optimizer<BaseOptions>;

/** A scheduler's state: JSON values (non-finite numbers survive `splitState`, not `JSON.stringify`). */
export type SchedulerState = Record<string, JsonValue>;

/** What every LR schedule offers (ReduceLROnPlateau's `step` takes the metric). */
export interface Scheduler {
  readonly optimizer: AnyOptimizer;
  /** The learning rates the last step set, one per parameter group. */
  getLastLr(): number[];
  stateDict(): SchedulerState;
  loadStateDict(state: SchedulerState): void;
}

/** A group with the optional momentum fields OneCycleLR cycles. */
export type MomentumGroup = ParamGroup<BaseOptions> & { momentum?: number; betas?: [number, number] };

/**
 * The base of epoch-indexed schedules, with torch's `_LRScheduler` semantics (PyTorch 1.13): the
 * constructor records each group's `initialLr` and takes a first step (epoch 0); `step()` advances
 * `lastEpoch` and writes the chainable (recursive) form into the groups' `lr`; `step(epoch)` jumps
 * to an epoch with the closed form where the schedule has one.
 *
 * Call `scheduler.step()` after `optimizer.step()`, once per epoch or once per batch.
 */
export abstract class LRScheduler implements Scheduler {
  readonly optimizer: AnyOptimizer;
  /** Each group's `initialLr`. */
  baseLrs: number[];
  /** The index of the last epoch (−1 before the constructor's first step). */
  lastEpoch: number;
  protected stepCount = 0;
  protected lastLr: number[] = [];

  constructor(optimizer: AnyOptimizer, lastEpoch = -1) {
    this.optimizer = optimizer;
    const groups = optimizer.paramGroups;
    if (lastEpoch === -1) {
      for (const g of groups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      groups.forEach((g, i) => {
        if (g.initialLr === undefined) {
          throw new RangeError(
            `${this.constructor.name}: parameter group ${i} has no initialLr; resuming (lastEpoch ${lastEpoch}) needs the optimizer's state`,
          );
        }
      });
    }
    this.baseLrs = groups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  /** @internal take the constructor's first step (subclasses call it once their fields are set). */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The chainable form: the next learning rates from the current ones. */
  protected abstract getLr(): number[];

  /** The closed form at `lastEpoch`, where the schedule has one (used by `step(epoch)`). */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /** Advance one epoch (or batch), or jump to `epoch` (closed form where available). */
  step(epoch?: number): void {
    this.stepCount += 1;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch += 1;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = values[i]!;
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Every field but the optimizer (and functions, which cannot be saved), as torch. */
  stateDict(): SchedulerState {
    const out: SchedulerState = {};
    for (const [k, v] of Object.entries(this)) {
      if (k === 'optimizer' || typeof v === 'function') continue;
      if (Array.isArray(v) && v.some((x) => typeof x === 'function')) continue;
      out[k] = structuredClone(v) as JsonValue;
    }
    return out;
  }

  loadStateDict(state: SchedulerState): void {
    for (const [k, v] of Object.entries(state)) {
      if (k === 'optimizer') continue;
      (this as unknown as Record<string, unknown>)[k] = structuredClone(v);
    }
  }

  /** The groups' current learning rates. */
  protected groupLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}

/** Python's bisect.bisect_right on a sorted array. */
export function bisectRight(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < sorted[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A per-group list from a number or a list (checked against the number of groups). */
export function perGroup(name: string, optimizer: AnyOptimizer, value: number | readonly number[]): number[] {
  const n = optimizer.paramGroups.length;
  if (typeof value === 'number') return new Array(n).fill(value);
  if (value.length !== n)
    throw new RangeError(`${name}: expected ${n} values (one per parameter group), got ${value.length}`);
  return [...value];
}
