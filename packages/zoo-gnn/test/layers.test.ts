import { memory, noGrad, scope, tensor } from '@myelin/core';
import { Graph } from '@myelin/data';
import { describe, expect, it } from 'vitest';
import { GATConv, GCNConv, SAGEConv } from '../src/layers/index.js';
import { checkLayerCase, expectClose, fixtureGraph, fx, t } from './layers-fixture.js';

const G = fixtureGraph();
const GW = fixtureGraph({ weighted: true });

describe('GCNConv matches dense PyTorch (Kipf & Welling; Aggarwal eq. 10.5)', () => {
  it('sym normalisation with self-loops: D̃^-½(A+I)D̃^-½ X Wᵀ + b, and its gradients', () => {
    const conv = new GCNConv(4, 3, { seed: 1 });
    expect(Object.keys(conv.stateDict())).toEqual(['bias', 'lin.weight']); // PyTorch's order: own parameters, then children
    checkLayerCase(conv, fx.gcn.sym, (x) => conv.forward(x, G));
  });
  it('uses edge weights in the degrees and the messages (PyG gcn_norm)', () => {
    const conv = new GCNConv(4, 3, { seed: 1 });
    checkLayerCase(conv, fx.gcn.symWeighted, (x) => conv.forward(x, GW));
  });
  it('sym without self-loops: D^-½ A D^-½ (node 6 has in-degree 0 and gets the bias alone)', () => {
    const conv = new GCNConv(4, 3, { selfLoops: false, seed: 1 });
    checkLayerCase(conv, fx.gcn.symNoLoops, (x) => conv.forward(x, G));
  });
  it('takes a @myelin/data Graph as it is', () => {
    const g = Graph.fromEdges(7, fx.graph.src, fx.graph.dst, {
      edgeWeight: Float32Array.from(fx.graph.edgeWeight),
    });
    const conv = new GCNConv(4, 3, { seed: 1 });
    checkLayerCase(conv, fx.gcn.symWeighted, (x) => conv.forward(x, g));
    const gat = new GATConv(4, 3, { heads: 2, seed: 1 });
    checkLayerCase(gat, fx.gat.concat, (x) => gat.forward(x, g));
    g.dispose();
  });
  it("normalize 'textbook' is I + Δ^-½ A Δ^-½ (Aggarwal eq. 10.5)", () => {
    const conv = new GCNConv(4, 3, { normalize: 'textbook', seed: 1 });
    checkLayerCase(conv, fx.gcn.textbook, (x) => conv.forward(x, G));
  });
  it("normalize 'none' without self-loops is the plain adjacency sum", () => {
    const conv = new GCNConv(4, 3, { normalize: 'none', selfLoops: false, seed: 1 });
    checkLayerCase(conv, fx.gcn.none, (x) => conv.forward(x, G));
  });
  it('initialises as PyG: Glorot weight within ±√(6/(in+out)), zero bias, no bias on request', () => {
    const conv = new GCNConv(40, 20, { seed: 3 });
    const w = conv.lin.weight.dataSync();
    const bound = Math.sqrt(6 / 60);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect([...conv.bias!.dataSync()].every((v) => v === 0)).toBe(true);
    expect(new GCNConv(4, 3, { bias: false }).bias).toBeNull();
  });
  it('works on a single node and on a graph without edges', () => {
    const conv = new GCNConv(2, 2, { seed: 0, bias: false });
    scope(() => {
      const one = { numNodes: 1, src: new Int32Array(0), dst: new Int32Array(0) };
      const x = tensor([[1, 2]]);
      // one node, one self-loop, degree 1: the output is x·Wᵀ
      expectClose(conv.forward(x, one).dataSync(), [...conv.lin.forward(x).dataSync()], 1e-6);
      const noLoops = new GCNConv(2, 2, { seed: 0, selfLoops: false });
      expect([...noLoops.forward(x, one).dataSync()]).toEqual([0, 0]);
    });
  });
  it('rejects features of the wrong width or row count, naming the layer', () => {
    const conv = new GCNConv(4, 3);
    expect(() => conv.forward(tensor([[1, 2, 3]]), G)).toThrow(
      /GCNConv: node features must have shape \[numNodes, 4\]/,
    );
    expect(() => conv.forward(t(fx.x).slice([0, 5]), G)).toThrow(
      /GCNConv: node features have 5 rows but the graph has 7 nodes/,
    );
    expect(() => new GCNConv(4, 3, { normalize: 'rw' as 'sym' })).toThrow(/GCNConv: normalize must be/);
    expect(() => new GCNConv(0, 3)).toThrow(/GCNConv: inF must be a positive integer, got 0/);
  });
  it('cached: the first graph serves later calls (PyG semantics)', () => {
    const conv = new GCNConv(4, 3, { cached: true, seed: 2 });
    const ref = new GCNConv(4, 3, { seed: 2 });
    scope(() => {
      const x = t(fx.x);
      const a = conv.forward(x, G).dataSync();
      const b = conv.forward(x, GW).dataSync(); // the weighted graph is ignored: cached
      expect([...b]).toEqual([...a]);
      expect([...ref.forward(x, GW).dataSync()]).not.toEqual([...a]);
    });
  });
});

