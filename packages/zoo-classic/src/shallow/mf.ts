import {
  Generator,
  indexSelect,
  Module,
  noGrad,
  type Parameter,
  scope,
  type Tensor,
  tensor,
} from '@myelin/core';
import { type GradientOptions, gradientDescent } from './train.js';
import { param } from './util.js';

/**
 * Matrix factorisation as a network for recommendation (Koren, Bell & Volinsky, 2009): a rating is
 * predicted as `r̂(u, i) = μ + b_u + b_i + p_u·q_i`, with `p_u` and `q_i` rows of user and item
 * embedding tables. Trained by gradient descent on the squared error of the observed ratings plus
 * `½λ(‖p_u‖² + ‖q_i‖² + b_u² + b_i²)` over the batch's rows.
 */
export class MatrixFactorization extends Module {
  /** `[users, factors]`. */
  userFactors: Parameter;
  /** `[items, factors]`. */
  itemFactors: Parameter;
  userBias: Parameter;
  itemBias: Parameter;
  /** μ, `[1]`. */
  globalBias: Parameter;
  readonly users: number;
  readonly items: number;
  readonly factors: number;

  constructor(users: number, items: number, factors: number, options: { seed?: number; mean?: number } = {}) {
    super();
    for (const [name, v] of [
      ['users', users],
      ['items', items],
      ['factors', factors],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new RangeError(`MatrixFactorization: ${name} must be a positive integer, got ${v}`);
    }
    this.users = users;
    this.items = items;
    this.factors = factors;
    const g = new Generator(options.seed ?? 0);
    // Small random factors (N(0, 0.1²)): a zero start is a saddle of p·q.
    this.userFactors = param(tensor(g.normal(users * factors, 0, 0.1), { shape: [users, factors] }));
    this.itemFactors = param(tensor(g.normal(items * factors, 0, 0.1), { shape: [items, factors] }));
    this.userBias = param(tensor(new Float32Array(users), { shape: [users] }));
    this.itemBias = param(tensor(new Float32Array(items), { shape: [items] }));
    this.globalBias = param(tensor(Float32Array.of(options.mean ?? 0), { shape: [1] }));
  }

  /** Predicted ratings for int32 `pairs` `[N, 2]` of (user, item). */
  forward(pairs: Tensor): Tensor {
    return this.terms(pairs).prediction;
  }

  private terms(pairs: Tensor) {
    if (pairs.rank !== 2 || pairs.shape[1] !== 2 || pairs.dtype !== 'int32') {
      throw new RangeError(
        `MatrixFactorization: expected int32 (user, item) pairs [N, 2], got ${pairs.dtype} [${pairs.shape.join(', ')}]`,
      );
    }
    const u = pairs.slice(null, 0);
    const i = pairs.slice(null, 1);
    const p = indexSelect(this.userFactors, 0, u);
    const q = indexSelect(this.itemFactors, 0, i);
    const bu = indexSelect(this.userBias, 0, u);
    const bi = indexSelect(this.itemBias, 0, i);
    const prediction = p.mul(q).sum(1).add(bu).add(bi).add(this.globalBias);
    return { prediction, p, q, bu, bi };
  }

  /** ½ mean squared error + `½λ·mean(‖p_u‖² + ‖q_i‖² + b_u² + b_i²)` over the rows. */
  objective(pairs: Tensor, ratings: Tensor, l2: number): Tensor {
    const { prediction, p, q, bu, bi } = this.terms(pairs);
    const err = prediction.sub(ratings).square().mean().mul(0.5);
    if (l2 === 0) return err;
    const reg = p.square().sum(1).add(q.square().sum(1)).add(bu.square()).add(bi.square()).mean();
    return err.add(reg.mul(l2 / 2));
  }

  /** Predicted ratings for host `(user, item)` pairs. */
  async predict(users: Int32Array, items: Int32Array): Promise<Float32Array> {
    const pairs = ratingPairs('MatrixFactorization.predict', this, users, items);
    try {
      const r = noGrad(() => scope(() => this.forward(pairs)));
      try {
        return Float32Array.from(await r.data());
      } finally {
        r.dispose();
      }
    } finally {
      pairs.dispose();
    }
  }
}

function ratingPairs(op: string, m: MatrixFactorization, users: Int32Array, items: Int32Array): Tensor {
  if (users.length !== items.length)
    throw new RangeError(`${op}: ${users.length} users but ${items.length} items`);
  const flat = new Int32Array(users.length * 2);
  for (let k = 0; k < users.length; k++) {
    if (!(users[k]! >= 0 && users[k]! < m.users))
      throw new RangeError(`${op}: user ${k} is ${users[k]}, expected an index in [0, ${m.users - 1}]`);
    if (!(items[k]! >= 0 && items[k]! < m.items))
      throw new RangeError(`${op}: item ${k} is ${items[k]}, expected an index in [0, ${m.items - 1}]`);
    flat[2 * k] = users[k]!;
    flat[2 * k + 1] = items[k]!;
  }
  return tensor(flat, { shape: [users.length, 2], dtype: 'int32' });
}

/** Observed ratings: parallel arrays of user, item and rating. */
export interface Ratings {
  users: Int32Array;
  items: Int32Array;
  ratings: Float32Array;
}

/**
 * Train by mini-batch gradient descent on observed ratings (`l2` the λ above, default 0.01).
 * Returns the mean objective per epoch.
 */
export async function trainMatrixFactorization(
  model: MatrixFactorization,
  data: Ratings,
  options: GradientOptions & { l2?: number },
): Promise<number[]> {
  const op = 'trainMatrixFactorization';
  const pairs = ratingPairs(op, model, data.users, data.items);
  if (data.ratings.length !== data.users.length) {
    pairs.dispose();
    throw new RangeError(`${op}: ${data.ratings.length} ratings for ${data.users.length} pairs`);
  }
  const r = tensor(data.ratings, { shape: [data.ratings.length] });
  const l2 = options.l2 ?? 0.01;
  try {
    return await gradientDescent(
      op,
      model.parameters(),
      (xb, yb) => model.objective(xb, yb, l2),
      pairs,
      r,
      options,
    );
  } finally {
    pairs.dispose();
    r.dispose();
  }
}

/**
 * A synthetic rating set of known low rank (no small real rating set is packaged for npm or Debian
 * with a stable hash, so the recommender is shown on this): `r = 3 + b_u + b_i + p_u·q_i + ε` with
 * `p, q ~ N(0, 1/√rank)`, biases `~ N(0, 0.3²)`, noise `ε ~ N(0, noise²)`, each (user, item) pair
 * observed with probability `density`.
 */
export function lowRankRatings(options: {
  users: number;
  items: number;
  rank: number;
  density: number;
  noise: number;
  seed?: number;
}): Ratings {
  const { users, items, rank, density, noise } = options;
  if (!(density > 0 && density <= 1))
    throw new RangeError(`lowRankRatings: density must be in (0, 1], got ${density}`);
  const g = new Generator(options.seed ?? 0);
  const s = 1 / Math.sqrt(Math.sqrt(rank));
  const p = g.normal(users * rank, 0, s);
  const q = g.normal(items * rank, 0, s);
  const bu = g.normal(users, 0, 0.3);
  const bi = g.normal(items, 0, 0.3);
  const keep = g.uniform(users * items);
  const eps = g.normal(users * items, 0, noise);
  const us: number[] = [];
  const is: number[] = [];
  const rs: number[] = [];
  for (let u = 0; u < users; u++)
    for (let i = 0; i < items; i++) {
      if (keep[u * items + i]! >= density) continue;
      let v = 3 + bu[u]! + bi[i]! + eps[u * items + i]!;
      for (let k = 0; k < rank; k++) v += p[u * rank + k]! * q[i * rank + k]!;
      us.push(u);
      is.push(i);
      rs.push(v);
    }
  return { users: Int32Array.from(us), items: Int32Array.from(is), ratings: Float32Array.from(rs) };
}
