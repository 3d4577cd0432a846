import { argmax, Generator, noGrad, scope, type Tensor, tensor } from '@myelin/core';
import { type ImageSet, randomCrop, type Transform } from '@myelin/data';
import { crossEntropy } from '@myelin/nn';
import {
  defineRecipe,
  imageArray,
  type OptionValues,
  type Recipe,
  recipeStream,
  samplesEvent,
} from '@myelin/train';
import { classTokenRollout, patchOverlay } from '../attention-maps.js';
import { accumulatedStep, adamWGroups, warmupCosine } from '../training.js';
import { ViT } from '../vit.js';
import {
  clipOption,
  curvesFigure,
  seedOption,
  source,
  type TransformerRecipeData,
  trainRounds,
} from './common.js';

const options = [
  { name: 'epochs', type: 'integer', default: 10, min: 1, help: 'passes over the training images' },
  { name: 'batchSize', type: 'integer', default: 128, min: 1, help: 'images per step' },
  { name: 'lr', type: 'number', default: 0.002, min: 1e-8, help: "AdamW's peak learning rate" },
  { name: 'warmup', type: 'integer', default: 200, min: 1, help: 'linear warmup steps' },
  { name: 'weightDecay', type: 'number', default: 0.05, min: 0, help: "AdamW's weight decay on matrices" },
  { name: 'patchSize', type: 'integer', default: 7, min: 1, help: 'patch side in pixels (divides 28)' },
  { name: 'width', type: 'integer', default: 64, min: 1, help: 'token width' },
  { name: 'depth', type: 'integer', default: 4, min: 1, help: 'transformer blocks' },
  { name: 'heads', type: 'integer', default: 4, min: 1, help: 'attention heads (must divide the width)' },
  { name: 'hidden', type: 'integer', default: 128, min: 1, help: 'feed-forward hidden units' },
  {
    name: 'shift',
    type: 'integer',
    default: 2,
    min: 0,
    help: 'augmentation: shift each training digit by up to this many pixels (random crop after zero padding; 0: off)',
  },
  clipOption,
  seedOption,
  {
    name: 'limit',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'train on the first N of the 60,000 images (0: all)',
  },
  {
    name: 'testLimit',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'evaluate on the first N test images (0: all)',
  },
  { name: 'samples', type: 'integer', default: 32, min: 0, help: 'test digits shown with their predictions' },
] as const;
export type VitMnistOptions = OptionValues<typeof options> & TransformerRecipeData;

/**
 * Images `idx` of a set as (B, 1, 28, 28), normalised by MNIST's mean and std; `augment` (a shift)
 * acts on the [0, 1] pixels first, so the pixels it uncovers are background, not 0 after normalising.
 */
function batchOf(set: ImageSet, idx: ArrayLike<number>, augment?: Transform): Tensor {
  const px = set.rows * set.cols;
  const x = new Float32Array(idx.length * px);
  for (let i = 0; i < idx.length; i++) {
    const from = idx[i]! * px;
    for (let k = 0; k < px; k++) x[i * px + k] = set.images[from + k]! / 255;
  }
  const raw = tensor(x, { shape: [idx.length, 1, set.rows, set.cols] });
  const shifted = augment ? augment(raw) : raw;
  return shifted.sub(0.1307).div(0.3081);
}

