import { Generator, noGrad, scope, tensor } from '@myelin/core';
import { takeImages } from '@myelin/data';
import { SGD } from '@myelin/optim';
import {
  defineRecipe,
  History,
  imageArray,
  type OptionValues,
  type Recipe,
  recipeStream,
  samplesEvent,
} from '@myelin/train';
import { fitRbm, RBM, sampleBernoulli } from '../rbm.js';
import { normaliseRows, rowBatches } from './batches.js';
import { curveSpec, type EnergyRecipeData, loadMnistSets, pixelsOf } from './data.js';

const options = [
  { name: 'hidden', type: 'integer', default: 256, min: 1, help: 'hidden units' },
  { name: 'k', type: 'integer', default: 1, min: 1, help: 'Gibbs steps per update (CD-k)' },
  {
    name: 'persistent',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'persistent CD with this many fantasy chains (0: plain CD-k)',
  },
  { name: 'epochs', type: 'integer', default: 5, min: 1, help: 'passes over the training images' },
  { name: 'batchSize', type: 'integer', default: 64, min: 1, help: 'images per update' },
  { name: 'lr', type: 'number', default: 0.05, min: 1e-8, help: 'SGD learning rate' },
  { name: 'momentum', type: 'number', default: 0.5, min: 0, max: 0.999, help: 'SGD momentum' },
  { name: 'weightDecay', type: 'number', default: 1e-4, min: 0, help: 'L2 weight decay' },
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
  {
    name: 'samples',
    type: 'integer',
    default: 32,
    min: 1,
    max: 1024,
    help: 'test digits in the reconstruction grid',
  },
  {
    name: 'filters',
    type: 'integer',
    default: 64,
    min: 1,
    max: 1024,
    help: 'hidden units whose weights are shown',
  },
  {
    name: 'gibbsSteps',
    type: 'integer',
    default: 1000,
    min: 0,
    help: 'Gibbs steps of the chains shown at the end, started at the test digits (0: none)',
  },
] as const;

export type RbmMnistOptions = OptionValues<typeof options> & EnergyRecipeData;

/**
 * `rbm-mnist`: a Bernoulli RBM (grey levels as probabilities) on MNIST, trained by CD-k or
 * persistent CD with SGD. Emits the reconstruction-error curve, the filters (each hidden unit's
 * weights), test digits beside their mean-field reconstructions, long Gibbs chains started at
 * those test digits, and metrics `test reconstruction MSE`, `mean-image MSE` (a baseline: every
 * digit reconstructed as the mean training image), `mean free energy (test)` and `(train)`.
 */
