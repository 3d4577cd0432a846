import { discrete, EnvBase, type EnvRandom, type Frame, type ResetResult } from '../env.js';

/**
 * Finite MDPs with their transition tables: Sutton & Barto's grid worlds, and Gymnasium's
 * CliffWalking-v0 and FrozenLake-v1 (`gymnasium/envs/toy_text`), whose dynamics, rewards, maps and
 * time limits they follow. `P[s][a]` lists `[probability, next state, reward, terminated]` as
 * Gymnasium's `env.P` does, so dynamic programming (`valueIteration`) reads the same model the
 * environment samples from.
 */

/** One outcome of taking an action: `[probability, next state, reward, terminated]`. */
export type Transition = readonly [prob: number, next: number, reward: number, terminated: boolean];

/** A finite MDP: `P[s][a]` and the start-state distribution. */
export interface TabularModel {
  readonly nS: number;
  readonly nA: number;
  readonly P: readonly (readonly (readonly Transition[])[])[];
  readonly initial: Float64Array;
}

/** What a grid cell is, for drawing. */
export type Cell = 'S' | 'F' | 'H' | 'G' | 'C' | 'A' | 'B';

/** A grid MDP as an `Env`: samples `P`, draws its map. */
export abstract class GridEnv extends EnvBase<number, number> implements TabularModel {
  abstract override readonly id: string;
  readonly observationSpace;
  readonly actionSpace;
  readonly nS: number;
  readonly nA = 4;
  abstract readonly P: Transition[][][];
  abstract readonly initial: Float64Array;
  /** Names of the actions, by index (for the text rendering). */
  abstract readonly actionNames: readonly string[];
  /** The current state. */
  s = 0;
  lastAction: number | null = null;

  constructor(
    readonly rows: number,
    readonly cols: number,
    options: { seed?: number; maxEpisodeSteps?: number },
  ) {
    super(options);
    this.nS = rows * cols;
    this.observationSpace = discrete(this.nS);
    this.actionSpace = discrete(4);
  }

  /** What cell `s` is: S start, F frozen/free, H hole, G goal, C cliff, A/B the 5×5 grid's jumps. */
  abstract cell(s: number): Cell;

  /** Index of a draw from a categorical distribution (Gymnasium's `categorical_sample`). */
  private categorical(probs: ArrayLike<number>, rng: EnvRandom): number {
    const u = rng.random();
    let c = 0;
    for (let i = 0; i < probs.length; i++) {
      c += probs[i]!;
      if (c > u) return i;
    }
    return probs.length - 1;
  }

  protected resetState(rng: EnvRandom): ResetResult<number> {
    this.s = this.categorical(this.initial, rng);
    this.lastAction = null;
    return { observation: this.s, info: { prob: 1 } };
  }

  protected stepState(action: number) {
    const outcomes = this.P[this.s]![action]!;
    const i = this.categorical(
      outcomes.map((t) => t[0]),
      this.rng,
    );
    const [prob, next, reward, terminated] = outcomes[i]!;
    this.s = next;
    this.lastAction = action;
    return { observation: next, reward, terminated, info: { prob } };
  }

  /** The map with the agent as `x`, and the last action above it. */
  renderText(): string {
    const lines: string[] = [];
    if (this.lastAction !== null) lines.push(`  (${this.actionNames[this.lastAction]})`);
    for (let r = 0; r < this.rows; r++) {
      let line = '';
      for (let c = 0; c < this.cols; c++) {
        const s = r * this.cols + c;
        line += s === this.s ? 'x' : this.cell(s);
      }
      lines.push(line);
    }
    return lines.join('\n');
  }

  /** The map as an RGB frame `[3, H, W]`, `cell` pixels a side; the agent is a dark disc. */
  renderFrame(cell = 12): Frame {
    const h = this.rows * cell;
    const w = this.cols * cell;
    const data = new Float32Array(3 * h * w);
    const colours: Record<Cell, [number, number, number]> = {
      S: [0.75, 0.85, 1],
      F: [0.9, 0.95, 1],
      H: [0.1, 0.2, 0.45],
      G: [0.3, 0.8, 0.3],
      C: [0.45, 0.3, 0.2],
      A: [1, 0.75, 0.75],
      B: [1, 0.9, 0.6],
    };
    const rad = cell * 0.35;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const r = Math.floor(y / cell);
        const c = Math.floor(x / cell);
        const s = r * this.cols + c;
        const dy = y - (r + 0.5) * cell + 0.5;
        const dx = x - (c + 0.5) * cell + 0.5;
        const edge = y % cell === 0 || x % cell === 0;
        let col = colours[this.cell(s)];
        if (edge) col = [0.6, 0.6, 0.6];
        if (s === this.s && dx * dx + dy * dy <= rad * rad) col = [0.85, 0.2, 0.1];
        for (let k = 0; k < 3; k++) data[k * h * w + y * w + x] = col[k]!;
      }
    return { data, height: h, width: w };
  }
}

