import {
  Generator,
  keep,
  Module,
  noGrad,
  Parameter,
  rand,
  randn,
  type Seed,
  scope,
  softmax,
  type Tensor,
  tensor,
  where,
  zeros,
} from '@myelin/core';
import type { StepOptimizer } from './rbm.js';

/**
 * The RBM for collaborative filtering of Salakhutdinov, Mnih & Hinton (2007, "Restricted Boltzmann
 * machines for collaborative filtering", §2): one RBM per user that shares its weights with every
 * other user's. Each item the user rated is a K-way softmax visible unit (the rating 1…K one-hot);
 * items the user did not rate are left out of the visible layer (here: masked). Weights
 * `weight` `[H, M·K]` (item-major, then rating), visible biases `[M·K]`, hidden biases `[H]`.
 *
 *   p(hⱼ = 1 | V) = σ(cⱼ + Σ_{rated i, k} W_{j,ik} v_ik),
 *   p(v_ik = 1 | h) = softmax_k(b_ik + Σⱼ hⱼ W_{j,ik})      for each rated item i.
 *
 * Ratings are given as a dense `[B, M]` int matrix, 0 = not rated, 1…K the rating.
 *
 * @example
 * const rbm = new RecommenderRBM({ items: 6, ratings: 5, hidden: 4, seed: 1 });
 * rbm.step(opt, ratingsBatch);                       // CD-1
 * const predicted = rbm.predict(ratingsBatch);       // expected rating of every item, [B, M]
 */
export class RecommenderRBM extends Module {
  weight: Parameter;
  visibleBias: Parameter;
  hiddenBias: Parameter;
  readonly items: number;
  readonly ratings: number;
  readonly hidden: number;

  constructor(options: { items: number; ratings: number; hidden: number; seed?: Seed; initStd?: number }) {
    super();
    for (const [v, what] of [
      [options.items, 'items'],
      [options.ratings, 'ratings'],
      [options.hidden, 'hidden'],
    ] as const)
      if (!Number.isInteger(v) || v < 1)
        throw new RangeError(`RecommenderRBM: ${what} must be an integer ≥ 1, got ${v}`);
    if (options.ratings < 2)
      throw new RangeError(
        `RecommenderRBM: ratings must be at least 2 (a K-way softmax), got ${options.ratings}`,
      );
    this.items = options.items;
    this.ratings = options.ratings;
    this.hidden = options.hidden;
    const gen = options.seed instanceof Generator ? options.seed : new Generator(options.seed ?? 0);
    const own = (t: Tensor) => {
      const p = new Parameter(t);
      t.dispose();
      return p;
    };
    this.weight = own(
      randn([this.hidden, this.items * this.ratings], { std: options.initStd ?? 0.01, seed: gen }),
    );
    this.visibleBias = own(zeros([this.items * this.ratings]));
    this.hiddenBias = own(zeros([this.hidden]));
  }

  /**
   * A ratings matrix `[B, M]` (0 = unrated, 1…K) as the one-hot visible layer `[B, M·K]` and the
   * mask of rated items `[B, M·K]` (1 on all K units of a rated item).
   *
   * @throws RangeError naming the first rating outside 0…K
   */
  encode(ratings: ArrayLike<number>, users: number): { visible: Tensor; mask: Tensor } {
    const m = this.items;
    const k = this.ratings;
    if (ratings.length !== users * m)
      throw new RangeError(
        `RecommenderRBM.encode: expected ${users} × ${m} = ${users * m} ratings, got ${ratings.length}`,
      );
    const v = new Float32Array(users * m * k);
    const mask = new Float32Array(users * m * k);
    for (let i = 0; i < ratings.length; i++) {
      const r = ratings[i]!;
      if (!Number.isInteger(r) || r < 0 || r > k)
        throw new RangeError(`RecommenderRBM.encode: rating ${r} at ${i} is not 0 (unrated) or 1…${k}`);
      if (r === 0) continue;
      v[i * k + r - 1] = 1;
      mask.fill(1, i * k, (i + 1) * k);
    }
    return {
      visible: tensor(v, { shape: [users, m * k] }),
      mask: tensor(mask, { shape: [users, m * k] }),
    };
  }

