import { eye } from '@myelin/core';
import { Graph } from './graph-core.js';

/*
 * Graph readers: edge lists (SNAP / networkx `write_edgelist` style) and node-link JSON (networkx's
 * `node_link_data`, d3-force's and vega's forms), hostile-input safe: the text and the counts are
 * bounded before anything big is allocated, every bad token gets an error naming its line or item,
 * and the work is linear in the input. Then the pure parsers of the three real graphs that
 * `@myelin/data/node` fetches, usable in browsers with the served file text.
 */

/** Limits on what a reader accepts (defaults: 256 Mi characters, 2^24 nodes, 2^26 edges). */
export interface GraphReaderLimits {
  maxChars?: number;
  maxNodes?: number;
  maxEdges?: number;
}

const DEFAULT_LIMITS = { maxChars: 256 * 2 ** 20, maxNodes: 2 ** 24, maxEdges: 2 ** 26 };

function limits(op: string, l: GraphReaderLimits): Required<GraphReaderLimits> {
  const out = { ...DEFAULT_LIMITS };
  for (const k of ['maxChars', 'maxNodes', 'maxEdges'] as const) {
    const v = l[k];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 0)
      throw new RangeError(`${op}: ${k} must be a non-negative integer, got ${v}`);
    out[k] = v;
  }
  return out;
}

function preview(s: string): string {
  return JSON.stringify(s.length > 30 ? `${s.slice(0, 30)}…` : s);
}

export interface EdgeListOptions extends GraphReaderLimits {
  /** Node count (default: largest id + 1). */
  numNodes?: number;
  /** Store each edge in both directions, once per pair (default false). */
  undirected?: boolean;
  /**
   * Number the distinct ids 0, 1, … in order of first appearance (SNAP files use sparse or 1-based
   * ids); the graph's `names` hold the original ids. Default false: ids are node indices.
   */
  relabel?: boolean;
}

const ID = /^\d+$/;

/**
 * Read an edge list: one edge `src dst` or `src dst weight` per line, separated by spaces, tabs or
 * commas; `#` starts a comment; blank lines are skipped. Ids are non-negative integers: node
 * indices, or any such ids with `relabel`. Either every edge has a weight or none does.
 * @throws RangeError naming the line for a non-integer or negative id, a bad weight, a wrong column
 *   count, or input over the limits
 * @example parseEdgeList('# a triangle\n0 1\n1 2\n2 0\n', { undirected: true }).numEdges // 6
 */
export function parseEdgeList(text: string, options: EdgeListOptions = {}): Graph {
  const op = 'parseEdgeList';
  if (typeof text !== 'string')
    throw new TypeError(`${op}: expected the file's text as a string, got ${typeof text}`);
  const lim = limits(op, options);
  if (text.length > lim.maxChars) {
    throw new RangeError(`${op}: the text has ${text.length} characters, over maxChars = ${lim.maxChars}`);
  }
  const src: number[] = [];
  const dst: number[] = [];
  const weights: number[] = [];
  let columns = 0;
  let maxId = -1;
  const relabel = options.relabel ? new Map<number, number>() : undefined;
  if (relabel && options.numNodes !== undefined) {
    throw new RangeError(`${op}: pass numNodes or relabel, not both (relabel counts the distinct ids)`);
  }
  let lineNo = 0;
  for (const raw of text.split('\n')) {
    lineNo++;
    const hash = raw.indexOf('#');
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (line === '') continue;
    const cols = line.split(/[\s,]+/);
    if (cols.length !== 2 && cols.length !== 3) {
      throw new RangeError(
        `${op}: line ${lineNo} has ${cols.length} columns, expected 2 (src dst) or 3 (src dst weight)`,
      );
    }
    if (columns === 0) columns = cols.length;
    else if (cols.length !== columns) {
      throw new RangeError(
        `${op}: line ${lineNo} has ${cols.length} columns but the first edge had ${columns}`,
      );
    }
    for (let c = 0; c < 2; c++) {
      const tok = cols[c]!;
      const v = ID.test(tok) ? Number(tok) : Number.NaN;
      if (!Number.isSafeInteger(v)) {
        throw new RangeError(`${op}: line ${lineNo}: node id ${preview(tok)} is not a non-negative integer`);
      }
      let id = v;
      if (relabel) {
        const known = relabel.get(v);
        if (known === undefined) {
          if (relabel.size >= lim.maxNodes) {
            throw new RangeError(
              `${op}: line ${lineNo}: more than maxNodes = ${lim.maxNodes} distinct node ids`,
            );
          }
          id = relabel.size;
          relabel.set(v, id);
        } else id = known;
      } else if (v >= lim.maxNodes) {
        throw new RangeError(`${op}: line ${lineNo}: node id ${v} is over maxNodes = ${lim.maxNodes}`);
      }
      if (id > maxId) maxId = id;
      (c === 0 ? src : dst).push(id);
    }
    if (columns === 3) {
      const w = Number(cols[2]);
      if (!Number.isFinite(w))
        throw new RangeError(`${op}: line ${lineNo}: weight ${preview(cols[2]!)} is not a finite number`);
      weights.push(w);
    }
    if (src.length > lim.maxEdges) throw new RangeError(`${op}: more than maxEdges = ${lim.maxEdges} edges`);
  }
  const n = options.numNodes ?? maxId + 1;
  if (options.numNodes !== undefined && maxId >= n) {
    throw new RangeError(`${op}: node id ${maxId} is out of range for numNodes = ${n}`);
  }
  return Graph.fromEdges(n, src, dst, {
    ...(columns === 3 ? { edgeWeight: weights } : {}),
    ...(relabel ? { names: Array.from(relabel.keys(), String) } : {}),
    undirected: options.undirected ?? false,
  });
}

