import { type Seed, scope } from '@myelin/core';
import { ReadAhead } from './prefetch.js';
import { epochGenerator, IndexSampler, resolveSeed } from './random.js';
import { disposeReplaced, disposeTensors } from './tensors.js';
import type { RandomAccessDataset } from './views.js';

/*
 * Streaming datasets: the `Dataset` base with its streaming combinators (map, filter, shuffle,
 * batch, prefetch, take, skip, repeat, concat, zip), each a `Stream` over one pass of its source.
 * Random-access datasets and their index views are in views.ts.
 */

/** A value, or a promise of it: what `get(i)` and `map` functions may return. */
export type MaybePromise<T> = T | Promise<T>;

export interface ShuffleOptions {
  /** Seed of the shuffle. Each iteration (epoch) gets its own order, derived from `(seed, epoch)`. */
  seed?: Seed;
}

export interface BatchOptions {
  /** Drop the last batch when it is smaller than `size` (default false). */
  dropLast?: boolean;
}

export function isPromiseLike<T>(v: MaybePromise<T>): v is Promise<T> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

export function checkCount(op: string, n: number, min = 0): void {
  if (!Number.isSafeInteger(n) || n < min) {
    throw new RangeError(`${op}: expected an integer >= ${min}, got ${n}`);
  }
}

/**
 * Run a map function over one element: inside a `scope`, so temporaries it makes are freed, then
 * dispose the element's tensors that the result does not reuse (the element belonged to this stage).
 */
export function mapOne<T, U>(
  fn: (value: T, index: number) => MaybePromise<U>,
  value: T,
  index: number,
): MaybePromise<U> {
  let out: MaybePromise<U>;
  try {
    out = scope(() => fn(value, index));
  } catch (e) {
    disposeTensors(value);
    throw e;
  }
  if (isPromiseLike(out)) {
    return out.then(
      (o) => {
        disposeReplaced(value, o);
        return o;
      },
      (e) => {
        disposeTensors(value);
        throw e;
      },
    );
  }
  disposeReplaced(value, out);
  return out;
}

/**
 * A source of elements, iterated with `for await`. Each iteration is a new pass (an epoch) over
 * the data. Operators return new datasets and run lazily, element by element.
 *
 * **Ownership.** Each element handed out belongs to its receiver, which disposes its tensors (or
 * lets a `scope` do it). Operators follow the same rule: `map` disposes the input tensors its
 * result does not reuse, `filter`/`skip`/`batch({ dropLast })` dispose what they drop, and
 * breaking out of a loop early disposes what was buffered (shuffle buffers, prefetched elements).
 *
 * @example
 * const ds = fromArray([1, 2, 3, 4, 5, 6])
 *   .filter((v) => v % 2 === 0)
 *   .map((v) => v * 10)
 *   .shuffle(100, { seed: 1 });
 * for await (const v of ds) console.log(v);
 */
export abstract class Dataset<T> implements AsyncIterable<T> {
  abstract [Symbol.asyncIterator](): AsyncIterator<T>;

  /** The number of elements per pass when known without iterating (`Infinity` for endless repeats). */
  get length(): number | undefined {
    return undefined;
  }

  /** True when elements can be fetched by index (`get(i)`), which lets a `DataLoader` shuffle indices. */
  isRandomAccess(): this is RandomAccessDataset<T> {
    return false;
  }

  /**
   * Apply `fn` to each element (`fn` may be async). It runs inside a core `scope`: temporaries are
   * freed, and the tensors it returns (in arrays, plain objects or Maps) are kept. Input tensors
   * that the result does not contain are disposed.
   */
  map<U>(fn: (value: T, index: number) => MaybePromise<U>): Dataset<U> {
    const src = this;
    return new Stream(async function* () {
      let i = 0;
      for await (const v of src) yield await mapOne(fn, v, i++);
    }, this.length);
  }