/** Moves on a grid: the next cell, clamped to the grid. Actions 0 up, 1 right, 2 down, 3 left. */
function moveURDL(rows: number, cols: number, s: number, a: number): number {
  const r = Math.floor(s / cols);
  const c = s % cols;
  const dr = [-1, 0, 1, 0][a]!;
  const dc = [0, 1, 0, -1][a]!;
  const nr = Math.min(rows - 1, Math.max(0, r + dr));
  const nc = Math.min(cols - 1, Math.max(0, c + dc));
  return nr * cols + nc;
}

const URDL = ['Up', 'Right', 'Down', 'Left'] as const;

/**
 * Gymnasium's CliffWalking-v0 (Sutton & Barto, Example 6.6): a 4×12 grid, start at the bottom
 * left (state 36), goal at the bottom right (47), the cliff between them. Every step costs −1;
 * stepping into the cliff costs −100 and puts the agent back at the start (the episode goes on).
 * Actions: 0 up, 1 right, 2 down, 3 left. No time limit (as registered), unless given.
 */
export class CliffWalking extends GridEnv {
  readonly id = 'CliffWalking-v0';
  readonly actionNames = URDL;
  readonly P: Transition[][][];
  readonly initial: Float64Array;
  static readonly START = 36;
  static readonly GOAL = 47;

  constructor(options: { seed?: number; maxEpisodeSteps?: number } = {}) {
    super(4, 12, options);
    this.initial = new Float64Array(48);
    this.initial[CliffWalking.START] = 1;
    this.P = [];
    for (let s = 0; s < 48; s++) {
      const row: Transition[][] = [];
      for (let a = 0; a < 4; a++) {
        const next = moveURDL(4, 12, s, a);
        if (this.isCliff(next)) row.push([[1, CliffWalking.START, -100, false]]);
        else row.push([[1, next, -1, next === CliffWalking.GOAL]]);
      }
      this.P.push(row);
    }
  }

  private isCliff(s: number): boolean {
    return s > 36 && s < 47;
  }

  cell(s: number): Cell {
    return s === CliffWalking.START ? 'S' : s === CliffWalking.GOAL ? 'G' : this.isCliff(s) ? 'C' : 'F';
  }

  override renderText(): string {
    return super.renderText().replace(/F/g, 'o');
  }
}

/** FrozenLake's published maps (Gymnasium `MAPS`). */
export const FROZEN_LAKE_MAPS = {
  '4x4': ['SFFF', 'FHFH', 'FFFH', 'HFFG'],
  '8x8': ['SFFFFFFF', 'FFFFFFFF', 'FFFHFFFF', 'FFFFFHFF', 'FFFHFFFF', 'FHHFFFHF', 'FHFFHFHF', 'FFFHFFFG'],
} as const;

/**
 * Gymnasium's FrozenLake-v1: walk from S to G over frozen cells (F) without falling into a hole
 * (H). Reward 1 on reaching G, else 0; the episode terminates in G or a hole. On slippery ice
 * (the default) the agent moves in the intended direction or either perpendicular one, each with
 * probability 1/3. Actions: 0 left, 1 down, 2 right, 3 up. Time limit 100 steps for 4×4, 200 for
 * 8×8 (FrozenLake8x8-v1).
 */
export class FrozenLake extends GridEnv {
  readonly id: string;
  readonly actionNames = ['Left', 'Down', 'Right', 'Up'] as const;
  readonly P: Transition[][][];
  readonly initial: Float64Array;
  readonly desc: readonly string[];

