import type { Shape } from '@myelin/core';
import { sizeOf } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { expectClose, f32, i32, indices, offsetOf, randoms, run1 } from './helpers.js';

/** Naive triple loop over broadcast batches, reading stored (possibly transposed) operands. */
function matmulRef(
  a: ArrayLike<number>,
  as: Shape,
  b: ArrayLike<number>,
  bs: Shape,
  ta: boolean,
  tb: boolean,
  out: Shape,
): number[] {
  const r = out.length;
  const [m, n] = [out[r - 2]!, out[r - 1]!];
  const k = ta ? as[as.length - 2]! : as[as.length - 1]!;
  const res: number[] = [];
  for (const idx of indices(out)) {
    const [i, j] = [idx[r - 2]!, idx[r - 1]!];
    const batch = idx.slice(0, r - 2);
    const pick = (shape: Shape, row: number, col: number) =>
      offsetOf(shape, [
        ...shape.slice(0, -2).map((d, q) => (d === 1 ? 0 : batch[batch.length - (shape.length - 2) + q]!)),
        row,
        col,
      ]);
    let s = 0;
    for (let p = 0; p < k; p++) {
      const av = a[ta ? pick(as, p, i) : pick(as, i, p)]!;
      const bv = b[tb ? pick(bs, j, p) : pick(bs, p, j)]!;
      s += av * bv;
    }
    res.push(s);
  }
  void m;
  void n;
  return res;
}

function check(as: Shape, bs: Shape, out: Shape, ta = false, tb = false, seed = 1) {
  const a = randoms(sizeOf(as), seed);
  const b = randoms(sizeOf(bs), seed + 1);
  const got = run1('MatMul', [f32(a, as), f32(b, bs)], { transposeA: ta, transposeB: tb }, out);
  const k = ta ? as[as.length - 2]! : as[as.length - 1]!;
  // Both sides sum in float64; the difference is float32 rounding of the output plus input order.
  expectClose(got, matmulRef(a, as, b, bs, ta, tb, out), { rtol: 1e-5, atol: 1e-6 * Math.sqrt(k) });
}

describe('MatMul', () => {
  // Sizes straddle the direct path, the packed GEMM, its 3×3 edge blocks and its k, m and n blocks.
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [7, 13, 5],
    [3, 17, 64],
    [65, 129, 67],
    [130, 9, 700],
    [33, 1, 40],
    [1, 77, 50],
    [5, 1100, 40],
  ];
  for (const [m, k, n] of sizes) {
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      it(`[${m}×${k}]·[${k}×${n}] transposeA=${ta} transposeB=${tb} matches a naive triple loop`, () => {
        check(ta ? [k, m] : [m, k], tb ? [n, k] : [k, n], [m, n], ta, tb, m + k + n);
      });
    }
  }

  it('broadcasts batch dims ([2,1,…] · [3,…] → [2,3,…])', () => {
    check([2, 1, 9, 6], [3, 6, 11], [2, 3, 9, 11]);
    check([2, 1, 6, 9], [3, 11, 6], [2, 3, 9, 11], true, true);
  });

  it('folds a batch of a into rows when b has no batch', () => {
    check([4, 20, 33], [33, 18], [4, 20, 18]);
    check([4, 20, 33], [1, 18, 33], [4, 20, 18], false, true);
  });

  it('handles k = 0 (zeros) and empty batches', () => {
    expect([
      ...run1('MatMul', [f32([], [2, 0]), f32([], [0, 3])], { transposeA: false, transposeB: false }, [2, 3]),
    ]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(
      run1(
        'MatMul',
        [f32([], [0, 2, 2]), f32([1, 2, 3, 4], [2, 2])],
        { transposeA: false, transposeB: false },
        [0, 2, 2],
      ).length,
    ).toBe(0);
  });

  it('propagates NaN and Infinity like a dot product', () => {
    const a = f32([Number.NaN, 1, 0, 1], [2, 2]);
    const b = f32([1, 0, 0, Infinity], [2, 2]);
    expect([...run1('MatMul', [a, b], { transposeA: false, transposeB: false }, [2, 2])]).toEqual([
      Number.NaN,
      Number.NaN,
      0,
      Infinity,
    ]);
  });

  it('works on int32 operands with a float32-exact result', () => {
    const out = run1(
      'MatMul',
      [i32([1, 2, 3, 4], [2, 2]), i32([5, 6, 7, 8], [2, 2])],
      { transposeA: false, transposeB: false },
      [2, 2],
      'int32',
    );
    expect([...out]).toEqual([19, 22, 43, 50]);
  });
});
