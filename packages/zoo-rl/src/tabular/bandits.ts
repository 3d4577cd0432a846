import { discrete, EnvBase, EnvRandom, type ResetResult } from '../env.js';
import { gammaSample } from './alphazero.js';

/**
 * k-armed bandits (Sutton & Barto, ch. 2) and three ways to play them: ε-greedy, UCB1 and
 * Thompson sampling. A bandit is an `Env` with a single observation (0) whose episodes never
 * terminate (set `maxEpisodeSteps` to cut them); its arms' means are drawn from `seed` once, at
 * construction, and the reward noise from the generator `reset(seed)` reseeds.
 */
abstract class Bandit extends EnvBase<number, number> {
  abstract override readonly id: string;
  readonly observationSpace = discrete(1);
  readonly actionSpace;
  /** The expected reward of each arm. */
  readonly means: Float64Array;

  constructor(
    readonly k: number,
    means: Float64Array,
    options: { seed?: number; maxEpisodeSteps?: number },
  ) {
    super(options);
    this.actionSpace = discrete(k);
    this.means = means;
  }

  /** The best arm's mean, μ*. */
  get bestMean(): number {
    return Math.max(...this.means);
  }

  protected resetState(): ResetResult<number> {
    return { observation: 0, info: {} };
  }

  protected abstract draw(arm: number): number;

  protected stepState(action: number) {
    return { observation: 0, reward: this.draw(action), terminated: false, info: {} };
  }

  renderText(): string {
    return Array.from(this.means, (m, i) => `arm ${i}: mean ${m.toFixed(3)}`).join('\n');
  }
}

function checkArms(what: string, k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`${what}: k must be an integer ≥ 1, got ${k}`);
}

/**
 * The 10-armed testbed of Sutton & Barto §2.3, for any k: arm means q*(a) ~ N(0, 1) (or `means`),
 * rewards ~ N(q*(a), σ²) with σ = `std` (1).
 */
export class GaussianBandit extends Bandit {
  readonly id = 'GaussianBandit';
  readonly std: number;

  constructor(
    k = 10,
    options: { seed?: number; means?: ArrayLike<number>; std?: number; maxEpisodeSteps?: number } = {},
  ) {
    checkArms('GaussianBandit', k);
    const rng = new EnvRandom((options.seed ?? 0) + 0x5eed);
    const means = options.means
      ? Float64Array.from(options.means)
      : Float64Array.from({ length: k }, () => rng.normal());
    if (means.length !== k) throw new RangeError(`GaussianBandit: ${means.length} means for ${k} arms`);
    super(k, means, options);
    this.std = options.std ?? 1;
  }

  protected draw(arm: number): number {
    return this.rng.normal(this.means[arm]!, this.std);
  }
}

/** Arms paying 1 with probability p(a) ~ U(0, 1) (or `probs`), else 0. */
export class BernoulliBandit extends Bandit {
  readonly id = 'BernoulliBandit';

  constructor(k = 10, options: { seed?: number; probs?: ArrayLike<number>; maxEpisodeSteps?: number } = {}) {
    checkArms('BernoulliBandit', k);
    const rng = new EnvRandom((options.seed ?? 0) + 0x5eed);
    const probs = options.probs
      ? Float64Array.from(options.probs)
      : Float64Array.from({ length: k }, () => rng.random());
    if (probs.length !== k)
      throw new RangeError(`BernoulliBandit: ${probs.length} probabilities for ${k} arms`);
    for (const p of probs)
      if (!(p >= 0 && p <= 1))
        throw new RangeError(`BernoulliBandit: a probability must lie in [0, 1], got ${p}`);
    super(k, probs, options);
  }

  protected draw(arm: number): number {
    return this.rng.random() < this.means[arm]! ? 1 : 0;
  }
}

/** A bandit strategy: choose an arm, then learn from its reward. */
export interface BanditAgent {
  readonly name: string;
  select(): number;
  update(arm: number, reward: number): void;
}

function argmaxRandomTie(values: ArrayLike<number>, rng: EnvRandom): number {
  let best = -Infinity;
  let count = 0;
  let pick = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v > best) [best, count, pick] = [v, 1, i];
    else if (v === best && rng.integer(++count) === 0) pick = i;
  }
  return pick;
}

/** Sample averages Q(a) and pull counts N(a), shared by the strategies. */
abstract class SampleAverage implements BanditAgent {
  abstract readonly name: string;
  readonly q: Float64Array;
  readonly n: Float64Array;
  t = 0;
  protected readonly rng: EnvRandom;
  constructor(
    readonly k: number,
    seed: number,
  ) {
    checkArms('BanditAgent', k);
    this.q = new Float64Array(k);
    this.n = new Float64Array(k);
    this.rng = new EnvRandom(seed);
  }
  abstract select(): number;
  update(arm: number, reward: number): void {
    this.t++;
    this.n[arm]!++;
    this.q[arm]! += (reward - this.q[arm]!) / this.n[arm]!;
  }
}

