import { backward, noGrad, scope, tensor, variable } from '@myelin/core';
import { Linear, ReLU, Sequential } from '@myelin/nn';
import { describe, expect, it } from 'vitest';
import {
  DenseGCNConv,
  DiffPool,
  denseDiffPool,
  GatedGraphConv,
  GINConv,
  globalMaxPool,
  globalMeanPool,
  globalSumPool,
  RGCNConv,
  TopKPooling,
  toDenseBatch,
} from '../src/layers/index.js';
import { checkLayerCase, expectClose, fixtureGraph, fx, type Stored, t } from './layers-fixture.js';

const G = fixtureGraph();
const GT = fixtureGraph({ typed: true });
const GB = fixtureGraph({ batched: true });

describe('GINConv (Xu et al. eq. 4.1) matches dense PyTorch', () => {
  const mlp = () => new Sequential(new Linear(4, 5), new ReLU(), new Linear(5, 3));
  it('nn((1 + ε)·x_i + Σ_j x_j) with a trainable ε, and every gradient (ε included)', () => {
    const conv = new GINConv(mlp(), { trainEps: true, eps: 0.25 });
    expect(Object.keys(conv.stateDict())).toEqual([
      'eps',
      'nn.0.weight',
      'nn.0.bias',
      'nn.2.weight',
      'nn.2.bias',
    ]);
    checkLayerCase(conv, fx.gin, (x) => conv.forward(x, G));
  });
  it('a fixed ε is a buffer, not a parameter', () => {
    const conv = new GINConv(mlp(), { eps: 0.25 });
    expect(conv.namedParameters().map(([k]) => k)).not.toContain('eps');
    expect(conv.namedBuffers().map(([k]) => k)).toEqual(['eps']);
    checkLayerCase(conv, fx.gin, (x) => conv.forward(x, G), { skipParams: ['eps'] });
  });
  it('rejects a non-module MLP and features with the wrong row count', () => {
    expect(() => new GINConv({} as never)).toThrow(/GINConv: expected a Module/);
    expect(() => new GINConv(mlp()).forward(tensor([[1, 2, 3, 4]]), G)).toThrow(
      /GINConv: node features have 1 rows but the graph has 7 nodes/,
    );
  });
});

describe('RGCNConv (Schlichtkrull et al. eqs. 2–3) matches dense PyTorch', () => {
  it('one weight per relation, mean per relation, root weight and bias', () => {
    const conv = new RGCNConv(4, 3, 3, { seed: 0 });
    expect(Object.keys(conv.stateDict())).toEqual(['weight', 'root', 'bias']);
    checkLayerCase(conv, fx.rgcn.full, (x) => conv.forward(x, GT));
  });
  it('basis decomposition W_r = Σ_b comp[r, b]·weight[b]', () => {
    const conv = new RGCNConv(4, 3, 3, { numBases: 2, seed: 0 });
    expect(Object.keys(conv.stateDict())).toEqual(['weight', 'comp', 'root', 'bias']);
    checkLayerCase(conv, fx.rgcn.bases, (x) => conv.forward(x, GT));
  });
  it('needs edge types within [0, numRelations)', () => {
    const conv = new RGCNConv(4, 3, 2);
    scope(() => {
      expect(() => conv.forward(t(fx.x), G)).toThrow(/RGCNConv: the graph has no edgeType/);
      expect(() => conv.forward(t(fx.x), GT)).toThrow(/RGCNConv: edge 2 has type 2, outside \[0, 2\)/);
    });
  });
});

describe('GatedGraphConv (Li et al.) matches dense PyTorch', () => {
  it('pads 4 features to 6 channels, two steps of sum-messages and a GRU cell', () => {
    const conv = new GatedGraphConv(6, 2, { seed: 0 });
    expect(Object.keys(conv.stateDict())).toEqual([
      'weight',
      'rnn.weight_ih',
      'rnn.weight_hh',
      'rnn.bias_ih',
      'rnn.bias_hh',
    ]);
    checkLayerCase(conv, fx.gated, (x) => conv.forward(x, G));
  });
  it('rejects more features than channels', () => {
    expect(() => new GatedGraphConv(3, 1).forward(t(fx.x), G)).toThrow(
      /GatedGraphConv: the input has 4 features, more than the layer's 3 channels/,
    );
  });
});

