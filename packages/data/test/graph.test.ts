import { type CsrMatrix, indexSelect, memory, randn, scope, segmentReduce, spmm, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { Graph } from '../src/index.js';

const live = () => memory().tensors;
const S6 = 1 / Math.sqrt(6);
const S2 = 1 / Math.sqrt(2);

/** The dense (R, C) matrix a CSR stands for (parallel entries added up). */
function dense(a: CsrMatrix): number[][] {
  const [r, c] = a.shape;
  const out = Array.from({ length: r }, () => new Array<number>(c).fill(0));
  const v = a.values.dataSync();
  for (let i = 0; i < r; i++) {
    for (let k = a.hostRowPtr[i]!; k < a.hostRowPtr[i + 1]!; k++) out[i]![a.hostColIdx[k]!]! += v[k]!;
  }
  return out;
}

function expectClose(got: number[][], want: number[][]): void {
  expect(got.length).toBe(want.length);
  for (const [i, row] of got.entries()) {
    for (const [j, v] of row.entries()) expect(v, `entry (${i}, ${j})`).toBeCloseTo(want[i]![j]!, 6);
  }
}

/** The undirected path 0 – 1 – 2 (four directed edges). */
const path3 = () => Graph.fromEdges(3, [0, 1, 1, 2], [1, 0, 2, 1]);
/** Directed, weighted: 0 → 1 (2), 2 → 1 (3), 1 → 0 (1). */
const weighted = () => Graph.fromEdges(3, [0, 2, 1], [1, 1, 0], { edgeWeight: [2, 3, 1] });

describe('Graph.fromEdges', () => {
  it('keeps the COO edges, counts, and defaults to one graph', () => {
    const g = Graph.fromEdges(4, [0, 1, 2], [1, 2, 3]);
    expect(g.numNodes).toBe(4);
    expect(g.numEdges).toBe(3);
    expect(Array.from(g.src)).toEqual([0, 1, 2]);
    expect(Array.from(g.dst)).toEqual([1, 2, 3]);
    expect(g.numGraphs).toBe(1);
    expect(g.batch).toBeUndefined();
    expect(g.x).toBeUndefined();
    g.dispose();
  });

  it('names the edge, the index and the node count when an index is out of range', () => {
    expect(() => Graph.fromEdges(3, [0, 1], [1, 3])).toThrow(
      'Graph.fromEdges: edge 1 has dst 3, out of range for 3 nodes (expected an integer in [0, 3))',
    );
    expect(() => Graph.fromEdges(3, [0, -1], [1, 2])).toThrow('edge 1 has src -1, out of range for 3 nodes');
    expect(() => Graph.fromEdges(3, [0.5], [1])).toThrow('edge 0 has src 0.5');
    expect(() => Graph.fromEdges(3, [0, 1], [1])).toThrow(
      'src and dst must have one entry per edge, got 2 and 1',
    );
    expect(() => Graph.fromEdges(-1, [], [])).toThrow('numNodes must be an integer in [0, 2^31), got -1');
    expect(() => Graph.fromEdges(2.5, [], [])).toThrow('got 2.5');
  });

  it('rejects features, labels, weights and types that do not match', () => {
    const x = randn([4, 2]);
    expect(() => Graph.fromEdges(3, [0], [1], { x })).toThrow(
      'Graph.fromEdges: x must have shape [3, F] (one row per node), got [4, 2]',
    );
    x.dispose();
    expect(() => Graph.fromEdges(3, [0], [1], { y: [0, 1] })).toThrow(
      'y has 2 labels, expected one per node (3)',
    );
    expect(() => Graph.fromEdges(3, [0], [1], { y: [0, 1, 0.5] })).toThrow(
      'label 2 is 0.5, expected an int32',
    );
    expect(() => Graph.fromEdges(3, [0], [1], { edgeWeight: [1, 2] })).toThrow(
      'edgeWeight has 2 entries for 1 edges',
    );
    expect(() => Graph.fromEdges(3, [0], [1], { edgeWeight: [Number.NaN] })).toThrow('edgeWeight 0 is NaN');
    expect(() => Graph.fromEdges(3, [0], [1], { edgeType: [-1] })).toThrow(
      'edgeType 0 is -1, expected a non-negative integer',
    );
    const attr = randn([2, 4]);
    expect(() => Graph.fromEdges(3, [0], [1], { edgeAttr: attr })).toThrow(
      'edgeAttr must have one row per edge (1)',
    );
    attr.dispose();
  });

  it('accepts an empty graph (0 nodes, 0 edges)', () => {
    const g = Graph.fromEdges(0, [], []);
    expect(g.numEdges).toBe(0);
    expect(Array.from(g.inCsr().offsets)).toEqual([0]);
    expect(g.adjacency().shape).toEqual([0, 0]);
    g.dispose();
  });

  it('makes y an int32 tensor from host labels', () => {
    const g = Graph.fromEdges(3, [0], [1], { y: [2, 0, 1] });
    expect(g.y!.dtype).toBe('int32');
    expect(Array.from(g.y!.dataSync())).toEqual([2, 0, 1]);
    expect(Array.from(g.labels!)).toEqual([2, 0, 1]);
    g.dispose();
  });

  it('undirected: stores each pair both ways once, sorted by (src, dst)', () => {
    const g = Graph.fromEdges(3, [0, 1, 1, 2], [1, 0, 2, 2], { undirected: true });
    expect(Array.from(g.src)).toEqual([0, 1, 1, 2, 2]);
    expect(Array.from(g.dst)).toEqual([1, 0, 2, 1, 2]);
    expect(g.isUndirected()).toBe(true);
    g.dispose();
  });
});

describe('destination-sorted views', () => {
  it('inCsr sorts stably by destination and records the permutation', () => {
    // Edges: 0: 2→0, 1: 0→2, 2: 1→0, 3: 0→1, 4: 2→2
    const g = Graph.fromEdges(3, [2, 0, 1, 0, 2], [0, 2, 0, 1, 2]);
    const { offsets, src, dst, perm } = g.inCsr();
    expect(Array.from(offsets)).toEqual([0, 2, 3, 5]);
    expect(Array.from(perm)).toEqual([0, 2, 3, 1, 4]);
    expect(Array.from(src)).toEqual([2, 1, 0, 0, 2]);
    expect(Array.from(dst)).toEqual([0, 0, 1, 2, 2]);
    expect(Array.from(g.inOffsets().dataSync())).toEqual([0, 2, 3, 5]);
    expect(g.inOffsets().dtype).toBe('int32');
    expect(Array.from(g.sortedSrc().dataSync())).toEqual([2, 1, 0, 0, 2]);
    expect(Array.from(g.sortedDst().dataSync())).toEqual([0, 0, 1, 2, 2]);
    expect(Array.from(g.inPerm().dataSync())).toEqual([0, 2, 3, 1, 4]);
    g.dispose();
  });

  it('segmentReduce over sortedSrc messages gives the mean of each node’s in-neighbours', () => {
    const g = path3();
    const x = tensor([
      [1, 10],
      [2, 20],
      [4, 40],
    ]);
    const mean = scope(() => segmentReduce(indexSelect(x, 0, g.sortedSrc()), g.inOffsets(), 'mean'));
    // node 0 ← 1; node 1 ← 0, 2; node 2 ← 1
    expect(mean.arraySync()).toEqual([
      [2, 20],
      [2.5, 25],
      [2, 20],
    ]);
    mean.dispose();
    x.dispose();
    g.dispose();
  });

  it('the kept tensors survive scopes, are made once, and dispose() frees them', () => {
    const before = live();
    const g = path3();
    const a = scope(() => g.inOffsets());
    expect(a.isDisposed).toBe(false);
    expect(g.inOffsets()).toBe(a);
    scope(() => {
      g.sortedSrc();
      g.sortedDst();
      g.sortedEdgeWeight();
      g.adjacency({ normalize: 'sym', selfLoops: true });
    });
    expect(live()).toBeGreaterThan(before);
    g.dispose();
    expect(a.isDisposed).toBe(true);
    expect(live()).toBe(before);
    expect(() => g.inOffsets()).toThrow('Graph.inOffsets: the graph has been disposed');
  });

  it('sortedEdgeWeight and sortedEdgeType follow the destination order', () => {
    const g = Graph.fromEdges(3, [0, 2, 1], [1, 1, 0], { edgeWeight: [2, 3, 1], edgeType: [5, 6, 7] });
    expect(Array.from(g.sortedEdgeWeight().dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(g.sortedEdgeType().dataSync())).toEqual([7, 5, 6]);
    g.dispose();
    const h = path3();
    expect(Array.from(h.sortedEdgeWeight().dataSync())).toEqual([1, 1, 1, 1]);
    expect(() => h.sortedEdgeType()).toThrow('the graph has no edge types');
    h.dispose();
  });
});

describe('degree', () => {
  it('counts in- and out-edges, or sums weights', () => {
    const g = weighted();
    expect(Array.from(g.degree())).toEqual([1, 2, 0]);
    expect(Array.from(g.degree('in'))).toEqual([1, 2, 0]);
    expect(Array.from(g.degree('out'))).toEqual([1, 1, 1]);
    expect(Array.from(g.degree('in', { weighted: true }))).toEqual([1, 5, 0]);
    expect(() => g.degree('both' as 'in')).toThrow("direction must be 'in' or 'out', got \"both\"");
    g.dispose();
  });
});

describe('adjacency (rows = destination, columns = source), against dense closed forms', () => {
  it("'none' on the path 0–1–2 is A itself", () => {
    const g = path3();
    expectClose(dense(g.adjacency()), [
      [0, 1, 0],
      [1, 0, 1],
      [0, 1, 0],
    ]);
    g.dispose();
  });

  it("'sym' with self-loops is Kipf–Welling D̃^-½(A+I)D̃^-½ (d̃ = 2, 3, 2)", () => {
    const g = path3();
    expectClose(dense(g.adjacency({ selfLoops: true, normalize: 'sym' })), [
      [1 / 2, S6, 0],
      [S6, 1 / 3, S6],
      [0, S6, 1 / 2],
    ]);
    g.dispose();
  });

  it("'sym' without self-loops is D^-½AD^-½ (d = 1, 2, 1)", () => {
    const g = path3();
    expectClose(dense(g.adjacency({ normalize: 'sym' })), [
      [0, S2, 0],
      [S2, 0, S2],
      [0, S2, 0],
    ]);
    g.dispose();
  });

  it("'textbook' is Aggarwal's I + D^-½AD^-½", () => {
    const g = path3();
    expectClose(dense(g.adjacency({ normalize: 'textbook' })), [
      [1, S2, 0],
      [S2, 1, S2],
      [0, S2, 1],
    ]);
    g.dispose();
  });

  it("'rw' makes every non-empty row sum to 1 (the mean of incoming messages)", () => {
    const g = path3();
    expectClose(dense(g.adjacency({ normalize: 'rw' })), [
      [0, 1, 0],
      [0.5, 0, 0.5],
      [0, 1, 0],
    ]);
    expectClose(dense(g.adjacency({ normalize: 'rw', selfLoops: true })), [
      [0.5, 0.5, 0],
      [1 / 3, 1 / 3, 1 / 3],
      [0, 0.5, 0.5],
    ]);
    g.dispose();
  });

  it('a directed weighted graph: entry (dst, src) holds the weight; a node with no in-edges gets a zero row', () => {
    const g = weighted();
    expectClose(dense(g.adjacency()), [
      [0, 1, 0],
      [2, 0, 3],
      [0, 0, 0],
    ]);
    expectClose(dense(g.adjacency({ normalize: 'rw' })), [
      [0, 1, 0],
      [2 / 5, 0, 3 / 5],
      [0, 0, 0],
    ]);
    // Weighted in-degrees 1, 5, 0; 1/√0 is taken as 0, as PyTorch Geometric's gcn_norm does.
    expectClose(dense(g.adjacency({ normalize: 'sym' })), [
      [0, 1 / Math.sqrt(5), 0],
      [2 / Math.sqrt(5), 0, 0],
      [0, 0, 0],
    ]);
    g.dispose();
  });

  it('spmm(A, X) sums each node’s incoming messages', () => {
    const g = weighted();
    const x = tensor([
      [1, 0],
      [0, 1],
      [10, 100],
    ]);
    const y = spmm(g.adjacency(), x);
    expect(y.arraySync()).toEqual([
      [0, 1],
      [32, 300],
      [0, 0],
    ]);
    x.dispose();
    y.dispose();
    g.dispose();
  });

  it('existing self-loops are kept, not doubled, by selfLoops (add_remaining_self_loops)', () => {
    const g = Graph.fromEdges(2, [0, 0], [0, 1], { edgeWeight: [4, 1] });
    expectClose(dense(g.adjacency({ selfLoops: true })), [
      [4, 0],
      [1, 1],
    ]);
    g.dispose();
  });

  it('is cached per options and rejects an unknown normalisation', () => {
    const g = path3();
    expect(g.adjacency({ normalize: 'sym' })).toBe(g.adjacency({ normalize: 'sym' }));
    expect(g.adjacency({ normalize: 'sym' })).not.toBe(g.adjacency({ normalize: 'rw' }));
    expect(() => g.adjacency({ normalize: 'l2' as 'sym' })).toThrow(
      "Graph.adjacency: normalize must be 'none', 'sym', 'rw' or 'textbook', got \"l2\"",
    );
    g.dispose();
  });
});

describe('derived graphs', () => {
  it('withSelfLoops adds a loop to each node lacking one, after the old edges; withoutSelfLoops removes them', () => {
    const g = Graph.fromEdges(3, [0, 1, 1], [1, 1, 2], { edgeWeight: [5, 6, 7] });
    const l = g.withSelfLoops({ weight: 2 });
    expect(Array.from(l.src)).toEqual([0, 1, 1, 0, 2]);
    expect(Array.from(l.dst)).toEqual([1, 1, 2, 0, 2]);
    expect(Array.from(l.edgeWeight!)).toEqual([5, 6, 7, 2, 2]);
    const n = l.withoutSelfLoops();
    expect(Array.from(n.src)).toEqual([0, 1]);
    expect(Array.from(n.dst)).toEqual([1, 2]);
    expect(Array.from(n.edgeWeight!)).toEqual([5, 7]);
    expect(n.hasSelfLoops()).toBe(false);
    expect(l.hasSelfLoops()).toBe(true);
    for (const h of [g, l, n]) h.dispose();
  });

  it('withSelfLoops needs a type for the loops of a typed graph, and fills edge features', () => {
    const attr = tensor([
      [1, 2],
      [3, 4],
    ]);
    const g = Graph.fromEdges(2, [0, 1], [1, 0], { edgeType: [1, 1], edgeAttr: attr });
    expect(() => g.withSelfLoops()).toThrow('the graph has edge types; pass { edgeType } for the new loops');
    const l = g.withSelfLoops({ edgeType: 0, edgeAttr: 0 });
    expect(Array.from(l.edgeType!)).toEqual([1, 1, 0, 0]);
    expect(l.edgeAttr!.arraySync()).toEqual([
      [1, 2],
      [3, 4],
      [0, 0],
      [0, 0],
    ]);
    l.dispose();
    g.dispose();
  });

  it('toUndirected dedupes pairs and gives both directions the first occurrence’s weight', () => {
    // 0→1 (w 1), 1→0 (w 9: a repeat of the pair), 2→1 (w 3), 2→1 again (w 4)
    const g = Graph.fromEdges(3, [0, 1, 2, 2], [1, 0, 1, 1], { edgeWeight: [1, 9, 3, 4] });
    const u = g.toUndirected();
    expect(Array.from(u.src)).toEqual([0, 1, 1, 2]);
    expect(Array.from(u.dst)).toEqual([1, 0, 2, 1]);
    expect(Array.from(u.edgeWeight!)).toEqual([1, 1, 3, 3]);
    expect(u.isUndirected()).toBe(true);
    expect(g.isUndirected()).toBe(false);
    u.dispose();
    g.dispose();
  });

  it('subgraph relabels nodes in the given order, keeps the induced edges and gathers x and y', () => {
    const x = tensor([[0], [10], [20], [30]]);
    const g = Graph.fromEdges(4, [0, 1, 2, 3, 3], [1, 2, 3, 0, 2], {
      x,
      y: [5, 6, 7, 8],
      edgeWeight: [1, 2, 3, 4, 5],
    });
    const s = g.subgraph([3, 2, 0]);
    expect(s.numNodes).toBe(3);
    // kept: 2→3 (w 3), 3→0 (w 4), 3→2 (w 5); local: 3 ↦ 0, 2 ↦ 1, 0 ↦ 2
    expect(Array.from(s.src)).toEqual([1, 0, 0]);
    expect(Array.from(s.dst)).toEqual([0, 2, 1]);
    expect(Array.from(s.edgeWeight!)).toEqual([3, 4, 5]);
    expect(s.x!.arraySync()).toEqual([[30], [20], [0]]);
    expect(Array.from(s.y!.dataSync())).toEqual([8, 7, 5]);
    const attr = tensor([[1], [2], [3], [4], [5]]);
    const ga = Graph.fromEdges(4, [0, 1, 2, 3, 3], [1, 2, 3, 0, 2], { edgeAttr: attr });
    const sa = ga.subgraph([3, 2, 0]);
    expect(sa.edgeAttr!.arraySync()).toEqual([[3], [4], [5]]);
    sa.dispose();
    ga.dispose();
    expect(attr.isDisposed).toBe(true);
    expect(() => g.subgraph([1, 1])).toThrow('Graph.subgraph: node 1 appears twice (at 0 and 1)');
    expect(() => g.subgraph([4])).toThrow('Graph.subgraph: node 0 is 4, out of range for 4 nodes');
    const empty = g.subgraph([]);
    expect(empty.numNodes).toBe(0);
    expect(empty.numEdges).toBe(0);
    for (const h of [s, empty, g]) h.dispose();
  });

  it('derived graphs share x: it lives until the last graph holding it is disposed', () => {
    const before = live();
    const x = randn([3, 2]);
    const g = Graph.fromEdges(3, [0, 1], [1, 2], { x });
    const u = g.toUndirected();
    expect(u.x).toBe(x);
    g.dispose();
    expect(x.isDisposed).toBe(false);
    const l = u.withSelfLoops();
    u.dispose();
    expect(l.x!.isDisposed).toBe(false);
    l.dispose();
    expect(x.isDisposed).toBe(true);
    expect(live()).toBe(before);
  });

  it('dispose is safe twice', () => {
    const g = path3();
    g.inOffsets();
    g.dispose();
    g.dispose();
    expect(g.isDisposed).toBe(true);
  });
});
