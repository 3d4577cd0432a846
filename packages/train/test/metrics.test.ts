import { tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  ConfusionMatrix,
  evaluate,
  f1,
  mae,
  mse,
  perplexity,
  precision,
  predict,
  r2,
  recall,
  topKAccuracy,
} from '../src/index.js';
import { batches, crossEntropy, TinyMlp, xorData } from './helpers.js';

// Logits for 6 samples over 3 classes; argmax = [0, 1, 2, 2, 1, 0]; targets = [0, 1, 1, 2, 0, 0].
const logits = tensor([
  [3, 1, 0],
  [0, 2, 1],
  [0, 1, 5],
  [1, 0, 2],
  [1, 4, 2],
  [2, 1, 1],
]);
const target = tensor([0, 1, 1, 2, 0, 0], { dtype: 'int32' });

describe('metrics (hand-computed values)', () => {
  it('accuracy, also from one-hot targets and binary probabilities', () => {
    const a = accuracy();
    a.update(logits, target);
    expect(a.compute()).toBeCloseTo(4 / 6, 12);
    a.reset();
    a.update(logits, target.oneHot(3));
    expect(a.compute()).toBeCloseTo(4 / 6, 12);
    const b = accuracy();
    b.update(tensor([0.9, 0.2, 0.6, 0.4]), tensor([1, 0, 0, 0]));
    expect(b.compute()).toBe(0.75);
  });

  it('top-2 accuracy', () => {
    const m = topKAccuracy(2);
    m.update(logits, target);
    // Sample 2 (target 1, scores [0,1,5]) is 2nd; sample 4 (target 0, scores [1,4,2]) is 3rd.
    expect(m.compute()).toBeCloseTo(5 / 6, 12);
  });

  it('confusion matrix, precision, recall and F1 (macro and micro)', () => {
    const cm = new ConfusionMatrix(3);
    cm.update(logits, target);
    expect(cm.matrix()).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    // Per class: precision [1, 1/2, 1/2], recall [2/3, 1/2, 1]; F1 [0.8, 0.5, 2/3].
    const upd = (m: ReturnType<typeof precision>) => {
      m.update(logits, target);
      return m.compute();
    };
    expect(upd(precision(3))).toBeCloseTo((1 + 0.5 + 0.5) / 3, 12);
    expect(upd(recall(3))).toBeCloseTo((2 / 3 + 0.5 + 1) / 3, 12);
    expect(upd(f1(3))).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
    // Micro-averaged scores of single-label classification all equal accuracy.
    expect(upd(precision(3, { average: 'micro' }))).toBeCloseTo(4 / 6, 12);
    expect(upd(f1(3, { average: 'micro' }))).toBeCloseTo(4 / 6, 12);
  });

  it('mse, mae and r2', () => {
    const p = tensor([2.5, 0, 2, 8]);
    const t = tensor([3, -0.5, 2, 7]);
    const run = (m: ReturnType<typeof mse>) => {
      m.update(p, t);
      return m.compute();
    };
    expect(run(mse())).toBeCloseTo(0.375, 6);
    expect(run(mae())).toBeCloseTo(0.5, 6);
    // SS_res = 1.5; mean t = 2.875, SS_tot = 29.1875 → 1 − 1.5/29.1875.
    expect(run(r2())).toBeCloseTo(1 - 1.5 / 29.1875, 6);
  });

  it('perplexity of uniform logits is the number of classes; of a certain prediction, 1', () => {
    const m = perplexity();
    m.update(tensor([[0, 0, 0, 0]]), tensor([2], { dtype: 'int32' }));
    expect(m.compute()).toBeCloseTo(4, 9);
    m.reset();
    m.update(tensor([[0, 100, 0]]), tensor([1], { dtype: 'int32' }));
    expect(m.compute()).toBeCloseTo(1, 9);
  });

  it('mismatched shapes give a clear error', () => {
    expect(() => accuracy().update(logits, tensor([1, 2]))).toThrow(
      /accuracy: predictions \[6,3\] do not match targets \[2\]/,
    );
  });
});

describe('evaluate and predict', () => {
  it('evaluate restores training mode; predict concatenates in order', async () => {
    const data = xorData(40, 11);
    const model = new TinyMlp(2, 4, 2);
    const r = await evaluate(model, batches(data, 16), { loss: crossEntropy, metrics: [accuracy()] });
    expect(r.samples).toBe(40);
    expect(model.training).toBe(true);
    const whole = model.forward(data.x).dataSync();
    const p = await predict(model, batches(data, 16));
    expect(p.shape).toEqual([40, 2]);
    expect(Array.from(p.values)).toEqual(Array.from(whole));
    model.dispose();
  });
});
