/**
 * Step 1 of the example: train the MLP in Myelin for a few epochs, then write what PyTorch needs
 * to carry on — the weights under PyTorch's names and the data — as safetensors.
 *
 *   node dist/train.js runs     →  runs/myelin.safetensors, runs/digits.safetensors, runs/step1.json
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cpuBackend } from '@myelin/backend-cpu';
import { manualSeed, saveSafetensors, use } from '@myelin/core';
import { crossEntropy } from '@myelin/nn';
import { Adam } from '@myelin/optim';
import { fit } from '@myelin/train';
import { lastValueFrom } from 'rxjs';
import { buildModel, digitsTensors, evaluate } from './shared.js';

export interface Step1Options {
  epochs?: number;
  seed?: number;
}

/** Train in Myelin and write the hand-over files into `dir`; returns the test figures. */
export async function step1(dir: string, options: Step1Options = {}) {
  await use(cpuBackend());
  manualSeed(options.seed ?? 0);
  const data = await digitsTensors();
  const model = buildModel();
  const before = await evaluate(model, data.xTest, data.yTest);
  const optimizer = new Adam(model.parameters(), { lr: 3e-3 });
  await lastValueFrom(
    fit(model, {
      optimizer,
      loss: crossEntropy,
      x: data.xTrain,
      y: data.yTrain,
      batchSize: 32,
      epochs: options.epochs ?? 3,
      seed: options.seed ?? 0,
    }),
  );
  const after = await evaluate(model, data.xTest, data.yTest);
  await mkdir(dir, { recursive: true });
  // The state dict's keys are already PyTorch's nn.Sequential keys: 0.weight, 0.bias, 2.weight, 2.bias.
  await writeFile(join(dir, 'myelin.safetensors'), await saveSafetensors(model.stateDict()));
  await writeFile(
    join(dir, 'digits.safetensors'),
    await saveSafetensors({
      x_train: data.xTrain,
      y_train: data.yTrain,
      x_test: data.xTest,
      y_test: data.yTest,
    }),
  );
  const figures = { before, after, epochs: options.epochs ?? 3 };
  await writeFile(join(dir, 'step1.json'), `${JSON.stringify(figures, null, 2)}\n`);
  for (const t of [...Object.values(data), ...model.parameters()]) t.dispose();
  return figures;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  const dir = process.argv[2] ?? 'runs';
  const f = await step1(dir);
  console.log(
    `Myelin: test loss ${f.before.loss.toFixed(4)} → ${f.after.loss.toFixed(4)}, ` +
      `accuracy ${(100 * f.after.accuracy).toFixed(2)} % after ${f.epochs} epochs; wrote ${dir}/myelin.safetensors and ${dir}/digits.safetensors`,
  );
}
