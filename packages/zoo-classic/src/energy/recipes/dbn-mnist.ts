import { Generator, noGrad, scope, type Tensor } from '@myelin/core';
import { DataLoader, imageDataset, takeImages } from '@myelin/data';
import { crossEntropy } from '@myelin/nn';
import { Adam, SGD } from '@myelin/optim';
import {
  accuracy,
  defineRecipe,
  fit,
  History,
  imageArray,
  type OptionValues,
  type Recipe,
  recipeStream,
  samplesEvent,
} from '@myelin/train';
import { DeepBeliefNet } from '../dbn.js';
import { fitRbm } from '../rbm.js';
import { normaliseRows, rowBatches } from './batches.js';
import { curveSpec, type EnergyRecipeData, loadMnistSets, pixelsOf } from './data.js';

const options = [
  {
    name: 'hidden',
    type: 'string',
    default: '500,500',
    help: 'hidden layer sizes from the input up, comma-separated (one RBM each)',
  },
  {
    name: 'pretrain',
    type: 'boolean',
    default: true,
    help: 'pre-train the layers as RBMs (false: random init)',
  },
  { name: 'pretrainEpochs', type: 'integer', default: 2, min: 1, help: 'CD-1 passes over the data per RBM' },
  {
    name: 'rbmLr',
    type: 'number',
    default: 0.05,
    min: 1e-8,
    help: "the RBMs' SGD learning rate (momentum 0.5)",
  },
  {
    name: 'epochs',
    type: 'integer',
    default: 10,
    min: 1,
    help: 'fine-tuning passes over the training images',
  },
  { name: 'batchSize', type: 'integer', default: 64, min: 1, help: 'images per step' },
  { name: 'lr', type: 'number', default: 0.001, min: 1e-8, help: "fine-tuning Adam's learning rate" },
  {
    name: 'seed',
    type: 'integer',
    default: 1,
    min: 0,
    help: 'seeds the weights, the order and the Gibbs chains',
  },
  {
    name: 'limit',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'train on the first N of the 60,000 training images (0: all)',
  },
  {
    name: 'testLimit',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'evaluate on the first N test images (0: all)',
  },
  { name: 'filters', type: 'integer', default: 64, min: 1, max: 1024, help: 'first-layer filters shown' },
] as const;

export type DbnMnistOptions = OptionValues<typeof options> & EnergyRecipeData;

/** `'500,500'` → `[500, 500]`, or an error naming the option. */
export function parseHidden(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const sizes = parts.map(Number);
  if (!parts.length || sizes.some((s, i) => !/^\d+$/.test(parts[i]!) || s < 1))
    throw new RangeError(
      `dbn-mnist: --hidden must be comma-separated integers ≥ 1 (e.g. 500,500), got '${text}'`,
    );
  return sizes;
}

/**
 * `dbn-mnist`: a deep belief network on MNIST (Hinton, Osindero & Teh 2006; Hinton & Salakhutdinov
 * 2006): a stack of RBMs pre-trained greedily with CD-1, each on the hidden probabilities of the one
 * below, copied into an nn `Sequential` of Linear+Sigmoid layers with a Linear output, and
 * fine-tuned with Adam on cross-entropy. Emits every RBM's and the classifier's training events,
 * the first layer's filters, the curves and `test accuracy`.
 */
