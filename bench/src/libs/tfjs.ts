/**
 * TF.js on its pure-JS CPU backend (`@tensorflow/tfjs-backend-cpu`), in its native layouts:
 * NHWC images and [kh, kw, in, out] filters.
 */

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  type BenchLibrary,
  type ConvDims,
  nchwToNhwc,
  nhwcToNchw,
  oihwToHwio,
  type Prepared,
} from '../cases.js';

/** One op over fixed inputs: `dataSync()` inside the timed run, so the result is really produced. */
function prepared(op: () => tf.Tensor, inputs: tf.Tensor[], toMyelin = (v: Float32Array) => v): Prepared {
  return {
    run() {
      const y = op();
      y.dataSync();
      y.dispose();
    },
    async result() {
      const y = op();
      const v = (y.dataSync() as Float32Array).slice();
      y.dispose();
      return toMyelin(v);
    },
    dispose() {
      for (const t of inputs) t.dispose();
    },
  };
}

export async function loadTfjs(): Promise<BenchLibrary> {
  // Production mode only silences TF.js's console advice (tfjs-node would be faster); compute is unchanged.
  tf.enableProdMode();
  await tf.setBackend('cpu');
  await tf.ready();
  return {
    name: 'tfjs-cpu',
    matmul(a, b, n) {
      const ta = tf.tensor2d(a, [n, n]);
      const tb = tf.tensor2d(b, [n, n]);
      return prepared(() => tf.matMul(ta, tb), [ta, tb]);
    },
    conv2d(x, w, d: ConvDims) {
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
      return prepared(
        () => tf.conv2d(tx, tw, 1, 'same'),
        [tx, tw],
        (v) => nhwcToNchw(v, batch, outChannels, height, width),
      );
    },
    add(a, b) {
      const ta = tf.tensor1d(a);
      const tb = tf.tensor1d(b);
      return prepared(() => tf.add(ta, tb), [ta, tb]);
    },
    relu(a) {
      const ta = tf.tensor1d(a);
      return prepared(() => tf.relu(ta), [ta]);
    },
  };
}