export interface JsonGraphOptions extends GraphReaderLimits {
  /**
   * Store each edge in both directions (default: the document's `directed === false`, as networkx
   * writes it; false when absent).
   */
  undirected?: boolean;
  /**
   * How link endpoints name nodes: 'id' (a node's `id`), 'index' (its position in `nodes`), or
   * 'auto' (default): ids when every node has an `id` and every endpoint is one, else indices.
   * An endpoint may also be a node object (d3-force replaces ids with the nodes).
   */
  endpoints?: 'auto' | 'id' | 'index';
  /** The link field holding the weight, or false for none (default: 'weight' if any link has it, else 'value'). */
  weight?: string | false;
  /** The node field holding the label (e.g. 'group'); integers are used as they are, other values numbered in order of appearance. */
  label?: string;
}

/** What `readNodeLinkGraph` returns. */
export interface NodeLinkGraph {
  graph: Graph;
  /** Each node's `name`, else its `id`, else its index, as a string. */
  names: string[];
  /** The distinct non-integer label values in the order they were numbered (empty for integer labels). */
  labelNames: string[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function endpointKey(v: Json): string | undefined {
  if (typeof v === 'number') return `n${v}`;
  if (typeof v === 'string') return `s${v}`;
  return undefined;
}

/**
 * Read a node-link graph: `{ nodes: [{ id, … }], links: [{ source, target, value }] }` (networkx
 * 3's `edges` key too) with endpoints given by node id or by index. Returns the names and label
 * names beside the graph (`parseJsonGraph` returns the graph alone).
 */
export function readNodeLinkGraph(json: unknown, options: JsonGraphOptions = {}): NodeLinkGraph {
  const op = 'parseJsonGraph';
  const lim = limits(op, options);
  let doc: Json;
  if (typeof json === 'string') {
    if (json.length > lim.maxChars) {
      throw new RangeError(`${op}: the text has ${json.length} characters, over maxChars = ${lim.maxChars}`);
    }
    try {
      doc = JSON.parse(json) as Json;
    } catch (e) {
      throw new SyntaxError(`${op}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
  } else doc = json as Json;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new TypeError(
      `${op}: expected an object { nodes: [...], links: [...] }, got ${Array.isArray(doc) ? 'an array' : typeof doc}`,
    );
  }
  const nodes = doc.nodes;
  const links = doc.links ?? doc.edges ?? [];
  if (!Array.isArray(nodes)) throw new TypeError(`${op}: "nodes" must be an array, got ${typeof nodes}`);
  if (!Array.isArray(links)) throw new TypeError(`${op}: "links" must be an array, got ${typeof links}`);
  if (nodes.length > lim.maxNodes)
    throw new RangeError(`${op}: ${nodes.length} nodes, over maxNodes = ${lim.maxNodes}`);
  if (links.length > lim.maxEdges)
    throw new RangeError(`${op}: ${links.length} links, over maxEdges = ${lim.maxEdges}`);
  const n = nodes.length;
  const ids = new Map<string, number>();
  let allIds = true;
  const names: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const node = nodes[i];
    if (node === null || typeof node !== 'object' || Array.isArray(node)) {
      throw new TypeError(`${op}: node ${i} must be an object, got ${node === null ? 'null' : typeof node}`);
    }
    const key = 'id' in node ? endpointKey(node.id!) : undefined;
    if (key === undefined) allIds = false;
    else {
      if (ids.has(key))
        throw new RangeError(`${op}: nodes ${ids.get(key)} and ${i} share the id ${JSON.stringify(node.id)}`);
      ids.set(key, i);
    }
    const name = node.name ?? node.id;
    names[i] = typeof name === 'string' || typeof name === 'number' ? String(name) : String(i);
  }
  const raw = (v: Json | undefined): Json =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? (v.id ?? v.index ?? null) : (v ?? null);
  const byId = (v: Json | undefined): number | undefined => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && 'index' in v && !('id' in v))
      return byIndex(v);
    const k = endpointKey(raw(v));
    return k === undefined ? undefined : ids.get(k);
  };
  const byIndex = (v: Json | undefined): number | undefined => {
    const r = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v.index ?? null) : v;
    return typeof r === 'number' && Number.isInteger(r) && r >= 0 && r < n ? r : undefined;
  };
  let mode = options.endpoints ?? 'auto';
  if (mode === 'auto') {
    mode = 'index';
    if (allIds && n > 0) {
      mode = 'id';
      for (const l of links) {
        if (
          l === null ||
          typeof l !== 'object' ||
          Array.isArray(l) ||
          byId(l.source) === undefined ||
          byId(l.target) === undefined
        ) {
          mode = 'index';
          break;
        }
      }
    }
  }
  const resolve = mode === 'id' ? byId : byIndex;
  let weightKey = options.weight;
  if (weightKey === undefined) {
    weightKey = links.some((l) => l !== null && typeof l === 'object' && !Array.isArray(l) && 'weight' in l)
      ? 'weight'
      : 'value';
  }
  const src = new Int32Array(links.length);
  const dst = new Int32Array(links.length);
  let weights: Float32Array | undefined;
  for (let e = 0; e < links.length; e++) {
    const l = links[e];
    if (l === null || typeof l !== 'object' || Array.isArray(l))
      throw new TypeError(`${op}: link ${e} must be an object`);
    const a = resolve(l.source);
    const b = resolve(l.target);
    for (const [end, got] of [
      ['source', a],
      ['target', b],
    ] as const) {
      if (got === undefined) {
        const v = JSON.stringify(l[end] ?? null);
        throw new RangeError(
          mode === 'id'
            ? `${op}: link ${e} has ${end} ${v}, which is no node's id`
            : `${op}: link ${e} has ${end} ${v}, expected a node index in [0, ${n})`,
        );
      }
    }
    src[e] = a!;
    dst[e] = b!;
    if (weightKey !== false && weightKey in l) {
      const w = l[weightKey];
      if (typeof w !== 'number' || !Number.isFinite(w)) {
        throw new RangeError(
          `${op}: link ${e} has ${weightKey} ${JSON.stringify(w)}, expected a finite number`,
        );
      }
      if (!weights) weights = new Float32Array(links.length).fill(1);
      weights[e] = w;
    }
  }
  const labelNames: string[] = [];
  let labels: Int32Array | undefined;
  if (options.label !== undefined) {
    const field = options.label;
    labels = new Int32Array(n);
    const values = nodes.map((node, i) => {
      const v = (node as { [k: string]: Json })[field];
      if (v === undefined || v === null || typeof v === 'object') {
        throw new RangeError(
          `${op}: node ${i} has no ${JSON.stringify(field)} label (got ${JSON.stringify(v ?? null)})`,
        );
      }
      return v;
    });
    const integer = values.every(
      (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 31,
    );
    const numbering = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (integer) labels[i] = v as number;
      else {
        const k = String(v);
        if (!numbering.has(k)) {
          numbering.set(k, labelNames.length);
          labelNames.push(k);
        }
        labels[i] = numbering.get(k)!;
      }
    }
  }
  const undirected = options.undirected ?? doc.directed === false;
  const graph = Graph.fromEdges(n, src, dst, {
    ...(weights ? { edgeWeight: weights } : {}),
    ...(labels ? { y: labels } : {}),
    names,
    undirected,
  });
  return { graph, names, labelNames };
}

/**
 * Read node-link JSON (text or parsed) into a Graph; see `readNodeLinkGraph` for the forms accepted.
 * @example parseJsonGraph(miserablesText, { label: 'group', undirected: true })
 */
export function parseJsonGraph(json: unknown, options: JsonGraphOptions = {}): Graph {
  return readNodeLinkGraph(json, options).graph;
}

// ---------------------------------------------------------------------------------------------
// The three real graphs, from their files' text
// ---------------------------------------------------------------------------------------------

/** Zachary's karate club as `karateClubFromNetworkxSource` returns it. */
export interface KarateClub {
  /** 34 members, 78 friendships stored both ways (156 edges) weighted by the number of shared contexts; x = identity (34, 34); y = club. */
  graph: Graph;
  /** '0' … '33' (networkx's node ids). */
  names: string[];
  /** The label names: 0 = 'Mr. Hi' (node 0's club), 1 = 'Officer' (node 33's). */
  clubs: string[];
}

/**
 * Zachary's karate club (Zachary 1977) from the text of networkx's `networkx/generators/social.py`
 * (Debian's python3-networkx 2.8.8): its 34×34 weighted `zacharydat` matrix and its `club1` set
 * (the members who sided with Mr. Hi), read without running Python.
 */
export function karateClubFromNetworkxSource(text: string): KarateClub {
  const op = 'karateClubFromNetworkxSource';
  if (typeof text !== 'string')
    throw new TypeError(`${op}: expected the text of social.py, got ${typeof text}`);
  const body = text.indexOf('def karate_club_graph');
  const mat = body < 0 ? null : /zacharydat = """\\?\n([\d \n]+?)"""/.exec(text.slice(body));
  const club = body < 0 ? null : /club1 = \{([\d, ]+)\}/.exec(text.slice(body));
  if (!mat || !club) {
    throw new RangeError(
      `${op}: found no karate_club_graph with a zacharydat matrix and a club1 set; is this networkx's social.py?`,
    );
  }
  const rows = mat[1]!.trim().split('\n');
  const n = rows.length;
  if (n !== 34) throw new RangeError(`${op}: the zacharydat matrix has ${n} rows, expected 34`);
  const w = rows.map((r, i) => {
    const cells = r.trim().split(/\s+/).map(Number);
    if (cells.length !== n)
      throw new RangeError(`${op}: zacharydat row ${i} has ${cells.length} entries, expected ${n}`);
    return cells;
  });
  const src: number[] = [];
  const dst: number[] = [];
  const weight: number[] = [];
  // networkx adds edge {i, j} for every entry ≥ 1, row by row, into an undirected Graph: the matrix
  // is not quite symmetric (e.g. (0, 12) = 2 but (12, 0) = 1), and the later row's entry wins.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const [lo, hi] = i < j ? [i, j] : [j, i];
      const later = w[hi]![lo]!;
      const wij = later >= 1 ? later : w[lo]![hi]!;
      if (wij >= 1) {
        src.push(j);
        dst.push(i);
        weight.push(wij);
      }
    }
  }
  const inClub1 = new Set(club[1]!.split(',').map((s) => Number(s.trim())));
  const y = Int32Array.from({ length: n }, (_, v) => (inClub1.has(v) ? 0 : 1));
  const names = Array.from({ length: n }, (_, v) => String(v));
  const graph = Graph.fromEdges(n, src, dst, { edgeWeight: weight, y, x: eye(n), names });
  return { graph, names, clubs: ['Mr. Hi', 'Officer'] };
}

