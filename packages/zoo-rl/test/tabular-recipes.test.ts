import { describe, expect, test } from 'vitest';
import { tabularRecipes } from '../src/index.js';
import { metric, runRecipe } from './recipe-run.js';

/** Fast configurations of the tabular recipes, trained for real, each to a stated quality. */
describe('tabular recipes (fast configurations)', () => {
  test('bandit-10arm: UCB1 and Thompson end with far less regret than ε-greedy; UCB1’s log-slope is small', async () => {
    const run = await runRecipe(tabularRecipes['bandit-10arm'], { runs: '20', steps: '2000' });
    expect(run.episodes.length).toBe(60);
    const eps = metric(run.events, 'ε-greedy regret at t=2000')!;
    const ucb = metric(run.events, 'UCB1 regret at t=2000')!;
    const ts = metric(run.events, 'Thompson regret at t=2000')!;
    expect(ucb).toBeLessThan(0.5 * eps);
    expect(ts).toBeLessThan(0.5 * eps);
    // Linear regret c·t has slope c·t against ln t; ε-greedy's is ~10× UCB1's by t = 2000.
    expect(metric(run.events, 'UCB1 d regret / d ln t (last decade)')!).toBeLessThan(
      0.3 * metric(run.events, 'ε-greedy d regret / d ln t (last decade)')!,
    );
    expect(run.events.some((e) => e.type === 'figure' && e.kind === 'chart')).toBe(true);
  });

  test('qlearning-cliffwalking: the greedy path is optimal (13 steps, return −13 = value iteration)', async () => {
    const run = await runRecipe(tabularRecipes['qlearning-cliffwalking'], {});
    expect(run.episodes.length).toBe(501);
    expect(metric(run.events, 'greedy return')).toBe(-13);
    expect(metric(run.events, 'greedy length')).toBe(13);
    expect(metric(run.events, 'optimal return (value iteration)')).toBe(-13);
    const last = run.episodes.at(-1)!;
    expect(last.frames?.shape).toEqual([14, 3, 48, 144]);
  });

  test('sarsa-cliffwalking: a safe path to the goal, and a better return while exploring than Q-learning', async () => {
    const sarsa = await runRecipe(tabularRecipes['sarsa-cliffwalking'], {});
    const ql = await runRecipe(tabularRecipes['qlearning-cliffwalking'], {});
    const len = metric(sarsa.events, 'greedy length')!;
    expect(len).toBeGreaterThan(13);
    expect(metric(sarsa.events, 'greedy return')).toBe(-len);
    const training = 'mean training return, last 100 episodes';
    expect(metric(sarsa.events, training)!).toBeGreaterThan(metric(ql.events, training)!);
  });

  test('qlearning-frozenlake: the greedy policy succeeds about as often as the optimal one (slippery 4×4)', async () => {
    const run = await runRecipe(tabularRecipes['qlearning-frozenlake'], {
      episodes: '6000',
      evalEpisodes: '3000',
    });
    const learned = metric(run.events, 'greedy success rate')!;
    const optimal = metric(run.events, 'optimal success rate (value iteration)')!;
    // Gymnasium's FrozenLake-v1 optimum is about 0.74 with the 100-step limit.
    expect(optimal).toBeGreaterThan(0.7);
    expect(learned).toBeGreaterThan(optimal - 0.06);
  });
});
