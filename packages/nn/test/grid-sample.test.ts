import { memory, scope, type Tensor, tensor, variable } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { affineGrid, gridSample } from '../src/index.js';
import { loadCases, runCase } from './fixtures.js';

// torch.nn.functional.affine_grid / grid_sample (PyTorch 1.13) from
// tools/gen_nn21_sample_fixtures.py: outputs and gradients w.r.t. input, grid and theta for a
// seeded cotangent, every mode × padding × alignCorners in 2-D and 3-D, 1×1 inputs, far-outside
// grids; a forward+backward inside a scope leaks nothing.
const cases = loadCases('nn21-sample').filter((c) => c.fn === 'gridSample' || c.fn === 'affineGrid');

describe('affineGrid and gridSample match PyTorch', () => {
  it('covers every mode, padding and alignCorners in 2-D, bilinear and nearest in 3-D', () => {
    const names = cases.map((c) => c.name);
    for (const m of ['bilinear', 'nearest', 'bicubic'])
      for (const p of ['zeros', 'border', 'reflection'])
        for (const a of [false, true])
          expect(names).toContain(`gridSample/2-D ${m} ${p} align ${a ? 'True' : 'False'}`);
    for (const m of ['bilinear', 'nearest'])
      for (const p of ['zeros', 'border', 'reflection'])
        for (const a of [false, true])
          expect(names).toContain(`gridSample/3-D ${m} ${p} align ${a ? 'True' : 'False'}`);
  });
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { errors, leaked } = runCase(c);
    expect(errors).toEqual([]);
    expect(leaked).toBe(0);
  });
});

describe('spatial transformer', () => {
  it('the identity theta reproduces the input (alignCorners false and true)', () => {
    const x = tensor(
      Array.from({ length: 12 }, (_, i) => i * 0.5 - 2),
      { shape: [1, 1, 3, 4] },
    );
    for (const alignCorners of [false, true]) {
      const theta = tensor([1, 0, 0, 0, 1, 0], { shape: [1, 2, 3] });
      const y = gridSample(x, affineGrid(theta, [1, 1, 3, 4], { alignCorners }), { alignCorners });
      const got = Array.from(y.dataSync());
      Array.from(x.dataSync()).forEach((v, i) => {
        expect(got[i]).toBeCloseTo(v, 5);
      });
    }
  });

  it('learns a known affine map from images by gradient descent on theta', () => {
    // Targets are the images warped by a known theta; start from the identity and fit theta by
    // plain gradient descent on the mean squared error through affineGrid and gridSample.
    const n = 4;
    const h = 12;
    const w = 12;
    const pixels: number[] = [];
    for (let b = 0; b < n; b++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < w; j++) {
          // Smooth blobs at different places per image.
          const cy = 3 + 2 * b;
          const cx = 8 - b;
          pixels.push(Math.exp(-((i - cy) ** 2 + (j - cx) ** 2) / 8));
        }
    const images = tensor(pixels, { shape: [n, 1, h, w] });
    const known = [0.9, -0.15, 0.1, 0.2, 1.05, -0.1];
    const size = [n, 1, h, w];
    const target = scope(() =>
      gridSample(
        images,
        affineGrid(tensor(Array.from({ length: n }, () => known).flat(), { shape: [n, 2, 3] }), size),
        { paddingMode: 'border' },
      ),
    );
    const theta = variable(tensor([1, 0, 0, 0, 1, 0], { shape: [1, 2, 3] }));
    const before = memory().tensors;
    const losses: number[] = [];
    for (let step = 0; step < 60; step++) {
      scope(() => {
        const grid = affineGrid(theta.broadcastTo([n, 2, 3]), size);
        const loss = gridSample(images, grid, { paddingMode: 'border' }).sub(target).square().mean();
        loss.backward();
        losses.push(loss.item());
        theta.assign(theta.sub(theta.grad!.mul(2)));
        theta.grad!.dispose();
        theta.grad = null;
      });
      // Memory-flat: each step frees everything it made.
      expect(memory().tensors).toBe(before);
    }
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 1e-3);
    const got = Array.from(theta.dataSync());
    known.forEach((v, i) => {
      expect(Math.abs(got[i]! - v), `theta[${i}] = ${got[i]}, expected ${v}`).toBeLessThan(0.01);
    });
    theta.dispose();
    target.dispose();
  });
});

describe('affineGrid and gridSample errors name the function, what it got and what it expected', () => {
  const x = tensor(new Float32Array(12), { shape: [1, 1, 3, 4] });
  const g = tensor(new Float32Array(8), { shape: [1, 2, 2, 2] });
  const bad = (f: () => Tensor, msg: RegExp) => () => expect(f).toThrow(msg);
  it(
    'affineGrid: theta shape',
    bad(
      () => affineGrid(tensor(new Float32Array(6), { shape: [1, 3, 2] }), [1, 1, 3, 4]),
      /affineGrid: theta for size \[1,1,3,4\] must be \[1,2,3\], got \[1,3,2\]/,
    ),
  );
  it(
    'affineGrid: size rank',
    bad(
      () => affineGrid(tensor(new Float32Array(6), { shape: [1, 2, 3] }), [1, 3, 4]),
      /affineGrid: size must be \[N, C, H, W\] or \[N, C, D, H, W\], got \[1,3,4\]/,
    ),
  );
  it(
    'affineGrid: size entries',
    bad(
      () => affineGrid(tensor(new Float32Array(6), { shape: [1, 2, 3] }), [1, 1, 0, 4]),
      /affineGrid: size must hold positive integers/,
    ),
  );
  it(
    'gridSample: input rank',
    bad(
      () => gridSample(tensor(new Float32Array(3), { shape: [1, 3] }), g),
      /gridSample: input must be \[N, C, H, W\] or \[N, C, D, H, W\], got \[1,3\]/,
    ),
  );
  it(
    'gridSample: grid shape',
    bad(
      () => gridSample(x, tensor(new Float32Array(6), { shape: [1, 1, 2, 3] })),
      /gridSample: grid for input \[1,1,3,4\] must be \[1, Ho, Wo, 2\], got \[1,1,2,3\]/,
    ),
  );
  it(
    'gridSample: batch mismatch',
    bad(
      () => gridSample(x, tensor(new Float32Array(16), { shape: [2, 2, 2, 2] })),
      /must be \[1, Ho, Wo, 2\], got \[2,2,2,2\]/,
    ),
  );
  it(
    'gridSample: bicubic on 5-D',
    bad(
      () =>
        gridSample(
          tensor(new Float32Array(8), { shape: [1, 1, 2, 2, 2] }),
          tensor(new Float32Array(3), { shape: [1, 1, 1, 1, 3] }),
          { mode: 'bicubic' },
        ),
      /gridSample: mode 'bicubic' needs a 4-D input, got \[1,1,2,2,2\]/,
    ),
  );
  it(
    'gridSample: mode',
    bad(
      () => gridSample(x, g, { mode: 'area' as never }),
      /gridSample: mode must be 'bilinear', 'nearest' or 'bicubic', got 'area'/,
    ),
  );
  it(
    'gridSample: paddingMode',
    bad(
      () => gridSample(x, g, { paddingMode: 'wrap' as never }),
      /gridSample: paddingMode must be 'zeros', 'border' or 'reflection', got 'wrap'/,
    ),
  );
});
