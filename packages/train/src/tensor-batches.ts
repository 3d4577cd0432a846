import { Generator, noGrad, type Tensor, tensor } from '@myelin/core';
import type { Batch } from './fit.js';

export interface TensorBatchOptions {
  /** Samples per batch (default 32); the last batch of an epoch may be smaller. */
  batchSize?: number;
  /** Draw a new order every epoch (default true). */
  shuffle?: boolean;
  /** Seed of the shuffles (default 0): epoch `e` uses the order drawn from `(seed, e)`. */
  seed?: number;
  /** Use only these rows (e.g. the training part of a split), in this order before shuffling. */
  rows?: Int32Array;
}

/**
 * Batches over the rows (first dim) of two tensors, as `fit` and `evaluate` take them: a function of
 * the epoch giving an iterable of `[x, y]` batches. Each batch is a fresh copy (`indexSelect`), which
 * `fit` disposes after its step: the caller's `x` and `y` are never consumed or changed.
 *
 * @example
 * fit(model, { optimizer, loss, data: tensorBatches(x, y, { batchSize: 64 }), epochs: 5 });
 */
export function tensorBatches(
  x: Tensor,
  y: Tensor,
  options: TensorBatchOptions = {},
): (epoch: number) => Iterable<Batch> {
  const n = checkPair('tensorBatches', x, y);
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`tensorBatches: batchSize must be an integer ≥ 1, got ${batchSize}`);
  const rows = options.rows ?? Int32Array.from({ length: n }, (_, i) => i);
  for (const r of rows)
    if (!(r >= 0 && r < n)) throw new RangeError(`tensorBatches: row ${r} is outside the ${n} rows of x`);
  const shuffle = options.shuffle ?? true;
  const seed = options.seed ?? 0;
  return (epoch: number) => ({
    *[Symbol.iterator]() {
      const order = Int32Array.from(rows);
      if (shuffle) {
        // Fisher–Yates with core's seeded generator: the same (seed, epoch) gives the same order.
        const u = new Generator(seed * 100_003 + epoch).uniform(order.length);
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.min(i, Math.floor(u[i]! * (i + 1)));
          const t = order[i]!;
          order[i] = order[j]!;
          order[j] = t;
        }
      }
      for (let at = 0; at < order.length; at += batchSize) {
        const chunk = order.subarray(at, Math.min(order.length, at + batchSize));
        yield noGrad(() => {
          const index = tensor(chunk, { dtype: 'int32' });
          try {
            return [x.indexSelect(0, index), y.indexSelect(0, index)] as const;
          } finally {
            index.dispose();
          }
        });
      }
    },
  });
}

/** The number of rows of `x` and `y`, which must agree. */
export function checkPair(op: string, x: unknown, y: unknown): number {
  const isT = (t: unknown): t is Tensor =>
    !!t && typeof t === 'object' && 'shape' in t && 'indexSelect' in (t as object);
  if (!isT(x) || !isT(y)) throw new TypeError(`${op}: x and y must both be tensors`);
  if (x.rank === 0 || y.rank === 0)
    throw new RangeError(
      `${op}: x and y need a first (sample) dim, got shapes [${x.shape}] and [${y.shape}]`,
    );
  if (x.shape[0] !== y.shape[0])
    throw new RangeError(
      `${op}: x has ${x.shape[0]} samples (first dim) but y has ${y.shape[0]}; they must match`,
    );
  return x.shape[0]!;
}
