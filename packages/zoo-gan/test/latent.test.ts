import { describe, expect, it } from 'vitest';
import { interpolate, interpolatePoint, latentArithmetic } from '../src/index.js';

describe('latent interpolation', () => {
  it('spherical: halfway between orthogonal unit codes is (a + b)/√2, on the unit circle (closed form)', () => {
    const mid = interpolatePoint([1, 0], [0, 1], 0.5, 'spherical');
    expect(mid[0]).toBeCloseTo(Math.SQRT1_2, 14);
    expect(mid[1]).toBeCloseTo(Math.SQRT1_2, 14);
    // A third of the way: angle π/6.
    const third = interpolatePoint([1, 0], [0, 1], 1 / 3, 'spherical');
    expect(third[0]).toBeCloseTo(Math.cos(Math.PI / 6), 14);
    expect(third[1]).toBeCloseTo(Math.sin(Math.PI / 6), 14);
  });

  it('linear: (1 − t)a + tb; parallel codes make slerp linear', () => {
    expect(Array.from(interpolatePoint([1, 0], [0, 1], 0.25, 'linear'))).toEqual([0.75, 0.25]);
    expect(Array.from(interpolatePoint([1, 1], [2, 2], 0.5, 'spherical'))).toEqual([1.5, 1.5]);
  });

  it('interpolate gives [steps, latent] with both ends included', () => {
    const walk = interpolate([1, 2, 3], [3, 2, 1], 5, 'linear');
    expect(walk.shape).toEqual([5, 3]);
    const v = walk.dataSync();
    expect(Array.from(v.slice(0, 3))).toEqual([1, 2, 3]);
    expect(Array.from(v.slice(6, 9))).toEqual([2, 2, 2]);
    expect(Array.from(v.slice(12, 15))).toEqual([3, 2, 1]);
  });

  it('refuses codes of different sizes, too few steps, an unknown kind', () => {
    expect(() => interpolatePoint([1, 2], [1, 2, 3], 0.5)).toThrow(
      /interpolatePoint: b has 3 values but the other code has 2/,
    );
    expect(() => interpolate([1], [2], 1)).toThrow(/interpolate: steps must be an integer ≥ 2, got 1/);
    expect(() => interpolatePoint([1], [2], 0.5, 'cubic' as never)).toThrow(
      /kind must be 'linear' or 'spherical'/,
    );
  });
});

describe('latent arithmetic', () => {
  it('is mean(a) − mean(b) + mean(c)', () => {
    const r = latentArithmetic(
      [
        [1, 1],
        [3, 3],
      ],
      [[1, 0]],
      [
        [0, 5],
        [0, 7],
      ],
    );
    expect(Array.from(r)).toEqual([2 - 1 + 0, 2 - 0 + 6]);
  });
  it('refuses an empty group', () => {
    expect(() => latentArithmetic([], [[1]], [[1]])).toThrow(/latentArithmetic: a has no codes/);
  });
});