  /** Keep the elements for which `predicate` is true (it may be async); the others are disposed. */
  filter(predicate: (value: T, index: number) => MaybePromise<boolean>): Dataset<T> {
    const src = this;
    return new Stream(async function* () {
      let i = 0;
      for await (const v of src) {
        let keep: boolean;
        try {
          keep = await scope(() => predicate(v, i++));
        } catch (e) {
          disposeTensors(v);
          throw e;
        }
        if (keep) yield v;
        else disposeTensors(v);
      }
    });
  }

  /**
   * Buffered shuffle (as `tf.data.Dataset.shuffle`): fill a buffer of `bufferSize` elements, then
   * for each new element emit a random one from the buffer and put the new one in its place. A
   * buffer at least as large as the dataset gives a uniform permutation. Each iteration reshuffles
   * with the generator of `(seed, iteration number)`, so the sequence of epochs is reproducible.
   */
  shuffle(bufferSize: number, options: ShuffleOptions = {}): Dataset<T> {
    checkCount('shuffle', bufferSize, 1);
    const src = this;
    const seed = resolveSeed(options.seed);
    let iteration = 0;
    return new Stream(async function* () {
      const sampler = new IndexSampler(epochGenerator(seed, iteration++));
      const buffer: T[] = [];
      try {
        for await (const v of src) {
          if (buffer.length < bufferSize) {
            buffer.push(v);
            continue;
          }
          const j = sampler.below(bufferSize);
          const out = buffer[j]!;
          buffer[j] = v;
          yield out;
        }
        // Drain in random order (Fisher–Yates from the end).
        while (buffer.length > 0) {
          const j = sampler.below(buffer.length);
          const last = buffer.length - 1;
          const out = buffer[j]!;
          buffer[j] = buffer[last]!;
          buffer.pop();
          yield out;
        }
      } finally {
        disposeTensors(buffer);
      }
    }, this.length);
  }

  /** Group consecutive elements into arrays of `size` (collate them with `map(collate)` for tensors). */
  batch(size: number, options: BatchOptions = {}): Dataset<T[]> {
    checkCount('batch', size, 1);
    const src = this;
    const dropLast = options.dropLast ?? false;
    const n = this.length;
    return new Stream(
      async function* () {
        let buf: T[] = [];
        try {
          for await (const v of src) {
            buf.push(v);
            if (buf.length === size) {
              const full = buf;
              buf = [];
              yield full;
            }
          }
          if (buf.length > 0 && !dropLast) {
            const rest = buf;
            buf = [];
            yield rest;
          }
        } finally {
          disposeTensors(buf);
        }
      },
      n === undefined ? undefined : dropLast ? Math.floor(n / size) : Math.ceil(n / size),
    );
  }

  /**
   * Read up to `bufferSize` elements ahead, so the next ones are produced while the consumer works
   * on this one (what overlaps is asynchronous work: I/O, timers, a GPU queue).
   */
  prefetch(bufferSize: number): Dataset<T> {
    checkCount('prefetch', bufferSize, 1);
    return new Stream(
      () => new ReadAhead(this[Symbol.asyncIterator](), bufferSize, disposeTensors),
      this.length,
    );
  }

  /** The first `count` elements. */
  take(count: number): Dataset<T> {
    checkCount('take', count);
    const src = this;
    const n = this.length;
    return new Stream(
      async function* () {
        if (count === 0) return;
        let i = 0;
        for await (const v of src) {
          yield v;
          if (++i >= count) return;
        }
      },
      n === undefined ? undefined : Math.min(n, count),
    );
  }

  /** All but the first `count` elements (those are disposed). */
  skip(count: number): Dataset<T> {
    checkCount('skip', count);
    const src = this;
    const n = this.length;
    return new Stream(
      async function* () {
        let i = 0;
        for await (const v of src) {
          if (i++ < count) disposeTensors(v);
          else yield v;
        }
      },
      n === undefined ? undefined : Math.max(0, n - count),
    );
  }

