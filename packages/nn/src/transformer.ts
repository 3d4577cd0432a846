/**
 * Transformer blocks (Vaswani et al., 2017) as torch.nn.TransformerEncoderLayer/DecoderLayer and
 * their stacks, with PyTorch's child names (`self_attn`, `multihead_attn`, `linear1`, `linear2`,
 * `norm1`…`norm3`, `layers.{i}`, `norm`) so state dicts load by name.
 *
 * Post-norm (default, the paper's): x = norm(x + sublayer(x)). Pre-norm (`normFirst`):
 * x = x + sublayer(norm(x)).
 */
import {
  fmtShape,
  type Generator,
  gelu,
  Module,
  relu,
  type Seed,
  scaledDotProductAttention,
  type Tensor,
  where,
} from '@myelin/core';
import { generateSquareSubsequentMask, MultiheadAttention } from './attention.js';
import { Dropout } from './dropout.js';
import { xavierUniform } from './init.js';
import { Linear } from './linear.js';
import { LayerNorm } from './normalization.js';
import { generatorFrom, positiveInt } from './util.js';

export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

export interface TransformerLayerOptions {
  /** Hidden size of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block (default 0.1). */
  dropout?: number;
  /** Feed-forward activation: 'relu' (default), 'gelu' or a function. */
  activation?: TransformerActivation;
  layerNormEps?: number;
  /** [batch, seq, feature] inputs and outputs (default false: [seq, batch, feature]). */
  batchFirst?: boolean;
  /** Pre-norm: normalise before each sublayer instead of after the residual sum (default false). */
  normFirst?: boolean;
  seed?: Seed;
}

function activationFn(a: TransformerActivation | undefined): (x: Tensor) => Tensor {
  if (a === undefined || a === 'relu') return relu;
  if (a === 'gelu') return (x) => gelu(x);
  if (typeof a === 'function') return a;
  throw new RangeError(`Transformer: activation must be 'relu', 'gelu' or a function, got '${String(a)}'`);
}

/** A bool mask (true = may not attend) or a float mask (added) as an additive float mask. */
function additiveMask(mask: Tensor): Tensor {
  return mask.dtype === 'bool' ? where(mask, Number.NEGATIVE_INFINITY, 0) : mask.cast('float32');
}

/**
 * `mha.forward(query, key, value, …)` without the weights, through core's fused
 * `scaledDotProductAttention` (one kernel per head batch, the score matrix never stored): the same
 * projections, masks (MultiheadAttention's conventions: bool true = masked) and output projection.
 * Layers built with bias_k/bias_v or a zero-attention column (never by the Transformer layers) take
 * MultiheadAttention's own path. A query row every key is masked from gives 0 here, where
 * MultiheadAttention (and PyTorch) give NaN.
 */
