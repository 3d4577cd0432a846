import { Generator, noGrad, scope, type Tensor } from '@myelin/core';
import {
  DataLoader,
  type ImageSet,
  imageDataset,
  imageSetToTensors,
  type Transform,
  takeImages,
} from '@myelin/data';
import { mseLoss } from '@myelin/nn';
import { Adam } from '@myelin/optim';
import {
  type Batch,
  defineRecipe,
  evaluate,
  fit,
  History,
  imageArray,
  type OptionValues,
  type Recipe,
  type RecipeContext,
  recipeStream,
  samplesEvent,
  type VegaLiteSpec,
} from '@myelin/train';
import {
  type Autoencoder,
  autoencoderObjective,
  ConvAutoencoder,
  DenseAutoencoder,
  gaussianNoise,
  maskingNoise,
  TiedAutoencoder,
} from '../autoencoders.js';
import { fitPca, pcaReconstruct, pcaReconstructionMse } from '../pca.js';
import { loadImageSets, type RecipeData } from './data.js';

/** Images per evaluation batch: forward only, so larger than training batches. */
const TEST_BATCH = 500;

/** A loader's `{ x, y: labels }` batches as `{ x: corrupt(x) or x, y: x }`: inputs and the clean target. */
export function reconstructionBatches(
  loader: DataLoader<{ x: Tensor; y: Tensor }, { x: Tensor; y: Tensor }>,
  corrupt?: () => Transform,
): AsyncIterable<Batch> & { length: number } {
  return {
    length: loader.length ?? 0,
    async *[Symbol.asyncIterator]() {
      // One noise transform per pass, so a pass with the same seed sees the same noise.
      const noise = corrupt?.();
      for await (const b of loader) {
        b.y.dispose();
        let x: Tensor;
        try {
          x = noise ? noise(b.x) : b.x.clone();
        } catch (e) {
          b.x.dispose();
          throw e;
        }
        yield { x, y: b.x };
      }
    },
  };
}

/** Loss per epoch (training and test) as a Vega-Lite line chart, data inline. */
export function lossCurve(title: string, history: History, yTitle: string): VegaLiteSpec {
  const values: { epoch: number; split: string; value: number }[] = [];
  for (const e of history.epochs) values.push({ epoch: e.epoch + 1, split: 'train', value: e.loss });
  for (const v of history.validation) values.push({ epoch: v.epoch + 1, split: 'test', value: v.loss });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 300,
    height: 200,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'split', type: 'nominal', title: null },
    },
  };
}

const options = [
  {
    name: 'model',
    type: 'enum',
    values: ['conv', 'dense', 'tied'],
    default: 'conv',
    help: 'conv: 2 stride-2 convolutions ↔ 2 transposed ones; dense: 784-256-code MLP; tied: one sigmoid layer, decoder Wᵀ',
  },
  {
    name: 'codeSize',
    type: 'integer',
    default: 49,
    min: 1,
    help: 'numbers in the code (the PCA baseline keeps as many components)',
  },
  {
    name: 'noise',
    type: 'enum',
    values: ['none', 'gaussian', 'masking'],
    default: 'none',
    help: 'corrupt the training inputs (a denoising autoencoder): additive Gaussian noise or masking noise',
  },
  {
    name: 'noiseLevel',
    type: 'number',
    default: 0.5,
    min: 0,
    max: 1,
    help: 'σ of the Gaussian noise, or the fraction of pixels the masking noise zeroes',
  },
  { name: 'l1', type: 'number', default: 0, min: 0, help: 'weight of the L1 sparsity penalty on the code' },
  {
    name: 'klBeta',
    type: 'number',
    default: 0,
    min: 0,
    help: 'weight β of the KL sparsity penalty (sigmoid codes: dense/tied)',
  },
  {
    name: 'rho',
    type: 'number',
    default: 0.05,
    min: 1e-6,
    max: 0.999999,
    help: 'target mean activation ρ of the KL sparsity penalty',
  },
  {
    name: 'contractive',
    type: 'number',
    default: 0,
    min: 0,
    help: 'weight λ of the contractive penalty (tied model, or dense with sigmoid code)',
  },
  { name: 'epochs', type: 'integer', default: 10, min: 1, help: 'passes over the training images' },
  { name: 'batchSize', type: 'integer', default: 128, min: 1, help: 'images per step' },
  { name: 'lr', type: 'number', default: 0.002, min: 1e-8, help: "Adam's learning rate" },
  {
    name: 'seed',
    type: 'integer',
    default: 1,
    min: 0,
    help: 'seeds the weights, the shuffling and the noise',
  },
  {
    name: 'limit',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'train (and fit the PCA) on the first N of the 60,000 training images (0: all)',
  },
  {
    name: 'testLimit',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'evaluate on the first N test images (0: all 10,000)',
  },
  {
    name: 'samples',
    type: 'integer',
    default: 32,
    min: 0,
    max: 1024,
    help: 'test images in the reconstruction grids',
  },
] as const;

