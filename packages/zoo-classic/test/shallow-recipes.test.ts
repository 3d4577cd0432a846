import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  kernelSvmBreastCancer,
  mfSynthetic,
  perceptronIris,
  rbfBreastCancer,
  recipes,
  softmaxDigits,
  svmIris,
} from '../src/index.js';
import { figure, grid, metric, optionsOf, runRecipe } from './recipe-run.js';

/** Each shallow recipe on its real table, in a small configuration, to a stated quality. */
describe('shallow recipes on real data (fast configurations)', () => {
  it('perceptron-iris: the pocket perceptron separates setosa (100 % of the 150 rows)', async () => {
    const r = await runRecipe(perceptronIris, { folds: '3' });
    expect(metric(r.events, 'setosa vs rest: training accuracy')).toBe(1);
    expect(metric(r.events, 'setosa vs rest: 3-fold accuracy')).toBeGreaterThanOrEqual(0.98);
    const pocket = metric(r.events, 'versicolor vs virginica: training accuracy (pocket)')!;
    expect(pocket).toBeGreaterThanOrEqual(
      metric(r.events, 'versicolor vs virginica: training accuracy (plain)')!,
    );
    expect(figure(r.events, 'Pocket perceptron, setosa vs rest (petal features)')?.kind).toBe('chart');
    expect(r.leaked).toBe(0);
  });

  it('svm-iris: the linear SVM separates setosa; Weston–Watkins ≥ 93 % by 3-fold CV', async () => {
    const r = await runRecipe(svmIris, { epochs: '80', folds: '3' });
    expect(metric(r.events, 'setosa vs rest: training accuracy')).toBe(1);
    expect(metric(r.events, '3 species: 3-fold accuracy')).toBeGreaterThanOrEqual(0.93);
    expect(figure(r.events, 'Weston–Watkins linear SVM on iris (petal features)')).toBeDefined();
    expect(new Set(r.atEpochEnd).size).toBe(1);
    expect(r.atEpochEnd).toHaveLength(80);
    expect(r.leaked).toBe(0);
  });

  it('kernel-svm-breast-cancer: RBF kernel ≥ 96 % by 5-fold CV with 120 steps', async () => {
    const r = await runRecipe(kernelSvmBreastCancer, { epochs: '120', lr: '0.05' });
    expect(metric(r.events, '5-fold accuracy')).toBeGreaterThanOrEqual(0.96);
    expect(figure(r.events, 'Kernel SVM: accuracy per fold (rbf)')).toBeDefined();
    expect(r.leaked).toBe(0);
  });

  it('rbf-breast-cancer: least-squares output layer ≥ 95 % by 5-fold CV', async () => {
    const r = await runRecipe(rbfBreastCancer, { epochs: '0' });
    expect(metric(r.events, '5-fold accuracy (least squares)')).toBeGreaterThanOrEqual(0.95);
    expect(metric(r.events, '5-fold accuracy (gradient descent)')).toBeUndefined();
    expect(figure(r.events, 'RBF network on 2 breast-cancer features')).toBeDefined();
    expect(r.leaked).toBe(0);
  });

  it('softmax-digits: ≥ 93 % on the 450 held-out digits after 5 epochs, memory-flat', async () => {
    const r = await runRecipe(softmaxDigits, { epochs: '5' });
    expect(metric(r.events, 'test accuracy')).toBeGreaterThanOrEqual(0.93);
    expect(grid(r.events, 'softmax weights per class')?.images.shape).toEqual([10, 1, 8, 8]);
    expect(r.atEpochEnd).toHaveLength(5);
    expect(new Set(r.atEpochEnd).size).toBe(1);
    expect(r.leaked).toBe(0);
  });

  it('mf-synthetic: held-out RMSE well under the global mean’s, memory-flat (synthetic ratings)', async () => {
    const r = await runRecipe(mfSynthetic, {
      users: '80',
      items: '60',
      density: '0.3',
      epochs: '15',
      lr: '0.05',
    });
    const got = metric(r.events, 'held-out RMSE')!;
    expect(got).toBeLessThan(0.6 * metric(r.events, 'held-out RMSE of the global mean')!);
    expect(r.atEpochEnd).toHaveLength(15);
    expect(new Set(r.atEpochEnd).size).toBe(1);
    expect(r.leaked).toBe(0);
  });

  it('the shallow recipes are in the package registry; no data source is a clear error', async () => {
    for (const name of [
      'perceptron-iris',
      'svm-iris',
      'kernel-svm-breast-cancer',
      'rbf-breast-cancer',
      'softmax-digits',
    ])
      expect(recipes).toHaveProperty(name);
    const o = { ...optionsOf(svmIris, {}), data: undefined };
    await expect(lastValueFrom(svmIris.run(o).pipe(toArray()))).rejects.toThrow(
      /svm-iris: no table source: pass \{ data: \{ table\(name\) \} \}/,
    );
    expect(() => optionsOf(kernelSvmBreastCancer, { folds: '1' })).toThrow(
      /--folds: expected an integer in \[2, 50\], got '1'/,
    );
  });
});
