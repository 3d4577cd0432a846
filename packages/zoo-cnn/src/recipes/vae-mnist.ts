import { argmax, noGrad, scope, softmax, type Tensor } from '@myelin/core';
import { DataLoader, imageDataset, imageSetToTensors, takeImages } from '@myelin/data';
import { crossEntropy, mseLoss } from '@myelin/nn';
import { Adam } from '@myelin/optim';
import {
  accuracy,
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
  type TrainEvent,
} from '@myelin/train';
import type { Observable } from 'rxjs';
import { LeNet5 } from '../lenet.js';
import { packConditional, unpackConditional, VAE, vaeLoss, vaeObjective } from '../vae.js';
import { lossCurve } from './autoencoder-mnist.js';
import { loadImageSets, type RecipeData } from './data.js';

const TEST_BATCH = 500;
/** Samples the LeNet-5 judge scores (the figure: 1,000). */
const JUDGED = 1000;

const options = [
  {
    name: 'conditional',
    type: 'boolean',
    default: false,
    help: 'a conditional VAE: encoder and decoder see the digit’s label',
  },
  {
    name: 'encoder',
    type: 'enum',
    values: ['dense', 'conv'],
    default: 'dense',
    help: 'dense: 784-400 MLP; conv: two stride-2 convolutions (decoder mirrors it)',
  },
  { name: 'latent', type: 'integer', default: 20, min: 1, help: 'dimensions of the code z' },
  { name: 'hidden', type: 'integer', default: 400, min: 1, help: 'width of the hidden layer on each side' },
  { name: 'epochs', type: 'integer', default: 20, min: 1, help: 'passes over the training images' },
  { name: 'batchSize', type: 'integer', default: 128, min: 1, help: 'images per step' },
  { name: 'lr', type: 'number', default: 0.001, min: 1e-8, help: "Adam's learning rate" },
  { name: 'seed', type: 'integer', default: 1, min: 0, help: 'seeds the weights, the shuffling and ε' },
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
    help: 'evaluate on the first N test images (0: all 10,000)',
  },
  {
    name: 'samples',
    type: 'integer',
    default: 64,
    min: 0,
    max: 1024,
    help: 'images in the sample and reconstruction grids',
  },
  {
    name: 'judgeEpochs',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'train LeNet-5 this many epochs on the same digits and score 1,000 VAE samples with it (0: off)',
  },
] as const;

export type VaeMnistOptions = OptionValues<typeof options> & RecipeData;

/** `{ x, y: labels }` batches as the VAE's `fit` batches: input (packed with the labels when conditional), clean image. */
function vaeBatches(
  loader: DataLoader<{ x: Tensor; y: Tensor }, { x: Tensor; y: Tensor }>,
  numClasses: number,
): AsyncIterable<Batch> & { length: number } {
  return {
    length: loader.length ?? 0,
    async *[Symbol.asyncIterator]() {
      for await (const b of loader) {
        let x: Tensor;
        try {
          x = numClasses > 0 ? packConditional(b.x, b.y, numClasses) : b.x.clone();
        } catch (e) {
          b.x.dispose();
          throw e;
        } finally {
          b.y.dispose();
        }
        yield { x, y: b.x };
      }
    },
  };
}

/** Forward `events` to nothing, stopping them when the run stops; resolves when they complete. */
function quietly(ctx: RecipeContext, events: Observable<TrainEvent>): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      sub.unsubscribe();
      reject(new Error('vae-mnist: stopped'));
    };
    const sub = events.subscribe({
      error: (e: unknown) => {
        ctx.signal.removeEventListener('abort', stop);
        reject(e);
      },
      complete: () => {
        ctx.signal.removeEventListener('abort', stop);
        resolve();
      },
    });
    if (!sub.closed) ctx.signal.addEventListener('abort', stop, { once: true });
  });
}

/** Test figures: one-sample negative ELBO, its two terms, and the MSE of the reconstruction at z = μ. */
async function testFigures(model: VAE, batches: AsyncIterable<Batch>) {
  let n = 0;
  const sums = { loss: 0, reconstruction: 0, kl: 0, mse: 0 };
  model.eval();
  for await (const b of batches) {
    const { x, y } = b as { x: Tensor; y: Tensor };
    const parts = noGrad(() =>
      scope(() => {
        const { images, labels } = unpackConditional(model, x);
        const out = vaeLoss(model.forward(images, labels), y);
        return [out.loss, out.reconstruction, out.kl, mseLoss(model.reconstruct(images, labels), y)];
      }),
    );
    const v = await Promise.all(parts.map(async (t) => (await t.data())[0]!));
    const m = x.shape[0]!;
    sums.loss += v[0]! * m;
    sums.reconstruction += v[1]! * m;
    sums.kl += v[2]! * m;
    sums.mse += v[3]! * m;
    n += m;
    for (const t of [...parts, x, y]) t.dispose();
  }
  return { loss: sums.loss / n, reconstruction: sums.reconstruction / n, kl: sums.kl / n, mse: sums.mse / n };
}

/**
 * `vae-mnist`: a variational autoencoder (Kingma & Welling, 2014) on MNIST — 784-400-20 with a
 * Bernoulli decoder by default, or a conv encoder, or conditional on the digit — trained with
 * Adam on the negative ELBO (BCE + closed-form KL). Emits the loss curve, test digits with their
 * reconstructions, a grid of samples from N(0, I) (for a conditional VAE, digits 0–9 in turn),
 * the test ELBO terms as `metric`s, and with `--judge-epochs N` a LeNet-5 trained on the same
 * digits scores 1,000 samples: `sample confidence` (mean top softmax probability) and
 * `digits among samples` (distinct predicted classes).
 */
