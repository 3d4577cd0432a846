import type { Seed } from '@myelin/core';
import { resolveGenerator } from './random.js';

/**
 * k-fold cross-validation splits, as scikit-learn's `KFold` and `StratifiedKFold`: every index is
 * in exactly one test fold; `train` and `test` are ascending index lists.
 *
 * @example
 * for (const { train, test } of kFold(100, 5, { shuffle: true, seed: 0 })) {
 *   // fit on train, score on test
 * }
 */
export interface Fold {
  train: Int32Array;
  test: Int32Array;
}

export interface KFoldOptions {
  /** Shuffle before splitting (default false: contiguous folds, as scikit-learn). */
  shuffle?: boolean;
  seed?: Seed;
}

function checkK(op: string, n: number, k: number): void {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`${op}: k must be an integer ≥ 2, got ${k}`);
  if (k > n) throw new RangeError(`${op}: k = ${k} folds need at least ${k} samples, got ${n}`);
}

/** Folds from each index's fold number. */
function foldsOf(testFold: Int32Array, k: number): Fold[] {
  const out: Fold[] = [];
  for (let f = 0; f < k; f++) {
    const test: number[] = [];
    const train: number[] = [];
    for (let i = 0; i < testFold.length; i++) (testFold[i] === f ? test : train).push(i);
    out.push({ train: Int32Array.from(train), test: Int32Array.from(test) });
  }
  return out;
}

/**
 * `k` folds of `0 … n−1`: fold sizes ⌊n/k⌋, the first `n mod k` one larger, taken in order (or
 * from a seeded permutation with `shuffle`), as `sklearn.model_selection.KFold`.
 */
export function kFold(n: number, k: number, options: KFoldOptions = {}): Fold[] {
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`kFold: n must be a non-negative integer, got ${n}`);
  checkK('kFold', n, k);
  const order = options.shuffle
    ? resolveGenerator(options.seed).permutation(n)
    : Int32Array.from({ length: n }, (_, i) => i);
  const testFold = new Int32Array(n);
  let at = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    for (let j = 0; j < size; j++) testFold[order[at++]!] = f;
  }
  return foldsOf(testFold, k);
}

/**
 * `k` folds that keep each class's share, as `sklearn.model_selection.StratifiedKFold` (1.x): the
 * labels sorted by class (classes in order of first appearance) are dealt round-robin to the folds,
 * which fixes how many of each class every fold gets; a class's items then go to its folds in
 * index order (or in a seeded shuffled order with `shuffle`). Warns nothing: a class with fewer
 * than k items is simply missing from some test folds.
 */
export function stratifiedKFold(labels: ArrayLike<number>, k: number, options: KFoldOptions = {}): Fold[] {
  const op = 'stratifiedKFold';
  const n = labels.length;
  checkK(op, n, k);
  const code = new Map<number, number>();
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = labels[i]!;
    if (!Number.isInteger(v)) throw new RangeError(`${op}: labels must be integers, got ${v} at index ${i}`);
    if (!code.has(v)) code.set(v, code.size);
    y[i] = code.get(v)!;
  }
  const classes = code.size;
  const counts = new Int32Array(classes);
  for (const c of y) counts[c] = counts[c]! + 1;
  if (counts.every((c) => c < k)) {
    throw new RangeError(
      `${op}: k = ${k} is greater than the number of members of every class (largest ${Math.max(...counts)})`,
    );
  }
  // allocation[f][c]: how many of class c fold f gets, from dealing the class-sorted labels round-robin.
  const allocation = Array.from({ length: k }, () => new Int32Array(classes));
  let pos = 0;
  for (let c = 0; c < classes; c++) {
    for (let j = 0; j < counts[c]!; j++, pos++) allocation[pos % k]![c] = allocation[pos % k]![c]! + 1;
  }
  const g = options.shuffle ? resolveGenerator(options.seed) : null;
  const testFold = new Int32Array(n);
  for (let c = 0; c < classes; c++) {
    const folds: number[] = [];
    for (let f = 0; f < k; f++) for (let j = 0; j < allocation[f]![c]!; j++) folds.push(f);
    const perm = g === null ? null : g.permutation(folds.length);
    let j = 0;
    for (let i = 0; i < n; i++) if (y[i] === c) testFold[i] = folds[perm === null ? j++ : perm[j++]!]!;
  }
  return foldsOf(testFold, k);
}
