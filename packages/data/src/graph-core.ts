import { CsrMatrix, concat, full, indexSelect, keep, scope, type Tensor, tensor } from '@myelin/core';

/*
 * The Graph: a COO edge list on the host (the truth), node features and labels as tensors, and the
 * destination-sorted views message passing needs (CSR offsets, sorted endpoints, adjacency
 * matrices), built once on first use and kept out of scopes until `dispose()`.
 *
 * Messages flow src → dst, as PyTorch Geometric's default `flow='source_to_target'`: edge e carries
 * a message from node src[e] into node dst[e], and a node aggregates over its incoming edges.
 */

/** How `adjacency()` scales the entries of A (rows = destination, columns = source). */
export type AdjacencyNormalization = 'none' | 'sym' | 'rw' | 'textbook';

export interface AdjacencyOptions {
  /**
   * Add a weight-1 self-loop to every node that has none before normalising (PyTorch Geometric's
   * `add_remaining_self_loops`, what `GCNConv` does; on a graph without loops this is Ã = A + I).
   * Default false.
   */
  selfLoops?: boolean;
  /**
   * - 'none': the edge weights (or 1).
   * - 'sym': D^-½ A D^-½ with D the weighted in-degree (Kipf & Welling's D̃^-½ Ã D̃^-½ when
   *   `selfLoops`).
   * - 'rw': D^-1 A, each row sums to 1: the mean over a node's incoming messages.
   * - 'textbook': I + D^-½ A D^-½ (Aggarwal, *Neural Networks and Deep Learning*, eq. 10.5).
   *
   * A node with no incoming weight gets 0 in place of 1/0. Default 'none'.
   */
  normalize?: AdjacencyNormalization;
}

/** What `Graph.fromEdges` accepts besides the edges. */
export interface GraphOptions {
  /** One weight per edge (finite). */
  edgeWeight?: Float32Array | readonly number[];
  /** One relation type per edge (a non-negative integer), for R-GCN. */
  edgeType?: Int32Array | readonly number[];
  /** Node features (numNodes, F) float32. The graph takes ownership: `dispose()` frees it. */
  x?: Tensor;
  /**
   * Labels: one per node (numNodes), or one per graph. A host array becomes an int32 tensor when
   * `y` is first read; a tensor is owned by the graph as `x` is.
   */
  y?: Tensor | Int32Array | readonly number[];
  /** Edge features (E, …). Owned by the graph as `x` is. */
  edgeAttr?: Tensor;
  /** Node names (one per node), kept for display. */
  names?: readonly string[];
  /** Store each edge in both directions, once per pair (`toUndirected()`). Default false. */
  undirected?: boolean;
}

/** The destination-sorted edge order (counting sort, stable: ties keep their input order). */
export interface InCsr {
  /** (N+1): node v's incoming edges are sorted positions offsets[v] … offsets[v+1]−1. */
  offsets: Int32Array;
  /** Source of each edge, in destination order. */
  src: Int32Array;
  /** Destination of each edge, in destination order (non-decreasing). */
  dst: Int32Array;
  /** perm[k] = the original index of the k-th sorted edge. */
  perm: Int32Array;
}

/** A tensor shared by several graphs (a graph and the graphs derived from it): freed by the last holder. */
export class SharedTensor {
  private refs = 0;
  constructor(readonly tensor: Tensor) {
    keep(tensor);
  }
  acquire(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs <= 0) this.tensor.dispose();
  }
}

/** @internal Everything a Graph is built from; arrays are trusted (already checked). */
export interface GraphParts {
  numNodes: number;
  src: Int32Array;
  dst: Int32Array;
  edgeWeight?: Float32Array | undefined;
  edgeType?: Int32Array | undefined;
  x?: SharedTensor | undefined;
  y?: SharedTensor | undefined;
  labels?: Int32Array | undefined;
  edgeAttr?: SharedTensor | undefined;
  batch?: Int32Array | undefined;
  numGraphs?: number | undefined;
  names?: readonly string[] | undefined;
}

const MAX_NODES = 2 ** 31 - 1;

function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return typeof v;
}

/** @internal Check a node count. */
export function checkNodeCount(op: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_NODES) {
    throw new RangeError(`${op}: numNodes must be an integer in [0, 2^31), got ${describe(n)}`);
  }
  return n;
}

