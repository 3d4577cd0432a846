import { memory, scope, tensor, variable } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { interpolate, Upsample, UpsamplingBilinear2d } from '../src/index.js';
import { loadCases, runCase } from './fixtures.js';

// torch.nn.functional.interpolate / nn.Upsample (PyTorch 1.13) from tools/gen_nn21_sample_fixtures.py:
// outputs and input gradients for a seeded cotangent, every mode, both alignCorners, factors and
// sizes, size-1 inputs; a forward+backward inside a scope leaks nothing.
const cases = loadCases('nn21-sample').filter(
  (c) => c.fn === 'interpolate' || (c.module ?? '').startsWith('Upsampling'),
);

describe('interpolate matches torch.nn.functional.interpolate', () => {
  it('covers every mode', () => {
    const modes = new Set(cases.map((c) => (c.call?.options as { mode?: string } | undefined)?.mode));
    for (const m of ['nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear', 'area'])
      expect(modes).toContain(m);
  });
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { errors, leaked } = runCase(c);
    expect(errors).toEqual([]);
    expect(leaked).toBe(0);
  });
});

describe('interpolate by hand', () => {
  it('bilinear with alignCorners doubles a 2x2 ramp exactly', () => {
    // Corners aligned: output positions 0, 1/3, 2/3, 1 of the way across.
    const y = interpolate(tensor([0, 3, 6, 9], { shape: [1, 1, 2, 2] }), {
      size: 4,
      mode: 'bilinear',
      alignCorners: true,
    });
    expect(Array.from(y.dataSync().slice(0, 4))).toEqual([0, 1, 2, 3]);
    expect(Array.from(y.dataSync().slice(12))).toEqual([6, 7, 8, 9]);
  });

  it('area halves by averaging 2x2 blocks', () => {
    const y = interpolate(tensor([1, 2, 3, 4], { shape: [1, 1, 2, 2] }), { scaleFactor: 0.5, mode: 'area' });
    expect(y.shape).toEqual([1, 1, 1, 1]);
    expect(y.item()).toBe(2.5);
  });

  it('UpsamplingBilinear2d aligns corners', () => {
    const up = new UpsamplingBilinear2d({ scaleFactor: 2 });
    expect(up.options).toEqual({ scaleFactor: 2, mode: 'bilinear', alignCorners: true });
  });

  it('leaks nothing through Upsample forward and backward', () => {
    const up = new Upsample({ scaleFactor: [2, 1.5, 1], mode: 'trilinear' });
    const before = memory().tensors;
    scope(() => {
      const x = variable(
        tensor(
          Array.from({ length: 12 }, (_, i) => i),
          { shape: [1, 1, 2, 3, 2] },
        ),
      );
      up.forward(x).sum().backward();
      // Every output's linear weights sum to 1, so the gradient of the sum adds up to the number
      // of outputs: [1, 1, 4, 4, 2] = 32.
      expect(x.grad!.sum().item()).toBeCloseTo(32, 4);
      x.dispose();
    });
    expect(memory().tensors).toBe(before);
  });
});

describe('interpolate errors name the function, what it got and what it expected', () => {
  const x4 = tensor(new Float32Array(8), { shape: [1, 2, 2, 2] });
  const x3 = tensor(new Float32Array(4), { shape: [1, 2, 2] });
  it.each([
    [
      'mode bilinear on 3-D',
      () => interpolate(x3, { size: 3, mode: 'bilinear' }),
      /interpolate: mode 'bilinear' needs a 4-D input, got \[1,2,2\]/,
    ],
    [
      'mode trilinear on 4-D',
      () => interpolate(x4, { size: 3, mode: 'trilinear' }),
      /needs a 5-D input, got \[1,2,2,2\]/,
    ],
    [
      'rank 2',
      () => interpolate(tensor([1, 2], { shape: [1, 2] }), { size: 3 }),
      /interpolate: input must be \[N, C, L\].*got \[1,2\]/,
    ],
    [
      'unknown mode',
      () => interpolate(x4, { size: 3, mode: 'cubic' as never }),
      /interpolate: unknown mode 'cubic'/,
    ],
    [
      'alignCorners with nearest',
      () => interpolate(x4, { size: 3, alignCorners: true }),
      /alignCorners only applies to .* not 'nearest'/,
    ],
    [
      'size and scaleFactor',
      () => interpolate(x4, { size: 3, scaleFactor: 2 }),
      /give exactly one of size and scaleFactor/,
    ],
    ['neither', () => interpolate(x4, {}), /give exactly one of size and scaleFactor/],
    [
      'recompute with size',
      () => interpolate(x4, { size: 3, recomputeScaleFactor: true }),
      /recomputeScaleFactor only applies with scaleFactor/,
    ],
    [
      'size list length',
      () => interpolate(x4, { size: [3, 3, 3] }),
      /interpolate: size has 3 entries but the input \[1,2,2,2\] has 2 spatial dims/,
    ],
    [
      'negative factor',
      () => interpolate(x4, { scaleFactor: -1 }),
      /scaleFactor must be positive and finite, got -1/,
    ],
    [
      'factor to size 0',
      () => interpolate(x4, { scaleFactor: 0.2 }),
      /interpolate: output size of spatial dim 0/,
    ],
  ])('%s', (_n, f, msg) => {
    expect(f).toThrow(msg);
  });
});
