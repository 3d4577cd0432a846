import { memory, randn, scope, tensor, zeros } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { MaxPool1d, MaxPool2d, MaxPool3d, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d } from '../src/index.js';
import { loadCases, runCase } from './fixtures.js';

const cases = loadCases('nn21-3d');
const pick = (...names: string[]) =>
  cases.filter((c) => names.includes(c.module ?? '')).map((c) => [c.name, c] as const);

// Against PyTorch 1.13 (tools/gen_nn21_3d_fixtures.py): each case unpools the values and int32
// indices that torch's MaxPoolNd(return_indices=True) returned; output and the gradient of the
// values; a forward+backward inside a scope leaks nothing.
describe('MaxUnpool1d/2d/3d match PyTorch', () => {
  it.each(pick('MaxUnpool1d', 'MaxUnpool2d', 'MaxUnpool3d'))('%s', (_name, c) => {
    const { errors, leaked } = runCase(c);
    expect(errors).toEqual([]);
    expect(leaked).toBe(0);
  });
});

describe('unpool(pool(x)) keeps the maxima in place and zeros elsewhere', () => {
  it.each<
    [
      string,
      () => [MaxPool1d<true> | MaxPool2d<true> | MaxPool3d<true>, MaxUnpool1d | MaxUnpool2d | MaxUnpool3d],
      number[],
      number,
    ]
  >([
    [
      '1-D k3 stride 2 padding 1',
      () => [
        new MaxPool1d(3, { stride: 2, padding: 1, returnIndices: true }),
        new MaxUnpool1d(3, { stride: 2, padding: 1 }),
      ],
      [2, 3, 9],
      1,
    ],
    ['2-D k2', () => [new MaxPool2d(2, { returnIndices: true }), new MaxUnpool2d(2)], [2, 2, 4, 6], 2],
    [
      '3-D k[2,3,2] stride [2,3,2] unbatched',
      () => [new MaxPool3d([2, 3, 2], { returnIndices: true }), new MaxUnpool3d([2, 3, 2])],
      [2, 4, 6, 4],
      3,
    ],
  ])('%s', (_name, make, shape, nd) =>
    scope(() => {
      const [pool, unpool] = make();
      // Positive values: a zero left by the unpooling never beats a kept maximum.
      const x = randn(shape, { seed: 5 }).abs().add(0.01);
      const [v, idx] = pool.forward(x);
      const u = unpool.forward(v, idx);
      expect(u.shape).toEqual(shape);
      const xs = x.dataSync();
      const us = u.dataSync();
      let kept = 0;
      for (let i = 0; i < us.length; i++) {
        if (us[i] !== 0) {
          expect(us[i]).toBe(xs[i]);
          kept++;
        }
      }
      // One kept element per distinct (plane, index): overlapping windows may share a maximum.
      const planes = shape.slice(0, shape.length - nd).reduce((a, b) => a * b, 1);
      const perPlane = idx.reshape([planes, -1]).dataSync();
      const distinct = new Set(
        Array.from(perPlane, (j, n) => `${Math.floor(n / (perPlane.length / planes))}:${j}`),
      );
      expect(kept).toBe(distinct.size);
      // Pooling the unpooled tensor gives the pooled values back.
      expect(Array.from(pool.forward(u)[0].dataSync())).toEqual(Array.from(v.dataSync()));
    }),
  );

  it('outputSize as a full shape or spatial sizes, and memory left as found', () => {
    const before = memory().tensors;
    scope(() => {
      const [v, idx] = new MaxPool2d(3, { stride: 2, returnIndices: true }).forward(
        randn([1, 1, 8, 7], { seed: 2 }),
      );
      const a = new MaxUnpool2d(3, { stride: 2 }).forward(v, idx, { outputSize: [8, 8] });
      const b = new MaxUnpool2d(3, { stride: 2 }).forward(v, idx, { outputSize: [1, 1, 8, 8] });
      expect(a.shape).toEqual([1, 1, 8, 8]);
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    });
    expect(memory().tensors).toBe(before);
  });
});

describe('an empty batch unpools to an empty batch', () => {
  it('MaxUnpool3d on [0, 2, 1, 2, 2]', () =>
    scope(() => {
      const [v, i] = new MaxPool3d(2, { returnIndices: true }).forward(zeros([0, 2, 3, 4, 4]));
      expect(new MaxUnpool3d(2).forward(v, i).shape).toEqual([0, 2, 2, 4, 4]);
    }));
});

describe('MaxUnpool errors name the layer, what came and what was expected', () => {
  const idx = (v: number[], shape: number[]) => tensor(v, { shape, dtype: 'int32' });
  it.each<[string, () => unknown, RegExp]>([
    [
      'index out of range',
      () => new MaxUnpool1d(2).forward(randn([1, 1, 2]), idx([0, 4], [1, 1, 2])),
      /MaxUnpool1d: index 4 is out of range for output size \[4\] \(4 positions per plane\)/,
    ],
    [
      'negative index',
      () => new MaxUnpool2d(2).forward(randn([1, 1, 1, 1]), idx([-1], [1, 1, 1, 1])),
      /MaxUnpool2d: index -1 is out of range/,
    ],
    [
      'float indices',
      () => new MaxUnpool1d(2).forward(randn([1, 1, 2]), randn([1, 1, 2])),
      /MaxUnpool1d: indices must be int32 .* got float32/,
    ],
    [
      'shape',
      () => new MaxUnpool3d(2).forward(randn([1, 1, 1, 1, 2]), idx([0], [1, 1, 1, 1, 1])),
      /MaxUnpool3d: indices shape \[1,1,1,1,1\] must equal the input shape \[1,1,1,1,2\]/,
    ],
    [
      'outputSize',
      () =>
        new MaxUnpool2d(2).forward(randn([1, 1, 2, 2]), idx([0, 1, 2, 3], [1, 1, 2, 2]), {
          outputSize: [6, 4],
        }),
      /MaxUnpool2d: outputSize \[6,4\] is invalid: dim 0 must be between 2 and 6 \(exclusive\)/,
    ],
    [
      'rank',
      () => new MaxUnpool2d(2).forward(randn([4]), idx([0, 1, 2, 3], [4])),
      /MaxUnpool2d: input must be \[N, C, H, W\] or \[C, H, W\], got \[4\]/,
    ],
  ])('%s', (_name, f, re) => {
    expect(f).toThrow(re);
  });
});