/** @internal An int32 copy of `a` whose entries are integers in [0, bound); names the offending entry. */
export function checkIndexArray(op: string, what: string, a: ArrayLike<number>, bound: number): Int32Array {
  if (a === null || typeof a !== 'object' || typeof a.length !== 'number') {
    throw new TypeError(`${op}: ${what} must be an array of node indices, got ${describe(a)}`);
  }
  const out = new Int32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= bound) {
      throw new RangeError(
        `${op}: ${what} ${i} is ${describe(v)}, out of range for ${bound} nodes (expected an integer in [0, ${bound}))`,
      );
    }
    out[i] = v;
  }
  return out;
}

function checkEdges(op: string, numNodes: number, src: ArrayLike<number>, dst: ArrayLike<number>) {
  if (src?.length !== dst?.length) {
    throw new RangeError(
      `${op}: src and dst must have one entry per edge, got ${src?.length} and ${dst?.length}`,
    );
  }
  const s = new Int32Array(src.length);
  const d = new Int32Array(dst.length);
  for (let e = 0; e < s.length; e++) {
    const a = src[e]!;
    const b = dst[e]!;
    if (!Number.isInteger(a) || a < 0 || a >= numNodes) {
      throw new RangeError(
        `${op}: edge ${e} has src ${describe(a)}, out of range for ${numNodes} nodes (expected an integer in [0, ${numNodes}))`,
      );
    }
    if (!Number.isInteger(b) || b < 0 || b >= numNodes) {
      throw new RangeError(
        `${op}: edge ${e} has dst ${describe(b)}, out of range for ${numNodes} nodes (expected an integer in [0, ${numNodes}))`,
      );
    }
    s[e] = a;
    d[e] = b;
  }
  return [s, d] as const;
}

function checkWeights(op: string, w: ArrayLike<number>, e: number): Float32Array {
  if (w.length !== e) throw new RangeError(`${op}: edgeWeight has ${w.length} entries for ${e} edges`);
  const out = new Float32Array(e);
  for (let i = 0; i < e; i++) {
    const v = w[i]!;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RangeError(`${op}: edgeWeight ${i} is ${describe(v)}, expected a finite number`);
    }
    out[i] = v;
  }
  return out;
}

function checkTypes(op: string, t: ArrayLike<number>, e: number): Int32Array {
  if (t.length !== e) throw new RangeError(`${op}: edgeType has ${t.length} entries for ${e} edges`);
  const out = new Int32Array(e);
  for (let i = 0; i < e; i++) {
    const v = t[i]!;
    if (!Number.isInteger(v) || v < 0 || v > MAX_NODES) {
      throw new RangeError(`${op}: edgeType ${i} is ${describe(v)}, expected a non-negative integer`);
    }
    out[i] = v;
  }
  return out;
}

/** @internal An int32 copy of host labels: one per node or one per graph. */
function checkLabels(op: string, y: Int32Array | readonly number[], n: number, graphs: number): Int32Array {
  if (y.length !== n && y.length !== graphs) {
    throw new RangeError(
      `${op}: y has ${y.length} labels, expected one per node (${n})${graphs !== n ? ` or one per graph (${graphs})` : ''}`,
    );
  }
  const out = new Int32Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
      throw new RangeError(`${op}: label ${i} is ${describe(v)}, expected an int32`);
    }
    out[i] = v;
  }
  return out;
}

/** @internal Gather rows `ids` of `t` into a new tensor (nothing else is left in the caller's scope). */
export function gatherRows(t: Tensor, ids: Int32Array): Tensor {
  return scope(() => indexSelect(t, 0, tensor(ids, { dtype: 'int32', shape: [ids.length] })));
}

/** Stable counting sort of edges by key (destination): offsets (N+1) and the sorted → original perm. */
function countingSort(keys: Int32Array, n: number): { offsets: Int32Array; perm: Int32Array } {
  const offsets = new Int32Array(n + 1);
  for (let e = 0; e < keys.length; e++) offsets[keys[e]! + 1]!++;
  for (let v = 0; v < n; v++) offsets[v + 1]! += offsets[v]!;
  const next = offsets.slice(0, n);
  const perm = new Int32Array(keys.length);
  for (let e = 0; e < keys.length; e++) perm[next[keys[e]!]!++] = e;
  return { offsets, perm };
}

