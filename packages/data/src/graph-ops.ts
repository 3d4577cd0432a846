import { concat, type Seed, scope, type Tensor } from '@myelin/core';
import { checkIndexArray, EdgeIndex, Graph, SharedTensor, sortByPair } from './graph-core.js';
import { IndexSampler, resolveGenerator } from './random.js';

/*
 * What a GNN training loop does with graphs besides message passing: batch small graphs into one
 * (graph classification), split nodes or edges into train/val/test (node classification, link
 * prediction), and sample fixed-size neighbourhoods (GraphSAGE mini-batches).
 */

/**
 * Several graphs as one block-diagonal graph (PyTorch Geometric's `Batch.from_data_list`): node ids
 * of graph i are shifted by the node counts before it, edges, weights and types are concatenated,
 * `x`, `y` and `edgeAttr` concatenated along rows (all graphs must have them or none), and
 * `batch[v]` is the graph of node v. Graph-level labels (one per graph) concatenate to
 * (numGraphs). The result owns its tensors.
 * @example const b = batchGraphs(molecules); globalMeanPool(h, b.batch!, b.numGraphs)
 */
export function batchGraphs(graphs: readonly Graph[]): Graph {
  const op = 'batchGraphs';
  if (!Array.isArray(graphs) || graphs.length === 0) {
    throw new RangeError(
      `${op}: expected a non-empty array of graphs, got ${Array.isArray(graphs) ? 'an empty array' : typeof graphs}`,
    );
  }
  let n = 0;
  let e = 0;
  for (const [i, g] of graphs.entries()) {
    if (!(g instanceof Graph)) throw new TypeError(`${op}: item ${i} is not a Graph`);
    if (g.isDisposed) throw new Error(`${op}: graph ${i} has been disposed`);
    if (g.numGraphs !== 1)
      throw new RangeError(`${op}: graph ${i} is already a batch of ${g.numGraphs} graphs`);
    n += g.numNodes;
    e += g.numEdges;
  }
  const all = <K extends keyof Graph>(k: K, what: string): boolean => {
    const have = graphs.filter((g) => g[k] !== undefined).length;
    if (have !== 0 && have !== graphs.length) {
      throw new RangeError(`${op}: ${have} of ${graphs.length} graphs have ${what}; all or none must`);
    }
    return have > 0;
  };
  const hasW = all('edgeWeight', 'edge weights');
  const hasT = all('edgeType', 'edge types');
  const hasX = all('x', 'node features x');
  const hasY = graphs.every((g) => g.labels !== undefined) ? false : all('y', 'labels y');
  const hasLabels = graphs.every((g) => g.labels !== undefined);
  const hasA = all('edgeAttr', 'edge features');
  const src = new Int32Array(e);
  const dst = new Int32Array(e);
  const edgeWeight = hasW ? new Float32Array(e) : undefined;
  const edgeType = hasT ? new Int32Array(e) : undefined;
  const batch = new Int32Array(n);
  let labels: Int32Array | undefined;
  if (hasLabels) {
    labels = new Int32Array(graphs.reduce((s, g) => s + g.labels!.length, 0));
    let at = 0;
    for (const g of graphs) {
      labels.set(g.labels!, at);
      at += g.labels!.length;
    }
    if (labels.length !== n && labels.length !== graphs.length) {
      throw new RangeError(
        `${op}: the graphs' labels add up to ${labels.length}; expected one per node (${n}) or one per graph (${graphs.length})`,
      );
    }
  }
  let nodeBase = 0;
  let edgeBase = 0;
  for (const [i, g] of graphs.entries()) {
    for (let k = 0; k < g.numEdges; k++) {
      src[edgeBase + k] = g.src[k]! + nodeBase;
      dst[edgeBase + k] = g.dst[k]! + nodeBase;
    }
    if (edgeWeight) edgeWeight.set(g.edgeWeight!, edgeBase);
    if (edgeType) edgeType.set(g.edgeType!, edgeBase);
    batch.fill(i, nodeBase, nodeBase + g.numNodes);
    nodeBase += g.numNodes;
    edgeBase += g.numEdges;
  }
  const cat = (ts: Tensor[], what: string): SharedTensor => {
    const tail = ts[0]!.shape.slice(1).join(',');
    for (const [i, t] of ts.entries()) {
      if (t.shape.slice(1).join(',') !== tail || t.dtype !== ts[0]!.dtype) {
        throw new RangeError(
          `${op}: ${what} of graph ${i} has shape [${t.shape.join(', ')}] ${t.dtype}, but graph 0's is [${ts[0]!.shape.join(', ')}] ${ts[0]!.dtype}`,
        );
      }
    }
    return new SharedTensor(scope(() => concat(ts, 0)));
  };
  let y: SharedTensor | undefined;
  if (hasY) {
    const ys = graphs.map((g) => g.y!);
    const total = ys.reduce((s, t) => s + t.shape[0]!, 0);
    if (total !== n && total !== graphs.length) {
      throw new RangeError(
        `${op}: the graphs' labels add up to ${total}; expected one per node (${n}) or one per graph (${graphs.length})`,
      );
    }
    y = cat(ys, 'y');
  }
  return new Graph({
    numNodes: n,
    src,
    dst,
    edgeWeight,
    edgeType,
    x: hasX
      ? cat(
          graphs.map((g) => g.x!),
          'x',
        )
      : undefined,
    y,
    labels,
    edgeAttr: hasA
      ? cat(
          graphs.map((g) => g.edgeAttr!),
          'edgeAttr',
        )
      : undefined,
    batch,
    numGraphs: graphs.length,
  });
}

