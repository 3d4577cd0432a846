import { dropout, type Generator, Module, Parameter, type Seed, type Tensor } from '@myelin/core';
import { BatchNorm1d, Dropout, Linear, ReLU, Sequential } from '@myelin/nn';
import { GATConv } from './layers/gat.js';
import { GCNConv, type GCNConvOptions } from './layers/gcn.js';
import { GINConv } from './layers/gin.js';
import { type GraphLike, generatorFrom, positiveInt } from './layers/graph.js';
import { globalMeanPool, globalSumPool } from './layers/pool.js';
import { RGCNConv } from './layers/rgcn.js';
import { SAGEConv, type SageAggregator } from './layers/sage.js';

/** What every model builder takes. */
export interface GnnModelOptions {
  /** Node feature width. */
  inF: number;
  /** Width of the hidden layers. */
  hidden: number;
  /** Output width (classes, or the embedding width). */
  classes: number;
  /** Number of layers, the output layer included (default 2). */
  layers?: number;
  /** Drop probability on each layer's input while training (default 0.5). */
  dropout?: number;
  /** Seed of the initialisation and the dropout masks. */
  seed?: Seed;
}

function widths(op: string, o: GnnModelOptions): { dims: number[]; p: number; gen: Generator | undefined } {
  positiveInt(op, o.inF, 'inF');
  positiveInt(op, o.hidden, 'hidden');
  positiveInt(op, o.classes, 'classes');
  const layers = positiveInt(op, o.layers ?? 2, 'layers');
  const p = o.dropout ?? 0.5;
  if (!(p >= 0 && p < 1)) throw new RangeError(`${op}: dropout must be in [0, 1), got ${p}`);
  const dims = [o.inF, ...Array<number>(layers - 1).fill(o.hidden), o.classes];
  return { dims, p, gen: generatorFrom(o.seed) };
}

/**
 * A table of the model's layers with their parameter counts, as PyG's `summary` counts them
 * (every trainable scalar once).
 */
export function graphSummary(model: Module): string {
  const rows: [string, string, number][] = [];
  const own = (m: Module) =>
    Object.values(m)
      .filter((v): v is Parameter => v instanceof Parameter)
      .reduce((n, p) => n + p.size, 0);
  for (const [name, m] of model.namedModules()) {
    const n = m.namedParameters().reduce((s, [, p]) => s + p.size, 0);
    if (name === '') {
      if (own(m) > 0) rows.push(['(own parameters)', '', own(m)]);
      continue;
    }
    if (name.split('.').length > 2) continue; // convs.0 and its direct children only
    rows.push([name, m.constructor.name, n]);
  }
  const total = model.numParameters();
  const w0 = Math.max(12, ...rows.map((r) => r[0].length)) + 2;
  const w1 = Math.max(12, ...rows.map((r) => r[1].length)) + 2;
  const fmt = (n: number) => n.toLocaleString('en-US');
  const line = (a: string, b: string, c: string) => `${a.padEnd(w0)}${b.padEnd(w1)}${c.padStart(10)}`;
  return [
    model.constructor.name,
    line('Layer', 'Type', '#Params'),
    ...rows.map(([a, b, c]) => line(a, b, fmt(c))),
    `Total params: ${fmt(total)}`,
  ].join('\n');
}

/** The base of the graph models: `forward(x, graph)` and a parameter `summary()`. */
export abstract class GraphModel extends Module {
  protected readonly p: number;
  readonly #gen: Generator | undefined;

  protected constructor(p: number, gen: Generator | undefined) {
    super();
    this.p = p;
    this.#gen = gen;
  }

