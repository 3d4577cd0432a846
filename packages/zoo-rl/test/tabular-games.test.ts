import { memory, tensor } from '@myelin/core';
import { describe, expect, test } from 'vitest';
import { EnvError, EnvRandom } from '../src/env.js';
import {
  AlphaZeroTrainer,
  alphaBetaPlayer,
  alphaZeroPlayer,
  BoardGameEnv,
  ConnectFour,
  dirichletSample,
  GameError,
  type GameState,
  mctsPlayer,
  minimaxPlayer,
  minimaxValue,
  netEvaluator,
  PolicyValueNet,
  playGame,
  playMatch,
  puctSearch,
  randomPlayer,
  selfPlay,
  TicTacToe,
} from '../src/index.js';

const ttt = new TicTacToe();
const c4 = new ConnectFour();
const playAll = (game: TicTacToe | ConnectFour, moves: number[]): GameState =>
  moves.reduce((s, a) => game.play(s, a), game.initial());

describe('board game rules', () => {
  test('tic-tac-toe: rows, columns and diagonals win; a full board without a line is a draw', () => {
    expect(playAll(ttt, [0, 3, 1, 4, 2]).winner).toBe(1); // top row
    expect(playAll(ttt, [0, 1, 3, 2, 6]).winner).toBe(1); // left column
    expect(playAll(ttt, [1, 0, 2, 4, 3, 8]).winner).toBe(-1); // main diagonal for O
    expect(playAll(ttt, [0, 1, 2, 4, 3, 5, 7, 6, 8]).winner).toBe(0);
    const s = playAll(ttt, [4, 0]);
    expect(ttt.legalMoves(s)).toEqual([1, 2, 3, 5, 6, 7, 8]);
    expect(ttt.renderText(s)).toBe('O..\n.X.\n...');
  });

  test('Connect Four: stones fall, four in a row (any direction) wins, a full column is illegal', () => {
    const v = playAll(c4, [0, 1, 0, 1, 0, 1, 0]);
    expect(v.winner).toBe(1);
    expect(playAll(c4, [0, 0, 1, 1, 2, 2, 3]).winner).toBe(1);
    // A rising diagonal for X: (5,0) (4,1) (3,2) (2,3).
    expect(playAll(c4, [0, 1, 1, 2, 2, 3, 2, 3, 3, 6, 3]).winner).toBe(1);
    const full = playAll(c4, [0, 0, 0, 0, 0, 0]);
    expect(full.winner).toBeNull();
    expect(c4.legalMoves(full)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => c4.play(full, 0)).toThrow(
      /connect4: move 0 is illegal; legal moves are \[1, 2, 3, 4, 5, 6\]/,
    );
    expect(
      c4
        .renderText(playAll(c4, [3, 3]))
        .split('\n')
        .slice(-3),
    ).toEqual(['...O...', '...X...', '0123456']);
  });

  test('illegal moves and moves after the end throw GameErrors', () => {
    const s = playAll(ttt, [4]);
    expect(() => ttt.play(s, 4)).toThrow(GameError);
    expect(() => ttt.play(s, 9)).toThrow(/tictactoe: move 9 is illegal/);
    expect(() => ttt.play(s, 1.5)).toThrow(/move 1.5 is illegal/);
    expect(() => ttt.play(playAll(ttt, [0, 3, 1, 4, 2]), 5)).toThrow(
      /play\(5\) after the game ended \(X won\)/,
    );
  });

  test('the canonical board is from the mover’s view; symmetries keep legal moves aligned with stones', () => {
    const s = playAll(ttt, [0, 4]); // X at 0, O at 4, X to move
    const x = ttt.canonical(s);
    expect([x[0], x[9 + 4]]).toEqual([1, 1]);
    const s2 = playAll(ttt, [0, 4, 8]); // O to move: its stones come first
    const y = ttt.canonical(s2);
    expect([y[4], y[9], y[9 + 8]]).toEqual([1, 1, 1]);
    const sym = ttt.symmetries(x, Float32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1]));
    expect(sym.length).toBe(8);
    for (const [planes, pi] of sym) {
      // The corner stone maps to a corner, the centre stays, and the policy moves with the board.
      expect(planes[9 + 4]).toBe(1);
      const corner = [0, 2, 6, 8].find((i) => planes[i] === 1);
      expect(corner).toBeDefined();
      expect(pi[8 - corner!]).toBe(1);
    }
    const m = c4.symmetries(c4.canonical(playAll(c4, [0])), Float32Array.from([1, 0, 0, 0, 0, 0, 0]));
    expect(m[1]![0][42 + 5 * 7 + 6]).toBe(1);
    expect(m[1]![1][6]).toBe(1);
  });

  test('BoardGameEnv plays the opponent’s replies; an illegal move is an EnvError', () => {
    const env = new BoardGameEnv(ttt, (s) => ttt.legalMoves(s)[0]!);
    env.reset(0);
    const r = env.step(4);
    expect(env.state.board[0]).toBe(-1);
    expect(r.observation[4]).toBe(1);
    expect(() => env.step(4)).toThrow(EnvError);
    expect(() => env.step(4)).toThrow(/TicTacToe: move 4 is illegal/);
    expect(() => env.step(9)).toThrow(/outside the action space Discrete\(9\)/);
    expect(env.renderFrame().height).toBe(48);
  });
});