  /** p(h | V) `[B, H]` of one-hot visible states `[B, M·K]` (zero on unrated items). */
  hiddenProbs(visible: Tensor): Tensor {
    if (visible.rank !== 2 || visible.shape[1] !== this.items * this.ratings)
      throw new RangeError(
        `RecommenderRBM.hiddenProbs: expected [B, ${this.items * this.ratings}], got [${visible.shape.join(',')}]`,
      );
    return visible.matmul(this.weight, { transposeB: true }).add(this.hiddenBias).sigmoid();
  }

  /** p(v_ik = 1 | h): a softmax over the K ratings of every item, `[B, M·K]`. */
  visibleProbs(h: Tensor): Tensor {
    const b = h.shape[0]!;
    const logits = h.matmul(this.weight).add(this.visibleBias).reshape([b, this.items, this.ratings]);
    return softmax(logits, -1).reshape([b, this.items * this.ratings]);
  }

  /** One K-way draw per item from probabilities `[B, M·K]` (inverse CDF), one-hot. */
  private sampleSoftmax(p: Tensor, gen: Generator): Tensor {
    const b = p.shape[0]!;
    const probs = p.reshape([b, this.items, this.ratings]);
    const cdf = probs.cumsum(-1);
    const u = rand([b, this.items, 1], { seed: gen });
    // The chosen rating is the first k with cdf ≥ u: (cdf ≥ u) minus its shift by one.
    const atLeast = where(cdf.greaterEqual(u), 1, 0);
    const before = atLeast.slice(null, null, [0, this.ratings - 1]);
    const shifted = before.pad([1, 0]); // torch order: the last dim, one zero in front
    return atLeast.sub(shifted).reshape([b, this.items * this.ratings]);
  }

  /**
   * One CD-1 step on a batch of users (`visible`, `mask` from `encode`): the data term from the
   * rated items, the model term from one Gibbs step that resamples only the rated items (unrated
   * ones stay out of the visible layer), then one optimizer step. Returns the batch's mean squared
   * error of the expected rating on the rated items (a progress figure; the caller disposes it).
   */
  step(optimizer: StepOptimizer, visible: Tensor, mask: Tensor, options: { seed?: Seed } = {}): Tensor {
    const gen = options.seed instanceof Generator ? options.seed : new Generator(options.seed ?? 0);
    const b = visible.shape[0]!;
    const grads = noGrad(() =>
      scope(() => {
        const posH = this.hiddenProbs(visible);
        const h = where(rand(posH.shape, { seed: gen }).less(posH), 1, 0);
        const negV = this.sampleSoftmax(this.visibleProbs(h), gen).mul(mask);
        const negH = this.hiddenProbs(negV);
        return {
          weight: negH
            .matmul(negV, { transposeA: true })
            .sub(posH.matmul(visible, { transposeA: true }))
            .div(b),
          visibleBias: negV.sub(visible).sum(0).div(b),
          hiddenBias: negH.sub(posH).sum(0).div(b),
        };
      }),
    );
    this.weight.grad = keep(grads.weight);
    this.visibleBias.grad = keep(grads.visibleBias);
    this.hiddenBias.grad = keep(grads.hiddenBias);
    optimizer.step();
    optimizer.zeroGrad();
    return noGrad(() =>
      scope(() => {
        const predicted = this.expectedRatings(visible);
        const actual = this.expectedFromOneHot(visible);
        const rated = mask.reshape([b, this.items, this.ratings]).max(-1);
        return predicted.sub(actual).square().mul(rated).sum().div(rated.sum().maximum(1));
      }),
    );
  }

  /** Σ_k k·v_ik of one-hot (or probability) rows `[B, M·K]` → `[B, M]`. */
  private expectedFromOneHot(v: Tensor): Tensor {
    const k = tensor(
      Float32Array.from({ length: this.ratings }, (_, i) => i + 1),
      { shape: [this.ratings, 1] },
    );
    return v.reshape([v.shape[0]!, this.items, this.ratings]).matmul(k).reshape([v.shape[0]!, this.items]);
  }

  /**
   * The expected rating of every item for each user (§2.3: one mean-field pass, p̂ = p(v | p(h | V))),
   * `[B, M]` in [1, K], from the user's known ratings `visible` `[B, M·K]`.
   */
  expectedRatings(visible: Tensor): Tensor {
    return noGrad(() => scope(() => this.expectedFromOneHot(this.visibleProbs(this.hiddenProbs(visible)))));
  }
}
