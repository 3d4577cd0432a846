import { loadKarateClub } from '@myelin/data/node';
import { describe, expect, it } from 'vitest';
import type { GraphLike } from '../src/layers/graph.js';
import { nodeEmbeddings, randomWalks } from '../src/walks.js';

/** An undirected graph stored both ways. */
function undirected(n: number, pairs: [number, number, number?][]): GraphLike {
  const src: number[] = [];
  const dst: number[] = [];
  const w: number[] = [];
  for (const [a, b, weight] of pairs) {
    src.push(a, b);
    dst.push(b, a);
    w.push(weight ?? 1, weight ?? 1);
  }
  const weighted = pairs.some((p) => p[2] !== undefined);
  return {
    numNodes: n,
    src: Int32Array.from(src),
    dst: Int32Array.from(dst),
    edgeWeight: weighted ? Float32Array.from(w) : undefined,
  };
}

// t = 0 → v = 1; 1's neighbours: 0 (= t), 2 (also a neighbour of 0), 3 and 4 (not).
const PAIRS: [number, number][] = [
  [0, 1],
  [0, 2],
  [1, 2],
  [1, 3],
  [1, 4],
  [3, 4],
];

/** The distribution of the third node of walks 0 → 1 → x (closed form: ∝ w_1x·α(0, x)). */
function thirdStep(g: GraphLike, p: number, q: number, seed: number): number[] {
  const walks = randomWalks(g, {
    walkLength: 3,
    walksPerNode: 40_000,
    p,
    q,
    seed,
    starts: Int32Array.from([0]),
  });
  const counts = [0, 0, 0, 0, 0];
  let total = 0;
  for (const w of walks) {
    if (w[1] !== 1) continue;
    counts[w[2]!]!++;
    total++;
  }
  expect(total).toBeGreaterThan(15_000);
  return [counts[0]! / total, counts[2]! / total, counts[3]! / total, counts[4]! / total];
}

function expectNear(got: number[], want: number[], tol: number) {
  got.forEach((v, i) => {
    expect(Math.abs(v - want[i]!), `entry ${i}: ${v} vs ${want[i]}`).toBeLessThan(tol);
  });
}

describe('randomWalks: transition probabilities against the closed form', () => {
  const norm = (a: number[]) => a.map((v) => v / a.reduce((s, x) => s + x, 0));
  it('DeepWalk (p = q = 1): uniform over the neighbours', () => {
    expectNear(thirdStep(undirected(5, PAIRS), 1, 1, 1), [0.25, 0.25, 0.25, 0.25], 0.015);
  });
  it('node2vec p = 0.5, q = 2 (return-heavy, BFS-like): α = 1/p, 1, 1/q, 1/q', () => {
    expectNear(thirdStep(undirected(5, PAIRS), 0.5, 2, 2), norm([2, 1, 0.5, 0.5]), 0.015);
  });
  it('node2vec p = 4, q = 0.25 (outward, DFS-like)', () => {
    expectNear(thirdStep(undirected(5, PAIRS), 4, 0.25, 3), norm([0.25, 1, 4, 4]), 0.015);
  });
  it('weighted edges: ∝ w_vx (DeepWalk) and ∝ w_vx·α (node2vec)', () => {
    const g = undirected(5, [
      [0, 1, 1],
      [0, 2, 1],
      [1, 2, 2],
      [1, 3, 3],
      [1, 4, 4],
      [3, 4, 1],
    ]);
    expectNear(thirdStep(g, 1, 1, 4), norm([1, 2, 3, 4]), 0.015);
    expectNear(thirdStep(g, 0.5, 2, 5), norm([1 * 2, 2 * 1, 3 * 0.5, 4 * 0.5]), 0.015);
  });
});

