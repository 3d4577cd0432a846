import { EnvError, EnvRandom } from '../env.js';
import type { TabularPolicy } from './dp.js';
import type { GridEnv } from './toytext.js';

/**
 * Tabular agents (Sutton & Barto, ch. 5–7 and 12): first-visit Monte Carlo control, Q-learning,
 * SARSA, Expected SARSA (one-step TD control with an ε-greedy behaviour policy), and TD(λ)
 * prediction with eligibility traces. They run on any `GridEnv` (a finite MDP with states
 * `0 … nS−1`). A truncated episode (time limit) bootstraps from its last state; a terminated one
 * does not.
 */

export type TdMethod = 'qlearning' | 'sarsa' | 'expected-sarsa';

export interface ControlOptions {
  episodes: number;
  /** Step size α (TD methods). */
  alpha?: number;
  gamma?: number;
  /** ε of the ε-greedy behaviour policy (at the start, when decaying). */
  epsilon?: number;
  /** Anneal ε linearly to this value over the episodes (default: constant ε). */
  epsilonEnd?: number;
  /** Initial action values (0). */
  initialQ?: number;
  seed?: number;
}

/** What happened in one training episode. */
export interface EpisodeStats {
  episode: number;
  return: number;
  length: number;
  epsilon: number;
}

/** The ε-greedy action of `q` in `s` (ties among the greedy actions broken at random). */
export function epsilonGreedy(
  q: Float64Array,
  nA: number,
  s: number,
  epsilon: number,
  rng: EnvRandom,
): number {
  if (rng.random() < epsilon) return rng.integer(nA);
  return greedyAction(q, nA, s, rng);
}

/** argmax_a q[s, a], ties at random with `rng` (or the lowest index without one). */
export function greedyAction(q: Float64Array, nA: number, s: number, rng?: EnvRandom): number {
  let best = -Infinity;
  let pick = 0;
  let count = 0;
  for (let a = 0; a < nA; a++) {
    const v = q[s * nA + a]!;
    if (v > best) [best, pick, count] = [v, a, 1];
    else if (v === best && rng && rng.integer(++count) === 0) pick = a;
  }
  return pick;
}

function checkControl(fn: string, o: ControlOptions): void {
  if (!Number.isInteger(o.episodes) || o.episodes < 1)
    throw new RangeError(`${fn}: episodes must be an integer ≥ 1, got ${o.episodes}`);
  for (const [k, v] of [
    ['alpha', o.alpha],
    ['gamma', o.gamma],
    ['epsilon', o.epsilon],
    ['epsilonEnd', o.epsilonEnd],
  ] as const)
    if (v !== undefined && !(v >= 0 && v <= 1))
      throw new RangeError(`${fn}: ${k} must lie in [0, 1], got ${v}`);
}

function epsilonAt(o: ControlOptions, episode: number): number {
  const e0 = o.epsilon ?? 0.1;
  if (o.epsilonEnd === undefined || o.episodes < 2) return e0;
  return e0 + ((o.epsilonEnd - e0) * episode) / (o.episodes - 1);
}

/**
 * One-step TD control: Q-learning (target r + γ·max Q(s′)), SARSA (r + γ·Q(s′, a′) for the action
 * a′ it then takes) or Expected SARSA (r + γ·Σ π(a′|s′)·Q(s′, a′) under the ε-greedy π). Returns
 * the action values `q[s * nA + a]`; `onEpisode` sees each episode's return and length.
 */
export function tdControl(
  env: GridEnv,
  method: TdMethod,
  o: ControlOptions,
  onEpisode?: (e: EpisodeStats) => void,
): Float64Array {
  checkControl('tdControl', o);
  if (method !== 'qlearning' && method !== 'sarsa' && method !== 'expected-sarsa')
    throw new RangeError(
      `tdControl: method must be qlearning, sarsa or expected-sarsa, got '${String(method)}'`,
    );
  const { nS, nA } = env;
  const alpha = o.alpha ?? 0.5;
  const gamma = o.gamma ?? 1;
  const q = new Float64Array(nS * nA).fill(o.initialQ ?? 0);
  const rng = new EnvRandom(o.seed ?? 0);
  const expected = (s: number, eps: number) => {
    let best = -Infinity;
    let sum = 0;
    for (let a = 0; a < nA; a++) {
      const v = q[s * nA + a]!;
      sum += v;
      if (v > best) best = v;
    }
    // ε/nA on every action plus 1 − ε on the greedy value (shared by tied actions, same value).
    return (eps * sum) / nA + (1 - eps) * best;
  };
  for (let ep = 0; ep < o.episodes; ep++) {
    const eps = epsilonAt(o, ep);
    let s = env.reset(ep === 0 ? (o.seed ?? 0) : undefined).observation;
    let a = epsilonGreedy(q, nA, s, eps, rng);
    let ret = 0;
    let len = 0;
    for (;;) {
      const { observation: s2, reward, terminated, truncated } = env.step(a);
      ret += reward;
      len++;
      const a2 = epsilonGreedy(q, nA, s2, eps, rng);
      let target = reward;
      if (!terminated) {
        if (method === 'qlearning') target += gamma * q[s2 * nA + greedyAction(q, nA, s2)]!;
        else if (method === 'sarsa') target += gamma * q[s2 * nA + a2]!;
        else target += gamma * expected(s2, eps);
      }
      q[s * nA + a]! += alpha * (target - q[s * nA + a]!);
      if (terminated || truncated) break;
      [s, a] = [s2, a2];
    }
    onEpisode?.({ episode: ep, return: ret, length: len, epsilon: eps });
  }
  return q;
}

