import {
  concat,
  dropout,
  fmtShape,
  type Generator,
  Module,
  type Parameter,
  type Seed,
  softmax,
  type Tensor,
  tensor,
  where,
  zeros,
} from '@myelin/core';
import { zeros as initZeros, xavierNormal, xavierUniform } from './init.js';
import { Linear } from './linear.js';
import { generatorFrom, param, positiveInt } from './util.js';

/**
 * A [n, m] causal mask as torch.nn.Transformer.generate_square_subsequent_mask: float, 0 on and
 * below the diagonal and −∞ above it (position i may attend to j ≤ i).
 */
export function generateSquareSubsequentMask(n: number, m = n): Tensor {
  const v = new Float32Array(n * m);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < m; j++) v[i * m + j] = Number.NEGATIVE_INFINITY;
  return tensor(v, { shape: [n, m] });
}

/** A bool mask (true = not allowed) or a float mask (added to the scores) → additive float. */
function additive(mask: Tensor): Tensor {
  return mask.dtype === 'bool' ? where(mask, Number.NEGATIVE_INFINITY, 0) : mask.cast('float32');
}

export interface AttentionOptions {
  /** [L, S] or [batch·heads, L, S]: true (bool) = may not attend; float masks are added to the scores. */
  attnMask?: Tensor | null;
  /** [batch, S] (or [S] unbatched): true (bool) = this key is padding and is ignored; float is added. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /** Average the returned weights over heads ([batch, L, S]; default true) or keep them per head. */
  averageAttnWeights?: boolean;
  /** Apply a causal mask (a query may only attend to keys at or before its position) when no attnMask is given. */
  isCausal?: boolean;
}

export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights while training (default 0). */
  dropout?: number;
  /** Biases of the input and output projections (default true). */
  bias?: boolean;
  /** Learned biases appended to the key and value sequences (`bias_k`, `bias_v`). */
  addBiasKv?: boolean;
  /** Append a zero key and value to the sequences (after the projections). */
  addZeroAttn?: boolean;
  /** Feature sizes of key and value (default embedDim); others than embedDim give separate q/k/v weights. */
  kdim?: number;
  vdim?: number;
  /** [batch, seq, feature] inputs and outputs instead of [seq, batch, feature] (default false). */
  batchFirst?: boolean;
  seed?: Seed;
}

/**
 * Multi-head attention (Vaswani et al., 2017) as torch.nn.MultiheadAttention, with its state-dict
 * layout: `in_proj_weight` [3E, E] and `in_proj_bias` [3E] (or `q_proj_weight`, `k_proj_weight`,
 * `v_proj_weight` when kdim/vdim differ from E), `out_proj.weight`/`out_proj.bias`, optional
 * `bias_k`/`bias_v`. Initialised as PyTorch: xavier_uniform projections, zero biases, normal bias_k/v.
 *
 * `forward(query, key, value, options)` returns `[output, weights]`: output [L, N, E] (or
 * [N, L, E] with batchFirst), weights [N, L, S] averaged over heads (null when needWeights is false).
 *
 * @example
 * const mha = new MultiheadAttention(64, 8, { batchFirst: true });
 * const [y, w] = mha.forward(x, x, x, { keyPaddingMask: pad, isCausal: true });
 */
