import { concat, Module, type Parameter, type Seed, spmm, type Tensor, zeros } from '@myelin/core';
import { GRUCell } from '@myelin/nn';
import { checkRows } from './checks.js';
import {
  aggregationMatrix,
  checkGraph,
  type GraphLike,
  generatorFrom,
  positiveInt,
  uniformFan,
} from './graph.js';

/**
 * Gated graph neural network (Li et al., 2016), as PyG's `GatedGraphConv`: the input is padded
 * with zeros to `channels` columns, then `numLayers` times m_i = Σ_{j→i} h_j·W_l and
 * h_i ← GRUCell(m_i, h_i). Parameters `weight` [numLayers, channels, channels] (U(±1/√channels))
 * and `rnn.*` (a GRUCell).
 */
export class GatedGraphConv extends Module {
  weight: Parameter;
  rnn: GRUCell;
  readonly channels: number;
  readonly numLayers: number;

  constructor(channels: number, numLayers: number, options: { bias?: boolean; seed?: Seed } = {}) {
    super();
    this.channels = positiveInt('GatedGraphConv', channels, 'channels');
    this.numLayers = positiveInt('GatedGraphConv', numLayers, 'numLayers');
    const gen = generatorFrom(options.seed);
    this.weight = uniformFan([numLayers, channels, channels], channels, gen);
    this.rnn = new GRUCell(channels, channels, { bias: options.bias ?? true, seed: gen });
  }

  forward(x: Tensor, graph: GraphLike): Tensor {
    checkGraph('GatedGraphConv', graph);
    checkRows('GatedGraphConv', x, graph);
    const f = x.shape[1]!;
    const C = this.channels;
    if (f > C) {
      throw new RangeError(
        `GatedGraphConv: the input has ${f} features, more than the layer's ${C} channels`,
      );
    }
    let h = f < C ? concat([x, zeros([graph.numNodes, C - f])], 1) : x;
    const sum = aggregationMatrix(graph, 'sum');
    for (let l = 0; l < this.numLayers; l++) {
      const w = this.weight.slice([l, l + 1]).reshape([C, C]);
      const m = spmm(sum, h.matmul(w));
      h = this.rnn.forward(m, h);
    }
    return h;
  }
}
