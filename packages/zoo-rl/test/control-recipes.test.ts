import { memory } from '@myelin/core';
import { type EpisodeEvent, parseRecipeOptions, type ZooEvent } from '@myelin/train';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  a2cCartpole,
  controlRecipes,
  dqnCartpole,
  ppoCartpole,
  ppoPendulum,
  reinforceCartpole,
} from '../src/index.js';
import { figure, growth, meanReturn, metric, runRecipe } from './recipe-run.js';

/**
 * Each control recipe trains a small configuration on the real environment and must learn
 * measurably: the greedy policy's evaluation return beats what the untrained start reaches (a
 * random CartPole policy lasts about 22 steps; a do-nothing Pendulum policy scores about −1,200),
 * with memory flat across episodes and nothing left behind.
 */

function checkClean(run: Awaited<ReturnType<typeof runRecipe>>) {
  expect(run.leaked).toBe(0);
  // the live tensors at each episode event of the second half (the optimizer state exists by
  // then): the networks and that state, nothing growing
  // (a recorded evaluation episode comes after training, once the optimizer is freed: left out)
  const training = run.atEpisode.filter((_, i) => !run.episodes[i]!.frames);
  expect(growth(training.slice(Math.floor(training.length / 2)), 0)).toBe(0);
}

const evalReturn = (events: ZooEvent[]) => metric(events, 'mean evaluation return')!;

describe('control recipes learn on a small budget', () => {
  it('ppo-cartpole: 4,096 steps lift the greedy return far above a random policy’s', async () => {
    const run = await runRecipe(ppoCartpole, { steps: '4096', epochs: '10', evalEpisodes: '10' });
    checkClean(run);
    expect(evalReturn(run.events)).toBeGreaterThanOrEqual(150);
    expect(meanReturn(run.episodes, -20)).toBeGreaterThan(2 * meanReturn(run.episodes, 0, 20));
    expect(metric(run.events, 'environment steps')).toBe(run.episodes.reduce((s, e) => s + e.length, 0));
    expect(figure(run.events, 'CartPole-v1: training returns')?.kind).toBe('chart');
    expect(run.episodes.every((e) => e.loss !== undefined && Number.isFinite(e.loss))).toBe(true);
  });

  it('dqn-cartpole: a few thousand steps beat a random policy’s return several times over', async () => {
    const run = await runRecipe(dqnCartpole, {
      steps: '5000',
      hidden: '64',
      learningStarts: '1000',
      trainFreq: '100',
      gradientSteps: '30',
      targetUpdate: '30',
      explorationFraction: '0.3',
      evalEpisodes: '10',
    });
    checkClean(run);
    expect(evalReturn(run.events)).toBeGreaterThanOrEqual(60);
    const eps = run.episodes.map((e) => e.epsilon!);
    expect(eps[0]).toBeGreaterThan(0.9);
    expect(eps.at(-1)).toBeCloseTo(0.04, 6);
  });

  it('reinforce-cartpole: the baseline-REINFORCE policy improves and its frames are recorded', async () => {
    const run = await runRecipe(reinforceCartpole, {
      updates: '25',
      lr: '0.01',
      evalEpisodes: '10',
      record: 'true',
      recordEvery: '10',
    });
    checkClean(run);
    const training = run.episodes.filter((e) => !e.frames);
    expect(training.length).toBe(200);
    expect(evalReturn(run.events)).toBeGreaterThanOrEqual(80);
    expect(meanReturn(training, -40)).toBeGreaterThan(1.5 * meanReturn(training, 0, 40));
    const recorded = run.episodes.at(-1) as EpisodeEvent;
    expect(recorded.frames?.shape.slice(1)).toEqual([3, 200, 300]);
    expect(recorded.frames!.shape[0]).toBe(1 + Math.ceil(recorded.length / 10));
  });

  it('a2c-cartpole: 16,000 steps lift the greedy return', async () => {
    const run = await runRecipe(a2cCartpole, { steps: '16000', evalEpisodes: '10' });
    checkClean(run);
    expect(evalReturn(run.events)).toBeGreaterThanOrEqual(100);
  });

  it('ppo-pendulum: the Gaussian policy’s mean action swings the pendulum better than at the start', async () => {
    const run = await runRecipe(ppoPendulum, {
      steps: '12288',
      nSteps: '256',
      minibatch: '128',
      lr: '0.002',
      evalEpisodes: '10',
    });
    checkClean(run);
    expect(run.episodes.every((e) => e.length === 200)).toBe(true);
    expect(meanReturn(run.episodes, -8)).toBeGreaterThan(meanReturn(run.episodes, 0, 8) + 150);
  });
});

describe('control recipes: seeding, stopping, options', () => {
  it('the same seed gives the same returns; another seed others', async () => {
    const returns = async (seed: string) =>
      (await runRecipe(ppoCartpole, { steps: '1024', seed, evalEpisodes: '3' })).episodes.map(
        (e) => e.return,
      );
    const a = await returns('4');
    expect(await returns('4')).toEqual(a);
    expect(await returns('5')).not.toEqual(a);
    const dqn = async () =>
      (
        await runRecipe(dqnCartpole, {
          steps: '600',
          hidden: '16',
          learningStarts: '100',
          trainFreq: '20',
          gradientSteps: '4',
          evalEpisodes: '2',
        })
      ).episodes.map((e) => e.return);
    expect(await dqn()).toEqual(await dqn());
  });

  it('unsubscribing stops the run and frees its tensors', async () => {
    const before = memory().tensors;
    const o = parseRecipeOptions(ppoCartpole.options, { steps: '100000' });
    const first = await firstValueFrom(
      ppoCartpole.run(o).pipe(
        filter((e) => e.type === 'episode'),
        take(3),
        toArray(),
      ),
    );
    expect(first.length).toBe(3);
    const t0 = Date.now();
    while (memory().tensors !== before && Date.now() - t0 < 20_000)
      await new Promise((r) => setTimeout(r, 50));
    expect(memory().tensors).toBe(before);
  });

  it('every recipe is registered under its name, in the rl family, with checked options', () => {
    expect(Object.keys(controlRecipes).sort()).toEqual([
      'a2c-cartpole',
      'dqn-cartpole',
      'ppo-cartpole',
      'ppo-pendulum',
      'reinforce-cartpole',
    ]);
    for (const [name, r] of Object.entries(controlRecipes)) {
      expect(r.name).toBe(name);
      expect(r.family).toBe('rl');
    }
    expect(() => parseRecipeOptions(dqnCartpole.options, { steps: '0' })).toThrow(
      /--steps: expected an integer ≥ 1, got '0'/,
    );
  });
});
