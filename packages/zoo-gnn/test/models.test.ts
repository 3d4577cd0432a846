import { argmax, eye, Generator, indexSelect, memory, noGrad, ones, scope, tensor } from '@myelin/core';
import { crossEntropy } from '@myelin/nn';
import { Adam } from '@myelin/optim';
import { describe, expect, it } from 'vitest';
import type { GraphLike } from '../src/layers/graph.js';
import { type GraphModel, gat, gcn, gin, graphSage, mlp, rgcn } from '../src/models.js';

/** A two-block stochastic block model (undirected, both directions stored), labels = block. */
function sbm(n: number, pIn: number, pOut: number, seed: number): GraphLike & { y: Int32Array } {
  const u = new Generator(seed).uniform(n * n);
  const src: number[] = [];
  const dst: number[] = [];
  const y = Int32Array.from({ length: n }, (_, i) => (i < n / 2 ? 0 : 1));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (u[i * n + j]! < (y[i] === y[j] ? pIn : pOut)) {
        src.push(i, j);
        dst.push(j, i);
      }
    }
  }
  return { numNodes: n, src: Int32Array.from(src), dst: Int32Array.from(dst), y };
}

/** Full-batch training on the labelled nodes; accuracy on the others. */
function fit(model: GraphModel, g: GraphLike & { y: Int32Array }, train: number[], steps: number) {
  const n = g.numNodes;
  const x = eye(n);
  const idx = tensor(train, { dtype: 'int32' });
  const labels = tensor(
    train.map((i) => g.y[i]!),
    { dtype: 'int32' },
  );
  const opt = new Adam(model.parameters(), { lr: 0.01, weightDecay: 5e-4 });
  const live: number[] = [];
  model.train();
  for (let s = 0; s < steps; s++) {
    scope(() => {
      opt.zeroGrad();
      const loss = crossEntropy(indexSelect(model.forward(x, g), 0, idx), labels);
      loss.backward();
      opt.step();
    });
    live.push(memory().tensors);
  }
  model.eval();
  const pred = noGrad(() => scope(() => argmax(model.forward(x, g), 1).dataSync()));
  let right = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (train.includes(i)) continue;
    total++;
    if (pred[i] === g.y[i]) right++;
  }
  for (const t of [x, idx, labels]) t.dispose();
  return { accuracy: right / total, live };
}

describe('model builders', () => {
  it('count parameters as PyG does for the Cora configurations (closed forms)', () => {
    // GCN 1433→16→7: 1433·16 + 16 + 16·7 + 7
    const g = gcn({ inF: 1433, hidden: 16, classes: 7 });
    expect(g.numParameters()).toBe(23_063);
    expect(g.summary()).toMatch(/Total params: 23,063/);
    expect(g.summary()).toMatch(/convs\.0\s+GCNConv\s+22,944/);
    // GAT 8 heads × 8 → 1 head × 7: (1433·64 + 3·64) + (64·7 + 3·7)
    expect(gat({ inF: 1433, hidden: 8, classes: 7, heads: 8 }).numParameters()).toBe(92_373);
    // GraphSAGE mean 1433→16→7: (2·1433·16 + 16) + (2·16·7 + 7)
    expect(graphSage({ inF: 1433, hidden: 16, classes: 7 }).numParameters()).toBe(46_103);
    // MLP 1433→16→7
    expect(mlp({ inF: 1433, hidden: 16, classes: 7 }).numParameters()).toBe(1433 * 16 + 16 + 16 * 7 + 7);
    // three layers: two hidden GCN layers
    expect(gcn({ inF: 10, hidden: 4, classes: 2, layers: 3 }).convs.map((c) => [c.inF, c.outF])).toEqual([
      [10, 4],
      [4, 4],
      [4, 2],
    ]);
  });

  it('name parameters as PyG’s models (convs.0.lin.weight …)', () => {
    expect(Object.keys(gcn({ inF: 3, hidden: 2, classes: 2 }).stateDict())).toEqual([
      'convs.0.bias',
      'convs.0.lin.weight',
      'convs.1.bias',
      'convs.1.lin.weight',
    ]);
    expect(Object.keys(graphSage({ inF: 3, hidden: 2, classes: 2, layers: 1 }).stateDict())).toEqual([
      'convs.0.lin_l.weight',
      'convs.0.lin_l.bias',
      'convs.0.lin_r.weight',
    ]);
  });

  it('a single-layer model maps features straight to classes', () => {
    const m = gcn({ inF: 5, hidden: 3, classes: 2, layers: 1 });
    expect(m.convs.length).toBe(1);
    expect([m.convs[0]!.inF, m.convs[0]!.outF]).toEqual([5, 2]);
  });

  it('reject bad sizes, naming the builder', () => {
    expect(() => gcn({ inF: 0, hidden: 3, classes: 2 })).toThrow(
      /gcn: inF must be a positive integer, got 0/,
    );
    expect(() => gat({ inF: 3, hidden: 3, classes: 2, heads: 1.5 })).toThrow(
      /gat: heads must be a positive integer/,
    );
    expect(() => graphSage({ inF: 3, hidden: 3, classes: 2, dropout: 1 })).toThrow(
      /graphSage: dropout must be in \[0, 1\)/,
    );
    expect(() => mlp({ inF: 3, hidden: 3, classes: 2, layers: 0 })).toThrow(
      /mlp: layers must be a positive integer, got 0/,
    );
  });

  it('GCN, GraphSAGE and GAT label a stochastic block model from 4 seeds per block; the MLP cannot', () => {
    const g = sbm(40, 0.3, 0.02, 7);
    const train = [0, 1, 2, 3, 20, 21, 22, 23];
    const opts = { inF: 40, hidden: 16, classes: 2, dropout: 0.2, seed: 0 };
    expect(fit(gcn(opts), g, train, 60).accuracy).toBeGreaterThanOrEqual(0.9);
    expect(fit(graphSage(opts), g, train, 60).accuracy).toBeGreaterThanOrEqual(0.9);
    expect(fit(gat({ ...opts, hidden: 4, heads: 4 }), g, train, 60).accuracy).toBeGreaterThanOrEqual(0.9);
    // identity features carry nothing about an unlabelled node: chance level
    expect(fit(mlp(opts), g, train, 60).accuracy).toBeLessThan(0.75);
  });

  it('20 GCN training steps leave memory() flat', () => {
    const g = sbm(30, 0.3, 0.05, 3);
    const { live } = fit(gcn({ inF: 30, hidden: 8, classes: 2, seed: 1 }), g, [0, 1, 15, 16], 20);
    // after the first step (the optimizer's state and the graph's cached structure appear) nothing grows
    expect(new Set(live.slice(1)).size).toBe(1);
  });
});

