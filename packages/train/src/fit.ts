import {
  clip,
  div,
  isTensor,
  keep,
  type Module,
  max,
  noGrad,
  norm,
  scope,
  stack,
  type Tensor,
  tensor,
} from '@myelin/core';
import { Observable } from 'rxjs';
import type { EventOf, GradientSettings, TrainEvent } from './events.js';
import { hostValues, type Metric } from './metrics.js';
import { checkPair, tensorBatches } from './tensor-batches.js';

/**
 * One batch: `{ x, y }` or `[x, y]` (inputs and targets). Who frees it: batches in an array stay
 * the caller's (they are reused every epoch); batches an iterator makes (a DataLoader, a
 * generator) are fresh each time, and `fit`/`evaluate`/`predict` dispose them after use. The
 * `disposeBatches` option overrides this.
 */
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
  /**
   * Training batches, re-iterated every epoch (or a function of the epoch returning them). Or give
   * `x` and `y` instead.
   */
  data?: BatchSource | ((epoch: number) => BatchSource);
  /**
   * Training inputs and targets as two tensors (first dim: samples), instead of `data`: `fit`
   * batches them (`batchSize`, `shuffle`, `seed`) into fresh copies every epoch and never consumes
   * or changes them (PyTorch users' `TensorDataset` + `DataLoader`, Keras's `fit(x, y)`).
   */
  x?: Tensor;
  y?: Tensor;
  /** With `x`/`y`: samples per batch (default 32). */
  batchSize?: number;
  /** With `x`/`y`: a new order every epoch (default true). */
  shuffle?: boolean;
  /** With `x`/`y`: the shuffles' seed (default 0). */
  seed?: number;
  /**
   * With `x`/`y`: hold out this fraction of the samples (the last ones, before shuffling, as
   * Keras does) as validation data. Not with `validationData`.
   */
  validationSplit?: number;
  epochs?: number;
  /** Validation batches (as `data`), or two tensors `{ x, y }` batched in order. */
  validationData?: BatchSource | ((epoch: number) => BatchSource) | { x: Tensor; y: Tensor };
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
  /** Dispose each batch after use (default: yes unless the source is an array; see `Batch`). */
  disposeBatches?: boolean;
  /**
   * Before each optimizer step, scale the model's gradients together so that their joint norm is
   * at most `maxNorm` (torch.nn.utils.clip_grad_norm_ of PyTorch 1.13: every gradient times
   * min(1, maxNorm / (total + 1e-6))). A number is the max norm of order 2. The total norm before
   * clipping is reported as `gradNorm` on the step's batchEnd event.
   */
  clipGradNorm?: number | { maxNorm: number; normType?: number | 'inf' };
  /**
   * Before each optimizer step, clamp every gradient entry to [−clipGradValue, clipGradValue]
   * (torch.nn.utils.clip_grad_value_). With `clipGradNorm` too, values are clamped first.
   */
  clipGradValue?: number;
  /**
   * Step the optimizer once every this many batches (default 1), on the gradients of the group:
   * each batch's gradient weighted by its share of the group's samples — 1/k for equal batches —
   * so that with a mean-reduced loss k batches of B give the update of one batch of k·B. The
   * last group of an epoch steps too, on the batches it has (groups do not span epochs).
   */
  accumulateGradients?: number;
  /**
   * Run after every optimizer step, outside autograd: constraints such as `@myelin/nn`'s
   * `maxNormConstraint(3)`.
   */
  afterStep?: ((model: M) => void) | readonly ((model: M) => void)[];
}

/** fit's fitStart event: TrainEvent's, plus the gradient settings of the run. */
export type FitStartEvent = EventOf<'fitStart'> & { gradients: GradientSettings };

