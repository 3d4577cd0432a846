import type { DType, KernelAttrs, KernelName, Shape, TypedArray } from '@myelin/core';
import { sizeOf, stridesOf, toTypedArray } from '@myelin/core';
import { expect } from 'vitest';
import { cpuBackend } from '../src/index.js';

export const cpu = cpuBackend();

/** A host-side tensor for tests: values (numbers, or booleans for bool), shape and dtype. */
export interface HostTensor {
  values: ArrayLike<number | boolean>;
  shape: Shape;
  dtype?: DType;
}

export function f32(values: ArrayLike<number>, shape: Shape = [values.length]): HostTensor {
  return { values, shape, dtype: 'float32' };
}

export function i32(values: ArrayLike<number>, shape: Shape = [values.length]): HostTensor {
  return { values, shape, dtype: 'int32' };
}

export function bool(values: ArrayLike<number | boolean>, shape: Shape = [values.length]): HostTensor {
  return { values, shape, dtype: 'bool' };
}

/**
 * Run one kernel straight through the backend: write the inputs, call the kernel with the given
 * output specs, read the outputs back and free every handle.
 */
export function run<K extends KernelName>(
  name: K,
  inputs: HostTensor[],
  attrs: KernelAttrs[K],
  outputs: { shape: Shape; dtype?: DType }[],
): TypedArray[] {
  const infos = inputs.map((t) => {
    const dtype = t.dtype ?? 'float32';
    return { dataId: cpu.write(toTypedArray(t.values, dtype), dtype), shape: t.shape, dtype };
  });
  const kernel = cpu.kernels[name];
  if (!kernel) throw new Error(`no kernel ${name}`);
  const specs = outputs.map((o) => ({ shape: o.shape, dtype: o.dtype ?? 'float32' }));
  const ids = kernel({ inputs: infos, attrs, outputs: specs });
  const results = ids.map((id) => cpu.readSync(id).slice());
  for (const id of ids) cpu.free(id);
  for (const info of infos) cpu.free(info.dataId);
  return results;
}

/** `run` for the common single-output case. */
export function run1<K extends KernelName>(
  name: K,
  inputs: HostTensor[],
  attrs: KernelAttrs[K],
  shape: Shape,
  dtype: DType = 'float32',
): TypedArray {
  return run(name, inputs, attrs, [{ shape, dtype }])[0]!;
}

/** Deterministic uniform values in [lo, hi) (mulberry32). */
export function randoms(count: number, seed = 1, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/** Expect every element within atol + rtol·|expected| (NaN must match NaN). */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rtol = 1e-5, atol = 1e-6 }: { rtol?: number; atol?: number } = {},
): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e)) {
      if (!Number.isNaN(a)) expect.fail(`element ${i}: got ${a}, expected NaN`);
      continue;
    }
    if (a === e) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) expect.fail(`element ${i}: got ${a}, expected ${e}`);
  }
}

/** Multi-index → flat offset for a row-major shape. */
export function offsetOf(shape: Shape, index: readonly number[]): number {
  const strides = stridesOf(shape);
  let off = 0;
  for (let d = 0; d < shape.length; d++) off += index[d]! * strides[d]!;
  return off;
}

/** Every multi-index of `shape` in row-major order. */
export function* indices(shape: Shape): Generator<number[]> {
  const n = sizeOf(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    yield [...idx];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

/** Float32 rounding of a list of doubles, for exact comparisons with float32 outputs. */
export function fround(values: ArrayLike<number>): number[] {
  return Array.from(values, (v) => Math.fround(v));
}
