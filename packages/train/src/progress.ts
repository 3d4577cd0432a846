import { type MonoTypeOperatorFunction, tap } from 'rxjs';
import type { TrainEvent } from './events.js';

export interface ProgressOptions {
  /** Where to write (default process.stdout). */
  stream?: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  /** Force the bar on or off; default: a bar on a TTY, plain lines otherwise. */
  tty?: boolean;
  /** Bar width in characters. */
  width?: number;
  /** Minimum milliseconds between redraws of the bar. */
  intervalMs?: number;
}

const fmt = (v: number) =>
  Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(3) : v.toFixed(4);
const fmtMetrics = (m: Record<string, number>, prefix = '') =>
  Object.entries(m)
    .map(([k, v]) => ` ${prefix}${k} ${fmt(v)}`)
    .join('');

function fmtTime(sec: number): string {
  if (!Number.isFinite(sec)) return '--:--';
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return `${h ? `${h}:` : ''}${String(m).padStart(h ? 2 : 1, '0')}:${String(r).padStart(2, '0')}`;
}

/**
 * A terminal progress bar: per batch a bar with ETA, loss, metrics and throughput; an epoch summary
 * line; validation results. When the stream is not a TTY, only the summary lines are printed.
 */
export function progressBar(options: ProgressOptions = {}): MonoTypeOperatorFunction<TrainEvent> {
  const stream =
    options.stream ?? (globalThis as { process?: { stdout: ProgressOptions['stream'] } }).process?.stdout;
  if (!stream) throw new Error('progressBar: no stream to write to (pass options.stream)');
  const tty = options.tty ?? Boolean(stream.isTTY);
  const width = options.width ?? 24;
  const interval = options.intervalMs ?? 100;
  let epochs = 0;
  let lastDraw = 0;
  let onBar = false;
  let pendingVal = '';
  const clear = () => {
    if (onBar) stream.write('\r\x1b[2K');
    onBar = false;
  };
  return tap((e) => {
    switch (e.type) {
      case 'fitStart':
        epochs = e.epochs;
        break;
      case 'batchEnd': {
        if (!tty) break;
        const now = Date.now();
        const total = e.batchesPerEpoch;
        const done = e.batch + 1;
        if (now - lastDraw < interval && done !== total) break;
        lastDraw = now;
        let bar = '';
        let eta = '';
        if (total) {
          const filled = Math.round((done / total) * width);
          bar = `[${'='.repeat(Math.max(0, filled - 1))}${filled ? '>' : ''}${' '.repeat(width - filled)}] ${done}/${total} `;
          const rate = e.samplesPerSec / Math.max(1, e.samples);
          eta = ` ETA ${fmtTime((total - done) / Math.max(rate, 1e-9))}`;
        } else bar = `batch ${done} `;
        const line = `epoch ${e.epoch + 1}/${epochs} ${bar}loss ${fmt(e.loss)}${fmtMetrics(e.metrics)} ${Math.round(e.samplesPerSec)} samples/s${eta}`;
        const cols = stream.columns ?? 120;
        stream.write(`\r\x1b[2K${line.slice(0, cols - 1)}`);
        onBar = true;
        break;
      }
      case 'epochEnd':
        clear();
        stream.write(
          `epoch ${e.epoch + 1}/${epochs} loss ${fmt(e.loss)}${fmtMetrics(e.metrics)} ${Math.round(e.samplesPerSec)} samples/s ${fmtTime(e.durationMs / 1000)}\n`,
        );
        break;
      case 'validation':
        clear();
        pendingVal = `  validation loss ${fmt(e.loss)}${fmtMetrics(e.metrics)} (${e.samples} samples)\n`;
        stream.write(pendingVal);
        break;
      case 'stopped':
        clear();
        stream.write(`stopped after epoch ${e.epoch + 1}: ${e.reason}\n`);
        break;
      case 'fitEnd':
        clear();
        stream.write(`done: ${e.epochs} epoch(s) in ${fmtTime(e.durationMs / 1000)}\n`);
        break;
      case 'error':
        clear();
        stream.write(`training failed: ${e.error.message}\n`);
        break;
      default:
        break;
    }
  });
}
