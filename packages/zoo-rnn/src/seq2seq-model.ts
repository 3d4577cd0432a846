import {
  argmax,
  concat,
  fmtShape,
  Module,
  noGrad,
  type Seed,
  scope,
  stack,
  type Tensor,
  tensor,
} from '@myelin/core';
import { Embedding, GRU, GRUCell, Linear } from '@myelin/nn';
import { type Attention, type AttentionScore, attention, generatorOf } from './attention.js';
import { beamSearch, type Hypothesis, type StepDecoder } from './beam.js';

/**
 * An encoder–decoder with attention (Bahdanau et al. 2015; Luong et al. 2015): a bidirectional GRU
 * reads the source, its outputs are projected to the decoder's size (the "memory" attended to),
 * and a GRU cell writes the target one token at a time.
 *
 * - Bahdanau (`'bahdanau'`): the previous decoder state queries the memory; the cell reads
 *   [embedding; context].
 * - Luong (`'dot'`, `'general'`, `'concat'`): the cell reads [embedding; h̃_{t−1}] (input feeding,
 *   §3.3), its new state queries the memory.
 *
 * Both predict from the attentional state h̃_t = tanh(W_c [h_t; c_t]) (Luong eq. 5). Token id 0 of
 * the source is padding, masked out of the attention and of the encoder summary.
 */

export interface Seq2SeqOptions {
  sourceVocab: number;
  targetVocab: number;
  /** Embedding size of source and target tokens (default 32). */
  embeddingDim?: number;
  /** Decoder state size; each encoder direction has as many units (default 64). */
  hiddenSize?: number;
  /** The attention score (default 'bahdanau'). */
  attention?: AttentionScore;
  /** The longest source the model accepts (default 64). */
  maxSourceLength?: number;
  seed?: Seed;
}

/** The decoder's state between steps. */
export interface DecoderState {
  /** The GRU cell's state `[B, H]`. */
  h: Tensor;
  /** The last attentional state h̃ `[B, H]` (Luong's input feeding). */
  feed: Tensor;
  /** The encoder's memory `[B, S, H]`, its key projection, and the padding mask `[B, S]`. */
  memory: Tensor;
  projected: Tensor;
  mask: Tensor;
}

/** One decoder step's output. */
export interface DecoderStep {
  logits: Tensor;
  /** Attention weights `[B, S]`. */
  weights: Tensor;
  state: DecoderState;
}

export class Seq2Seq extends Module {
  readonly sourceVocab: number;
  readonly targetVocab: number;
  readonly hiddenSize: number;
  readonly maxSourceLength: number;
  readonly score: AttentionScore;
  readonly sourceEmbedding: Embedding;
  readonly encoder: GRU;
  readonly memoryProjection: Linear;
  readonly bridge: Linear;
  readonly targetEmbedding: Embedding;
  readonly cell: GRUCell;
  readonly attention: Attention;
  readonly combine: Linear;
  readonly out: Linear;

  constructor(options: Seq2SeqOptions) {
    super();
    const op = 'Seq2Seq';
    const e = options.embeddingDim ?? 32;
    const h = (this.hiddenSize = options.hiddenSize ?? 64);
    this.sourceVocab = options.sourceVocab;
    this.targetVocab = options.targetVocab;
    this.maxSourceLength = options.maxSourceLength ?? 64;
    this.score = options.attention ?? 'bahdanau';
    for (const [name, v] of [
      ['sourceVocab', this.sourceVocab],
      ['targetVocab', this.targetVocab],
      ['maxSourceLength', this.maxSourceLength],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new RangeError(`${op}: ${name} must be an integer ≥ 1, got ${v}`);
    }
    const gen = generatorOf(options.seed);
    this.sourceEmbedding = new Embedding(this.sourceVocab, e, { paddingIdx: 0, seed: gen.fork() });
    this.encoder = new GRU(e, h, { batchFirst: true, bidirectional: true, seed: gen.fork() });
    this.memoryProjection = new Linear(2 * h, h, { seed: gen.fork() });
    this.bridge = new Linear(2 * h, h, { seed: gen.fork() });
    this.targetEmbedding = new Embedding(this.targetVocab, e, { seed: gen.fork() });
    this.cell = new GRUCell(e + h, h, { seed: gen.fork() });
    this.attention = attention(this.score, h, h, { seed: gen.fork() });
    this.combine = new Linear(2 * h, h, { seed: gen.fork() });
    this.out = new Linear(h, this.targetVocab, { seed: gen.fork() });
  }

  #checkIds(op: string, ids: Tensor, what: string): void {
    if (ids.dtype !== 'int32' || ids.rank !== 2) {
      throw new TypeError(
        `${op}: ${what} must be int32 [batch, length], got ${ids.dtype} ${fmtShape(ids.shape)}`,
      );
    }
  }

