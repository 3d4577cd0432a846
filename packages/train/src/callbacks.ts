import { keep, type Module, saveSafetensors, type Tensor, type Variable } from '@myelin/core';
import { type MonoTypeOperatorFunction, Observable, type Subscription, tap } from 'rxjs';
import { cleanCheckpointDir, writeCheckpoint } from './checkpoint.js';
import type { EventOf, TrainEvent } from './events.js';

/**
 * Callbacks are rxjs operators on the event stream: `fit(...).pipe(history.track(),
 * earlyStopping({...}), progressBar())`. A `fit` Observable is cold (each subscription trains), so
 * compose callbacks with `pipe` on one subscription.
 */

/** Records every epoch's training and validation values. */
export class History {
  readonly epochs: { epoch: number; loss: number; metrics: Record<string, number>; samplesPerSec: number }[] =
    [];
  readonly validation: { epoch: number; loss: number; metrics: Record<string, number> }[] = [];
  stopped: string | null = null;

  track(): MonoTypeOperatorFunction<TrainEvent> {
    return tap((e) => {
      if (e.type === 'epochEnd')
        this.epochs.push({
          epoch: e.epoch,
          loss: e.loss,
          metrics: e.metrics,
          samplesPerSec: e.samplesPerSec,
        });
      else if (e.type === 'validation')
        this.validation.push({ epoch: e.epoch, loss: e.loss, metrics: e.metrics });
      else if (e.type === 'stopped') this.stopped = e.reason;
    });
  }
}

/**
 * A monitored quantity: 'loss' or a metric name, from training epochs, or from validation with the
 * prefix 'val' (`valLoss`, `valAccuracy`; Keras's `val_loss` is read the same). The CSV and JSONL
 * loggers name their columns the same way.
 */
export type Monitor = string;

function monitored(e: TrainEvent, monitor: Monitor): number | null {
  const val = monitor.startsWith('val');
  // `valAccuracy`, and Keras's `val_accuracy` spelling too.
  const rest = monitor.startsWith('val_') ? monitor.slice(4) : monitor.slice(3);
  const key = val ? rest.slice(0, 1).toLowerCase() + rest.slice(1) : monitor;
  if (val ? e.type !== 'validation' : e.type !== 'epochEnd') return null;
  const ev = e as EventOf<'validation'> | EventOf<'epochEnd'>;
  const v = key === 'loss' ? ev.loss : ev.metrics[key];
  if (v === undefined) {
    throw new Error(
      `monitor '${monitor}': no such value (have loss, ${Object.keys(ev.metrics).join(', ') || 'no metrics'})`,
    );
  }
  return v;
}

/**
 * Whether a bigger monitored value is better: accuracies, precision, recall, F1, R² and AUC go up;
 * losses, errors and perplexity go down. Keras infers `mode='auto'` the same way.
 */
export function monitorMode(monitor: Monitor, mode?: 'min' | 'max'): 'min' | 'max' {
  return mode ?? (/acc|f1|precision|recall|r2|auc/i.test(monitor) ? 'max' : 'min');
}

/** The values of an epoch end (`loss`, metrics) or a validation (`valLoss`, `valAccuracy`, …). */
function eventValues(e: EventOf<'epochEnd'> | EventOf<'validation'>): Record<string, number> {
  const val = e.type === 'validation';
  const key = (k: string) => (val ? `val${k[0]!.toUpperCase()}${k.slice(1)}` : k);
  const out: Record<string, number> = { [key('loss')]: e.loss };
  for (const [k, v] of Object.entries(e.metrics)) out[key(k)] = v;
  return out;
}

/**
 * Views of the current values of every parameter and buffer (cheap: assign() swaps storage instead
 * of writing it). One view per variable, named by every state-dict key that reaches it, so tied
 * weights keep all their names.
 */
interface Snapshot {
  views: Map<Variable, Tensor>;
  named: Record<string, Tensor>;
}
function snapshot(model: Module): Snapshot {
  const views = new Map<Variable, Tensor>();
  const named: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(model.stateDict())) {
    const v = t as Variable;
    let view = views.get(v);
    if (!view) {
      view = keep(v.reshape(v.shape));
      views.set(v, view);
    }
    named[name] = view;
  }
  return { views, named };
}
function disposeSnapshot(s: Snapshot | null): void {
  if (s) for (const t of s.views.values()) t.dispose();
}

export interface EarlyStoppingOptions {
  /** 'valLoss' (default), 'loss', 'valAccuracy', … */
  monitor?: Monitor;
  mode?: 'min' | 'max';
  patience?: number;
  /** Smallest change that counts as an improvement. */
  minDelta?: number;
  /** When given, the best weights are put back into this model when training stops early. */
  restoreBestWeights?: Module;
}

/**
 * Stop when the monitored value has not improved for `patience` epochs: emits a `stopped` event and
 * completes, which unsubscribes from `fit` and so stops training between batches.
 */
