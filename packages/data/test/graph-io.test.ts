import { Generator } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { parseEdgeList, parseJsonGraph, readNodeLinkGraph } from '../src/index.js';

const pairs = (g: { src: Int32Array; dst: Int32Array }) => Array.from(g.src, (s, i) => `${s}>${g.dst[i]}`);

describe('parseEdgeList', () => {
  it('reads whitespace- and comma-separated edges, skipping comments and blank lines', () => {
    const g = parseEdgeList('# a SNAP-style header\n0 1\n1\t2   # trailing comment\n\n2,3\r\n3 , 0\n');
    expect(g.numNodes).toBe(4);
    expect(pairs(g)).toEqual(['0>1', '1>2', '2>3', '3>0']);
    expect(g.edgeWeight).toBeUndefined();
    g.dispose();
  });

  it('reads a weight column, numNodes and undirected', () => {
    const g = parseEdgeList('0 1 0.5\n1 2 2e1\n', { numNodes: 5, undirected: true });
    expect(g.numNodes).toBe(5);
    expect(pairs(g)).toEqual(['0>1', '1>0', '1>2', '2>1']);
    expect(Array.from(g.edgeWeight!)).toEqual([0.5, 0.5, 20, 20]);
    g.dispose();
  });

  it('relabel numbers sparse ids in order of first appearance and keeps them as names', () => {
    const g = parseEdgeList('1000000000 7\n7 42\n42 1000000000\n', { relabel: true });
    expect(g.numNodes).toBe(3);
    expect(g.names).toEqual(['1000000000', '7', '42']);
    expect(pairs(g)).toEqual(['0>1', '1>2', '2>0']);
    g.dispose();
    expect(() => parseEdgeList('5 6\n6 7\n', { relabel: true, maxNodes: 2 })).toThrow(
      'line 2: more than maxNodes = 2 distinct node ids',
    );
    expect(() => parseEdgeList('0 1\n', { relabel: true, numNodes: 2 })).toThrow(
      'pass numNodes or relabel, not both',
    );
  });

  it('an empty file is a graph with no nodes', () => {
    const g = parseEdgeList('# nothing\n');
    expect(g.numNodes).toBe(0);
    g.dispose();
  });

  it('names the line for non-integer or negative ids, bad weights and column counts', () => {
    expect(() => parseEdgeList('0 1\n1 -2\n')).toThrow(
      'parseEdgeList: line 2: node id "-2" is not a non-negative integer',
    );
    expect(() => parseEdgeList('0 1.5\n')).toThrow('line 1: node id "1.5" is not a non-negative integer');
    expect(() => parseEdgeList('a b\n')).toThrow('line 1: node id "a" is not a non-negative integer');
    expect(() => parseEdgeList('0 1 x\n')).toThrow('line 1: weight "x" is not a finite number');
    expect(() => parseEdgeList('0 1 2 3\n')).toThrow(
      'line 1 has 4 columns, expected 2 (src dst) or 3 (src dst weight)',
    );
    expect(() => parseEdgeList('0 1 2\n1 2\n')).toThrow('line 2 has 2 columns but the first edge had 3');
    expect(() => parseEdgeList('0 5\n', { numNodes: 3 })).toThrow(
      'node id 5 is out of range for numNodes = 3',
    );
    expect(() => parseEdgeList(42 as unknown as string)).toThrow(
      "expected the file's text as a string, got number",
    );
  });

  it('enforces its limits before allocating', () => {
    expect(() => parseEdgeList('0 99999999999\n')).toThrow(
      'line 1: node id 99999999999 is over maxNodes = 16777216',
    );
    expect(() => parseEdgeList('0 1\n1 2\n2 3\n', { maxEdges: 2 })).toThrow('more than maxEdges = 2 edges');
    expect(() => parseEdgeList('0 1\n', { maxChars: 3 })).toThrow(
      'the text has 4 characters, over maxChars = 3',
    );
  });
});

