/**
 * Timing harness: warm up, then repeat until enough time has passed, and report the median.
 * The median is robust to the odd GC pause or JIT tier-up that a mean would absorb.
 */

export interface Timing {
  /** Median wall time of one repetition, in milliseconds. */
  medianMs: number;
  /** Fastest repetition, in milliseconds. */
  minMs: number;
  /** Timed repetitions (warm-up excluded). */
  reps: number;
  /** Every timed repetition, in milliseconds, fastest first. */
  samples: number[];
}

export interface MeasureOptions {
  /** Keep repeating until the timed repetitions add up to at least this long (ms). */
  minTimeMs?: number;
  /** ... and until there are at least this many repetitions. */
  minReps?: number;
  /** Never time more repetitions than this. */
  maxReps?: number;
  /** Warm-up: at least `warmupReps` untimed runs, more until `warmupMs` have passed. */
  warmupReps?: number;
  warmupMs?: number;
}

/**
 * Time `run` (which must do the whole job, reading its result back, so lazy work is counted).
 * Defaults: ≥ 2 warm-up runs (up to 200 ms of them), then ≥ 3 timed runs and ≥ 0.5 s in total,
 * at most 500 runs.
 */
export async function measure(run: () => unknown, options: MeasureOptions = {}): Promise<Timing> {
  const { minTimeMs = 500, minReps = 3, maxReps = 500, warmupReps = 2, warmupMs = 200 } = options;
  const warmStart = performance.now();
  for (let i = 0; i < warmupReps || (performance.now() - warmStart < warmupMs && i < 50); i++) await run();

  const times: number[] = [];
  let total = 0;
  while (times.length < maxReps && (times.length < minReps || total < minTimeMs)) {
    const t0 = performance.now();
    await run();
    const dt = performance.now() - t0;
    times.push(dt);
    total += dt;
  }
  return timing(times);
}

/** Median, minimum and count of repetition times (ms). */
export function timing(times: number[]): Timing {
  const samples = [...times].sort((a, b) => a - b);
  const mid = samples.length >> 1;
  const medianMs = samples.length % 2 === 1 ? samples[mid]! : (samples[mid - 1]! + samples[mid]!) / 2;
  return { medianMs, minMs: samples[0]!, reps: samples.length, samples };
}

/** Deterministic inputs shared by both libraries: uniform on [-1, 1) from mulberry32(seed). */
export function randomValues(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Largest |a − b| / (1 + |b|) over all elements: the cross-check between the two libraries. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!));
    if (!(d <= worst)) worst = d; // NaN propagates as the worst
  }
  return worst;
}
