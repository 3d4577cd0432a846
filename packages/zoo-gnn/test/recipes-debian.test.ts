import { wasmBackend } from '@myelin/backend-wasm';
import { use } from '@myelin/core';
import type { ZooEvent } from '@myelin/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipes } from '../src/index.js';
import { metric, runRecipe } from './recipe-run.js';

/** The live-tensor count is the same at the end of every epoch (after the first, which makes Adam's state). */
function expectFlat(atEpochEnd: number[]) {
  expect(atEpochEnd.length).toBeGreaterThan(1);
  expect(new Set(atEpochEnd.slice(1)).size).toBe(1);
  expect(atEpochEnd[atEpochEnd.length - 1]).toBe(atEpochEnd[0]);
}

const figure = (events: ZooEvent[], title: string) =>
  events.find((e) => e.type === 'figure' && e.title === title);

describe('zoo-gnn recipes on the Debian package graph (wasm backend)', () => {
  beforeAll(async () => {
    await use(await wasmBackend());
  });
  afterAll(async () => {
    const { cpuBackend } = await import('@myelin/backend-cpu');
    await use(cpuBackend());
  });

  // The 2,000 most depended-upon packages, 200 words, 40 epochs; same split and seed for both.
  const small = { maxNodes: '2000', vocabulary: '200', epochs: '40', evalEvery: '5' };

  it('sage-sampled: mini-batches of 64 of 3,000 packages reach ≥ 50 % and a step needs less memory than a full-batch step', async () => {
    const r = await runRecipe(recipes['sage-sampled']!, { maxNodes: '3000', epochs: '2', batchSize: '64' });
    const acc = metric(r.events, 'test accuracy')!;
    const step = metric(r.events, 'mini-batch step bytes')!;
    const full = metric(r.events, 'full-batch step bytes')!;
    console.log(
      `sage-sampled (3,000 packages, 2 epochs): test ${acc.toFixed(3)}, step ${step} B vs full ${full} B, ${r.seconds.toFixed(1)} s`,
    );
    expect(acc).toBeGreaterThanOrEqual(0.5);
    expect(step).toBeGreaterThan(0);
    // On 3,000 packages a batch still reaches a good part of the graph; on all 63,697 the full run
    // measures a step at 1/14 of a full-batch step (README).
    expect(step).toBeLessThan(0.75 * full);
    // A batch of 64 seeds holds at most 64·(1 + 10)·(1 + 5) nodes.
    expect(metric(r.events, 'largest batch (nodes)')).toBeLessThanOrEqual(64 * 11 * 6);
    expectFlat(r.atEpochEnd);
    expect(r.leaked).toBe(0);
  });

  it('gin-graphs: 180 ego-nets of 6 sections, GIN ≥ 50 % on held-out ego-nets (chance 17 %); memory flat, nothing leaked', async () => {
    const r = await runRecipe(recipes['gin-graphs']!, { perClass: '30', epochs: '10' });
    const acc = metric(r.events, 'GIN test accuracy')!;
    const bag = metric(r.events, 'GIN without edges test accuracy')!;
    console.log(
      `gin-graphs (180 ego-nets, 10 epochs): GIN ${acc.toFixed(3)}, without edges ${bag.toFixed(3)}, ${r.seconds.toFixed(1)} s`,
    );
    expect(metric(r.events, 'ego-nets')).toBe(180);
    // Each ego-net holds the centre, ≤ 10 neighbours and ≤ 5 of each of theirs.
    expect(metric(r.events, 'mean nodes per ego-net')).toBeLessThanOrEqual(1 + 10 + 50);
    expect(acc).toBeGreaterThanOrEqual(0.5);
    expect(bag).toBeGreaterThan(1 / 6);
    expectFlat(r.atEpochEnd);
    expect(r.leaked).toBe(0);
  });

  it('debian-sections: on 2,000 packages GCN (≥ 60 %) beats the features-only MLP; memory flat across epochs', async () => {
    // The MLP first: GCNConv's initialisation leaves 2 undisposed tensors per layer (reported to
    // the layers' owner), which the garbage collector may reclaim during a later run.
    const m = await runRecipe(recipes['debian-sections']!, { ...small, model: 'mlp' });
    const g = await runRecipe(recipes['debian-sections']!, { ...small, model: 'gcn' });
    const gcn = metric(g.events, 'gcn test accuracy')!;
    const mlp = metric(m.events, 'mlp test accuracy')!;
    console.log(
      `debian-sections (2,000 packages, 40 epochs): GCN ${gcn.toFixed(3)} (${g.seconds.toFixed(1)} s), MLP ${mlp.toFixed(3)} (${m.seconds.toFixed(1)} s)`,
    );
    expect(metric(g.events, 'packages')).toBe(2000);
    expect(metric(g.events, 'sections')).toBe(54);
    expect(gcn).toBeGreaterThanOrEqual(0.6);
    expect(gcn).toBeGreaterThan(mlp + 0.03);
    expectFlat(g.atEpochEnd);
    expectFlat(m.atEpochEnd);
    expect(m.leaked).toBe(0);
    expect(figure(g.events, 'debian-sections: training loss')).toBeDefined();
    const text = g.events.find((e) => e.type === 'text');
    expect(text && text.type === 'text' && text.text).toMatch(/\| GCN \| /);
  });
});
