import { noGrad, scope, type Tensor } from '@myelin/core';
import { DataLoader, imageDataset, imageSetToTensors, takeImages } from '@myelin/data';
import { crossEntropy } from '@myelin/nn';
import { Adam } from '@myelin/optim';
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
import { filterImages, gradCam, occlusion, overlay, saliency } from '../interpret.js';
import { LeNet5 } from '../lenet.js';
import { commonOptions, trainingCurves } from './classifier.js';
import { loadImageSets, type RecipeData } from './data.js';

const options = [
  { name: 'epochs', type: 'integer', default: 3, min: 1, help: 'passes over the training images' },
  { name: 'batchSize', type: 'integer', default: 64, min: 1, help: 'images per step' },
  { name: 'lr', type: 'number', default: 0.001, min: 1e-8, help: "Adam's learning rate" },
  {
    name: 'layer',
    type: 'string',
    default: '1',
    help:
      "Grad-CAM's layer, a LeNet-5 child: '1' the first convolution's ReLU (28×28, localises the " +
      "digit), '4' the second's (10×10, diffuse on MNIST)",
  },
  {
    name: 'patch',
    type: 'integer',
    default: 6,
    min: 1,
    max: 28,
    help: 'occlusion: side of the square patch, in pixels',
  },
  { name: 'stride', type: 'integer', default: 2, min: 1, help: 'occlusion: pixels between patches' },
  {
    name: 'colormap',
    type: 'enum',
    default: 'viridis',
    values: ['viridis', 'jet'],
    help: 'colours of the overlays',
  },
  ...commonOptions('train on the first N of the 60,000 training images (0: all)'),
] as const;

export type SaliencyMnistOptions = OptionValues<typeof options> & RecipeData;

/** The map's share of its mass on ink (pixels > 0.2) over ink's share of the pixels, per image, averaged. */
function inkLift(maps: Float32Array, pixels: Float32Array, n: number, px: number): number {
  let sum = 0;
  for (let b = 0; b < n; b++) {
    let [total, onInk, ink] = [0, 0, 0];
    for (let k = b * px; k < (b + 1) * px; k++) {
      total += maps[k]!;
      if (pixels[k]! > 0.2) {
        onInk += maps[k]!;
        ink++;
      }
    }
    sum += total > 0 && ink > 0 ? onInk / total / (ink / px) : 0;
  }
  return sum / n;
}

/**
 * `saliency-mnist`: train LeNet-5 on MNIST, then look inside it on the first test digits:
 * saliency maps (Simonyan et al. 2014), Grad-CAM (Selvaraju et al. 2017), occlusion sensitivity
 * (Zeiler & Fergus 2014) as overlays, and the first layer's filters. Metrics: test accuracy and,
 * for saliency and Grad-CAM, how concentrated on ink each map is (1 = no more than chance).
 */
export const saliencyMnist: Recipe<SaliencyMnistOptions> = defineRecipe({
  name: 'saliency-mnist',
  title: 'Seeing inside LeNet-5 on MNIST',
  description:
    'Trains LeNet-5 on MNIST (Adam, 3 epochs), then shows where its decisions come from on test ' +
    'digits: saliency maps, Grad-CAM, occlusion sensitivity (overlays), and its first-layer filters.',
  family: 'cnn',
  options,
  run: (o: SaliencyMnistOptions) =>
    recipeStream(async (ctx) => {
      const [trainSet, testSet] = await loadImageSets('saliency-mnist', o, 'mnist');
      ctx.throwIfStopped();
      const model = new LeNet5({ seed: o.seed });
      ctx.onEnd(() => model.dispose());
      const optimizer = new Adam(model.parameters(), { lr: o.lr });
      ctx.onEnd(() => optimizer.dispose());
      const train = imageDataset(takeImages(trainSet, o.limit));
      const test = imageDataset(takeImages(testSet, o.testLimit));
      const loader = new DataLoader(train, { batchSize: o.batchSize, shuffle: true, seed: o.seed });
      const history = new History();
      await ctx.follow(
        fit(model, {
          optimizer,
          loss: (pred: Tensor, target: Tensor) => crossEntropy(pred, target),
          data: loader,
          batchesPerEpoch: loader.length,
          validationData: new DataLoader(test, { batchSize: 500 }),
          epochs: o.epochs,
          metrics: [accuracy()],
        }).pipe(history.track()),
      );
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'training curves',
        spec: trainingCurves('saliency-mnist: loss and accuracy per epoch', history),
      });
      const last = history.validation.at(-1);
      if (last) ctx.emit({ type: 'metric', name: 'test accuracy', value: last.metrics.accuracy! });
      ctx.emit(samplesEvent('first-layer filters', await filterImages(model)));

      if (o.samples === 0) return;
      const { x, y } = imageSetToTensors(takeImages(testSet, o.samples));
      ctx.onEnd(() => {
        x.dispose();
        y.dispose();
      });
      model.eval();
      const n = x.shape[0]!;
      const maps = scope(() => ({
        pred: noGrad(() => model.forward(x).argmax(1)),
        saliency: saliency(model, x),
        gradCam: gradCam(model, x, { layer: o.layer }),
        occlusion: occlusion(model, x, { patch: o.patch, stride: o.stride }),
      }));
      ctx.onEnd(() => {
        for (const t of Object.values(maps)) t.dispose();
      });
      const [pixels, pred, truth, sal, cam, occ] = await Promise.all([
        x.data(),
        maps.pred.data(),
        y.data(),
        maps.saliency.data(),
        maps.gradCam.data(),
        maps.occlusion.data(),
      ]);
      ctx.throwIfStopped();
      const labels = Array.from(pred, (c, i) => (c === truth[i] ? `${c}` : `${c} ≠ ${truth[i]}`));
      const images = { data: pixels, shape: x.shape };
      const paint = (m: ArrayLike<number>) =>
        overlay({ data: m, shape: [n, 28, 28] }, images, { colormap: o.colormap });
      ctx.emit(samplesEvent('test digits (predicted class)', imageArray(pixels, x.shape), { labels }));
      ctx.emit(samplesEvent('saliency |∂ logit / ∂ x|', paint(sal), { labels }));
      ctx.emit(samplesEvent(`Grad-CAM (layer ${o.layer})`, paint(cam), { labels }));
      ctx.emit(samplesEvent(`occlusion sensitivity (${o.patch}×${o.patch} patches)`, paint(occ), { labels }));
      const px = 28 * 28;
      const f32 = (a: ArrayLike<number>) => Float32Array.from(a);
      ctx.emit({
        type: 'metric',
        name: 'saliency on ink',
        value: inkLift(f32(sal), f32(pixels), n, px),
        unit: '× chance',
      });
      ctx.emit({
        type: 'metric',
        name: 'Grad-CAM on ink',
        value: inkLift(f32(cam), f32(pixels), n, px),
        unit: '× chance',
      });
    }),
});