/** ε-greedy (S&B §2.4): a uniform arm with probability ε, else the best sample average. */
export class EpsilonGreedyBandit extends SampleAverage {
  readonly name = 'ε-greedy';
  constructor(
    k: number,
    readonly epsilon = 0.1,
    seed = 0,
  ) {
    super(k, seed);
    if (!(epsilon >= 0 && epsilon <= 1))
      throw new RangeError(`EpsilonGreedyBandit: ε must lie in [0, 1], got ${epsilon}`);
  }
  select(): number {
    return this.rng.random() < this.epsilon ? this.rng.integer(this.k) : argmaxRandomTie(this.q, this.rng);
  }
}

/**
 * UCB1 (Auer, Cesa-Bianchi & Fischer 2002): play each arm once, then the arm maximising
 * Q(a) + c·√(ln t / N(a)); c = √2 is UCB1's bonus √(2 ln t / N(a)).
 */
export class UcbBandit extends SampleAverage {
  readonly name = 'UCB1';
  private readonly bonus = new Float64Array(this.k);
  constructor(
    k: number,
    readonly c = Math.SQRT2,
    seed = 0,
  ) {
    super(k, seed);
    if (!(c >= 0)) throw new RangeError(`UcbBandit: c must be ≥ 0, got ${c}`);
  }
  select(): number {
    for (let a = 0; a < this.k; a++) if (this.n[a] === 0) return a;
    const logT = Math.log(this.t);
    for (let a = 0; a < this.k; a++) this.bonus[a] = this.q[a]! + this.c * Math.sqrt(logT / this.n[a]!);
    return argmaxRandomTie(this.bonus, this.rng);
  }
}

/**
 * Thompson sampling (Thompson 1933; Russo et al. 2018): draw a mean for every arm from its
 * posterior and play the best draw. `bernoulli` keeps Beta(1 + wins, 1 + losses) posteriors;
 * `gaussian` keeps N(0, 1)-prior posteriors for rewards of known variance σ² (N(μ̂, σ²/(n + σ²))
 * with μ̂ = Σr/(n + σ²)).
 */
export class ThompsonBandit implements BanditAgent {
  readonly name = 'Thompson';
  private readonly sum: Float64Array;
  private readonly n: Float64Array;
  private readonly draws: Float64Array;
  private readonly rng: EnvRandom;
  constructor(
    readonly k: number,
    readonly model: 'gaussian' | 'bernoulli' = 'gaussian',
    seed = 0,
    readonly std = 1,
  ) {
    checkArms('ThompsonBandit', k);
    this.sum = new Float64Array(k);
    this.n = new Float64Array(k);
    this.draws = new Float64Array(k);
    this.rng = new EnvRandom(seed);
  }
  select(): number {
    const v = this.std * this.std;
    for (let a = 0; a < this.k; a++) {
      if (this.model === 'bernoulli') {
        const x = gammaSample(1 + this.sum[a]!, this.rng);
        const y = gammaSample(1 + this.n[a]! - this.sum[a]!, this.rng);
        this.draws[a] = x / (x + y);
      } else {
        const precision = 1 + this.n[a]! / v;
        this.draws[a] = this.rng.normal(this.sum[a]! / v / precision, Math.sqrt(1 / precision));
      }
    }
    return argmaxRandomTie(this.draws, this.rng);
  }
  update(arm: number, reward: number): void {
    if (this.model === 'bernoulli' && reward !== 0 && reward !== 1)
      throw new RangeError(`ThompsonBandit (bernoulli): rewards must be 0 or 1, got ${reward}`);
    this.sum[arm]! += reward;
    this.n[arm]!++;
  }
}

/**
 * Play `agent` on `bandit` for `steps` pulls; the cumulative (pseudo-)regret Σ (μ* − μ(aₜ)) after
 * each pull, and how often the best arm was pulled.
 */
export function runBandit(
  bandit: GaussianBandit | BernoulliBandit,
  agent: BanditAgent,
  steps: number,
  seed = 0,
): { regret: Float64Array; optimalFraction: number; totalReward: number } {
  bandit.reset(seed);
  const best = bandit.bestMean;
  const regret = new Float64Array(steps);
  let r = 0;
  let optimal = 0;
  let total = 0;
  for (let t = 0; t < steps; t++) {
    const a = agent.select();
    const { reward } = bandit.step(a);
    agent.update(a, reward);
    r += best - bandit.means[a]!;
    if (bandit.means[a] === best) optimal++;
    total += reward;
    regret[t] = r;
  }
  return { regret, optimalFraction: optimal / steps, totalReward: total };
}
