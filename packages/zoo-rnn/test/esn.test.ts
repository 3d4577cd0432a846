import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EchoStateNetwork, ridgeRegression, spectralRadius } from '../src/index.js';

/** Golden numbers: tools/gen_zoo_rnn_series_fixtures.py (numpy: eigvals, solve, the guide's update). */
const fx = JSON.parse(readFileSync(new URL('../fixtures/series.json', import.meta.url), 'utf8'));
const E = fx.esn;

describe('echo-state network', () => {
  it('spectral radius matches numpy eigvals, for a real and for a complex dominant pair', () => {
    for (const c of E.spectral)
      expect(Math.abs(spectralRadius(c.matrix, c.n) - c.radius) / c.radius).toBeLessThan(5e-3);
    expect(spectralRadius([0, 1, 0, 0], 2)).toBe(0); // nilpotent
    expect(spectralRadius([-3], 1)).toBeCloseTo(3, 12);
    expect(() => spectralRadius([1, 2, 3], 2)).toThrow('spectralRadius: a 2×2 matrix needs 4 values, got 3');
  });

  it('ridge regression solves (ZᵀZ + βI) W = ZᵀY as numpy', () => {
    const r = E.ridge;
    const w = ridgeRegression(r.z, r.y, 20, 4, 2, r.beta);
    r.w.forEach((v: number, i: number) => {
      expect(w[i]).toBeCloseTo(v, 10);
    });
    expect(() => ridgeRegression([1, 2, 3], [1], 1, 2, 1, 0)).toThrow(
      'ridgeRegression: the design matrix should be 1×2 (2 values), got 3',
    );
    expect(() => ridgeRegression([0, 0], [1], 1, 2, 1, 0)).toThrow(
      'ridgeRegression: ZᵀZ + βI is not positive definite (pivot 0)',
    );
  });

  it('the leaky reservoir update matches the guide’s equations (numpy)', () => {
    const r = E.reservoir;
    const esn = new EchoStateNetwork({
      inputSize: 1,
      reservoirSize: 5,
      win: Float64Array.from(r.win),
      w: Float64Array.from(r.w),
      leakRate: r.leak,
    });
    const states = esn.states(r.inputs);
    r.states.forEach((v: number, i: number) => {
      expect(states[i]).toBeCloseTo(v, 8);
    });
    expect([...esn.lastState]).toEqual([...states.subarray(35, 40)]);
  });

  it('scales a random reservoir to the requested spectral radius', () => {
    const esn = new EchoStateNetwork({ reservoirSize: 40, spectralRadius: 0.7, seed: 3 });
    expect(spectralRadius(esn.w, 40, { seed: 9 })).toBeCloseTo(0.7, 2);
  });

  it('learns a sine one step ahead, and runs free from the fitted state', () => {
    const u = Float64Array.from({ length: 300 }, (_, t) => Math.sin(t / 4));
    const esn = new EchoStateNetwork({ reservoirSize: 50, spectralRadius: 0.9, ridge: 1e-8, seed: 1 });
    esn.fit(u.subarray(0, 199), u.subarray(1, 200), 1, 50);
    const out = esn.run(u.subarray(0, 299));
    let err = 0;
    for (let t = 200; t < 299; t++) err = Math.max(err, Math.abs(out[t]! - u[t + 1]!));
    expect(err).toBeLessThan(1e-3);
    const states = esn.states(u.subarray(0, 200));
    // From the state before u_199 (after u_198), fed u_199: outputs forecast u_200, u_201, …
    const gen = esn.generate(states.subarray(198 * 50, 199 * 50), [u[199]!], 20);
    // Free-running errors compound: close for the first steps, still on the sine after 20.
    for (let k = 0; k < 20; k++) expect(Math.abs(gen[k]! - u[200 + k]!)).toBeLessThan(k < 5 ? 0.02 : 0.2);
  });

  it('says what it expected for a wrong initial state, washout, target count or an unfitted readout', () => {
    const esn = new EchoStateNetwork({ reservoirSize: 4, seed: 1 });
    expect(() => esn.run([1, 2])).toThrow(
      'EchoStateNetwork.run: the readout is not fitted yet; call fit first',
    );
    expect(() => esn.states([1], [0, 0])).toThrow(
      'EchoStateNetwork.states: the initial state has 2 values, expected the reservoir size 4',
    );
    expect(() => esn.fit([1, 2, 3], [1, 2], 1)).toThrow(
      'EchoStateNetwork.fit: 3 input steps need 3 target values (1 per step), got 2',
    );
    expect(() => esn.fit([1, 2, 3], [1, 2, 3], 1, 3)).toThrow(
      'EchoStateNetwork.fit: washout must be an integer in [0, 3) for 3 steps, got 3',
    );
    expect(
      () =>
        new EchoStateNetwork({
          inputSize: 1,
          reservoirSize: 2,
          win: new Float64Array(3),
          w: new Float64Array(4),
        }),
    ).toThrow('EchoStateNetwork: win should be [2, 2] (4 values), got 3');
    expect(() => new EchoStateNetwork({ leakRate: 0 })).toThrow(
      'EchoStateNetwork: leakRate must be in (0, 1], got 0',
    );
    expect(esn.states([]).length).toBe(0);
  });
});
