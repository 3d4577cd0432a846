import {
  fmtShape,
  Generator,
  gelu,
  Module,
  type Parameter,
  type Seed,
  type Tensor,
  tensor,
} from '@myelin/core';
import { Dropout, type Embedding, LayerNorm, Linear } from '@myelin/nn';
import {
  type AttentionSink,
  attend,
  checkIds,
  checkWidth,
  initLinear,
  normalEmbedding,
  normalParam,
} from './blocks.js';

/**
 * BERT (Devlin et al. 2019): token + position + segment embeddings, a **post-norm** encoder
 * (x = LayerNorm(x + sublayer(x)), unlike this package's pre-norm blocks), a pooler over the first
 * token, a masked-language-model head tied to the word embeddings and a classification head. The
 * parameter names are Hugging Face `BertModel`'s (`embeddings.word_embeddings.weight`,
 * `encoder.layer.{i}.attention.self.query.weight`, `….attention.output.dense`,
 * `….attention.output.LayerNorm`, `….intermediate.dense`, `….output.dense`, `….output.LayerNorm`,
 * `pooler.dense`), the heads those of `BertForPreTraining` (`cls.predictions.transform.dense`,
 * `cls.predictions.transform.LayerNorm`, `cls.predictions.bias`; the decoder weight is the word
 * embedding table) and `BertForSequenceClassification` (`classifier`), without the `bert.` prefix.
 */

/** The configuration of a BERT encoder (Hugging Face `BertConfig`'s fields, camel-cased). */
export interface BertConfig {
  vocabSize: number;
  /** Longest sequence (position embeddings; default 128). */
  maxPositions?: number;
  /** Segment (token type) ids (default 2). */
  typeVocabSize?: number;
  /** Width (default 128). */
  hiddenSize?: number;
  /** Encoder layers (default 2). */
  numLayers?: number;
  /** Attention heads (default 2); must divide the width. */
  numHeads?: number;
  /** Feed-forward units (default 4 · width). */
  intermediateSize?: number;
  /** Classes of the classification head (default 2). */
  numLabels?: number;
  /** Dropout on embeddings, attention weights, residual branches and the pooled vector while training (default 0.1). */
  dropout?: number;
  /** Layer-norm ε (default 1e-12, as BERT). */
  eps?: number;
  seed?: Seed;
}

type Resolved = Required<Omit<BertConfig, 'seed'>>;

/** What `Bert.encode` reads: ids, and optionally segments and a padding mask, all (B, T). */
export interface BertInput {
  /** Token ids (B, T) int32 in [0, vocabSize). */
  ids: Tensor;
  /** Segment ids (B, T) int32 in [0, typeVocabSize); default all 0. */
  tokenTypes?: Tensor;
  /** (B, T) bool, true for real tokens and false for padding (keys that are never attended to). */
  mask?: Tensor;
}

class BertEmbeddings extends Module {
  word_embeddings: Embedding;
  position_embeddings: Embedding;
  token_type_embeddings: Embedding;
  LayerNorm: LayerNorm;
  dropout: Dropout;

  constructor(c: Resolved, gen: Generator | undefined) {
    super();
    this.word_embeddings = normalEmbedding(c.vocabSize, c.hiddenSize, gen);
    this.position_embeddings = normalEmbedding(c.maxPositions, c.hiddenSize, gen);
    this.token_type_embeddings = normalEmbedding(c.typeVocabSize, c.hiddenSize, gen);
    this.LayerNorm = new LayerNorm(c.hiddenSize, { eps: c.eps });
    this.dropout = new Dropout(c.dropout, { seed: gen });
  }

  forward(ids: Tensor, types: Tensor): Tensor {
    const T = ids.shape[1]!;
    const pos = tensor(
      Int32Array.from({ length: T }, (_, t) => t),
      { shape: [T], dtype: 'int32' },
    );
    const x = this.word_embeddings
      .forward(ids)
      .add(this.position_embeddings.forward(pos))
      .add(this.token_type_embeddings.forward(types));
    return this.dropout.forward(this.LayerNorm.forward(x));
  }
}

/** q, k, v projections and multi-head attention (HF `BertSelfAttention`). */
class BertSelfAttention extends Module {
  query: Linear;
  key: Linear;
  value: Linear;
  readonly #gen: Generator | undefined;