function fusedAttention(
  mha: MultiheadAttention,
  query: Tensor,
  key: Tensor,
  value: Tensor,
  attnMask: Tensor | null,
  keyPaddingMask: Tensor | null,
  isCausal: boolean,
  gen: Generator | undefined,
): Tensor {
  if (mha.bias_k || mha.addZeroAttn || query.rank !== 3 || key.rank !== 3 || value.rank !== 3)
    return mha.forward(query, key, value, { attnMask, keyPaddingMask, needWeights: false, isCausal })[0];
  const op = 'MultiheadAttention';
  const toBF = (t: Tensor) => (mha.batchFirst ? t : t.transpose(0, 1)).cast('float32');
  const q0 = toBF(query);
  const k0 = toBF(key);
  const v0 = toBF(value);
  const [N, L, Eq] = q0.shape as [number, number, number];
  const S = k0.shape[1]!;
  const E = mha.embedDim;
  const Hh = mha.numHeads;
  const hd = mha.headDim;
  if (Eq !== E) throw new RangeError(`${op}: query has ${Eq} features but embedDim is ${E}`);
  if (k0.shape[2] !== mha.kdim || v0.shape[2] !== mha.vdim)
    throw new RangeError(
      `${op}: key and value must have ${mha.kdim} and ${mha.vdim} features, got ${fmtShape(key.shape)} and ${fmtShape(value.shape)}`,
    );
  if (k0.shape[0] !== N || v0.shape[0] !== N || v0.shape[1] !== S)
    throw new RangeError(
      `${op}: key and value must share batch and sequence sizes with each other and the query`,
    );
  const bias = mha.in_proj_bias ? (mha.in_proj_bias.split(E) as [Tensor, Tensor, Tensor]) : null;
  const [wq, wk, wv] = mha.in_proj_weight
    ? (mha.in_proj_weight.split(E) as [Tensor, Tensor, Tensor])
    : [mha.q_proj_weight!, mha.k_proj_weight!, mha.v_proj_weight!];
  const proj = (x: Tensor, w: Tensor, b: Tensor | undefined) => {
    const y = x.matmul(w, { transposeB: true });
    return b ? y.add(b) : y;
  };
  const heads = (t: Tensor) => t.reshape([N, -1, Hh, hd]).transpose(1, 2);
  const qh = heads(proj(q0, wq, bias?.[0]));
  const kh = heads(proj(k0, wk, bias?.[1]));
  const vh = heads(proj(v0, wv, bias?.[2]));
  let mask: Tensor | null = null;
  if (attnMask) {
    const m = attnMask;
    if (m.rank === 2 && m.shape[0] === L && m.shape[1] === S) mask = additiveMask(m).reshape([1, 1, L, S]);
    else if (m.rank === 3 && m.shape[0] === N * Hh && m.shape[1] === L && m.shape[2] === S)
      mask = additiveMask(m).reshape([N, Hh, L, S]);
    else
      throw new RangeError(
        `${op}: attnMask must be [${L}, ${S}] or [${N * Hh}, ${L}, ${S}], got ${fmtShape(m.shape)}`,
      );
  } else if (isCausal) mask = generateSquareSubsequentMask(L, S).reshape([1, 1, L, S]);
  if (keyPaddingMask) {
    if (keyPaddingMask.rank !== 2 || keyPaddingMask.shape[0] !== N || keyPaddingMask.shape[1] !== S)
      throw new RangeError(
        `${op}: keyPaddingMask must be [${N}, ${S}], got ${fmtShape(keyPaddingMask.shape)}`,
      );
    const m = additiveMask(keyPaddingMask).reshape([N, 1, 1, S]);
    mask = mask ? mask.add(m) : m;
  }
  const ctx = scaledDotProductAttention(qh, kh, vh, {
    mask: mask ?? undefined,
    dropout: mha.training ? mha.dropout : 0,
    training: mha.training,
    generator: gen,
  });
  const out = mha.out_proj.forward(ctx.transpose(1, 2).reshape([N, L, E]));
  return mha.batchFirst ? out : out.transpose(0, 1);
}

export interface EncoderForwardOptions {
  /** Attention mask [S, S] or [batch·heads, S, S] (see MultiheadAttention). */
  srcMask?: Tensor | null;
  /** [batch, S]: true = padding. */
  srcKeyPaddingMask?: Tensor | null;
  /** Causal self-attention when no srcMask is given. */
  isCausal?: boolean;
}

