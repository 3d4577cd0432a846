import { type EpisodeEvent, type ImageArray, imageArray, type VegaLiteSpec } from '@myelin/train';
import { type Env, EnvError, type Frame, type Value } from '../env.js';

/**
 * What the control agents share: discounted returns and generalised advantage estimates (host
 * arithmetic on the rollout), per-copy episode bookkeeping, batched greedy evaluation with an
 * optional recording of frames, and the return-curve chart.
 */

/** Discounted returns-to-go `G_t = r_t + γ·G_{t+1}` of one episode. */
export function discountedReturns(rewards: ArrayLike<number>, gamma: number): Float64Array {
  const out = new Float64Array(rewards.length);
  let g = 0;
  for (let t = rewards.length - 1; t >= 0; t--) {
    g = rewards[t]! + gamma * g;
    out[t] = g;
  }
  return out;
}

export interface RolloutForGae {
  /** Steps per copy. */
  steps: number;
  /** Copies stepped together. */
  n: number;
  /** `[steps · n]`, step-major: index `t · n + i`. */
  rewards: ArrayLike<number>;
  values: ArrayLike<number>;
  terminated: ArrayLike<boolean | number>;
  truncated: ArrayLike<boolean | number>;
  /** V of the observation a truncated step ended in (its `finalObservation`); ignored elsewhere. */
  finalValues: ArrayLike<number>;
  /** V of each copy's observation after the last step. */
  lastValues: ArrayLike<number>;
}

/**
 * Generalised advantage estimation (Schulman et al. 2016): δ_t = r_t + γ·V(s_{t+1}) − V(s_t),
 * A_t = δ_t + γλ·A_{t+1} within an episode. A terminated step bootstraps from 0, a truncated one
 * from V of its final observation, and neither carries A across the episode boundary.
 * Returns the advantages and the value targets `A + V`.
 */
export function gae(
  r: RolloutForGae,
  gamma: number,
  lambda: number,
): { advantages: Float64Array; returns: Float64Array } {
  const { steps, n } = r;
  const advantages = new Float64Array(steps * n);
  const returns = new Float64Array(steps * n);
  for (let i = 0; i < n; i++) {
    let next = 0;
    for (let t = steps - 1; t >= 0; t--) {
      const k = t * n + i;
      let nextValue: number;
      let carry: number;
      if (r.terminated[k]) {
        nextValue = 0;
        carry = 0;
      } else if (r.truncated[k]) {
        nextValue = r.finalValues[k]!;
        carry = 0;
      } else {
        nextValue = t === steps - 1 ? r.lastValues[i]! : r.values[k + n]!;
        carry = t === steps - 1 ? 0 : 1;
      }
      const delta = r.rewards[k]! + gamma * nextValue - r.values[k]!;
      next = delta + gamma * lambda * carry * next;
      advantages[k] = next;
      returns[k] = next + r.values[k]!;
    }
  }
  return { advantages, returns };
}

/** Running return and length of each of `n` copies; `step` reports the episodes that ended. */
export class EpisodeTracker {
  private returns: Float64Array;
  private lengths: Int32Array;

  constructor(readonly n: number) {
    this.returns = new Float64Array(n);
    this.lengths = new Int32Array(n);
  }

  step(rewards: ArrayLike<number>, done: ArrayLike<boolean>): { return: number; length: number }[] {
    const ended: { return: number; length: number }[] = [];
    for (let i = 0; i < this.n; i++) {
      this.returns[i]! += rewards[i]!;
      this.lengths[i]! += 1;
      if (done[i]) {
        ended.push({ return: this.returns[i]!, length: this.lengths[i]! });
        this.returns[i] = 0;
        this.lengths[i] = 0;
      }
    }
    return ended;
  }
}

export interface Evaluation {
  returns: number[];
  lengths: number[];
  mean: number;
  std: number;
  /** The first episode's frames (every `recordEvery`-th step and the last), when recorded. */
  frames?: ImageArray;
}

/**
 * Run `episodes` episodes at once, copy i reset with `seed + i`, each stepped by `act` on the
 * batch of the copies still running until it terminates or is truncated.
 */
export async function evaluatePolicy<A extends Value>(
  make: () => Env<Value, A>,
  act: (observations: Float32Array, n: number) => Promise<A[]>,
  options: { episodes: number; seed: number; record?: boolean; recordEvery?: number },
): Promise<Evaluation> {
  const envs = Array.from({ length: options.episodes }, make);
  const size = envs[0]!.observationSpace.kind === 'box' ? envs[0]!.observationSpace.low.length : 1;
  const obs = envs.map((e, i) => e.reset(options.seed + i).observation);
  const returns = new Array<number>(envs.length).fill(0);
  const lengths = new Array<number>(envs.length).fill(0);
  let alive = envs.map((_, i) => i);
  const frames: Frame[] = [];
  const every = options.recordEvery ?? 1;
  const recordable = options.record && typeof envs[0]!.renderFrame === 'function';
  if (recordable) frames.push(envs[0]!.renderFrame!());
  while (alive.length) {
    const batch = new Float32Array(alive.length * size);
    alive.forEach((i, j) => {
      const o = obs[i]!;
      if (typeof o === 'number') batch[j] = o;
      else batch.set(o, j * size);
    });
    const actions = await act(batch, alive.length);
    const still: number[] = [];
    alive.forEach((i, j) => {
      const r = envs[i]!.step(actions[j]!);
      obs[i] = r.observation;
      returns[i]! += r.reward;
      lengths[i]! += 1;
      const done = r.terminated || r.truncated;
      if (i === 0 && recordable && (done || lengths[0]! % every === 0)) frames.push(envs[0]!.renderFrame!());
      if (!done) still.push(i);
    });
    alive = still;
  }
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  const std = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / returns.length);
  return { returns, lengths, mean, std, ...(recordable ? { frames: stackFrames(frames) } : {}) };
}

/** Frames of one size as an `[T, 3, H, W]` image array. */
export function stackFrames(frames: readonly Frame[]): ImageArray {
  if (frames.length === 0) throw new EnvError('stackFrames: no frames');
  const { height, width } = frames[0]!;
  const data = new Float32Array(frames.length * 3 * height * width);
  frames.forEach((f, t) => {
    if (f.height !== height || f.width !== width)
      throw new EnvError(
        `stackFrames: frame ${t} is ${f.height}×${f.width}, the first is ${height}×${width}`,
      );
    data.set(f.data, t * 3 * height * width);
  });
  return imageArray(data, [frames.length, 3, height, width]);
}

/** The training-return curve: each episode's return and its running mean over `window` episodes. */
export function returnCurve(title: string, episodes: readonly EpisodeEvent[], window = 100): VegaLiteSpec {
  const values: { episode: number; series: string; return: number }[] = [];
  let sum = 0;
  episodes.forEach((e, i) => {
    sum += e.return;
    if (i >= window) sum -= episodes[i - window]!.return;
    values.push({ episode: e.episode + 1, series: 'episode return', return: e.return });
    values.push({
      episode: e.episode + 1,
      series: `mean of last ${window}`,
      return: sum / Math.min(i + 1, window),
    });
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 400,
    height: 220,
    data: { values },
    mark: { type: 'line' },
    encoding: {
      x: { field: 'episode', type: 'quantitative' },
      y: { field: 'return', type: 'quantitative', title: 'return' },
      color: { field: 'series', type: 'nominal', title: null },
      opacity: { condition: { test: "datum.series == 'episode return'", value: 0.35 }, value: 1 },
    },
  };
}
