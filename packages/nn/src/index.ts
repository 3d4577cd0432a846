/**
 * @myelin/nn: layers, activations, losses and initializers for Myelin, with PyTorch's names,
 * layouts, defaults and state-dict keys.
 *
 * ```ts
 * import { use, tensor } from '@myelin/core';
 * import { cpuBackend } from '@myelin/backend-cpu';
 * import { Sequential, Conv2d, ReLU, MaxPool2d, Flatten, Linear, crossEntropy } from '@myelin/nn';
 * await use(cpuBackend());
 * const lenet = new Sequential(
 *   new Conv2d(1, 6, 5, { padding: 2 }), new ReLU(), new MaxPool2d(2),
 *   new Conv2d(6, 16, 5), new ReLU(), new MaxPool2d(2), new Flatten(),
 *   new Linear(400, 120), new ReLU(), new Linear(120, 84), new ReLU(), new Linear(84, 10),
 * );
 * const loss = crossEntropy(lenet.forward(images), labels);
 * ```
 */
export * from './activations.js';
export * from './activations-extra.js';
export * from './attention.js';
export * from './containers.js';
export * from './conv.js';
export * from './conv3d.js';
export * from './ctc.js';
export * from './dropout.js';
export * from './dropout-extra.js';
export * from './embedding.js';
export * from './embedding-bag.js';
export * from './factorized.js';
export * from './fold.js';
export * from './fractional-pool.js';
export * from './grid-sample.js';
export * as init from './init.js';
export * from './init-sparse.js';
export * from './interpolate.js';
export * from './ksparse.js';
export * from './linear.js';
export * from './local-response-norm.js';
export * from './losses.js';
export * from './losses-extra.js';
export * from './normalization.js';
export * from './normalization3d.js';
export * from './packed-sequence.js';
export * from './penalties.js';
export * from './pooling.js';
export * from './pooling-extra.js';
export * from './pooling3d.js';
export * from './positional.js';
export * from './rbf.js';
export * from './regularizers.js';
export * from './reparam.js';
export * from './rnn.js';
export * from './rnn-attention.js';
export * from './shuffle.js';
export * from './similarity.js';
export * from './summary.js';
export * from './transformer.js';
export * from './unpool.js';
export type { Layer, Size2 } from './util.js';