  constructor(
    options: {
      map?: '4x4' | '8x8';
      /** A custom map of S, F, H, G rows instead of a named one. */
      desc?: readonly string[];
      slippery?: boolean;
      seed?: number;
      maxEpisodeSteps?: number;
    } = {},
  ) {
    const map = options.map ?? '4x4';
    if (map !== '4x4' && map !== '8x8')
      throw new RangeError(`FrozenLake: map must be '4x4' or '8x8', got '${String(map)}'`);
    const desc = options.desc ?? FROZEN_LAKE_MAPS[map];
    const cols = desc[0]?.length ?? 0;
    if (desc.length === 0 || desc.some((row) => row.length !== cols || /[^SFHG]/.test(row)))
      throw new RangeError('FrozenLake: desc must be equal-length rows of S, F, H and G');
    super(desc.length, cols, {
      seed: options.seed,
      maxEpisodeSteps: options.maxEpisodeSteps ?? (options.desc ? undefined : map === '4x4' ? 100 : 200),
    });
    this.id = map === '8x8' && !options.desc ? 'FrozenLake8x8-v1' : 'FrozenLake-v1';
    this.desc = desc;
    const slippery = options.slippery ?? true;
    const nS = this.nS;
    const starts = [...desc.join('')].map((ch) => (ch === 'S' ? 1 : 0));
    const nStart = starts.reduce<number>((a, b) => a + b, 0);
    if (nStart === 0) throw new RangeError('FrozenLake: the map has no start cell S');
    this.initial = Float64Array.from(starts, (x) => x / nStart);
    // Gymnasium's moves: 0 left, 1 down, 2 right, 3 up; a slip turns the move by ±90°.
    const move = (s: number, a: number) => {
      const r = Math.floor(s / cols);
      const c = s % cols;
      const nr = a === 1 ? Math.min(r + 1, this.rows - 1) : a === 3 ? Math.max(r - 1, 0) : r;
      const nc = a === 0 ? Math.max(c - 1, 0) : a === 2 ? Math.min(c + 1, cols - 1) : c;
      return nr * cols + nc;
    };
    this.P = [];
    for (let s = 0; s < nS; s++) {
      const row: Transition[][] = [];
      const here = this.cell(s);
      for (let a = 0; a < 4; a++) {
        if (here === 'G' || here === 'H') {
          row.push([[1, s, 0, true]]);
          continue;
        }
        const dirs = slippery ? [(a + 3) % 4, a, (a + 1) % 4] : [a];
        row.push(
          dirs.map((b): Transition => {
            const next = move(s, b);
            const kind = this.cell(next);
            return [1 / dirs.length, next, kind === 'G' ? 1 : 0, kind === 'G' || kind === 'H'];
          }),
        );
      }
      this.P.push(row);
    }
  }

  cell(s: number): Cell {
    // `desc` is set after super(); this is only called once it is.
    return this.desc[Math.floor(s / this.cols)]![s % this.cols] as Cell;
  }
}

/**
 * Sutton & Barto's grid worlds. `'4x4'` is Example 4.1: terminal corners (states 0 and 15), −1
 * per step, moves off the grid leave the state unchanged. `'5x5'` is Example 3.5: from A (0,1)
 * every action moves to A′ (4,1) with +10, from B (0,3) to B′ (2,3) with +5, a move off the grid
 * costs −1 and stays, other moves 0; it never terminates (episodes start anywhere, uniformly, and
 * need a `maxEpisodeSteps`). Actions: 0 up, 1 right, 2 down, 3 left.
 */
export class GridWorld extends GridEnv {
  readonly id: string;
  readonly actionNames = URDL;
  readonly P: Transition[][][];
  readonly initial: Float64Array;

  constructor(
    readonly layout: '4x4' | '5x5' = '4x4',
    options: { seed?: number; maxEpisodeSteps?: number } = {},
  ) {
    if (layout !== '4x4' && layout !== '5x5')
      throw new RangeError(`GridWorld: layout must be '4x4' or '5x5', got '${String(layout)}'`);
    const n = layout === '4x4' ? 4 : 5;
    super(n, n, {
      seed: options.seed,
      maxEpisodeSteps: options.maxEpisodeSteps ?? (n === 5 ? 100 : undefined),
    });
    this.id = `GridWorld${layout}`;
    this.P = [];
    const nS = n * n;
    if (layout === '4x4') {
      this.initial = new Float64Array(nS).fill(1 / (nS - 2));
      this.initial[0] = 0;
      this.initial[15] = 0;
      for (let s = 0; s < nS; s++) {
        const row: Transition[][] = [];
        for (let a = 0; a < 4; a++) {
          if (s === 0 || s === 15) row.push([[1, s, 0, true]]);
          else {
            const next = moveURDL(4, 4, s, a);
            row.push([[1, next, -1, next === 0 || next === 15]]);
          }
        }
        this.P.push(row);
      }
    } else {
      this.initial = new Float64Array(nS).fill(1 / nS);
      for (let s = 0; s < nS; s++) {
        const row: Transition[][] = [];
        for (let a = 0; a < 4; a++) {
          if (s === 1) row.push([[1, 21, 10, false]]);
          else if (s === 3) row.push([[1, 13, 5, false]]);
          else {
            const next = moveURDL(5, 5, s, a);
            row.push([[1, next, next === s ? -1 : 0, false]]);
          }
        }
        this.P.push(row);
      }
    }
  }

  cell(s: number): Cell {
    if (this.layout === '4x4') return s === 0 || s === 15 ? 'G' : 'F';
    return s === 1 ? 'A' : s === 3 ? 'B' : 'F';
  }
}
