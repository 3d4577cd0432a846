import { EnvRandom } from '../env.js';
import type { BoardGame, GamePlayer, GameState } from './games.js';

/**
 * Opponents for the board games: a uniformly random player, a perfect minimax player (exhaustive,
 * memoised; for tic-tac-toe), a depth-limited alpha-beta player with a line-counting heuristic
 * (for Connect Four), and plain UCT Monte Carlo tree search with random roll-outs.
 */

/** Among the moves whose score ties the best, one chosen uniformly by `rng` (so games differ). */
function pickBest(moves: number[], scores: number[], rng: EnvRandom): number {
  let best = -Infinity;
  for (const s of scores) if (s > best) best = s;
  const ties = moves.filter((_, i) => scores[i] === best);
  return ties[rng.integer(ties.length)]!;
}

/** A uniformly random legal move. */
export function randomPlayer(game: BoardGame, seed = 0): GamePlayer {
  const rng = new EnvRandom(seed);
  return (s) => {
    const moves = game.legalMoves(s);
    return moves[rng.integer(moves.length)]!;
  };
}

/**
 * The game-theoretic value of `s` for the player to move (+1 win, 0 draw, −1 loss) under perfect
 * play by both sides, by exhaustive negamax with a transposition table. Only for small games
 * (tic-tac-toe's 5,478 positions).
 */
export function minimaxValue(game: BoardGame, s: GameState, table = new Map<string, number>()): number {
  if (s.winner !== null) return s.winner === 0 ? 0 : s.winner === s.toMove ? 1 : -1;
  const key = `${s.toMove}${s.board.join('')}`;
  const hit = table.get(key);
  if (hit !== undefined) return hit;
  let best = -Infinity;
  for (const a of game.legalMoves(s)) {
    const v = -minimaxValue(game, game.play(s, a), table);
    if (v > best) best = v;
    if (best === 1) break;
  }
  if (best === 0) best = 0; // not −0
  table.set(key, best);
  return best;
}

/**
 * A perfect player: it always plays a move of the best game-theoretic value (ties broken at random
 * with `seed`), so it never loses a game that can be drawn and wins every game that can be won.
 */
export function minimaxPlayer(game: BoardGame, seed = 0): GamePlayer {
  const rng = new EnvRandom(seed);
  const table = new Map<string, number>();
  return (s) => {
    const moves = game.legalMoves(s);
    const scores = moves.map((a) => -minimaxValue(game, game.play(s, a), table));
    return pickBest(moves, scores, rng);
  };
}

const WIN = 1_000_000;

/**
 * The heuristic score of a Connect Four position for `player`: over every window of 4 cells in a
 * line, +5 for 3 own stones and an empty cell, +2 for 2 own and 2 empty, −4 for 3 of the opponent's
 * and an empty cell; +3 per own stone in the centre column (a common hand-made evaluation).
 */
export function connectFourHeuristic(board: Int8Array, player: 1 | -1): number {
  let score = 0;
  for (let r = 0; r < 6; r++) if (board[r * 7 + 3] === player) score += 3;
  const dirs = [
    [0, 1],
    [1, 0],
    [1, 1],
    [1, -1],
  ] as const;
  for (let r = 0; r < 6; r++)
    for (let c = 0; c < 7; c++)
      for (const [dr, dc] of dirs) {
        const r3 = r + 3 * dr;
        const c3 = c + 3 * dc;
        if (r3 < 0 || r3 > 5 || c3 < 0 || c3 > 6) continue;
        let own = 0;
        let opp = 0;
        for (let k = 0; k < 4; k++) {
          const v = board[(r + k * dr) * 7 + c + k * dc]!;
          if (v === player) own++;
          else if (v !== 0) opp++;
        }
        if (own === 3 && opp === 0) score += 5;
        else if (own === 2 && opp === 0) score += 2;
        if (opp === 3 && own === 0) score -= 4;
      }
  return score;
}

/**
 * Negamax with alpha-beta pruning to `depth` plies; leaves scored by `evaluate` for the player to
 * move, wins and losses by ±(WIN + remaining depth) so that quicker wins score higher.
 */
export function alphaBeta(
  game: BoardGame,
  s: GameState,
  depth: number,
  alpha: number,
  beta: number,
  evaluate: (s: GameState) => number,
): number {
  if (s.winner !== null) return s.winner === 0 ? 0 : s.winner === s.toMove ? WIN + depth : -(WIN + depth);
  if (depth === 0) return evaluate(s);
  let best = -Infinity;
  for (const a of centreFirst(game.legalMoves(s), game.cols)) {
    const v = -alphaBeta(game, game.play(s, a), depth - 1, -beta, -alpha, evaluate);
    if (v > best) best = v;
    if (v > alpha) alpha = v;
    if (alpha >= beta) break;
  }
  return best;
}

