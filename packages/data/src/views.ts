import { indexSelect, isTensor, type Seed, scope, slice, type Tensor, tensor } from '@myelin/core';
import type { Collated } from './collate.js';
import { resolveGenerator } from './random.js';
import { checkCount, Dataset, isPromiseLike, type MaybePromise, mapOne, zipStreams } from './stream.js';
import { cloneTensors, isPlainObject } from './tensors.js';

/*
 * Random-access datasets: `RandomAccessDataset` and its views. Index remaps (take, skip, subset,
 * randomSplit, finite repeat) are one `IndexView`; map, concat and zip keep random access too.
 * The streaming base and combinators are in stream.ts.
 */

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
    return rangeView(this, 0, Math.min(count, this.length));
  }

  override skip(count: number): RandomAccessDataset<T> {
    checkCount('skip', count);
    const start = Math.min(count, this.length);
    return rangeView(this, start, this.length - start);
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
    return subsetView(this, idx);
  }

  override repeat(count: number): RandomAccessDataset<T>;
  override repeat(count?: number): Dataset<T>;
  override repeat(count?: number): Dataset<T> {
    if (count === undefined) return super.repeat();
    checkCount('repeat', count);
    return repeatView(this, count);
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

export function checkIndex(op: string, index: number, length: number): void {
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

/**
 * A view of `source` through an index map: element i is `source.get(at(i))` for 0 ≤ i < size().
 * `take`/`skip` (a range), `subset`/`randomSplit` (an index list) and finite `repeat` (i mod the
 * source's length) are all this one view, and a source's `getBatch` carries over through the map.
 */
class IndexView<T> extends RandomAccessDataset<T> {
  constructor(
    private readonly source: RandomAccessDataset<T>,
    private readonly size: () => number,
    private readonly at: (i: number) => number,
    /** The index list of a subset view. */
    readonly indices?: Int32Array,
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
    checkIndex('get', i, this.size());
    return this.at(i);
  }
  get length(): number {
    return this.size();
  }
  get(index: number): MaybePromise<T> {
    return this.source.get(this.map1(index));
  }
}

/** Elements [start, start + count) of `source`. */
function rangeView<T>(source: RandomAccessDataset<T>, start: number, count: number): RandomAccessDataset<T> {
  return new IndexView(
    source,
    () => count,
    (i) => start + i,
  );
}

/** The elements of `source` at `indices` (already checked), in that order. */
function subsetView<T>(source: RandomAccessDataset<T>, indices: Int32Array): RandomAccessDataset<T> {
  return new IndexView(
    source,
    () => indices.length,
    (i) => indices[i]!,
    indices,
  );
}

/** `count` passes over `source`. */
function repeatView<T>(source: RandomAccessDataset<T>, count: number): RandomAccessDataset<T> {
  return new IndexView(
    source,
    () => source.length * count,
    (i) => i % source.length,
  );
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
  return zipStreams<T>(datasets);
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
    out.push(subsetView(dataset, perm.slice(start, start + len)));
    start += len;
  }
  return out;
}
