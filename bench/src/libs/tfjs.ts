/**
 * TF.js on its pure-JS CPU backend (`@tensorflow/tfjs-backend-cpu`), in its native layouts:
 * NHWC images and [kh, kw, in, out] filters.
 */

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { BenchLibrary } from '../cases.js';
import { tfjsKernels } from './tfjs-common.js';

export async function loadTfjs(): Promise<BenchLibrary> {
  // Production mode only silences TF.js's console advice (tfjs-node would be faster); compute is unchanged.
  tf.enableProdMode();
  await tf.setBackend('cpu');
  await tf.ready();
  const { matmul, conv2d, add, relu } = tfjsKernels({ read: 'dataSync' });
  return { name: 'tfjs-cpu', matmul, conv2d, add, relu };
}
