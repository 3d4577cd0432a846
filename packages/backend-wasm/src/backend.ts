import type { Backend, BackendMemory, DataId, DType, KernelTable, TypedArray } from '@myelin/core';
import { typedArrayFor } from '@myelin/core';
import { HandleLedger, wrapKernels } from '@myelin/core/kit';
import { Allocator } from './allocator.js';
import { MAX_PAGES } from './generated/wasm.js';
import { attentionKernels } from './kernels/attention.js';
import { convKernels } from './kernels/conv.js';
import { elementwiseKernels } from './kernels/elementwise.js';
import { dataOf, hostKernels, type WasmKernel, type WasmKernelTable } from './kernels/kernel.js';
import { matmulKernels } from './kernels/matmul.js';
import { reduceKernels } from './kernels/reduce.js';
import { rnnKernels } from './kernels/rnn.js';
import { sparseKernels } from './kernels/sparse.js';
import { Runtime, relaxedSimdAvailable, WasmData } from './runtime.js';
import { defaultThreads, threadsAvailable } from './threads.js';

/** Every wasm kernel, by name: all primitives and the fused composites. */
const WASM_KERNELS: WasmKernelTable = {
  ...elementwiseKernels,
  ...reduceKernels,
  ...matmulKernels,
  ...hostKernels,
  ...convKernels,
  ...rnnKernels,
  ...sparseKernels,
  ...attentionKernels,
};

export interface WasmBackendOptions {
  /**
   * Threads for the big kernels (matmul, convolution, pooling), the calling thread included.
   * Defaults to the number of cores; 1 where shared memory or workers are missing (a browser page
   * that is not cross-origin isolated), whatever is asked.
   */
  threads?: number;
  /**
   * Use the relaxed-SIMD build of the kernels, whose matmul and convolution micro-kernels use
   * fused multiply-adds (`f32x4.relaxed_madd`): ~1.25× faster GEMMs where the CPU has FMA.
   * Defaults to true where the engine supports relaxed SIMD (Chromium 114+, Node 22+; Node 20
   * needs `--experimental-wasm-relaxed-simd`). Results then differ from the plain build in the
   * last bits (one rounding per multiply-add instead of two), and may differ between machines
   * with and without FMA; pass false for the plain build everywhere.
   */
  relaxedSimd?: boolean;
}

/**
 * The WebAssembly backend: storage lives in one wasm memory, managed by a size-class allocator;
 * kernels are AssemblyScript compiled with 128-bit SIMD, and the big ones are split over a pool
 * of workers sharing that memory. Kernels run synchronously, so `readSync` works.
 *
 * Create it with `await wasmBackend()`; importing the package also registers it with core as
 * `'wasm'`, so `await use('wasm')` works.
 *
 * @example
 * import { use, tensor } from '@myelin/core';
 * import { wasmBackend } from '@myelin/backend-wasm';
 * await use(wasmBackend({ threads: 2 }));
 * tensor([[1, 2], [3, 4]]).matmul(tensor([[1], [1]])).dataSync(); // Float32Array [3, 7]
 */
export class WasmBackend implements Backend {
  readonly name = 'wasm';
  readonly kernels: KernelTable;
  private readonly ledger = new HandleLedger<WasmData>();
  private disposed = false;

  constructor(readonly runtime: Runtime) {
    this.kernels = wrapKernels<WasmKernel<unknown>>(WASM_KERNELS, (run) => (args) => {
      const outs = run(runtime, args);
      for (const d of outs) this.adopt(d);
      return outs;
    });
  }

  /** Threads the big kernels use (1: the calling thread only). */
  get threads(): number {
    return this.runtime.threads;
  }

  /** Whether the kernels are the relaxed-SIMD build (fused multiply-adds). */
  get relaxedSimd(): boolean {
    return this.runtime.relaxed;
  }

  /** Store a copy of `values`; values of another element type are converted as `Cast` would. */
  write(values: TypedArray, dtype: DType): DataId {
    const rt = this.runtime;
    const data = rt.allocate(values.length, dtype);
    if (data.length > 0) {
      const view = rt.view(data);
      if (dtype === 'bool' && !(values instanceof Uint8Array)) {
        for (let i = 0; i < values.length; i++) view[i] = values[i] !== 0 ? 1 : 0;
      } else view.set(values);
    }
    return this.adopt(data);
  }

