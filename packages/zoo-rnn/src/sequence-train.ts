import { type Module, scope, type Tensor } from '@myelin/core';
import { Adam, CosineAnnealingLR, clipGradNorm, type Optimizer } from '@myelin/optim';
import type { FigureEvent, RecipeContext, VegaLiteSpec } from '@myelin/train';

/**
 * The training loop the sequence recipes share: one optimizer step per batch with the gradient
 * norm clipped (`clipGradNorm`, PyTorch's `clip_grad_norm_`), `fit`'s events (`fitStart`,
 * `batchEnd`, `epochEnd`, `validation`, `fitEnd`) so the CLI shows progress as for any recipe,
 * and a per-epoch record for the curves.
 */

/** One optimizer step on `loss()` (built inside a scope, so the graph is freed); the loss value. */
export async function trainStep(
  model: Module,
  optimizer: Pick<Optimizer, 'zeroGrad' | 'step'>,
  maxNorm: number,
  loss: () => Tensor,
): Promise<number> {
  const l = scope(() => {
    optimizer.zeroGrad();
    const value = loss();
    value.backward();
    if (maxNorm > 0) clipGradNorm(model.parameters(), maxNorm);
    optimizer.step();
    return value;
  });
  try {
    const v = (await l.data())[0]!;
    if (!Number.isFinite(v)) throw new Error(`trainStep: the loss became ${v}`);
    return v;
  } finally {
    l.dispose();
  }
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  /** Validation figures by name, e.g. accuracy, loss, perplexity. */
  test: Record<string, number>;
}

/**
 * Run `epochs` epochs: `batches(epoch)` yields one step's work at a time (a function that runs
 * the step and returns its loss and sample count), `evaluate(epoch)` the validation figures, the
 * first of which, `loss`, goes in the `validation` event.
 */
export async function runEpochs(
  ctx: RecipeContext,
  epochs: number,
  batchesPerEpoch: number,
  batches: (epoch: number) => Iterable<() => Promise<{ loss: number; samples: number }>>,
  evaluate: (epoch: number) => Promise<Record<string, number>>,
): Promise<EpochRecord[]> {
  const started = performance.now();
  const records: EpochRecord[] = [];
  ctx.emit({ type: 'fitStart', epochs, batchesPerEpoch });
  for (let epoch = 0; epoch < epochs; epoch++) {
    ctx.emit({ type: 'epochStart', epoch });
    const t0 = performance.now();
    let lossSum = 0;
    let seen = 0;
    let batch = 0;
    for (const step of batches(epoch)) {
      ctx.throwIfStopped();
      const { loss, samples } = await step();
      lossSum += loss * samples;
      seen += samples;
      const perSec = seen / ((performance.now() - t0) / 1000);
      ctx.emit({
        type: 'batchEnd',
        epoch,
        batch: batch++,
        batchesPerEpoch,
        loss,
        metrics: {},
        samples,
        samplesPerSec: perSec,
      });
    }
    const ms = performance.now() - t0;
    ctx.emit({
      type: 'epochEnd',
      epoch,
      loss: lossSum / Math.max(seen, 1),
      metrics: {},
      samples: seen,
      samplesPerSec: seen / (ms / 1000),
      durationMs: ms,
    });
    ctx.throwIfStopped();
    const test = await evaluate(epoch);
    const { loss = Number.NaN, ...metrics } = test;
    ctx.emit({ type: 'validation', epoch, loss, metrics, samples: 0 });
    records.push({ epoch, trainLoss: lossSum / Math.max(seen, 1), test });
  }
  ctx.emit({ type: 'fitEnd', epochs, durationMs: performance.now() - started });
  return records;
}

/**
 * Per-epoch curves as a Vega-Lite spec: the training loss beside each named validation figure,
 * one panel per figure, the data inline.
 */
export function epochCurves(
  title: string,
  records: readonly EpochRecord[],
  panels: readonly { figure: string; title: string; baseline?: number }[],
): VegaLiteSpec {
  const values: { epoch: number; series: string; panel: string; value: number }[] = [];
  for (const r of records) {
    values.push({ epoch: r.epoch + 1, series: 'train', panel: 'loss', value: r.trainLoss });
    if (r.test.loss !== undefined)
      values.push({ epoch: r.epoch + 1, series: 'test', panel: 'loss', value: r.test.loss });
    for (const p of panels)
      if (p.figure !== 'loss' && r.test[p.figure] !== undefined)
        values.push({ epoch: r.epoch + 1, series: 'test', panel: p.figure, value: r.test[p.figure]! });
    for (const p of panels)
      if (p.baseline !== undefined)
        values.push({ epoch: r.epoch + 1, series: 'baseline', panel: p.figure, value: p.baseline });
  }
  const panel = (name: string, yTitle: string) => ({
    title: name,
    width: 300,
    height: 200,
    transform: [{ filter: `datum.panel === '${name}'` }],
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    hconcat: [
      panel('loss', 'cross-entropy (nats)'),
      ...panels.filter((p) => p.figure !== 'loss').map((p) => panel(p.figure, p.title)),
    ],
  };
}

/** Shuffle `0…n−1` with a seeded draw per position (Fisher–Yates). */
export function shuffled(n: number, uniform: (k: number) => Float32Array): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const u = uniform(n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u[i]! * (i + 1)) % (i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** The recipes' `training curves` figure: `epochCurves` as the event a recipe emits. */
export function curvesFigure(
  title: string,
  records: readonly EpochRecord[],
  panels: readonly { figure: string; title: string; baseline?: number }[],
): FigureEvent {
  return {
    type: 'figure',
    kind: 'chart',
    title: 'training curves',
    spec: epochCurves(title, records, panels),
  };
}

/** A classifier recipe's closing metrics: the last epoch's test accuracy and loss, and the test size. */
export function emitTestMetrics(
  ctx: Pick<RecipeContext, 'emit'>,
  records: readonly EpochRecord[],
  countName: string,
  count: number,
): void {
  const last = records.at(-1)!;
  ctx.emit({ type: 'metric', name: 'test accuracy', value: last.test.accuracy! });
  ctx.emit({ type: 'metric', name: 'test loss', value: last.test.loss!, unit: 'nats' });
  ctx.emit({ type: 'metric', name: countName, value: count });
}

/**
 * The sequence recipes' optimizer: Adam at `lr` annealed to 0 along a cosine over `epochs`, freed
 * when the run ends.
 */
export function adamWithCosine(
  ctx: Pick<RecipeContext, 'onEnd'>,
  model: Module,
  lr: number,
  epochs: number,
): { optimizer: Adam; scheduler: CosineAnnealingLR } {
  const optimizer = new Adam(model.parameters(), { lr });
  ctx.onEnd(() => optimizer.dispose());
  return { optimizer, scheduler: new CosineAnnealingLR(optimizer, { Tmax: epochs }) };
}
