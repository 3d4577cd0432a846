import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spmm, tensor } from '@myelin/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DatasetNotFoundError,
  DatasetValidationError,
  karateClubFromNetworkxSource,
  loadFlare,
  loadKarateClub,
  loadLesMiserables,
  VEGA_DATASETS_SOURCE,
} from '../src/node/index.js';

/**
 * Facts from outside this package:
 * - karate club, from networkx 2.8.8 (`G = nx.karate_club_graph()`): 34 nodes, 78 edges,
 *   `[d for _, d in G.degree()]` and `G.degree(weight='weight')` below; `G.nodes[5]['club']` is
 *   'Mr. Hi' and `G.nodes[9]['club']` 'Officer' (its docstring); 17 members in Mr. Hi's club.
 * - vega-datasets 3.2.1, read with Python's json: miserables.json has 77 nodes and 254 links;
 *   Valjean (node 11) is in 36 links, Myriel (node 0) in 10; group sizes below. flare.json has 220
 *   leaves (classes) under 10 top-level packages (sizes below); flare-dependencies.json 764 imports.
 */
const KARATE_DEGREE = [
  16, 9, 10, 6, 3, 4, 4, 4, 5, 2, 3, 1, 2, 5, 2, 2, 2, 2, 2, 3, 2, 2, 2, 5, 3, 3, 2, 4, 3, 4, 4, 6, 12, 17,
];
const KARATE_WEIGHTED_DEGREE = [
  42, 29, 33, 18, 8, 14, 13, 13, 17, 3, 8, 3, 4, 17, 5, 7, 6, 3, 3, 5, 4, 4, 5, 21, 7, 14, 6, 13, 6, 13, 11,
  21, 38, 48,
];
const MISERABLES_GROUP_SIZES = [3, 10, 14, 10, 11, 10, 1, 2, 13, 1, 2];
const FLARE_PACKAGES: Record<string, number> = {
  analytics: 10,
  animate: 20,
  data: 11,
  display: 4,
  flex: 1,
  physics: 8,
  query: 60,
  scale: 10,
  util: 25,
  vis: 71,
};

const scratch = mkdtempSync(join(tmpdir(), 'myelin-graphs-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("loadKarateClub: Zachary's karate club from networkx's social.py", () => {
  it('34 members, 78 friendships both ways, the degrees networkx reports, identity features', async () => {
    const { graph, names, clubs } = await loadKarateClub();
    expect(graph.numNodes).toBe(34);
    expect(graph.numEdges).toBe(2 * 78);
    expect(graph.isUndirected()).toBe(true);
    expect(graph.hasSelfLoops()).toBe(false);
    expect(Array.from(graph.degree())).toEqual(KARATE_DEGREE);
    expect(graph.degree()[33]).toBe(17);
    expect(graph.degree()[0]).toBe(16);
    expect(Array.from(graph.degree('in', { weighted: true }))).toEqual(KARATE_WEIGHTED_DEGREE);
    expect(graph.x!.shape).toEqual([34, 34]);
    const x = graph.x!.arraySync() as number[][];
    expect(x[5]![5]).toBe(1);
    expect(x[5]!.reduce((a, b) => a + b, 0)).toBe(1);
    expect(names[33]).toBe('33');
    expect(clubs).toEqual(['Mr. Hi', 'Officer']);
    const y = Array.from(graph.y!.dataSync());
    expect([y[0], y[5], y[9], y[33]]).toEqual([0, 0, 1, 1]);
    expect(y.filter((c) => c === 0).length).toBe(17);
    graph.dispose();
  });

  it('its GCN adjacency matches numpy on networkx’s weighted matrix', async () => {
    // A = nx.to_numpy_array(G, weight='weight'); Ã = A + I; d = Ã.sum(1); N = Ã / sqrt(outer(d, d));
    // x = arange(68).reshape(34, 2): N[33,33], N[33,32], N[0,0], N[0,1], N[9,33], (N @ x)[33], (N @ x)[0];
    // and the row-normalised A / A.sum(1): [33, 8] and [0, 1].
    const { graph } = await loadKarateClub();
    const sym = graph.adjacency({ selfLoops: true, normalize: 'sym' });
    const v = sym.values.dataSync();
    const at = (
      a: { hostRowPtr: Int32Array; hostColIdx: Int32Array },
      i: number,
      j: number,
      vals: ArrayLike<number>,
    ) => {
      let s = 0;
      for (let k = a.hostRowPtr[i]!; k < a.hostRowPtr[i + 1]!; k++) if (a.hostColIdx[k] === j) s += vals[k]!;
      return s;
    };
    expect(at(sym, 33, 33, v)).toBeCloseTo(0.02040816326530612, 6);
    expect(at(sym, 33, 32, v)).toBeCloseTo(0.11437725271791938, 6);
    expect(at(sym, 0, 0, v)).toBeCloseTo(0.023255813953488372, 6);
    expect(at(sym, 0, 1, v)).toBeCloseTo(0.1113692092779409, 6);
    expect(at(sym, 9, 33, v)).toBeCloseTo(0.14285714285714285, 6);
    const x = tensor(
      Float32Array.from({ length: 68 }, (_, i) => i),
      { shape: [34, 2] },
    );
    const h = spmm(sym, x).arraySync() as number[][];
    expect(h[33]![0]).toBeCloseTo(87.87909401942784, 3);
    expect(h[33]![1]).toBeCloseTo(89.96357789277756, 3);
    expect(h[0]![0]).toBeCloseTo(38.71849394047061, 3);
    expect(h[0]![1]).toBeCloseTo(40.62002226473514, 3);
    const rw = graph.adjacency({ normalize: 'rw' });
    const r = rw.values.dataSync();
    expect(at(rw, 33, 8, r)).toBeCloseTo(0.08333333333333333, 6);
    expect(at(rw, 0, 1, r)).toBeCloseTo(0.09523809523809523, 6);
    x.dispose();
    graph.dispose();
  });

  it('the parser refuses text that is not social.py', () => {
    expect(() => karateClubFromNetworkxSource('def something_else(): pass')).toThrow(
      'karateClubFromNetworkxSource: found no karate_club_graph with a zacharydat matrix and a club1 set',
    );
  });
});

