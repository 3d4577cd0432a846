import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { EnvError } from '../src/env.js';
import {
  BernoulliBandit,
  CliffWalking,
  FrozenLake,
  GaussianBandit,
  GridWorld,
  type Transition,
} from '../src/index.js';

/** Built by tools/gen_rl_tabular_fixtures.py from Gymnasium's published toy_text rules. */
const fx = JSON.parse(
  readFileSync(new URL('../fixtures/tabular-dynamics.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

/** P as sorted outcome lists, so the order of equal-probability outcomes does not matter. */
function normalise(P: readonly (readonly (readonly Transition[])[])[]) {
  return P.map((row) => row.map((outs) => outs.map((t) => [t[0], t[1], t[2], t[3]] as const).sort()));
}

describe('FrozenLake-v1 and CliffWalking-v0 follow Gymnasium', () => {
  test('FrozenLake 4×4 slippery transition table matches the one rebuilt from Gymnasium’s rules', () => {
    const P = normalise(new FrozenLake({ map: '4x4' }).P);
    const want = normalise(fx.frozenlake_4x4_slippery_P as Transition[][][]);
    expect(P.length).toBe(16);
    for (let s = 0; s < 16; s++)
      for (let a = 0; a < 4; a++)
        for (const [i, t] of want[s]![a]!.entries()) {
          expect(P[s]![a]![i]![0]).toBeCloseTo(t[0], 12);
          expect(P[s]![a]![i]!.slice(1)).toEqual(t.slice(1));
        }
  });

  test('FrozenLake 8×8 slippery and 4×4 deterministic tables match too', () => {
    const eq = (got: Transition[][][], want: Transition[][][]) => {
      const g = normalise(got);
      const w = normalise(want);
      expect(g.length).toBe(w.length);
      for (let s = 0; s < g.length; s++)
        for (let a = 0; a < 4; a++) {
          expect(g[s]![a]!.map((t) => t.slice(1))).toEqual(w[s]![a]!.map((t) => t.slice(1)));
          for (const [i, t] of w[s]![a]!.entries()) expect(g[s]![a]![i]![0]).toBeCloseTo(t[0], 12);
        }
    };
    eq(new FrozenLake({ map: '8x8' }).P, fx.frozenlake_8x8_slippery_P as Transition[][][]);
    eq(
      new FrozenLake({ map: '4x4', slippery: false }).P,
      fx.frozenlake_4x4_deterministic_P as Transition[][][],
    );
  });

  test('FrozenLake slips: from state 0 "Down" lands right, down or stays (left edge) about 1/3 each', () => {
    const env = new FrozenLake();
    const counts = new Map<number, number>();
    const n = 6000;
    env.reset(123);
    for (let i = 0; i < n; i++) {
      env.reset();
      const { observation } = env.step(1); // DOWN: slips to LEFT (stays at 0) or RIGHT (1)
      counts.set(observation, (counts.get(observation) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([0, 1, 4]);
    // 3σ of a binomial(6000, 1/3) share is 0.018.
    for (const s of [0, 1, 4]) expect(Math.abs(counts.get(s)! / n - 1 / 3)).toBeLessThan(0.02);
  });

  test('FrozenLake rewards 1 only on the goal, ends in holes and the goal, truncates at 100 (8×8: 200)', () => {
    const env = new FrozenLake({ slippery: false });
    env.reset(0);
    // 0 →(Down) 4 →(Down) 8 →(Right) 9 →(Down) 13 →(Right) 14 →(Right) 15 = G
    const path = [1, 1, 2, 1, 2, 2].map((a) => env.step(a));
    expect(path.map((r) => r.observation)).toEqual([4, 8, 9, 13, 14, 15]);
    expect(path.map((r) => r.reward)).toEqual([0, 0, 0, 0, 0, 1]);
    expect(path.at(-1)!.terminated).toBe(true);
    env.reset(0);
    const hole = env.step(2); // 0 → 1
    expect(hole.terminated).toBe(false);
    const fall = env.step(1); // 1 → 5 = H
    expect([fall.observation, fall.reward, fall.terminated]).toEqual([5, 0, true]);
    expect(new FrozenLake().maxEpisodeSteps).toBe(100);
    expect(new FrozenLake({ map: '8x8' }).maxEpisodeSteps).toBe(200);
    env.reset(0);
    let r = env.step(0);
    for (let t = 1; t < 100; t++) r = env.step(0); // bump into the left wall
    expect([r.terminated, r.truncated]).toEqual([false, true]);
  });

  test('CliffWalking table matches Gymnasium’s; the cliff costs −100 and returns to the start, not ending the episode', () => {
    const env = new CliffWalking();
    expect(normalise(env.P)).toEqual(normalise(fx.cliffwalking_P as Transition[][][]));
    expect(env.reset(0).observation).toBe(36);
    const r = env.step(1); // RIGHT from the start: into the cliff
    expect([r.observation, r.reward, r.terminated, r.truncated]).toEqual([36, -100, false, false]);
    // Up, 11 × Right, Down: the optimal path ends in the goal with −13.
    env.reset(0);
    let total = 0;
    let last = env.step(0);
    total += last.reward;
    for (let i = 0; i < 11; i++) total += (last = env.step(1)).reward;
    total += (last = env.step(2)).reward;
    expect([last.observation, last.terminated, total]).toEqual([47, true, -13]);
    expect(env.maxEpisodeSteps).toBeUndefined();
  });

  test('Sutton & Barto’s 5×5 grid: A jumps to A′ with +10, B to B′ with +5, bumping a wall costs −1', () => {
    const env = new GridWorld('5x5');
    expect(env.P[1]![2]).toEqual([[1, 21, 10, false]]);
    expect(env.P[3]![0]).toEqual([[1, 13, 5, false]]);
    expect(env.P[0]![0]).toEqual([[1, 0, -1, false]]);
    expect(env.P[6]![1]).toEqual([[1, 7, 0, false]]);
    const g4 = new GridWorld('4x4');
    expect(g4.P[1]![3]).toEqual([[1, 0, -1, true]]);
    expect(g4.initial[0]).toBe(0);
  });
});

describe('environment errors, seeding and rendering', () => {
  test('bad actions, step before reset and after the end throw EnvErrors naming the environment', () => {
    const env = new FrozenLake({ slippery: false });
    expect(() => env.step(0)).toThrow(/FrozenLake-v1: step\(\) before reset/);
    env.reset(0);
    expect(() => env.step(4)).toThrow(EnvError);
    expect(() => env.step(4)).toThrow(/FrozenLake-v1: action 4 is outside the action space Discrete\(4\)/);
    expect(() => env.step(1.5)).toThrow(/action 1.5/);
    env.step(2);
    env.step(1); // into the hole at 5
    expect(() => env.step(0)).toThrow(/after the episode ended/);
    expect(() => new FrozenLake({ map: '5x5' as '4x4' })).toThrow(
      /FrozenLake: map must be '4x4' or '8x8', got '5x5'/,
    );
    expect(() => new GaussianBandit(0)).toThrow(/GaussianBandit: k must be an integer ≥ 1, got 0/);
    expect(() => new BernoulliBandit(2, { probs: [0.5, 1.5] })).toThrow(/must lie in \[0, 1\], got 1.5/);
    const bandit = new GaussianBandit(3);
    bandit.reset(0);
    expect(() => bandit.step(3)).toThrow(
      /GaussianBandit: action 3 is outside the action space Discrete\(3\)/,
    );
  });

  test('the same seed gives the same episode; another seed another one', () => {
    const roll = (seed: number) => {
      const env = new FrozenLake({ map: '8x8' });
      const out: number[] = [env.reset(seed).observation];
      for (let t = 0; t < 50; t++) {
        const r = env.step(t % 4);
        out.push(r.observation);
        if (r.terminated) break;
      }
      return out;
    };
    expect(roll(5)).toEqual(roll(5));
    expect(roll(5)).not.toEqual(roll(6));
    const b = (seed: number) => {
      const env = new GaussianBandit(10, { seed: 3 });
      env.reset(seed);
      return Array.from({ length: 5 }, (_, i) => env.step(i).reward);
    };
    expect(b(1)).toEqual(b(1));
    expect(b(1)).not.toEqual(b(2));
    expect(new GaussianBandit(10, { seed: 3 }).means).toEqual(new GaussianBandit(10, { seed: 3 }).means);
  });

  test('bandit rewards have the stated means (Gaussian σ = 1; Bernoulli p)', () => {
    const g = new GaussianBandit(2, { means: [0.5, -1] });
    g.reset(0);
    let sum = 0;
    let sq = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const r = g.step(0).reward;
      sum += r;
      sq += r * r;
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(4 / Math.sqrt(n));
    expect(sq / n - (sum / n) ** 2).toBeCloseTo(1, 1);
    const b = new BernoulliBandit(2, { probs: [0.2, 0.9] });
    b.reset(0);
    let wins = 0;
    for (let i = 0; i < n; i++) wins += b.step(1).reward;
    expect(Math.abs(wins / n - 0.9)).toBeLessThan(0.01);
  });

  test('text and RGB frames show the map and the agent', () => {
    const env = new FrozenLake();
    env.reset(0);
    expect(env.renderText()).toBe('xFFF\nFHFH\nFFFH\nHFFG');
    const f = env.renderFrame();
    expect([f.height, f.width, f.data.length]).toEqual([48, 48, 3 * 48 * 48]);
    for (const v of f.data) expect(v >= 0 && v <= 1).toBe(true);
    // The agent disc (red) sits in the middle of cell 0; cell 5 is a dark hole.
    const px = (c: number, y: number, x: number) => f.data[c * 48 * 48 + y * 48 + x]!;
    expect([px(0, 6, 6), px(1, 6, 6)]).toEqual([expect.closeTo(0.85, 5), expect.closeTo(0.2, 5)]);
    expect(px(2, 18, 18)).toBeCloseTo(0.45, 5);
    const cliff = new CliffWalking();
    cliff.reset(0);
    expect(cliff.renderText().split('\n').at(-1)).toBe('xCCCCCCCCCCG');
  });
});
