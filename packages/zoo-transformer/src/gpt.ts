import {
  fmtShape,
  Generator,
  Module,
  noGrad,
  type Parameter,
  type Seed,
  scope,
  type Tensor,
  tensor,
} from '@myelin/core';
import { Dropout, type Embedding, LayerNorm, Linear } from '@myelin/nn';
import {
  type AttentionSink,
  Block,
  checkIds,
  checkWidth,
  type KvEntry,
  normalEmbedding,
  normalParam,
  type PositionKind,
  sinusoids,
} from './blocks.js';
import { type SampleOptions, sampleToken } from './sampling.js';

/** The configuration of a decoder-only GPT. */
export interface GPTConfig {
  vocabSize: number;
  /** Longest context (positions) the model reads. */
  blockSize: number;
  /** Blocks (default 4). */
  nLayer?: number;
  /** Attention heads (default 4); must divide `nEmbd`. */
  nHead?: number;
  /** Width (default 128). */
  nEmbd?: number;
  /** Feed-forward hidden units (default 4 · nEmbd). */
  hidden?: number;
  /** Dropout on embeddings, attention weights and residual branches while training (default 0). */
  dropout?: number;
  /** Biases in the linear layers and layer norms' shifts (default true). */
  bias?: boolean;
  /** 'learned' (GPT-2's `wpe`, default), 'sinusoidal' (fixed table) or 'rotary' (RoPE on q and k). */
  positions?: PositionKind;
  /** `lm_head.weight` is `transformer.wte.weight` (default true, as GPT-2). */
  tieWeights?: boolean;
  seed?: Seed;
}

/** Per-layer keys and values of the tokens read so far. */
export type KvCache = KvEntry[];

/** The token embedding, positions, blocks and final norm (nanoGPT's `transformer` ModuleDict). */
class GPTBody extends Module {
  wte: Embedding;
  wpe: Embedding | null;
  drop: Dropout;
  h: Block[];
  ln_f: LayerNorm;

  constructor(c: Required<Omit<GPTConfig, 'seed'>>, gen: Generator | undefined) {
    super();
    this.wte = normalEmbedding(c.vocabSize, c.nEmbd, gen);
    this.wpe = c.positions === 'learned' ? normalEmbedding(c.blockSize, c.nEmbd, gen) : null;
    this.drop = new Dropout(c.dropout, { seed: gen });
    // GPT-2 scales the residual projections by 1/√(2·layers) (nanoGPT: `c_proj.weight` std).
    const projStd = 0.02 / Math.sqrt(2 * c.nLayer);
    this.h = Array.from(
      { length: c.nLayer },
      () =>
        new Block(c.nEmbd, {
          heads: c.nHead,
          hidden: c.hidden,
          dropout: c.dropout,
          bias: c.bias,
          rotary: c.positions === 'rotary',
          projStd,
          ...(gen ? { gen } : {}),
        }),
    );
    this.ln_f = new LayerNorm(c.nEmbd, { bias: c.bias });
  }
}

/**
 * A decoder-only transformer language model (Radford et al. 2019, GPT-2; pre-norm blocks, GELU,
 * causal self-attention) in nanoGPT's parameter names: `transformer.wte.weight`,
 * `transformer.wpe.weight` (learned positions only), `transformer.h.{i}.ln_1`, `.attn.c_attn`,
 * `.attn.c_proj`, `.ln_2`, `.mlp.c_fc`, `.mlp.c_proj`, `transformer.ln_f`, `lm_head.weight` (the
 * same parameter as `wte.weight` when tied, listed once as PyTorch's `named_parameters` does).
 *
 * @example
 * const gpt = new GPT({ vocabSize: 65, blockSize: 128, nLayer: 4, nHead: 4, nEmbd: 128, seed: 1 });
 * const logits = gpt.forward(ids);                 // (B, T, 65)
 * const more = gpt.generate(prompt, 200, { temperature: 0.8, topK: 20, seed: 3 });
 */
export class GPT extends Module {
  transformer: GPTBody;
  lm_head: Linear;
  readonly config: Readonly<Required<Omit<GPTConfig, 'seed'>>>;

  constructor(config: GPTConfig) {
    super();
    const c = {
      nLayer: 4,
      nHead: 4,
      nEmbd: 128,
      dropout: 0,
      bias: true,
      positions: 'learned' as PositionKind,
      tieWeights: true,
      ...config,
      hidden: config.hidden ?? 4 * (config.nEmbd ?? 128),
    };
    for (const k of ['vocabSize', 'blockSize', 'nLayer', 'hidden'] as const)
      if (!(Number.isInteger(c[k]) && c[k] >= 1))
        throw new RangeError(`GPT: ${k} must be an integer ≥ 1, got ${c[k]}`);
    checkWidth('GPT', c.nEmbd, c.nHead);
    if (!['learned', 'sinusoidal', 'rotary'].includes(c.positions))
      throw new RangeError(
        `GPT: positions must be 'learned', 'sinusoidal' or 'rotary', got ${JSON.stringify(c.positions)}`,
      );
    const { seed, ...rest } = c;
    this.config = rest;
    const gen = seed === undefined ? undefined : seed instanceof Generator ? seed : new Generator(seed);
    this.transformer = new GPTBody(rest, gen);
    this.lm_head = new Linear(c.nEmbd, c.vocabSize, { bias: false });
    if (c.tieWeights) {
      this.lm_head.weight.dispose();
      this.lm_head.weight = this.transformer.wte.weight as Parameter;
    } else {
      const w = normalParam([c.vocabSize, c.nEmbd], gen);
      this.lm_head.weight.assign(w);
      w.dispose();
    }
  }

