import {
  dropout,
  type Generator,
  indexSelect,
  leakyRelu,
  Module,
  type Parameter,
  type Seed,
  segmentReduce,
  segmentSoftmax,
  type Tensor,
} from '@myelin/core';
import { Linear } from '@myelin/nn';
import {
  checkFeatures,
  type GraphLike,
  generatorFrom,
  glorot,
  glorotInto,
  inEdges,
  positiveInt,
  zerosParam,
} from './graph.js';

export interface GATConvOptions {
  /** Attention heads (default 1). */
  heads?: number;
  /** Concatenate the heads' outputs (default true, width heads·outF) or average them (width outF). */
  concat?: boolean;
  /** Slope of the LeakyReLU on the attention logits (default 0.2). */
  negativeSlope?: number;
  /** Drop probability of the attention weights while training (default 0). */
  dropout?: number;
  /**
   * Replace any self-loops by one per node (default true, as PyG). Without them a node with no
   * incoming edge receives nothing: its output is the bias alone, as in PyG.
   */
  selfLoops?: boolean;
  /** Add a learned bias (default true, zeros). */
  bias?: boolean;
  /** Seed of the Glorot initialisation and of the attention dropout. */
  seed?: Seed;
}

/** A GAT layer's output with the attention it used, edge by edge (destination-sorted order). */
export interface GATAttention {
  /** The layer's output, as `forward` returns it. */
  out: Tensor;
  /** Attention weights (E, heads), after softmax (and dropout while training). */
  alpha: Tensor;
  /** Source and destination of each of those edges (self-loops included). */
  src: Int32Array;
  dst: Int32Array;
}

/**
 * Graph attention (Veličković et al., 2018), as PyG's `GATConv`: h = x·linᵀ split into heads;
 * e_ij = LeakyReLU(att_src·h_j + att_dst·h_i), α_ij = softmax over i's incoming edges, x'_i =
 * Σ_j α_ij h_j, heads concatenated or averaged, plus bias. `lin.weight` [heads·outF, inF], `att_src`
 * and `att_dst` [1, heads, outF] (Glorot), `bias` zeros.
 *
 * @example
 * const gat = new GATConv(1433, 8, { heads: 8, dropout: 0.6, seed: 0 });
 * const h = gat.forward(x, graph).elu(); // (N, 64)
 */
export class GATConv extends Module {
  lin: Linear;
  att_src: Parameter;
  att_dst: Parameter;
  bias: Parameter | null;
  readonly inF: number;
  readonly outF: number;
  readonly heads: number;
  readonly concat: boolean;
  readonly negativeSlope: number;
  readonly dropout: number;
  readonly selfLoops: boolean;
  readonly #gen: Generator | undefined;

  constructor(inF: number, outF: number, options: GATConvOptions = {}) {
    super();
    this.inF = positiveInt('GATConv', inF, 'inF');
    this.outF = positiveInt('GATConv', outF, 'outF');
    this.heads = positiveInt('GATConv', options.heads ?? 1, 'heads');
    this.concat = options.concat ?? true;
    this.negativeSlope = options.negativeSlope ?? 0.2;
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) {
      throw new RangeError(`GATConv: dropout must be in [0, 1), got ${this.dropout}`);
    }
    this.selfLoops = options.selfLoops ?? true;
    const gen = generatorFrom(options.seed);
    this.#gen = gen;
    this.lin = new Linear(inF, this.heads * outF, { bias: false, seed: gen });
    glorotInto(this.lin.weight, gen);
    this.att_src = glorot([1, this.heads, outF], gen);
    this.att_dst = glorot([1, this.heads, outF], gen);
    this.bias = (options.bias ?? true) ? zerosParam([this.concat ? this.heads * outF : outF]) : null;
  }

  /** Width of the output: heads·outF when concatenating, outF when averaging. */
  get outWidth(): number {
    return this.concat ? this.heads * this.outF : this.outF;
  }

  /**
   * Set to keep a host copy of each forward call's attention weights in `lastAttention` (for
   * pictures of a trained model; it reads the weights back, so leave it off while training).
   */
  recordAttention = false;
  /** The attention of the last forward call while `recordAttention` was set: (E, heads) row-major. */
  lastAttention: { src: Int32Array; dst: Int32Array; alpha: Float32Array; heads: number } | null = null;

  forward(x: Tensor, graph: GraphLike): Tensor {
    const r = this.forwardWithAttention(x, graph);
    if (this.recordAttention) {
      this.lastAttention = {
        src: r.src,
        dst: r.dst,
        alpha: r.alpha.dataSync() as Float32Array,
        heads: this.heads,
      };
    }
    return r.out;
  }

  /** `forward`, also returning the attention weights per edge (for pictures and inspection). */
  forwardWithAttention(x: Tensor, graph: GraphLike): GATAttention {
    checkFeatures('GATConv', x, graph, this.inF);
    const [n, H, C] = [graph.numNodes, this.heads, this.outF];
    const ie = inEdges(graph, this.selfLoops ? 'add' : 'keep');
    const h = this.lin.forward(x).reshape([n, H, C]);
    const aSrc = h.mul(this.att_src).sum(-1); // (N, H)
    const aDst = h.mul(this.att_dst).sum(-1);
    const logits = leakyRelu(
      indexSelect(aSrc, 0, ie.srcT).add(indexSelect(aDst, 0, ie.dstT)),
      this.negativeSlope,
    );
    let alpha = segmentSoftmax(logits, ie.offsetsT); // (E, H)
    if (this.training && this.dropout > 0) alpha = dropout(alpha, this.dropout, { seed: this.#gen });
    const messages = indexSelect(h, 0, ie.srcT).mul(alpha.reshape([ie.src.length, H, 1]));
    const agg = segmentReduce(messages, ie.offsetsT, 'sum'); // (N, H, C)
    let out = this.concat ? agg.reshape([n, H * C]) : agg.mean(1);
    if (this.bias) out = out.add(this.bias);
    return { out, alpha, src: ie.src, dst: ie.dst };
  }
}