describe('parseJsonGraph (node-link JSON)', () => {
  // Written by networkx 2.8.8's node_link_data(nx.Graph([('a', 'b'), ('b', 'c')]))
  const nxUndirected =
    '{"directed": false, "multigraph": false, "graph": {}, "nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"}], "links": [{"source": "a", "target": "b"}, {"source": "b", "target": "c"}]}';
  // node_link_data(nx.DiGraph([(3, 1, {'weight': 2.5}), (1, 2, {'weight': 1})])): integer ids that are not indices
  const nxDirected =
    '{"directed": true, "multigraph": false, "graph": {}, "nodes": [{"id": 3}, {"id": 1}, {"id": 2}], "links": [{"weight": 2.5, "source": 3, "target": 1}, {"weight": 1, "source": 1, "target": 2}]}';

  it("networkx's form: string ids, and directed: false stores both directions", () => {
    const { graph, names } = readNodeLinkGraph(nxUndirected);
    expect(names).toEqual(['a', 'b', 'c']);
    expect(graph.names).toEqual(['a', 'b', 'c']);
    expect(pairs(graph)).toEqual(['0>1', '1>0', '1>2', '2>1']);
    graph.dispose();
  });

  it("networkx's directed form: integer ids resolve by id, not by position; weights read", () => {
    const g = parseJsonGraph(nxDirected);
    expect(pairs(g)).toEqual(['0>1', '1>2']);
    expect(Array.from(g.edgeWeight!)).toEqual([2.5, 1]);
    g.dispose();
  });

  it("vega's form: endpoints are indices, `value` is the weight, `group` a label", () => {
    const doc = {
      nodes: [
        { name: 'Myriel', group: 1, index: 0 },
        { name: 'Napoleon', group: 1, index: 1 },
        { name: 'Valjean', group: 2, index: 2 },
      ],
      links: [
        { source: 1, target: 0, value: 1 },
        { source: 2, target: 0, value: 5 },
      ],
    };
    const { graph, names } = readNodeLinkGraph(doc, { label: 'group' });
    expect(names).toEqual(['Myriel', 'Napoleon', 'Valjean']);
    expect(pairs(graph)).toEqual(['1>0', '2>0']);
    expect(Array.from(graph.edgeWeight!)).toEqual([1, 5]);
    expect(Array.from(graph.labels!)).toEqual([1, 1, 2]);
    graph.dispose();
  });

  it("d3's form: string ids; endpoints replaced by node objects after a simulation; string labels numbered", () => {
    const a = { id: 'x', team: 'red' };
    const b = { id: 'y', team: 'blue' };
    const c = { id: 'z', team: 'red' };
    const { graph, labelNames } = readNodeLinkGraph(
      {
        nodes: [a, b, c],
        links: [
          { source: a, target: c },
          { source: 'y', target: 'x' },
        ],
      },
      { label: 'team' },
    );
    expect(pairs(graph)).toEqual(['0>2', '1>0']);
    expect(labelNames).toEqual(['red', 'blue']);
    expect(Array.from(graph.labels!)).toEqual([0, 1, 0]);
    graph.dispose();
  });

  it('networkx 3 writes `edges` instead of `links`', () => {
    const g = parseJsonGraph({
      directed: true,
      nodes: [{ id: 'p' }, { id: 'q' }],
      edges: [{ source: 'q', target: 'p' }],
    });
    expect(pairs(g)).toEqual(['1>0']);
    g.dispose();
  });

  it('clear errors for unknown ids, bad indices, duplicate ids, bad weights, missing labels, bad JSON', () => {
    expect(() =>
      parseJsonGraph({ nodes: [{ id: 'a' }], links: [{ source: 'a', target: 'b' }] }, { endpoints: 'id' }),
    ).toThrow('parseJsonGraph: link 0 has target "b", which is no node\'s id');
    expect(() => parseJsonGraph({ nodes: [{}, {}], links: [{ source: 0, target: 2 }] })).toThrow(
      'link 0 has target 2, expected a node index in [0, 2)',
    );
    expect(() => parseJsonGraph({ nodes: [{ id: 1 }, { id: 1 }], links: [] })).toThrow(
      'nodes 0 and 1 share the id 1',
    );
    expect(() =>
      parseJsonGraph({ nodes: [{}, {}], links: [{ source: 0, target: 1, value: 'big' }] }),
    ).toThrow('link 0 has value "big", expected a finite number');
    expect(() => parseJsonGraph({ nodes: [{ g: 1 }, {}], links: [] }, { label: 'g' })).toThrow(
      'node 1 has no "g" label',
    );
    expect(() => parseJsonGraph('{"nodes": [')).toThrow('parseJsonGraph: not valid JSON');
    expect(() => parseJsonGraph('[1, 2]')).toThrow(
      'expected an object { nodes: [...], links: [...] }, got an array',
    );
    expect(() => parseJsonGraph({ nodes: 3 })).toThrow('"nodes" must be an array, got number');
    expect(() => parseJsonGraph({ nodes: [null], links: [] })).toThrow('node 0 must be an object, got null');
    expect(() => parseJsonGraph({ nodes: [{}, {}], links: [7] })).toThrow('link 0 must be an object');
  });

  it('enforces its limits', () => {
    const nodes = Array.from({ length: 10 }, () => ({}));
    expect(() => parseJsonGraph({ nodes, links: [] }, { maxNodes: 5 })).toThrow(
      '10 nodes, over maxNodes = 5',
    );
    expect(() => parseJsonGraph({ nodes, links: [{}, {}] }, { maxEdges: 1 })).toThrow(
      '2 links, over maxEdges = 1',
    );
    expect(() => parseJsonGraph('{"nodes": []}', { maxChars: 4 })).toThrow('over maxChars = 4');
  });
});

describe('readers under hostile input', () => {
  it('random edits of valid input either parse or throw a clear error, quickly', () => {
    const gen = new Generator(2024);
    const alphabet = '0123456789 ,\t\n#-.eE{}[]":abnulltrue';
    const seedsText = [
      '0 1\n1 2 0.5\n',
      '{"nodes":[{"id":"a"},{"id":1}],"links":[{"source":"a","target":1,"value":2}]}',
    ];
    const start = Date.now();
    for (let trial = 0; trial < 400; trial++) {
      const base = seedsText[trial % 2]!;
      const chars = base.split('');
      const edits = 1 + (gen.bits(1)[0]! % 4);
      for (let k = 0; k < edits; k++) {
        const [p, c] = gen.bits(2);
        chars.splice(p! % (chars.length + 1), 1, alphabet[c! % alphabet.length]!);
      }
      const text = chars.join('');
      for (const read of [() => parseEdgeList(text), () => parseJsonGraph(text)]) {
        try {
          read().dispose();
        } catch (e) {
          expect(e, text).toBeInstanceOf(Error);
          expect(['RangeError', 'TypeError', 'SyntaxError']).toContain((e as Error).name);
          expect((e as Error).message).toMatch(/^(parseEdgeList|parseJsonGraph|Graph\.fromEdges): /);
        }
      }
    }
    expect(Date.now() - start).toBeLessThan(10_000);
  });
});
