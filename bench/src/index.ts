/**
 * Myelin vs TF.js (CPU), one process, one table:
 *
 *     pnpm bench                      # from the repo root: builds, then runs everything
 *     node bench/dist/index.js --filter=matmul --min-time=200
 *     node bench/dist/index.js resnet [--profile] [--tfjs=none] [--extras=cpu]   # the ResNet row only
 *     node bench/dist/index.js dcgan [--min-time=ms]   # a DCGAN training step, beside PyTorch
 *     node bench/dist/index.js rnn [--min-time=ms]     # an LSTM step, beside TF.js wasm and PyTorch
 *     node bench/dist/index.js word2vec [--threads=2] [--epochs=5]   # Myelin beside gensim on IMDB
 *     node bench/dist/index.js sparse [--min-time=ms] [--no-webgpu]   # graph kernels' edges/s beside PyTorch
 *     node bench/dist/index.js attention [--min-time=ms] [--threads=2] [--lengths=256,1024]   # fused vs decomposed, beside PyTorch
 *     node bench/dist/index.js overhead [--min-time=ms]   # per-op overhead: chains of 1,000 ops on [4] tensors
 *
 * Both libraries get the same input values, each in its native layout; every timed repetition
 * computes, reads the result back to the host and disposes it. Results go to stdout and to
 * bench/results/latest.json.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attentionOptions, runAttentionBench } from './attention.js';
import type { BenchLibrary, ConvDims, Prepared } from './cases.js';
import { maxRelDiff, measure, randomValues, type Timing } from './harness.js';
import { loadMyelin } from './libs/myelin.js';
import { runWasmBench } from './libs/myelin-wasm.js';
import { runWebGpuBench } from './libs/myelin-webgpu.js';
import { loadTfjs } from './libs/tfjs.js';
import { runOverheadBench } from './overhead.js';
import { runRnnBench } from './rnn.js';
import { runSparseBench, sparseOptions } from './sparse.js';
import { table } from './suite.js';
import { runTraining } from './training.js';
import { runWord2VecBench } from './word2vec.js';
import { type ResnetExtra, runResnetBench, type TfjsChoice } from './zoo-cnn.js';
import { runDcganBench } from './zoo-gan.js';

interface BenchCase {
  name: string;
  unit: 'GFLOP/s' | 'GB/s';
  /** Floating-point operations (GFLOP/s cases) or bytes read + written (GB/s cases) per run. */
  work: number;
  prepare(lib: BenchLibrary): Prepared;
}

/** Results further apart than this (|a − b| / (1 + |b|)) are flagged: a fast wrong answer is no result. */
const CHECK_TOLERANCE = 1e-3;

function matmulCase(n: number): BenchCase {
  const a = randomValues(n * n, 1);
  const b = randomValues(n * n, 2);
  return { name: `matmul ${n}`, unit: 'GFLOP/s', work: 2 * n ** 3, prepare: (lib) => lib.matmul(a, b, n) };
}

function conv2dCase(): BenchCase {
  const d: ConvDims = { batch: 32, height: 28, width: 28, inChannels: 32, outChannels: 64, kernel: 3 };
  const x = randomValues(d.batch * d.inChannels * d.height * d.width, 3);
  const w = randomValues(d.outChannels * d.inChannels * d.kernel * d.kernel, 4);
  const flops = 2 * d.batch * d.height * d.width * d.outChannels * d.inChannels * d.kernel * d.kernel;
  return {
    name: 'conv2d 32x28x28x32→64 3x3 same',
    unit: 'GFLOP/s',
    work: flops,
    prepare: (lib) => lib.conv2d(x, w, d),
  };
}

const ELEMENTS = 2 ** 20;

function elementwiseCases(): BenchCase[] {
  const a = randomValues(ELEMENTS, 5);
  const b = randomValues(ELEMENTS, 6);
  return [
    // Two float32 inputs read, one output written.
    { name: 'add 2^20', unit: 'GB/s', work: 3 * 4 * ELEMENTS, prepare: (lib) => lib.add(a, b) },
    { name: 'relu 2^20', unit: 'GB/s', work: 2 * 4 * ELEMENTS, prepare: (lib) => lib.relu(a) },
  ];
}

interface LibraryResult {
  medianMs?: number;
  minMs?: number;
  reps?: number;
  throughput?: number;
  error?: string;
}

interface CaseResult {
  case: string;
  unit: string;
  myelin: LibraryResult;
  tfjs: LibraryResult;
  /** myelin throughput / tfjs throughput (> 1: Myelin is faster). */
  ratio?: number;
  /** max |myelin − tfjs| / (1 + |tfjs|) over the outputs. */
  maxRelDiff?: number;
}