export type AutoencoderMnistOptions = OptionValues<typeof options> & RecipeData;

function buildModel(o: AutoencoderMnistOptions): Autoencoder {
  const seed = new Generator(o.seed);
  const sigmoidCode = o.klBeta > 0 || o.contractive > 0;
  if (o.model === 'conv') return new ConvAutoencoder({ codeSize: o.codeSize, seed });
  if (o.model === 'tied') return new TiedAutoencoder({ codeSize: o.codeSize, seed });
  // A contractive dense model is one sigmoid layer, where the penalty has its closed form.
  return new DenseAutoencoder({
    codeSize: o.codeSize,
    hidden: o.contractive > 0 ? [] : [256],
    codeActivation: sigmoidCode ? 'sigmoid' : 'linear',
    seed,
  });
}

/** The corruption of a denoising run, as a fresh seeded transform per pass; undefined without noise. */
function corruption(o: AutoencoderMnistOptions, seed: number): (() => Transform) | undefined {
  if (o.noise === 'gaussian') return () => gaussianNoise({ std: o.noiseLevel, seed });
  if (o.noise === 'masking') return () => maskingNoise({ p: o.noiseLevel, seed });
  return undefined;
}

/** Pictures: the first `count` test digits, their corrupted form, the model's and PCA's reconstructions. */
async function reconstructionGrids(
  ctx: RecipeContext,
  model: Autoencoder,
  set: ImageSet,
  corrupt: Transform | undefined,
  pca: ReturnType<typeof fitPca>,
): Promise<void> {
  const { x, y } = imageSetToTensors(set);
  y.dispose();
  const out: Tensor[] = [x];
  try {
    model.eval();
    const input = corrupt ? scope(() => corrupt(x)) : x;
    if (corrupt) out.push(input);
    const recon = noGrad(() => scope(() => model.forward(input)));
    out.push(recon);
    ctx.emit(samplesEvent('test digits', imageArray(await x.data(), x.shape)));
    if (corrupt) ctx.emit(samplesEvent('noisy test digits', imageArray(await input.data(), input.shape)));
    ctx.emit(samplesEvent('reconstructions', imageArray(await recon.data(), recon.shape)));
    const pcaPixels = pcaReconstruct(pca, { values: set.images, n: set.count, d: 784, scale: 1 / 255 });
    ctx.emit(samplesEvent(`PCA-${pca.k} reconstructions`, imageArray(pcaPixels, x.shape)));
  } finally {
    for (const t of out) t.dispose();
  }
}

/**
 * `autoencoder-mnist`: an autoencoder on MNIST (convolutional by default, with a 49-number code)
 * trained with Adam on the mean squared reconstruction error, optionally denoising (Gaussian or
 * masking noise on the inputs) and with sparse (L1, KL) or contractive penalties; beside it the
 * closed-form PCA with as many components, fitted on the same training digits. Emits the loss
 * curve, grids of test digits and their reconstructions, and the test MSEs as `metric`s:
 * `test reconstruction MSE`, `PCA-k test MSE`, and for a denoising run `noisy test MSE` (of the
 * corrupted input itself) and `denoised test MSE` (of the model's output from it).
 */
