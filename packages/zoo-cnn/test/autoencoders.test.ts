import { wasmBackend } from '@myelin/backend-wasm';
import { Generator, grad, memory, scope, sigmoid, type Tensor, tensor, use } from '@myelin/core';
import { mseLoss } from '@myelin/nn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  autoencoderLoss,
  autoencoderObjective,
  ConvAutoencoder,
  contractivePenalty,
  DenseAutoencoder,
  gaussianNoise,
  klSparsityPenalty,
  l1CodePenalty,
  maskingNoise,
  TiedAutoencoder,
} from '../src/autoencoders.js';
import { autoencoderMnist } from '../src/recipes/autoencoder-mnist.js';
import { grid, metric, optionsOf, runRecipe } from './recipe-run.js';

const host = async (t: Tensor) => Float64Array.from(await t.data());

function closeAll(got: ArrayLike<number>, want: readonly number[], digits: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect([i, got[i]]).toEqual([i, expect.closeTo(want[i]!, digits)]);
}

/** Values of a seeded generator, as a plain array (for host-side closed forms). */
const uniform = (g: Generator, n: number, lo: number, hi: number) =>
  Float32Array.from(g.uniform(n), (u) => lo + (hi - lo) * u);

describe('autoencoders on real MNIST (wasm backend)', () => {
  beforeAll(async () => {
    await use(await wasmBackend());
  });
  afterAll(async () => {
    const { cpuBackend } = await import('@myelin/backend-cpu');
    await use(cpuBackend());
  });

  it('a conv autoencoder with a 49-number code beats PCA-49 on test MSE (10,000 training digits, 2 epochs, 2,000 test digits)', async () => {
    const r = await runRecipe(autoencoderMnist, {
      epochs: '2',
      limit: '10000',
      testLimit: '2000',
      batchSize: '64',
      samples: '8',
    });
    const ae = metric(r.events, 'test reconstruction MSE')!;
    const pca = metric(r.events, 'PCA-49 test MSE')!;
    console.log(
      `conv AE (49) test MSE ${ae.toFixed(5)} vs PCA-49 ${pca.toFixed(5)} in ${r.seconds.toFixed(1)} s`,
    );
    // PCA-49's figure is numpy's (see pca.test.ts): 0.0122444 on these digits.
    expect(pca).toBeCloseTo(0.012244399459004447, 8);
    expect(ae).toBeLessThan(pca);
    expect(r.atEpochEnd[1]).toBe(r.atEpochEnd[0]);
    expect(r.leaked).toBeLessThanOrEqual(0); // no growth: GC may free earlier tests' dropped tensors
    for (const title of ['test digits', 'reconstructions', 'PCA-49 reconstructions'])
      expect([title, grid(r.events, title)?.images.shape]).toEqual([title, [8, 1, 28, 28]]);
    expect(grid(r.events, 'noisy test digits')).toBeUndefined();
    expect(r.events.some((e) => e.type === 'figure' && e.kind === 'chart')).toBe(true);
  }, 120_000);

  it('a denoising conv autoencoder (Gaussian σ = 0.5) lowers the MSE of noisy test digits far below the noise’s', async () => {
    const r = await runRecipe(autoencoderMnist, {
      noise: 'gaussian',
      noiseLevel: '0.5',
      epochs: '2',
      limit: '6000',
      testLimit: '1000',
      batchSize: '64',
      samples: '8',
    });
    const noisy = metric(r.events, 'noisy test MSE')!;
    const denoised = metric(r.events, 'denoised test MSE')!;
    console.log(
      `denoising AE: noisy input MSE ${noisy.toFixed(4)} → output ${denoised.toFixed(4)} in ${r.seconds.toFixed(1)} s`,
    );
    expect(denoised).toBeLessThan(noisy / 2);
    expect(grid(r.events, 'noisy test digits')?.images.shape).toEqual([8, 1, 28, 28]);
    expect(r.leaked).toBeLessThanOrEqual(0); // no growth: GC may free earlier tests' dropped tensors
  }, 120_000);
});

describe('stopping', () => {
  it('unsubscribing after 3 batches stops the run and frees every tensor', async () => {
    const options = optionsOf(autoencoderMnist, { model: 'dense', limit: '2000', noise: 'masking' });
    const before = memory().tensors;
    let batches = 0;
    let after = 0;
    await new Promise<void>((resolve) => {
      const sub = autoencoderMnist.run(options).subscribe((e) => {
        if (batches >= 3) after++;
        if (e.type === 'batchEnd' && ++batches === 3) {
          queueMicrotask(() => sub.unsubscribe());
          resolve();
        }
      });
    });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    for (let i = 0; i < 100 && memory().tensors !== before; i++) await sleep(20);
    expect(after).toBe(0);
    expect(memory().tensors).toBe(before);
  });
});

