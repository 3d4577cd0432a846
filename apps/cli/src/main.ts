import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors, type Module, manualSeed, type Tensor } from '@myelin/core';
import { DataLoader, type ImageSet, imageDataset } from '@myelin/data';
import { loadFashionMnist, loadMnist } from '@myelin/data/node';
import { crossEntropy } from '@myelin/nn';
import { Adam } from '@myelin/optim';
import {
  accuracy,
  evaluate,
  fit,
  History,
  modelCheckpoint,
  progressBar,
  type TrainEvent,
} from '@myelin/train';
import { lastValueFrom } from 'rxjs';
import { selectBackend } from './backends.js';
import { DATASETS, type DatasetName, MODELS, unknown } from './models.js';

export interface Flags {
  dataset?: string;
  epochs?: string;
  'batch-size'?: string;
  lr?: string;
  backend?: string;
  seed?: string;
  out?: string;
  limit?: string;
  help?: boolean;
}

const USAGE = `usage:
  myelin train <model> [--dataset mnist|fashion-mnist] [--epochs N] [--batch-size B] [--lr X]
                       [--backend best|cpu|wasm|webgpu] [--seed S] [--out DIR] [--limit N]
  myelin eval <checkpoint.safetensors> [--backend …] [--dataset …]
  myelin models`;

function int(name: string, v: string | undefined, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got '${v}'`);
  return n;
}

function num(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got '${v}'`);
  return n;
}

async function loadSet(dataset: DatasetName, split: 'train' | 'test'): Promise<ImageSet> {
  return dataset === 'mnist' ? loadMnist({ split }) : loadFashionMnist({ split });
}

function limitSet(set: ImageSet, limit: number | null): ImageSet {
  if (limit === null || limit >= set.count) return set;
  const px = set.rows * set.cols;
  return {
    ...set,
    count: limit,
    images: set.images.subarray(0, limit * px),
    labels: set.labels.subarray(0, limit),
  };
}

function checkDataset(name: string): DatasetName {
  if (!(DATASETS as readonly string[]).includes(name)) throw unknown('dataset', name, DATASETS);
  return name as DatasetName;
}

function checkModel(name: string | undefined) {
  if (!name) throw new Error(`which model? (available: ${Object.keys(MODELS).join(', ')})`);
  const spec = MODELS[name];
  if (!spec) throw unknown('model', name, Object.keys(MODELS));
  return spec;
}

