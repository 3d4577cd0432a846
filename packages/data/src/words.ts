/**
 * Words: a tokenizer for running text and a vocabulary with counts, a minimum count and an
 * unknown token. Browser-safe (no Node modules); saved vocabularies are plain text.
 */

export interface TokenizeOptions {
  /** Lower-case every token (default true). */
  lowercase?: boolean;
  /** Replace HTML tags such as `<br />` by a space first (default true; IMDB reviews hold them). */
  stripTags?: boolean;
}

const TAG = /<[^<>]{0,200}>/g;
/** A word is letters, optionally joined by apostrophes (`don't`, `whale's`), or a run of digits. */
const WORD = /\p{L}+(?:['’]\p{L}+)*|\p{N}+/gu;

/**
 * Split running text into word tokens: runs of letters (with inner apostrophes: `don't`, curly
 * ones read as straight) or of digits; punctuation and white space separate them and are dropped.
 *
 * @example
 * tokenizeWords("Call me Ishmael. Don't—<br />1851!"); // ['call', 'me', 'ishmael', "don't", '1851']
 */
export function tokenizeWords(text: string, options: TokenizeOptions = {}): string[] {
  if (typeof text !== 'string') {
    throw new TypeError(`tokenizeWords: expected a string, got ${text === null ? 'null' : typeof text}`);
  }
  let s = options.stripTags === false ? text : text.replace(TAG, ' ');
  if (options.lowercase !== false) s = s.toLowerCase();
  const out: string[] = [];
  for (const m of s.matchAll(WORD)) out.push(m[0].replace(/’/g, "'"));
  return out;
}

export interface VocabularyOptions {
  /** Words seen fewer times are left out (default 1). */
  minCount?: number;
  /** Keep at most this many words, the most frequent (default: all). */
  maxSize?: number;
  /**
   * A token that stands for every left-out word (it gets id 0 and their summed count). Default
   * none: `encode` then drops unknown words.
   */
  unknown?: string;
}

/**
 * Words with ids and counts. Ids run from the most frequent word down (ties in order of first
 * appearance, as gensim sorts), after the unknown token when there is one.
 */
export class Vocabulary {
  readonly words: readonly string[];
  readonly counts: Float64Array;
  readonly unknown: string | undefined;
  private readonly index: Map<string, number>;

  constructor(words: readonly string[], counts: ArrayLike<number>, unknown?: string) {
    if (words.length !== counts.length) {
      throw new RangeError(
        `Vocabulary: got ${words.length} words but ${counts.length} counts; expected one count per word`,
      );
    }
    const index = new Map<string, number>();
    const c = new Float64Array(words.length);
    words.forEach((w, i) => {
      if (typeof w !== 'string' || w === '' || /\s/.test(w)) {
        throw new RangeError(
          `Vocabulary: word ${i} is ${JSON.stringify(w)}; expected a non-empty token without white space`,
        );
      }
      if (index.has(w))
        throw new RangeError(
          `Vocabulary: word ${JSON.stringify(w)} appears twice (ids ${index.get(w)} and ${i})`,
        );
      const n = counts[i]!;
      if (!(Number.isFinite(n) && n >= 0))
        throw new RangeError(
          `Vocabulary: count of ${JSON.stringify(w)} is ${n}; expected a finite count ≥ 0`,
        );
      index.set(w, i);
      c[i] = n;
    });
    if (unknown !== undefined && index.get(unknown) !== 0) {
      throw new RangeError(`Vocabulary: the unknown token ${JSON.stringify(unknown)} must be word 0`);
    }
    this.words = words;
    this.counts = c;
    this.unknown = unknown;
    this.index = index;
  }

  /**
   * Count the tokens of `sentences` and keep those seen at least `minCount` times.
   *
   * @throws RangeError when no word reaches `minCount` (an empty corpus included)
   */
  static build(sentences: Iterable<readonly string[]>, options: VocabularyOptions = {}): Vocabulary {
    const minCount = options.minCount ?? 1;
    if (!(Number.isInteger(minCount) && minCount >= 1)) {
      throw new RangeError(`Vocabulary.build: minCount must be an integer ≥ 1, got ${minCount}`);
    }
    const maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
    if (!(maxSize >= 1)) throw new RangeError(`Vocabulary.build: maxSize must be ≥ 1, got ${maxSize}`);
    const counts = new Map<string, number>();
    let tokens = 0;
    for (const s of sentences) {
      for (const w of s) {
        counts.set(w, (counts.get(w) ?? 0) + 1);
        tokens++;
      }
    }
    if (options.unknown !== undefined) counts.delete(options.unknown);
    const order = [...counts.entries()].filter(([, n]) => n >= minCount);
    // Map iteration is first-appearance order and Array.sort is stable: ties keep it.
    order.sort((a, b) => b[1] - a[1]);
    if (order.length > maxSize) order.length = maxSize;
    if (order.length === 0) {
      throw new RangeError(
        `Vocabulary.build: no word occurs ${minCount} times or more (the corpus has ${tokens} tokens, ${counts.size} distinct); lower minCount or give more text`,
      );
    }
    const words = order.map(([w]) => w);
    const n = order.map(([, c]) => c);
    if (options.unknown !== undefined) {
      const kept = n.reduce((a, b) => a + b, 0);
      words.unshift(options.unknown);
      n.unshift(tokens - kept);
    }
    return new Vocabulary(words, n, options.unknown);
  }

  get size(): number {
    return this.words.length;
  }

  /** The id of `word`, or -1 when it is not in the vocabulary (see `encode` for the unknown token). */
  id(word: string): number {
    return this.index.get(word) ?? -1;
  }

  has(word: string): boolean {
    return this.index.has(word);
  }

  count(word: string): number {
    const i = this.index.get(word);
    return i === undefined ? 0 : this.counts[i]!;
  }

  /** Sum of all counts. */
  get total(): number {
    let t = 0;
    for (let i = 0; i < this.counts.length; i++) t += this.counts[i]!;
    return t;
  }

  /** Ids of `tokens`; unknown words become the unknown token's id (0), or are dropped without one. */
  encode(tokens: readonly string[]): Int32Array {
    const out = new Int32Array(tokens.length);
    let k = 0;
    for (const t of tokens) {
      const i = this.index.get(t);
      if (i !== undefined) out[k++] = i;
      else if (this.unknown !== undefined) out[k++] = 0;
    }
    return k === out.length ? out : out.slice(0, k);
  }

  decode(ids: ArrayLike<number>): string[] {
    const out: string[] = [];
    for (let k = 0; k < ids.length; k++) {
      const i = ids[k]!;
      const w = this.words[i];
      if (w === undefined)
        throw new RangeError(`Vocabulary.decode: id ${i} at ${k} is outside [0, ${this.size})`);
      out.push(w);
    }
    return out;
  }

  /** `word count` per line, most frequent first; a first line `#unknown <token>` when there is one. */
  save(): string {
    const lines: string[] = [];
    if (this.unknown !== undefined) lines.push(`#unknown ${this.unknown}`);
    this.words.forEach((w, i) => {
      lines.push(`${w} ${this.counts[i]}`);
    });
    return `${lines.join('\n')}\n`;
  }

  /**
   * Read what `save` wrote.
   *
   * @throws RangeError naming the line that is not `word count`
   */
  static load(text: string): Vocabulary {
    if (typeof text !== 'string')
      throw new TypeError(`Vocabulary.load: expected a string, got ${typeof text}`);
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    let unknown: string | undefined;
    const words: string[] = [];
    const counts: number[] = [];
    lines.forEach((line, k) => {
      if (k === 0 && line.startsWith('#unknown ')) {
        unknown = line.slice(9);
        return;
      }
      const m = /^(\S+) (\d+)$/.exec(line);
      if (!m) {
        throw new RangeError(
          `Vocabulary.load: line ${k + 1} is ${JSON.stringify(line.slice(0, 60))}; expected 'word count'`,
        );
      }
      words.push(m[1]!);
      counts.push(Number(m[2]));
    });
    if (words.length === 0) throw new RangeError('Vocabulary.load: the text holds no words');
    return new Vocabulary(words, counts, unknown);
  }
}
