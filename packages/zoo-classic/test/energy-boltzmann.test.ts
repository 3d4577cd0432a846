import { Generator, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { BoltzmannMachine } from '../src/energy/boltzmann.js';

/** Every binary vector of length n, unit 0 the lowest bit (exactLogProb's order). */
const allStates = (n: number) =>
  Array.from({ length: 2 ** n }, (_, code) => Array.from({ length: n }, (_, i) => (code >> i) & 1));

describe('Boltzmann machine', () => {
  it('energy by hand: E(s) = −½ sᵀWs − bᵀs with w₀₁ = 0.5, w₁₂ = −1, b = (0.1, 0, 0.3)', () => {
    const bm = new BoltzmannMachine({ visible: 3 });
    bm.weight.assign(
      tensor([
        [0, 0.5, 0],
        [0.5, 0, -1],
        [0, -1, 0],
      ]),
    );
    bm.bias.assign(tensor([0.1, 0, 0.3]));
    const e = Array.from(
      bm
        .energy(
          tensor([
            [1, 1, 1],
            [1, 1, 0],
            [0, 0, 0],
          ]),
        )
        .dataSync(),
    );
    // (1,1,1): −(0.5 − 1) − 0.4 = 0.1; (1,1,0): −0.5 − 0.1 = −0.6; (0,0,0): 0.
    expect(e[0]).toBeCloseTo(0.1, 6);
    expect(e[1]).toBeCloseTo(-0.6, 6);
    expect(e[2]).toBeCloseTo(0, 6);
  });

  it('Gibbs sampling reaches the exact distribution p(s) ∝ e^{−E(s)} enumerated over all 8 states', () => {
    const bm = new BoltzmannMachine({ visible: 3 });
    bm.weight.assign(
      tensor([
        [0, 1.2, -0.8],
        [1.2, 0, 0.6],
        [-0.8, 0.6, 0],
      ]),
    );
    bm.bias.assign(tensor([-0.5, 0.2, 0.1]));
    const exact = Array.from(bm.exactLogProb(tensor(allStates(3))), Math.exp);
    expect(exact.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    const chains = 4000;
    const s = bm.gibbs(tensor(new Float32Array(chains * 3), { shape: [chains, 3] }), { sweeps: 30, seed: 4 });
    const rows = s.dataSync();
    const freq = new Array(8).fill(0);
    for (let c = 0; c < chains; c++) freq[rows[c * 3]! + 2 * rows[c * 3 + 1]! + 4 * rows[c * 3 + 2]!]++;
    // 4,000 draws: the standard error of a frequency is at most 0.008.
    for (let k = 0; k < 8; k++) expect(Math.abs(freq[k] / chains - exact[k]!)).toBeLessThan(0.03);
  });

  it('learning with one hidden unit raises the exact log-likelihood of two patterns', () => {
    const rows = [
      [1, 1, 0, 0],
      [0, 0, 1, 1],
    ];
    const data = tensor(Array.from({ length: 8 }, (_, i) => rows[i % 2]!));
    const bm = new BoltzmannMachine({ visible: 4, hidden: 1, seed: 2, initStd: 0.1 });
    const mean = (x: Float64Array) => x.reduce((a, b) => a + b, 0) / x.length;
    const before = mean(bm.exactLogProb(data));
    const gen = new Generator(6);
    let chains = tensor(new Float32Array(200 * 5), { shape: [200, 5] });
    for (let step = 0; step < 150; step++) {
      const g = bm.gradient(data, { chains, sweeps: 2, seed: gen });
      bm.descend(g, 0.2);
      chains.dispose();
      chains = g.chains;
      g.weight.dispose();
      g.bias.dispose();
    }
    const after = mean(bm.exactLogProb(data));
    console.log(
      `Boltzmann machine: exact log-likelihood ${before.toFixed(3)} → ${after.toFixed(3)} (optimum −0.693)`,
    );
    expect(before).toBeLessThan(-2.5);
    expect(after).toBeGreaterThan(-1.5);
    // Symmetric weights with a zero diagonal survive training.
    const w = bm.weight.arraySync() as number[][];
    for (let i = 0; i < 5; i++) {
      expect(w[i]![i]).toBe(0);
      for (let j = 0; j < 5; j++) expect(w[i]![j]).toBeCloseTo(w[j]![i]!, 6);
    }
  });

  it('bad input names the function', () => {
    expect(() => new BoltzmannMachine({ visible: 0 })).toThrow(
      /BoltzmannMachine: visible must be an integer ≥ 1, got 0/,
    );
    const bm = new BoltzmannMachine({ visible: 2, hidden: 1 });
    expect(() => bm.energy(tensor([[1, 0]]))).toThrow(
      /BoltzmannMachine.energy: expected \[B ≥ 1, 3\] states, got shape \[1,2\]/,
    );
    expect(() => bm.exactLogProb(tensor([[1, 2]]))).toThrow(/visible values must be 0 or 1, got 2/);
  });
});
