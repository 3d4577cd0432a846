import {
  defineRecipe,
  imageArray,
  type OptionValues,
  type Recipe,
  recipeStream,
  type VegaLiteSpec,
} from '@myelin/train';
import { AlphaZeroTrainer, playMatch, selfPlay } from './alphazero.js';
import {
  type BoardGame,
  ConnectFour,
  type GamePlayer,
  type GameState,
  renderBoardFrame,
  TicTacToe,
} from './games.js';
import { alphaBetaPlayer, minimaxPlayer, randomPlayer } from './players.js';

/** The defaults that differ between the two games. */
interface AlphaZeroDefaults {
  net: 'resnet' | 'mlp';
  replayWindow: number;
  reuseTree: boolean;
  iterations: number;
  games: number;
  simulations: number;
  trainSteps: number;
  hidden: number;
  dirichletAlpha: number;
  temperatureMoves: number;
  evalSimulations: number;
}

const optionsFor = (d: AlphaZeroDefaults) =>
  [
    {
      name: 'iterations',
      type: 'integer',
      default: d.iterations,
      min: 1,
      help: 'self-play + training rounds',
    },
    {
      name: 'games',
      type: 'integer',
      default: d.games,
      min: 1,
      help: 'self-play games per iteration (played in parallel)',
    },
    {
      name: 'simulations',
      type: 'integer',
      default: d.simulations,
      min: 1,
      help: 'PUCT simulations per self-play move',
    },
    { name: 'trainSteps', type: 'integer', default: d.trainSteps, min: 1, help: 'Adam steps per iteration' },
    { name: 'batchSize', type: 'integer', default: 256, min: 1, help: 'positions per training step' },
    { name: 'lr', type: 'number', default: 0.001, min: 1e-8, help: "Adam's learning rate" },
    { name: 'weightDecay', type: 'number', default: 0.0001, min: 0, help: 'L2 penalty (Adam weight decay)' },
    {
      name: 'net',
      type: 'enum',
      default: d.net,
      values: ['resnet', 'mlp'],
      help: 'policy–value network: resnet (conv stem, residual blocks, policy and value heads) or mlp',
    },
    {
      name: 'channels',
      type: 'integer',
      default: 32,
      min: 1,
      help: 'resnet: channels of the 3×3 convolutions',
    },
    { name: 'blocks', type: 'integer', default: 2, min: 0, help: 'resnet: residual blocks' },
    { name: 'hidden', type: 'integer', default: d.hidden, min: 1, help: 'mlp: width of the 3 hidden layers' },
    {
      name: 'bufferSize',
      type: 'integer',
      default: 100000,
      min: 1,
      help: 'replay buffer capacity (positions, with symmetries)',
    },
    {
      name: 'replayWindow',
      type: 'integer',
      default: d.replayWindow,
      min: 0,
      help: 'train on the positions of the last N iterations only (0: all the buffer holds)',
    },
    {
      name: 'augment',
      type: 'boolean',
      default: true,
      help: "store each position's board symmetries too (8 for tic-tac-toe, the mirror for Connect Four)",
    },
    {
      name: 'reuseTree',
      type: 'boolean',
      default: d.reuseTree,
      help: "self-play keeps the search tree under the move played (its visits count toward the next move's simulations)",
    },
    { name: 'cPuct', type: 'number', default: 1.5, min: 0, help: 'PUCT exploration constant' },
    {
      name: 'dirichletAlpha',
      type: 'number',
      default: d.dirichletAlpha,
      min: 1e-3,
      help: 'root noise Dirichlet α (weight 0.25)',
    },
    {
      name: 'temperatureMoves',
      type: 'integer',
      default: d.temperatureMoves,
      min: 0,
      help: 'moves per game sampled ∝ visit counts (temperature 1); later moves use --final-temperature',
    },
    {
      name: 'finalTemperature',
      type: 'number',
      default: 0,
      min: 0,
      help: 'self-play temperature after the first moves (0: the most visited move)',
    },
    {
      name: 'evalGames',
      type: 'integer',
      default: 100,
      min: 0,
      help: 'final games against the opponent (half moving first)',
    },
    {
      name: 'evalSimulations',
      type: 'integer',
      default: d.evalSimulations,
      min: 1,
      help: 'PUCT simulations per move when evaluating',
    },
    {
      name: 'opponent',
      type: 'enum',
      default: 'best',
      values: ['best', 'random'],
      help: 'best: perfect minimax (tic-tac-toe) or alpha-beta of --depth plies (Connect Four); random: uniform legal moves',
    },
    {
      name: 'depth',
      type: 'integer',
      default: 4,
      min: 1,
      max: 8,
      help: 'search depth of the Connect Four alpha-beta opponent',
    },
    {
      name: 'evalEvery',
      type: 'integer',
      default: 0,
      min: 0,
      help: 'a 20-game check against the opponent every N iterations (0: none)',
    },
    {
      name: 'seed',
      type: 'integer',
      default: 1,
      min: 0,
      help: 'seeds the network, the noise, the moves and the opponent',
    },
  ] as const;

