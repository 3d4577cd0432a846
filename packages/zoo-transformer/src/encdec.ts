import { fmtShape, Generator, Module, noGrad, type Seed, scope, type Tensor, tensor } from '@myelin/core';
import { type Embedding, LayerNorm, Linear } from '@myelin/nn';
import { Block, checkIds, checkWidth, initLinear, normalEmbedding } from './blocks.js';

/** The configuration of an encoder–decoder transformer. */
export interface EncoderDecoderConfig {
  sourceVocab: number;
  targetVocab: number;
  /** Longest source and target the position tables hold. */
  maxSource: number;
  maxTarget: number;
  /** Width (default 64). */
  width?: number;
  /** Attention heads (default 4); must divide the width. */
  heads?: number;
  /** Encoder and decoder blocks (default 2 each). */
  encoderLayers?: number;
  decoderLayers?: number;
  /** Feed-forward hidden units (default 4 · width). */
  hidden?: number;
  dropout?: number;
  /** Source id that marks padding (ignored as a key; default 0). */
  sourcePad?: number;
  seed?: Seed;
}

/** Token and position embeddings, blocks and a final norm: one side of the model. */
class Stack extends Module {
  wte: Embedding;
  wpe: Embedding;
  h: Block[];
  ln_f: LayerNorm;

  constructor(
    vocab: number,
    maxLen: number,
    layers: number,
    cross: boolean,
    c: ResolvedConfig,
    gen?: Generator,
  ) {
    super();
    this.wte = normalEmbedding(vocab, c.width, gen);
    this.wpe = normalEmbedding(maxLen, c.width, gen);
    const projStd = 0.02 / Math.sqrt(2 * layers);
    this.h = Array.from(
      { length: layers },
      () =>
        new Block(c.width, {
          heads: c.heads,
          hidden: c.hidden,
          dropout: c.dropout,
          cross,
          projStd,
          ...(gen ? { gen } : {}),
        }),
    );
    this.ln_f = new LayerNorm(c.width);
  }

  embed(ids: Tensor): Tensor {
    const T = ids.shape[1]!;
    return this.wte.forward(ids).add(
      this.wpe.forward(
        tensor(
          Int32Array.from({ length: T }, (_, t) => t),
          { shape: [T], dtype: 'int32' },
        ),
      ),
    );
  }
}

type ResolvedConfig = Readonly<Required<Omit<EncoderDecoderConfig, 'seed'>>>;

/**
 * An encoder–decoder transformer (Vaswani et al. 2017) with pre-norm blocks: the encoder reads the
 * source with every token seeing every non-padding token; the decoder reads the target shifted
 * right, causally, and attends to the encoder's output. Names: `encoder.wte`, `encoder.wpe`,
 * `encoder.h.{i}` (`ln_1`, `attn.c_attn`, `attn.c_proj`, `ln_2`, `mlp.c_fc`, `mlp.c_proj`),
 * `encoder.ln_f`, `decoder.…` likewise plus `decoder.h.{i}.ln_x` and `.xattn.c_q`, `.xattn.c_kv`,
 * `.xattn.c_proj`, and `lm_head`.
 */
export class EncoderDecoder extends Module {
  encoder: Stack;
  decoder: Stack;
  lm_head: Linear;
  readonly config: ResolvedConfig;

  constructor(config: EncoderDecoderConfig) {
    super();
    const width = config.width ?? 64;
    const c: ResolvedConfig = {
      heads: 4,
      encoderLayers: 2,
      decoderLayers: 2,
      dropout: 0,
      sourcePad: 0,
      ...config,
      width,
      hidden: config.hidden ?? 4 * width,
    };
    for (const k of [
      'sourceVocab',
      'targetVocab',
      'maxSource',
      'maxTarget',
      'encoderLayers',
      'decoderLayers',
      'hidden',
    ] as const)
      if (!(Number.isInteger(c[k]) && c[k] >= 1))
        throw new RangeError(`EncoderDecoder: ${k} must be an integer ≥ 1, got ${c[k]}`);
    checkWidth('EncoderDecoder', width, c.heads);
    this.config = c;
    const gen =
      config.seed === undefined
        ? undefined
        : config.seed instanceof Generator
          ? config.seed
          : new Generator(config.seed);
    this.encoder = new Stack(c.sourceVocab, c.maxSource, c.encoderLayers, false, c, gen);
    this.decoder = new Stack(c.targetVocab, c.maxTarget, c.decoderLayers, true, c, gen);
    this.lm_head = new Linear(width, c.targetVocab);
    initLinear(this.lm_head, gen);
  }

