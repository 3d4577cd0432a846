/**
 * Myelin on `@myelin/backend-webgpu` against TF.js's WebGPU backend (`./tfjs-webgpu.ts`) on the
 * same adapter: matmul (n = 256–1024; 4096 is out of reach of software adapters), a 3×3
 * convolution and MLP training (SGD), printed as one table of throughputs and ratios.
 *
 *     const results = await runWebGpuBench();   // from bench/src/index.ts
 *
 * On a GPU-less Linux machine both run on Dawn's OpenGL backend over Mesa llvmpipe: the figures
 * show the overheads of each library's kernels on a software rasteriser, not GPU speed. The webgpu
 * packages are loaded with dynamic imports so that this file typechecks and the rest of the bench
 * runs before they are dependencies of the bench.
 */

import type { Tensor } from '@myelin/core';
import type { ConvDims, Prepared } from '../cases.js';
import { randomValues } from '../harness.js';
import { runSuite, type SuiteCase, type SuiteResult } from '../suite.js';
import type { TrainingCase, TrainingData, TrainingRun } from './myelin-wasm.js';
import { dawnChoice, type GpuBenchLibrary, loadTfjsWebGpu } from './tfjs-webgpu.js';

type Core = typeof import('@myelin/core');

function load<T>(specifier: string): Promise<T> {
  return import(/* @vite-ignore */ specifier) as Promise<T>;
}

function prepared(op: () => Tensor, inputs: Tensor[]): Prepared {
  return {
    async run() {
      const y = op();
      await y.data();
      y.dispose();
    },
    async result() {
      const y = op();
      const v = Float32Array.from(await y.data());
      y.dispose();
      return v;
    },
    dispose() {
      for (const t of inputs) t.dispose();
    },
  };
}

/** 784-256-128-10 ReLU MLP, mean softmax cross-entropy, SGD (lr 0.01) inside one `scope` per step. */
function mlpRun(core: Core, c: TrainingCase, data: TrainingData): TrainingRun {
  const { scope, keep, noGrad, tensor, oneHot, valueAndGrad, randn, zeros, relu, logSoftmax } = core;
  const dense = (i: number, o: number, seed: number) => [
    randn([i, o], { seed, std: Math.sqrt(2 / i) }),
    zeros([o]),
  ];
  let params = keep([...dense(784, 256, 11), ...dense(256, 128, 12), ...dense(128, 10, 13)]);
  const batches: { x: Tensor; y: Tensor }[] = [];
  for (let s = 0; s < c.samples; s += c.batch) {
    const n = Math.min(c.batch, c.samples - s);
    const x = tensor(data.images.subarray(s * 784, (s + n) * 784), { shape: [n, 784] });
    const y = oneHot(tensor(data.labels.subarray(s, s + n), { dtype: 'int32' }), 10);
    batches.push(keep({ x, y }));
  }
  const loss =
    (x: Tensor, y: Tensor) =>
    (...p: Tensor[]) => {
      const h1 = relu(x.matmul(p[0]!).add(p[1]!));
      const h2 = relu(h1.matmul(p[2]!).add(p[3]!));
      return logSoftmax(h2.matmul(p[4]!).add(p[5]!), -1).mul(y).sum().neg().div(x.shape[0]!);
    };
  const step = (x: Tensor, y: Tensor) => {
    const next = scope(() => {
      const [, grads] = valueAndGrad(
        loss(x, y),
        params.map((_, i) => i),
      )(...params);
      return noGrad(() => params.map((p, i) => p.sub((grads as Tensor[])[i]!.mul(0.01))));
    });
    for (const p of params) p.dispose();
    params = keep(next);
  };
  return {
    samplesPerRun: c.samples,
    async run() {
      for (const b of batches) step(b.x, b.y);
      await params[0]!.data();
    },
    dispose() {
      for (const p of params) p.dispose();
      for (const b of batches) {
        b.x.dispose();
        b.y.dispose();
      }
    },
  };
}

