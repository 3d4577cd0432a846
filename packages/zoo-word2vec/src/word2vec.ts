import { Generator } from '@myelin/core';
import type { Vocabulary } from '@myelin/data';
import { defaultThreads, type EpochStats, Kernel, type KernelSetup, MAX_CODE } from './kernel.js';

/** Hyper-parameters, with gensim 4's defaults. */
export interface Word2VecOptions {
  /** Vector size (default 100). */
  dim?: number;
  /** Largest distance to a context word; each position draws its own `1 … window` (default 5). */
  window?: number;
  /** Skip-gram (true, default) or CBOW (false). */
  sg?: boolean;
  /** Negative samples per prediction; 0 turns negative sampling off (default 5). */
  negative?: number;
  /** Hierarchical softmax over a Huffman tree (default false). */
  hs?: boolean;
  /** CBOW averages the context vectors (true, default) or sums them. */
  cbowMean?: boolean;
  /** Subsampling threshold of frequent words, 0 for none (default 1e-3). */
  sample?: number;
  /** Starting learning rate (default 0.025), decayed linearly to `minAlpha` over the run. */
  alpha?: number;
  minAlpha?: number;
  /** Worker threads (default: all hardware threads). 1 runs on the calling thread. */
  threads?: number;
  /** Seed of the initial vectors and of the kernel's random draws (default 1). */
  seed?: number;
  /** Longer sentences are cut into pieces of this many words (default 10,000, as gensim). */
  maxSentence?: number;
}

/** A corpus as the kernel reads it: word ids of the vocabulary, sentence after sentence. */
export interface EncodedCorpus {
  ids: Int32Array;
  /** `sentences + 1` offsets into `ids`. */
  offsets: Int32Array;
}

/**
 * Encode tokenised sentences: words outside `vocab` are dropped before windows are taken (as gensim
 * does), sentences longer than `maxSentence` are cut, empty ones skipped.
 */
export function encodeCorpus(
  vocab: Vocabulary,
  sentences: Iterable<readonly string[]>,
  maxSentence = 10_000,
): EncodedCorpus {
  let ids = new Int32Array(1 << 16);
  const offsets: number[] = [0];
  let n = 0;
  for (const s of sentences) {
    let inSentence = 0;
    for (const w of s) {
      const i = vocab.id(w);
      if (i < 0 || (vocab.unknown !== undefined && i === 0)) continue;
      if (n === ids.length) {
        const grown = new Int32Array(ids.length * 2);
        grown.set(ids);
        ids = grown;
      }
      ids[n++] = i;
      if (++inSentence === maxSentence) {
        offsets.push(n);
        inSentence = 0;
      }
    }
    if (inSentence > 0) offsets.push(n);
  }
  return { ids: ids.slice(0, n), offsets: Int32Array.from(offsets) };
}

/** gensim's `make_cum_table`: cumulative `count^0.75`, scaled to 2³¹ − 1. */
export function unigramTable(counts: ArrayLike<number>, power = 0.75): Uint32Array {
  const domain = 2 ** 31 - 1;
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]! ** power;
  const cum = new Uint32Array(counts.length);
  let run = 0;
  for (let i = 0; i < counts.length; i++) {
    run += counts[i]! ** power;
    cum[i] = Math.round((run / total) * domain);
  }
  return cum;
}

/**
 * Subsampling as gensim computes it: word w of count c is kept with probability
 * `(√(c / t) + 1) · t / c` (capped at 1), t = sample × total count; returned as gensim 4's u32
 * threshold `⌊p · (2³² − 1)⌋` (0xffffffff: always kept).
 */
export function keepThresholds(counts: ArrayLike<number>, sample: number): Uint32Array {
  const out = new Uint32Array(counts.length).fill(0xffffffff);
  if (sample <= 0) return out;
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  const t = sample < 1 ? sample * total : sample;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    const p = (Math.sqrt(c / t) + 1) * (t / c);
    if (p < 1) out[i] = Math.floor(p * (2 ** 32 - 1));
  }
  return out;
}

