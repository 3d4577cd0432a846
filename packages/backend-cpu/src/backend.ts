import type { Backend, BackendMemory, DataId, DType, KernelTable, TypedArray } from '@myelin/core';
import { HOST_MAX_ELEMENTS, typedArrayFor } from '@myelin/core';
import { HandleLedger, wrapKernels } from '@myelin/core/kit';
import { attentionKernels } from './attention.js';
import { convKernels } from './conv.js';
import { elementwiseKernels } from './elementwise.js';
import { fusedKernels } from './fused.js';
import { CpuData, type CpuKernel, type CpuKernelTable, hostKernels, unbox } from './kernel.js';
import { matmulKernels } from './matmul.js';
import { poolKernels } from './pool.js';
import { reduceKernels } from './reduce.js';
import { rnnKernels } from './rnn.js';
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
  ...hostKernels,
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
  private readonly ledger = new HandleLedger<CpuData>();

  constructor() {
    this.kernels = wrapKernels<CpuKernel<unknown>>(CPU_KERNELS, (run) => (args) => {
      const arrays = run(args);
      const ids: DataId[] = new Array(arrays.length);
      for (let i = 0; i < arrays.length; i++) ids[i] = this.adopt(arrays[i]);
      return ids;
    });
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
    this.ledger.remove(dataId, dataId.values.byteLength);
    dataId.values = null;
  }

  memory(): BackendMemory {
    return this.ledger.memory();
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
    this.ledger.clear((data) => {
      data.values = null;
    });
  }

  /** Wrap a freshly computed array into a counted handle. */
  private adopt(values: TypedArray): CpuData {
    return this.ledger.add(new CpuData(values), values.byteLength);
  }
}

/** Create a CPU backend. */
export function cpuBackend(): CpuBackend {
  return new CpuBackend();
}
