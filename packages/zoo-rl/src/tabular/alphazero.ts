import { Module, noGrad, scope, type Tensor, tensor } from '@myelin/core';
import { Linear } from '@myelin/nn';
import { Adam } from '@myelin/optim';
import { EnvRandom } from '../env.js';
import type { BoardGame, GamePlayer, GameState } from './games.js';
import { ResidualPolicyValueNet } from './resnet.js';

/**
 * AlphaZero-style self-play (Silver et al. 2018, "A general reinforcement learning algorithm that
 * masters chess, shogi and Go through self-play"), at the scale of tic-tac-toe and Connect Four:
 * a policy–value network, PUCT tree search guided by it, Dirichlet noise at the root, a move
 * temperature, and a replay buffer of self-play positions the network learns from.
 */

/** A multilayer perceptron with a policy head (logits over actions) and a value head (tanh). */
export class PolicyValueNet extends Module {
  readonly body: Linear[];
  readonly policy: Linear;
  readonly value: Linear;

  constructor(
    readonly inputs: number,
    readonly actions: number,
    options: { hidden?: number; layers?: number; seed?: number } = {},
  ) {
    super();
    const hidden = options.hidden ?? 128;
    const seed = options.seed ?? 0;
    this.body = [];
    for (let i = 0; i < (options.layers ?? 2); i++)
      this.body.push(new Linear(i === 0 ? inputs : hidden, hidden, { seed: seed * 100 + i }));
    this.policy = new Linear(hidden, actions, { seed: seed * 100 + 50 });
    this.value = new Linear(hidden, 1, { seed: seed * 100 + 51 });
  }

  /** `x` `[B, inputs]` → policy logits `[B, actions]` and values `[B]` in (−1, 1). */
  forward(x: Tensor): { logits: Tensor; value: Tensor } {
    if (x.rank !== 2 || x.shape[1] !== this.inputs)
      throw new RangeError(
        `PolicyValueNet: expected boards of shape [B, ${this.inputs}], got [${x.shape.join(', ')}]`,
      );
    let h = x;
    for (const layer of this.body) h = layer.forward(h).relu();
    return { logits: this.policy.forward(h), value: this.value.forward(h).tanh().reshape([-1]) };
  }
}

/**
 * Either policy–value network: canonical boards `[B, inputs]` in, policy logits `[B, actions]` and
 * values `[B]` out (`PolicyValueNet`, the MLP, or `ResidualPolicyValueNet`, the conv net).
 */
export type PolicyValueModel = PolicyValueNet | ResidualPolicyValueNet;

/** Priors over all actions and a value for the mover, for a batch of states. */
export type Evaluator = (states: GameState[]) => { priors: Float32Array[]; values: number[] };

/**
 * The network as an evaluator: one batched forward pass without gradients, in evaluation mode
 * (batch norm uses its running statistics, so a position's evaluation does not depend on the batch).
 */
export function netEvaluator(game: BoardGame, net: PolicyValueModel): Evaluator {
  return (states) => {
    if (net.training) net.eval();
    const n = states.length;
    const width = net.inputs;
    const x = new Float32Array(n * width);
    for (const [i, s] of states.entries()) x.set(game.canonical(s), i * width);
    const [p, v] = scope(() =>
      noGrad(() => {
        const out = net.forward(tensor(x, { shape: [n, width] }));
        return [out.logits.softmax(-1).dataSync(), out.value.dataSync()] as const;
      }),
    );
    const priors: Float32Array[] = [];
    const values: number[] = [];
    for (let i = 0; i < n; i++) {
      priors.push(Float32Array.from(p.subarray(i * game.actionCount, (i + 1) * game.actionCount)));
      values.push(v[i]!);
    }
    return { priors, values };
  };
}

/**
 * A node of the PUCT tree: per-action visit counts, value sums and priors (legal moves only).
 * Kept between moves when self-play reuses the tree under the move played.
 */