/** Cycles (label 0) and paths (label 1) of 4 … 11 nodes, batched block-diagonally. */
function cyclesAndPaths(): GraphLike & { y: number[] } {
  const src: number[] = [];
  const dst: number[] = [];
  const batch: number[] = [];
  const y: number[] = [];
  let base = 0;
  for (let n = 4; n < 12; n++) {
    for (const cycle of [true, false]) {
      const g = y.length;
      for (let i = 0; i < n; i++) batch.push(g);
      for (let i = 0; i < (cycle ? n : n - 1); i++) {
        const a = base + i;
        const b = base + ((i + 1) % n);
        src.push(a, b);
        dst.push(b, a);
      }
      y.push(cycle ? 0 : 1);
      base += n;
    }
  }
  return {
    numNodes: base,
    src: Int32Array.from(src),
    dst: Int32Array.from(dst),
    batch: Int32Array.from(batch),
    numGraphs: y.length,
    y,
  };
}

describe('gin and rgcn builders', () => {
  it('GIN counts its parameters (closed form) and tells cycles from paths with constant features', () => {
    const model = gin({ inF: 1, hidden: 8, classes: 2, layers: 2, dropout: 0, seed: 0 });
    // conv 0: (1·8+8) + 2·8 (BatchNorm) + (8·8+8); conv 1: (8·8+8) + 16 + 72; head: 72 + (8·2+2)
    expect(model.numParameters()).toBe(16 + 16 + 72 + 72 + 16 + 72 + 72 + 18);
    const g = cyclesAndPaths();
    const x = ones([g.numNodes, 1]);
    const labels = tensor(g.y, { dtype: 'int32' });
    const opt = new Adam(model.parameters(), { lr: 0.01 });
    for (let s = 0; s < 150; s++) {
      scope(() => {
        opt.zeroGrad();
        const logits = model.forward(x, g);
        expect(logits.shape).toEqual([16, 2]);
        crossEntropy(logits, labels).backward();
        opt.step();
      });
    }
    model.eval();
    const pred = noGrad(() => scope(() => argmax(model.forward(x, g), 1).dataSync()));
    expect([...pred]).toEqual(g.y);
    x.dispose();
    labels.dispose();
  });
  it('R-GCN: per-relation weights (or bases) per layer; needs edge types', () => {
    expect(rgcn({ inF: 6, hidden: 4, classes: 3, numRelations: 5 }).numParameters()).toBe(
      5 * 6 * 4 + 6 * 4 + 4 + (5 * 4 * 3 + 4 * 3 + 3),
    );
    expect(rgcn({ inF: 6, hidden: 4, classes: 3, numRelations: 5, numBases: 2 }).numParameters()).toBe(
      2 * 6 * 4 + 5 * 2 + 6 * 4 + 4 + (2 * 4 * 3 + 5 * 2 + 4 * 3 + 3),
    );
    const m = rgcn({ inF: 2, hidden: 4, classes: 3, numRelations: 2, seed: 0 });
    const g = {
      numNodes: 3,
      src: Int32Array.from([0, 1]),
      dst: Int32Array.from([1, 2]),
      edgeType: Int32Array.from([0, 1]),
    };
    noGrad(() => scope(() => expect(m.eval().forward(ones([3, 2]), g).shape).toEqual([3, 3])));
    expect(() => rgcn({ inF: 2, hidden: 4, classes: 3, numRelations: 0 })).toThrow(
      /rgcn: numRelations must be a positive integer/,
    );
  });
});
