import { argmax, indexSelect, memory, noGrad, scope, tensor } from '@myelin/core';
import { type Graph, NeighborSampler } from '@myelin/data';
import { crossEntropy } from '@myelin/nn';
import { Adam } from '@myelin/optim';
import {
  defineRecipe,
  type OptionValues,
  type Recipe,
  type RecipeContext,
  recipeStream,
} from '@myelin/train';
import { releaseGraph } from '../layers/graph.js';
import { GraphSAGE } from '../models.js';
import { curvesFigure } from './charts.js';
import { packageGraphSplit, type RecipeData } from './data.js';

const options = [
  {
    name: 'maxNodes',
    type: 'integer',
    default: 63_697,
    min: 100,
    max: 63_697,
    help: 'keep the N most depended-upon packages (63,697: all)',
  },
  { name: 'vocabulary', type: 'integer', default: 500, min: 1, max: 1000, help: 'bag-of-words width' },
  { name: 'epochs', type: 'integer', default: 2, min: 1, help: 'passes over the training packages' },
  { name: 'batchSize', type: 'integer', default: 256, min: 1, help: 'seed packages per mini-batch' },
  { name: 'fanout1', type: 'integer', default: 10, min: 1, help: 'neighbours sampled per node at hop 1' },
  { name: 'fanout2', type: 'integer', default: 5, min: 1, help: 'neighbours sampled per node at hop 2' },
  { name: 'hidden', type: 'integer', default: 64, min: 1, help: 'hidden width' },
  { name: 'lr', type: 'number', default: 0.005, min: 1e-8, help: "Adam's learning rate" },
  {
    name: 'dropout',
    type: 'number',
    default: 0.2,
    min: 0,
    max: 0.99,
    help: "drop probability on each layer's input",
  },
  {
    name: 'fullBatch',
    type: 'boolean',
    default: true,
    help: 'also measure one full-batch step, to compare peak memory',
  },
  {
    name: 'seed',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'seeds the split, the sampler, the initialisation and dropout',
  },
] as const;

export type SageSampledOptions = OptionValues<typeof options> & RecipeData;

/** The rows of a batch's seeds: its graph's first `numSeeds` nodes. */
function seedRows(numSeeds: number) {
  return tensor(
    Int32Array.from({ length: numSeeds }, (_, i) => i),
    { dtype: 'int32', shape: [numSeeds] },
  );
}

/** Accuracy over `nodes`, predicting in sampled mini-batches (the fanouts as in training). */
async function sampledAccuracy(
  ctx: RecipeContext,
  model: GraphSAGE,
  sampler: NeighborSampler,
  nodes: Int32Array,
  labels: Int32Array,
): Promise<number> {
  model.eval();
  let hit = 0;
  for (const batch of sampler.batches(nodes)) {
    ctx.throwIfStopped();
    try {
      const pred = scope(() =>
        noGrad(() => {
          const rows = seedRows(batch.numSeeds);
          return argmax(indexSelect(model.forward(batch.graph.x!, batch.graph), 0, rows), 1);
        }),
      );
      const p = await pred.data();
      pred.dispose();
      for (let i = 0; i < batch.numSeeds; i++) if (p[i] === labels[batch.nodes[i]!]) hit++;
    } finally {
      releaseGraph(batch.graph);
      batch.graph.dispose();
    }
  }
  return hit / nodes.length;
}

/** Peak live bytes of one full-batch training step of `model` (measured after the backward pass). */
function fullBatchPeak(model: GraphSAGE, graph: Graph, train: Int32Array, labels: Int32Array): number {
  model.train();
  let peak = 0;
  scope(() => {
    const idx = tensor(train, { dtype: 'int32', shape: [train.length] });
    const y = tensor(
      Int32Array.from(train, (i) => labels[i]!),
      { dtype: 'int32', shape: [train.length] },
    );
    const loss = crossEntropy(indexSelect(model.forward(graph.x!, graph), 0, idx), y);
    loss.backward();
    peak = memory().bytes;
  });
  model.zeroGrad();
  return peak;
}

/**
 * `sage-sampled`: GraphSAGE (mean aggregator, 2 layers) on the whole Debian package graph in
 * mini-batches: each step samples up to 10 neighbours of each of 256 seed packages and 5 of each of
 * those (Hamilton et al.'s Algorithm 2, `NeighborSampler`), so a step's memory is bounded by
 * 256 · (1 + 10) · (1 + 5) nodes whatever the graph's size. Reports the test accuracy and the peak
 * live bytes of a mini-batch step against one full-batch step.
 */
