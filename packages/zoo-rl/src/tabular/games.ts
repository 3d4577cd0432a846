import {
  box,
  discrete,
  EnvBase,
  EnvError,
  type EnvRandom,
  type Frame,
  type Info,
  type ResetResult,
} from '../env.js';

/**
 * Two-player, zero-sum board games with perfect information (tic-tac-toe, Connect Four): the
 * interface MCTS, AlphaZero, minimax and alpha-beta search through. A state is immutable; `play`
 * returns the next one. Players are `1` (first to move, "X" / red) and `-1` ("O" / yellow).
 */
export interface GameState {
  /** Row-major cells: 1, −1 or 0 (empty); row 0 is the top row. */
  readonly board: Int8Array;
  /** The player to move. */
  readonly toMove: 1 | -1;
  /** Stones on the board. */
  readonly moves: number;
  /** `null` while the game runs; then the winner (1 or −1), or 0 for a draw. */
  readonly winner: 1 | -1 | 0 | null;
}

/** Bad input to a game (an illegal move, a move after the end). */
export class GameError extends Error {
  override name = 'GameError';
}

export interface BoardGame {
  /** `tictactoe` or `connect4`. */
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  /** Size of the action space (9 cells; 7 columns). */
  readonly actionCount: number;
  /** The empty board, player 1 to move. */
  initial(): GameState;
  /** The legal moves of a running game, ascending; empty once it is over. */
  legalMoves(s: GameState): number[];
  isLegal(s: GameState, action: number): boolean;
  /** The state after the mover plays `action`; throws a `GameError` when it is illegal. */
  play(s: GameState, action: number): GameState;
  /**
   * The board from the mover's view, as the network sees it: two planes `[2, rows, cols]`
   * flattened, the mover's stones then the opponent's (so the same position reads the same
   * whoever is to move).
   */
  canonical(s: GameState): Float32Array;
  /**
   * Symmetries of a (canonical) board and a policy over actions: pairs that are equally good
   * positions, for augmenting AlphaZero's replay (8 for tic-tac-toe, the mirror for Connect Four).
   */
  symmetries(planes: Float32Array, policy: Float32Array): [Float32Array, Float32Array][];
  /** The board as text: `X`, `O`, `.`. */
  renderText(s: GameState): string;
}

const MARK = (v: number) => (v === 1 ? 'X' : v === -1 ? 'O' : '.');

function checkAction(game: BoardGame, s: GameState, action: number): void {
  if (s.winner !== null)
    throw new GameError(
      `${game.name}: play(${action}) after the game ended (${s.winner === 0 ? 'a draw' : `${MARK(s.winner)} won`})`,
    );
  if (!game.isLegal(s, action))
    throw new GameError(
      `${game.name}: move ${String(action)} is illegal; legal moves are [${game.legalMoves(s).join(', ')}]`,
    );
}

/** Whether the stone at (r, c) makes a line of `need` of its colour in any of the 4 directions. */
function lineThrough(
  board: Int8Array,
  rows: number,
  cols: number,
  r: number,
  c: number,
  need: number,
): boolean {
  const p = board[r * cols + c]!;
  const dirs = [
    [0, 1],
    [1, 0],
    [1, 1],
    [1, -1],
  ] as const;
  for (const [dr, dc] of dirs) {
    let count = 1;
    for (const sgn of [1, -1]) {
      let rr = r + sgn * dr;
      let cc = c + sgn * dc;
      while (rr >= 0 && rr < rows && cc >= 0 && cc < cols && board[rr * cols + cc] === p) {
        count++;
        rr += sgn * dr;
        cc += sgn * dc;
      }
    }
    if (count >= need) return true;
  }
  return false;
}

function twoPlanes(s: GameState): Float32Array {
  const n = s.board.length;
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const v = s.board[i]! * s.toMove;
    if (v === 1) out[i] = 1;
    else if (v === -1) out[n + i] = 1;
  }
  return out;
}

