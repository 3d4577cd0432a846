import { memory, tensor } from '@myelin/core';
import { describe, expect, test } from 'vitest';
import { EnvRandom } from '../src/env.js';
import {
  AlphaZeroTrainer,
  boardPlanes,
  ConnectFour,
  type Evaluator,
  type GameState,
  netEvaluator,
  PuctNode,
  puctSearch,
  ReplayBuffer,
  type ReplaySample,
  ResidualPolicyValueNet,
  searchTrees,
  selfPlay,
  TicTacToe,
  temperatureAction,
} from '../src/index.js';

const c4 = new ConnectFour();
const ttt = new TicTacToe();
const playAll = (game: ConnectFour | TicTacToe, moves: number[]): GameState =>
  moves.reduce((s, a) => game.play(s, a), game.initial());

/** Left–right mirror of `planes` planes of a 6×7 board, written out cell by cell. */
function mirror(x: Float32Array, planes: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let p = 0; p < planes; p++)
    for (let r = 0; r < 6; r++)
      for (let c = 0; c < 7; c++) out[p * 42 + r * 7 + 6 - c] = x[p * 42 + r * 7 + c]!;
  return out;
}

/** A uniform-prior, zero-value evaluator that counts the positions it is asked about. */
function countingEvaluator(actions: number): { evaluate: Evaluator; calls: () => number } {
  let n = 0;
  return {
    evaluate: (states) => {
      n += states.length;
      return {
        priors: states.map(() => new Float32Array(actions).fill(1 / actions)),
        values: states.map(() => 0),
      };
    },
    calls: () => n,
  };
}

