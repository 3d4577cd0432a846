/**
 * What the Myelin adapters (`./myelin.ts` on the cpu backend, `./myelin-wasm.ts`, `./myelin-webgpu.ts`)
 * share: the timed op over fixed inputs, the kernel cases built on it, and the MLP, batches, loss,
 * gradients and timed pass of the training cases.
 *
 * `@myelin/core` is passed in (every adapter loads it itself, with a dynamic import, so a missing
 * or broken Myelin becomes a message instead of a crash); this file imports its types only.
 */

import type { Tensor } from '@myelin/core';
import type { BenchLibrary, ConvDims, Prepared } from '../cases.js';
import type { TrainingRun } from '../suite.js';

type Core = typeof import('@myelin/core');

/**
 * One op over fixed inputs. `run` awaits `data()`, so lazy work is counted. With `sync` (the wasm
 * backend, whose kernels have written their output when the call returns, thread pool included)
 * there is also `compute`, which times the op alone.
 */
export function myelinPrepared(op: () => Tensor, inputs: Tensor[], sync = false): Prepared {
  const prepared: Prepared = {
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
  if (sync) prepared.compute = () => op().dispose();
  return prepared;
}

/** The kernel cases of `BenchLibrary` on the active backend, plus a convolution of any stride and padding. */
export interface MyelinKernels extends Omit<BenchLibrary, 'name'> {
  conv(x: Float32Array, w: Float32Array, d: ConvDims, stride: number, padding: number | 'same'): Prepared;
}

/** The kernel cases on `core`'s active backend, in Myelin's layouts (NCHW, [out, in, kh, kw]); `sync` as `myelinPrepared`. */
export function myelinKernels(core: Core, sync = false): MyelinKernels {
  const { tensor } = core;
  const conv = (x: Float32Array, w: Float32Array, d: ConvDims, stride: number, padding: number | 'same') => {
    const tx = tensor(x, { shape: [d.batch, d.inChannels, d.height, d.width] });
    const tw = tensor(w, { shape: [d.outChannels, d.inChannels, d.kernel, d.kernel] });
    return myelinPrepared(() => core.conv2d(tx, tw, { stride, padding }), [tx, tw], sync);
  };
  return {
    conv,
    matmul(a, b, n) {
      const ta = tensor(a, { shape: [n, n] });
      const tb = tensor(b, { shape: [n, n] });
      return myelinPrepared(() => core.matmul(ta, tb), [ta, tb], sync);
    },
    conv2d: (x, w, d) => conv(x, w, d, 1, 'same'),
    add(a, b) {
      const ta = tensor(a);
      const tb = tensor(b);
      return myelinPrepared(() => core.add(ta, tb), [ta, tb], sync);
    },
    relu(a) {
      const ta = tensor(a);
      return myelinPrepared(() => core.relu(ta), [ta], sync);
    },
  };
}

/** He-normal weights stored [in, out] (no transposes in the loop) and a zero bias: one dense layer's parameters. */
export function denseParams(core: Core, inputs: number, outputs: number, seed: number): Tensor[] {
  return [core.randn([inputs, outputs], { seed, std: Math.sqrt(2 / inputs) }), core.zeros([outputs])];
}

/** The 784-256-128-10 MLP's parameters (seeds 11, 12, 13), as both the wasm and the webgpu suites train it. */
export function mlpParams(core: Core): Tensor[] {
  return [
    ...denseParams(core, 784, 256, 11),
    ...denseParams(core, 256, 128, 12),
    ...denseParams(core, 128, 10, 13),
  ];
}

/** The MLP's logits: ReLU after the first two layers. */
export function mlpForward(core: Core, p: Tensor[], x: Tensor): Tensor {
  const h1 = core.relu(x.matmul(p[0]!).add(p[1]!));
  const h2 = core.relu(h1.matmul(p[2]!).add(p[3]!));
  return h2.matmul(p[4]!).add(p[5]!);
}

/** A training case's batches: images of `imageShape` each and one-hot labels, kept outside every scope. */
export function myelinBatches(
  core: Core,
  c: { samples: number; batch: number },
  data: { images: Float32Array; labels: Int32Array },
  imageShape: number[],
): { x: Tensor; y: Tensor }[] {
  const { keep, tensor, oneHot } = core;
  const batches: { x: Tensor; y: Tensor }[] = [];
  for (let s = 0; s < c.samples; s += c.batch) {
    const n = Math.min(c.batch, c.samples - s);
    const x = tensor(data.images.subarray(s * 784, (s + n) * 784), { shape: [n, ...imageShape] });
    const y = oneHot(tensor(data.labels.subarray(s, s + n), { dtype: 'int32' }), 10);
    batches.push(keep({ x, y }));
  }
  return batches;
}

/** Mean softmax cross-entropy of `logits` against one-hot `y`. */
export function crossEntropyLoss(core: Core, logits: Tensor, y: Tensor): Tensor {
  return core.logSoftmax(logits, -1).mul(y).sum().neg().div(logits.shape[0]!);
}

/**
 * A timed training pass: `step` on every batch, then a read of `last()` (a parameter the final
 * step wrote) so that queued work is counted; `dispose` frees what the steps keep (`release`) and
 * the batches.
 */
export function batchedRun(
  samples: number,
  batches: { x: Tensor; y: Tensor }[],
  step: (x: Tensor, y: Tensor) => void,
  last: () => Tensor,
  release: () => void,
): TrainingRun {
  return {
    samplesPerRun: samples,
    async run() {
      for (const b of batches) step(b.x, b.y);
      await last().data();
    },
    dispose() {
      release();
      for (const b of batches) {
        b.x.dispose();
        b.y.dispose();
      }
    },
  };
}

/** The gradients of `f(...params)` with respect to every parameter. */
export function gradients(core: Core, f: (...p: Tensor[]) => Tensor, params: Tensor[]): Tensor[] {
  const [, grads] = core.valueAndGrad(
    f,
    params.map((_, i) => i),
  )(...params);
  return grads as Tensor[];
}
