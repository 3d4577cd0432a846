import { type Seed, scope } from '@myelin/core';
import { type Collated, collate } from './collate.js';
import type { Dataset, MaybePromise, RandomAccessDataset } from './dataset.js';
import { ReadAhead } from './prefetch.js';
import { epochGenerator, resolveSeed } from './random.js';
import type { Sampler } from './samplers.js';
import { disposeReplaced, disposeTensors } from './tensors.js';

export interface DataLoaderOptions<T, B> {
  /** Elements per batch (default 1). */
  batchSize?: number;
  /** A fresh random order every epoch (default false). Needs a random-access dataset. */
  shuffle?: boolean;
  /** Seed of the shuffle: epoch `e`'s order depends only on `(seed, e)`. Random when omitted. */
  seed?: Seed;
  /**
   * Where each epoch's indices come from instead of the plain or shuffled order: a sampler from
   * `randomSampler`, `weightedRandomSampler` or `stratifiedBatchSampler` (it may repeat indices and
   * set the epoch's length). Needs a random-access dataset; not together with `shuffle`.
   */
  sampler?: Sampler;
  /** Drop the last batch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /** Turn a list of elements into a batch (default: `collate`, which stacks into tensors). */
  collate?: (items: T[]) => MaybePromise<B>;
  /**
   * Batches built ahead of the consumer (default 2; 0 builds each batch when it is asked for).
   * The next batch is made while the consumer awaits its own work (a GPU step, I/O, a yield to the
   * event loop).
   */
  prefetch?: number;
}

