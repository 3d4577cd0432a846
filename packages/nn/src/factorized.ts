import {
  fmtShape,
  Module,
  noGrad,
  type Parameter,
  type Seed,
  scope,
  svd,
  type Tensor,
  take,
  tensor,
} from '@myelin/core';
import type { Linear } from './linear.js';
import { generatorFrom, param, positiveInt, uniformTensor } from './util.js';

/**
 * Compressed linear layers (Aggarwal §4.9.3): a weight matrix stored in fewer numbers than its
 * out × in entries, either by hashing entries into shared buckets (HashedNets) or as a product
 * of two thin factors (low-rank factorisation).
 */

function checkFeatures(op: string, x: Tensor, inFeatures: number): void {
  const n = x.shape[x.rank - 1];
  if (x.rank === 0 || n !== inFeatures) {
    throw new RangeError(
      `${op}: input has ${n ?? 'no'} features in its last dim (shape ${fmtShape(x.shape)}) but the layer expects ${inFeatures}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// HashedNets
// ---------------------------------------------------------------------------------------------

/** murmur3's 32-bit finaliser: every input bit flips about half the output bits. */
function fmix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * The hash of entry (i, j) in stream `stream` (0: bucket, 1: sign) under `seed`, all uint32:
 * key = fmix(seed·0x9e3779b9 + stream·0x85ebca6b + 1), hash = fmix(fmix(key ^ i) ^ j).
 * tools/gen_canon_gaps_fixtures.py implements the same spec independently.
 */
function entryHash(seed: number, stream: number, i: number, j: number): number {
  const key = fmix32((Math.imul(seed, 0x9e3779b9) + Math.imul(stream, 0x85ebca6b) + 1) >>> 0);
  return fmix32(fmix32(key ^ i) ^ j);
}

/** The index and sign maps of a hashed [out, in] matrix (row-major). */
export interface HashMaps {
  /** Bucket h(i, j) ∈ [0, buckets) of virtual weight (i, j). */
  index: Int32Array;
  /** Sign ξ(i, j) ∈ {+1, −1} of virtual weight (i, j). */
  sign: Float32Array;
}

/**
 * The bucket h(i, j) = hash₀(i, j) mod buckets and sign ξ(i, j) = +1 if hash₁(i, j) < 2³¹ else −1
 * of every entry of an [outFeatures, inFeatures] matrix, from the seeded hash of {@link HashedLinear}.
 */
export function hashedIndexMap(
  outFeatures: number,
  inFeatures: number,
  buckets: number,
  hashSeed: number,
): HashMaps {
  positiveInt('hashedIndexMap', outFeatures, 'outFeatures');
  positiveInt('hashedIndexMap', inFeatures, 'inFeatures');
  positiveInt('hashedIndexMap', buckets, 'buckets');
  checkHashSeed('hashedIndexMap', hashSeed);
  const index = new Int32Array(outFeatures * inFeatures);
  const sign = new Float32Array(outFeatures * inFeatures);
  for (let i = 0, k = 0; i < outFeatures; i++) {
    for (let j = 0; j < inFeatures; j++, k++) {
      index[k] = entryHash(hashSeed, 0, i, j) % buckets;
      sign[k] = entryHash(hashSeed, 1, i, j) < 0x80000000 ? 1 : -1;
    }
  }
  return { index, sign };
}

function checkHashSeed(op: string, s: number): void {
  if (!Number.isInteger(s) || s < 0 || s > 0xffffffff)
    throw new RangeError(`${op}: hashSeed must be an integer in [0, 2^32), got ${s}`);
}

export interface HashedLinearOptions {
  /** Number of real weights K the out × in virtual weights share (required; 1 ≤ K). */
  buckets: number;
  /** Seed of the initialisation; a number also keys the hash unless `hashSeed` is given. */
  seed?: Seed;
  /**
   * Key of the hash (uint32). Default: `seed` when it is a number in [0, 2³²), else 0. The layer's
   * state dict holds only the buckets, so rebuild it with the same hashSeed to load one.
   */
  hashSeed?: number;
  /** Add a learned bias (default true). */
  bias?: boolean;
}

/**
 * A linear layer whose virtual weight V [out, in] takes its entries from `buckets` real
 * parameters through a seeded hash: V_ij = ξ(i, j)·w[h(i, j)] (HashedNets, Chen et al. 2015;
 * Aggarwal §4.9.3), y = x·Vᵀ + b. Gradients of the virtual entries that share a bucket add up in
 * it: ∂L/∂w_k = Σ_{h(i,j)=k} ξ(i, j)·∂L/∂V_ij. The sign hash ξ makes collisions cancel in
 * expectation (the "feature hashing" trick). Parameters are `weight` [buckets] and `bias` [out];
 * both start U(±1/√in), the distribution of a torch Linear's entries. The hash maps are host
 * arrays (not state): they follow from (out, in, buckets, hashSeed).
 *
 * @example
 * // A 100×100 matrix in 1000 shared weights: 10% of the storage (Aggarwal's example).
 * const fc = new HashedLinear(100, 100, { buckets: 1000, seed: 0 });
 */
export class HashedLinear extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly buckets: number;
  readonly hashSeed: number;
  readonly #maps: HashMaps;

  constructor(inFeatures: number, outFeatures: number, options: HashedLinearOptions) {
    super();
    this.inFeatures = positiveInt('HashedLinear', inFeatures, 'inFeatures');
    this.outFeatures = positiveInt('HashedLinear', outFeatures, 'outFeatures');
    if (options === undefined || typeof options !== 'object')
      throw new TypeError('HashedLinear: options { buckets } are required');
    this.buckets = positiveInt('HashedLinear', options.buckets, 'buckets');
    const s = options.seed;
    this.hashSeed =
      options.hashSeed ?? (typeof s === 'number' && Number.isInteger(s) && s >= 0 && s <= 0xffffffff ? s : 0);
    checkHashSeed('HashedLinear', this.hashSeed);
    this.#maps = hashedIndexMap(outFeatures, inFeatures, this.buckets, this.hashSeed);
    const gen = generatorFrom(s);
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = param(uniformTensor([this.buckets], bound, gen));
    this.bias = (options.bias ?? true) ? param(uniformTensor([outFeatures], bound, gen)) : null;
  }

  /** The bucket and sign of every virtual weight (copies). */
  indexMap(): HashMaps {
    return { index: this.#maps.index.slice(), sign: this.#maps.sign.slice() };
  }

  /** The virtual weight V [out, in] = ξ ⊙ w[h], differentiable with respect to `weight`. */
  denseWeight(): Tensor {
    const shape = [this.outFeatures, this.inFeatures];
    return scope(() =>
      take(this.weight, tensor(this.#maps.index, { shape, dtype: 'int32' })).mul(
        tensor(this.#maps.sign, { shape }),
      ),
    );
  }

  /** Real parameters per virtual weight: buckets / (out·in). */
  get compression(): number {
    return this.buckets / (this.outFeatures * this.inFeatures);
  }

  forward(x: Tensor): Tensor {
    checkFeatures('HashedLinear', x, this.inFeatures);
    return scope(() => {
      const y = x.matmul(this.denseWeight(), { transposeB: true });
      return this.bias ? y.add(this.bias) : y;
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Low-rank factorisation
// ---------------------------------------------------------------------------------------------

export interface LowRankLinearOptions {
  /** Add a learned bias (default true). */
  bias?: boolean;
  /** Seed of the default initialisation (a number or a core `Generator`). */
  seed?: Seed;
}

/**
 * A linear layer with weight W = U·V of rank ≤ r (Aggarwal §4.9.3): y = (x·Vᵀ)·Uᵀ + b, i.e. a
 * Linear(in, r) without bias followed by a Linear(r, out). Parameters `v` [rank, in], `u`
 * [out, rank], `bias` [out]; each factor starts as a torch Linear of its shape (U(±1/√fan_in)),
 * the bias U(±1/√in). It stores r·(in + out) weights instead of in·out: Aggarwal's ratio
 * in·out / (r·(in + out)). Aggarwal notes U, V should start from a trained W and be fine-tuned:
 * {@link lowRankFactorise} does that.
 *
 * @example
 * const fc = new LowRankLinear(784, 256, 32);   // 32·(784 + 256) weights instead of 784·256
 */
export class LowRankLinear extends Module {
  u: Parameter;
  v: Parameter;
  bias: Parameter | null;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly rank: number;

  constructor(inFeatures: number, outFeatures: number, rank: number, options: LowRankLinearOptions = {}) {
    super();
    this.inFeatures = positiveInt('LowRankLinear', inFeatures, 'inFeatures');
    this.outFeatures = positiveInt('LowRankLinear', outFeatures, 'outFeatures');
    this.rank = positiveInt('LowRankLinear', rank, 'rank');
    const gen = generatorFrom(options.seed);
    this.v = param(uniformTensor([rank, inFeatures], 1 / Math.sqrt(inFeatures), gen));
    this.u = param(uniformTensor([outFeatures, rank], 1 / Math.sqrt(rank), gen));
    this.bias =
      (options.bias ?? true) ? param(uniformTensor([outFeatures], 1 / Math.sqrt(inFeatures), gen)) : null;
  }

  /** W = U·V [out, in], differentiable with respect to both factors. */
  denseWeight(): Tensor {
    return this.u.matmul(this.v);
  }

  forward(x: Tensor): Tensor {
    checkFeatures('LowRankLinear', x, this.inFeatures);
    return scope(() => {
      const y = x.matmul(this.v, { transposeB: true }).matmul(this.u, { transposeB: true });
      return this.bias ? y.add(this.bias) : y;
    });
  }
}

/**
 * A {@link LowRankLinear} holding the best rank-r approximation of a trained layer's weight in
 * the Frobenius norm (Eckart–Young): with the reduced SVD W = U·diag(S)·Vh (core's `svd`),
 * u = U[:, :r]·diag(√S_r) and v = diag(√S_r)·Vh[:r] (the singular values split evenly between the
 * factors), so ‖W − u·v‖_F = √(Σ_{k>r} S_k²). The bias is copied. Fine-tune it afterwards.
 * Accepts any module with `weight` [out, in] and an optional `bias` [out] (a `Linear`).
 *
 * @example
 * const small = lowRankFactorise(trainedFc, 16);
 */
export function lowRankFactorise(linear: Pick<Linear, 'weight' | 'bias'>, rank: number): LowRankLinear {
  const w = linear?.weight;
  if (w?.rank !== 2)
    throw new TypeError(
      `lowRankFactorise: expected a Linear with a 2-D weight [out, in], got ${w ? `weight ${fmtShape(w.shape)}` : String(linear)}`,
    );
  const [out, inF] = w.shape as [number, number];
  const maxRank = Math.min(out, inF);
  if (!Number.isInteger(rank) || rank < 1 || rank > maxRank)
    throw new RangeError(
      `lowRankFactorise: rank must be an integer in [1, min(out, in) = ${maxRank}] for weight ${fmtShape(w.shape)}, got ${rank}`,
    );
  const layer = new LowRankLinear(inF, out, rank, { bias: linear.bias != null, seed: 0 });
  noGrad(() =>
    scope(() => {
      const [u, s, vh] = svd(w);
      const root = s.slice([0, rank]).sqrt();
      layer.u.assign(u.slice(null, [0, rank]).mul(root));
      layer.v.assign(vh.slice([0, rank]).mul(root.unsqueeze(1)));
      if (layer.bias && linear.bias) layer.bias.assign(linear.bias);
    }),
  );
  return layer;
}
