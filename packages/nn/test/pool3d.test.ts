import { isTensor, maxPool2d, memory, randn, scope, type Tensor, variable, zeros } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveAvgPool3d,
  AdaptiveMaxPool3d,
  AvgPool3d,
  Flatten,
  MaxPool1d,
  MaxPool2d,
  MaxPool3d,
  Sequential,
} from '../src/index.js';
import { loadCases, runCase } from './fixtures.js';

const cases = loadCases('nn21-3d');
const pick = (...names: string[]) =>
  cases.filter((c) => names.includes(c.module ?? '')).map((c) => [c.name, c] as const);

// Against PyTorch 1.13 (tools/gen_nn21_3d_fixtures.py): values, int32 indices (flattened over
// each plane), input gradients; a forward+backward inside a scope leaks nothing.
describe('3-D pooling matches PyTorch', () => {
  it.each(pick('MaxPool3d', 'AvgPool3d', 'AdaptiveAvgPool3d', 'AdaptiveMaxPool3d'))('%s', (_name, c) => {
    const { errors, leaked } = runCase(c);
    expect(errors).toEqual([]);
    expect(leaked).toBe(0);
  });
});

describe('MaxPool1d/MaxPool2d returnIndices match PyTorch', () => {
  it.each(pick('MaxPool1d', 'MaxPool2d'))('%s', (_name, c) => {
    const { errors, leaked } = runCase(c);
    expect(errors).toEqual([]);
    expect(leaked).toBe(0);
  });

  it('values and gradients with indices equal core maxPool2d (the kernel path) on the same input', () =>
    scope(() => {
      const x1 = variable(randn([2, 3, 7, 9], { seed: 11 }));
      const x2 = variable(x1.mul(1));
      const o = {
        stride: [2, 3] as [number, number],
        padding: [1, 1] as [number, number],
        dilation: [1, 2] as [number, number],
      };
      const [v, idx] = new MaxPool2d([3, 2], { ...o, returnIndices: true }).forward(x1);
      const ref = maxPool2d(x2, [3, 2], o);
      expect(Array.from(v.dataSync())).toEqual(Array.from(ref.dataSync()));
      expect(idx.dtype).toBe('int32');
      // Each index points at its value within the plane.
      const flat = x1.reshape([6, 63]).dataSync();
      const iv = idx.reshape([6, -1]).dataSync();
      const vv = v.reshape([6, -1]).dataSync();
      for (let r = 0; r < 6; r++)
        for (let j = 0; j < iv.length / 6; j++)
          expect(flat[r * 63 + iv[r * (iv.length / 6) + j]!]).toBe(vv[r * (iv.length / 6) + j]);
      const cot = randn(v.shape, { seed: 12 });
      v.mul(cot).sum().backward();
      ref.mul(cot).sum().backward();
      expect(Array.from(x1.grad!.dataSync())).toEqual(Array.from(x2.grad!.dataSync()));
    }));

  it('without returnIndices the layers still return one tensor and fit in a Sequential', () =>
    scope(() => {
      const net = new Sequential(new MaxPool2d(2), new Flatten());
      expect(net.forward(randn([1, 1, 4, 4])).shape).toEqual([1, 4]);
      expect(isTensor(new MaxPool1d(2).forward(randn([1, 2, 6])))).toBe(true);
      expect(isTensor(new MaxPool3d(2).forward(randn([1, 1, 2, 2, 2])))).toBe(true);
    }));
});

describe('pooling layers called outside a scope add only their outputs', () => {
  it.each<[string, () => { forward(x: Tensor): Tensor | Tensor[] }, number[], number]>([
    ['MaxPool3d', () => new MaxPool3d(2, { padding: 1 }), [1, 2, 3, 4, 4], 1],
    ['MaxPool3d returnIndices', () => new MaxPool3d(2, { returnIndices: true }), [1, 2, 4, 4, 4], 2],
    ['AvgPool3d', () => new AvgPool3d(2, { padding: 1, countIncludePad: false }), [1, 2, 3, 4, 4], 1],
    ['AdaptiveAvgPool3d', () => new AdaptiveAvgPool3d([2, 3, 1]), [1, 2, 3, 4, 4], 1],
    [
      'AdaptiveMaxPool3d returnIndices',
      () => new AdaptiveMaxPool3d(2, { returnIndices: true }),
      [2, 3, 4, 5],
      2,
    ],
    ['MaxPool1d returnIndices', () => new MaxPool1d(2, { returnIndices: true }), [1, 2, 6], 2],
    ['MaxPool2d returnIndices', () => new MaxPool2d(2, { returnIndices: true }), [1, 2, 4, 4], 2],
  ])('%s', (_name, make, shape, outs) => {
    const m = make();
    const x = randn(shape, { seed: 1 });
    const before = memory().tensors;
    const y = m.forward(x);
    expect(memory().tensors - before).toBe(outs);
    for (const t of Array.isArray(y) ? y : [y]) t.dispose();
    x.dispose();
  });
});

