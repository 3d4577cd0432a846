import type { Backend, BackendMemory, DataId, DType, KernelTable, TypedArray } from '@myelin/core';
import { HOST_MAX_ELEMENTS, typedArrayFor } from '@myelin/core';
import { attentionKernels } from './attention.js';
import { convKernels } from './conv.js';
import { elementwiseKernels } from './elementwise.js';
import { fusedKernels } from './fused.js';
import { indexingKernels } from './indexing.js';
import { CpuData, type CpuKernel, type CpuKernelTable, unbox } from './kernel.js';
import { matmulKernels } from './matmul.js';
import { poolKernels } from './pool.js';
import { reduceKernels } from './reduce.js';
import { rnnKernels } from './rnn.js';
import { shapeKernels } from './shape.js';
import { softmaxKernels } from './softmax.js';
import { sparseKernels } from './sparse.js';

/** Every CPU kernel, by name. */
const CPU_KERNELS: CpuKernelTable = {
  ...elementwiseKernels,
  ...reduceKernels,
  ...softmaxKernels,
  ...fusedKernels,
  ...rnnKernels,
  ...sparseKernels,
  ...attentionKernels,
  ...matmulKernels,
  ...shapeKernels,
  ...indexingKernels,
  ...convKernels,
  ...poolKernels,
};

const ARRAY_TYPES = { float32: Float32Array, int32: Int32Array, bool: Uint8Array } as const;

/**
 * The pure-TypeScript CPU backend: storage is one typed array per handle, kernels are plain loops
 * (and a packed GEMM for matmul and convolution). Synchronous throughout, so `readSync` works.
 *
 * `read`/`readSync` return the stored array itself, not a copy, to keep hot paths copy-free: callers
 * (core) must treat it as read-only and copy before handing data to users.
 *
 * @example
 * import { use } from '@myelin/core';
 * import { cpuBackend } from '@myelin/backend-cpu';
 * await use(cpuBackend()); // tensors created from here on live on the CPU
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu';
  readonly kernels: KernelTable;
  private readonly live = new Set<CpuData>();
  private bytes = 0;

  constructor() {
    const table: Record<string, (args: never) => DataId[]> = {};
    for (const [name, kernel] of Object.entries(CPU_KERNELS)) {
      const run = kernel as CpuKernel<unknown>;
      table[name] = (args: Parameters<typeof run>[0]) => {
        const arrays = run(args);
        const ids: DataId[] = new Array(arrays.length);
        for (let i = 0; i < arrays.length; i++) ids[i] = this.adopt(arrays[i]);
        return ids;
      };
    }
    this.kernels = table as KernelTable;
  }

  /** Store a copy of `values`; values of another element type are converted as `Cast` would. */
  write(values: TypedArray, dtype: DType): DataId {
    if (values instanceof ARRAY_TYPES[dtype]) return this.adopt(values.slice());
    const copy = typedArrayFor(dtype, values.length);
    if (dtype === 'bool') for (let i = 0; i < values.length; i++) copy[i] = values[i] !== 0 ? 1 : 0;
    else copy.set(values);
    return this.adopt(copy);
  }

  async read(dataId: DataId): Promise<TypedArray> {
    return unbox(dataId);
  }

  readSync(dataId: DataId): TypedArray {
    return unbox(dataId);
  }

  /** Drop the handle's array. A second call for the same handle does nothing. */
  free(dataId: DataId): void {
    if (!(dataId instanceof CpuData) || dataId.values === null) return;
    this.bytes -= dataId.values.byteLength;
    dataId.values = null;
    this.live.delete(dataId);
  }

  memory(): BackendMemory {
    return { handles: this.live.size, bytes: this.bytes };
  }

  /** One typed array per handle: the engine's typed-array length limit, whatever the dtype. */
  maxElements(_dtype: DType): number {
    return HOST_MAX_ELEMENTS;
  }

  readonly limitNote = 'the longest typed array a JavaScript engine makes';

  supports(dtype: DType): boolean {
    return Object.hasOwn(ARRAY_TYPES, dtype);
  }

  /** Free every live handle. */
  dispose(): void {
    for (const data of this.live) data.values = null;
    this.live.clear();
    this.bytes = 0;
  }

  /** Wrap a freshly computed array into a counted handle. */
  private adopt(values: TypedArray): CpuData {
    const data = new CpuData(values);
    this.live.add(data);
    this.bytes += values.byteLength;
    return data;
  }
}

/** Create a CPU backend. */
export function cpuBackend(): CpuBackend {
  return new CpuBackend();
}
