import type { DType, TypedArray } from '@myelin/core';
import { Allocator } from './allocator.js';
import {
  MAX_PAGES,
  SINGLE_RELAXED_WASM,
  SINGLE_WASM,
  THREADED_RELAXED_WASM,
  THREADED_WASM,
} from './generated/wasm.js';
import { CONTROL_BYTES, JOBS, type JobName, ThreadPool } from './threads.js';

/** The kernels' exports (see assembly/index.ts). Addresses are byte offsets into the memory. */
export interface KernelExports {
  heapBase(): number;
  gemm(...args: number[]): void;
  gemmScratchBytes(): number;
  convScratchBytes(args: number): number;
  winogradScratchBytes(args: number): number;
  winogradFilter(w: number, o: number, c: number, u: number, flip: number): void;
  winogradFilterGrad(du: number, o: number, c: number, dw: number): void;
  unaryF32(op: number, x: number, o: number, n: number, p: number, q: number): void;
  unaryI32(op: number, x: number, o: number, n: number): void;
  predicate(op: number, x: number, o: number, n: number): void;
  binary(kind: number, op: number, o: number, a: number, b: number, dims: number, nd: number): void;
  where(bytes: number, o: number, c: number, a: number, b: number, dims: number, nd: number): void;
  cast(from: number, to: number, x: number, o: number, n: number): void;
  addInto(dst: number, src: number, n: number): void;
  reduceF32(op: number, x: number, acc: number, dims: number, nd: number): void;
  f64ToF32(src: number, dst: number, n: number): void;
  layerNormRows(x: number, o: number, rows: number, size: number, eps: number): void;
  softmaxRows(x: number, o: number, rows: number, len: number, log: number): void;
  softmaxAlong(
    x: number,
    o: number,
    outer: number,
    len: number,
    inner: number,
    log: number,
    scratch: number,
  ): void;
  [job: string]: unknown;
}

/** A handle to one tensor's storage inside the wasm memory. */
export class WasmData {
  constructor(
    /** Byte address (0 for an empty tensor). */
    public ptr: number,
    /** Allocated block size in bytes (its size class; 0 for an empty tensor). */
    public size: number,
    readonly length: number,
    readonly dtype: DType,
  ) {}
  freed = false;
}

const BYTES: Record<DType, number> = { float32: 4, int32: 4, bool: 1 };

function decode(base64: string): Uint8Array {
  const g = globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } };
  if (g.Buffer) return g.Buffer.from(base64, 'base64');
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * The smallest module using `f32x4.relaxed_madd`: (func (param v128 v128 v128) (result v128)
 * local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd). It validates where the engine has
 * relaxed SIMD (Chromium 114+, Node 22+; Node 20 only with --experimental-wasm-relaxed-simd).
 */
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00, 0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02,
  0x0b,
]);

