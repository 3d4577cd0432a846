import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memory } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

async function run(
  args: string[],
  flags: Record<string, string | boolean> = {},
): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await main(args, flags, (s) => {
    text += s;
  });
  return { code, text };
}

describe('myelin CLI', () => {
  it('models lists what can be trained', async () => {
    const { code, text } = await run(['models']);
    expect(code).toBe(0);
    expect(text).toMatch(/^lenet5 +LeNet-5/m);
    expect(text).toMatch(/^mlp +MLP 784-256-128/m);
  });

  it('unknown models, datasets, backends and commands get helpful errors', async () => {
    await expect(run(['train', 'resnet9000'])).rejects.toThrow(
      "unknown model 'resnet9000' (available: lenet5, mlp, mlp-deep)",
    );
    await expect(run(['train', 'mlp'], { dataset: 'cifar' })).rejects.toThrow(
      "unknown dataset 'cifar' (available: mnist, fashion-mnist)",
    );
    await expect(run(['train', 'mlp'], { backend: 'tpu' })).rejects.toThrow(
      "unknown backend 'tpu' (available: cpu, wasm, webgpu, best)",
    );
    await expect(run(['train', 'mlp'], { epochs: '0' })).rejects.toThrow('--epochs must be an integer ≥ 1');
    await expect(run(['frobnicate'])).rejects.toThrow("unknown command 'frobnicate'");
  });

  it('trains an MLP on 6,000 real MNIST images to ≥ 85% test accuracy, saves it, and eval reloads it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'myelin-cli-'));
    const before = memory().tensors;
    const r = await run(['train', 'mlp'], {
      epochs: '1',
      limit: '6000',
      backend: 'cpu',
      'batch-size': '64',
      seed: '1',
      out: dir,
    });
    expect(r.code).toBe(0);
    const acc = Number(/test accuracy ([\d.]+)% on 10000 images/.exec(r.text)?.[1]);
    expect(acc).toBeGreaterThanOrEqual(85);
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'model.safetensors']);
    const e = await run(['eval', join(dir, 'model.safetensors')], { backend: 'cpu' });
    expect(e.text).toContain(`mlp on mnist test: accuracy ${acc.toFixed(2)}% (10000 images)`);
    // Training, evaluating and reloading leave no tensors behind.
    expect(memory().tensors).toBe(before);
  }, 120_000);
});
