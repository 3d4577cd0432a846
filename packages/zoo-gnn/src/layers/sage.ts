import {
  concat,
  type Generator,
  indexSelect,
  Module,
  type Seed,
  segmentReduce,
  spmm,
  type Tensor,
  tensor,
  zeros,
} from '@myelin/core';
import { Linear, LSTM } from '@myelin/nn';
import {
  aggregationMatrix,
  checkFeatures,
  type GraphLike,
  generatorFrom,
  inEdges,
  positiveInt,
} from './graph.js';

/** How GraphSAGE pools a node's neighbours. */
export type SageAggregator = 'mean' | 'max' | 'lstm';

export interface SAGEConvOptions {
  /** `'mean'` (default), `'max'` (max-pooling, Hamilton et al.'s pool aggregator) or `'lstm'`. */
  aggregator?: SageAggregator;
  /**
   * Pass neighbours through `lin` (inF → inF, bias) and a ReLU before aggregating (PyG's
   * `project`). Default true for `'max'` — that is the paper's max-pooling aggregator — false otherwise.
   */
  project?: boolean;
  /** Scale each output row to unit L2 norm (default false). */
  normalize?: boolean;
  /** Add the root term `lin_r(x_i)` (default true). */
  rootWeight?: boolean;
  /** Bias on `lin_l` (default true). */
  bias?: boolean;
  /** Seed of the initialisation and of the LSTM aggregator's neighbour order. */
  seed?: Seed;
}

/** The LSTM aggregator's state, named as PyG's `LSTMAggregation` (`aggr_module.lstm.*`). */
export class LSTMAggregation extends Module {
  lstm: LSTM;
  readonly #gen: Generator | undefined;

  constructor(channels: number, gen: Generator | undefined) {
    super();
    this.lstm = new LSTM(channels, channels, { batchFirst: true, seed: gen });
    this.#gen = gen;
  }

  /**
   * Run the LSTM over each node's neighbours in a fresh random order (Hamilton et al.: the
   * aggregator sees a random permutation) and keep the output at the last neighbour; a node with
   * no neighbours gets 0.
   */
  forward(x: Tensor, graph: GraphLike): Tensor {
    const ie = inEdges(graph, 'keep');
    const n = graph.numNodes;
    const f = x.shape[1]!;
    let maxDeg = 0;
    for (let i = 0; i < n; i++) maxDeg = Math.max(maxDeg, ie.offsets[i + 1]! - ie.offsets[i]!);
    if (maxDeg === 0) return zeros([n, f]);
    const idx = new Int32Array(n * maxDeg).fill(n); // row n of the padded table is zeros
    const last = new Int32Array(n);
    const has = new Float32Array(n);
    const u = this.#draws(ie.src.length);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const a = ie.offsets[i]!;
      const deg = ie.offsets[i + 1]! - a;
      const order = Array.from({ length: deg }, (_, j) => j);
      for (let j = deg - 1; j > 0; j--) {
        const r = Math.floor(u[k++]! * (j + 1));
        [order[j], order[r]] = [order[r]!, order[j]!];
      }
      for (let j = 0; j < deg; j++) idx[i * maxDeg + j] = ie.src[a + order[j]!]!;
      last[i] = i * maxDeg + Math.max(deg - 1, 0);
      has[i] = deg > 0 ? 1 : 0;
    }
    const padded = concat([x, zeros([1, f])]);
    const seq = indexSelect(padded, 0, tensor(idx, { dtype: 'int32', shape: [idx.length] })).reshape([
      n,
      maxDeg,
      f,
    ]);
    const [out] = this.lstm.forward(seq);
    const h = indexSelect(out.reshape([n * maxDeg, f]), 0, tensor(last, { dtype: 'int32', shape: [n] }));
    return h.mul(tensor(has, { shape: [n, 1] }));
  }

  #draws(count: number): Float32Array {
    if (count === 0) return new Float32Array(0);
    if (this.#gen) return this.#gen.uniform(count);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = Math.random();
    return out;
  }
}

/**
 * GraphSAGE (Hamilton et al., 2017), as PyG's `SAGEConv`:
 * x'_i = lin_l(AGG_{j→i} x_j) + lin_r(x_i), optionally L2-normalised. `lin_l` [outF, inF] (with
 * bias) and `lin_r` [outF, inF] (no bias) use PyTorch's Linear initialisation; the max-pool
 * aggregator adds `lin` [inF, inF] + ReLU before the max; the LSTM aggregator is `aggr_module.lstm`.
 *
 * @example
 * const sage = new SAGEConv(64, 32, { aggregator: 'max', seed: 0 });
 * const h = sage.forward(x, graph); // (N, 32)
 */
export class SAGEConv extends Module {
  lin: Linear | null;
  aggr_module: LSTMAggregation | null;
  lin_l: Linear;
  lin_r: Linear | null;
  readonly inF: number;
  readonly outF: number;
  readonly aggregator: SageAggregator;
  readonly normalize: boolean;

  constructor(inF: number, outF: number, options: SAGEConvOptions = {}) {
    super();
    this.inF = positiveInt('SAGEConv', inF, 'inF');
    this.outF = positiveInt('SAGEConv', outF, 'outF');
    const aggregator = options.aggregator ?? 'mean';
    if (!['mean', 'max', 'lstm'].includes(aggregator)) {
      throw new RangeError(`SAGEConv: aggregator must be 'mean', 'max' or 'lstm', got '${aggregator}'`);
    }
    this.aggregator = aggregator;
    this.normalize = options.normalize ?? false;
    const gen = generatorFrom(options.seed);
    // PyG's order of construction: aggregation module, lin (project), lin_l, lin_r.
    this.aggr_module = aggregator === 'lstm' ? new LSTMAggregation(inF, gen) : null;
    this.lin = (options.project ?? aggregator === 'max') ? new Linear(inF, inF, { seed: gen }) : null;
    this.lin_l = new Linear(inF, outF, { bias: options.bias ?? true, seed: gen });
    this.lin_r = (options.rootWeight ?? true) ? new Linear(inF, outF, { bias: false, seed: gen }) : null;
  }

  forward(x: Tensor, graph: GraphLike): Tensor {
    checkFeatures('SAGEConv', x, graph, this.inF);
    const xj = this.lin ? this.lin.forward(x).relu() : x;
    let agg: Tensor;
    if (this.aggr_module) agg = this.aggr_module.forward(xj, graph);
    else if (this.aggregator === 'mean') agg = spmm(aggregationMatrix(graph, 'mean'), xj);
    else {
      const ie = inEdges(graph, 'keep');
      agg = segmentReduce(indexSelect(xj, 0, ie.srcT), ie.offsetsT, 'max');
    }
    let out = this.lin_l.forward(agg);
    if (this.lin_r) out = out.add(this.lin_r.forward(x));
    if (this.normalize) {
      // F.normalize(p = 2, eps = 1e-12): x / max(‖x‖, eps)
      out = out.div(out.square().sum(-1, { keepdims: true }).sqrt().maximum(1e-12));
    }
    return out;
  }
}
