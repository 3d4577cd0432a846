import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuBackend } from '@myelin/backend-cpu';
import { wasmBackend } from '@myelin/backend-wasm';
import { loadSafetensors, noGrad, saveSafetensors, scope, tensor, use } from '@myelin/core';
import { afterAll, describe, expect, test } from 'vitest';
import { resnet18 } from '../src/index.js';
import { fixture, formula, formulaState } from './fixtures.js';

const { resnet18: golden, models } = fixture;
const layout = models.resnet18!.state;

/** torchvision's resnet18 state dict as the generator filled it, rebuilt from the formula. */
const formulaStateDict = () => formulaState(layout, golden.tensors);

const dir = mkdtempSync(join(tmpdir(), 'zoo-cnn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("resnet18 loads a torchvision-layout state dict and gives torchvision's logits", () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    test(`${backend}: logits within 1e-4 of PyTorch 1.13's on a [2, 3, 64, 64] input`, async () => {
      await use(backend === 'cpu' ? cpuBackend() : await wasmBackend());
      const file = join(dir, `resnet18-${backend}.safetensors`);
      // Written by core's safetensors writer, read back from disk, loaded by name.
      const state = formulaStateDict();
      writeFileSync(file, await saveSafetensors(state));
      for (const t of Object.values(state)) t.dispose();
      const { tensors } = loadSafetensors(readFileSync(file));
      const net = resnet18();
      net.loadStateDict(tensors);
      for (const t of Object.values(tensors)) t.dispose();
      net.eval();
      const shape = golden.input_shape;
      const x = tensor(
        formula(
          0,
          shape.reduce((a, b) => a * b, 1),
          1,
          0,
        ),
        { shape },
      );
      const logits = noGrad(() => scope(() => net.forward(x)));
      expect(logits.shape).toEqual([2, 1000]);
      const got = await logits.data();
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - golden.logits[i]!));
      expect(worst).toBeLessThan(1e-4);
      logits.dispose();
      x.dispose();
      net.dispose();
      if (backend === 'wasm') await use(cpuBackend());
    }, 120_000);
  }
});
