import { Generator, noGrad, scope, type Tensor } from '@myelin/core';
import { DataLoader, imageDataset, imageSetToTensors, takeImages } from '@myelin/data';
import { crossEntropy } from '@myelin/nn';
import { Adam, CosineAnnealingLR } from '@myelin/optim';
import {
  accuracy,
  defineRecipe,
  fit,
  History,
  imageArray,
  lrScheduler,
  type OptionValues,
  type Recipe,
  recipeStream,
  samplesEvent,
} from '@myelin/train';
import { adversarialBatches, fgsm, pgd, robustAccuracy } from '../adversarial.js';
import type { ImageModel } from '../interpret.js';
import { LeNet5 } from '../lenet.js';
import { commonOptions, trainingCurves } from './classifier.js';
import { loadImageSets, type RecipeData } from './data.js';

/** The budgets of `--sweep`. */
export const SWEEP = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3] as const;

const options = [
  { name: 'epochs', type: 'integer', default: 10, min: 1, help: 'passes over the training images' },
  { name: 'batchSize', type: 'integer', default: 64, min: 1, help: 'images per step' },
  {
    name: 'lr',
    type: 'number',
    default: 0.001,
    min: 1e-8,
    help: "Adam's initial learning rate, annealed to 0 along a cosine over the epochs",
  },
  {
    name: 'model',
    type: 'enum',
    default: 'lenet5',
    values: ['lenet5', 'lenet5-classic'],
    help: "LeNet-5 with ReLU and max-pooling, or the textbooks' 1998 form with tanh and average pooling",
  },
  {
    name: 'training',
    type: 'enum',
    default: 'clean',
    values: ['clean', 'pgd'],
    help: "'clean' images, or PGD adversarial training (Madry et al. 2018): every batch attacked first",
  },
  {
    name: 'epsilon',
    type: 'number',
    default: 0.1,
    min: 0,
    max: 1,
    help: 'the L∞ budget of every attack (pixels in [0, 1])',
  },
  { name: 'steps', type: 'integer', default: 20, min: 1, help: 'PGD steps of the test attack' },
  { name: 'stepSize', type: 'number', default: 0.01, min: 1e-6, max: 1, help: 'α of the test attack' },
  {
    name: 'trainSteps',
    type: 'integer',
    default: 10,
    min: 1,
    help: 'PGD steps per training batch (with --training pgd); α = 2.5·ε/steps',
  },
  {
    name: 'sweep',
    type: 'boolean',
    default: false,
    help: `also attack at ε = ${SWEEP.join(', ')} (PGD α = 2.5·ε/steps) and chart accuracy against ε`,
  },
  ...commonOptions('train on the first N of the 60,000 training images (0: all)'),
] as const;

export type AdversarialMnistOptions = OptionValues<typeof options> & RecipeData;

/**
 * `adversarial-mnist`: LeNet-5 on MNIST, trained on clean images or by PGD adversarial training,
 * then attacked on the test digits: clean, FGSM and PGD-`steps` accuracy at ε, with the attacked
 * digits shown (`samples`).
 */
