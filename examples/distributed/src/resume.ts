/**
 * Step 3 of the example: bring PyTorch's weights back into Myelin, check they give PyTorch's test
 * loss, carry on training here, and export the result to ONNX for ONNX Runtime to serve.
 *
 *   node dist/resume.js runs    (after `node dist/train.js runs` and `python3 ddp_train.py runs`)
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cpuBackend } from '@myelin/backend-cpu';
import { loadSafetensors, manualSeed, scope, type Tensor, use } from '@myelin/core';
import { crossEntropy, type Sequential } from '@myelin/nn';
import { exportOnnx } from '@myelin/onnx';
import { Adam } from '@myelin/optim';
import { fit } from '@myelin/train';
import * as ort from 'onnxruntime-node';
import { lastValueFrom } from 'rxjs';
import { buildModel, digitsTensors, evaluate } from './shared.js';

/** Load `torch-ddp.safetensors` from `dir` into the Myelin MLP; evaluate; train `epochs` more. */
export async function step3(dir: string, options: { epochs?: number } = {}) {
  const file = join(dir, 'torch-ddp.safetensors');
  if (!existsSync(file)) {
    throw new Error(`resume: ${file} is missing; run step 2 first: /usr/bin/python3 ddp_train.py ${dir}`);
  }
  await use(cpuBackend());
  manualSeed(0);
  const data = await digitsTensors();
  const model = buildModel();
  const { tensors } = loadSafetensors(new Uint8Array(await readFile(file)));
  model.loadStateDict(tensors);
  for (const t of Object.values(tensors) as Tensor[]) t.dispose();
  const back = await evaluate(model, data.xTest, data.yTest);
  const epochs = options.epochs ?? 2;
  if (epochs > 0) {
    await lastValueFrom(
      fit(model, {
        optimizer: new Adam(model.parameters(), { lr: 3e-3 }),
        loss: crossEntropy,
        x: data.xTrain,
        y: data.yTrain,
        batchSize: 32,
        epochs,
      }),
    );
  }
  const after = await evaluate(model, data.xTest, data.yTest);
  const served = await serveWithOnnxRuntime(model, data.xTest, data.yTest, join(dir, 'model.onnx'));
  const figures = { back, after, epochs, served };
  await writeFile(join(dir, 'step3.json'), `${JSON.stringify(figures, null, 2)}\n`);
  for (const t of [...Object.values(data), ...model.parameters()]) t.dispose();
  return figures;
}

/**
 * Export `model` to ONNX (symbolic batch), run the test set through ONNX Runtime's CPU engine, and
 * compare its logits with Myelin's.
 */
async function serveWithOnnxRuntime(model: Sequential, x: Tensor, y: Tensor, file: string) {
  const bytes = await exportOnnx(model, x, {
    inputNames: ['pixels'],
    outputNames: ['logits'],
  });
  await writeFile(file, bytes);
  const session = await ort.InferenceSession.create(bytes);
  const [n, f] = x.shape as [number, number];
  const result = await session.run({
    pixels: new ort.Tensor('float32', (await x.data()) as Float32Array, [n, f]),
  });
  const served = result.logits!.data as Float32Array;
  const mine = scope(() => model.forward(x));
  const ours = (await mine.data()) as Float32Array;
  mine.dispose();
  const labels = await y.data();
  let maxDiff = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 0; j < 10; j++) {
      maxDiff = Math.max(maxDiff, Math.abs(served[i * 10 + j]! - ours[i * 10 + j]!));
      if (served[i * 10 + j]! > served[i * 10 + best]!) best = j;
    }
    if (best === labels[i]) correct++;
  }
  await session.release();
  return { file, bytes: bytes.length, maxDiff, accuracy: correct / n };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  const dir = process.argv[2] ?? 'runs';
  const f = await step3(dir);
  const step2 = JSON.parse(await readFile(join(dir, 'step2.json'), 'utf8'));
  const gap = Math.abs(f.back.loss - step2.after.loss);
  console.log(
    `Myelin, back from PyTorch: test loss ${f.back.loss.toFixed(6)} (PyTorch said ${step2.after.loss.toFixed(6)}, |diff| ${gap.toExponential(1)}); ` +
      `after ${f.epochs} more epochs here ${f.after.loss.toFixed(4)}, accuracy ${(100 * f.after.accuracy).toFixed(2)} %`,
  );
  console.log(
    `ONNX Runtime serving ${f.served.file} (${f.served.bytes} bytes): accuracy ${(100 * f.served.accuracy).toFixed(2)} %, ` +
      `logits within ${f.served.maxDiff.toExponential(1)} of Myelin's`,
  );
  if (gap > 1e-4) process.exitCode = 1;
}