describe('SAGEConv matches dense PyTorch (Hamilton et al.)', () => {
  it("mean aggregator: lin_l(mean_j x_j) + lin_r(x_i), with PyG's parameter names", () => {
    const conv = new SAGEConv(4, 3, { seed: 1 });
    expect(Object.keys(conv.stateDict())).toEqual(['lin_l.weight', 'lin_l.bias', 'lin_r.weight']);
    checkLayerCase(conv, fx.sage.mean, (x) => conv.forward(x, G));
  });
  it('normalize scales each output row to unit L2 norm', () => {
    const conv = new SAGEConv(4, 3, { normalize: true, seed: 1 });
    checkLayerCase(conv, fx.sage.meanNormalize, (x) => conv.forward(x, G));
  });
  it('max-pool aggregator: max_j ReLU(lin x_j), 0 for a node without neighbours', () => {
    const conv = new SAGEConv(4, 3, { aggregator: 'max', seed: 1 });
    expect(Object.keys(conv.stateDict())).toEqual([
      'lin.weight',
      'lin.bias',
      'lin_l.weight',
      'lin_l.bias',
      'lin_r.weight',
    ]);
    checkLayerCase(conv, fx.sage.max, (x) => conv.forward(x, G));
  });
  it('LSTM aggregator: the LSTM over a random order of the neighbours, its last output', () => {
    const conv = new SAGEConv(4, 3, { aggregator: 'lstm', seed: 5 });
    const c = fx.sage.lstm;
    conv.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, t(v as never)])));
    const seen = new Set<string>();
    noGrad(() =>
      scope(() => {
        for (let trial = 0; trial < 6; trial++) {
          const out = conv.forward(t(fx.x), G).dataSync();
          for (let i = 0; i < 7; i++) {
            const row = [...out.slice(i * 3, i * 3 + 3)];
            const options = c.perNode[String(i)] as { order: number[]; out: number[] }[];
            const match = options.findIndex((o) => o.out.every((v, k) => Math.abs(v - row[k]!) < 1e-4));
            expect(match, `node ${i}: ${row} is none of the ${options.length} orders`).toBeGreaterThanOrEqual(
              0,
            );
            seen.add(`${i}:${match}`);
          }
        }
      }),
    );
    // node 0 has 3 neighbours (6 orders): over 6 draws more than one order turns up
    expect([...seen].filter((s) => s.startsWith('0:')).length).toBeGreaterThan(1);
  });
  it('rejects an unknown aggregator and wrong feature widths', () => {
    expect(() => new SAGEConv(4, 3, { aggregator: 'sum' as 'mean' })).toThrow(/SAGEConv: aggregator must be/);
    expect(() => new SAGEConv(4, 3).forward(tensor([[1, 2]]), G)).toThrow(
      /SAGEConv: node features must have shape/,
    );
  });
});

