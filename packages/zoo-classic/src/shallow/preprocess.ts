import { Generator } from '@myelin/core';

/**
 * Host-side helpers of the shallow models: feature checks, standardisation and (stratified) k-fold
 * cross-validation. Features are `[count, dims]` row-major `Float32Array`s, labels `Int32Array`s.
 */

/** Throws unless `x` holds `count × dims` finite values (`dims` given: the model's feature count). */
export function checkFeatures(op: string, x: Float32Array, dims: number): number {
  if (!Number.isInteger(dims) || dims < 1)
    throw new RangeError(`${op}: dims must be a positive integer, got ${dims}`);
  if (x.length % dims !== 0) {
    throw new RangeError(
      `${op}: ${x.length} feature values do not make rows of ${dims} features (expected count × ${dims})`,
    );
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!))
      throw new RangeError(`${op}: feature value ${i} is ${x[i]}, expected a finite number`);
  }
  return x.length / dims;
}

/** Throws unless `y` has `count` class indices in `[0, classes)`. */
export function checkLabels(op: string, y: ArrayLike<number>, count: number, classes: number): void {
  if (y.length !== count) throw new RangeError(`${op}: got ${y.length} labels for ${count} rows`);
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= classes) {
      throw new RangeError(`${op}: label ${i} is ${v}, expected a class index in [0, ${classes - 1}]`);
    }
  }
}

/**
 * Standardisation (sklearn's `StandardScaler`): per feature, subtract the mean and divide by the
 * population standard deviation of the rows it was fitted on; a constant feature is only centred.
 */
export class Standardizer {
  readonly mean: Float64Array;
  readonly std: Float64Array;

  private constructor(mean: Float64Array, std: Float64Array) {
    this.mean = mean;
    this.std = std;
  }

  /** Fit on `x` (`[count, dims]`, at least one row). */
  static fit(x: Float32Array, dims: number): Standardizer {
    const n = checkFeatures('Standardizer.fit', x, dims);
    if (n === 0) throw new RangeError('Standardizer.fit: got 0 rows, expected at least 1');
    const mean = new Float64Array(dims);
    const std = new Float64Array(dims);
    for (let i = 0; i < n; i++) for (let j = 0; j < dims; j++) mean[j]! += x[i * dims + j]!;
    for (let j = 0; j < dims; j++) mean[j]! /= n;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < dims; j++) {
        const d = x[i * dims + j]! - mean[j]!;
        std[j]! += d * d;
      }
    for (let j = 0; j < dims; j++) {
      const s = Math.sqrt(std[j]! / n);
      std[j] = s > 0 ? s : 1;
    }
    return new Standardizer(mean, std);
  }

  get dims(): number {
    return this.mean.length;
  }

  /** `(x − mean) / std`, a new array. */
  transform(x: Float32Array): Float32Array {
    const d = this.dims;
    checkFeatures('Standardizer.transform', x, d);
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = (x[i]! - this.mean[i % d]!) / this.std[i % d]!;
    return out;
  }
}

/** The rows `picks` of `[count, dims]` features. */
export function takeRows(x: Float32Array, dims: number, picks: ArrayLike<number>): Float32Array {
  const out = new Float32Array(picks.length * dims);
  for (let k = 0; k < picks.length; k++)
    out.set(x.subarray(picks[k]! * dims, (picks[k]! + 1) * dims), k * dims);
  return out;
}

/** The entries `picks` of `y`. */
export function takeLabels(y: Int32Array, picks: ArrayLike<number>): Int32Array {
  return Int32Array.from({ length: picks.length }, (_, k) => y[picks[k]!]!);
}

/** The columns `columns` of `[count, dims]` features. */
export function takeColumns(x: Float32Array, dims: number, columns: readonly number[]): Float32Array {
  const n = x.length / dims;
  const out = new Float32Array(n * columns.length);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < columns.length; c++) out[i * columns.length + c] = x[i * dims + columns[c]!]!;
  return out;
}

/** One fold: the rows to train on and the rows to test on (ascending). */
export interface Fold {
  train: Int32Array;
  test: Int32Array;
}

export interface KFoldOptions {
  /** Shuffle before splitting, with this seed (default 0). `null`: no shuffle, folds in row order. */
  seed?: number | null;
  /**
   * Stratify by these labels (sklearn's `StratifiedKFold`): each class's rows are dealt to the
   * folds in turn, so each fold holds about `1/k` of every class.
   */
  labels?: ArrayLike<number>;
}

/**
 * k-fold cross-validation: `count` rows in `k` disjoint test folds whose sizes differ by at most
 * one (per class when stratified), each fold's train rows the other `count − |test|`.
 *
 * @throws RangeError when k < 2 or k > count (stratified, a class smaller than k is allowed: some
 *   folds then hold none of it)
 * @example
 * for (const { train, test } of kFold(569, 5, { labels: y, seed: 0 })) { … }
 */
export function kFold(count: number, k: number, options: KFoldOptions = {}): Fold[] {
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`kFold: count must be a non-negative integer, got ${count}`);
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`kFold: k must be an integer ≥ 2, got ${k}`);
  if (k > count) throw new RangeError(`kFold: k = ${k} folds need at least ${k} rows, got ${count}`);
  const seed = options.seed === undefined ? 0 : options.seed;
  const gen = seed === null ? null : new Generator(seed);
  const foldOf = new Int32Array(count);
  const deal = (rows: number[], start: number) => {
    const order = gen ? gen.permutation(rows.length) : Int32Array.from(rows, (_, i) => i);
    if (options.labels) {
      // Stratified: deal each class round-robin, continuing where the previous class stopped.
      for (let j = 0; j < rows.length; j++) foldOf[rows[order[j]!]!] = (start + j) % k;
    } else {
      // Plain: contiguous blocks of the (shuffled) order, the first `count mod k` one larger.
      const base = Math.floor(rows.length / k);
      const extra = rows.length % k;
      let j = 0;
      for (let f = 0; f < k; f++)
        for (let m = 0; m < base + (f < extra ? 1 : 0); m++) foldOf[rows[order[j++]!]!] = f;
    }
    return start + rows.length;
  };
  if (options.labels) {
    const labels = options.labels;
    if (labels.length !== count) throw new RangeError(`kFold: got ${labels.length} labels for ${count} rows`);
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < count; i++) {
      const c = labels[i]!;
      let list = byClass.get(c);
      if (!list) byClass.set(c, (list = []));
      list.push(i);
    }
    let start = 0;
    for (const c of [...byClass.keys()].sort((a, b) => a - b)) start = deal(byClass.get(c)!, start);
  } else {
    deal(
      Array.from({ length: count }, (_, i) => i),
      0,
    );
  }
  const folds: Fold[] = [];
  for (let f = 0; f < k; f++) {
    const test: number[] = [];
    const train: number[] = [];
    for (let i = 0; i < count; i++) (foldOf[i] === f ? test : train).push(i);
    folds.push({ train: Int32Array.from(train), test: Int32Array.from(test) });
  }
  return folds;
}

/** The fraction of `predicted` equal to `labels`. */
export function accuracyOf(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predicted.length !== labels.length) {
    throw new RangeError(`accuracyOf: ${predicted.length} predictions for ${labels.length} labels`);
  }
  if (labels.length === 0) return Number.NaN;
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) right++;
  return right / labels.length;
}
