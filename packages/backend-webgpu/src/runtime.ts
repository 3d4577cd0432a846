import type { DType } from '@myelin/core';
import { BufferPool } from './pool.js';

/** A handle: a pooled GPU buffer holding `length` elements (bool stored as u32). */
export class GpuData {
  /** Host copy of small int32/bool tensors written from the host, for core's sync index checks. */
  host: Int32Array | Uint8Array | null = null;
  constructor(
    public buffer: GPUBuffer | null,
    readonly length: number,
    readonly dtype: DType,
  ) {}
}

/** Usage of tensor storage: read and written by shaders, copied in and out. */
export const STORAGE_USAGE = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08; /* COPY_DST */
const READBACK_USAGE = 0x01 /* MAP_READ */ | 0x08; /* COPY_DST */
const MAP_READ = 0x1;

/** Dispatches encoded before a batch is submitted. */
const BATCH_LIMIT = 64;
const WORKGROUP = 64;
const MAX_GROUPS = 65535;

/**
 * The device side of the backend: pooled buffers, a pipeline cache keyed by WGSL source (the
 * source already encodes the shader's specialisation: op, dtypes and rank), and one command encoder
 * that collects dispatches until a read, a full batch, or `flush()`.
 */
export class Runtime {
  readonly pool: BufferPool;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private encoder: GPUCommandEncoder | null = null;
  private pending = 0;
  /** Buffers freed while commands that may use them are still unsubmitted. */
  private retired: GPUBuffer[] = [];
  lost: string | null = null;
  /** The first validation/internal error the device reported; reads fail with it. */
  error: string | null = null;
  dispatches = 0;
  submits = 0;

  constructor(readonly device: GPUDevice) {
    this.pool = new BufferPool(device);
    device.lost.then((info) => {
      this.lost = `${info.reason}: ${info.message}`;
    });
    // A kernel that fails validation would otherwise only print a warning and return garbage.
    device.addEventListener('uncapturederror', (e) => {
      this.error ??= (e as GPUUncapturedErrorEvent).error.message;
    });
  }

  check(): void {
    if (this.lost !== null) throw new Error(`webgpu backend: the GPU device was lost (${this.lost})`);
    if (this.error !== null) {
      const message = this.error;
      this.error = null;
      throw new Error(`webgpu backend: a kernel failed on the device: ${message}`);
    }
  }

  pipeline(source: string): GPUComputePipeline {
    let p = this.pipelines.get(source);
    if (!p) {
      const module = this.device.createShaderModule({ code: source });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      this.pipelines.set(source, p);
    }
    return p;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  newBuffer(bytes: number): GPUBuffer {
    this.check();
    return this.pool.acquire(Math.max(bytes, 4), STORAGE_USAGE);
  }

  /** Return a buffer to the pool once the commands encoded so far have been submitted. */
  retire(buf: GPUBuffer): void {
    this.retired.push(buf);
  }

  /**
   * Encode one dispatch. `meta` (i32 words: sizes, strides, float params as bits) is bound at 0,
   * then `buffers` in order. `groups` is [x, y, z] workgroups or a thread count for 1-D shaders
   * with `WORKGROUP` threads (split over x and y when above the per-dimension limit).
   */
  dispatch(
    source: string,
    meta: Int32Array,
    buffers: GPUBuffer[],
    groups: number | [number, number, number],
  ): void {
    this.check();
    let g: [number, number, number];
    if (typeof groups === 'number') {
      const n = Math.ceil(groups / WORKGROUP);
      if (n === 0) return;
      const x = Math.min(n, MAX_GROUPS);
      g = [x, Math.ceil(n / x), 1];
    } else g = groups;
    if (g[0] === 0 || g[1] === 0 || g[2] === 0) return;
    if (g[0] > MAX_GROUPS || g[1] > MAX_GROUPS || g[2] > MAX_GROUPS) {
      // e.g. a batched matmul over more than 65,535 matrices (the grid's z walks the batch).
      throw new RangeError(
        `webgpu backend: a kernel needs a grid of ${g.join('×')} workgroups, over WebGPU's limit of ${MAX_GROUPS} per dimension`,
      );
    }
    const metaBuf = this.pool.acquire(Math.max(meta.byteLength, 16), STORAGE_USAGE);
    this.device.queue.writeBuffer(metaBuf, 0, meta.buffer, meta.byteOffset, meta.byteLength);
    const pipeline = this.pipeline(source);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: metaBuf } }];
    for (let i = 0; i < buffers.length; i++)
      entries.push({ binding: i + 1, resource: { buffer: buffers[i] } });
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    const pass = this.encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(g[0], g[1], g[2]);
    pass.end();
    this.retired.push(metaBuf);
    this.dispatches++;
    if (++this.pending >= BATCH_LIMIT) this.flush();
  }

  /** Encode a buffer-to-buffer copy in order with the dispatches. */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number): void {
    if (bytes === 0) return;
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(src, 0, dst, 0, Math.ceil(bytes / 4) * 4);
    this.pending++;
  }

  /** Submit what has been encoded; retired buffers go back to the pool after it. */
  flush(): void {
    if (this.encoder) {
      this.device.queue.submit([this.encoder.finish()]);
      this.submits++;
      this.encoder = null;
      this.pending = 0;
    }
    for (const b of this.retired) this.pool.release(b);
    this.retired = [];
  }

  /** Copy `bytes` of `src` to a mappable buffer and read them back (the sync point). */
  async readBytes(src: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    this.check();
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const staging = this.pool.acquire(size, READBACK_USAGE);
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(src, 0, staging, 0, size);
    this.flush();
    await staging.mapAsync(MAP_READ, 0, size);
    this.check();
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    this.pool.release(staging);
    return out;
  }

  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
  }
}
