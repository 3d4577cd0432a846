/*
 * Datasets: the streaming base and combinators (stream.ts) and the random-access datasets with
 * their index views (views.ts), exported together.
 */
export {
  type BatchOptions,
  Dataset,
  fromIterable,
  type MaybePromise,
  type ShuffleOptions,
} from './stream.js';
export { fromArray, fromTensors, RandomAccessDataset, randomSplit, type TensorTree, zip } from './views.js';
