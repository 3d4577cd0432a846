import type { JsonValue } from '../optimizer.js';
import {
  type AnyOptimizer,
  bisectRight,
  type LRScheduler,
  type Scheduler,
  type SchedulerState,
} from './base.js';

/**
 * Run schedules one after another, switching at the milestone epochs, as torch's `SequentialLR`:
 * e.g. a linear warmup for 5 epochs, then cosine annealing. At a milestone the next schedule starts
 * from its epoch 0 (closed form).
 *
 * ```ts
 * const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * const decay = new CosineAnnealingLR(opt, { Tmax: 95 });
 * const sched = new SequentialLR(opt, { schedulers: [warmup, decay], milestones: [5] });
 * ```
 */
export class SequentialLR implements Scheduler {
  readonly optimizer: AnyOptimizer;
  readonly schedulers: LRScheduler[];
  milestones: number[];
  lastEpoch: number;
  private lastLr: number[];

  constructor(
    optimizer: AnyOptimizer,
    options: { schedulers: readonly LRScheduler[]; milestones: readonly number[]; lastEpoch?: number },
  ) {
    const { schedulers, milestones } = options;
    if (schedulers.length === 0) throw new RangeError('SequentialLR: needs at least one scheduler');
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) {
        throw new RangeError(
          `SequentialLR: scheduler ${i} belongs to another optimizer than the one passed in`,
        );
      }
    });
    if (milestones.length !== schedulers.length - 1) {
      throw new RangeError(
        `SequentialLR: expects one milestone fewer than schedulers, got ${schedulers.length} schedulers and ${milestones.length} milestones`,
      );
    }
    this.optimizer = optimizer;
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = (options.lastEpoch ?? -1) + 1;
    // Undo the schedulers' own first steps and replay only the first one's (torch 1.13).
    for (const g of optimizer.paramGroups) g.lr = g.initialLr!;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0]!.initialStep();
    this.lastLr = this.schedulers[0]!.getLastLr();
  }

  step(): void {
    this.lastEpoch += 1;
    const idx = bisectRight(this.milestones, this.lastEpoch);
    const s = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerState {
    return {
      milestones: [...this.milestones],
      lastEpoch: this.lastEpoch,
      lastLr: [...this.lastLr],
      schedulers: this.schedulers.map((s) => s.stateDict() as JsonValue),
    };
  }

  loadStateDict(state: SchedulerState): void {
    const { schedulers, ...rest } = state;
    this.milestones = [...(rest.milestones as number[])];
    this.lastEpoch = rest.lastEpoch as number;
    this.lastLr = [...(rest.lastLr as number[])];
    (schedulers as SchedulerState[]).forEach((s, i) => {
      this.schedulers[i]?.loadStateDict(s);
    });
  }
}

/**
 * Step several schedules together, each multiplying in its change (torch's `ChainedScheduler`):
 * e.g. a constant warmup factor and an exponential decay at once.
 */
export class ChainedScheduler implements Scheduler {
  readonly optimizer: AnyOptimizer;
  readonly schedulers: LRScheduler[];
  private lastLr: number[];

  constructor(schedulers: readonly LRScheduler[]) {
    if (schedulers.length === 0) throw new RangeError('ChainedScheduler: needs at least one scheduler');
    const optimizer = schedulers[0]!.optimizer;
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) {
        throw new RangeError(`ChainedScheduler: schedulers 0 and ${i} belong to different optimizers`);
      }
    });
    this.optimizer = optimizer;
    this.schedulers = [...schedulers];
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerState {
    return { lastLr: [...this.lastLr], schedulers: this.schedulers.map((s) => s.stateDict() as JsonValue) };
  }

  loadStateDict(state: SchedulerState): void {
    this.lastLr = [...(state.lastLr as number[])];
    (state.schedulers as SchedulerState[]).forEach((s, i) => {
      this.schedulers[i]?.loadStateDict(s);
    });
  }
}