describe('an empty batch passes through with the output shape PyTorch gives', () => {
  it.each<[string, () => Tensor]>([
    ['MaxPool3d', () => new MaxPool3d(2).forward(zeros([0, 2, 3, 4, 4]))],
    [
      'MaxPool3d returnIndices',
      () => new MaxPool3d(2, { returnIndices: true }).forward(zeros([0, 2, 3, 4, 4]))[1],
    ],
    ['AvgPool3d', () => new AvgPool3d(2).forward(zeros([0, 2, 3, 4, 4]))],
    ['AdaptiveAvgPool3d', () => new AdaptiveAvgPool3d([1, 2, 2]).forward(zeros([0, 2, 3, 4, 4]))],
    ['AdaptiveMaxPool3d', () => new AdaptiveMaxPool3d([1, 2, 2]).forward(zeros([0, 2, 3, 4, 4]))],
    [
      'MaxPool2d returnIndices',
      () => new MaxPool2d(2, { returnIndices: true }).forward(zeros([0, 2, 2, 4]))[0],
    ],
  ])('%s', (_name, f) =>
    scope(() => {
      const y = f();
      expect(y.shape[0]).toBe(0);
      expect(y.shape.slice(1)).toEqual(_name.startsWith('MaxPool2d') ? [2, 1, 2] : [2, 1, 2, 2]);
    }),
  );
});

describe('pooling errors name the layer, what came and what was expected', () => {
  it.each<[string, () => unknown, RegExp]>([
    [
      'MaxPool3d rank',
      () => new MaxPool3d(2).forward(randn([2, 2, 2])),
      /MaxPool3d: input must be \[N, C, D, H, W\] or \[C, D, H, W\], got \[2,2,2\]/,
    ],
    [
      'MaxPool3d padding',
      () => new MaxPool3d(2, { padding: [0, 2, 0] }).forward(randn([1, 1, 4, 4, 4])),
      /MaxPool3d: padding \[0,2,0\] must be at most half the kernel size \[2,2,2\]/,
    ],
    [
      'MaxPool3d too small',
      () => new MaxPool3d([3, 1, 1]).forward(randn([1, 1, 2, 2, 2])),
      /MaxPool3d: input \[1,1,2,2,2\] is too small for kernel \[3,1,1\]/,
    ],
    [
      'MaxPool3d kernel',
      () => new MaxPool3d(0),
      /MaxPool3d: kernelSize must be an integer or 3 integers ≥ 1, got 0/,
    ],
    [
      'MaxPool3d empty',
      () => new MaxPool3d(1).forward(randn([1, 1, 0, 2, 2])),
      /MaxPool3d: input \[1,1,0,2,2\] has an empty spatial dim/,
    ],
    [
      'AvgPool3d padding',
      () => new AvgPool3d(2, { padding: 2 }),
      /AvgPool3d: padding \[2,2,2\] must be at most half the kernel size \[2,2,2\]/,
    ],
    [
      'AvgPool3d divisor',
      () => new AvgPool3d(2, { divisorOverride: 0 }),
      /AvgPool3d: divisorOverride must be a non-zero integer, got 0/,
    ],
    [
      'AvgPool3d rank',
      () => new AvgPool3d(2).forward(randn([1, 1, 1, 2, 2, 2])),
      /AvgPool3d: input must be \[N, C, D, H, W\] or \[C, D, H, W\], got \[1,1,1,2,2,2\]/,
    ],
    [
      'AdaptiveAvgPool3d size',
      () => new AdaptiveAvgPool3d([2, 0, 1]),
      /AdaptiveAvgPool3d: outputSize must be a positive integer or 3 of them \(or null\), got \[2,0,1\]/,
    ],
    [
      'AdaptiveMaxPool3d rank',
      () => new AdaptiveMaxPool3d(1).forward(randn([2, 2])),
      /AdaptiveMaxPool3d: input must be \[N, C, D, H, W\] or \[C, D, H, W\], got \[2,2\]/,
    ],
    [
      'MaxPool2d indices padding',
      () => new MaxPool2d(2, { padding: 2, returnIndices: true }).forward(randn([1, 1, 4, 4])),
      /MaxPool2d: padding \[2,2\] must be at most half the kernel size \[2,2\]/,
    ],
    [
      'MaxPool1d indices rank',
      () => new MaxPool1d(2, { returnIndices: true }).forward(randn([1, 1, 4, 4])),
      /MaxPool1d: input must be \[N, C, L\] or \[C, L\], got \[1,1,4,4\]/,
    ],
  ])('%s', (_name, f, re) => {
    expect(f).toThrow(re);
  });
});