/** Whether this engine runs relaxed-SIMD modules (fused multiply-adds in the GEMM). */
export function relaxedSimdAvailable(): boolean {
  try {
    return WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}

const modules = new Map<string, Promise<WebAssembly.Module>>();

function compiled(threaded: boolean, relaxed: boolean): Promise<WebAssembly.Module> {
  const key = `${threaded ? 'threaded' : 'single'}${relaxed ? '-relaxed' : ''}`;
  let m = modules.get(key);
  if (!m) {
    const base64 = threaded
      ? relaxed
        ? THREADED_RELAXED_WASM
        : THREADED_WASM
      : relaxed
        ? SINGLE_RELAXED_WASM
        : SINGLE_WASM;
    m = WebAssembly.compile(decode(base64) as BufferSource);
    modules.set(key, m);
  }
  return m;
}

/** Largest memory of the single-threaded build: the wasm32 limit of 4 GiB. */
const SINGLE_MAX_PAGES = 65536;

/**
 * One instance of the kernels: the memory, its allocator, typed-array views (re-created after the
 * memory grows), a scratch area, an args block for calls, and the thread pool (or none).
 */
export class Runtime {
  readonly alloc: Allocator;
  /** Threads a job may use (1 without a pool). */
  readonly threads: number;
  /** Whether this is the relaxed-SIMD build (fused multiply-adds). */
  readonly relaxed: boolean;
  private buffer: ArrayBufferLike;
  private viewGeneration = -1;
  private f32View!: Float32Array;
  private i32View!: Int32Array;
  private u8View!: Uint8Array;
  private f64View!: Float64Array;
  /** A block for kernel args and merged dims (1 KiB). */
  readonly args: number;
  private scratchPtr = 0;
  private scratchSize = 0;

  private constructor(
    readonly exports: KernelExports,
    readonly memory: WebAssembly.Memory,
    readonly pool: ThreadPool | null,
    alloc: Allocator,
    args: number,
    relaxed: boolean,
  ) {
    this.alloc = alloc;
    this.args = args;
    this.threads = pool ? pool.size : 1;
    this.relaxed = relaxed;
    this.buffer = memory.buffer;
    this.refresh();
  }

  /**
   * Instantiate the kernels; `threads` > 1 starts `threads - 1` workers over shared memory;
   * `relaxed` takes the relaxed-SIMD build (the caller checks `relaxedSimdAvailable`).
   */
  static async create(threads: number, relaxed = false): Promise<Runtime> {
    const threaded = threads > 1;
    const module = await compiled(threaded, relaxed);
    const memory = threaded
      ? new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared: true })
      : new WebAssembly.Memory({ initial: 64 });
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const exports = instance.exports as unknown as KernelExports;
    const alloc = new Allocator(memory, exports.heapBase(), threaded ? MAX_PAGES : SINGLE_MAX_PAGES);
    const [ctrl] = alloc.alloc(CONTROL_BYTES);
    const [args] = alloc.alloc(1024);
    let pool: ThreadPool | null = null;
    if (threaded) {
      const fns = JOBS.map((name) => exports[name] as (a: number, t: number, n: number) => void);
      pool = await ThreadPool.create(module, memory, ctrl, threads - 1, (job, a, nt) => fns[job]!(a, 0, nt));
    }
    return new Runtime(exports, memory, pool, alloc, args, relaxed);
  }

  /** Re-create the views if the memory grew. */
  refresh(): void {
    if (this.viewGeneration === this.alloc.generation && this.buffer === this.memory.buffer) return;
    this.buffer = this.memory.buffer;
    this.viewGeneration = this.alloc.generation;
    this.f32View = new Float32Array(this.buffer);
    this.i32View = new Int32Array(this.buffer);
    this.u8View = new Uint8Array(this.buffer);
    this.f64View = new Float64Array(this.buffer);
  }

  get f32(): Float32Array {
    this.refresh();
    return this.f32View;
  }
  get i32(): Int32Array {
    this.refresh();
    return this.i32View;
  }
  get u8(): Uint8Array {
    this.refresh();
    return this.u8View;
  }
  get f64(): Float64Array {
    this.refresh();
    return this.f64View;
  }

  /** New storage for `length` elements of `dtype` (contents undefined). */
  allocate(length: number, dtype: DType): WasmData {
    if (length === 0) return new WasmData(0, 0, 0, dtype);
    const [ptr, size] = this.alloc.alloc(length * BYTES[dtype]);
    return new WasmData(ptr, size, length, dtype);
  }

  release(data: WasmData): void {
    if (data.freed) return;
    data.freed = true;
    if (data.size > 0) this.alloc.free(data.ptr, data.size);
  }

  /** A typed-array view of a handle's elements. Valid until the next allocation. */
  view(data: WasmData): TypedArray {
    const { ptr, length } = data;
    switch (data.dtype) {
      case 'float32':
        return this.f32.subarray(ptr >> 2, (ptr >> 2) + length);
      case 'int32':
        return this.i32.subarray(ptr >> 2, (ptr >> 2) + length);
      default:
        return this.u8.subarray(ptr, ptr + length);
    }
  }

  /**
   * A scratch block of at least `bytes` bytes, valid until the next call to `scratch`. It only
   * grows (to the largest request seen), so a repeated workload stops allocating.
   */
  scratch(bytes: number): number {
    if (bytes > this.scratchSize) {
      if (this.scratchSize > 0) this.alloc.free(this.scratchPtr, this.scratchSize);
      [this.scratchPtr, this.scratchSize] = this.alloc.alloc(bytes);
    }
    return this.scratchPtr;
  }

  /** Write i32 fields into the args block (at byte offset `at`) and return its address. */
  setArgs(fields: readonly number[], at = 0): number {
    const i32 = this.i32;
    const base = (this.args + at) >> 2;
    for (let i = 0; i < fields.length; i++) i32[base + i] = fields[i]!;
    return this.args + at;
  }

  /** Write f64 fields into the args block at byte offset `at` (8-aligned). */
  setArgsF64(fields: readonly number[], at: number): void {
    const f64 = this.f64;
    const base = (this.args + at) >> 3;
    for (let i = 0; i < fields.length; i++) f64[base + i] = fields[i]!;
  }

  /** Run a thread job over `nt` threads (1: on this thread, without touching the pool). */
  job(name: JobName, args: number, nt: number): void {
    const n = Math.max(1, Math.min(nt, this.threads));
    if (n === 1 || this.pool === null) {
      (this.exports[name] as (a: number, t: number, n: number) => void)(args, 0, 1);
      return;
    }
    this.pool.run(JOBS.indexOf(name), args, n);
  }

  dispose(): void {
    this.pool?.dispose();
  }
}
