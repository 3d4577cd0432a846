import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  BernoulliBandit,
  CliffWalking,
  EpsilonGreedyBandit,
  FrozenLake,
  GaussianBandit,
  GridWorld,
  greedyRollout,
  monteCarloControl,
  policyEvaluation,
  policyIteration,
  runBandit,
  slope,
  ThompsonBandit,
  tdControl,
  tdLambda,
  UcbBandit,
  uniformPolicy,
  valueIteration,
} from '../src/index.js';

const fx = JSON.parse(
  readFileSync(new URL('../fixtures/tabular-dynamics.json', import.meta.url), 'utf8'),
) as Record<string, number[]>;

/** Sutton & Barto (2nd ed.), Figure 4.1: v_π of the equiprobable policy on the 4×4 grid, γ = 1. */
const SB_FIG_4_1 = [0, -14, -20, -22, -14, -18, -20, -20, -20, -20, -18, -14, -22, -20, -14, 0];
/** Sutton & Barto, Figure 3.2 (random policy, γ = 0.9) and Figure 3.5 (v*), one decimal. */
const SB_FIG_3_2 = [
  3.3, 8.8, 4.4, 5.3, 1.5, 1.5, 3.0, 2.3, 1.9, 0.5, 0.1, 0.7, 0.7, 0.4, -0.4, -1.0, -0.4, -0.4, -0.6, -1.2,
  -1.9, -1.3, -1.2, -1.4, -2.0,
];
const SB_FIG_3_5 = [
  22.0, 24.4, 22.0, 19.4, 17.5, 19.8, 22.0, 19.8, 17.8, 16.0, 17.8, 19.8, 17.8, 16.0, 14.4, 16.0, 17.8, 16.0,
  14.4, 13.0, 14.4, 16.0, 14.4, 13.0, 11.7,
];

const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number) => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++)
    expect(Math.abs(got[i]! - want[i]!), `entry ${i}`).toBeLessThanOrEqual(tol);
};

describe('dynamic programming, against published values and exact solves', () => {
  test('policy evaluation of the random policy reproduces S&B Figure 4.1 and Figure 3.2', () => {
    const g4 = new GridWorld('4x4');
    close(policyEvaluation(g4, uniformPolicy(g4), { gamma: 1 }), SB_FIG_4_1, 1e-6);
    close(policyEvaluation(g4, uniformPolicy(g4), { gamma: 1 }), fx.gridworld_4x4_random_v_gamma1!, 1e-7);
    const g5 = new GridWorld('5x5');
    close(policyEvaluation(g5, uniformPolicy(g5), { gamma: 0.9 }), SB_FIG_3_2, 0.05);
    close(policyEvaluation(g5, uniformPolicy(g5), { gamma: 0.9 }), fx.gridworld_5x5_random_v_gamma09!, 1e-7);
  });

  test('value iteration and policy iteration reach v* (S&B Figure 3.5; Cliff −13 from the start; FrozenLake)', () => {
    const g5 = new GridWorld('5x5');
    close(valueIteration(g5, { gamma: 0.9 }).v, SB_FIG_3_5, 0.05);
    close(policyIteration(g5, { gamma: 0.9 }).v, fx.gridworld_5x5_vstar_gamma09!, 1e-7);
    const cliff = new CliffWalking();
    const vi = valueIteration(cliff, { gamma: 1 });
    close(vi.v, fx.cliffwalking_vstar_gamma1!, 1e-9);
    expect(vi.v[CliffWalking.START]).toBe(-13);
    close(valueIteration(new FrozenLake(), { gamma: 0.99 }).v, fx.frozenlake_4x4_vstar_gamma099!, 1e-7);
    close(
      policyIteration(new FrozenLake({ map: '8x8' }), { gamma: 0.99 }).v,
      fx.frozenlake_8x8_vstar_gamma099!,
      1e-7,
    );
  });

  test('bad arguments are named', () => {
    const g = new GridWorld('4x4');
    expect(() => valueIteration(g, { gamma: 1.5 })).toThrow(
      /valueIteration: gamma must lie in \[0, 1\], got 1.5/,
    );
    expect(() => policyEvaluation(g, new Float64Array(3))).toThrow(
      /policy has 3 entries, expected nS·nA = 64/,
    );
    expect(() => tdControl(g, 'qlearning', { episodes: 0 })).toThrow(
      /tdControl: episodes must be an integer ≥ 1, got 0/,
    );
    expect(() => tdControl(g, 'nope' as 'sarsa', { episodes: 1 })).toThrow(
      /method must be qlearning, sarsa or expected-sarsa/,
    );
    expect(() => tdLambda(g, uniformPolicy(g), { episodes: 1, alpha: 0.1, lambda: 2 })).toThrow(
      /lambda must lie in \[0, 1\]/,
    );
  });
});