export class PuctNode {
  readonly moves: number[];
  prior: Float32Array;
  readonly visits: Float32Array;
  readonly valueSum: Float32Array;
  readonly children: (PuctNode | undefined)[];
  expanded = false;
  total = 0;
  constructor(
    readonly state: GameState,
    game: BoardGame,
  ) {
    this.moves = game.legalMoves(state);
    const k = this.moves.length;
    this.prior = new Float32Array(k);
    this.visits = new Float32Array(k);
    this.valueSum = new Float32Array(k);
    this.children = new Array(k);
  }

  expand(prior: Float32Array): void {
    let z = 0;
    for (let i = 0; i < this.moves.length; i++) z += prior[this.moves[i]!]!;
    for (let i = 0; i < this.moves.length; i++)
      this.prior[i] = z > 0 ? prior[this.moves[i]!]! / z : 1 / this.moves.length;
    this.expanded = true;
  }

  /** argmax over moves of Q + c·P·√N / (1 + n) (the PUCT rule); unvisited moves have Q = 0. */
  select(cPuct: number): number {
    const sqrtN = Math.sqrt(this.total);
    let best = -Infinity;
    let pick = 0;
    for (let i = 0; i < this.moves.length; i++) {
      const n = this.visits[i]!;
      const q = n > 0 ? this.valueSum[i]! / n : 0;
      const u = q + (cPuct * this.prior[i]! * sqrtN) / (1 + n);
      if (u > best) [best, pick] = [u, i];
    }
    return pick;
  }

  /** Visit counts over all `actionCount` actions (zero for illegal ones). */
  counts(actionCount: number): Float32Array {
    const out = new Float32Array(actionCount);
    this.moves.forEach((a, k) => {
      out[a] = this.visits[k]!;
    });
    return out;
  }

  /** The subtree under `action` (undefined when the search never went there). */
  child(action: number): PuctNode | undefined {
    const k = this.moves.indexOf(action);
    return k < 0 ? undefined : this.children[k];
  }
}

