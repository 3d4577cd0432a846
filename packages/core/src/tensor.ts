import type { BackwardOptions } from './autograd.js';
import type { Backend } from './backend.js';
import type { Scope } from './context.js';
import type { DType, TypedArray } from './dtype.js';
import { invalidateLiveness, type Node } from './graph.js';
import type { METHOD_TABLE } from './ops/index.js';
import { checkAlloc, getBackend, resolveBackend } from './registry.js';
import { fmtShape, type Shape, sizeOf } from './shape.js';
import { Storage, type Token, trackTensor, untrackTensor } from './storage.js';

/** Nested JS arrays as returned by `array()`. */
export type NestedArray = number | boolean | NestedArray[];

/** What autograd knows of a leaf that requires grad. Aliases of the leaf share this record. */
export interface LeafRecord {
  readonly tensor: Tensor;
  /** False once a functional `grad` has finished its forward pass: later ops no longer record. */
  active: boolean;
  /** Imperative leaves (`requiresGrad`, Parameters) accumulate into `tensor.grad` on backward(). */
  readonly accumulate: boolean;
}

let nextId = 0;

/**
 * An immutable n-dimensional array on a backend. Ops never change a tensor; they return new ones.
 * Free its memory with `dispose()`, `using`, or by creating it inside `scope()`.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface below adds the op methods that methods.ts attaches
export class Tensor {
  readonly id = nextId++;
  readonly size: number;
  /** @internal the gradient graph node that produced this tensor, if recorded. */
  node: Node | null = null;
  /** @internal which output of `node` this is. */
  outIndex = 0;
  /** @internal set on leaves that require grad. */
  leaf: LeafRecord | null = null;
  /** @internal what the FinalizationRegistry releases if this tensor is collected undisposed. */
  gcRelease: Token | null = null;
  /** @internal whether the FinalizationRegistry is watching this tensor. */
  gcArmed = false;
  /** @internal the scope that will dispose this tensor, if any. */
  ownerScope: Scope | null = null;
  /** Gradient filled by `backward()` on tensors that require grad. */
  grad: Tensor | null = null;
  /** @internal internal aliases (held by graph nodes) are not counted or scoped. */
  private readonly internal: boolean;
  /** @internal an output alias owned by its own node: does not hold the node alive. */
  weakNode = false;
  private storage: Storage | null;

  protected constructor(
    storage: Storage,
    readonly shape: Shape,
    readonly dtype: DType,
    op: string,
    internal: boolean,
  ) {
    this.storage = storage;
    this.size = sizeOf(shape);
    this.internal = internal;
    if (!internal) {
      const token = this.gcToken;
      token.storage = storage;
      trackTensor(this, op, () => {
        token.storage?.countTensor(-1);
        token.storage?.release();
        token.node?.release();
      });
    }
  }

  /**
   * @internal what the garbage-collection safety net must release if this tensor is never disposed
   * (the storage is read at release time: `Variable.assign` swaps it).
   */
  private readonly gcToken: { node: Node | null; storage: Storage | null } = { node: null, storage: null };

  /** @internal attach the graph node that produced this tensor (the tensor holds one reference). */
  attachNode(node: Node, outIndex: number, weak = false): void {
    this.node = node;
    this.outIndex = outIndex;
    this.weakNode = weak;
    if (!weak) {
      node.retain();
      this.gcToken.node = node;
    }
  }

  /** @internal wrap a storage this tensor now owns one reference to. */
  static fromStorage(storage: Storage, shape: Shape, dtype: DType, op: string, internal = false): Tensor {
    return new Tensor(storage, Object.freeze([...shape]), dtype, op, internal);
  }

  /** @internal a new tensor viewing the same storage (one more reference). */
  static view(t: Tensor, shape: Shape, op: string, internal = false): Tensor {
    const st = t.storageRef(op);
    st.retain();
    return Tensor.fromStorage(st, shape, t.dtype, op, internal);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.storage === null;
  }

  get backend(): Backend {
    return this.storageRef().backend;
  }

  /** True for leaves created with requiresGrad and for results of recorded ops. */
  get requiresGrad(): boolean {
    if (this.node !== null) return this.node.isLive();
    return this.leaf !== null && this.leaf.active;
  }

  /** Mark a leaf tensor as requiring grad: `backward()` will fill its `.grad`. */
  set requiresGrad(on: boolean) {
    if (this.node)
      throw new Error('requiresGrad: only leaf tensors can be marked; use detach() for a new leaf');
    if (on && this.dtype !== 'float32') {
      throw new TypeError(`requiresGrad: only float32 tensors can require grad, got ${this.dtype}`);
    }
    if (!on && this.leaf) {
      this.leaf.active = false;
      invalidateLiveness();
    }
    this.leaf = on ? { tensor: this, active: true, accumulate: true } : null;
  }

  /** @internal swap in another tensor's storage (used by Variable.assign); releases the old one. */
  protected replaceStorage(from: Tensor, op: string): void {
    const next = from.storageRef(op);
    next.retain();
    const old = this.storageRef(op);
    this.storage = next;
    if (!this.internal) {
      // The tensor is counted on the storage it views: move the count with it.
      old.countTensor(-1);
      next.countTensor(1);
      this.gcToken.storage = next;
    }
    old.release();
  }

  /** @internal the storage, or a clear error if this tensor was disposed. */
  storageRef(op = 'read'): Storage {
    if (!this.storage) {
      throw new Error(
        `${op}: tensor #${this.id} ${fmtShape(this.shape)} ${this.dtype} was disposed and cannot be used`,
      );
    }
    return this.storage;
  }

  /** Read the elements (row-major) into a fresh typed array. The read is the sync point. */
  async data(): Promise<TypedArray> {
    const st = this.storageRef('data');
    const values = await st.backend.read(st.dataId);
    return st.backend.readOwned ? values : values.slice();
  }

  /** Synchronous read; backends that can only read asynchronously (webgpu) throw and point to `data()`. */
  dataSync(): TypedArray {
    const st = this.storageRef('dataSync');
    return st.backend.readSync(st.dataId).slice();
  }

  /** The elements as nested JS arrays (booleans for bool tensors). */
  async array(): Promise<NestedArray> {
    return toNested(await this.data(), this.shape, this.dtype);
  }

  arraySync(): NestedArray {
    return toNested(this.dataSync(), this.shape, this.dtype);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1)
      throw new RangeError(`item: tensor has ${this.size} elements ${fmtShape(this.shape)}, expected 1`);
    return this.dataSync()[0]!;
  }

  /**
   * A copy of this tensor on another backend, by instance or registered name (`await t.to('wasm')`);
   * this one stays where it is. Reads asynchronously, so it works from WebGPU too. To move tensors
   * in place instead: `await model.to(backend)` for a module's parameters and buffers, `await
   * use(backend)` for every live tensor.
   */
  async to(backend: Backend | string): Promise<Tensor> {
    backend = await resolveBackend(backend, 'to');
    checkAlloc('to', this.shape, this.dtype, backend);
    const values = await this.data();
    const id = backend.write(values, this.dtype);
    return Tensor.fromStorage(new Storage(backend, id, values.byteLength), this.shape, this.dtype, 'to');
  }

  /** Free this tensor's hold on its storage. Safe to call twice. */
  dispose(): void {
    const st = this.storage;
    if (!st) return;
    if (!this.internal) untrackTensor(this, st);
    this.storage = null;
    st.release();
    if (this.node && !this.weakNode) this.node.release();
    this.node = null;
    this.gcToken.node = null;
    this.gcToken.storage = null;
    if (this.leaf?.accumulate && this.leaf.tensor === this) {
      this.grad?.dispose();
      this.grad = null;
    }
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * Accumulate gradients into `.grad` of the leaves this tensor depends on (see `backward`):
   * `loss.backward()`, `y.backward(cotangent)`, `loss.backward({ retainGraph: true })`.
   */
  declare backward: {
    (options?: BackwardOptions): void;
    (cotangent: Tensor | undefined, options?: BackwardOptions): void;
  };
  /** A view cut off from the gradient graph. */
  declare detach: () => Tensor;

  toString(options: { maxItems?: number } = {}): string {
    if (this.isDisposed) return `Tensor(disposed, shape=${fmtShape(this.shape)}, dtype=${this.dtype})`;
    const values = this.dataSync();
    const body = formatNested(values, this.shape, this.dtype, options.maxItems ?? 6);
    return `Tensor(${body}, shape=${fmtShape(this.shape)}, dtype=${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

function toNested(values: TypedArray, shape: Shape, dtype: DType): NestedArray {
  const conv = (v: number): number | boolean => (dtype === 'bool' ? v !== 0 : v);
  if (shape.length === 0) return conv(values[0]!);
  const build = (dim: number, offset: number): NestedArray[] => {
    const n = shape[dim]!;
    const inner = sizeOf(shape.slice(dim + 1));
    const out: NestedArray[] = new Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = dim === shape.length - 1 ? conv(values[offset + i]!) : build(dim + 1, offset + i * inner);
    }
    return out;
  };
  return build(0, 0);
}

function fmtValue(v: number, dtype: DType): string {
  if (dtype === 'bool') return v ? 'true' : 'false';
  if (dtype === 'int32') return String(v);
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return Number.isInteger(v) && Math.abs(v) < 1e6 ? `${v}.` : Number(v.toPrecision(4)).toString();
}

function formatNested(values: TypedArray, shape: Shape, dtype: DType, maxItems: number): string {
  if (shape.length === 0) return fmtValue(values[0]!, dtype);
  const rec = (dim: number, offset: number, indent: string): string => {
    const n = shape[dim]!;
    const inner = sizeOf(shape.slice(dim + 1));
    const idx: (number | null)[] = [];
    if (n > maxItems) {
      const h = Math.floor(maxItems / 2);
      for (let i = 0; i < h; i++) idx.push(i);
      idx.push(null);
      for (let i = n - h; i < n; i++) idx.push(i);
    } else for (let i = 0; i < n; i++) idx.push(i);
    if (dim === shape.length - 1) {
      return `[${idx.map((i) => (i === null ? '...' : fmtValue(values[offset + i]!, dtype))).join(', ')}]`;
    }
    const rows = idx.map((i) => (i === null ? '...' : rec(dim + 1, offset + i * inner, `${indent} `)));
    return `[${rows.join(`,\n${indent} `)}]`;
  };
  return rec(0, 0, '       ');
}

/** Anything an op accepts where a tensor is expected. */
export type TensorLike = Tensor | number | boolean;

export function isTensor(v: unknown): v is Tensor {
  return v instanceof Tensor;
}

/** The active backend's name, for messages. */
export function activeBackendName(): string {
  return getBackend().name;
}

/** A function of a tensor, seen as a method of that tensor (its first parameter dropped). */
type Method<F> = F extends (self: Tensor, ...rest: infer R) => infer O ? (...rest: R) => O : never;

/** The chainable ops as methods, derived from the one table (`METHOD_TABLE` in ops/index.ts). */
type MethodsOf<T> = { [K in keyof T]: Method<T[K]> };

/**
 * The chainable ops (`x.add(y).relu()`): each is the function of the same name with the tensor as
 * its first argument, put on the prototype by methods.ts from the same table.
 */
export interface Tensor extends MethodsOf<typeof METHOD_TABLE> {}
