import {
  defineRecipe,
  imageArray,
  type OptionValues,
  type Recipe,
  recipeStream,
  samplesEvent,
} from '@myelin/train';
import { curvesSpec } from '../charts.js';
import { type ClassicRecipeData, loadTable } from '../data.js';
import { SoftmaxRegression } from '../linear.js';
import { accuracyOf, kFold, takeLabels, takeRows } from '../preprocess.js';
import { trainLinear } from '../train.js';

const options = [
  { name: 'epochs', type: 'integer', default: 50, min: 1, help: 'passes over the training images' },
  { name: 'batchSize', type: 'integer', default: 32, min: 1, help: 'images per step' },
  { name: 'lr', type: 'number', default: 0.01, min: 1e-6, help: 'Adam learning rate' },
  { name: 'l2', type: 'number', default: 1e-4, min: 0, help: 'λ of the ½λ‖W‖² penalty' },
  { name: 'seed', type: 'integer', default: 0, min: 0, help: 'seeds the split and the batch order' },
] as const;

export type SoftmaxDigitsOptions = OptionValues<typeof options> & ClassicRecipeData;

/**
 * `softmax-digits`: softmax regression (one linear layer, 64 → 10, cross-entropy) on sklearn's 8×8
 * digits, pixels scaled to [0, 1], trained with Adam on a stratified 75 % and tested on the other
 * 25 % (450 images). Figures: the ten weight vectors as 8×8 images, the loss per epoch.
 */
export const softmaxDigits: Recipe<SoftmaxDigitsOptions> = defineRecipe({
  name: 'softmax-digits',
  title: 'Softmax regression on 8×8 digits',
  description:
    'Softmax regression (64 → 10) on sklearn’s 1,797 8×8 digits with Adam: ≈ 96 % on a stratified 25 % ' +
    'test split. Figures: the weights of each class as an 8×8 image, the loss per epoch.',
  family: 'classic',
  options,
  run: (o: SoftmaxDigitsOptions) =>
    recipeStream(async (ctx) => {
      const table = await loadTable('softmax-digits', o, 'digits');
      ctx.throwIfStopped();
      const d = table.dims;
      const { train, test } = kFold(table.count, 4, { labels: table.labels, seed: o.seed })[0]!;
      const scaled = Float32Array.from(table.features, (v) => v / 16);
      const xTrain = takeRows(scaled, d, train);
      const yTrain = takeLabels(table.labels, train);
      const xTest = takeRows(scaled, d, test);
      const yTest = takeLabels(table.labels, test);
      const model = new SoftmaxRegression(d, 10);
      ctx.onEnd(() => model.dispose());
      const t0 = performance.now();
      const losses = await trainLinear(model, xTrain, yTrain, {
        epochs: o.epochs,
        batchSize: o.batchSize,
        lr: o.lr,
        l2: o.l2,
        optimizer: 'adam',
        seed: o.seed,
        signal: ctx.signal,
        onEpoch: (epoch, loss) =>
          ctx.emit({
            type: 'epochEnd',
            epoch,
            loss,
            metrics: {},
            samples: train.length,
            samplesPerSec: (train.length * (epoch + 1) * 1000) / (performance.now() - t0),
            durationMs: performance.now() - t0,
          }),
      });
      const testAcc = accuracyOf(await model.predict(xTest), yTest);
      const trainAcc = accuracyOf(await model.predict(xTrain), yTrain);
      // Each class's weights as an image, scaled so that 0.5 is a zero weight.
      const w = await model.weight.data();
      const img = new Float32Array(w.length);
      for (let c = 0; c < 10; c++) {
        let m = 1e-12;
        for (let j = 0; j < d; j++) m = Math.max(m, Math.abs(w[c * d + j]!));
        for (let j = 0; j < d; j++) img[c * d + j] = 0.5 + w[c * d + j]! / (2 * m);
      }
      ctx.emit(
        samplesEvent('softmax weights per class', imageArray(img, [10, 1, 8, 8]), {
          labels: [...table.classNames],
        }),
      );
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'Softmax regression loss per epoch',
        spec: curvesSpec('Cross-entropy + ½λ‖W‖², mean over each epoch', 'loss', { train: losses }),
      });
      ctx.emit({ type: 'metric', name: 'test accuracy', value: testAcc });
      ctx.emit({ type: 'metric', name: 'train accuracy', value: trainAcc });
    }),
});
