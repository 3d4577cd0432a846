import {
  concat,
  fmtShape,
  indexSelect,
  isTensor,
  Module,
  noGrad,
  type Parameter,
  type Seed,
  scatterReduce,
  segmentReduce,
  type Tensor,
  tensor,
  zeros,
} from '@myelin/core';
import { checkRows } from './checks.js';
import {
  checkGraph,
  type GraphLike,
  generatorFrom,
  glorot as glorotParam,
  positiveInt,
  uniformFan,
  zerosParam,
} from './graph.js';

// ---------------------------------------------------------------------------------------------
// Global pooling (readout)
// ---------------------------------------------------------------------------------------------

type Reduce = 'sum' | 'mean' | 'max';

function globalPool(
  op: string,
  reduce: Reduce,
  x: Tensor,
  batch?: Int32Array | Tensor,
  numGraphs?: number,
): Tensor {
  if (x.rank !== 2) throw new RangeError(`${op}: x must be 2-D [numNodes, F], got ${fmtShape(x.shape)}`);
  const n = x.shape[0]!;
  if (batch === undefined) {
    if (n === 0) return zeros([1, x.shape[1]!]);
    return reduce === 'sum'
      ? x.sum(0, { keepdims: true })
      : reduce === 'mean'
        ? x.mean(0, { keepdims: true })
        : x.max(0, { keepdims: true });
  }
  const len = isTensor(batch) ? batch.shape[0] : batch.length;
  if (len !== n)
    throw new RangeError(`${op}: batch has ${len} entries for ${n} nodes; expected one graph id per node`);
  if (isTensor(batch)) {
    if (numGraphs === undefined) throw new RangeError(`${op}: give numGraphs with a batch tensor`);
    return scatterReduce(x, batch, numGraphs, reduce);
  }
  let max = -1;
  let sorted = true;
  for (let i = 0; i < n; i++) {
    const b = batch[i]!;
    if (!(b >= 0)) throw new RangeError(`${op}: batch[${i}] is ${b}; graph ids must be ≥ 0`);
    if (b < max) sorted = false;
    max = Math.max(max, b);
  }
  const g = numGraphs ?? max + 1;
  if (max >= g) throw new RangeError(`${op}: batch holds graph id ${max} but numGraphs is ${g}`);
  if (!sorted) return scatterReduce(x, tensor(batch, { dtype: 'int32', shape: [n] }), g, reduce);
  // A sorted batch vector (as batching builds it) is already segments: one pass, no sort.
  const offsets = new Int32Array(g + 1);
  for (let i = 0; i < n; i++) offsets[batch[i]! + 1]!++;
  for (let k = 0; k < g; k++) offsets[k + 1]! += offsets[k]!;
  return segmentReduce(x, tensor(offsets, { dtype: 'int32', shape: [g + 1] }), reduce);
}

/**
 * Sum of each graph's node rows: x (N, F), `batch` the graph of every node (Int32Array or int32
 * tensor; omitted: one graph) → (numGraphs, F). A graph with no nodes gives 0.
 */
export function globalSumPool(x: Tensor, batch?: Int32Array | Tensor, numGraphs?: number): Tensor {
  return globalPool('globalSumPool', 'sum', x, batch, numGraphs);
}

/** Mean of each graph's node rows (see `globalSumPool`). */
export function globalMeanPool(x: Tensor, batch?: Int32Array | Tensor, numGraphs?: number): Tensor {
  return globalPool('globalMeanPool', 'mean', x, batch, numGraphs);
}

/** Elementwise max of each graph's node rows (see `globalSumPool`). */
export function globalMaxPool(x: Tensor, batch?: Int32Array | Tensor, numGraphs?: number): Tensor {
  return globalPool('globalMaxPool', 'max', x, batch, numGraphs);
}

// ---------------------------------------------------------------------------------------------
// TopKPooling (Graph U-Net's gPool)
// ---------------------------------------------------------------------------------------------

export interface TopKPoolingOptions {
  /** Fraction of each graph's nodes kept, ⌈ratio·n⌉ (0 < ratio ≤ 1), or a node count (an integer > 1); default 0.5. */
  ratio?: number;
  /** Gate of the kept features: tanh (default, as Gao & Ji) or sigmoid of the score. */
  nonlinearity?: 'tanh' | 'sigmoid';
  /** Scale of the gated features (default 1). */
  multiplier?: number;
  seed?: Seed;
}

