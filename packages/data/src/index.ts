/**
 * @myelin/data: datasets, the DataLoader, transforms and format readers. This entry runs anywhere
 * (browsers included); file readers and the data-set loaders (MNIST, Fashion-MNIST) are in
 * `@myelin/data/node`.
 *
 * ```ts
 * import { DataLoader, fromTensors, disposeTensors } from '@myelin/data';
 * const loader = new DataLoader(fromTensors({ x, y }), { batchSize: 32, shuffle: true, seed: 0 });
 * for await (const { x, y } of loader) {
 *   // ... train on x, y
 *   disposeTensors([x, y]);
 * }
 * ```
 */
export * from './bpe.js';
export { type Collated, collate, type NumericArray } from './collate.js';
export {
  type CsvColumnType,
  CsvError,
  type CsvOptions,
  type CsvParseOptions,
  type CsvRow,
  type CsvTable,
  type CsvValue,
  parseCsv,
  parseCsvRecords,
} from './csv.js';
export {
  type BatchOptions,
  Dataset,
  fromArray,
  fromIterable,
  fromTensors,
  type MaybePromise,
  RandomAccessDataset,
  randomSplit,
  type ShuffleOptions,
  type TensorTree,
  zip,
} from './dataset.js';
export * from './elastic.js';
export * from './graph.js';
export {
  decodeIdx,
  IDX_DEFAULT_MAX_BYTES,
  type IdxArray,
  type IdxData,
  IdxError,
  type IdxErrorCode,
  type IdxOptions,
  type IdxType,
  isGzip,
  parseIdx,
} from './idx.js';
export {
  DatasetValidationError,
  type ImageSet,
  type ImageSetExpectations,
  type ImageTensorOptions,
  imageDataset,
  imageSetFromIdx,
  imageSetToTensors,
  takeImages,
} from './image-set.js';
export * from './kfold.js';
export { DataLoader, type DataLoaderOptions } from './loader.js';
export { epochGenerator } from './random.js';
export * from './samplers.js';
export { cloneTensors, collectTensors, disposeTensors } from './tensors.js';
export { type LineOptions, splitLines, textLines } from './text.js';
export {
  compose,
  normalize,
  oneHot,
  type RandomAffineOptions,
  type RandomCropOptions,
  randomAffine,
  randomCrop,
  randomHorizontalFlip,
  type Transform,
  toFloat,
} from './transforms.js';
export {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustLighting,
  adjustSaturation,
  type ColorJitterOptions,
  colorJitter,
  fitMinMax,
  IMAGENET_PCA,
  type LightingBasis,
  type MinMaxScaler,
  pcaLighting,
} from './transforms-color.js';
export {
  type AffineParams,
  affine,
  centerCrop,
  type Interpolation,
  type RandomAffineFullOptions,
  randomAffineFull,
  randomVerticalFlip,
  resize,
  verticalFlip,
} from './transforms-geometry.js';
export * from './transforms-noise.js';
export * from './whitening.js';
export * from './words.js';