const tttOptions = optionsFor({
  net: 'mlp',
  replayWindow: 0,
  reuseTree: false,
  iterations: 30,
  games: 64,
  simulations: 50,
  trainSteps: 50,
  hidden: 128,
  dirichletAlpha: 1,
  temperatureMoves: 4,
  evalSimulations: 100,
});
const c4Options = optionsFor({
  net: 'resnet',
  replayWindow: 6,
  reuseTree: true,
  iterations: 60,
  games: 64,
  simulations: 40,
  trainSteps: 60,
  hidden: 256,
  dirichletAlpha: 0.5,
  temperatureMoves: 12,
  evalSimulations: 400,
});

export type AlphaZeroOptions = OptionValues<typeof tttOptions>;

/** Frames of a game, `[T, 3, H, W]`, from the moves played. */
function gameFrames(game: BoardGame, moves: number[]): { data: Float32Array; shape: number[] } {
  let s: GameState = game.initial();
  const frames = [renderBoardFrame(game, s)];
  for (const a of moves) {
    s = game.play(s, a);
    frames.push(renderBoardFrame(game, s));
  }
  const { height, width } = frames[0]!;
  const data = new Float32Array(frames.length * 3 * height * width);
  for (const [i, f] of frames.entries()) data.set(f.data, i * f.data.length);
  return { data, shape: [frames.length, 3, height, width] };
}

function curves(
  title: string,
  rows: Record<string, number | string>[],
  evalRows: Record<string, number | string>[],
): VegaLiteSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    hconcat: [
      {
        title: 'training loss',
        width: 300,
        height: 200,
        data: { values: rows },
        mark: { type: 'line' },
        encoding: {
          x: { field: 'iteration', type: 'quantitative' },
          y: { field: 'loss', type: 'quantitative', scale: { zero: false } },
          color: { field: 'part', type: 'nominal', title: null },
        },
      },
      {
        title: 'results against the opponent (20 games)',
        width: 300,
        height: 200,
        data: { values: evalRows },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'iteration', type: 'quantitative' },
          y: { field: 'games', type: 'quantitative' },
          color: { field: 'result', type: 'nominal', title: null },
        },
      },
    ],
  };
}

