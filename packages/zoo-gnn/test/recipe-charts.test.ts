import { describe, expect, it } from 'vitest';
import { curvesFigure, nearestCentroidAccuracy, pca2, scatterFigure } from '../src/recipes/charts.js';
import { accuracyOn, meanStd } from '../src/recipes/train.js';

describe('recipe helpers', () => {
  it('pca2 recovers the coordinates along known orthogonal axes u = (1, 2)/√5 and v = (−2, 1)/√5', () => {
    // Rows a·u + b·v + c with var(a) > var(b) and Σ a·b = 0 (so u and v are the covariance's
    // eigenvectors): PC 1 = u (sign: largest loading positive), PC 2 = ±v with its largest
    // |loading| (−2/√5) made positive, so the second coordinate is −(b − b̄).
    const a = [-2, -1, 1, 2];
    const b = [0.3, -0.3, -0.3, 0.3];
    const s = Math.sqrt(5);
    const x = new Float32Array(a.flatMap((ai, i) => [7 + (ai - 2 * b[i]!) / s, -1 + (2 * ai + b[i]!) / s]));
    const xy = pca2(x, 4, 2);
    const am = a.reduce((p, q) => p + q) / 4;
    const bm = b.reduce((p, q) => p + q) / 4;
    for (let i = 0; i < 4; i++) {
      expect(xy[2 * i]).toBeCloseTo(a[i]! - am, 4);
      expect(xy[2 * i + 1]).toBeCloseTo(-(b[i]! - bm), 4);
    }
    expect(() => pca2(new Float32Array(5), 2, 3)).toThrow('pca2: 5 values for 2 × 3');
  });

  it('nearestCentroidAccuracy: centroids (0, 0) and (4, 0); the point (2.5, 0) of group 0 is nearer group 1', () => {
    const pts = new Float32Array([-1, 0, 1, 0, 2.5, 0, 3, 0, 5, 0]);
    // Group 0: −1, 1, 2.5 → centroid 0.8333; group 1: 3, 5 → centroid 4. 2.5 is 1.67 from 0.83, 1.5 from 4.
    expect(nearestCentroidAccuracy(pts, 5, 2, Int32Array.of(0, 0, 0, 1, 1))).toBeCloseTo(4 / 5, 10);
    expect(nearestCentroidAccuracy(pts, 5, 2, Int32Array.of(0, 0, 1, 1, 1))).toBe(1);
  });

  it('accuracy over a node subset, and mean ± population std', () => {
    expect(
      accuracyOn(Int32Array.of(1, 0, 2, 2), Int32Array.of(1, 1, 2, 0), Int32Array.of(0, 1, 2)),
    ).toBeCloseTo(2 / 3);
    expect(Number.isNaN(accuracyOn(Int32Array.of(1), Int32Array.of(1), new Int32Array(0)))).toBe(true);
    expect(meanStd([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ mean: 5, std: 2 });
  });

  it('charts are Vega-Lite specs with their data inline', () => {
    const s = scatterFigure('t', new Float32Array([0, 1, 2, 3]), ['a', 'b'], ['g0', 'g1']);
    expect(s.kind).toBe('chart');
    if (s.kind !== 'chart') return;
    expect(s.spec.$schema).toMatch(/vega-lite\/v5/);
    expect(s.spec.data).toEqual({
      values: [
        { x: 0, y: 1, name: 'a', group: 'g0' },
        { x: 2, y: 3, name: 'b', group: 'g1' },
      ],
    });
    const c = curvesFigure('loss', { A: [3, 2], B: [1] }, 'loss');
    expect(c.kind === 'chart' && c.spec.data).toEqual({
      values: [
        { epoch: 0, y: 3, series: 'A' },
        { epoch: 1, y: 2, series: 'A' },
        { epoch: 0, y: 1, series: 'B' },
      ],
    });
  });
});
