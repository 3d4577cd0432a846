import { wasmBackend } from '@myelin/backend-wasm';
import { use } from '@myelin/core';
import { describe, expect, test } from 'vitest';
import { tabularRecipes } from '../src/index.js';
import { growth, metric, runRecipe } from './recipe-run.js';

// Self-play is the slow part of the suite: the wasm backend runs it about twice as fast as cpu.
await use(wasmBackend());

describe('AlphaZero recipes (fast configurations, wasm backend)', () => {
  test('alphazero-tictactoe: a short self-play run never loses to the perfect player; memory stays flat', async () => {
    const run = await runRecipe(tabularRecipes['alphazero-tictactoe'], {
      iterations: '6',
      evalGames: '20',
    });
    expect(metric(run.events, 'losses vs minimax')).toBe(0);
    expect(metric(run.events, 'draws vs minimax')).toBe(20);
    expect(growth(run.atEpisode, 64)).toBe(0);
    expect(run.leaked).toBe(0);
  });

  test('alphazero-connect4 (residual net, tree reuse, replay window): a short run beats a random player in ≥ 9 of 10 games; frames; memory-flat', async () => {
    const run = await runRecipe(tabularRecipes['alphazero-connect4'], {
      iterations: '4',
      games: '32',
      simulations: '20',
      trainSteps: '30',
      batchSize: '64',
      channels: '16',
      blocks: '1',
      replayWindow: '2',
      evalGames: '10',
      evalSimulations: '100',
      opponent: 'random',
    });
    expect(run.episodes.length).toBe(129);
    expect(metric(run.events, 'wins vs random')!).toBeGreaterThanOrEqual(9);
    expect(run.episodes.at(-1)!.frames!.shape.slice(1)).toEqual([3, 96, 112]);
    expect(growth(run.atEpisode, 32)).toBe(0);
    expect(run.leaked).toBe(0);
  });

  test('alphazero-connect4 with the MLP option against alpha-beta: the match tallies add up (pipeline check)', async () => {
    const run = await runRecipe(tabularRecipes['alphazero-connect4'], {
      net: 'mlp',
      reuseTree: 'false',
      finalTemperature: '0.5',
      iterations: '1',
      games: '2',
      simulations: '4',
      trainSteps: '1',
      batchSize: '8',
      hidden: '8',
      evalGames: '2',
      evalSimulations: '4',
      depth: '2',
    });
    const tally = ['wins', 'draws', 'losses'].map((k) => metric(run.events, `${k} vs alpha-beta depth 2`)!);
    expect(tally.reduce((a, b) => a + b)).toBe(2);
  });
});
