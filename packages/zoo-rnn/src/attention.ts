import { concat, fmtShape, Generator, Module, type Seed, type Tensor } from '@myelin/core';
import { Linear } from '@myelin/nn';

/**
 * Attention for encoder–decoders: a query (the decoder's state, `[B, Q]`) scores every encoder
 * position (keys `[B, S, K]`), the scores go through a softmax over the unmasked positions, and
 * the context is the weighted mean of the keys.
 *
 * - Bahdanau et al. 2015 (additive): score(q, k) = vᵀ tanh(W_q q + W_k k).
 * - Luong et al. 2015 §3.1: dot qᵀk; general qᵀ W_a k; concat vᵀ tanh(W_a [q; k]).
 *
 * Parameter names follow the papers: `query`/`key`/`v` (additive), `Wa` (general), `Wa`/`v` (concat).
 */

/** A Generator from a Seed (a Generator is used as is, so its stream continues). */
export function generatorOf(seed: Seed | undefined): Generator {
  return seed instanceof Generator ? seed : new Generator(seed ?? 0);
}

/** The scoring functions of `attention(...)`. */
export type AttentionScore = 'bahdanau' | 'dot' | 'general' | 'concat';
export const ATTENTION_SCORES: readonly AttentionScore[] = ['bahdanau', 'dot', 'general', 'concat'];

/** A context vector `[B, K]` and the attention weights `[B, S]` (each row sums to 1 over unmasked positions). */
export interface AttentionResult {
  context: Tensor;
  weights: Tensor;
}

/** Checks shared by every score: query `[B, Q]`, keys `[B, S, K]`, mask `[B, S]` bool (true = padding). */
function checkInputs(
  op: string,
  q: number,
  k: number,
  query: Tensor,
  keys: Tensor,
  mask?: Tensor | null,
): void {
  if (query.rank !== 2 || query.shape[1] !== q) {
    throw new RangeError(
      `${op}: the query (decoder state) should be [batch, ${q}], got ${fmtShape(query.shape)}`,
    );
  }
  if (keys.rank !== 3 || keys.shape[2] !== k || keys.shape[0] !== query.shape[0]) {
    throw new RangeError(
      `${op}: the keys (encoder outputs) should be [${query.shape[0]}, positions, ${k}], got ${fmtShape(keys.shape)}`,
    );
  }
  if (mask) {
    if (
      mask.dtype !== 'bool' ||
      mask.rank !== 2 ||
      mask.shape[0] !== keys.shape[0] ||
      mask.shape[1] !== keys.shape[1]
    ) {
      throw new RangeError(
        `${op}: the mask should be bool [${keys.shape[0]}, ${keys.shape[1]}] (true = padding), got ${mask.dtype} ${fmtShape(mask.shape)}`,
      );
    }
  }
}

/** Softmax of `[B, S]` scores over unmasked positions, and the weighted sum of the keys. */
function attend(scores: Tensor, keys: Tensor, mask?: Tensor | null): AttentionResult {
  // A large negative (not −∞) keeps a fully masked row finite rather than NaN.
  const s = mask ? scores.maskedFill(mask, -1e9) : scores;
  const weights = s.softmax(-1);
  const context = weights.unsqueeze(1).matmul(keys).squeeze(1);
  return { context, weights };
}

/** The common face of the attention modules. */
export abstract class Attention extends Module {
  constructor(
    readonly queryDim: number,
    readonly keyDim: number,
  ) {
    super();
  }

  /**
   * What the score needs of the keys that does not depend on the query (W_k k, W_a k), computed
   * once per source sequence and passed to every decoder step's `forward`. Default: the keys.
   */
  projectKeys(keys: Tensor): Tensor {
    return keys;
  }

  /** Scores `[B, S]` of `query` against `keys`, given `projectKeys(keys)`. */
  abstract scores(query: Tensor, keys: Tensor, projected: Tensor): Tensor;

  /** Context and weights for `query` `[B, Q]` over `keys` `[B, S, K]`; `mask` `[B, S]` marks padding. */
  forward(query: Tensor, keys: Tensor, mask?: Tensor | null, projected?: Tensor): AttentionResult {
    checkInputs(this.constructor.name, this.queryDim, this.keyDim, query, keys, mask);
    return attend(this.scores(query, keys, projected ?? this.projectKeys(keys)), keys, mask);
  }
}

