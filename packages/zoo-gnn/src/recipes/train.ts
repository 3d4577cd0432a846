import { argmax, indexSelect, noGrad, scope, type Tensor, tensor } from '@myelin/core';
import { crossEntropy } from '@myelin/nn';
import { Adam } from '@myelin/optim';
import type { RecipeContext } from '@myelin/train';
import type { GraphLike } from '../layers/graph.js';
import type { GraphModel } from '../models.js';

/** A transductive node-classification task: one graph, its features, labels and a split. */
export interface NodeTask {
  graph: GraphLike;
  /** (N, F) float32 node features. */
  x: Tensor;
  /** Host labels, one per node. */
  labels: Int32Array;
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
}

export interface TrainNodesOptions {
  epochs: number;
  lr: number;
  weightDecay: number;
  /** Evaluate (and emit a `validation` event) every this many epochs, and at the last (default 1). */
  evalEvery?: number;
  /** Emit the per-epoch events (default true; off when several models share one run). */
  events?: boolean;
}

export interface TrainNodesResult {
  /** Accuracy on the train / val / test nodes after the last epoch. */
  trainAccuracy: number;
  valAccuracy: number;
  testAccuracy: number;
  /** Mean training loss per epoch. */
  losses: number[];
  seconds: number;
}

/** The fraction of `nodes` whose predicted class (argmax of `logits`) is `labels[node]`. */
export function accuracyOn(predicted: Int32Array, labels: Int32Array, nodes: Int32Array): number {
  if (nodes.length === 0) return Number.NaN;
  let hit = 0;
  for (const i of nodes) if (predicted[i] === labels[i]) hit++;
  return hit / nodes.length;
}

/** Class predictions of `model` for every node (eval mode, no gradients). */
export async function predictNodes(model: GraphModel, x: Tensor, graph: GraphLike): Promise<Int32Array> {
  model.eval();
  const pred = scope(() => noGrad(() => argmax(model.forward(x, graph), 1)));
  try {
    return Int32Array.from(await pred.data());
  } finally {
    pred.dispose();
  }
}

/**
 * Full-batch training of a node classifier (Kipf & Welling's setting): every epoch one forward
 * pass over the whole graph, cross-entropy on the training nodes, one Adam step (with L2
 * `weightDecay`). Each step runs in a `scope`, so the live tensor count is flat across epochs.
 * Emits `epochEnd` (loss, train accuracy) and `validation` (val and test accuracy) events.
 */
export async function trainNodes(
  ctx: RecipeContext,
  model: GraphModel,
  task: NodeTask,
  options: TrainNodesOptions,
): Promise<TrainNodesResult> {
  const { epochs, lr, weightDecay } = options;
  const evalEvery = options.evalEvery ?? 1;
  const emit = options.events ?? true;
  const t0 = performance.now();
  const optimizer = new Adam(model.parameters(), { lr, weightDecay });
  const trainIdx = tensor(task.train, { dtype: 'int32', shape: [task.train.length] });
  const yTrain = tensor(
    Int32Array.from(task.train, (i) => task.labels[i]!),
    {
      dtype: 'int32',
      shape: [task.train.length],
    },
  );
  const losses: number[] = [];
  let last = { train: Number.NaN, val: Number.NaN, test: Number.NaN };
  try {
    if (emit) ctx.emit({ type: 'fitStart', epochs, batchesPerEpoch: 1 });
    for (let epoch = 0; epoch < epochs; epoch++) {
      ctx.throwIfStopped();
      const start = performance.now();
      model.train();
      const loss = scope(() => {
        optimizer.zeroGrad();
        const logits = model.forward(task.x, task.graph);
        const l = crossEntropy(indexSelect(logits, 0, trainIdx), yTrain);
        l.backward();
        optimizer.step();
        return l;
      });
      let value: number;
      try {
        value = (await loss.data())[0]!;
      } finally {
        loss.dispose();
      }
      if (!Number.isFinite(value))
        throw new RangeError(`trainNodes: the loss diverged (${value}) at epoch ${epoch}; lower lr`);
      losses.push(value);
      const metrics: Record<string, number> = {};
      if ((epoch + 1) % evalEvery === 0 || epoch === epochs - 1) {
        const pred = await predictNodes(model, task.x, task.graph);
        last = {
          train: accuracyOn(pred, task.labels, task.train),
          val: accuracyOn(pred, task.labels, task.val),
          test: accuracyOn(pred, task.labels, task.test),
        };
        metrics.accuracy = last.train;
        if (emit)
          ctx.emit({
            type: 'validation',
            epoch,
            loss: value,
            metrics: { valAccuracy: last.val, testAccuracy: last.test },
            samples: task.val.length,
          });
      }
      const ms = performance.now() - start;
      if (emit)
        ctx.emit({
          type: 'epochEnd',
          epoch,
          loss: value,
          metrics,
          samples: task.train.length,
          samplesPerSec: (task.train.length / ms) * 1000,
          durationMs: ms,
        });
    }
    if (emit) ctx.emit({ type: 'fitEnd', epochs, durationMs: performance.now() - t0 });
  } finally {
    optimizer.zeroGrad({ setToNone: true });
    optimizer.dispose();
    trainIdx.dispose();
    yTrain.dispose();
  }
  return {
    trainAccuracy: last.train,
    valAccuracy: last.val,
    testAccuracy: last.test,
    losses,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Mean and population standard deviation. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
  return { mean, std };
}
