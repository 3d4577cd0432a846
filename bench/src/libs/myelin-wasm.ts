/**
 * Myelin on `@myelin/backend-wasm` against TF.js's wasm backend (`./tfjs-wasm.ts`): the kernel
 * cases of the main bench (matmul, conv2d, elementwise) plus a strided 7×7 convolution and two
 * training loops, printed as one table of throughputs and ratios.
 *
 *     const results = await runWasmBench({ threads: 2 });   // from bench/src/index.ts
 *
 * Myelin's training loops use core ops, autograd and a hand-written Adam update inside `scope`
 * (the optimizer package is not a dependency of the bench); TF.js's use tfjs-layers `model.fit`.
 * The wasm backend package is loaded with a dynamic import so that this file typechecks and the
 * rest of the bench runs before it is a dependency of the bench.
 */

import type { Tensor } from '@myelin/core';
import type { BenchLibrary, ConvDims, Prepared } from '../cases.js';
import { randomValues } from '../harness.js';
import { firstLine, loadModule } from '../load.js';
import { runSuite, type SuiteCase, type SuiteResult, type TrainingRun } from '../suite.js';
import { conv2dCase, matmulCases, trainingCase } from '../suite-cases.js';
import {
  batchedRun,
  crossEntropyLoss,
  denseParams,
  gradients,
  mlpForward,
  mlpParams,
  myelinBatches,
  myelinKernels,
} from './myelin-common.js';
import { loadTfjsWasm } from './tfjs-wasm.js';

type Core = typeof import('@myelin/core');

/** A convolution with explicit stride and symmetric padding. */
export interface StridedConvDims extends ConvDims {
  stride: number;
  pad: number;
}

/** A training benchmark: `samples` per timed run, in batches of `batch`. */
export interface TrainingCase {
  samples: number;
  batch: number;
}

/** MNIST-shaped data: `images` row-major [samples, 784] in [0, 1), `labels` in 0..9. */
export interface TrainingData {
  images: Float32Array;
  labels: Int32Array;
}

export type { TrainingRun } from '../suite.js';

/** A bench library with the wasm suite's extra cases. */
export interface WasmBenchLibrary extends BenchLibrary {
  /** Threads the library really uses. */
  threads: number;
  /** Make this library's backend the active one again. */
  activate(): Promise<void>;
  conv2dStrided(x: Float32Array, w: Float32Array, d: StridedConvDims): Prepared;
  /** 784-256-128-10 ReLU MLP, softmax cross-entropy, Adam (lr 1e-3). */
  mlpTraining(c: TrainingCase, data: TrainingData): TrainingRun;
  /** LeNet-5 (conv 6@5×5 'same', pool, conv 16@5×5, pool, 120, 84, 10), ReLU, Adam (lr 1e-3). */
  lenetTraining(c: TrainingCase, data: TrainingData): TrainingRun;
}

/**
 * A training loop over pre-made batches: loss and gradients by `valueAndGrad`, then Adam
 * (β = 0.9, 0.999, ε = 1e-8) under `noGrad`, all inside one `scope` per step.
 */
function trainingRun(
  core: Core,
  init: Tensor[],
  forward: (params: Tensor[], x: Tensor) => Tensor,
  c: TrainingCase,
  data: TrainingData,
  imageShape: number[],
): TrainingRun {
  const { scope, keep, noGrad, zerosLike } = core;
  let params = keep(init);
  let ms = keep(params.map((p) => zerosLike(p)));
  let vs = keep(params.map((p) => zerosLike(p)));
  const batches = myelinBatches(core, c, data, imageShape);
  let t = 0;
  const loss =
    (x: Tensor, y: Tensor) =>
    (...p: Tensor[]) =>
      crossEntropyLoss(core, forward(p, x), y);
  const step = (x: Tensor, y: Tensor) => {
    t++;
    const c1 = 1 - 0.9 ** t;
    const c2 = 1 - 0.999 ** t;
    const next = scope(() => {
      const grads = gradients(core, loss(x, y), params);
      return noGrad(() =>
        params.map((p, i) => {
          const g = grads[i]!;
          const m = ms[i]!.mul(0.9).add(g.mul(0.1));
          const v = vs[i]!.mul(0.999).add(g.square().mul(0.001));
          return [p.sub(m.div(c1).div(v.div(c2).sqrt().add(1e-8)).mul(1e-3)), m, v] as const;
        }),
      );
    });
    for (const list of [params, ms, vs]) for (const p of list) p.dispose();
    params = keep(next.map((r) => r[0]));
    ms = keep(next.map((r) => r[1]));
    vs = keep(next.map((r) => r[2]));
  };
  return batchedRun(
    c.samples,
    batches,
    step,
    () => params[0]!,
    () => {
      for (const list of [params, ms, vs]) for (const p of list) p.dispose();
    },
  );
}