/**
 * First-visit Monte Carlo control with ε-soft policies (S&B §5.4): after each episode, every
 * (s, a) pair's first-visit return is averaged into Q(s, a).
 */
export function monteCarloControl(
  env: GridEnv,
  o: ControlOptions,
  onEpisode?: (e: EpisodeStats) => void,
): Float64Array {
  checkControl('monteCarloControl', o);
  const { nS, nA } = env;
  const gamma = o.gamma ?? 1;
  const q = new Float64Array(nS * nA).fill(o.initialQ ?? 0);
  const visits = new Float64Array(nS * nA);
  const firstAt = new Int32Array(nS * nA);
  const rng = new EnvRandom(o.seed ?? 0);
  for (let ep = 0; ep < o.episodes; ep++) {
    const eps = epsilonAt(o, ep);
    let s = env.reset(ep === 0 ? (o.seed ?? 0) : undefined).observation;
    const pairs: number[] = [];
    const rewards: number[] = [];
    for (;;) {
      const a = epsilonGreedy(q, nA, s, eps, rng);
      const r = env.step(a);
      pairs.push(s * nA + a);
      rewards.push(r.reward);
      if (r.terminated || r.truncated) break;
      s = r.observation;
    }
    firstAt.fill(-1);
    pairs.forEach((p, t) => {
      if (firstAt[p] === -1) firstAt[p] = t;
    });
    let g = 0;
    for (let t = pairs.length - 1; t >= 0; t--) {
      g = gamma * g + rewards[t]!;
      const p = pairs[t]!;
      if (firstAt[p] === t) {
        visits[p]!++;
        q[p]! += (g - q[p]!) / visits[p]!;
      }
    }
    onEpisode?.({
      episode: ep,
      return: rewards.reduce((x, y) => x + y, 0),
      length: pairs.length,
      epsilon: eps,
    });
  }
  return q;
}

/**
 * TD(λ) prediction of V under `policy` (S&B §12.2) with eligibility traces: accumulating
 * (e ← γλe + 1 at the visited state) or replacing (e ← 1). λ = 0 is TD(0); λ = 1 with offline
 * updates is every-visit Monte Carlo.
 */
export function tdLambda(
  env: GridEnv,
  policy: TabularPolicy,
  o: {
    episodes: number;
    alpha: number;
    lambda: number;
    gamma?: number;
    traces?: 'accumulating' | 'replacing';
    seed?: number;
  },
): Float64Array {
  const { nS, nA } = env;
  if (policy.length !== nS * nA)
    throw new EnvError(
      `tdLambda: the policy has ${policy.length} entries, ${env.id} needs nS·nA = ${nS * nA}`,
    );
  if (!(o.lambda >= 0 && o.lambda <= 1))
    throw new RangeError(`tdLambda: lambda must lie in [0, 1], got ${o.lambda}`);
  if (!(o.alpha > 0 && o.alpha <= 1))
    throw new RangeError(`tdLambda: alpha must lie in (0, 1], got ${o.alpha}`);
  const gamma = o.gamma ?? 1;
  const v = new Float64Array(nS);
  const e = new Float64Array(nS);
  const rng = new EnvRandom(o.seed ?? 0);
  const act = (s: number) => {
    let u = rng.random();
    for (let a = 0; a < nA; a++) {
      u -= policy[s * nA + a]!;
      if (u < 0) return a;
    }
    return nA - 1;
  };
  for (let ep = 0; ep < o.episodes; ep++) {
    let s = env.reset(ep === 0 ? (o.seed ?? 0) : undefined).observation;
    e.fill(0);
    for (;;) {
      const r = env.step(act(s));
      const delta = r.reward + (r.terminated ? 0 : gamma * v[r.observation]!) - v[s]!;
      for (let i = 0; i < nS; i++) e[i]! *= gamma * o.lambda;
      if (o.traces === 'replacing') e[s] = 1;
      else e[s]! += 1;
      for (let i = 0; i < nS; i++) if (e[i] !== 0) v[i]! += o.alpha * delta * e[i]!;
      if (r.terminated || r.truncated) break;
      s = r.observation;
    }
  }
  return v;
}

/** Follow the greedy policy of `q` from a reset: the states, actions, return and length. */
export function greedyRollout(
  env: GridEnv,
  q: Float64Array,
  options: { seed?: number; maxSteps?: number } = {},
): { states: number[]; actions: number[]; return: number; length: number; terminated: boolean } {
  const states = [env.reset(options.seed ?? 0).observation];
  const actions: number[] = [];
  let ret = 0;
  for (let t = 0; t < (options.maxSteps ?? 1000); t++) {
    const a = greedyAction(q, env.nA, states[states.length - 1]!);
    const r = env.step(a);
    actions.push(a);
    states.push(r.observation);
    ret += r.reward;
    if (r.terminated || r.truncated)
      return { states, actions, return: ret, length: actions.length, terminated: r.terminated };
  }
  return { states, actions, return: ret, length: actions.length, terminated: false };
}
