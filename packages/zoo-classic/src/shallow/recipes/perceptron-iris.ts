import { defineRecipe, type OptionValues, type Recipe, recipeStream } from '@myelin/train';
import { curvesSpec } from '../charts.js';
import { type ClassicRecipeData, loadTable } from '../data.js';
import { Perceptron } from '../linear.js';
import { accuracyOf, Standardizer, takeLabels, takeRows } from '../preprocess.js';
import { trainPerceptron } from '../train.js';
import { crossValidate, cvOptions, foldData, mean, oneVsRest, regionsFigure } from './common.js';

const options = [
  {
    name: 'epochs',
    type: 'integer',
    default: 100,
    min: 1,
    help: 'passes over the rows at most (stops after a pass without a mistake)',
  },
  ...cvOptions,
] as const;

export type PerceptronIrisOptions = OptionValues<typeof options> & ClassicRecipeData;

const SETOSA = 0;

/**
 * `perceptron-iris`: Rosenblatt's perceptron with Gallant's pocket on sklearn's iris (4 features,
 * standardised). Setosa vs the rest is linearly separable, so the perceptron converges and
 * classifies all 150 rows; versicolor vs virginica is not, where the pocket keeps the best weights
 * seen and the plain rule ends wherever it stops.
 */
export const perceptronIris: Recipe<PerceptronIrisOptions> = defineRecipe({
  name: 'perceptron-iris',
  title: 'Pocket perceptron on iris',
  description:
    'Rosenblatt perceptron with the pocket on iris (4 standardised features): setosa vs the rest ' +
    '(separable: 100 % of the 150 rows), k-fold accuracy, and the pocket against the plain rule on ' +
    'versicolor vs virginica (not separable). Figures: decision regions on the petal features, mistakes per pass.',
  family: 'classic',
  options,
  run: (o: PerceptronIrisOptions) =>
    recipeStream(async (ctx) => {
      const table = await loadTable('perceptron-iris', o, 'iris');
      ctx.throwIfStopped();
      const d = table.dims;
      const setosa = oneVsRest(table.labels, SETOSA);
      const x = Standardizer.fit(table.features, d).transform(table.features);
      const model = new Perceptron(d);
      ctx.onEnd(() => model.dispose());
      const r = trainPerceptron(model, x, setosa, { epochs: o.epochs, seed: o.seed });
      const trainAcc = accuracyOf(await model.predict(x), setosa);

      const accs = await crossValidate(ctx, foldData(table, o.folds, o.seed, setosa), async (f) => {
        const m = new Perceptron(d);
        try {
          trainPerceptron(m, f.xTrain, f.yTrain, { epochs: o.epochs, seed: o.seed });
          return await m.predict(f.xTest);
        } finally {
          m.dispose();
        }
      });

      // Versicolor (1) vs virginica (2): overlapping classes, pocket against the plain rule.
      const rows = Int32Array.from(Array.from(table.labels).flatMap((y, i) => (y === SETOSA ? [] : [i])));
      const xv = takeRows(x, d, rows);
      const yv = Int32Array.from(takeLabels(table.labels, rows), (y) => (y === 2 ? 1 : 0));
      const pocketAcc: number[] = [];
      const plainErrors: number[] = [];
      for (const pocket of [true, false]) {
        const m = new Perceptron(d);
        try {
          const rv = trainPerceptron(m, xv, yv, { epochs: o.epochs, seed: o.seed, pocket });
          pocketAcc.push(accuracyOf(await m.predict(xv), yv));
          if (!pocket) plainErrors.push(...rv.errors);
        } finally {
          m.dispose();
        }
      }

      await regionsFigure(ctx, {
        title: 'Pocket perceptron, setosa vs rest (petal features)',
        table,
        columns: [2, 3],
        labels: setosa,
        classNames: ['other', 'setosa'],
        fit: async (x2, y) => {
          const m = new Perceptron(2);
          ctx.onEnd(() => m.dispose());
          trainPerceptron(m, x2, y, { epochs: o.epochs, seed: o.seed });
          return (q) => m.predict(q);
        },
      });
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'Perceptron training mistakes per pass',
        spec: curvesSpec('Training mistakes after each pass (+1, log scale)', 'mistakes + 1', {
          'setosa vs rest': r.errors.map((e) => e + 1),
          'versicolor vs virginica (plain rule)': plainErrors.map((e) => e + 1),
        }),
      });
      ctx.emit({ type: 'metric', name: 'setosa vs rest: training accuracy', value: trainAcc });
      ctx.emit({ type: 'metric', name: 'setosa vs rest: updates to converge', value: r.updates });
      ctx.emit({ type: 'metric', name: `setosa vs rest: ${o.folds}-fold accuracy`, value: mean(accs) });
      ctx.emit({
        type: 'metric',
        name: 'versicolor vs virginica: training accuracy (pocket)',
        value: pocketAcc[0]!,
      });
      ctx.emit({
        type: 'metric',
        name: 'versicolor vs virginica: training accuracy (plain)',
        value: pocketAcc[1]!,
      });
    }),
});