/**
 * A graph with `numNodes` nodes and directed edges src[e] → dst[e] (COO), optional edge weights,
 * relation types and edge features, node features `x` (N, F) and labels `y`. Host arrays are the
 * truth; the tensors message passing needs are made on first use, kept out of scopes, and freed by
 * `dispose()`. An undirected graph stores each edge in both directions.
 *
 * @example
 * const g = Graph.fromEdges(3, [0, 1], [1, 2], { x: randn([3, 8]), undirected: true });
 * const agg = segmentReduce(indexSelect(g.x!, 0, g.sortedSrc()), g.inOffsets(), 'mean'); // (3, 8)
 * const h = spmm(g.adjacency({ selfLoops: true, normalize: 'sym' }), g.x!); // GCN propagation
 */
export class Graph {
  readonly numNodes: number;
  readonly src: Int32Array;
  readonly dst: Int32Array;
  readonly edgeWeight?: Float32Array;
  readonly edgeType?: Int32Array;
  /** Node → graph id when several graphs are batched (`batchGraphs`). */
  readonly batch?: Int32Array;
  /** 1 unless batched. */
  readonly numGraphs: number;
  /** Host copy of the integer labels, when they are known on the host. */
  readonly labels?: Int32Array;
  /** Node names, when the reader or loader knows them. */
  readonly names?: readonly string[];

  private readonly xRef: SharedTensor | undefined;
  private yRef: SharedTensor | undefined;
  private readonly edgeAttrRef: SharedTensor | undefined;
  private csr: InCsr | undefined;
  private readonly cache = new Map<string, Tensor | CsrMatrix>();
  private disposed = false;

  /** @internal Use `Graph.fromEdges`; this trusts its parts and takes a reference on each shared tensor. */
  constructor(parts: GraphParts) {
    this.numNodes = parts.numNodes;
    this.src = parts.src;
    this.dst = parts.dst;
    if (parts.edgeWeight) this.edgeWeight = parts.edgeWeight;
    if (parts.edgeType) this.edgeType = parts.edgeType;
    if (parts.batch) this.batch = parts.batch;
    if (parts.labels) this.labels = parts.labels;
    if (parts.names) this.names = parts.names;
    this.numGraphs = parts.numGraphs ?? 1;
    this.xRef = parts.x?.acquire();
    this.yRef = parts.y?.acquire();
    this.edgeAttrRef = parts.edgeAttr?.acquire();
  }

  /**
   * A graph from its edge list: `src[e] → dst[e]` for node indices in [0, numNodes).
   * @throws RangeError naming the edge, the index and the node count when an index is out of range,
   *   and when features, labels, weights or types do not match the node or edge count
   * @example Graph.fromEdges(4, [0, 1, 2], [1, 2, 3], { undirected: true }) // a path, 6 directed edges
   */
  static fromEdges(
    numNodes: number,
    src: Int32Array | ArrayLike<number>,
    dst: Int32Array | ArrayLike<number>,
    options: GraphOptions = {},
  ): Graph {
    const op = 'Graph.fromEdges';
    const n = checkNodeCount(op, numNodes);
    const [s, d] = checkEdges(op, n, src, dst);
    const e = s.length;
    const { x, y, edgeAttr } = options;
    if (x !== undefined) {
      if (x.rank !== 2 || x.shape[0] !== n) {
        throw new RangeError(
          `${op}: x must have shape [${n}, F] (one row per node), got [${x.shape.join(', ')}]`,
        );
      }
      if (x.dtype !== 'float32') throw new TypeError(`${op}: x must be float32, got ${x.dtype}`);
    }
    if (edgeAttr !== undefined && (edgeAttr.rank < 1 || edgeAttr.shape[0] !== e)) {
      throw new RangeError(
        `${op}: edgeAttr must have one row per edge (${e}), got shape [${edgeAttr.shape.join(', ')}]`,
      );
    }
    let labels: Int32Array | undefined;
    let yShared: SharedTensor | undefined;
    if (y !== undefined) {
      if (isTensor(y)) {
        if (y.rank < 1 || (y.shape[0] !== n && y.shape[0] !== 1)) {
          throw new RangeError(
            `${op}: y must have one label per node (${n}) or one for the graph, got shape [${y.shape.join(', ')}]`,
          );
        }
        yShared = new SharedTensor(y);
      } else {
        labels = checkLabels(op, y, n, 1);
      }
    }
    if (options.names !== undefined && options.names.length !== n) {
      throw new RangeError(`${op}: names has ${options.names.length} entries for ${n} nodes`);
    }
    const g = new Graph({
      numNodes: n,
      src: s,
      dst: d,
      edgeWeight: options.edgeWeight === undefined ? undefined : checkWeights(op, options.edgeWeight, e),
      edgeType: options.edgeType === undefined ? undefined : checkTypes(op, options.edgeType, e),
      x: x === undefined ? undefined : new SharedTensor(x),
      y: yShared,
      labels,
      edgeAttr: edgeAttr === undefined ? undefined : new SharedTensor(edgeAttr),
      names: options.names,
    });
    if (!options.undirected) return g;
    const u = g.toUndirected();
    g.dispose();
    return u;
  }

