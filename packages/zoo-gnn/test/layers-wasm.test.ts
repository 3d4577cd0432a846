import { wasmBackend } from '@myelin/backend-wasm';
import { getBackend, use } from '@myelin/core';
import { Linear, ReLU, Sequential } from '@myelin/nn';
import { beforeAll, describe, expect, it } from 'vitest';
import { GATConv, GCNConv, GINConv, RGCNConv, SAGEConv } from '../src/layers/index.js';
import { checkLayerCase, fixtureGraph, fx } from './layers-fixture.js';

// The same PyTorch goldens as layers.test.ts, on the wasm backend (fused sparse kernels where it has them).
beforeAll(async () => {
  await use(await wasmBackend());
});

describe('graph layers on the wasm backend match dense PyTorch', () => {
  const G = fixtureGraph();
  it('runs on wasm', () => {
    expect(getBackend().name).toBe('wasm');
  });
  it('GCNConv (weighted sym, textbook)', () => {
    const conv = new GCNConv(4, 3, { seed: 1 });
    checkLayerCase(conv, fx.gcn.symWeighted, (x) => conv.forward(x, fixtureGraph({ weighted: true })));
    const tb = new GCNConv(4, 3, { normalize: 'textbook', seed: 1 });
    checkLayerCase(tb, fx.gcn.textbook, (x) => tb.forward(x, G));
  });
  it('SAGEConv (mean, max-pool)', () => {
    const mean = new SAGEConv(4, 3, { seed: 1 });
    checkLayerCase(mean, fx.sage.mean, (x) => mean.forward(x, G));
    const max = new SAGEConv(4, 3, { aggregator: 'max', seed: 1 });
    checkLayerCase(max, fx.sage.max, (x) => max.forward(x, G));
  });
  it('GATConv (two concatenated heads)', () => {
    const conv = new GATConv(4, 3, { heads: 2, seed: 1 });
    checkLayerCase(conv, fx.gat.concat, (x) => conv.forward(x, G));
  });
  it('GINConv and RGCNConv', () => {
    const conv = new GINConv(new Sequential(new Linear(4, 5), new ReLU(), new Linear(5, 3)), {
      trainEps: true,
    });
    checkLayerCase(conv, fx.gin, (x) => conv.forward(x, G));
    const r = new RGCNConv(4, 3, 3, { numBases: 2 });
    checkLayerCase(r, fx.rgcn.bases, (x) => r.forward(x, fixtureGraph({ typed: true })));
  });
});