describe('the residual policy–value network', () => {
  test('board planes: the two canonical planes plus a side-to-move plane (ones when the first player moves)', () => {
    const empty = boardPlanes(c4.canonical(c4.initial()), 1, 6, 7);
    expect(empty.length).toBe(3 * 42);
    expect(Array.from(empty.subarray(0, 84)).every((v) => v === 0)).toBe(true);
    expect(Array.from(empty.subarray(84)).every((v) => v === 1)).toBe(true);
    // After X plays the bottom-left cell, O moves: O's (empty) plane first, X's stone second, side plane 0.
    const one = boardPlanes(c4.canonical(playAll(c4, [0])), 1, 6, 7);
    expect(one[42 + 5 * 7 + 0]).toBe(1);
    expect(one.reduce((a, b) => a + b)).toBe(1);
    // Two boards in one batch keep their own side planes.
    const two = new Float32Array(168);
    two.set(c4.canonical(playAll(c4, [3])), 0);
    two.set(c4.canonical(playAll(c4, [3, 3])), 84);
    const both = boardPlanes(two, 2, 6, 7);
    expect(both[84]).toBe(0);
    expect(both[126 + 84]).toBe(1);
    expect(() => boardPlanes(new Float32Array(83), 1, 6, 7)).toThrow(
      /boardPlanes: expected 1 boards of 2×6×7 \(84 values\), got 83 values/,
    );
  });

  test('the encoding is mirror-equivariant: planes of the mirrored board = the mirrored planes', () => {
    const rng = new EnvRandom(5);
    for (let g = 0; g < 20; g++) {
      let s = c4.initial();
      const length = 1 + rng.integer(20);
      for (let m = 0; m < length && s.winner === null; m++) {
        const legal = c4.legalMoves(s);
        s = c4.play(s, legal[rng.integer(legal.length)]!);
      }
      const board = c4.canonical(s);
      const [, [mirrored, policy]] = c4.symmetries(board, Float32Array.from([1, 0, 0, 0, 0, 0, 0]));
      expect(Array.from(policy)).toEqual([0, 0, 0, 0, 0, 0, 1]);
      expect(Array.from(mirrored)).toEqual(Array.from(mirror(board, 2)));
      expect(Array.from(boardPlanes(mirrored, 1, 6, 7))).toEqual(
        Array.from(mirror(boardPlanes(board, 1, 6, 7), 3)),
      );
    }
  });

  test('shapes for batch 1 and 5; values in (−1, 1); bad input and bad sizes get clear errors', () => {
    const net = new ResidualPolicyValueNet(6, 7, 7, { channels: 8, blocks: 2, seed: 1 });
    net.eval();
    for (const b of [1, 5]) {
      const x = tensor(new Float32Array(b * 84), { shape: [b, 84] });
      const out = net.forward(x);
      expect(out.logits.shape).toEqual([b, 7]);
      expect(out.value.shape).toEqual([b]);
      for (const v of out.value.dataSync()) expect(Math.abs(v)).toBeLessThan(1);
      x.dispose();
      out.logits.dispose();
      out.value.dispose();
    }
    const bad = tensor(new Float32Array(2 * 42), { shape: [2, 42] });
    expect(() => net.forward(bad)).toThrow(
      /ResidualPolicyValueNet: expected boards of shape \[B, 84\], got \[2, 42\]/,
    );
    bad.dispose();
    expect(() => new ResidualPolicyValueNet(6, 7, 7, { channels: 0 })).toThrow(
      /ResidualPolicyValueNet: channels must be an integer ≥ 1, got 0/,
    );
    // 2 + 2·blocks convolutions and batch norms, plus the heads.
    const names = net.namedParameters().map(([n]) => n);
    expect(names.filter((n) => n.endsWith('conv1.weight') || n.endsWith('conv2.weight')).length).toBe(4);
    net.dispose();
  });

  test('the evaluator uses batch norm in evaluation mode: a position gets the same evaluation alone or in a batch', () => {
    const net = new ResidualPolicyValueNet(6, 7, 7, { channels: 8, blocks: 1, seed: 2 });
    const evaluate = netEvaluator(c4, net);
    const s = playAll(c4, [3, 3, 2]);
    const before = memory().tensors;
    const alone = evaluate([s]);
    const batch = evaluate([c4.initial(), s, playAll(c4, [6])]);
    expect(memory().tensors).toBe(before);
    expect(net.training).toBe(false);
    expect(batch.values[1]).toBeCloseTo(alone.values[0]!, 5);
    for (let a = 0; a < 7; a++) expect(batch.priors[1]![a]).toBeCloseTo(alone.priors[0]![a]!, 5);
    net.dispose();
  });

  test('self-play and training with the residual net are memory-flat; training leaves it in eval mode', () => {
    const trainer = new AlphaZeroTrainer(c4, {
      net: 'resnet',
      channels: 8,
      blocks: 1,
      hidden: 0,
      layers: 0,
      lr: 1e-3,
      weightDecay: 1e-4,
      bufferSize: 5000,
      replayWindow: 2,
      batchSize: 16,
      seed: 1,
    });
    expect(trainer.net).toBeInstanceOf(ResidualPolicyValueNet);
    const live: number[] = [];
    for (let it = 0; it < 3; it++) {
      trainer.buffer.nextIteration();
      const games = selfPlay(c4, trainer.evaluate, 2, {
        simulations: 6,
        dirichletAlpha: 0.5,
        temperatureMoves: 42,
        reuseTree: true,
        rng: trainer.rng,
      });
      for (const g of games) for (const s of g.samples) trainer.buffer.push(s);
      const l = trainer.train(2);
      expect(Number.isFinite(l.loss)).toBe(true);
      expect(trainer.net.training).toBe(false);
      live.push(memory().tensors);
    }
    expect(trainer.buffer.iterations).toBe(2);
    expect(live[2]).toBe(live[1]);
    trainer.dispose();
  });
});