function alphaZeroRun(
  game: BoardGame,
  opponentName: string,
  opponent: (seed: number) => GamePlayer,
  o: AlphaZeroOptions,
) {
  return recipeStream(async (ctx) => {
    const trainer = new AlphaZeroTrainer(game, {
      net: o.net,
      channels: o.channels,
      blocks: o.blocks,
      replayWindow: o.replayWindow,
      hidden: o.hidden,
      layers: 3,
      lr: o.lr,
      weightDecay: o.weightDecay,
      bufferSize: o.bufferSize,
      batchSize: o.batchSize,
      seed: o.seed,
    });
    ctx.onEnd(() => trainer.dispose());
    const lossRows: Record<string, number | string>[] = [];
    const evalRows: Record<string, number | string>[] = [];
    let episode = 0;
    for (let it = 0; it < o.iterations; it++) {
      ctx.throwIfStopped();
      trainer.buffer.nextIteration();
      const games = selfPlay(game, trainer.evaluate, o.games, {
        simulations: o.simulations,
        cPuct: o.cPuct,
        dirichletAlpha: o.dirichletAlpha,
        temperatureMoves: o.temperatureMoves,
        finalTemperature: o.finalTemperature,
        reuseTree: o.reuseTree,
        augment: o.augment,
        rng: trainer.rng,
      });
      for (const g of games) for (const s of g.samples) trainer.buffer.push(s);
      const l = trainer.train(o.trainSteps);
      lossRows.push(
        { iteration: it + 1, part: 'policy (cross-entropy)', loss: l.policyLoss },
        { iteration: it + 1, part: 'value (squared error)', loss: l.valueLoss },
      );
      for (const g of games)
        ctx.emit({ type: 'episode', episode: episode++, return: g.winner, length: g.length, loss: l.loss });
      if (o.evalEvery > 0 && (it + 1) % o.evalEvery === 0) {
        const m = playMatch(game, trainer.evaluate, opponent(o.seed + 1000 + it), 20, {
          simulations: o.evalSimulations,
          cPuct: o.cPuct,
        });
        evalRows.push(
          { iteration: it + 1, result: 'wins', games: m.wins },
          { iteration: it + 1, result: 'draws', games: m.draws },
          { iteration: it + 1, result: 'losses', games: m.losses },
        );
        ctx.emit({
          type: 'text',
          title: `iteration ${it + 1} vs ${opponentName}`,
          text: `${m.wins} wins, ${m.draws} draws, ${m.losses} losses`,
        });
      }
      // Let the subscriber (progress bar, an unsubscribe) run between iterations.
      await new Promise((r) => setTimeout(r, 0));
    }
    ctx.emit({
      type: 'figure',
      kind: 'chart',
      title: `AlphaZero ${game.name} training`,
      spec: curves(`AlphaZero self-play on ${game.name}`, lossRows, evalRows),
    });
    if (o.evalGames > 0) {
      const m = playMatch(game, trainer.evaluate, opponent(o.seed + 7), o.evalGames, {
        simulations: o.evalSimulations,
        cPuct: o.cPuct,
      });
      ctx.emit({ type: 'metric', name: `wins vs ${opponentName}`, value: m.wins });
      ctx.emit({ type: 'metric', name: `draws vs ${opponentName}`, value: m.draws });
      ctx.emit({ type: 'metric', name: `losses vs ${opponentName}`, value: m.losses });
      ctx.emit({ type: 'metric', name: `win rate vs ${opponentName}`, value: m.wins / o.evalGames });
      const f = gameFrames(game, m.example.moves);
      ctx.emit({
        type: 'episode',
        episode: episode++,
        return: m.example.result,
        length: m.example.moves.length,
        frames: imageArray(f.data, f.shape),
      });
      ctx.emit({
        type: 'text',
        title: `a game against ${opponentName}`,
        text:
          `AlphaZero ${m.example.azFirst ? 'moves first (X, red)' : 'moves second (O, yellow)'} and ` +
          `${['loses', 'draws', 'wins'][m.example.result + 1]}; moves: ${m.example.moves.join(' ')}`,
      });
    }
  });
}

/**
 * `alphazero-tictactoe`: AlphaZero-style self-play on tic-tac-toe, then 100 games against the
 * perfect minimax player (it cannot be beaten; the goal is never to lose).
 */
export const alphazeroTictactoe: Recipe<AlphaZeroOptions> = defineRecipe({
  name: 'alphazero-tictactoe',
  title: 'AlphaZero self-play on tic-tac-toe',
  description:
    'A policy–value MLP (3×128) trained by AlphaZero-style self-play (PUCT with 50 simulations, ' +
    'Dirichlet root noise, temperature for the first 4 moves, 8-fold symmetric replay), then 100 ' +
    'games against a perfect minimax player: it never loses.',
  family: 'rl',
  options: tttOptions,
  run: (o: AlphaZeroOptions) => {
    const game = new TicTacToe();
    if (o.opponent === 'random') return alphaZeroRun(game, 'random', (seed) => randomPlayer(game, seed), o);
    return alphaZeroRun(game, 'minimax', (seed) => minimaxPlayer(game, seed), o);
  },
});

/**
 * `alphazero-connect4`: AlphaZero-style self-play on Connect Four, then 100 games against a
 * depth-4 alpha-beta player.
 */
export const alphazeroConnect4: Recipe<AlphaZeroOptions> = defineRecipe({
  name: 'alphazero-connect4',
  title: 'AlphaZero self-play on Connect Four',
  description:
    'A residual policy–value net (32 channels, 2 blocks) trained by AlphaZero-style self-play ' +
    '(PUCT with 40 simulations and tree reuse, Dirichlet root noise, temperature for the first 12 ' +
    'moves, mirrored replay of the last 6 iterations), then 100 games against a depth-4 alpha-beta ' +
    'player (line-counting heuristic).',
  family: 'rl',
  options: c4Options,
  run: (o: AlphaZeroOptions) => {
    const game = new ConnectFour();
    if (o.opponent === 'random') return alphaZeroRun(game, 'random', (seed) => randomPlayer(game, seed), o);
    return alphaZeroRun(
      game,
      `alpha-beta depth ${o.depth}`,
      (seed) => alphaBetaPlayer(game, o.depth, seed),
      o,
    );
  },
});