export const autoencoderMnist: Recipe<AutoencoderMnistOptions> = defineRecipe({
  name: 'autoencoder-mnist',
  title: 'Autoencoders on MNIST (conv, dense, tied; denoising, sparse, contractive)',
  description:
    'A convolutional autoencoder with a 49-number code on the 60,000 MNIST training digits (Adam, ' +
    'lr 0.002, batch 128, 10 epochs, MSE), measured against PCA with 49 components computed in ' +
    'closed form on the same digits. --noise gaussian|masking trains a denoising autoencoder; ' +
    '--l1, --kl-beta/--rho and --contractive add sparse and contractive penalties; --model dense|tied.',
  family: 'autoencoder',
  options,
  run: (o: AutoencoderMnistOptions) =>
    recipeStream(async (ctx) => {
      const [trainSet, testSet] = await loadImageSets('autoencoder-mnist', o, 'mnist');
      ctx.throwIfStopped();
      const trainImages = takeImages(trainSet, o.limit);
      const testImages = takeImages(testSet, o.testLimit);
      const model = buildModel(o);
      ctx.onEnd(() => model.dispose());
      const optimizer = new Adam(model.parameters(), { lr: o.lr });
      ctx.onEnd(() => optimizer.dispose());
      const { forward, loss } = autoencoderObjective({
        l1: o.l1,
        kl: { beta: o.klBeta, rho: o.rho },
        contractive: o.contractive,
      });
      const train = reconstructionBatches(
        new DataLoader(imageDataset(trainImages), { batchSize: o.batchSize, shuffle: true, seed: o.seed }),
        corruption(o, o.seed + 1),
      );
      const testLoader = () => new DataLoader(imageDataset(testImages), { batchSize: TEST_BATCH });
      // Test noise has its own seed, the same every epoch and in every figure below.
      const testNoise = corruption(o, o.seed + 2);
      const history = new History();
      await ctx.follow(
        fit(model, {
          optimizer,
          forward,
          loss,
          data: train,
          batchesPerEpoch: train.length,
          validationData: () => reconstructionBatches(testLoader(), testNoise),
          epochs: o.epochs,
        }).pipe(history.track()),
      );

      // The PCA baseline with as many components as the code has numbers, on the same digits.
      const pca = fitPca(
        { values: trainImages.images, n: trainImages.count, d: 784, scale: 1 / 255 },
        o.codeSize,
      );
      ctx.throwIfStopped();
      const mse = (pred: Tensor, target: Tensor) => mseLoss(pred, target);
      const clean = await evaluate(model, reconstructionBatches(testLoader()), {
        loss: mse,
        signal: ctx.signal,
      });
      if (o.samples > 0)
        await reconstructionGrids(ctx, model, takeImages(testImages, o.samples), testNoise?.(), pca);
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'training curve',
        spec: lossCurve('autoencoder-mnist: loss per epoch', history, 'MSE (+ penalties)'),
      });
      ctx.emit({ type: 'metric', name: 'test reconstruction MSE', value: clean.loss });
      ctx.emit({
        type: 'metric',
        name: `PCA-${o.codeSize} test MSE`,
        value: pcaReconstructionMse(pca, {
          values: testImages.images,
          n: testImages.count,
          d: 784,
          scale: 1 / 255,
        }),
      });
      if (testNoise) {
        const noisy = await evaluate(model, reconstructionBatches(testLoader(), testNoise), {
          loss: mse,
          forward: (_m, x) => x.clone(),
          signal: ctx.signal,
        });
        const denoised = await evaluate(model, reconstructionBatches(testLoader(), testNoise), {
          loss: mse,
          signal: ctx.signal,
        });
        ctx.emit({ type: 'metric', name: 'noisy test MSE', value: noisy.loss });
        ctx.emit({ type: 'metric', name: 'denoised test MSE', value: denoised.loss });
      }
      ctx.emit({ type: 'metric', name: 'test images', value: testImages.count });
      const epochs = history.epochs;
      if (epochs.length)
        ctx.emit({
          type: 'metric',
          name: 'training throughput',
          value: epochs.reduce((s, e) => s + e.samplesPerSec, 0) / epochs.length,
          unit: 'samples/s',
        });
    }),
});