  /**
   * `count` passes over this dataset (forever without `count`). Each pass is a new iteration of
   * the source, so a shuffle upstream reshuffles. An empty source ends an endless repeat.
   */
  repeat(count?: number): Dataset<T> {
    if (count !== undefined) checkCount('repeat', count);
    const src = this;
    const n = this.length;
    return new Stream(
      async function* () {
        for (let pass = 0; count === undefined || pass < count; pass++) {
          let any = false;
          for await (const v of src) {
            any = true;
            yield v;
          }
          if (!any) return;
        }
      },
      n === undefined
        ? undefined
        : count === undefined
          ? n === 0
            ? 0
            : Number.POSITIVE_INFINITY
          : n * count,
    );
  }

  /** The elements of this dataset, then those of `other`. */
  concat(other: Dataset<T>): Dataset<T> {
    const src = this;
    const a = this.length;
    const b = other.length;
    return new Stream(
      async function* () {
        yield* src;
        yield* other;
      },
      a === undefined || b === undefined ? undefined : a + b,
    );
  }

  /** Pairs `[a, b]` of this dataset's and `other`'s elements, as long as both have one. */
  zip<U>(other: Dataset<U>): Dataset<[T, U]> {
    return zipStreams<[T, U]>([this, other]);
  }

  /** Iterate one pass and collect the elements. */
  async toArray(): Promise<T[]> {
    const out: T[] = [];
    for await (const v of this) out.push(v);
    return out;
  }
}

/** A dataset defined by a function that starts one pass. */
export class Stream<T> extends Dataset<T> {
  constructor(
    private readonly iterate: () => AsyncIterator<T>,
    private readonly size?: number,
  ) {
    super();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.iterate();
  }

  override get length(): number | undefined {
    return this.size;
  }
}

/** Tuples of the datasets' elements, pass by pass, as long as every dataset has one. */
export function zipStreams<T extends unknown[]>(datasets: readonly Dataset<unknown>[]): Dataset<T> {
  const lengths = datasets.map((d) => d.length);
  return new Stream<T>(
    async function* () {
      const its = datasets.map((d) => d[Symbol.asyncIterator]());
      const finished = new Set<number>();
      try {
        for (;;) {
          const row: unknown[] = [];
          for (let k = 0; k < its.length; k++) {
            const r = await its[k]!.next();
            if (r.done) {
              finished.add(k);
              disposeTensors(row);
              return;
            }
            row.push(r.value);
          }
          yield row as T;
        }
      } finally {
        await Promise.all(its.map((it, k) => (finished.has(k) ? undefined : it.return?.())));
      }
    },
    lengths.some((n) => n === undefined) ? undefined : Math.min(...(lengths as number[])),
  );
}

/**
 * A dataset over an iterable or async iterable. Pass a function returning one to make the dataset
 * iterable more than once (a generator object can be consumed only once). `length`, if given,
 * is reported as the dataset's length. The elements are handed to the consumer as they are: a
 * source of tensors should make fresh ones.
 *
 * @example
 * const naturals = fromIterable(function* () { for (let i = 0; ; i++) yield i; });
 */
export function fromIterable<T>(
  source: Iterable<T> | AsyncIterable<T> | (() => Iterable<T> | AsyncIterable<T>),
  options: { length?: number } = {},
): Dataset<T> {
  let used = false;
  return new Stream<T>(async function* () {
    const it = typeof source === 'function' ? source() : source;
    if (typeof source !== 'function' && used && isOneShot(it)) {
      throw new Error('fromIterable: this iterator was already consumed; pass a function that makes one');
    }
    used = true;
    yield* it;
  }, options.length);
}

function isOneShot(it: Iterable<unknown> | AsyncIterable<unknown>): boolean {
  const self = Symbol.asyncIterator in it ? it[Symbol.asyncIterator]() : it[Symbol.iterator]();
  return (self as unknown) === it;
}
