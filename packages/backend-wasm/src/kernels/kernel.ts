import type {
  DataId,
  DType,
  KernelArgs,
  KernelAttrs,
  KernelName,
  TensorInfo,
  TypedArray,
} from '@myelin/core';
import { sizeOf } from '@myelin/core';
import { HOST_KERNELS, type HostKernel } from '@myelin/core/kit';
import { type Runtime, WasmData } from '../runtime.js';

/**
 * A wasm kernel: given the runtime and core's kernel args, returns one fresh handle per output.
 * Kernels allocate their outputs first and only then take typed-array views, since an allocation
 * may grow the memory and detach earlier views.
 */
export type WasmKernel<A> = (rt: Runtime, args: KernelArgs<A>) => WasmData[];

export type WasmKernelTable = { [K in KernelName]?: WasmKernel<KernelAttrs[K]> };

/** The storage behind a kernel input. Throws on a handle that was freed or made by another backend. */
export function dataOf(info: TensorInfo | DataId): WasmData {
  const id = 'dataId' in info ? (info as TensorInfo).dataId : info;
  if (!(id instanceof WasmData))
    throw new TypeError('wasm backend: got a handle that this backend did not create');
  if (id.freed) throw new Error('wasm backend: a handle was used after it was freed');
  return id;
}

/** Dtype codes shared with the wasm `cast` kernel. */
export const DTYPE_CODE: Record<DType, number> = { float32: 0, int32: 1, bool: 2 };

/** Views of the inputs and outputs of a kernel written in TypeScript over the wasm memory. */
export function views(rt: Runtime, data: readonly WasmData[]): TypedArray[] {
  return data.map((d) => rt.view(d));
}

/**
 * A host reference kernel from core's kit as a wasm kernel, over views of the wasm memory: every
 * output is allocated before any view is taken (an allocation may grow the memory and detach
 * earlier views).
 */
function fromHost<A>(kernel: HostKernel<A>): WasmKernel<A> {
  return (rt, { inputs, attrs, outputs }) => {
    const outs = outputs.map((spec) => rt.allocate(sizeOf(spec.shape), spec.dtype));
    kernel({
      values: inputs.map((info) => rt.view(dataOf(info))),
      shapes: inputs.map((info) => info.shape),
      attrs,
      outputs: views(rt, outs),
      specs: outputs,
    });
    return outs;
  };
}

/**
 * Index-driven kernels (gather/scatter family), ordering (sort, top-k), scans and data movement
 * (transpose, slice, concat, pad, tile, flip): core's reference kernels, shared with the CPU
 * backend, in TypeScript over views of the wasm memory (they are data-dependent or move bytes, and
 * typed-array `set`/`fill` are memcpy/memset).
 */
export const hostKernels: WasmKernelTable = Object.fromEntries(
  Object.entries(HOST_KERNELS).map(([name, kernel]) => [name, fromHost(kernel as HostKernel<unknown>)]),
);