function centreFirst(moves: number[], cols: number): number[] {
  const mid = (cols - 1) / 2;
  return moves.slice().sort((a, b) => Math.abs(a - mid) - Math.abs(b - mid));
}

/**
 * A depth-limited alpha-beta player for Connect Four (depth 4 by default): each root move is
 * searched to `depth` plies in total with `connectFourHeuristic` at the leaves; ties between
 * equally scored moves are broken at random with `seed`.
 */
export function alphaBetaPlayer(game: BoardGame, depth = 4, seed = 0): GamePlayer {
  if (!Number.isInteger(depth) || depth < 1)
    throw new RangeError(`alphaBetaPlayer: depth must be an integer ≥ 1, got ${depth}`);
  const rng = new EnvRandom(seed);
  const evaluate = (s: GameState) =>
    connectFourHeuristic(s.board, s.toMove) - connectFourHeuristic(s.board, s.toMove === 1 ? -1 : 1);
  return (s) => {
    const moves = game.legalMoves(s);
    // Full-window search per root move, so that tied scores are exact and the tie-break is fair.
    const scores = moves.map(
      (a) => -alphaBeta(game, game.play(s, a), depth - 1, -Infinity, Infinity, evaluate),
    );
    return pickBest(moves, scores, rng);
  };
}

/** A node of the UCT search tree. */
class UctNode {
  readonly children = new Map<number, UctNode>();
  readonly untried: number[];
  visits = 0;
  /** Sum of results from the view of the player who moved into this node. */
  total = 0;
  constructor(
    readonly state: GameState,
    game: BoardGame,
  ) {
    this.untried = game.legalMoves(state);
  }
}

/**
 * Monte Carlo tree search with UCB1 applied to trees (Kocsis & Szepesvári 2006): `simulations`
 * descents per move, each expanding one node and finishing with a uniformly random roll-out;
 * the move played is the most visited. `c` is the exploration constant (√2 by default).
 */
export function mctsPlayer(game: BoardGame, simulations = 1000, seed = 0, c = Math.SQRT2): GamePlayer {
  if (!Number.isInteger(simulations) || simulations < 1)
    throw new RangeError(`mctsPlayer: simulations must be an integer ≥ 1, got ${simulations}`);
  const rng = new EnvRandom(seed);
  return (root) => {
    const top = new UctNode(root, game);
    for (let i = 0; i < simulations; i++) {
      let node = top;
      const path = [node];
      while (node.untried.length === 0 && node.children.size > 0) {
        let best = -Infinity;
        let next = node;
        const logN = Math.log(node.visits);
        for (const child of node.children.values()) {
          const u = child.total / child.visits + c * Math.sqrt(logN / child.visits);
          if (u > best) [best, next] = [u, child];
        }
        node = next;
        path.push(node);
      }
      if (node.untried.length > 0 && node.state.winner === null) {
        const k = rng.integer(node.untried.length);
        const a = node.untried[k]!;
        node.untried.splice(k, 1);
        const child = new UctNode(game.play(node.state, a), game);
        node.children.set(a, child);
        node = child;
        path.push(node);
      }
      let s = node.state;
      while (s.winner === null) {
        const moves = game.legalMoves(s);
        s = game.play(s, moves[rng.integer(moves.length)]!);
      }
      for (const n of path) {
        n.visits++;
        // The player who moved into n is the opponent of n.state.toMove.
        const mover = n.state.toMove === 1 ? -1 : 1;
        n.total += s.winner === 0 ? 0.5 : s.winner === mover ? 1 : 0;
      }
    }
    let best = -1;
    let move = -1;
    for (const [a, child] of top.children) if (child.visits > best) [best, move] = [child.visits, a];
    return move;
  };
}

/** The result of one game, from `first`'s point of view: +1 win, 0 draw, −1 loss. */
export function playGame(
  game: BoardGame,
  first: GamePlayer,
  second: GamePlayer,
): { result: 1 | 0 | -1; moves: number[]; final: GameState } {
  let s = game.initial();
  const moves: number[] = [];
  while (s.winner === null) {
    const a = s.toMove === 1 ? first(s) : second(s);
    moves.push(a);
    s = game.play(s, a);
  }
  return { result: s.winner === 0 ? 0 : s.winner === 1 ? 1 : -1, moves, final: s };
}