describe('players', () => {
  test('tic-tac-toe is a draw under perfect play; minimax sees forced wins', () => {
    expect(minimaxValue(ttt, ttt.initial())).toBe(0);
    // X at 0 and 4, O at 1, O to move: O must block 8, then X forks with 6 (threats 3 and 2).
    expect(minimaxValue(ttt, playAll(ttt, [0, 1, 4]))).toBe(-1); // O to move, X threatens 8 and 7
    const p = minimaxPlayer(ttt, 1);
    expect(p(playAll(ttt, [0, 3, 1, 4]))).toBe(2); // complete the top row
  });

  test('the perfect player never loses: 40 games against a random player and itself', () => {
    for (let i = 0; i < 20; i++) {
      expect(playGame(ttt, minimaxPlayer(ttt, i), randomPlayer(ttt, i)).result).not.toBe(-1);
      expect(playGame(ttt, randomPlayer(ttt, i), minimaxPlayer(ttt, i)).result).not.toBe(1);
    }
    expect(playGame(ttt, minimaxPlayer(ttt, 1), minimaxPlayer(ttt, 2)).result).toBe(0);
  });

  test('alpha-beta (depth 4) takes a win, blocks a threat, and beats a random player', () => {
    const ab = alphaBetaPlayer(c4, 4, 1);
    expect(ab(playAll(c4, [0, 6, 0, 6, 0, 5]))).toBe(0); // X completes the column
    expect(ab(playAll(c4, [0, 3, 6, 3, 6, 3]))).toBe(3); // X blocks O's column
    let wins = 0;
    for (let i = 0; i < 6; i++)
      wins +=
        playGame(c4, i % 2 ? ab : randomPlayer(c4, i), i % 2 ? randomPlayer(c4, i) : ab).result ===
        (i % 2 ? 1 : -1)
          ? 1
          : 0;
    expect(wins).toBe(6);
    expect(() => alphaBetaPlayer(c4, 0)).toThrow(/depth must be an integer ≥ 1, got 0/);
  });

  test('UCT MCTS never loses tic-tac-toe to a random player and blocks an immediate loss', () => {
    const mcts = mctsPlayer(ttt, 400, 1);
    expect(mcts(playAll(ttt, [0, 4, 8, 2]))).toBe(6); // O threatens 2-4-6
    for (let i = 0; i < 6; i++) expect(playGame(ttt, mcts, randomPlayer(ttt, i)).result).not.toBe(-1);
  });
});

