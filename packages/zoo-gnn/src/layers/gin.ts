import { Module, Parameter, spmm, type Tensor, tensor, Variable } from '@myelin/core';
import { checkRows } from './checks.js';
import { aggregationMatrix, checkGraph, type GraphLike } from './graph.js';

/** A module that maps node features to node features (the MLP inside GIN). */
export type NodeModule = Module & { forward(x: Tensor): Tensor };

export interface GINConvOptions {
  /** ε in (1 + ε)·x_i (default 0). */
  eps?: number;
  /** Learn ε (a parameter) instead of keeping it fixed (a buffer); default false. */
  trainEps?: boolean;
}

/**
 * Graph isomorphism network layer (Xu et al., 2019, eq. 4.1), as PyG's `GINConv`:
 * x'_i = nn((1 + ε)·x_i + Σ_{j→i} x_j). The MLP is `nn` (its parameters `nn.0.weight` …); `eps` is
 * a parameter with `trainEps`, a buffer otherwise.
 *
 * @example
 * const conv = new GINConv(new Sequential(new Linear(7, 32), new ReLU(), new Linear(32, 32)), { trainEps: true });
 */
export class GINConv extends Module {
  nn: NodeModule;
  eps: Variable;

  constructor(mlp: NodeModule, options: GINConvOptions = {}) {
    super();
    if (!(mlp instanceof Module) || typeof mlp.forward !== 'function') {
      throw new TypeError('GINConv: expected a Module with forward(x) as the MLP');
    }
    const eps = options.eps ?? 0;
    if (!Number.isFinite(eps)) throw new RangeError(`GINConv: eps must be finite, got ${eps}`);
    this.nn = mlp;
    const init = tensor([eps]);
    this.eps = options.trainEps ? new Parameter(init) : new Variable(init, { requiresGrad: false });
    init.dispose();
  }

  forward(x: Tensor, graph: GraphLike): Tensor {
    checkGraph('GINConv', graph);
    checkRows('GINConv', x, graph);
    const agg = spmm(aggregationMatrix(graph, 'sum'), x);
    return this.nn.forward(x.mul(this.eps.add(1)).add(agg));
  }
}
