import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Tensor } from '@myelin/core';
import { DataLoader, takeImages } from '@myelin/data';
import { accuracy, CheckpointError, evaluate, type LoadedCheckpoint, loadCheckpoint } from '@myelin/train';
import { UsageError } from './args.js';
import { BACKEND_CHOICES, selectBackend } from './backends.js';
import { defineCommand } from './command.js';
import { datasetFor, loadSet } from './data.js';
import { DATASETS, type DatasetName, findModel, unknown } from './models.js';
import { CHECKPOINT_NAME } from './train.js';

export const evalCommand = defineCommand({
  name: 'eval',
  args: '<checkpoint>',
  summary: 'test accuracy of a checkpoint (the --out directory of myelin train, or its model.json)',
  flags: [
    {
      name: 'dataset',
      type: 'enum',
      values: ['checkpoint', ...DATASETS],
      default: 'checkpoint',
      help: 'the test images (default: the data set the checkpoint was trained on)',
    },
    { name: 'backend', type: 'enum', values: BACKEND_CHOICES, default: 'best', help: 'where to compute' },
    {
      name: 'limit',
      type: 'integer',
      default: 0,
      min: 0,
      help: 'evaluate on the first N test images (0: all)',
    },
    { name: 'batchSize', type: 'integer', default: 500, min: 1, help: 'images per forward pass' },
  ],
  run: async ([path], f, out) => {
    if (!path) throw new UsageError('eval: which checkpoint? e.g. myelin eval runs/mlp (the --out of train)');
    let dir: string;
    try {
      dir = statSync(path).isDirectory() ? path : dirname(path);
    } catch {
      throw new Error(`eval: no checkpoint at '${path}' (no such file or directory)`);
    }
    await selectBackend(f.backend);
    let ck: LoadedCheckpoint;
    try {
      ck = loadCheckpoint(dir, { name: CHECKPOINT_NAME });
    } catch (e) {
      if (e instanceof CheckpointError && e.reason === 'missing')
        throw new Error(`eval: no checkpoint in '${dir}' (myelin train --out writes one)`);
      throw new Error(`eval: ${(e as Error).message}`);
    }
    const tensors: Tensor[] = Object.values(ck.tensors);
    try {
      const meta = ck.manifest.metadata;
      const spec = findModel(meta.model, 'model in the checkpoint');
      const recorded = meta.dataset as DatasetName;
      if (!(DATASETS as readonly string[]).includes(recorded))
        throw unknown('data set in the checkpoint', String(meta.dataset), DATASETS);
      const dataset = f.dataset === 'checkpoint' ? recorded : f.dataset;
      if (dataset !== recorded)
        out(`note: ${meta.model} was trained on ${recorded}; evaluating on ${dataset}\n`);
      const model = spec.build(10);
      try {
        model.loadStateDict(ck.tensors);
        const test = datasetFor(takeImages(await loadSet(dataset, 'test'), f.limit), spec);
        const r = await evaluate(model, new DataLoader(test, { batchSize: f.batchSize }), {
          metrics: [accuracy()],
        });
        out(
          `${meta.model} on ${dataset} test: accuracy ${(r.metrics.accuracy! * 100).toFixed(2)}% (${r.samples} images; checkpoint of epoch ${ck.manifest.epoch + 1})\n`,
        );
      } finally {
        model.dispose();
      }
    } finally {
      for (const t of tensors) t.dispose();
    }
    return 0;
  },
});
