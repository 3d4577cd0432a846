import { existsSync } from 'node:fs';
import { wasmBackend } from '@myelin/backend-wasm';
import { memory, use } from '@myelin/core';
import { FASHION_MNIST_DIR, loadMnist } from '@myelin/data/node';
import { mergeRecipes, type Recipe, type SamplesEvent, type ZooEvent } from '@myelin/train';
import { lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipes } from '../src/index.js';
import { metric, optionsOf, runRecipe } from './recipe-run.js';

/** Fashion-MNIST is Debian's `dataset-fashion-mnist`; where it is missing its tests are skipped. */
const fashion = existsSync(FASHION_MNIST_DIR);

/** Subscribe, unsubscribe after the `n`-th batch, and wait: no event may follow, and every tensor goes. */
async function stopsWhenUnsubscribed<O>(recipe: Recipe<O>, raw: Record<string, string>, n: number) {
  const before = memory().tensors;
  let batches = 0;
  let afterStop = 0;
  let stopped = false;
  const sub = recipe.run(optionsOf(recipe, raw)).subscribe((e) => {
    if (stopped) afterStop++;
    if (e.type === 'batchEnd' && ++batches === n) {
      stopped = true;
      // Unsubscribing from inside next: rxjs unsubscribes once this handler returns.
      queueMicrotask(() => sub.unsubscribe());
    }
  });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  for (let i = 0; i < 1200 && !stopped; i++) await sleep(25);
  // The run stops between batches and frees its model once the body has settled.
  for (let i = 0; i < 200 && memory().tensors !== before; i++) await sleep(25);
  await sleep(300);
  return { batches, afterStop, leaked: memory().tensors - before };
}

describe('zoo-cnn recipes on real data (wasm backend)', () => {
  beforeAll(async () => {
    await use(await wasmBackend());
  });
  afterAll(async () => {
    const { cpuBackend } = await import('@myelin/backend-cpu');
    await use(cpuBackend());
  });

  it('the registry merges, and every recipe declares epochs, batch size, lr, seed and the data limits', () => {
    const merged = mergeRecipes({ '@myelin/zoo-cnn': recipes });
    expect(Object.keys(merged)).toEqual([
      'adversarial-mnist',
      'autoencoder-mnist',
      'lenet5-mnist',
      'resnet-fashion',
      'saliency-mnist',
      'vae-mnist',
    ]);
    for (const r of Object.values(recipes))
      expect(r.options.map((o) => o.name)).toEqual(
        expect.arrayContaining(['epochs', 'batchSize', 'lr', 'seed', 'limit', 'testLimit']),
      );
  });

  it('a recipe without a data source says how to give one', async () => {
    const r = recipes['lenet5-mnist'];
    const run = r.run({ ...optionsOf(r, {}), data: undefined });
    await expect(lastValueFrom(run)).rejects.toThrow('lenet5-mnist: no data source');
  });

  it('lenet5-mnist: 5,000 MNIST images, 2 epochs → ≥ 93% on 1,000 test images; memory flat across epochs', async () => {
    const r = await runRecipe(recipes['lenet5-mnist'], {
      epochs: '2',
      limit: '5000',
      testLimit: '1000',
      batchSize: '32',
      lr: '0.003',
      samples: '16',
    });
    const acc = metric(r.events, 'test accuracy')!;
    console.log(`lenet5-mnist (5,000 images, 2 epochs): test accuracy ${acc} in ${r.seconds.toFixed(1)} s`);
    expect(acc).toBeGreaterThanOrEqual(0.93);
    expect(metric(r.events, 'test images')).toBe(1000);
    expect(r.seconds).toBeLessThan(30);
    expect(r.atEpochEnd).toHaveLength(2);
    expect(r.atEpochEnd[1]).toBe(r.atEpochEnd[0]);
    expect(r.after).toBe(r.before);
    const types = new Set(r.events.map((e) => e.type));
    for (const t of [
      'fitStart',
      'batchEnd',
      'epochEnd',
      'validation',
      'fitEnd',
      'samples',
      'figure',
      'metric',
    ])
      expect([t, types.has(t as ZooEvent['type'])]).toEqual([t, true]);
    const grid = r.events.find((e): e is SamplesEvent => e.type === 'samples')!;
    expect(grid.images.shape).toEqual([16, 1, 28, 28]);
    // The captions say the predicted class, and the true one when they differ.
    const test = await loadMnist({ split: 'test' });
    grid.labels!.forEach((label, i) => {
      const [pred, truth] = label.split(' ≠ ');
      expect(Number(truth ?? pred)).toBe(test.labels[i]);
    });
    const figure = r.events.find((e) => e.type === 'figure')!;
    expect(figure.type === 'figure' && figure.kind === 'chart' && figure.spec.hconcat).toBeTruthy();
  }, 120_000);

  it.skipIf(!fashion)(
    'resnet-fashion (width 8): 3,000 augmented Fashion-MNIST images, 2 epochs → ≥ 55% on 500 test images; memory flat',
    async () => {
      const r = await runRecipe(recipes['resnet-fashion'], {
        epochs: '2',
        limit: '3000',
        testLimit: '500',
        width: '8',
        batchSize: '32',
        samples: '8',
      });
      const acc = metric(r.events, 'test accuracy')!;
      console.log(
        `resnet-fashion (width 8, 3,000 images, 2 epochs): test accuracy ${acc} in ${r.seconds.toFixed(1)} s`,
      );
      // Five runs gave 0.646–0.712: on 2 wasm threads this run is not bit-reproducible from the seed
      // (two identical backward passes of this ResNet differ in the last bits; with 1 thread they
      // agree), so the floor keeps a margin. Chance is 0.1.
      expect(acc).toBeGreaterThanOrEqual(0.55);
      expect(r.atEpochEnd[1]).toBe(r.atEpochEnd[0]);
      expect(r.after).toBe(r.before);
    },
    120_000,
  );

  it('unsubscribing stops a run between batches and frees its tensors', async () => {
    for (const name of fashion
      ? (['lenet5-mnist', 'resnet-fashion'] as const)
      : (['lenet5-mnist'] as const)) {
      const small: Record<string, string> = { limit: '640', batchSize: '32' };
      if (name === 'resnet-fashion') small.width = '8';
      const r = await stopsWhenUnsubscribed(recipes[name], small, 3);
      expect([name, r.batches, r.afterStop]).toEqual([name, 3, 0]);
      // No growth: GC may free earlier tests' dropped tensors during the run; a leak would add.
      expect(r.leaked).toBeLessThanOrEqual(0);
    }
  }, 60_000);
});
