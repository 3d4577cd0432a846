import { Generator } from '@myelin/core';

/**
 * The environment interface of `@myelin/zoo-rl`, shaped after Gymnasium's `Env` (reset → observation
 * and info; step → observation, reward, terminated, truncated, info; observation and action
 * spaces), with seeded randomness: `reset(seed)` reseeds the environment's own generator, so the
 * same seed and the same actions give the same episode on every machine.
 *
 * Every environment extends `EnvBase`, which checks what comes in (an action outside the action
 * space, `step` before `reset` or after the episode ended) and throws an `EnvError` naming the
 * environment, what came and what was expected.
 */

/** A finite set of actions or observations `0 … n−1`. */
export interface DiscreteSpace {
  readonly kind: 'discrete';
  readonly n: number;
}

/** A box of real vectors, `low[i] ≤ x[i] ≤ high[i]` (bounds may be ±Infinity). */
export interface BoxSpace {
  readonly kind: 'box';
  readonly shape: readonly number[];
  readonly low: Float32Array;
  readonly high: Float32Array;
}

export type Space = DiscreteSpace | BoxSpace;

/** `Discrete(n)`. */
export function discrete(n: number): DiscreteSpace {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`discrete: n must be an integer ≥ 1, got ${n}`);
  return { kind: 'discrete', n };
}

/** `Box(low, high)` of the given shape; scalars broadcast to every entry. */
export function box(
  low: number | ArrayLike<number>,
  high: number | ArrayLike<number>,
  shape?: readonly number[],
): BoxSpace {
  const size = shape
    ? shape.reduce((a, b) => a * b, 1)
    : typeof low === 'number'
      ? typeof high === 'number'
        ? 1
        : high.length
      : low.length;
  const fill = (v: number | ArrayLike<number>, what: string): Float32Array => {
    if (typeof v === 'number') return new Float32Array(size).fill(v);
    if (v.length !== size)
      throw new RangeError(`box: ${what} has ${v.length} entries, the shape needs ${size}`);
    return Float32Array.from(v);
  };
  const lo = fill(low, 'low');
  const hi = fill(high, 'high');
  for (let i = 0; i < size; i++)
    if (!(lo[i]! <= hi[i]!)) throw new RangeError(`box: low[${i}] = ${lo[i]} is above high[${i}] = ${hi[i]}`);
  return { kind: 'box', shape: shape ? [...shape] : [size], low: lo, high: hi };
}

/** Observations and actions: an integer for a discrete space, a vector for a box. */
export type Value = number | Float32Array;

/** Whether `x` lies in `space`. */
export function contains(space: Space, x: unknown): boolean {
  if (space.kind === 'discrete') return Number.isInteger(x) && (x as number) >= 0 && (x as number) < space.n;
  const size = space.low.length;
  const v = typeof x === 'number' && size === 1 ? [x] : x;
  if (!(v instanceof Float32Array || v instanceof Float64Array || Array.isArray(v)) || v.length !== size)
    return false;
  for (let i = 0; i < size; i++) {
    const e = v[i] as number;
    if (!(Number.isFinite(e) && e >= space.low[i]! && e <= space.high[i]!)) return false;
  }
  return true;
}

/** A short description of a space, for error messages: `Discrete(2)`, `Box([-2], [2], [1])`. */
export function describeSpace(space: Space): string {
  if (space.kind === 'discrete') return `Discrete(${space.n})`;
  const list = (a: Float32Array) => `[${Array.from(a, (x) => Number(x.toPrecision(6))).join(', ')}]`;
  return `Box(${list(space.low)}, ${list(space.high)}, [${space.shape.join(', ')}])`;
}

/** A short description of a value, for error messages. */
export function describeValue(x: unknown): string {
  if (typeof x === 'number') return String(x);
  if (x instanceof Float32Array || x instanceof Float64Array || Array.isArray(x))
    return `[${Array.from(x as ArrayLike<number>, (e) => String(e)).join(', ')}]`;
  return x === null ? 'null' : typeof x;
}

/** A uniform draw from `space` with `rng`. */
export function sample(space: Space, rng: EnvRandom): Value {
  if (space.kind === 'discrete') return rng.integer(space.n);
  const out = new Float32Array(space.low.length);
  for (let i = 0; i < out.length; i++) {
    const lo = space.low[i]!;
    const hi = space.high[i]!;
    out[i] = Number.isFinite(lo) && Number.isFinite(hi) ? rng.uniform(lo, hi) : rng.normal();
  }
  return out;
}

/** Seeded scalar draws for environments and agents (core's Philox `Generator` underneath). */
export class EnvRandom {
  private gen: Generator;
  private buf: Float32Array = new Float32Array(0);
  private at = 0;

  constructor(seed = 0) {
    this.gen = new Generator(seed);
  }

