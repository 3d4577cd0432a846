import { memory, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  batchGraphs,
  Graph,
  NeighborSampler,
  negativeSampling,
  randomEdgeSplit,
  randomNodeSplit,
} from '../src/index.js';

const live = () => memory().tensors;
const pairs = (g: { src: Int32Array; dst: Int32Array }) => Array.from(g.src, (s, i) => `${s}>${g.dst[i]}`);

/** A ring of n nodes stored both ways. */
function ring(n: number, options: { x?: boolean } = {}): Graph {
  const src = Array.from({ length: n }, (_, i) => i);
  const dst = src.map((i) => (i + 1) % n);
  const x = options.x
    ? tensor(
        Float32Array.from({ length: n }, (_, i) => i),
        { shape: [n, 1] },
      )
    : undefined;
  return Graph.fromEdges(n, src, dst, { undirected: true, ...(x ? { x } : {}) });
}

describe('batchGraphs', () => {
  it('is block-diagonal: shifts node ids, concatenates features and labels, sets batch', () => {
    const a = Graph.fromEdges(2, [0], [1], { x: tensor([[1], [2]]), y: [0, 1], edgeWeight: [5] });
    const b = Graph.fromEdges(3, [2, 0], [1, 2], {
      x: tensor([[3], [4], [5]]),
      y: [1, 1, 0],
      edgeWeight: [6, 7],
    });
    const g = batchGraphs([a, b]);
    expect(g.numNodes).toBe(5);
    expect(g.numGraphs).toBe(2);
    expect(Array.from(g.batch!)).toEqual([0, 0, 1, 1, 1]);
    expect(Array.from(g.src)).toEqual([0, 4, 2]);
    expect(Array.from(g.dst)).toEqual([1, 3, 4]);
    expect(Array.from(g.edgeWeight!)).toEqual([5, 6, 7]);
    expect(g.x!.arraySync()).toEqual([[1], [2], [3], [4], [5]]);
    expect(Array.from(g.y!.dataSync())).toEqual([0, 1, 1, 1, 0]);
    for (const h of [a, b, g]) h.dispose();
  });

  it('concatenates graph-level labels into one per graph', () => {
    const gs = [0, 1, 1].map((c, i) =>
      Graph.fromEdges(i + 2, [0], [1], { y: tensor([c], { dtype: 'int32' }) }),
    );
    const g = batchGraphs(gs);
    expect(g.y!.shape).toEqual([3]);
    expect(Array.from(g.y!.dataSync())).toEqual([0, 1, 1]);
    expect(Array.from(g.batch!)).toEqual([0, 0, 1, 1, 1, 2, 2, 2, 2]);
    for (const h of [...gs, g]) h.dispose();
  });

  it('a batch of one graph and a graph with one node', () => {
    const a = Graph.fromEdges(1, [0], [0]);
    const g = batchGraphs([a]);
    expect(g.numGraphs).toBe(1);
    expect(Array.from(g.batch!)).toEqual([0]);
    g.dispose();
    a.dispose();
  });

  it('rejects an empty list, mixed features and a batch of batches', () => {
    expect(() => batchGraphs([])).toThrow(
      'batchGraphs: expected a non-empty array of graphs, got an empty array',
    );
    const a = Graph.fromEdges(2, [0], [1], { x: tensor([[1], [2]]) });
    const b = Graph.fromEdges(2, [0], [1]);
    expect(() => batchGraphs([a, b])).toThrow(
      'batchGraphs: 1 of 2 graphs have node features x; all or none must',
    );
    const c = Graph.fromEdges(2, [0], [1], {
      x: tensor([
        [1, 2],
        [3, 4],
      ]),
    });
    expect(() => batchGraphs([a, c])).toThrow(
      "x of graph 1 has shape [2, 2] float32, but graph 0's is [2, 1] float32",
    );
    const ab = batchGraphs([b, b]);
    expect(() => batchGraphs([ab])).toThrow('graph 0 is already a batch of 2 graphs');
    for (const h of [a, b, c, ab]) h.dispose();
  });

  it('frees what it made', () => {
    const before = live();
    const a = Graph.fromEdges(2, [0], [1], { x: tensor([[1], [2]]), y: [0, 1] });
    const g = batchGraphs([a, a]);
    g.inOffsets();
    expect(g.y!.shape).toEqual([4]);
    expect(g.x!.shape).toEqual([4, 1]);
    g.dispose();
    expect(live()).toBe(before + 1); // a's x
    a.dispose();
    expect(live()).toBe(before);
  });
});