async function runOne(
  c: BenchCase,
  lib: BenchLibrary | string,
  minTimeMs: number,
): Promise<{ out: LibraryResult; values?: Float32Array }> {
  if (typeof lib === 'string') return { out: { error: lib } };
  let prep: Prepared | undefined;
  try {
    prep = c.prepare(lib);
    const t: Timing = await measure(() => prep!.run(), { minTimeMs });
    const values = await prep.result();
    return { out: { ...t, throughput: c.work / (t.medianMs * 1e-3) / 1e9 }, values };
  } catch (err) {
    return { out: { error: (err as Error).message.split('\n')[0]! } };
  } finally {
    prep?.dispose();
  }
}

function fmt(r: LibraryResult, unit: string): string {
  if (r.throughput === undefined) return 'n/a';
  return `${r.throughput.toFixed(2)} ${unit}`;
}

interface Args {
  /** 'resnet': only the zoo-cnn ResNet training row (`./zoo-cnn.ts`); '': every other suite. */
  suite: '' | 'resnet' | 'dcgan' | 'rnn';
  filter: string;
  minTimeMs: number;
  /** resnet: time each wasm kernel of a few training steps. */
  profile: boolean;
  /** resnet: Myelin's other backends timed after the table (default both). */
  extras: ResnetExtra[];
  /** resnet: TF.js's backend ('auto': the first of wasm, webgpu, cpu that can train it). */
  tfjs: TfjsChoice;
  /** Whether --min-time was given (the resnet suite's default is longer). */
  minTimeGiven: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    suite: '',
    filter: '',
    minTimeMs: 500,
    profile: false,
    extras: ['cpu', 'webgpu'],
    tfjs: 'auto',
    minTimeGiven: false,
  };
  const tfjsChoices: TfjsChoice[] = ['auto', 'wasm', 'webgpu', 'cpu', 'none'];
  const extraChoices: ResnetExtra[] = ['cpu', 'webgpu'];
  for (const arg of argv) {
    if (arg === 'resnet') args.suite = 'resnet';
    else if (arg === 'dcgan') args.suite = 'dcgan';
    else if (arg === 'rnn') args.suite = 'rnn';
    else if (arg.startsWith('--filter=')) args.filter = arg.slice('--filter='.length);
    else if (arg.startsWith('--min-time=')) {
      args.minTimeMs = Number(arg.slice('--min-time='.length));
      args.minTimeGiven = true;
    } else if (arg.startsWith('--tfjs=') && tfjsChoices.includes(arg.slice(7) as TfjsChoice))
      args.tfjs = arg.slice(7) as TfjsChoice;
    else if (arg === '--profile') args.profile = true;
    else if (arg === '--no-extras') args.extras = [];
    else if (
      arg.startsWith('--extras=') &&
      arg
        .slice(9)
        .split(',')
        .every((e) => extraChoices.includes(e as ResnetExtra))
    )
      args.extras = arg.slice(9).split(',') as ResnetExtra[];
    else
      throw new Error(
        `bench: unknown argument ${arg} (use [resnet [--profile] [--no-extras | --extras=cpu,webgpu] [--tfjs=${tfjsChoices.join('|')}]] --filter=<substring> --min-time=<ms>)`,
      );
  }
  if ((args.profile || args.extras.length < 2 || args.tfjs !== 'auto') && args.suite !== 'resnet')
    throw new Error(
      'bench: --profile, --extras, --no-extras and --tfjs apply to the resnet suite only (node bench/dist/index.js resnet …)',
    );
  return args;
}

