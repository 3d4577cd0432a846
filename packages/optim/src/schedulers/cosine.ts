import { type AnyOptimizer, LRScheduler } from './base.js';
import type { ScheduleOptions } from './decay.js';

/**
 * Cosine annealing from the initial lr to `etaMin` over `Tmax` epochs (SGDR without restarts), as
 * `CosineAnnealingLR` (PyTorch 1.13's recursive form; past `Tmax` it rises back, a cosine wave):
 * lr = etaMin + (base − etaMin)(1 + cos(π·t/Tmax))/2.
 */
export class CosineAnnealingLR extends LRScheduler {
  Tmax: number;
  etaMin: number;

  constructor(optimizer: AnyOptimizer, options: { Tmax: number; etaMin?: number } & ScheduleOptions) {
    super(optimizer, options.lastEpoch);
    if (!(options.Tmax > 0))
      throw new RangeError(`CosineAnnealingLR: Tmax must be > 0, got ${String(options.Tmax)}`);
    this.Tmax = options.Tmax;
    this.etaMin = options.etaMin ?? 0;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: t, Tmax: T, etaMin } = this;
    const groups = this.groupLrs();
    if (t === 0) return groups;
    if (this.stepCount === 1 && t > 0) {
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((t * Math.PI) / T))) / 2);
    }
    if ((t - 1 - T) % (2 * T) === 0) {
      return groups.map((lr, i) => lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return groups.map(
      (lr) =>
        ((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) * (lr - etaMin) +
        etaMin,
    );
  }

  protected override closedFormLr(): number[] {
    const { lastEpoch: t, Tmax: T, etaMin } = this;
    return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * t) / T))) / 2);
  }
}

/**
 * Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017), as
 * `CosineAnnealingWarmRestarts`: the first cycle lasts `T0` epochs, each next one `Tmult` times
 * longer. `step(epoch)` accepts fractional epochs for per-batch use (`epoch + i / iters`).
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  T0: number;
  Ti: number;
  Tmult: number;
  etaMin: number;
  Tcur: number;

  constructor(
    optimizer: AnyOptimizer,
    options: { T0: number; Tmult?: number; etaMin?: number } & ScheduleOptions,
  ) {
    super(optimizer, options.lastEpoch);
    const { T0, Tmult = 1 } = options;
    if (!(Number.isInteger(T0) && T0 > 0)) {
      throw new RangeError(`CosineAnnealingWarmRestarts: T0 must be a positive integer, got ${String(T0)}`);
    }
    if (!(Number.isInteger(Tmult) && Tmult >= 1)) {
      throw new RangeError(
        `CosineAnnealingWarmRestarts: Tmult must be an integer >= 1, got ${String(Tmult)}`,
      );
    }
    this.T0 = T0;
    this.Ti = T0;
    this.Tmult = Tmult;
    this.etaMin = options.etaMin ?? 0;
    this.Tcur = this.lastEpoch;
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map(
      (b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.Tcur) / this.Ti))) / 2,
    );
  }

  override step(epoch?: number): void {
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.Tcur += 1;
      if (this.Tcur >= this.Ti) {
        this.Tcur -= this.Ti;
        this.Ti *= this.Tmult;
      }
    } else {
      if (epoch < 0) throw new RangeError(`CosineAnnealingWarmRestarts: epoch must be >= 0, got ${epoch}`);
      if (epoch >= this.T0) {
        if (this.Tmult === 1) {
          this.Tcur = epoch % this.T0;
        } else {
          const n = Math.trunc(Math.log((epoch / this.T0) * (this.Tmult - 1) + 1) / Math.log(this.Tmult));
          this.Tcur = epoch - (this.T0 * (this.Tmult ** n - 1)) / (this.Tmult - 1);
          this.Ti = this.T0 * this.Tmult ** n;
        }
      } else {
        this.Ti = this.T0;
        this.Tcur = epoch;
      }
    }
    this.lastEpoch = Math.floor(epoch);
    const values = this.getLr();
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = values[i]!;
    });
    this.lastLr = this.groupLrs();
  }
}
