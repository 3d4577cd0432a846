import { Generator, type Tensor, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { fitWhitening, symmetricEigen } from '../src/index.js';

/** N samples of correlated D-dim data: z·A + offset, z standard normal, A a fixed mixing matrix. */
function correlated(n: number, a: number[][], seed: number): Tensor {
  const d = a[0]!.length;
  const z = new Generator(seed).normal(n * a.length);
  const v = new Float32Array(n * d);
  for (let s = 0; s < n; s++) {
    for (let j = 0; j < d; j++) {
      let acc = 3 + j; // a non-zero mean
      for (let r = 0; r < a.length; r++) acc += z[s * a.length + r]! * a[r]![j]!;
      v[s * d + j] = acc;
    }
  }
  return tensor(v, { shape: [n, d] });
}

/** Sample covariance (divisor N − 1) of [N, K] values. */
function covariance(t: Tensor): number[][] {
  const [n, k] = t.shape as [number, number];
  const v = t.dataSync();
  const mean = Array.from({ length: k }, (_, j) => {
    let acc = 0;
    for (let s = 0; s < n; s++) acc += v[s * k + j]!;
    return acc / n;
  });
  return Array.from({ length: k }, (_, i) =>
    Array.from({ length: k }, (_, j) => {
      let acc = 0;
      for (let s = 0; s < n; s++) acc += (v[s * k + i]! - mean[i]!) * (v[s * k + j]! - mean[j]!);
      return acc / (n - 1);
    }),
  );
}

function expectIdentity(c: number[][], tol: number): void {
  c.forEach((row, i) => {
    row.forEach((v, j) => {
      expect(Math.abs(v - (i === j ? 1 : 0))).toBeLessThan(tol);
    });
  });
}

const MIX = [
  [2, 0.5, 0, 1],
  [0, 1, -0.7, 0.2],
  [0.3, 0, 0.5, -1],
  [0, 0.1, 0, 0.4],
];

describe('symmetricEigen', () => {
  it('finds the closed-form eigenpairs of [[2, 1], [1, 2]] (3 along (1, 1)/√2, 1 along (1, −1)/√2)', () => {
    const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
    expect(values[0]).toBeCloseTo(3, 12);
    expect(values[1]).toBeCloseTo(1, 12);
    expect(Math.abs(vectors[0]!)).toBeCloseTo(Math.SQRT1_2, 12);
    expect(vectors[0]! * vectors[2]!).toBeCloseTo(0.5, 12); // same sign: (1, 1)
    expect(vectors[1]! * vectors[3]!).toBeCloseTo(-0.5, 12); // opposite: (1, −1)
  });
  it('diagonal and 1×1 matrices are returned sorted', () => {
    expect(Array.from(symmetricEigen(Float64Array.from([1, 0, 0, 0, 5, 0, 0, 0, 2]), 3).values)).toEqual([
      5, 2, 1,
    ]);
    expect(Array.from(symmetricEigen(Float64Array.from([4]), 1).values)).toEqual([4]);
  });
});

describe('fitWhitening', () => {
  const x = correlated(600, MIX, 1);
  it('ZCA: the whitened training data has covariance I, and the matrix is symmetric', () => {
    const w = fitWhitening(x, { method: 'zca', epsilon: 0 });
    expectIdentity(covariance(w.transform(x)), 1e-4);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) expect(w.matrix[i * 4 + j]).toBeCloseTo(w.matrix[j * 4 + i]!, 9);
    expect(w.transform(x).shape).toEqual([600, 4]);
  });
  it('PCA: covariance I, eigenvalues descending, `components` keeps the leading directions', () => {
    const w = fitWhitening(x, { method: 'pca', epsilon: 0 });
    expectIdentity(covariance(w.transform(x)), 1e-4);
    const ev = Array.from(w.eigenvalues);
    expect(ev).toEqual([...ev].sort((a, b) => b - a));
    const two = fitWhitening(x, { method: 'pca', components: 2, epsilon: 0 });
    const z = two.transform(x);
    expect(z.shape).toEqual([600, 2]);
    expectIdentity(covariance(z), 1e-4);
  });
  it('the trace of the covariance is the sum of the eigenvalues; epsilon shrinks the whitened variance to λ/(λ + ε)', () => {
    const w = fitWhitening(x, { method: 'pca', epsilon: 0.5 });
    const c = covariance(x);
    const trace = c.reduce((acc, row, i) => acc + row[i]!, 0);
    expect(w.eigenvalues.reduce((a, b) => a + b, 0)).toBeCloseTo(trace, 3);
    const cz = covariance(w.transform(x));
    for (let i = 0; i < 4; i++)
      expect(cz[i]![i]).toBeCloseTo(w.eigenvalues[i]! / (w.eigenvalues[i]! + 0.5), 3);
  });
  it('edges and errors: one feature, two samples, bad shapes and options', () => {
    const one = fitWhitening(tensor([[1], [3]]), { epsilon: 0 }); // mean 2, variance 2
    expect(Array.from(one.transform(tensor([[2 + Math.SQRT2]])).dataSync())[0]).toBeCloseTo(1, 6);
    expect(() => fitWhitening(tensor([[1, 2]]))).toThrow(
      /fitWhitening: expected data \[N, D\] with N ≥ 2 samples and D ≥ 1, got \[1, 2\]/,
    );
    expect(() => fitWhitening(x, { method: 'zca', components: 2 })).toThrow(
      /fitWhitening: components must be an integer in \[1, 4\]/,
    );
    expect(() =>
      fitWhitening(
        tensor([
          [1, 1],
          [2, 2],
        ]),
        { epsilon: 0 },
      ),
    ).toThrow(/fitWhitening: the covariance is singular/);
    expect(() => fitWhitening(x).transform(tensor([[1, 2]]))).toThrow(
      /fitWhitening.transform: expected \[M, 4\].*got \[1, 2\]/,
    );
  });
});