/** What `TopKPooling` returns: the kept nodes' gated features and their induced subgraph. */
export interface TopKResult {
  x: Tensor;
  graph: GraphLike;
  /** Original index of each kept node, graph by graph, best score first. */
  perm: Int32Array;
  /** The gate values of the kept nodes (K). */
  score: Tensor;
}

/**
 * Graph U-Net's gPool (Gao & Ji, 2019), as PyG's `TopKPooling`: score y = X·w/‖w‖, keep the
 * top ⌈ratio·n⌉ nodes of every graph, x' = x_kept ⊙ tanh(y_kept), and the subgraph they induce.
 * `weight` [1, channels] ~ U(±1/√channels). The choice of nodes reads the scores on the host; the
 * gradient reaches `weight` through the gate.
 */
export class TopKPooling extends Module {
  weight: Parameter;
  readonly channels: number;
  readonly ratio: number;
  readonly nonlinearity: 'tanh' | 'sigmoid';
  readonly multiplier: number;

  constructor(channels: number, options: TopKPoolingOptions = {}) {
    super();
    this.channels = positiveInt('TopKPooling', channels, 'channels');
    const ratio = options.ratio ?? 0.5;
    if (!((ratio > 0 && ratio <= 1) || (Number.isInteger(ratio) && ratio > 1))) {
      throw new RangeError(`TopKPooling: ratio must be in (0, 1] or an integer node count > 1, got ${ratio}`);
    }
    this.ratio = ratio;
    this.nonlinearity = options.nonlinearity ?? 'tanh';
    this.multiplier = options.multiplier ?? 1;
    this.weight = uniformFan([1, channels], channels, generatorFrom(options.seed));
  }

  forward(x: Tensor, graph: GraphLike): TopKResult {
    checkGraph('TopKPooling', graph);
    checkRows('TopKPooling', x, graph);
    if (x.shape[1] !== this.channels) {
      throw new RangeError(
        `TopKPooling: node features have ${x.shape[1]} columns; the layer expects ${this.channels}`,
      );
    }
    const n = graph.numNodes;
    const w = this.weight.reshape([this.channels, 1]);
    const raw = x.matmul(w).reshape([n]).div(this.weight.square().sum().sqrt());
    const score = this.nonlinearity === 'tanh' ? raw.tanh() : raw.sigmoid();
    const host = noGrad(() => score.dataSync());
    const batch = graph.batch ?? new Int32Array(n);
    const groups = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const b = batch[i]!;
      if (!groups.has(b)) groups.set(b, []);
      groups.get(b)!.push(i);
    }
    const perm: number[] = [];
    for (const b of [...groups.keys()].sort((a, c) => a - c)) {
      const nodes = groups.get(b)!;
      const k =
        this.ratio <= 1 ? Math.ceil(this.ratio * nodes.length - 1e-9) : Math.min(this.ratio, nodes.length);
      nodes.sort((i, j) => host[j]! - host[i]! || i - j);
      perm.push(...nodes.slice(0, k));
    }
    const permA = Int32Array.from(perm);
    const permT = tensor(permA, { dtype: 'int32', shape: [permA.length] });
    const kept = indexSelect(score, 0, permT);
    let out = indexSelect(x, 0, permT).mul(kept.reshape([permA.length, 1]));
    if (this.multiplier !== 1) out = out.mul(this.multiplier);
    return { x: out, graph: inducedSubgraph(graph, permA), perm: permA, score: kept };
  }
}

/** The subgraph on `nodes` (new ids = positions in `nodes`), keeping edge weights, types and batch. */
export function inducedSubgraph(g: GraphLike, nodes: Int32Array): GraphLike {
  const map = new Int32Array(g.numNodes).fill(-1);
  nodes.forEach((v, i) => {
    map[v] = i;
  });
  const keep: number[] = [];
  for (let e = 0; e < g.src.length; e++) if (map[g.src[e]!]! >= 0 && map[g.dst[e]!]! >= 0) keep.push(e);
  const pick = <T extends Int32Array | Float32Array>(
    a: T | undefined,
    make: (n: number) => T,
  ): T | undefined => {
    if (!a) return undefined;
    const out = make(keep.length);
    keep.forEach((e, k) => {
      out[k] = a[e]!;
    });
    return out;
  };
  return {
    numNodes: nodes.length,
    src: Int32Array.from(keep, (e) => map[g.src[e]!]!),
    dst: Int32Array.from(keep, (e) => map[g.dst[e]!]!),
    edgeWeight: pick(g.edgeWeight, (k) => new Float32Array(k)),
    edgeType: pick(g.edgeType, (k) => new Int32Array(k)),
    batch: g.batch ? Int32Array.from(nodes, (v) => g.batch![v]!) : undefined,
    numGraphs: g.numGraphs ?? 1,
  };
}