function gridText(s: GameState, rows: number, cols: number): string {
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    let line = '';
    for (let c = 0; c < cols; c++) line += MARK(s.board[r * cols + c]!);
    lines.push(line);
  }
  return lines.join('\n');
}

/** Tic-tac-toe on 3×3: action `a` marks cell `a` (row-major, 0 top-left). */
export class TicTacToe implements BoardGame {
  readonly name = 'tictactoe';
  readonly rows = 3;
  readonly cols = 3;
  readonly actionCount = 9;

  initial(): GameState {
    return { board: new Int8Array(9), toMove: 1, moves: 0, winner: null };
  }

  legalMoves(s: GameState): number[] {
    if (s.winner !== null) return [];
    const out: number[] = [];
    for (let i = 0; i < 9; i++) if (s.board[i] === 0) out.push(i);
    return out;
  }

  isLegal(s: GameState, a: number): boolean {
    return s.winner === null && Number.isInteger(a) && a >= 0 && a < 9 && s.board[a] === 0;
  }

  play(s: GameState, a: number): GameState {
    checkAction(this, s, a);
    const board = s.board.slice();
    board[a] = s.toMove;
    const moves = s.moves + 1;
    const won = lineThrough(board, 3, 3, Math.floor(a / 3), a % 3, 3);
    const winner = won ? s.toMove : moves === 9 ? 0 : null;
    return { board, toMove: s.toMove === 1 ? -1 : 1, moves, winner };
  }

  canonical(s: GameState): Float32Array {
    return twoPlanes(s);
  }

  symmetries(planes: Float32Array, policy: Float32Array): [Float32Array, Float32Array][] {
    // The dihedral group of the square: 4 rotations × optional reflection, as index maps.
    const out: [Float32Array, Float32Array][] = [];
    for (let k = 0; k < 8; k++) {
      const map = new Int32Array(9);
      for (let r = 0; r < 3; r++)
        for (let c = 0; c < 3; c++) {
          let rr = r;
          let cc = k >= 4 ? 2 - c : c;
          for (let t = 0; t < k % 4; t++) [rr, cc] = [cc, 2 - rr];
          map[r * 3 + c] = rr * 3 + cc;
        }
      const p = new Float32Array(2 * 9);
      const pi = new Float32Array(9);
      for (let i = 0; i < 9; i++) {
        p[map[i]!] = planes[i]!;
        p[9 + map[i]!] = planes[9 + i]!;
        pi[map[i]!] = policy[i]!;
      }
      out.push([p, pi]);
    }
    return out;
  }

  renderText(s: GameState): string {
    return gridText(s, 3, 3);
  }
}

/** Connect Four on 6 rows × 7 columns: action `c` drops a stone into column `c`. */
export class ConnectFour implements BoardGame {
  readonly name = 'connect4';
  readonly rows = 6;
  readonly cols = 7;
  readonly actionCount = 7;

  initial(): GameState {
    return { board: new Int8Array(42), toMove: 1, moves: 0, winner: null };
  }

  legalMoves(s: GameState): number[] {
    if (s.winner !== null) return [];
    const out: number[] = [];
    for (let c = 0; c < 7; c++) if (s.board[c] === 0) out.push(c);
    return out;
  }

  isLegal(s: GameState, a: number): boolean {
    return s.winner === null && Number.isInteger(a) && a >= 0 && a < 7 && s.board[a] === 0;
  }

  play(s: GameState, a: number): GameState {
    checkAction(this, s, a);
    const board = s.board.slice();
    let r = 5;
    while (board[r * 7 + a] !== 0) r--;
    board[r * 7 + a] = s.toMove;
    const moves = s.moves + 1;
    const won = lineThrough(board, 6, 7, r, a, 4);
    const winner = won ? s.toMove : moves === 42 ? 0 : null;
    return { board, toMove: s.toMove === 1 ? -1 : 1, moves, winner };
  }

  canonical(s: GameState): Float32Array {
    return twoPlanes(s);
  }