export const rbmMnist: Recipe<RbmMnistOptions> = defineRecipe({
  name: 'rbm-mnist',
  title: 'Restricted Boltzmann machine on MNIST (CD-k, persistent CD)',
  description:
    'A Bernoulli RBM with 256 hidden units on the 60,000 MNIST training digits, CD-1, SGD (lr 0.05, ' +
    'momentum 0.5, weight decay 1e-4, batch 64, 5 epochs). Shows filters, test reconstructions and ' +
    'Gibbs chains; reports the test reconstruction MSE. --k for CD-k, --persistent N for PCD.',
  family: 'energy',
  options,
  run: (o: RbmMnistOptions) =>
    recipeStream(async (ctx) => {
      const [trainAll, testAll] = await loadMnistSets('rbm-mnist', o);
      ctx.throwIfStopped();
      const trainSet = takeImages(trainAll, o.limit);
      const testSet = takeImages(testAll, o.testLimit);
      const d = trainSet.rows * trainSet.cols;
      const train = pixelsOf(trainSet);
      const test = pixelsOf(testSet);
      const gen = new Generator(o.seed);
      const rbm = new RBM(d, o.hidden, { seed: gen.fork() });
      ctx.onEnd(() => rbm.dispose());
      const optimizer = new SGD(rbm.parameters(), {
        lr: o.lr,
        momentum: o.momentum,
        weightDecay: o.weightDecay,
      });
      ctx.onEnd(() => optimizer.dispose());
      const order = gen.fork();
      const history = new History();
      await ctx.follow(
        fitRbm(rbm, {
          optimizer,
          data: () => rowBatches(train, trainSet.count, d, o.batchSize, order),
          epochs: o.epochs,
          k: o.k,
          persistentChains: o.persistent,
          batchesPerEpoch: Math.ceil(trainSet.count / o.batchSize),
          seed: gen.fork(),
          signal: ctx.signal,
        }).pipe(history.track()),
      );

      // Test figures, in batches.
      let se = 0;
      let seMean = 0;
      let freeTest = 0;
      const mean = new Float32Array(d);
      for (let i = 0; i < train.length; i++) mean[i % d]! += train[i]! / trainSet.count;
      for (const v of rowBatches(test, testSet.count, d, 500)) {
        ctx.throwIfStopped();
        const [err, f] = noGrad(() =>
          scope(() => [rbm.reconstruct(v).sub(v).square().sum(), rbm.freeEnergy(v).sum()] as const),
        );
        se += err.item();
        freeTest += f.item();
        for (const t of [v, err, f]) t.dispose();
      }
      for (let i = 0; i < test.length; i++) seMean += (test[i]! - mean[i % d]!) ** 2;
      let freeTrain = 0;
      const trainCount = Math.min(trainSet.count, testSet.count);
      for (const v of rowBatches(train.subarray(0, trainCount * d), trainCount, d, 500)) {
        const f = noGrad(() => scope(() => rbm.freeEnergy(v).sum()));
        freeTrain += f.item();
        v.dispose();
        f.dispose();
      }

      const nFilters = Math.min(o.filters, o.hidden);
      const w = await rbm.weight.data();
      ctx.emit(
        samplesEvent(
          'RBM filters',
          imageArray(normaliseRows(w.subarray(0, nFilters * d) as Float32Array, nFilters, d), [
            nFilters,
            1,
            28,
            28,
          ]),
        ),
      );
      const shown = Math.min(o.samples, testSet.count);
      const x = tensor(test.subarray(0, shown * d), { shape: [shown, d] });
      const recon = rbm.reconstruct(x);
      ctx.emit(samplesEvent('test digits', imageArray(await x.data(), [shown, 1, 28, 28])));
      ctx.emit(samplesEvent('RBM reconstructions', imageArray(await recon.data(), [shown, 1, 28, 28])));
      x.dispose();
      recon.dispose();
      if (o.gibbsSteps > 0) {
        // Gibbs chains started at test digits (binarised at ½), shown after 0, 1, 10, 100, … steps:
        // one row per chain, as many chains as moments so the grid is square.
        const moments = [...new Set([0, 1, 10, 100, o.gibbsSteps].filter((m) => m <= o.gibbsSteps))];
        const f = moments.length;
        const chains = Math.min(f, testSet.count);
        const frames = new Float32Array(chains * f * d);
        const chainGen = gen.fork();
        let v = tensor(
          test.subarray(0, chains * d).map((p) => (p >= 0.5 ? 1 : 0)),
          { shape: [chains, d] },
        );
        try {
          for (let s = 0; s <= o.gibbsSteps; s++) {
            const at = moments.indexOf(s);
            if (at >= 0) {
              const mean = noGrad(() => scope(() => rbm.visibleMean(rbm.hiddenProbs(v))));
              const px = (await mean.data()) as Float32Array;
              mean.dispose();
              for (let c = 0; c < chains; c++) frames.set(px.subarray(c * d, (c + 1) * d), (c * f + at) * d);
            }
            if (s === o.gibbsSteps) break;
            if (s % 50 === 0) ctx.throwIfStopped();
            const next = noGrad(() =>
              scope(() => rbm.sampleVisible(sampleBernoulli(rbm.hiddenProbs(v), chainGen), chainGen)),
            );
            v.dispose();
            v = next;
          }
        } finally {
          v.dispose();
        }
        ctx.emit(
          samplesEvent('Gibbs chains from test digits', imageArray(frames, [chains * f, 1, 28, 28]), {
            labels: Array.from({ length: chains * f }, (_, k) => `${moments[k % f]} steps`),
          }),
        );
      }
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'reconstruction error',
        spec: curveSpec(
          'rbm-mnist: mean-field reconstruction error per epoch',
          'MSE',
          history.epochs.map((e) => ({ epoch: e.epoch + 1, series: 'train', value: e.loss })),
        ),
      });
      ctx.emit({ type: 'metric', name: 'test reconstruction MSE', value: se / test.length });
      ctx.emit({ type: 'metric', name: 'mean-image MSE', value: seMean / test.length });
      ctx.emit({
        type: 'metric',
        name: 'mean free energy (test)',
        value: freeTest / testSet.count,
        unit: 'nats',
      });
      ctx.emit({
        type: 'metric',
        name: 'mean free energy (train)',
        value: freeTrain / trainCount,
        unit: 'nats',
      });
      ctx.emit({ type: 'metric', name: 'test images', value: testSet.count });
    }),
});
