import { memory } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { lowRankRatings, MatrixFactorization, type Ratings, trainMatrixFactorization } from '../src/index.js';

const subset = (r: Ratings, keep: (k: number) => boolean): Ratings => {
  const idx = Array.from(r.ratings, (_, k) => k).filter(keep);
  return {
    users: Int32Array.from(idx, (k) => r.users[k]!),
    items: Int32Array.from(idx, (k) => r.items[k]!),
    ratings: Float32Array.from(idx, (k) => r.ratings[k]!),
  };
};

const rmse = (a: Float32Array, b: Float32Array) =>
  Math.sqrt(a.reduce((s, v, k) => s + (v - b[k]!) ** 2, 0) / a.length);

describe('matrix factorisation as a network (synthetic low-rank ratings: no real rating set is packaged)', () => {
  it('recovers held-out ratings of a rank-3 matrix far better than the global mean, memory-flat', async () => {
    const all = lowRankRatings({ users: 60, items: 50, rank: 3, density: 0.5, noise: 0.1, seed: 1 });
    const train = subset(all, (k) => k % 5 !== 0);
    const test = subset(all, (k) => k % 5 === 0);
    const mu = train.ratings.reduce((a, b) => a + b, 0) / train.ratings.length;
    const before = memory().tensors;
    const m = new MatrixFactorization(60, 50, 3, { seed: 0, mean: mu });
    const live: number[] = [];
    await trainMatrixFactorization(m, train, {
      epochs: 60,
      lr: 0.05,
      batchSize: 128,
      optimizer: 'adam',
      l2: 0.01,
      onEpoch: () => live.push(memory().tensors),
    });
    expect(new Set(live).size).toBe(1);
    const got = rmse(await m.predict(test.users, test.items), test.ratings);
    const baseline = rmse(new Float32Array(test.ratings.length).fill(mu), test.ratings);
    expect(baseline).toBeGreaterThan(0.7);
    expect(got).toBeLessThan(0.35 * baseline);
    m.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('names bad input', async () => {
    const m = new MatrixFactorization(3, 2, 2);
    await expect(m.predict(Int32Array.of(3), Int32Array.of(0))).rejects.toThrow(
      /MatrixFactorization.predict: user 0 is 3, expected an index in \[0, 2\]/,
    );
    await expect(
      trainMatrixFactorization(
        m,
        { users: Int32Array.of(0), items: Int32Array.of(0), ratings: Float32Array.of(1, 2) },
        { epochs: 1, lr: 0.1 },
      ),
    ).rejects.toThrow(/trainMatrixFactorization: 2 ratings for 1 pairs/);
    expect(() => new MatrixFactorization(0, 2, 2)).toThrow(/users must be a positive integer, got 0/);
    m.dispose();
  });
});