  protected drop(x: Tensor): Tensor {
    return this.training && this.p > 0 ? dropout(x, this.p, { seed: this.#gen }) : x;
  }

  abstract forward(x: Tensor, graph: GraphLike): Tensor;

  /** Layers and parameter counts (see `graphSummary`). */
  summary(): string {
    return graphSummary(this);
  }
}

/** Kipf & Welling's GCN: [dropout → GCNConv → ReLU] × (layers − 1), dropout → GCNConv (logits). */
export class GCN extends GraphModel {
  convs: GCNConv[];

  constructor(options: GnnModelOptions & Pick<GCNConvOptions, 'normalize' | 'selfLoops' | 'cached'>) {
    const { dims, p, gen } = widths('gcn', options);
    super(p, gen);
    const conv = { normalize: options.normalize, selfLoops: options.selfLoops, cached: options.cached };
    this.convs = dims.slice(1).map((d, i) => new GCNConv(dims[i]!, d, { ...conv, seed: gen }));
  }

  forward(x: Tensor, graph: GraphLike): Tensor {
    this.convs.forEach((conv, i) => {
      x = conv.forward(this.drop(x), graph);
      if (i < this.convs.length - 1) x = x.relu();
    });
    return x;
  }
}

/** GraphSAGE: [dropout → SAGEConv → ReLU] × (layers − 1), dropout → SAGEConv. */
export class GraphSAGE extends GraphModel {
  convs: SAGEConv[];

  constructor(options: GnnModelOptions & { aggregator?: SageAggregator; normalize?: boolean }) {
    const { dims, p, gen } = widths('graphSage', options);
    super(p, gen);
    this.convs = dims.slice(1).map(
      (d, i) =>
        new SAGEConv(dims[i]!, d, {
          aggregator: options.aggregator,
          normalize: options.normalize,
          seed: gen,
        }),
    );
  }

  forward(x: Tensor, graph: GraphLike): Tensor {
    this.convs.forEach((conv, i) => {
      x = conv.forward(this.drop(x), graph);
      if (i < this.convs.length - 1) x = x.relu();
    });
    return x;
  }
}

/**
 * Veličković et al.'s GAT: hidden layers of `heads` concatenated heads with ELU, an output layer
 * of `outHeads` averaged heads; dropout on every layer's input and on the attention weights.
 */
export class GAT extends GraphModel {
  convs: GATConv[];

  constructor(options: GnnModelOptions & { heads?: number; outHeads?: number }) {
    const { dims, p, gen } = widths('gat', options);
    super(p, gen);
    const heads = positiveInt('gat', options.heads ?? 8, 'heads');
    const outHeads = positiveInt('gat', options.outHeads ?? 1, 'outHeads');
    const L = dims.length - 1;
    this.convs = dims.slice(1).map((d, i) => {
      const inF = i === 0 ? dims[0]! : dims[i]! * heads;
      const last = i === L - 1;
      return new GATConv(inF, d, { heads: last ? outHeads : heads, concat: !last, dropout: p, seed: gen });
    });
  }

  forward(x: Tensor, graph: GraphLike): Tensor {
    this.convs.forEach((conv, i) => {
      x = conv.forward(this.drop(x), graph);
      if (i < this.convs.length - 1) x = x.elu();
    });
    return x;
  }
}

/** A features-only baseline: [dropout → Linear → ReLU] × (layers − 1), dropout → Linear. The graph is ignored. */
export class MLP extends GraphModel {
  lins: Linear[];

  constructor(options: GnnModelOptions) {
    const { dims, p, gen } = widths('mlp', options);
    super(p, gen);
    this.lins = dims.slice(1).map((d, i) => new Linear(dims[i]!, d, { seed: gen }));
  }

  forward(x: Tensor, _graph?: GraphLike): Tensor {
    this.lins.forEach((lin, i) => {
      x = lin.forward(this.drop(x));
      if (i < this.lins.length - 1) x = x.relu();
    });
    return x;
  }
}

/**
 * GIN for graph classification (Xu et al., 2019; PyG's example): `layers` GINConv layers, each MLP
 * Linear → BatchNorm1d → ReLU → Linear, a ReLU after each; the node rows summed (or averaged) per
 * graph of the batch; then a head Linear → ReLU → Dropout → Linear. `forward(x, graph)` gives
 * (numGraphs, classes).
 */
export class GIN extends GraphModel {
  convs: GINConv[];
  head: Sequential;
  readonly readout: 'sum' | 'mean';

  constructor(options: GnnModelOptions & { trainEps?: boolean; readout?: 'sum' | 'mean' }) {
    const { p, gen } = widths('gin', options);
    super(p, gen);
    const h = options.hidden;
    const layers = options.layers ?? 3;
    this.readout = options.readout ?? 'sum';
    this.convs = Array.from(
      { length: layers },
      (_, i) =>
        new GINConv(
          new Sequential(
            new Linear(i === 0 ? options.inF : h, h, { seed: gen }),
            new BatchNorm1d(h),
            new ReLU(),
            new Linear(h, h, { seed: gen }),
          ),
          { trainEps: options.trainEps },
        ),
    );
    this.head = new Sequential(
      new Linear(h, h, { seed: gen }),
      new ReLU(),
      new Dropout(p, { seed: gen }),
      new Linear(h, options.classes, { seed: gen }),
    );
  }

  forward(x: Tensor, graph: GraphLike): Tensor {
    for (const conv of this.convs) x = conv.forward(x, graph).relu();
    const pool = this.readout === 'sum' ? globalSumPool : globalMeanPool;
    return this.head.forward(pool(x, graph.batch, graph.numGraphs ?? 1));
  }
}

/** R-GCN for node classification on a typed graph: [RGCNConv → ReLU → dropout] × (layers − 1), RGCNConv. */
export class RGCN extends GraphModel {
  convs: RGCNConv[];

  constructor(options: GnnModelOptions & { numRelations: number; numBases?: number }) {
    const { dims, p, gen } = widths('rgcn', options);
    super(p, gen);
    positiveInt('rgcn', options.numRelations, 'numRelations');
    this.convs = dims
      .slice(1)
      .map(
        (d, i) => new RGCNConv(dims[i]!, d, options.numRelations, { numBases: options.numBases, seed: gen }),
      );
  }

  forward(x: Tensor, graph: GraphLike): Tensor {
    this.convs.forEach((conv, i) => {
      x = conv.forward(i === 0 ? x : this.drop(x), graph);
      if (i < this.convs.length - 1) x = x.relu();
    });
    return x;
  }
}

/**
 * A GCN for node classification.
 * @example const model = gcn({ inF: 34, hidden: 16, classes: 2, seed: 0 }); const logits = model.forward(g.x!, g);
 */
export const gcn = (options: ConstructorParameters<typeof GCN>[0]) => new GCN(options);
/** A GraphSAGE model (mean aggregator by default). */
export const graphSage = (options: ConstructorParameters<typeof GraphSAGE>[0]) => new GraphSAGE(options);
/** A GAT (8 heads of `hidden` features in hidden layers, 1 output head by default). */
export const gat = (options: ConstructorParameters<typeof GAT>[0]) => new GAT(options);
/** A GIN graph classifier (3 layers, sum readout by default). */
export const gin = (options: ConstructorParameters<typeof GIN>[0]) => new GIN(options);
/** An R-GCN node classifier for graphs with `edgeType`. */
export const rgcn = (options: ConstructorParameters<typeof RGCN>[0]) => new RGCN(options);
/** The features-only baseline. */
export const mlp = (options: GnnModelOptions) => new MLP(options);
