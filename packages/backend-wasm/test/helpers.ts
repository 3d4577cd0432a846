import { cpuBackend } from '@myelin/backend-cpu';
import type { Backend, DType, KernelAttrs, KernelName, Shape, TypedArray } from '@myelin/core';
import { sizeOf } from '@myelin/core';
import { expect } from 'vitest';

export const cpu = cpuBackend();

export interface HostTensor {
  values: TypedArray;
  shape: Shape;
  dtype: DType;
}

/** Deterministic pseudo-random floats in [-1, 1) (a small LCG: tests must not depend on Math.random). */
export function randomFloats(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export function f32(shape: Shape, seed = 1): HostTensor {
  return { values: randomFloats(sizeOf(shape), seed), shape, dtype: 'float32' };
}

/** Run one kernel on `backend`: write inputs, run, read outputs, free everything. */
export function run<K extends KernelName>(
  backend: Backend,
  name: K,
  inputs: HostTensor[],
  attrs: KernelAttrs[K],
  outputs: { shape: Shape; dtype?: DType }[],
): TypedArray[] {
  const infos = inputs.map((t) => ({
    dataId: backend.write(t.values, t.dtype),
    shape: t.shape,
    dtype: t.dtype,
  }));
  const kernel = backend.kernels[name];
  if (!kernel) throw new Error(`no kernel ${name} on ${backend.name}`);
  const specs = outputs.map((o) => ({ shape: o.shape, dtype: o.dtype ?? 'float32' }));
  const ids = kernel({ inputs: infos, attrs, outputs: specs });
  const results = ids.map((id) => backend.readSync(id).slice());
  for (const id of ids) backend.free(id);
  for (const info of infos) backend.free(info.dataId);
  return results;
}

/** |got - want| ≤ atol + rtol·|want| everywhere, naming the first bad element. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol = 1e-4, atol = 1e-4): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) {
      throw new Error(`element ${i}: got ${g}, want ${w} (length ${want.length})`);
    }
  }
}
