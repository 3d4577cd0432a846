import { fmtShape, Generator, Module, noGrad, type Seed, scope, type Tensor, tensor } from '@myelin/core';
import { Embedding, Linear, LSTM } from '@myelin/nn';
import { checkTokenIds } from './sequence-models.js';

/**
 * A character-level language model (Karpathy's char-rnn, in PyTorch's names: `embedding.weight`,
 * `rnn.weight_ih_l0` …, `fc.weight`), its character vocabulary, truncated back-propagation through
 * time over parallel streams, and sampling with a temperature and top-k.
 */

/** Characters with ids; id 0 stands for every character not in it. */
export class CharVocabulary {
  readonly chars: readonly string[];
  readonly #index: Map<string, number>;

  /** `chars[0]` is the unknown symbol; the rest must be distinct single characters. */
  constructor(chars: readonly string[]) {
    const index = new Map<string, number>();
    chars.forEach((c, i) => {
      if (i > 0 && [...c].length !== 1)
        throw new RangeError(`CharVocabulary: entry ${i} is ${JSON.stringify(c)}; expected one character`);
      if (index.has(c)) throw new RangeError(`CharVocabulary: ${JSON.stringify(c)} appears twice`);
      index.set(c, i);
    });
    this.chars = chars;
    this.#index = index;
  }

  /**
   * The characters of `text` seen at least `minCount` times, most frequent first, after the
   * unknown symbol `unknown` (default '\u0000', id 0).
   */
  static build(text: string, options: { minCount?: number; unknown?: string } = {}): CharVocabulary {
    const minCount = options.minCount ?? 1;
    const counts = new Map<string, number>();
    for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
    const kept = [...counts].filter(([, n]) => n >= minCount).sort((a, b) => b[1] - a[1]);
    return new CharVocabulary([options.unknown ?? '\u0000', ...kept.map(([c]) => c)]);
  }

  get size(): number {
    return this.chars.length;
  }

  /** Ids of the characters of `text` (code points); unknown ones become 0. */
  encode(text: string): Int32Array {
    const out: number[] = [];
    for (const c of text) out.push(this.#index.get(c) ?? 0);
    return Int32Array.from(out);
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let k = 0; k < ids.length; k++) {
      const c = this.chars[ids[k]!];
      if (c === undefined)
        throw new RangeError(`CharVocabulary.decode: id ${ids[k]} at ${k} is outside [0, ${this.size})`);
      s += c;
    }
    return s;
  }
}

export interface SampleOptions {
  /** Divide the logits by this before the softmax (default 1; lower is more conservative). */
  temperature?: number;
  /** Keep only the k most likely tokens (default 0: all). */
  topK?: number;
}

/**
 * Draw one token from `logits` (one row): softmax(logits / temperature) over the `topK` largest
 * (ties at the k-th value kept), sampled by inverse CDF with one uniform draw of `gen`.
 */
export function sampleLogits(logits: ArrayLike<number>, gen: Generator, options: SampleOptions = {}): number {
  const op = 'sampleLogits';
  const temperature = options.temperature ?? 1;
  const topK = options.topK ?? 0;
  if (!(temperature > 0 && Number.isFinite(temperature)))
    throw new RangeError(`${op}: temperature must be a finite number > 0, got ${temperature}`);
  if (!(Number.isInteger(topK) && topK >= 0))
    throw new RangeError(`${op}: topK must be an integer ≥ 0 (0: all), got ${topK}`);
  const n = logits.length;
  if (n === 0) throw new RangeError(`${op}: no logits to sample from`);
  let floor = Number.NEGATIVE_INFINITY;
  if (topK > 0 && topK < n) floor = Array.from(logits).sort((a, b) => b - a)[topK - 1]!;
  let top = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if (logits[i]! >= floor) top = Math.max(top, logits[i]!);
  const w = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (logits[i]! < floor) continue;
    w[i] = Math.exp((logits[i]! - top) / temperature);
    total += w[i]!;
  }
  const u = gen.uniform(1)[0]! * total;
  let acc = 0;
  let last = 0;
  for (let i = 0; i < n; i++) {
    if (w[i] === 0) continue;
    acc += w[i]!;
    last = i;
    if (u < acc) return i;
  }
  return last;
}

export interface CharLMOptions {
  vocabSize: number;
  embeddingDim?: number;
  hiddenSize?: number;
  numLayers?: number;
  dropout?: number;
  seed?: Seed;
}

/** LSTM state `[h, c]`, each `[numLayers, batch, hidden]`. */
export type LstmState = readonly [Tensor, Tensor];

/**
 * Embedding → LSTM stack → linear to next-character logits. `forward(ids [B, T], state?)` returns
 * logits `[B, T, vocab]` and the state after the last step (feed it, detached, to the next window).
 */
export class CharLM extends Module {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  embedding: Embedding;
  rnn: LSTM;
  fc: Linear;

