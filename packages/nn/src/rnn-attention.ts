/**
 * Attention for sequence models:
 *
 * - `scaledDotProductAttention(query, key, value, { attnMask, dropoutP, isCausal, scale })`: core's
 *   fused op under torch.nn.functional.scaled_dot_product_attention's argument names.
 * - `LuongAttention` (Luong, Pham & Manning, 2015, §3.1): scores 'dot' hₜ·h̄ₛ, 'general' hₜ·W_a h̄ₛ
 *   or 'concat' v_aᵀ tanh(W_a [hₜ; h̄ₛ]); weights softmax over source positions; context Σₛ aₛ h̄ₛ.
 * - `BahdanauAttention` (Bahdanau, Cho & Bengio, 2015, appendix A.1.2): additive scores
 *   v_aᵀ tanh(W_a s + U_a hⱼ).
 *
 * Both take a query [batch, queryDim] (one decoder step) or [batch, L, queryDim] (L steps at once)
 * and keys [batch, S, keyDim] (the encoder outputs, which are also the values), batch first, and an
 * optional `keyPaddingMask` [batch, S] (bool, true = padding: that source position gets weight 0,
 * as MultiheadAttention's). They return [context [batch, (L,) keyDim], weights [batch, (L,) S]].
 */
import {
  fmtShape,
  Module,
  type Parameter,
  type Seed,
  scaledDotProductAttention as sdpa,
  softmax,
  type Tensor,
  tanh,
  where,
} from '@myelin/core';
import { Linear } from './linear.js';
import { generatorFrom, positiveInt } from './util.js';

export interface SdpaOptions {
  /**
   * Broadcastable to […, L, S]: bool (true = may attend, as PyTorch's boolean attn_mask) or float
   * (added to the scores).
   */
  attnMask?: Tensor | null;
  /** Dropout on the attention weights (default 0; applied whenever given, as PyTorch's dropout_p). */
  dropoutP?: number;
  /** Query i attends to keys j ≤ i only (default false). */
  isCausal?: boolean;
  /** Multiplies q·kᵀ (default 1/√D). */
  scale?: number;
  /** Seed or generator of the dropout mask. */
  generator?: Seed;
}

/**
 * softmax(q·kᵀ·scale + mask)·v as torch.nn.functional.scaled_dot_product_attention: query
 * […, L, D], key […, S, D], value […, S, Dv] → […, L, Dv], on core's fused kernel (a query row
 * that every key is masked from gives 0 where PyTorch gives NaN).
 * @example const y = scaledDotProductAttention(q, k, v, { isCausal: true });
 */
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options: SdpaOptions = {},
): Tensor {
  const p = options.dropoutP ?? 0;
  if (!(p >= 0 && p <= 1))
    throw new RangeError(`scaledDotProductAttention: dropoutP must be in [0, 1], got ${p}`);
  return sdpa(query, key, value, {
    mask: options.attnMask ?? undefined,
    causal: options.isCausal ?? false,
    scale: options.scale,
    dropout: p,
    generator: options.generator,
  });
}

export interface SeqAttentionOptions {
  /** [batch, S] bool, true = padding (ignored); or a float mask added to the scores. */
  keyPaddingMask?: Tensor | null;
}

/** Checks; returns the query as [N, L, Dq], whether it was one step, and the keys as float32. */
function prepare(
  op: string,
  query: Tensor,
  keys: Tensor,
  queryDim: number,
  keyDim: number,
  mask: Tensor | null | undefined,
): { q: Tensor; k: Tensor; single: boolean; add: Tensor | null } {
  if ((query.rank !== 2 && query.rank !== 3) || query.shape[query.rank - 1] !== queryDim)
    throw new RangeError(
      `${op}: query must be [batch, ${queryDim}] or [batch, L, ${queryDim}], got ${fmtShape(query.shape)}`,
    );
  const N = query.shape[0]!;
  if (keys.rank !== 3 || keys.shape[0] !== N || keys.shape[2] !== keyDim)
    throw new RangeError(
      `${op}: keys must be [${N}, S, ${keyDim}] (batch first, the query's batch), got ${fmtShape(keys.shape)}`,
    );
  const S = keys.shape[1]!;
  if (S === 0)
    throw new RangeError(`${op}: keys must hold at least one source position, got ${fmtShape(keys.shape)}`);
  let add: Tensor | null = null;
  if (mask) {
    if (mask.rank !== 2 || mask.shape[0] !== N || mask.shape[1] !== S)
      throw new RangeError(`${op}: keyPaddingMask must be [${N}, ${S}], got ${fmtShape(mask.shape)}`);
    add = (mask.dtype === 'bool' ? where(mask, Number.NEGATIVE_INFINITY, 0) : mask.cast('float32')).reshape([
      N,
      1,
      S,
    ]);
  }
  const single = query.rank === 2;
  const q = (single ? query.unsqueeze(1) : query).cast('float32');
  return { q, k: keys.cast('float32'), single, add };
}

/** Masked softmax of scores [N, L, S], the context [N, L, Dk] and both squeezed for a single step. */
function finish(scores: Tensor, keys: Tensor, add: Tensor | null, single: boolean): [Tensor, Tensor] {
  const w = softmax(add ? scores.add(add) : scores, -1);
  const ctx = w.matmul(keys);
  return single ? [ctx.squeeze(1), w.squeeze(1)] : [ctx, w];
}

export type LuongScore = 'dot' | 'general' | 'concat';