// ---------------------------------------------------------------------------------------------
// Dense batches and DiffPool
// ---------------------------------------------------------------------------------------------

/** A batch of graphs as dense tensors, padded to the largest graph. */
export interface DenseBatch {
  /** (B, Nmax, F) features, zero rows for padding. */
  x: Tensor;
  /** (B, Nmax, Nmax) adjacency, adj[b, i, j] = weight of the edge j → i. */
  adj: Tensor;
  /** (B, Nmax) 1 for a real node, 0 for padding (float32). */
  mask: Tensor;
}

/**
 * Pad a (batched) graph's nodes into dense (B, Nmax, ·) tensors, as PyG's `to_dense_batch` and
 * `to_dense_adj`; the features keep their gradient. Nodes of a graph must be contiguous in the batch.
 */
export function toDenseBatch(x: Tensor, graph: GraphLike): DenseBatch {
  checkGraph('toDenseBatch', graph);
  checkRows('toDenseBatch', x, graph);
  const n = graph.numNodes;
  const f = x.shape[1]!;
  const batch = graph.batch ?? new Int32Array(n);
  const B = graph.numGraphs ?? 1;
  const counts = new Int32Array(B);
  const slot = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const b = batch[i]!;
    if (!(b >= 0 && b < B))
      throw new RangeError(`toDenseBatch: node ${i} is in graph ${b}, outside [0, ${B})`);
    if (i > 0 && b < batch[i - 1]!)
      throw new RangeError('toDenseBatch: the batch vector must be sorted (graphs contiguous)');
    slot[i] = counts[b]!++;
  }
  const m = Math.max(1, ...counts);
  const idx = new Int32Array(B * m).fill(n);
  const mask = new Float32Array(B * m);
  for (let i = 0; i < n; i++) {
    idx[batch[i]! * m + slot[i]!] = i;
    mask[batch[i]! * m + slot[i]!] = 1;
  }
  const adj = new Float32Array(B * m * m);
  for (let e = 0; e < graph.src.length; e++) {
    const s = graph.src[e]!;
    const d = graph.dst[e]!;
    if (batch[s] !== batch[d])
      throw new RangeError(`toDenseBatch: edge ${e} joins graphs ${batch[s]} and ${batch[d]}`);
    adj[batch[d]! * m * m + slot[d]! * m + slot[s]!]! += graph.edgeWeight ? graph.edgeWeight[e]! : 1;
  }
  const padded = concat([x, zeros([1, f])]);
  return {
    x: indexSelect(padded, 0, tensor(idx, { dtype: 'int32', shape: [B * m] })).reshape([B, m, f]),
    adj: tensor(adj, { shape: [B, m, m] }),
    mask: tensor(mask, { shape: [B, m] }),
  };
}

/** What `denseDiffPool` returns. */
export interface DiffPoolResult {
  /** Pooled features Sᵀ·X (B, K, F). */
  x: Tensor;
  /** Pooled adjacency Sᵀ·A·S (B, K, K). */
  adj: Tensor;
  /** ‖A − S·Sᵀ‖_F / numel(A) (Ying et al.'s link-prediction regulariser, as PyG). */
  linkLoss: Tensor;
  /** Mean over nodes of the entropy −Σ_k s_k·log s_k of each assignment row. */
  entropyLoss: Tensor;
}

/**
 * DiffPool's pooling step (Ying et al., 2018; Aggarwal §10.5), as PyG's `dense_diff_pool`:
 * S = softmax(s) over clusters (masked rows zeroed), X' = Sᵀ·X, A' = Sᵀ·A·S, with the link and
 * entropy regularisers. Shapes: x (B, N, F), adj (B, N, N), s (B, N, K), mask (B, N).
 */