  get numEdges(): number {
    return this.src.length;
  }

  /** Node features (N, F) float32. */
  get x(): Tensor | undefined {
    return this.xRef?.tensor;
  }

  /** Labels: (N) per node, or (numGraphs) per graph; int32 when they came as a host array. */
  get y(): Tensor | undefined {
    if (!this.yRef && this.labels && !this.disposed) {
      this.yRef = new SharedTensor(
        tensor(this.labels, { dtype: 'int32', shape: [this.labels.length] }),
      ).acquire();
    }
    return this.yRef?.tensor;
  }

  /** Edge features (E, …). */
  get edgeAttr(): Tensor | undefined {
    return this.edgeAttrRef?.tensor;
  }

  /** Whether `dispose()` has run. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  private live(op: string): void {
    if (this.disposed) throw new Error(`Graph.${op}: the graph has been disposed`);
  }

  /** Edges sorted by destination (stable), computed once. */
  inCsr(): InCsr {
    if (!this.csr) {
      const { offsets, perm } = countingSort(this.dst, this.numNodes);
      const src = new Int32Array(perm.length);
      const dst = new Int32Array(perm.length);
      for (let k = 0; k < perm.length; k++) {
        src[k] = this.src[perm[k]!]!;
        dst[k] = this.dst[perm[k]!]!;
      }
      this.csr = { offsets, src, dst, perm };
    }
    return this.csr;
  }

  private cachedInt(key: string, make: () => Int32Array): Tensor {
    this.live(key);
    let t = this.cache.get(key) as Tensor | undefined;
    if (!t) {
      const a = make();
      t = keep(tensor(a, { dtype: 'int32', shape: [a.length] }));
      this.cache.set(key, t);
    }
    return t;
  }

  /** (N+1) int32 offsets of each node's incoming edges in destination order; for `segmentReduce`. Kept. */
  inOffsets(): Tensor {
    return this.cachedInt('inOffsets', () => this.inCsr().offsets);
  }

  /** (E) int32 sources in destination order. Kept. */
  sortedSrc(): Tensor {
    return this.cachedInt('sortedSrc', () => this.inCsr().src);
  }

  /** (E) int32 destinations in destination order. Kept. */
  sortedDst(): Tensor {
    return this.cachedInt('sortedDst', () => this.inCsr().dst);
  }

  /** (E) int32: the original index of each edge in destination order (gather per-edge data with it). Kept. */
  inPerm(): Tensor {
    return this.cachedInt('inPerm', () => this.inCsr().perm);
  }

  /** (E) float32 edge weights in destination order (1 when the graph has none). Kept. */
  sortedEdgeWeight(): Tensor {
    this.live('sortedEdgeWeight');
    let t = this.cache.get('sortedEdgeWeight') as Tensor | undefined;
    if (!t) {
      const { perm } = this.inCsr();
      const w = new Float32Array(perm.length).fill(1);
      if (this.edgeWeight) for (let k = 0; k < perm.length; k++) w[k] = this.edgeWeight[perm[k]!]!;
      t = keep(tensor(w, { dtype: 'float32', shape: [w.length] }));
      this.cache.set('sortedEdgeWeight', t);
    }
    return t;
  }