  /** Encode source ids `[B, S]` (0 = padding): the decoder's initial state. */
  encode(source: Tensor): DecoderState {
    const op = 'Seq2Seq.encode';
    this.#checkIds(op, source, 'the source');
    const s = source.shape[1]!;
    if (s > this.maxSourceLength) {
      throw new RangeError(
        `${op}: the source has ${s} positions, more than maxSourceLength ${this.maxSourceLength}`,
      );
    }
    if (s === 0) throw new RangeError(`${op}: the source is empty (0 positions)`);
    const mask = source.equal(0);
    const [outputs] = this.encoder.forward(this.sourceEmbedding.forward(source));
    const valid = mask.logicalNot().cast('float32').unsqueeze(2);
    // The mean encoder output over real positions summarises the source for the first state.
    const summary = outputs.mul(valid).sum(1).div(valid.sum(1).maximum(1));
    const h = this.bridge.forward(summary).tanh();
    const memory = this.memoryProjection.forward(outputs);
    return { h, feed: h.mul(0), memory, projected: this.attention.projectKeys(memory), mask };
  }

  /** One decoder step from `state` for the previous tokens `tokens` `[B]` (int32). */
  step(tokens: Tensor, state: DecoderState): DecoderStep {
    const op = 'Seq2Seq.step';
    const b = state.memory.shape[0]!;
    if (tokens.dtype !== 'int32' || tokens.rank !== 1 || tokens.shape[0] !== b) {
      throw new RangeError(
        `${op}: tokens must be int32 [${b}], got ${tokens.dtype} ${fmtShape(tokens.shape)}`,
      );
    }
    for (const [name, t] of [
      ['h', state.h],
      ['feed', state.feed],
    ] as const) {
      if (t.rank !== 2 || t.shape[0] !== b || t.shape[1] !== this.hiddenSize) {
        throw new RangeError(
          `${op}: the decoder state ${name} should be [${b}, ${this.hiddenSize}], got ${fmtShape(t.shape)}`,
        );
      }
    }
    const emb = this.targetEmbedding.forward(tokens);
    let h: Tensor;
    let context: Tensor;
    let weights: Tensor;
    if (this.score === 'bahdanau') {
      ({ context, weights } = this.attention.forward(state.h, state.memory, state.mask, state.projected));
      h = this.cell.forward(concat([emb, context], 1), state.h);
    } else {
      h = this.cell.forward(concat([emb, state.feed], 1), state.h);
      ({ context, weights } = this.attention.forward(h, state.memory, state.mask, state.projected));
    }
    const feed = this.combine.forward(concat([h, context], 1)).tanh();
    return { logits: this.out.forward(feed), weights, state: { ...state, h, feed } };
  }

