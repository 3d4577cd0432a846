import { argmax, noGrad, scope, type Tensor } from '@myelin/core';
import {
  DataLoader,
  type ImageSet,
  imageDataset,
  imageSetToTensors,
  type Transform,
  takeImages,
} from '@myelin/data';
import { crossEntropy } from '@myelin/nn';
import {
  accuracy,
  type Batch,
  fit,
  History,
  imageArray,
  lrScheduler,
  modelEvent,
  type OptimizerLike,
  type RecipeContext,
  recipeStream,
  type SchedulerLike,
  samplesEvent,
  type VegaLiteSpec,
  type ZooEvent,
} from '@myelin/train';
import type { Observable } from 'rxjs';
import type { ImageClassifier } from '../input.js';
import { CLASS_NAMES, type ImageSetName, loadImageSets, type RecipeData } from './data.js';

/** The options every image-classifier recipe declares. */
export interface ClassifierOptions extends RecipeData {
  epochs: number;
  batchSize: number;
  seed: number;
  /** Train on the first N training images (0: all). */
  limit: number;
  /** Evaluate on the first N test images (0: all). */
  testLimit: number;
  /** Test images in the predictions grid. */
  samples: number;
}

/** What differs between classifier recipes: data set, model, optimizer, augmentation. */
export interface ClassifierSpec {
  recipe: string;
  dataset: ImageSetName;
  /** The builder `build` calls and its options: carried by the run's `model` event. */
  arch: string;
  config: Readonly<Record<string, unknown>>;
  build(): ImageClassifier;
  /** The optimizer (and a per-epoch scheduler) for the model's parameters. */
  optimize(model: ImageClassifier): {
    optimizer: OptimizerLike & { dispose(): void };
    scheduler?: SchedulerLike;
  };
  /** A random transform of each training batch `[B, 1, 28, 28]` (augmentation). */
  augment?: Transform;
}

/** The options every classifier recipe declares after its own: seed, data limits, grid size. */
export const commonOptions = (limitHelp: string) =>
  [
    {
      name: 'seed',
      type: 'integer',
      default: 1,
      min: 0,
      help: 'seeds the weights, the shuffling and the augmentation',
    },
    { name: 'limit', type: 'integer', default: 0, min: 0, help: limitHelp },
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
      help: 'test images in the predictions grid',
    },
  ] as const;

/** The loader's batches with `augment` applied to the images (the originals are freed at once). */
function augmented(
  loader: DataLoader<{ x: Tensor; y: Tensor }, { x: Tensor; y: Tensor }>,
  augment: Transform,
): AsyncIterable<Batch> {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const b of loader) {
        let x: Tensor;
        try {
          x = augment(b.x);
        } catch (e) {
          b.y.dispose();
          throw e;
        } finally {
          b.x.dispose();
        }
        yield { x, y: b.y };
      }
    },
  };
}

/**
 * Loss and accuracy per epoch (training and test) as a Vega-Lite spec: two panels side by side,
 * the data inline, so the CLI renders it to SVG and a page embeds it as it is.
 */
export function trainingCurves(title: string, history: History): VegaLiteSpec {
  const values: { epoch: number; split: string; metric: string; value: number }[] = [];
  for (const e of history.epochs) {
    values.push({ epoch: e.epoch + 1, split: 'train', metric: 'loss', value: e.loss });
    if (e.metrics.accuracy !== undefined)
      values.push({ epoch: e.epoch + 1, split: 'train', metric: 'accuracy', value: e.metrics.accuracy });
  }
  for (const v of history.validation) {
    values.push({ epoch: v.epoch + 1, split: 'test', metric: 'loss', value: v.loss });
    if (v.metrics.accuracy !== undefined)
      values.push({ epoch: v.epoch + 1, split: 'test', metric: 'accuracy', value: v.metrics.accuracy });
  }
  const panel = (metric: string, yTitle: string) => ({
    title: metric,
    width: 300,
    height: 200,
    transform: [{ filter: `datum.metric === '${metric}'` }],
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'split', type: 'nominal', title: null },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    hconcat: [panel('loss', 'cross-entropy'), panel('accuracy', 'accuracy')],
  };
}

/**
 * The first `count` test images with the model's predictions as captions ("7", or "2 ≠ 7" when
 * wrong), predicted `batch` images at a time.
 */