  constructor(
    readonly width: number,
    readonly heads: number,
    readonly dropout: number,
    gen: Generator | undefined,
  ) {
    super();
    this.query = new Linear(width, width);
    this.key = new Linear(width, width);
    this.value = new Linear(width, width);
    for (const l of [this.query, this.key, this.value]) initLinear(l, gen);
    this.#gen = gen;
  }

  /** x (B, T, C), keep (B, 1, 1, T) bool → (B, T, C) before the output projection. */
  forward(x: Tensor, keep: Tensor | undefined, sink?: AttentionSink): Tensor {
    const [B, T, C] = x.shape as [number, number, number];
    const D = C / this.heads;
    const split = (l: Linear) => l.forward(x).reshape([B, T, this.heads, D]).transpose(1, 2);
    const y = attend(
      split(this.query),
      split(this.key),
      split(this.value),
      {
        ...(keep ? { mask: keep } : {}),
        dropout: this.training ? this.dropout : 0,
        training: this.training,
        ...(this.#gen ? { generator: this.#gen } : {}),
      },
      sink,
    );
    return y.transpose(1, 2).reshape([B, T, C]);
  }
}

/** LayerNorm(residual + dropout(dense(h))): HF's `BertSelfOutput` and `BertOutput`. */
class BertDenseNorm extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  dropout: Dropout;

  constructor(input: number, width: number, c: Resolved, gen: Generator | undefined) {
    super();
    this.dense = new Linear(input, width);
    initLinear(this.dense, gen);
    this.LayerNorm = new LayerNorm(width, { eps: c.eps });
    this.dropout = new Dropout(c.dropout, { seed: gen });
  }

  forward(h: Tensor, residual: Tensor): Tensor {
    return this.LayerNorm.forward(residual.add(this.dropout.forward(this.dense.forward(h))));
  }
}

class BertAttention extends Module {
  self: BertSelfAttention;
  output: BertDenseNorm;
  constructor(c: Resolved, gen: Generator | undefined) {
    super();
    this.self = new BertSelfAttention(c.hiddenSize, c.numHeads, c.dropout, gen);
    this.output = new BertDenseNorm(c.hiddenSize, c.hiddenSize, c, gen);
  }
}

class BertIntermediate extends Module {
  dense: Linear;
  constructor(c: Resolved, gen: Generator | undefined) {
    super();
    this.dense = new Linear(c.hiddenSize, c.intermediateSize);
    initLinear(this.dense, gen);
  }
}

/** One post-norm encoder layer (HF `BertLayer`). */
export class BertLayer extends Module {
  attention: BertAttention;
  intermediate: BertIntermediate;
  output: BertDenseNorm;

  constructor(c: Resolved, gen: Generator | undefined) {
    super();
    this.attention = new BertAttention(c, gen);
    this.intermediate = new BertIntermediate(c, gen);
    this.output = new BertDenseNorm(c.intermediateSize, c.hiddenSize, c, gen);
  }

  forward(x: Tensor, keep?: Tensor, sink?: AttentionSink): Tensor {
    const a = this.attention.output.forward(this.attention.self.forward(x, keep, sink), x);
    return this.output.forward(gelu(this.intermediate.dense.forward(a)), a);
  }
}

class BertEncoder extends Module {
  layer: BertLayer[];
  constructor(c: Resolved, gen: Generator | undefined) {
    super();
    this.layer = Array.from({ length: c.numLayers }, () => new BertLayer(c, gen));
  }
}

class BertPooler extends Module {
  dense: Linear;
  constructor(c: Resolved, gen: Generator | undefined) {
    super();
    this.dense = new Linear(c.hiddenSize, c.hiddenSize);
    initLinear(this.dense, gen);
  }
}

class BertPredictionHeadTransform extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  constructor(c: Resolved, gen: Generator | undefined) {
    super();
    this.dense = new Linear(c.hiddenSize, c.hiddenSize);
    initLinear(this.dense, gen);
    this.LayerNorm = new LayerNorm(c.hiddenSize, { eps: c.eps });
  }
}

class BertLMPredictionHead extends Module {
  transform: BertPredictionHeadTransform;
  bias: Parameter;
  constructor(c: Resolved, gen: Generator | undefined) {
    super();
    this.transform = new BertPredictionHeadTransform(c, gen);
    this.bias = normalParam([c.vocabSize], gen, 0);
  }
}

class BertPreTrainingHeads extends Module {
  predictions: BertLMPredictionHead;
  constructor(c: Resolved, gen: Generator | undefined) {
    super();
    this.predictions = new BertLMPredictionHead(c, gen);
  }
}

