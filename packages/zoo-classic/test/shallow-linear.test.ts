import { memory, tensor } from '@myelin/core';
import { loadSklearnTable } from '@myelin/data/node';
import { describe, expect, it } from 'vitest';
import {
  Adaline,
  accuracyOf,
  kFold,
  LinearModel,
  LinearSVM,
  LogisticRegression,
  linearLoss,
  Perceptron,
  SoftmaxRegression,
  Standardizer,
  takeLabels,
  takeRows,
  trainLinear,
  trainPerceptron,
} from '../src/index.js';

const iris = await loadSklearnTable('iris');
const x = Standardizer.fit(iris.features, 4).transform(iris.features);
const setosa = Int32Array.from(iris.labels, (y) => (y === 0 ? 1 : 0));

async function lossOf(kind: Parameters<typeof linearLoss>[0], scores: number[][], y: number[]) {
  const s = tensor(scores);
  const l = linearLoss(kind, s, tensor(y, { dtype: 'int32' }));
  const v = (await l.data())[0]!;
  s.dispose();
  l.dispose();
  return v;
}

describe('linearLoss: the textbook criteria, by hand', () => {
  // scores −1 (class 1, t = +1) and 0.5 (class 0, t = −1): t·s = −1 and −0.5.
  const s = [[-1], [0.5]];
  const y = [1, 0];
  it.each([
    ['perceptron', (1 + 0.5) / 2],
    ['hinge', (2 + 1.5) / 2],
    ['squared-hinge', (4 + 2.25) / 2],
    ['squared', (0.5 * (4 + 2.25)) / 2],
    ['logistic', (Math.log(1 + Math.E) + Math.log(1 + Math.exp(0.5))) / 2],
  ] as const)('%s', async (kind, expected) => {
    expect(await lossOf(kind, s, y)).toBeCloseTo(expected, 5);
  });
  it('Weston–Watkins sums max(0, 1 − s_y + s_j) over j ≠ y (no 1/C as torch)', async () => {
    // y = 0, s = [1, 2, 0]: max(0, 2) + max(0, 0) = 2; y = 2, s = [0, 0.5, 1]: 0 + 0.5.
    expect(
      await lossOf(
        'weston-watkins',
        [
          [1, 2, 0],
          [0, 0.5, 1],
        ],
        [0, 2],
      ),
    ).toBeCloseTo((2 + 0.5) / 2, 5);
    expect(
      await lossOf(
        'weston-watkins-squared',
        [
          [1, 2, 0],
          [0, 0.5, 1],
        ],
        [0, 2],
      ),
    ).toBeCloseTo((4 + 0.25) / 2, 5);
  });
  it('softmax is the cross-entropy log Σ e^{s} − s_y', async () => {
    const lse = Math.log(Math.exp(1) + Math.exp(2) + 1);
    expect(await lossOf('softmax', [[1, 2, 0]], [1])).toBeCloseTo(lse - 2, 5);
  });
  it('rejects a binary loss on multiclass scores and mismatched labels', () => {
    expect(() => linearLoss('hinge', tensor([[1, 2]]), tensor([0], { dtype: 'int32' }))).toThrow(
      /the 'hinge' loss is binary and needs scores \[N, 1\], got \[1, 2\]/,
    );
    expect(() => linearLoss('softmax', tensor([[1, 2]]), tensor([0, 1], { dtype: 'int32' }))).toThrow(
      /expected scores \[N, C\] and labels \[N\], got \[1, 2\] and \[2\]/,
    );
  });
});