/** Les Misérables co-appearances as `lesMiserablesFromJson` returns them. */
export interface LesMiserables {
  /** 77 characters, 254 co-appearance links stored both ways (508 edges) weighted by the count; x = identity; y = vega's `group`. */
  graph: Graph;
  names: string[];
}

/**
 * The Les Misérables character network (Knuth's *Stanford GraphBase*) from vega-datasets'
 * `miserables.json`: nodes `{name, group, index}`, links `{source, target, value}` by index.
 */
export function lesMiserablesFromJson(text: string): LesMiserables {
  const { graph: directed, names } = readNodeLinkGraph(text, {
    label: 'group',
    weight: 'value',
    endpoints: 'index',
  });
  const graph = Graph.fromEdges(directed.numNodes, directed.src, directed.dst, {
    edgeWeight: directed.edgeWeight!,
    y: directed.labels!,
    x: eye(directed.numNodes),
    names,
    undirected: true,
  });
  directed.dispose();
  return { graph, names };
}

/** The Flare class graph as `flareFromJson` returns it. */
export interface Flare {
  /** The classes (leaves of the package tree) as nodes, `source imports target` as edges; x = identity; y = top-level package. */
  graph: Graph;
  /** Full dotted class names, e.g. 'flare.vis.Visualization'. */
  names: string[];
  /** The label names: the top-level packages under `flare`, in order of appearance. */
  packages: string[];
}