/** A seeded permutation of 0 … n−1 (Fisher–Yates). */
function permutation(n: number, sampler: IndexSampler): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = sampler.below(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

function checkFraction(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
    throw new RangeError(`${op}: ${name} must be a fraction in [0, 1], got ${String(v)}`);
  }
  return v;
}

const sorted = (a: ArrayLike<number>) => Int32Array.from(a).sort();

export interface NodeSplitOptions {
  /** Fraction of the nodes for training (ignored with `perClass`). */
  train?: number;
  /** Fraction of all nodes for validation (default 0). */
  val?: number;
  /** Fraction of all nodes for testing (default: every node left over). */
  test?: number;
  /**
   * Planetoid-style: `perClass` labelled training nodes of every class (needs labels), then `val`
   * and `test` drawn from the rest.
   */
  perClass?: number;
  /** Labels for `perClass` when the first argument is a count (a Graph brings its own). */
  labels?: ArrayLike<number>;
  seed?: Seed;
}

/**
 * Split the nodes 0 … n−1 of a graph (or a node count) into disjoint, sorted train / val / test
 * index sets, seeded. With fractions, the counts are ⌊fraction·n⌉ for train and val, and test takes
 * `test` (or what is left). With `perClass: k`, train holds k random nodes of every class, as in
 * Planetoid's semi-supervised splits (Yang et al. 2016: 20 per class).
 * @example randomNodeSplit(graph, { perClass: 4, val: 0.2, seed: 0 })
 */
