import {
  defineRecipe,
  imageArray,
  type OptionValues,
  type Recipe,
  type RecipeContext,
  recipeStream,
  type VegaLiteSpec,
} from '@myelin/train';
import { greedyAction, greedyRollout, type TdMethod, tdControl } from './agents.js';
import { EpsilonGreedyBandit, GaussianBandit, runBandit, ThompsonBandit, UcbBandit } from './bandits.js';
import { valueIteration } from './dp.js';
import { CliffWalking, FrozenLake, type GridEnv } from './toytext.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Frames of the states visited, drawn by `env` (an `episode` event's `frames`). */
function pathFrames(env: GridEnv, states: number[]) {
  const saved = env.s;
  const frames = states.map((s) => {
    env.s = s;
    return env.renderFrame();
  });
  env.s = saved;
  const { height, width } = frames[0]!;
  const data = new Float32Array(frames.length * 3 * height * width);
  for (const [i, f] of frames.entries()) data.set(f.data, i * f.data.length);
  return imageArray(data, [frames.length, 3, height, width]);
}

/** The least-squares slope of y against x. */
export function slope(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) [mx, my] = [mx + x[i]! / n, my + y[i]! / n];
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  return sxy / sxx;
}

// ---------------------------------------------------------------------------------------------
// bandit-10arm

const banditOptions = [
  {
    name: 'runs',
    type: 'integer',
    default: 200,
    min: 1,
    help: 'bandit problems averaged over (arm means ~ N(0, 1))',
  },
  { name: 'steps', type: 'integer', default: 10000, min: 10, help: 'pulls per run' },
  { name: 'arms', type: 'integer', default: 10, min: 2, help: 'arms per bandit' },
  { name: 'epsilon', type: 'number', default: 0.1, min: 0, max: 1, help: 'ε of the ε-greedy strategy' },
  {
    name: 'ucbC',
    type: 'number',
    default: Math.SQRT2,
    min: 0,
    help: "UCB's exploration constant c (√2: UCB1)",
  },
  { name: 'seed', type: 'integer', default: 1, min: 0, help: 'seeds the bandits and the strategies' },
] as const;

export type Bandit10ArmOptions = OptionValues<typeof banditOptions>;

/**
 * Mean regret over `runs` Gaussian bandits for ε-greedy, UCB1 and Thompson sampling. Emits one
 * `episode` per run and strategy (ε-greedy's runs first, then UCB1's, then Thompson's; the
 * return is the run's total reward), the regret curves, and per strategy the final regret, the
 * share of optimal pulls and the slope of regret against ln t over the last decade of t.
 */
export function banditRun(o: Bandit10ArmOptions) {
  return recipeStream(async (ctx) => {
    const strategies = [
      (seed: number) => new EpsilonGreedyBandit(o.arms, o.epsilon, seed),
      (seed: number) => new UcbBandit(o.arms, o.ucbC, seed),
      (seed: number) => new ThompsonBandit(o.arms, 'gaussian', seed),
    ];
    const mean = strategies.map(() => new Float64Array(o.steps));
    const names: string[] = [];
    let episode = 0;
    for (const [k, make] of strategies.entries()) {
      let optimal = 0;
      for (let run = 0; run < o.runs; run++) {
        ctx.throwIfStopped();
        const bandit = new GaussianBandit(o.arms, { seed: o.seed * 100_003 + run });
        const agent = make(o.seed * 7919 + run);
        names[k] = agent.name;
        const r = runBandit(bandit, agent, o.steps, o.seed + run);
        for (let t = 0; t < o.steps; t++) mean[k]![t]! += r.regret[t]! / o.runs;
        optimal += r.optimalFraction / o.runs;
        ctx.emit({ type: 'episode', episode: episode++, return: r.totalReward, length: o.steps });
        if (run % 20 === 19) await new Promise((res) => setTimeout(res, 0));
      }
      ctx.emit({ type: 'metric', name: `${names[k]} optimal-arm share`, value: optimal });
    }
    // Log-spaced points of the curves for the chart.
    const ts = new Set<number>();
    for (let i = 0; i <= 200; i++) ts.add(Math.max(1, Math.round(o.steps ** (i / 200))));
    const values: Record<string, number | string>[] = [];
    for (const [k, m] of mean.entries())
      for (const t of ts) values.push({ t, strategy: names[k]!, regret: m[t - 1]! });
    const panel = (scale: 'linear' | 'log') => ({
      title: scale === 'log' ? 'regret against log t' : 'regret against t',
      width: 320,
      height: 220,
      mark: { type: 'line' },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'pulls t', scale: { type: scale } },
        y: { field: 'regret', type: 'quantitative', title: 'mean cumulative regret' },
        color: { field: 'strategy', type: 'nominal', title: null },
      },
    });
    const spec: VegaLiteSpec = {
      $schema: SCHEMA,
      title: `${o.arms}-armed Gaussian bandit, mean of ${o.runs} runs`,
      data: { values },
      hconcat: [panel('linear'), panel('log')],
    };
    ctx.emit({ type: 'figure', kind: 'chart', title: 'bandit regret', spec });
    for (const [k, m] of mean.entries()) {
      ctx.emit({ type: 'metric', name: `${names[k]} regret at t=${o.steps}`, value: m[o.steps - 1]! });
      const from = Math.max(1, Math.floor(o.steps / 10));
      const x: number[] = [];
      const y: number[] = [];
      for (let t = from; t <= o.steps; t++) [x[x.length], y[y.length]] = [Math.log(t), m[t - 1]!];
      ctx.emit({ type: 'metric', name: `${names[k]} d regret / d ln t (last decade)`, value: slope(x, y) });
    }
  });
}