  constructor(options: CharLMOptions) {
    super();
    const seed = options.seed === undefined ? {} : { seed: options.seed };
    this.vocabSize = options.vocabSize;
    this.hiddenSize = options.hiddenSize ?? 256;
    this.numLayers = options.numLayers ?? 1;
    const dim = options.embeddingDim ?? 64;
    this.embedding = new Embedding(options.vocabSize, dim, seed);
    this.rnn = new LSTM(dim, this.hiddenSize, {
      numLayers: this.numLayers,
      dropout: options.dropout ?? 0,
      batchFirst: true,
      ...seed,
    });
    this.fc = new Linear(this.hiddenSize, options.vocabSize, seed);
  }

  forward(ids: Tensor, state?: LstmState | null): [Tensor, [Tensor, Tensor]] {
    const op = 'CharLM';
    if (ids.rank !== 2 || ids.dtype !== 'int32')
      throw new RangeError(
        `${op}: expected character ids [batch, steps] int32, got ${fmtShape(ids.shape)} ${ids.dtype}`,
      );
    const [B, T] = ids.shape as [number, number];
    if (B === 0 || T === 0) throw new RangeError(`${op}: the batch is empty (${fmtShape(ids.shape)})`);
    checkTokenIds(op, ids.dataSync(), this.vocabSize);
    if (state) {
      const want = [this.numLayers, B, this.hiddenSize];
      for (const [k, s] of state.entries())
        if (s.rank !== 3 || s.shape.some((d, i) => d !== want[i]))
          throw new RangeError(
            `${op}: state ${k === 0 ? 'h' : 'c'} must be ${fmtShape(want)} (layers, batch, hidden), got ${fmtShape(s.shape)}`,
          );
    }
    const [out, next] = this.rnn.forward(this.embedding.forward(ids), state ?? null);
    return [this.fc.forward(out), next];
  }

  /**
   * Continue `prompt` (ids, at least one) by `length` sampled characters; eval mode, no gradients,
   * seeded. Returns the new ids only.
   */
  sample(
    prompt: ArrayLike<number>,
    length: number,
    options: SampleOptions & { seed?: number } = {},
  ): Int32Array {
    if (prompt.length === 0)
      throw new RangeError('CharLM.sample: the prompt is empty; expected at least one id');
    if (!(Number.isInteger(length) && length >= 0))
      throw new RangeError(`CharLM.sample: length must be an integer ≥ 0, got ${length}`);
    const gen = new Generator(options.seed ?? 0);
    const wasTraining = this.training;
    this.eval();
    const out = new Int32Array(length);
    let state: [Tensor, Tensor] | null = null;
    try {
      let input = Int32Array.from(prompt);
      for (let k = 0; k < length; k++) {
        const [row, next] = noGrad(() =>
          scope(() => {
            const x = tensor(input, { shape: [1, input.length], dtype: 'int32' });
            const [logits, s] = this.forward(x, state);
            const last = logits.reshape([input.length, this.vocabSize]).split(1, 0).at(-1)!;
            return [last, s] as const;
          }),
        );
        const values = row.dataSync();
        row.dispose();
        state?.[0].dispose();
        state?.[1].dispose();
        state = next;
        out[k] = sampleLogits(values, gen, options);
        input = Int32Array.of(out[k]!);
      }
    } finally {
      state?.[0].dispose();
      state?.[1].dispose();
      this.train(wasTraining);
    }
    return out;
  }
}

/**
 * `ids` cut into `batch` parallel streams (row b holds ids `[b·L, (b+1)·L)`, L = ⌊n / batch⌋),
 * as truncated BPTT reads them: window w of `steps` gives inputs `[:, w·steps, …]` and the next
 * characters as targets, and each row's state carries from one window to the next.
 */
export class StreamBatches {
  readonly length: number;
  readonly windows: number;

  constructor(
    readonly ids: Int32Array,
    readonly batch: number,
    readonly steps: number,
  ) {
    const op = 'StreamBatches';
    if (!(Number.isInteger(batch) && batch >= 1))
      throw new RangeError(`${op}: batch must be an integer ≥ 1, got ${batch}`);
    if (!(Number.isInteger(steps) && steps >= 1))
      throw new RangeError(`${op}: steps must be an integer ≥ 1, got ${steps}`);
    this.length = Math.floor(ids.length / batch);
    if (this.length < 2)
      throw new RangeError(
        `${op}: ${ids.length} ids make streams of ${this.length} for batch ${batch}; expected at least 2 ids per stream`,
      );
    this.windows = Math.ceil((this.length - 1) / steps);
  }

  /** Window `w`: inputs and targets `[batch, n]` (n = steps, or fewer in the last window). */
  window(w: number): { x: Int32Array; y: Int32Array; n: number } {
    if (!(Number.isInteger(w) && w >= 0 && w < this.windows))
      throw new RangeError(`StreamBatches.window: window ${w} is outside [0, ${this.windows})`);
    const start = w * this.steps;
    const n = Math.min(this.steps, this.length - 1 - start);
    const x = new Int32Array(this.batch * n);
    const y = new Int32Array(this.batch * n);
    for (let b = 0; b < this.batch; b++) {
      const base = b * this.length + start;
      x.set(this.ids.subarray(base, base + n), b * n);
      y.set(this.ids.subarray(base + 1, base + 1 + n), b * n);
    }
    return { x, y, n };
  }
}
