import {
  defineRecipe,
  type EpisodeEvent,
  type RecipeContext,
  type RecipeOption,
  recipeStream,
} from '@myelin/train';
import type { Env, Value } from '../env.js';
import { evaluatePolicy, returnCurve } from './common.js';
import { type AgentHooks, trainDqn } from './dqn.js';
import { CartPole, Pendulum } from './envs.js';
import { trainActorCritic, trainReinforce } from './pg.js';

/**
 * The control recipes: DQN, REINFORCE with a baseline, A2C and PPO on CartPole-v1, PPO with a
 * Gaussian policy on Pendulum-v1. Each emits an `episode` event per finished training episode,
 * then evaluates the greedy policy (the most likely action; the Gaussian's mean) on
 * `evalEpisodes` seeded episodes and reports their mean return as a metric, with the return curve
 * as a chart; with `record`, the first evaluation episode comes as one more `episode` event
 * carrying its frames.
 */

const common = [
  {
    name: 'seed',
    type: 'integer',
    default: 1,
    min: 0,
    help: 'seeds the weights, the environments and the exploration',
  },
  {
    name: 'evalEpisodes',
    type: 'integer',
    default: 100,
    min: 1,
    help: 'greedy evaluation episodes after training (seeded 1,000,000 + seed + i)',
  },
  {
    name: 'record',
    type: 'boolean',
    default: false,
    help: 'render the first evaluation episode and emit its frames',
  },
  { name: 'recordEvery', type: 'integer', default: 5, min: 1, help: 'with --record: keep every N-th frame' },
] as const satisfies readonly RecipeOption[];

interface CommonOptions {
  seed: number;
  evalEpisodes: number;
  record: boolean;
  recordEvery: number;
}

interface Trained {
  act(observations: Float32Array, n: number): Promise<Value[]>;
  dispose(): void;
}

/** The body every control recipe shares: train, evaluate, report. */
function controlRun(
  o: CommonOptions,
  envName: string,
  make: () => Env<Value, Value>,
  train: (hooks: AgentHooks) => Promise<Trained>,
) {
  return recipeStream(async (ctx: RecipeContext) => {
    const episodes: EpisodeEvent[] = [];
    const t0 = performance.now();
    const agent = await train({
      episode: (e) => {
        episodes.push(e);
        ctx.emit(e);
      },
      throwIfStopped: () => ctx.throwIfStopped(),
    });
    ctx.onEnd(() => agent.dispose());
    const trainSeconds = (performance.now() - t0) / 1000;
    const ev = await evaluatePolicy(make, (obs, n) => agent.act(obs, n), {
      episodes: o.evalEpisodes,
      seed: 1_000_000 + o.seed,
      record: o.record,
      recordEvery: o.recordEvery,
    });
    const steps = episodes.reduce((s, e) => s + e.length, 0);
    ctx.emit({ type: 'metric', name: 'mean evaluation return', value: ev.mean });
    ctx.emit({ type: 'metric', name: 'evaluation return std', value: ev.std });
    ctx.emit({ type: 'metric', name: 'training episodes', value: episodes.length });
    ctx.emit({ type: 'metric', name: 'environment steps', value: steps, unit: 'steps' });
    ctx.emit({ type: 'metric', name: 'training time', value: trainSeconds, unit: 's' });
    ctx.emit({
      type: 'figure',
      kind: 'chart',
      title: `${envName}: training returns`,
      spec: returnCurve(`${envName}: training returns`, episodes),
    });
    if (ev.frames)
      ctx.emit({
        type: 'episode',
        episode: episodes.length,
        return: ev.returns[0]!,
        length: ev.lengths[0]!,
        frames: ev.frames,
      });
  });
}

const cartpole = (seed: number) => () => new CartPole({ seed }) as Env<Value, Value>;

// ---------------------------------------------------------------------------------------------