/**
 * A BERT encoder with its masked-language-model and classification heads.
 *
 * @example
 * const bert = new Bert({ vocabSize: 8000, maxPositions: 256, hiddenSize: 128, numLayers: 2, numHeads: 2, seed: 1 });
 * const h = bert.encode({ ids, mask });              // (B, T, 128)
 * const mlm = bert.mlmLogits(h, positions);          // (N, 8000) at N flat positions
 * const cls = bert.classify(bert.pool(h));           // (B, 2)
 */
export class Bert extends Module {
  embeddings: BertEmbeddings;
  encoder: BertEncoder;
  pooler: BertPooler;
  cls: BertPreTrainingHeads;
  dropout: Dropout;
  classifier: Linear;
  readonly config: Readonly<Resolved>;

  constructor(config: BertConfig) {
    super();
    const c: Resolved = {
      maxPositions: 128,
      typeVocabSize: 2,
      hiddenSize: 128,
      numLayers: 2,
      numHeads: 2,
      numLabels: 2,
      dropout: 0.1,
      eps: 1e-12,
      ...config,
      intermediateSize: config.intermediateSize ?? 4 * (config.hiddenSize ?? 128),
    } as Resolved;
    for (const k of [
      'vocabSize',
      'maxPositions',
      'typeVocabSize',
      'numLayers',
      'intermediateSize',
      'numLabels',
    ] as const)
      if (!(Number.isInteger(c[k]) && c[k] >= 1))
        throw new RangeError(`Bert: ${k} must be an integer ≥ 1, got ${c[k]}`);
    if (!(c.dropout >= 0 && c.dropout < 1))
      throw new RangeError(`Bert: dropout must be in [0, 1), got ${c.dropout}`);
    checkWidth('Bert', c.hiddenSize, c.numHeads);
    const { seed } = config;
    this.config = Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'seed')) as Resolved;
    const gen = seed === undefined ? undefined : seed instanceof Generator ? seed : new Generator(seed);
    this.embeddings = new BertEmbeddings(this.config, gen);
    this.encoder = new BertEncoder(this.config, gen);
    this.pooler = new BertPooler(this.config, gen);
    this.cls = new BertPreTrainingHeads(this.config, gen);
    this.dropout = new Dropout(c.dropout, { seed: gen });
    this.classifier = new Linear(c.hiddenSize, c.numLabels);
    initLinear(this.classifier, gen);
  }

  /**
   * Final hidden states (B, T, width). With `attention`, each layer's weights (B, heads, T, T) are
   * pushed onto it (the explicit softmax path; the fused one otherwise).
   */
  encode(input: BertInput, attention?: AttentionSink): Tensor {
    const op = 'Bert';
    const { ids } = input;
    if (ids.rank !== 2)
      throw new RangeError(`${op}: expected token ids (batch, time), got shape ${fmtShape(ids.shape)}`);
    const [B, T] = ids.shape as [number, number];
    if (B === 0 || T === 0) throw new RangeError(`${op}: the batch is empty (${fmtShape(ids.shape)})`);
    if (T > this.config.maxPositions)
      throw new RangeError(
        `${op}: ${T} tokens exceed the ${this.config.maxPositions} positions (maxPositions); expected at most ${this.config.maxPositions}`,
      );
    checkIds(op, ids, this.config.vocabSize);
    const sameShape = (name: string, t: Tensor | undefined, dtype: string) => {
      if (t === undefined) return;
      if (t.rank !== 2 || t.shape[0] !== B || t.shape[1] !== T)
        throw new RangeError(`${op}: ${name} must be (${B}, ${T}) like the ids, got ${fmtShape(t.shape)}`);
      if (t.dtype !== dtype) throw new TypeError(`${op}: ${name} must be ${dtype}, got ${t.dtype}`);
    };
    sameShape('mask', input.mask, 'bool');
    sameShape('tokenTypes', input.tokenTypes, 'int32');
    if (input.tokenTypes) checkIds(`${op} (token types)`, input.tokenTypes, this.config.typeVocabSize);
    const types = input.tokenTypes ?? tensor(new Int32Array(B * T), { shape: [B, T], dtype: 'int32' });
    const keep = input.mask?.reshape([B, 1, 1, T]);
    let x = this.embeddings.forward(ids, types);
    for (const layer of this.encoder.layer) x = layer.forward(x, keep, attention);
    return x;
  }

  /** tanh(dense(h[:, 0])): the first ([CLS]) token's pooled vector (B, width). */
  pool(hidden: Tensor): Tensor {
    return this.pooler.dense.forward(hidden.slice(null, 0)).tanh();
  }

  /** Class logits (B, numLabels) of a pooled vector (dropout while training). */
  classify(pooled: Tensor): Tensor {
    return this.classifier.forward(this.dropout.forward(pooled));
  }

  /**
   * Vocabulary logits (N, vocab) at `positions` (N flat indices into batch · time) of the hidden
   * states: dense → GELU → LayerNorm, then the word embedding table (tied) plus `cls.predictions.bias`.
   * Only the positions asked for pass through the head, as in BERT's pre-training.
   */
  mlmLogits(hidden: Tensor, positions: Tensor): Tensor {
    const [B, T, C] = hidden.shape as [number, number, number];
    if (positions.dtype !== 'int32' || positions.rank !== 1)
      throw new TypeError(
        `Bert.mlmLogits: positions must be a 1-D int32 tensor, got ${positions.dtype} ${fmtShape(positions.shape)}`,
      );
    const h = hidden.reshape([B * T, C]).indexSelect(0, positions);
    const t = this.cls.predictions.transform;
    const z = t.LayerNorm.forward(gelu(t.dense.forward(h)));
    return z
      .matmul(this.embeddings.word_embeddings.weight, { transposeB: true })
      .add(this.cls.predictions.bias);
  }

  /** Class logits (B, numLabels) of a batch: encode, pool, classify. */
  forward(input: BertInput): Tensor {
    return this.classify(this.pool(this.encode(input)));
  }
}