interface FlareItem {
  id: number;
  name: string;
  parent?: number;
}

/**
 * The Flare ActionScript library's class dependencies from vega-datasets' `flare.json` (the package
 * tree: `{id, name, parent?, size?}`) and `flare-dependencies.json` (`{source, target}` ids):
 * classes are the tree's leaves, edges point from the importing class to the imported one.
 */
export function flareFromJson(classesText: string, depsText: string): Flare {
  const op = 'flareFromJson';
  const items = JSON.parse(classesText) as unknown;
  const deps = JSON.parse(depsText) as unknown;
  if (!Array.isArray(items)) throw new TypeError(`${op}: flare.json must be an array of {id, name, parent}`);
  if (!Array.isArray(deps))
    throw new TypeError(`${op}: flare-dependencies.json must be an array of {source, target}`);
  const byId = new Map<number, FlareItem>();
  const hasChildren = new Set<number>();
  for (const [i, it] of items.entries()) {
    const item = it as FlareItem;
    if (
      item === null ||
      typeof item !== 'object' ||
      !Number.isInteger(item.id) ||
      typeof item.name !== 'string'
    ) {
      throw new TypeError(`${op}: flare.json item ${i} must be {id: integer, name: string, parent?}`);
    }
    byId.set(item.id, item);
    if (item.parent !== undefined) hasChildren.add(item.parent);
  }
  const path = (item: FlareItem): FlareItem[] => {
    const chain = [item];
    for (let at = item; at.parent !== undefined; ) {
      const up = byId.get(at.parent);
      if (!up || chain.length > items.length)
        throw new RangeError(`${op}: item ${item.id} has a broken parent chain`);
      chain.push(up);
      at = up;
    }
    return chain.reverse();
  };
  const local = new Map<number, number>();
  const names: string[] = [];
  const y: number[] = [];
  const packages: string[] = [];
  for (const item of byId.values()) {
    if (hasChildren.has(item.id)) continue;
    const chain = path(item);
    if (chain.length < 3) throw new RangeError(`${op}: class ${item.name} is not inside a top-level package`);
    const pkg = chain[1]!.name;
    let label = packages.indexOf(pkg);
    if (label < 0) label = packages.push(pkg) - 1;
    local.set(item.id, names.length);
    names.push(chain.map((c) => c.name).join('.'));
    y.push(label);
  }
  const src = new Int32Array(deps.length);
  const dst = new Int32Array(deps.length);
  for (const [e, d] of deps.entries()) {
    const a = local.get((d as { source: number }).source);
    const b = local.get((d as { target: number }).target);
    if (a === undefined || b === undefined)
      throw new RangeError(`${op}: dependency ${e} does not join two classes`);
    src[e] = a;
    dst[e] = b;
  }
  const graph = Graph.fromEdges(names.length, src, dst, { y, x: eye(names.length), names });
  return { graph, names, packages };
}