async function predictionGrid(
  ctx: RecipeContext,
  model: ImageClassifier,
  testSet: ImageSet,
  dataset: ImageSetName,
  count: number,
  batch: number,
): Promise<ZooEvent> {
  const set = takeImages(testSet, count);
  const predicted = new Int32Array(set.count);
  model.eval();
  for (let start = 0; start < set.count; start += batch) {
    ctx.throwIfStopped();
    const px = set.rows * set.cols;
    const end = Math.min(set.count, start + batch);
    const part = { ...set, count: end - start, images: set.images.subarray(start * px, end * px) };
    const { x, y } = imageSetToTensors({ ...part, labels: set.labels.subarray(start, end) });
    let pred: Tensor | null = null;
    try {
      pred = noGrad(() => scope(() => argmax(model.forward(x), 1)));
      predicted.set(await pred.data(), start);
    } finally {
      x.dispose();
      y.dispose();
      pred?.dispose();
    }
  }
  const names = CLASS_NAMES[dataset];
  const labels = Array.from(predicted, (c, i) => {
    const truth = set.labels[i]!;
    return c === truth ? names[c]! : `${names[c]!} ≠ ${names[truth]!}`;
  });
  const pixels = Float32Array.from(set.images, (v) => v / 255);
  return samplesEvent('test predictions', imageArray(pixels, [set.count, 1, set.rows, set.cols]), { labels });
}

/**
 * The run of an image-classifier recipe: load the data through `options.data`, train with `fit`
 * (cross-entropy, accuracy, evaluation on the test images after every epoch), then emit a grid of
 * test predictions (`samples`), the loss/accuracy curves (`figure`) and the final test figures
 * (`metric`). Unsubscribing stops training between batches; the model and optimizer are freed
 * however the run ends.
 */
export function trainClassifier(spec: ClassifierSpec, o: ClassifierOptions): Observable<ZooEvent> {
  return recipeStream(async (ctx) => {
    const [trainSet, testSet] = await loadImageSets(spec.recipe, o, spec.dataset);
    ctx.throwIfStopped();
    const train = imageDataset(takeImages(trainSet, o.limit));
    const test = imageDataset(takeImages(testSet, o.testLimit));
    const model = spec.build();
    ctx.onEnd(() => model.dispose());
    const { optimizer, scheduler } = spec.optimize(model);
    ctx.onEnd(() => optimizer.dispose());

    const loader = new DataLoader(train, { batchSize: o.batchSize, shuffle: true, seed: o.seed });
    const history = new History();
    let events = fit(model, {
      optimizer,
      loss: (pred: Tensor, target: Tensor) => crossEntropy(pred, target),
      data: spec.augment ? augmented(loader, spec.augment) : loader,
      batchesPerEpoch: loader.length,
      // Evaluation in batches of the training size: a larger batch needs blocks of a size training never
      // freed, and the wasm allocator (size-class free lists, no coalescing) can run out of its 2 GiB
      // with a quarter of it in use (seen with the ResNet at 500).
      validationData: new DataLoader(test, { batchSize: o.batchSize }),
      epochs: o.epochs,
      metrics: [accuracy()],
    }).pipe(history.track());
    if (scheduler) events = events.pipe(lrScheduler(scheduler));
    await ctx.follow(events);

    const last = history.validation.at(-1);
    ctx.emit(await modelEvent(spec.recipe, spec.arch, spec.config, model));
    if (o.samples > 0)
      ctx.emit(await predictionGrid(ctx, model, testSet, spec.dataset, o.samples, o.batchSize));
    ctx.emit({
      type: 'figure',
      kind: 'chart',
      title: 'training curves',
      spec: trainingCurves(`${spec.recipe}: loss and accuracy per epoch`, history),
    });
    if (last) {
      ctx.emit({ type: 'metric', name: 'test accuracy', value: last.metrics.accuracy! });
      ctx.emit({ type: 'metric', name: 'test loss', value: last.loss, unit: 'nats' });
      ctx.emit({ type: 'metric', name: 'test images', value: test.length });
    }
    const epochs = history.epochs;
    if (epochs.length)
      ctx.emit({
        type: 'metric',
        name: 'training throughput',
        value: epochs.reduce((s, e) => s + e.samplesPerSec, 0) / epochs.length,
        unit: 'samples/s',
      });
  });
}
