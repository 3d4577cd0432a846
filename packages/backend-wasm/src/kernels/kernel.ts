import type {
  DataId,
  DType,
  KernelArgs,
  KernelAttrs,
  KernelName,
  TensorInfo,
  TypedArray,
} from '@myelin/core';
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
