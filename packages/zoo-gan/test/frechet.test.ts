import { describe, expect, it } from 'vitest';
import { featureStats, frechetDistance, sqrtPsd, symmetricEigen } from '../src/index.js';
import { fixtures, maxRelError } from './fixtures.js';

describe('Fréchet distance', () => {
  for (const c of fixtures.frechet) {
    it(`matches scipy (${c.method}) on ${c.n1} and ${c.n2} samples of ${c.d} features`, () => {
      const a = featureStats(c.a, c.n1, c.d);
      const b = featureStats(c.b, c.n2, c.d);
      expect(frechetDistance(a, b)).toBeCloseTo(c.distance, 8);
      expect(frechetDistance(b, a)).toBeCloseTo(c.distance, 8);
      expect(frechetDistance(a, a)).toBeCloseTo(0, 9);
    });
  }

  it('mean and covariance match numpy (np.cov divides by n − 1)', () => {
    const c = fixtures.frechet[1]!;
    const s = featureStats(c.a, c.n1, c.d);
    expect(maxRelError(s.mean, c.meanA, 1e-9)).toBeLessThan(1e-12);
    const top = Array.from({ length: 25 }, (_, k) => s.cov[Math.floor(k / 5) * c.d + (k % 5)]!);
    expect(maxRelError(top, c.covA, 1e-9)).toBeLessThan(1e-10);
  });

  it('of two 1-D Gaussians is (μ₁ − μ₂)² + (σ₁ − σ₂)² (closed form)', () => {
    // {0, 2}: mean 1, variance 2; {3, 7, 5}: mean 5, variance 4.
    const d = frechetDistance(featureStats([0, 2], 2, 1), featureStats([3, 7, 5], 3, 1));
    expect(d).toBeCloseTo(16 + (Math.SQRT2 - 2) ** 2, 12);
  });

  it('is zero between a set and itself even when the covariance is singular (n < d)', () => {
    const x = Array.from({ length: 3 * 8 }, (_, i) => Math.sin(i * 1.7));
    const s = featureStats(x, 3, 8);
    expect(frechetDistance(s, s)).toBeLessThan(1e-9);
  });

  it('refuses mismatched widths and too few samples, naming the function', () => {
    expect(() => frechetDistance(featureStats([1, 2, 3, 4], 2, 2), featureStats([1, 2, 3], 3, 1))).toThrow(
      /frechetDistance: the feature sets have 2 and 1 features/,
    );
    expect(() => featureStats([1, 2], 1, 2)).toThrow(/featureStats: needs at least 2 samples/);
    expect(() => featureStats([1, 2, 3], 2, 2)).toThrow(/need 4 values, got 3/);
  });
});

describe('symmetric eigendecomposition and square root', () => {
  it('finds the eigenvalues 1 and 3 of [[2, 1], [1, 2]] with eigenvectors (1, ∓1)/√2', () => {
    const { values, vectors } = symmetricEigen([2, 1, 1, 2], 2);
    const order = values[0]! < values[1]! ? [0, 1] : [1, 0];
    expect(values[order[0]!]).toBeCloseTo(1, 14);
    expect(values[order[1]!]).toBeCloseTo(3, 14);
    const v = order.map((k) => [vectors[k]!, vectors[2 + k]!]);
    expect(Math.abs(v[0]![0]! + v[0]![1]!)).toBeLessThan(1e-14);
    expect(Math.abs(v[1]![0]! - v[1]![1]!)).toBeLessThan(1e-14);
  });

  it('sqrtPsd(A)² = A for a random 30×30 covariance, and √diag(4, 9, 0) = diag(2, 3, 0)', () => {
    const n = 30;
    const x = Array.from({ length: 50 * n }, (_, i) => Math.cos(i * 0.37) + Math.sin(i * i * 0.011));
    const { cov } = featureStats(x, 50, n);
    const r = sqrtPsd(cov, n);
    let worst = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += r[i * n + k]! * r[k * n + j]!;
        worst = Math.max(worst, Math.abs(s - cov[i * n + j]!));
      }
    expect(worst).toBeLessThan(1e-10);
    expect(Array.from(sqrtPsd([4, 0, 0, 0, 9, 0, 0, 0, 0], 3))).toEqual([2, 0, 0, 0, 3, 0, 0, 0, 0]);
  });

  it('refuses a matrix that is not symmetric', () => {
    expect(() => symmetricEigen([1, 2, 0, 1], 2)).toThrow(
      /symmetricEigen: the matrix is not symmetric at \(0, 1\)/,
    );
  });
});
