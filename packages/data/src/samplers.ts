import type { Seed } from '@myelin/core';
import { epochGenerator, IndexSampler, resolveSeed } from './random.js';

/**
 * Samplers: which dataset indices an epoch visits, as PyTorch's `torch.utils.data` samplers. Each
 * is seeded and epoch-indexed like the `DataLoader`'s shuffle: epoch `e`'s draw depends only on
 * `(seed, e)`, so any epoch replays on its own.
 *
 * @example
 * const s = weightedRandomSampler([0.1, 0.9], 1000, { seed: 0 });
 * const epoch0 = s.indices(0);   // ~900 ones, ~100 zeros
 */
export interface Sampler {
  /** Indices per epoch. */
  readonly length: number;
  /** The indices of epoch `epoch` (default 0). */
  indices(epoch?: number): Int32Array;
}

function checkCount(op: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min)
    throw new RangeError(`${op}: ${name} must be an integer ≥ ${min}, got ${v}`);
}

export interface RandomSamplerOptions {
  /** Draw with replacement (default false: a permutation). */
  replacement?: boolean;
  /** Indices per epoch (default n; more than n needs `replacement`). */
  numSamples?: number;
  seed?: Seed;
}

/**
 * `torch.utils.data.RandomSampler`: a random permutation of `0 … n−1`, or with `replacement`
 * `numSamples` indices each uniform on `[0, n)` and independent.
 */
export function randomSampler(n: number, options: RandomSamplerOptions = {}): Sampler {
  const op = 'randomSampler';
  checkCount(op, 'n', n, 1);
  const replacement = options.replacement ?? false;
  const length = options.numSamples ?? n;
  checkCount(op, 'numSamples', length, 1);
  if (!replacement && length > n) {
    throw new RangeError(
      `${op}: numSamples ${length} exceeds the ${n} items; pass replacement: true to draw more`,
    );
  }
  const seed = resolveSeed(options.seed);
  return {
    length,
    indices(epoch = 0) {
      const g = epochGenerator(seed, epoch);
      if (!replacement) return g.permutation(n).slice(0, length);
      const pick = new IndexSampler(g);
      return Int32Array.from({ length }, () => pick.below(n));
    },
  };
}

/**
 * `torch.utils.data.WeightedRandomSampler`: `numSamples` indices, index i with probability
 * `weights[i] / Σ weights` (weights need not sum to 1). With `replacement` (default) the draws are
 * independent; without, each draw is from the items not yet drawn, renormalised (as
 * `torch.multinomial(replacement=False)`), so `numSamples` may not exceed the number of positive weights.
 */
export function weightedRandomSampler(
  weights: ArrayLike<number>,
  numSamples: number,
  options: { replacement?: boolean; seed?: Seed } = {},
): Sampler {
  const op = 'weightedRandomSampler';
  const w = Float64Array.from(weights as ArrayLike<number>);
  if (w.length === 0) throw new RangeError(`${op}: weights must not be empty`);
  const bad = w.findIndex((v) => !(Number.isFinite(v) && v >= 0));
  if (bad >= 0) throw new RangeError(`${op}: weights must be finite and ≥ 0, got ${w[bad]} at index ${bad}`);
  const positive = w.reduce((acc, v) => acc + (v > 0 ? 1 : 0), 0);
  if (positive === 0) throw new RangeError(`${op}: at least one weight must be positive, got all zeros`);
  checkCount(op, 'numSamples', numSamples, 1);
  const replacement = options.replacement ?? true;
  if (!replacement && numSamples > positive) {
    throw new RangeError(
      `${op}: cannot draw ${numSamples} samples without replacement from ${positive} items with positive weight`,
    );
  }
  const seed = resolveSeed(options.seed);
  return {
    length: numSamples,
    indices(epoch = 0) {
      const g = epochGenerator(seed, epoch);
      const out = new Int32Array(numSamples);
      if (replacement) {
        // Inverse CDF: binary search of a uniform in the cumulative weights.
        const cdf = new Float64Array(w.length);
        let acc = 0;
        for (let i = 0; i < w.length; i++) cdf[i] = acc += w[i]!;
        const u = g.uniform(numSamples);
        for (let s = 0; s < numSamples; s++) {
          const target = u[s]! * acc;
          let lo = 0;
          let hi = w.length - 1;
          while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (cdf[mid]! > target) hi = mid;
            else lo = mid + 1;
          }
          out[s] = lo;
        }
        return out;
      }
      // Without replacement: Efraimidis–Spirakis keys u^(1/w); the largest keys in order are a
      // sequential weighted draw without replacement.
      const u = g.uniform(w.length);
      const keys = Array.from(w, (wi, i) => ({
        i,
        key: wi > 0 ? Math.log(u[i]! || Number.MIN_VALUE) / wi : -Infinity,
      }));
      keys.sort((a, b) => b.key - a.key);
      for (let s = 0; s < numSamples; s++) out[s] = keys[s]!.i;
      return out;
    },
  };
}

export interface StratifiedBatchOptions {
  /** Drop a final batch shorter than `batchSize` (default false). */
  dropLast?: boolean;
  seed?: Seed;
}

/** Batches of dataset indices for one epoch. */
export interface BatchSampler {
  /** Batches per epoch. */
  readonly length: number;
  batches(epoch?: number): Int32Array[];
}

/**
 * Shuffled batches in which every class appears in (almost) its overall proportion: each class's
 * items are shuffled and spread evenly over the epoch (item j of a class with m items sits at
 * position `(j + u)/m`, u uniform), then the merged order is cut into batches. In every batch a
 * class with share p has `p·batchSize` items up to ±2. Labels are integers (any values).
 */
export function stratifiedBatchSampler(
  labels: ArrayLike<number>,
  batchSize: number,
  options: StratifiedBatchOptions = {},
): BatchSampler {
  const op = 'stratifiedBatchSampler';
  const n = labels.length;
  if (n === 0) throw new RangeError(`${op}: labels must not be empty`);
  checkCount(op, 'batchSize', batchSize, 1);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y)) throw new RangeError(`${op}: labels must be integers, got ${y} at index ${i}`);
    const list = byClass.get(y);
    if (list) list.push(i);
    else byClass.set(y, [i]);
  }
  const dropLast = options.dropLast ?? false;
  const length = dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
  const seed = resolveSeed(options.seed);
  const groups = [...byClass.values()];
  return {
    length,
    batches(epoch = 0) {
      const g = epochGenerator(seed, epoch);
      const keyed: { i: number; key: number }[] = [];
      for (const items of groups) {
        const perm = g.permutation(items.length);
        const u = g.uniform(items.length);
        for (let j = 0; j < items.length; j++)
          keyed.push({ i: items[perm[j]!]!, key: (j + u[j]!) / items.length });
      }
      keyed.sort((a, b) => a.key - b.key);
      const out: Int32Array[] = [];
      for (let b = 0; b < length; b++) {
        out.push(Int32Array.from(keyed.slice(b * batchSize, Math.min(n, (b + 1) * batchSize)), (e) => e.i));
      }
      return out;
    },
  };
}
