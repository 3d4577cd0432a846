import { wasmBackend } from '@myelin/backend-wasm';
import { Generator, scope, type Tensor, tensor, use } from '@myelin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vaeMnist } from '../src/recipes/vae-mnist.js';
import { packConditional, VAE, vaeKl, vaeLoss, vaeObjective } from '../src/vae.js';
import { grid, metric, runRecipe } from './recipe-run.js';

const uniform = (g: Generator, n: number, lo: number, hi: number) =>
  Float32Array.from(g.uniform(n), (u) => lo + (hi - lo) * u);
const first = async (t: Tensor) => (await t.data())[0]!;

describe('VAE terms against closed forms', () => {
  const g = new Generator(5);

  it('the KL term equals −½Σ(1 + log σ² − μ² − σ²) per image, computed on the host in float64', async () => {
    for (const [n, latent] of [
      [1, 1],
      [3, 2],
      [7, 20],
    ] as const) {
      const mv = uniform(g, n * latent, -2, 2);
      const lv = uniform(g, n * latent, -3, 1.5);
      let want = 0;
      for (let i = 0; i < mv.length; i++) want += -0.5 * (1 + lv[i]! - mv[i]! ** 2 - Math.exp(lv[i]!));
      const mu = tensor(mv, { shape: [n, latent] });
      const logvar = tensor(lv, { shape: [n, latent] });
      const kl = vaeKl(mu, logvar);
      expect([n, latent, await first(kl)]).toEqual([n, latent, expect.closeTo(want / n, 4)]);
      for (const t of [mu, logvar, kl]) t.dispose();
    }
    const zero = tensor(new Float32Array(6), { shape: [2, 3] });
    const none = vaeKl(zero, zero);
    expect(await first(none)).toBeCloseTo(0, 12); // N(0, 1) against itself
    const bad = tensor([1, 2]);
    expect(() => vaeKl(zero, bad)).toThrow(
      'vaeKl: mu and logvar must both be [N, latent], got [2, 3] and [2]',
    );
    for (const t of [zero, none, bad]) t.dispose();
  });

  it('the reconstruction term is the Bernoulli log-loss Σ −(y·log p + (1−y)·log(1−p)) per image', async () => {
    const n = 3;
    const logits = uniform(g, n * 4, -4, 4);
    const target = uniform(g, n * 4, 0, 1);
    let want = 0;
    for (let i = 0; i < logits.length; i++) {
      const p = 1 / (1 + Math.exp(-logits[i]!));
      want -= target[i]! * Math.log(p) + (1 - target[i]!) * Math.log(1 - p);
    }
    const mu = tensor(new Float32Array(n * 2), { shape: [n, 2] });
    const out = {
      logits: tensor(logits, { shape: [n, 1, 2, 2] }),
      mu,
      logvar: mu,
      z: mu,
    };
    const y = tensor(target, { shape: [n, 1, 2, 2] });
    const { loss, reconstruction, kl } = vaeLoss(out, y);
    expect(await first(reconstruction)).toBeCloseTo(want / n, 4);
    expect(await first(kl)).toBeCloseTo(0, 12);
    expect(await first(loss)).toBeCloseTo(want / n, 4);
    for (const t of [mu, out.logits, y, loss, reconstruction, kl]) t.dispose();
  });

  it('z = μ + σ·ε with seeded ε: the same seed gives the same z, and z has mean μ and std σ', async () => {
    const n = 4000;
    const mu = tensor(new Float32Array(n * 2).fill(2), { shape: [n, 2] });
    const logvar = tensor(new Float32Array(n * 2).fill(Math.log(0.25)), { shape: [n, 2] });
    const a = new VAE({ size: [4, 4], latent: 2, hidden: 3, seed: 9 });
    const b = new VAE({ size: [4, 4], latent: 2, hidden: 3, seed: 9 });
    const [ta, tb] = [a.reparameterize(mu, logvar), b.reparameterize(mu, logvar)];
    const za = await ta.data();
    expect(await tb.data()).toEqual(za);
    let s = 0;
    let s2 = 0;
    for (const v of za) {
      s += v;
      s2 += v * v;
    }
    const mean = s / za.length;
    // Standard errors: 0.5/√8000 = 0.0056 for the mean; the std's is about 0.004.
    expect(mean).toBeCloseTo(2, 1);
    expect(Math.abs(mean - 2)).toBeLessThan(0.025);
    expect(Math.abs(Math.sqrt(s2 / za.length - mean * mean) - 0.5)).toBeLessThan(0.02);
    for (const t of [mu, logvar, ta, tb]) t.dispose();
    a.dispose();
    b.dispose();
  });

  it('sample(n, labels?) checks its labels; the conditional objective unpacks packed rows', async () => {
    const vae = new VAE({ size: [4, 4], latent: 2, hidden: 3, seed: 1 });
    const cvae = new VAE({ size: [4, 4], latent: 2, hidden: 3, numClasses: 3, seed: 1 });
    const s = vae.sample(5);
    expect(s.shape).toEqual([5, 1, 4, 4]);
    for (const v of await s.data()) expect(v > 0 && v < 1).toBe(true);
    expect(() => vae.sample(2, [0, 1])).toThrow('vae: an unconditional VAE takes no labels');
    expect(() => cvae.sample(2)).toThrow('cvae: a conditional VAE needs labels (2 class indices in [0, 3))');
    expect(() => cvae.sample(2, [0])).toThrow('cvae: 1 labels for a batch of 2');
    const c = cvae.sample(3, [0, 1, 2]);
    expect(c.shape).toEqual([3, 1, 4, 4]);
    const x = tensor(uniform(new Generator(2), 32, 0, 1), { shape: [2, 1, 4, 4] });
    const labels = tensor([2, 0], { dtype: 'int32' });
    const packed = packConditional(x, labels, 3);
    expect(packed.shape).toEqual([2, 19]);
    const { forward, loss } = vaeObjective();
    const l = scope(() => loss(forward(cvae, packed), x));
    expect(Number.isFinite(await first(l))).toBe(true);
    expect(() => forward(cvae, x)).toThrow(
      "vaeObjective: a conditional VAE's input must be [N, 19] (packConditional), got [2, 1, 4, 4]",
    );
    for (const t of [s, c, x, labels, packed, l]) t.dispose();
    vae.dispose();
    cvae.dispose();
  });
});