describe('tabular control on CliffWalking (S&B Example 6.6: α = 0.5, ε = 0.1)', () => {
  test('Q-learning’s greedy policy walks the optimal path: 13 steps, return −13 (as value iteration)', () => {
    const env = new CliffWalking();
    const q = tdControl(env, 'qlearning', { episodes: 300, alpha: 0.5, epsilon: 0.1, seed: 3 });
    const path = greedyRollout(env, q);
    expect([path.return, path.length, path.terminated]).toEqual([-13, 13, true]);
    expect(path.states).toEqual([36, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 47]);
  });

  test('SARSA learns a safer path (longer than 13 steps) and earns more than Q-learning while exploring', () => {
    const returns = (method: 'qlearning' | 'sarsa') => {
      const env = new CliffWalking();
      const rs: number[] = [];
      const q = tdControl(env, method, { episodes: 500, alpha: 0.5, epsilon: 0.1, seed: 1 }, (e) =>
        rs.push(e.return),
      );
      return { mean: rs.slice(-200).reduce((a, b) => a + b) / 200, path: greedyRollout(env, q) };
    };
    const ql = returns('qlearning');
    const sarsa = returns('sarsa');
    expect(sarsa.path.terminated).toBe(true);
    expect(sarsa.path.length).toBeGreaterThan(13);
    expect(sarsa.mean).toBeGreaterThan(ql.mean);
  });

  test('Expected SARSA and first-visit Monte Carlo also reach the goal greedily', () => {
    const env = new CliffWalking();
    const es = greedyRollout(
      env,
      tdControl(env, 'expected-sarsa', { episodes: 300, alpha: 0.9, epsilon: 0.1, seed: 2 }),
    );
    expect(es.terminated).toBe(true);
    expect(es.return).toBeGreaterThanOrEqual(-17);
    // MC on the small 4×4 grid (every episode ends): the greedy policy reaches a corner in the
    // optimal number of steps from every start, i.e. its value equals v* = −(steps to a corner).
    const g = new GridWorld('4x4', { maxEpisodeSteps: 200 });
    const q = monteCarloControl(g, { episodes: 3000, epsilon: 0.2, seed: 1 });
    const vstar = valueIteration(g, { gamma: 1 }).v;
    for (let s = 1; s < 15; s++) {
      const greedyLen = (() => {
        let st = s;
        for (let t = 1; t <= 20; t++) {
          let best = 0;
          for (let a = 1; a < 4; a++) if (q[st * 4 + a]! > q[st * 4 + best]!) best = a;
          st = g.P[st]![best]![0]![1];
          if (st === 0 || st === 15) return t;
        }
        return Infinity;
      })();
      expect(greedyLen, `from state ${s}`).toBe(-vstar[s]!);
    }
  });

  test('TD(λ) with traces estimates S&B Figure 4.1 (random policy), for λ = 0, 0.8 and replacing traces', () => {
    for (const [lambda, traces] of [
      [0, 'accumulating'],
      [0.8, 'accumulating'],
      [0.8, 'replacing'],
    ] as const) {
      const g = new GridWorld('4x4');
      const v = tdLambda(g, uniformPolicy(g), { episodes: 4000, alpha: 0.01, lambda, traces, seed: 1 });
      close(v, SB_FIG_4_1, 2.5);
    }
  });

  test('seeded runs are reproducible', () => {
    const run = (seed: number) => tdControl(new CliffWalking(), 'qlearning', { episodes: 50, seed });
    expect(run(4)).toEqual(run(4));
    expect(run(4)).not.toEqual(run(5));
  });
});

