import { describe, expect, it } from 'vitest';
import { f32, i32, randoms, run, run1 } from './helpers.js';

const NAN = Number.NaN;

describe('Gather / IndexSelect', () => {
  it('Gather follows torch.gather along each axis (index may be smaller than x)', () => {
    const x = i32([1, 2, 3, 4, 5, 6], [2, 3]);
    expect([...run1('Gather', [x, i32([2, 0, 1, 1], [2, 2])], { axis: 1 }, [2, 2], 'int32')]).toEqual([
      3, 1, 5, 5,
    ]);
    expect([...run1('Gather', [x, i32([1, 0, 1], [1, 3])], { axis: 0 }, [1, 3], 'int32')]).toEqual([4, 2, 6]);
  });

  it('IndexSelect picks whole slices, repeats allowed', () => {
    const x = f32([1, 2, 3, 4, 5, 6], [3, 2]);
    expect([...run1('IndexSelect', [x, i32([2, 0, 2])], { axis: 0 }, [3, 2])]).toEqual([5, 6, 1, 2, 5, 6]);
    expect([...run1('IndexSelect', [x, i32([1])], { axis: 1 }, [3, 1])]).toEqual([2, 4, 6]);
  });

  it('out-of-range indices throw a RangeError naming the op', () => {
    const x = f32([1, 2, 3]);
    expect(() => run1('Gather', [x, i32([3])], { axis: 0 }, [1])).toThrow(/gather: index 3 is out of bounds/);
    expect(() => run1('IndexSelect', [x, i32([-1])], { axis: 0 }, [1])).toThrow(RangeError);
  });
});

describe('Scatter / ScatterAdd', () => {
  it('Scatter writes src at index along the axis (index and src smaller than x)', () => {
    const x = f32([0, 0, 0, 0, 0, 0, 0, 0, 0], [3, 3]);
    const index = i32([2, 0, 1, 1], [2, 2]);
    const src = f32([1, 2, 3, 4, 5, 6], [2, 3]);
    // row i, column j < 2: out[index[i][j]][j] = src[i][j]
    expect([...run1('Scatter', [x, index, src], { axis: 0 }, [3, 3])]).toEqual([0, 2, 0, 4, 5, 0, 1, 0, 0]);
    expect([...run1('Scatter', [x, index, src], { axis: 1 }, [3, 3])]).toEqual([2, 0, 1, 0, 5, 0, 0, 0, 0]);
  });

  it('ScatterAdd accumulates duplicates, wrapping for int32', () => {
    const x = i32([10, 20, 30]);
    expect([
      ...run1('ScatterAdd', [x, i32([0, 2, 0, 0]), i32([1, 2, 3, 4])], { axis: 0 }, [3], 'int32'),
    ]).toEqual([18, 20, 32]);
    const max = 2 ** 31 - 1;
    expect([...run1('ScatterAdd', [i32([max]), i32([0]), i32([1])], { axis: 0 }, [1], 'int32')]).toEqual([
      -(2 ** 31),
    ]);
  });
});

