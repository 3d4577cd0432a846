import { readFileSync } from 'node:fs';
import { Parameter, type Tensor, tensor } from '@myelin/core';
import { expect } from 'vitest';

/** A tensor as the generator writes it: shape and flat float32 values. */
export interface EncTensor {
  shape: number[];
  data: (number | string)[];
}

export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

export function num(v: number | string): number {
  return typeof v === 'number' ? v : Number(v);
}

export function values(e: EncTensor): Float32Array {
  return Float32Array.from(e.data, num);
}

export function fromEnc(e: EncTensor): Tensor {
  return tensor(values(e), { shape: e.shape });
}

/** A Parameter initialised from `init`, which is then released (the Parameter holds the storage). */
export function paramOf(init: Tensor): Parameter {
  const p = new Parameter(init);
  init.dispose();
  return p;
}

export function paramFrom(e: EncTensor): Parameter {
  return paramOf(fromEnc(e));
}

/**
 * Elementwise |actual − expected| <= atol + rtol·|expected|, reporting the worst element.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  label: string,
  rtol = 1e-5,
  atol = 1e-6,
): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`,
    );
  }
}
