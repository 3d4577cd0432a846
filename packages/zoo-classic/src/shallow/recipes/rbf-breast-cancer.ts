import { defineRecipe, type OptionValues, type Recipe, recipeStream } from '@myelin/train';
import { foldAccuracySpec } from '../charts.js';
import { type ClassicRecipeData, loadTable } from '../data.js';
import { fitRBFOutput, RBFNetwork, trainRBF } from '../rbf.js';
import { crossValidate, cvOptions, foldData, mean, regionsFigure, stdev } from './common.js';

const options = [
  { name: 'units', type: 'integer', default: 40, min: 1, help: 'Gaussian hidden units (k-means centres)' },
  {
    name: 'bandwidth',
    type: 'enum',
    default: 'nearest-centres',
    values: ['nearest-centres', 'max-distance', 'cluster-spread'],
    help: 'how the widths σ_j are set from the centres',
  },
  { name: 'ridge', type: 'number', default: 1e-3, min: 0, help: 'ridge λ of the closed-form output layer' },
  {
    name: 'epochs',
    type: 'integer',
    default: 300,
    min: 0,
    help: 'Adam steps of the gradient-trained output layer (0: skip it)',
  },
  {
    name: 'lr',
    type: 'number',
    default: 0.05,
    min: 1e-6,
    help: 'Adam learning rate of the gradient-trained output layer',
  },
  ...cvOptions,
] as const;

export type RbfBreastCancerOptions = OptionValues<typeof options> & ClassicRecipeData;

/**
 * `rbf-breast-cancer`: an RBF network (k-means centres, widths by a heuristic) on sklearn's
 * breast-cancer table, k-fold cross-validated, its output layer fitted two ways on the same hidden
 * layer: in closed form (least squares, ridge) and by gradient descent (Adam on the squared error,
 * the same objective), to show they agree.
 */
export const rbfBreastCancer: Recipe<RbfBreastCancerOptions> = defineRecipe({
  name: 'rbf-breast-cancer',
  title: 'RBF network on breast cancer',
  description:
    'RBF network (40 k-means centres, nearest-centres widths) on the 569 breast-cancer rows, the output ' +
    'layer fitted by least squares and, separately, by gradient descent: 5-fold accuracy ≥ 95 %. Figures: ' +
    'accuracy per fold for both, decision regions of a 2-feature network.',
  family: 'classic',
  options,
  run: (o: RbfBreastCancerOptions) =>
    recipeStream(async (ctx) => {
      const table = await loadTable('rbf-breast-cancer', o, 'breast-cancer');
      ctx.throwIfStopped();
      const d = table.dims;
      const build = (x: Float32Array, dims: number) =>
        RBFNetwork.fromData(x, dims, Math.min(o.units, x.length / dims), 2, {
          heuristic: o.bandwidth,
          seed: o.seed,
        });
      const folds = foldData(table, o.folds, o.seed);
      const closed = await crossValidate(ctx, folds, async (f) => {
        const m = build(f.xTrain, d);
        try {
          await fitRBFOutput(m, f.xTrain, f.yTrain, { ridge: o.ridge });
          return await m.predict(f.xTest);
        } finally {
          m.dispose();
        }
      });
      const series: Record<string, number[]> = { 'least squares': closed };
      let gradient: number[] = [];
      if (o.epochs > 0) {
        gradient = await crossValidate(ctx, folds, async (f) => {
          const m = build(f.xTrain, d);
          try {
            await trainRBF(m, f.xTrain, f.yTrain, {
              epochs: o.epochs,
              lr: o.lr,
              optimizer: 'adam',
              signal: ctx.signal,
            });
            return await m.predict(f.xTest);
          } finally {
            m.dispose();
          }
        });
        series['gradient descent'] = gradient;
      }
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'RBF network: accuracy per fold',
        spec: foldAccuracySpec(
          `RBF network (${o.units} units) on breast cancer: test accuracy per fold`,
          series,
        ),
      });
      await regionsFigure(ctx, {
        title: 'RBF network on 2 breast-cancer features',
        table,
        columns: [20, 27],
        fit: async (x2, y) => {
          const m = build(x2, 2);
          ctx.onEnd(() => m.dispose());
          await fitRBFOutput(m, x2, y, { ridge: o.ridge });
          return (q) => m.predict(q);
        },
      });
      ctx.emit({ type: 'metric', name: `${o.folds}-fold accuracy (least squares)`, value: mean(closed) });
      ctx.emit({
        type: 'metric',
        name: `${o.folds}-fold accuracy (least squares): standard deviation`,
        value: stdev(closed),
      });
      if (gradient.length)
        ctx.emit({
          type: 'metric',
          name: `${o.folds}-fold accuracy (gradient descent)`,
          value: mean(gradient),
        });
    }),
});
