import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memory } from '@myelin/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bagOfWords,
  DatasetValidationError,
  DEBIAN_GRAPH_BYTES,
  type DebianGraphArrays,
  debianGraphPath,
  decodeDebianGraph,
  loadDebianGraphArrays,
  loadDebianPackageGraph,
  restrictDebianGraph,
} from '../src/node/index.js';

// Facts from Debian 12's apt lists (`apt-cache show python3-numpy bash libc6`), independent of the
// snapshot's code: python3-numpy 1:1.24.2-1+deb12u1 Depends on python3-pkg-resources, python3
// (<< 3.12), python3 (>= 3.11~), python3.11:any, python3:any, libblas3 | libblas.so.3, libc6,
// liblapack3 | liblapack.so.3; bash Pre-Depends on libc6, libtinfo6 and Depends on base-files,
// debianutils, Section: shells (35 packages, so merged into 'other'); libc6 is in 'libs'.

let g: DebianGraphArrays;
const id = (name: string) => {
  const i = g.names.indexOf(name);
  if (i < 0) throw new Error(`no package ${name}`);
  return i;
};
const dependsOn = (name: string) => {
  const i = id(name);
  const out: string[] = [];
  for (let e = 0; e < g.src.length; e++) if (g.src[e] === i) out.push(g.names[g.dst[e]!]!);
  return out.sort();
};

beforeAll(async () => {
  g = await loadDebianGraphArrays();
});

describe('Debian bookworm package graph snapshot', () => {
  it('has the counts the snapshot tool printed: 63,697 packages, 245,210 edges, 54 sections, 1,000 words', () => {
    expect(readFileSync(debianGraphPath()).length).toBe(DEBIAN_GRAPH_BYTES);
    expect(g.numNodes).toBe(63_697);
    expect(g.names.length).toBe(63_697);
    expect(g.src.length).toBe(245_210);
    expect(g.dst.length).toBe(245_210);
    expect(g.sections.length).toBe(54);
    expect(g.vocabulary.length).toBe(1000);
    expect([...g.names].sort()).toEqual(g.names);
    expect(g.sections).toContain('other');
    expect(g.sections).not.toContain('shells');
  });

  it('python3-numpy depends on python3, libc6, libblas3 and liblapack3 (first alternatives), in section python', () => {
    expect(dependsOn('python3-numpy')).toEqual([
      'libblas3',
      'libc6',
      'liblapack3',
      'python3',
      'python3-pkg-resources',
      'python3.11',
    ]);
    expect(g.sections[g.section[id('python3-numpy')]!]).toBe('python');
  });

  it('bash: Pre-Depends and Depends both become edges; its small section shells is merged into other', () => {
    expect(dependsOn('bash')).toEqual(['base-files', 'debianutils', 'libc6', 'libtinfo6']);
    expect(g.sections[g.section[id('bash')]!]).toBe('other');
    expect(g.sections[g.section[id('libc6')]!]).toBe('libs');
  });

  it('bag of words: "GNU C Library: Shared libraries" gives libc6 the words gnu, library, shared, libraries', () => {
    const x = bagOfWords(g);
    const v = g.vocabulary.length;
    const row = id('libc6');
    const words = g.vocabulary.filter((_, j) => x[row * v + j] === 1).sort();
    expect(words).toEqual(['gnu', 'libraries', 'library', 'shared']);
  });

  it('maxNodes keeps the most depended-upon packages with the edges among them', () => {
    const small = restrictDebianGraph(g, { maxNodes: 300, vocabulary: 50 });
    expect(small.numNodes).toBe(300);
    expect(small.names).toContain('libc6'); // the package most others need
    expect(small.vocabulary).toEqual(g.vocabulary.slice(0, 50));
    for (let e = 0; e < small.src.length; e++) {
      expect(small.src[e]).toBeLessThan(300);
      expect(small.dst[e]).toBeLessThan(300);
    }
    expect(Math.max(...small.wordIds)).toBeLessThan(50);
    expect(() => restrictDebianGraph(g, { maxNodes: 0 })).toThrow(
      /loadDebianPackageGraph: maxNodes must be an integer in \[1, 63697\], got 0/,
    );
  });

  it('rejects a corrupted copy with a clear error naming the file and both hashes', async () => {
    const bytes = readFileSync(debianGraphPath());
    bytes[1000] ^= 0xff;
    const path = join(mkdtempSync(join(tmpdir(), 'debian-graph-')), 'corrupt.graph.json.gz');
    writeFileSync(path, bytes);
    await expect(loadDebianGraphArrays({ path })).rejects.toThrow(DatasetValidationError);
    await expect(loadDebianGraphArrays({ path })).rejects.toThrow(
      /decodeDebianGraph: .*corrupt\.graph\.json\.gz: SHA-256 [0-9a-f]{64} .* is not the expected f87371f9/,
    );
    expect(() => decodeDebianGraph(new Uint8Array([1, 2, 3]), { sha256: null })).toThrow(/not gzipped JSON/);
  });
});

describe('loadDebianPackageGraph', () => {
  it('gives a Graph with x = (N, V) bag of words, y = section ids and names (batch of 1,000 packages, 64 words)', async () => {
    const before = memory().tensors;
    const { graph, names, sections, vocabulary } = await loadDebianPackageGraph({
      maxNodes: 1000,
      vocabulary: 64,
    });
    try {
      expect(graph.numNodes).toBe(1000);
      expect(graph.x!.shape).toEqual([1000, 64]);
      expect(graph.y!.shape).toEqual([1000]);
      expect(vocabulary.length).toBe(64);
      const i = names.indexOf('python3');
      expect(i).toBeGreaterThanOrEqual(0);
      expect(sections[(await graph.y!.data())[i]!]).toBe('python');
      const j = names.indexOf('python3-numpy');
      if (j >= 0) expect([...graph.dst.filter((_, e) => graph.src[e] === j)]).toContain(i);
      expect(graph.numEdges).toBeGreaterThan(1000);
    } finally {
      graph.dispose();
    }
    expect(memory().tensors).toBe(before); // the graph owned x and y
  });
});
