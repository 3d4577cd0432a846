/**
 * TF.js on its WebAssembly backend (`@tensorflow/tfjs-backend-wasm` 4.22.0, XNNPACK kernels with
 * SIMD), in its native layouts (NHWC images, [kh, kw, in, out] filters), and `@tensorflow/tfjs-layers`
 * `model.fit` for the training cases.
 *
 * Threads: tfjs-backend-wasm runs multi-threaded only where its `WASM_HAS_MULTITHREAD_SUPPORT`
 * check passes, which it hard-wires to false under Node (tensorflow/tfjs#3830; forcing the flag
 * makes the backend fail to initialise). So in Node this is SIMD on one thread, whatever
 * `setThreadsCount` says; `threads` in the returned library reports what it really uses.
 *
 * The wasm backend and layers packages are loaded with dynamic imports so that this file
 * typechecks and the rest of the bench runs before they are installed.
 */

import * as tf from '@tensorflow/tfjs-core';
import type { BenchLibrary } from '../cases.js';
import { firstLine, loadModule } from '../load.js';
import type { StridedConvDims, TrainingCase, TrainingRun, WasmBenchLibrary } from './myelin-wasm.js';
import { tfjsKernels } from './tfjs-common.js';

interface TfjsWasmModule {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/** The slice of @tensorflow/tfjs-layers the training cases use. */
interface LayersModel {
  compile(args: { optimizer: tf.Optimizer; loss: string }): void;
  fit(
    x: tf.Tensor,
    y: tf.Tensor,
    args: { batchSize: number; epochs: number; shuffle: boolean; verbose: number },
  ): Promise<unknown>;
  dispose(): void;
}
interface TfLayers {
  sequential(config: { layers: unknown[] }): LayersModel;
  layers: {
    dense(args: { units: number; activation?: string; inputShape?: number[] }): unknown;
    conv2d(args: {
      filters: number;
      kernelSize: number;
      padding?: string;
      activation?: string;
      inputShape?: number[];
    }): unknown;
    maxPooling2d(args: { poolSize: number; strides: number }): unknown;
    flatten(): unknown;
  };
}

/** One `model.fit` epoch over the case's samples per run. */
function fitRun(
  layers: TfLayers,
  model: LayersModel,
  c: TrainingCase,
  x: tf.Tensor,
  y: tf.Tensor,
): TrainingRun {
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  void layers;
  return {
    samplesPerRun: c.samples,
    async run() {
      await model.fit(x, y, { batchSize: c.batch, epochs: 1, shuffle: false, verbose: 0 });
    },
    dispose() {
      model.dispose();
      x.dispose();
      y.dispose();
    },
  };
}

/**
 * TF.js's wasm backend as a bench library; `threads` is passed to `setThreadsCount` before the
 * backend starts. Resolves to an error message when the packages are missing.
 */
export async function loadTfjsWasm(threads: number): Promise<WasmBenchLibrary | string> {
  let wasm: TfjsWasmModule;
  let layers: TfLayers;
  try {
    wasm = await loadModule<TfjsWasmModule>('@tensorflow/tfjs-backend-wasm');
    layers = await loadModule<TfLayers>('@tensorflow/tfjs-layers');
  } catch (err) {
    return `cannot load TF.js wasm (${firstLine(err)})`;
  }
  tf.enableProdMode();
  wasm.setThreadsCount(threads);
  if (!(await tf.setBackend('wasm'))) return 'TF.js wasm backend failed to initialise';
  await tf.ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const used = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) ? wasm.getThreadsCount() : 1;

  const kernels = tfjsKernels({ read: 'dataSync', compute: true });
  const base: BenchLibrary = {
    name: `tfjs-wasm${simd ? ' simd' : ''} ${used}t`,
    matmul: kernels.matmul,
    conv2d: kernels.conv2d,
    add: kernels.add,
    relu: kernels.relu,
  };
  return {
    ...base,
    threads: used,
    /** Switch TF.js back to this backend (another bench library may have changed it). */
    async activate() {
      await tf.setBackend('wasm');
    },
    conv2dStrided: (x, w, d: StridedConvDims) => kernels.conv(x, w, d, d.stride, d.pad),
    mlpTraining(c, data) {
      const model = layers.sequential({
        layers: [
          layers.layers.dense({ units: 256, activation: 'relu', inputShape: [784] }),
          layers.layers.dense({ units: 128, activation: 'relu' }),
          layers.layers.dense({ units: 10, activation: 'softmax' }),
        ],
      });
      const x = tf.tensor2d(data.images, [c.samples, 784]);
      const y = tf.oneHot(tf.tensor1d(data.labels, 'int32'), 10);
      return fitRun(layers, model, c, x, y);
    },
    lenetTraining(c, data) {
      const model = layers.sequential({
        layers: [
          layers.layers.conv2d({
            filters: 6,
            kernelSize: 5,
            padding: 'same',
            activation: 'relu',
            inputShape: [28, 28, 1],
          }),
          layers.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
          layers.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
          layers.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
          layers.layers.flatten(),
          layers.layers.dense({ units: 120, activation: 'relu' }),
          layers.layers.dense({ units: 84, activation: 'relu' }),
          layers.layers.dense({ units: 10, activation: 'softmax' }),
        ],
      });
      // 1-channel NCHW is NHWC with the channel last.
      const x = tf.tensor4d(data.images, [c.samples, 28, 28, 1]);
      const y = tf.oneHot(tf.tensor1d(data.labels, 'int32'), 10);
      return fitRun(layers, model, c, x, y);
    },
  };
}