function writeReport(name: string, body: object): void {
  const path = fileURLToPath(new URL(`../results/${name}.json`, import.meta.url));
  mkdirSync(dirname(path), { recursive: true });
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${platform()} ${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadAverage: loadavg(),
    ...body,
  };
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${path}`);
}

async function main(): Promise<void> {
  if (process.argv[2] === 'word2vec') {
    // Its own arguments: --threads=N (default 2), --epochs=N (default 5).
    const opt = (name: string, d: number) => {
      const a = process.argv.find((x) => x.startsWith(`--${name}=`));
      const v = a ? Number(a.slice(name.length + 3)) : d;
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`bench word2vec: --${name} must be an integer ≥ 1, got ${a}`);
      return v;
    };
    await runWord2VecBench({ threads: opt('threads', 2), epochs: opt('epochs', 5) });
    return;
  }
  if (process.argv[2] === 'attention') {
    const attention = await runAttentionBench(attentionOptions(process.argv.slice(3)));
    writeReport('attention', { loadAverageAfter: loadavg(), attention });
    return;
  }
  if (process.argv[2] === 'overhead') {
    const a = process.argv.find((x) => x.startsWith('--min-time='));
    const minTimeMs = a ? Number(a.slice('--min-time='.length)) : 1000;
    const overhead = await runOverheadBench({ minTimeMs });
    writeReport('overhead', { loadAverageAfter: loadavg(), overhead });
    return;
  }
  if (process.argv[2] === 'sparse') {
    const sparse = await runSparseBench(sparseOptions(process.argv.slice(3)));
    writeReport('sparse', { loadAverageAfter: loadavg(), sparse });
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  const { filter, minTimeMs } = args;
  if (args.suite === 'dcgan') {
    const dcgan = await runDcganBench({ minTimeMs: args.minTimeGiven ? minTimeMs : 6000 });
    writeReport('dcgan', { loadAverageAfter: loadavg(), dcgan });
    return;
  }
  if (args.suite === 'rnn') {
    const rnn = await runRnnBench({ minTimeMs: args.minTimeGiven ? minTimeMs : 6000 });
    writeReport('rnn', { loadAverageAfter: loadavg(), rnn });
    return;
  }
  if (args.suite === 'resnet') {
    const load = () =>
      loadavg()
        .map((v) => v.toFixed(2))
        .join(' ');
    console.log(`load average ${load()} on ${cpus().length} cores`);
    // Steps take seconds: 3 s of steps per library per round by default.
    const resnetMinTime = args.minTimeGiven ? minTimeMs : 9000;
    const resnet = await runResnetBench({ ...args, minTimeMs: resnetMinTime });
    console.log(`load average ${load()} after`);
    writeReport('resnet', { minTimeMs: resnetMinTime, loadAverageAfter: loadavg(), resnet });
    return;
  }
  if (!filter) await (await import('./bundle-size.js')).printBundleSizes();
  const [myelin, tfjs] = [await loadMyelin(), await loadTfjs()];
  if (typeof myelin === 'string') console.log(`note: ${myelin}; timing TF.js only\n`);

  const cases = [...[128, 256, 512, 1024].map(matmulCase), conv2dCase(), ...elementwiseCases()].filter((c) =>
    c.name.includes(filter),
  );
  const header = ['case', 'myelin', 'tfjs-cpu', 'ratio (myelin/tfjs)'];
  const { row, rule } = table([32, 16, 16, 19]);
  console.log(row(header));
  console.log(rule);

  const results: CaseResult[] = [];
  for (const c of cases) {
    const m = await runOne(c, myelin, minTimeMs);
    const t = await runOne(c, tfjs, minTimeMs);
    const r: CaseResult = { case: c.name, unit: c.unit, myelin: m.out, tfjs: t.out };
    if (m.out.throughput !== undefined && t.out.throughput !== undefined) {
      r.ratio = m.out.throughput / t.out.throughput;
    }
    if (m.values && t.values) r.maxRelDiff = maxRelDiff(m.values, t.values);
    results.push(r);
    console.log(
      row([
        c.name,
        fmt(m.out, c.unit),
        fmt(t.out, c.unit),
        r.ratio === undefined ? 'n/a' : r.ratio.toFixed(2),
      ]),
    );
    for (const [who, out] of [
      ['myelin', m.out],
      ['tfjs-cpu', t.out],
    ] as const) {
      if (out.error && typeof (who === 'myelin' ? myelin : tfjs) !== 'string')
        console.log(`  ${who} failed: ${out.error}`);
    }
    if (r.maxRelDiff !== undefined && !(r.maxRelDiff <= CHECK_TOLERANCE)) {
      console.log(`  warning: results differ (max relative difference ${r.maxRelDiff.toExponential(2)})`);
    }
  }

  const training = await runTraining(filter);
  // Last: it switches TF.js's global backend and Myelin's active backend to wasm.
  console.log('\nwasm backends, 2 threads asked of each:');
  const wasm = await runWasmBench({ threads: 2, minTimeMs, filter });
  console.log('\nwebgpu backends on the same adapter (software here unless a GPU is present):');
  const webgpu = await runWebGpuBench({ minTimeMs, filter });

  writeReport('latest', {
    minTimeMs,
    myelin: typeof myelin === 'string' ? { error: myelin } : 'ok',
    results,
    training,
    wasm,
    webgpu,
  });
}

await main();
