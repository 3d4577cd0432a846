/**
 * The zoo-cnn row: training throughput of `@myelin/zoo-cnn`'s 28×28 ResNet (`resnetSmall()`:
 * 3×3 stride-1 stem, BasicBlocks [2, 2, 2] at 32/64/128 channels, 696,042 parameters) on Myelin's
 * wasm backend (2 threads), beside TF.js (a tfjs-layers model of the same architecture, on its
 * fastest backend that can train it) and PyTorch on the CPU (`bench/resnet_torch.py`, same threads).
 * One training step: forward, softmax cross-entropy, backward, SGD (Nesterov momentum 0.9) update;
 * batch 64, as the `resnet-fashion` recipe.
 *
 *     node bench/dist/index.js resnet [--min-time=ms] [--profile] [--no-extras | --extras=cpu]
 *                                     [--tfjs=auto|wasm|webgpu|cpu|none]
 *
 * The three libraries take turns in the suite's alternating rounds (`timeTogether`); PyTorch runs
 * in a child process that the bench drives over stdin, one pass over the samples per request.
 * Myelin's cpu and webgpu backends cannot take turns with its wasm backend in one process (`use`
 * moves every live tensor to the newly active backend), so they run after the table, on their own
 * (`--extras=cpu` picks, `--no-extras` skips them). `--profile` then times every kernel of a few
 * wasm training steps.
 */

import { fileURLToPath } from 'node:url';
import type { Backend, Tensor } from '@myelin/core';
import * as tf from '@tensorflow/tfjs-core';
import { measure, randomValues, timing } from './harness.js';
import { loadMyelinWebGpu } from './libs/myelin-webgpu.js';
import { loadTfjsWasm } from './libs/tfjs-wasm.js';
import { loadTfjsWebGpu } from './libs/tfjs-webgpu.js';
import { prepareTrainingRuns, type SuiteLibrary, type TrainingRun, table, timeTogether } from './suite.js';
import { printRow, ratioOf, rowColumns, startTorch, type TorchChild, torchMissing } from './torch.js';

type Core = typeof import('@myelin/core');
type TfLayers = typeof import('@tensorflow/tfjs-layers');

/** Images per step (the `resnet-fashion` recipe's batch) and per timed run. */
export const RESNET_BATCH = 64;
const SAMPLES_PER_RUN = RESNET_BATCH;
/** Rounds of the alternation; runs take seconds, so one warm-up run (in the first round) is enough. */
const ROUNDS = 3;
/** Trainable parameters of `resnetSmall()` with 10 classes (its TSDoc; torch counts the same). */
const RESNET_PARAMS = 696_042;
const LR = 0.01;
const THREADS = 2;

/** A training run that also reports the loss of its first two steps (a sanity check). */
interface ResnetRun extends TrainingRun {
  firstLosses: number[];
}

/** A library that trains the ResNet: its trainable parameter count is checked against the others. */
interface ResnetLibrary extends SuiteLibrary {
  /** What the column means beyond the name (backend choice, threads). */
  note?: string;
  train(data: ResnetData): Promise<ResnetRun> | ResnetRun;
  close?(): void;
}

/** `samples` images, row-major [samples, 1, 28, 28] (= NHWC with one channel), values in [0, 1). */
interface ResnetData {
  samples: number;
  images: Float32Array;
  labels: Int32Array;
}

function resnetData(samples: number): ResnetData {
  const images = randomValues(samples * 784, 31).map((v) => (v + 1) / 2);
  const labels = Int32Array.from(randomValues(samples, 32), (v) => Math.min(9, Math.floor((v + 1) * 5)));
  return { samples, images, labels };
}

// ---------------------------------------------------------------------------------------------
// Myelin
// ---------------------------------------------------------------------------------------------