/** Options of `maskTokens`. */
export interface MaskTokensOptions {
  /** The [MASK] id. */
  maskId: number;
  /** Random replacements are drawn from [randomFrom, vocabSize) (skip the special tokens below it). */
  randomFrom: number;
  vocabSize: number;
  /** Ids never chosen (padding, [CLS], [SEP], …). */
  special: ReadonlySet<number>;
  /** Share of the other tokens chosen for prediction (default 0.15). */
  probability?: number;
  generator: Generator;
}

/** A batch masked for MLM: the model's input, and what it must predict where. */
export interface MaskedTokens {
  /** The ids with the chosen positions replaced (80 % [MASK], 10 % a random id, 10 % kept). */
  input: Int32Array;
  /** Flat indices of the chosen positions, ascending. */
  positions: Int32Array;
  /** The original ids there. */
  targets: Int32Array;
}

/**
 * BERT's masking (Devlin et al. 2019 §3.1, as Hugging Face's `DataCollatorForLanguageModeling`):
 * each non-special token is chosen with probability 0.15; a chosen token becomes [MASK] with
 * probability 0.8, a uniformly random id with 0.1, and stays itself with 0.1; the model predicts the
 * original at every chosen position. Seeded by `generator`. If no token is chosen in the whole batch,
 * one is (so a loss always exists).
 */
export function maskTokens(ids: Int32Array, options: MaskTokensOptions): MaskedTokens {
  const { maskId, randomFrom, vocabSize, special, generator: g } = options;
  const p = options.probability ?? 0.15;
  if (!(p > 0 && p <= 1)) throw new RangeError(`maskTokens: probability must be in (0, 1], got ${p}`);
  if (!(randomFrom >= 0 && randomFrom < vocabSize))
    throw new RangeError(`maskTokens: randomFrom ${randomFrom} must be in [0, ${vocabSize})`);
  const n = ids.length;
  const u = g.uniform(2 * n);
  const input = Int32Array.from(ids);
  const chosen: number[] = [];
  for (let i = 0; i < n; i++) if (!special.has(ids[i]!) && u[2 * i]! < p) chosen.push(i);
  if (chosen.length === 0) {
    const candidates: number[] = [];
    for (let i = 0; i < n; i++) if (!special.has(ids[i]!)) candidates.push(i);
    if (candidates.length > 0) chosen.push(candidates[g.randint(0, candidates.length, 1)[0]!]!);
  }
  const replacements = g.randint(randomFrom, vocabSize, Math.max(chosen.length, 1));
  chosen.forEach((i, k) => {
    const r = u[2 * i + 1]!;
    if (r < 0.8) input[i] = maskId;
    else if (r < 0.9) input[i] = replacements[k]!;
  });
  const positions = Int32Array.from(chosen);
  return { input, positions, targets: Int32Array.from(chosen, (i) => ids[i]!) };
}