export function denseDiffPool(x: Tensor, adj: Tensor, s: Tensor, mask?: Tensor): DiffPoolResult {
  if (x.rank !== 3 || adj.rank !== 3 || s.rank !== 3) {
    throw new RangeError(
      `denseDiffPool: expected x (B, N, F), adj (B, N, N), s (B, N, K); got ${fmtShape(x.shape)}, ${fmtShape(adj.shape)}, ${fmtShape(s.shape)}`,
    );
  }
  const [B, N] = x.shape as [number, number, number];
  if (
    adj.shape[0] !== B ||
    adj.shape[1] !== N ||
    adj.shape[2] !== N ||
    s.shape[0] !== B ||
    s.shape[1] !== N
  ) {
    throw new RangeError(
      `denseDiffPool: x ${fmtShape(x.shape)}, adj ${fmtShape(adj.shape)} and s ${fmtShape(s.shape)} disagree on B or N`,
    );
  }
  let S = s.softmax(-1);
  if (mask) {
    const m = mask.reshape([B, N, 1]);
    x = x.mul(m);
    S = S.mul(m);
  }
  const St = S.transpose(1, 2);
  const out = St.matmul(x);
  const outAdj = St.matmul(adj).matmul(S);
  const linkLoss = adj.sub(S.matmul(St)).square().sum().sqrt().div(adj.size);
  const entropyLoss = S.neg().mul(S.add(1e-15).log()).sum(-1).mean();
  return { x: out, adj: outAdj, linkLoss, entropyLoss };
}

/**
 * A GCN layer on dense batched adjacency, as PyG's `DenseGCNConv`: self-loops set to 1,
 * D^-½ Â D^-½ with degrees clamped at 1, then ·X·W + b (masked rows zeroed).
 * `weight` [inF, outF] (Glorot), `bias` (zeros).
 */
export class DenseGCNConv extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly inF: number;
  readonly outF: number;

  constructor(inF: number, outF: number, options: { bias?: boolean; seed?: Seed } = {}) {
    super();
    this.inF = positiveInt('DenseGCNConv', inF, 'inF');
    this.outF = positiveInt('DenseGCNConv', outF, 'outF');
    const gen = generatorFrom(options.seed);
    this.weight = glorotParam([inF, outF], gen);
    this.bias = (options.bias ?? true) ? zerosParam([outF]) : null;
  }

  forward(x: Tensor, adj: Tensor, mask?: Tensor): Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.inF || adj.rank !== 3) {
      throw new RangeError(
        `DenseGCNConv: expected x (B, N, ${this.inF}) and adj (B, N, N), got ${fmtShape(x.shape)} and ${fmtShape(adj.shape)}`,
      );
    }
    const [B, N] = [x.shape[0]!, x.shape[1]!];
    const eye = tensor(
      Float32Array.from({ length: N * N }, (_, k) => (k % (N + 1) === 0 ? 1 : 0)),
      { shape: [1, N, N] },
    );
    // adj with its diagonal set to 1
    const a = adj.mul(eye.neg().add(1)).add(eye);
    const dInv = a.sum(-1).maximum(1).rsqrt(); // (B, N)
    const norm = dInv
      .reshape([B, N, 1])
      .mul(a)
      .mul(dInv.reshape([B, 1, N]));
    let out = norm.matmul(x.matmul(this.weight));
    if (this.bias) out = out.add(this.bias);
    return mask ? out.mul(mask.reshape([B, N, 1])) : out;
  }
}

/**
 * One DiffPool block (Aggarwal §10.5, Ying et al.): an embedding GNN Z = ReLU(GCN_embed(A, X)) and
 * an assignment GNN S = softmax(GCN_pool(A, X)) over `clusters`, pooled by `denseDiffPool`.
 */
export class DiffPool extends Module {
  gnn_embed: DenseGCNConv;
  gnn_pool: DenseGCNConv;

  constructor(inF: number, hidden: number, clusters: number, options: { seed?: Seed } = {}) {
    super();
    const gen = generatorFrom(options.seed);
    this.gnn_embed = new DenseGCNConv(inF, hidden, { seed: gen });
    this.gnn_pool = new DenseGCNConv(inF, positiveInt('DiffPool', clusters, 'clusters'), { seed: gen });
  }

  forward(x: Tensor, adj: Tensor, mask?: Tensor): DiffPoolResult {
    const z = this.gnn_embed.forward(x, adj, mask).relu();
    const s = this.gnn_pool.forward(x, adj, mask);
    return denseDiffPool(z, adj, s, mask);
  }
}
