import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed, type Tensor } from '@myelin/core';
import { DataLoader, takeImages } from '@myelin/data';
import { crossEntropy } from '@myelin/nn';
import { Adam } from '@myelin/optim';
import { accuracy, fit, History, modelCheckpoint, progressBar, type TrainEvent } from '@myelin/train';
import { lastValueFrom } from 'rxjs';
import { type RecipeOption, UsageError } from './args.js';
import { BACKEND_CHOICES, selectBackend } from './backends.js';
import { defineCommand } from './command.js';
import { datasetFor, loadSet } from './data.js';
import { DATASETS, MODELS, type ModelSpec } from './models.js';
import { findRecipe, recipeFlags, trainRecipe, unknownTarget } from './recipes.js';

/** The name of the checkpoint `--out` holds: `model.json` and its weights. */
export const CHECKPOINT_NAME = 'model';

/** The flags of `myelin train <model>` (a recipe's come from its declarations). */
const TRAIN_FLAGS = [
  { name: 'dataset', type: 'enum', values: DATASETS, default: 'mnist', help: 'the images to learn' },
  { name: 'epochs', type: 'integer', default: 3, min: 1, help: 'passes over the training images' },
  { name: 'batchSize', type: 'integer', default: 64, min: 1, help: 'images per step' },
  { name: 'lr', type: 'number', default: 0.001, min: 0, help: "Adam's learning rate (> 0)" },
  { name: 'backend', type: 'enum', values: BACKEND_CHOICES, default: 'best', help: 'where to compute' },
  { name: 'seed', type: 'integer', default: 1, min: 0, help: 'seeds the weights and the shuffling' },
  {
    name: 'out',
    type: 'string',
    default: '',
    help: 'directory for the checkpoint (model.json and its weights), saved atomically after every epoch',
  },
  { name: 'limit', type: 'integer', default: 0, min: 0, help: 'train on the first N images only (0: all)' },
  {
    name: 'valLimit',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'validate on the first N test images (0: all)',
  },
] as const satisfies readonly RecipeOption[];

export const trainCommand = defineCommand({
  name: 'train',
  args: '<model|recipe>',
  summary:
    'train a model on MNIST or Fashion-MNIST, checkpointing to --out after every epoch; or run a zoo recipe (myelin models lists them), writing its pictures, charts and metrics to --out',
  flags: TRAIN_FLAGS,
  flagsFor: async (name) => {
    const recipe = await findRecipe(name);
    if (!recipe) return { flags: TRAIN_FLAGS };
    return { flags: recipeFlags(recipe), about: `${recipe.title}: ${recipe.description}` };
  },
  run: async ([modelName], f, out) => {
    const recipe = await findRecipe(modelName);
    // The flags were parsed against the recipe's declarations (flagsFor), not the ones above.
    if (recipe) return trainRecipe(recipe, f as unknown as Record<string, string | number | boolean>, out);
    if (!modelName) throw new UsageError('train: which model or recipe? (myelin models lists them)');
    const spec: ModelSpec | undefined = MODELS.get(modelName);
    if (!spec) throw await unknownTarget(modelName, [...MODELS.keys()]);
    if (!(f.lr > 0)) throw new UsageError(`train: --lr: expected a number > 0, got '${f.lr}'`);
    if (f.out) {
      // Fail before loading data when the directory cannot exist (e.g. it lies under a file).
      try {
        mkdirSync(f.out, { recursive: true });
      } catch (e) {
        throw new Error(`--out '${f.out}': cannot create the directory (${(e as Error).message})`);
      }
    }
    const backend = await selectBackend(f.backend);
    out(
      `backend ${backend.name}; ${modelName} on ${f.dataset}; ${f.epochs} epoch(s), batch ${f.batchSize}, Adam lr ${f.lr}, seed ${f.seed}\n`,
    );
    const [trainSet, testSet] = await Promise.all([loadSet(f.dataset, 'train'), loadSet(f.dataset, 'test')]);
    const trainData = datasetFor(takeImages(trainSet, f.limit), spec);
    const testData = datasetFor(takeImages(testSet, f.valLimit), spec);
    const trainLoader = new DataLoader(trainData, { batchSize: f.batchSize, shuffle: true, seed: f.seed });
    const testLoader = new DataLoader(testData, { batchSize: 500 });

    manualSeed(f.seed);
    const model = spec.build(10);
    const optimizer = new Adam(model.parameters(), { lr: f.lr });
    const history = new History();
    const start = performance.now();
    let events = fit(model, {
      optimizer,
      loss: (pred: Tensor, y: Tensor) => crossEntropy(pred, y),
      data: trainLoader,
      validationData: testLoader,
      epochs: f.epochs,
      metrics: [accuracy()],
    }).pipe(
      history.track(),
      progressBar({
        stream: {
          write: (s: string) => out(s),
          isTTY: process.stdout.isTTY,
          columns: process.stdout.columns,
        },
      }),
    );
    // The checkpoint follows each validation, so model.json records the test accuracy of its weights.
    if (f.out)
      events = events.pipe(
        modelCheckpoint(f.out, {
          model,
          name: CHECKPOINT_NAME,
          monitor: 'valAccuracy',
          saveBestOnly: false,
          metadata: { model: modelName!, dataset: f.dataset },
        }),
      );
    let last: TrainEvent;
    try {
      last = await lastValueFrom(events);
    } finally {
      model.dispose();
      optimizer.dispose();
    }
    if (last.type !== 'fitEnd' && last.type !== 'stopped') return 1;
    const wall = (performance.now() - start) / 1000;
    const lastVal = history.validation.at(-1)!;
    const samples = history.epochs.length * trainData.length;
    const throughput =
      history.epochs.reduce((s, e) => s + e.samplesPerSec, 0) / Math.max(1, history.epochs.length);
    out(
      `test accuracy ${(lastVal.metrics.accuracy! * 100).toFixed(2)}% on ${testData.length} images; ` +
        `${samples} training samples in ${wall.toFixed(1)} s wall (${Math.round(throughput)} samples/s while training)\n`,
    );
    if (f.out) out(`saved ${join(f.out, `${CHECKPOINT_NAME}.json`)} (epoch ${lastVal.epoch + 1})\n`);
    return 0;
  },
});