  /** (E) int32 edge types in destination order. Kept. */
  sortedEdgeType(): Tensor {
    const types = this.edgeType;
    if (!types) throw new Error('Graph.sortedEdgeType: the graph has no edge types');
    return this.cachedInt('sortedEdgeType', () => {
      const { perm } = this.inCsr();
      const t = new Int32Array(perm.length);
      for (let k = 0; k < perm.length; k++) t[k] = types[perm[k]!]!;
      return t;
    });
  }

  /**
   * Number of edges into (default) or out of each node; with `weighted`, the sum of their weights.
   * A node with no edges has degree 0.
   */
  degree(direction: 'in' | 'out' = 'in', options: { weighted?: boolean } = {}): Float32Array {
    if (direction !== 'in' && direction !== 'out') {
      throw new RangeError(`Graph.degree: direction must be 'in' or 'out', got ${describe(direction)}`);
    }
    const ends = direction === 'in' ? this.dst : this.src;
    const w = options.weighted ? this.edgeWeight : undefined;
    const deg = new Float32Array(this.numNodes);
    for (let e = 0; e < ends.length; e++) deg[ends[e]!]! += w ? w[e]! : 1;
    return deg;
  }

  /** Whether edge u → v is present for every edge v → u (counting multiplicity once). */
  isUndirected(): boolean {
    const index = new EdgeIndex(this.src, this.dst, this.numNodes);
    for (let e = 0; e < this.src.length; e++) if (!index.has(this.dst[e]!, this.src[e]!)) return false;
    return true;
  }

  /** Whether any edge is a self-loop. */
  hasSelfLoops(): boolean {
    for (let e = 0; e < this.src.length; e++) if (this.src[e] === this.dst[e]) return true;
    return false;
  }

  /**
   * The adjacency matrix as core's `CsrMatrix` (N, N), rows = destination and columns = source, so
   * `spmm(A, X)` sums each node's incoming messages. Parallel edges stay separate entries (their
   * weights add up in `spmm`). Cached per options; the graph owns it (`dispose()` frees it).
   */
  adjacency(options: AdjacencyOptions = {}): CsrMatrix {
    const selfLoops = options.selfLoops ?? false;
    const normalize = options.normalize ?? 'none';
    if (!['none', 'sym', 'rw', 'textbook'].includes(normalize)) {
      throw new RangeError(
        `Graph.adjacency: normalize must be 'none', 'sym', 'rw' or 'textbook', got ${describe(normalize)}`,
      );
    }
    const key = `adjacency:${selfLoops}:${normalize}`;
    this.live('adjacency');
    const hit = this.cache.get(key);
    if (hit) return hit as CsrMatrix;
    const n = this.numNodes;
    let src = this.src;
    let dst = this.dst;
    let w: Float32Array = this.edgeWeight ?? new Float32Array(src.length).fill(1);
    if (selfLoops) {
      const loops = missingLoops(this);
      const e = src.length;
      src = concatInt(src, loops);
      dst = concatInt(dst, loops);
      const w2 = new Float32Array(e + loops.length).fill(1);
      w2.set(w);
      w = w2;
    }
    if (normalize !== 'none') {
      const deg = new Float64Array(n);
      for (let e = 0; e < dst.length; e++) deg[dst[e]!]! += w[e]!;
      const scaled = new Float32Array(w.length);
      if (normalize === 'rw') {
        for (let e = 0; e < w.length; e++) {
          const d = deg[dst[e]!]!;
          scaled[e] = d === 0 ? 0 : w[e]! / d;
        }
      } else {
        const inv = new Float64Array(n);
        for (let v = 0; v < n; v++) inv[v] = deg[v]! > 0 ? 1 / Math.sqrt(deg[v]!) : 0;
        for (let e = 0; e < w.length; e++) scaled[e] = inv[dst[e]!]! * w[e]! * inv[src[e]!]!;
      }
      w = scaled;
      if (normalize === 'textbook') {
        const all = new Int32Array(n);
        for (let v = 0; v < n; v++) all[v] = v;
        src = concatInt(src, all);
        dst = concatInt(dst, all);
        const w2 = new Float32Array(w.length + n).fill(1);
        w2.set(w);
        w = w2;
      }
    }
    const { offsets, perm } = countingSort(dst, n);
    const cols = new Int32Array(perm.length);
    const vals = new Float32Array(perm.length);
    for (let k = 0; k < perm.length; k++) {
      cols[k] = src[perm[k]!]!;
      vals[k] = w[perm[k]!]!;
    }
    const a = new CsrMatrix(offsets, cols, vals, [n, n]);
    this.cache.set(key, a);
    return a;
  }

