import type { RecipeContext } from '@myelin/train';
import { decisionRegionsSpec, featureGrid } from '../charts.js';
import type { Table } from '../data.js';
import {
  accuracyOf,
  type Fold,
  kFold,
  Standardizer,
  takeColumns,
  takeLabels,
  takeRows,
} from '../preprocess.js';

/** One fold's standardised rows (the standardiser fitted on the fold's training rows only). */
export interface FoldData {
  xTrain: Float32Array;
  yTrain: Int32Array;
  xTest: Float32Array;
  yTest: Int32Array;
}

/** The folds of stratified k-fold CV of `table` (with `labels` in place of its own, e.g. one-vs-rest). */
export function foldData(
  table: Table,
  k: number,
  seed: number,
  labels: Int32Array = table.labels,
): FoldData[] {
  const d = table.dims;
  return kFold(table.count, k, { labels, seed }).map((f: Fold) => {
    const s = Standardizer.fit(takeRows(table.features, d, f.train), d);
    return {
      xTrain: s.transform(takeRows(table.features, d, f.train)),
      yTrain: takeLabels(labels, f.train),
      xTest: s.transform(takeRows(table.features, d, f.test)),
      yTest: takeLabels(labels, f.test),
    };
  });
}

/**
 * k-fold cross-validation: `fit` trains on each fold's (standardised) training rows and returns
 * the predictions for its test rows; the result is the accuracy of each fold.
 */
export async function crossValidate(
  ctx: RecipeContext | null,
  folds: readonly FoldData[],
  fit: (fold: FoldData, index: number) => Promise<Int32Array>,
): Promise<number[]> {
  const accs: number[] = [];
  for (let i = 0; i < folds.length; i++) {
    ctx?.throwIfStopped();
    accs.push(accuracyOf(await fit(folds[i]!, i), folds[i]!.yTest));
  }
  return accs;
}

export const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;
export const stdev = (v: readonly number[]) => {
  const m = mean(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
};

/** One-vs-rest labels: 1 where the label is `positive`, else 0. */
export const oneVsRest = (labels: Int32Array, positive: number) =>
  Int32Array.from(labels, (y) => (y === positive ? 1 : 0));

/**
 * The decision-regions figure of a classifier trained on two standardised columns of `table`:
 * `fit(x2, y)` trains it and returns its predictor.
 */
export async function regionsFigure(
  ctx: RecipeContext,
  options: {
    title: string;
    table: Table;
    columns: readonly [number, number];
    labels?: Int32Array;
    classNames?: readonly string[];
    steps?: number;
    fit: (x: Float32Array, y: Int32Array) => Promise<(x: Float32Array) => Promise<Int32Array>>;
  },
): Promise<void> {
  const { table, columns } = options;
  const labels = options.labels ?? table.labels;
  const raw = takeColumns(table.features, table.dims, [...columns]);
  const x = Standardizer.fit(raw, 2).transform(raw);
  const predict = await options.fit(x, labels);
  ctx.throwIfStopped();
  const { grid, dx, dy } = featureGrid(x, options.steps ?? 60);
  const [gridClasses, predicted] = [await predict(grid), await predict(x)];
  ctx.emit({
    type: 'figure',
    kind: 'chart',
    title: options.title,
    spec: decisionRegionsSpec({
      title: options.title,
      axes: [
        `${table.featureNames[columns[0]]} (standardised)`,
        `${table.featureNames[columns[1]]} (standardised)`,
      ],
      classNames: options.classNames ?? table.classNames,
      grid,
      gridClasses,
      cell: { dx, dy },
      x,
      labels,
      predicted,
    }),
  });
}

/** The options shared by the cross-validated recipes. */
export const cvOptions = [
  {
    name: 'folds',
    type: 'integer',
    default: 5,
    min: 2,
    max: 50,
    help: 'k of the stratified k-fold cross-validation',
  },
  {
    name: 'seed',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'seeds the folds, the initial weights and the shuffling',
  },
] as const;