describe('randomNodeSplit', () => {
  it('splits by fractions into disjoint sorted sets, seeded', () => {
    const s = randomNodeSplit(100, { train: 0.6, val: 0.2, seed: 3 });
    expect([s.train.length, s.val.length, s.test.length]).toEqual([60, 20, 20]);
    const all = [...s.train, ...s.val, ...s.test].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (const part of [s.train, s.val, s.test])
      expect(Array.from(part)).toEqual([...part].sort((a, b) => a - b));
    const again = randomNodeSplit(100, { train: 0.6, val: 0.2, seed: 3 });
    expect(Array.from(again.train)).toEqual(Array.from(s.train));
    const other = randomNodeSplit(100, { train: 0.6, val: 0.2, seed: 4 });
    expect(Array.from(other.train)).not.toEqual(Array.from(s.train));
  });

  it('an explicit test fraction leaves the rest out', () => {
    const s = randomNodeSplit(10, { train: 0.5, val: 0.1, test: 0.2, seed: 0 });
    expect([s.train.length, s.val.length, s.test.length]).toEqual([5, 1, 2]);
  });

  it('perClass takes exactly k nodes of each class for training', () => {
    const labels = Array.from({ length: 60 }, (_, i) => i % 3);
    const g = Graph.fromEdges(60, [], [], { y: labels });
    const s = randomNodeSplit(g, { perClass: 4, val: 0.25, seed: 1 });
    expect(s.train.length).toBe(12);
    const counts = [0, 0, 0];
    for (const v of s.train) counts[labels[v]!]!++;
    expect(counts).toEqual([4, 4, 4]);
    expect(s.val.length).toBe(15);
    expect(s.test.length).toBe(60 - 12 - 15);
    expect(new Set([...s.train, ...s.val, ...s.test]).size).toBe(60);
    g.dispose();
  });

  it('errors: no nodes, too few of a class, no labels, fractions over 1', () => {
    expect(() => randomNodeSplit(0, { train: 0.5 })).toThrow(
      'randomNodeSplit: needs at least one node, got 0',
    );
    expect(() => randomNodeSplit(4, { perClass: 2, labels: [0, 0, 0, 1] })).toThrow(
      'randomNodeSplit: class 1 has 1 nodes, fewer than perClass = 2',
    );
    expect(() => randomNodeSplit(4, { perClass: 1 })).toThrow('perClass needs labels');
    expect(() => randomNodeSplit(4, { train: 1.5 })).toThrow('train must be a fraction in [0, 1], got 1.5');
    expect(() => randomNodeSplit(10, { train: 0.8, val: 0.3 })).toThrow(
      'val = 0.3 asks for 3 nodes but only 2 are left',
    );
  });
});