/** `vit-mnist`: a small Vision Transformer on MNIST. */
export const vitMnist: Recipe<VitMnistOptions> = defineRecipe({
  name: 'vit-mnist',
  title: 'Vision Transformer on MNIST',
  description:
    'ViT-mini (Dosovitskiy et al. 2021): each 28×28 digit cut into 16 patches of 7×7 by a strided convolution, a ' +
    'class token, learned positions, 4 pre-norm blocks of width 64 with 4 heads and 128 feed-forward units, the ' +
    'class token → 10 classes. AdamW (decay 0.05 on matrices) at lr 0.002 with 200 warmup steps then a cosine over ' +
    'all steps, batch 128, norm ≤ 1, 10 epochs, each training digit shifted by up to 2 pixels (random crop after ' +
    'zero padding). Target ≥ 98% on the 10,000 test digits.',
  family: 'transformer',
  options,
  run: (o: VitMnistOptions) =>
    recipeStream(async (ctx) => {
      const imageSet = source('vit-mnist', o, 'imageSet');
      const [train, test] = await Promise.all([imageSet('mnist', 'train'), imageSet('mnist', 'test')]);
      ctx.throwIfStopped();
      const nTrain = o.limit > 0 ? Math.min(o.limit, train.count) : train.count;
      const nTest = o.testLimit > 0 ? Math.min(o.testLimit, test.count) : test.count;
      const model = new ViT({
        numClasses: 10,
        imageSize: train.rows,
        patchSize: o.patchSize,
        width: o.width,
        depth: o.depth,
        heads: o.heads,
        hidden: o.hidden,
        seed: o.seed,
      });
      ctx.onEnd(() => model.dispose());
      ctx.emit({ type: 'metric', name: 'parameters', value: model.numParameters() });
      const optimizer = adamWGroups(model, { lr: o.lr, weightDecay: o.weightDecay, betas: [0.9, 0.999] });
      ctx.onEnd(() => optimizer.dispose());
      const perEpoch = Math.ceil(nTrain / o.batchSize);
      const total = perEpoch * o.epochs;
      const scheduler =
        total > 1
          ? warmupCosine(optimizer, { warmupSteps: Math.min(o.warmup, total - 1), totalSteps: total })
          : null;
      const gen = new Generator(o.seed);
      const augment =
        o.shift > 0 ? randomCrop(train.rows, { padding: o.shift, seed: o.seed + 1 }) : undefined;
      let order: Int32Array = new Int32Array(0);
      let lastPred = new Int32Array(0);
      const records = await trainRounds(
        ctx,
        o.epochs,
        perEpoch,
        async (i) => {
          const b = i % perEpoch;
          if (b === 0) order = gen.permutation(nTrain);
          model.train();
          const idx = order.subarray(b * o.batchSize, (b + 1) * o.batchSize);
          const labels = Int32Array.from(idx, (k) => train.labels[k]!);
          const loss = await accumulatedStep(
            model,
            optimizer,
            [
              {
                weight: 1,
                loss: () =>
                  crossEntropy(
                    model.forward(batchOf(train, idx, augment)),
                    tensor(labels, { dtype: 'int32' }),
                  ),
              },
            ],
            o.clip,
          );
          scheduler?.step();
          return { loss, samples: idx.length };
        },
        async () => {
          model.eval();
          let right = 0;
          let lossSum = 0;
          const pred = new Int32Array(nTest);
          for (let s = 0; s < nTest; s += 500) {
            ctx.throwIfStopped();
            const idx = Int32Array.from({ length: Math.min(500, nTest - s) }, (_, k) => s + k);
            const labels = Int32Array.from(idx, (k) => test.labels[k]!);
            const [loss, p] = noGrad(() =>
              scope(() => {
                const logits = model.forward(batchOf(test, idx));
                return [crossEntropy(logits, tensor(labels, { dtype: 'int32' })), argmax(logits, 1)] as const;
              }),
            );
            lossSum += (await loss.data())[0]! * idx.length;
            const pv = await p.data();
            loss.dispose();
            p.dispose();
            for (let k = 0; k < idx.length; k++) {
              pred[s + k] = pv[k]!;
              if (pv[k] === labels[k]) right++;
            }
          }
          lastPred = pred;
          return { loss: lossSum / nTest, accuracy: right / nTest };
        },
      );
      ctx.emit(
        curvesFigure('vit-mnist: loss and test accuracy', records, [
          { figure: 'accuracy', title: 'test accuracy' },
        ]),
      );
      const shown = Math.min(o.samples, nTest);
      if (shown > 0) {
        const px = test.rows * test.cols;
        const pixels = Float32Array.from(test.images.subarray(0, shown * px), (v) => v / 255);
        const labels = Array.from({ length: shown }, (_, k) =>
          lastPred[k] === test.labels[k] ? `${lastPred[k]}` : `${lastPred[k]} ≠ ${test.labels[k]}`,
        );
        ctx.emit(
          samplesEvent(
            'test digits: predicted (≠ true)',
            imageArray(pixels, [shown, 1, test.rows, test.cols]),
            {
              labels,
            },
          ),
        );
      }
      // Where the class token looks: attention rollout over the patches of a few test digits.
      const attended = Math.min(8, nTest);
      if (o.samples > 0 && attended > 0) {
        model.eval();
        const idx = Int32Array.from({ length: attended }, (_, k) => k);
        const sink = noGrad(() =>
          scope(() => {
            const weights: Tensor[] = [];
            model.forward(batchOf(test, idx), weights);
            return weights;
          }),
        );
        const layers: Float32Array[] = [];
        for (const t of sink) {
          layers.push(Float32Array.from(await t.data()));
          t.dispose();
        }
        const S = test.rows;
        const N = (S / o.patchSize) ** 2 + 1;
        const rollout = classTokenRollout(layers, attended, o.heads, N);
        const px = S * test.cols;
        const pixels = Float32Array.from(test.images.subarray(0, attended * px), (v) => v / 255);
        const scale = 4;
        ctx.emit(
          samplesEvent(
            'class-token attention rollout over the patches (red), test digits',
            imageArray(patchOverlay(pixels, rollout, attended, S, o.patchSize, scale), [
              attended,
              3,
              S * scale,
              S * scale,
            ]),
            { labels: Array.from(idx, (k) => `${lastPred[k]}`) },
          ),
        );
      }
      const last = records.at(-1)!;
      ctx.emit({ type: 'metric', name: 'test accuracy', value: last.test.accuracy! });
      ctx.emit({ type: 'metric', name: 'test loss', value: last.test.loss!, unit: 'nats' });
      ctx.emit({ type: 'metric', name: 'test images', value: nTest });
    }),
});
