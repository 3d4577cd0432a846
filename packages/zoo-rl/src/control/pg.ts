import { type Module, noGrad, scope, type Tensor, tensor } from '@myelin/core';
import type { Sequential } from '@myelin/nn';
import { Adam, clipGradNorm } from '@myelin/optim';
import { type Env, EnvError, EnvRandom, type Value } from '../env.js';
import { discountedReturns, EpisodeTracker, gae } from './common.js';
import type { AgentHooks } from './dqn.js';
import {
  categoricalTerms,
  GaussianPolicy,
  mlp,
  observationSize,
  observationTensor,
  rowArgmax,
  sampleCategorical,
} from './nets.js';
import { VectorEnv } from './vector.js';

/**
 * Policy-gradient agents: REINFORCE with a learned baseline (Williams 1992), advantage
 * actor-critic (A2C, the synchronous form of Mnih et al. 2016) and proximal policy optimisation
 * (PPO, Schulman et al. 2017: clipped surrogate, GAE, vectorised rollouts, minibatch epochs, an
 * entropy bonus). Discrete actions use a categorical policy, box actions a diagonal Gaussian one.
 * Actor and critic are separate MLPs; one Adam trains both.
 */

/** The policy half of an agent: how it acts and how it scores actions it took. */
export interface Actor {
  readonly module: Module;
  /** Numbers stored per action (1 for a discrete action, d for a d-vector). */
  readonly actionSize: number;
  /**
   * Actions for `[n, d]` observations: `stored` (what the loss scores, `n · actionSize`), what
   * goes to the environment, and each action's log-probability under the current policy.
   */
  act(
    obs: Tensor,
    n: number,
    rng: EnvRandom,
    greedy: boolean,
  ): Promise<{ stored: Float32Array; env: Value[]; logProb: Float64Array }>;
  /** Log-probabilities of `stored` actions and the policy's entropies at `obs` (recorded for gradients). */
  terms(obs: Tensor, stored: Float32Array, n: number): { logProb: Tensor; entropy: Tensor };
}

/** A categorical policy over `k` actions: an MLP gives the logits. */
export class CategoricalActor implements Actor {
  readonly module: Sequential;
  readonly actionSize = 1;

  constructor(
    obsSize: number,
    readonly k: number,
    hidden: readonly number[],
    seed: number,
  ) {
    this.module = mlp([obsSize, ...hidden, k], 'tanh', seed, 0.01);
  }

  async act(obs: Tensor, n: number, rng: EnvRandom, greedy: boolean) {
    const logits = noGrad(() => scope(() => this.module.forward(obs)));
    let v: Float32Array;
    try {
      v = (await logits.data()) as Float32Array;
    } finally {
      logits.dispose();
    }
    const actions = greedy ? rowArgmax(v, n, this.k) : sampleCategorical(v, n, this.k, rng);
    const logProb = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let m = -Infinity;
      for (let j = 0; j < this.k; j++) m = Math.max(m, v[i * this.k + j]!);
      let z = 0;
      for (let j = 0; j < this.k; j++) z += Math.exp(v[i * this.k + j]! - m);
      logProb[i] = v[i * this.k + actions[i]!]! - m - Math.log(z);
    }
    return { stored: Float32Array.from(actions), env: actions, logProb };
  }

  terms(obs: Tensor, stored: Float32Array, n: number) {
    return categoricalTerms(
      this.module.forward(obs),
      tensor(Int32Array.from(stored), { shape: [n], dtype: 'int32' }),
    );
  }
}

/** A diagonal Gaussian policy; actions reach the environment clipped to the box. */
export class GaussianActor implements Actor {
  readonly module: GaussianPolicy;
  readonly actionSize: number;
  private low: Float32Array;
  private high: Float32Array;

  constructor(obsSize: number, env: Env, hidden: readonly number[], seed: number, initLogStd: number) {
    if (env.actionSpace.kind !== 'box')
      throw new EnvError(`GaussianActor needs a box action space; ${env.id} has a discrete one`);
    this.module = new GaussianPolicy(obsSize, env.actionSpace, hidden, seed, initLogStd);
    this.actionSize = this.module.actionSize;
    this.low = env.actionSpace.low;
    this.high = env.actionSpace.high;
  }

