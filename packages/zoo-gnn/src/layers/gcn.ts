import { Module, type Parameter, type Seed, spmm, type Tensor } from '@myelin/core';
import { Linear } from '@myelin/nn';
import {
  checkFeatures,
  type GcnNormalization,
  type GraphLike,
  gcnAdjacency,
  generatorFrom,
  glorotInto,
  positiveInt,
  zerosParam,
} from './graph.js';

export interface GCNConvOptions {
  /** Add a learned bias (default true; initialised to zero, as PyG). */
  bias?: boolean;
  /**
   * The propagation matrix: `'sym'` (default) Kipf & Welling's D̃^-½(A + I)D̃^-½, `'textbook'`
   * Aggarwal's I + Δ^-½ A Δ^-½ (eq. 10.5), `'none'` the raw adjacency.
   */
  normalize?: GcnNormalization;
  /** Add a self-loop to every node (default true; ignored by `'textbook'`, whose I is the loop). */
  selfLoops?: boolean;
  /**
   * Use the first graph's propagation matrix for every later call, whatever graph is passed
   * (PyG's `cached`, for transductive training on one graph). Without it each graph's matrix comes
   * from a small per-graph cache.
   */
  cached?: boolean;
  /** Seed of the Glorot initialisation (a number or a core `Generator`). */
  seed?: Seed;
}

/**
 * Graph convolution (Kipf & Welling, 2017): X' = Â·X·Wᵀ + b with Â the normalised adjacency
 * (rows are destinations: node i sums its in-neighbours). As PyG's `GCNConv`: `lin.weight`
 * [outF, inF] (Glorot), `bias` [outF] (zeros), edge weights used when the graph has them.
 *
 * @example
 * const conv = new GCNConv(34, 16, { seed: 0 });
 * const h = conv.forward(graph.x!, graph).relu(); // (34, 16)
 */
export class GCNConv extends Module {
  lin: Linear;
  bias: Parameter | null;
  readonly inF: number;
  readonly outF: number;
  readonly normalize: GcnNormalization;
  readonly selfLoops: boolean;
  readonly cached: boolean;

  constructor(inF: number, outF: number, options: GCNConvOptions = {}) {
    super();
    this.inF = positiveInt('GCNConv', inF, 'inF');
    this.outF = positiveInt('GCNConv', outF, 'outF');
    const normalize = options.normalize ?? 'sym';
    if (!['sym', 'textbook', 'none'].includes(normalize)) {
      throw new RangeError(`GCNConv: normalize must be 'sym', 'textbook' or 'none', got '${normalize}'`);
    }
    this.normalize = normalize;
    this.selfLoops = options.selfLoops ?? true;
    this.cached = options.cached ?? false;
    const gen = generatorFrom(options.seed);
    this.lin = new Linear(inF, outF, { bias: false, seed: gen });
    glorotInto(this.lin.weight, gen);
    this.bias = (options.bias ?? true) ? zerosParam([outF]) : null;
  }

  #pinned: GraphLike | undefined;

  forward(x: Tensor, graph: GraphLike): Tensor {
    checkFeatures('GCNConv', x, graph, this.inF);
    // As PyG's `cached`: the first graph's matrix serves every later call.
    if (this.cached) this.#pinned ??= graph;
    const a = gcnAdjacency(this.#pinned ?? graph, this.normalize, this.selfLoops);
    const out = spmm(a, this.lin.forward(x));
    return this.bias ? out.add(this.bias) : out;
  }
}
