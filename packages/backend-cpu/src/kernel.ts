import type {
  DataId,
  KernelArgs,
  KernelAttrs,
  KernelName,
  OutputSpec,
  Shape,
  TensorInfo,
  TypedArray,
} from '@myelin/core';
import { sizeOf, typedArrayFor } from '@myelin/core';
import { HOST_KERNELS, type HostKernel } from '@myelin/core/kit';

/**
 * What a CPU handle is: a box around the typed array that holds the elements. `free` empties the
 * box so the array can be collected even if core (or a user) still holds the handle object.
 */
export class CpuData {
  constructor(public values: TypedArray | null) {}
}

/**
 * A CPU kernel computes fresh typed arrays, one per output spec; the backend wraps them into handles
 * (and counts their memory), so kernels never touch storage bookkeeping.
 */
export type CpuKernel<A> = (args: KernelArgs<A>) => TypedArray[];

/** The elements behind a handle. Throws on a handle that was freed or made by another backend. */
export function unbox(id: DataId): TypedArray {
  if (!(id instanceof CpuData))
    throw new TypeError('cpu backend: got a handle that this backend did not create');
  if (id.values === null) throw new Error('cpu backend: a handle was used after it was freed');
  return id.values;
}

/** The elements behind a kernel input. */
export function valuesOf(info: TensorInfo): TypedArray {
  return unbox(info.dataId);
}

/** A zero-filled array for an output spec. */
export function allocate(spec: OutputSpec): TypedArray {
  return typedArrayFor(spec.dtype, sizeOf(spec.shape));
}

/** A backend's kernel table in CPU form: each kernel returns typed arrays instead of handles. */
export type CpuKernelTable = { [K in KernelName]?: CpuKernel<KernelAttrs[K]> };

/** A host reference kernel from core's kit as a CPU kernel: it fills freshly allocated outputs. */
function fromHost<A>(kernel: HostKernel<A>): CpuKernel<A> {
  return ({ inputs, attrs, outputs }) => {
    const values: TypedArray[] = new Array(inputs.length);
    const shapes: Shape[] = new Array(inputs.length);
    for (let i = 0; i < inputs.length; i++) {
      values[i] = valuesOf(inputs[i]);
      shapes[i] = inputs[i].shape;
    }
    const arrays: TypedArray[] = new Array(outputs.length);
    for (let i = 0; i < outputs.length; i++) arrays[i] = allocate(outputs[i]);
    kernel({ values, shapes, attrs, outputs: arrays, specs: outputs });
    return arrays;
  };
}

/**
 * Index-driven kernels (gather/scatter family), ordering (sort, top-k), scans and data movement
 * (transpose, slice, concat, pad, tile, flip): core's reference kernels, shared with the wasm backend.
 */
export const hostKernels: CpuKernelTable = Object.fromEntries(
  Object.entries(HOST_KERNELS).map(([name, kernel]) => [name, fromHost(kernel as HostKernel<unknown>)]),
);
