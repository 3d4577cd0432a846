import { indexSelect, Module, type Parameter, type Seed, segmentReduce, type Tensor } from '@myelin/core';
import {
  checkFeatures,
  type GraphLike,
  generatorFrom,
  glorot,
  positiveInt,
  relationEdges,
  zerosParam,
} from './graph.js';

export interface RGCNConvOptions {
  /** Share `numBases` basis matrices among the relations (Schlichtkrull et al. eq. 3); default none. */
  numBases?: number;
  /** Add the root term x_i·root (default true). */
  rootWeight?: boolean;
  /** Add a learned bias (default true, zeros). */
  bias?: boolean;
  /** Seed of the Glorot initialisation. */
  seed?: Seed;
}

/**
 * Relational GCN (Schlichtkrull et al., 2018, eq. 2), as PyG's `RGCNConv` with mean aggregation:
 * x'_i = x_i·root + Σ_r mean_{j ∈ N_r(i)} x_j·W_r + b, edge types from `graph.edgeType`. With
 * `numBases` W_r = Σ_b comp[r, b]·weight[b] (eq. 3). Parameters `weight` [R or B, inF, outF],
 * `comp` [R, B], `root` [inF, outF] (Glorot), `bias` (zeros).
 */
export class RGCNConv extends Module {
  weight: Parameter;
  comp: Parameter | null;
  root: Parameter | null;
  bias: Parameter | null;
  readonly inF: number;
  readonly outF: number;
  readonly numRelations: number;

  constructor(inF: number, outF: number, numRelations: number, options: RGCNConvOptions = {}) {
    super();
    this.inF = positiveInt('RGCNConv', inF, 'inF');
    this.outF = positiveInt('RGCNConv', outF, 'outF');
    this.numRelations = positiveInt('RGCNConv', numRelations, 'numRelations');
    const gen = generatorFrom(options.seed);
    const bases = options.numBases;
    if (bases !== undefined) positiveInt('RGCNConv', bases, 'numBases');
    this.weight = glorot([bases ?? numRelations, inF, outF], gen);
    this.comp = bases !== undefined ? glorot([numRelations, bases], gen) : null;
    this.root = (options.rootWeight ?? true) ? glorot([inF, outF], gen) : null;
    this.bias = (options.bias ?? true) ? zerosParam([outF]) : null;
  }

  forward(x: Tensor, graph: GraphLike): Tensor {
    checkFeatures('RGCNConv', x, graph, this.inF);
    const [n, R, I, O] = [graph.numNodes, this.numRelations, this.inF, this.outF];
    const rel = relationEdges('RGCNConv', graph, R);
    const w = this.comp ? this.comp.matmul(this.weight.reshape([-1, I * O])).reshape([R, I, O]) : this.weight;
    // x·W_r for every relation at once: (N, R·O), row-major (node, relation) pairs.
    const h = x.matmul(w.permute([1, 0, 2]).reshape([I, R * O])).reshape([n * R, O]);
    const mean = segmentReduce(indexSelect(h, 0, rel.gatherT), rel.offsetsT, 'mean'); // (N·R, O)
    let out = mean.reshape([n, R, O]).sum(1);
    if (this.root) out = out.add(x.matmul(this.root));
    return this.bias ? out.add(this.bias) : out;
  }
}
