/**
 * TF.js on its WebGPU backend (`@tensorflow/tfjs-backend-webgpu` 4.22.0) for the webgpu suite of
 * `./myelin-webgpu.ts`, in its native layouts (NHWC images, [kh, kw, in, out] filters).
 *
 * In Node, TF.js looks for `navigator.gpu`; this file provides one from the `webgpu` package (Dawn)
 * that asks for the same adapter Myelin's backend uses (OpenGL over Mesa on GPU-less Linux, in
 * compatibility mode), so both libraries run on the same adapter. The packages are loaded with
 * dynamic imports so that this file typechecks and the rest of the bench runs without them.
 */

import * as tf from '@tensorflow/tfjs-core';
import type { ConvDims, Prepared } from '../cases.js';
import { firstLine, loadModule } from '../load.js';
import type { TrainingCase, TrainingData, TrainingRun } from './myelin-wasm.js';
import { tfjsKernels } from './tfjs-common.js';

/** What the webgpu suite runs on each library. */
export interface GpuBenchLibrary {
  name: string;
  activate(): Promise<void>;
  matmul(a: Float32Array, b: Float32Array, n: number): Prepared;
  /** stride 1, 'same' padding, NCHW in and out. */
  conv2d(x: Float32Array, w: Float32Array, d: ConvDims): Prepared;
  /** 784-256-128-10 ReLU MLP, softmax cross-entropy, SGD (lr 0.01). */
  mlpTraining(c: TrainingCase, data: TrainingData): TrainingRun;
}

/**
 * Dawn's backend in Node on Linux: OpenGL over Mesa by default (the one that gives an adapter on
 * a GPU-less machine), Vulkan with `MYELIN_DAWN=vulkan` (a real GPU's driver). Both libraries of
 * the webgpu suite take the same.
 */
export function dawnChoice(): { flags: string[]; compatibility: boolean } {
  if (process.platform !== 'linux') return { flags: [], compatibility: false };
  return process.env.MYELIN_DAWN === 'vulkan'
    ? { flags: [], compatibility: false }
    : { flags: ['backend=opengl'], compatibility: true };
}

/** In Node, a `navigator.gpu` over Dawn (`dawnChoice`: the compatibility-mode OpenGL adapter by default on Linux). */
async function ensureNavigatorGpu(): Promise<void> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu) return;
  // Typed locally: the bench does not depend on @webgpu/types.
  type AdapterOptions = Record<string, unknown>;
  const { create, globals } = await loadModule<{
    create(flags: string[]): { requestAdapter(o?: AdapterOptions): Promise<unknown> };
    globals: Record<string, unknown>;
  }>('webgpu');
  for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) Object.assign(globalThis, { [k]: v });
  const dawn = dawnChoice();
  if (process.platform === 'linux') process.env.EGL_PLATFORM ??= 'surfaceless';
  const gpu = create(dawn.flags);
  const shim = {
    requestAdapter: (o: AdapterOptions = {}) =>
      gpu.requestAdapter(dawn.compatibility ? { ...o, featureLevel: 'compatibility' } : o),
    getPreferredCanvasFormat: () => 'rgba8unorm' as const,
  };
  Object.defineProperty(globalThis, 'navigator', {
    value: { ...(g.navigator ?? {}), gpu: shim },
    configurable: true,
  });
}

/** TF.js on WebGPU, or an error message. */
export async function loadTfjsWebGpu(): Promise<GpuBenchLibrary | string> {
  try {
    await ensureNavigatorGpu();
    // Gradients for the training case: tfjs-layers registers tfjs-core's gradient functions.
    await loadModule('@tensorflow/tfjs-layers');
    await loadModule('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) return 'tfjs-backend-webgpu did not initialise';
    await tf.ready();
  } catch (err) {
    return `cannot load tfjs-backend-webgpu (${firstLine(err)})`;
  }
  const { matmul, conv2d } = tfjsKernels({ read: 'data' });
  return {
    name: 'tfjs-webgpu',
    async activate() {
      await tf.setBackend('webgpu');
    },
    matmul,
    conv2d,
    mlpTraining(c, data) {
      const dense = (i: number, o: number) => [
        tf.variable(tf.randomNormal([i, o], 0, Math.sqrt(2 / i))),
        tf.variable(tf.zeros([o])),
      ];
      const params = [...dense(784, 256), ...dense(256, 128), ...dense(128, 10)];
      const opt = tf.train.sgd(0.01);
      const batches: { x: tf.Tensor2D; y: tf.Tensor2D }[] = [];
      for (let s = 0; s < c.samples; s += c.batch) {
        const n = Math.min(c.batch, c.samples - s);
        const x = tf.tensor2d(data.images.subarray(s * 784, (s + n) * 784), [n, 784]);
        const y = tf.oneHot(tf.tensor1d(data.labels.subarray(s, s + n), 'int32'), 10) as tf.Tensor2D;
        batches.push({ x, y: tf.cast(y, 'float32') });
        y.dispose();
      }
      const [w1, b1, w2, b2, w3, b3] = params as [
        tf.Variable,
        tf.Variable,
        tf.Variable,
        tf.Variable,
        tf.Variable,
        tf.Variable,
      ];
      const loss = (x: tf.Tensor2D, y: tf.Tensor2D) => () => {
        const h1 = tf.relu(tf.add(tf.matMul(x, w1), b1));
        const h2 = tf.relu(tf.add(tf.matMul(h1, w2), b2));
        const logits = tf.add(tf.matMul(h2, w3), b3);
        return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
      };
      return {
        samplesPerRun: c.samples,
        async run() {
          for (const b of batches) opt.minimize(loss(b.x, b.y));
          await w1.data();
        },
        dispose() {
          for (const p of params) p.dispose();
          for (const b of batches) {
            b.x.dispose();
            b.y.dispose();
          }
          opt.dispose();
        },
      };
    },
  };
}