export const sageSampled: Recipe<SageSampledOptions> = defineRecipe({
  name: 'sage-sampled',
  title: 'GraphSAGE with neighbour sampling on the Debian package graph',
  description:
    'GraphSAGE (mean, 2 layers, 64 hidden) classifies the sections of all 63,697 Debian packages in ' +
    'mini-batches of 256 seed packages with sampled neighbourhoods (fanouts 10, 5): 2 epochs of Adam ' +
    'on a 50/10/40 split. Reports test accuracy and peak memory per step against a full-batch step.',
  family: 'gnn',
  options,
  run: (o: SageSampledOptions) =>
    recipeStream(async (ctx) => {
      const { graph, sections, labels, train, val, test } = await packageGraphSplit('sage-sampled', ctx, {
        ...o,
        trainFraction: 0.5,
      });
      const n = graph.numNodes;
      const nTrain = train.length;
      const model = new GraphSAGE({
        inF: graph.x!.shape[1]!,
        hidden: o.hidden,
        classes: sections.length,
        dropout: o.dropout,
        seed: o.seed,
      });
      ctx.onEnd(() => model.dispose());
      const fanouts = [o.fanout1, o.fanout2];
      const sampler = new NeighborSampler(graph, fanouts, {
        batchSize: o.batchSize,
        seed: o.seed,
        nodes: train,
      });
      const evalSampler = new NeighborSampler(graph, fanouts, {
        batchSize: 1024,
        seed: o.seed + 1,
        shuffle: false,
      });
      const optimizer = new Adam(model.parameters(), { lr: o.lr });
      ctx.onEnd(() => optimizer.dispose());
      const base = memory().bytes; // the graph's features and labels, and the model
      let peak = 0;
      let maxBatchNodes = 0;
      const losses: number[] = [];
      const t0 = performance.now();
      ctx.emit({ type: 'fitStart', epochs: o.epochs, batchesPerEpoch: sampler.length });
      for (let epoch = 0; epoch < o.epochs; epoch++) {
        const start = performance.now();
        let total = 0;
        let b = 0;
        model.train();
        for (const batch of sampler) {
          ctx.throwIfStopped();
          maxBatchNodes = Math.max(maxBatchNodes, batch.graph.numNodes);
          let loss: ReturnType<typeof tensor>;
          try {
            loss = scope(() => {
              optimizer.zeroGrad();
              const rows = seedRows(batch.numSeeds);
              const y = tensor(
                Int32Array.from(batch.nodes.subarray(0, batch.numSeeds), (i) => labels[i]!),
                {
                  dtype: 'int32',
                  shape: [batch.numSeeds],
                },
              );
              const l = crossEntropy(indexSelect(model.forward(batch.graph.x!, batch.graph), 0, rows), y);
              l.backward();
              peak = Math.max(peak, memory().bytes);
              optimizer.step();
              return l;
            });
          } finally {
            releaseGraph(batch.graph);
            batch.graph.dispose();
          }
          const value = (await loss.data())[0]!;
          loss.dispose();
          losses.push(value);
          total += value * batch.numSeeds;
          ctx.emit({
            type: 'batchEnd',
            epoch,
            batch: b,
            batchesPerEpoch: sampler.length,
            loss: value,
            metrics: {},
            samples: batch.numSeeds,
            samplesPerSec: 0,
          });
          b++;
        }
        const valAcc = await sampledAccuracy(ctx, model, evalSampler, val, labels);
        const ms = performance.now() - start;
        ctx.emit({
          type: 'validation',
          epoch,
          loss: total / nTrain,
          metrics: { valAccuracy: valAcc },
          samples: val.length,
        });
        ctx.emit({
          type: 'epochEnd',
          epoch,
          loss: total / nTrain,
          metrics: {},
          samples: nTrain,
          samplesPerSec: (nTrain / ms) * 1000,
          durationMs: ms,
        });
      }
      ctx.emit({ type: 'fitEnd', epochs: o.epochs, durationMs: performance.now() - t0 });
      optimizer.zeroGrad({ setToNone: true });
      const testAcc = await sampledAccuracy(ctx, model, evalSampler, test, labels);
      ctx.emit({ type: 'metric', name: 'test accuracy', value: testAcc });
      ctx.emit({ type: 'metric', name: 'packages', value: n });
      ctx.emit({ type: 'metric', name: 'largest batch (nodes)', value: maxBatchNodes });
      ctx.emit({ type: 'metric', name: 'resident bytes (graph + model)', value: base, unit: 'bytes' });
      ctx.emit({ type: 'metric', name: 'mini-batch peak bytes', value: peak, unit: 'bytes' });
      ctx.emit({ type: 'metric', name: 'mini-batch step bytes', value: peak - base, unit: 'bytes' });
      if (o.fullBatch) {
        const full = fullBatchPeak(model, graph, train, labels);
        ctx.emit({ type: 'metric', name: 'full-batch peak bytes', value: full, unit: 'bytes' });
        ctx.emit({ type: 'metric', name: 'full-batch step bytes', value: full - base, unit: 'bytes' });
      }
      ctx.emit(
        curvesFigure('sage-sampled: training loss per mini-batch', { GraphSAGE: losses }, 'cross-entropy'),
      );
    }),
});
