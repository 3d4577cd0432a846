/**
 * What the TF.js adapters (`./tfjs.ts` on the pure-JS cpu backend, `./tfjs-wasm.ts`,
 * `./tfjs-webgpu.ts`) share: the timed op over fixed inputs and the kernel cases built on it, in
 * TF.js's native layouts (NHWC images, [kh, kw, in, out] filters; inputs arrive in Myelin's and are
 * converted while preparing, outside the timed region, and results are converted back for the
 * cross-check).
 */

import * as tf from '@tensorflow/tfjs-core';
import {
  type BenchLibrary,
  type ConvDims,
  nchwToNhwc,
  nhwcToNchw,
  oihwToHwio,
  type Prepared,
} from '../cases.js';

/**
 * How a backend's results are read: `dataSync` (cpu and wasm: the kernels run synchronously) or
 * `data` (webgpu: the read waits for the queue). `compute` adds the op alone without the read-back
 * (wasm: XNNPACK's thread pool joins before the kernel returns, so the op is done then).
 */
export interface TfjsReadMode {
  read: 'dataSync' | 'data';
  compute?: boolean;
}

/** One op over fixed inputs; `toMyelin` turns a result into Myelin's layout. */
export function tfjsPrepared(
  op: () => tf.Tensor,
  inputs: tf.Tensor[],
  mode: TfjsReadMode,
  toMyelin = (v: Float32Array) => v,
): Prepared {
  const sync = mode.read === 'dataSync';
  const prepared: Prepared = {
    run: sync
      ? () => {
          const y = op();
          y.dataSync();
          y.dispose();
        }
      : async () => {
          const y = op();
          await y.data();
          y.dispose();
        },
    async result() {
      const y = op();
      const v = Float32Array.from((sync ? y.dataSync() : await y.data()) as Float32Array);
      y.dispose();
      return toMyelin(v);
    },
    dispose() {
      for (const t of inputs) t.dispose();
    },
  };
  // (A one-element slice would not do as a sync point on wasm: its Slice kernel reads the whole
  // input through a TensorBuffer, ~20 ms at 2^20.)
  if (mode.compute) prepared.compute = () => op().dispose();
  return prepared;
}

/** The kernel cases of `BenchLibrary` on TF.js's active backend, plus a convolution of any stride and symmetric padding. */
export interface TfjsKernels extends Omit<BenchLibrary, 'name'> {
  conv(x: Float32Array, w: Float32Array, d: ConvDims, stride: number, pad: number | 'same'): Prepared;
}

export function tfjsKernels(mode: TfjsReadMode): TfjsKernels {
  const conv = (x: Float32Array, w: Float32Array, d: ConvDims, stride: number, pad: number | 'same') => {
    const { batch, height, width, inChannels, outChannels, kernel } = d;
    const tx = tf.tensor4d(nchwToNhwc(x, batch, inChannels, height, width), [
      batch,
      height,
      width,
      inChannels,
    ]);
    const tw = tf.tensor4d(oihwToHwio(w, outChannels, inChannels, kernel, kernel), [
      kernel,
      kernel,
      inChannels,
      outChannels,
    ]);
    const padding: Parameters<typeof tf.conv2d>[3] =
      pad === 'same'
        ? 'same'
        : [
            [0, 0],
            [pad, pad],
            [pad, pad],
            [0, 0],
          ];
    const oh = pad === 'same' ? height : Math.floor((height + 2 * pad - kernel) / stride) + 1;
    const ow = pad === 'same' ? width : Math.floor((width + 2 * pad - kernel) / stride) + 1;
    return tfjsPrepared(
      () => tf.conv2d(tx, tw, stride, padding),
      [tx, tw],
      mode,
      (v) => nhwcToNchw(v, batch, outChannels, oh, ow),
    );
  };
  return {
    conv,
    matmul(a, b, n) {
      const ta = tf.tensor2d(a, [n, n]);
      const tb = tf.tensor2d(b, [n, n]);
      return tfjsPrepared(() => tf.matMul(ta, tb), [ta, tb], mode);
    },
    conv2d: (x, w, d) => conv(x, w, d, 1, 'same'),
    add(a, b) {
      const ta = tf.tensor1d(a);
      const tb = tf.tensor1d(b);
      return tfjsPrepared(() => tf.add(ta, tb), [ta, tb], mode);
    },
    relu(a) {
      const ta = tf.tensor1d(a);
      return tfjsPrepared(() => tf.relu(ta), [ta], mode);
    },
  };
}