/** fit's batchEnd event: TrainEvent's, plus what happened to the gradients after this batch. */
export type FitBatchEndEvent = EventOf<'batchEnd'> & {
  /** Did the optimizer step after this batch (the end of an accumulation group)? */
  optimizerStep: boolean;
  /** Batches summed into the gradients of the current group, this one included. */
  accumulated: number;
  /** With `clipGradNorm`, on steps: the total gradient norm before clipping. */
  gradNorm?: number;
};

function gradientSettings(o: FitOptions<Module>): GradientSettings {
  const k = o.accumulateGradients ?? 1;
  if (!(Number.isInteger(k) && k >= 1))
    throw new RangeError(`fit: accumulateGradients must be an integer ≥ 1, got ${k}`);
  let clipNorm: GradientSettings['clipGradNorm'] = null;
  if (o.clipGradNorm !== undefined) {
    const c = typeof o.clipGradNorm === 'number' ? { maxNorm: o.clipGradNorm } : o.clipGradNorm;
    const normType = c.normType === undefined ? 2 : c.normType === 'inf' ? Infinity : c.normType;
    if (!(c.maxNorm >= 0)) throw new RangeError(`fit: clipGradNorm's maxNorm must be ≥ 0, got ${c.maxNorm}`);
    if (!(normType > 0))
      throw new RangeError(`fit: clipGradNorm's normType must be > 0 or 'inf', got ${String(c.normType)}`);
    clipNorm = { maxNorm: c.maxNorm, normType };
  }
  const v = o.clipGradValue;
  if (v !== undefined && !(v >= 0)) throw new RangeError(`fit: clipGradValue must be ≥ 0, got ${v}`);
  return { accumulateGradients: k, clipGradNorm: clipNorm, clipGradValue: v ?? null };
}

/** Replace each parameter's gradient by f(gradient). */
function mapGrads(params: readonly Tensor[], f: (g: Tensor) => Tensor): void {
  for (const p of params) {
    const old = p.grad;
    if (!old) continue;
    p.grad = keep(f(old));
    old.dispose();
  }
}

/** The joint normType-norm of the gradients (a 0-d tensor), as clip_grad_norm_ computes it. */
function totalGradNorm(params: readonly Tensor[], normType: number): Tensor {
  const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return tensor(0);
  const norms = grads.map((g) => (normType === Infinity ? g.abs().max() : norm(g, normType)));
  if (normType === Infinity) return norms.length === 1 ? norms[0]! : max(stack(norms));
  return norm(stack(norms), normType);
}

/**
 * Pairs each item of `src` with whether it is the last one, by reading one item ahead. Items read
 * ahead but never handed out (the consumer stopped early) go to `drop`.
 */
async function* withLast<T>(
  src: Iterable<T> | AsyncIterable<T>,
  drop: (item: T) => void,
): AsyncGenerator<[T, boolean]> {
  const it =
    Symbol.asyncIterator in src
      ? (src as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (src as Iterable<T>)[Symbol.iterator]();
  let held: IteratorResult<T> | null = null; // read but not handed out yet
  try {
    let cur = await it.next();
    held = cur;
    while (!cur.done) {
      const next = await it.next();
      held = next; // `cur` is handed out at the yield; `next` waits
      yield [cur.value, next.done === true];
      cur = next;
    }
  } finally {
    if (held && !held.done) drop(held.value);
    await it.return?.();
  }
}

const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => {
    const g = globalThis as { setImmediate?: (f: () => void) => void };
    if (g.setImmediate) g.setImmediate(resolve);
    else setTimeout(resolve, 0);
  });

function describe(v: unknown): string {
  if (Array.isArray(v)) return `an array of ${v.length} (${v.map((e) => describe(e)).join(', ')})`;
  if (isTensor(v)) return `a tensor [${v.shape.join(',')}]`;
  if (v && typeof v === 'object') return `an object with keys {${Object.keys(v).join(', ')}}`;
  return v === null ? 'null' : typeof v;
}

