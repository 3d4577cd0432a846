import { Generator, logSumExp, memory, noGrad, scope, type Tensor, tensor } from '@myelin/core';
import { SGD } from '@myelin/optim';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import fixture from '../fixtures/energy-rbm.json';
import { fitRbm, RBM, rbmStep } from '../src/energy/rbm.js';

type Case = typeof fixture.bernoulli | typeof fixture.gaussian;

function rbmFrom(c: Case): RBM {
  const w = c.weight;
  const rbm = new RBM(w[0]!.length, w.length, { visible: c.visible as 'bernoulli' | 'gaussian' });
  rbm.weight.assign(tensor(w));
  rbm.visibleBias.assign(tensor(c.visibleBias));
  rbm.hiddenBias.assign(tensor(c.hiddenBias));
  return rbm;
}

const flat = (t: Tensor) => Array.from(t.dataSync() as Float32Array);
function close(a: number[], b: number[], tol: number) {
  for (const [i, v] of a.entries()) expect([i, Math.abs(v - b[i]!) < tol, v]).toEqual([i, true, v]);
}

/** Every binary vector of length n, as rows. */
const allBinary = (n: number) =>
  Array.from({ length: 2 ** n }, (_, k) => Array.from({ length: n }, (_, i) => (k >> (n - 1 - i)) & 1));

/** The exact mean log-likelihood of `data` under a small Bernoulli RBM: −F(v) − log Z, Z over every v. */
function exactLogLikelihood(rbm: RBM, data: number[][]): number {
  return noGrad(() =>
    scope(() => {
      const logZ = logSumExp(rbm.freeEnergy(tensor(allBinary(rbm.nVisible))).neg()).item();
      const f = flat(rbm.freeEnergy(tensor(data)));
      return f.reduce((s, v) => s - v - logZ, 0) / data.length;
    }),
  );
}