export const dqnCartpole = defineRecipe({
  name: 'dqn-cartpole',
  title: 'DQN on CartPole-v1',
  description:
    'Deep Q-learning with experience replay, a target network, double DQN and the Huber loss on CartPole-v1 (hyper-parameters after rl-baselines3-zoo); reports the mean return of the greedy policy over 100 seeded episodes (500 is the maximum).',
  family: 'rl',
  options: [
    { name: 'steps', type: 'integer', default: 50_000, min: 1, help: 'environment steps' },
    { name: 'hidden', type: 'integer', default: 256, min: 1, help: 'units in each of the two hidden layers' },
    { name: 'lr', type: 'number', default: 2.3e-3, min: 0, help: "Adam's learning rate" },
    { name: 'gamma', type: 'number', default: 0.99, min: 0, max: 1, help: 'discount factor' },
    { name: 'batchSize', type: 'integer', default: 64, min: 1, help: 'transitions per gradient step' },
    { name: 'bufferSize', type: 'integer', default: 100_000, min: 1, help: 'replay buffer capacity' },
    {
      name: 'learningStarts',
      type: 'integer',
      default: 1000,
      min: 1,
      help: 'steps of pure exploration before learning',
    },
    {
      name: 'trainFreq',
      type: 'integer',
      default: 256,
      min: 1,
      help: 'environment steps between training rounds',
    },
    {
      name: 'gradientSteps',
      type: 'integer',
      default: 128,
      min: 1,
      help: 'gradient steps per training round',
    },
    {
      name: 'targetUpdate',
      type: 'integer',
      default: 128,
      min: 1,
      help: 'gradient steps between target-network syncs',
    },
    {
      name: 'epsilonEnd',
      type: 'number',
      default: 0.04,
      min: 0,
      max: 1,
      help: 'final ε of the ε-greedy policy',
    },
    {
      name: 'explorationFraction',
      type: 'number',
      default: 0.16,
      min: 0,
      max: 1,
      help: 'share of the steps over which ε decays from 1',
    },
    { name: 'double', type: 'boolean', default: true, help: 'double DQN targets' },
    {
      name: 'loss',
      type: 'enum',
      values: ['huber', 'mse'],
      default: 'huber',
      help: 'regression loss on the TD error',
    },
    ...common,
  ],
  run: (o) =>
    controlRun(o, 'CartPole-v1', cartpole(o.seed), async (hooks) => {
      const agent = await trainDqn(
        new CartPole({ seed: o.seed }),
        {
          totalSteps: o.steps,
          hidden: [o.hidden, o.hidden],
          lr: o.lr,
          gamma: o.gamma,
          batchSize: o.batchSize,
          bufferSize: o.bufferSize,
          learningStarts: o.learningStarts,
          trainFreq: o.trainFreq,
          gradientSteps: o.gradientSteps,
          targetUpdate: o.targetUpdate,
          epsilonStart: 1,
          epsilonEnd: o.epsilonEnd,
          explorationFraction: o.explorationFraction,
          double: o.double,
          loss: o.loss,
          maxGradNorm: 10,
          seed: o.seed,
        },
        hooks,
      );
      return { act: agent.act, dispose: () => agent.net.dispose() };
    }),
});

export const reinforceCartpole = defineRecipe({
  name: 'reinforce-cartpole',
  title: 'REINFORCE with a baseline on CartPole-v1',
  description:
    'Monte Carlo policy gradient with a learned state-value baseline on CartPole-v1: whole episodes, normalised advantages; reports the greedy policy’s mean return over 100 seeded episodes.',
  family: 'rl',
  options: [
    { name: 'updates', type: 'integer', default: 100, min: 1, help: 'policy updates' },
    { name: 'episodesPerUpdate', type: 'integer', default: 8, min: 1, help: 'episodes played per update' },
    { name: 'hidden', type: 'integer', default: 64, min: 1, help: 'units in each of the two hidden layers' },
    { name: 'lr', type: 'number', default: 5e-3, min: 0, help: "Adam's learning rate" },
    { name: 'gamma', type: 'number', default: 0.99, min: 0, max: 1, help: 'discount factor' },
    { name: 'entropyCoef', type: 'number', default: 0, min: 0, help: 'weight of the entropy bonus' },
    ...common,
  ],
  run: (o) =>
    controlRun(o, 'CartPole-v1', cartpole(o.seed), (hooks) =>
      trainReinforce(
        cartpole(o.seed),
        {
          updates: o.updates,
          episodesPerUpdate: o.episodesPerUpdate,
          hidden: [o.hidden, o.hidden],
          lr: o.lr,
          gamma: o.gamma,
          valueCoef: 0.5,
          entropyCoef: o.entropyCoef,
          seed: o.seed,
        },
        hooks,
      ),
    ),
});

const actorCriticOptions = (d: {
  steps: number;
  envs: number;
  nSteps: number;
  lr: number;
  gamma: number;
  gaeLambda: number;
  entropyCoef: number;
  hidden: number;
}) =>
  [
    { name: 'steps', type: 'integer', default: d.steps, min: 1, help: 'environment steps over all copies' },
    { name: 'envs', type: 'integer', default: d.envs, min: 1, help: 'environment copies stepped together' },
    { name: 'nSteps', type: 'integer', default: d.nSteps, min: 1, help: 'steps per copy in each rollout' },
    {
      name: 'hidden',
      type: 'integer',
      default: d.hidden,
      min: 1,
      help: 'units in each of the two hidden layers (actor and critic)',
    },
    { name: 'lr', type: 'number', default: d.lr, min: 0, help: "Adam's learning rate" },
    { name: 'gamma', type: 'number', default: d.gamma, min: 0, max: 1, help: 'discount factor' },
    {
      name: 'gaeLambda',
      type: 'number',
      default: d.gaeLambda,
      min: 0,
      max: 1,
      help: 'λ of generalised advantage estimation',
    },
    {
      name: 'entropyCoef',
      type: 'number',
      default: d.entropyCoef,
      min: 0,
      help: 'weight of the entropy bonus',
    },
  ] as const;

