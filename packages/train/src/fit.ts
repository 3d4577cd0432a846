import { type Module, noGrad, scope, type Tensor } from '@myelin/core';
import { Observable } from 'rxjs';
import type { TrainEvent } from './events.js';
import { hostValues, type Metric } from './metrics.js';

/** One batch: `{ x, y }` or `[x, y]`. Tensors handed to `fit` are disposed by it after use. */
export type Batch = { x: Tensor; y: Tensor } | readonly [Tensor, Tensor];

/** Where batches come from: anything iterable (a DataLoader), or a function giving one per epoch. */
export type BatchSource = Iterable<Batch> | AsyncIterable<Batch>;

/** What `fit` needs of an optimizer (every `@myelin/optim` optimizer has it). */
export interface OptimizerLike {
  step(): void;
  zeroGrad(): void;
}

export interface FitOptions<M extends Module> {
  optimizer: OptimizerLike;
  /** loss(prediction, target) → one-element tensor. */
  loss: (pred: Tensor, target: Tensor) => Tensor;
  /** Training batches, re-iterated every epoch (or a function of the epoch returning them). */
  data: BatchSource | ((epoch: number) => BatchSource);
  epochs?: number;
  validationData?: BatchSource | ((epoch: number) => BatchSource);
  /** Metrics reported on batchEnd/epochEnd (training) and validation. */
  metrics?: readonly Metric[];
  /** Validation metrics (default: fresh instances are not created; pass separate ones to keep them apart). */
  validationMetrics?: readonly Metric[];
  /** How the model is applied; default `model.forward(x)`. */
  forward?: (model: M, x: Tensor) => Tensor;
  /** Batches per epoch, for progress bars (taken from `data.length` when it has one). */
  batchesPerEpoch?: number;
  /** Give the event loop a turn every this many batches (default 1) so pages and timers stay live. */
  yieldEvery?: number;
  /** Compute training metrics on every batch (default true; they cost a host read of the predictions). */
  batchMetrics?: boolean;
}

const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => {
    const g = globalThis as { setImmediate?: (f: () => void) => void };
    if (g.setImmediate) g.setImmediate(resolve);
    else setTimeout(resolve, 0);
  });

function unpack(b: Batch): [Tensor, Tensor] {
  if (Array.isArray(b)) return [b[0] as Tensor, b[1] as Tensor];
  const o = b as { x: Tensor; y: Tensor };
  if (!o.x || !o.y) throw new TypeError('fit: each batch must be { x, y } or [x, y]');
  return [o.x, o.y];
}

function sourceFor(src: BatchSource | ((epoch: number) => BatchSource), epoch: number): BatchSource {
  return typeof src === 'function' ? src(epoch) : src;
}

function lengthOf(src: unknown): number | null {
  const n = (src as { length?: unknown }).length;
  return typeof n === 'number' ? n : null;
}

function metricValues(metrics: readonly Metric[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of metrics) out[m.name] = m.compute();
  return out;
}

/**
 * Train `model` and report progress as a cold Observable: subscribing starts training,
 * unsubscribing stops it between batches and frees what it held. Each step runs inside a memory
 * scope, so a training run's memory stays flat.
 *
 * @example
 * fit(model, { optimizer, loss: crossEntropy, data: loader, epochs: 3, metrics: [accuracy()] })
 *   .pipe(progressBar())
 *   .subscribe();
 */