  /** @internal A graph on the same nodes with edges src → dst; ids[k] is the original edge of edge k, −1 for a new self-loop (all at the end, filled from `fill`). */
  deriveEdges(
    src: Int32Array,
    dst: Int32Array,
    ids: Int32Array,
    fill: { weight?: number; edgeType?: number; edgeAttr?: number } = {},
  ): Graph {
    const e = ids.length;
    let edgeWeight: Float32Array | undefined;
    let edgeType: Int32Array | undefined;
    let missing = 0;
    for (let k = 0; k < e; k++) if (ids[k]! < 0) missing++;
    if (this.edgeWeight) {
      edgeWeight = new Float32Array(e);
      for (let k = 0; k < e; k++)
        edgeWeight[k] = ids[k]! < 0 ? (fill.weight ?? 1) : this.edgeWeight[ids[k]!]!;
    }
    if (this.edgeType) {
      if (missing > 0 && fill.edgeType === undefined) {
        throw new RangeError(
          'Graph.withSelfLoops: the graph has edge types; pass { edgeType } for the new loops',
        );
      }
      edgeType = new Int32Array(e);
      for (let k = 0; k < e; k++) edgeType[k] = ids[k]! < 0 ? fill.edgeType! : this.edgeType[ids[k]!]!;
    }
    let edgeAttr: SharedTensor | undefined;
    const attr = this.edgeAttr;
    if (attr) {
      // New edges (−1) are all at the end: gather the old rows, then append filled rows.
      const old = ids.subarray(0, e - missing);
      edgeAttr = new SharedTensor(
        scope(() => {
          const kept = indexSelect(attr, 0, tensor(old, { dtype: 'int32', shape: [old.length] }));
          if (missing === 0) return kept;
          return concat([kept, full([missing, ...attr.shape.slice(1)], fill.edgeAttr ?? 1)]);
        }),
      );
    }
    return new Graph({
      numNodes: this.numNodes,
      src,
      dst,
      edgeWeight,
      edgeType,
      x: this.xRef,
      y: this.yRef,
      labels: this.labels,
      edgeAttr,
      batch: this.batch,
      numGraphs: this.numGraphs,
      names: this.names,
    });
  }

  /**
   * This graph plus a self-loop on every node that has none (PyTorch Geometric's
   * `add_remaining_self_loops`): the new loops come after the old edges, in node order, with weight
   * `weight` (default 1), type `edgeType` (required when the graph has types) and edge features
   * filled with `edgeAttr` (default 1). Shares `x` and `y` with this graph.
   */
  withSelfLoops(fill: { weight?: number; edgeType?: number; edgeAttr?: number } = {}): Graph {
    this.live('withSelfLoops');
    const loops = missingLoops(this);
    const e = this.numEdges;
    const ids = new Int32Array(e + loops.length).fill(-1);
    for (let k = 0; k < e; k++) ids[k] = k;
    return this.deriveEdges(concatInt(this.src, loops), concatInt(this.dst, loops), ids, fill);
  }

  /** This graph without its self-loops (edge order kept). Shares `x` and `y`. */
  withoutSelfLoops(): Graph {
    this.live('withoutSelfLoops');
    const keepIds: number[] = [];
    for (let e = 0; e < this.numEdges; e++) if (this.src[e] !== this.dst[e]) keepIds.push(e);
    return this.selectEdges(Int32Array.from(keepIds));
  }

  /** @internal The graph with the edges `ids` (original indices), same nodes. */
  selectEdges(ids: Int32Array): Graph {
    const src = new Int32Array(ids.length);
    const dst = new Int32Array(ids.length);
    for (let k = 0; k < ids.length; k++) {
      src[k] = this.src[ids[k]!]!;
      dst[k] = this.dst[ids[k]!]!;
    }
    return this.deriveEdges(src, dst, ids);
  }