describe('tied weights', () => {
  it('one Parameter reachable by two paths: counted once, listed under both names in the state dict, as PyTorch', () => {
    const ae = new TiedAutoencoder({ codeSize: 64, seed: 1 });
    expect(ae.numParameters()).toBe(784 * 64 + 64 + 784);
    expect(ae.namedParameters().map(([n]) => n)).toEqual(['encoder.weight', 'encoder.bias', 'decoder.bias']);
    const state = ae.stateDict();
    // torch 1.13 on the same structure (a Parameter assigned to two modules): state_dict() keys are
    // ['encoder.weight', 'encoder.bias', 'decoder.weight', 'decoder.bias'], named_parameters() has 3.
    expect(Object.keys(state)).toEqual(['encoder.weight', 'encoder.bias', 'decoder.weight', 'decoder.bias']);
    expect(state['decoder.weight']).toBe(state['encoder.weight']);
    ae.dispose();
  });

  it('the gradient of W sums both uses: loss and grads equal torch 1.13 on a 2×2-pixel, 3-unit model', async () => {
    const ae = new TiedAutoencoder({ size: [2, 2], codeSize: 3, seed: 1 });
    // W[j][i] = 0.5·((4j + i) mod 5) − 0.9, as the generating script (torch.nn.Linear + a module
    // holding the same Parameter, sigmoid code and output, F.mse_loss).
    const W = tensor(
      Array.from({ length: 12 }, (_, k) => 0.5 * (k % 5) - 0.9),
      { shape: [3, 4] },
    );
    const b = tensor([0.1, -0.2, 0.3]);
    const c = tensor([0.05, -0.1, 0.15, -0.2]);
    // The shared tensor loads once per name; both names assign the same variable.
    ae.loadStateDict({ 'encoder.weight': W, 'encoder.bias': b, 'decoder.weight': W, 'decoder.bias': c });
    const x = tensor([0, 0.25, 0.5, 1, 0.9, 0.1, 0.3, 0.7], { shape: [2, 1, 2, 2] });
    const loss = mseLoss(ae.forward(x), x);
    loss.backward();
    expect((await loss.data())[0]).toBeCloseTo(0.09859558194875717, 6);
    const gW = [
      0.01527652982622385, 0.013942920602858067, -0.00836718175560236, -0.039039578288793564,
      -0.00277979439124465, 0.019301537424325943, 0.0006274097831919789, -0.020509924739599228,
      0.01130818109959364, 0.021637683734297752, 0.007181080989539623, -0.006190057843923569,
    ];
    const got = await host(ae.encoder.weight.grad!);
    closeAll(got, gW, 6);
    closeAll(
      await host(ae.encoder.bias!.grad!),
      [-0.013489177450537682, -0.002239552326500416, 0.016864698380231857],
      6,
    );
    closeAll(
      await host(ae.decoder.bias.grad!),
      [0.02104565128684044, 0.033629823476076126, -0.00187206850387156, -0.04460516944527626],
      6,
    );
    for (const t of [W, b, c, x, loss]) t.dispose();
    ae.dispose();
  });
});