describe('AlphaZero parts', () => {
  test('Dirichlet draws sum to 1 with mean 1/k', () => {
    const rng = new EnvRandom(1);
    const mean = new Float64Array(4);
    for (let i = 0; i < 4000; i++) {
      const d = dirichletSample(0.3, 4, rng);
      expect(d.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
      for (let k = 0; k < 4; k++) mean[k]! += d[k]! / 4000;
    }
    for (const m of mean) expect(Math.abs(m - 0.25)).toBeLessThan(0.03);
  });

  test('PUCT with an uninformed evaluator (uniform priors, value 0) finds the winning and the blocking move', () => {
    const flat = (states: GameState[]) => ({
      priors: states.map(() => new Float32Array(9).fill(1 / 9)),
      values: states.map(() => 0),
    });
    const [win, block] = puctSearch(ttt, flat, [playAll(ttt, [0, 3, 1, 4]), playAll(ttt, [0, 4, 8, 2])], {
      simulations: 400,
    });
    expect(win!.indexOf(Math.max(...win!))).toBe(2);
    expect(block!.indexOf(Math.max(...block!))).toBe(6);
  });

  test('the policy–value net checks its input; the evaluator gives distributions and values in (−1, 1)', () => {
    const net = new PolicyValueNet(18, 9, { hidden: 8, seed: 1 });
    const before = memory().tensors;
    const out = netEvaluator(ttt, net)([ttt.initial(), playAll(ttt, [4])]);
    expect(memory().tensors).toBe(before);
    expect(out.priors[0]!.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
    for (const v of out.values) expect(Math.abs(v)).toBeLessThan(1);
    const bad = tensor(new Float32Array(10), { shape: [1, 10] });
    expect(() => net.forward(bad)).toThrow(
      /PolicyValueNet: expected boards of shape \[B, 18\], got \[1, 10\]/,
    );
    bad.dispose();
    net.dispose();
  });

  test('seeded self-play is reproducible; a single-board search (batch of 1) plays a legal move', () => {
    const play = (seed: number) => {
      const trainer = new AlphaZeroTrainer(c4, {
        hidden: 8,
        layers: 1,
        lr: 1e-3,
        weightDecay: 0,
        bufferSize: 100,
        batchSize: 4,
        seed,
      });
      const games = selfPlay(c4, trainer.evaluate, 3, {
        simulations: 4,
        dirichletAlpha: 0.5,
        temperatureMoves: 42,
        rng: trainer.rng,
      });
      trainer.dispose();
      return games.map((g) => [g.winner, g.length, g.samples[0]!.policy.join(',')]);
    };
    expect(play(3)).toEqual(play(3));
    expect(play(3)).not.toEqual(play(4));
    const net = new PolicyValueNet(84, 7, { hidden: 8, seed: 1 });
    const s = playAll(c4, [0, 0, 0, 0, 0, 0]);
    const a = alphaZeroPlayer(c4, net, 10)(s);
    expect(c4.isLegal(s, a)).toBe(true);
    net.dispose();
  });

  test('self-play and training are memory-flat; positions carry outcomes for the mover', () => {
    const trainer = new AlphaZeroTrainer(ttt, {
      hidden: 16,
      layers: 2,
      lr: 1e-3,
      weightDecay: 0,
      bufferSize: 5000,
      batchSize: 32,
      seed: 1,
    });
    const live: number[] = [];
    for (let it = 0; it < 3; it++) {
      const games = selfPlay(ttt, trainer.evaluate, 4, {
        simulations: 8,
        dirichletAlpha: 1,
        temperatureMoves: 2,
        rng: trainer.rng,
      });
      for (const g of games) {
        expect(g.samples.length).toBe(8 * g.length);
        const first = g.samples[0]!;
        expect(first.outcome).toBe(g.winner);
        for (const s of g.samples) expect(s.policy.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
        for (const s of g.samples) trainer.buffer.push(s);
      }
      trainer.train(3);
      live.push(memory().tensors);
    }
    expect(live[2]).toBe(live[1]);
    const m = playMatch(ttt, trainer.evaluate, randomPlayer(ttt, 1), 4, { simulations: 4 });
    expect(m.wins + m.draws + m.losses).toBe(4);
    trainer.dispose();
  });
});
