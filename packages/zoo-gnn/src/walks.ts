import { Generator } from '@myelin/core';
import { Vocabulary } from '@myelin/data';
import { Word2Vec } from '@myelin/zoo-word2vec';
import { checkGraph, type GraphLike } from './layers/graph.js';

export interface RandomWalkOptions {
  /** Nodes per walk, the start included (default 80, as node2vec). */
  walkLength?: number;
  /** Walks started from every node (default 10). */
  walksPerNode?: number;
  /** Return parameter: weight 1/p for stepping straight back (default 1). */
  p?: number;
  /** In-out parameter: weight 1/q for moving away from the previous node (default 1). */
  q?: number;
  /** Seed of the walks (default 0). */
  seed?: number;
  /** Start walks from these nodes only (default every node, in a fresh random order each round). */
  starts?: Int32Array;
}

/** Out-neighbour lists sorted by id (for membership tests), with cumulative edge weights. */
interface OutLists {
  offsets: Int32Array;
  nbr: Int32Array;
  cum: Float64Array;
}

function outLists(g: GraphLike): OutLists {
  const n = g.numNodes;
  const E = g.src.length;
  const w = g.edgeWeight;
  const offsets = new Int32Array(n + 1);
  for (let e = 0; e < E; e++) {
    const s = g.src[e]!;
    const d = g.dst[e]!;
    if (!(s >= 0 && s < n && d >= 0 && d < n))
      throw new RangeError(`randomWalks: edge ${e} (${s} → ${d}) has an end outside [0, ${n})`);
    if (w && !(w[e]! >= 0))
      throw new RangeError(`randomWalks: edge ${e} has weight ${w[e]}; weights must be ≥ 0`);
    offsets[s + 1]!++;
  }
  for (let i = 0; i < n; i++) offsets[i + 1]! += offsets[i]!;
  const order = Array.from({ length: E }, (_, e) => e).sort(
    (a, b) => g.src[a]! - g.src[b]! || g.dst[a]! - g.dst[b]!,
  );
  const nbr = Int32Array.from(order, (e) => g.dst[e]!);
  const cum = new Float64Array(E);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let k = offsets[i]!; k < offsets[i + 1]!; k++) cum[k] = acc += w ? w[order[k]!]! : 1;
  }
  return { offsets, nbr, cum };
}

/** Uniform draws in [0, 1) from core's counter-based generator, a block at a time. */
class Draws {
  #gen: Generator;
  #buf: Float32Array = new Float32Array(0);
  #at = 0;
  constructor(seed: number) {
    this.#gen = new Generator(seed);
  }
  next(): number {
    if (this.#at === this.#buf.length) {
      this.#buf = this.#gen.uniform(4096);
      this.#at = 0;
    }
    return this.#buf[this.#at++]!;
  }
}

/**
 * Index k in [a, b) of the first cumulative weight above u·total: a weighted neighbour draw (the
 * cumulative sums restart at each node, so cum[b − 1] is the node's total out-weight).
 */
