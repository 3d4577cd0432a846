import { memory, type Parameter, scope, type Tensor, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  DeltaBarDelta,
  type DeltaBarDeltaOptions,
  loadOptimizerState,
  saveOptimizerState,
} from '../src/index.js';
import { expectClose, loadFixture, paramOf } from './helpers.js';

// Golden values: a sequence worked by hand, closed forms on f(w) = w², and a float64 numpy run of
// Jacobs' rule on a coupled quadratic (tools/gen_canon_gaps_fixtures.py).

interface DbdCase {
  name: string;
  A: number[];
  b: number[];
  w0: number[];
  options: Pick<DeltaBarDeltaOptions, 'lr' | 'kappa' | 'phi' | 'theta' | 'momentum'>;
  steps: { params: number[]; rates: number[] }[];
}
const fx = loadFixture<{ dbd: DbdCase[] }>('canon-gaps.json');

const param = (v: number[]): Parameter => paramOf(tensor(v));

/** One step on f(w) = w²: grad 2w. */
function stepSquare(opt: DeltaBarDelta, w: Parameter): void {
  scope(() => {
    w.square().sum().backward();
    opt.step();
    opt.zeroGrad();
  });
}

const rates = (opt: DeltaBarDelta, w: Parameter): number[] =>
  Array.from((opt.state.get(w)!.rates as Tensor).dataSync() as Float32Array);

describe('DeltaBarDelta follows Jacobs (1988)', () => {
  it('a sequence worked by hand: f(w) = w², w₀ = 1, lr 0.1, κ 0.05, φ 0.5, θ 0.5', () => {
    // t=1: δ̄=0 → ε=0.1, w = 1 − 0.1·2 = 0.8, δ̄ = 1. t=2: δ̄·δ = 1.6 > 0 → ε = 0.15,
    // w = 0.8 − 0.15·1.6 = 0.56, δ̄ = 1.3. t=3: ε = 0.2, w = 0.336. t=4: ε = 0.25, w = 0.168.
    const w = param([1]);
    const opt = new DeltaBarDelta([w], { lr: 0.1, kappa: 0.05, phi: 0.5, theta: 0.5 });
    const expected = [
      [0.8, 0.1],
      [0.56, 0.15],
      [0.336, 0.2],
      [0.168, 0.25],
    ];
    for (const [wt, eps] of expected) {
      stepSquare(opt, w);
      expect(w.item()).toBeCloseTo(wt!, 6);
      expect(rates(opt, w)[0]).toBeCloseTo(eps!, 6);
    }
    expect((opt.state.get(w)!.deltaBar as Tensor).item()).toBeCloseTo(0.941, 6);
    opt.dispose();
    w.dispose();
  });

  it('a sign flip shrinks the rate by φ: f(w) = w², lr 0.8, κ 0.1, φ 0.5, θ 0', () => {
    // t=1: w = 1 − 1.6 = −0.6. t=2: δ̄·δ = 2·(−1.2) < 0 → ε = 0.4, w = −0.6 + 0.48 = −0.12.
    // t=3: δ̄·δ = (−1.2)(−0.24) > 0 → ε = 0.5, w = −0.12 + 0.12 = 0.
    const w = param([1]);
    const opt = new DeltaBarDelta([w], { lr: 0.8, kappa: 0.1, phi: 0.5, theta: 0 });
    for (const [wt, eps] of [
      [-0.6, 0.8],
      [-0.12, 0.4],
      [0, 0.5],
    ]) {
      stepSquare(opt, w);
      expect(w.item()).toBeCloseTo(wt!, 6);
      expect(rates(opt, w)[0]).toBeCloseTo(eps!, 6);
    }
    opt.dispose();
    w.dispose();
  });

  it('closed form while the slope keeps its sign: w_T = w₀·Π(1 − 2(ε₀ + κ(t−1)))', () => {
    const [w0, lr, kappa, T] = [3, 0.01, 0.004, 12];
    const w = param([w0, -w0]);
    const opt = new DeltaBarDelta([w], { lr, kappa, theta: 0.9 });
    let expected = w0;
    for (let t = 1; t <= T; t++) {
      stepSquare(opt, w);
      expected *= 1 - 2 * (lr + kappa * (t - 1));
    }
    expectClose(w.dataSync(), [expected, -expected], `w after ${T} steps`, 1e-5);
    expectClose(rates(opt, w), [lr + kappa * (T - 1), lr + kappa * (T - 1)], 'rates', 1e-5);
    opt.dispose();
    w.dispose();
  });

  it('closed form while it flips every step (θ = 0): ε_t = ε₀(1 − φ)^(t−1), w_T = Π(1 − 2ε_t)', () => {
    // ε₀ = 2, φ = 0.2: rates 2, 1.6, …, 0.524 all above ½, so 1 − 2ε < 0 and w flips each step.
    const w = param([1]);
    const opt = new DeltaBarDelta([w], { lr: 2, kappa: 1, phi: 0.2, theta: 0 });
    let expected = 1;
    for (let t = 1; t <= 7; t++) {
      stepSquare(opt, w);
      expected *= 1 - 2 * 2 * 0.8 ** (t - 1);
    }
    expect(w.item()).toBeCloseTo(expected, 5);
    expect(rates(opt, w)[0]).toBeCloseTo(2 * 0.8 ** 6, 5);
    opt.dispose();
    w.dispose();
  });

  it.each(fx.dbd.map((c) => [c.name, c] as const))(
    'matches a float64 run on a coupled quadratic: %s',
    (_n, c) => {
      const w = param(c.w0);
      const A = tensor(c.A, { shape: [2, 2] });
      const b = tensor(c.b);
      const opt = new DeltaBarDelta([w], c.options);
      for (const [t, s] of c.steps.entries()) {
        scope(() => {
          // f(w) = ½ wᵀAw − bᵀw, gradient Aw − b.
          w.matmul(A).mul(w).sum().mul(0.5).sub(w.mul(b).sum()).backward();
          opt.step();
          opt.zeroGrad();
        });
        expectClose(w.dataSync(), s.params, `${c.name}: params after step ${t + 1}`, 1e-5, 1e-6);
        expectClose(rates(opt, w), s.rates, `${c.name}: rates after step ${t + 1}`, 1e-5, 1e-6);
      }
      opt.dispose();
      [w, A, b].forEach((t) => {
        t.dispose();
      });
    },
  );
});