  /**
   * Teacher-forced logits `[B, T, V]` for source `[B, S]` and decoder inputs `[B, T]` (the target
   * shifted right, starting with the start token). With `sampleProbability` p > 0 each step after
   * the first feeds the model's own previous prediction instead, with probability p per step
   * (scheduled sampling, Bengio et al. 2015); `coin` supplies the uniform draws.
   */
  forward(
    source: Tensor,
    decoderInput: Tensor,
    options: { sampleProbability?: number; coin?: () => number } = {},
  ): Tensor {
    const op = 'Seq2Seq.forward';
    this.#checkIds(op, decoderInput, 'the decoder input');
    if (decoderInput.shape[0] !== source.shape[0]) {
      throw new RangeError(
        `${op}: ${source.shape[0]} sources but ${decoderInput.shape[0]} decoder inputs; expected as many`,
      );
    }
    let state = this.encode(source);
    const steps = decoderInput.shape[1]!;
    const p = options.sampleProbability ?? 0;
    const logits: Tensor[] = [];
    let prev: Tensor | null = null;
    for (let t = 0; t < steps; t++) {
      const own = prev !== null && p > 0 && (options.coin ?? Math.random)() < p;
      const tokens = own ? argmax(prev!, 1).cast('int32') : decoderInput.slice(null, t);
      const out = this.step(tokens, state);
      state = out.state;
      prev = out.logits.detach();
      logits.push(out.logits);
    }
    return stack(logits, 1);
  }

  /**
   * Greedy decoding of `maxLength` tokens from source ids `[B, S]` (no gradients): the tokens
   * `[B, maxLength]` and the attention weights `[B, maxLength, S]`, as host arrays.
   */
  async greedy(
    source: Tensor,
    maxLength: number,
    bos: number,
  ): Promise<{ tokens: Int32Array; attention: Float32Array }> {
    const b = source.shape[0]!;
    const s = source.shape[1]!;
    const tokens = new Int32Array(b * maxLength);
    const weightsOut = new Float32Array(b * maxLength * s);
    const held = noGrad(() =>
      scope(() => {
        let state = this.encode(source);
        let prev = tensor(new Int32Array(b).fill(bos), { dtype: 'int32' });
        const picks: Tensor[] = [];
        const weights: Tensor[] = [];
        for (let t = 0; t < maxLength; t++) {
          const out = this.step(prev, state);
          state = out.state;
          prev = argmax(out.logits, 1).cast('int32');
          picks.push(prev);
          weights.push(out.weights);
        }
        return { picks: stack(picks, 1), weights: stack(weights, 1) };
      }),
    );
    try {
      tokens.set(await held.picks.data());
      weightsOut.set(await held.weights.data());
    } finally {
      held.picks.dispose();
      held.weights.dispose();
    }
    return { tokens, attention: weightsOut };
  }

  /**
   * Beam search for one source `[1, S]`: the best `beamWidth` outputs by total log-probability
   * (see `beamSearch`).
   */
  async beam(
    source: Tensor,
    options: { beamWidth: number; maxLength: number; bos: number; eos: number },
  ): Promise<Hypothesis[]> {
    if (source.rank !== 2 || source.shape[0] !== 1) {
      throw new RangeError(
        `Seq2Seq.beam: decodes one source [1, length] at a time, got ${fmtShape(source.shape)}`,
      );
    }
    const keys: (keyof DecoderState)[] = ['h', 'feed', 'memory', 'projected', 'mask'];
    // Every state the search holds owns all its tensors, so disposing one never frees another's.
    const decoder: StepDecoder<DecoderState> = {
      step: async (tokens, state) => {
        const { logp, next } = noGrad(() =>
          scope(() => {
            const out = this.step(tensor(tokens, { dtype: 'int32' }), state);
            const { memory, projected, mask } = out.state;
            return {
              logp: out.logits.logSoftmax(1),
              next: {
                ...out.state,
                memory: memory.clone(),
                projected: projected.clone(),
                mask: mask.clone(),
              },
            };
          }),
        );
        const logProbs = await logp.data();
        logp.dispose();
        return { logProbs: logProbs as Float32Array, state: next };
      },
      select: (state, rows) =>
        noGrad(() =>
          scope(() => {
            const idx = tensor(rows, { dtype: 'int32' });
            const pick = (t: Tensor) => t.indexSelect(0, idx);
            return {
              h: pick(state.h),
              feed: pick(state.feed),
              memory: pick(state.memory),
              projected: pick(state.projected),
              mask: pick(state.mask),
            };
          }),
        ),
      dispose: (state) => {
        for (const k of keys) state[k].dispose();
      },
    };
    const initial = noGrad(() => scope(() => this.encode(source)));
    try {
      return await beamSearch(decoder, initial, options);
    } finally {
      decoder.dispose!(initial);
    }
  }
}