/** Myelin on `backend`: `resnetSmall({ seed: 1 })`, `crossEntropy`, `SGD`, one `scope` per step. */
async function myelinLibrary(name: string, backend: Backend, note?: string): Promise<ResnetLibrary> {
  const core: Core = await import('@myelin/core');
  const { crossEntropy } = await import('@myelin/nn');
  const { SGD } = await import('@myelin/optim');
  const { resnetSmall } = await import('@myelin/zoo-cnn');
  const activate = async () => {
    await core.use(backend);
  };
  return {
    name,
    note,
    activate,
    train(data) {
      const model = resnetSmall({ seed: 1 });
      const count = model.numParameters();
      if (count !== RESNET_PARAMS)
        throw new Error(`${name}: resnetSmall() has ${count} parameters, expected ${RESNET_PARAMS}`);
      model.train();
      const opt = new SGD(model.parameters(), { lr: LR, momentum: 0.9, nesterov: true });
      const batches: { x: Tensor; y: Tensor }[] = [];
      for (let s = 0; s < data.samples; s += RESNET_BATCH) {
        const x = core.tensor(data.images.subarray(s * 784, (s + RESNET_BATCH) * 784), {
          shape: [RESNET_BATCH, 1, 28, 28],
        });
        const y = core.tensor(data.labels.subarray(s, s + RESNET_BATCH), { dtype: 'int32' });
        batches.push(core.keep({ x, y }));
      }
      const firstLosses: number[] = [];
      return {
        samplesPerRun: data.samples,
        firstLosses,
        async run() {
          let last: Tensor | undefined;
          for (const b of batches) {
            last?.dispose();
            last = core.scope(() => {
              opt.zeroGrad();
              const loss = crossEntropy(model.forward(b.x), b.y);
              loss.backward();
              opt.step();
              return loss.detach();
            });
            if (firstLosses.length < 2) firstLosses.push((await last.data())[0]!);
          }
          // The webgpu backend queues work: reading the last loss waits for all of it.
          await last!.data();
          last!.dispose();
        },
        dispose() {
          opt.zeroGrad();
          opt.dispose();
          model.dispose();
          for (const b of batches) {
            b.x.dispose();
            b.y.dispose();
          }
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// TF.js
// ---------------------------------------------------------------------------------------------

/**
 * The same network in tfjs-layers (NHWC): conv 3×3 'same' without bias, BatchNormalization
 * (momentum 0.9, ε 1e-5: PyTorch's defaults), ReLU, residual `add`, global average pool, dense 10.
 * TF's 'same' padding of a stride-2 3×3 convolution on an even size pads (0, 1) where PyTorch pads
 * (1, 1): the same output size and work, shifted by one pixel.
 */
function tfjsResnet(tfl: TfLayers): ReturnType<TfLayers['model']> {
  type Sym = ReturnType<TfLayers['input']>;
  const conv = (x: Sym, filters: number, kernel: number, stride: number) =>
    tfl.layers
      .conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'same', useBias: false })
      .apply(x) as Sym;
  const bn = (x: Sym) => tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }).apply(x) as Sym;
  const relu = (x: Sym) => tfl.layers.reLU().apply(x) as Sym;
  const input = tfl.input({ shape: [28, 28, 1] });
  let h = relu(bn(conv(input, 32, 3, 1)));
  let inplanes = 32;
  for (const [stage, blocks] of [2, 2, 2].entries()) {
    const planes = 32 * 2 ** stage;
    for (let b = 0; b < blocks; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const out = bn(conv(relu(bn(conv(h, planes, 3, stride))), planes, 3, 1));
      const identity = stride !== 1 || inplanes !== planes ? bn(conv(h, planes, 1, stride)) : h;
      h = relu(tfl.layers.add().apply([out, identity]) as Sym);
      inplanes = planes;
    }
  }
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(h) as Sym;
  const probs = tfl.layers.dense({ units: 10, activation: 'softmax' }).apply(pooled) as Sym;
  return tfl.model({ inputs: input, outputs: probs });
}

/**
 * Whether TF.js's active backend can take the gradients a ResNet needs (the filter and input
 * gradients of a strided convolution); the error message otherwise.
 */
async function tfjsCanTrainConv(): Promise<string | undefined> {
  const x = tf.ones([1, 6, 6, 2]);
  const w = tf.ones([3, 3, 2, 3]);
  let grads: tf.Tensor[] = [];
  try {
    grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')),
    )([x, w]);
    // Read asynchronously: the webgpu backend warns about (slow) synchronous reads.
    for (const g of grads) await g.data();
    return undefined;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  } finally {
    for (const t of [x, w, ...grads]) t.dispose();
  }
}