function isPromiseLike<T>(v: MaybePromise<T>): v is Promise<T> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** Await all, or dispose what did arrive and rethrow the first failure. */
async function allOrDispose<T>(values: MaybePromise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(values);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    for (const s of settled) if (s.status === 'fulfilled') disposeTensors(s.value);
    throw (failed as PromiseRejectedResult).reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/** The elements at `indices`; if one fails, those already fetched are disposed. */
async function getAll<T>(ds: RandomAccessDataset<T>, indices: ArrayLike<number>): Promise<T[]> {
  const got: MaybePromise<T>[] = [];
  try {
    for (let k = 0; k < indices.length; k++) got.push(ds.get(indices[k]!));
  } catch (e) {
    await allOrDispose(got).then(disposeTensors, () => {});
    throw e;
  }
  return got.some(isPromiseLike) ? allOrDispose(got) : (got as T[]);
}

/**
 * Batches of a dataset, one epoch per `for await` loop, as PyTorch's `DataLoader`.
 *
 * - Random-access datasets (`fromTensors`, `fromArray`, MNIST's `imageDataset`, `map` of those…)
 *   are read by index; with `shuffle`, epoch `e` visits them in the order
 *   `Generator(seed)`→epoch `e` permutation, so every epoch differs and every run repeats.
 * - Streaming datasets are read in order (shuffle them with `dataset.shuffle(bufferSize)`).
 * - The elements of a batch are collated (default `collate`: tensors stacked, numbers to tensors,
 *   objects and arrays field by field) and then disposed.
 *
 * **The batches are yours.** The loader does not dispose or scope what it hands out: dispose each
 * batch when done (`disposeTensors(batch)`), or run the loop inside a core `scope`, which then owns
 * the batches. Leaving a loop early (`break`, `return`, a throw) disposes the batches built ahead.
 *
 * @example
 * const loader = new DataLoader(fromTensors({ x, y }), { batchSize: 64, shuffle: true, seed: 0 });
 * for (let epoch = 0; epoch < 3; epoch++) {
 *   for await (const batch of loader) {
 *     scope(() => step(batch.x, batch.y));
 *     disposeTensors(batch);
 *   }
 * }
 */
export class DataLoader<T, B = Collated<T>> implements AsyncIterable<B> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  /** The sampler that orders each epoch, if one was given. */
  readonly sampler: Sampler | null;
  readonly dropLast: boolean;
  readonly prefetch: number;
  private readonly seed: bigint;
  // Typed on `unknown` so that a DataLoader<T, B> is usable where a DataLoader<unknown, B> is expected.
  private readonly collateFn: ((items: unknown[]) => MaybePromise<B>) | null;
  private nextEpoch = 0;

  constructor(
    readonly dataset: Dataset<T>,
    options: DataLoaderOptions<T, B> = {},
  ) {
    this.batchSize = options.batchSize ?? 1;
    this.shuffle = options.shuffle ?? false;
    this.sampler = options.sampler ?? null;
    this.dropLast = options.dropLast ?? false;
    this.prefetch = options.prefetch ?? 2;
    this.collateFn = (options.collate as ((items: unknown[]) => MaybePromise<B>) | undefined) ?? null;
    if (!Number.isSafeInteger(this.batchSize) || this.batchSize < 1) {
      throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${options.batchSize}`);
    }
    if (!Number.isSafeInteger(this.prefetch) || this.prefetch < 0) {
      throw new RangeError(`DataLoader: prefetch must be a non-negative integer, got ${options.prefetch}`);
    }
    if (this.shuffle && !dataset.isRandomAccess()) {
      throw new TypeError(
        'DataLoader: shuffle needs a random-access dataset (fromArray, fromTensors, imageDataset, or a map/subset of one); shuffle a streaming dataset with dataset.shuffle(bufferSize, { seed })',
      );
    }
    if (this.sampler && this.shuffle) {
      throw new TypeError(
        'DataLoader: pass either shuffle or a sampler (the sampler sets the order), not both',
      );
    }
    if (this.sampler && !dataset.isRandomAccess()) {
      throw new TypeError('DataLoader: a sampler needs a random-access dataset (it picks indices)');
    }
    this.seed = resolveSeed(options.seed);
  }

  /** Batches per epoch, when the dataset's length is known. */
  get length(): number | undefined {
    const n = this.sampler ? this.sampler.length : this.dataset.length;
    if (n === undefined) return undefined;
    if (!Number.isFinite(n)) return n;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The epoch the next `for await` loop will run (0 before the first). */
  get epoch(): number {
    return this.nextEpoch;
  }

  /** Make the next loop run epoch `epoch` (its order is the same whenever it runs: resume training). */
  setEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < 0) {
      throw new RangeError(`DataLoader.setEpoch: expected a non-negative integer, got ${epoch}`);
    }
    this.nextEpoch = epoch;
  }

  /** The order in which epoch `epoch` reads a random-access dataset's indices. */
  order(epoch: number): Int32Array {
    const n = this.dataset.length;
    if (!this.dataset.isRandomAccess() || n === undefined) {
      throw new TypeError('DataLoader.order: only random-access datasets are read in an index order');
    }
    if (this.sampler) {
      const idx = this.sampler.indices(epoch);
      for (let i = 0; i < idx.length; i++) {
        if (idx[i]! < 0 || idx[i]! >= n)
          throw new RangeError(`DataLoader: the sampler gave index ${idx[i]} for a dataset of ${n} elements`);
      }
      return idx;
    }
    if (this.shuffle) return epochGenerator(this.seed, epoch).permutation(n);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return out;
  }

  [Symbol.asyncIterator](): AsyncIterator<B> {
    const epoch = this.nextEpoch++;
    const source = this.dataset.isRandomAccess() ? this.indexed(this.dataset, epoch) : this.streamed();
    return this.prefetch > 0 ? new ReadAhead(source, this.prefetch, disposeTensors) : source;
  }

  private async *indexed(ds: RandomAccessDataset<T>, epoch: number): AsyncGenerator<B> {
    const order = this.order(epoch);
    const bs = this.batchSize;
    const batches = this.length!;
    for (let b = 0; b < batches; b++) {
      const indices = order.subarray(b * bs, Math.min(order.length, (b + 1) * bs));
      if (!this.collateFn && ds.getBatch) {
        yield (await ds.getBatch(indices)) as B;
        continue;
      }
      yield await this.collateItems(await getAll(ds, indices));
    }
  }

  private async *streamed(): AsyncGenerator<B> {
    let buf: T[] = [];
    try {
      for await (const v of this.dataset) {
        buf.push(v);
        if (buf.length === this.batchSize) {
          const items = buf;
          buf = [];
          yield await this.collateItems(items);
        }
      }
      if (buf.length > 0 && !this.dropLast) {
        const items = buf;
        buf = [];
        yield await this.collateItems(items);
      }
    } finally {
      disposeTensors(buf);
    }
  }

  /** Collate in a scope (temporaries freed), then dispose the element tensors the batch does not reuse. */
  private async collateItems(items: T[]): Promise<B> {
    try {
      const out = await scope(() => (this.collateFn ? this.collateFn(items) : (collate(items) as B)));
      disposeReplaced(items, out);
      return out;
    } catch (e) {
      disposeTensors(items);
      throw e;
    }
  }
}
