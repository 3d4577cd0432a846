import { indexSelect, isTensor, type Seed, scope, slice, type Tensor, tensor } from '@myelin/core';
import type { Collated } from './collate.js';
import { ReadAhead } from './prefetch.js';
import { epochGenerator, IndexSampler, resolveGenerator, resolveSeed } from './random.js';
import { cloneTensors, disposeReplaced, disposeTensors, isPlainObject } from './tensors.js';

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

function isPromiseLike<T>(v: MaybePromise<T>): v is Promise<T> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

function checkCount(op: string, n: number, min = 0): void {
  if (!Number.isSafeInteger(n) || n < min) {
    throw new RangeError(`${op}: expected an integer >= ${min}, got ${n}`);
  }
}

/**
 * Run a map function over one element: inside a `scope`, so temporaries it makes are freed, then
 * dispose the element's tensors that the result does not reuse (the element belonged to this stage).
 */
function mapOne<T, U>(
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
    return zip(this, other);
  }

  /** Iterate one pass and collect the elements. */
  async toArray(): Promise<T[]> {
    const out: T[] = [];
    for await (const v of this) out.push(v);
    return out;
  }
}

/** A dataset defined by a function that starts one pass. */
class Stream<T> extends Dataset<T> {
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

/**
 * A dataset of known length whose elements can be fetched by index. Operators that keep random
 * access (map, take, skip, subset, finite repeat, concat and zip of random-access datasets) return
 * random-access datasets; a `DataLoader` shuffles their indices.
 *
 * `getBatch`, where a dataset defines it, returns exactly what `collate` would make of the
 * elements at `indices`, faster (one gather instead of N slices and a stack); a `DataLoader` uses it
 * when no custom `collate` is given.
 */
export abstract class RandomAccessDataset<T> extends Dataset<T> {
  abstract override get length(): number;

  /** Element `index` (0 ≤ index < length); a fresh value the caller owns. */
  abstract get(index: number): MaybePromise<T>;

  /** The collated batch of the elements at `indices`, when the source can build it directly. */
  getBatch?: (indices: ArrayLike<number>) => MaybePromise<Collated<T>>;

  override isRandomAccess(): this is RandomAccessDataset<T> {
    return true;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    const n = this.length;
    for (let i = 0; i < n; i++) yield await this.get(i);
  }

  override map<U>(fn: (value: T, index: number) => MaybePromise<U>): RandomAccessDataset<U> {
    return new Mapped(this, fn);
  }

  override take(count: number): RandomAccessDataset<T> {
    checkCount('take', count);
    return new Range(this, 0, Math.min(count, this.length));
  }

  override skip(count: number): RandomAccessDataset<T> {
    checkCount('skip', count);
    const start = Math.min(count, this.length);
    return new Range(this, start, this.length - start);
  }

  /** The elements at `indices`, in that order (indices may repeat). */
  subset(indices: ArrayLike<number>): RandomAccessDataset<T> {
    const idx = Int32Array.from(indices as ArrayLike<number>);
    const n = this.length;
    for (let i = 0; i < idx.length; i++) {
      const k = indices[i]!;
      if (!Number.isInteger(k) || k < 0 || k >= n) {
        throw new RangeError(`subset: index ${k} (at ${i}) is out of range for a dataset of length ${n}`);
      }
    }
    return new Subset(this, idx);
  }

  override repeat(count: number): RandomAccessDataset<T>;
  override repeat(count?: number): Dataset<T>;
  override repeat(count?: number): Dataset<T> {
    if (count === undefined) return super.repeat();
    checkCount('repeat', count);
    return new Repeated(this, count);
  }

  override concat(other: RandomAccessDataset<T>): RandomAccessDataset<T>;
  override concat(other: Dataset<T>): Dataset<T>;
  override concat(other: Dataset<T>): Dataset<T> {
    return other.isRandomAccess() ? new Concatenated(this, other) : super.concat(other);
  }

  override zip<U>(other: RandomAccessDataset<U>): RandomAccessDataset<[T, U]>;
  override zip<U>(other: Dataset<U>): Dataset<[T, U]>;
  override zip<U>(other: Dataset<U>): Dataset<[T, U]> {
    return zip(this, other);
  }
}

function checkIndex(op: string, index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new RangeError(`${op}: index ${index} is out of range for a dataset of length ${length}`);
  }
}

/** Map `indices` through `f` into a fresh index list. */
function remapIndices(indices: ArrayLike<number>, f: (i: number) => number): Int32Array {
  const out = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) out[k] = f(indices[k]!);
  return out;
}

class ArrayDataset<T> extends RandomAccessDataset<T> {
  constructor(private readonly items: readonly T[]) {
    super();
  }
  get length(): number {
    return this.items.length;
  }
  get(index: number): T {
    checkIndex('fromArray', index, this.items.length);
    return cloneTensors(this.items[index]!);
  }
}