  async act(obs: Tensor, n: number, rng: EnvRandom, greedy: boolean) {
    const mean = noGrad(() => scope(() => this.module.forward(obs)));
    let mu: Float32Array;
    let logStd: Float32Array;
    try {
      [mu, logStd] = (await Promise.all([mean.data(), this.module.logStd.data()])) as [
        Float32Array,
        Float32Array,
      ];
    } finally {
      mean.dispose();
    }
    const d = this.actionSize;
    const stored = new Float32Array(n * d);
    const logProb = new Float64Array(n);
    const env: Value[] = [];
    for (let i = 0; i < n; i++) {
      const a = new Float32Array(d);
      let lp = 0;
      for (let j = 0; j < d; j++) {
        const std = Math.exp(logStd[j]!);
        const eps = greedy ? 0 : rng.normal();
        const x = Math.fround(mu[i * d + j]! + std * eps);
        stored[i * d + j] = x;
        const z = (x - mu[i * d + j]!) / std;
        lp += -0.5 * z * z - logStd[j]! - 0.5 * Math.log(2 * Math.PI);
        a[j] = Math.min(Math.max(x, this.low[j]!), this.high[j]!);
      }
      logProb[i] = lp;
      env.push(a);
    }
    return { stored, env, logProb };
  }

  terms(obs: Tensor, stored: Float32Array, n: number) {
    return this.module.terms(obs, tensor(stored, { shape: [n, this.actionSize] }));
  }
}

export interface PolicyAgent {
  actor: Actor;
  critic: Sequential;
  /** Greedy (mode of the policy) actions for `[n, d]` observations. */
  act(observations: Float32Array, n: number): Promise<Value[]>;
  dispose(): void;
}

interface AgentParts {
  env: Env;
  actor: Actor;
  critic: Sequential;
  d: number;
}

function buildAgent(env: Env, hidden: readonly number[], seed: number, initLogStd: number): AgentParts {
  const d = observationSize(env.observationSpace);
  const actor =
    env.actionSpace.kind === 'discrete'
      ? new CategoricalActor(d, env.actionSpace.n, hidden, seed)
      : new GaussianActor(d, env, hidden, seed, initLogStd);
  const critic = mlp([d, ...hidden, 1], 'tanh', seed + 1000);
  return { env, actor, critic, d };
}

function agentOf(parts: AgentParts, who: string): PolicyAgent {
  const { env, actor, critic } = parts;
  const rng = new EnvRandom(0);
  return {
    actor,
    critic,
    act: async (observations, n) => {
      const obs = observationTensor(env.id, who, env.observationSpace, observations, n);
      try {
        return (await actor.act(obs, n, rng, true)).env;
      } finally {
        obs.dispose();
      }
    },
    dispose: () => {
      actor.module.dispose();
      critic.dispose();
    },
  };
}

async function values(critic: Sequential, obs: Tensor): Promise<Float32Array> {
  const v = noGrad(() => scope(() => critic.forward(obs)));
  try {
    return (await v.data()) as Float32Array;
  } finally {
    v.dispose();
  }
}

function mean(xs: readonly number[]): number | undefined {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined;
}

// ---------------------------------------------------------------------------------------------
// REINFORCE with a baseline

export interface ReinforceConfig {
  /** Policy updates; each plays `episodesPerUpdate` whole episodes. */
  updates: number;
  episodesPerUpdate: number;
  hidden: readonly number[];
  lr: number;
  gamma: number;
  /** Weight of the baseline's squared error in the loss. */
  valueCoef: number;
  entropyCoef: number;
  seed: number;
}

/**
 * REINFORCE with a state-value baseline: play whole episodes with the stochastic policy, then
 * ascend Σ_t log π(a_t|s_t)·(G_t − V(s_t)) (advantages normalised over the batch) while V
 * regresses on the returns-to-go G_t.
 */
