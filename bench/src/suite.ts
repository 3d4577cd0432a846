/**
 * A side-by-side suite (Myelin's backend against TF.js's, case by case) as the wasm and webgpu
 * benches run it: the two libraries take turns in rounds, each case's median throughputs and their
 * ratio are printed as one table, and the outputs are cross-checked.
 *
 *     const rows = await runSuite(cases, myelin, tfjs, { minTimeMs: 500, nameWidth: 40 });
 */

import type { Prepared } from './cases.js';
import { maxRelDiff, measure, timing } from './harness.js';
import { firstLine } from './load.js';

/** A training benchmark's timed unit: one pass over its samples. */
export interface TrainingRun {
  samplesPerRun: number;
  /** One pass over the case's samples (all batches), finished when it resolves. */
  run(): Promise<void>;
  dispose(): void;
}

/** What a suite needs of a library: a display name and a way to make its backend the active one. */
export interface SuiteLibrary {
  name: string;
  activate(): Promise<void>;
}

export interface SuiteCase<L extends SuiteLibrary> {
  name: string;
  unit: 'GFLOP/s' | 'GB/s' | 'samples/s';
  /** FLOP, bytes or samples per run. */
  work: number;
  prepare?: (lib: L) => Prepared;
  /** For `prepare` cases: read the whole result back in every repetition even where the library can time the op alone. */
  readBack?: boolean;
  train?: (lib: L) => TrainingRun;
}

export interface SuiteResult {
  case: string;
  unit: string;
  myelin?: number;
  tfjs?: number;
  /** Myelin's throughput over TF.js's (> 1: Myelin is faster). */
  ratio?: number;
  maxRelDiff?: number;
  error?: { myelin?: string; tfjs?: string };
}

/** A printer of table rows: cells padded to `widths`, joined by ' | '; and the rule under a header. */
export function table(widths: number[]): { row(cells: string[]): string; rule: string } {
  return {
    row: (cells) =>
      cells
        .map((s, i) => s.padEnd(widths[i]!))
        .join(' | ')
        .trimEnd(),
    rule: widths.map((w) => '-'.repeat(w)).join('-|-'),
  };
}

/** Rounds per case: the libraries take turns, so a change in the machine's load hits both. */
const ROUNDS = 4;

/** One library's result for a case: its throughput and output, or why it has none. */
export type Timed = { throughput?: number; values?: Float32Array; error?: string };

/**
 * Time one case on every library in alternating rounds (each round: a warm-up run, then
 * `minTimeMs / rounds` of timed runs on one library, then the same on the next), and report each
 * library's median over all its rounds. A library given as a string (why it could not load) or
 * whose case throws reports an error instead.
 */
export async function timeTogether<L extends SuiteLibrary>(
  c: SuiteCase<L>,
  libs: (L | string)[],
  minTimeMs: number,
  options: {
    rounds?: number;
    /** Warm up in the first round only: for runs of seconds, where one warm-up run is enough. */
    warmupFirstRoundOnly?: boolean;
  } = {},
): Promise<Timed[]> {
  const rounds = options.rounds ?? ROUNDS;
  const out: Timed[] = libs.map((l) => (typeof l === 'string' ? { error: l } : {}));
  const runs: ({
    once: () => unknown;
    perRun: number;
    done: () => Promise<Float32Array | undefined>;
  } | null)[] = [];
  for (const [i, lib] of libs.entries()) {
    runs.push(null);
    if (typeof lib === 'string') continue;
    try {
      await lib.activate();
      if (c.prepare) {
        const prep = c.prepare(lib);
        runs[i] = {
          once: c.readBack || !prep.compute ? () => prep.run() : () => prep.compute!(),
          perRun: c.work,
          done: async () => {
            try {
              return await prep.result();
            } finally {
              prep.dispose();
            }
          },
        };
      } else {
        const run = c.train!(lib);
        runs[i] = {
          once: () => run.run(),
          perRun: run.samplesPerRun,
          done: async () => {
            run.dispose();
            return undefined;
          },
        };
      }
    } catch (err) {
      out[i] = { error: firstLine(err) };
    }
  }
  const times: number[][] = libs.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, lib] of libs.entries()) {
      const r = runs[i];
      if (!r || typeof lib === 'string' || out[i]!.error) continue;
      try {
        await lib.activate();
        const t = await measure(r.once, {
          minTimeMs: minTimeMs / rounds,
          minReps: c.prepare ? 2 : 1,
          warmupReps: round > 0 && options.warmupFirstRoundOnly ? 0 : 1,
          warmupMs: 0,
        });
        times[i]!.push(...t.samples);
      } catch (err) {
        out[i] = { error: firstLine(err) };
      }
    }
  }
  for (const [i, lib] of libs.entries()) {
    const r = runs[i];
    if (!r || typeof lib === 'string') continue;
    try {
      await lib.activate();
      const values = await r.done();
      if (out[i]!.error) continue;
      const t = timing(times[i]!);
      out[i] = {
        throughput: r.perRun / (t.medianMs * 1e-3) / (c.unit === 'samples/s' ? 1 : 1e9),
        ...(values ? { values } : {}),
      };
    } catch (err) {
      out[i] = { error: firstLine(err) };
    }
  }
  return out;
}

