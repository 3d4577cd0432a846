import { type Tensor, tensor } from '@myelin/core';
import type { RandomAccessDataset } from './dataset.js';
import { RandomAccessDataset as RandomAccessBase } from './dataset.js';
import type { IdxArray } from './idx.js';

/**
 * A labelled set of grey-scale images as MNIST ships it: `count` images of `rows × cols` bytes
 * (0 = background, 255 = ink for MNIST), row-major one after the other, and one label byte each.
 */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

/** The first `limit` images of a set (0 or more than it has: all of them), sharing its bytes. */
export function takeImages(set: ImageSet, limit: number): ImageSet {
  if (limit <= 0 || limit >= set.count) return set;
  const px = set.rows * set.cols;
  return {
    ...set,
    count: limit,
    images: set.images.subarray(0, limit * px),
    labels: set.labels.subarray(0, limit),
  };
}

/** A data set file that does not hold what it should (wrong count, dims or labels). */
export class DatasetValidationError extends Error {
  override readonly name = 'DatasetValidationError';
}

export interface ImageSetExpectations {
  /** A name for error messages, e.g. 'MNIST train'. */
  name?: string;
  /** The number of images there must be. */
  count?: number;
  rows?: number;
  cols?: number;
  /** Labels must be below this (default 10). */
  classes?: number;
}

/**
 * Check and combine an IDX image array (`[N, rows, cols]` uint8) and label array (`[N]` uint8)
 * into an `ImageSet`, checking them against what the data set promises.
 *
 * @throws DatasetValidationError naming the data set and what differs
 */
export function imageSetFromIdx(
  images: IdxArray,
  labels: IdxArray,
  expect: ImageSetExpectations = {},
): ImageSet {
  const name = expect.name ?? 'image set';
  const fail = (msg: string): never => {
    throw new DatasetValidationError(`${name}: ${msg}`);
  };
  if (images.type !== 'uint8' || images.shape.length !== 3) {
    fail(
      `images must be a 3-D uint8 IDX array [N, rows, cols], got ${images.type} [${images.shape.join(', ')}]`,
    );
  }
  if (labels.type !== 'uint8' || labels.shape.length !== 1) {
    fail(`labels must be a 1-D uint8 IDX array [N], got ${labels.type} [${labels.shape.join(', ')}]`);
  }
  const [count, rows, cols] = images.shape as [number, number, number];
  if (labels.shape[0] !== count) fail(`${count} images but ${labels.shape[0]} labels`);
  if (expect.count !== undefined && count !== expect.count)
    fail(`expected ${expect.count} images, found ${count}`);
  if (
    (expect.rows !== undefined && rows !== expect.rows) ||
    (expect.cols !== undefined && cols !== expect.cols)
  ) {
    fail(`expected ${expect.rows ?? rows}×${expect.cols ?? cols} images, found ${rows}×${cols}`);
  }
  const classes = expect.classes ?? 10;
  const lab = labels.data as Uint8Array;
  for (let i = 0; i < lab.length; i++) {
    if (lab[i]! >= classes) fail(`label ${lab[i]} at index ${i} is not below ${classes}`);
  }
  return { images: images.data as Uint8Array, labels: lab, count, rows, cols };
}

export interface ImageTensorOptions {
  /** `[N, rows·cols]` instead of `[N, 1, rows, cols]` (for MLPs). Default false. */
  flatten?: boolean;
}

function pixelsToFloat(src: Uint8Array, out: Float32Array, at: number): void {
  for (let i = 0; i < src.length; i++) out[at + i] = src[i]! / 255;
}

/**
 * The whole set as two tensors: `x` float32 `[N, 1, rows, cols]` (or `[N, rows·cols]` with
 * `flatten`) scaled to [0, 1], and `y` int32 `[N]`. The caller owns (and disposes) both.
 *
 * @example
 * const { x, y } = imageSetToTensors(await loadMnist({ split: 'test' }));
 */
export function imageSetToTensors(set: ImageSet, options: ImageTensorOptions = {}): { x: Tensor; y: Tensor } {
  const pixels = new Float32Array(set.images.length);
  pixelsToFloat(set.images, pixels, 0);
  const shape = options.flatten ? [set.count, set.rows * set.cols] : [set.count, 1, set.rows, set.cols];
  return {
    x: tensor(pixels, { shape, dtype: 'float32' }),
    y: tensor(Int32Array.from(set.labels), { dtype: 'int32' }),
  };
}

class ImageSetDataset extends RandomAccessBase<{ x: Tensor; y: Tensor }> {
  private readonly pixels: number;
  private readonly itemShape: number[];

  constructor(
    private readonly set: ImageSet,
    options: ImageTensorOptions,
  ) {
    super();
    this.pixels = set.rows * set.cols;
    this.itemShape = options.flatten ? [this.pixels] : [1, set.rows, set.cols];
    this.getBatch = (indices) => {
      const n = indices.length;
      const x = new Float32Array(n * this.pixels);
      const y = new Int32Array(n);
      for (let k = 0; k < n; k++) {
        const i = this.check(indices[k]!);
        pixelsToFloat(this.set.images.subarray(i * this.pixels, (i + 1) * this.pixels), x, k * this.pixels);
        y[k] = this.set.labels[i]!;
      }
      return {
        x: tensor(x, { shape: [n, ...this.itemShape], dtype: 'float32' }),
        y: tensor(y, { dtype: 'int32' }),
      };
    };
  }

  private check(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.set.count) {
      throw new RangeError(`imageDataset: index ${i} is out of range for ${this.set.count} images`);
    }
    return i;
  }

  get length(): number {
    return this.set.count;
  }

  get(index: number): { x: Tensor; y: Tensor } {
    const i = this.check(index);
    const x = new Float32Array(this.pixels);
    pixelsToFloat(this.set.images.subarray(i * this.pixels, (i + 1) * this.pixels), x, 0);
    return {
      x: tensor(x, { shape: this.itemShape, dtype: 'float32' }),
      y: tensor(new Int32Array([this.set.labels[i]!]), { shape: [], dtype: 'int32' }),
    };
  }
}

/**
 * A random-access dataset of `{ x, y }`: `x` float32 `[1, rows, cols]` (or `[rows·cols]` with
 * `flatten`) scaled to [0, 1], `y` an int32 scalar. The pixels stay bytes on the host until asked
 * for; a `DataLoader` builds each batch (`x` `[B, 1, rows, cols]`, `y` `[B]`) in one upload.
 *
 * @example
 * const train = imageDataset(await loadMnist({ split: 'train' }));
 * const loader = new DataLoader(train, { batchSize: 128, shuffle: true, seed: 1 });
 */
export function imageDataset(
  set: ImageSet,
  options: ImageTensorOptions = {},
): RandomAccessDataset<{ x: Tensor; y: Tensor }> {
  return new ImageSetDataset(set, options);
}
