import { memory, type Tensor, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import fixture from '../fixtures/energy-hopfield.json';
import { corruptPatterns, Hopfield, hopfieldCapacity } from '../src/energy/hopfield.js';

const rows = (t: Tensor) => t.arraySync() as number[][];

function expectClose(actual: number[][], expected: number[][], tol: number) {
  expect(actual.length).toBe(expected.length);
  for (const [i, row] of actual.entries())
    for (const [j, v] of row.entries()) expect(Math.abs(v - expected[i]![j]!)).toBeLessThan(tol);
}

/** Φ, the standard normal CDF, from erfc's Abramowitz–Stegun 7.1.26 approximation (|error| < 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const y = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erfc = y * Math.exp(-z * z);
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

describe('Hopfield network', () => {
  it('Hebbian weights of two 3-unit patterns, worked by hand: W = (ξ¹ξ¹ᵀ + ξ²ξ²ᵀ)/3, zero diagonal', () => {
    const xi = tensor([
      [1, -1, 1],
      [1, 1, -1],
    ]);
    const net = Hopfield.store(xi);
    expectClose(
      rows(net.weight),
      [
        [0, 0, 0],
        [0, 0, -2 / 3],
        [0, -2 / 3, 0],
      ],
      1e-6,
    );
    // E(s) = −½ Σᵢⱼ wᵢⱼ sᵢ sⱼ: for (1, 1, 1) it is −½·2·(−2/3) = 2/3; for ξ¹ it is −2/3.
    const e = net.energy(
      tensor([
        [1, 1, 1],
        [1, -1, 1],
      ]),
    );
    expect(e.shape).toEqual([2]);
    const [a, b] = e.arraySync() as number[];
    expect(a).toBeCloseTo(2 / 3, 6);
    expect(b).toBeCloseTo(-2 / 3, 6);
    for (const t of [xi, e]) t.dispose();
    net.dispose();
  });

  it("Storkey's rule and the pseudo-inverse rule match numpy's literal sums (fixture)", () => {
    const xi = tensor(fixture.patterns);
    const storkey = Hopfield.store(xi, { rule: 'storkey' });
    expectClose(rows(storkey.weight), fixture.storkey, 1e-5);
    const pinv = Hopfield.store(xi, { rule: 'pseudo-inverse' });
    expectClose(rows(pinv.weight), fixture.pseudoInverse, 1e-5);
    xi.dispose();
    storkey.dispose();
    pinv.dispose();
  });

  it('the energy never increases under asynchronous updates (overloaded network, random starts)', () => {
    const n = 40;
    // 12 random patterns in 40 units: far past capacity, so recall wanders through many states.
    const patterns = tensor(
      Array.from({ length: 12 }, (_, p) =>
        Array.from({ length: n }, (_, i) => (Math.sin(p * 7.1 + i * 3.3) > 0 ? 1 : -1)),
      ),
    );
    const net = Hopfield.store(patterns);
    const starts = tensor(
      Array.from({ length: 6 }, (_, r) =>
        Array.from({ length: n }, (_, i) => (Math.cos(r * 5.7 + i * 1.9) > 0.2 ? 1 : -1)),
      ),
    );
    const energies: number[][] = [];
    const record = (s: Tensor) => {
      const e = net.energy(s);
      energies.push(e.arraySync() as number[]);
      e.dispose();
    };
    record(starts);
    const out = net.recall(starts, { seed: 3, onUpdate: record });
    let rises = 0;
    let falls = 0;
    for (let t = 1; t < energies.length; t++)
      energies[t]!.forEach((e, r) => {
        if (e > energies[t - 1]![r]! + 1e-5) rises++;
        if (e < energies[t - 1]![r]! - 1e-5) falls++;
      });
    expect(rises).toBe(0);
    expect(falls).toBeGreaterThan(0);
    expect(out.converged).toBe(true);
    // A converged state is a fixed point: every unit agrees with the sign of its field.
    const f = net.field(out.states);
    const fr = rows(f);
    for (const [r, s] of rows(out.states).entries())
      for (const [i, v] of s.entries())
        expect(v * fr[r]![i]! >= 0 || (v === 1 && fr[r]![i] === 0)).toBe(true);
    for (const t of [patterns, starts, out.states, f]) t.dispose();
    net.dispose();
  });

  it('synchronous updates can 2-cycle where asynchronous ones settle (two units, w₁₂ = −½)', () => {
    const net = Hopfield.store(tensor([[1, -1]]));
    const start = tensor([[1, 1]]);
    const sync = net.recall(start, { mode: 'sync', maxSweeps: 6, snapshotsPerSweep: 1 });
    expect(sync.converged).toBe(false);
    expect(sync.snapshots.map((s) => rows(s)[0])).toEqual([
      [1, 1],
      [-1, -1],
      [1, 1],
      [-1, -1],
      [1, 1],
      [-1, -1],
      [1, 1],
    ]);
    const async = net.recall(start, { seed: 0 });
    expect(async.converged).toBe(true);
    const s = rows(async.states)[0]!;
    expect(s[0]).toBe(-s[1]!);
    for (const t of [start, sync.states, async.states, ...sync.snapshots, ...async.snapshots]) t.dispose();
    net.dispose();
  });

  it('Hebbian capacity: the one-step bit error rate of random patterns is Φ(−√((N−1)/(P−1))) (HKP §2.2)', () => {
    const [r] = hopfieldCapacity({ size: 400, counts: [80], trials: 3, seed: 5 });
    const theory = phi(-Math.sqrt(399 / 79));
    // 96,000 bits, ~1,200 expected errors: ±12% is about four standard deviations.
    expect(Math.abs(r!.bitErrorRate - theory) / theory).toBeLessThan(0.12);
    const [few] = hopfieldCapacity({ size: 400, counts: [4], trials: 2, seed: 6 });
    expect(few!.stableFraction).toBe(1);
  });

  it('corruptPatterns flips exactly round(flip·N) units of each copy', () => {
    const xi = tensor([[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]);
    const noisy = corruptPatterns(xi, { flip: 0.2, count: 4, seed: 1 });
    expect(noisy.shape).toEqual([4, 10]);
    for (const row of rows(noisy)) expect(row.filter((v) => v === -1)).toHaveLength(2);
    xi.dispose();
    noisy.dispose();
  });

  it('edges: one pattern, batch of one state; memory flat across recalls', () => {
    const xi = tensor([[1, -1, 1, -1, 1, 1]]);
    const net = Hopfield.store(xi);
    const before = memory().tensors;
    for (let i = 0; i < 3; i++) {
      const start = tensor([[1, -1, 1, -1, 1, -1]]);
      const out = net.recall(start, { seed: i, snapshotsPerSweep: 2 });
      expect(rows(out.states)).toEqual([[1, -1, 1, -1, 1, 1]]);
      for (const t of [start, out.states, ...out.snapshots]) t.dispose();
      expect(memory().tensors).toBe(before);
    }
    xi.dispose();
    net.dispose();
  });

  it('bad input gets a clear error naming the function', () => {
    expect(() => Hopfield.store(tensor([[1, 0, -1]]))).toThrow(
      /Hopfield.store: every value must be −1 or \+1, got 0/,
    );
    expect(() => Hopfield.store(tensor([1, -1]))).toThrow(
      /Hopfield.store: expected a \[count ≥ 1, units ≥ 2\]/,
    );
    expect(() =>
      Hopfield.store(
        tensor([
          [1, -1],
          [1, -1],
        ]),
        { rule: 'pseudo-inverse' },
      ),
    ).toThrow(/linearly dependent/);
    const net = Hopfield.store(tensor([[1, -1, 1]]));
    expect(() => net.recall(tensor([[1, -1]]))).toThrow(/the network has 3 units but the states have 2/);
    expect(() => net.recall(tensor([[1, -1, 1]]), { maxSweeps: 0 })).toThrow(
      /maxSweeps must be an integer ≥ 1/,
    );
    expect(() => new Hopfield(1)).toThrow(/Hopfield: size must be an integer ≥ 2, got 1/);
  });
});
