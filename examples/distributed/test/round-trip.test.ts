import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSafetensors } from '@myelin/core';
import { afterAll, describe, expect, it } from 'vitest';
import { step3 } from '../src/resume.js';
import { step1 } from '../src/train.js';

const dir = await mkdtemp(join(tmpdir(), 'myelin-distributed-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('distributed example', () => {
  it('step 1 trains and writes the weights under PyTorch nn.Sequential names', async () => {
    const f = await step1(dir, { epochs: 2 });
    expect(f.after.loss).toBeLessThan(f.before.loss * 0.5);
    const { tensors } = loadSafetensors(new Uint8Array(await readFile(join(dir, 'myelin.safetensors'))));
    expect(Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.shape]))).toEqual({
      '0.weight': [64, 64],
      '0.bias': [64],
      '2.weight': [10, 64],
      '2.bias': [10],
    });
    for (const t of Object.values(tensors)) t.dispose();
  });

  it("step 3 reads PyTorch's DDP weights back and gets PyTorch's own test loss", async () => {
    // fixtures/ holds what `python3 ddp_train.py` wrote (PyTorch 1.13, two gloo processes):
    // the trained state dict and the test loss PyTorch computed with it.
    await copyFile(
      new URL('../fixtures/torch-ddp.safetensors', import.meta.url),
      join(dir, 'torch-ddp.safetensors'),
    );
    const torch = JSON.parse(await readFile(new URL('../fixtures/step2.json', import.meta.url), 'utf8'));
    const f = await step3(dir, { epochs: 1 });
    expect(Math.abs(f.back.loss - torch.after.loss)).toBeLessThan(1e-5);
    expect(Math.abs(f.back.accuracy - torch.after.accuracy)).toBeLessThan(1e-6);
    expect(f.after.loss).toBeLessThan(f.back.loss);
    // Served by ONNX Runtime from the exported file: Myelin's logits and accuracy.
    expect(f.served.maxDiff).toBeLessThan(1e-4);
    expect(Math.abs(f.served.accuracy - f.after.accuracy)).toBeLessThan(1e-6);
  });
});
