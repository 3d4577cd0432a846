import {
  CsrMatrix,
  fmtShape,
  Generator,
  getBackend,
  keep,
  noGrad,
  Parameter,
  rand,
  type Seed,
  type Shape,
  scope,
  type Tensor,
  tensor,
  zeros,
} from '@myelin/core';

/**
 * What the layers read from a graph: the node count and the COO edge list (edge e runs
 * `src[e] → dst[e]`; messages flow along it), with optional edge weights, edge types and the
 * node → graph map of a batch. `@myelin/data`'s `Graph` is one; any object with these fields works.
 */
export interface GraphLike {
  readonly numNodes: number;
  readonly src: Int32Array;
  readonly dst: Int32Array;
  readonly edgeWeight?: Float32Array;
  readonly edgeType?: Int32Array;
  readonly batch?: Int32Array;
  readonly numGraphs?: number;
}

/** How a layer treats self-loops: as given, all removed, or one per node (`add` replaces existing ones, as GAT; `addRemaining` keeps their weight, as GCN). */
export type LoopMode = 'keep' | 'remove' | 'add' | 'addRemaining';

/** Host edges sorted by destination (a CSR over incoming edges) plus the device index tensors. */
export interface InEdges {
  readonly numNodes: number;
  /** (N+1) offsets: the incoming edges of node i are positions offsets[i] … offsets[i+1]−1. */
  readonly offsets: Int32Array;
  readonly src: Int32Array;
  readonly dst: Int32Array;
  /** Edge weights in the same order (1 where the graph has none; self-loops added get 1). */
  readonly weight: Float32Array;
  /** Edge types in the same order (0 where the graph has none or for added self-loops). */
  readonly type: Int32Array;
  /** Kept device copies: offsets (N+1), src and dst (E), int32. */
  readonly offsetsT: Tensor;
  readonly srcT: Tensor;
  readonly dstT: Tensor;
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/** Throw unless `g` is a well-formed edge list over `g.numNodes` nodes. */
export function checkGraph(op: string, g: GraphLike): void {
  if (!g || !Number.isInteger(g.numNodes) || g.numNodes < 0) {
    throw new TypeError(`${op}: expected a graph with an integer numNodes ≥ 0, got ${g?.numNodes}`);
  }
  if (!(g.src instanceof Int32Array) || !(g.dst instanceof Int32Array) || g.src.length !== g.dst.length) {
    throw new TypeError(
      `${op}: a graph needs src and dst as Int32Arrays of equal length, got ${g.src?.length} and ${g.dst?.length}`,
    );
  }
}

/** Throw unless `x` is (graph.numNodes, inF) float32 node features. */
export function checkFeatures(op: string, x: Tensor, g: GraphLike, inF: number): void {
  checkGraph(op, g);
  if (x.dtype !== 'float32') throw new TypeError(`${op}: node features must be float32, got ${x.dtype}`);
  if (x.rank !== 2 || x.shape[1] !== inF) {
    throw new RangeError(
      `${op}: node features must have shape [numNodes, ${inF}] (the layer's inF), got ${fmtShape(x.shape)}`,
    );
  }
  if (x.shape[0] !== g.numNodes) {
    throw new RangeError(
      `${op}: node features have ${x.shape[0]} rows but the graph has ${g.numNodes} nodes (shape ${fmtShape(x.shape)})`,
    );
  }
}

export function positiveInt(op: string, v: number, what: string): number {
  if (!Number.isInteger(v) || v <= 0)
    throw new RangeError(`${op}: ${what} must be a positive integer, got ${v}`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Initialisation (PyTorch Geometric's `inits.py`)
// ---------------------------------------------------------------------------------------------

/** A generator for the several draws of one constructor: a number seeds a fresh one, a Generator advances. */
export function generatorFrom(seed: Seed | undefined): Generator | undefined {
  if (seed === undefined || seed instanceof Generator) return seed;
  return new Generator(seed);
}

function uniformParam(shape: Shape, bound: number, gen: Generator | undefined): Parameter {
  return noGrad(() => {
    // One scope, so the intermediate draws are freed with it (only `t` leaves).
    const t = scope(() =>
      rand(shape, { seed: gen })
        .mul(2 * bound)
        .sub(bound),
    );
    const p = new Parameter(t);
    t.dispose();
    return p;
  });
}

/** PyG's `glorot`: U(±√(6 / (size(−2) + size(−1)))) — the last two dims, whatever the rank. */
export function glorot(shape: Shape, gen: Generator | undefined): Parameter {
  const a = shape[shape.length - 2] ?? 1;
  const b = shape[shape.length - 1]!;
  return uniformParam(shape, Math.sqrt(6 / (a + b)), gen);
}

/** PyG's `uniform(size, value)`: U(±1/√size). */
export function uniformFan(shape: Shape, size: number, gen: Generator | undefined): Parameter {
  return uniformParam(shape, 1 / Math.sqrt(size), gen);
}

/** A zero-initialised parameter (PyG's `zeros` for biases). */
export function zerosParam(shape: Shape): Parameter {
  const t = zeros(shape);
  const p = new Parameter(t);
  t.dispose();
  return p;
}

/** Overwrite a parameter with a Glorot draw (for nn's Linear, whose default is PyTorch's). */
export function glorotInto(p: Parameter, gen: Generator | undefined): void {
  const fresh = glorot(p.shape, gen);
  p.assign(fresh);
  fresh.dispose();
}

// ---------------------------------------------------------------------------------------------
// Per-graph structure cache
// ---------------------------------------------------------------------------------------------

/*
 * Layers reuse per-graph structure (edges sorted by destination, normalised adjacency) across
 * forward calls: a small most-recently-used cache keyed by the graph object. Evicted entries free
 * their tensors, so training over many sampled subgraphs stays bounded; `releaseGraph` frees one
 * graph's entries at once (call it before disposing a graph you will not use again).
 */
const CACHE_SIZE = 16;

interface Entry {
  value: unknown;
  tensors: Tensor[];
  csr: CsrMatrix[];
}

const cache = new Map<GraphLike, Map<string, Entry>>();

function freeEntries(entries: Map<string, Entry>): void {
  for (const e of entries.values()) {
    for (const t of e.tensors) t.dispose();
    for (const m of e.csr) m.dispose();
  }
}

/** Free every cached structure of `graph` (sorted edges, adjacency matrices) now. */
export function releaseGraph(graph: GraphLike): void {
  const entries = cache.get(graph);
  if (entries) {
    freeEntries(entries);
    cache.delete(graph);
  }
}

/** Free the whole structure cache. */
export function clearGraphCache(): void {
  for (const entries of cache.values()) freeEntries(entries);
  cache.clear();
}

function cached<T>(
  g: GraphLike,
  key: string,
  make: () => { value: T; tensors?: Tensor[]; csr?: CsrMatrix[] },
): T {
  let entries = cache.get(g);
  if (entries) {
    cache.delete(g); // move to the most-recent end
    cache.set(g, entries);
  } else {
    entries = new Map();
    cache.set(g, entries);
    if (cache.size > CACHE_SIZE) {
      const [oldest, old] = cache.entries().next().value as [GraphLike, Map<string, Entry>];
      freeEntries(old);
      cache.delete(oldest);
    }
  }
  // Tensors live on one backend: a graph used on two backends gets an entry on each.
  key = `${getBackend().name}:${key}`;
  const hit = entries.get(key);
  if (hit) return hit.value as T;
  const made = noGrad(() => make());
  for (const t of made.tensors ?? []) keep(t);
  entries.set(key, { value: made.value, tensors: made.tensors ?? [], csr: made.csr ?? [] });
  return made.value;
}

/** The edge list after applying a self-loop mode (host arrays, original order then added loops). */
function edgesWithLoops(
  g: GraphLike,
  loops: LoopMode,
): { src: Int32Array; dst: Int32Array; weight: Float32Array; type: Int32Array } {
  const n = g.numNodes;
  const E = g.src.length;
  const w = g.edgeWeight;
  const t = g.edgeType;
  if (w && w.length !== E) throw new RangeError(`graph: edgeWeight has ${w.length} entries for ${E} edges`);
  if (t && t.length !== E) throw new RangeError(`graph: edgeType has ${t.length} entries for ${E} edges`);
  const keepEdge = new Uint8Array(E).fill(1);
  const loopWeight = new Float32Array(n).fill(1);
  if (loops !== 'keep') {
    for (let e = 0; e < E; e++) {
      if (g.src[e] === g.dst[e]) {
        keepEdge[e] = 0;
        if (loops === 'addRemaining' && w) loopWeight[g.src[e]!] = w[e]!;
      }
    }
  }
  const kept = keepEdge.reduce((a, b) => a + b, 0);
  const extra = loops === 'add' || loops === 'addRemaining' ? n : 0;
  const src = new Int32Array(kept + extra);
  const dst = new Int32Array(kept + extra);
  const weight = new Float32Array(kept + extra).fill(1);
  const type = new Int32Array(kept + extra);
  let k = 0;
  for (let e = 0; e < E; e++) {
    if (!keepEdge[e]) continue;
    const s = g.src[e]!;
    const d = g.dst[e]!;
    if (s < 0 || s >= n || d < 0 || d >= n) {
      throw new RangeError(`graph: edge ${e} (${s} → ${d}) has an end outside [0, ${n})`);
    }
    src[k] = s;
    dst[k] = d;
    if (w) weight[k] = w[e]!;
    if (t) type[k] = t[e]!;
    k++;
  }
  for (let i = 0; i < extra; i++, k++) {
    src[k] = i;
    dst[k] = i;
    weight[k] = loopWeight[i]!;
  }
  return { src, dst, weight, type };
}

/** Stable counting sort of edges by destination. */
function sortByDst(n: number, edges: ReturnType<typeof edgesWithLoops>) {
  const E = edges.src.length;
  const offsets = new Int32Array(n + 1);
  for (let e = 0; e < E; e++) offsets[edges.dst[e]! + 1]!++;
  for (let i = 0; i < n; i++) offsets[i + 1]! += offsets[i]!;
  const next = offsets.slice(0, n);
  const src = new Int32Array(E);
  const dst = new Int32Array(E);
  const weight = new Float32Array(E);
  const type = new Int32Array(E);
  for (let e = 0; e < E; e++) {
    const at = next[edges.dst[e]!]!++;
    src[at] = edges.src[e]!;
    dst[at] = edges.dst[e]!;
    weight[at] = edges.weight[e]!;
    type[at] = edges.type[e]!;
  }
  return { offsets, src, dst, weight, type };
}

/**
 * The graph's incoming edges sorted by destination, after `loops` (cached per graph): host arrays
 * and kept int32 tensors for `segmentReduce`/`indexSelect`.
 */
export function inEdges(g: GraphLike, loops: LoopMode = 'keep'): InEdges {
  return cached(g, `in:${loops}`, () => {
    const s = sortByDst(g.numNodes, edgesWithLoops(g, loops));
    const E = s.src.length;
    const offsetsT = tensor(s.offsets, { dtype: 'int32', shape: [g.numNodes + 1] });
    const srcT = tensor(s.src, { dtype: 'int32', shape: [E] });
    const dstT = tensor(s.dst, { dtype: 'int32', shape: [E] });
    return {
      value: { numNodes: g.numNodes, ...s, offsetsT, srcT, dstT },
      tensors: [offsetsT, srcT, dstT],
    };
  });
}

/** How GCN normalises its adjacency (see `GCNConv`). */
export type GcnNormalization = 'sym' | 'textbook' | 'none';

/**
 * The propagation matrix of a GCN layer as CSR (rows = destinations, columns = sources), cached
 * per graph:
 * - `'sym'` (Kipf & Welling): D̃^-½ (A + I) D̃^-½ with self-loops, D^-½ A D^-½ without; degrees are
 *   weighted in-degrees, as PyG's `gcn_norm`;
 * - `'textbook'` (Aggarwal eq. 10.5): I + Δ^-½ A Δ^-½, Δ the degrees of A without self-loops;
 * - `'none'`: A (plus I with self-loops).
 */
export function gcnAdjacency(g: GraphLike, normalize: GcnNormalization, selfLoops: boolean): CsrMatrix {
  const loops: LoopMode = normalize === 'textbook' ? 'add' : selfLoops ? 'addRemaining' : 'keep';
  return cached(g, `gcn:${normalize}:${loops}`, () => {
    const n = g.numNodes;
    let s: ReturnType<typeof sortByDst>;
    if (normalize === 'textbook') {
      // A without loops, its degrees, then the identity's diagonal entries added back with weight 1.
      const plain = sortByDst(n, edgesWithLoops(g, 'remove'));
      const deg = new Float64Array(n);
      for (let e = 0; e < plain.dst.length; e++) deg[plain.dst[e]!]! += plain.weight[e]!;
      s = sortByDst(n, edgesWithLoops(g, 'add'));
      for (let e = 0; e < s.src.length; e++) {
        const i = s.dst[e]!;
        const j = s.src[e]!;
        if (i === j) s.weight[e] = 1;
        else {
          const d = Math.sqrt(deg[i]!) * Math.sqrt(deg[j]!);
          s.weight[e] = d > 0 ? s.weight[e]! / d : 0;
        }
      }
    } else {
      s = sortByDst(n, edgesWithLoops(g, loops));
      if (normalize === 'sym') {
        const deg = new Float64Array(n);
        for (let e = 0; e < s.dst.length; e++) deg[s.dst[e]!]! += s.weight[e]!;
        for (let e = 0; e < s.src.length; e++) {
          const d = Math.sqrt(deg[s.dst[e]!]!) * Math.sqrt(deg[s.src[e]!]!);
          s.weight[e] = d > 0 ? s.weight[e]! / d : 0;
        }
      }
    }
    const m = new CsrMatrix(s.offsets, s.src, s.weight, [n, n]);
    return { value: m, csr: [m] };
  });
}

/** Edges sorted by (destination, relation), for per-relation means (R-GCN), cached per graph. */
export interface RelationEdges {
  /** (N·R + 1) offsets over (node, relation) segments. */
  readonly offsetsT: Tensor;
  /** (E) row of each edge's message in an (N·R, F) table: src·R + type. */
  readonly gatherT: Tensor;
}

export function relationEdges(op: string, g: GraphLike, numRelations: number): RelationEdges {
  const types = g.edgeType;
  if (!types) throw new RangeError(`${op}: the graph has no edgeType; a relational layer needs one per edge`);
  return cached(g, `rel:${numRelations}`, () => {
    const n = g.numNodes;
    const R = numRelations;
    const E = g.src.length;
    if (types.length !== E)
      throw new RangeError(`${op}: edgeType has ${types.length} entries for ${E} edges`);
    const offsets = new Int32Array(n * R + 1);
    for (let e = 0; e < E; e++) {
      const r = types[e]!;
      if (!(r >= 0 && r < R)) {
        throw new RangeError(`${op}: edge ${e} has type ${r}, outside [0, ${R}) for ${R} relations`);
      }
      const d = g.dst[e]!;
      if (!(d >= 0 && d < n && g.src[e]! >= 0 && g.src[e]! < n)) {
        throw new RangeError(`graph: edge ${e} (${g.src[e]} → ${d}) has an end outside [0, ${n})`);
      }
      offsets[d * R + r + 1]!++;
    }
    for (let k = 0; k < n * R; k++) offsets[k + 1]! += offsets[k]!;
    const next = offsets.slice(0, n * R);
    const gather = new Int32Array(E);
    for (let e = 0; e < E; e++) gather[next[g.dst[e]! * R + types[e]!]!++] = g.src[e]! * R + types[e]!;
    const offsetsT = tensor(offsets, { dtype: 'int32', shape: [n * R + 1] });
    const gatherT = tensor(gather, { dtype: 'int32', shape: [E] });
    return { value: { offsetsT, gatherT }, tensors: [offsetsT, gatherT] };
  });
}

/**
 * The unweighted sum (A) or mean (D^-1 A) over in-neighbours as a CSR matrix (rows = destinations),
 * cached per graph: `spmm` with it is one fused pass where the backend has SpMM. Edge weights are
 * ignored, as PyG's SAGEConv, GINConv and GatedGraphConv ignore them.
 */
export function aggregationMatrix(g: GraphLike, reduce: 'sum' | 'mean'): CsrMatrix {
  return cached(g, `aggr:${reduce}`, () => {
    const ie = sortByDst(
      g.numNodes,
      edgesWithLoops({ numNodes: g.numNodes, src: g.src, dst: g.dst }, 'keep'),
    );
    const values = new Float32Array(ie.src.length).fill(1);
    if (reduce === 'mean') {
      for (let i = 0; i < g.numNodes; i++) {
        const a = ie.offsets[i]!;
        const b = ie.offsets[i + 1]!;
        values.fill(1 / (b - a), a, b);
      }
    }
    const m = new CsrMatrix(ie.offsets, ie.src, values, [g.numNodes, g.numNodes]);
    return { value: m, csr: [m] };
  });
}
