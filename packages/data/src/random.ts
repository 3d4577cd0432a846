import { Generator, type Seed } from '@myelin/core';

/**
 * Seeds for the data pipeline. Everything random here (shuffle orders, random splits, random
 * transforms) draws from core's Philox generator, so a seed gives the same numbers on every machine.
 */

/** A 64-bit seed from a user's `seed` option: the number itself, a draw from a Generator, or fresh entropy. */
export function resolveSeed(seed: Seed | undefined): bigint {
  if (seed instanceof Generator) {
    const w = seed.bits(2);
    return (BigInt(w[1]!) << 32n) | BigInt(w[0]!);
  }
  if (typeof seed === 'bigint') return BigInt.asUintN(64, seed);
  if (typeof seed === 'number') {
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    return BigInt.asUintN(64, BigInt(seed));
  }
  const w = new Uint32Array(2);
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } }).crypto;
  if (c?.getRandomValues) c.getRandomValues(w);
  else for (let i = 0; i < 2; i++) w[i] = Math.floor(Math.random() * 4294967296);
  return (BigInt(w[1]!) << 32n) | BigInt(w[0]!);
}

/** A generator for anything that owns its randomness: a Generator is used as is, anything else seeds one. */
export function resolveGenerator(seed: Seed | undefined): Generator {
  return seed instanceof Generator ? seed : new Generator(resolveSeed(seed));
}

/**
 * The generator of epoch `epoch` under `seed`: seeded from Philox block number `epoch` of the
 * stream keyed by `seed`. Epochs get independent streams, and epoch `e`'s stream depends only on
 * `(seed, e)`, so any epoch can be replayed on its own (as `DistributedSampler.set_epoch`).
 */
export function epochGenerator(seed: bigint, epoch: number): Generator {
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new RangeError(`epoch must be a non-negative integer, got ${epoch}`);
  }
  const g = new Generator(seed);
  g.setState({ seed, offset: epoch });
  return g.fork();
}

/** Unbiased integers below a bound, drawn from a generator 64 words at a time. */
export class IndexSampler {
  private words: Uint32Array = new Uint32Array(0);
  private used = 0;

  constructor(private readonly gen: Generator) {}

  /** An integer uniform on [0, n), 1 ≤ n ≤ 2^32, by rejecting the incomplete top bucket. */
  below(n: number): number {
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      if (this.used === this.words.length) {
        this.words = this.gen.bits(64);
        this.used = 0;
      }
      const w = this.words[this.used++]!;
      if (w < limit) return w % n;
    }
  }
}
