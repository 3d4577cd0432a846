import {
  concat,
  dropout,
  fmtShape,
  type Generator,
  indexSelect,
  Module,
  max,
  type Parameter,
  type Seed,
  sum,
  Tensor,
  tensor,
  where,
} from '@myelin/core';
import { Embedding, GRU, Linear, LSTM } from '@myelin/nn';
import { checkLengths, lengthMask, lengthsFromMask, reverseWithinLengths } from './padding.js';

/**
 * Recurrent sequence models on padded variable-length batches: a many-to-one classifier and a
 * many-to-one tagger over an `nn.LSTM`/`nn.GRU` stack. Parameter names are PyTorch's
 * (`embedding.weight`, `rnn.weight_ih_l0`, `rnn.weight_hh_l0_reverse`, `fc.weight`), so the state
 * dict of the same PyTorch model loads by name.
 *
 * Padding never changes a result: batches are padded at the end, the forward direction reads the
 * valid steps first, and the backward direction of a bidirectional stack runs over each sequence
 * reversed within its own length (what PyTorch's packed sequences do), so every output at a valid
 * step equals the output of running that sequence alone.
 */

export type CellKind = 'lstm' | 'gru';
export type Pooling = 'last' | 'mean' | 'max';

export interface RecurrentOptions {
  /** LSTM (default) or GRU cells. */
  cell?: CellKind;
  hiddenSize: number;
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** A second, reversed direction whose outputs are concatenated (default false). */
  bidirectional?: boolean;
  /** Dropout between stacked layers while training (default 0). */
  dropout?: number;
  seed?: Seed;
}

/** Token ids (int32) or raw features (float32) as the models take them. */
export interface InputOptions {
  /** Token ids from a vocabulary of this size, looked up in an `Embedding` (`embedding.weight`). */
  vocabSize?: number;
  /** The embedding size (default 64), with `vocabSize`. */
  embeddingDim?: number;
  /** Raw features per step, `[batch, steps, inputSize]` float32 (without `vocabSize`). */
  inputSize?: number;
  /** The embedding row of padding (default 0 with `vocabSize`: its vector stays zero). */
  paddingIdx?: number;
}

/** Token ids must lie in [0, vocabSize): checked on the host before the lookup. */
export function checkTokenIds(op: string, ids: ArrayLike<number>, vocabSize: number): void {
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i]!;
    if (!(Number.isInteger(v) && v >= 0 && v < vocabSize))
      throw new RangeError(
        `${op}: token id ${v} at position ${i} is outside the vocabulary; expected an id in [0, ${vocabSize})`,
      );
  }
}

type Recurrent = LSTM | GRU;

/**
 * The valid steps of each sequence of a padded batch: one length per sequence, or a `[batch, steps]`
 * mask (true/1 on valid steps, all before the padding); null or omitted: every step is valid.
 */
export type Lengths = ArrayLike<number> | Tensor | null | undefined;

function makeRecurrent(
  cell: CellKind,
  inputSize: number,
  o: RecurrentOptions,
  seed: Seed | undefined,
): Recurrent {
  const options = {
    numLayers: o.numLayers ?? 1,
    bidirectional: o.bidirectional ?? false,
    dropout: o.dropout ?? 0,
    batchFirst: true,
    ...(seed === undefined ? {} : { seed }),
  };
  return cell === 'gru'
    ? new GRU(inputSize, o.hiddenSize, options)
    : new LSTM(inputSize, o.hiddenSize, options);
}

const PARAMS = ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'] as const;

/**
 * A one-layer, one-direction view of layer `layer`, direction `dir` of `stack`: an `nn.LSTM`/`GRU`
 * whose parameters are the stack's own (shared, not copied), so it runs the same fused cells.
 */
function layerView(stack: Recurrent, layer: number, dir: number): Recurrent {
  const inSize = layer === 0 ? stack.inputSize : stack.hiddenSize * 2;
  const view =
    stack instanceof LSTM
      ? new LSTM(inSize, stack.hiddenSize, { batchFirst: true })
      : new GRU(inSize, stack.hiddenSize, { batchFirst: true });
  const slots = view as unknown as Record<string, Parameter>;
  for (const p of PARAMS) {
    const own = slots[`${p}_l0`];
    own?.dispose();
    slots[`${p}_l0`] = stack.getParameter(`${p}_l${layer}${dir ? '_reverse' : ''}`);
  }
  return view;
}

/**
 * The outputs `[batch, steps, dirs·hidden]` of `stack` (batch-first) over `x` with `lengths`
 * (null: all sequences fill every step). Unidirectional stacks run as they are; bidirectional
 * ones layer by layer, the backward direction over each sequence reversed within its length.
 * Outputs at padded steps are left as the recurrence makes them: mask them.
 */
