import { keep, type Module, saveSafetensors, type Tensor, type Variable } from '@myelin/core';
import { type MonoTypeOperatorFunction, Observable, type Subscription, tap } from 'rxjs';
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

/** A monitored quantity: 'loss' or a metric name, from training epochs or (prefix 'val') validation. */
export type Monitor = string;

function monitored(e: TrainEvent, monitor: Monitor): number | null {
  const val = monitor.startsWith('val');
  const key = val ? monitor.slice(3, 4).toLowerCase() + monitor.slice(4) : monitor;
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

type Snapshot = Map<Variable, Tensor>;

/** Views of the current values of every parameter and buffer: cheap, since assign() swaps storage instead of writing it. */
function snapshot(model: Module): Snapshot {
  const s: Snapshot = new Map();
  for (const v of Object.values(model.stateDict()) as Variable[]) s.set(v, keep(v.reshape(v.shape)));
  return s;
}
function disposeSnapshot(s: Snapshot | null): void {
  if (s) for (const t of s.values()) t.dispose();
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
  const mode = options.mode ?? (/acc|f1|precision|recall|r2/i.test(monitor) ? 'max' : 'min');
  const patience = options.patience ?? 0;
  const minDelta = Math.abs(options.minDelta ?? 0);
  return (source) =>
    new Observable<TrainEvent>((sub) => {
      let best = mode === 'min' ? Infinity : -Infinity;
      let wait = 0;
      let bestWeights: Snapshot | null = null;
      const inner: Subscription = source.subscribe({
        next: (e) => {
          sub.next(e);
          const v = monitored(e, monitor);
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
            if (bestWeights) for (const [variable, value] of bestWeights) variable.assign(value);
            disposeSnapshot(bestWeights);
            bestWeights = null;
            const epoch = (e as { epoch: number }).epoch;
            sub.next({
              type: 'stopped',
              epoch,
              reason: `early stopping: ${monitor} did not improve on ${best} for ${wait} epochs`,
            });
            sub.complete();
            inner.unsubscribe();
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
      return () => inner.unsubscribe();
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
  /** Save only when the monitored value improves (default: every epoch). */
  monitor?: Monitor;
  mode?: 'min' | 'max';
  /** File stem inside `dir` (default 'checkpoint'): writes `<stem>.safetensors` and `<stem>.optim.json`. */
  name?: string;
}

/**
 * Save the model's state dict as safetensors (and the optimizer's state as JSON) at each epoch end.
 * Files are written beside the target and renamed over it, so a crash mid-write never replaces the
 * last good checkpoint with a partial one.
 */
export function modelCheckpoint(
  dir: string,
  options: CheckpointOptions,
): MonoTypeOperatorFunction<TrainEvent> {
  const stem = options.name ?? 'checkpoint';
  let best = options.mode === 'max' ? -Infinity : Infinity;
  let pending: Promise<void> = Promise.resolve();
  return (source) =>
    new Observable<TrainEvent>((sub) => {
      const inner = source.subscribe({
        next: (e) => {
          sub.next(e);
          let save = false;
          if (options.monitor) {
            const v = monitored(e, options.monitor);
            if (v !== null && (options.mode === 'max' ? v > best : v < best)) {
              best = v;
              save = true;
            }
          } else save = e.type === 'epochEnd';
          if (!save) return;
          const snap = snapshot(options.model);
          const names = Object.keys(options.model.stateDict());
          const tensors: Record<string, Tensor> = {};
          [...snap.values()].forEach((t, i) => {
            tensors[names[i]!] = t;
          });
          const optimState = options.optimizer
            ? JSON.stringify(options.optimizer.stateDict(), jsonReplacer)
            : null;
          const epoch = (e as { epoch: number }).epoch;
          pending = pending.then(async () => {
            try {
              const fs = nodeFs();
              fs.mkdirSync(dir, { recursive: true });
              const bytes = await saveSafetensors(tensors, { metadata: { epoch: String(epoch) } });
              const target = `${dir}/${stem}.safetensors`;
              fs.writeFileSync(`${target}.partial`, bytes);
              fs.renameSync(`${target}.partial`, target);
              if (optimState !== null) {
                const ot = `${dir}/${stem}.optim.json`;
                fs.writeFileSync(`${ot}.partial`, optimState);
                fs.renameSync(`${ot}.partial`, ot);
              }
            } finally {
              disposeSnapshot(snap);
            }
          });
        },
        error: (err) => sub.error(err),
        complete: () => {
          pending.then(
            () => sub.complete(),
            (err) => sub.error(err),
          );
        },
      });
      return () => inner.unsubscribe();
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
  const prefix = e.type === 'validation' ? 'val_' : '';
  const out: Record<string, number> = { epoch: e.epoch, [`${prefix}loss`]: e.loss };
  for (const [k, v] of Object.entries(e.metrics)) out[`${prefix}${k}`] = v;
  return out;
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
  });
}