class Mapped<T, U> extends RandomAccessDataset<U> {
  constructor(
    private readonly source: RandomAccessDataset<T>,
    private readonly fn: (value: T, index: number) => MaybePromise<U>,
  ) {
    super();
  }
  get length(): number {
    return this.source.length;
  }
  get(index: number): MaybePromise<U> {
    const v = this.source.get(index);
    return isPromiseLike(v) ? v.then((x) => mapOne(this.fn, x, index)) : mapOne(this.fn, v, index);
  }
}

class Range<T> extends RandomAccessDataset<T> {
  constructor(
    private readonly source: RandomAccessDataset<T>,
    private readonly start: number,
    private readonly count: number,
  ) {
    super();
    const gb = source.getBatch;
    if (gb)
      this.getBatch = (indices) =>
        gb.call(
          source,
          remapIndices(indices, (i) => this.map1(i)),
        );
  }
  private map1(i: number): number {
    checkIndex('get', i, this.count);
    return this.start + i;
  }
  get length(): number {
    return this.count;
  }
  get(index: number): MaybePromise<T> {
    return this.source.get(this.map1(index));
  }
}

class Subset<T> extends RandomAccessDataset<T> {
  constructor(
    private readonly source: RandomAccessDataset<T>,
    readonly indices: Int32Array,
  ) {
    super();
    const gb = source.getBatch;
    if (gb)
      this.getBatch = (idx) =>
        gb.call(
          source,
          remapIndices(idx, (i) => this.map1(i)),
        );
  }
  private map1(i: number): number {
    checkIndex('get', i, this.indices.length);
    return this.indices[i]!;
  }
  get length(): number {
    return this.indices.length;
  }
  get(index: number): MaybePromise<T> {
    return this.source.get(this.map1(index));
  }
}

class Repeated<T> extends RandomAccessDataset<T> {
  constructor(
    private readonly source: RandomAccessDataset<T>,
    private readonly count: number,
  ) {
    super();
    const gb = source.getBatch;
    if (gb)
      this.getBatch = (idx) =>
        gb.call(
          source,
          remapIndices(idx, (i) => this.map1(i)),
        );
  }
  private map1(i: number): number {
    checkIndex('get', i, this.length);
    return i % this.source.length;
  }
  get length(): number {
    return this.source.length * this.count;
  }
  get(index: number): MaybePromise<T> {
    return this.source.get(this.map1(index));
  }
}

class Concatenated<T> extends RandomAccessDataset<T> {
  constructor(
    private readonly a: RandomAccessDataset<T>,
    private readonly b: RandomAccessDataset<T>,
  ) {
    super();
  }
  get length(): number {
    return this.a.length + this.b.length;
  }
  get(index: number): MaybePromise<T> {
    checkIndex('get', index, this.length);
    const na = this.a.length;
    return index < na ? this.a.get(index) : this.b.get(index - na);
  }
}

class Zipped<T extends unknown[]> extends RandomAccessDataset<T> {
  constructor(private readonly parts: RandomAccessDataset<unknown>[]) {
    super();
  }
  get length(): number {
    return Math.min(...this.parts.map((p) => p.length));
  }
  get(index: number): MaybePromise<T> {
    checkIndex('get', index, this.length);
    const vs = this.parts.map((p) => p.get(index));
    return (vs.some(isPromiseLike) ? Promise.all(vs) : vs) as MaybePromise<T>;
  }
}

/**
 * Tuples of the datasets' elements, position by position, as long as every dataset has one
 * (random access when all are).
 *
 * @example
 * zip(fromArray([1, 2, 3]), fromArray(['a', 'b'])); // [1, 'a'], [2, 'b']
 */