export function randomNodeSplit(
  n: number | Graph,
  options: NodeSplitOptions,
): { train: Int32Array; val: Int32Array; test: Int32Array } {
  const op = 'randomNodeSplit';
  const graph = n instanceof Graph ? n : undefined;
  const count = graph ? graph.numNodes : n;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    throw new RangeError(`${op}: needs at least one node, got ${String(count)}`);
  }
  const val = checkFraction(op, 'val', options.val ?? 0);
  const sampler = new IndexSampler(resolveGenerator(options.seed));
  const perm = permutation(count, sampler);
  let train: number[];
  let rest: Int32Array;
  if (options.perClass !== undefined) {
    const k = options.perClass;
    if (!Number.isInteger(k) || k < 1)
      throw new RangeError(`${op}: perClass must be a positive integer, got ${k}`);
    const labels = options.labels ?? graph?.labels ?? (graph?.y ? graph.y.dataSync() : undefined);
    if (!labels) throw new RangeError(`${op}: perClass needs labels (pass options.labels or a graph with y)`);
    if (labels.length !== count) {
      throw new RangeError(`${op}: perClass needs one label per node (${count}), got ${labels.length}`);
    }
    const taken = new Map<number, number>();
    const inTrain = new Uint8Array(count);
    train = [];
    for (const v of perm) {
      const c = labels[v]!;
      const have = taken.get(c) ?? 0;
      if (have < k) {
        taken.set(c, have + 1);
        inTrain[v] = 1;
        train.push(v);
      }
    }
    for (const [c, have] of taken) {
      if (have < k) throw new RangeError(`${op}: class ${c} has ${have} nodes, fewer than perClass = ${k}`);
    }
    rest = perm.filter((v) => !inTrain[v]);
  } else {
    const t = checkFraction(op, 'train', options.train ?? 0);
    const nTrain = Math.round(t * count);
    train = Array.from(perm.subarray(0, nTrain));
    rest = perm.subarray(nTrain);
  }
  const nVal = Math.round(val * count);
  if (nVal > rest.length) {
    throw new RangeError(
      `${op}: val = ${val} asks for ${nVal} nodes but only ${rest.length} are left after train`,
    );
  }
  const left = rest.length - nVal;
  const nTest =
    options.test === undefined ? left : Math.round(checkFraction(op, 'test', options.test) * count);
  if (nTest > left) {
    throw new RangeError(
      `${op}: train + val + test ask for more than the ${count} nodes (test wants ${nTest}, ${left} left)`,
    );
  }
  return {
    train: sorted(train),
    val: sorted(rest.subarray(0, nVal)),
    test: sorted(rest.subarray(nVal, nVal + nTest)),
  };
}

/** Node pairs: pair i is src[i] → dst[i]. */
export interface EdgeList {
  src: Int32Array;
  dst: Int32Array;
}

export interface EdgeSplitOptions {
  /** Fraction of the edges (of the node pairs, for an undirected graph) held out for validation. */
  val: number;
  /** Fraction held out for testing. */
  test: number;
  seed?: Seed;
  /**
   * Treat u → v and v → u as one pair, held out together (default: whether the graph stores every
   * edge in both directions).
   */
  undirected?: boolean;
}

/** `randomEdgeSplit`'s result. */
export interface EdgeSplit {
  /** The graph without the held-out edges (same nodes; shares x and y). */
  train: Graph;
  /** Held-out positive edges, one per pair (u < v for an undirected graph). */
  valEdges: EdgeList;
  testEdges: EdgeList;
  /** As many sampled non-edges as held-out positives (never edges of the full graph, never self-loops). */
  valNegatives: EdgeList;
  testNegatives: EdgeList;
}

/**
 * Hold out edges for link prediction (PyTorch Geometric's `RandomLinkSplit`): ⌊fraction·pairs⌉ of
 * the edges go to val and test, the rest stay in `train`, and each held-out set gets as many
 * negative pairs, sampled uniformly from the node pairs that are not edges of the full graph (and
 * not repeated across val and test). Seeded.
 * @example const { train, testEdges, testNegatives } = randomEdgeSplit(g, { val: 0.05, test: 0.1, seed: 0 })
 */