describe('randomEdgeSplit and negativeSampling', () => {
  it('holds out undirected pairs in both directions, and samples as many non-edges', () => {
    const g = ring(40);
    const s = randomEdgeSplit(g, { val: 0.1, test: 0.2, seed: 7 });
    expect(s.valEdges.src.length).toBe(4);
    expect(s.testEdges.src.length).toBe(8);
    expect(s.valNegatives.src.length).toBe(4);
    expect(s.testNegatives.src.length).toBe(8);
    expect(s.train.numEdges).toBe(80 - 2 * 12);
    const train = new Set(pairs(s.train));
    const full = new Set(pairs(g));
    for (const held of [s.valEdges, s.testEdges]) {
      for (const p of pairs(held)) {
        const [a, b] = p.split('>').map(Number);
        expect(a).toBeLessThan(b!);
        expect(full.has(p)).toBe(true);
        expect(train.has(p) || train.has(`${b}>${a}`)).toBe(false);
      }
    }
    const negs = [...pairs(s.valNegatives), ...pairs(s.testNegatives)];
    expect(new Set(negs).size).toBe(negs.length);
    for (const p of negs) {
      const [a, b] = p.split('>').map(Number);
      expect(a).not.toBe(b);
      expect(full.has(p) || full.has(`${b}>${a}`)).toBe(false);
    }
    const again = randomEdgeSplit(g, { val: 0.1, test: 0.2, seed: 7 });
    expect(pairs(again.testEdges)).toEqual(pairs(s.testEdges));
    expect(pairs(again.testNegatives)).toEqual(pairs(s.testNegatives));
    for (const h of [g, s.train, again.train]) h.dispose();
  });

  it('treats a one-way graph as directed', () => {
    const g = Graph.fromEdges(4, [0, 1, 2, 3], [1, 2, 3, 0]);
    const s = randomEdgeSplit(g, { val: 0.25, test: 0.25, seed: 0 });
    expect(s.train.numEdges).toBe(2);
    expect(s.valEdges.src.length + s.testEdges.src.length).toBe(2);
    s.train.dispose();
    g.dispose();
  });

  it('a dense graph: the only non-edges are found by enumeration', () => {
    // Complete graph on 5 nodes minus the pairs {0,1} and {2,3}
    const src: number[] = [];
    const dst: number[] = [];
    for (let a = 0; a < 5; a++) {
      for (let b = a + 1; b < 5; b++) {
        if ((a === 0 && b === 1) || (a === 2 && b === 3)) continue;
        src.push(a);
        dst.push(b);
      }
    }
    const g = Graph.fromEdges(5, src, dst, { undirected: true });
    const neg = negativeSampling(g, 2, { seed: 1 });
    expect(pairs(neg).sort()).toEqual(['0>1', '2>3']);
    expect(() => negativeSampling(g, 3, { seed: 1 })).toThrow(
      'negativeSampling: asked for 3 negative pairs but the graph has only 2 non-edges',
    );
    g.dispose();
  });

  it('errors: no edges, nothing left to train on', () => {
    const e = Graph.fromEdges(3, [], []);
    expect(() => randomEdgeSplit(e, { val: 0.1, test: 0.1 })).toThrow(
      'randomEdgeSplit: the graph has no edges to split',
    );
    const g = ring(4);
    expect(() => randomEdgeSplit(g, { val: 0.5, test: 0.5 })).toThrow('leaves no training edges of 4');
    e.dispose();
  });
});