describe('penalties against closed forms', () => {
  const g = new Generator(11);

  it('L1 and KL sparsity penalties equal their closed forms on generated sigmoid codes', async () => {
    for (const [n, j, rho] of [
      [1, 1, 0.05],
      [5, 3, 0.2],
      [16, 7, 0.5],
      [8, 32, 0.01],
    ] as const) {
      const values = uniform(g, n * j, 0.01, 0.99);
      const code = tensor(values, { shape: [n, j] });
      let l1 = 0;
      for (const v of values) l1 += Math.abs(v);
      expect((await l1CodePenalty(code).data())[0]).toBeCloseTo(l1 / n, 4);
      let kl = 0;
      for (let u = 0; u < j; u++) {
        let m = 0;
        for (let s = 0; s < n; s++) m += values[s * j + u]!;
        m /= n;
        kl += rho * Math.log(rho / m) + (1 - rho) * Math.log((1 - rho) / (1 - m));
      }
      expect((await klSparsityPenalty(code, rho).data())[0]).toBeCloseTo(kl, 4);
      code.dispose();
    }
    // At ρ̂ = ρ the divergence is 0.
    const at = tensor(new Float32Array(12).fill(0.3), { shape: [4, 3] });
    expect((await klSparsityPenalty(at, 0.3).data())[0]).toBeCloseTo(0, 6);
    at.dispose();
    expect(() => klSparsityPenalty(tensor([[0.5]]), 1)).toThrow(
      'klSparsityPenalty: ρ must be in (0, 1), got 1',
    );
  });

  it('the contractive penalty Σⱼ(hⱼ(1−hⱼ))²ΣᵢWⱼᵢ² equals ‖J‖²_F from autograd and from float64 finite differences', async () => {
    for (const [n, inputs, units] of [
      [1, 1, 1],
      [2, 5, 3],
      [3, 4, 6],
    ] as const) {
      const wv = uniform(g, units * inputs, -1.5, 1.5);
      const bv = uniform(g, units, -0.5, 0.5);
      const xv = uniform(g, n * inputs, 0, 1);
      const W = tensor(wv, { shape: [units, inputs] });
      const b = tensor(bv);
      const x = tensor(xv, { shape: [n, inputs] });
      const encode = (v: Tensor) => sigmoid(v.matmul(W, { transposeB: true }).add(b));
      const code = encode(x);
      const penalty = (await contractivePenalty(code, W).data())[0]!;

      // Autograd: row j of the Jacobian of sample s is ∇ₓ hⱼ(x_s).
      let autograd = 0;
      for (let s = 0; s < n; s++) {
        const xs = tensor(xv.subarray(s * inputs, (s + 1) * inputs), { shape: [1, inputs] });
        for (let u = 0; u < units; u++) {
          const pick = tensor(Float32Array.from({ length: units }, (_, k) => (k === u ? 1 : 0)));
          const gx = scope(() => grad((v: Tensor) => encode(v).mul(pick).sum())(xs));
          for (const v of await gx.data()) autograd += v * v;
          gx.dispose();
          pick.dispose();
        }
        xs.dispose();
      }
      autograd /= n;

      // Central differences in float64 on the host, from the same float32 parameters.
      const h = (xs: Float64Array, u: number) => {
        let z = bv[u]!;
        for (let i = 0; i < inputs; i++) z += wv[u * inputs + i]! * xs[i]!;
        return 1 / (1 + Math.exp(-z));
      };
      let fd = 0;
      const eps = 1e-5;
      for (let s = 0; s < n; s++) {
        const xs = Float64Array.from(xv.subarray(s * inputs, (s + 1) * inputs));
        for (let u = 0; u < units; u++)
          for (let i = 0; i < inputs; i++) {
            const keep = xs[i]!;
            xs[i] = keep + eps;
            const up = h(xs, u);
            xs[i] = keep - eps;
            const down = h(xs, u);
            xs[i] = keep;
            fd += ((up - down) / (2 * eps)) ** 2;
          }
      }
      fd /= n;
      expect([n, inputs, units, penalty]).toEqual([n, inputs, units, expect.closeTo(fd, 5)]);
      expect(penalty).toBeCloseTo(autograd, 5);
      for (const t of [W, b, x, code]) t.dispose();
    }
  });

  it('torch’s tied model: ‖J‖²_F of sample 0 (torch.autograd.functional.jacobian) equals the closed form', async () => {
    const W = tensor(
      Array.from({ length: 12 }, (_, k) => 0.5 * (k % 5) - 0.9),
      { shape: [3, 4] },
    );
    const b = tensor([0.1, -0.2, 0.3]);
    const x = tensor([[0, 0.25, 0.5, 1]]);
    const code = sigmoid(x.matmul(W, { transposeB: true }).add(b));
    expect((await contractivePenalty(code, W).data())[0]).toBeCloseTo(0.3403642773628235, 6);
    for (const t of [W, b, x, code]) t.dispose();
  });

  it('autoencoderLoss adds each penalty to the MSE, and refuses the contractive one without a sigmoid dense encoder', async () => {
    const ae = new DenseAutoencoder({
      size: [2, 2],
      hidden: [],
      codeSize: 3,
      codeActivation: 'sigmoid',
      seed: 2,
    });
    const x = tensor(uniform(g, 8, 0, 1), { shape: [2, 1, 2, 2] });
    const base = autoencoderLoss(ae, x, x);
    const all = autoencoderLoss(ae, x, x, { l1: 0.1, kl: { beta: 2, rho: 0.1 }, contractive: 0.5 });
    const parts =
      (await base.loss.data())[0]! +
      0.1 * (await l1CodePenalty(base.code).data())[0]! +
      2 * (await klSparsityPenalty(base.code, 0.1).data())[0]! +
      0.5 * (await contractivePenalty(base.code, ae.sigmoidEncoderWeight()!).data())[0]!;
    expect((await all.loss.data())[0]).toBeCloseTo(parts, 6);
    // The fit-shaped objective gives the same number.
    const { forward, loss } = autoencoderObjective({ l1: 0.1, kl: { beta: 2, rho: 0.1 }, contractive: 0.5 });
    const split = scope(() => loss(forward(ae, x), x));
    expect((await split.data())[0]).toBeCloseTo(parts, 6);
    const conv = new ConvAutoencoder({ size: [4, 4], codeSize: 2 });
    const x4 = tensor(new Float32Array(16), { shape: [1, 1, 4, 4] });
    expect(() => autoencoderLoss(conv, x4, x4, { contractive: 1 })).toThrow(
      'the contractive penalty needs a sigmoid dense encoder',
    );
    for (const t of [
      x,
      x4,
      split,
      base.loss,
      base.code,
      base.reconstruction,
      all.loss,
      all.code,
      all.reconstruction,
    ])
      t.dispose();
    ae.dispose();
    conv.dispose();
  });
});

