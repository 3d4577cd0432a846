import { wasmBackend } from '@myelin/backend-wasm';
import { use } from '@myelin/core';
import { type EmbeddingEvent, mergeRecipes, type ZooEvent } from '@myelin/train';
import { lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipes } from '../src/index.js';
import { metric, optionsOf, runRecipe } from './recipe-run.js';

const embedding = (events: ZooEvent[]) => events.find((e): e is EmbeddingEvent => e.type === 'embedding');
const figure = (events: ZooEvent[], title: string) =>
  events.find((e) => e.type === 'figure' && e.title === title);

describe('zoo-gnn recipes on small real graphs (wasm backend)', () => {
  beforeAll(async () => {
    await use(await wasmBackend());
  });
  afterAll(async () => {
    const { cpuBackend } = await import('@myelin/backend-cpu');
    await use(cpuBackend());
  });

  it('the registry merges under the recipe names', () => {
    const merged = mergeRecipes({ '@myelin/zoo-gnn': recipes });
    expect(Object.keys(merged)).toEqual(Object.keys(recipes).sort());
    expect(Object.keys(merged)).toEqual(
      expect.arrayContaining(['debian-sections', 'gcn-karate', 'sage-sampled']),
    );
  });

  it('a recipe without a data source says how to give one', async () => {
    const r = recipes['gcn-karate']!;
    const run = r.run({ ...optionsOf(r, {}), data: undefined });
    await expect(lastValueFrom(run)).rejects.toThrow('gcn-karate: no data source: pass { data: { karateClub');
  });

  it('node2vec-lesmis: walks + skip-gram separate the 11 groups (nearest-centroid ≥ 70 %), PCA scatter of 77 characters', async () => {
    const r = await runRecipe(recipes['node2vec-lesmis']!, { walksPerNode: '10', epochs: '3' });
    const acc = metric(r.events, 'nearest-centroid accuracy')!;
    console.log(
      `node2vec-lesmis (10 walks/node, 3 epochs): nearest-centroid ${acc.toFixed(3)}, ${r.seconds.toFixed(1)} s`,
    );
    expect(metric(r.events, 'groups')).toBe(11);
    expect(metric(r.events, 'walks')).toBe(770);
    expect(acc).toBeGreaterThanOrEqual(0.7);
    const e = embedding(r.events)!;
    expect(e.points!.shape).toEqual([77, 2]);
    expect(e.points!.labels![0]).toMatch(/^Myriel \(group \d+\)$/);
    expect(r.leaked).toBe(0);
  });

  it('node2vec-karate: the two clubs are told apart by nearest centroid (≥ 85 %)', async () => {
    const r = await runRecipe(recipes['node2vec-karate']!, { walksPerNode: '10', epochs: '3' });
    const acc = metric(r.events, 'nearest-centroid accuracy')!;
    console.log(`node2vec-karate: nearest-centroid ${acc.toFixed(3)}, ${r.seconds.toFixed(1)} s`);
    expect(acc).toBeGreaterThanOrEqual(0.85);
    expect(r.leaked).toBe(0);
  });

  // Last: GCNConv's initialisation leaves undisposed tensors (reported), which the garbage
  // collector may reclaim during a later test and so skew its count.
  it('gcn-karate: 2 labelled members, 3 seeds → ≥ 90 % mean accuracy on the other 32; memory flat across epochs', async () => {
    const r = await runRecipe(recipes['gcn-karate']!, { seeds: '3' });
    const mean = metric(r.events, 'accuracy mean')!;
    console.log(
      `gcn-karate (3 seeds): mean ${mean}, std ${metric(r.events, 'accuracy std')}, ${r.seconds.toFixed(1)} s`,
    );
    expect(metric(r.events, 'test nodes')).toBe(32);
    expect(mean).toBeGreaterThanOrEqual(0.9);
    // Epoch events come from seed 0's run only.
    expect(r.atEpochEnd.length).toBe(200);
    expect(new Set(r.atEpochEnd.slice(1)).size).toBe(1);
    const e = embedding(r.events)!;
    expect(e.points!.shape).toEqual([34, 2]);
    expect(e.points!.labels![0]).toBe('0 (Mr. Hi)');
    expect(e.points!.labels![33]).toBe('33 (Officer)');
    expect(figure(r.events, 'gcn-karate: GCN hidden layer (PCA) by club, seed 0')).toBeDefined();
  });
});
