import { type Generator, type Tensor, tensor } from '@myelin/core';

/**
 * Rows of a host matrix `[n, d]` as tensor batches `[≤ batchSize, d]`, in a fresh random order per
 * call when `seed` is given (else in order). Each batch is built when asked for; the consumer
 * disposes it.
 */
export function* rowBatches(
  values: Float32Array,
  n: number,
  d: number,
  batchSize: number,
  seed?: Generator,
): IterableIterator<Tensor> {
  const order = seed ? seed.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const out = new Float32Array((end - start) * d);
    for (let k = start; k < end; k++)
      out.set(values.subarray(order[k]! * d, (order[k]! + 1) * d), (k - start) * d);
    yield tensor(out, { shape: [end - start, d] });
  }
}

/** Each row of `[n, d]` rescaled to [0, 1] by its own min and max (for showing filters). */
export function normaliseRows(values: ArrayLike<number>, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j < d; j++) {
      const v = values[r * d + j]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const span = hi - lo || 1;
    for (let j = 0; j < d; j++) out[r * d + j] = (values[r * d + j]! - lo) / span;
  }
  return out;
}
