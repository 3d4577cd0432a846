/**
 * The PyTorch column of the training rows (zoo-cnn, zoo-gan, rnn) and of the sparse bench:
 * Debian's `/usr/bin/python3` with torch, on the CPU, held to the same threads as Myelin
 * (`torch.set_num_threads` in the script, and the OpenMP / OpenBLAS / MKL pools by environment).
 *
 *     const why = torchMissing();                  // a note for the table, or undefined
 *     const py = startTorch([script, '--threads', '2'], 2, script);
 *     const [params] = await py.expect('ready');
 *     const [loss] = await py.run();               // "run" → "done <loss>"
 *
 * The scripts speak the line protocol of `bench/torch_timing.py`; a run is timed from this side,
 * from writing "run" to reading its "done", so PyTorch takes its turns in `timeTogether`'s rounds.
 * `rowColumns` and `printRow` gather and print such a row with its ratios.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { type Timed, type TrainingLibrary, table } from './suite.js';

export const PYTHON = '/usr/bin/python3';

/** Why the PyTorch column cannot run (`imports` fails in `PYTHON`), or undefined when it can. */
export function torchMissing(imports = 'torch'): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', `import ${imports}`], { encoding: 'utf8' });
  if (probe.status === 0) return undefined;
  const why = (probe.stderr || String(probe.error)).trim().split('\n').pop();
  return `PyTorch column skipped: \`${PYTHON} -c 'import ${imports}'\` failed (${why})`;
}

/**
 * The environment for a PyTorch child: this process's, with every BLAS and OpenMP pool at
 * `threads`, and no `__pycache__` written beside the scripts (they import `torch_timing.py`).
 */
export function torchEnv(threads: number | string): NodeJS.ProcessEnv {
  const n = String(threads);
  return {
    ...process.env,
    OMP_NUM_THREADS: n,
    OPENBLAS_NUM_THREADS: n,
    MKL_NUM_THREADS: n,
    PYTHONDONTWRITEBYTECODE: '1',
  };
}

/** A PyTorch child process driven over stdin/stdout, line by line. */
export interface TorchChild {
  process: ChildProcess;
  /** The next line's fields after its first word, which must be `word` (else it throws). */
  expect(word: string): Promise<string[]>;
  /** One timed unit: write "run", read the fields of its "done" line. */
  run(): Promise<string[]>;
  /** Ask the script to finish ("quit", then end of stdin). */
  quit(): void;
  kill(): void;
}

/**
 * Start `PYTHON args…` with `threads` threads in every pool; stderr goes to this process's.
 * `what` names the script in errors.
 */
export function startTorch(args: string[], threads: number | string, what: string): TorchChild {
  const child = spawn(PYTHON, args, { env: torchEnv(threads), stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const expect = async (word: string): Promise<string[]> => {
    const r = await lines.next();
    if (r.done) throw new Error(`pytorch: ${what} exited before answering`);
    const [first, ...rest] = r.value.split(' ');
    if (first !== word) throw new Error(`pytorch: expected '${word} …', got '${r.value}'`);
    return rest;
  };
  return {
    process: child,
    expect,
    run() {
      child.stdin!.write('run\n');
      return expect('done');
    },
    quit() {
      child.stdin!.end('quit\n');
    },
    kill() {
      child.kill();
    },
  };
}

/** A training library of a row beside PyTorch: its runs record their first losses; `note` says what it ran on. */
interface RowLibrary extends TrainingLibrary {
  note?: string;
}

/** The columns of a training row: samples/s (or why there is none), notes and first losses per column. */
export interface RowColumns {
  samplesPerSecond: Record<string, number | string>;
  notes: Record<string, string>;
  firstLosses: Record<string, number[]>;
}

/**
 * Gather a training row's columns from `timeTogether`'s results: a library's name heads its
 * column (`fallback[i]` where the library is the string saying why it could not run), and each
 * library is closed (PyTorch's process ends).
 */
export function rowColumns<L extends RowLibrary>(
  prepared: (L | string)[],
  times: Timed[],
  runs: Map<L, { firstLosses: number[] }>,
  fallback: string[],
): RowColumns {
  const out: RowColumns = { samplesPerSecond: {}, notes: {}, firstLosses: {} };
  for (const [i, lib] of prepared.entries()) {
    const col = typeof lib === 'string' ? fallback[i]! : lib.name;
    const t = times[i]!;
    out.samplesPerSecond[col] = t.throughput ?? t.error ?? 'n/a';
    if (typeof lib !== 'string') {
      if (lib.note) out.notes[col] = lib.note;
      out.firstLosses[col] = runs.get(lib)!.firstLosses;
      lib.close?.();
    }
  }
  return out;
}

/**
 * Print a training row as a table: the case, samples/s per column, then each ratio (headed by its
 * name, e.g. `myelin/pytorch`); below it, why a column has no figure and each column's note.
 */
export function printRow(
  name: string,
  columns: Pick<RowColumns, 'samplesPerSecond'> & Partial<Pick<RowColumns, 'notes'>>,
  ratios: Record<string, number | undefined>,
): void {
  const cols = Object.keys(columns.samplesPerSecond);
  const heads = Object.keys(ratios);
  const { row, rule } = table([
    40,
    ...cols.map((c) => Math.max(c.length, 12)),
    ...heads.map((h) => h.length + 1),
  ]);
  console.log(row(['case', ...cols, ...heads]));
  console.log(rule);
  const cell = (v: number | string) => (typeof v === 'number' ? v.toFixed(1) : 'n/a');
  const values = cols.map((c) => cell(columns.samplesPerSecond[c]!));
  console.log(row([name, ...values, ...heads.map((h) => ratios[h]?.toFixed(2) ?? 'n/a')]));
  for (const c of cols) {
    const v = columns.samplesPerSecond[c]!;
    if (typeof v === 'string') console.log(`  ${c}: ${v}`);
    if (columns.notes?.[c]) console.log(`  ${c}: ${columns.notes[c]}`);
  }
}

/** `a / b`, or undefined where either is missing. */
export function ratioOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a / b;
}
