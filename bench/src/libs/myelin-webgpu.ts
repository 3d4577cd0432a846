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
import { firstLine, loadModule } from '../load.js';
import { runSuite, type SuiteCase, type SuiteResult } from '../suite.js';
import { conv2dCase, matmulCases, trainingCase } from '../suite-cases.js';
import {
  batchedRun,
  crossEntropyLoss,
  gradients,
  mlpForward,
  mlpParams,
  myelinBatches,
  myelinKernels,
} from './myelin-common.js';
import type { TrainingCase, TrainingData, TrainingRun } from './myelin-wasm.js';
import { dawnChoice, type GpuBenchLibrary, loadTfjsWebGpu } from './tfjs-webgpu.js';

type Core = typeof import('@myelin/core');

/** 784-256-128-10 ReLU MLP, mean softmax cross-entropy, SGD (lr 0.01) inside one `scope` per step. */
function mlpRun(core: Core, c: TrainingCase, data: TrainingData): TrainingRun {
  const { scope, keep, noGrad } = core;
  let params = keep(mlpParams(core));
  const batches = myelinBatches(core, c, data, [784]);
  const loss =
    (x: Tensor, y: Tensor) =>
    (...p: Tensor[]) =>
      crossEntropyLoss(core, mlpForward(core, p, x), y);
  const step = (x: Tensor, y: Tensor) => {
    const next = scope(() => {
      const grads = gradients(core, loss(x, y), params);
      return noGrad(() => params.map((p, i) => p.sub(grads[i]!.mul(0.01))));
    });
    for (const p of params) p.dispose();
    params = keep(next);
  };
  return batchedRun(
    c.samples,
    batches,
    step,
    () => params[0]!,
    () => {
      for (const p of params) p.dispose();
    },
  );
}

/** Myelin on the webgpu backend, or an error message. */
export async function loadMyelinWebGpu(): Promise<GpuBenchLibrary | string> {
  let core: Core;
  let backend: { name: string; adapterInfo: string };
  try {
    core = await import('@myelin/core');
    const mod = await loadModule<{
      webgpuBackend(options?: {
        dawnFlags?: string[];
        compatibility?: boolean;
      }): Promise<{ name: string; adapterInfo: string }>;
    }>('@myelin/backend-webgpu');
    const dawn = dawnChoice();
    backend = await mod.webgpuBackend({ dawnFlags: dawn.flags, compatibility: dawn.compatibility });
  } catch (err) {
    return `cannot load Myelin webgpu (${firstLine(err)})`;
  }
  const activate = async () => {
    await core.use(backend as unknown as Parameters<Core['use']>[0]);
  };
  await activate();
  console.log(`myelin-webgpu adapter: ${backend.adapterInfo}`);
  const { matmul, conv2d } = myelinKernels(core);
  return {
    name: 'myelin-webgpu',
    activate,
    matmul,
    conv2d,
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
  const cases = matmulCases<GpuBenchLibrary>(large ? [256, 512, 1024, 2048, 4096] : [256, 512, 1024]);
  cases.push(
    conv2dCase({ batch: 8, height: 28, width: 28, inChannels: 16, outChannels: 32, kernel: 3 }, [3, 4]),
  );
  if (large)
    cases.push(
      conv2dCase({ batch: 32, height: 28, width: 28, inChannels: 32, outChannels: 64, kernel: 3 }, [5, 6]),
    );
  cases.push(trainingCase('MLP 784-256-128-10 train (SGD, b64)', { samples: 512, batch: 64 }, 'mlpTraining'));
  return cases;
}

/**
 * Run the webgpu suite on Myelin's backend and TF.js's in alternating rounds; prints a table and
 * returns the rows. `large` adds the cases for a real GPU (`gpuCases`).
 */
export async function runWebGpuBench(
  options: { minTimeMs?: number; filter?: string; large?: boolean } = {},
): Promise<WebGpuSuiteResult[]> {
  const { minTimeMs = 500, filter, large = false } = options;
  return runSuite(gpuCases(large), await loadMyelinWebGpu(), await loadTfjsWebGpu(), {
    minTimeMs,
    filter,
    nameWidth: 38,
    names: ['myelin-webgpu', 'tfjs-webgpu'],
  });
}
