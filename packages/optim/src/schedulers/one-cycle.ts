import { type AnyOptimizer, LRScheduler, type MomentumGroup, perGroup } from './base.js';

export interface OneCycleOptions {
  /** Peak learning rate, one for all groups or one per group. */
  maxLr: number | readonly number[];
  /** Length of the cycle in steps; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent raising the lr (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD's `momentum`, Adam's β₁) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  baseMomentum?: number | readonly number[];
  maxMomentum?: number | readonly number[];
  /** initialLr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases as in Smith's paper (up, down to initialLr, anneal to minLr) instead of fastai's two. */
  threePhase?: boolean;
  lastEpoch?: number;
}

type LrKey = 'initialLr' | 'maxLr' | 'minLr';
type MomentumKey = 'maxMomentum' | 'baseMomentum';
interface Phase {
  endStep: number;
  startLr: LrKey;
  endLr: LrKey;
  startMomentum: MomentumKey;
  endMomentum: MomentumKey;
}

/**
 * The 1cycle policy (Smith & Topin 2017), as torch's `OneCycleLR`: the lr rises from maxLr/divFactor
 * to maxLr over `pctStart` of the cycle, then anneals to initialLr/finalDivFactor, while momentum
 * moves the opposite way. Step it once per batch; it is not chainable.
 *
 * ```ts
 * const sched = new OneCycleLR(opt, { maxLr: 0.01, epochs: 10, stepsPerEpoch: loader.length });
 * ```
 */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  phases: Phase[];
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  useBeta1: boolean;

  constructor(optimizer: AnyOptimizer, options: OneCycleOptions) {
    super(optimizer, options.lastEpoch);
    const lastEpoch = options.lastEpoch ?? -1;
    let total: number;
    if (options.totalSteps !== undefined) {
      if (!(Number.isInteger(options.totalSteps) && options.totalSteps > 0)) {
        throw new RangeError(`OneCycleLR: totalSteps must be a positive integer, got ${options.totalSteps}`);
      }
      total = options.totalSteps;
    } else if (options.epochs !== undefined && options.stepsPerEpoch !== undefined) {
      for (const k of ['epochs', 'stepsPerEpoch'] as const) {
        if (!(Number.isInteger(options[k]) && options[k]! > 0)) {
          throw new RangeError(`OneCycleLR: ${k} must be a positive integer, got ${options[k]}`);
        }
      }
      total = options.epochs * options.stepsPerEpoch;
    } else {
      throw new RangeError('OneCycleLR: give totalSteps, or epochs and stepsPerEpoch');
    }
    this.totalSteps = total;
    const pct = options.pctStart ?? 0.3;
    if (!(pct >= 0 && pct <= 1)) throw new RangeError(`OneCycleLR: pctStart must be in [0, 1], got ${pct}`);
    this.phases = options.threePhase
      ? [
          {
            endStep: pct * total - 1,
            startLr: 'initialLr',
            endLr: 'maxLr',
            startMomentum: 'maxMomentum',
            endMomentum: 'baseMomentum',
          },
          {
            endStep: 2 * pct * total - 2,
            startLr: 'maxLr',
            endLr: 'initialLr',
            startMomentum: 'baseMomentum',
            endMomentum: 'maxMomentum',
          },
          {
            endStep: total - 1,
            startLr: 'initialLr',
            endLr: 'minLr',
            startMomentum: 'maxMomentum',
            endMomentum: 'maxMomentum',
          },
        ]
      : [
          {
            endStep: pct * total - 1,
            startLr: 'initialLr',
            endLr: 'maxLr',
            startMomentum: 'maxMomentum',
            endMomentum: 'baseMomentum',
          },
          {
            endStep: total - 1,
            startLr: 'maxLr',
            endLr: 'minLr',
            startMomentum: 'baseMomentum',
            endMomentum: 'maxMomentum',
          },
        ];
    const strategy = options.annealStrategy ?? 'cos';
    if (strategy !== 'cos' && strategy !== 'linear') {
      throw new RangeError(`OneCycleLR: annealStrategy must be 'cos' or 'linear', got ${String(strategy)}`);
    }
    this.annealStrategy = strategy;

    const groups = optimizer.paramGroups as MomentumGroup[];
    const maxLrs = perGroup('OneCycleLR maxLr', optimizer, options.maxLr);
    const div = options.divFactor ?? 25;
    const finalDiv = options.finalDivFactor ?? 1e4;
    if (lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i]! / div;
        g.maxLr = maxLrs[i]!;
        g.minLr = g.initialLr / finalDiv;
      });
    }
    this.cycleMomentum = options.cycleMomentum ?? true;
    const defaults = optimizer.defaults as object;
    this.useBeta1 = 'betas' in defaults;
    if (this.cycleMomentum) {
      if (!('momentum' in defaults) && !this.useBeta1) {
        throw new RangeError(
          'OneCycleLR: the optimizer has no momentum or betas to cycle (pass cycleMomentum: false)',
        );
      }
      const maxM = perGroup('OneCycleLR maxMomentum', optimizer, options.maxMomentum ?? 0.95);
      const baseM = perGroup('OneCycleLR baseMomentum', optimizer, options.baseMomentum ?? 0.85);
      if (lastEpoch === -1) {
        groups.forEach((g, i) => {
          if (this.useBeta1) g.betas = [maxM[i]!, g.betas![1]];
          else g.momentum = maxM[i]!;
          g.maxMomentum = maxM[i]!;
          g.baseMomentum = baseM[i]!;
        });
      }
    }
    this.baseLrs = groups.map((g) => g.initialLr!);
    this.initialStep();
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'linear') return (end - start) * pct + start;
    const cosOut = Math.cos(Math.PI * pct) + 1;
    return end + ((start - end) / 2) * cosOut;
  }

  protected getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new RangeError(
        `OneCycleLR: tried to step ${stepNum + 1} times; the cycle has ${this.totalSteps} total steps`,
      );
    }
    const lrs: number[] = [];
    for (const group of this.optimizer.paramGroups as MomentumGroup[]) {
      let startStep = 0;
      let lr = 0;
      let momentum = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const phase = this.phases[i]!;
        if (stepNum <= phase.endStep || i === this.phases.length - 1) {
          const pct = (stepNum - startStep) / (phase.endStep - startStep);
          lr = this.anneal(group[phase.startLr]!, group[phase.endLr]!, pct);
          if (this.cycleMomentum) {
            momentum = this.anneal(group[phase.startMomentum]!, group[phase.endMomentum]!, pct);
          }
          break;
        }
        startStep = phase.endStep;
      }
      lrs.push(lr);
      if (this.cycleMomentum) {
        if (this.useBeta1) group.betas = [momentum, group.betas![1]];
        else group.momentum = momentum;
      }
    }
    return lrs;
  }
}