  /**
   * Every edge in both directions, each ordered pair once, sorted by (src, dst) (as PyTorch
   * Geometric's `coalesce`). When a pair appears more than once, in either direction, both
   * directions take the weight, type and features of its first appearance in edge order. Shares `x`, `y`.
   */
  toUndirected(): Graph {
    this.live('toUndirected');
    const n = this.numNodes;
    const e = this.numEdges;
    // Canonical pairs (lo, hi), sorted stably: the first of each run is the pair's first edge.
    const lo = new Int32Array(e);
    const hi = new Int32Array(e);
    for (let k = 0; k < e; k++) {
      const a = this.src[k]!;
      const b = this.dst[k]!;
      lo[k] = Math.min(a, b);
      hi[k] = Math.max(a, b);
    }
    const order = sortByPair(lo, hi, n);
    const first = new Int32Array(e);
    let pairs = 0;
    let m = 0;
    for (let k = 0; k < e; k++) {
      const c = order[k]!;
      if (k === 0 || lo[order[k - 1]!] !== lo[c] || hi[order[k - 1]!] !== hi[c]) {
        first[pairs++] = c;
        m += lo[c] === hi[c] ? 1 : 2;
      }
    }
    // Both directions of each pair (a loop once), then sorted by (src, dst).
    const s0 = new Int32Array(m);
    const d0 = new Int32Array(m);
    const id0 = new Int32Array(m);
    for (let j = 0, k = 0; j < pairs; j++) {
      const c = first[j]!;
      const a = lo[c]!;
      const b = hi[c]!;
      s0[k] = a;
      d0[k] = b;
      id0[k++] = c;
      if (a !== b) {
        s0[k] = b;
        d0[k] = a;
        id0[k++] = c;
      }
    }
    const perm = sortByPair(s0, d0, n);
    const src = new Int32Array(m);
    const dst = new Int32Array(m);
    const ids = new Int32Array(m);
    for (let j = 0; j < m; j++) {
      const p = perm[j]!;
      src[j] = s0[p]!;
      dst[j] = d0[p]!;
      ids[j] = id0[p]!;
    }
    return this.deriveEdges(src, dst, ids);
  }

  /**
   * The subgraph induced by `nodes` (distinct node indices): node i of the result is nodes[i], and
   * every edge with both ends in `nodes` is kept, in edge order. `x`, `y` and `edgeAttr` rows are
   * gathered into new tensors owned by the subgraph.
   */
  subgraph(nodes: Int32Array | ArrayLike<number>): Graph {
    const op = 'Graph.subgraph';
    this.live('subgraph');
    const ids = checkIndexArray(op, 'node', nodes, this.numNodes);
    const local = new Int32Array(this.numNodes).fill(-1);
    for (let i = 0; i < ids.length; i++) {
      if (local[ids[i]!] !== -1)
        throw new RangeError(`${op}: node ${ids[i]} appears twice (at ${local[ids[i]!]} and ${i})`);
      local[ids[i]!] = i;
    }
    const kept: number[] = [];
    for (let e = 0; e < this.numEdges; e++)
      if (local[this.src[e]!]! >= 0 && local[this.dst[e]!]! >= 0) kept.push(e);
    return this.induced(ids, local, Int32Array.from(kept));
  }