describe('restricted Boltzmann machine', () => {
  for (const kind of ['bernoulli', 'gaussian'] as const) {
    it(`${kind} visible units: free energy and energy equal numpy's sums over every hidden configuration`, () => {
      const c = fixture[kind];
      const rbm = rbmFrom(c);
      const f = rbm.freeEnergy(tensor(c.data));
      expect(f.shape).toEqual([c.data.length]);
      close(flat(f), c.freeEnergy, 1e-4);
      const e = rbm.energy(tensor(c.energyPairs.v), tensor(c.energyPairs.h));
      close(flat(e), c.energyPairs.energy, 1e-4);
      rbm.dispose();
    });
  }

  it('p(h | v) and log Z match the enumeration; −F(v) − log Z is the exact log-likelihood', () => {
    const c = fixture.bernoulli;
    const rbm = rbmFrom(c);
    close(flat(rbm.hiddenProbs(tensor(c.data))), c.hiddenProbs.flat(), 1e-5);
    const ll = exactLogLikelihood(rbm, c.data);
    const expected = c.logLikelihood.reduce((s, v) => s + v, 0) / c.logLikelihood.length;
    expect(ll).toBeCloseTo(expected, 4);
    rbm.dispose();
  });

  it('the CD gradient with long persistent chains approaches the exact gradient of the mean NLL', () => {
    const c = fixture.bernoulli;
    const rbm = rbmFrom(c);
    const gen = new Generator(11);
    // 8,000 fantasy particles, 60 Gibbs steps from uniform noise: the negative phase ≈ the model expectation.
    const chain = noGrad(() => scope(() => tensor(allBinary(4)).tile([500, 1])));
    const g = rbm.cdGradients(tensor(c.data), { k: 60, chain, seed: gen });
    close(flat(g.weight), c.nllGradient.weight.flat(), 0.02);
    close(flat(g.visibleBias), c.nllGradient.visibleBias, 0.02);
    close(flat(g.hiddenBias), c.nllGradient.hiddenBias, 0.02);
    expect(g.chain.shape).toEqual([8000, 4]);
    rbm.dispose();
  });

  it('CD-1 training with SGD raises the exact log-likelihood of a tiny data set; memory flat per step', () => {
    const data = [
      [1, 1, 0, 0],
      [0, 0, 1, 1],
      [1, 1, 0, 0],
      [0, 0, 1, 1],
    ];
    const rbm = new RBM(4, 3, { seed: 2, initStd: 0.1 });
    const before = exactLogLikelihood(rbm, data);
    const opt = new SGD(rbm.parameters(), { lr: 1, momentum: 0.5 });
    const v = tensor(data);
    const gen = new Generator(4);
    const counts: number[] = [];
    for (let step = 0; step < 400; step++) {
      const { reconstructionError } = rbmStep(rbm, opt, v, { seed: gen });
      reconstructionError.dispose();
      if (step >= 2) counts.push(memory().tensors);
    }
    const after = exactLogLikelihood(rbm, data);
    // Two patterns equally likely: the optimum is log ½ ≈ −0.693; uniform over 16 is −2.77.
    expect(before).toBeLessThan(-2.5);
    console.log(`tiny RBM: exact log-likelihood ${before} → ${after}`);
    expect(after).toBeGreaterThan(-1.2);
    expect(new Set(counts).size).toBe(1);
    v.dispose();
    opt.dispose();
    rbm.dispose();
  });

  it('fitRbm with persistent CD (16 chains) raises the exact log-likelihood; events per epoch; memory flat', async () => {
    const rows = [
      [1, 1, 0, 0],
      [0, 0, 1, 1],
    ];
    const data = Array.from({ length: 8 }, (_, i) => rows[i % 2]!);
    const rbm = new RBM(4, 3, { seed: 5, initStd: 0.1 });
    const before = exactLogLikelihood(rbm, data);
    const opt = new SGD(rbm.parameters(), { lr: 0.2, momentum: 0.5 });
    const atEpochEnd: number[] = [];
    const live: number[] = [];
    const events = await lastValueFrom(
      fitRbm(rbm, {
        optimizer: opt,
        data: () => [tensor(data.slice(0, 4)), tensor(data.slice(4))],
        epochs: 60,
        persistentChains: 16,
        seed: 7,
      }).pipe(
        tap((e) => {
          if (e.type === 'epochEnd') live.push(memory().tensors);
        }),
        toArray(),
      ),
    );
    for (const e of events) if (e.type === 'epochEnd') atEpochEnd.push(e.samples);
    expect(events[0]!.type).toBe('fitStart');
    expect(events.at(-1)!.type).toBe('fitEnd');
    expect(atEpochEnd).toHaveLength(60);
    // Live tensors never grow after the chains exist (a finalizer may free other tests' garbage meanwhile).
    expect(Math.max(...live.slice(1))).toBeLessThanOrEqual(live[0]!);
    const after = exactLogLikelihood(rbm, data);
    console.log(`tiny RBM, PCD: exact log-likelihood ${before} → ${after}`);
    expect(after).toBeGreaterThan(before + 1);
    opt.dispose();
    rbm.dispose();
  });

  it('edges: batch of one, one hidden unit; bad input errors name the function', () => {
    const rbm = new RBM(3, 1, { seed: 0 });
    const one = tensor([[1, 0, 1]]);
    expect(rbm.reconstruct(one).shape).toEqual([1, 3]);
    expect(rbm.freeEnergy(one).shape).toEqual([1]);
    const g = rbm.cdGradients(one, { k: 2, seed: 1 });
    expect(g.weight.shape).toEqual([1, 3]);
    expect(() => rbm.freeEnergy(tensor([[1, 0]]))).toThrow(
      /RBM.freeEnergy: expected visible states \[B, 3\], got shape \[1,2\]/,
    );
    expect(() => rbm.cdGradients(one, { k: 0 })).toThrow(/RBM.cdGradients: k must be an integer ≥ 1, got 0/);
    expect(() => new RBM(0, 2)).toThrow(/RBM: nVisible must be an integer ≥ 1, got 0/);
    expect(() => new RBM(2, 2, { visible: 'poisson' as 'gaussian' })).toThrow(
      /RBM: visible must be 'bernoulli' or 'gaussian'/,
    );
  });
});