describe('vae-mnist on real MNIST (wasm backend)', () => {
  beforeAll(async () => {
    await use(await wasmBackend());
  });
  afterAll(async () => {
    const { cpuBackend } = await import('@myelin/backend-cpu');
    await use(cpuBackend());
  });

  it('VAE (784-400-20), 5,000 digits, 3 epochs: the test negative ELBO falls, memory stays flat, samples come out', async () => {
    const r = await runRecipe(vaeMnist, { epochs: '3', limit: '5000', testLimit: '1000', samples: '16' });
    const validation = r.events.filter((e) => e.type === 'validation').map((e) => e.loss);
    const elbo = metric(r.events, 'test negative ELBO')!;
    console.log(
      `vae-mnist (5,000 digits, 3 epochs): test −ELBO per epoch ${validation.map((v) => v.toFixed(1)).join(' → ')}, ` +
        `KL ${metric(r.events, 'test KL')!.toFixed(1)}, MSE ${metric(r.events, 'test reconstruction MSE')!.toFixed(4)} in ${r.seconds.toFixed(1)} s`,
    );
    expect(validation[2]!).toBeLessThan(validation[0]!);
    expect(elbo).toBeLessThan(200);
    expect(metric(r.events, 'test KL')!).toBeGreaterThan(0);
    // Flat: the same live tensors at every epoch end, and none left once the run is over.
    expect(new Set(r.atEpochEnd).size).toBe(1);
    expect(r.leaked).toBeLessThanOrEqual(0); // no growth: GC may free earlier tests' dropped tensors
    for (const title of ['test digits', 'reconstructions', 'samples'])
      expect([title, grid(r.events, title)?.images.shape]).toEqual([title, [16, 1, 28, 28]]);
  }, 120_000);

  it('conditional VAE: samples are captioned with the digits 0–9 in turn; memory stays flat', async () => {
    const r = await runRecipe(vaeMnist, {
      conditional: 'true',
      epochs: '2',
      limit: '3000',
      testLimit: '500',
      samples: '12',
    });
    expect(grid(r.events, 'samples')?.labels).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
      '0',
      '1',
    ]);
    expect(metric(r.events, 'test negative ELBO')!).toBeLessThan(220);
    expect(r.atEpochEnd[1]).toBe(r.atEpochEnd[0]);
    expect(r.leaked).toBeLessThanOrEqual(0); // no growth: GC may free earlier tests' dropped tensors
  }, 120_000);
});