export function runMasked(
  stack: Recurrent,
  views: Recurrent[],
  x: Tensor,
  lengths: Int32Array | null,
  training: boolean,
  gen: Generator | undefined,
): Tensor {
  const [B, T] = x.shape as [number, number, number];
  const full = !lengths || lengths.every((n) => n === T);
  if (!stack.bidirectional || full) return stack.forward(x)[0];
  if (views.length === 0)
    for (let l = 0; l < stack.numLayers; l++) views.push(layerView(stack, l, 0), layerView(stack, l, 1));
  const rev = tensor(reverseWithinLengths(lengths, T), { shape: [B * T], dtype: 'int32' });
  const reverse = (t: Tensor) => {
    const F = t.shape[2]!;
    return indexSelect(t.reshape([B * T, F]), 0, rev).reshape([B, T, F]);
  };
  let input = x;
  for (let l = 0; l < stack.numLayers; l++) {
    const fwd = views[2 * l]!.forward(input)[0];
    const bwd = reverse(views[2 * l + 1]!.forward(reverse(input))[0]);
    input = concat([fwd, bwd], 2);
    if (training && stack.dropout > 0 && l < stack.numLayers - 1)
      input = dropout(input, stack.dropout, { training: true, ...(gen ? { seed: gen } : {}) });
  }
  return input;
}

/** Shared body of the classifier and the tagger: input checks, the lookup and the masked stack. */
abstract class RecurrentBase extends Module {
  readonly cell: CellKind;
  readonly vocabSize: number | null;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly directions: number;
  embedding: Embedding | null;
  rnn: Recurrent;
  readonly #views: Recurrent[] = [];

  protected constructor(
    readonly op: string,
    options: InputOptions & RecurrentOptions,
  ) {
    super();
    this.cell = options.cell ?? 'lstm';
    if (this.cell !== 'lstm' && this.cell !== 'gru')
      throw new RangeError(`${op}: cell must be 'lstm' or 'gru', got '${String(this.cell)}'`);
    if ((options.vocabSize === undefined) === (options.inputSize === undefined))
      throw new RangeError(
        `${op}: give vocabSize (token ids) or inputSize (raw features), exactly one; got ${
          options.vocabSize === undefined ? 'neither' : 'both'
        }`,
      );
    this.vocabSize = options.vocabSize ?? null;
    if (options.vocabSize !== undefined) {
      const dim = options.embeddingDim ?? 64;
      this.embedding = new Embedding(options.vocabSize, dim, {
        paddingIdx: options.paddingIdx ?? 0,
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      });
      this.inputSize = dim;
    } else {
      this.embedding = null;
      this.inputSize = options.inputSize!;
    }
    this.hiddenSize = options.hiddenSize;
    this.directions = options.bidirectional ? 2 : 1;
    this.rnn = makeRecurrent(this.cell, this.inputSize, options, options.seed);
  }

  /** Check `x` and `lengths`; the embedded or raw input `[B, T, inputSize]` and the host lengths. */
  protected input(x: Tensor, lengths?: Lengths): [Tensor, Int32Array | null, number, number] {
    const op = this.op;
    if (this.embedding) {
      if (x.rank !== 2 || x.dtype !== 'int32')
        throw new RangeError(
          `${op}: expected token ids [batch, steps] int32, got ${fmtShape(x.shape)} ${x.dtype}`,
        );
      checkTokenIds(op, x.dataSync(), this.vocabSize!);
    } else if (x.rank !== 3 || x.shape[2] !== this.inputSize)
      throw new RangeError(
        `${op}: expected features [batch, steps, ${this.inputSize}], got ${fmtShape(x.shape)}`,
      );
    const [B, T] = x.shape as [number, number];
    if (B === 0 || T === 0) throw new RangeError(`${op}: the batch is empty (${fmtShape(x.shape)})`);
    let lens: Int32Array | null = null;
    if (lengths instanceof Tensor) {
      if (lengths.rank !== 2 || lengths.shape[0] !== B || lengths.shape[1] !== T)
        throw new RangeError(
          `${op}: the mask must be [${B}, ${T}] like the batch, got ${fmtShape(lengths.shape)}`,
        );
      lens = checkLengths(op, lengthsFromMask(op, lengths, lengths.dataSync()), B, T);
    } else if (lengths) lens = checkLengths(op, lengths, B, T);
    const seq = this.embedding ? this.embedding.forward(x) : x.cast('float32');
    return [seq, lens, B, T];
  }

