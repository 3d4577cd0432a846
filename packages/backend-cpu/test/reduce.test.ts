import type { Shape } from '@myelin/core';
import { sizeOf } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { bool, expectClose, f32, fround, i32, indices, offsetOf, randoms, run1 } from './helpers.js';

const NAN = Number.NaN;

/** Reference reduction: fold every element into the output cell its kept coordinates name. */
function reduceRef(
  x: ArrayLike<number>,
  shape: Shape,
  axes: number[],
  init: number,
  f: (acc: number, v: number) => number,
): number[] {
  const outShape = shape.filter((_, d) => !axes.includes(d));
  const out = new Array<number>(sizeOf(outShape)).fill(init);
  for (const idx of indices(shape)) {
    const o = offsetOf(
      outShape,
      idx.filter((_, d) => !axes.includes(d)),
    );
    out[o] = f(out[o]!, x[offsetOf(shape, idx)]!);
  }
  return out;
}

describe('reductions', () => {
  const shape = [3, 4, 5, 2];
  const x = randoms(sizeOf(shape), 7);
  const axesCases = [[0], [1], [3], [1, 2], [0, 3], [0, 2], [0, 1, 2, 3], []];

  for (const axes of axesCases) {
    it(`Sum, Prod, Max, Min over axes [${axes}] of [3,4,5,2] match a reference fold`, () => {
      const outShape = shape.filter((_, d) => !axes.includes(d));
      const attrs = { axes };
      expectClose(
        run1('Sum', [f32(x, shape)], attrs, outShape),
        fround(reduceRef(x, shape, axes, 0, (a, v) => a + v)),
        { rtol: 1e-6, atol: 1e-6 },
      );
      expectClose(
        run1('Prod', [f32(x, shape)], attrs, outShape),
        fround(reduceRef(x, shape, axes, 1, (a, v) => a * v)),
        { rtol: 1e-6, atol: 1e-30 },
      );
      expect([...run1('Max', [f32(x, shape)], attrs, outShape)]).toEqual(
        reduceRef(x, shape, axes, -Infinity, Math.max),
      );
      expect([...run1('Min', [f32(x, shape)], attrs, outShape)]).toEqual(
        reduceRef(x, shape, axes, Infinity, Math.min),
      );
    });
  }

  it('empty reductions give the identities: Sum 0, Prod 1, Max -inf, Min +inf, Any false, All true', () => {
    const empty = f32([], [2, 0]);
    const attrs = { axes: [1] };
    expect([...run1('Sum', [empty], attrs, [2])]).toEqual([0, 0]);
    expect([...run1('Prod', [empty], attrs, [2])]).toEqual([1, 1]);
    expect([...run1('Max', [empty], attrs, [2])]).toEqual([-Infinity, -Infinity]);
    expect([...run1('Min', [empty], attrs, [2])]).toEqual([Infinity, Infinity]);
    expect([...run1('Any', [bool([], [2, 0])], attrs, [2], 'bool')]).toEqual([0, 0]);
    expect([...run1('All', [bool([], [2, 0])], attrs, [2], 'bool')]).toEqual([1, 1]);
  });

  it('Max and Min propagate NaN (torch.amax / amin)', () => {
    const v = f32([1, NAN, 3, -1, 2, 0], [2, 3]);
    expect([...run1('Max', [v], { axes: [1] }, [2])]).toEqual([NAN, 2]);
    expect([...run1('Min', [v], { axes: [0] }, [3])]).toEqual([-1, NAN, 0]);
  });

  it('int32 Sum and Prod wrap like int32; Max/Min of int32', () => {
    const v = i32([2 ** 31 - 1, 1, 65536, 65536], [2, 2]);
    expect([...run1('Sum', [v], { axes: [1] }, [2], 'int32')]).toEqual([-(2 ** 31), 131072]);
    expect([...run1('Prod', [v], { axes: [1] }, [2], 'int32')]).toEqual([2 ** 31 - 1, 0]);
    expect([...run1('Max', [i32([-5, -9])], { axes: [0] }, [], 'int32')]).toEqual([-5]);
    expect([...run1('Min', [i32([5, 9])], { axes: [0] }, [], 'int32')]).toEqual([5]);
  });

  it('Any and All over kept and reduced runs', () => {
    const v = bool([1, 0, 0, 0, 0, 0, 1, 1, 1], [3, 3]);
    expect([...run1('Any', [v], { axes: [1] }, [3], 'bool')]).toEqual([1, 0, 1]);
    expect([...run1('All', [v], { axes: [1] }, [3], 'bool')]).toEqual([0, 0, 1]);
    expect([...run1('Any', [v], { axes: [0] }, [3], 'bool')]).toEqual([1, 1, 1]);
    expect([...run1('All', [v], { axes: [0] }, [3], 'bool')]).toEqual([0, 0, 0]);
  });

  it('Sum accumulates in float64 (1e8 + many ones is not stuck at 1e8)', () => {
    const values = new Float32Array(1001).fill(1);
    values[0] = 1e8;
    expect(run1('Sum', [f32(values)], { axes: [0] }, [])[0]).toBe(Math.fround(1e8 + 1000));
  });
});