/** Gamma(α, 1) draws (Marsaglia & Tsang 2000; α < 1 by the boost Γ(α+1)·U^{1/α}). */
export function gammaSample(alpha: number, rng: EnvRandom): number {
  if (alpha < 1) return gammaSample(alpha + 1, rng) * (1 - rng.random()) ** (1 / alpha);
  const d = alpha - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** A Dirichlet(α, …, α) draw of size `k`. */
export function dirichletSample(alpha: number, k: number, rng: EnvRandom): Float32Array {
  const out = new Float32Array(k);
  let z = 0;
  for (let i = 0; i < k; i++) z += out[i] = gammaSample(alpha, rng);
  for (let i = 0; i < k; i++) out[i] = z > 0 ? out[i]! / z : 1 / k;
  return out;
}

export interface SearchOptions {
  simulations: number;
  /** Exploration constant of PUCT (default 1.5). */
  cPuct?: number;
  /** Mix Dirichlet(α) noise into the root priors with weight ε (self-play); off when undefined. */
  noise?: { alpha: number; epsilon: number; rng: EnvRandom };
}

/**
 * PUCT search on several trees at once: each simulation descends every tree that has fewer than
 * `simulations` root visits to a leaf, and the leaves are evaluated in one batch. A reused tree
 * (the subtree under the last move played) keeps its visits and only needs the rest of the budget.
 * Dirichlet noise, when given, is mixed into every root's priors first.
 */
export function searchTrees(
  game: BoardGame,
  evaluate: Evaluator,
  trees: PuctNode[],
  options: SearchOptions,
): void {
  const cPuct = options.cPuct ?? 1.5;
  for (const t of trees)
    if (t.state.winner !== null) throw new RangeError(`puctSearch: a root is a finished ${game.name} game`);
  const fresh = trees.filter((t) => !t.expanded);
  if (fresh.length > 0) {
    const first = evaluate(fresh.map((t) => t.state));
    fresh.forEach((t, i) => {
      t.expand(first.priors[i]!);
    });
  }
  if (options.noise) {
    const { alpha, epsilon, rng } = options.noise;
    for (const t of trees) {
      const eta = dirichletSample(alpha, t.moves.length, rng);
      for (let k = 0; k < t.moves.length; k++) t.prior[k] = (1 - epsilon) * t.prior[k]! + epsilon * eta[k]!;
    }
  }
  const backup = (path: [PuctNode, number][], v: number) => {
    // v is the value for the player to move at the leaf; each parent's mover is the other player.
    for (let j = path.length - 1; j >= 0; j--) {
      const [node, k] = path[j]!;
      v = -v;
      node.visits[k]!++;
      node.valueSum[k]! += v;
      node.total++;
    }
  };
  for (;;) {
    const busy = trees.filter((t) => t.total < options.simulations);
    if (busy.length === 0) break;
    const leaves: PuctNode[] = [];
    const paths: [PuctNode, number][][] = [];
    for (const root of busy) {
      let node = root;
      const path: [PuctNode, number][] = [];
      while (node.expanded && node.state.winner === null) {
        const k = node.select(cPuct);
        path.push([node, k]);
        node.children[k] ??= new PuctNode(game.play(node.state, node.moves[k]!), game);
        node = node.children[k]!;
      }
      if (node.state.winner !== null) backup(path, node.state.winner === 0 ? 0 : -1);
      else {
        leaves.push(node);
        paths.push(path);
      }
    }
    if (leaves.length === 0) continue;
    const out = evaluate(leaves.map((n) => n.state));
    leaves.forEach((leaf, i) => {
      leaf.expand(out.priors[i]!);
      backup(paths[i]!, out.values[i]!);
    });
  }
}

/**
 * PUCT search from several fresh roots at once (see `searchTrees`). Returns each root's visit
 * counts over all actions.
 */
export function puctSearch(
  game: BoardGame,
  evaluate: Evaluator,
  roots: GameState[],
  options: SearchOptions,
): Float32Array[] {
  const trees = roots.map((s) => {
    if (s.winner !== null) throw new RangeError(`puctSearch: a root is a finished ${game.name} game`);
    return new PuctNode(s, game);
  });
  searchTrees(game, evaluate, trees, options);
  return trees.map((t) => t.counts(game.actionCount));
}

/** The most visited action (lowest index on ties). */
export function argmaxAction(counts: Float32Array): number {
  let best = 0;
  for (let a = 1; a < counts.length; a++) if (counts[a]! > counts[best]!) best = a;
  return best;
}

/** An action drawn with probability ∝ counts (temperature 1). */
export function sampleAction(counts: Float32Array, rng: EnvRandom): number {
  let z = 0;
  for (const c of counts) z += c;
  let u = rng.random() * z;
  for (let a = 0; a < counts.length; a++) {
    u -= counts[a]!;
    if (u < 0 && counts[a]! > 0) return a;
  }
  return argmaxAction(counts);
}

/**
 * An action drawn with probability ∝ counts^(1/τ): τ = 1 follows the visits, smaller τ sharpens
 * them, τ = 0 takes the most visited.
 */
export function temperatureAction(counts: Float32Array, tau: number, rng: EnvRandom): number {
  if (!(tau >= 0)) throw new RangeError(`temperatureAction: expected a temperature ≥ 0, got ${tau}`);
  if (tau === 0) return argmaxAction(counts);
  if (tau === 1) return sampleAction(counts, rng);
  const top = Math.max(...counts);
  return sampleAction(
    counts.map((c) => (c > 0 ? (c / top) ** (1 / tau) : 0)),
    rng,
  );
}

/** One stored position: canonical board, search policy, outcome for the mover. */
export interface ReplaySample {
  planes: Float32Array;
  policy: Float32Array;
  outcome: number;
}

/**
 * The most recent self-play positions: at most `capacity` of them and, when `window` is given,
 * only those of the last `window` iterations (`nextIteration()` starts one).
 */
export class ReplayBuffer {
  private readonly chunks: ReplaySample[][] = [];
  /** Positions already dropped from the front of the oldest chunk. */
  private head = 0;
  private count = 0;
  constructor(
    readonly capacity: number,
    readonly window = Number.POSITIVE_INFINITY,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`ReplayBuffer: capacity must be an integer ≥ 1, got ${capacity}`);
    if (!(window >= 1))
      throw new RangeError(`ReplayBuffer: window must be ≥ 1 iteration (or Infinity), got ${window}`);
  }
  get size(): number {
    return this.count;
  }
  /** Iterations whose positions are still held (the current one included). */
  get iterations(): number {
    return this.chunks.length;
  }
  /** Start a new iteration's positions and forget those older than the window. */
  nextIteration(): void {
    this.chunks.push([]);
    while (this.chunks.length > this.window) {
      this.count -= this.chunks.shift()!.length - this.head;
      this.head = 0;
    }
  }
  push(sample: ReplaySample): void {
    if (this.chunks.length === 0) this.chunks.push([]);
    this.chunks.at(-1)!.push(sample);
    this.count++;
    while (this.count > this.capacity) {
      const oldest = this.chunks[0]!;
      this.head++;
      this.count--;
      if (this.head === oldest.length) {
        this.chunks.shift();
        this.head = 0;
      } else if (this.head > 4096 && this.head * 2 > oldest.length) {
        this.chunks[0] = oldest.slice(this.head);
        this.head = 0;
      }
    }
  }
  sample(count: number, rng: EnvRandom): ReplaySample[] {
    if (this.count === 0) throw new RangeError('ReplayBuffer.sample: the buffer is empty');
    return Array.from({ length: count }, () => {
      let i = rng.integer(this.count) + this.head;
      for (const c of this.chunks) {
        if (i < c.length) return c[i]!;
        i -= c.length;
      }
      throw new Error('ReplayBuffer.sample: index out of range');
    });
  }
}

