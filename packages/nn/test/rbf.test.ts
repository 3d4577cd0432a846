import { concat, lstsq, memory, randn, scope, solve, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { type Linear, RBF, rbfNetwork } from '../src/index.js';
import { loadCases, runCase } from './fixtures.js';

// Gaussian RBF units against φⱼ(x) = exp(−‖x − μⱼ‖² / (2σⱼ²)) in plain PyTorch 1.13
// (tools/gen_nn21_seq_fixtures.py), a hand-computed value, and Bishop's exact interpolation.
const cases = loadCases('nn21-seq').filter((c) => c.module === 'RBF');

describe('RBF matches its equation (PyTorch)', () => {
  it('has its cases', () => expect(cases.length).toBe(3));
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { errors, leaked } = runCase(c);
    expect(errors).toEqual([]);
    expect(leaked).toBe(0);
  });
});

describe('RBF', () => {
  it('φ at distance 1 with σ = 1 is e^(−1/2); at the centre 1', () => {
    const rbf = new RBF(2, 2, {
      centres: [
        [0, 0],
        [1, 0],
      ],
      sigma: [1, 2],
    });
    scope(() => {
      const phi = Array.from(rbf.forward(tensor([[1, 0]])).dataSync());
      expect(phi[0]).toBeCloseTo(Math.exp(-0.5), 6);
      expect(phi[1]).toBe(1);
      // distance 2 from (1, 0), σ = 2: exp(−4/8)
      expect(rbf.forward(tensor([-1, 0])).dataSync()[1]).toBeCloseTo(Math.exp(-0.5), 6);
    });
    rbf.dispose();
  });

  it('exact interpolation (Bishop §5.1): one unit per point, Φw = t solved, reproduces t', () => {
    // 1-D targets sin(2πx) at 6 points; centres at the points, σ = 0.2.
    const xs = [0, 0.2, 0.4, 0.6, 0.8, 1];
    const ts = xs.map((x) => Math.sin(2 * Math.PI * x));
    const net = rbfNetwork(1, 6, 1, {
      centres: xs.map((x) => [x]),
      sigma: 0.2,
      trainableCentres: false,
      trainableSigmas: false,
      bias: false,
    });
    scope(() => {
      const x = tensor(xs, { shape: [6, 1] });
      const phi = (net.at(0) as RBF).forward(x); // [6, 6], symmetric, positive definite
      const w = solve(phi, tensor(ts, { shape: [6, 1] })); // [6, 1]
      (net.at(1) as Linear).weight.assign(w.transpose(0, 1));
      const y = Array.from(net.forward(x).dataSync());
      for (const [i, v] of y.entries()) expect(v).toBeCloseTo(ts[i]!, 4);
    });
    net.dispose();
  });

  it('least-squares read-out (lstsq) recovers the weights of targets built from the basis', () => {
    // t(x) = 2·φ₁(x) − φ₃(x) + 0.5, with φⱼ written out here: centres 0, 0.5, 1 and σ = 0.3.
    const g = (x: number, c: number) => Math.exp(-((x - c) ** 2) / (2 * 0.3 * 0.3));
    const xs = [0, 0.1, 0.3, 0.45, 0.7, 0.9, 1];
    const ts = xs.map((x) => 2 * g(x, 0) - g(x, 1) + 0.5);
    const rbf = new RBF(1, 3, { centres: [[0], [0.5], [1]], sigma: 0.3, trainableCentres: false });
    scope(() => {
      const x = tensor(xs, { shape: [7, 1] });
      const a = concat([rbf.forward(x), tensor(new Array(7).fill(1), { shape: [7, 1] })], 1);
      const coef = Array.from(lstsq(a, tensor(ts, { shape: [7, 1] })).dataSync());
      for (const [i, w] of [2, 0, -1, 0.5].entries()) expect(coef[i]).toBeCloseTo(w, 3);
    });
    rbf.dispose();
  });

  it('fixed centres and widths are buffers, not parameters', () => {
    const fixed = new RBF(2, 3, { trainableCentres: false, trainableSigmas: false, seed: 1 });
    expect(fixed.namedParameters().map(([k]) => k)).toEqual([]);
    expect(Object.keys(fixed.stateDict()).sort()).toEqual(['centres', 'sigmas']);
    const learnt = new RBF(2, 3, { seed: 1 });
    expect(
      learnt
        .namedParameters()
        .map(([k]) => k)
        .sort(),
    ).toEqual(['centres', 'sigmas']);
    fixed.dispose();
    learnt.dispose();
  });

  it('rejects bad input clearly', () => {
    expect(() => new RBF(2, 3, { sigma: 0 })).toThrow(
      /RBF: sigma must be a positive number or 3 positive numbers, got 0/,
    );
    expect(() => new RBF(2, 3, { sigma: [1, 1] })).toThrow(/RBF: sigma must be/);
    expect(
      () =>
        new RBF(2, 2, {
          centres: [
            [1, 2, 3],
            [4, 5, 6],
          ],
        }),
    ).toThrow(/RBF: centres must be \[2, 2\], got \[2,3\]/);
    expect(() => new RBF(0, 2)).toThrow(/RBF: inFeatures must be a positive integer, got 0/);
    const rbf = new RBF(2, 3, { seed: 1 });
    scope(() => {
      expect(() => rbf.forward(randn([4, 3]))).toThrow(
        /RBF: input must be \[batch, 2\] or \[2\], got \[4,3\]/,
      );
    });
    rbf.dispose();
  });

  it('a training step leaks nothing', () => {
    const net = rbfNetwork(2, 4, 1, { seed: 2 });
    const before = memory().tensors;
    for (let i = 0; i < 2; i++)
      scope(() => {
        net
          .forward(randn([5, 2]))
          .square()
          .sum()
          .backward();
        net.zeroGrad();
      });
    expect(memory().tensors).toBe(before);
    net.dispose();
  });
});
