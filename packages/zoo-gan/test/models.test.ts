import { randn, tensor } from '@myelin/core';
import { summary } from '@myelin/nn';
import { describe, expect, it } from 'vitest';
import {
  checkGanPair,
  DcganDiscriminator,
  DcganGenerator,
  GanTrainer,
  MlpDiscriminator,
  MlpGenerator,
} from '../src/index.js';

const count = (m: { parameters(): { size: number }[] }) => m.parameters().reduce((s, p) => s + p.size, 0);

describe('textbook MLP GAN', () => {
  it('G 100-32-64-128-784 and D 784-128-64-32-1 have the parameters the layer sizes give', () => {
    const g = new MlpGenerator({ seed: 1 });
    const d = new MlpDiscriminator({ seed: 2 });
    // Σ (in + 1)·out over the layers.
    expect(count(g)).toBe(101 * 32 + 33 * 64 + 65 * 128 + 129 * 784);
    expect(count(d)).toBe(785 * 128 + 129 * 64 + 65 * 32 + 33 * 1);
    expect(g.namedParameters().map(([n]) => n)).toEqual([
      'net.0.weight',
      'net.0.bias',
      'net.2.weight',
      'net.2.bias',
      'net.4.weight',
      'net.4.bias',
      'net.6.weight',
      'net.6.bias',
    ]);
    const x = g.forward(randn([3, 100], { seed: 1 }));
    expect(x.shape).toEqual([3, 1, 28, 28]);
    const v = x.dataSync();
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-1);
    expect(d.forward(x).shape).toEqual([3]);
  });

  it('works on a batch of one', () => {
    const g = new MlpGenerator({ seed: 1 });
    const d = new MlpDiscriminator({ seed: 2 }).eval();
    expect(d.forward(g.forward(randn([1, 100], { seed: 3 }))).shape).toEqual([1]);
  });
});

describe('DCGAN', () => {
  it('G maps z [N, 100] to [N, 1, 28, 28] in [−1, 1] and D to one logit each; parameter counts as PyTorch counts them', () => {
    const g = new DcganGenerator({ width: 8, seed: 1 });
    const d = new DcganDiscriminator({ width: 8, seed: 2 });
    // ConvTranspose 100→32 7×7, BN 32, ConvTranspose 32→16 4×4, BN 16, ConvTranspose 16→1 4×4 (no biases).
    expect(count(g)).toBe(100 * 32 * 49 + 2 * 32 + 32 * 16 * 16 + 2 * 16 + 16 * 1 * 16);
    // Conv 1→8 4×4, Conv 8→16 4×4, BN 16, Conv 16→1 7×7.
    expect(count(d)).toBe(8 * 16 + 16 * 8 * 16 + 2 * 16 + 16 * 49);
    expect(summary(g, [2, 100])).toContain(`Total params: ${count(g).toLocaleString('en-US')}`);
    const x = g.forward(randn([2, 100], { seed: 1 }));
    expect(x.shape).toEqual([2, 1, 28, 28]);
    expect(d.forward(x).shape).toEqual([2]);
  });

  it('initialises as Radford et al.: conv weights N(0, 0.02), batch-norm scales N(1, 0.02)', () => {
    const g = new DcganGenerator({ width: 32, seed: 4 });
    const params = Object.fromEntries(g.namedParameters());
    const w = Array.from(params['net.0.weight']!.dataSync());
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.001);
    expect(std).toBeGreaterThan(0.019);
    expect(std).toBeLessThan(0.021);
    const bn = Array.from(params['net.1.weight']!.dataSync());
    expect(bn.reduce((s, v) => s + v, 0) / bn.length).toBeCloseTo(1, 1);
  });

  it('conditional: labels enter G (concatenated to z) and D (a second channel)', () => {
    const g = new DcganGenerator({ width: 4, numClasses: 10, seed: 1 });
    const d = new DcganDiscriminator({ width: 4, numClasses: 10, seed: 2 });
    const z = randn([4, 100], { seed: 5 });
    const x = g.forward(z, [0, 1, 2, 9]);
    expect(x.shape).toEqual([4, 1, 28, 28]);
    expect(d.forward(x, tensor([3, 3, 3, 3], { dtype: 'int32' })).shape).toEqual([4]);
    // The label changes the image for the same z.
    const other = g.forward(z, [5, 5, 5, 5]).dataSync();
    const first = x.dataSync();
    expect(first.some((v, i) => Math.abs(v - other[i]!) > 1e-4)).toBe(true);
  });
});

describe('bad input gets an error that says which', () => {
  const g = new DcganGenerator({ width: 4, seed: 1 });
  const cg = new MlpGenerator({ numClasses: 10, seed: 1 });
  it('a latent of the wrong size', () => {
    expect(() => g.forward(randn([2, 64]))).toThrow(
      /dcgan-generator: expected a latent of shape \[N, 100\], got \[2, 64\]/,
    );
    expect(() => new MlpGenerator().forward(randn([100]))).toThrow(
      /mlp-generator: expected a latent of shape \[N, 100\], got \[100\]/,
    );
  });
  it('a label outside the classes, a missing label, labels for an unconditional model', () => {
    expect(() => cg.forward(randn([2, 100]), [3, 10])).toThrow(
      /mlp-cgenerator: label 10 \(image 1\) is outside the classes 0…9/,
    );
    expect(() => cg.forward(randn([2, 100]), [-1, 0])).toThrow(/label -1 \(image 0\) is outside the classes/);
    expect(() => cg.forward(randn([2, 100]))).toThrow(
      /a conditional model \(10 classes\) needs one label per image/,
    );
    expect(() => cg.forward(randn([2, 100]), [1])).toThrow(
      /expected 2 labels \(shape \[2\]\), got shape \[1\]/,
    );
    expect(() => g.forward(randn([2, 100]), [1, 2])).toThrow(
      /dcgan-generator: an unconditional model takes no labels/,
    );
  });
  it('images of the wrong shape for the discriminator', () => {
    expect(() => new DcganDiscriminator({ width: 4 }).forward(randn([2, 1, 32, 32]))).toThrow(
      /dcgan-discriminator: expected images of shape \[N, 1, 28, 28\], got \[2, 1, 32, 32\]/,
    );
  });
  it('a generator and a discriminator that do not meet', () => {
    const d = new DcganDiscriminator({ width: 4, seed: 2 });
    expect(() => checkGanPair(cg, d)).toThrow(
      /gan: the generator mlp-cgenerator conditions on 10 classes but the discriminator dcgan-discriminator on 0/,
    );
    const opt = { zeroGrad() {}, step() {} };
    expect(
      () =>
        new GanTrainer(g, new MlpDiscriminator({ numClasses: 10 }), {
          objective: 'non-saturating',
          generatorOptimizer: opt,
          discriminatorOptimizer: opt,
          noise: undefined as never,
        }),
    ).toThrow(/conditions on 0 classes but the discriminator mlp-cdiscriminator on 10/);
  });
  it('bad constructor options', () => {
    expect(() => new DcganGenerator({ latent: 0 })).toThrow(
      /dcgan-generator: latent must be a positive integer, got 0/,
    );
    expect(() => new MlpDiscriminator({ numClasses: -1 })).toThrow(
      /numClasses must be a non-negative integer, got -1/,
    );
  });
});