export interface SelfPlayOptions {
  simulations: number;
  cPuct?: number;
  dirichletAlpha: number;
  /** Weight of the root noise (0.25 in AlphaZero). */
  noiseWeight?: number;
  /** Moves played with temperature 1 (sampled ∝ visits); later moves take `finalTemperature`. */
  temperatureMoves: number;
  /** The temperature after `temperatureMoves` (default 0: the most visited move). */
  finalTemperature?: number;
  /**
   * Keep the subtree under the move played as the next root (its visits count toward the next
   * search's budget, so fewer new simulations are needed); default false.
   */
  reuseTree?: boolean;
  /** Store each position's board symmetries too (the mirror for Connect Four); default true. */
  augment?: boolean;
  rng: EnvRandom;
}

/** One finished self-play game: its positions for the buffer, the winner and the length. */
export interface SelfPlayGame {
  samples: ReplaySample[];
  winner: 1 | -1 | 0;
  length: number;
}

/** Play `count` self-play games in parallel (one batched search per move). */
export function selfPlay(
  game: BoardGame,
  evaluate: Evaluator,
  count: number,
  o: SelfPlayOptions,
): SelfPlayGame[] {
  const trees = Array.from({ length: count }, () => new PuctNode(game.initial(), game));
  const history: { planes: Float32Array; policy: Float32Array; mover: 1 | -1 }[][] = trees.map(() => []);
  const finals: GameState[] = new Array(count);
  for (;;) {
    const live = trees.map((_, i) => (finals[i] === undefined ? i : -1)).filter((i) => i >= 0);
    if (live.length === 0) break;
    searchTrees(
      game,
      evaluate,
      live.map((i) => trees[i]!),
      {
        simulations: o.simulations,
        cPuct: o.cPuct,
        noise: { alpha: o.dirichletAlpha, epsilon: o.noiseWeight ?? 0.25, rng: o.rng },
      },
    );
    for (const i of live) {
      const root = trees[i]!;
      const s = root.state;
      const c = root.counts(game.actionCount);
      let z = 0;
      for (const x of c) z += x;
      history[i]!.push({ planes: game.canonical(s), policy: c.map((x) => x / z), mover: s.toMove });
      const a =
        s.moves < o.temperatureMoves
          ? sampleAction(c, o.rng)
          : temperatureAction(c, o.finalTemperature ?? 0, o.rng);
      const kept = o.reuseTree ? root.child(a) : undefined;
      const next = kept?.state ?? game.play(s, a);
      if (next.winner !== null) finals[i] = next;
      else trees[i] = kept ?? new PuctNode(next, game);
    }
  }
  return finals.map((s, i) => {
    const winner = s.winner as 1 | -1 | 0;
    const samples: ReplaySample[] = [];
    for (const h of history[i]!) {
      const outcome = winner === 0 ? 0 : winner === h.mover ? 1 : -1;
      const variants: [Float32Array, Float32Array][] =
        (o.augment ?? true) ? game.symmetries(h.planes, h.policy) : [[h.planes, h.policy]];
      for (const [planes, policy] of variants) samples.push({ planes, policy, outcome });
    }
    return { samples, winner, length: s.moves };
  });
}