  /** The stack's outputs `[B, T, dirs·hidden]` at every step. */
  protected encode(seq: Tensor, lens: Int32Array | null): Tensor {
    return runMasked(this.rnn, this.#views, seq, lens, this.training, undefined);
  }

  override dispose(): void {
    // The views own nothing: their parameters are the stack's.
    this.#views.length = 0;
    super.dispose();
  }
}

export interface SequenceClassifierOptions extends InputOptions, RecurrentOptions {
  numClasses: number;
  /**
   * How the step outputs become one vector: `'last'` (default; the last valid step, and for a
   * bidirectional stack the backward direction at step 0, as PyTorch's h_n of a packed sequence),
   * `'mean'` or `'max'` over the valid steps.
   */
  pooling?: Pooling;
}

/**
 * Many-to-one: embedding (or raw features) → stacked, optionally bidirectional LSTM/GRU → pooling
 * over the valid steps → linear (`fc`). `forward(x, lengths?)` returns logits `[batch, numClasses]`.
 *
 * @example
 * const model = new SequenceClassifier({ vocabSize: 20000, embeddingDim: 128, hiddenSize: 128, numClasses: 2 });
 * const { ids, lengths, batch, steps } = padSequences(encoded);
 * const logits = model.forward(tensor(ids, { shape: [batch, steps], dtype: 'int32' }), lengths);
 */
export class SequenceClassifier extends RecurrentBase {
  readonly pooling: Pooling;
  readonly numClasses: number;
  fc: Linear;

  constructor(options: SequenceClassifierOptions) {
    super('SequenceClassifier', options);
    this.pooling = options.pooling ?? 'last';
    if (!['last', 'mean', 'max'].includes(this.pooling))
      throw new RangeError(
        `SequenceClassifier: pooling must be 'last', 'mean' or 'max', got '${this.pooling}'`,
      );
    this.numClasses = options.numClasses;
    this.fc = new Linear(this.hiddenSize * this.directions, options.numClasses, {
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    });
  }

  forward(x: Tensor, lengths?: Lengths): Tensor {
    const [seq, lens] = this.input(x, lengths);
    const out = this.encode(seq, lens);
    return this.fc.forward(poolSteps(out, lens, this.pooling, this.directions));
  }
}

/**
 * One vector per sequence from step outputs `[B, T, D]` (D = dirs·H) and lengths (null: all T).
 */
export function poolSteps(out: Tensor, lens: Int32Array | null, pooling: Pooling, dirs: number): Tensor {
  const [B, T, D] = out.shape as [number, number, number];
  const lengths = lens ?? new Int32Array(B).fill(T);
  if (pooling === 'last') {
    const flat = out.reshape([B * T, D]);
    const lastIdx = Int32Array.from(lengths, (n, b) => b * T + n - 1);
    const last = indexSelect(flat, 0, tensor(lastIdx, { shape: [B], dtype: 'int32' }));
    if (dirs === 1) return last;
    const firstIdx = Int32Array.from(lengths, (_, b) => b * T);
    const first = indexSelect(flat, 0, tensor(firstIdx, { shape: [B], dtype: 'int32' }));
    const [fwd] = last.chunk(2, -1) as [Tensor, Tensor];
    const [, bwd] = first.chunk(2, -1) as [Tensor, Tensor];
    return concat([fwd, bwd], 1);
  }
  const mask = lengthMask(lengths, T).reshape([B, T, 1]);
  if (pooling === 'max') return max(where(mask, out, Number.NEGATIVE_INFINITY), 1);
  const n = tensor(Float32Array.from(lengths), { shape: [B, 1] });
  return sum(where(mask, out, 0), 1).div(n);
}

export interface SequenceTaggerOptions extends InputOptions, RecurrentOptions {
  numTags: number;
}

/**
 * Many-to-many: embedding (or raw features) → stacked, optionally bidirectional LSTM/GRU → a
 * linear layer (`fc`) at every step. `forward(x, lengths?)` returns logits `[batch, steps, numTags]`;
 * the logits at padded steps are meaningless (mask them: `tagLoss` does).
 */
export class SequenceTagger extends RecurrentBase {
  readonly numTags: number;
  fc: Linear;

  constructor(options: SequenceTaggerOptions) {
    super('SequenceTagger', options);
    this.numTags = options.numTags;
    this.fc = new Linear(this.hiddenSize * this.directions, options.numTags, {
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    });
  }

  forward(x: Tensor, lengths?: Lengths): Tensor {
    const [seq, lens] = this.input(x, lengths);
    return this.fc.forward(this.encode(seq, lens));
  }
}
