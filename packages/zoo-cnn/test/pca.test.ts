import { Generator } from '@myelin/core';
import { loadMnist } from '@myelin/data/node';
import { describe, expect, it } from 'vitest';
import { fitPca, pcaReconstruct, pcaReconstructionMse, symmetricEigen } from '../src/pca.js';

/** A random symmetric n×n matrix from a seeded generator, entries N(0, 1). */
function randomSymmetric(g: Generator, n: number): Float64Array {
  const z = g.normal(n * n);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = z[i * n + j]!;
  return a;
}

describe('symmetricEigen (tred2 + tql2)', () => {
  it('[[2, 1], [1, 2]] has eigenvalues 3 and 1 with axes (1, ±1)/√2 (by hand)', () => {
    const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
    expect([...values]).toEqual([expect.closeTo(3, 12), expect.closeTo(1, 12)]);
    expect(Math.abs(vectors[0]!)).toBeCloseTo(Math.SQRT1_2, 12);
    expect(vectors[0]! * vectors[1]!).toBeCloseTo(0.5, 12);
    expect(vectors[2]! * vectors[3]!).toBeCloseTo(-0.5, 12);
  });

  it('random symmetric matrices (n = 1…12, 40, 100): A·v = λ·v, V orthonormal, λ descending, Σλ = trace', () => {
    const g = new Generator(7);
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 40, 100]) {
      const a = randomSymmetric(g, n);
      // A rank-deficient case too: zero rows and columns, as MNIST's constant border pixels give.
      if (n >= 4) for (let j = 0; j < n; j++) a[j] = a[j * n] = 0;
      const { values, vectors: V } = symmetricEigen(a, n);
      let trace = 0;
      for (let i = 0; i < n; i++) trace += a[i * n + i]!;
      expect(values.reduce((s, v) => s + v, 0)).toBeCloseTo(trace, 9);
      for (let i = 1; i < n; i++) expect(values[i]!).toBeLessThanOrEqual(values[i - 1]!);
      let worst = 0;
      for (let r = 0; r < n; r++) {
        for (let s = 0; s < n; s++) {
          let dot = 0;
          for (let k = 0; k < n; k++) dot += V[r * n + k]! * V[s * n + k]!;
          worst = Math.max(worst, Math.abs(dot - (r === s ? 1 : 0)));
        }
        for (let i = 0; i < n; i++) {
          let av = 0;
          for (let k = 0; k < n; k++) av += a[i * n + k]! * V[r * n + k]!;
          worst = Math.max(worst, Math.abs(av - values[r]! * V[r * n + i]!));
        }
      }
      expect([n, worst < 1e-10]).toEqual([n, true]);
    }
  });

  it('rejects a wrong size or a non-finite entry, naming the op', () => {
    expect(() => symmetricEigen(new Float64Array(5), 2)).toThrow(
      'symmetricEigen: a 2×2 matrix needs 4 values, got 5',
    );
    expect(() => symmetricEigen(Float64Array.of(1, Number.NaN, Number.NaN, 1), 2)).toThrow(
      'symmetricEigen: entry (1, 0) is NaN',
    );
  });
});

describe('fitPca', () => {
  it('the training MSE with k components is Σ of the dropped eigenvalues / d (Eckart–Young), 0 with all d', () => {
    const g = new Generator(3);
    const n = 60;
    const d = 9;
    // Correlated data: x = z·M with z ~ N(0, 1), M random, plus an offset (the mean must come off).
    const z = g.normal(n * d);
    const m = g.normal(d * d);
    const x = new Float64Array(n * d);
    for (let r = 0; r < n; r++)
      for (let j = 0; j < d; j++) {
        let s = 3 + j;
        for (let t = 0; t < d; t++) s += z[r * d + t]! * m[t * d + j]!;
        x[r * d + j] = s;
      }
    const data = { values: x, n, d };
    const pca = fitPca(data, d);
    for (let k = 0; k <= d; k++) {
      const dropped = pca.eigenvalues.slice(k).reduce((s, v) => s + v, 0);
      expect(pcaReconstructionMse(pca, data, k)).toBeCloseTo(dropped / d, 10);
    }
    const recon = pcaReconstruct(pca, data);
    for (let i = 0; i < n * d; i++) expect(recon[i]!).toBeCloseTo(x[i]!, 3);
  });

  it('PCA-49 of the first 10,000 MNIST training digits: test MSE on 2,000 test digits matches numpy.linalg.eigh', async () => {
    const [train, test] = await Promise.all([loadMnist({ split: 'train' }), loadMnist({ split: 'test' })]);
    const t0 = performance.now();
    const pca = fitPca({ values: train.images, n: 10000, d: 784, scale: 1 / 255 }, 49);
    const seconds = (performance.now() - t0) / 1000;
    const testData = { values: test.images, n: 2000, d: 784, scale: 1 / 255 };
    // Golden: numpy 1.24, float64, independent of this code:
    //   tr = train[:10000] / 255; te = test[:2000] / 255; mu = tr.mean(0)
    //   w, V = np.linalg.eigh((tr - mu).T @ (tr - mu) / 10000); V = V[:, ::-1]
    //   X = te - mu; ((X - X @ V[:, :k] @ V[:, :k].T) ** 2).mean()   for k = 1, 10, 49
    expect(pcaReconstructionMse(pca, testData, 1)).toBeCloseTo(0.058567571778036925, 10);
    expect(pcaReconstructionMse(pca, testData, 10)).toBeCloseTo(0.03438497769119276, 10);
    expect(pcaReconstructionMse(pca, testData, 49)).toBeCloseTo(0.012244399459004447, 10);
    expect(pca.eigenvalues[0]).toBeCloseTo(5.3807342, 6);
    console.log(`PCA of 10,000 × 784 MNIST digits in ${seconds.toFixed(1)} s`);
  }, 60_000);

  it('rejects a bad k or mismatched data, naming the op', () => {
    const data = { values: new Float64Array(12), n: 4, d: 3 };
    expect(() => fitPca(data, 4)).toThrow('fitPca: k must be an integer in [1, 3], got 4');
    expect(() => fitPca({ ...data, n: 5 }, 1)).toThrow('fitPca: 5 rows of 3 need 15 values, got 12');
    const pca = fitPca(data, 2);
    expect(() => pcaReconstructionMse(pca, { values: new Float64Array(8), n: 2, d: 4 })).toThrow(
      'pcaReconstructionMse: data has 4 columns but the PCA was fitted on 3',
    );
  });
});