/** Which TF.js backend trains the network: 'auto' picks the first of wasm, webgpu, cpu that can. */
export type TfjsChoice = 'auto' | 'wasm' | 'webgpu' | 'cpu' | 'none';

/** The extra Myelin backends timed on their own after the table. */
export type ResnetExtra = 'cpu' | 'webgpu';

/**
 * TF.js: the first backend of wasm, webgpu, cpu (or the one asked for) that loads and can take a
 * convolution's gradients; `model.fit` one epoch per run, as the other suites. 4.22's wasm backend
 * has no Conv2DBackpropFilter kernel. Its cpu backend has one, but as a scalar loop through
 * `TensorBuffer.get` (about 16 s for one 8×28×28×32 → 32 3×3 filter gradient on this machine, so a
 * batch-64 ResNet step would take tens of minutes): webgpu, even on a software adapter, comes first.
 */
async function tfjsLibrary(choice: TfjsChoice): Promise<ResnetLibrary | string> {
  if (choice === 'none') return 'TF.js column skipped (--tfjs=none)';
  let tfl: TfLayers;
  try {
    // tfjs-layers also registers tfjs-core's gradient functions.
    tfl = await import('@tensorflow/tfjs-layers');
    await import('@tensorflow/tfjs-backend-cpu');
  } catch (err) {
    return `cannot load TF.js (${(err as Error).message.split('\n')[0]})`;
  }
  const skipped: string[] = [];
  const candidates: [string, () => Promise<string | undefined>][] = [
    [
      'wasm',
      async () => {
        const lib = await loadTfjsWasm(THREADS);
        return typeof lib === 'string' ? lib : undefined;
      },
    ],
    [
      'webgpu',
      async () => {
        const lib = await loadTfjsWebGpu();
        return typeof lib === 'string' ? lib : undefined;
      },
    ],
    ['cpu', async () => ((await tf.setBackend('cpu')) ? undefined : 'tfjs-backend-cpu did not initialise')],
  ];
  let backend: string | undefined;
  for (const [name, load] of candidates) {
    if (choice !== 'auto' && choice !== name) continue;
    const why = (await load()) ?? (await tfjsCanTrainConv());
    if (why === undefined) {
      backend = name;
      break;
    }
    skipped.push(`tfjs-${name} cannot train it (${why})`);
  }
  if (backend === undefined) return skipped.join('; ');
  tf.enableProdMode();
  const activate = async () => {
    await tf.setBackend(backend);
  };
  await activate();
  const name = `tfjs-${backend}${backend === 'wasm' ? ' 1t' : backend === 'cpu' ? ' (1 thread)' : ''}`;
  return {
    name,
    note: skipped.length ? `${skipped.join('; ')}: ${name} instead` : undefined,
    activate,
    train(data) {
      const model = tfjsResnet(tfl);
      // A weight's shape has no unknown (null) dimension.
      const count = model.trainableWeights.reduce(
        (n, w) => n + tf.util.sizeFromShape(w.shape as number[]),
        0,
      );
      if (count !== RESNET_PARAMS)
        throw new Error(`tfjs: the ResNet has ${count} trainable parameters, expected ${RESNET_PARAMS}`);
      model.compile({ optimizer: tf.train.momentum(LR, 0.9, true), loss: 'categoricalCrossentropy' });
      // [samples, 1, 28, 28] with one channel is [samples, 28, 28, 1].
      const x = tf.tensor4d(data.images, [data.samples, 28, 28, 1]);
      const y = tf.oneHot(tf.tensor1d(data.labels, 'int32'), 10);
      const firstLosses: number[] = [];
      return {
        samplesPerRun: data.samples,
        firstLosses,
        async run() {
          // fit reads each step's loss back, so the pass is finished when it resolves.
          const h = await model.fit(x, y, {
            batchSize: RESNET_BATCH,
            epochs: 1,
            shuffle: false,
            verbose: 0,
          });
          // fit reports the pass's mean loss, not each step's.
          if (firstLosses.length < 2) firstLosses.push(Number(h.history.loss![0]));
        },
        dispose() {
          model.dispose();
          x.dispose();
          y.dispose();
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// PyTorch (a child process)
// ---------------------------------------------------------------------------------------------

const TORCH_SCRIPT = fileURLToPath(new URL('../resnet_torch.py', import.meta.url));

/** PyTorch on the CPU with `THREADS` threads, driven over stdin; or why it cannot run. */
function torchLibrary(): ResnetLibrary | string {
  const missing = torchMissing();
  if (missing) return missing;
  let child: TorchChild | undefined;
  let version = '';
  return {
    name: 'pytorch-cpu',
    activate: async () => {},
    async train(data) {
      const args = [
        '--threads',
        String(THREADS),
        '--batch',
        String(RESNET_BATCH),
        '--samples',
        String(data.samples),
      ];
      const py = startTorch([TORCH_SCRIPT, ...args], THREADS, TORCH_SCRIPT);
      child = py;
      const [params, used, torchVersion] = await py.expect('ready');
      if (Number(params) !== RESNET_PARAMS)
        throw new Error(`pytorch: the ResNet has ${params} parameters, expected ${RESNET_PARAMS}`);
      version = `torch ${torchVersion}, ${used} threads`;
      const firstLosses: number[] = [];
      return {
        samplesPerRun: data.samples,
        firstLosses,
        async run() {
          const [loss] = await py.run();
          if (firstLosses.length < 2) firstLosses.push(Number(loss));
        },
        dispose: () => py.quit(),
      };
    },
    get note() {
      return version || undefined;
    },
    close() {
      child?.kill();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Per-kernel profile of Myelin's wasm training step
// ---------------------------------------------------------------------------------------------

interface KernelShare {
  kernel: string;
  calls: number;
  ms: number;
  /** Of the summed kernel time. */
  share: number;
}

export interface ResnetProfile {
  steps: number;
  stepMs: number;
  kernelMs: number;
  byKernel: KernelShare[];
  byShape: KernelShare[];
}

type KernelFn = (args: { inputs: { shape: readonly number[] }[]; attrs: unknown }) => unknown;

/** A kernel call's shape key: input shapes, and the stride of a convolution or pooling. */
function shapeKey(name: string, args: Parameters<KernelFn>[0]): string {
  const shapes = args.inputs.map((t) => `[${t.shape.join(',')}]`).join(' ');
  const stride = (args.attrs as { stride?: number[] } | undefined)?.stride;
  return `${name} ${shapes}${stride ? ` s${stride[0]}` : ''}`;
}

/**
 * Time every kernel call of `steps` training steps on `backend` (kernels run synchronously on the
 * wasm backend, so wall time around the call is the kernel's). Wraps the backend's kernel table in
 * place and restores it.
 */
async function profileMyelin(lib: ResnetLibrary, backend: Backend, steps: number): Promise<ResnetProfile> {
  await lib.activate();
  const data = resnetData(RESNET_BATCH);
  const run = await lib.train(data);
  try {
    for (let i = 0; i < 3; i++) await run.run(); // warm: wasm memory grown, caches filled
    const table = backend.kernels as unknown as Record<string, KernelFn>;
    const original = { ...table };
    const byKernel = new Map<string, { calls: number; ms: number }>();
    const byShape = new Map<string, { calls: number; ms: number }>();
    const add = (m: Map<string, { calls: number; ms: number }>, key: string, ms: number) => {
      const e = m.get(key) ?? { calls: 0, ms: 0 };
      e.calls++;
      e.ms += ms;
      m.set(key, e);
    };
    for (const [name, fn] of Object.entries(original)) {
      table[name] = (args) => {
        const t0 = performance.now();
        const out = fn(args);
        const ms = performance.now() - t0;
        add(byKernel, name, ms);
        add(byShape, shapeKey(name, args), ms);
        return out;
      };
    }
    const t0 = performance.now();
    try {
      for (let i = 0; i < steps; i++) await run.run();
    } finally {
      Object.assign(table, original);
    }
    const stepMs = (performance.now() - t0) / steps;
    let kernelMs = 0;
    for (const e of byKernel.values()) kernelMs += e.ms;
    const rows = (m: Map<string, { calls: number; ms: number }>) =>
      [...m]
        .map(([kernel, e]) => ({ kernel, calls: e.calls / steps, ms: e.ms / steps, share: e.ms / kernelMs }))
        .sort((a, b) => b.ms - a.ms);
    return { steps, stepMs, kernelMs: kernelMs / steps, byKernel: rows(byKernel), byShape: rows(byShape) };
  } finally {
    run.dispose();
  }
}

function printProfile(p: ResnetProfile): void {
  console.log(
    `\nmyelin-wasm profile: ${p.steps} steps of batch ${RESNET_BATCH}, ${p.stepMs.toFixed(0)} ms per step, ` +
      `${p.kernelMs.toFixed(0)} ms of it in kernels (${((100 * p.kernelMs) / p.stepMs).toFixed(0)}%)`,
  );
  for (const [title, list, width] of [
    ['kernel', p.byKernel.slice(0, 12), 24],
    ['kernel, input shapes, stride', p.byShape.slice(0, 15), 62],
  ] as const) {
    const { row, rule } = table([width, 8, 10, 6]);
    console.log(`\n${row([title, 'calls', 'ms/step', 'share'])}\n${rule}`);
    for (const r of list)
      console.log(row([r.kernel, r.calls.toFixed(0), r.ms.toFixed(1), `${(100 * r.share).toFixed(1)}%`]));
  }
}

// ---------------------------------------------------------------------------------------------
// The row
// ---------------------------------------------------------------------------------------------

export interface ResnetResult {
  case: string;
  batch: number;
  samplesPerRun: number;
  /** samples/s per library (column name → value), or why it has none. */
  samplesPerSecond: Record<string, number | string>;
  notes: Record<string, string>;
  /** Each library's first two losses (TF.js: its first two passes' means). */
  firstLosses: Record<string, number[]>;
  ratios: Record<string, number>;
  profile?: ResnetProfile;
}

/**
 * Run the ResNet row: Myelin wasm, TF.js and PyTorch in alternating rounds, then the Myelin
 * backends in `extras` on their own, then the wasm profile (if `profile`).
 */
export async function runResnetBench(options: {
  minTimeMs: number;
  profile: boolean;
  extras: ResnetExtra[];
  tfjs: TfjsChoice;
}): Promise<ResnetResult> {
  const name = `ResNet-small 28x28 train (SGD, b${RESNET_BATCH})`;
  const { wasmBackend } = await import('@myelin/backend-wasm');
  const wasm = await wasmBackend({ threads: THREADS });
  const myelin = await myelinLibrary(`myelin-wasm ${wasm.threads}t`, wasm);
  const tfjs = await tfjsLibrary(options.tfjs);
  const torch = torchLibrary();
  const libs: (ResnetLibrary | string)[] = [myelin, tfjs, torch];
  const data = resnetData(SAMPLES_PER_RUN);
  const result: ResnetResult = {
    case: name,
    batch: RESNET_BATCH,
    samplesPerRun: SAMPLES_PER_RUN,
    samplesPerSecond: {},
    notes: {},
    firstLosses: {},
    ratios: {},
  };
  // Training runs are prepared asynchronously (PyTorch's process must start first).
  const { runs, prepared } = await prepareTrainingRuns(libs, data, (lib, run) => {
    // Steps take seconds to minutes: say how each went (stderr), so a slow library shows.
    const once = run.run.bind(run);
    let n = 0;
    run.run = async () => {
      const t0 = performance.now();
      await once();
      process.stderr.write(`  ${lib.name} step ${++n}: ${((performance.now() - t0) / 1000).toFixed(2)} s\n`);
    };
    return run;
  });
  const times = await timeTogether(
    {
      name,
      unit: 'samples/s',
      work: SAMPLES_PER_RUN,
      train: (lib: ResnetLibrary) => runs.get(lib)!,
    },
    prepared,
    options.minTimeMs,
    { rounds: ROUNDS, warmupFirstRoundOnly: true },
  );
  Object.assign(result, rowColumns(prepared, times, runs, ['myelin-wasm', 'tfjs', 'pytorch']));
  const [m, tj, pt] = times.map((t) => t.throughput);
  const ratios = { 'myelin/tfjs': ratioOf(m, tj), 'myelin/pytorch': ratioOf(m, pt) };
  for (const [k, v] of Object.entries(ratios)) if (v !== undefined) result.ratios[k] = v;
  printRow(name, result, ratios);
  console.log(
    `  samples/s: median time of a step of batch ${RESNET_BATCH} over ${ROUNDS} alternating rounds ` +
      `(≥ ${(options.minTimeMs / ROUNDS / 1000).toFixed(1)} s of steps per library per round, one warm-up step first)`,
  );

  if (options.extras.length > 0) {
    // On their own: each activation would move the other backends' live tensors.
    const extras: [string, () => Promise<ResnetLibrary | string>, string][] = [
      [
        'myelin-cpu',
        async () => myelinLibrary('myelin-cpu', (await import('@myelin/backend-cpu')).cpuBackend()),
        '',
      ],
      [
        'myelin-webgpu',
        async () => {
          const gpu = await loadMyelinWebGpu();
          if (typeof gpu === 'string') return gpu;
          await gpu.activate();
          const core: Core = await import('@myelin/core');
          return myelinLibrary('myelin-webgpu', core.getBackend());
        },
        ' (a software adapter here unless a GPU is present: correctness only, not speed)',
      ],
    ];
    for (const [col, load, caveat] of extras.filter(([c]) =>
      options.extras.includes(c.slice(7) as ResnetExtra),
    )) {
      try {
        const lib = await load();
        if (typeof lib === 'string') throw new Error(lib);
        await lib.activate();
        const run = await lib.train(data);
        try {
          const t = await measure(() => run.run(), { minTimeMs: 0, minReps: 3, warmupReps: 1, warmupMs: 0 });
          result.samplesPerSecond[col] = RESNET_BATCH / (timing(t.samples).medianMs * 1e-3);
          result.firstLosses[col] = run.firstLosses;
        } finally {
          run.dispose();
        }
        console.log(
          `${col}: ${(result.samplesPerSecond[col] as number).toFixed(1)} samples/s` +
            ` (one step of batch ${RESNET_BATCH} per run, median of 3 after 1 warm-up)${caveat}`,
        );
      } catch (err) {
        result.samplesPerSecond[col] = (err as Error).message.split('\n')[0]!;
        console.log(`${col}: failed: ${result.samplesPerSecond[col]}`);
      }
    }
  }
  console.log("first two losses (tfjs: the first two passes' means):");
  for (const [c, l] of Object.entries(result.firstLosses))
    console.log(`  ${c}: ${l.map((v) => v.toFixed(4)).join(' ')}`);

  if (options.profile) {
    result.profile = await profileMyelin(myelin, wasm, 5);
    printProfile(result.profile);
  }
  return result;
}
