import type { Backend, BackendMemory, DataId, DType, KernelTable, TypedArray } from '@myelin/core';
import { typedArrayFor } from '@myelin/core';
import { HandleLedger, wrapKernels } from '@myelin/core/kit';
import { type AcquiredDevice, acquireDevice, type WebGpuOptions } from './device.js';
import { type GpuKernel, type GpuKernelTable, HOST_COPY_LIMIT, unbox } from './kernel.js';
import { attentionKernels } from './kernels/attention.js';
import { convKernels } from './kernels/conv.js';
import { elementwiseKernels } from './kernels/elementwise.js';
import { indexingKernels } from './kernels/indexing.js';
import { matmulKernels } from './kernels/matmul.js';
import { nnKernels } from './kernels/nn.js';
import { reduceKernels } from './kernels/reduce.js';
import { rnnKernels } from './kernels/rnn.js';
import { shapeKernels } from './kernels/shape.js';
import { sparseKernels } from './kernels/sparse.js';
import { GpuData, Runtime } from './runtime.js';

/** Every WebGPU kernel, by name. */
const GPU_KERNELS: GpuKernelTable = {
  ...elementwiseKernels,
  ...reduceKernels,
  ...nnKernels,
  ...rnnKernels,
  ...sparseKernels,
  ...attentionKernels,
  ...matmulKernels,
  ...shapeKernels,
  ...indexingKernels,
  ...convKernels,
};

/**
 * The WebGPU backend: every tensor is a pooled GPU buffer, kernels are WGSL compute shaders
 * dispatched into a batched command encoder, and `read` (core's `data()`) is the sync point that
 * submits the batch and maps a staging buffer.
 *
 * @example
 * import { use, tensor } from '@myelin/core';
 * import { webgpuBackend } from '@myelin/backend-webgpu';
 * await use(webgpuBackend());
 * const y = tensor([1, 2, 3]).mul(2);
 * console.log(await y.data());
 */
export class WebGpuBackend implements Backend {
  readonly name = 'webgpu';
  readonly kernels: KernelTable;
  readonly rt: Runtime;
  readonly adapterInfo: string;
  private readonly ledger = new HandleLedger<GpuData>();

  constructor(private readonly acquired: AcquiredDevice) {
    this.rt = new Runtime(acquired.device);
    this.adapterInfo = acquired.adapterInfo;
    this.kernels = wrapKernels<GpuKernel<unknown>>(GPU_KERNELS, (run) => (args) => {
      const outs = run(this.rt, args);
      for (const o of outs) this.adopt(o);
      return outs;
    });
  }

  get device(): GPUDevice {
    return this.acquired.device;
  }

  write(values: TypedArray, dtype: DType): DataId {
    const n = values.length;
    let words: Float32Array | Int32Array | Uint32Array;
    if (dtype === 'float32') words = values instanceof Float32Array ? values : Float32Array.from(values);
    else if (dtype === 'int32') words = values instanceof Int32Array ? values : Int32Array.from(values);
    else words = Uint32Array.from(values, (v) => (v !== 0 ? 1 : 0));
    // writeBuffer takes no SharedArrayBuffer (a view of the threaded wasm backend's memory, when a
    // tensor moves here from it): copy into an ordinary buffer first.
    if (!(words.buffer instanceof ArrayBuffer)) words = words.slice();
    const buffer = this.rt.newBuffer(n * 4);
    if (n > 0) this.device.queue.writeBuffer(buffer, 0, words.buffer, words.byteOffset, n * 4);
    const data = new GpuData(buffer, n, dtype);
    if (dtype !== 'float32' && n <= HOST_COPY_LIMIT) {
      data.host = dtype === 'int32' ? Int32Array.from(words) : Uint8Array.from(words);
    }
    return this.adopt(data);
  }

  /** `read` copies out of a mapped staging buffer: the array is the caller's. */
  readonly readOwned = true;

  async read(dataId: DataId): Promise<TypedArray> {
    const data = unbox(dataId);
    if (data.length === 0) return typedArrayFor(data.dtype, 0);
    const bytes = await this.rt.readBytes(data.buffer as GPUBuffer, data.length * 4);
    if (data.dtype === 'float32') return new Float32Array(bytes);
    if (data.dtype === 'int32') return new Int32Array(bytes);
    return Uint8Array.from(new Uint32Array(bytes));
  }

  /**
   * WebGPU reads are asynchronous (buffer mapping resolves on the event loop, and neither browsers
   * nor the `webgpu` package can block on it), so only handles with a host copy (small int32/bool
   * tensors written from the host, or moved by transpose/slice/broadcast/concat/cast from one:
   * indices and masks) read synchronously. Anything else says to use `await t.data()`.
   */
  readSync(dataId: DataId): TypedArray {
    const data = unbox(dataId);
    if (data.length === 0) return typedArrayFor(data.dtype, 0);
    if (data.host) return data.host;
    throw new Error(
      'webgpu backend: synchronous reads (dataSync, arraySync, item, toString) are not possible on WebGPU; use `await t.data()` or `await t.array()`',
    );
  }

  free(dataId: DataId): void {
    if (!(dataId instanceof GpuData) || dataId.buffer === null) return;
    this.rt.retire(dataId.buffer);
    this.ledger.remove(dataId, dataId.length * 4);
    dataId.buffer = null;
    dataId.host = null;
  }

  memory(): BackendMemory & { pooledBytes: number; allocatedBytes: number; pipelines: number } {
    return {
      ...this.ledger.memory(),
      pooledBytes: this.rt.pool.pooledBytes,
      allocatedBytes: this.rt.pool.allocatedBytes,
      pipelines: this.rt.pipelineCount,
    };
  }

  /**
   * Every element is a 4-byte word in one buffer, bound whole to a shader: the device's
   * `maxBufferSize` and `maxStorageBufferBindingSize` bound a tensor. Core checks before allocating.
   */
  maxElements(_dtype: DType): number {
    return Math.floor(this.maxBufferBytes / 4);
  }

  private get maxBufferBytes(): number {
    const l = this.device.limits;
    return Math.min(l.maxBufferSize, l.maxStorageBufferBindingSize);
  }

  get limitNote(): string {
    const l = this.device.limits;
    return `4-byte elements; the device's maxBufferSize is ${l.maxBufferSize} bytes and maxStorageBufferBindingSize ${l.maxStorageBufferBindingSize} bytes`;
  }

  supports(dtype: DType): boolean {
    return dtype === 'float32' || dtype === 'int32' || dtype === 'bool';
  }

  async sync(): Promise<void> {
    await this.rt.sync();
  }

  dispose(): void {
    this.ledger.clear((d) => {
      if (d.buffer) this.rt.retire(d.buffer);
      d.buffer = null;
    });
    this.rt.flush();
    this.rt.pool.trim();
    if (this.acquired.owned) this.device.destroy();
  }

  private adopt(data: GpuData): GpuData {
    return this.ledger.add(data, data.length * 4);
  }
}

/** Open a GPU device (browser: `navigator.gpu`; Node: the `webgpu` package) and make a backend on it. */
export async function webgpuBackend(options: WebGpuOptions = {}): Promise<WebGpuBackend> {
  return new WebGpuBackend(await acquireDevice(options));
}