  /** @internal The graph on `nodes` (local[v] = v's new index) with the edges `edges`. */
  induced(nodes: Int32Array, local: Int32Array, edges: Int32Array): Graph {
    const src = new Int32Array(edges.length);
    const dst = new Int32Array(edges.length);
    for (let k = 0; k < edges.length; k++) {
      src[k] = local[this.src[edges[k]!]!]!;
      dst[k] = local[this.dst[edges[k]!]!]!;
    }
    const perNodeLabels = this.labels && this.labels.length === this.numNodes;
    let labels: Int32Array | undefined;
    if (perNodeLabels) {
      labels = new Int32Array(nodes.length);
      for (let i = 0; i < nodes.length; i++) labels[i] = this.labels![nodes[i]!]!;
    }
    const y = this.yRef?.tensor;
    const perGraph =
      !this.batch && (this.labels ? !perNodeLabels : y !== undefined && y.shape[0] !== this.numNodes);
    if (perGraph && this.labels) labels = this.labels;
    const yOwn =
      y && !labels && y.shape[0] === this.numNodes
        ? new SharedTensor(gatherRows(y, nodes))
        : perGraph
          ? this.yRef
          : undefined;
    let batch: Int32Array | undefined;
    if (this.batch) {
      batch = new Int32Array(nodes.length);
      for (let i = 0; i < nodes.length; i++) batch[i] = this.batch[nodes[i]!]!;
    }
    const x = this.x;
    const attr = this.edgeAttr;
    const names = this.names ? Array.from(nodes, (v) => this.names![v]!) : undefined;
    const sub = new Graph({
      numNodes: nodes.length,
      src,
      dst,
      edgeWeight: this.edgeWeight ? Float32Array.from(edges, (e) => this.edgeWeight![e]!) : undefined,
      edgeType: this.edgeType ? Int32Array.from(edges, (e) => this.edgeType![e]!) : undefined,
      x: x ? new SharedTensor(gatherRows(x, nodes)) : undefined,
      y: yOwn,
      labels,
      edgeAttr: attr ? new SharedTensor(gatherRows(attr, edges)) : undefined,
      batch,
      numGraphs: batch ? this.numGraphs : 1,
      names,
    });
    return sub;
  }

  /** Free the tensors this graph made, and its hold on `x`, `y`, `edgeAttr`. Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.cache.values()) v.dispose();
    this.cache.clear();
    this.xRef?.release();
    this.yRef?.release();
    this.edgeAttrRef?.release();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

function isTensor(v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && 'dtype' in v && 'shape' in v && 'dispose' in v;
}

/** @internal The nodes without a self-loop, ascending. */
function missingLoops(g: Graph): Int32Array {
  const has = new Uint8Array(g.numNodes);
  for (let e = 0; e < g.numEdges; e++) if (g.src[e] === g.dst[e]) has[g.src[e]!] = 1;
  const out: number[] = [];
  for (let v = 0; v < g.numNodes; v++) if (!has[v]) out.push(v);
  return Int32Array.from(out);
}

/**
 * @internal The order that sorts entries by (a, b), stable (ties keep their input order): two
 * counting sorts, by b then by a, O(E + N) for values in [0, n).
 */
export function sortByPair(a: Int32Array, b: Int32Array, n: number): Int32Array {
  const byB = countingSort(b, n).perm;
  const count = new Int32Array(n + 1);
  for (let k = 0; k < a.length; k++) count[a[k]! + 1]!++;
  for (let v = 0; v < n; v++) count[v + 1]! += count[v]!;
  const out = new Int32Array(a.length);
  for (let k = 0; k < byB.length; k++) out[count[a[byB[k]!]!]!++] = byB[k]!;
  return out;
}

/**
 * @internal Membership of node pairs: each source's targets sorted, found by binary search
 * (O(log d) per query, O(E + N) memory: no hash set of E keys).
 */
export class EdgeIndex {
  private readonly offsets: Int32Array;
  private readonly targets: Int32Array;

  constructor(src: Int32Array, dst: Int32Array, n: number) {
    const perm = sortByPair(src, dst, n);
    this.offsets = new Int32Array(n + 1);
    for (let k = 0; k < src.length; k++) this.offsets[src[k]! + 1]!++;
    for (let v = 0; v < n; v++) this.offsets[v + 1]! += this.offsets[v]!;
    this.targets = new Int32Array(perm.length);
    for (let k = 0; k < perm.length; k++) this.targets[k] = dst[perm[k]!]!;
  }

  /** Whether a → b is one of the pairs. */
  has(a: number, b: number): boolean {
    let lo = this.offsets[a]!;
    let hi = this.offsets[a + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.targets[mid]!;
      if (t === b) return true;
      if (t < b) lo = mid + 1;
      else hi = mid;
    }
    return false;
  }

  /** The number of distinct pairs a → b with a ≠ b. */
  distinctNonLoops(): number {
    let count = 0;
    for (let a = 0; a + 1 < this.offsets.length; a++) {
      for (let k = this.offsets[a]!; k < this.offsets[a + 1]!; k++) {
        const t = this.targets[k]!;
        if (t !== a && (k === this.offsets[a] || this.targets[k - 1] !== t)) count++;
      }
    }
    return count;
  }
}

/** @internal a followed by b. */
export function concatInt(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