export const vaeMnist: Recipe<VaeMnistOptions> = defineRecipe({
  name: 'vae-mnist',
  title: 'Variational autoencoder on MNIST (and conditional VAE)',
  description:
    'A VAE with a 20-dimensional code (784-400-20, Bernoulli decoder) on the 60,000 MNIST training ' +
    'digits: Adam, lr 0.001, batch 128, 20 epochs, loss BCE + closed-form KL. --conditional ' +
    'conditions on the label; --encoder conv uses convolutions; --judge-epochs N trains LeNet-5 ' +
    'to score 1,000 samples.',
  family: 'autoencoder',
  options,
  run: (o: VaeMnistOptions) =>
    recipeStream(async (ctx) => {
      const [trainSet, testSet] = await loadImageSets('vae-mnist', o, 'mnist');
      ctx.throwIfStopped();
      const trainImages = takeImages(trainSet, o.limit);
      const testImages = takeImages(testSet, o.testLimit);
      const classes = o.conditional ? 10 : 0;
      const model = new VAE({
        latent: o.latent,
        hidden: o.hidden,
        encoder: o.encoder,
        numClasses: classes,
        seed: o.seed,
      });
      ctx.onEnd(() => model.dispose());
      const optimizer = new Adam(model.parameters(), { lr: o.lr });
      ctx.onEnd(() => optimizer.dispose());
      const { forward, loss } = vaeObjective();
      const train = vaeBatches(
        new DataLoader(imageDataset(trainImages), { batchSize: o.batchSize, shuffle: true, seed: o.seed }),
        classes,
      );
      const test = () =>
        vaeBatches(new DataLoader(imageDataset(testImages), { batchSize: TEST_BATCH }), classes);
      const history = new History();
      await ctx.follow(
        fit(model, {
          optimizer,
          forward,
          loss,
          data: train,
          batchesPerEpoch: train.length,
          validationData: test,
          epochs: o.epochs,
        }).pipe(history.track()),
      );
      const figures = await testFigures(model, test());
      ctx.throwIfStopped();

      const sampleLabels = (n: number) => (classes ? Array.from({ length: n }, (_, i) => i % 10) : undefined);
      if (o.samples > 0) {
        const shown = takeImages(testImages, o.samples);
        const { x, y } = imageSetToTensors(shown);
        const made: Tensor[] = [x, y];
        try {
          made.push(noGrad(() => model.reconstruct(x, classes ? y : undefined)));
          made.push(model.sample(o.samples, sampleLabels(o.samples)));
          const [recon, samples] = [made[2]!, made[3]!];
          ctx.emit(samplesEvent('test digits', imageArray(await x.data(), x.shape)));
          ctx.emit(samplesEvent('reconstructions', imageArray(await recon.data(), recon.shape)));
          const labels = sampleLabels(o.samples)?.map(String);
          ctx.emit(
            samplesEvent(
              'samples',
              imageArray(await samples.data(), samples.shape),
              labels ? { labels } : {},
            ),
          );
        } finally {
          for (const t of made) t.dispose();
        }
      }
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'training curve',
        spec: lossCurve('vae-mnist: negative ELBO per epoch', history, 'nats per digit'),
      });
      ctx.emit({ type: 'metric', name: 'test negative ELBO', value: figures.loss, unit: 'nats' });
      ctx.emit({
        type: 'metric',
        name: 'test reconstruction BCE',
        value: figures.reconstruction,
        unit: 'nats',
      });
      ctx.emit({ type: 'metric', name: 'test KL', value: figures.kl, unit: 'nats' });
      ctx.emit({ type: 'metric', name: 'test reconstruction MSE', value: figures.mse });
      ctx.emit({ type: 'metric', name: 'test images', value: testImages.count });

      if (o.judgeEpochs > 0) {
        // The judge: LeNet-5 as the lenet5-mnist recipe trains it (Adam 1e-3, batch 64).
        const judge = new LeNet5({ seed: o.seed });
        ctx.onEnd(() => judge.dispose());
        const judgeOptimizer = new Adam(judge.parameters(), { lr: 0.001 });
        ctx.onEnd(() => judgeOptimizer.dispose());
        await quietly(
          ctx,
          fit(judge, {
            optimizer: judgeOptimizer,
            loss: (p: Tensor, t: Tensor) => crossEntropy(p, t),
            data: new DataLoader(imageDataset(trainImages), {
              batchSize: 64,
              shuffle: true,
              seed: o.seed + 1,
            }),
            epochs: o.judgeEpochs,
            batchMetrics: false,
          }),
        );
        const judged = await evaluate(
          judge,
          new DataLoader(imageDataset(testImages), { batchSize: TEST_BATCH }),
          {
            metrics: [accuracy()],
            signal: ctx.signal,
          },
        );
        judge.eval();
        const samples = model.sample(JUDGED, sampleLabels(JUDGED));
        const [probs, pred] = noGrad(() =>
          scope(() => {
            const p = softmax(judge.forward(samples), 1);
            return [p.max(1), argmax(p, 1)];
          }),
        );
        const [pv, cv] = await Promise.all([probs.data(), pred.data()]);
        for (const t of [samples, probs, pred]) t.dispose();
        let confidence = 0;
        for (const v of pv) confidence += v / JUDGED;
        const digits = new Set(cv).size;
        ctx.emit({ type: 'metric', name: 'judge test accuracy', value: judged.metrics.accuracy! });
        ctx.emit({ type: 'metric', name: 'sample confidence', value: confidence });
        ctx.emit({ type: 'metric', name: 'digits among samples', value: digits });
        if (classes) {
          const agree = Array.from(cv).filter((c, i) => c === i % 10).length / JUDGED;
          ctx.emit({ type: 'metric', name: 'samples classified as their label', value: agree });
        }
      }
    }),
});
