/**
 * Defaults that surprise PyTorch users (issue 21): where PyTorch 1.13 silently picks something
 * deprecated, Myelin refuses with an error that says what to write instead.
 */
import { logSoftmax, ones, randn, scope, softmax } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { Dropout1d, Dropout2d, GELU, Hardtanh, LogSoftmax, Softmax, Softmin } from '../src/index.js';

type Ctor = new (...args: unknown[]) => { forward(x: unknown): unknown };

describe('Softmax, LogSoftmax and Softmin need an explicit dim', () => {
  // PyTorch 1.13's nn.Softmax() (dim=None) warns and uses dim 0 for 0-, 1- and 3-D input, else 1:
  // for [N, L, C] that normalises over the batch. Myelin has no implicit dim.
  for (const [name, cls] of [
    ['Softmax', Softmax],
    ['LogSoftmax', LogSoftmax],
    ['Softmin', Softmin],
  ] as const) {
    it(`${name}() without dim is refused, naming the layer and the PyTorch rule`, () => {
      const C = cls as unknown as Ctor;
      expect(() => new C()).toThrow(
        new RegExp(`^${name}: dim is required .* got undefined\\. PyTorch 1\\.13's implicit`),
      );
      expect(() => new C(null)).toThrow(new RegExp(`^${name}: dim is required`));
      expect(() => new C(1.5)).toThrow(new RegExp(`^${name}: dim is required .* got 1\\.5`));
    });
  }

  it('with a dim they are the core functions along it (3-D input, dim 1 and −1)', () => {
    scope(() => {
      const x = randn([2, 3, 4], { seed: 1 });
      expect(new Softmax(1).forward(x).arraySync()).toEqual(softmax(x, 1).arraySync());
      expect(new LogSoftmax(-1).forward(x).arraySync()).toEqual(logSoftmax(x, -1).arraySync());
      expect(new Softmin(0).forward(x).arraySync()).toEqual(softmax(x.neg(), 0).arraySync());
      // each slice along the dim sums to 1
      const s = new Softmax(1).forward(x).sum(1).dataSync();
      for (const e of s) expect(e).toBeCloseTo(1, 6);
    });
  });
});

describe('Dropout2d on 3-D input', () => {
  // PyTorch 1.13 warns and applies channel-wise 1-D dropout to [N, C, L], announcing that a later
  // release reads it as an unbatched [C, H, W]. Myelin refuses the ambiguous case in both modes.
  it('is refused in training and in evaluation, pointing to Dropout1d and unsqueeze(0)', () => {
    const d = new Dropout2d(0.5, { seed: 1 });
    scope(() => {
      const x = ones([2, 3, 4]);
      const msg =
        /^Dropout2d: a 3-D input \[2,3,4\] is ambiguous .*use Dropout1d for \[N, C, L\] or unsqueeze\(0\)/;
      expect(() => d.forward(x)).toThrow(msg);
      d.eval();
      expect(() => d.forward(x)).toThrow(msg);
      expect(() => d.forward(ones([2, 3]))).toThrow(/^Dropout2d: input must be \[N, C, H, W\], got \[2,3\]/);
    });
  });

  it('the two readings it points to work: Dropout1d for [N, C, L], unsqueeze(0) for [C, H, W]', () => {
    scope(() => {
      const oneD = new Dropout1d(0.5, { seed: 2 }).forward(ones([2, 6, 5])).arraySync() as number[][][];
      for (const row of oneD.flat()) expect(row.every((e) => e === row[0])).toBe(true);
      const chw = new Dropout2d(0.5, { seed: 3 })
        .forward(ones([6, 4, 4]).unsqueeze(0))
        .reshape([6, 16])
        .arraySync() as number[][];
      for (const plane of chw) expect(plane.every((e) => e === plane[0] && (e === 0 || e === 2))).toBe(true);
    });
  });

  it('batch 1 and a single channel are fine', () => {
    scope(() => {
      const y = new Dropout2d(0.5, { seed: 4 }).forward(ones([1, 1, 2, 2])).dataSync();
      expect(y.every((e) => e === y[0] && (e === 0 || e === 2))).toBe(true);
    });
  });
});

describe('options PyTorch validates are validated here too', () => {
  it("GELU's approximate must be 'none' or 'tanh' (torch raises on anything else)", () => {
    expect(() => new GELU({ approximate: 'fast' as 'tanh' })).toThrow(
      /^GELU: approximate must be 'none' or 'tanh', got fast/,
    );
    expect(() => new GELU({ approximate: 'tanh' })).not.toThrow();
  });

  it('Hardtanh needs maxVal > minVal (torch asserts the same)', () => {
    expect(() => new Hardtanh(1, 1)).toThrow(
      /^Hardtanh: maxVal must be greater than minVal, got minVal 1, maxVal 1/,
    );
    expect(() => new Hardtanh(2, -2)).toThrow(/got minVal 2, maxVal -2/);
    scope(() => {
      const y = new Hardtanh(-0.5, 0.5).forward(randn([10], { seed: 5 })).dataSync();
      for (const e of y) expect(Math.abs(e)).toBeLessThanOrEqual(0.5);
    });
  });
});