/** The AlphaZero loss on a batch: cross-entropy to the search policy plus the squared value error. */
export function alphaZeroLoss(
  net: PolicyValueModel,
  batch: ReplaySample[],
): {
  loss: Tensor;
  policyLoss: Tensor;
  valueLoss: Tensor;
} {
  const n = batch.length;
  const x = new Float32Array(n * net.inputs);
  const pi = new Float32Array(n * net.actions);
  const z = new Float32Array(n);
  batch.forEach((b, i) => {
    x.set(b.planes, i * net.inputs);
    pi.set(b.policy, i * net.actions);
    z[i] = b.outcome;
  });
  const out = net.forward(tensor(x, { shape: [n, net.inputs] }));
  const policyLoss = tensor(pi, { shape: [n, net.actions] })
    .mul(out.logits.logSoftmax(-1))
    .sum(-1)
    .mean()
    .neg();
  const valueLoss = out.value.sub(tensor(z)).square().mean();
  return { loss: policyLoss.add(valueLoss), policyLoss, valueLoss };
}

/**
 * A player that searches with the network (no noise) and plays the most visited move. For many
 * games at once use `playMatch`, which batches the searches.
 */
export function alphaZeroPlayer(
  game: BoardGame,
  net: PolicyValueModel,
  simulations: number,
  cPuct = 1.5,
): GamePlayer {
  const evaluate = netEvaluator(game, net);
  return (s) => argmaxAction(puctSearch(game, evaluate, [s], { simulations, cPuct })[0]!);
}

/** Tally of a match from the AlphaZero side. */
export interface MatchResult {
  wins: number;
  draws: number;
  losses: number;
  /** One finished game to show (the first lost, else the first drawn, else the first). */
  example: { moves: number[]; azFirst: boolean; result: 1 | 0 | -1 };
}

/**
 * `games` games of the network's search (no noise, most visited move) against `opponent`, the
 * network moving first in the even-numbered games; the searches of all running games are batched.
 */