export function earlyStopping(options: EarlyStoppingOptions = {}): MonoTypeOperatorFunction<TrainEvent> {
  const monitor = options.monitor ?? 'valLoss';
  const mode = monitorMode(monitor, options.mode);
  const patience = options.patience ?? 0;
  const minDelta = Math.abs(options.minDelta ?? 0);
  return (source) =>
    new Observable<TrainEvent>((sub) => {
      let best = mode === 'min' ? Infinity : -Infinity;
      let wait = 0;
      let bestWeights: Snapshot | null = null;
      let inner: Subscription | null = null;
      let done = false;
      inner = source.subscribe({
        next: (e) => {
          if (done) return;
          sub.next(e);
          let v: number | null;
          try {
            v = monitored(e, monitor);
          } catch (err) {
            // Thrown from here it would escape rxjs as an unhandled error; end the stream with it.
            done = true;
            disposeSnapshot(bestWeights);
            inner?.unsubscribe();
            sub.error(err);
            return;
          }
          if (v === null) return;
          const improved = mode === 'min' ? v < best - minDelta : v > best + minDelta;
          if (improved) {
            best = v;
            wait = 0;
            if (options.restoreBestWeights) {
              disposeSnapshot(bestWeights);
              bestWeights = snapshot(options.restoreBestWeights);
            }
            return;
          }
          if (++wait > patience) {
            if (bestWeights) for (const [variable, value] of bestWeights.views) variable.assign(value);
            disposeSnapshot(bestWeights);
            bestWeights = null;
            done = true;
            const epoch = (e as { epoch: number }).epoch;
            sub.next({
              type: 'stopped',
              epoch,
              reason: `early stopping: ${monitor} did not improve on ${best} for ${wait} epochs`,
            });
            sub.complete();
            inner?.unsubscribe();
          }
        },
        error: (err) => {
          disposeSnapshot(bestWeights);
          sub.error(err);
        },
        complete: () => {
          disposeSnapshot(bestWeights);
          sub.complete();
        },
      });
      if (done) inner.unsubscribe();
      return () => {
        inner?.unsubscribe();
        disposeSnapshot(bestWeights);
        bestWeights = null;
      };
    });
}

/** Something with a per-epoch (or per-batch) `step`, e.g. an `@myelin/optim` LR scheduler; ReduceLROnPlateau takes the metric. */
export interface SchedulerLike {
  step(metric?: number): void;
}

/** Step an LR scheduler at every epoch end (or batch end), passing the monitored value when given. */
export function lrScheduler(
  scheduler: SchedulerLike,
  options: { every?: 'epoch' | 'batch'; monitor?: Monitor } = {},
): MonoTypeOperatorFunction<TrainEvent> {
  const every = options.every ?? 'epoch';
  return tap((e) => {
    if (options.monitor) {
      const v = monitored(e, options.monitor);
      if (v !== null) scheduler.step(v);
      return;
    }
    if ((every === 'epoch' && e.type === 'epochEnd') || (every === 'batch' && e.type === 'batchEnd'))
      scheduler.step();
  });
}

interface NodeFs {
  writeFileSync(path: string, data: string | Uint8Array): void;
  appendFileSync(path: string, data: string): void;
  renameSync(from: string, to: string): void;
  mkdirSync(path: string, options: { recursive: boolean }): void;
}

/** node:fs, reached without a static import so browser bundles stay free of Node modules. */
export function nodeFs(): NodeFs {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = p?.getBuiltinModule?.('node:fs') as NodeFs | undefined;
  if (!fs) throw new Error('this callback writes files and needs Node.js (node:fs)');
  return fs;
}

/** Something whose state can be saved, e.g. an optimizer: named tensors plus JSON. */
export interface StatefulLike {
  stateDict(): unknown;
}

export interface CheckpointOptions {
  model: Module;
  optimizer?: StatefulLike;
  /**
   * 'loss', a metric, or a 'val…' value: with `saveBestOnly` (the default when a monitor is given)
   * save only when it improves; otherwise save at every event that carries it. Without a monitor,
   * save at every epoch end.
   */
  monitor?: Monitor;
  /** Whether bigger is better; inferred from the monitor's name as `earlyStopping` does. */
  mode?: 'min' | 'max';
  saveBestOnly?: boolean;
  /** Checkpoint name inside `dir` (default 'checkpoint'): its manifest is `<name>.json`. */
  name?: string;
  /** Strings stored in the manifest, e.g. which model and data set. */
  metadata?: Record<string, string>;
}

/**
 * Save the model's state dict (and the optimizer's state) with `writeCheckpoint` at each epoch end,
 * or as `monitor` says. A crash at any point leaves the previous complete checkpoint or the new
 * one; leftovers of an interrupted run are cleaned when the stream is subscribed. A failed write
 * ends the stream with the error at once and stops training; load with `loadCheckpoint(dir)`.
 */