export async function trainReinforce(
  make: () => Env,
  config: ReinforceConfig,
  hooks: AgentHooks,
): Promise<PolicyAgent> {
  const proto = make();
  const parts = buildAgent(proto, config.hidden, config.seed, 0);
  const { actor, critic, d } = parts;
  const params = [...actor.module.parameters(), ...critic.parameters()];
  const opt = new Adam(params, { lr: config.lr });
  const rng = new EnvRandom(config.seed + 1);
  const envs = Array.from({ length: config.episodesPerUpdate }, make);
  let episode = 0;
  try {
    for (let u = 0; u < config.updates; u++) {
      const obs: number[][] = envs.map(() => []);
      const acts: number[][] = envs.map(() => []);
      const rewards: number[][] = envs.map(() => []);
      const current = envs.map(
        (e, i) => e.reset(config.seed * 1_000_003 + u * envs.length + i).observation as Float32Array,
      );
      let alive = envs.map((_, i) => i);
      while (alive.length) {
        const batch = new Float32Array(alive.length * d);
        alive.forEach((i, j) => {
          batch.set(current[i]!, j * d);
        });
        const t = observationTensor(proto.id, 'REINFORCE', proto.observationSpace, batch, alive.length);
        let a: Awaited<ReturnType<Actor['act']>>;
        try {
          a = await actor.act(t, alive.length, rng, false);
        } finally {
          t.dispose();
        }
        const still: number[] = [];
        alive.forEach((i, j) => {
          obs[i]!.push(...current[i]!);
          for (let k = 0; k < actor.actionSize; k++) acts[i]!.push(a.stored[j * actor.actionSize + k]!);
          const r = envs[i]!.step(a.env[j]!);
          rewards[i]!.push(r.reward);
          current[i] = r.observation as Float32Array;
          if (!(r.terminated || r.truncated)) still.push(i);
        });
        alive = still;
      }
      const allObs = Float32Array.from(obs.flat());
      const allActs = Float32Array.from(acts.flat());
      const G = Float32Array.from(rewards.flatMap((r) => Array.from(discountedReturns(r, config.gamma))));
      const N = G.length;
      const loss = scope(() => {
        opt.zeroGrad();
        const o = tensor(allObs, { shape: [N, d] });
        const g = tensor(G, { shape: [N] });
        const v = critic.forward(o).reshape([N]);
        const adv = noGrad(() => {
          const a = g.sub(v);
          return a.sub(a.mean()).div(a.std().add(1e-8));
        });
        const { logProb, entropy } = actor.terms(o, allActs, N);
        const l = logProb
          .mul(adv)
          .mean()
          .neg()
          .add(g.sub(v).square().mean().mul(config.valueCoef))
          .sub(entropy.mean().mul(config.entropyCoef));
        l.backward();
        opt.step();
        return l;
      });
      const lossValue = (await loss.data())[0]!;
      loss.dispose();
      for (const r of rewards)
        hooks.episode({
          type: 'episode',
          episode: episode++,
          return: r.reduce((x, y) => x + y, 0),
          length: r.length,
          loss: lossValue,
        });
      hooks.throwIfStopped();
    }
  } catch (e) {
    actor.module.dispose();
    critic.dispose();
    throw e;
  } finally {
    opt.dispose();
  }
  return agentOf(parts, 'REINFORCE');
}

// ---------------------------------------------------------------------------------------------
// A2C and PPO: vectorised rollouts

export interface ActorCriticConfig {
  /** Environment steps in all (over all copies). */
  totalSteps: number;
  /** Copies stepped together. */
  envs: number;
  /** Steps per copy in one rollout. */
  nSteps: number;
  hidden: readonly number[];
  lr: number;
  /** Anneal the learning rate (and PPO's clip range) linearly to 0. */
  anneal: boolean;
  gamma: number;
  gaeLambda: number;
  valueCoef: number;
  entropyCoef: number;
  maxGradNorm: number;
  seed: number;
  /** PPO only: passes over each rollout, minibatch size, clip range ε. */
  epochs?: number;
  minibatch?: number;
  clip?: number;
  /** Gaussian policies: the initial log standard deviation. */
  initLogStd?: number;
  /** Rewards are multiplied by this for learning (not for the reported returns); default 1. */
  rewardScale?: number;
}