export const bandit10arm: Recipe<Bandit10ArmOptions> = defineRecipe({
  name: 'bandit-10arm',
  title: 'ε-greedy, UCB1 and Thompson sampling on the 10-armed testbed',
  description:
    'Sutton & Barto’s 10-armed Gaussian testbed (means ~ N(0, 1), unit-variance rewards): mean ' +
    'cumulative regret of ε-greedy (ε = 0.1), UCB1 and Thompson sampling over 200 runs of 10,000 ' +
    'pulls. ε-greedy’s regret grows linearly, UCB1’s and Thompson’s logarithmically.',
  family: 'rl',
  options: banditOptions,
  run: (o: Bandit10ArmOptions) => banditRun(o),
});

// ---------------------------------------------------------------------------------------------
// Q-learning and SARSA on CliffWalking

const cliffOptions = [
  { name: 'episodes', type: 'integer', default: 500, min: 1, help: 'training episodes' },
  { name: 'alpha', type: 'number', default: 0.5, min: 0, max: 1, help: 'step size α' },
  {
    name: 'epsilon',
    type: 'number',
    default: 0.1,
    min: 0,
    max: 1,
    help: 'ε of the ε-greedy behaviour policy',
  },
  { name: 'gamma', type: 'number', default: 1, min: 0, max: 1, help: 'discount γ' },
  { name: 'seed', type: 'integer', default: 1, min: 0, help: 'seeds the exploration' },
] as const;

export type CliffOptions = OptionValues<typeof cliffOptions>;

function smoothedReturns(rows: { episode: number; return: number }[], window: number, label: string) {
  const out: Record<string, number | string>[] = [];
  let acc = 0;
  rows.forEach((r, i) => {
    acc += r.return;
    if (i >= window) acc -= rows[i - window]!.return;
    if (i >= window - 1 && (i % Math.max(1, Math.floor(rows.length / 400)) === 0 || i === rows.length - 1))
      out.push({ episode: r.episode + 1, series: label, value: acc / window });
  });
  return out;
}

