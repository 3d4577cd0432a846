import { Generator, memory, randn, scope, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { FractionalMaxPool2d, FractionalMaxPool3d } from '../src/index.js';
import { loadCases, runCase } from './fixtures.js';

const cases = loadCases('nn21-3d');
const pick = (...names: string[]) =>
  cases.filter((c) => names.includes(c.module ?? '')).map((c) => [c.name, c] as const);

// Against PyTorch 1.13 given the same `_random_samples` (tools/gen_nn21_3d_fixtures.py): values,
// int32 indices and input gradients; a forward+backward inside a scope leaks nothing.
describe('FractionalMaxPool2d/3d match PyTorch given the same random samples', () => {
  it.each(pick('FractionalMaxPool2d', 'FractionalMaxPool3d'))('%s', (_name, c) => {
    const { errors, leaked } = runCase(c);
    expect(errors).toEqual([]);
    expect(leaked).toBe(0);
  });
});

describe('FractionalMaxPool draws its samples from a seeded generator', () => {
  it('the same seed repeats the windows; successive calls and other seeds move them', () =>
    scope(() => {
      const x = randn([2, 3, 12, 12], { seed: 1 });
      const run = (seed: number) => {
        const pool = new FractionalMaxPool2d(2, { outputRatio: 0.6, seed });
        return [pool.forward(x).dataSync(), pool.forward(x).dataSync()] as const;
      };
      const [a1, a2] = run(5);
      const [b1] = run(5);
      const [c1] = run(6);
      expect(Array.from(a1)).toEqual(Array.from(b1));
      expect(Array.from(a1)).not.toEqual(Array.from(a2));
      expect(Array.from(a1)).not.toEqual(Array.from(c1));
      expect(a1.length).toBe(2 * 3 * 7 * 7);
    }));

  it('each output is the max of a 2×2 window that its index points at', () =>
    scope(() => {
      const x = randn([1, 2, 9, 8], { seed: 3 });
      const [v, idx] = new FractionalMaxPool2d(2, {
        outputSize: [5, 4],
        returnIndices: true,
        seed: new Generator(9),
      }).forward(x);
      const xs = x.dataSync();
      const vs = v.dataSync();
      const is = idx.dataSync();
      for (let i = 0; i < vs.length; i++) {
        const plane = Math.floor(i / 20);
        const j = is[i]!;
        expect(xs[plane * 72 + j]).toBe(vs[i]);
        // The winner is the max of at least one in-plane 2×2 window that contains it.
        const h = Math.floor(j / 8);
        const w = j % 8;
        const at = (r: number, c: number) => xs[plane * 72 + r * 8 + c]!;
        let isMax = false;
        for (const h0 of [h - 1, h])
          for (const w0 of [w - 1, w]) {
            if (h0 < 0 || w0 < 0 || h0 + 1 >= 9 || w0 + 1 >= 8) continue;
            const m = Math.max(at(h0, w0), at(h0, w0 + 1), at(h0 + 1, w0), at(h0 + 1, w0 + 1));
            if (m === vs[i]) isMax = true;
          }
        expect(isMax).toBe(true);
      }
    }));

  it('forward outside a scope adds only its outputs', () => {
    const x = randn([1, 1, 6, 6, 6], { seed: 1 });
    const pool = new FractionalMaxPool3d(2, { outputSize: 3, returnIndices: true, seed: 2 });
    const before = memory().tensors;
    const out = pool.forward(x);
    expect(memory().tensors - before).toBe(2);
    for (const t of out) t.dispose();
    x.dispose();
  });
});

describe('FractionalMaxPool errors name the layer, what came and what was expected', () => {
  it.each<[string, () => unknown, RegExp]>([
    [
      'both sizes',
      () => new FractionalMaxPool2d(2, { outputSize: 3, outputRatio: 0.5 }),
      /FractionalMaxPool2d: give exactly one of outputSize and outputRatio/,
    ],
    [
      'no size',
      () => new FractionalMaxPool3d(2, {}),
      /FractionalMaxPool3d: give exactly one of outputSize and outputRatio/,
    ],
    [
      'ratio',
      () => new FractionalMaxPool2d(2, { outputRatio: 1.5 }),
      /FractionalMaxPool2d: outputRatio must be a number or 2 numbers in \(0, 1\), got 1.5/,
    ],
    [
      'too large',
      () => new FractionalMaxPool2d(3, { outputSize: 4 }).forward(randn([1, 1, 5, 5])),
      /FractionalMaxPool2d: kernel \[3,3\] with output \[4,4\] does not fit input \[1,1,5,5\]/,
    ],
    [
      'samples shape',
      () =>
        new FractionalMaxPool2d(2, { outputSize: 2 }).forward(randn([1, 2, 5, 5]), {
          randomSamples: tensor([0.5, 0.5], { shape: [1, 1, 2] }),
        }),
      /FractionalMaxPool2d: randomSamples must have shape \[1,2,2\], got \[1,1,2\]/,
    ],
    [
      'samples range',
      () =>
        new FractionalMaxPool2d(2, { outputSize: 2 }).forward(randn([1, 1, 5, 5]), {
          randomSamples: tensor([0.5, 1], { shape: [1, 1, 2] }),
        }),
      /FractionalMaxPool2d: randomSamples must lie in \[0, 1\), got 1/,
    ],
    [
      'rank',
      () => new FractionalMaxPool3d(2, { outputSize: 2 }).forward(randn([5, 5])),
      /FractionalMaxPool3d: input must be \[N, C, D, H, W\] or \[C, D, H, W\], got \[5,5\]/,
    ],
  ])('%s', (_name, f, re) => {
    expect(f).toThrow(re);
  });
});