export interface LuongAttentionOptions {
  /** The score function (default 'general'). */
  score?: LuongScore;
  /** Feature size of the keys (default queryDim; 'dot' needs them equal). */
  keyDim?: number;
  /** Hidden size of W_a for 'concat' (default queryDim). */
  attnDim?: number;
  seed?: Seed;
}

/**
 * Luong's global attention. Parameters (bias-free, as the paper's equations): 'general' `wa`
 * Linear(keyDim → queryDim); 'concat' `wa` Linear(queryDim + keyDim → attnDim) and `va`
 * Linear(attnDim → 1). forward(query, keys, { keyPaddingMask }) → [context, weights].
 *
 * @example
 * const attn = new LuongAttention(32, { score: 'general' });
 * const [context, weights] = attn.forward(decoderState, encoderOutputs, { keyPaddingMask: pad });
 */
export class LuongAttention extends Module {
  wa: Linear | null;
  va: Linear | null;
  readonly score: LuongScore;
  readonly keyDim: number;

  constructor(
    readonly queryDim: number,
    options: LuongAttentionOptions = {},
  ) {
    super();
    const op = 'LuongAttention';
    positiveInt(op, queryDim, 'queryDim');
    this.score = options.score ?? 'general';
    this.keyDim = positiveInt(op, options.keyDim ?? queryDim, 'keyDim');
    const gen = generatorFrom(options.seed);
    switch (this.score) {
      case 'dot':
        if (this.keyDim !== queryDim)
          throw new RangeError(
            `${op}: score 'dot' needs keyDim equal to queryDim, got ${this.keyDim} and ${queryDim}`,
          );
        this.wa = null;
        this.va = null;
        break;
      case 'general':
        this.wa = new Linear(this.keyDim, queryDim, { bias: false, seed: gen });
        this.va = null;
        break;
      case 'concat': {
        const a = positiveInt(op, options.attnDim ?? queryDim, 'attnDim');
        this.wa = new Linear(queryDim + this.keyDim, a, { bias: false, seed: gen });
        this.va = new Linear(a, 1, { bias: false, seed: gen });
        break;
      }
      default:
        throw new RangeError(
          `${op}: score must be 'dot', 'general' or 'concat', got '${String(this.score)}'`,
        );
    }
  }

  forward(query: Tensor, keys: Tensor, options: SeqAttentionOptions = {}): [Tensor, Tensor] {
    const { q, k, single, add } = prepare(
      'LuongAttention',
      query,
      keys,
      this.queryDim,
      this.keyDim,
      options.keyPaddingMask,
    );
    let scores: Tensor;
    if (this.score === 'dot') scores = q.matmul(k, { transposeB: true });
    else if (this.score === 'general') scores = q.matmul(this.wa!.forward(k), { transposeB: true });
    else {
      // W_a [h; h̄] = W_q h + W_k h̄ with W_a = [W_q W_k]: [N, L, 1, A] + [N, 1, S, A].
      const w = this.wa!.weight as Parameter;
      const [wq, wk] = w.split([this.queryDim, this.keyDim], 1) as [Tensor, Tensor];
      const hq = q.matmul(wq, { transposeB: true }).unsqueeze(2);
      const hk = k.matmul(wk, { transposeB: true }).unsqueeze(1);
      scores = this.va!.forward(tanh(hq.add(hk))).squeeze(-1);
    }
    return finish(scores, k, add, single);
  }
}

export interface BahdanauAttentionOptions {
  /** Feature size of the keys (default queryDim). */
  keyDim?: number;
  /** Hidden size of the alignment model (default queryDim). */
  attnDim?: number;
  seed?: Seed;
}

/**
 * Bahdanau's additive attention: e = v_aᵀ tanh(W_a s + U_a h), bias-free as the paper's equations;
 * parameters `wa` Linear(queryDim → attnDim), `ua` Linear(keyDim → attnDim), `va` Linear(attnDim → 1).
 * forward(query, keys, { keyPaddingMask }) → [context, weights].
 *
 * @example
 * const attn = new BahdanauAttention(64, { keyDim: 128, attnDim: 32 });
 * const [context, weights] = attn.forward(prevDecoderState, encoderOutputs);
 */
export class BahdanauAttention extends Module {
  wa: Linear;
  ua: Linear;
  va: Linear;
  readonly keyDim: number;
  readonly attnDim: number;

  constructor(
    readonly queryDim: number,
    options: BahdanauAttentionOptions = {},
  ) {
    super();
    const op = 'BahdanauAttention';
    positiveInt(op, queryDim, 'queryDim');
    this.keyDim = positiveInt(op, options.keyDim ?? queryDim, 'keyDim');
    this.attnDim = positiveInt(op, options.attnDim ?? queryDim, 'attnDim');
    const gen = generatorFrom(options.seed);
    this.wa = new Linear(queryDim, this.attnDim, { bias: false, seed: gen });
    this.ua = new Linear(this.keyDim, this.attnDim, { bias: false, seed: gen });
    this.va = new Linear(this.attnDim, 1, { bias: false, seed: gen });
  }

  forward(query: Tensor, keys: Tensor, options: SeqAttentionOptions = {}): [Tensor, Tensor] {
    const { q, k, single, add } = prepare(
      'BahdanauAttention',
      query,
      keys,
      this.queryDim,
      this.keyDim,
      options.keyPaddingMask,
    );
    const hq = this.wa.forward(q).unsqueeze(2); // [N, L, 1, A]
    const hk = this.ua.forward(k).unsqueeze(1); // [N, 1, S, A]
    const scores = this.va.forward(tanh(hq.add(hk))).squeeze(-1);
    return finish(scores, k, add, single);
  }
}