export const a2cCartpole = defineRecipe({
  name: 'a2c-cartpole',
  title: 'A2C on CartPole-v1',
  description:
    'Synchronous advantage actor-critic on 8 vectorised CartPole-v1 copies (5-step rollouts, one gradient step each); reports the greedy policy’s mean return over 100 seeded episodes.',
  family: 'rl',
  options: [
    ...actorCriticOptions({
      steps: 200_000,
      envs: 8,
      nSteps: 5,
      lr: 1e-3,
      gamma: 0.99,
      gaeLambda: 1,
      entropyCoef: 0,
      hidden: 64,
    }),
    ...common,
  ],
  run: (o) =>
    controlRun(o, 'CartPole-v1', cartpole(o.seed), (hooks) =>
      trainActorCritic(
        'a2c',
        (i) => new CartPole({ seed: o.seed + i }),
        {
          totalSteps: o.steps,
          envs: o.envs,
          nSteps: o.nSteps,
          hidden: [o.hidden, o.hidden],
          lr: o.lr,
          anneal: true,
          gamma: o.gamma,
          gaeLambda: o.gaeLambda,
          valueCoef: 0.5,
          entropyCoef: o.entropyCoef,
          maxGradNorm: 0.5,
          seed: o.seed,
        },
        hooks,
      ),
    ),
});

const ppoOnly = (d: { epochs: number; minibatch: number; clip: number }) =>
  [
    { name: 'epochs', type: 'integer', default: d.epochs, min: 1, help: 'passes over each rollout' },
    { name: 'minibatch', type: 'integer', default: d.minibatch, min: 1, help: 'samples per gradient step' },
    { name: 'clip', type: 'number', default: d.clip, min: 0, help: 'clip range ε of the probability ratio' },
  ] as const;

export const ppoCartpole = defineRecipe({
  name: 'ppo-cartpole',
  title: 'PPO on CartPole-v1',
  description:
    'Proximal policy optimisation (clipped objective, GAE, 8 vectorised copies, minibatch epochs, annealed learning rate and clip range; hyper-parameters after rl-baselines3-zoo) on CartPole-v1; reports the greedy policy’s mean return over 100 seeded episodes.',
  family: 'rl',
  options: [
    ...actorCriticOptions({
      steps: 100_000,
      envs: 8,
      nSteps: 32,
      lr: 1e-3,
      gamma: 0.98,
      gaeLambda: 0.8,
      entropyCoef: 0,
      hidden: 64,
    }),
    ...ppoOnly({ epochs: 20, minibatch: 256, clip: 0.2 }),
    ...common,
  ],
  run: (o) =>
    controlRun(o, 'CartPole-v1', cartpole(o.seed), (hooks) =>
      trainActorCritic(
        'ppo',
        (i) => new CartPole({ seed: o.seed + i }),
        {
          totalSteps: o.steps,
          envs: o.envs,
          nSteps: o.nSteps,
          hidden: [o.hidden, o.hidden],
          lr: o.lr,
          anneal: true,
          gamma: o.gamma,
          gaeLambda: o.gaeLambda,
          valueCoef: 0.5,
          entropyCoef: o.entropyCoef,
          maxGradNorm: 0.5,
          epochs: o.epochs,
          minibatch: o.minibatch,
          clip: o.clip,
          seed: o.seed,
        },
        hooks,
      ),
    ),
});

export const ppoPendulum = defineRecipe({
  name: 'ppo-pendulum',
  title: 'PPO with a Gaussian policy on Pendulum-v1',
  description:
    'PPO with a diagonal Gaussian policy (state-independent log σ) for the continuous torque of Pendulum-v1; truncated episodes bootstrap from the critic. Reports the mean return of the mean action over 100 seeded episodes (better than −200 is good).',
  family: 'rl',
  options: [
    ...actorCriticOptions({
      steps: 200_000,
      envs: 4,
      nSteps: 1024,
      lr: 1e-3,
      gamma: 0.9,
      gaeLambda: 0.95,
      entropyCoef: 0,
      hidden: 64,
    }),
    ...ppoOnly({ epochs: 10, minibatch: 64, clip: 0.2 }),
    { name: 'initLogStd', type: 'number', default: 0, help: 'initial log σ of the Gaussian policy' },
    {
      name: 'rewardScale',
      type: 'number',
      default: 0.1,
      min: 0,
      help: 'rewards are multiplied by this for learning (keeps the critic’s targets near 1)',
    },
    ...common,
  ],
  run: (o) =>
    controlRun(
      o,
      'Pendulum-v1',
      () => new Pendulum({ seed: o.seed }) as Env<Value, Value>,
      (hooks) =>
        trainActorCritic(
          'ppo',
          (i) => new Pendulum({ seed: o.seed + i }),
          {
            totalSteps: o.steps,
            envs: o.envs,
            nSteps: o.nSteps,
            hidden: [o.hidden, o.hidden],
            lr: o.lr,
            anneal: true,
            gamma: o.gamma,
            gaeLambda: o.gaeLambda,
            valueCoef: 0.5,
            entropyCoef: o.entropyCoef,
            maxGradNorm: 0.5,
            epochs: o.epochs,
            minibatch: o.minibatch,
            clip: o.clip,
            initLogStd: o.initLogStd,
            rewardScale: o.rewardScale,
            seed: o.seed,
          },
          hooks,
        ),
    ),
});
