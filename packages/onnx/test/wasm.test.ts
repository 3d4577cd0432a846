import { wasmBackend } from '@myelin/backend-wasm';
import { noGrad, randn, use } from '@myelin/core';
import { GPT } from '@myelin/zoo-transformer';
import { expect, test } from 'vitest';
import { exportOnnx, importOnnx } from '../src/index.js';
import { ids, maxAbsDiff, runOrt } from './helpers.js';

test('export traces on the wasm backend too (GPT-mini in ONNX Runtime, 1e-4)', async () => {
  await use(await wasmBackend());
  const model = new GPT({ vocabSize: 40, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 32, seed: 8 }).eval();
  const tok = ids(
    Array.from({ length: 2 * 10 }, (_, i) => (i * 13 + 1) % 40),
    [2, 10],
  );
  const bytes = await exportOnnx(model, tok);
  const [got] = await runOrt(bytes, [tok]);
  const want = noGrad(() => model.forward(tok));
  expect(maxAbsDiff(got!.data as Float32Array, want.dataSync())).toBeLessThan(1e-4);
  const back = importOnnx(bytes);
  const again = noGrad(() => back.forward(tok));
  expect(maxAbsDiff(again.dataSync(), want.dataSync())).toBeLessThan(1e-5);
  expect(randn([1]).backend.name).toBe('wasm');
});
