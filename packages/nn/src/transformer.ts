/**
 * Transformer blocks (Vaswani et al., 2017) as torch.nn.TransformerEncoderLayer/DecoderLayer and
 * their stacks, with PyTorch's child names (`self_attn`, `multihead_attn`, `linear1`, `linear2`,
 * `norm1`…`norm3`, `layers.{i}`, `norm`) so state dicts load by name.
 *
 * Post-norm (default, the paper's): x = norm(x + sublayer(x)). Pre-norm (`normFirst`):
 * x = x + sublayer(norm(x)).
 */
import { gelu, Module, relu, type Seed, type Tensor } from '@myelin/core';
import { MultiheadAttention } from './attention.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import { LayerNorm } from './normalization.js';
import { generatorFrom } from './util.js';

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

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super();
    this.#config = [dModel, nhead, { ...options }];
    const gen = generatorFrom(options.seed);
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
    const [y] = this.self_attn.forward(x, x, x, {
      attnMask: mask,
      keyPaddingMask: kpm,
      needWeights: false,
      isCausal,
    });
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

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super();
    this.#config = [dModel, nhead, { ...options }];
    const gen = generatorFrom(options.seed);
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
    const [y] = this.self_attn.forward(x, x, x, {
      attnMask: mask,
      keyPaddingMask: kpm,
      needWeights: false,
      isCausal,
    });
    return this.dropout1.forward(y);
  }

  private mhaBlock(
    x: Tensor,
    mem: Tensor,
    mask: Tensor | null,
    kpm: Tensor | null,
    isCausal: boolean,
  ): Tensor {
    const [y] = this.multihead_attn.forward(x, mem, mem, {
      attnMask: mask,
      keyPaddingMask: kpm,
      needWeights: false,
      isCausal,
    });
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