describe('noise and bad input', () => {
  it('Gaussian and masking noise are seeded, stay in [0, 1], and mask about p of the pixels', async () => {
    const x = tensor(new Float32Array(19600).fill(0.5), { shape: [25, 1, 28, 28] });
    const a = await host(gaussianNoise({ std: 0.3, seed: 4 })(x));
    const again = await host(gaussianNoise({ std: 0.3, seed: 4 })(x));
    expect(again).toEqual(a);
    let mean = 0;
    let sq = 0;
    for (const v of a) {
      mean += v - 0.5;
      sq += (v - 0.5) ** 2;
      expect(v >= 0 && v <= 1).toBe(true);
    }
    // σ = 0.3 clipped at ±0.5 (c = 5/3 σ): E[min(Z², c²)] = 2Φ(c) − 1 − 2cφ(c) + 2c²(1 − Φ(c)) = 0.8383,
    // so the std is 0.3·√0.8383 = 0.2747, the mean 0.
    expect(Math.abs(mean / a.length)).toBeLessThan(0.01);
    expect(Math.sqrt(sq / a.length)).toBeCloseTo(0.2747, 2);
    const noise = gaussianNoise({ std: 0.3, seed: 4 });
    noise(x).dispose();
    expect(await host(noise(x))).not.toEqual(a); // a second draw differs
    for (const p of [0, 0.25, 0.75, 1]) {
      const m = await host(maskingNoise({ p, seed: 9 })(x));
      const zeroed = m.filter((v) => v === 0).length / m.length;
      expect(Math.abs(zeroed - p)).toBeLessThan(0.02);
      expect(m.every((v) => v === 0 || v === 0.5)).toBe(true);
    }
    expect(() => maskingNoise({ p: 1.5 })).toThrow('maskingNoise: p must be in [0, 1], got 1.5');
    expect(() => gaussianNoise({ std: -1 })).toThrow(
      'gaussianNoise: std must be a finite number ≥ 0, got -1',
    );
    x.dispose();
  });

  it('a wrong image size or code width says what the model expects', () => {
    const ae = new ConvAutoencoder();
    const x = tensor(new Float32Array(2 * 32 * 32), { shape: [2, 1, 32, 32] });
    expect(() => ae.forward(x)).toThrow(
      'conv-autoencoder: expected input [N, 1, 28, 28], got [2, 1, 32, 32]',
    );
    const z = tensor(new Float32Array(10), { shape: [1, 10] });
    expect(() => ae.decode(z)).toThrow('conv-autoencoder: expected codes [N, 49], got [1, 10]');
    expect(() => new ConvAutoencoder({ size: [30, 30] })).toThrow(
      'conv-autoencoder: image height and width must be multiples of 4, got 30×30',
    );
    expect(() => new DenseAutoencoder({ codeSize: 0 })).toThrow(
      'dense-autoencoder: codeSize must be a positive integer, got 0',
    );
    x.dispose();
    z.dispose();
    ae.dispose();
  });
});
