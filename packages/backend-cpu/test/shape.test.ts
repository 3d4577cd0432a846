import type { Shape } from '@myelin/core';
import { sizeOf } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { bool, f32, i32, indices, offsetOf, randoms, run1 } from './helpers.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('Transpose', () => {
  const cases: [Shape, number[]][] = [
    [
      [3, 4],
      [1, 0],
    ],
    [
      [2, 3, 4],
      [0, 2, 1],
    ],
    [
      [2, 3, 4],
      [2, 0, 1],
    ],
    [
      [2, 3, 4, 5],
      [0, 2, 1, 3],
    ],
    [
      [2, 1, 4, 3],
      [3, 1, 0, 2],
    ],
    [[5], [0]],
    [[], []],
  ];
  for (const [shape, perm] of cases) {
    it(`[${shape}] by perm [${perm}]: output dim j is input dim perm[j]`, () => {
      const x = range(sizeOf(shape));
      const outShape = perm.map((d) => shape[d]!);
      const expected = [...indices(outShape)].map((idx) => {
        const src = new Array<number>(shape.length);
        perm.forEach((d, j) => {
          src[d] = idx[j]!;
        });
        return x[offsetOf(shape, src)]!;
      });
      expect([...run1('Transpose', [i32(x, shape)], { perm }, outShape, 'int32')]).toEqual(expected);
    });
  }
});

describe('Slice', () => {
  it('takes begin + i·step along each dim, including negative steps', () => {
    const x = i32(range(24), [4, 6]);
    // rows 3, 1 (step -2); columns 1, 3, 5 (step 2)
    expect([...run1('Slice', [x], { begin: [3, 1], step: [-2, 2] }, [2, 3], 'int32')]).toEqual([
      19, 21, 23, 7, 9, 11,
    ]);
    expect([...run1('Slice', [x], { begin: [1, 2], step: [1, 1] }, [2, 3], 'int32')]).toEqual([
      8, 9, 10, 14, 15, 16,
    ]);
    expect([...run1('Slice', [x], { begin: [0, 5], step: [1, -1] }, [1, 6], 'int32')]).toEqual([
      5, 4, 3, 2, 1, 0,
    ]);
  });

  it('handles empty outputs and bool data', () => {
    expect(run1('Slice', [f32(range(6), [2, 3])], { begin: [0, 0], step: [1, 1] }, [0, 3]).length).toBe(0);
    expect([...run1('Slice', [bool([1, 0, 1, 1])], { begin: [1], step: [2] }, [2], 'bool')]).toEqual([0, 1]);
  });
});

describe('Concat', () => {
  it('joins along a middle axis, with an empty input', () => {
    const a = i32([1, 2, 3, 4], [2, 1, 2]);
    const b = i32([5, 6, 7, 8, 9, 10, 11, 12], [2, 2, 2]);
    const e = i32([], [2, 0, 2]);
    expect([...run1('Concat', [a, e, b], { axis: 1 }, [2, 3, 2], 'int32')]).toEqual([
      1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12,
    ]);
  });

  it('joins along the first and last axes, long blocks included', () => {
    const a = randoms(300, 1);
    const b = randoms(200, 2);
    const out = run1('Concat', [f32(a, [3, 100]), f32(b, [2, 100])], { axis: 0 }, [5, 100]);
    expect([...out]).toEqual([...a, ...b]);
    expect([
      ...run1('Concat', [i32([1, 2], [2, 1]), i32([3, 4, 5, 6], [2, 2])], { axis: 1 }, [2, 3], 'int32'),
    ]).toEqual([1, 3, 4, 2, 5, 6]);
  });
});

describe('Pad', () => {
  const x = i32([1, 2, 3, 4, 5, 6], [2, 3]);
  it('constant fills with the value', () => {
    expect([
      ...run1('Pad', [x], { pads: [1, 0, 1, 2], mode: 'constant', value: 9 }, [3, 6], 'int32'),
    ]).toEqual([9, 9, 9, 9, 9, 9, 9, 1, 2, 3, 9, 9, 9, 4, 5, 6, 9, 9]);
  });
  it('reflect mirrors without repeating the edge (PyTorch)', () => {
    expect([
      ...run1('Pad', [i32([1, 2, 3, 4])], { pads: [3, 2], mode: 'reflect', value: 0 }, [9], 'int32'),
    ]).toEqual([4, 3, 2, 1, 2, 3, 4, 3, 2]);
    expect([...run1('Pad', [x], { pads: [1, 1, 2, 0], mode: 'reflect', value: 0 }, [4, 5], 'int32')]).toEqual(
      [6, 5, 4, 5, 6, 3, 2, 1, 2, 3, 6, 5, 4, 5, 6, 3, 2, 1, 2, 3],
    );
  });
  it('replicate repeats the edge', () => {
    expect([
      ...run1('Pad', [x], { pads: [0, 1, 2, 1], mode: 'replicate', value: 0 }, [3, 6], 'int32'),
    ]).toEqual([1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6, 4, 4, 4, 5, 6, 6]);
  });
  it('constant padding of a float scalar-free dim', () => {
    expect([...run1('Pad', [f32([1.5])], { pads: [0, 2], mode: 'constant', value: -1 }, [3])]).toEqual([
      1.5, -1, -1,
    ]);
  });
});

describe('Tile and Flip', () => {
  it('Tile repeats the whole tensor along each dim', () => {
    expect([...run1('Tile', [i32([1, 2, 3, 4], [2, 2])], { reps: [2, 3] }, [4, 6], 'int32')]).toEqual([
      1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4,
    ]);
  });
  it('Flip reverses the given axes', () => {
    const x = i32(range(12), [2, 3, 2]);
    expect([...run1('Flip', [x], { axes: [1] }, [2, 3, 2], 'int32')]).toEqual([
      4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7,
    ]);
    expect([...run1('Flip', [x], { axes: [0, 2] }, [2, 3, 2], 'int32')]).toEqual([
      7, 6, 9, 8, 11, 10, 1, 0, 3, 2, 5, 4,
    ]);
  });
});
