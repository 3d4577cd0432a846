import { noGrad, scope, type Tensor, tensor } from '@myelin/core';
import { huberLoss, mseLoss, type Sequential } from '@myelin/nn';
import { Adam, clipGradNorm } from '@myelin/optim';
import type { EpisodeEvent } from '@myelin/train';
import { type Env, EnvError, EnvRandom, type Value } from '../env.js';
import { mlp, observationSize, observationTensor, rowArgmax } from './nets.js';

/**
 * Deep Q-learning (Mnih et al. 2015) for discrete actions: an experience-replay buffer, a target
 * network synced every `targetUpdate` gradient steps, the Huber loss, a linearly decaying ε-greedy
 * behaviour policy, and optionally double DQN (van Hasselt et al. 2016: the online network picks
 * the next action, the target network scores it).
 */

/** A ring buffer of transitions `(s, a, r, s′, terminated)`. */
export class ReplayMemory {
  readonly observations: Float32Array;
  readonly nextObservations: Float32Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  readonly terminated: Float32Array;
  private at = 0;
  /** Transitions stored (at most `capacity`). */
  size = 0;

  constructor(
    readonly capacity: number,
    readonly observationSize: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`ReplayMemory: capacity must be an integer ≥ 1, got ${capacity}`);
    this.observations = new Float32Array(capacity * observationSize);
    this.nextObservations = new Float32Array(capacity * observationSize);
    this.actions = new Int32Array(capacity);
    this.rewards = new Float32Array(capacity);
    this.terminated = new Float32Array(capacity);
  }

  /** Store one transition, overwriting the oldest once full. A truncated step is not terminal. */
  add(obs: Float32Array, action: number, reward: number, next: Float32Array, terminated: boolean): void {
    if (obs.length !== this.observationSize || next.length !== this.observationSize)
      throw new RangeError(
        `ReplayMemory.add: observations of ${obs.length} and ${next.length} values, expected ${this.observationSize}`,
      );
    const i = this.at;
    this.observations.set(obs, i * this.observationSize);
    this.nextObservations.set(next, i * this.observationSize);
    this.actions[i] = action;
    this.rewards[i] = reward;
    this.terminated[i] = terminated ? 1 : 0;
    this.at = (this.at + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** `batch` transitions drawn uniformly with replacement, as host arrays. */
  sample(batch: number, rng: EnvRandom) {
    if (this.size === 0) throw new RangeError('ReplayMemory.sample: the buffer is empty');
    const d = this.observationSize;
    const out = {
      observations: new Float32Array(batch * d),
      nextObservations: new Float32Array(batch * d),
      actions: new Int32Array(batch),
      rewards: new Float32Array(batch),
      terminated: new Float32Array(batch),
    };
    for (let b = 0; b < batch; b++) {
      const i = rng.integer(this.size);
      out.observations.set(this.observations.subarray(i * d, (i + 1) * d), b * d);
      out.nextObservations.set(this.nextObservations.subarray(i * d, (i + 1) * d), b * d);
      out.actions[b] = this.actions[i]!;
      out.rewards[b] = this.rewards[i]!;
      out.terminated[b] = this.terminated[i]!;
    }
    return out;
  }
}

/** ε at `step`: from `start` down to `end` linearly over the first `fraction · total` steps, then `end`. */
export function linearEpsilon(
  step: number,
  total: number,
  start: number,
  end: number,
  fraction: number,
): number {
  const span = Math.max(1, fraction * total);
  return step >= span ? end : start + ((end - start) * step) / span;
}

/**
 * The DQN regression target `r + γ·(1 − terminated)·Q_target(s′, a*)`, with a* = argmax of the
 * target network (DQN) or of the online network (double DQN). Recorded nowhere (no gradients).
 */
export function dqnTargets(
  online: Sequential,
  target: Sequential,
  next: Tensor,
  rewards: Tensor,
  terminated: Tensor,
  gamma: number,
  double: boolean,
): Tensor {
  return noGrad(() => {
    const qNext = target.forward(next);
    const best = double
      ? qNext
          .gather(1, online.forward(next).argmax(1, { keepdims: true }).cast('int32'))
          .reshape([next.shape[0]!])
      : qNext.max(1);
    return rewards.add(best.mul(terminated.neg().add(1)).mul(gamma));
  });
}

export interface DqnConfig {
  totalSteps: number;
  hidden: readonly number[];
  lr: number;
  gamma: number;
  batchSize: number;
  bufferSize: number;
  learningStarts: number;
  /** Environment steps between training rounds. */
  trainFreq: number;
  /** Gradient steps per training round. */
  gradientSteps: number;
  /** Gradient steps between target-network syncs. */
  targetUpdate: number;
  epsilonStart: number;
  epsilonEnd: number;
  explorationFraction: number;
  double: boolean;
  loss: 'huber' | 'mse';
  maxGradNorm: number;
  seed: number;
}

export interface AgentHooks {
  /** Called with each finished training episode. */
  episode(event: EpisodeEvent): void;
  /** Throws when the run is stopped. */
  throwIfStopped(): void;
}

/** A trained Q-network and its greedy policy (dispose `net` when done). */
export interface DqnAgent {
  net: Sequential;
  /** Greedy actions for `[n, d]` observations. */
  act(observations: Float32Array, n: number): Promise<number[]>;
}

/** Train DQN on `env` (a discrete-action environment); reports every finished episode. */
export async function trainDqn(
  env: Env<Value, number>,
  config: DqnConfig,
  hooks: AgentHooks,
): Promise<DqnAgent> {
  if (env.actionSpace.kind !== 'discrete')
    throw new EnvError(`DQN needs a discrete action space; ${env.id} has ${env.actionSpace.kind}`);
  const nActions = env.actionSpace.n;
  const d = observationSize(env.observationSpace);
  const sizes = [d, ...config.hidden, nActions];
  const online = mlp(sizes, 'relu', config.seed);
  const target = mlp(sizes, 'relu', config.seed);
  target.loadStateDict(online.stateDict());
  const opt = new Adam(online.parameters(), { lr: config.lr });
  const rng = new EnvRandom(config.seed + 1);
  const buffer = new ReplayMemory(config.bufferSize, d);
  const act = async (observations: Float32Array, n: number): Promise<number[]> => {
    const q = noGrad(() =>
      scope(() => online.forward(observationTensor(env.id, 'DQN', env.observationSpace, observations, n))),
    );
    try {
      return rowArgmax(await q.data(), n, nActions);
    } finally {
      q.dispose();
    }
  };
  try {
    let obs = env.reset(config.seed).observation as Float32Array;
    let episode = 0;
    let epReturn = 0;
    let epLength = 0;
    let losses: number[] = [];
    let gradSteps = 0;
    for (let step = 0; step < config.totalSteps; step++) {
      const eps = linearEpsilon(
        step,
        config.totalSteps,
        config.epsilonStart,
        config.epsilonEnd,
        config.explorationFraction,
      );
      const a = rng.random() < eps ? rng.integer(nActions) : (await act(obs, 1))[0]!;
      const r = env.step(a);
      const next = r.observation as Float32Array;
      buffer.add(obs, a, r.reward, next, r.terminated);
      epReturn += r.reward;
      epLength++;
      obs = next;
      if (r.terminated || r.truncated) {
        const mean = losses.length ? losses.reduce((x, y) => x + y, 0) / losses.length : undefined;
        hooks.episode({
          type: 'episode',
          episode: episode++,
          return: epReturn,
          length: epLength,
          epsilon: eps,
          ...(mean === undefined ? {} : { loss: mean }),
        });
        hooks.throwIfStopped();
        losses = [];
        epReturn = 0;
        epLength = 0;
        obs = env.reset().observation as Float32Array;
      }
      if (step + 1 >= config.learningStarts && (step + 1) % config.trainFreq === 0) {
        for (let g = 0; g < config.gradientSteps; g++) {
          const b = buffer.sample(config.batchSize, rng);
          const B = config.batchSize;
          const loss = scope(() => {
            opt.zeroGrad();
            const o = tensor(b.observations, { shape: [B, d] });
            const q = online
              .forward(o)
              .gather(1, tensor(b.actions, { shape: [B, 1], dtype: 'int32' }))
              .reshape([B]);
            const y = dqnTargets(
              online,
              target,
              tensor(b.nextObservations, { shape: [B, d] }),
              tensor(b.rewards, { shape: [B] }),
              tensor(b.terminated, { shape: [B] }),
              config.gamma,
              config.double,
            );
            const l = config.loss === 'huber' ? huberLoss(q, y) : mseLoss(q, y);
            l.backward();
            clipGradNorm(online.parameters(), config.maxGradNorm);
            opt.step();
            return l;
          });
          losses.push((await loss.data())[0]!);
          loss.dispose();
          gradSteps++;
          if (gradSteps % config.targetUpdate === 0) target.loadStateDict(online.stateDict());
        }
      }
    }
  } catch (e) {
    online.dispose();
    throw e;
  } finally {
    target.dispose();
    opt.dispose();
  }
  return { net: online, act };
}