export function randomEdgeSplit(g: Graph, options: EdgeSplitOptions): EdgeSplit {
  const op = 'randomEdgeSplit';
  if (!(g instanceof Graph)) throw new TypeError(`${op}: expected a Graph`);
  const val = checkFraction(op, 'val', options.val);
  const test = checkFraction(op, 'test', options.test);
  const undirected = options.undirected ?? g.isUndirected();
  const n = g.numNodes;
  const e = g.numEdges;
  // Group the edges into pairs: (src, dst), or (min, max) when undirected; sorted, so a pair's
  // edges are one run and pairs come in (a, b) order.
  const [a, b] = undirected ? canonical(g.src, g.dst) : [g.src, g.dst];
  const order = sortByPair(a, b, n);
  const pairOf = new Int32Array(e);
  const pairSrc: number[] = [];
  const pairDst: number[] = [];
  for (let k = 0; k < e; k++) {
    const c = order[k]!;
    const p = k > 0 ? order[k - 1]! : -1;
    if (p < 0 || a[p] !== a[c] || b[p] !== b[c]) {
      pairSrc.push(a[c]!);
      pairDst.push(b[c]!);
    }
    pairOf[c] = pairSrc.length - 1;
  }
  const pairs = pairSrc.length;
  const nVal = Math.round(val * pairs);
  const nTest = Math.round(test * pairs);
  if (pairs === 0) throw new RangeError(`${op}: the graph has no edges to split`);
  if (nVal + nTest >= pairs) {
    throw new RangeError(`${op}: val + test = ${val + test} leaves no training edges of ${pairs}`);
  }
  const sampler = new IndexSampler(resolveGenerator(options.seed));
  const perm = permutation(pairs, sampler);
  const heldPair = new Uint8Array(pairs);
  const take = (from: number, count: number): EdgeList => {
    const ids = perm.slice(from, from + count).sort();
    const out = { src: new Int32Array(count), dst: new Int32Array(count) };
    for (let i = 0; i < count; i++) {
      out.src[i] = pairSrc[ids[i]!]!;
      out.dst[i] = pairDst[ids[i]!]!;
      heldPair[ids[i]!] = 1;
    }
    return out;
  };
  const valEdges = take(0, nVal);
  const testEdges = take(nVal, nTest);
  const negatives = sampleNonEdges(op, g, nVal + nTest, undirected, sampler);
  const trainIds: number[] = [];
  for (let k = 0; k < e; k++) if (!heldPair[pairOf[k]!]) trainIds.push(k);
  return {
    train: g.selectEdges(Int32Array.from(trainIds)),
    valEdges,
    testEdges,
    valNegatives: { src: negatives.src.slice(0, nVal), dst: negatives.dst.slice(0, nVal) },
    testNegatives: { src: negatives.src.slice(nVal), dst: negatives.dst.slice(nVal) },
  };
}

/** (min, max) of each pair. */
function canonical(src: Int32Array, dst: Int32Array): [Int32Array, Int32Array] {
  const lo = new Int32Array(src.length);
  const hi = new Int32Array(src.length);
  for (let k = 0; k < src.length; k++) {
    lo[k] = Math.min(src[k]!, dst[k]!);
    hi[k] = Math.max(src[k]!, dst[k]!);
  }
  return [lo, hi];
}

/**
 * `count` distinct node pairs u → v (u ≠ v) that are not edges of `g` (nor reversed edges, when
 * `undirected`; then u < v), sampled uniformly, seeded: the negatives of a link-prediction epoch.
 */
export function negativeSampling(
  g: Graph,
  count: number,
  options: { seed?: Seed; undirected?: boolean } = {},
): EdgeList {
  const op = 'negativeSampling';
  if (!(g instanceof Graph)) throw new TypeError(`${op}: expected a Graph`);
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`${op}: count must be a non-negative integer, got ${count}`);
  }
  const undirected = options.undirected ?? g.isUndirected();
  return sampleNonEdges(op, g, count, undirected, new IndexSampler(resolveGenerator(options.seed)));
}

