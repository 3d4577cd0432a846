import { full, Module, noGrad, Parameter, scope, type Tensor, tensor } from '@myelin/core';
import { Linear, ReLU, Sequential, Tanh } from '@myelin/nn';
import { type BoxSpace, describeSpace, EnvError, type EnvRandom, type Space } from '../env.js';

/**
 * The small networks of the control agents: multilayer perceptrons, a categorical policy for
 * discrete actions, a diagonal Gaussian policy for continuous ones, and the checked conversion of
 * a batch of observations into a tensor (a wrong shape gets an error naming the environment).
 */

/** An MLP `sizes[0] → … → sizes[k]` with `activation` between layers (none after the last). */
export function mlp(
  sizes: readonly number[],
  activation: 'tanh' | 'relu',
  seed: number,
  outGain?: number,
): Sequential {
  if (sizes.length < 2)
    throw new RangeError(`mlp: needs at least an input and an output size, got [${sizes.join(', ')}]`);
  const net = new Sequential();
  for (let i = 0; i + 1 < sizes.length; i++) {
    const layer = new Linear(sizes[i]!, sizes[i + 1]!, { seed: seed * 7919 + i });
    if (i + 2 === sizes.length && outGain !== undefined) {
      // a small last layer (as PPO implementations initialise the policy head): near-uniform start
      noGrad(() =>
        scope(() => {
          layer.weight.assign(layer.weight.mul(outGain));
          layer.bias?.assign(layer.bias.mul(0));
        }),
      );
    }
    net.append(layer);
    if (i + 2 < sizes.length) net.append(activation === 'tanh' ? new Tanh() : new ReLU());
  }
  return net;
}

/** Values in one observation of `space`. */
export function observationSize(space: Space): number {
  return space.kind === 'box' ? space.low.length : 1;
}

/**
 * `[n, size]` observations as a tensor, after checking there are `n · size` of them.
 *
 * @throws EnvError naming the environment, the agent, what came and what was expected
 */
export function observationTensor(
  envId: string,
  who: string,
  space: Space,
  observations: Float32Array,
  n: number,
): Tensor {
  const size = observationSize(space);
  if (observations.length !== n * size || n < 1)
    throw new EnvError(
      `${who} for ${envId}: got an observation batch of ${observations.length} values, expected ${n} × ${size} (observation space ${describeSpace(space)})`,
    );
  return tensor(observations, { shape: [n, size] });
}

/** Index of the largest entry of each row of a `[n, k]` host array. */
export function rowArgmax(values: ArrayLike<number>, n: number, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (values[i * k + j]! > values[i * k + best]!) best = j;
    out.push(best);
  }
  return out;
}

/** A draw from each row's softmax of `[n, k]` logits, with `rng`. */
export function sampleCategorical(logits: ArrayLike<number>, n: number, k: number, rng: EnvRandom): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, logits[i * k + j]!);
    let z = 0;
    for (let j = 0; j < k; j++) z += Math.exp(logits[i * k + j]! - m);
    let u = rng.random() * z;
    let a = k - 1;
    for (let j = 0; j < k; j++) {
      u -= Math.exp(logits[i * k + j]! - m);
      if (u < 0) {
        a = j;
        break;
      }
    }
    out.push(a);
  }
  return out;
}

/**
 * Log-probabilities of `actions` ([n] int32) under row-wise categorical `logits` [n, k], and each
 * row's entropy: the two terms of every policy-gradient loss for discrete actions.
 */
export function categoricalTerms(logits: Tensor, actions: Tensor): { logProb: Tensor; entropy: Tensor } {
  const logp = logits.logSoftmax(1);
  const logProb = logp.gather(1, actions.reshape([actions.size, 1])).reshape([actions.size]);
  const entropy = logp.exp().mul(logp).sum(1).neg();
  return { logProb, entropy };
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * A diagonal Gaussian policy for a box action space: an MLP gives the mean, a learned
 * state-independent `logStd` the spread (as PPO's continuous policies do). Samples are clipped to
 * the action bounds by the caller before they reach the environment; the log-probability is of
 * the unclipped sample, as in Stable-Baselines3 and CleanRL.
 */
export class GaussianPolicy extends Module {
  mean: Sequential;
  logStd: Parameter;
  readonly actionSize: number;

  constructor(
    obsSize: number,
    actionSpace: BoxSpace,
    hidden: readonly number[],
    seed: number,
    initLogStd = 0,
  ) {
    super();
    this.actionSize = actionSpace.low.length;
    this.mean = mlp([obsSize, ...hidden, this.actionSize], 'tanh', seed, 0.01);
    const init = full([this.actionSize], initLogStd);
    this.logStd = new Parameter(init);
    init.dispose();
  }

  forward(obs: Tensor): Tensor {
    return this.mean.forward(obs);
  }

  /** Log-density of `actions` [n, d] under N(mean, exp(logStd)²), summed over d, and the entropy. */
  terms(obs: Tensor, actions: Tensor): { logProb: Tensor; entropy: Tensor } {
    const mu = this.forward(obs);
    const z = actions.sub(mu).mul(this.logStd.neg().exp());
    const logProb = z.square().mul(-0.5).sub(this.logStd).sub(HALF_LOG_2PI).sum(1);
    const entropy = this.logStd
      .add(0.5 + HALF_LOG_2PI)
      .sum()
      .broadcastTo([actions.shape[0]!]);
    return { logProb, entropy };
  }
}
