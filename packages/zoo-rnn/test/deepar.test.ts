import { readFileSync } from 'node:fs';
import { memory, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { GaussianLstm, gaussianNll, laggedInputs, samplePaths } from '../src/index.js';

/** Golden numbers: tools/gen_zoo_rnn_series_fixtures.py (torch.nn.GaussianNLLLoss(full=True)). */
const fx = JSON.parse(readFileSync(new URL('../fixtures/series.json', import.meta.url), 'utf8'));

describe('DeepAR-style Gaussian LSTM', () => {
  it('gaussianNll matches torch.nn.GaussianNLLLoss(full=True) with variance σ²', async () => {
    const g = fx.gaussianNll;
    const nll = gaussianNll(tensor(g.mu), tensor(g.sigma), tensor(g.target));
    expect((await nll.data())[0]).toBeCloseTo(g.nll, 5);
    expect(() => gaussianNll(tensor([1, 2]), tensor([1]), tensor([1, 2]))).toThrow(
      "gaussianNll: sigma has shape [1], expected the mean's [2]",
    );
  });

  it('emits a mean and a positive scale per step, and carries its state', async () => {
    const m = new GaussianLstm({ covariates: 2, hiddenSize: 8, seed: 1 });
    const x = tensor(
      new Float32Array(3 * 5 * 3).map((_, i) => Math.sin(i)),
      { shape: [3, 5, 3] },
    );
    const { mu, sigma, state } = m.forward(x);
    expect(mu.shape).toEqual([3, 5]);
    expect(sigma.shape).toEqual([3, 5]);
    expect(Math.min(...(await sigma.data()))).toBeGreaterThan(0);
    expect(state[0].shape).toEqual([1, 3, 8]);
    // Two halves with the state carried over give the same outputs as one pass.
    const first = m.forward(x.slice(null, [0, 2]));
    const second = m.forward(x.slice(null, [2, 5]), first.state);
    const whole = await mu.data();
    const split = [...(await first.mu.data()), ...(await second.mu.data())];
    for (let b = 0; b < 3; b++) {
      for (let t = 0; t < 5; t++) {
        const got = t < 2 ? split[b * 2 + t]! : split[6 + b * 3 + (t - 2)]!;
        expect(got).toBeCloseTo(whole[b * 5 + t]!, 5);
      }
    }
    m.dispose();
  });

  it('says what it expected for inputs or a state of the wrong shape', () => {
    const m = new GaussianLstm({ covariates: 1, hiddenSize: 4 });
    expect(() => m.forward(tensor(new Float32Array(6), { shape: [1, 2, 3] }))).toThrow(
      'GaussianLstm.forward: inputs should be [batch, steps, 2] (previous value + 1 covariates), got [1,2,3]',
    );
    const x = tensor(new Float32Array(4), { shape: [1, 2, 2] });
    const bad = tensor(new Float32Array(8), { shape: [1, 2, 4] });
    expect(() => m.forward(x, [bad, bad])).toThrow(
      'GaussianLstm.forward: the LSTM state h should be [1, 1, 4], got [1,2,4]',
    );
    m.dispose();
  });

  it('laggedInputs pairs each step with the value before it and its covariates', () => {
    const z = [10, 11, 12, 13];
    const cov = [0, 1, 2, 3, 4]; // one covariate per step
    expect([...laggedInputs(z, cov, 1, 1, 4)]).toEqual([10, 1, 11, 2, 12, 3]);
    expect(() => laggedInputs(z, cov, 1, 0, 2)).toThrow(
      'laggedInputs: steps [0, 2) need values before them within 0 … 3',
    );
  });

  it('samplePaths: [samples, horizon] draws, seeded, no tensors left', async () => {
    const m = new GaussianLstm({ covariates: 0, hiddenSize: 6, seed: 2 });
    const z = Array.from({ length: 12 }, (_, i) => Math.sin(i / 2));
    const before = memory().tensors;
    const a = await samplePaths(m, z, [], { context: 8, horizon: 4, samples: 5, seed: 3 });
    const b = await samplePaths(m, z, [], { context: 8, horizon: 4, samples: 5, seed: 3 });
    expect(memory().tensors).toBe(before);
    expect(a.length).toBe(20);
    expect([...a]).toEqual([...b]);
    expect(new Set(a).size).toBe(20); // every draw differs
    // Batch of one path, horizon 1.
    expect((await samplePaths(m, z, [], { context: 1, horizon: 1, samples: 1 })).length).toBe(1);
    await expect(samplePaths(m, z, [], { context: 12, horizon: 2, samples: 2 })).rejects.toThrow(
      'samplePaths: context must be an integer in [1, 12) for 12 values, got 12',
    );
    m.dispose();
  });
});