describe('randomWalks: structure', () => {
  it('walks follow edges, start once per node per round, and stop at a node with no out-edge', () => {
    // 0 → 1 → 2 (directed chain): walks from 2 end at once, from 0 reach 2 and stop
    const chain: GraphLike = { numNodes: 3, src: Int32Array.from([0, 1]), dst: Int32Array.from([1, 2]) };
    const walks = randomWalks(chain, { walkLength: 5, walksPerNode: 3, seed: 0 });
    expect(walks.length).toBe(9);
    const byStart = walks.map((w) => [...w]).sort((a, b) => a[0]! - b[0]!);
    expect(byStart.slice(0, 3)).toEqual([
      [0, 1, 2],
      [0, 1, 2],
      [0, 1, 2],
    ]);
    expect(byStart.slice(6)).toEqual([[2], [2], [2]]);
    const g = undirected(5, PAIRS);
    const edges = new Set(PAIRS.flatMap(([a, b]) => [`${a}-${b}`, `${b}-${a}`]));
    for (const w of randomWalks(g, { walkLength: 10, walksPerNode: 4, p: 0.5, q: 2, seed: 1 })) {
      expect(w.length).toBe(10);
      for (let i = 1; i < w.length; i++) expect(edges.has(`${w[i - 1]}-${w[i]}`)).toBe(true);
    }
  });
  it('is reproducible for a seed and differs across seeds; walkLength 1 is the start alone', () => {
    const g = undirected(5, PAIRS);
    const a = randomWalks(g, { walkLength: 6, walksPerNode: 2, q: 0.5, seed: 9 }).map((w) => [...w]);
    expect(randomWalks(g, { walkLength: 6, walksPerNode: 2, q: 0.5, seed: 9 }).map((w) => [...w])).toEqual(a);
    expect(
      randomWalks(g, { walkLength: 6, walksPerNode: 2, q: 0.5, seed: 10 }).map((w) => [...w]),
    ).not.toEqual(a);
    expect(randomWalks(g, { walkLength: 1, walksPerNode: 1 }).map((w) => w.length)).toEqual([1, 1, 1, 1, 1]);
  });
  it('rejects bad options, naming the function', () => {
    const g = undirected(5, PAIRS);
    expect(() => randomWalks(g, { walkLength: 0 })).toThrow(
      /randomWalks: walkLength must be an integer ≥ 1, got 0/,
    );
    expect(() => randomWalks(g, { p: 0 })).toThrow(
      /randomWalks: p and q must be positive and finite, got p = 0/,
    );
    expect(() => randomWalks(g, { starts: Int32Array.from([7]) })).toThrow(
      /randomWalks: start node 7 is outside \[0, 5\)/,
    );
    expect(() => randomWalks({ numNodes: 2, src: Int32Array.from([0]), dst: Int32Array.from([5]) })).toThrow(
      /randomWalks: edge 0 \(0 → 5\) has an end outside \[0, 2\)/,
    );
  });
});

/** Two 10-node cliques joined by one edge. */
function twoCliques(): GraphLike & { y: number[] } {
  const pairs: [number, number][] = [];
  for (const base of [0, 10])
    for (let i = 0; i < 10; i++) for (let j = i + 1; j < 10; j++) pairs.push([base + i, base + j]);
  pairs.push([9, 10]);
  return { ...undirected(20, pairs), y: Array.from({ length: 20 }, (_, i) => (i < 10 ? 0 : 1)) };
}

/** Leave-one-out nearest-centroid accuracy of unit-normalised vectors. */
function nearestCentroid(data: Float32Array, dim: number, y: readonly number[]): number {
  const n = y.length;
  const unit = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += data[i * dim + d]! ** 2;
    for (let d = 0; d < dim; d++) unit[i * dim + d] = data[i * dim + d]! / Math.sqrt(s || 1);
  }
  const classes = [...new Set(y)];
  let right = 0;
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bestD = Number.POSITIVE_INFINITY;
    for (const c of classes) {
      const members = y.map((v, j) => (v === c && j !== i ? j : -1)).filter((j) => j >= 0);
      let dist = 0;
      for (let d = 0; d < dim; d++) {
        let m = 0;
        for (const j of members) m += unit[j * dim + d]!;
        dist += (unit[i * dim + d]! - m / members.length) ** 2;
      }
      if (dist < bestD) [best, bestD] = [c, dist];
    }
    if (best === y[i]) right++;
  }
  return right / n;
}

describe('nodeEmbeddings (DeepWalk / node2vec skip-gram through @myelin/zoo-word2vec)', () => {
  it('separates two cliques joined by one edge', async () => {
    const g = twoCliques();
    const e = await nodeEmbeddings(g, {
      dim: 16,
      walkLength: 20,
      walksPerNode: 10,
      window: 4,
      epochs: 3,
      seed: 0,
    });
    expect([e.numNodes, e.dim, e.data.length, e.numWalks]).toEqual([20, 16, 320, 200]);
    expect(nearestCentroid(e.data, e.dim, g.y)).toBeGreaterThanOrEqual(0.95);
  });
  it("separates Zachary's karate club into its two clubs (DeepWalk and node2vec, nearest centroid ≥ 80 %)", async () => {
    const { graph } = await loadKarateClub();
    const y = [...graph.labels!];
    const opts = { dim: 16, walkLength: 20, walksPerNode: 10, window: 5, epochs: 5, seed: 0 };
    const deepWalk = await nodeEmbeddings(graph, opts);
    const accDeepWalk = nearestCentroid(deepWalk.data, deepWalk.dim, y);
    const n2v = await nodeEmbeddings(graph, { ...opts, p: 1, q: 0.5 });
    const accN2v = nearestCentroid(n2v.data, n2v.dim, y);
    expect(accDeepWalk).toBeGreaterThanOrEqual(0.8);
    expect(accN2v).toBeGreaterThanOrEqual(0.8);
  });
  it('refuses a graph of fewer than two nodes', async () => {
    await expect(
      nodeEmbeddings({ numNodes: 1, src: new Int32Array(0), dst: new Int32Array(0) }),
    ).rejects.toThrow(/nodeEmbeddings: the graph has 1 node\(s\); expected at least 2/);
  });
});
