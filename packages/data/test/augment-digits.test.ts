import { readFileSync } from 'node:fs';
import { tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { fitWhitening, stratifiedKFold } from '../src/index.js';
import { loadDigits } from '../src/node/index.js';

/** scikit-learn 1.2 / numpy on sklearn's digits (tools/gen_data21_fixtures.py). */
const fx = JSON.parse(readFileSync(new URL('./fixtures/data21.json', import.meta.url), 'utf8')) as {
  digits: {
    pcaExplainedVariance: number[];
    pcaWhitenedFirst3: number[][];
    zcaEps0_1First3: number[][];
    stratifiedKFold5TestFold: number[];
  };
};

describe('whitening and k-fold on real data: sklearn digits (1,797 × 64)', async () => {
  const digits = await loadDigits();
  const x = tensor(Float32Array.from(digits.blocks), { shape: [digits.count, 64] });

  it('PCA whitening matches sklearn PCA(n_components=10, whiten=True, svd_solver="full"): variances and coordinates', () => {
    const w = fitWhitening(x, { method: 'pca', components: 10, epsilon: 0 });
    for (let k = 0; k < 10; k++) {
      expect(w.eigenvalues[k]! / fx.digits.pcaExplainedVariance[k]!).toBeCloseTo(1, 9);
    }
    const z = w.transform(x).dataSync();
    fx.digits.pcaWhitenedFirst3.forEach((row, s) => {
      row.forEach((v, k) => {
        // An eigenvector's sign is arbitrary: compare magnitudes.
        expect(Math.abs(Math.abs(z[s * 10 + k]!) - Math.abs(v))).toBeLessThan(1e-4);
      });
    });
  });

  it('ZCA with ε = 0.1 matches numpy’s U (Λ + ε)^{-1/2} Uᵀ (x − μ)', () => {
    const w = fitWhitening(x, { method: 'zca', epsilon: 0.1 });
    const z = w.transform(x).dataSync();
    fx.digits.zcaEps0_1First3.forEach((row, s) => {
      row.forEach((v, j) => {
        expect(Math.abs(z[s * 64 + j]! - v)).toBeLessThan(1e-3);
      });
    });
  });

  it('stratifiedKFold(labels, 5) assigns every image the fold sklearn does', () => {
    const folds = stratifiedKFold(digits.labels, 5);
    const got = new Array<number>(digits.count);
    folds.forEach((f, k) => {
      for (const i of f.test) got[i] = k;
    });
    expect(got).toEqual(fx.digits.stratifiedKFold5TestFold);
  });
});