  /** The (B, 1, 1, S) bool mask of source keys that are not padding. */
  sourceMask(source: Tensor): Tensor {
    const [B, S] = source.shape as [number, number];
    return source.notEqual(this.config.sourcePad).reshape([B, 1, 1, S]);
  }

  /** Encoder output (B, S, width) of source ids (B, S). */
  encode(source: Tensor): Tensor {
    const op = 'EncoderDecoder.encode';
    if (source.rank !== 2 || source.shape[0] === 0 || source.shape[1] === 0)
      throw new RangeError(
        `${op}: expected source ids (batch ≥ 1, length ≥ 1), got ${fmtShape(source.shape)}`,
      );
    if (source.shape[1]! > this.config.maxSource)
      throw new RangeError(
        `${op}: the source has ${source.shape[1]} tokens but the model holds ${this.config.maxSource} (maxSource)`,
      );
    checkIds(op, source, this.config.sourceVocab);
    const mask = this.sourceMask(source);
    let x = this.encoder.embed(source);
    for (const b of this.encoder.h) x = b.forward(x, { mask });
    return this.encoder.ln_f.forward(x);
  }

  /** Logits (B, T, targetVocab) of decoder inputs (B, T) (the target shifted right) given the memory. */
  decode(input: Tensor, memory: Tensor, source: Tensor): Tensor {
    const op = 'EncoderDecoder.decode';
    if (input.rank !== 2 || input.shape[0] !== memory.shape[0] || input.shape[1] === 0)
      throw new RangeError(
        `${op}: expected decoder ids (batch ${memory.shape[0]}, length ≥ 1), got ${fmtShape(input.shape)}`,
      );
    if (input.shape[1]! > this.config.maxTarget)
      throw new RangeError(
        `${op}: the target has ${input.shape[1]} tokens but the model holds ${this.config.maxTarget} (maxTarget)`,
      );
    checkIds(op, input, this.config.targetVocab);
    const memoryMask = this.sourceMask(source);
    let x = this.decoder.embed(input);
    for (const b of this.decoder.h) x = b.forward(x, { causal: true, memory, memoryMask });
    return this.lm_head.forward(this.decoder.ln_f.forward(x));
  }

  /** Teacher-forced logits (B, T, targetVocab). */
  forward(source: Tensor, input: Tensor): Tensor {
    return this.decode(input, this.encode(source), source);
  }

  /**
   * Greedy decoding of a batch: start from `bos`, append the most likely token each step, stop at
   * `maxLength` tokens (or when every row has produced `eos`). Returns (B, ≤ maxLength) ids.
   */
  greedy(source: Tensor, options: { bos: number; eos: number; maxLength: number }): Int32Array[] {
    const B = source.shape[0]!;
    const wasTraining = this.training;
    this.eval();
    try {
      return noGrad(() =>
        scope(() => {
          const memory = this.encode(source);
          const rows: number[][] = Array.from({ length: B }, () => [options.bos]);
          const done = new Uint8Array(B);
          for (let t = 0; t < options.maxLength; t++) {
            const ids = scope(() => {
              const input = tensor(Int32Array.from(rows.flat()), { shape: [B, t + 1], dtype: 'int32' });
              return this.decode(input, memory, source).slice(null, t).argmax(-1);
            });
            const next = ids.dataSync();
            ids.dispose();
            for (let b = 0; b < B; b++) {
              rows[b]!.push(next[b]!);
              if (next[b] === options.eos) done[b] = 1;
            }
            if (done.every((d) => d === 1)) break;
          }
          return rows.map((r) => Int32Array.from(r.slice(1)));
        }),
      );
    } finally {
      this.train(wasTraining);
    }
  }
}