function sampleNonEdges(
  op: string,
  g: Graph,
  count: number,
  undirected: boolean,
  sampler: IndexSampler,
): EdgeList {
  const n = g.numNodes;
  const index = undirected ? new EdgeIndex(...canonical(g.src, g.dst), n) : new EdgeIndex(g.src, g.dst, n);
  // isEdge takes (a, b) with a < b when undirected.
  const isEdge = (a: number, b: number) => index.has(a, b);
  // Candidate pairs: n(n−1) ordered, or n(n−1)/2 unordered.
  const pairs = undirected ? (n * (n - 1)) / 2 : n * (n - 1);
  const free = pairs - index.distinctNonLoops();
  if (count > free) {
    throw new RangeError(`${op}: asked for ${count} negative pairs but the graph has only ${free} non-edges`);
  }
  const out = { src: new Int32Array(count), dst: new Int32Array(count) };
  if (free <= 4 * count) {
    // Dense: list every non-edge and take a random subset (at most 4·count of them).
    const all: number[] = [];
    for (let a = 0; a < n; a++) {
      for (let b = undirected ? a + 1 : 0; b < n; b++) if (a !== b && !isEdge(a, b)) all.push(a, b);
    }
    const perm = permutation(all.length / 2, sampler);
    for (let i = 0; i < count; i++) {
      out.src[i] = all[2 * perm[i]!]!;
      out.dst[i] = all[2 * perm[i]! + 1]!;
    }
    return out;
  }
  // Sparse: rejection sampling; more than ¾ of the candidate pairs are free, so this ends quickly.
  const chosen = new Set<number>();
  let i = 0;
  while (i < count) {
    let a = sampler.below(n);
    let b = sampler.below(n);
    if (a === b) continue;
    if (undirected && a > b) [a, b] = [b, a];
    const key = a * n + b;
    if (chosen.has(key) || isEdge(a, b)) continue;
    chosen.add(key);
    out.src[i] = a;
    out.dst[i] = b;
    i++;
  }
  return out;
}

export interface NeighborSamplerOptions {
  /** Seed nodes per batch (default 1). */
  batchSize?: number;
  /** Shuffle the seed nodes before each pass (default true). */
  shuffle?: boolean;
  seed?: Seed;
  /** The nodes to iterate over with `[Symbol.iterator]` (default: every node). */
  nodes?: Int32Array | ArrayLike<number>;
}

/** One sampled mini-batch. */
export interface NeighborBatch {
  /** Original node ids: the batch's seed nodes first, then the sampled neighbours in order of discovery. */
  nodes: Int32Array;
  /** The sampled edges between `nodes`, as a graph on local ids (node i = nodes[i]); owns its x/y rows. */
  graph: Graph;
  /** How many of `nodes` are seeds (the rows to read predictions from). */
  numSeeds: number;
  /** The original index of each edge of `graph`. */
  edgeIds: Int32Array;
}

/**
 * GraphSAGE's neighbourhood sampling (Hamilton et al. 2017, Algorithm 2; PyTorch Geometric's
 * `NeighborLoader`): starting from a batch of seed nodes, hop l draws up to `fanouts[l]` of each
 * frontier node's incoming edges, without replacement (all of them when the node has fewer; −1
 * takes all), and the nodes they come from form the next frontier. A batch holds at most
 * batchSize · Π(1 + fanout) nodes, whatever the graph's size. Each batch's graph owns the rows of
 * `x` and `y` it gathered: dispose it when done. Seeded: the same seed gives the same batches.
 * @example for (const { graph, numSeeds } of new NeighborSampler(g, [10, 5], { batchSize: 64, seed: 0 })) { … graph.dispose(); }
 */
export class NeighborSampler {
  private readonly sampler: IndexSampler;
  private readonly options: Required<Omit<NeighborSamplerOptions, 'seed' | 'nodes'>>;
  private readonly nodes: Int32Array;
  private readonly scratch: Int32Array;