/** The batch's inputs and targets, or an error that says what a batch must be and what this one is. */
function unpack(b: unknown, where: string): [Tensor, Tensor] {
  const [x, y] = Array.isArray(b)
    ? b.length === 2
      ? b
      : []
    : b && typeof b === 'object'
      ? [(b as { x?: unknown }).x, (b as { y?: unknown }).y]
      : [];
  if (!isTensor(x) || !isTensor(y)) {
    throw new TypeError(
      `${where}: a batch must be [x, y] or { x, y } with two tensors (inputs and targets), got ${describe(b)}`,
    );
  }
  if (x.isDisposed || y.isDisposed) {
    throw new Error(
      `${where}: the batch holds a disposed tensor. Batches from an iterator are disposed after use; ` +
        'to reuse tensors every epoch pass the batches as an array, or set disposeBatches: false',
    );
  }
  return [x, y];
}

/** Dispose every tensor of a batch (of whatever shape it came), each once. */
function release(b: unknown): void {
  const parts = Array.isArray(b) ? b : b && typeof b === 'object' ? Object.values(b) : [];
  for (const t of parts) if (isTensor(t)) t.dispose();
}

/** Does the consumer of `src` own its batches? Arrays are the caller's; iterators make fresh ones. */
const ownsBatches = (src: unknown, option: boolean | undefined): boolean => option ?? !Array.isArray(src);

/** Thrown inside `evaluate` when its signal aborts; fit swallows it when it asked for the stop. */
function aborted(signal: AbortSignal): Error {
  const r = signal.reason as unknown;
  return r instanceof Error ? r : new Error('evaluate: aborted');
}

type Resolved<M extends Module> = FitOptions<M> & {
  data: BatchSource | ((epoch: number) => BatchSource);
  validationData?: BatchSource | ((epoch: number) => BatchSource);
};

const isTensorPair = (v: unknown): v is { x: Tensor; y: Tensor } =>
  !!v &&
  typeof v === 'object' &&
  isTensor((v as { x?: unknown }).x) &&
  !(Symbol.iterator in v) &&
  !(Symbol.asyncIterator in v);