describe('perceptron (with pocket) on iris', () => {
  it('separates setosa from the rest: 0 training mistakes, a finite number of updates', async () => {
    const m = new Perceptron(4);
    const r = trainPerceptron(m, x, setosa, { epochs: 100 });
    expect(r.finalErrors).toBe(0);
    expect(r.errors.at(-1)).toBe(0);
    expect(accuracyOf(await m.predict(x), setosa)).toBe(1);
    m.dispose();
  });
  it('on versicolor vs virginica (not separable) the pocket ends no worse than the plain rule, and ≥ 90 %', async () => {
    const rows = Int32Array.from({ length: 100 }, (_, i) => 50 + i);
    const xv = takeRows(x, 4, rows);
    const yv = Int32Array.from(takeLabels(iris.labels, rows), (y) => y - 1);
    const acc: number[] = [];
    for (const pocket of [true, false]) {
      const m = new Perceptron(4);
      const r = trainPerceptron(m, xv, yv, { epochs: 50, pocket });
      acc.push(accuracyOf(await m.predict(xv), yv));
      expect(r.finalErrors).toBe(Math.round((1 - acc.at(-1)!) * 100));
      m.dispose();
    }
    expect(acc[0]).toBeGreaterThanOrEqual(acc[1]!);
    expect(acc[0]).toBeGreaterThanOrEqual(0.9);
  });
  it('one row (batch 1) is learnt at once; bad input is named', () => {
    const m = new Perceptron(2);
    expect(trainPerceptron(m, Float32Array.of(1, 2), Int32Array.of(1), { epochs: 3 }).finalErrors).toBe(0);
    expect(() => trainPerceptron(m, Float32Array.of(1, 2, 3), Int32Array.of(1), { epochs: 1 })).toThrow(
      /trainPerceptron: 3 feature values do not make rows of 2 features/,
    );
    expect(() => trainPerceptron(m, Float32Array.of(1, 2), Int32Array.of(2), { epochs: 1 })).toThrow(
      /trainPerceptron: label 0 is 2, expected a class index in \[0, 1\]/,
    );
    expect(() => trainPerceptron(m, new Float32Array(0), new Int32Array(0), { epochs: 1 })).toThrow(
      /got 0 rows/,
    );
    m.dispose();
  });
});