describe('global pooling', () => {
  for (const [name, pool] of [
    ['sum', globalSumPool],
    ['mean', globalMeanPool],
    ['max', globalMaxPool],
  ] as const) {
    it(`global ${name} pool over a sorted batch vector, host or tensor, and its gradient`, () => {
      const c = fx.pool[name];
      scope(() => {
        const x = variable(t(fx.x));
        const out = pool(x, GB.batch, 3);
        expectClose(out.dataSync(), c.out.data, 1e-5, name);
        backward(out.mul(tensor(c.R, { shape: c.out.shape })).sum());
        expectClose(x.grad!.dataSync(), c.gradX, 1e-5, `${name} grad`);
        // an int32 tensor batch (unsorted path) gives the same
        const viaTensor = pool(t(fx.x), tensor(GB.batch!, { dtype: 'int32' }), 3);
        expectClose(viaTensor.dataSync(), c.out.data, 1e-5, `${name} tensor batch`);
        x.dispose();
      });
    });
  }
  it('no batch vector pools the whole graph; an empty graph id gives zeros; bad batch lengths throw', () => {
    scope(() => {
      const x = tensor([
        [1, 2],
        [3, 4],
      ]);
      expect([...globalSumPool(x).dataSync()]).toEqual([4, 6]);
      expect([...globalMeanPool(x, Int32Array.from([0, 2]), 3).dataSync()]).toEqual([1, 2, 0, 0, 3, 4]);
      // an unsorted batch vector goes through scatterReduce
      expect([...globalMaxPool(x, Int32Array.from([1, 0])).dataSync()]).toEqual([3, 4, 1, 2]);
      expect(() => globalSumPool(x, Int32Array.from([0]))).toThrow(
        /globalSumPool: batch has 1 entries for 2 nodes/,
      );
      expect(() => globalSumPool(x, Int32Array.from([0, 3]), 2)).toThrow(
        /globalSumPool: batch holds graph id 3 but numGraphs is 2/,
      );
    });
  });
});

describe('TopKPooling (Gao & Ji gPool) matches PyTorch', () => {
  it('keeps ⌈ratio·n⌉ nodes per graph by score, gates them by tanh, induces the subgraph', () => {
    const c = fx.pool.topk;
    const pool = new TopKPooling(4, { ratio: 0.5, seed: 0 });
    scope(() => {
      pool.loadStateDict({ weight: t(c.params.weight) });
      const x = variable(t(fx.x));
      const r = pool.forward(x, GB);
      expect([...r.perm]).toEqual(c.perm);
      expect([...r.graph.batch!]).toEqual(c.batch);
      const edges = [...r.graph.src].map((s, e) => [s, r.graph.dst[e]]);
      expect(edges).toEqual(c.edges);
      expectClose(r.x.dataSync(), c.out.data, 1e-5, 'gated x');
      backward(r.x.mul(tensor(c.R, { shape: c.out.shape })).sum());
      expectClose(x.grad!.dataSync(), c.gradX, 1e-5, 'grad x');
      expectClose(pool.weight.grad!.dataSync(), c.grads.weight, 1e-4, 'grad weight');
      x.dispose();
    });
    pool.zeroGrad();
  });
  it('an integer ratio keeps that many nodes (all of a smaller graph); bad ratios throw', () => {
    const pool = new TopKPooling(4, { ratio: 2, seed: 1 });
    noGrad(() =>
      scope(() => {
        const r = pool.forward(t(fx.x), GB);
        expect(r.perm.length).toBe(2 + 2 + 2);
        expect(r.x.shape).toEqual([6, 4]);
      }),
    );
    expect(() => new TopKPooling(4, { ratio: 0 })).toThrow(/TopKPooling: ratio must be in \(0, 1\]/);
    expect(() => new TopKPooling(4, { ratio: 1.5 })).toThrow(/TopKPooling: ratio must be/);
  });
});