/** `fit`'s options with the tensor forms (`x`/`y`, `validationSplit`, `validationData: { x, y }`) turned into batches. */
function withTensorData<M extends Module>(o: FitOptions<M>): Resolved<M> {
  const tensorForm = o.x !== undefined || o.y !== undefined;
  if (tensorForm && o.data !== undefined)
    throw new TypeError('fit: give either data (batches) or x and y (tensors), not both');
  if (!tensorForm) {
    if (o.data === undefined) throw new TypeError('fit: give data (batches) or x and y (tensors)');
    for (const k of ['batchSize', 'shuffle', 'seed', 'validationSplit'] as const)
      if (o[k] !== undefined)
        throw new TypeError(`fit: ${k} applies to x and y (tensors); with data, batch it yourself`);
  }
  let data = o.data;
  let validationData = isTensorPair(o.validationData)
    ? tensorBatches(o.validationData.x, o.validationData.y, { batchSize: o.batchSize ?? 32, shuffle: false })
    : o.validationData;
  if (tensorForm) {
    const n = checkPair('fit', o.x, o.y);
    const split = o.validationSplit ?? 0;
    if (!(split >= 0 && split < 1))
      throw new RangeError(`fit: validationSplit must be in [0, 1), got ${split}`);
    if (split > 0 && o.validationData !== undefined)
      throw new TypeError('fit: give validationSplit or validationData, not both');
    const held = Math.floor(n * split);
    if (split > 0 && (held === 0 || held === n))
      throw new RangeError(
        `fit: validationSplit ${split} of ${n} samples leaves ${held === 0 ? 'no validation' : 'no training'} samples`,
      );
    const rows = (from: number, to: number) => Int32Array.from({ length: to - from }, (_, i) => from + i);
    const common = { batchSize: o.batchSize ?? 32 };
    data = tensorBatches(o.x!, o.y!, {
      ...common,
      shuffle: o.shuffle ?? true,
      seed: o.seed ?? 0,
      rows: rows(0, n - held),
    });
    if (held > 0)
      validationData = tensorBatches(o.x!, o.y!, { ...common, shuffle: false, rows: rows(n - held, n) });
  }
  const { validationData: _given, ...rest } = o;
  return validationData === undefined
    ? { ...rest, data: data! }
    : {
        ...rest,
        data: data!,
        validationData: validationData as BatchSource | ((epoch: number) => BatchSource),
      };
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
export function fit<M extends Module>(model: M, given: FitOptions<M>): Observable<TrainEvent> {
  const options = withTensorData(given);
  const epochs = options.epochs ?? 1;
  const forward = options.forward ?? ((m: M, x: Tensor) => m.forward(x) as Tensor);
  const metrics = options.metrics ?? [];
  const valMetrics = options.validationMetrics ?? metrics;
  const yieldEvery = Math.max(1, options.yieldEvery ?? 1);
  const batchMetrics = options.batchMetrics ?? true;
  const gradients = gradientSettings(options as FitOptions<Module>);
  const k = gradients.accumulateGradients;
  const afterStep =
    options.afterStep === undefined
      ? []
      : typeof options.afterStep === 'function'
        ? [options.afterStep]
        : [...options.afterStep];

  /** After the group's backward passes: average, clip, step, constrain. Returns the pre-clip norm. */
  const step = (groupSamples: number): Tensor | null => {
    const params = model.parameters();
    let total: Tensor | null = null;
    noGrad(() => {
      // Each batch's loss was scaled by its sample count: divide by the group's to get the mean.
      if (k > 1) mapGrads(params, (g) => g.div(groupSamples));
      if (gradients.clipGradValue !== null) {
        const v = gradients.clipGradValue;
        mapGrads(params, (g) => clip(g, -v, v));
      }
      const c = gradients.clipGradNorm;
      if (c) {
        total = totalGradNorm(params, c.normType);
        const coef = clip(div(c.maxNorm, total.add(1e-6)), -Infinity, 1);
        mapGrads(params, (g) => g.mul(coef));
      }
    });
    options.optimizer.step();
    for (const f of afterStep) noGrad(() => scope(() => f(model)));
    return total;
  };

  return new Observable<TrainEvent>((subscriber) => {
    // Unsubscribing aborts: training stops between batches, validation between its batches.
    const abort = new AbortController();
    const stopped = () => abort.signal.aborted;
    const run = async () => {
      const fitStart = performance.now();
      const firstSource = sourceFor(options.data, 0);
      const batchesPerEpoch = options.batchesPerEpoch ?? lengthOf(firstSource);
      const start: FitStartEvent = { type: 'fitStart', epochs, batchesPerEpoch, gradients };
      subscriber.next(start);
      for (let epoch = 0; epoch < epochs && !stopped(); epoch++) {
        model.train();
        subscriber.next({ type: 'epochStart', epoch });
        for (const m of metrics) m.reset();
        const t0 = performance.now();
        let samples = 0;
        let lossSum = 0;
        let batch = 0;
        const source = epoch === 0 ? firstSource : sourceFor(options.data, epoch);
        const own = ownsBatches(source, options.disposeBatches);
        // With accumulation, read one batch ahead so the epoch's last (partial) group steps too.
        const items: AsyncIterable<[Batch, boolean]> | AsyncIterable<Batch> =
          k > 1
            ? withLast(source as AsyncIterable<Batch>, (b) => {
                if (own) release(b);
              })
            : (source as AsyncIterable<Batch>);
        let inGroup = 0;
        let groupSamples = 0;
        for await (const item of items) {
          const [b, isLast] = k > 1 ? (item as [Batch, boolean]) : [item as Batch, false];
          if (stopped()) {
            if (own) release(b);
            break;
          }
          let lossValue: number;
          let n: number;
          let loss: Tensor | null = null;
          let pred: Tensor | null = null;
          let norm: Tensor | null = null;
          let stepped = false;
          let accumulated = 0;
          let gradNorm: number | undefined;
          // The batch, the loss and the predictions are freed however the step ends.
          try {
            const [x, y] = unpack(b, `fit (epoch ${epoch}, batch ${batch})`);
            n = x.shape[0] ?? 1;
            ({ loss, pred, norm } = scope(() => {
              if (inGroup === 0) options.optimizer.zeroGrad();
              const pred = forward(model, x);
              const loss = options.loss(pred, y);
              if (loss.size !== 1) {
                throw new RangeError(
                  `fit: the loss must be a one-element tensor, got shape [${loss.shape.join(',')}]`,
                );
              }
              if (k === 1) loss.backward();
              else loss.mul(n).backward();
              inGroup++;
              groupSamples += n;
              accumulated = inGroup;
              let norm: Tensor | null = null;
              if (inGroup === k || isLast || k === 1) {
                norm = step(groupSamples);
                stepped = true;
                inGroup = 0;
                groupSamples = 0;
              }
              return { loss, pred: batchMetrics && metrics.length ? pred : null, norm };
            }));
            // Asynchronous reads: the sync point for deferred backends, and no readSync needed.
            lossValue = (await loss.data())[0]!;
            if (norm) gradNorm = (await norm.data())[0]!;
            if (pred) {
              const p = pred;
              const [pv, yv] = await Promise.all([p.data(), y.data()]);
              for (const m of metrics) m.update(hostValues(pv, p.shape), hostValues(yv, y.shape));
            }
          } finally {
            loss?.dispose();
            pred?.dispose();
            norm?.dispose();
            if (own) release(b);
          }
          if (!Number.isFinite(lossValue)) {
            throw new Error(`fit: the loss became ${lossValue} at epoch ${epoch}, batch ${batch}`);
          }
          samples += n;
          lossSum += lossValue * n;
          const elapsed = (performance.now() - t0) / 1000;
          const batchEnd: FitBatchEndEvent = {
            type: 'batchEnd',
            epoch,
            batch,
            batchesPerEpoch,
            loss: lossValue,
            metrics: metricValues(metrics),
            samples: n,
            samplesPerSec: elapsed > 0 ? samples / elapsed : 0,
            optimizerStep: stepped,
            accumulated,
            ...(gradNorm === undefined ? {} : { gradNorm }),
          };
          subscriber.next(batchEnd);
          batch++;
          if (batch % yieldEvery === 0) await yieldToEventLoop();
        }
        if (stopped()) break;
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
        if (options.validationData && !stopped()) {
          const v = await evaluate(model, sourceFor(options.validationData, epoch), {
            loss: options.loss,
            metrics: valMetrics,
            forward,
            signal: abort.signal,
            ...(options.disposeBatches === undefined ? {} : { disposeBatches: options.disposeBatches }),
          });
          if (!stopped()) subscriber.next({ type: 'validation', epoch, ...v, loss: v.loss });
        }
      }
      if (!stopped()) {
        subscriber.next({ type: 'fitEnd', epochs, durationMs: performance.now() - fitStart });
        subscriber.complete();
      }
    };
    run().catch((e: unknown) => {
      const error = e instanceof Error ? e : new Error(String(e));
      if (stopped()) return;
      subscriber.next({ type: 'error', error });
      subscriber.error(error);
    });
    return () => {
      abort.abort(new Error('fit: unsubscribed'));
    };
  });
}

export interface EvaluateOptions<M extends Module> {
  loss?: (pred: Tensor, target: Tensor) => Tensor;
  metrics?: readonly Metric[];
  forward?: (model: M, x: Tensor) => Tensor;
  /** Stop between batches when this aborts (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Dispose each batch after use (default: yes unless `data` is an array; see `Batch`). */
  disposeBatches?: boolean;
}

/** What `evaluate` measured: `loss` only when a loss function was given. */
export interface EvaluateResult {
  /** The sample-weighted mean loss (present when `options.loss` was given). */
  loss?: number;
  metrics: Record<string, number>;
  samples: number;
}

/**
 * Loss (sample-weighted mean, when `options.loss` is given) and metrics of `model` in eval mode
 * over `data`, without gradients.
 */
export async function evaluate<M extends Module>(
  model: M,
  data: BatchSource,
  options: EvaluateOptions<M> & { loss: (pred: Tensor, target: Tensor) => Tensor },
): Promise<EvaluateResult & { loss: number }>;
export async function evaluate<M extends Module>(
  model: M,
  data: BatchSource,
  options?: EvaluateOptions<M>,
): Promise<EvaluateResult>;
export async function evaluate<M extends Module>(
  model: M,
  data: BatchSource,
  options: EvaluateOptions<M> = {},
): Promise<EvaluateResult> {
  const forward = options.forward ?? ((m: M, x: Tensor) => m.forward(x) as Tensor);
  const metrics = options.metrics ?? [];
  const wasTraining = model.training;
  model.eval();
  for (const m of metrics) m.reset();
  const own = ownsBatches(data, options.disposeBatches);
  const signal = options.signal;
  let samples = 0;
  let lossSum = 0;
  let index = 0;
  try {
    if (signal?.aborted) throw aborted(signal);
    for await (const b of data as AsyncIterable<Batch>) {
      let pred: Tensor | null = null;
      let loss: Tensor | null = null;
      try {
        if (signal?.aborted) throw aborted(signal);
        const [x, y] = unpack(b, `evaluate (batch ${index})`);
        const n = x.shape[0] ?? 1;
        ({ pred, loss } = noGrad(() =>
          scope(() => {
            const pred = forward(model, x);
            return { pred, loss: options.loss ? options.loss(pred, y) : null };
          }),
        ));
        const p = pred;
        const [pv, yv, lv] = await Promise.all([p.data(), y.data(), loss?.data()]);
        for (const m of metrics) m.update(hostValues(pv, p.shape), hostValues(yv, y.shape));
        samples += n;
        lossSum += (lv ? lv[0]! : 0) * n;
      } finally {
        pred?.dispose();
        loss?.dispose();
        if (own) release(b);
      }
      index++;
      await yieldToEventLoop();
    }
  } finally {
    model.train(wasTraining);
  }
  const result: EvaluateResult = { metrics: metricValues(metrics), samples };
  if (options.loss) result.loss = samples ? lossSum / samples : Number.NaN;
  return result;
}

/** Model outputs over `data` (batches of inputs, or `{ x }`/`[x, y]` batches), concatenated on the host in order. */
export async function predict<M extends Module>(
  model: M,
  data: Iterable<Tensor | Batch> | AsyncIterable<Tensor | Batch>,
  options: { forward?: (model: M, x: Tensor) => Tensor; disposeBatches?: boolean } = {},
): Promise<{ values: Float32Array; shape: number[] }> {
  const forward = options.forward ?? ((m: M, x: Tensor) => m.forward(x) as Tensor);
  const own = ownsBatches(data, options.disposeBatches);
  const wasTraining = model.training;
  model.eval();
  const parts: Float32Array[] = [];
  let tail: number[] = [];
  let rows = 0;
  try {
    for await (const item of data as AsyncIterable<Tensor | Batch>) {
      try {
        const x = isTensor(item) ? item : unpack(item, `predict (batch ${parts.length})`)[0];
        const out = noGrad(() => scope(() => forward(model, x)));
        try {
          parts.push(Float32Array.from(await out.data()));
          tail = out.shape.slice(1);
          rows += out.shape[0] ?? 1;
        } finally {
          out.dispose();
        }
      } finally {
        if (own) {
          if (isTensor(item)) item.dispose();
          else release(item);
        }
      }
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