describe('gradient-trained linear models on iris', () => {
  it.each([
    ['Adaline (LMS)', () => new Adaline(4), 0.05],
    ['logistic regression', () => new LogisticRegression(4), 0.5],
    ['linear SVM (hinge)', () => new LinearSVM(4, 2), 0.1],
    ['linear SVM (squared hinge)', () => new LinearSVM(4, 2, { squared: true }), 0.1],
  ] as const)('%s separates setosa from the rest', async (_, build, lr) => {
    const m = build();
    const h = await trainLinear(m, x, setosa, { epochs: 100, lr, momentum: 0.9, l2: 1e-3 });
    expect(h.at(-1)).toBeLessThan(h[0]!);
    expect(accuracyOf(await m.predict(x), setosa)).toBe(1);
    m.dispose();
  });

  it('Weston–Watkins SVM and softmax regression reach ≥ 95 % on all three species', async () => {
    for (const m of [new LinearSVM(4, 3), new SoftmaxRegression(4, 3)]) {
      await trainLinear(m, x, iris.labels, { epochs: 200, lr: 0.1, momentum: 0.9, l2: 1e-3 });
      expect(accuracyOf(await m.predict(x), iris.labels)).toBeGreaterThanOrEqual(0.95);
      m.dispose();
    }
  });

  it('the Adaline full-batch fixed point is the least-squares line (normal equations hold)', async () => {
    // ½ mean (t − Xw − b)² is minimised where Xᵀ(t − Xw − b) = 0 and Σ(t − Xw − b) = 0.
    const m = new Adaline(4);
    await trainLinear(m, x, setosa, { epochs: 400, lr: 0.1, momentum: 0.9 });
    const [w, b] = [await m.weight.data(), (await m.bias.data())[0]!];
    const g = new Float64Array(5);
    for (let i = 0; i < 150; i++) {
      let s = b;
      for (let j = 0; j < 4; j++) s += w[j]! * x[i * 4 + j]!;
      const r = 2 * setosa[i]! - 1 - s;
      for (let j = 0; j < 4; j++) g[j]! += (r * x[i * 4 + j]!) / 150;
      g[4]! += r / 150;
    }
    for (const v of g) expect(Math.abs(v)).toBeLessThan(1e-3);
    m.dispose();
  });

  it('is memory-flat: the same live tensors after every epoch, none left after', async () => {
    const before = memory().tensors;
    const m = new SoftmaxRegression(4, 3, { seed: 1 });
    const live: number[] = [];
    await trainLinear(m, x, iris.labels, {
      epochs: 6,
      lr: 0.05,
      batchSize: 16,
      optimizer: 'adam',
      onEpoch: () => live.push(memory().tensors),
    });
    expect(new Set(live).size).toBe(1);
    m.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('bad input gets a clear error', async () => {
    const m = new LinearSVM(4, 3);
    await expect(trainLinear(m, x.subarray(0, 15), iris.labels, { epochs: 1, lr: 0.1 })).rejects.toThrow(
      /trainLinear\(LinearSVM\): 15 feature values do not make rows of 4 features/,
    );
    await expect(
      trainLinear(
        m,
        x,
        Int32Array.from(iris.labels, (y) => y + 1),
        { epochs: 1, lr: 0.1 },
      ),
    ).rejects.toThrow(/label 100 is 3, expected a class index in \[0, 2\]/);
    await expect(m.predict(Float32Array.of(1, 2, 3))).rejects.toThrow(
      /3 feature values do not make rows of 4/,
    );
    expect(() => m.forward(tensor([[1, 2]]))).toThrow(/LinearSVM: input must be \[N, 4\], got \[1, 2\]/);
    expect(() => new LinearModel(4, 2, 'hinge')).toThrow(
      /the 'hinge' loss needs one output \(binary\), got 2/,
    );
    expect(() => new LinearSVM(4, 1)).toThrow(/LinearSVM: classes must be an integer ≥ 2, got 1/);
    expect(await m.predict(new Float32Array(0))).toEqual(new Int32Array(0));
    m.dispose();
  });
});

describe('Standardizer and kFold', () => {
  it("standardises iris as sklearn's iris.rst summary says (means 5.84 3.06 3.76 1.20, SDs 0.83 0.43 1.76 0.76)", () => {
    const s = Standardizer.fit(iris.features, 4);
    const [means, sds] = [
      [5.84, 3.06, 3.76, 1.2],
      [0.83, 0.43, 1.76, 0.76],
    ];
    for (let j = 0; j < 4; j++) {
      expect(s.mean[j]).toBeCloseTo(means[j]!, 2);
      expect(Math.abs(s.std[j]! - sds[j]!)).toBeLessThan(0.006);
    }
    const z = Standardizer.fit(x, 4);
    for (let j = 0; j < 4; j++) {
      expect(z.mean[j]).toBeCloseTo(0, 5);
      expect(z.std[j]).toBeCloseTo(1, 5);
    }
    // A constant column is only centred; one row is allowed.
    expect(Array.from(Standardizer.fit(Float32Array.of(3, 3), 1).transform(Float32Array.of(3, 5)))).toEqual([
      0, 2,
    ]);
  });

  it('folds partition the rows, differ in size by at most one, and stratify', () => {
    const folds = kFold(150, 4, { labels: iris.labels, seed: 3 });
    const seen = new Int32Array(150);
    for (const f of folds) {
      for (const i of f.test) seen[i]!++;
      expect(f.train.length + f.test.length).toBe(150);
      expect([37, 38]).toContain(f.test.length);
      const perClass = [0, 0, 0];
      for (const i of f.test) perClass[iris.labels[i]!]!++;
      for (const c of perClass) expect([12, 13]).toContain(c);
      expect(new Set([...f.train, ...f.test]).size).toBe(150);
    }
    expect(seen.every((v) => v === 1)).toBe(true);
    const plain = kFold(7, 3, { seed: null });
    expect(plain.map((f) => Array.from(f.test))).toEqual([
      [0, 1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(kFold(2, 2).map((f) => f.test.length)).toEqual([1, 1]);
  });

  it('rejects k > N, k < 2 and mismatched labels', () => {
    expect(() => kFold(4, 5)).toThrow('kFold: k = 5 folds need at least 5 rows, got 4');
    expect(() => kFold(4, 1)).toThrow('kFold: k must be an integer ≥ 2, got 1');
    expect(() => kFold(4, 2, { labels: [0, 1] })).toThrow('kFold: got 2 labels for 4 rows');
    expect(() => Standardizer.fit(new Float32Array(0), 2)).toThrow(
      'Standardizer.fit: got 0 rows, expected at least 1',
    );
    expect(() => Standardizer.fit(Float32Array.of(1, Number.NaN), 2)).toThrow(/feature value 1 is NaN/);
  });
});