  constructor(
    private readonly graph: Graph,
    private readonly fanouts: readonly number[],
    options: NeighborSamplerOptions = {},
  ) {
    const op = 'NeighborSampler';
    if (!(graph instanceof Graph)) throw new TypeError(`${op}: expected a Graph`);
    if (graph.numNodes === 0) throw new RangeError(`${op}: the graph has no nodes to sample`);
    if (!Array.isArray(fanouts) || fanouts.length === 0) {
      throw new RangeError(
        `${op}: fanouts must be a non-empty array (one per layer), got ${JSON.stringify(fanouts)}`,
      );
    }
    for (const [l, f] of fanouts.entries()) {
      if (!Number.isInteger(f) || (f < 1 && f !== -1)) {
        throw new RangeError(
          `${op}: fanout ${l} is ${f}; expected a positive integer or −1 (all neighbours)`,
        );
      }
    }
    const batchSize = options.batchSize ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`${op}: batchSize must be a positive integer, got ${batchSize}`);
    }
    this.options = { batchSize, shuffle: options.shuffle ?? true };
    this.nodes =
      options.nodes === undefined
        ? Int32Array.from({ length: graph.numNodes }, (_, i) => i)
        : checkIndexArray(op, 'seed node', options.nodes, graph.numNodes);
    this.sampler = new IndexSampler(resolveGenerator(options.seed));
    this.scratch = new Int32Array(graph.numNodes).fill(-1);
  }

  /** Number of batches per pass over the nodes. */
  get length(): number {
    return Math.ceil(this.nodes.length / this.options.batchSize);
  }

  /** One pass over the sampler's nodes in batches of `batchSize` (shuffled unless `shuffle: false`). */
  *[Symbol.iterator](): Generator<NeighborBatch> {
    yield* this.batches(this.nodes);
  }

  /** Batches of `batchSize` seeds from `seeds` (shuffled unless `shuffle: false`). */
  *batches(seeds: Int32Array | ArrayLike<number>): Generator<NeighborBatch> {
    const ids = checkIndexArray('NeighborSampler.batches', 'seed node', seeds, this.graph.numNodes);
    const order = this.options.shuffle ? permutation(ids.length, this.sampler) : undefined;
    const bs = this.options.batchSize;
    for (let start = 0; start < ids.length; start += bs) {
      const end = Math.min(start + bs, ids.length);
      const batch = new Int32Array(end - start);
      for (let i = start; i < end; i++) batch[i - start] = ids[order ? order[i]! : i]!;
      yield this.sample(batch);
    }
  }

  /** Sample the neighbourhood of `seeds` (distinct node ids). */
  sample(seeds: Int32Array | ArrayLike<number>): NeighborBatch {
    const op = 'NeighborSampler.sample';
    if (this.graph.isDisposed) throw new Error(`${op}: the graph has been disposed`);
    const seedIds = checkIndexArray(op, 'seed node', seeds, this.graph.numNodes);
    // Local ids in one (N) scratch array owned by the sampler (−1 = not in the batch), reset
    // after each batch: what a batch allocates stays bounded by the batch, not the graph.
    const local = this.scratch;
    const nodes: number[] = [];
    try {
      return this.sampleInto(op, seedIds, local, nodes);
    } finally {
      for (const v of nodes) local[v] = -1;
    }
  }

  private sampleInto(op: string, seedIds: Int32Array, local: Int32Array, nodes: number[]): NeighborBatch {
    const g = this.graph;
    const { offsets, perm } = g.inCsr();
    for (const v of seedIds) {
      if (local[v] !== -1) throw new RangeError(`${op}: seed node ${v} appears twice`);
      local[v] = nodes.length;
      nodes.push(v);
    }
    const edges: number[] = [];
    let frontier = Array.from(seedIds);
    const picked = new Set<number>();
    for (const fanout of this.fanouts) {
      const next: number[] = [];
      for (const v of frontier) {
        const lo = offsets[v]!;
        const deg = offsets[v + 1]! - lo;
        const take = fanout === -1 || fanout >= deg ? deg : fanout;
        // Floyd's algorithm: `take` distinct positions in [0, deg) in O(take) draws.
        picked.clear();
        if (take === deg) for (let j = 0; j < deg; j++) picked.add(j);
        else {
          for (let j = deg - take; j < deg; j++) {
            const t = this.sampler.below(j + 1);
            picked.add(picked.has(t) ? j : t);
          }
        }
        for (const j of picked) {
          const e = perm[lo + j]!;
          const u = g.src[e]!;
          edges.push(e);
          if (local[u] === -1) {
            local[u] = nodes.length;
            nodes.push(u);
            next.push(u);
          }
        }
      }
      frontier = next;
    }
    const nodeIds = Int32Array.from(nodes);
    const edgeIds = Int32Array.from(edges);
    return { nodes: nodeIds, graph: g.induced(nodeIds, local, edgeIds), numSeeds: seedIds.length, edgeIds };
  }
}