describe('Sort / TopK', () => {
  it('Sort is stable; NaN sorts last ascending and first descending (PyTorch)', () => {
    const x = f32([3, NAN, 1, NAN, -1, 1]);
    const spec = [{ shape: [6] }, { shape: [6], dtype: 'int32' as const }];
    const [v, i] = run('Sort', [x], { axis: 0, descending: false }, spec);
    expect([...v!]).toEqual([-1, 1, 1, 3, NAN, NAN]);
    expect([...i!]).toEqual([4, 2, 5, 0, 1, 3]);
    const [vd, id] = run('Sort', [x], { axis: 0, descending: true }, spec);
    expect([...vd!]).toEqual([NAN, NAN, 3, 1, 1, -1]);
    expect([...id!]).toEqual([1, 3, 0, 2, 5, 4]);
  });

  it('Sort along a non-last axis and over long rows agrees with a stable reference sort', () => {
    const x = f32([5, 1, 2, 2, 5, 0], [3, 2]);
    const [v, i] = run('Sort', [x], { axis: 0, descending: false }, [
      { shape: [3, 2] },
      { shape: [3, 2], dtype: 'int32' },
    ]);
    expect([...v!]).toEqual([2, 0, 5, 1, 5, 2]);
    expect([...i!]).toEqual([1, 2, 0, 0, 2, 1]);

    const n = 1000;
    const long = randoms(n, 5).map((t) => Math.round(t * 20));
    const ref = Array.from({ length: n }, (_, k) => k).sort((a, b) => long[b]! - long[a]! || a - b);
    const [lv, li] = run('Sort', [f32(long)], { axis: 0, descending: true }, [
      { shape: [n] },
      { shape: [n], dtype: 'int32' },
    ]);
    expect([...li!]).toEqual(ref);
    expect([...lv!]).toEqual(ref.map((k) => long[k]));
  });

  it('TopK returns sorted values and first-occurring indices for ties, both paths (small and large k)', () => {
    const row = [3, NAN, 1, NAN, -1, 1, 3];
    const x = f32([...row, ...row.map((v) => -v)], [2, 7]);
    const spec = (k: number) => [{ shape: [2, k] }, { shape: [2, k], dtype: 'int32' as const }];
    const [v, i] = run('TopK', [x], { k: 3, largest: true }, spec(3));
    expect([...v!]).toEqual([NAN, NAN, 3, NAN, NAN, 1]);
    expect([...i!]).toEqual([1, 3, 0, 1, 3, 4]);
    const [vs, is] = run('TopK', [x], { k: 3, largest: false }, spec(3));
    expect([...vs!]).toEqual([-1, 1, 1, -3, -3, -1]);
    expect([...is!]).toEqual([4, 2, 5, 0, 6, 2]);

    const n = 300;
    const long = randoms(n, 9).map((t) => Math.round(t * 30));
    const ref = Array.from({ length: n }, (_, k) => k).sort((a, b) => long[b]! - long[a]! || a - b);
    for (const k of [10, 100]) {
      const [lv, li] = run('TopK', [f32(long)], { k, largest: true }, [
        { shape: [k] },
        { shape: [k], dtype: 'int32' },
      ]);
      expect([...li!]).toEqual(ref.slice(0, k));
      expect([...lv!]).toEqual(ref.slice(0, k).map((j) => long[j]));
    }
  });
});

describe('Cumsum / Cumprod', () => {
  it('scan along an axis, forward and reversed', () => {
    const x = f32([1, 2, 3, 4, 5, 6], [2, 3]);
    expect([...run1('Cumsum', [x], { axis: 1, reverse: false }, [2, 3])]).toEqual([1, 3, 6, 4, 9, 15]);
    expect([...run1('Cumsum', [x], { axis: 0, reverse: false }, [2, 3])]).toEqual([1, 2, 3, 5, 7, 9]);
    expect([...run1('Cumsum', [x], { axis: 1, reverse: true }, [2, 3])]).toEqual([6, 5, 3, 15, 11, 6]);
    expect([...run1('Cumprod', [x], { axis: 1, reverse: false }, [2, 3])]).toEqual([1, 2, 6, 4, 20, 120]);
    expect([...run1('Cumprod', [x], { axis: 0, reverse: true }, [2, 3])]).toEqual([4, 10, 18, 4, 5, 6]);
  });

  it('int32 scans wrap; NaN carries forward', () => {
    expect([
      ...run1('Cumsum', [i32([2 ** 31 - 1, 1, 1])], { axis: 0, reverse: false }, [3], 'int32'),
    ]).toEqual([2 ** 31 - 1, -(2 ** 31), -(2 ** 31) + 1]);
    expect([...run1('Cumprod', [f32([1, NAN, 2])], { axis: 0, reverse: false }, [3])]).toEqual([1, NAN, NAN]);
  });
});