  /** `read` returns a copy: the array is the caller's, and core does not copy it again. */
  readonly readOwned = true;

  /** A copy of the handle's elements (a view could be overwritten once the handle is freed). */
  async read(dataId: DataId): Promise<TypedArray> {
    const data = dataOf(dataId);
    if (data.length === 0) return typedArrayFor(data.dtype, 0);
    return this.runtime.view(data).slice();
  }

  /**
   * A view of the handle's elements, valid until the next kernel or write (which may grow the
   * memory). Core copies it at once; anyone else must too.
   */
  readSync(dataId: DataId): TypedArray {
    const data = dataOf(dataId);
    if (data.length === 0) return typedArrayFor(data.dtype, 0);
    return this.runtime.view(data);
  }

  free(dataId: DataId): void {
    if (!(dataId instanceof WasmData) || dataId.freed) return;
    this.runtime.release(dataId);
    this.ledger.remove(dataId, bytesOf(dataId));
  }

  memory(): BackendMemory {
    return this.ledger.memory();
  }

  /**
   * The most elements one tensor may hold: its block (size class, see `Allocator`) must fit in the
   * memory's maximum (32-bit wasm: 4 GiB single-threaded, 2 GiB shared) beside the kernels' static
   * data. Checked by core before any allocation, so a too-large tensor fails at once instead of
   * after building its values on the host.
   */
  maxElements(dtype: DType): number {
    const bpe = dtype === 'bool' ? 1 : 4;
    let cached = this.maxCache.get(bpe);
    if (cached === undefined) {
      const capacity = this.maxMemoryBytes - this.runtime.exports.heapBase() - 64 * 1024;
      // The largest n whose class size fits: class sizes grow with n, so bisect.
      let lo = 0;
      let hi = Math.floor(capacity / bpe);
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (Allocator.classSize(mid * bpe) <= capacity) lo = mid;
        else hi = mid - 1;
      }
      this.maxCache.set(bpe, (cached = lo));
    }
    return cached;
  }

  private readonly maxCache = new Map<number, number>();

  /** The memory's maximum in bytes. */
  get maxMemoryBytes(): number {
    return (this.runtime.pool ? MAX_PAGES : 65536) * 65536;
  }

  get limitNote(): string {
    return `its 32-bit memory holds at most ${this.maxMemoryBytes / 2 ** 30} GiB${this.runtime.pool ? ' when threaded' : ''}`;
  }

  supports(dtype: DType): boolean {
    return dtype === 'float32' || dtype === 'int32' || dtype === 'bool';
  }

  /** Free every handle and stop the workers. The backend cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ledger.clear((d) => this.runtime.release(d));
    this.runtime.dispose();
  }

  private adopt(data: WasmData): WasmData {
    return this.ledger.add(data, bytesOf(data));
  }
}

/** Bytes a handle's elements take (bool: one byte each). */
function bytesOf(data: WasmData): number {
  return data.length * (data.dtype === 'bool' ? 1 : 4);
}

/**
 * Create a wasm backend: compiles the kernels (once per process) and starts `threads - 1` workers.
 *
 * @example
 * await use(wasmBackend());               // threads = number of cores
 * await use(wasmBackend({ threads: 1 })); // no workers
 */
export async function wasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const asked = Math.floor(options.threads ?? defaultThreads());
  if (!(asked >= 1)) throw new RangeError(`wasmBackend: threads must be at least 1, got ${options.threads}`);
  const threads = threadsAvailable() ? asked : 1;
  const available = relaxedSimdAvailable();
  if (options.relaxedSimd === true && !available) {
    throw new Error('wasmBackend: relaxedSimd was asked for, but this engine does not support relaxed SIMD');
  }
  const relaxed = options.relaxedSimd ?? available;
  if (threads > 1) {
    try {
      return new WasmBackend(await Runtime.create(threads, relaxed));
    } catch (e) {
      // Shared memory reserves its maximum (2 GiB) up front, and workers may be refused (a
      // content security policy): run on this thread rather than not at all.
      console.warn(`wasmBackend: ${threads} threads unavailable (${(e as Error).message}); using 1`);
    }
  }
  return new WasmBackend(await Runtime.create(1, relaxed));
}