describe('AlphaZero training options', () => {
  test('temperature: 0 takes the most visited move, 1 samples ∝ visits, ½ samples ∝ visits²; bad τ throws', () => {
    const counts = Float32Array.from([1, 2, 1, 0]);
    const rng = new EnvRandom(3);
    expect(temperatureAction(counts, 0, rng)).toBe(1);
    const freq = (tau: number) => {
      const f = [0, 0, 0, 0];
      for (let i = 0; i < 6000; i++) f[temperatureAction(counts, tau, rng)]! += 1 / 6000;
      return f;
    };
    const one = freq(1);
    for (const [a, p] of [0.25, 0.5, 0.25, 0].entries()) expect(Math.abs(one[a]! - p)).toBeLessThan(0.025);
    const half = freq(0.5);
    for (const [a, p] of [1 / 6, 4 / 6, 1 / 6, 0].entries())
      expect(Math.abs(half[a]! - p)).toBeLessThan(0.025);
    expect(() => temperatureAction(counts, -1, rng)).toThrow(
      /temperatureAction: expected a temperature ≥ 0, got -1/,
    );
  });

  test('the replay window keeps the last N iterations; the capacity keeps the most recent positions', () => {
    const sample = (outcome: number): ReplaySample => ({
      planes: new Float32Array(1),
      policy: new Float32Array(1),
      outcome,
    });
    const windowed = new ReplayBuffer(100, 2);
    for (let it = 1; it <= 4; it++) {
      windowed.nextIteration();
      for (let k = 0; k < 3; k++) windowed.push(sample(it));
    }
    expect(windowed.size).toBe(6);
    const seen = new Set(windowed.sample(200, new EnvRandom(1)).map((s) => s.outcome));
    expect([...seen].sort()).toEqual([3, 4]);
    const capped = new ReplayBuffer(5);
    for (let k = 0; k < 12; k++) capped.push(sample(k));
    expect(capped.size).toBe(5);
    const kept = new Set(capped.sample(300, new EnvRandom(2)).map((s) => s.outcome));
    expect([...kept].sort((a, b) => a - b)).toEqual([7, 8, 9, 10, 11]);
    expect(() => new ReplayBuffer(0)).toThrow(/ReplayBuffer: capacity must be an integer ≥ 1, got 0/);
    expect(() => new ReplayBuffer(10, 0)).toThrow(/ReplayBuffer: window must be ≥ 1 iteration/);
    expect(() => new ReplayBuffer(10).sample(1, new EnvRandom(1))).toThrow(
      /ReplayBuffer.sample: the buffer is empty/,
    );
  });

  test('a reused tree keeps its visits and only searches the rest of the budget', () => {
    const { evaluate, calls } = countingEvaluator(9);
    const root = new PuctNode(ttt.initial(), ttt);
    searchTrees(ttt, evaluate, [root], { simulations: 60 });
    expect(root.total).toBe(60);
    const a = root.counts(9).indexOf(Math.max(...root.counts(9)));
    const child = root.child(a)!;
    // The child was expanded on its first visit; each later visit passed through it.
    expect(child.total).toBe(root.counts(9)[a]! - 1);
    const before = calls();
    const kept = child.total;
    searchTrees(ttt, evaluate, [child], { simulations: 60 });
    expect(child.total).toBe(60);
    // At most one evaluation per new simulation (terminal leaves need none).
    expect(calls() - before).toBeLessThanOrEqual(60 - kept);
    expect(calls() - before).toBeGreaterThan(0);
    // puctSearch from fresh roots still runs exactly `simulations` visits.
    const [fresh] = puctSearch(ttt, evaluate, [ttt.initial()], { simulations: 60 });
    expect(fresh!.reduce((x, y) => x + y)).toBe(60);
  });

  test('self-play with tree reuse evaluates fewer positions, is seeded, and augment=false stores each position once', () => {
    const run = (reuseTree: boolean, augment: boolean) => {
      const { evaluate, calls } = countingEvaluator(7);
      const games = selfPlay(c4, evaluate, 4, {
        simulations: 24,
        dirichletAlpha: 0.5,
        temperatureMoves: 42,
        reuseTree,
        augment,
        rng: new EnvRandom(9),
      });
      return { games, calls: calls() };
    };
    const reused = run(true, true);
    const again = run(true, true);
    const plain = run(false, false);
    expect(again.games.map((g) => g.length)).toEqual(reused.games.map((g) => g.length));
    const perMove = (r: typeof reused) => r.calls / r.games.reduce((s, g) => s + g.length, 0);
    expect(perMove(reused)).toBeLessThan(perMove(plain));
    for (const g of reused.games) expect(g.samples.length).toBe(2 * g.length);
    for (const g of plain.games) expect(g.samples.length).toBe(g.length);
    for (const g of reused.games)
      for (const s of g.samples) expect(s.policy.reduce((x, y) => x + y)).toBeCloseTo(1, 5);
  });
});