export const dbnMnist: Recipe<DbnMnistOptions> = defineRecipe({
  name: 'dbn-mnist',
  title: 'Deep belief network on MNIST: RBM pre-training, then fine-tuning',
  description:
    'Two RBMs (784-500-500) pre-trained greedily with CD-1 (2 epochs each), copied into ' +
    'Linear+Sigmoid layers with a softmax output and fine-tuned with Adam (lr 1e-3, batch 64, 10 ' +
    'epochs). --pretrain false trains the same network from a random start.',
  family: 'energy',
  options,
  run: (o: DbnMnistOptions) =>
    recipeStream(async (ctx) => {
      const sizes = parseHidden(o.hidden);
      const [trainAll, testAll] = await loadMnistSets('dbn-mnist', o);
      ctx.throwIfStopped();
      const trainSet = takeImages(trainAll, o.limit);
      const testSet = takeImages(testAll, o.testLimit);
      const d = trainSet.rows * trainSet.cols;
      const gen = new Generator(o.seed);
      const dbn = new DeepBeliefNet([d, ...sizes], { seed: gen.fork() });
      ctx.onEnd(() => dbn.dispose());
      const curve: { epoch: number; series: string; value: number }[] = [];
      if (o.pretrain) {
        const pixels = pixelsOf(trainSet);
        for (let layer = 0; layer < dbn.rbms.length; layer++) {
          const rbm = dbn.rbms[layer]!;
          const optimizer = new SGD(rbm.parameters(), { lr: o.rbmLr, momentum: 0.5, weightDecay: 1e-4 });
          const order = gen.fork();
          const history = new History();
          const below = layer;
          // The inputs of RBM ℓ: each batch of pixels through the ℓ RBMs below it.
          const data = function* () {
            for (const x of rowBatches(pixels, trainSet.count, d, o.batchSize, order)) {
              const h = below === 0 ? x : dbn.propagate(x, below);
              if (h !== x) x.dispose();
              yield h;
            }
          };
          try {
            await ctx.follow(
              fitRbm(rbm, {
                optimizer,
                data,
                epochs: o.pretrainEpochs,
                batchesPerEpoch: Math.ceil(trainSet.count / o.batchSize),
                seed: gen.fork(),
                signal: ctx.signal,
              }).pipe(history.track()),
            );
          } finally {
            optimizer.dispose();
          }
          for (const e of history.epochs)
            curve.push({ epoch: e.epoch + 1, series: `RBM ${layer + 1} reconstruction MSE`, value: e.loss });
        }
      }
      const model = dbn.toSequential(10, { seed: gen.fork().getState().seed });
      ctx.onEnd(() => model.dispose());
      const optimizer = new Adam(model.parameters(), { lr: o.lr });
      ctx.onEnd(() => optimizer.dispose());
      const train = new DataLoader(imageDataset(trainSet, { flatten: true }), {
        batchSize: o.batchSize,
        shuffle: true,
        seed: o.seed,
      });
      const history = new History();
      await ctx.follow(
        fit(model, {
          optimizer,
          loss: (pred: Tensor, target: Tensor) => crossEntropy(pred, target),
          data: train,
          batchesPerEpoch: train.length,
          validationData: () => new DataLoader(imageDataset(testSet, { flatten: true }), { batchSize: 250 }),
          epochs: o.epochs,
          metrics: [accuracy()],
        }).pipe(history.track()),
      );
      for (const v of history.validation)
        curve.push({ epoch: v.epoch + 1, series: 'fine-tuning test accuracy', value: v.metrics.accuracy! });

      const first = model.parameters()[0]!;
      const nFilters = Math.min(o.filters, sizes[0]!);
      const firstRows = noGrad(() => scope(() => first.slice([0, nFilters])));
      const w = (await firstRows.data()) as Float32Array;
      firstRows.dispose();
      ctx.emit(
        samplesEvent(
          o.pretrain ? 'first-layer filters after fine-tuning' : 'first-layer filters (no pre-training)',
          imageArray(normaliseRows(w, nFilters, d), [nFilters, 1, trainSet.rows, trainSet.cols]),
        ),
      );
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'training curves',
        spec: curveSpec('dbn-mnist: pre-training and fine-tuning', 'value', curve),
      });
      const last = history.validation.at(-1);
      if (last) {
        ctx.emit({ type: 'metric', name: 'test accuracy', value: last.metrics.accuracy! });
        ctx.emit({ type: 'metric', name: 'test loss', value: last.loss, unit: 'nats' });
      }
      ctx.emit({ type: 'metric', name: 'test images', value: testSet.count });
    }),
});