/**
 * The Huffman tree of word2vec.c's `CreateBinaryTree` over counts sorted most frequent first:
 * for each word its code (bits, root first) and the inner nodes on its path (0 … vocab − 2).
 */
export function huffmanTree(counts: ArrayLike<number>): {
  codes: Uint8Array;
  points: Int32Array;
  codeLen: Uint8Array;
} {
  const V = counts.length;
  if (V < 2) throw new RangeError(`huffmanTree: needs at least 2 words, got ${V}`);
  for (let i = 1; i < V; i++) {
    if (counts[i]! > counts[i - 1]!) {
      throw new RangeError(
        `huffmanTree: counts must be sorted most frequent first (word ${i} has ${counts[i]} > ${counts[i - 1]})`,
      );
    }
  }
  const count = new Float64Array(2 * V).fill(1e15);
  for (let i = 0; i < V; i++) count[i] = counts[i]!;
  const parent = new Int32Array(2 * V);
  const binary = new Uint8Array(2 * V);
  let pos1 = V - 1;
  let pos2 = V;
  const pick = () => {
    if (pos1 >= 0 && count[pos1]! < count[pos2]!) return pos1--;
    return pos2++;
  };
  for (let a = 0; a < V - 1; a++) {
    const m1 = pick();
    const m2 = pick();
    count[V + a] = count[m1]! + count[m2]!;
    parent[m1] = V + a;
    parent[m2] = V + a;
    binary[m2] = 1;
  }
  const codes = new Uint8Array(V * MAX_CODE);
  const points = new Int32Array(V * MAX_CODE);
  const codeLen = new Uint8Array(V);
  const code: number[] = [];
  const point: number[] = [];
  for (let a = 0; a < V; a++) {
    code.length = 0;
    point.length = 0;
    let b = a;
    while (b !== 2 * V - 2) {
      code.push(binary[b]!);
      point.push(b);
      b = parent[b]!;
    }
    const len = code.length;
    if (len > MAX_CODE)
      throw new RangeError(`huffmanTree: word ${a}'s code has ${len} bits, more than ${MAX_CODE}`);
    codeLen[a] = len;
    // Root first: inner node V-2 is the root; node ids are (tree index − V).
    points[a * MAX_CODE] = V - 2;
    for (let k = 0; k < len; k++) {
      codes[a * MAX_CODE + len - k - 1] = code[k]!;
      if (k > 0) points[a * MAX_CODE + len - k] = point[k]! - V;
    }
  }
  return { codes, points, codeLen };
}

export interface TrainOptions {
  epochs?: number;
  /** Compute the summed loss of each epoch (costs a logarithm per prediction; default false). */
  computeLoss?: boolean;
  /** Called after each epoch (0-based) with its statistics. */
  onEpoch?: (epoch: number, stats: EpochResult) => void | Promise<void>;
  /** Stop between epochs when aborted. */
  signal?: AbortSignal;
}

export interface EpochResult extends EpochStats {
  /** Corpus words (after the vocabulary filter) per second of this epoch. */
  wordsPerSecond: number;
  seconds: number;
  /** Learning rate at the epoch's end. */
  alpha: number;
}

/**
 * word2vec (Mikolov et al., 2013): skip-gram or CBOW, negative sampling and/or hierarchical
 * softmax, trained by the package's SIMD kernel on worker threads. Create with `Word2Vec.create`,
 * `train` on an encoded corpus, read `vectors()`, `dispose()` to stop the workers.
 */
export class Word2Vec {
  readonly vocab: Vocabulary;
  readonly dim: number;
  readonly options: Required<Word2VecOptions>;
  private readonly kernel: Kernel;
  /** Words processed in earlier `train` calls' epochs (the decay continues across calls). */
  private done = 0;

  private constructor(vocab: Vocabulary, options: Required<Word2VecOptions>, kernel: Kernel) {
    this.vocab = vocab;
    this.dim = options.dim;
    this.options = options;
    this.kernel = kernel;
  }