describe('GATConv matches dense PyTorch (Veličković et al.)', () => {
  it('two concatenated heads with self-loops, LeakyReLU 0.2, softmax over incoming edges', () => {
    const conv = new GATConv(4, 3, { heads: 2, seed: 1 });
    expect(Object.keys(conv.stateDict())).toEqual(['att_src', 'att_dst', 'bias', 'lin.weight']);
    checkLayerCase(conv, fx.gat.concat, (x) => conv.forward(x, G));
  });
  it('two averaged heads (concat false)', () => {
    const conv = new GATConv(4, 3, { heads: 2, concat: false, seed: 1 });
    checkLayerCase(conv, fx.gat.mean, (x) => conv.forward(x, G));
  });
  it('without self-loops a node with no incoming edge gets the bias alone (as PyG)', () => {
    const conv = new GATConv(4, 3, { selfLoops: false, seed: 1 });
    checkLayerCase(conv, fx.gat.noLoops, (x) => conv.forward(x, G));
  });
  it('exposes attention weights that sum to 1 over each node’s incoming edges', () => {
    const conv = new GATConv(4, 2, { heads: 3, seed: 4 });
    noGrad(() =>
      scope(() => {
        const { alpha, src, dst } = conv.forwardWithAttention(t(fx.x), G);
        expect(alpha.shape).toEqual([13 + 7, 3]);
        expect(src.length).toBe(20);
        const a = alpha.dataSync();
        for (let node = 0; node < 7; node++) {
          for (let h = 0; h < 3; h++) {
            let s = 0;
            for (let e = 0; e < dst.length; e++) if (dst[e] === node) s += a[e * 3 + h]!;
            expect(s).toBeCloseTo(1, 5);
          }
        }
      }),
    );
  });
  it('recordAttention keeps the last forward call’s weights on the host', () => {
    const conv = new GATConv(4, 2, { heads: 2, seed: 4 });
    noGrad(() =>
      scope(() => {
        expect(conv.lastAttention).toBeNull();
        conv.forward(t(fx.x), G);
        expect(conv.lastAttention).toBeNull();
        conv.recordAttention = true;
        conv.forward(t(fx.x), G);
        const want = conv.forwardWithAttention(t(fx.x), G).alpha.dataSync();
        expect(conv.lastAttention!.heads).toBe(2);
        expect(conv.lastAttention!.src.length).toBe(20);
        expect([...conv.lastAttention!.alpha]).toEqual([...want]);
      }),
    );
  });
  it('attention dropout acts in training only', () => {
    const conv = new GATConv(4, 2, { heads: 2, dropout: 0.5, seed: 4 });
    noGrad(() =>
      scope(() => {
        const x = t(fx.x);
        conv.eval();
        const a = conv.forward(x, G).dataSync();
        expect([...conv.forward(x, G).dataSync()]).toEqual([...a]);
        conv.train();
        expect([...conv.forward(x, G).dataSync()]).not.toEqual([...a]);
      }),
    );
  });
  it('rejects bad options and inputs, naming the layer', () => {
    expect(() => new GATConv(4, 3, { heads: 0 })).toThrow(/GATConv: heads must be a positive integer, got 0/);
    expect(() => new GATConv(4, 3, { dropout: 1 })).toThrow(/GATConv: dropout must be in \[0, 1\)/);
    expect(() => new GATConv(4, 3).forward(t(fx.x), { ...G, numNodes: 8 })).toThrow(
      /GATConv: node features have 7 rows but the graph has 8 nodes/,
    );
  });
});

describe('structure cache', () => {
  it('holds a bounded number of tensors however many graphs pass through', () => {
    const conv = new GCNConv(4, 3, { seed: 0 });
    const x = t(fx.x);
    const before = memory().tensors;
    noGrad(() => {
      for (let i = 0; i < 40; i++) scope(() => conv.forward(x, fixtureGraph()));
    });
    const after = memory().tensors;
    // 16 cached graphs, each a CSR matrix of 3 tensors (+ its row indices at most)
    expect(after - before).toBeLessThanOrEqual(16 * 4);
    x.dispose();
  });
});
