import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Fold, kFold, stratifiedKFold } from '../src/index.js';

/** scikit-learn 1.2 `KFold(k)` / `StratifiedKFold(k)` splits (tools/gen_data21_fixtures.py). */
interface SkFold {
  train: number[];
  test: number[];
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/data21.json', import.meta.url), 'utf8')) as {
  kfold: { n: number; k: number; folds: SkFold[] }[];
  stratifiedKFold: { labels: number[]; k: number; folds: SkFold[] }[];
};

const plain = (folds: Fold[]) => folds.map((f) => ({ train: Array.from(f.train), test: Array.from(f.test) }));

/** Every index in exactly one test fold, and train is the complement. */
function expectPartition(folds: Fold[], n: number): void {
  const seen = new Int32Array(n);
  for (const f of folds) {
    for (const i of f.test) seen[i] = seen[i]! + 1;
    expect(f.train.length + f.test.length).toBe(n);
    const inTest = new Set(f.test);
    for (const i of f.train) expect(inTest.has(i)).toBe(false);
  }
  expect(Array.from(seen).every((c) => c === 1)).toBe(true);
}

describe('kFold', () => {
  for (const c of fx.kfold) {
    it(`matches sklearn KFold(${c.k}) on ${c.n} samples`, () => {
      expect(plain(kFold(c.n, c.k))).toEqual(c.folds);
    });
  }
  it('shuffled folds are a seeded partition with sklearn’s fold sizes', () => {
    const a = kFold(23, 5, { shuffle: true, seed: 3 });
    expectPartition(a, 23);
    expect(a.map((f) => f.test.length)).toEqual([5, 5, 5, 4, 4]);
    expect(plain(kFold(23, 5, { shuffle: true, seed: 3 }))).toEqual(plain(a));
    expect(plain(a)).not.toEqual(plain(kFold(23, 5)));
  });
  it('rejects k < 2 or k > n', () => {
    expect(() => kFold(5, 1)).toThrow(/kFold: k must be an integer ≥ 2, got 1/);
    expect(() => kFold(3, 4)).toThrow(/kFold: k = 4 folds need at least 4 samples, got 3/);
  });
});

describe('stratifiedKFold', () => {
  for (const c of fx.stratifiedKFold) {
    it(`matches sklearn StratifiedKFold(${c.k}) on labels ${c.labels.join('')}`, () => {
      expect(plain(stratifiedKFold(c.labels, c.k))).toEqual(c.folds);
    });
  }
  it('shuffled: a seeded partition whose folds keep the class counts of the unshuffled split', () => {
    const labels = Array.from({ length: 60 }, (_, i) => (i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2));
    const a = stratifiedKFold(labels, 5, { shuffle: true, seed: 8 });
    expectPartition(a, 60);
    const counts = (f: Fold) =>
      [0, 1, 2].map((c) => Array.from(f.test).filter((i) => labels[i] === c).length);
    expect(a.map(counts)).toEqual(stratifiedKFold(labels, 5).map(counts));
    // Class-sorted labels (36 zeros, 18 ones, 6 twos) dealt round-robin to 5 folds.
    expect(a.map(counts)).toEqual([
      [8, 3, 1],
      [7, 4, 1],
      [7, 4, 1],
      [7, 4, 1],
      [7, 3, 2],
    ]);
    expect(plain(a)).not.toEqual(plain(stratifiedKFold(labels, 5)));
  });
  it('errors: k above every class count, non-integer labels', () => {
    expect(() => stratifiedKFold([0, 0, 1, 1], 3)).toThrow(
      /stratifiedKFold: k = 3 is greater than the number of members of every class \(largest 2\)/,
    );
    expect(() => stratifiedKFold([0, 0.5, 1], 2)).toThrow(
      /stratifiedKFold: labels must be integers, got 0.5 at index 1/,
    );
  });
});