describe('bandits', () => {
  const meanRegret = (
    make: (seed: number) => UcbBandit | EpsilonGreedyBandit | ThompsonBandit,
    runs: number,
    steps: number,
  ) => {
    const m = new Float64Array(steps);
    for (let run = 0; run < runs; run++) {
      const r = runBandit(new GaussianBandit(10, { seed: 1000 + run }), make(run), steps, run);
      for (let t = 0; t < steps; t++) m[t]! += r.regret[t]! / runs;
    }
    return m;
  };
  /** Slope of regret against ln t over t ∈ [from, to]. */
  const logSlope = (m: Float64Array, from: number, to: number) => {
    const x: number[] = [];
    const y: number[] = [];
    for (let t = from; t <= to; t++) [x[x.length], y[y.length]] = [Math.log(t), m[t - 1]!];
    return slope(x, y);
  };

  test('UCB1’s regret grows logarithmically: d regret / d ln t does not grow decade to decade; ε-greedy’s grows ~10×', () => {
    const steps = 5000;
    const ucb = meanRegret((s) => new UcbBandit(10, Math.SQRT2, s), 40, steps);
    const eps = meanRegret((s) => new EpsilonGreedyBandit(10, 0.1, s), 40, steps);
    // Logarithmic growth R ≈ a·ln t + b has a constant slope against ln t; linear growth R ≈ c·t has
    // a slope c·t that grows 10× per decade.
    const ucbEarly = logSlope(ucb, 50, 500);
    const ucbLate = logSlope(ucb, 500, 5000);
    expect(ucbLate).toBeLessThan(1.5 * ucbEarly);
    const epsEarly = logSlope(eps, 50, 500);
    const epsLate = logSlope(eps, 500, 5000);
    expect(epsLate).toBeGreaterThan(4 * epsEarly);
    expect(ucb[steps - 1]!).toBeLessThan(eps[steps - 1]!);
    // And the fit to a·ln t + b over the last two decades is tight (R² > 0.98).
    const x: number[] = [];
    const y: number[] = [];
    for (let t = 50; t <= steps; t++) [x[x.length], y[y.length]] = [Math.log(t), ucb[t - 1]!];
    const a = slope(x, y);
    const mx = x.reduce((p, q) => p + q) / x.length;
    const my = y.reduce((p, q) => p + q) / y.length;
    let ssr = 0;
    let sst = 0;
    for (let i = 0; i < x.length; i++) {
      ssr += (y[i]! - (my + a * (x[i]! - mx))) ** 2;
      sst += (y[i]! - my) ** 2;
    }
    expect(1 - ssr / sst).toBeGreaterThan(0.98);
  });

  test('Thompson sampling finds the best arm; Beta-Bernoulli Thompson too', () => {
    const g = new GaussianBandit(10, { seed: 11 });
    const r = runBandit(g, new ThompsonBandit(10, 'gaussian', 1), 3000, 1);
    expect(r.optimalFraction).toBeGreaterThan(0.8);
    const b = new BernoulliBandit(3, { probs: [0.1, 0.5, 0.7] });
    const rb = runBandit(b, new ThompsonBandit(3, 'bernoulli', 2), 3000, 2);
    expect(rb.optimalFraction).toBeGreaterThan(0.8);
    expect(() => new ThompsonBandit(2, 'bernoulli').update(0, 0.5)).toThrow(
      /rewards must be 0 or 1, got 0.5/,
    );
  });
});