export function modelCheckpoint(
  dir: string,
  options: CheckpointOptions,
): MonoTypeOperatorFunction<TrainEvent> {
  const stem = options.name ?? 'checkpoint';
  const monitor = options.monitor;
  const mode = monitorMode(monitor ?? 'loss', options.mode);
  const bestOnly = monitor !== undefined && (options.saveBestOnly ?? true);
  const failure = (e: unknown) =>
    new Error(`modelCheckpoint: cannot save to '${dir}': ${e instanceof Error ? e.message : String(e)}`);
  return (source) =>
    new Observable<TrainEvent>((sub) => {
      // Fail before training when the directory cannot be made (e.g. it lies under a regular file).
      try {
        nodeFs().mkdirSync(dir, { recursive: true });
        cleanCheckpointDir(dir, { name: stem });
      } catch (e) {
        sub.error(failure(e));
        return;
      }
      let best = mode === 'min' ? Infinity : -Infinity;
      let queue: Promise<void> = Promise.resolve();
      let inner: Subscription | null = null;
      let failed = false;
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        inner?.unsubscribe();
        sub.error(err);
      };
      const shouldSave = (e: TrainEvent): boolean => {
        if (monitor === undefined) return e.type === 'epochEnd';
        const v = monitored(e, monitor);
        if (v === null) return false;
        if (mode === 'min' ? v < best : v > best) {
          best = v;
          return true;
        }
        return !bestOnly;
      };
      inner = source.subscribe({
        next: (e) => {
          if (failed) return;
          sub.next(e);
          let snap: Snapshot | null = null;
          let optimizer: string | undefined;
          try {
            if (!shouldSave(e)) return;
            snap = snapshot(options.model);
            if (options.optimizer) optimizer = JSON.stringify(options.optimizer.stateDict(), jsonReplacer);
          } catch (err) {
            disposeSnapshot(snap);
            fail(err);
            return;
          }
          const taken = snap;
          const ev = e as EventOf<'epochEnd'> | EventOf<'validation'>;
          // Writes run one after another; each frees its snapshot whatever happens.
          queue = queue.then(async () => {
            try {
              if (failed) return;
              const weights = await saveSafetensors(taken.named, { metadata: { epoch: String(ev.epoch) } });
              writeCheckpoint(dir, {
                name: stem,
                weights,
                epoch: ev.epoch,
                values: eventValues(ev),
                ...(optimizer === undefined ? {} : { optimizer }),
                ...(options.metadata ? { metadata: options.metadata } : {}),
              });
            } catch (err) {
              fail(failure(err));
            } finally {
              disposeSnapshot(taken);
            }
          });
        },
        // Checkpoints already queued are still written (they hold the last good weights) before
        // the stream ends, with training's error or normally.
        error: (err) => {
          void queue.then(() => {
            if (!failed) {
              failed = true;
              sub.error(err);
            }
          });
        },
        complete: () => {
          void queue.then(() => {
            if (!failed) sub.complete();
          });
        },
      });
      if (failed) inner.unsubscribe();
      return () => inner?.unsubscribe();
    });
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (
    value &&
    typeof value === 'object' &&
    'dataSync' in value &&
    typeof (value as Tensor).dataSync === 'function'
  ) {
    const t = value as Tensor;
    return { shape: t.shape, dtype: t.dtype, data: Array.from(t.dataSync()) };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function flatRecord(e: EventOf<'epochEnd'> | EventOf<'validation'>): Record<string, number> {
  // The same names a monitor takes (`valLoss`, `valAccuracy`), so a column can be monitored as read.
  return { epoch: e.epoch, ...eventValues(e) };
}

/** Append one JSON object per epoch end and validation to `path` (a `write` sink may replace the file). */
export function jsonlLogger(path: string | ((line: string) => void)): MonoTypeOperatorFunction<TrainEvent> {
  const write =
    typeof path === 'function' ? path : (line: string) => nodeFs().appendFileSync(path, `${line}\n`);
  return tap((e) => {
    if (e.type === 'epochEnd' || e.type === 'validation')
      write(JSON.stringify({ type: e.type, ...flatRecord(e) }));
  });
}

/** Write a CSV row per epoch (training and validation values merged), with a header from the first row. */
export function csvLogger(path: string | ((line: string) => void)): MonoTypeOperatorFunction<TrainEvent> {
  const write =
    typeof path === 'function' ? path : (line: string) => nodeFs().appendFileSync(path, `${line}\n`);
  let header: string[] | null = null;
  let row: Record<string, number> | null = null;
  const flush = () => {
    if (!row) return;
    if (!header) {
      header = Object.keys(row);
      write(header.join(','));
    }
    write(header.map((k) => (row![k] === undefined ? '' : String(row![k]))).join(','));
    row = null;
  };
  return tap({
    next: (e) => {
      if (e.type === 'epochEnd') {
        flush();
        row = flatRecord(e);
      } else if (e.type === 'validation') row = { ...(row ?? {}), ...flatRecord(e) };
      else if (e.type === 'fitEnd' || e.type === 'stopped') flush();
    },
    complete: flush,
    // A callback after this one (earlyStopping) may end the run by unsubscribing: the last
    // epoch's row is written then too.
    finalize: flush,
  });
}
