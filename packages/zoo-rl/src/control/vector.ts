import { type Env, EnvError, type Info, type Space, type Value } from '../env.js';

/**
 * Gymnasium's `SyncVectorEnv`: `n` copies of an environment stepped one after the other, with
 * observations stacked into one `[n, …]` Float32Array, and automatic resets.
 *
 * - `'next-step'` (Gymnasium 1.x's default): when copy i ends (terminated or truncated), the
 *   *next* `step` ignores action i, resets copy i, and reports its first observation with reward 0
 *   and terminated = truncated = false.
 * - `'same-step'`: copy i is reset inside the step that ended it; the step reports the reset
 *   observation, and the last observation of the finished episode in `finalObservations[i]`
 *   (what a learner bootstraps a truncated episode from).
 *
 * `reset(seed)` seeds copy i with `seed + i`, as Gymnasium does.
 */
export type AutoresetMode = 'next-step' | 'same-step';

export interface VectorStepResult {
  /** `[n · observationSize]`, copy-major. */
  observations: Float32Array;
  rewards: Float64Array;
  terminated: boolean[];
  truncated: boolean[];
  /** `'same-step'` only: copy i's last observation of the episode that just ended, else null. */
  finalObservations: (Float32Array | null)[];
  infos: Info[];
}

export class VectorEnv<A extends Value = Value> {
  readonly envs: readonly Env<Value, A>[];
  readonly n: number;
  readonly id: string;
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  /** Values in one copy's observation. */
  readonly observationSize: number;
  readonly autoresetMode: AutoresetMode;
  private needsReset: boolean[];
  private started = false;

  constructor(
    make: (index: number) => Env<Value, A>,
    n: number,
    options: { autoreset?: AutoresetMode } = {},
  ) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`VectorEnv: n must be an integer ≥ 1, got ${n}`);
    this.envs = Array.from({ length: n }, (_, i) => make(i));
    this.n = n;
    const first = this.envs[0]!;
    this.id = first.id;
    this.observationSpace = first.observationSpace;
    this.actionSpace = first.actionSpace;
    this.observationSize = first.observationSpace.kind === 'box' ? first.observationSpace.low.length : 1;
    for (const e of this.envs)
      if (e.id !== this.id)
        throw new EnvError(`VectorEnv: all copies must be the same environment, got ${this.id} and ${e.id}`);
    this.autoresetMode = options.autoreset ?? 'next-step';
    this.needsReset = new Array(n).fill(false);
  }

  private put(out: Float32Array, i: number, obs: Value): void {
    if (typeof obs === 'number') out[i] = obs;
    else out.set(obs, i * this.observationSize);
  }

  /** Reset every copy; with `seed`, copy i is seeded with `seed + i`. */
  reset(seed?: number): { observations: Float32Array; infos: Info[] } {
    const observations = new Float32Array(this.n * this.observationSize);
    const infos: Info[] = [];
    this.envs.forEach((e, i) => {
      const r = e.reset(seed === undefined ? undefined : seed + i);
      this.put(observations, i, r.observation);
      infos.push(r.info);
    });
    this.needsReset.fill(false);
    this.started = true;
    return { observations, infos };
  }

  /** Step copy i with `actions[i]`. */
  step(actions: readonly A[]): VectorStepResult {
    if (!this.started) throw new EnvError(`VectorEnv(${this.id}): step() before reset(); call reset() first`);
    if (actions.length !== this.n)
      throw new EnvError(
        `VectorEnv(${this.id}): got ${actions.length} actions, expected one per copy (${this.n})`,
      );
    const observations = new Float32Array(this.n * this.observationSize);
    const rewards = new Float64Array(this.n);
    const terminated: boolean[] = [];
    const truncated: boolean[] = [];
    const finalObservations: (Float32Array | null)[] = [];
    const infos: Info[] = [];
    this.envs.forEach((e, i) => {
      if (this.needsReset[i]) {
        const r = e.reset();
        this.put(observations, i, r.observation);
        terminated.push(false);
        truncated.push(false);
        finalObservations.push(null);
        infos.push(r.info);
        this.needsReset[i] = false;
        return;
      }
      const r = e.step(actions[i]!);
      rewards[i] = r.reward;
      terminated.push(r.terminated);
      truncated.push(r.truncated);
      infos.push(r.info);
      const done = r.terminated || r.truncated;
      if (done && this.autoresetMode === 'same-step') {
        finalObservations.push(
          typeof r.observation === 'number' ? Float32Array.of(r.observation) : r.observation,
        );
        this.put(observations, i, e.reset().observation);
      } else {
        finalObservations.push(null);
        this.put(observations, i, r.observation);
        if (done) this.needsReset[i] = true;
      }
    });
    return { observations, rewards, terminated, truncated, finalObservations, infos };
  }
}