  static async create(vocab: Vocabulary, options: Word2VecOptions = {}): Promise<Word2Vec> {
    const o: Required<Word2VecOptions> = {
      dim: options.dim ?? 100,
      window: options.window ?? 5,
      sg: options.sg ?? true,
      negative: options.negative ?? 5,
      hs: options.hs ?? false,
      cbowMean: options.cbowMean ?? true,
      sample: options.sample ?? 1e-3,
      alpha: options.alpha ?? 0.025,
      minAlpha: options.minAlpha ?? 1e-4,
      threads: options.threads ?? (await defaultThreads()),
      seed: options.seed ?? 1,
      maxSentence: options.maxSentence ?? 10_000,
    };
    const int = (name: keyof Word2VecOptions, v: number, lo: number, hi: number) => {
      if (!(Number.isInteger(v) && v >= lo && v <= hi)) {
        throw new RangeError(`Word2Vec.create: ${name} must be an integer in [${lo}, ${hi}], got ${v}`);
      }
    };
    int('dim', o.dim, 1, 4096);
    int('window', o.window, 1, 1000);
    int('negative', o.negative, 0, 100);
    int('threads', o.threads, 1, 256);
    int('maxSentence', o.maxSentence, 1, 1_000_000);
    if (o.negative === 0 && !o.hs)
      throw new RangeError('Word2Vec.create: negative is 0 and hs is off; turn one of them on');
    if (!(o.alpha > 0 && o.minAlpha >= 0 && o.minAlpha <= o.alpha)) {
      throw new RangeError(
        `Word2Vec.create: expected 0 ≤ minAlpha ≤ alpha, 0 < alpha; got alpha ${o.alpha}, minAlpha ${o.minAlpha}`,
      );
    }
    if (!(o.sample >= 0)) throw new RangeError(`Word2Vec.create: sample must be ≥ 0, got ${o.sample}`);
    if (vocab.size < 2)
      throw new RangeError(`Word2Vec.create: the vocabulary has ${vocab.size} word(s); expected at least 2`);
    const counts = vocab.counts;
    const tree = o.hs
      ? huffmanTree(counts)
      : { codes: new Uint8Array(0), points: new Int32Array(0), codeLen: new Uint8Array(0) };
    const setup: KernelSetup = {
      dim: o.dim,
      vocab: vocab.size,
      window: o.window,
      negative: o.negative,
      hs: o.hs,
      sg: o.sg,
      cbowMean: o.cbowMean,
      cum: o.negative > 0 ? unigramTable(counts) : new Uint32Array(vocab.size),
      sample: keepThresholds(counts, o.sample),
      ...tree,
      threads: o.threads,
      maxSentence: o.maxSentence,
    };
    const kernel = await Kernel.create(setup);
    const model = new Word2Vec(vocab, o, kernel);
    // gensim's initialisation: input vectors uniform in [-0.5, 0.5) / dim, output vectors 0.
    const gen = new Generator(o.seed);
    const u = gen.uniform(vocab.size * o.dim);
    const syn0 = kernel.syn0();
    const s = kernel.stride;
    for (let w = 0; w < vocab.size; w++) {
      for (let d = 0; d < o.dim; d++) syn0[w * s + d] = (u[w * o.dim + d]! - 0.5) / o.dim;
    }
    return model;
  }

  /** Worker threads actually used (1 where shared memory is missing). */
  get threads(): number {
    return this.kernel.threads;
  }

  /** Bytes of the kernel's memory (weights, tables, corpus). */
  get memoryBytes(): number {
    return this.kernel.bytes;
  }

