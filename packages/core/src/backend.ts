import type { DType, TypedArray } from './dtype.js';
import type { KernelTable } from './kernels.js';
import type { Shape } from './shape.js';

/**
 * An opaque handle to a backend's storage. Core never looks inside; it only hands it back to the
 * backend that made it. Core owns reference counting (see `engine.ts`), so a backend frees a handle
 * exactly once, when core calls `free`.
 */
export type DataId = object;

/** What a kernel sees of a tensor: its storage handle plus shape and dtype. Always row-major, contiguous. */
export interface TensorInfo {
  readonly dataId: DataId;
  readonly shape: Shape;
  readonly dtype: DType;
}

/** Output shape and dtype, computed once by core's shape rule and passed to the kernel. */
export interface OutputSpec {
  readonly shape: Shape;
  readonly dtype: DType;
}

export interface BackendMemory {
  /** Live storage handles. */
  handles: number;
  /** Bytes held by live handles. */
  bytes: number;
}

/**
 * The Backend SPI: storage plus a kernel table. Kernels receive typed inputs and attrs (see
 * `KernelAttrs`) and the output specs core has already computed, and return one new handle per
 * output. A backend implements kernels only, never gradients: those live in core, written with ops.
 */
export interface Backend {
  readonly name: string;
  /** Store a copy of `values` (whose element type matches `dtype`) and return its handle. */
  write(values: TypedArray, dtype: DType): DataId;
  /** Read a handle's elements. This is the sync point for backends that defer work. */
  read(dataId: DataId): Promise<TypedArray>;
  /**
   * True when `read` resolves to a fresh array that nothing else references (a copy made for the
   * caller, as a GPU read-back is): core then hands it to the user as it is instead of copying it
   * again. Otherwise (a view of the backend's storage) core copies it.
   */
  readonly readOwned?: boolean;
  /**
   * False for backends that can only read asynchronously (WebGPU in a browser): core then skips
   * checks that would need a synchronous read, such as host-side index bounds checks.
   */
  readonly canReadSync?: boolean;
  /** Synchronous read; a backend that cannot read synchronously throws an error that says to use `data()`. */
  readSync(dataId: DataId): TypedArray;
  /** Release a handle. Called exactly once per handle, by core. */
  free(dataId: DataId): void;
  memory(): BackendMemory;
  /**
   * The most elements one tensor of `dtype` may hold on this backend (its storage limit: wasm's
   * 32-bit memory, a GPU's largest buffer, the host's typed-array length). Core checks every
   * allocation against it before making it, so a too-large shape fails at once with an error that
   * names the op, the shape and this limit. Omitted: no limit beyond core's own.
   */
  maxElements?(dtype: DType): number;
  /** Words for the limit in error messages, e.g. 'maxStorageBufferBindingSize 128 MiB'. */
  readonly limitNote?: string;
  supports(dtype: DType): boolean;
  readonly kernels: KernelTable;
  /** Wait for queued work to finish. */
  sync?(): Promise<void>;
  dispose(): void;
}