export class MultiheadAttention extends Module {
  in_proj_weight: Parameter | null;
  q_proj_weight: Parameter | null;
  k_proj_weight: Parameter | null;
  v_proj_weight: Parameter | null;
  in_proj_bias: Parameter | null;
  bias_k: Parameter | null;
  bias_v: Parameter | null;
  out_proj: Linear;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly addZeroAttn: boolean;
  readonly #gen: Generator | undefined;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options: MultiheadAttentionOptions = {},
  ) {
    super();
    positiveInt('MultiheadAttention', embedDim, 'embedDim');
    positiveInt('MultiheadAttention', numHeads, 'numHeads');
    if (embedDim % numHeads !== 0)
      throw new RangeError(
        `MultiheadAttention: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`,
      );
    this.headDim = embedDim / numHeads;
    this.kdim = options.kdim ?? embedDim;
    this.vdim = options.vdim ?? embedDim;
    this.dropout = options.dropout ?? 0;
    this.batchFirst = options.batchFirst ?? false;
    this.addZeroAttn = options.addZeroAttn ?? false;
    const gen = generatorFrom(options.seed);
    this.#gen = gen;
    const E = embedDim;
    const same = this.kdim === E && this.vdim === E;
    this.in_proj_weight = same ? param(xavierUniform([3 * E, E], { seed: gen })) : null;
    this.q_proj_weight = same ? null : param(xavierUniform([E, E], { seed: gen }));
    this.k_proj_weight = same ? null : param(xavierUniform([E, this.kdim], { seed: gen }));
    this.v_proj_weight = same ? null : param(xavierUniform([E, this.vdim], { seed: gen }));
    const bias = options.bias ?? true;
    this.in_proj_bias = bias ? param(zeros([3 * E])) : null;
    this.bias_k = options.addBiasKv ? param(xavierNormal([1, 1, E], { seed: gen })) : null;
    this.bias_v = options.addBiasKv ? param(xavierNormal([1, 1, E], { seed: gen })) : null;
    this.out_proj = new Linear(E, E, { bias, seed: gen });
    if (this.out_proj.bias) initZeros(this.out_proj.bias);
  }

  get outProj(): Linear {
    return this.out_proj;
  }
  get inProjWeight(): Parameter | null {
    return this.in_proj_weight;
  }
  get inProjBias(): Parameter | null {
    return this.in_proj_bias;
  }

  /** The q, k, v projection weights and biases. */
  private projections(): [Tensor, Tensor, Tensor, Tensor | null, Tensor | null, Tensor | null] {
    const E = this.embedDim;
    const [bq, bk, bv] = this.in_proj_bias
      ? (this.in_proj_bias.split(E) as [Tensor, Tensor, Tensor])
      : [null, null, null];
    if (this.in_proj_weight) {
      const [wq, wk, wv] = this.in_proj_weight.split(E) as [Tensor, Tensor, Tensor];
      return [wq, wk, wv, bq, bk, bv];
    }
    return [this.q_proj_weight!, this.k_proj_weight!, this.v_proj_weight!, bq, bk, bv];
  }

  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    options: AttentionOptions = {},
  ): [Tensor, Tensor | null] {
    const op = 'MultiheadAttention';
    const unbatched = query.rank === 2;
    if (query.rank !== (unbatched ? 2 : 3) || key.rank !== query.rank || value.rank !== query.rank)
      throw new RangeError(
        `${op}: query, key and value must all be 3-D (or all 2-D unbatched), got ${fmtShape(query.shape)}, ${fmtShape(key.shape)}, ${fmtShape(value.shape)}`,
      );
    // To [N, L, E].
    const toBatchFirst = (t: Tensor): Tensor =>
      (unbatched ? t.unsqueeze(0) : this.batchFirst ? t : t.transpose(0, 1)).cast('float32');
    const q0 = toBatchFirst(query);
    const k0 = toBatchFirst(key);
    const v0 = toBatchFirst(value);
    const [N, L, Eq] = q0.shape as [number, number, number];
    const E = this.embedDim;
    const Hh = this.numHeads;
    const hd = this.headDim;
    if (Eq !== E) throw new RangeError(`${op}: query has ${Eq} features but embedDim is ${E}`);
    if (k0.shape[2] !== this.kdim || v0.shape[2] !== this.vdim)
      throw new RangeError(
        `${op}: key and value must have ${this.kdim} and ${this.vdim} features, got ${fmtShape(key.shape)} and ${fmtShape(value.shape)}`,
      );
    if (k0.shape[0] !== N || v0.shape[0] !== N || k0.shape[1] !== v0.shape[1])
      throw new RangeError(
        `${op}: key and value must share batch and sequence sizes with each other and the query`,
      );

    const [wq, wk, wv, bq, bk, bv] = this.projections();
    const proj = (x: Tensor, w: Tensor, b: Tensor | null) => {
      const y = x.matmul(w, { transposeB: true });
      return b ? y.add(b) : y;
    };
    const q = proj(q0, wq, bq);
    let k = proj(k0, wk, bk);
    let v = proj(v0, wv, bv);

    // Additive mask [N or 1, heads or 1, L, S].
    let mask: Tensor | null = null;
    let S = k.shape[1]!;
    if (options.attnMask) {
      const m = options.attnMask;
      if (m.rank === 2) {
        if (m.shape[0] !== L || m.shape[1] !== S)
          throw new RangeError(`${op}: attnMask must be [${L}, ${S}], got ${fmtShape(m.shape)}`);
        mask = additive(m).reshape([1, 1, L, S]);
      } else if (m.rank === 3) {
        if (m.shape[0] !== N * Hh || m.shape[1] !== L || m.shape[2] !== S)
          throw new RangeError(`${op}: attnMask must be [${N * Hh}, ${L}, ${S}], got ${fmtShape(m.shape)}`);
        mask = additive(m).reshape([N, Hh, L, S]);
      } else throw new RangeError(`${op}: attnMask must be 2-D or 3-D, got ${fmtShape(m.shape)}`);
    } else if (options.isCausal) {
      mask = generateSquareSubsequentMask(L, S).reshape([1, 1, L, S]);
    }
    if (options.keyPaddingMask) {
      const kpm = unbatched ? options.keyPaddingMask.unsqueeze(0) : options.keyPaddingMask;
      if (kpm.rank !== 2 || kpm.shape[0] !== N || kpm.shape[1] !== S)
        throw new RangeError(
          `${op}: keyPaddingMask must be [${N}, ${S}], got ${fmtShape(options.keyPaddingMask.shape)}`,
        );
      const m = additive(kpm).reshape([N, 1, 1, S]);
      mask = mask ? mask.add(m) : m;
    }
    const padMaskColumn = () => {
      if (mask) mask = concat([mask, zeros([...mask.shape.slice(0, 3), 1])], 3);
    };
    if (this.bias_k && this.bias_v) {
      k = concat([k, this.bias_k.broadcastTo([N, 1, E])], 1);
      v = concat([v, this.bias_v.broadcastTo([N, 1, E])], 1);
      padMaskColumn();
      S += 1;
    }
    const heads = (t: Tensor) => t.reshape([N, -1, Hh, hd]).transpose(1, 2);
    let qh = heads(q);
    let kh = heads(k);
    let vh = heads(v);
    if (this.addZeroAttn) {
      kh = concat([kh, zeros([N, Hh, 1, hd])], 2);
      vh = concat([vh, zeros([N, Hh, 1, hd])], 2);
      padMaskColumn();
      S += 1;
    }
    qh = qh.div(Math.sqrt(hd));
    let scores = qh.matmul(kh, { transposeB: true });
    if (mask) scores = scores.add(mask);
    let attn = softmax(scores, -1);
    if (this.training && this.dropout > 0)
      attn = dropout(attn, this.dropout, { training: true, seed: this.#gen });
    const ctx = attn.matmul(vh).transpose(1, 2).reshape([N, L, E]);
    let out = this.out_proj.forward(ctx);
    out = unbatched ? out.squeeze(0) : this.batchFirst ? out : out.transpose(0, 1);
    if (!(options.needWeights ?? true)) return [out, null];
    let w = (options.averageAttnWeights ?? true) ? attn.mean(1) : attn;
    if (unbatched) w = w.squeeze(0);
    return [out, w];
  }
}