interface Rollout {
  obs: Float32Array;
  actions: Float32Array;
  logProb: Float64Array;
  advantages: Float64Array;
  returns: Float64Array;
  size: number;
}

async function collect(
  venv: VectorEnv<Value>,
  parts: AgentParts,
  state: { obs: Float32Array },
  nSteps: number,
  rng: EnvRandom,
  tracker: EpisodeTracker,
  onEnded: (ended: { return: number; length: number }[]) => void,
  gamma: number,
  lambda: number,
  who: string,
  rewardScale: number,
): Promise<Rollout> {
  const { actor, critic, d } = parts;
  const n = venv.n;
  const T = nSteps;
  const as = actor.actionSize;
  const obs = new Float32Array(T * n * d);
  const actions = new Float32Array(T * n * as);
  const logProb = new Float64Array(T * n);
  const vals = new Float64Array(T * n);
  const rewards = new Float64Array(T * n);
  const terminated = new Uint8Array(T * n);
  const truncated = new Uint8Array(T * n);
  const finalValues = new Float64Array(T * n);
  const finals: { k: number; obs: Float32Array }[] = [];
  for (let t = 0; t < T; t++) {
    const o = observationTensor(venv.id, who, venv.observationSpace, state.obs, n);
    let a: Awaited<ReturnType<Actor['act']>>;
    let v: Float32Array;
    try {
      [a, v] = await Promise.all([actor.act(o, n, rng, false), values(critic, o)]);
    } finally {
      o.dispose();
    }
    obs.set(state.obs, t * n * d);
    actions.set(a.stored, t * n * as);
    logProb.set(a.logProb, t * n);
    vals.set(v, t * n);
    const s = venv.step(a.env);
    for (let i = 0; i < n; i++) rewards[t * n + i] = s.rewards[i]! * rewardScale;
    const done: boolean[] = [];
    for (let i = 0; i < n; i++) {
      terminated[t * n + i] = s.terminated[i] ? 1 : 0;
      truncated[t * n + i] = s.truncated[i] ? 1 : 0;
      done.push(s.terminated[i]! || s.truncated[i]!);
      const f = s.finalObservations[i];
      if (s.truncated[i] && !s.terminated[i] && f) finals.push({ k: t * n + i, obs: f });
    }
    onEnded(tracker.step(s.rewards, done));
    state.obs = s.observations;
  }
  if (finals.length) {
    const batch = new Float32Array(finals.length * d);
    finals.forEach((f, j) => {
      batch.set(f.obs, j * d);
    });
    const o = tensor(batch, { shape: [finals.length, d] });
    try {
      const v = await values(critic, o);
      finals.forEach((f, j) => {
        finalValues[f.k] = v[j]!;
      });
    } finally {
      o.dispose();
    }
  }
  const last = observationTensor(venv.id, who, venv.observationSpace, state.obs, n);
  let lastValues: Float32Array;
  try {
    lastValues = await values(critic, last);
  } finally {
    last.dispose();
  }
  const { advantages, returns } = gae(
    { steps: T, n, rewards, values: vals, terminated, truncated, finalValues, lastValues },
    gamma,
    lambda,
  );
  return { obs, actions, logProb, advantages, returns, size: T * n };
}

/** Rows `idx` of a row-major `[*, width]` array. */
function rows<T extends Float32Array | Float64Array>(
  src: T,
  idx: readonly number[],
  width: number,
): Float32Array {
  const out = new Float32Array(idx.length * width);
  idx.forEach((r, j) => {
    for (let c = 0; c < width; c++) out[j * width + c] = src[r * width + c]!;
  });
  return out;
}

/**
 * Train A2C (`algorithm: 'a2c'`: one gradient step per rollout on the whole batch, GAE(λ)
 * advantages, unnormalised) or PPO (`'ppo'`: `epochs` passes of shuffled minibatches of the
 * clipped surrogate objective with per-minibatch advantage normalisation).
 */