export function zip<T extends unknown[]>(
  ...datasets: { [K in keyof T]: RandomAccessDataset<T[K]> }
): RandomAccessDataset<T>;
export function zip<T extends unknown[]>(...datasets: { [K in keyof T]: Dataset<T[K]> }): Dataset<T>;
export function zip<T extends unknown[]>(...datasets: Dataset<unknown>[]): Dataset<T> {
  if (datasets.length === 0) throw new RangeError('zip: needs at least one dataset');
  if (datasets.every((d) => d.isRandomAccess())) {
    return new Zipped<T>(datasets as RandomAccessDataset<unknown>[]);
  }
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
 * An in-memory dataset of the given elements (random access). Tensors inside the elements are
 * handed out as views (no copy), so receivers may dispose them; the originals stay yours.
 *
 * @example
 * const ds = fromArray([{ x: [0, 1], y: 1 }, { x: [1, 0], y: 0 }]);
 */
export function fromArray<T>(items: readonly T[]): RandomAccessDataset<T> {
  return new ArrayDataset([...items]);
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

/** A tensor, or arrays / plain objects of tensors: the structure `fromTensors` slices. */
export type TensorTree = Tensor | readonly TensorTree[] | { readonly [key: string]: TensorTree };

function mapTree(tree: TensorTree, fn: (t: Tensor) => Tensor): TensorTree {
  if (isTensor(tree)) return fn(tree);
  if (Array.isArray(tree)) return tree.map((t) => mapTree(t, fn));
  const out: Record<string, TensorTree> = {};
  for (const [k, v] of Object.entries(tree)) out[k] = mapTree(v, fn);
  return out;
}

function leaves(tree: TensorTree, path: string, out: [string, Tensor][]): [string, Tensor][] {
  if (isTensor(tree)) out.push([path, tree]);
  else if (Array.isArray(tree)) {
    for (let i = 0; i < tree.length; i++) leaves(tree[i]!, `${path}[${i}]`, out);
  } else if (isPlainObject(tree))
    for (const [k, v] of Object.entries(tree)) leaves(v, path ? `${path}.${k}` : k, out);
  else throw new TypeError(`fromTensors: ${path || 'argument'} is not a tensor, an array or a plain object`);
  return out;
}

class TensorDataset<S extends TensorTree> extends RandomAccessDataset<S> {
  private readonly n: number;

  constructor(private readonly tensors: S) {
    super();
    const ls = leaves(tensors, '', []);
    if (ls.length === 0) throw new TypeError('fromTensors: needs at least one tensor');
    for (const [path, t] of ls) {
      if (t.rank === 0)
        throw new RangeError(`fromTensors: ${path || 'tensor'} is a scalar; it needs a dim 0 to slice`);
    }
    this.n = ls[0]![1].shape[0]!;
    for (const [path, t] of ls) {
      if (t.shape[0] !== this.n) {
        throw new RangeError(
          `fromTensors: ${path || 'tensor'} has ${t.shape[0]} rows (shape [${t.shape.join(', ')}]) but ${ls[0]![0] || 'the first'} has ${this.n}; all must share dim 0`,
        );
      }
    }
    this.getBatch = (indices) =>
      scope(() => {
        const idx = tensor(
          remapIndices(indices, (i) => {
            checkIndex('getBatch', i, this.n);
            return i;
          }),
          { dtype: 'int32' },
        );
        return mapTree(this.tensors, (t) => indexSelect(t, 0, idx));
      }) as unknown as Collated<S>;
  }

  get length(): number {
    return this.n;
  }

  get(index: number): S {
    checkIndex('fromTensors', index, this.n);
    return scope(() => mapTree(this.tensors, (t) => slice(t, index))) as S;
  }
}

/**
 * A random-access dataset over tensors that share their first dimension: element `i` has the
 * same structure with each tensor sliced at row `i` (`x[i]`, dim 0 dropped). The dataset reads the
 * tensors you pass but does not own them: keep them alive (undisposed) while it is used.
 *
 * @example
 * const ds = fromTensors({ x: randn([100, 3]), y: randint(0, 2, [100]) });
 * await ds.get(0); // { x: Tensor [3], y: Tensor [] int32 }
 */
export function fromTensors<S extends TensorTree>(tensors: S): RandomAccessDataset<S> {
  return new TensorDataset(tensors);
}

/**
 * Split a random-access dataset into non-overlapping random subsets, as
 * `torch.utils.data.random_split`: `sizes` are lengths summing to the dataset's length, or
 * fractions summing to 1 (each part gets `floor(fraction · n)` and the remainder is dealt one by one
 * to the parts in order). The permutation is `new Generator(seed).permutation(n)` (core's
 * `permutation(n, { seed })`), cut into consecutive pieces.
 *
 * @example
 * const [train, val] = randomSplit(ds, [0.9, 0.1], { seed: 0 });
 */
export function randomSplit<T>(
  dataset: RandomAccessDataset<T>,
  sizes: readonly number[],
  options: { seed?: Seed } = {},
): RandomAccessDataset<T>[] {
  const n = dataset.length;
  if (sizes.length === 0) throw new RangeError('randomSplit: needs at least one size');
  let lengths: number[];
  const total = sizes.reduce((a, b) => a + b, 0);
  // Fractions when they sum to 1 (and not above), as PyTorch decides.
  if (sizes.every((f) => f >= 0) && Math.abs(total - 1) < 1e-9 && total <= 1) {
    lengths = sizes.map((f) => Math.floor(f * n));
    let rest = n - lengths.reduce((a, b) => a + b, 0);
    for (let i = 0; rest > 0; i = (i + 1) % lengths.length, rest--) lengths[i]!++;
  } else {
    if (!sizes.every((s) => Number.isInteger(s) && s >= 0) || total !== n) {
      throw new RangeError(
        `randomSplit: sizes [${sizes.join(', ')}] must be non-negative integers summing to the dataset's length ${n}, or fractions summing to 1`,
      );
    }
    lengths = [...sizes];
  }
  const perm = resolveGenerator(options.seed).permutation(n);
  const out: RandomAccessDataset<T>[] = [];
  let start = 0;
  for (const len of lengths) {
    out.push(new Subset(dataset, perm.slice(start, start + len)));
    start += len;
  }
  return out;
}