/**
 * Run `cases` (those matching `filter`) on both libraries (each a library, or why it could not load), printing a table of
 * throughputs and ratios as it goes; a relative difference of the outputs above 1e-3 is flagged.
 */
export async function runSuite<L extends SuiteLibrary>(
  cases: SuiteCase<L>[],
  myelin: L | string,
  tfjs: L | string,
  options: {
    minTimeMs: number;
    /** Run only the cases whose name contains it. */
    filter?: string;
    nameWidth: number;
    names: [string, string];
  },
): Promise<SuiteResult[]> {
  const names = [
    typeof myelin === 'string' ? options.names[0] : myelin.name,
    typeof tfjs === 'string' ? options.names[1] : tfjs.name,
  ];
  for (const lib of [myelin, tfjs]) if (typeof lib === 'string') console.log(`note: ${lib}`);
  const { row, rule } = table([options.nameWidth, 22, 22, 7]);
  console.log(row(['case', names[0]!, names[1]!, 'ratio']));
  console.log(rule);
  const results: SuiteResult[] = [];
  for (const c of cases.filter((x) => x.name.includes(options.filter ?? ''))) {
    const [m, t] = (await timeTogether(c, [myelin, tfjs], options.minTimeMs)) as [Timed, Timed];
    const r: SuiteResult = { case: c.name, unit: c.unit, myelin: m.throughput, tfjs: t.throughput };
    if (m.throughput !== undefined && t.throughput !== undefined) r.ratio = m.throughput / t.throughput;
    if (m.values && t.values) r.maxRelDiff = maxRelDiff(m.values, t.values);
    if (m.error || t.error) r.error = { myelin: m.error, tfjs: t.error };
    results.push(r);
    const fmt = (v: number | undefined, err: string | undefined) =>
      v === undefined ? (err ? 'failed' : 'n/a') : `${v.toFixed(c.unit === 'samples/s' ? 0 : 2)} ${c.unit}`;
    console.log(
      row([
        c.name,
        fmt(r.myelin, m.error),
        fmt(r.tfjs, t.error),
        r.ratio === undefined ? 'n/a' : r.ratio.toFixed(2),
      ]),
    );
    if (m.error) console.log(`  myelin: ${m.error}`);
    if (t.error) console.log(`  tfjs: ${t.error}`);
    if (r.maxRelDiff !== undefined && !(r.maxRelDiff <= 1e-3)) {
      console.log(`  warning: results differ (max relative difference ${r.maxRelDiff.toExponential(2)})`);
    }
  }
  return results;
}

/** A library of a training row: activated once, then `train(input)` builds the step to time. */
export interface TrainingLibrary extends SuiteLibrary {
  train(input: never): unknown;
  close?(): void;
}
/** What a training library's `train` takes, and the run it gives. */
type InputOf<L> = L extends { train(input: infer I): unknown } ? I : never;
type RunOf<L> = L extends { train(input: never): infer R } ? Awaited<R> : never;

/**
 * Activate and prepare every library of a training row in turn (PyTorch's process must start
 * first). A library that cannot run, or fails to prepare, stays in the row as the string saying
 * why (its first line), so the table shows the reason; `wrap` may instrument a prepared run.
 */
export async function prepareTrainingRuns<L extends TrainingLibrary>(
  libs: readonly (L | string)[],
  input: InputOf<L>,
  wrap: (lib: L, run: RunOf<L>) => RunOf<L> = (_lib, run) => run,
): Promise<{ runs: Map<L, RunOf<L>>; prepared: (L | string)[] }> {
  const runs = new Map<L, RunOf<L>>();
  const prepared: (L | string)[] = [];
  for (const lib of libs) {
    if (typeof lib === 'string') {
      prepared.push(lib);
      continue;
    }
    try {
      await lib.activate();
      const run = (await (lib.train as (i: InputOf<L>) => unknown)(input)) as RunOf<L>;
      runs.set(lib, wrap(lib, run));
      prepared.push(lib);
    } catch (err) {
      lib.close?.();
      prepared.push(`${lib.name}: ${firstLine(err)}`);
    }
  }
  return { runs, prepared };
}