export async function trainActorCritic(
  algorithm: 'a2c' | 'ppo',
  make: (index: number) => Env,
  config: ActorCriticConfig,
  hooks: AgentHooks,
): Promise<PolicyAgent> {
  const who = algorithm === 'ppo' ? 'PPO' : 'A2C';
  const venv = new VectorEnv<Value>(make as (i: number) => Env<Value, Value>, config.envs, {
    autoreset: 'same-step',
  });
  const parts = buildAgent(venv.envs[0]!, config.hidden, config.seed, config.initLogStd ?? 0);
  const { actor, critic, d } = parts;
  const opt = new Adam([...actor.module.parameters(), ...critic.parameters()], { lr: config.lr, eps: 1e-5 });
  const params = opt.paramGroups[0]!.params;
  const rng = new EnvRandom(config.seed + 1);
  const tracker = new EpisodeTracker(config.envs);
  const state = { obs: venv.reset(config.seed).observations };
  const perRollout = config.envs * config.nSteps;
  const updates = Math.max(1, Math.floor(config.totalSteps / perRollout));
  let episode = 0;
  let lastLoss: number | undefined;
  const epochs = algorithm === 'ppo' ? (config.epochs ?? 10) : 1;
  try {
    for (let u = 0; u < updates; u++) {
      const frac = config.anneal ? 1 - u / updates : 1;
      opt.paramGroups[0]!.lr = config.lr * frac;
      const clip = (config.clip ?? 0.2) * frac;
      const ended: { return: number; length: number }[] = [];
      const roll = await collect(
        venv,
        parts,
        state,
        config.nSteps,
        rng,
        tracker,
        (e) => ended.push(...e),
        config.gamma,
        config.gaeLambda,
        who,
        config.rewardScale ?? 1,
      );
      const losses: number[] = [];
      const mb = algorithm === 'ppo' ? Math.min(config.minibatch ?? roll.size, roll.size) : roll.size;
      for (let epoch = 0; epoch < epochs; epoch++) {
        const order = Array.from({ length: roll.size }, (_, i) => i);
        if (algorithm === 'ppo')
          for (let i = order.length - 1; i > 0; i--) {
            const j = rng.integer(i + 1);
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
        for (let start = 0; start + mb <= roll.size; start += mb) {
          const idx = order.slice(start, start + mb);
          const B = idx.length;
          const o = rows(roll.obs, idx, d);
          const acts = rows(roll.actions, idx, actor.actionSize);
          const adv = rows(roll.advantages, idx, 1);
          const ret = rows(roll.returns, idx, 1);
          const old = rows(roll.logProb, idx, 1);
          const loss = scope(() => {
            opt.zeroGrad();
            const obsT = tensor(o, { shape: [B, d] });
            let A = tensor(adv, { shape: [B] });
            if (algorithm === 'ppo' && B > 1) A = A.sub(A.mean()).div(A.std().add(1e-8));
            const { logProb, entropy } = actor.terms(obsT, acts, B);
            let policyLoss: Tensor;
            if (algorithm === 'ppo') {
              const ratio = logProb.sub(tensor(old, { shape: [B] })).exp();
              const surrogate = ratio.mul(A).minimum(ratio.clip(1 - clip, 1 + clip).mul(A));
              policyLoss = surrogate.mean().neg();
            } else {
              policyLoss = logProb.mul(A).mean().neg();
            }
            const v = critic.forward(obsT).reshape([B]);
            const valueLoss = v
              .sub(tensor(ret, { shape: [B] }))
              .square()
              .mean();
            const l = policyLoss
              .add(valueLoss.mul(config.valueCoef))
              .sub(entropy.mean().mul(config.entropyCoef));
            l.backward();
            clipGradNorm(params, config.maxGradNorm);
            opt.step();
            return l;
          });
          losses.push((await loss.data())[0]!);
          loss.dispose();
        }
      }
      lastLoss = mean(losses);
      for (const e of ended)
        hooks.episode({
          type: 'episode',
          episode: episode++,
          return: e.return,
          length: e.length,
          ...(lastLoss === undefined ? {} : { loss: lastLoss }),
        });
      hooks.throwIfStopped();
    }
  } catch (e) {
    actor.module.dispose();
    critic.dispose();
    throw e;
  } finally {
    opt.dispose();
  }
  return agentOf(parts, who);
}
