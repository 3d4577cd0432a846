import { type AnyOptimizer, LRScheduler, type MomentumGroup, perGroup } from './base.js';

export interface CyclicLROptions {
  /** Lower bound of the cycle, one for all groups or one per group (also the groups' starting lr). */
  baseLr: number | readonly number[];
  /** Upper bound of the cycle (the amplitude may be scaled down by the mode). */
  maxLr: number | readonly number[];
  /** Steps in the rising half of a cycle (default 2000). */
  stepSizeUp?: number;
  /** Steps in the falling half (default: stepSizeUp). */
  stepSizeDown?: number;
  /**
   * 'triangular' (constant amplitude, default), 'triangular2' (amplitude halves every cycle) or
   * 'exp_range' (amplitude scaled by gamma^iteration). Ignored when `scaleFn` is given.
   */
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  /** The base of 'exp_range' (default 1). */
  gamma?: number;
  /** A custom amplitude scale in [0, 1], of the cycle number or of the iteration (`scaleMode`). */
  scaleFn?: (x: number) => number;
  /** What `scaleFn` is called with: 'cycle' (default) or 'iterations'. */
  scaleMode?: 'cycle' | 'iterations';
  /** Cycle momentum (SGD's `momentum`, or β₁ of Adam-like optimizers) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  /** Momentum at the lr's peak (default 0.8). */
  baseMomentum?: number | readonly number[];
  /** Momentum at the lr's trough (default 0.9). */
  maxMomentum?: number | readonly number[];
  lastEpoch?: number;
}

/**
 * Cyclical learning rates (Smith 2017), as torch's `CyclicLR` (PyTorch 1.13): the lr goes linearly
 * from baseLr up to maxLr in `stepSizeUp` steps and back down in `stepSizeDown`, the amplitude
 * scaled by the mode; momentum cycles the opposite way between maxMomentum and baseMomentum. Step
 * it once per batch. With `cycleMomentum` an optimizer with `momentum` (SGD, RMSprop) or, unlike
 * torch 1.13 and as torch 2, `betas` (Adam family: β₁ cycles) is required.
 *
 * ```ts
 * const sched = new CyclicLR(opt, { baseLr: 1e-3, maxLr: 0.1, stepSizeUp: 4 * loader.length });
 * ```
 */
export class CyclicLR extends LRScheduler {
  maxLrs: number[];
  totalSize: number;
  stepRatio: number;
  mode: 'triangular' | 'triangular2' | 'exp_range';
  gamma: number;
  scaleMode: 'cycle' | 'iterations';
  cycleMomentum: boolean;
  useBeta1: boolean;
  baseMomentums: number[];
  maxMomentums: number[];
  private readonly customScale: ((x: number) => number) | null;

  constructor(optimizer: AnyOptimizer, options: CyclicLROptions) {
    const lastEpoch = options.lastEpoch ?? -1;
    super(prepareLrs(optimizer, options, lastEpoch), lastEpoch);
    this.baseLrs = perGroup('CyclicLR baseLr', optimizer, options.baseLr);
    this.maxLrs = perGroup('CyclicLR maxLr', optimizer, options.maxLr);
    const up = options.stepSizeUp ?? 2000;
    const down = options.stepSizeDown ?? up;
    for (const [k, v] of [
      ['stepSizeUp', up],
      ['stepSizeDown', down],
    ] as const) {
      if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) {
        throw new RangeError(`CyclicLR: ${k} must be a positive number, got ${String(v)}`);
      }
    }
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    const mode = options.mode ?? 'triangular';
    if (!['triangular', 'triangular2', 'exp_range'].includes(mode)) {
      throw new RangeError(
        `CyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range', got ${JSON.stringify(mode)}`,
      );
    }
    this.mode = mode;
    this.gamma = options.gamma ?? 1;
    this.customScale = options.scaleFn ?? null;
    this.scaleMode = this.customScale
      ? (options.scaleMode ?? 'cycle')
      : mode === 'exp_range'
        ? 'iterations'
        : 'cycle';
    this.cycleMomentum = options.cycleMomentum ?? true;
    const defaults = optimizer.defaults as object;
    this.useBeta1 = !('momentum' in defaults) && 'betas' in defaults;
    this.baseMomentums = [];
    this.maxMomentums = [];
    if (this.cycleMomentum) {
      if (!('momentum' in defaults) && !this.useBeta1) {
        throw new RangeError(
          'CyclicLR: the optimizer has no momentum or betas to cycle (pass cycleMomentum: false)',
        );
      }
      const groups = optimizer.paramGroups as MomentumGroup[];
      const baseM = perGroup('CyclicLR baseMomentum', optimizer, options.baseMomentum ?? 0.8);
      if (lastEpoch === -1) {
        groups.forEach((g, i) => {
          if (this.useBeta1) g.betas = [baseM[i]!, g.betas![1]];
          else g.momentum = baseM[i]!;
        });
      }
      this.baseMomentums = groups.map((g) => (this.useBeta1 ? g.betas![0] : g.momentum!));
      this.maxMomentums = perGroup('CyclicLR maxMomentum', optimizer, options.maxMomentum ?? 0.9);
    }
    this.initialStep();
  }

  /** The amplitude scale of the mode (or the custom function) at `x`. */
  scaleFn(x: number): number {
    if (this.customScale) return this.customScale(x);
    if (this.mode === 'triangular2') return 1 / 2 ** (x - 1);
    if (this.mode === 'exp_range') return this.gamma ** x;
    return 1;
  }

  protected getLr(): number[] {
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1 + this.lastEpoch / this.totalSize - cycle;
    const scaleFactor = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const scale = this.scaleFn(this.scaleMode === 'cycle' ? cycle : this.lastEpoch);
    const lrs = this.baseLrs.map((base, i) => base + (this.maxLrs[i]! - base) * scaleFactor * scale);
    if (this.cycleMomentum) {
      (this.optimizer.paramGroups as MomentumGroup[]).forEach((g, i) => {
        const height = (this.maxMomentums[i]! - this.baseMomentums[i]!) * scaleFactor;
        const momentum = this.maxMomentums[i]! - height * scale;
        if (this.useBeta1) g.betas = [momentum, g.betas![1]];
        else g.momentum = momentum;
      });
    }
    return lrs;
  }

  protected override closedFormLr(): number[] {
    return this.getLr();
  }
}

/** torch sets each group's lr to its baseLr before the base constructor records initialLr. */
function prepareLrs(optimizer: AnyOptimizer, options: CyclicLROptions, lastEpoch: number): AnyOptimizer {
  if (
    options === null ||
    typeof options !== 'object' ||
    options.baseLr === undefined ||
    options.maxLr === undefined
  ) {
    throw new RangeError('CyclicLR: options need baseLr and maxLr');
  }
  const base = perGroup('CyclicLR baseLr', optimizer, options.baseLr);
  if (lastEpoch === -1) {
    optimizer.paramGroups.forEach((g, i) => {
      g.lr = base[i]!;
    });
  }
  return optimizer;
}