export function fit<M extends Module>(model: M, options: FitOptions<M>): Observable<TrainEvent> {
  const epochs = options.epochs ?? 1;
  const forward =
    options.forward ?? ((m: M, x: Tensor) => (m as unknown as { forward(x: Tensor): Tensor }).forward(x));
  const metrics = options.metrics ?? [];
  const valMetrics = options.validationMetrics ?? metrics;
  const yieldEvery = Math.max(1, options.yieldEvery ?? 1);
  const batchMetrics = options.batchMetrics ?? true;

  return new Observable<TrainEvent>((subscriber) => {
    let stopped = false;
    const run = async () => {
      const fitStart = performance.now();
      const firstSource = sourceFor(options.data, 0);
      const batchesPerEpoch = options.batchesPerEpoch ?? lengthOf(firstSource);
      subscriber.next({ type: 'fitStart', epochs, batchesPerEpoch });
      for (let epoch = 0; epoch < epochs && !stopped; epoch++) {
        model.train();
        subscriber.next({ type: 'epochStart', epoch });
        for (const m of metrics) m.reset();
        const t0 = performance.now();
        let samples = 0;
        let lossSum = 0;
        let batch = 0;
        const source = epoch === 0 ? firstSource : sourceFor(options.data, epoch);
        for await (const b of source as AsyncIterable<Batch>) {
          const [x, y] = unpack(b);
          if (stopped) {
            x.dispose();
            y.dispose();
            break;
          }
          const n = x.shape[0] ?? 1;
          const { loss, pred } = scope(() => {
            options.optimizer.zeroGrad();
            const pred = forward(model, x);
            const loss = options.loss(pred, y);
            if (loss.size !== 1) {
              throw new RangeError(
                `fit: the loss must be a one-element tensor, got shape [${loss.shape.join(',')}]`,
              );
            }
            loss.backward();
            options.optimizer.step();
            return { loss, pred: batchMetrics && metrics.length ? pred : null };
          });
          // Asynchronous reads: the sync point for deferred backends, and no readSync needed.
          const lossValue = (await loss.data())[0]!;
          loss.dispose();
          if (pred) {
            const [pv, yv] = await Promise.all([pred.data(), y.data()]);
            for (const m of metrics) m.update(hostValues(pv, pred.shape), hostValues(yv, y.shape));
            pred.dispose();
          }
          x.dispose();
          y.dispose();
          if (!Number.isFinite(lossValue)) {
            throw new Error(`fit: the loss became ${lossValue} at epoch ${epoch}, batch ${batch}`);
          }
          samples += n;
          lossSum += lossValue * n;
          const elapsed = (performance.now() - t0) / 1000;
          subscriber.next({
            type: 'batchEnd',
            epoch,
            batch,
            batchesPerEpoch,
            loss: lossValue,
            metrics: metricValues(metrics),
            samples: n,
            samplesPerSec: elapsed > 0 ? samples / elapsed : 0,
          });
          batch++;
          if (batch % yieldEvery === 0) await yieldToEventLoop();
        }
        if (stopped) break;
        const durationMs = performance.now() - t0;
        subscriber.next({
          type: 'epochEnd',
          epoch,
          loss: samples ? lossSum / samples : Number.NaN,
          metrics: metricValues(metrics),
          samples,
          samplesPerSec: durationMs > 0 ? (samples * 1000) / durationMs : 0,
          durationMs,
        });
        if (options.validationData && !stopped) {
          const v = await evaluate(model, sourceFor(options.validationData, epoch), {
            loss: options.loss,
            metrics: valMetrics,
            forward,
          });
          if (!stopped) subscriber.next({ type: 'validation', epoch, ...v });
        }
      }
      if (!stopped) {
        subscriber.next({ type: 'fitEnd', epochs, durationMs: performance.now() - fitStart });
        subscriber.complete();
      }
    };
    run().catch((e: unknown) => {
      const error = e instanceof Error ? e : new Error(String(e));
      if (stopped) return;
      subscriber.next({ type: 'error', error });
      subscriber.error(error);
    });
    return () => {
      stopped = true;
    };
  });
}

export interface EvaluateOptions<M extends Module> {
  loss?: (pred: Tensor, target: Tensor) => Tensor;
  metrics?: readonly Metric[];
  forward?: (model: M, x: Tensor) => Tensor;
}

/** Loss (sample-weighted mean) and metrics of `model` in eval mode over `data`, without gradients. */
export async function evaluate<M extends Module>(
  model: M,
  data: BatchSource,
  options: EvaluateOptions<M> = {},
): Promise<{ loss: number; metrics: Record<string, number>; samples: number }> {
  const forward =
    options.forward ?? ((m: M, x: Tensor) => (m as unknown as { forward(x: Tensor): Tensor }).forward(x));
  const metrics = options.metrics ?? [];
  const wasTraining = model.training;
  model.eval();
  for (const m of metrics) m.reset();
  let samples = 0;
  let lossSum = 0;
  try {
    for await (const b of data as AsyncIterable<Batch>) {
      const [x, y] = unpack(b);
      const n = x.shape[0] ?? 1;
      const { pred, loss } = noGrad(() =>
        scope(() => {
          const pred = forward(model, x);
          return { pred, loss: options.loss ? options.loss(pred, y) : null };
        }),
      );
      const [pv, yv, lv] = await Promise.all([pred.data(), y.data(), loss?.data()]);
      for (const m of metrics) m.update(hostValues(pv, pred.shape), hostValues(yv, y.shape));
      const l = lv ? lv[0]! : 0;
      pred.dispose();
      loss?.dispose();
      x.dispose();
      y.dispose();
      samples += n;
      lossSum += l * n;
      await yieldToEventLoop();
    }
  } finally {
    model.train(wasTraining);
  }
  return { loss: samples ? lossSum / samples : Number.NaN, metrics: metricValues(metrics), samples };
}

/** Model outputs over `data` (batches of inputs, or `{ x }`/`[x, y]` batches), concatenated on the host in order. */
export async function predict<M extends Module>(
  model: M,
  data: Iterable<Tensor | Batch> | AsyncIterable<Tensor | Batch>,
  options: { forward?: (model: M, x: Tensor) => Tensor } = {},
): Promise<{ values: Float32Array; shape: number[] }> {
  const forward =
    options.forward ?? ((m: M, x: Tensor) => (m as unknown as { forward(x: Tensor): Tensor }).forward(x));
  const wasTraining = model.training;
  model.eval();
  const parts: Float32Array[] = [];
  let tail: number[] = [];
  let rows = 0;
  try {
    for await (const item of data as AsyncIterable<Tensor | Batch>) {
      const isBatch = !(typeof (item as Tensor).dataSync === 'function');
      const [x, y] = isBatch ? unpack(item as Batch) : [item as Tensor, null];
      const out = noGrad(() => scope(() => forward(model, x)));
      parts.push(Float32Array.from(await out.data()));
      tail = out.shape.slice(1);
      rows += out.shape[0] ?? 1;
      out.dispose();
      x.dispose();
      y?.dispose();
    }
  } finally {
    model.train(wasTraining);
  }
  const values = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    values.set(p, o);
    o += p.length;
  }
  return { values, shape: [rows, ...tail] };
}