describe('vega-datasets graphs', () => {
  it('Les Misérables: 77 characters, 254 weighted links both ways, vega’s groups', async () => {
    const { graph, names } = await loadLesMiserables();
    expect(graph.numNodes).toBe(77);
    expect(graph.numEdges).toBe(2 * 254);
    expect(graph.isUndirected()).toBe(true);
    expect(names[11]).toBe('Valjean');
    expect(names[0]).toBe('Myriel');
    expect(graph.degree()[11]).toBe(36);
    expect(graph.degree()[0]).toBe(10);
    const sizes = new Array<number>(11).fill(0);
    for (const c of graph.labels!) sizes[c]!++;
    expect(sizes).toEqual(MISERABLES_GROUP_SIZES);
    expect(graph.edgeWeight).toBeDefined();
    graph.dispose();
  }, 120_000);

  it('Flare: 220 classes, 764 imports, labelled by top-level package', async () => {
    const { graph, names, packages } = await loadFlare();
    expect(graph.numNodes).toBe(220);
    expect(graph.numEdges).toBe(764);
    expect(graph.x!.shape).toEqual([220, 220]);
    expect(packages.length).toBe(10);
    const sizes: Record<string, number> = {};
    for (const c of graph.labels!) sizes[packages[c]!] = (sizes[packages[c]!] ?? 0) + 1;
    expect(sizes).toEqual(FLARE_PACKAGES);
    expect(names).toContain('flare.vis.Visualization');
    expect(names[graph.labels!.indexOf(packages.indexOf('flex'))]).toBe('flare.flex.FlareVis');
    graph.dispose();
  }, 120_000);

  it('with download off and an empty cache, the error names the npm pack command', async () => {
    const err = await loadFlare({ cacheDir: join(scratch, 'empty'), download: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect((err as Error).message).toContain('npm pack vega-datasets@3.2.1');
    expect((err as Error).message).toContain('sha256sum -c');
  });

  it('a cached file that is not the pinned one is refused', async () => {
    const dir = join(scratch, 'tampered');
    mkdirSync(join(dir, 'vega-datasets'), { recursive: true });
    writeFileSync(join(dir, 'vega-datasets', 'miserables.json'), '{"nodes":[],"links":[]}');
    const err = await loadLesMiserables({ cacheDir: dir, download: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetValidationError);
    expect((err as Error).message).toContain(VEGA_DATASETS_SOURCE.files[0].sha256);
  });
});