  /**
   * Train `epochs` passes over `corpus`, the learning rate falling linearly from `alpha` to
   * `minAlpha` over all of them.
   *
   * @throws RangeError on an empty corpus or ids outside the vocabulary
   */
  async train(corpus: EncodedCorpus, options: TrainOptions = {}): Promise<EpochResult[]> {
    const epochs = options.epochs ?? 5;
    if (!(Number.isInteger(epochs) && epochs >= 1))
      throw new RangeError(`Word2Vec.train: epochs must be an integer ≥ 1, got ${epochs}`);
    const { ids, offsets } = corpus;
    if (ids.length === 0)
      throw new RangeError('Word2Vec.train: the corpus is empty (no word of it is in the vocabulary)');
    if (offsets.length < 2 || offsets[0] !== 0 || offsets[offsets.length - 1] !== ids.length) {
      throw new RangeError(
        `Word2Vec.train: offsets must run from 0 to ids.length (${ids.length}); got ${offsets.length} offsets ending at ${offsets[offsets.length - 1]}`,
      );
    }
    for (let k = 1; k < offsets.length; k++) {
      if (offsets[k]! < offsets[k - 1]!) throw new RangeError(`Word2Vec.train: offsets decrease at ${k}`);
    }
    const V = this.vocab.size;
    for (let k = 0; k < ids.length; k++) {
      const i = ids[k]!;
      if (!(i >= 0 && i < V))
        throw new RangeError(`Word2Vec.train: word id ${i} at ${k} is outside [0, ${V})`);
    }
    const total = ids.length * epochs;
    const results: EpochResult[] = [];
    for (let e = 0; e < epochs; e++) {
      options.signal?.throwIfAborted();
      this.kernel.setProgress(Math.round((e / epochs) * total));
      const t0 = performance.now();
      const stats = await this.kernel.epoch({
        ids,
        offsets,
        alpha0: this.options.alpha,
        minAlpha: this.options.minAlpha,
        totalWords: total,
        seed: this.options.seed * 7919 + this.done + e,
        computeLoss: options.computeLoss ?? false,
      });
      const seconds = (performance.now() - t0) / 1000;
      const frac = (e + 1) / epochs;
      const r: EpochResult = {
        ...stats,
        seconds,
        wordsPerSecond: ids.length / seconds,
        alpha: Math.max(
          this.options.minAlpha,
          this.options.alpha - (this.options.alpha - this.options.minAlpha) * frac,
        ),
      };
      results.push(r);
      await options.onEpoch?.(e, r);
    }
    this.done += epochs;
    return results;
  }

  /** The input vectors, `vocab × dim` row-major (a copy). */
  vectors(): Float32Array {
    const s = this.kernel.stride;
    const src = this.kernel.syn0();
    const out = new Float32Array(this.vocab.size * this.dim);
    for (let w = 0; w < this.vocab.size; w++) out.set(src.subarray(w * s, w * s + this.dim), w * this.dim);
    return out;
  }

  /** The vector of `word` (a copy), or undefined when it is not in the vocabulary. */
  vector(word: string): Float32Array | undefined {
    const i = this.vocab.id(word);
    if (i < 0) return undefined;
    const s = this.kernel.stride;
    return this.kernel.syn0().slice(i * s, i * s + this.dim);
  }

  /** The output vectors (`vocab × dim` for negative sampling, `(vocab − 1) × dim` inner nodes for hierarchical softmax; a copy). */
  outputVectors(
    kind: 'negative' | 'hierarchical' = this.options.hs ? 'hierarchical' : 'negative',
  ): Float32Array {
    const s = this.kernel.stride;
    const src = kind === 'hierarchical' ? this.kernel.syn1() : this.kernel.syn1neg();
    const rows = src.length === 0 ? 0 : kind === 'hierarchical' ? this.vocab.size - 1 : this.vocab.size;
    const out = new Float32Array(rows * this.dim);
    for (let w = 0; w < rows; w++) out.set(src.subarray(w * s, w * s + this.dim), w * this.dim);
    return out;
  }

  /** Overwrite the input vectors (`vocab × dim`), e.g. to continue from imported ones. */
  setVectors(v: Float32Array): void {
    if (v.length !== this.vocab.size * this.dim) {
      throw new RangeError(
        `Word2Vec.setVectors: got ${v.length} floats, expected ${this.vocab.size} × ${this.dim}`,
      );
    }
    const s = this.kernel.stride;
    const dst = this.kernel.syn0();
    for (let w = 0; w < this.vocab.size; w++) dst.set(v.subarray(w * this.dim, (w + 1) * this.dim), w * s);
  }

  dispose(): void {
    this.kernel.dispose();
  }
}
