import { describe, expect, it } from 'vitest';
import { randomSampler, stratifiedBatchSampler, weightedRandomSampler } from '../src/index.js';

function histogram(idx: ArrayLike<number>, k: number): number[] {
  const h = new Array<number>(k).fill(0);
  for (let i = 0; i < idx.length; i++) h[idx[i]!]!++;
  return h;
}

/** Pearson's χ² of observed counts against expected ones. */
function chiSquare(obs: number[], expected: number[]): number {
  return obs.reduce((acc, o, i) => acc + (o - expected[i]!) ** 2 / expected[i]!, 0);
}

// Upper 0.1% points of χ² (standard tables): a correct sampler fails these 1 time in 1000.
const CHI2_999 = { 4: 18.467, 9: 27.877 } as const;

describe('randomSampler', () => {
  it('without replacement: a permutation per epoch, seeded and different across epochs', () => {
    const s = randomSampler(50, { seed: 1 });
    const e0 = Array.from(s.indices(0));
    expect([...e0].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(randomSampler(50, { seed: 1 }).indices(0))).toEqual(e0);
    expect(Array.from(s.indices(1))).not.toEqual(e0);
    expect(Array.from(randomSampler(1, { seed: 0 }).indices())).toEqual([0]);
    expect(randomSampler(10, { numSamples: 4, seed: 0 }).indices().length).toBe(4);
  });
  it('with replacement: uniform frequencies (χ², 9 dof) and repeats', () => {
    const idx = randomSampler(10, { replacement: true, numSamples: 20000, seed: 2 }).indices();
    const h = histogram(idx, 10);
    expect(chiSquare(h, new Array(10).fill(2000))).toBeLessThan(CHI2_999[9]);
  });
  it('errors name the sampler', () => {
    expect(() => randomSampler(0)).toThrow(/randomSampler: n must be an integer ≥ 1, got 0/);
    expect(() => randomSampler(3, { numSamples: 5 })).toThrow(
      /randomSampler: numSamples 5 exceeds the 3 items; pass replacement: true/,
    );
  });
});

describe('weightedRandomSampler', () => {
  it('with replacement: index i drawn with probability wᵢ / Σw (χ², 4 dof); zero weights never', () => {
    const w = [1, 2, 3, 4, 0, 10];
    const s = weightedRandomSampler(w, 40000, { seed: 3 });
    const h = histogram(s.indices(0), 6);
    expect(h[4]).toBe(0);
    const total = 20;
    const obs = [h[0]!, h[1]!, h[2]!, h[3]!, h[5]!];
    const exp = [1, 2, 3, 4, 10].map((v) => (40000 * v) / total);
    expect(chiSquare(obs, exp)).toBeLessThan(CHI2_999[4]);
    expect(Array.from(weightedRandomSampler(w, 100, { seed: 3 }).indices(5))).toEqual(
      Array.from(weightedRandomSampler(w, 100, { seed: 3 }).indices(5)),
    );
  });
  it('without replacement: distinct indices; the first draw follows the weights (χ², 4 dof)', () => {
    const w = [5, 1, 1, 1, 2];
    const s = weightedRandomSampler(w, 3, { replacement: false, seed: 4 });
    const first = new Array<number>(5).fill(0);
    const trials = 4000;
    for (let e = 0; e < trials; e++) {
      const idx = s.indices(e);
      expect(new Set(idx).size).toBe(3);
      first[idx[0]!]!++;
    }
    expect(
      chiSquare(
        first,
        w.map((v) => (trials * v) / 10),
      ),
    ).toBeLessThan(CHI2_999[4]);
    // Drawing every positive-weight item is a permutation of them.
    expect(
      [...weightedRandomSampler([0, 1, 2], 2, { replacement: false, seed: 0 }).indices()].sort(),
    ).toEqual([1, 2]);
  });
  it('rejects bad weights and impossible draws', () => {
    expect(() => weightedRandomSampler([1, -1], 2)).toThrow(
      /weightedRandomSampler: weights must be finite and ≥ 0, got -1 at index 1/,
    );
    expect(() => weightedRandomSampler([0, 0], 2)).toThrow(/at least one weight must be positive/);
    expect(() => weightedRandomSampler([], 2)).toThrow(/weights must not be empty/);
    expect(() => weightedRandomSampler([1, 0, 1], 3, { replacement: false })).toThrow(
      /cannot draw 3 samples without replacement from 2 items with positive weight/,
    );
  });
});

describe('stratifiedBatchSampler', () => {
  // 60% class 7, 30% class 2, 10% class 5, interleaved in a fixed pattern.
  const labels = Array.from({ length: 1000 }, (_, i) => (i % 10 < 6 ? 7 : i % 10 < 9 ? 2 : 5));
  it('every batch holds each class in its share of the batch, ±2, and each index once per epoch', () => {
    const s = stratifiedBatchSampler(labels, 50, { seed: 5 });
    const batches = s.batches(0);
    expect(batches.length).toBe(20);
    expect(s.length).toBe(20);
    const all = batches.flatMap((b) => Array.from(b)).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    for (const b of batches) {
      const count = (c: number) => Array.from(b).filter((i) => labels[i] === c).length;
      expect(Math.abs(count(7) - 30)).toBeLessThanOrEqual(2);
      expect(Math.abs(count(2) - 15)).toBeLessThanOrEqual(2);
      expect(Math.abs(count(5) - 5)).toBeLessThanOrEqual(2);
    }
    expect(batches.map((b) => Array.from(b))).not.toEqual(s.batches(1).map((b) => Array.from(b)));
  });
  it('the order within a class is shuffled: the position of index 0 is spread over the epoch', () => {
    const s = stratifiedBatchSampler(labels, 100, { seed: 6 });
    const firstHalf = Array.from({ length: 400 }, (_, e) =>
      s.batches(e).findIndex((b) => b.includes(0)),
    ).filter((k) => k < 5).length;
    expect(Math.abs(firstHalf - 200)).toBeLessThan(4.5 * Math.sqrt(100));
  });
  it('last short batch kept or dropped; batch size 1; errors', () => {
    expect(
      stratifiedBatchSampler([0, 1, 0, 1, 0], 2, { seed: 0 })
        .batches()
        .map((b) => b.length),
    ).toEqual([2, 2, 1]);
    expect(stratifiedBatchSampler([0, 1, 0, 1, 0], 2, { seed: 0, dropLast: true }).length).toBe(2);
    expect(
      stratifiedBatchSampler([3], 1, { seed: 0 })
        .batches()
        .map((b) => Array.from(b)),
    ).toEqual([[0]]);
    expect(() => stratifiedBatchSampler([], 2)).toThrow(/stratifiedBatchSampler: labels must not be empty/);
    expect(() => stratifiedBatchSampler([0, 1], 0)).toThrow(
      /stratifiedBatchSampler: batchSize must be an integer ≥ 1, got 0/,
    );
  });
});