describe('DeltaBarDelta', () => {
  it('maxLr caps the rates; maximize climbs', () => {
    const w = param([1]);
    const opt = new DeltaBarDelta([w], { lr: 0.01, kappa: 0.05, maxLr: 0.03 });
    for (let t = 0; t < 4; t++) stepSquare(opt, w);
    expect(rates(opt, w)[0]).toBeCloseTo(0.03, 7);
    opt.dispose();
    const up = new DeltaBarDelta([w], { lr: 0.1, maximize: true });
    const before = w.item() as number;
    stepSquare(up, w);
    expect(w.item()).toBeCloseTo(before * 1.2, 6); // w + 0.1·2w
    up.dispose();
    w.dispose();
  });

  it('stateDict / loadStateDict resume the run exactly (rates, δ̄, velocity)', () => {
    const opts = { lr: 0.05, kappa: 0.01, phi: 0.4, theta: 0.6, momentum: 0.5 };
    const a = param([1, -2, 0.5]);
    const optA = new DeltaBarDelta([a], opts);
    for (let t = 0; t < 3; t++) stepSquare(optA, a);
    const b = scope(() => paramOf(a.mul(1)));
    const optB = new DeltaBarDelta([b], { lr: 1 });
    optB.loadStateDict(optA.stateDict());
    expect(optB.paramGroups[0]!.kappa).toBe(0.01);
    for (let t = 0; t < 3; t++) {
      stepSquare(optA, a);
      stepSquare(optB, b);
    }
    expectClose(b.dataSync(), a.dataSync(), 'resumed params', 0, 0);
    expect(Object.keys(optA.stateDict().state['0']!).sort()).toEqual([
      'deltaBar',
      'rates',
      'step',
      'velocity',
    ]);
    optA.dispose();
    optB.dispose();
    a.dispose();
    b.dispose();
  });

  it('saveOptimizerState / loadOptimizerState round-trip through safetensors (maxLr Infinity included)', async () => {
    const a = param([0.7, -0.2]);
    const optA = new DeltaBarDelta([a], { lr: 0.05, kappa: 0.02 });
    for (let t = 0; t < 3; t++) stepSquare(optA, a);
    const bytes = await saveOptimizerState(optA);
    const b = scope(() => paramOf(a.mul(1)));
    const optB = new DeltaBarDelta([b]);
    loadOptimizerState(optB, bytes);
    for (let t = 0; t < 3; t++) {
      stepSquare(optA, a);
      stepSquare(optB, b);
    }
    expectClose(b.dataSync(), a.dataSync(), 'resumed from bytes', 0, 0);
    expectClose(rates(optB, b), rates(optA, a), 'rates', 0, 0);
    optA.dispose();
    optB.dispose();
    a.dispose();
    b.dispose();
  });

  it('steps are memory-flat; size-1 and empty parameters work', () => {
    const w = param([0.3]);
    const e = paramOf(tensor(new Float32Array(0), { shape: [0, 3] }));
    const opt = new DeltaBarDelta([w, e], { lr: 0.1, momentum: 0.9 });
    const counts: number[] = [];
    for (let t = 0; t < 5; t++) {
      scope(() => {
        w.square().sum().add(e.sum()).backward();
        opt.step();
        opt.zeroGrad();
      });
      counts.push(memory().tensors);
    }
    expect(new Set(counts).size).toBe(1);
    expect(e.shape).toEqual([0, 3]);
    opt.dispose();
    w.dispose();
    e.dispose();
  });

  it('documents its defaults: lr 0.01, κ 0.035, φ 0.333, θ 0.7, no momentum', () => {
    const w = param([1]);
    const opt = new DeltaBarDelta([w]);
    expect(opt.defaults).toMatchObject({ lr: 0.01, kappa: 0.035, phi: 0.333, theta: 0.7, momentum: 0 });
    opt.dispose();
    w.dispose();
  });

  it('rejects bad options, naming the optimizer and the option', () => {
    const w = param([1]);
    expect(() => new DeltaBarDelta([w], { phi: 1 })).toThrow(
      /DeltaBarDelta: invalid phi 1 \(must be in \[0, 1\)\)/,
    );
    expect(() => new DeltaBarDelta([w], { theta: -0.1 })).toThrow(/DeltaBarDelta: invalid theta/);
    expect(() => new DeltaBarDelta([w], { momentum: 1 })).toThrow(/DeltaBarDelta: invalid momentum/);
    expect(() => new DeltaBarDelta([w], { kappa: -1 })).toThrow(/DeltaBarDelta: invalid kappa -1/);
    expect(() => new DeltaBarDelta([w], { lr: 0.1, maxLr: 0.01 })).toThrow(
      /DeltaBarDelta: invalid maxLr 0.01/,
    );
    expect(() => new DeltaBarDelta([w], { lr: -1 })).toThrow(
      /DeltaBarDelta: parameter group 0 has invalid lr -1/,
    );
    expect(() => new DeltaBarDelta([])).toThrow(/DeltaBarDelta: got an empty parameter list/);
    w.dispose();
  });
});
