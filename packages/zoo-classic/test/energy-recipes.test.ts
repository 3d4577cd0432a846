import { wasmBackend } from '@myelin/backend-wasm';
import { memory, use } from '@myelin/core';
import { mergeRecipes, type Recipe, type SamplesEvent } from '@myelin/train';
import { lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { energyRecipes } from '../src/energy/index.js';
import { metric, optionsOf, runRecipe } from './recipe-run.js';

const grid = (events: { type: string }[], title: string) =>
  events.find((e): e is SamplesEvent => e.type === 'samples' && (e as SamplesEvent).title === title);

/** Subscribe, unsubscribe after the `n`-th batch, wait: no event may follow and every tensor goes. */
async function stopsWhenUnsubscribed<O>(recipe: Recipe<O>, raw: Record<string, string>, n: number) {
  const before = memory().tensors;
  let batches = 0;
  let afterStop = 0;
  let stopped = false;
  const sub = recipe.run(optionsOf(recipe, raw)).subscribe((e) => {
    if (stopped) afterStop++;
    if (e.type === 'batchEnd' && ++batches === n) {
      stopped = true;
      queueMicrotask(() => sub.unsubscribe());
    }
  });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  for (let i = 0; i < 1200 && !stopped; i++) await sleep(25);
  for (let i = 0; i < 200 && memory().tensors !== before; i++) await sleep(25);
  await sleep(200);
  return { batches, afterStop, leaked: memory().tensors - before };
}

describe('energy recipes on real data (wasm backend)', () => {
  beforeAll(async () => {
    await use(await wasmBackend());
  });
  afterAll(async () => {
    const { cpuBackend } = await import('@myelin/backend-cpu');
    await use(cpuBackend());
  });

  it('the registry merges and every recipe declares a seed', () => {
    const merged = mergeRecipes({ '@myelin/zoo-classic': energyRecipes });
    expect(Object.keys(merged)).toEqual(Object.keys(energyRecipes).sort());
    for (const r of Object.values(energyRecipes)) expect(r.options.map((o) => o.name)).toContain('seed');
  });

  it("rbm-mnist (100 hidden, 5,000 digits, 2 epochs CD-1): test reconstruction MSE under half the mean image's; memory flat", async () => {
    const r = await runRecipe(energyRecipes['rbm-mnist'], {
      hidden: '100',
      limit: '5000',
      testLimit: '500',
      epochs: '2',
      batchSize: '32',
      lr: '0.1',
      samples: '8',
      filters: '16',
      gibbsSteps: '20',
    });
    const mse = metric(r.events, 'test reconstruction MSE')!;
    const baseline = metric(r.events, 'mean-image MSE')!;
    console.log(
      `rbm-mnist small: test reconstruction MSE ${mse} (mean image ${baseline}) in ${r.seconds.toFixed(1)} s`,
    );
    expect(mse).toBeLessThan(0.5 * baseline);
    expect(r.atEpochEnd).toHaveLength(2);
    expect(r.atEpochEnd[1]).toBe(r.atEpochEnd[0]);
    expect(r.after).toBe(r.before);
    expect(grid(r.events, 'RBM filters')!.images.shape).toEqual([16, 1, 28, 28]);
    expect(grid(r.events, 'RBM reconstructions')!.images.shape).toEqual([8, 1, 28, 28]);
    expect(grid(r.events, 'Gibbs chains from test digits')!.labels!.slice(0, 4)).toEqual([
      '0 steps',
      '1 steps',
      '10 steps',
      '20 steps',
    ]);
  }, 120_000);

  it('dbn-mnist (784-128-64, 5,000 digits, 1 epoch per RBM + 3 fine-tuning): ≥ 88% on 1,000 test digits; memory flat', async () => {
    const r = await runRecipe(energyRecipes['dbn-mnist'], {
      hidden: '128,64',
      limit: '5000',
      testLimit: '1000',
      pretrainEpochs: '1',
      rbmLr: '0.1',
      epochs: '3',
      lr: '0.003',
      batchSize: '32',
      filters: '16',
    });
    const acc = metric(r.events, 'test accuracy')!;
    console.log(`dbn-mnist small: test accuracy ${acc} in ${r.seconds.toFixed(1)} s`);
    expect(acc).toBeGreaterThanOrEqual(0.88);
    // Epoch ends: one per RBM pre-training epoch, then the fine-tuning epochs.
    expect(r.atEpochEnd).toHaveLength(5);
    expect(r.atEpochEnd[4]).toBe(r.atEpochEnd[3]);
    expect(grid(r.events, 'first-layer filters after fine-tuning')!.images.shape).toEqual([16, 1, 28, 28]);
    expect(r.after).toBe(r.before);
  }, 120_000);

  it('hopfield-digits: 5 MNIST digits, 20 % of pixels flipped, 10 probes each: the pseudo-inverse rule recalls all, Hebbian none', async () => {
    const r = await runRecipe(energyRecipes['hopfield-digits'], {
      trials: '10',
      rule: 'all',
      capacity: 'false',
    });
    const rate = metric(r.events, 'recall rate (pseudo-inverse)')!;
    console.log(
      `hopfield-digits (10 probes/digit): recall pseudo-inverse ${rate}, storkey ${metric(r.events, 'recall rate (storkey)')}, ` +
        `hebbian ${metric(r.events, 'recall rate (hebbian)')} in ${r.seconds.toFixed(1)} s`,
    );
    expect(rate).toBe(1);
    // The digits overlap by ~0.6 (shared background): Hebbian crosstalk swamps the signal.
    expect(metric(r.events, 'recall rate (hebbian)')!).toBeLessThan(0.2);
    expect(r.after).toBe(r.before);
    const seq = grid(r.events, 'recall sequences (pseudo-inverse, async)')!;
    expect(seq.images.shape[0] % 5).toBe(0);
    expect(seq.labels![0]).toBe('probe');
    expect(grid(r.events, 'stored patterns')!.labels).toEqual(['0', '1', '2', '3', '4']);
  }, 120_000);

  it('som-iris (6×6 map, 15 epochs): the species separate on the map (purity ≥ 0.9); a U-matrix image; memory flat', async () => {
    const r = await runRecipe(energyRecipes['som-iris'], { rows: '6', cols: '6', epochs: '15', cell: '8' });
    const purity = metric(r.events, 'purity')!;
    console.log(
      `som-iris (6×6): purity ${purity}, QE ${metric(r.events, 'quantization error')}, TE ${metric(r.events, 'topographic error')} in ${r.seconds.toFixed(1)} s`,
    );
    expect(purity).toBeGreaterThanOrEqual(0.9);
    expect(metric(r.events, 'topographic error')!).toBeLessThan(0.2);
    const u = r.events.find((e) => e.type === 'figure' && e.kind === 'image');
    expect(u && u.type === 'figure' && u.kind === 'image' && u.image.shape).toEqual([1, 3, 48, 48]);
    expect(grid(r.events, 'component planes')!.images.shape).toEqual([4, 1, 48, 48]);
    expect(r.atEpochEnd).toHaveLength(15);
    expect(new Set(r.atEpochEnd).size).toBe(1);
    expect(r.after).toBe(r.before);
    const online = await runRecipe(energyRecipes['som-iris'], {
      rows: '6',
      cols: '6',
      epochs: '10',
      mode: 'online',
    });
    expect(metric(online.events, 'purity')!).toBeGreaterThanOrEqual(0.85);
    expect(online.after).toBe(online.before);
  }, 120_000);

  it('lvq-iris (1 prototype per species, 10 epochs, 3 folds): cross-validated accuracy ≥ 0.85; memory flat', async () => {
    const r = await runRecipe(energyRecipes['lvq-iris'], { perClass: '1', epochs: '10', folds: '3' });
    const acc = metric(r.events, 'cv accuracy')!;
    console.log(`lvq-iris (3 folds): cv accuracy ${acc} in ${r.seconds.toFixed(1)} s`);
    expect(acc).toBeGreaterThanOrEqual(0.85);
    expect(r.after).toBe(r.before);
  }, 120_000);

  it('bad options and missing data say what is wrong', async () => {
    const dbn = energyRecipes['dbn-mnist'];
    await expect(lastValueFrom(dbn.run({ ...optionsOf(dbn, {}), hidden: '500,x' }))).rejects.toThrow(
      "dbn-mnist: --hidden must be comma-separated integers ≥ 1 (e.g. 500,500), got '500,x'",
    );
    const hop = energyRecipes['hopfield-digits'];
    await expect(lastValueFrom(hop.run({ ...optionsOf(hop, {}), digits: '1,1' }))).rejects.toThrow(
      "hopfield-digits: --digits must be distinct digits 0–9, comma-separated, got '1,1'",
    );
    const som = energyRecipes['som-iris'];
    await expect(
      lastValueFrom(som.run({ ...optionsOf(som, {}), data: { imageSet: undefined } })),
    ).rejects.toThrow('som-iris: no table source');
    const rbm = energyRecipes['rbm-mnist'];
    await expect(lastValueFrom(rbm.run({ ...optionsOf(rbm, {}), data: undefined }))).rejects.toThrow(
      'rbm-mnist: no data source',
    );
  });

  it('unsubscribing stops rbm-mnist between batches and frees its tensors', async () => {
    const r = await stopsWhenUnsubscribed(
      energyRecipes['rbm-mnist'],
      { hidden: '32', limit: '640', batchSize: '32' },
      3,
    );
    expect([r.batches, r.afterStop, r.leaked]).toEqual([3, 0, 0]);
  });
});