/** Myelin on the webgpu backend, or an error message. */
export async function loadMyelinWebGpu(): Promise<GpuBenchLibrary | string> {
  let core: Core;
  let backend: { name: string; adapterInfo: string };
  try {
    core = await import('@myelin/core');
    const mod = await load<{
      webgpuBackend(options?: {
        dawnFlags?: string[];
        compatibility?: boolean;
      }): Promise<{ name: string; adapterInfo: string }>;
    }>('@myelin/backend-webgpu');
    const dawn = dawnChoice();
    backend = await mod.webgpuBackend({ dawnFlags: dawn.flags, compatibility: dawn.compatibility });
  } catch (err) {
    return `cannot load Myelin webgpu (${(err as Error).message.split('\n')[0]})`;
  }
  const activate = async () => {
    await core.use(backend as unknown as Parameters<Core['use']>[0]);
  };
  await activate();
  console.log(`myelin-webgpu adapter: ${backend.adapterInfo}`);
  const { tensor, conv2d, matmul } = core;
  return {
    name: 'myelin-webgpu',
    activate,
    matmul(a, b, n) {
      const ta = tensor(a, { shape: [n, n] });
      const tb = tensor(b, { shape: [n, n] });
      return prepared(() => matmul(ta, tb), [ta, tb]);
    },
    conv2d(x, w, d) {
      const tx = tensor(x, { shape: [d.batch, d.inChannels, d.height, d.width] });
      const tw = tensor(w, { shape: [d.outChannels, d.inChannels, d.kernel, d.kernel] });
      return prepared(() => conv2d(tx, tw, { padding: 'same' }), [tx, tw]);
    },
    mlpTraining: (c, data) => mlpRun(core, c, data),
  };
}

/** A row of the webgpu suite's table. */
export type WebGpuSuiteResult = SuiteResult;

/**
 * The webgpu cases; `large` adds what only a real GPU runs in reasonable time: matmul 2048 and
 * 4096, and the CPU and wasm suites' convolution (batch 32, 28×28×32 → 64, 3×3).
 */
function gpuCases(large: boolean): SuiteCase<GpuBenchLibrary>[] {
  const cases: SuiteCase<GpuBenchLibrary>[] = [];
  for (const n of large ? [256, 512, 1024, 2048, 4096] : [256, 512, 1024]) {
    const a = randomValues(n * n, 1);
    const b = randomValues(n * n, 2);
    cases.push({ name: `matmul ${n}`, unit: 'GFLOP/s', work: 2 * n ** 3, prepare: (l) => l.matmul(a, b, n) });
  }
  const d: ConvDims = { batch: 8, height: 28, width: 28, inChannels: 16, outChannels: 32, kernel: 3 };
  const x = randomValues(8 * 16 * 28 * 28, 3);
  const w = randomValues(32 * 16 * 9, 4);
  cases.push({
    name: 'conv2d 8x28x28x16→32 3x3 same',
    unit: 'GFLOP/s',
    work: 2 * 8 * 28 * 28 * 32 * 16 * 9,
    prepare: (l) => l.conv2d(x, w, d),
  });
  if (large) {
    const big: ConvDims = { batch: 32, height: 28, width: 28, inChannels: 32, outChannels: 64, kernel: 3 };
    const bx = randomValues(32 * 32 * 28 * 28, 5);
    const bw = randomValues(64 * 32 * 9, 6);
    cases.push({
      name: 'conv2d 32x28x28x32→64 3x3 same',
      unit: 'GFLOP/s',
      work: 2 * 32 * 28 * 28 * 64 * 32 * 9,
      prepare: (l) => l.conv2d(bx, bw, big),
    });
  }
  const mlp: TrainingCase = { samples: 512, batch: 64 };
  const images = randomValues(mlp.samples * 784, 9).map((v) => (v + 1) / 2);
  const labels = Int32Array.from(randomValues(mlp.samples, 10), (v) => Math.min(9, Math.floor((v + 1) * 5)));
  cases.push({
    name: 'MLP 784-256-128-10 train (SGD, b64)',
    unit: 'samples/s',
    work: mlp.samples,
    train: (l) => l.mlpTraining(mlp, { images, labels }),
  });
  return cases;
}

/**
 * Run the webgpu suite on Myelin's backend and TF.js's in alternating rounds; prints a table and
 * returns the rows. `large` adds the cases for a real GPU (`gpuCases`).
 */
export async function runWebGpuBench(
  options: { minTimeMs?: number; filter?: string; large?: boolean } = {},
): Promise<WebGpuSuiteResult[]> {
  const { minTimeMs = 500, filter = '', large = false } = options;
  const myelin = await loadMyelinWebGpu();
  const tfjs = await loadTfjsWebGpu();
  return runSuite(
    gpuCases(large).filter((x) => x.name.includes(filter)),
    myelin,
    tfjs,
    { minTimeMs, nameWidth: 38, names: ['myelin-webgpu', 'tfjs-webgpu'] },
  );
}
