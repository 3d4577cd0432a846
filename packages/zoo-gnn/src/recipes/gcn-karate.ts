import { noGrad, scope } from '@myelin/core';
import { defineRecipe, type OptionValues, type Recipe, recipeStream } from '@myelin/train';
import { type GraphLike, releaseGraph } from '../layers/graph.js';
import { GCN } from '../models.js';
import { curvesFigure, embeddingEvent, pca2, scatterFigure } from './charts.js';
import { type RecipeData, source } from './data.js';
import { meanStd, trainNodes } from './train.js';

const options = [
  {
    name: 'seeds',
    type: 'integer',
    default: 10,
    min: 1,
    help: 'independent runs (seeds 0 … N−1); mean and spread are reported',
  },
  { name: 'epochs', type: 'integer', default: 200, min: 1, help: 'full-batch Adam steps per run' },
  { name: 'hidden', type: 'integer', default: 16, min: 1, help: 'width of the hidden GCN layer' },
  { name: 'lr', type: 'number', default: 0.01, min: 1e-8, help: "Adam's learning rate" },
  { name: 'weightDecay', type: 'number', default: 5e-4, min: 0, help: 'L2 penalty (Adam weight decay)' },
  {
    name: 'dropout',
    type: 'number',
    default: 0.5,
    min: 0,
    max: 0.99,
    help: "drop probability on each layer's input",
  },
  {
    name: 'weighted',
    type: 'boolean',
    default: false,
    help: 'weight edges by the number of shared contexts (default: plain friendships, as Kipf & Welling)',
  },
] as const;

export type GcnKarateOptions = OptionValues<typeof options> & RecipeData;

const CLUBS = ['Mr. Hi', 'Officer'];

/**
 * `gcn-karate`: Kipf & Welling's two-layer GCN (34 → 16 → 2, Â = D̃^-½(A+I)D̃^-½) on Zachary's
 * karate club with identity features and one labelled member per club (node 0, Mr. Hi, and node
 * 33, the officer, as Kipf & Welling's demo): accuracy over the other 32 members, mean and spread
 * over seeds. Then the hidden layer of seed 0, projected to 2-D by PCA, coloured by club.
 */
export const gcnKarate: Recipe<GcnKarateOptions> = defineRecipe({
  name: 'gcn-karate',
  title: 'GCN on Zachary’s karate club (2 labelled nodes)',
  description:
    'Two-layer GCN (34 → 16 → 2) on the karate club, identity features, trained on nodes 0 and 33 ' +
    'only (200 Adam steps, lr 0.01, weight decay 5e-4, dropout 0.5); club accuracy over the other ' +
    '32 members, mean ± std over 10 seeds (≥ 90 % mean). Emits the hidden layer’s PCA as an embedding.',
  family: 'gnn',
  options,
  run: (o: GcnKarateOptions) =>
    recipeStream(async (ctx) => {
      const { graph: loaded, names } = await source('gcn-karate', o.data, 'karateClub')();
      ctx.onEnd(() => loaded.dispose());
      // The models read only the edge list (and the weights when asked for).
      const graph: GraphLike = o.weighted
        ? loaded
        : { numNodes: loaded.numNodes, src: loaded.src, dst: loaded.dst };
      ctx.onEnd(() => releaseGraph(graph));
      const x = loaded.x;
      const y = loaded.y;
      if (!x || !y) throw new TypeError('gcn-karate: the karate club graph needs x and y');
      const n = graph.numNodes;
      const labels = Int32Array.from(await y.data());
      const train = Int32Array.of(0, n - 1);
      const test = Int32Array.from({ length: n - 2 }, (_, i) => i + 1);
      const accs: number[] = [];
      for (let seed = 0; seed < o.seeds; seed++) {
        const model = new GCN({
          inF: x.shape[1]!,
          hidden: o.hidden,
          classes: 2,
          dropout: o.dropout,
          seed,
        });
        try {
          const r = await trainNodes(
            ctx,
            model,
            { graph, x, labels, train, val: test, test },
            { epochs: o.epochs, lr: o.lr, weightDecay: o.weightDecay, events: seed === 0 },
          );
          accs.push(r.testAccuracy);
          ctx.emit({ type: 'metric', name: `seed ${seed} accuracy`, value: r.testAccuracy });
          if (seed === 0) {
            ctx.emit(
              curvesFigure('gcn-karate: training loss (seed 0)', { 'cross-entropy': r.losses }, 'loss'),
            );
            model.eval();
            const hidden = scope(() => noGrad(() => model.convs[0]!.forward(x, graph).relu()));
            const h = Float32Array.from(await hidden.data());
            hidden.dispose();
            const xy = pca2(h, n, o.hidden);
            const clubs = Array.from(labels, (c) => CLUBS[c] ?? String(c));
            ctx.emit(embeddingEvent('gcn-karate: hidden layer (PCA), by club', xy, names, clubs));
            ctx.emit(scatterFigure('gcn-karate: GCN hidden layer (PCA) by club, seed 0', xy, names, clubs));
          }
        } finally {
          model.dispose();
        }
      }
      const { mean, std } = meanStd(accs);
      ctx.emit({ type: 'metric', name: 'accuracy mean', value: mean });
      ctx.emit({ type: 'metric', name: 'accuracy std', value: std });
      ctx.emit({ type: 'metric', name: 'accuracy min', value: Math.min(...accs) });
      ctx.emit({ type: 'metric', name: 'test nodes', value: test.length });
    }),
});