/** Self-attention then a feed-forward block, each with residual, dropout and layer norm. */
export class TransformerEncoderLayer extends Module {
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly normFirst: boolean;
  readonly #activation: (x: Tensor) => Tensor;
  readonly #config: [number, number, TransformerLayerOptions];
  readonly #gen: Generator | undefined;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super();
    this.#config = [dModel, nhead, { ...options }];
    const gen = generatorFrom(options.seed);
    this.#gen = gen;
    const ff = options.dimFeedforward ?? 2048;
    const p = options.dropout ?? 0.1;
    const eps = options.layerNormEps ?? 1e-5;
    this.self_attn = new MultiheadAttention(dModel, nhead, {
      dropout: p,
      batchFirst: options.batchFirst ?? false,
      seed: gen,
    });
    this.linear1 = new Linear(dModel, ff, { seed: gen });
    this.dropout = new Dropout(p, { seed: gen });
    this.linear2 = new Linear(ff, dModel, { seed: gen });
    this.normFirst = options.normFirst ?? false;
    this.norm1 = new LayerNorm(dModel, { eps });
    this.norm2 = new LayerNorm(dModel, { eps });
    this.dropout1 = new Dropout(p, { seed: gen });
    this.dropout2 = new Dropout(p, { seed: gen });
    this.#activation = activationFn(options.activation);
  }

  get selfAttn(): MultiheadAttention {
    return this.self_attn;
  }

  /** A new layer with the same configuration and a copy of this one's parameters (PyTorch's deepcopy). */
  clone(): TransformerEncoderLayer {
    const [d, h, o] = this.#config;
    const c = new TransformerEncoderLayer(d, h, o);
    c.loadStateDict(this.stateDict());
    c.train(this.training);
    return c;
  }

  private saBlock(x: Tensor, mask: Tensor | null, kpm: Tensor | null, isCausal: boolean): Tensor {
    const y = fusedAttention(this.self_attn, x, x, x, mask, kpm, isCausal, this.#gen);
    return this.dropout1.forward(y);
  }

  private ffBlock(x: Tensor): Tensor {
    return this.dropout2.forward(
      this.linear2.forward(this.dropout.forward(this.#activation(this.linear1.forward(x)))),
    );
  }

  forward(src: Tensor, options: EncoderForwardOptions = {}): Tensor {
    const mask = options.srcMask ?? null;
    const kpm = options.srcKeyPaddingMask ?? null;
    const causal = options.isCausal ?? false;
    let x = src;
    if (this.normFirst) {
      x = x.add(this.saBlock(this.norm1.forward(x), mask, kpm, causal));
      x = x.add(this.ffBlock(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(x.add(this.saBlock(x, mask, kpm, causal)));
      x = this.norm2.forward(x.add(this.ffBlock(x)));
    }
    return x;
  }
}

export interface DecoderForwardOptions {
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
  /** Causal self-attention when no tgtMask is given. */
  tgtIsCausal?: boolean;
  memoryIsCausal?: boolean;
}

/** Self-attention, cross-attention over `memory`, then a feed-forward block. */
export class TransformerDecoderLayer extends Module {
  self_attn: MultiheadAttention;
  multihead_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  norm3: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;
  readonly normFirst: boolean;
  readonly #activation: (x: Tensor) => Tensor;
  readonly #config: [number, number, TransformerLayerOptions];
  readonly #gen: Generator | undefined;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super();
    this.#config = [dModel, nhead, { ...options }];
    const gen = generatorFrom(options.seed);
    this.#gen = gen;
    const ff = options.dimFeedforward ?? 2048;
    const p = options.dropout ?? 0.1;
    const eps = options.layerNormEps ?? 1e-5;
    const batchFirst = options.batchFirst ?? false;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: p, batchFirst, seed: gen });
    this.multihead_attn = new MultiheadAttention(dModel, nhead, { dropout: p, batchFirst, seed: gen });
    this.linear1 = new Linear(dModel, ff, { seed: gen });
    this.dropout = new Dropout(p, { seed: gen });
    this.linear2 = new Linear(ff, dModel, { seed: gen });
    this.normFirst = options.normFirst ?? false;
    this.norm1 = new LayerNorm(dModel, { eps });
    this.norm2 = new LayerNorm(dModel, { eps });
    this.norm3 = new LayerNorm(dModel, { eps });
    this.dropout1 = new Dropout(p, { seed: gen });
    this.dropout2 = new Dropout(p, { seed: gen });
    this.dropout3 = new Dropout(p, { seed: gen });
    this.#activation = activationFn(options.activation);
  }

  get selfAttn(): MultiheadAttention {
    return this.self_attn;
  }
  get multiheadAttn(): MultiheadAttention {
    return this.multihead_attn;
  }

  clone(): TransformerDecoderLayer {
    const [d, h, o] = this.#config;
    const c = new TransformerDecoderLayer(d, h, o);
    c.loadStateDict(this.stateDict());
    c.train(this.training);
    return c;
  }

  private saBlock(x: Tensor, mask: Tensor | null, kpm: Tensor | null, isCausal: boolean): Tensor {
    const y = fusedAttention(this.self_attn, x, x, x, mask, kpm, isCausal, this.#gen);
    return this.dropout1.forward(y);
  }

  private mhaBlock(
    x: Tensor,
    mem: Tensor,
    mask: Tensor | null,
    kpm: Tensor | null,
    isCausal: boolean,
  ): Tensor {
    const y = fusedAttention(this.multihead_attn, x, mem, mem, mask, kpm, isCausal, this.#gen);
    return this.dropout2.forward(y);
  }

  private ffBlock(x: Tensor): Tensor {
    return this.dropout3.forward(
      this.linear2.forward(this.dropout.forward(this.#activation(this.linear1.forward(x)))),
    );
  }

  forward(tgt: Tensor, memory: Tensor, options: DecoderForwardOptions = {}): Tensor {
    const tm = options.tgtMask ?? null;
    const mm = options.memoryMask ?? null;
    const tk = options.tgtKeyPaddingMask ?? null;
    const mk = options.memoryKeyPaddingMask ?? null;
    const tc = options.tgtIsCausal ?? false;
    const mc = options.memoryIsCausal ?? false;
    let x = tgt;
    if (this.normFirst) {
      x = x.add(this.saBlock(this.norm1.forward(x), tm, tk, tc));
      x = x.add(this.mhaBlock(this.norm2.forward(x), memory, mm, mk, mc));
      x = x.add(this.ffBlock(this.norm3.forward(x)));
    } else {
      x = this.norm1.forward(x.add(this.saBlock(x, tm, tk, tc)));
      x = this.norm2.forward(x.add(this.mhaBlock(x, memory, mm, mk, mc)));
      x = this.norm3.forward(x.add(this.ffBlock(x)));
    }
    return x;
  }
}

type LayerSource<L> = L | ((index: number) => L);

function buildLayers<L extends { clone(): L }>(source: LayerSource<L>, n: number): L[] {
  if (!Number.isInteger(n) || n <= 0)
    throw new RangeError(`Transformer stack: numLayers must be a positive integer, got ${n}`);
  if (typeof source === 'function') return Array.from({ length: n }, (_, i) => source(i));
  // As PyTorch's _get_clones: every layer starts as a copy of the given one.
  return Array.from({ length: n }, () => source.clone());
}

/**
 * A stack of `numLayers` encoder layers (torch.nn.TransformerEncoder): `layers.{i}`, then an
 * optional final `norm`. Given a layer, every layer starts as a copy of it (as PyTorch's deepcopy);
 * given a factory `(i) => layer`, each is built afresh.
 */
export class TransformerEncoder extends Module {
  layers: TransformerEncoderLayer[];
  norm: LayerNorm | null;

  constructor(
    encoderLayer: LayerSource<TransformerEncoderLayer>,
    readonly numLayers: number,
    options: { norm?: LayerNorm | null } = {},
  ) {
    super();
    this.layers = buildLayers(encoderLayer, numLayers);
    this.norm = options.norm ?? null;
  }

  forward(
    src: Tensor,
    options: { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean } = {},
  ): Tensor {
    let x = src;
    for (const layer of this.layers)
      x = layer.forward(x, {
        srcMask: options.mask ?? null,
        srcKeyPaddingMask: options.srcKeyPaddingMask ?? null,
        isCausal: options.isCausal ?? false,
      });
    return this.norm ? this.norm.forward(x) : x;
  }
}

/** A stack of decoder layers (torch.nn.TransformerDecoder): `layers.{i}`, then an optional `norm`. */
export class TransformerDecoder extends Module {
  layers: TransformerDecoderLayer[];
  norm: LayerNorm | null;

  constructor(
    decoderLayer: LayerSource<TransformerDecoderLayer>,
    readonly numLayers: number,
    options: { norm?: LayerNorm | null } = {},
  ) {
    super();
    this.layers = buildLayers(decoderLayer, numLayers);
    this.norm = options.norm ?? null;
  }

  forward(tgt: Tensor, memory: Tensor, options: DecoderForwardOptions = {}): Tensor {
    let x = tgt;
    for (const layer of this.layers) x = layer.forward(x, memory, options);
    return this.norm ? this.norm.forward(x) : x;
  }
}

export interface TransformerOptions extends TransformerLayerOptions {
  /** Encoder layers (default 6). */
  numEncoderLayers?: number;
  /** Decoder layers (default 6). */
  numDecoderLayers?: number;
  /** Use this encoder instead of building one (PyTorch's custom_encoder). */
  customEncoder?: Module & { forward(src: Tensor, options?: Record<string, unknown>): Tensor };
  /** Use this decoder instead of building one (PyTorch's custom_decoder). */
  customDecoder?: Module & {
    forward(tgt: Tensor, memory: Tensor, options?: Record<string, unknown>): Tensor;
  };
}

export interface TransformerForwardOptions {
  /** [S, S] or [batch·heads, S, S] mask of the encoder's self-attention (bool true = masked). */
  srcMask?: Tensor | null;
  /** [T, T] or [batch·heads, T, T] mask of the decoder's self-attention; see generateSquareSubsequentMask. */
  tgtMask?: Tensor | null;
  /** [T, S] mask of the decoder's attention over the encoder's output. */
  memoryMask?: Tensor | null;
  /** [batch, S]: true = this source position is padding. */
  srcKeyPaddingMask?: Tensor | null;
  /** [batch, T]: true = this target position is padding. */
  tgtKeyPaddingMask?: Tensor | null;
  /** [batch, S]: true = this memory position is padding (usually srcKeyPaddingMask). */
  memoryKeyPaddingMask?: Tensor | null;
}

/**
 * The encoder–decoder Transformer (Vaswani et al., 2017) as torch.nn.Transformer: an `encoder`
 * (TransformerEncoder of `numEncoderLayers` layers and a final LayerNorm) and a `decoder` (likewise),
 * with PyTorch's state-dict keys (`encoder.layers.0.self_attn.in_proj_weight`, `encoder.norm.weight`,
 * `decoder.layers.0.multihead_attn.out_proj.weight`, …) and initialisation (every parameter of rank
 * > 1 xavier-uniform). Defaults as PyTorch: dModel 512, 8 heads, 6 + 6 layers, feed-forward 2048,
 * dropout 0.1, relu, post-norm, [seq, batch, feature] layout. The attention runs on core's fused
 * `scaledDotProductAttention`.
 *
 * @example
 * const model = new Transformer(64, 4, { numEncoderLayers: 2, numDecoderLayers: 2, batchFirst: true });
 * const tgtMask = Transformer.generateSquareSubsequentMask(tgt.shape[1]);
 * const y = model.forward(src, tgt, { tgtMask });   // [batch, T, 64]
 */
export class Transformer extends Module {
  encoder: Module & { forward(src: Tensor, options?: Record<string, unknown>): Tensor };
  decoder: Module & { forward(tgt: Tensor, memory: Tensor, options?: Record<string, unknown>): Tensor };
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;

  constructor(dModel = 512, nhead = 8, options: TransformerOptions = {}) {
    super();
    positiveInt('Transformer', dModel, 'dModel');
    positiveInt('Transformer', nhead, 'nhead');
    if (dModel % nhead !== 0)
      throw new RangeError(`Transformer: dModel ${dModel} must be divisible by nhead ${nhead}`);
    this.dModel = dModel;
    this.nhead = nhead;
    this.batchFirst = options.batchFirst ?? false;
    const gen = generatorFrom(options.seed);
    const { numEncoderLayers, numDecoderLayers, customEncoder, customDecoder, ...layer } = options;
    const eps = options.layerNormEps ?? 1e-5;
    const layerOptions: TransformerLayerOptions = { ...layer, seed: gen };
    this.encoder =
      customEncoder ??
      new TransformerEncoder(
        () => new TransformerEncoderLayer(dModel, nhead, layerOptions),
        numEncoderLayers ?? 6,
        { norm: new LayerNorm(dModel, { eps }) },
      );
    this.decoder =
      customDecoder ??
      new TransformerDecoder(
        () => new TransformerDecoderLayer(dModel, nhead, layerOptions),
        numDecoderLayers ?? 6,
        { norm: new LayerNorm(dModel, { eps }) },
      );
    // PyTorch's _reset_parameters: xavier_uniform_ on every parameter of rank > 1.
    for (const p of this.parameters()) if (p.rank > 1) xavierUniform(p, { seed: gen });
  }

  /** As torch.nn.Transformer.generate_square_subsequent_mask: 0 on and below the diagonal, −∞ above. */
  static generateSquareSubsequentMask(size: number): Tensor {
    positiveInt('Transformer.generateSquareSubsequentMask', size, 'size');
    return generateSquareSubsequentMask(size);
  }

  /**
   * Encode `src` ([S, batch, dModel], or [batch, S, dModel] with batchFirst; unbatched [S, dModel])
   * and decode `tgt` ([T, batch, dModel] …) against it; returns [T, batch, dModel] (…).
   */
  forward(src: Tensor, tgt: Tensor, options: TransformerForwardOptions = {}): Tensor {
    const op = 'Transformer';
    const unbatched = src.rank === 2;
    if ((src.rank !== 2 && src.rank !== 3) || tgt.rank !== src.rank)
      throw new RangeError(
        `${op}: src and tgt must both be 3-D (or both unbatched 2-D), got ${fmtShape(src.shape)} and ${fmtShape(tgt.shape)}`,
      );
    const bDim = this.batchFirst ? 0 : 1;
    if (!unbatched && src.shape[bDim] !== tgt.shape[bDim])
      throw new RangeError(
        `${op}: src and tgt must have the same batch size (dim ${bDim}), got ${fmtShape(src.shape)} and ${fmtShape(tgt.shape)}`,
      );
    if (src.shape[src.rank - 1] !== this.dModel || tgt.shape[tgt.rank - 1] !== this.dModel)
      throw new RangeError(
        `${op}: the feature size of src and tgt must equal dModel ${this.dModel}, got ${fmtShape(src.shape)} and ${fmtShape(tgt.shape)}`,
      );
    // The stacks take [seq, batch, feature] or batchFirst as their layers were built; unbatched
    // inputs get a batch of 1 here.
    const batch = (t: Tensor) => (unbatched ? t.unsqueeze(bDim) : t);
    const kpm = (m: Tensor | null | undefined) =>
      m && unbatched && m.rank === 1 ? m.unsqueeze(0) : (m ?? null);
    const memory = this.encoder.forward(batch(src), {
      mask: options.srcMask ?? null,
      srcKeyPaddingMask: kpm(options.srcKeyPaddingMask),
    });
    const out = this.decoder.forward(batch(tgt), memory, {
      tgtMask: options.tgtMask ?? null,
      memoryMask: options.memoryMask ?? null,
      tgtKeyPaddingMask: kpm(options.tgtKeyPaddingMask),
      memoryKeyPaddingMask: kpm(options.memoryKeyPaddingMask),
    });
    return unbatched ? out.squeeze(bDim) : out;
  }
}
