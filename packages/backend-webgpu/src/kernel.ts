import type {
  DataId,
  DType,
  KernelArgs,
  KernelAttrs,
  KernelName,
  OutputSpec,
  TensorInfo,
} from '@myelin/core';
import { sizeOf } from '@myelin/core';
import { GpuData, type Runtime } from './runtime.js';

/** A WebGPU kernel: encodes dispatches through the runtime and returns one fresh handle per output. */
export type GpuKernel<A> = (rt: Runtime, args: KernelArgs<A>) => GpuData[];
export type GpuKernelTable = { [K in KernelName]?: GpuKernel<KernelAttrs[K]> };

/** WGSL element type of a dtype: bool is stored as u32 (0 or 1). */
export function wgslType(dtype: DType): 'f32' | 'i32' | 'u32' {
  return dtype === 'float32' ? 'f32' : dtype === 'int32' ? 'i32' : 'u32';
}

export function unbox(id: DataId): GpuData {
  if (!(id instanceof GpuData))
    throw new TypeError('webgpu backend: got a handle that this backend did not create');
  if (id.buffer === null) throw new Error('webgpu backend: a handle was used after it was freed');
  return id;
}

export function bufferOf(info: TensorInfo): GPUBuffer {
  return unbox(info.dataId).buffer as GPUBuffer;
}

/**
 * Host copies of small int32/bool tensors: kept for tensors written from the host and carried
 * through pure data movement (transpose, slice, flip, broadcast, concat, cast between int32 and
 * bool), so that the index tensors core bounds-checks synchronously (`dataSync` in gather,
 * indexSelect, scatter) can be read without a GPU readback. Float tensors never get one.
 */
export const HOST_COPY_LIMIT = 1 << 16;

/** The host copy of an input, if it has one. */
export function hostOf(info: TensorInfo): Int32Array | Uint8Array | null {
  return unbox(info.dataId).host;
}

/** A host array for an output that may carry a host copy, or null (float32, or too large). */
export function hostFor(spec: OutputSpec): Int32Array | Uint8Array | null {
  const n = sizeOf(spec.shape);
  if (spec.dtype === 'float32' || n > HOST_COPY_LIMIT) return null;
  return spec.dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
}

/** A fresh output handle for `spec` (4 bytes per element for every dtype). */
export function output(rt: Runtime, spec: OutputSpec): GpuData {
  const n = sizeOf(spec.shape);
  return new GpuData(rt.newBuffer(n * 4), n, spec.dtype);
}

/** Row-major strides. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) s[d] = s[d + 1] * shape[d + 1];
  return s;
}

/** Strides of a contiguous `shape` read as `outShape` (NumPy broadcasting: 0 on broadcast dims). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = strides(shape);
  const out = new Array<number>(outShape.length).fill(0);
  const off = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 ? 0 : own[i];
  return out;
}

/** The i32 bit pattern of an f32 (float params travel in the i32 meta buffer). */
export function f32bits(v: number): number {
  F32[0] = v;
  return I32[0];
}
const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);

/** i32 bit pattern of a scalar stored in a buffer of `dtype`. */
export function bitsOf(v: number, dtype: DType): number {
  return dtype === 'float32' ? f32bits(v) : dtype === 'int32' ? v | 0 : v !== 0 ? 1 : 0;
}

/** Bindings: params at 0, then the given storage arrays; the last `writable` ones are read_write. */
export function header(arrays: readonly [name: string, type: string][], writable = 1): string {
  const lines = ['@group(0) @binding(0) var<storage, read> params: array<i32>;'];
  arrays.forEach(([name, type], i) => {
    const access = i >= arrays.length - writable ? 'read_write' : 'read';
    lines.push(`@group(0) @binding(${i + 1}) var<storage, ${access}> ${name}: array<${type}>;`);
  });
  return lines.join('\n');
}

/** A 1-D shader over params[0] threads; the body sees `i: i32`. */
export function main1d(body: string): string {
  return `@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = i32(gid.x + gid.y * nwg.x * 64u);
  if (i >= params[0]) { return; }
${body}
}`;
}

/**
 * WGSL that splits flat index `idx` over a shape stored at params[shapeAt..shapeAt+rank) into
 * coordinates, accumulating each operand's offset: `name += c * params[strideAt + d]`. Unrolled per
 * rank, so the shader is specialised by rank (part of the pipeline key).
 */
export function unravel(
  idx: string,
  rank: number,
  shapeAt: number,
  operands: readonly [name: string, strideAt: number][],
  coord?: (d: number) => string,
): string {
  const lines = [`var rem_ = ${idx};`];
  for (const [name] of operands) lines.push(`var ${name} = 0;`);
  for (let d = rank - 1; d >= 0; d--) {
    lines.push(`let c${d} = rem_ % params[${shapeAt + d}]; rem_ = rem_ / params[${shapeAt + d}];`);
    for (const [name, at] of operands) lines.push(`${name} += c${d} * params[${at + d}];`);
    if (coord) lines.push(coord(d));
  }
  return lines.join('\n  ');
}

/** [outer, axis, inner] sizes of `shape` around `axis`. */
export function around(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return [outer, shape[axis] ?? 1, inner];
}

export function meta(words: readonly number[]): Int32Array {
  return Int32Array.from(words, (v) => v | 0);
}