describe('dense DiffPool (Ying et al.; Aggarwal §10.5) matches PyTorch', () => {
  it('S = softmax(s), X′ = SᵀX, A′ = SᵀAS, link and entropy losses, and their gradients', () => {
    const c = fx.pool.diffpool;
    const [B, n, f, k] = c.shape as number[];
    scope(() => {
      const x = variable(tensor(c.x, { shape: [B!, n!, f!] }));
      const s = variable(tensor(c.s, { shape: [B!, n!, k!] }));
      const adj = tensor(c.adj, { shape: [B!, n!, n!] });
      const mask = tensor(c.mask, { shape: [B!, n!] });
      const r = denseDiffPool(x, adj, s, mask);
      expectClose(r.x.dataSync(), c.out, 1e-5, 'x');
      expectClose(r.adj.dataSync(), c.outAdj, 1e-5, 'adj');
      expect(r.linkLoss.item()).toBeCloseTo(c.link, 5);
      expect(r.entropyLoss.item()).toBeCloseTo(c.entropy, 5);
      const loss = r.x
        .mul(tensor(c.R1, { shape: r.x.shape }))
        .sum()
        .add(r.adj.mul(tensor(c.R2, { shape: r.adj.shape })).sum())
        .add(r.linkLoss.mul(3))
        .add(r.entropyLoss.mul(5));
      backward(loss);
      expectClose(x.grad!.dataSync(), c.gradX, 1e-4, 'grad x');
      expectClose(s.grad!.dataSync(), c.gradS, 1e-4, 'grad s');
      x.dispose();
      s.dispose();
    });
  });
  it('DenseGCNConv: loops set to 1, D^-½ÂD^-½ XW + b, padded rows masked', () => {
    const c = fx.pool.denseGcn;
    const [B, n, f, o] = c.shape as number[];
    const conv = new DenseGCNConv(f!, o!, { seed: 0 });
    scope(() => {
      conv.loadStateDict({ weight: t(c.params.weight as Stored), bias: t(c.params.bias as Stored) });
      const x = variable(tensor(c.x, { shape: [B!, n!, f!] }));
      const out = conv.forward(
        x,
        tensor(c.adj, { shape: [B!, n!, n!] }),
        tensor(c.mask, { shape: [B!, n!] }),
      );
      expectClose(out.dataSync(), c.out, 1e-5, 'out');
      backward(out.mul(tensor(c.R, { shape: out.shape })).sum());
      expectClose(x.grad!.dataSync(), c.gradX, 1e-5, 'grad x');
      expectClose(conv.weight.grad!.dataSync(), c.grads.weight, 1e-5, 'grad weight');
      expectClose(conv.bias!.grad!.dataSync(), c.grads.bias, 1e-5, 'grad bias');
      x.dispose();
    });
    conv.zeroGrad();
  });
  it('toDenseBatch pads the batched graph and DiffPool pools it to K clusters', () => {
    const within = { ...GB, ...withinGraphEdges() };
    noGrad(() =>
      scope(() => {
        const d = toDenseBatch(t(fx.x), within);
        expect(d.x.shape).toEqual([3, 3, 4]);
        expect([...d.mask.dataSync()]).toEqual([1, 1, 1, 1, 1, 0, 1, 1, 0]);
        // graph 1 is nodes 3, 4: its rows are x[3], x[4], then a zero row
        expectClose(d.x.slice([1, 2]).dataSync(), [...fx.x.data.slice(12, 20), 0, 0, 0, 0], 1e-6);
        const r = new DiffPool(4, 8, 2, { seed: 0 }).forward(d.x, d.adj, d.mask);
        expect(r.x.shape).toEqual([3, 2, 8]);
        expect(r.adj.shape).toEqual([3, 2, 2]);
        // Σ_k S = 1 on real nodes: the pooled adjacency keeps the total edge weight of each graph
        const total = r.adj.sum([1, 2]).dataSync();
        const edges = d.adj.sum([1, 2]).dataSync();
        expectClose(total, [...edges], 1e-4);
      }),
    );
    expect(() => toDenseBatch(t(fx.x), GB)).toThrow(/toDenseBatch: edge 2 joins graphs 1 and 0/);
  });
});

/** The fixture's edges that stay inside one graph of the batch [0,0,0,1,1,2,2]. */
function withinGraphEdges() {
  const b = fx.graph.batch as number[];
  const keep = (fx.graph.src as number[]).map((s, e) => b[s] === b[fx.graph.dst[e]]);
  return {
    src: Int32Array.from((fx.graph.src as number[]).filter((_, e) => keep[e])),
    dst: Int32Array.from((fx.graph.dst as number[]).filter((_, e) => keep[e])),
  };
}