export function playMatch(
  game: BoardGame,
  evaluate: Evaluator,
  opponent: GamePlayer,
  games: number,
  search: { simulations: number; cPuct?: number },
): MatchResult {
  const states = Array.from({ length: games }, () => game.initial());
  const azSide = states.map((_, i) => (i % 2 === 0 ? 1 : -1));
  const moves: number[][] = states.map(() => []);
  for (;;) {
    const live = states.map((s, i) => (s.winner === null ? i : -1)).filter((i) => i >= 0);
    if (live.length === 0) break;
    const azTurn = live.filter((i) => states[i]!.toMove === azSide[i]);
    const counts = azTurn.length
      ? puctSearch(
          game,
          evaluate,
          azTurn.map((i) => states[i]!),
          search,
        )
      : [];
    azTurn.forEach((i, j) => {
      const a = argmaxAction(counts[j]!);
      moves[i]!.push(a);
      states[i] = game.play(states[i]!, a);
    });
    for (const i of live)
      if (states[i]!.winner === null && states[i]!.toMove !== azSide[i]) {
        const a = opponent(states[i]!);
        moves[i]!.push(a);
        states[i] = game.play(states[i]!, a);
      }
  }
  const result = states.map((s, i) => (s.winner === 0 ? 0 : s.winner === azSide[i] ? 1 : -1));
  const show = Math.max(0, result.indexOf(-1) >= 0 ? result.indexOf(-1) : result.indexOf(0));
  return {
    wins: result.filter((r) => r === 1).length,
    draws: result.filter((r) => r === 0).length,
    losses: result.filter((r) => r === -1).length,
    example: { moves: moves[show]!, azFirst: azSide[show] === 1, result: result[show] as 1 | 0 | -1 },
  };
}

export interface TrainerOptions {
  /** The network: 'mlp' (`PolicyValueNet`, the default) or 'resnet' (`ResidualPolicyValueNet`). */
  net?: 'mlp' | 'resnet';
  /** The MLP's width and depth. */
  hidden: number;
  layers: number;
  /** The residual net's channels and blocks (defaults 32 and 2). */
  channels?: number;
  blocks?: number;
  lr: number;
  weightDecay: number;
  bufferSize: number;
  /** Train on the positions of the last this many iterations only (default: all the buffer holds). */
  replayWindow?: number;
  batchSize: number;
  seed: number;
}

/** The network, its optimizer and the replay buffer of an AlphaZero run. */
export class AlphaZeroTrainer {
  readonly net: PolicyValueModel;
  readonly optimizer: Adam;
  readonly buffer: ReplayBuffer;
  readonly rng: EnvRandom;
  readonly evaluate: Evaluator;

  constructor(
    readonly game: BoardGame,
    readonly options: TrainerOptions,
  ) {
    this.net =
      options.net === 'resnet'
        ? new ResidualPolicyValueNet(game.rows, game.cols, game.actionCount, {
            channels: options.channels,
            blocks: options.blocks,
            seed: options.seed,
          })
        : new PolicyValueNet(2 * game.rows * game.cols, game.actionCount, {
            hidden: options.hidden,
            layers: options.layers,
            seed: options.seed,
          });
    this.net.eval();
    this.optimizer = new Adam(this.net.parameters(), { lr: options.lr, weightDecay: options.weightDecay });
    this.buffer = new ReplayBuffer(options.bufferSize, options.replayWindow || Number.POSITIVE_INFINITY);
    this.rng = new EnvRandom(options.seed);
    this.evaluate = netEvaluator(game, this.net);
  }

  /** `steps` Adam steps on batches drawn from the buffer (training mode, then back to eval); the mean losses. */
  train(steps: number): { loss: number; policyLoss: number; valueLoss: number } {
    let [l, lp, lv] = [0, 0, 0];
    this.net.train();
    for (let i = 0; i < steps; i++) {
      const batch = this.buffer.sample(this.options.batchSize, this.rng);
      const [a, b, c] = scope(() => {
        this.optimizer.zeroGrad();
        const { loss, policyLoss, valueLoss } = alphaZeroLoss(this.net, batch);
        loss.backward();
        this.optimizer.step();
        return [loss.item(), policyLoss.item(), valueLoss.item()];
      });
      l += a!;
      lp += b!;
      lv += c!;
    }
    this.net.eval();
    return { loss: l / steps, policyLoss: lp / steps, valueLoss: lv / steps };
  }

  dispose(): void {
    this.optimizer.zeroGrad();
    this.net.dispose();
    this.optimizer.dispose();
  }
}