/** Bahdanau's additive attention: vᵀ tanh(W_q q + W_k k + b). */
export class AdditiveAttention extends Attention {
  readonly query: Linear;
  readonly key: Linear;
  readonly v: Linear;
  constructor(queryDim: number, keyDim: number, attentionDim: number, options: { seed?: Seed } = {}) {
    super(queryDim, keyDim);
    const gen = generatorOf(options.seed);
    this.query = new Linear(queryDim, attentionDim, { bias: false, seed: gen.fork() });
    this.key = new Linear(keyDim, attentionDim, { seed: gen.fork() });
    this.v = new Linear(attentionDim, 1, { bias: false, seed: gen.fork() });
  }
  override projectKeys(keys: Tensor): Tensor {
    return this.key.forward(keys);
  }
  scores(query: Tensor, _keys: Tensor, projected: Tensor): Tensor {
    return this.v.forward(projected.add(this.query.forward(query).unsqueeze(1)).tanh()).squeeze(2);
  }
}

/** Luong's multiplicative scores: dot (Q = K) and general (qᵀ W_a k). */
export class LuongAttention extends Attention {
  readonly Wa: Linear | null;
  constructor(
    queryDim: number,
    keyDim: number,
    readonly score: 'dot' | 'general',
    options: { seed?: Seed } = {},
  ) {
    super(queryDim, keyDim);
    if (score === 'dot' && queryDim !== keyDim) {
      throw new RangeError(
        `LuongAttention: the dot score needs queryDim = keyDim, got ${queryDim} and ${keyDim}`,
      );
    }
    this.Wa = score === 'general' ? new Linear(keyDim, queryDim, { bias: false, seed: options.seed }) : null;
  }
  override projectKeys(keys: Tensor): Tensor {
    return this.Wa ? this.Wa.forward(keys) : keys;
  }
  scores(query: Tensor, _keys: Tensor, projected: Tensor): Tensor {
    // [B, S, Q] · [B, Q, 1] → [B, S]
    return projected.matmul(query.unsqueeze(2)).squeeze(2);
  }
}

/** Luong's concat score: vᵀ tanh(W_a [q; k]) (no bias, as the paper writes it). */
export class ConcatAttention extends Attention {
  readonly Wa: Linear;
  readonly v: Linear;
  constructor(queryDim: number, keyDim: number, attentionDim: number, options: { seed?: Seed } = {}) {
    super(queryDim, keyDim);
    const gen = generatorOf(options.seed);
    this.Wa = new Linear(queryDim + keyDim, attentionDim, { bias: false, seed: gen.fork() });
    this.v = new Linear(attentionDim, 1, { bias: false, seed: gen.fork() });
  }
  scores(query: Tensor, keys: Tensor, _projected: Tensor): Tensor {
    const [b, s] = keys.shape as [number, number, number];
    const q = query.unsqueeze(1).broadcastTo([b, s, this.queryDim]);
    return this.v.forward(this.Wa.forward(concat([q, keys], -1)).tanh()).squeeze(2);
  }
}

/**
 * An attention module by score name: `'bahdanau'` (additive), or Luong's `'dot'`, `'general'`,
 * `'concat'`. `attentionDim` sizes the hidden layer of the additive and concat scores.
 */
export function attention(
  score: AttentionScore,
  queryDim: number,
  keyDim: number,
  options: { attentionDim?: number; seed?: Seed } = {},
): Attention {
  const dim = options.attentionDim ?? queryDim;
  switch (score) {
    case 'bahdanau':
      return new AdditiveAttention(queryDim, keyDim, dim, options);
    case 'dot':
    case 'general':
      return new LuongAttention(queryDim, keyDim, score, options);
    case 'concat':
      return new ConcatAttention(queryDim, keyDim, dim, options);
    default:
      throw new RangeError(
        `attention: unknown score ${JSON.stringify(score)}; expected one of ${ATTENTION_SCORES.join(', ')}`,
      );
  }
}