  /** Restart the stream from `seed`. */
  reseed(seed: number): void {
    this.gen = new Generator(seed);
    this.at = this.buf.length;
  }

  /** A float in [0, 1). */
  random(): number {
    if (this.at >= this.buf.length) {
      this.buf = this.gen.uniform(1024);
      this.at = 0;
    }
    return this.buf[this.at++]!;
  }

  /** A float in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  /** An integer in [0, n). */
  integer(n: number): number {
    return Math.min(n - 1, Math.floor(this.random() * n));
  }

  /** A standard normal draw (Box–Muller). */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.random();
    const v = this.random();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

export type Info = Record<string, unknown>;

export interface ResetResult<O extends Value = Value> {
  observation: O;
  info: Info;
}

export interface StepResult<O extends Value = Value> {
  observation: O;
  reward: number;
  /** The episode reached a terminal state of the task (Gymnasium's `terminated`). */
  terminated: boolean;
  /** The episode was cut short, e.g. by a time limit (Gymnasium's `truncated`). */
  truncated: boolean;
  info: Info;
}

/** An RGB frame, `[3, H, W]` row-major values in [0, 1] (what `EpisodeEvent.frames` stacks). */
export interface Frame {
  data: Float32Array;
  height: number;
  width: number;
}

export interface Env<O extends Value = Value, A extends Value = Value> {
  /** Gymnasium's id where it has one, e.g. `CartPole-v1`. */
  readonly id: string;
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  /** Steps after which `step` reports `truncated` (Gymnasium's TimeLimit), if any. */
  readonly maxEpisodeSteps?: number;
  reset(seed?: number): ResetResult<O>;
  step(action: A): StepResult<O>;
  /** The current state as text. */
  renderText(): string;
  /** The current state as an RGB frame. */
  renderFrame?(): Frame;
}

/** Bad input to an environment: names the environment, what came and what was expected. */
export class EnvError extends Error {
  override name = 'EnvError';
}

/**
 * The checks every environment shares. A subclass implements `resetState(rng)` and
 * `stepState(action)`; `reset` and `step` wrap them with the action check, the episode-state check
 * and the time limit.
 */
export abstract class EnvBase<O extends Value = Value, A extends Value = Value> implements Env<O, A> {
  abstract readonly id: string;
  abstract readonly observationSpace: Space;
  abstract readonly actionSpace: Space;
  readonly maxEpisodeSteps?: number;
  protected readonly rng: EnvRandom;
  private phase: 'new' | 'running' | 'done' = 'new';
  /** Steps taken in the current episode. */
  elapsedSteps = 0;

  constructor(options: { seed?: number; maxEpisodeSteps?: number } = {}) {
    this.rng = new EnvRandom(options.seed ?? 0);
    if (options.maxEpisodeSteps !== undefined) {
      if (!Number.isInteger(options.maxEpisodeSteps) || options.maxEpisodeSteps < 1)
        throw new RangeError(`maxEpisodeSteps must be an integer ≥ 1, got ${options.maxEpisodeSteps}`);
      this.maxEpisodeSteps = options.maxEpisodeSteps;
    }
  }

  protected abstract resetState(rng: EnvRandom): ResetResult<O>;
  protected abstract stepState(action: A): Omit<StepResult<O>, 'truncated'> & { truncated?: boolean };
  abstract renderText(): string;

  /** Start an episode; with `seed`, reseed the environment's generator first. */
  reset(seed?: number): ResetResult<O> {
    if (seed !== undefined) {
      if (!Number.isSafeInteger(seed))
        throw new EnvError(`${this.id}: reset seed must be an integer, got ${seed}`);
      this.rng.reseed(seed);
    }
    this.phase = 'running';
    this.elapsedSteps = 0;
    return this.resetState(this.rng);
  }

  step(action: A): StepResult<O> {
    if (this.phase === 'new') throw new EnvError(`${this.id}: step() before reset(); call reset() first`);
    if (this.phase === 'done')
      throw new EnvError(
        `${this.id}: step() after the episode ended (terminated or truncated); call reset() first`,
      );
    this.checkAction(action);
    const r = this.stepState(action);
    this.elapsedSteps++;
    const truncated =
      (r.truncated ?? false) ||
      (this.maxEpisodeSteps !== undefined && this.elapsedSteps >= this.maxEpisodeSteps);
    if (r.terminated || truncated) this.phase = 'done';
    return { ...r, truncated };
  }

  /** Throws an `EnvError` when `action` is outside the action space. */
  protected checkAction(action: unknown): void {
    if (!contains(this.actionSpace, action))
      throw new EnvError(
        `${this.id}: action ${describeValue(action)} is outside the action space ${describeSpace(this.actionSpace)}`,
      );
  }
}