function returnsChart(
  title: string,
  values: Record<string, number | string>[],
  yTitle: string,
): VegaLiteSpec {
  return {
    $schema: SCHEMA,
    title,
    width: 420,
    height: 240,
    data: { values },
    mark: { type: 'line' },
    encoding: {
      x: { field: 'episode', type: 'quantitative' },
      y: { field: 'value', type: 'quantitative', title: yTitle },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

/** Emit the greedy path of `q` on `env`: frames, text, return and length. */
function showGreedyPath(ctx: RecipeContext, env: GridEnv, q: Float64Array, episode: number, seed: number) {
  const path = greedyRollout(env, q, { seed, maxSteps: 200 });
  ctx.emit({
    type: 'episode',
    episode,
    return: path.return,
    length: path.length,
    epsilon: 0,
    frames: pathFrames(env, path.states),
  });
  ctx.emit({
    type: 'text',
    title: 'greedy path',
    text: `${path.actions.map((a) => env.actionNames[a]).join(' ')}\nreturn ${path.return}, ${path.length} steps`,
  });
  return path;
}

function cliffRun(method: TdMethod, o: CliffOptions) {
  return recipeStream(async (ctx) => {
    const env = new CliffWalking();
    const rows: { episode: number; return: number }[] = [];
    const q = tdControl(
      env,
      method,
      { episodes: o.episodes, alpha: o.alpha, epsilon: o.epsilon, gamma: o.gamma, seed: o.seed },
      (e) => {
        rows.push(e);
        ctx.emit({
          type: 'episode',
          episode: e.episode,
          return: e.return,
          length: e.length,
          epsilon: e.epsilon,
        });
      },
    );
    const vi = valueIteration(env, { gamma: 1 });
    const optimal = vi.v[CliffWalking.START]!;
    const label = method === 'qlearning' ? 'Q-learning' : method === 'sarsa' ? 'SARSA' : 'Expected SARSA';
    const values = [
      ...smoothedReturns(rows, 10, `${label} (10-episode mean)`),
      { episode: 1, series: 'optimal (value iteration)', value: optimal },
      { episode: o.episodes, series: 'optimal (value iteration)', value: optimal },
    ];
    ctx.emit({
      type: 'figure',
      kind: 'chart',
      title: `${label} on CliffWalking`,
      spec: returnsChart(
        `${label} on CliffWalking-v0: return per episode (ε = ${o.epsilon})`,
        values,
        'return',
      ),
    });
    const path = showGreedyPath(ctx, env, q, o.episodes, o.seed);
    ctx.emit({ type: 'metric', name: 'greedy return', value: path.return });
    ctx.emit({ type: 'metric', name: 'greedy length', value: path.length });
    ctx.emit({ type: 'metric', name: 'optimal return (value iteration)', value: optimal });
    const last = rows.slice(-100);
    ctx.emit({
      type: 'metric',
      name: 'mean training return, last 100 episodes',
      value: last.reduce((a, r) => a + r.return, 0) / last.length,
    });
    ctx.emit({ type: 'text', title: 'greedy policy', text: policyText(env, q) });
  });
}

/** The greedy action of every cell as an arrow (terminal and cliff cells as their letter). */
function policyText(env: GridEnv, q: Float64Array): string {
  const arrows = env.actionNames.map((n) => ({ Up: '↑', Right: '→', Down: '↓', Left: '←' })[n] ?? '?');
  const lines: string[] = [];
  for (let r = 0; r < env.rows; r++) {
    let line = '';
    for (let c = 0; c < env.cols; c++) {
      const s = r * env.cols + c;
      const ch = env.cell(s);
      line += ch === 'G' || ch === 'H' || ch === 'C' ? ch : arrows[greedyAction(q, env.nA, s)];
    }
    lines.push(line);
  }
  return lines.join('\n');
}

export const qlearningCliffwalking: Recipe<CliffOptions> = defineRecipe({
  name: 'qlearning-cliffwalking',
  title: 'Q-learning on CliffWalking',
  description:
    'Tabular Q-learning (α = 0.5, ε = 0.1, γ = 1; Sutton & Barto Example 6.6) on CliffWalking-v0 ' +
    'for 500 episodes. Its greedy policy takes the optimal path along the cliff: 13 steps, return ' +
    '−13, as value iteration.',
  family: 'rl',
  options: cliffOptions,
  run: (o: CliffOptions) => cliffRun('qlearning', o),
});

export const sarsaCliffwalking: Recipe<CliffOptions> = defineRecipe({
  name: 'sarsa-cliffwalking',
  title: 'SARSA on CliffWalking',
  description:
    'Tabular SARSA (α = 0.5, ε = 0.1, γ = 1; Sutton & Barto Example 6.6) on CliffWalking-v0 for ' +
    '500 episodes: on-policy, it learns the safer path away from the cliff and earns more than ' +
    'Q-learning while exploring.',
  family: 'rl',
  options: cliffOptions,
  run: (o: CliffOptions) => cliffRun('sarsa', o),
});

// ---------------------------------------------------------------------------------------------
// Q-learning on FrozenLake

const lakeOptions = [
  { name: 'map', type: 'enum', default: '4x4', values: ['4x4', '8x8'], help: "Gymnasium's map" },
  {
    name: 'slippery',
    type: 'boolean',
    default: true,
    help: 'slippery ice (each move turns ±90° with probability 1/3 each)',
  },
  { name: 'episodes', type: 'integer', default: 20000, min: 1, help: 'training episodes' },
  { name: 'alpha', type: 'number', default: 0.1, min: 0, max: 1, help: 'step size α' },
  { name: 'gamma', type: 'number', default: 0.99, min: 0, max: 1, help: 'discount γ' },
  {
    name: 'epsilon',
    type: 'number',
    default: 1,
    min: 0,
    max: 1,
    help: 'initial ε, annealed linearly to --epsilon-end',
  },
  { name: 'epsilonEnd', type: 'number', default: 0.05, min: 0, max: 1, help: 'final ε' },
  { name: 'evalEpisodes', type: 'integer', default: 10000, min: 1, help: 'greedy evaluation episodes' },
  { name: 'seed', type: 'integer', default: 1, min: 0, help: 'seeds the ice and the exploration' },
] as const;

export type LakeOptions = OptionValues<typeof lakeOptions>;

/** Success rate of the greedy policy of `q` over `episodes` episodes (time limit included). */
export function successRate(env: GridEnv, q: Float64Array, episodes: number, seed: number): number {
  let wins = 0;
  env.reset(seed);
  for (let i = 0; i < episodes; i++) {
    let s = env.reset().observation;
    for (;;) {
      const r = env.step(greedyAction(q, env.nA, s));
      if (r.terminated || r.truncated) {
        if (r.reward > 0) wins++;
        break;
      }
      s = r.observation;
    }
  }
  return wins / episodes;
}

export const qlearningFrozenlake: Recipe<LakeOptions> = defineRecipe({
  name: 'qlearning-frozenlake',
  title: 'Q-learning on FrozenLake',
  description:
    'Tabular Q-learning (α = 0.1, γ = 0.99, ε annealed 1 → 0.05) on slippery FrozenLake-v1 (4×4) ' +
    'for 20,000 episodes; its greedy policy’s success rate is compared with the optimal policy’s ' +
    'from value iteration on the same time limit.',
  family: 'rl',
  options: lakeOptions,
  run: (o: LakeOptions) =>
    recipeStream(async (ctx) => {
      const env = new FrozenLake({ map: o.map as '4x4' | '8x8', slippery: o.slippery });
      const rows: { episode: number; return: number }[] = [];
      const q = tdControl(
        env,
        'qlearning',
        {
          episodes: o.episodes,
          alpha: o.alpha,
          gamma: o.gamma,
          epsilon: o.epsilon,
          epsilonEnd: o.epsilonEnd,
          seed: o.seed,
        },
        (e) => {
          rows.push(e);
          ctx.emit({
            type: 'episode',
            episode: e.episode,
            return: e.return,
            length: e.length,
            epsilon: e.epsilon,
          });
        },
      );
      const vi = valueIteration(env, { gamma: o.gamma });
      const learned = successRate(env, q, o.evalEpisodes, o.seed + 1);
      const optimal = successRate(env, vi.q, o.evalEpisodes, o.seed + 1);
      const window = Math.max(10, Math.floor(o.episodes / 100));
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'Q-learning on FrozenLake',
        spec: returnsChart(
          `Q-learning on ${env.id} (${o.map}${o.slippery ? ', slippery' : ''}): success rate while training (${window}-episode mean)`,
          [
            ...smoothedReturns(rows, window, 'training (ε-greedy)'),
            { episode: 1, series: 'optimal greedy policy (value iteration)', value: optimal },
            { episode: o.episodes, series: 'optimal greedy policy (value iteration)', value: optimal },
          ],
          'success rate',
        ),
      });
      ctx.emit({ type: 'metric', name: 'greedy success rate', value: learned });
      ctx.emit({ type: 'metric', name: 'optimal success rate (value iteration)', value: optimal });
      let gap = 0;
      const vq = new Float64Array(env.nS);
      for (let s = 0; s < env.nS; s++) {
        vq[s] = q[s * env.nA + greedyAction(q, env.nA, s)]!;
        gap = Math.max(gap, Math.abs(vq[s]! - vi.v[s]!));
      }
      ctx.emit({ type: 'metric', name: 'max |max_a Q(s,a) − V*(s)|', value: gap });
      ctx.emit({ type: 'text', title: 'greedy policy', text: policyText(env, q) });
      showGreedyPath(ctx, env, q, o.episodes, o.seed);
    }),
});
