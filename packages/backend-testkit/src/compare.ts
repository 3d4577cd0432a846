import type { DType } from '@myelin/core';
import type { FixtureTensor, Tolerance } from './fixtures.js';

/** Default tolerances (keep in sync with tools/fixtures_common.py). */
export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-5, atol: 1e-5, gradRtol: 1e-4, gradAtol: 1e-4 };

/** What was computed: shape, dtype and the values read back from the backend. */
export interface Observed {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly data: ArrayLike<number>;
}

/**
 * Whether `got` matches `expected`: exact for int32/bool; for float32
 * |got − expected| ≤ atol + rtol·|expected|, NaN equals NaN and infinities must match exactly.
 */
export function closeEnough(
  got: number,
  expected: number,
  dtype: DType,
  rtol: number,
  atol: number,
): boolean {
  if (dtype !== 'float32') return got === expected;
  if (Number.isNaN(expected) || Number.isNaN(got)) return Number.isNaN(expected) && Number.isNaN(got);
  if (!Number.isFinite(expected) || !Number.isFinite(got)) return got === expected;
  return Math.abs(got - expected) <= atol + rtol * Math.abs(expected);
}

function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Multi-index of flat position `i` in a row-major tensor of `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    idx[d] = i % n;
    i = Math.floor(i / n);
  }
  return idx;
}

function fmtValue(v: number, dtype: DType): string {
  if (dtype === 'bool') return v ? 'true' : 'false';
  return Object.is(v, -0) ? '-0' : String(v);
}

/**
 * Compare one tensor with its expected value. Returns null when it matches, or a message that names
 * `label` (case name and which output/gradient), the first bad element (flat index and multi-index),
 * got vs expected, and how many elements are off.
 */
export function compareTensor(
  label: string,
  got: Observed,
  expected: FixtureTensor,
  tol: { rtol: number; atol: number },
): string | null {
  if (got.shape.length !== expected.shape.length || got.shape.some((d, i) => d !== expected.shape[i])) {
    return `${label}: shape ${fmtShape(got.shape)}, expected ${fmtShape(expected.shape)}`;
  }
  if (got.dtype !== expected.dtype) return `${label}: dtype ${got.dtype}, expected ${expected.dtype}`;
  if (got.data.length !== expected.data.length) {
    return `${label}: ${got.data.length} values read back, expected ${expected.data.length}`;
  }
  let first = -1;
  let bad = 0;
  for (let i = 0; i < expected.data.length; i++) {
    if (!closeEnough(got.data[i]!, expected.data[i]!, expected.dtype, tol.rtol, tol.atol)) {
      if (first < 0) first = i;
      bad++;
    }
  }
  if (first < 0) return null;
  const g = got.data[first]!;
  const e = expected.data[first]!;
  const where = expected.shape.length > 1 ? ` ${fmtShape(unravel(first, expected.shape))}` : '';
  const diff =
    expected.dtype === 'float32' && Number.isFinite(g - e)
      ? ` (|diff| ${Math.abs(g - e).toPrecision(3)}, tol ${(tol.atol + tol.rtol * Math.abs(e)).toPrecision(3)})`
      : '';
  const more = bad > 1 ? `; ${bad} of ${expected.data.length} elements differ` : '';
  return `${label}: element ${first}${where}: got ${fmtValue(g, expected.dtype)}, expected ${fmtValue(e, expected.dtype)}${diff}${more}`;
}

/** Throw an Error with `compareTensor`'s message when the tensors differ. */
export function assertTensorClose(
  label: string,
  got: Observed,
  expected: FixtureTensor,
  tol: { rtol: number; atol: number },
): void {
  const msg = compareTensor(label, got, expected, tol);
  if (msg) throw new Error(msg);
}