function pick(cum: Float64Array, a: number, b: number, u: number): number {
  const target = u * cum[b - 1]!;
  let lo = a;
  let hi = b - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function hasEdge(lists: OutLists, from: number, to: number): boolean {
  let lo = lists.offsets[from]!;
  let hi = lists.offsets[from + 1]! - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = lists.nbr[mid]!;
    if (v === to) return true;
    if (v < to) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/**
 * Random walks along the graph's edges (src → dst; store both directions for an undirected
 * graph), weighted by `edgeWeight` when present. With p = q = 1 each step is a plain weighted
 * neighbour draw (DeepWalk, Perozzi et al. 2014); otherwise node2vec's second-order walk (Grover &
 * Leskovec 2016): after t → v the next node x is drawn ∝ w_vx·α, α = 1/p if x = t, 1 if x is a
 * neighbour of t, 1/q otherwise — by rejection (a weighted draw, accepted with α / max α). A walk
 * that reaches a node with no out-edge stops early.
 *
 * @example
 * const walks = randomWalks(graph, { walkLength: 40, walksPerNode: 10, p: 1, q: 0.5, seed: 0 });
 */
export function randomWalks(graph: GraphLike, options: RandomWalkOptions = {}): Int32Array[] {
  checkGraph('randomWalks', graph);
  const walkLength = options.walkLength ?? 80;
  const walksPerNode = options.walksPerNode ?? 10;
  const p = options.p ?? 1;
  const q = options.q ?? 1;
  if (!(Number.isInteger(walkLength) && walkLength >= 1))
    throw new RangeError(`randomWalks: walkLength must be an integer ≥ 1, got ${walkLength}`);
  if (!(Number.isInteger(walksPerNode) && walksPerNode >= 1))
    throw new RangeError(`randomWalks: walksPerNode must be an integer ≥ 1, got ${walksPerNode}`);
  if (!(p > 0 && q > 0 && Number.isFinite(p) && Number.isFinite(q)))
    throw new RangeError(`randomWalks: p and q must be positive and finite, got p = ${p}, q = ${q}`);
  const n = graph.numNodes;
  const starts = options.starts;
  if (starts) {
    for (const s of starts)
      if (!(s >= 0 && s < n)) throw new RangeError(`randomWalks: start node ${s} is outside [0, ${n})`);
  }
  const lists = outLists(graph);
  const rng = new Draws(options.seed ?? 0);
  const firstOrder = p === 1 && q === 1;
  const maxAlpha = Math.max(1 / p, 1, 1 / q);
  const walks: Int32Array[] = [];
  const buf = new Int32Array(walkLength);
  for (let round = 0; round < walksPerNode; round++) {
    let order: Int32Array;
    if (starts) order = starts;
    else {
      // a fresh random order of the start nodes each round, as DeepWalk's shuffle
      order = Int32Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    for (const start of order) {
      buf[0] = start;
      let len = 1;
      while (len < walkLength) {
        const v = buf[len - 1]!;
        const a = lists.offsets[v]!;
        const b = lists.offsets[v + 1]!;
        if (a === b || lists.cum[b - 1]! <= 0) break;
        let x: number;
        if (firstOrder || len === 1) x = lists.nbr[pick(lists.cum, a, b, rng.next())]!;
        else {
          const t = buf[len - 2]!;
          for (;;) {
            x = lists.nbr[pick(lists.cum, a, b, rng.next())]!;
            const alpha = x === t ? 1 / p : hasEdge(lists, t, x) ? 1 : 1 / q;
            if (rng.next() * maxAlpha < alpha) break;
          }
        }
        buf[len++] = x;
      }
      walks.push(buf.slice(0, len));
    }
  }
  return walks;
}

export interface NodeEmbeddingOptions extends RandomWalkOptions {
  /** Embedding width (default 128, as node2vec). */
  dim?: number;
  /** Context window on the walks (default 10, as node2vec). */
  window?: number;
  /** Negative samples per pair (default 5). */
  negative?: number;
  /** Passes over the walks (default 1). */
  epochs?: number;
  /** Starting learning rate (default 0.025, word2vec's). */
  alpha?: number;
  /** Subsampling of frequent nodes, 0 for none (default 0: on small graphs every node is "frequent"). */
  sample?: number;
  /** word2vec worker threads (default 1: the same vectors every run). */
  threads?: number;
}

/** Node vectors learned from walks. */
export interface NodeEmbeddings {
  /** Rows of `dim` floats, node by node. */
  data: Float32Array;
  dim: number;
  numNodes: number;
  /** Walks the skip-gram model was trained on. */
  numWalks: number;
}

/**
 * DeepWalk / node2vec node embeddings: `randomWalks`, then skip-gram with negative sampling
 * (`@myelin/zoo-word2vec`) treating each walk as a sentence whose words are node ids.
 *
 * @example
 * const { data, dim } = await nodeEmbeddings(karate, { dim: 16, walkLength: 20, p: 1, q: 1, seed: 0 });
 */
export async function nodeEmbeddings(
  graph: GraphLike,
  options: NodeEmbeddingOptions = {},
): Promise<NodeEmbeddings> {
  const n = graph.numNodes;
  if (n < 2) throw new RangeError(`nodeEmbeddings: the graph has ${n} node(s); expected at least 2`);
  const walks = randomWalks(graph, options);
  // Vocabulary in node order (ids = node ids); counts = visits, so negatives follow visits^0.75.
  const counts = new Float64Array(n);
  let total = 0;
  for (const w of walks) {
    for (const v of w) counts[v]!++;
    total += w.length;
  }
  const ids = new Int32Array(total);
  const offsets = new Int32Array(walks.length + 1);
  let k = 0;
  walks.forEach((w, i) => {
    ids.set(w, k);
    k += w.length;
    offsets[i + 1] = k;
  });
  const vocab = new Vocabulary(
    Array.from({ length: n }, (_, i) => String(i)),
    counts,
  );
  const model = await Word2Vec.create(vocab, {
    dim: options.dim ?? 128,
    window: options.window ?? 10,
    negative: options.negative ?? 5,
    sample: options.sample ?? 0,
    alpha: options.alpha ?? 0.025,
    threads: options.threads ?? 1,
    seed: (options.seed ?? 0) + 1,
    sg: true,
  });
  try {
    await model.train({ ids, offsets }, { epochs: options.epochs ?? 1 });
    return { data: model.vectors(), dim: model.dim, numNodes: n, numWalks: walks.length };
  } finally {
    model.dispose();
  }
}