  symmetries(planes: Float32Array, policy: Float32Array): [Float32Array, Float32Array][] {
    const p = new Float32Array(84);
    const pi = new Float32Array(7);
    for (let r = 0; r < 6; r++)
      for (let c = 0; c < 7; c++) {
        p[r * 7 + 6 - c] = planes[r * 7 + c]!;
        p[42 + r * 7 + 6 - c] = planes[42 + r * 7 + c]!;
      }
    for (let c = 0; c < 7; c++) pi[6 - c] = policy[c]!;
    return [
      [planes, policy],
      [p, pi],
    ];
  }

  renderText(s: GameState): string {
    return `${gridText(s, 6, 7)}\n0123456`;
  }
}

/** Draw a board as an RGB frame `[3, H, W]`: a blue board, red (X) and yellow (O) stones. */
export function renderBoardFrame(game: BoardGame, s: GameState, cell = 16): Frame {
  const h = game.rows * cell;
  const w = game.cols * cell;
  const data = new Float32Array(3 * h * w);
  const rgb = (v: number): [number, number, number] =>
    v === 1 ? [0.85, 0.1, 0.1] : v === -1 ? [0.95, 0.85, 0.1] : [1, 1, 1];
  const rad = cell * 0.38;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const r = Math.floor(y / cell);
      const c = Math.floor(x / cell);
      const dy = y - (r + 0.5) * cell + 0.5;
      const dx = x - (c + 0.5) * cell + 0.5;
      const inside = dx * dx + dy * dy <= rad * rad;
      const col: [number, number, number] = inside ? rgb(s.board[r * game.cols + c]!) : [0.15, 0.3, 0.75];
      for (let k = 0; k < 3; k++) data[k * h * w + y * w + x] = col[k];
    }
  return { data, height: h, width: w };
}

/** A move chooser: given a running state, a legal move. */
export type GamePlayer = (s: GameState) => number;

/**
 * A board game as a single-agent `Env`: the agent plays `agentSide` against `opponent`; the
 * observation is the canonical board from the agent's view, `[2, rows, cols]` (`info.state` holds the
 * `GameState`),
 * the reward +1 for a win, −1 for a loss, 0 otherwise. An illegal move throws an `EnvError`.
 */
export class BoardGameEnv extends EnvBase<Float32Array, number> {
  readonly id: string;
  readonly observationSpace;
  readonly actionSpace;
  state: GameState;

  constructor(
    readonly game: BoardGame,
    readonly opponent: GamePlayer,
    readonly agentSide: 1 | -1 = 1,
    options: { seed?: number } = {},
  ) {
    super(options);
    this.id = game.name === 'tictactoe' ? 'TicTacToe' : 'ConnectFour';
    this.observationSpace = box(0, 1, [2, game.rows, game.cols]);
    this.actionSpace = discrete(game.actionCount);
    this.state = game.initial();
  }

  private encode(): Float32Array {
    return this.game.canonical({ ...this.state, toMove: this.agentSide });
  }

  protected resetState(_rng: EnvRandom): ResetResult<Float32Array> {
    this.state = this.game.initial();
    if (this.agentSide === -1) this.state = this.game.play(this.state, this.opponent(this.state));
    return { observation: this.encode(), info: { state: this.state } };
  }

  protected stepState(action: number) {
    if (!this.game.isLegal(this.state, action))
      throw new EnvError(
        `${this.id}: move ${action} is illegal; legal moves are [${this.game.legalMoves(this.state).join(', ')}]`,
      );
    this.state = this.game.play(this.state, action);
    if (this.state.winner === null) this.state = this.game.play(this.state, this.opponent(this.state));
    const w = this.state.winner;
    const reward = w === null || w === 0 ? 0 : w === this.agentSide ? 1 : -1;
    const info: Info = { state: this.state };
    return { observation: this.encode(), reward, terminated: w !== null, info };
  }

  renderText(): string {
    return this.game.renderText(this.state);
  }

  renderFrame(): Frame {
    return renderBoardFrame(this.game, this.state);
  }
}
