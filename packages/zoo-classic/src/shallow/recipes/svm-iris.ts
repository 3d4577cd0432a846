import { defineRecipe, type OptionValues, type Recipe, recipeStream } from '@myelin/train';
import { curvesSpec } from '../charts.js';
import { type ClassicRecipeData, loadTable } from '../data.js';
import { LinearSVM } from '../linear.js';
import { accuracyOf, Standardizer } from '../preprocess.js';
import { trainLinear } from '../train.js';
import { crossValidate, cvOptions, foldData, mean, oneVsRest, regionsFigure } from './common.js';

const options = [
  { name: 'epochs', type: 'integer', default: 300, min: 1, help: 'full-batch subgradient steps' },
  { name: 'lr', type: 'number', default: 0.1, min: 1e-6, help: 'SGD learning rate (momentum 0.9)' },
  { name: 'l2', type: 'number', default: 1e-3, min: 0, help: 'λ of the ½λ‖W‖² penalty' },
  { name: 'squared', type: 'boolean', default: false, help: 'squared hinge (L2-SVM) instead of the hinge' },
  ...cvOptions,
] as const;

export type SvmIrisOptions = OptionValues<typeof options> & ClassicRecipeData;

/**
 * `svm-iris`: linear SVMs as one-layer networks on iris (4 standardised features), trained by full
 * batch subgradient descent (SGD, momentum 0.9) on the hinge plus `½λ‖W‖²`: setosa vs the rest
 * (binary; separable, so 100 % of the rows), and all three species with Weston–Watkins multiclass
 * hinge (k-fold accuracy). Figures: the multiclass decision regions on the petal features and the
 * objective per step.
 */
export const svmIris: Recipe<SvmIrisOptions> = defineRecipe({
  name: 'svm-iris',
  title: 'Linear SVM on iris',
  description:
    'Linear SVM (hinge + ½λ‖W‖², subgradient descent) on iris: setosa vs the rest (100 % of the 150 ' +
    'rows) and Weston–Watkins multiclass over the three species (k-fold accuracy ≈ 96 %). Figures: ' +
    'decision regions on the petal features, the objective per step.',
  family: 'classic',
  options,
  run: (o: SvmIrisOptions) =>
    recipeStream(async (ctx) => {
      const table = await loadTable('svm-iris', o, 'iris');
      ctx.throwIfStopped();
      const d = table.dims;
      const x = Standardizer.fit(table.features, d).transform(table.features);
      const train = { epochs: o.epochs, lr: o.lr, momentum: 0.9, l2: o.l2, seed: o.seed, signal: ctx.signal };

      const setosa = oneVsRest(table.labels, 0);
      const binary = new LinearSVM(d, 2, { squared: o.squared });
      ctx.onEnd(() => binary.dispose());
      const binaryLoss = await trainLinear(binary, x, setosa, train);
      const binaryAcc = accuracyOf(await binary.predict(x), setosa);

      const multi = new LinearSVM(d, 3, { squared: o.squared });
      ctx.onEnd(() => multi.dispose());
      const t0 = performance.now();
      const multiLoss = await trainLinear(multi, x, table.labels, {
        ...train,
        onEpoch: (epoch, loss) =>
          ctx.emit({
            type: 'epochEnd',
            epoch,
            loss,
            metrics: {},
            samples: table.count,
            samplesPerSec: 0,
            durationMs: performance.now() - t0,
          }),
      });
      const multiAcc = accuracyOf(await multi.predict(x), table.labels);

      const accs = await crossValidate(ctx, foldData(table, o.folds, o.seed), async (f) => {
        const m = new LinearSVM(d, 3, { squared: o.squared });
        try {
          await trainLinear(m, f.xTrain, f.yTrain, train);
          return await m.predict(f.xTest);
        } finally {
          m.dispose();
        }
      });

      await regionsFigure(ctx, {
        title: 'Weston–Watkins linear SVM on iris (petal features)',
        table,
        columns: [2, 3],
        fit: async (x2, y) => {
          const m = new LinearSVM(2, 3, { squared: o.squared });
          ctx.onEnd(() => m.dispose());
          await trainLinear(m, x2, y, train);
          return (q) => m.predict(q);
        },
      });
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'Linear SVM objective per step',
        spec: curvesSpec('Hinge + ½λ‖W‖² per full-batch step', 'objective', {
          'setosa vs rest': binaryLoss,
          'Weston–Watkins, 3 species': multiLoss,
        }),
      });
      ctx.emit({ type: 'metric', name: 'setosa vs rest: training accuracy', value: binaryAcc });
      ctx.emit({ type: 'metric', name: '3 species: training accuracy', value: multiAcc });
      ctx.emit({ type: 'metric', name: `3 species: ${o.folds}-fold accuracy`, value: mean(accs) });
    }),
});