describe('ArgMax / ArgMin', () => {
  it('return the first extreme along the axis', () => {
    const v = f32([3, 1, 3, 0, 5, 5, -1, 5, 2], [3, 3]);
    expect([...run1('ArgMax', [v], { axis: 1 }, [3], 'int32')]).toEqual([0, 1, 1]);
    expect([...run1('ArgMin', [v], { axis: 1 }, [3], 'int32')]).toEqual([1, 0, 0]);
    expect([...run1('ArgMax', [v], { axis: 0 }, [3], 'int32')]).toEqual([0, 1, 1]);
    expect([...run1('ArgMin', [v], { axis: 0 }, [3], 'int32')]).toEqual([2, 0, 2]);
  });

  it('treat the first NaN as the extreme, as PyTorch', () => {
    const v = f32([1, NAN, 3, NAN]);
    expect([...run1('ArgMax', [v], { axis: 0 }, [], 'int32')]).toEqual([1]);
    expect([...run1('ArgMin', [v], { axis: 0 }, [], 'int32')]).toEqual([1]);
  });

  it('work on int32 along a middle axis', () => {
    const v = i32([1, 9, 4, 2, 7, 9, 0, 3], [2, 2, 2]);
    expect([...run1('ArgMax', [v], { axis: 1 }, [2, 2], 'int32')]).toEqual([1, 0, 0, 0]);
  });
});

describe('Softmax / LogSoftmax', () => {
  function softmaxRef(x: ArrayLike<number>, shape: Shape, axis: number, log: boolean): number[] {
    const out = new Array<number>(x.length);
    for (const idx of indices(shape)) {
      if (idx[axis] !== 0) continue;
      const at = (l: number) =>
        offsetOf(
          shape,
          idx.map((v, d) => (d === axis ? l : v)),
        );
      let max = -Infinity;
      for (let l = 0; l < shape[axis]!; l++) max = Math.max(max, x[at(l)]!);
      let sum = 0;
      for (let l = 0; l < shape[axis]!; l++) sum += Math.exp(x[at(l)]! - max);
      for (let l = 0; l < shape[axis]!; l++) {
        const e = x[at(l)]! - max;
        out[at(l)] = log ? e - Math.log(sum) : Math.exp(e) / sum;
      }
    }
    return out;
  }

  for (const axis of [0, 1, 2]) {
    it(`match the max-shifted definition along axis ${axis}`, () => {
      const shape = [3, 5, 4];
      const x = randoms(60, axis + 10, -20, 20);
      expectClose(
        run1('Softmax', [f32(x, shape)], { axis }, shape),
        fround(softmaxRef(x, shape, axis, false)),
        {
          rtol: 1e-6,
          atol: 1e-12,
        },
      );
      expectClose(
        run1('LogSoftmax', [f32(x, shape)], { axis }, shape),
        fround(softmaxRef(x, shape, axis, true)),
        {
          rtol: 1e-6,
          atol: 1e-6,
        },
      );
    });
  }

  it('do not overflow on large inputs and turn a NaN row into NaN', () => {
    expectClose(run1('Softmax', [f32([1000, 1000])], { axis: 0 }, [2]), [0.5, 0.5]);
    expectClose(run1('LogSoftmax', [f32([1000, 0])], { axis: 0 }, [2]), [0, -1000]);
    expect(
      [...run1('Softmax', [f32([1, NAN, 2, 3, 4, 5], [2, 3])], { axis: 1 }, [2, 3])].map(Number.isNaN),
    ).toEqual([true, true, true, false, false, false]);
  });
});