describe('NeighborSampler', () => {
  /** A star: hub 0 with 20 leaves 1…20 pointing into it, and each leaf fed by 3 nodes of its own. */
  function star(): Graph {
    const src: number[] = [];
    const dst: number[] = [];
    let next = 21;
    for (let leaf = 1; leaf <= 20; leaf++) {
      src.push(leaf);
      dst.push(0);
      for (let k = 0; k < 3; k++) {
        src.push(next++);
        dst.push(leaf);
      }
    }
    return Graph.fromEdges(next, src, dst, {
      x: tensor(
        Float32Array.from({ length: next }, (_, i) => i),
        { shape: [next, 1] },
      ),
    });
  }

  it('seeds come first; each hop takes at most fanout in-edges per node, without replacement', () => {
    const g = star();
    const sampler = new NeighborSampler(g, [5, 2], { seed: 0 });
    const { nodes, graph, numSeeds, edgeIds } = sampler.sample([0]);
    expect(numSeeds).toBe(1);
    expect(nodes[0]).toBe(0);
    // hop 1: 5 of the hub's 20 leaves; hop 2: 2 of each leaf's 3 feeders
    expect(graph.numEdges).toBe(5 + 5 * 2);
    expect(nodes.length).toBe(1 + 5 + 10);
    expect(new Set(edgeIds).size).toBe(edgeIds.length);
    // every local edge is the original edge it names, relabelled
    for (let k = 0; k < graph.numEdges; k++) {
      expect(nodes[graph.src[k]!]).toBe(g.src[edgeIds[k]!]);
      expect(nodes[graph.dst[k]!]).toBe(g.dst[edgeIds[k]!]);
    }
    expect(Array.from(graph.x!.dataSync())).toEqual(Array.from(nodes));
    expect(Array.from(graph.degree('in'))[0]).toBe(5);
    graph.dispose();
    g.dispose();
  });

  it('takes every in-edge when the fanout is −1 or at least the degree', () => {
    const g = star();
    const all = new NeighborSampler(g, [-1, 10], { seed: 0 }).sample([0]);
    expect(all.graph.numEdges).toBe(20 + 60);
    expect(all.nodes.length).toBe(81);
    all.graph.dispose();
    g.dispose();
  });

  it('draws each neighbour with equal probability', () => {
    const g = star();
    const sampler = new NeighborSampler(g, [1], { seed: 11 });
    const counts = new Map<number, number>();
    const draws = 4000;
    for (let i = 0; i < draws; i++) {
      const b = sampler.sample([0]);
      counts.set(b.nodes[1]!, (counts.get(b.nodes[1]!) ?? 0) + 1);
      b.graph.dispose();
    }
    expect(counts.size).toBe(20);
    // 200 expected per leaf; binomial std ≈ 13.8, so ±70 is 5 std
    for (const c of counts.values()) expect(Math.abs(c - draws / 20)).toBeLessThan(70);
    g.dispose();
  });

  it('iterates over all nodes in batches, seeded, memory-flat when each batch is disposed', () => {
    const g = ring(50, { x: true });
    const order = (seed: number) => {
      const out: number[] = [];
      for (const b of new NeighborSampler(g, [2, 2], { batchSize: 8, seed })) {
        out.push(...b.nodes.subarray(0, b.numSeeds));
        b.graph.dispose();
      }
      return out;
    };
    const a = order(5);
    expect(a.length).toBe(50);
    expect(new Set(a).size).toBe(50);
    expect(order(5)).toEqual(a);
    expect(order(6)).not.toEqual(a);
    const sampler = new NeighborSampler(g, [2, 2], { batchSize: 8, seed: 0, shuffle: false });
    expect(sampler.length).toBe(7);
    const before = live();
    let batches = 0;
    for (let epoch = 0; epoch < 3; epoch++) {
      for (const b of sampler) {
        // a ring: each node has 2 in-neighbours, so at most 8 · (1 + 2 + 4) nodes
        expect(b.nodes.length).toBeLessThanOrEqual(8 * 7);
        expect(b.graph.x!.shape[0]).toBe(b.nodes.length);
        b.graph.inOffsets();
        b.graph.dispose();
        batches++;
      }
      expect(live()).toBe(before);
    }
    expect(batches).toBe(21);
    g.dispose();
  });

  it('batches(seeds) covers only the given seeds; a batch of 1', () => {
    const g = ring(10);
    const seen: number[] = [];
    for (const b of new NeighborSampler(g, [1], { batchSize: 1, seed: 0 }).batches([7, 3])) {
      expect(b.numSeeds).toBe(1);
      seen.push(b.nodes[0]!);
      b.graph.dispose();
    }
    expect(seen.sort()).toEqual([3, 7]);
    g.dispose();
  });

  it('errors: empty graph, bad fanouts, bad seeds', () => {
    const e = Graph.fromEdges(0, [], []);
    expect(() => new NeighborSampler(e, [2])).toThrow('NeighborSampler: the graph has no nodes to sample');
    const g = ring(5);
    expect(() => new NeighborSampler(g, [])).toThrow('fanouts must be a non-empty array');
    expect(() => new NeighborSampler(g, [0])).toThrow('fanout 0 is 0; expected a positive integer or −1');
    expect(() => new NeighborSampler(g, [2], { batchSize: 0 })).toThrow(
      'batchSize must be a positive integer, got 0',
    );
    const s = new NeighborSampler(g, [2]);
    expect(() => s.sample([5])).toThrow('NeighborSampler.sample: seed node 0 is 5, out of range for 5 nodes');
    expect(() => s.sample([1, 1])).toThrow('seed node 1 appears twice');
    // the failed batch left nothing behind: node 1 can be a seed again
    const ok = s.sample([1]);
    expect(ok.nodes[0]).toBe(1);
    ok.graph.dispose();
    g.dispose();
    expect(() => s.sample([1])).toThrow('NeighborSampler.sample: the graph has been disposed');
    e.dispose();
  });
});