export async function main(
  args: string[],
  flags: Flags,
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<number> {
  const [command, target] = args;
  if (flags.help || !command) {
    out(`${USAGE}\n`);
    return command ? 0 : 1;
  }
  if (command === 'models') {
    for (const [name, spec] of Object.entries(MODELS)) out(`${name.padEnd(10)} ${spec.description}\n`);
    return 0;
  }
  if (command === 'train') return train(target, flags, out);
  if (command === 'eval') return evalCheckpoint(target, flags, out);
  throw new Error(`unknown command '${command}'\n${USAGE}`);
}

async function train(modelName: string | undefined, flags: Flags, out: (s: string) => void): Promise<number> {
  const spec = checkModel(modelName);
  const dataset = checkDataset(flags.dataset ?? 'mnist');
  const epochs = int('epochs', flags.epochs ?? '3', 1);
  const batchSize = int('batch-size', flags['batch-size'] ?? '64', 1);
  const lr = num('lr', flags.lr ?? '0.001');
  const seed = int('seed', flags.seed ?? '1', 0);
  const limit = flags.limit === undefined ? null : int('limit', flags.limit, 1);
  const backend = await selectBackend(flags.backend ?? 'best');
  out(
    `backend ${backend.name}; ${modelName} on ${dataset}; ${epochs} epoch(s), batch ${batchSize}, Adam lr ${lr}, seed ${seed}\n`,
  );

  const [trainSet, testSet] = await Promise.all([loadSet(dataset, 'train'), loadSet(dataset, 'test')]);
  const flatten = spec.input === 'flat';
  const trainData = imageDataset(limitSet(trainSet, limit), { flatten });
  const testData = imageDataset(testSet, { flatten });
  const trainLoader = new DataLoader(trainData, { batchSize, shuffle: true, seed });
  const testLoader = new DataLoader(testData, { batchSize: 500 });

  manualSeed(seed);
  const model = spec.build(10);
  const optimizer = new Adam(model.parameters(), { lr });
  const history = new History();
  const start = performance.now();
  let pipeline = fit(model, {
    optimizer,
    loss: (pred: Tensor, y: Tensor) => crossEntropy(pred, y),
    data: trainLoader,
    validationData: testLoader,
    epochs,
    metrics: [accuracy()],
  }).pipe(
    history.track(),
    progressBar({
      stream: { write: (s: string) => out(s), isTTY: process.stdout.isTTY, columns: process.stdout.columns },
    }),
  );
  if (flags.out)
    pipeline = pipeline.pipe(modelCheckpoint(flags.out, { model: model as Module, name: 'model' }));
  const last: TrainEvent = await lastValueFrom(pipeline);
  const wall = (performance.now() - start) / 1000;
  if (last.type !== 'fitEnd' && last.type !== 'stopped') return 1;

  // The last validation ran on the final weights; evaluate only if training stopped before one.
  const lastVal = history.validation.at(-1);
  const result =
    lastVal && lastVal.epoch === history.epochs.length - 1
      ? { metrics: lastVal.metrics, samples: testData.length }
      : await evaluate(model, testLoader, { metrics: [accuracy()] });
  const samples = history.epochs.length * trainData.length;
  const throughput =
    history.epochs.reduce((s, e) => s + e.samplesPerSec, 0) / Math.max(1, history.epochs.length);
  out(
    `test accuracy ${(result.metrics.accuracy! * 100).toFixed(2)}% on ${result.samples} images; ` +
      `${samples} training samples in ${wall.toFixed(1)} s wall (${Math.round(throughput)} samples/s while training)\n`,
  );
  if (flags.out) {
    writeMeta(flags.out, { model: modelName!, dataset, accuracy: String(result.metrics.accuracy) });
    out(`saved ${join(flags.out, 'model.safetensors')}\n`);
  }
  model.dispose();
  optimizer.dispose();
  return 0;
}

function writeMeta(dir: string, meta: Record<string, string>): void {
  writeFileSync(join(dir, 'model.json'), `${JSON.stringify(meta, null, 2)}\n`);
}

async function evalCheckpoint(
  path: string | undefined,
  flags: Flags,
  out: (s: string) => void,
): Promise<number> {
  if (!path) throw new Error('eval: give a checkpoint, e.g. myelin eval runs/lenet5/model.safetensors');
  if (!existsSync(path)) throw new Error(`eval: no such file '${path}'`);
  const metaPath = join(path, '..', 'model.json');
  if (!existsSync(metaPath))
    throw new Error(`eval: '${metaPath}' (written by myelin train --out) is missing: it names the model`);
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, string>;
  const spec = checkModel(meta.model);
  const dataset = checkDataset(flags.dataset ?? meta.dataset ?? 'mnist');
  await selectBackend(flags.backend ?? 'best');
  const model = spec.build(10);
  const { tensors } = loadSafetensors(new Uint8Array(readFileSync(path)));
  model.loadStateDict(tensors);
  for (const t of Object.values(tensors)) t.dispose();
  const test = imageDataset(await loadSet(dataset, 'test'), { flatten: spec.input === 'flat' });
  const r = await evaluate(model, new DataLoader(test, { batchSize: 500 }), { metrics: [accuracy()] });
  out(
    `${meta.model} on ${dataset} test: accuracy ${(r.metrics.accuracy! * 100).toFixed(2)}% (${r.samples} images)\n`,
  );
  model.dispose();
  return 0;
}