/** Myelin on the wasm backend with `threads` threads, or an error message. */
export async function loadMyelinWasm(threads: number): Promise<WasmBenchLibrary | string> {
  let core: Core;
  let wasmBackend: (options: { threads: number }) => Promise<{ threads: number; name: string }>;
  try {
    core = await import('@myelin/core');
    ({ wasmBackend } = await loadModule<{ wasmBackend: typeof wasmBackend }>('@myelin/backend-wasm'));
  } catch (err) {
    return `cannot load Myelin wasm (${firstLine(err)})`;
  }
  const backend = await wasmBackend({ threads });
  const activate = async () => {
    await core.use(backend as unknown as Parameters<Core['use']>[0]);
  };
  await activate();
  const { conv2d, relu, maxPool2d, randn, zeros } = core;
  const kernels = myelinKernels(core, true);
  const dense = (i: number, o: number, seed: number) => denseParams(core, i, o, seed);
  return {
    name: `myelin-wasm ${backend.threads}t`,
    threads: backend.threads,
    activate,
    matmul: kernels.matmul,
    conv2d: kernels.conv2d,
    conv2dStrided: (x, w, d) => kernels.conv(x, w, d, d.stride, d.pad),
    add: kernels.add,
    relu: kernels.relu,
    mlpTraining: (c, data) =>
      trainingRun(core, mlpParams(core), (p, x) => mlpForward(core, p, x), c, data, [784]),
    lenetTraining(c, data) {
      const init = [
        randn([6, 1, 5, 5], { seed: 21, std: Math.sqrt(2 / 25) }),
        zeros([1, 6, 1, 1]),
        randn([16, 6, 5, 5], { seed: 22, std: Math.sqrt(2 / 150) }),
        zeros([1, 16, 1, 1]),
        ...dense(400, 120, 23),
        ...dense(120, 84, 24),
        ...dense(84, 10, 25),
      ];
      const forward = (p: Tensor[], x: Tensor) => {
        const c1 = maxPool2d(relu(conv2d(x, p[0]!, { padding: 2 }).add(p[1]!)), 2);
        const c2 = maxPool2d(relu(conv2d(c1, p[2]!).add(p[3]!)), 2);
        const f = c2.reshape([x.shape[0]!, 400]);
        const h1 = relu(f.matmul(p[4]!).add(p[5]!));
        const h2 = relu(h1.matmul(p[6]!).add(p[7]!));
        return h2.matmul(p[8]!).add(p[9]!);
      };
      return trainingRun(core, init, forward, c, data, [1, 28, 28]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

/** A row of the wasm suite's table. */
export type WasmSuiteResult = SuiteResult;

function suiteCases(): SuiteCase<WasmBenchLibrary>[] {
  const cases = matmulCases<WasmBenchLibrary>([128, 256, 512, 1024]);
  cases.push(
    conv2dCase({ batch: 32, height: 28, width: 28, inChannels: 32, outChannels: 64, kernel: 3 }, [3, 4]),
  );
  const s: StridedConvDims = {
    batch: 1,
    height: 224,
    width: 224,
    inChannels: 3,
    outChannels: 64,
    kernel: 7,
    stride: 2,
    pad: 3,
  };
  const xs = randomValues(3 * 224 * 224, 5);
  const ws = randomValues(64 * 3 * 49, 6);
  cases.push({
    name: 'conv2d 1x224x224x3→64 7x7 s2',
    unit: 'GFLOP/s',
    work: 2 * 112 * 112 * 64 * 3 * 49,
    prepare: (l) => l.conv2dStrided(xs, ws, s),
  });
  const e1 = randomValues(2 ** 20, 7);
  const e2 = randomValues(2 ** 20, 8);
  cases.push({ name: 'add 2^20', unit: 'GB/s', work: 12 * 2 ** 20, prepare: (l) => l.add(e1, e2) });
  cases.push({ name: 'relu 2^20', unit: 'GB/s', work: 8 * 2 ** 20, prepare: (l) => l.relu(e1) });
  // Every kernel case twice: the op alone (both wasm backends return from an op with its output
  // written), then with the
  // whole result read back, which adds a copy into a fresh array (in Chromium mostly the page
  // faults of that array: ~2 ms for 4 MiB on this machine, the same for both libraries).
  for (const k of cases.splice(0)) cases.push(k, { ...k, name: `${k.name} +read`, readBack: true });
  cases.push(
    trainingCase('MLP 784-256-128-10 train (Adam, b128)', { samples: 1280, batch: 128 }, 'mlpTraining'),
    trainingCase('LeNet-5 train (Adam, b64)', { samples: 512, batch: 64 }, 'lenetTraining'),
  );
  return cases;
}

/**
 * Run the wasm suite: every case on Myelin's wasm backend and on TF.js's in alternating rounds
 * (`../suite.ts`), with `threads` threads asked of both; prints a table and returns the rows.
 */
export async function runWasmBench(
  options: { threads?: number; minTimeMs?: number; filter?: string } = {},
): Promise<WasmSuiteResult[]> {
  const { threads = 2, minTimeMs = 500, filter } = options;
  return runSuite(suiteCases(), await loadMyelinWasm(threads), await loadTfjsWasm(threads), {
    minTimeMs,
    filter,
    nameWidth: 40,
    names: ['myelin-wasm', 'tfjs-wasm'],
  });
}