  /** Hidden states (B, T, C) after `ln_f`, and the cache extended by `ids`. */
  private hidden(ids: Tensor, cache: KvCache | null, attention?: AttentionSink): [Tensor, KvCache] {
    const op = 'GPT';
    if (ids.rank !== 2)
      throw new RangeError(`${op}: expected token ids (batch, time), got shape ${fmtShape(ids.shape)}`);
    const [B, T] = ids.shape as [number, number];
    if (B === 0 || T === 0) throw new RangeError(`${op}: the batch is empty (${fmtShape(ids.shape)})`);
    const offset = cache?.[0]?.k.shape[2] ?? 0;
    if (offset + T > this.config.blockSize)
      throw new RangeError(
        `${op}: ${offset > 0 ? `${offset} cached + ` : ''}${T} tokens exceed the context of ${this.config.blockSize} (blockSize)`,
      );
    checkIds(op, ids, this.config.vocabSize);
    const { wte, wpe, drop, h, ln_f } = this.transformer;
    let x = wte.forward(ids);
    if (wpe) {
      const pos = tensor(
        Int32Array.from({ length: T }, (_, t) => offset + t),
        { shape: [T], dtype: 'int32' },
      );
      x = x.add(wpe.forward(pos));
    } else if (this.config.positions === 'sinusoidal') {
      x = x.add(sinusoids(T, this.config.nEmbd, offset));
    }
    x = drop.forward(x);
    const next: KvCache = [];
    h.forEach((block, i) => {
      const [y, entry] = block.forwardCached(x, {
        causal: true,
        ...(cache ? { cache: cache[i]! } : {}),
        ...(attention ? { attention } : {}),
      });
      x = y;
      next.push(entry);
    });
    return [ln_f.forward(x), next];
  }

  /**
   * Next-token logits (B, T, vocab) of token ids (B, T) int32, T ≤ blockSize. With `attention`, each
   * layer's causal attention weights (B, heads, T, T) are pushed onto it (the explicit softmax path;
   * the fused one otherwise).
   */
  forward(ids: Tensor, attention?: AttentionSink): Tensor {
    return this.lm_head.forward(this.hidden(ids, null, attention)[0]);
  }

  /**
   * One incremental step: logits of the last position (B, vocab) of `ids` (B, T) read after the
   * tokens in `cache`, and the extended cache (the old one is left to the caller).
   */
  forwardCached(ids: Tensor, cache: KvCache | null): [Tensor, KvCache] {
    const [x, next] = this.hidden(ids, cache);
    const [B, T, C] = x.shape as [number, number, number];
    const last = T === 1 ? x.reshape([B, C]) : x.slice(null, T - 1);
    return [this.lm_head.forward(last), next];
  }

  /**
   * Continue `prompt` (ids, 1 … blockSize of them) by `maxNewTokens` sampled tokens: eval mode, no
   * gradients, seeded. With `cache` (default true) each step reads one new token against the kept
   * keys and values; without, each step re-reads the whole context (as nanoGPT's `generate`). Past
   * the context the window slides (the oldest token drops and the cache is rebuilt), so both give
   * the same tokens. Returns the new ids only.
   */
  generate(
    prompt: ArrayLike<number>,
    maxNewTokens: number,
    options: SampleOptions & { seed?: number; cache?: boolean } = {},
  ): Int32Array {
    const op = 'GPT.generate';
    const { blockSize, vocabSize } = this.config;
    if (prompt.length === 0)
      throw new RangeError(`${op}: the prompt is empty; expected at least one token id`);
    if (prompt.length > blockSize)
      throw new RangeError(
        `${op}: the prompt has ${prompt.length} tokens but the context holds ${blockSize} (blockSize)`,
      );
    for (let i = 0; i < prompt.length; i++)
      if (!(Number.isInteger(prompt[i]) && prompt[i]! >= 0 && prompt[i]! < vocabSize))
        throw new RangeError(
          `${op}: prompt token ${prompt[i]} at ${i} is outside the vocabulary [0, ${vocabSize})`,
        );
    if (!(Number.isInteger(maxNewTokens) && maxNewTokens >= 0))
      throw new RangeError(`${op}: maxNewTokens must be an integer ≥ 0, got ${maxNewTokens}`);
    const useCache = options.cache ?? true;
    const gen = new Generator(options.seed ?? 0);
    const wasTraining = this.training;
    this.eval();
    const tokens = Array.from(prompt);
    const out = new Int32Array(maxNewTokens);
    let cache: KvCache | null = null;
    const drop = () => {
      for (const e of cache ?? []) {
        e.k.dispose();
        e.v.dispose();
      }
      cache = null;
    };
    try {
      let fresh = tokens.slice();
      for (let n = 0; n < maxNewTokens; n++) {
        const held = cache === null ? 0 : (cache as KvCache)[0]!.k.shape[2]!;
        if (!useCache || held + fresh.length > blockSize) {
          // Re-read the last blockSize tokens from position 0.
          drop();
          fresh = tokens.slice(-blockSize);
        }
        const input = fresh;
        const prev: KvCache | null = cache;
        const [logits, next]: [Tensor, KvCache] = noGrad(() =>
          scope((): [Tensor, KvCache] =>
            this.forwardCached(
              tensor(Int32Array.from(input), { shape: [1, input.length], dtype: 'int32' }),
              prev,
            ),
          ),
        );
        drop();
        cache = useCache ? next : null;
        if (!useCache)
          for (const e of next) {
            e.k.dispose();
            e.v.dispose();
          }
        const row = logits.dataSync();
        logits.dispose();
        const id = sampleToken(row, gen, options);
        out[n] = id;
        tokens.push(id);
        fresh = [id];
      }
    } finally {
      drop();
      this.train(wasTraining);
    }
    return out;
  }
}