export const adversarialMnist: Recipe<AdversarialMnistOptions> = defineRecipe({
  name: 'adversarial-mnist',
  title: 'Adversarial examples against LeNet-5 on MNIST',
  description:
    'LeNet-5 on MNIST (Adam, cosine schedule; --training pgd for PGD adversarial training), then ' +
    'FGSM and PGD-20 (L∞, ε = 0.1) on the test digits: clean, FGSM and PGD accuracy, and the ' +
    'adversarial digits with their predictions.',
  family: 'cnn',
  options,
  run: (o: AdversarialMnistOptions) =>
    recipeStream(async (ctx) => {
      const [trainSet, testSet] = await loadImageSets('adversarial-mnist', o, 'mnist');
      ctx.throwIfStopped();
      const model = new LeNet5({ seed: o.seed, classic: o.model === 'lenet5-classic' });
      ctx.onEnd(() => model.dispose());
      const optimizer = new Adam(model.parameters(), { lr: o.lr });
      ctx.onEnd(() => optimizer.dispose());
      const loader = new DataLoader(imageDataset(takeImages(trainSet, o.limit)), {
        batchSize: o.batchSize,
        shuffle: true,
        seed: o.seed,
      });
      const attackOptions = {
        epsilon: o.epsilon,
        steps: o.trainSteps,
        stepSize: (2.5 * o.epsilon) / o.trainSteps,
        seed: o.seed,
      };
      const history = new History();
      await ctx.follow(
        fit(model, {
          optimizer,
          loss: (pred: Tensor, target: Tensor) => crossEntropy(pred, target),
          data:
            o.training === 'pgd' && o.epsilon > 0 ? adversarialBatches(model, loader, attackOptions) : loader,
          batchesPerEpoch: loader.length,
          validationData: new DataLoader(imageDataset(takeImages(testSet, o.testLimit)), { batchSize: 500 }),
          epochs: o.epochs,
          metrics: [accuracy()],
        }).pipe(history.track(), lrScheduler(new CosineAnnealingLR(optimizer, { Tmax: o.epochs }))),
      );
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'training curves',
        spec: trainingCurves(
          `adversarial-mnist (${o.training} training): loss and accuracy per epoch`,
          history,
        ),
      });

      const { x, y } = imageSetToTensors(takeImages(testSet, o.testLimit));
      ctx.onEnd(() => {
        x.dispose();
        y.dispose();
      });
      const eps = o.epsilon;
      const fgsmAttack = (m: ImageModel, xb: Tensor, yb: Tensor) => fgsm(m, xb, yb, { epsilon: eps });
      const starts = new Generator(o.seed + 1);
      const pgdAttack = (m: ImageModel, xb: Tensor, yb: Tensor) =>
        pgd(m, xb, yb, { epsilon: eps, steps: o.steps, stepSize: o.stepSize, seed: starts });
      const settings = { batchSize: 500, signal: ctx.signal };
      const clean = await robustAccuracy(model, x, y, undefined, settings);
      const atFgsm = await robustAccuracy(model, x, y, fgsmAttack, settings);
      const atPgd = await robustAccuracy(model, x, y, pgdAttack, settings);

      if (o.samples > 0) {
        const xs = x.slice([0, o.samples]);
        const ys = y.slice([0, o.samples]);
        ctx.onEnd(() => {
          xs.dispose();
          ys.dispose();
        });
        const truth = await ys.data();
        for (const [title, attack] of [
          ['clean test digits', null],
          [`FGSM, ε = ${eps}`, fgsmAttack],
          [`PGD-${o.steps}, ε = ${eps}`, pgdAttack],
        ] as const) {
          const { images, pred } = scope(() => {
            const images = attack ? attack(model, xs, ys) : xs.clone();
            return { images, pred: noGrad(() => model.eval().forward(images).argmax(1)) };
          });
          const [pixels, p] = await Promise.all([images.data(), pred.data()]);
          images.dispose();
          pred.dispose();
          ctx.throwIfStopped();
          const labels = Array.from(p, (c, i) => (c === truth[i] ? `${c}` : `${c} ≠ ${truth[i]}`));
          ctx.emit(samplesEvent(title, imageArray(pixels, xs.shape), { labels }));
        }
      }
      if (o.sweep) {
        const rows: { epsilon: number; attack: string; accuracy: number }[] = [];
        for (const e of SWEEP) {
          const atF = await robustAccuracy(
            model,
            x,
            y,
            (m, xb, yb) => fgsm(m, xb, yb, { epsilon: e }),
            settings,
          );
          const sweepStarts = new Generator(o.seed + 2);
          const atP = await robustAccuracy(
            model,
            x,
            y,
            (m, xb, yb) =>
              pgd(m, xb, yb, {
                epsilon: e,
                steps: o.steps,
                stepSize: (2.5 * e) / o.steps,
                seed: sweepStarts,
              }),
            settings,
          );
          rows.push(
            { epsilon: e, attack: 'FGSM', accuracy: atF },
            { epsilon: e, attack: `PGD-${o.steps}`, accuracy: atP },
          );
          ctx.emit({ type: 'metric', name: `sweep: FGSM accuracy (ε = ${e})`, value: atF });
          ctx.emit({ type: 'metric', name: `sweep: PGD-${o.steps} accuracy (ε = ${e})`, value: atP });
        }
        ctx.emit({
          type: 'figure',
          kind: 'chart',
          title: 'accuracy against epsilon',
          spec: {
            $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
            title: `adversarial-mnist (${o.training} training): test accuracy under attack`,
            width: 420,
            height: 260,
            data: {
              values: [
                // ε = 0 is the clean accuracy for both attacks.
                { epsilon: 0, attack: 'FGSM', accuracy: clean },
                { epsilon: 0, attack: `PGD-${o.steps}`, accuracy: clean },
                ...rows,
              ],
            },
            mark: { type: 'line', point: true },
            encoding: {
              x: { field: 'epsilon', type: 'quantitative', title: 'ε (L∞ budget)' },
              y: {
                field: 'accuracy',
                type: 'quantitative',
                title: 'test accuracy',
                scale: { domain: [0, 1] },
              },
              color: { field: 'attack', type: 'nominal' },
            },
          },
        });
      }
      const n = x.shape[0]!;
      ctx.emit({ type: 'metric', name: 'test accuracy', value: clean });
      ctx.emit({ type: 'metric', name: `FGSM accuracy (ε = ${eps})`, value: atFgsm });
      ctx.emit({ type: 'metric', name: `PGD-${o.steps} accuracy (ε = ${eps})`, value: atPgd });
      ctx.emit({ type: 'metric', name: 'test images', value: n });
    }),
});
