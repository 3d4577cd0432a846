/**
 * Word vectors for evaluation: nearest neighbours by cosine, analogies (3CosAdd and 3CosMul, as
 * gensim's `most_similar` and `most_similar_cosmul`), similarity to a scored list (Spearman's ρ).
 */

export class WordVectors {
  readonly words: readonly string[];
  readonly dim: number;
  /** `words.length × dim`, row-major. */
  readonly data: Float32Array;
  private readonly index = new Map<string, number>();
  private normed: Float32Array | null = null;

  constructor(words: readonly string[], data: Float32Array, dim: number) {
    if (!(Number.isInteger(dim) && dim >= 1))
      throw new RangeError(`WordVectors: dim must be an integer ≥ 1, got ${dim}`);
    if (data.length !== words.length * dim) {
      throw new RangeError(
        `WordVectors: got ${data.length} floats for ${words.length} words of ${dim}; expected ${words.length * dim}`,
      );
    }
    words.forEach((w, i) => {
      if (!this.index.has(w)) this.index.set(w, i);
    });
    this.words = words;
    this.data = data;
    this.dim = dim;
  }

  get size(): number {
    return this.words.length;
  }

  id(word: string): number {
    return this.index.get(word) ?? -1;
  }

  /** The vector of `word` (a view), or undefined. */
  get(word: string): Float32Array | undefined {
    const i = this.index.get(word);
    return i === undefined ? undefined : this.data.subarray(i * this.dim, (i + 1) * this.dim);
  }

  /** Rows scaled to unit length (zero rows stay zero). */
  unit(): Float32Array {
    if (this.normed) return this.normed;
    const D = this.dim;
    const out = new Float32Array(this.data.length);
    for (let i = 0; i < this.size; i++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += this.data[i * D + d]! ** 2;
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let d = 0; d < D; d++) out[i * D + d] = this.data[i * D + d]! * inv;
    }
    this.normed = out;
    return out;
  }

  /** Cosine of every word with the unit vector `q` (first `limit` words). */
  private cosines(q: Float32Array, limit = this.size): Float32Array {
    const u = this.unit();
    const D = this.dim;
    const out = new Float32Array(limit);
    for (let i = 0; i < limit; i++) {
      let s = 0;
      const o = i * D;
      for (let d = 0; d < D; d++) s += u[o + d]! * q[d]!;
      out[i] = s;
    }
    return out;
  }

  /** Cosines of word i with all, for the last few words asked (questions share their words). */
  private recent = new Map<string, Float32Array>();
  private cached(i: number, limit: number): Float32Array {
    const key = `${i}/${limit}`;
    let c = this.recent.get(key);
    if (c) return c;
    c = this.cosines(this.unit().subarray(i * this.dim, (i + 1) * this.dim), limit);
    if (this.recent.size >= 8) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(key, c);
    return c;
  }

  private unitOf(word: string): Float32Array {
    const i = this.index.get(word);
    if (i === undefined)
      throw new RangeError(`WordVectors: ${JSON.stringify(word)} is not in the vocabulary`);
    return this.unit().subarray(i * this.dim, (i + 1) * this.dim);
  }

  /** Cosine similarity of two words. */
  similarity(a: string, b: string): number {
    const x = this.unitOf(a);
    const y = this.unitOf(b);
    let s = 0;
    for (let d = 0; d < this.dim; d++) s += x[d]! * y[d]!;
    return s;
  }

  /**
   * The `k` words nearest `word` by cosine, most similar first, the word itself left out.
   *
   * @throws RangeError when `word` is not in the vocabulary
   */
  nearest(word: string, k = 10): { word: string; similarity: number }[] {
    const q = this.unitOf(word);
    return topK(this.cosines(q), k, new Set([this.id(word)])).map(([i, s]) => ({
      word: this.words[i]!,
      similarity: s,
    }));
  }

  /**
   * `b − a + c`: the word d that completes `a : b :: c : d`, leaving out a, b and c. 3CosAdd takes
   * argmax cos(d, b) − cos(d, a) + cos(d, c); 3CosMul (Levy & Goldberg, 2014) argmax
   * c'(d, b)·c'(d, c) / (c'(d, a) + ε) with c' = (1 + cos) / 2 and ε = 1e-6, as gensim.
   * Only the first `restrict` words are candidates. Undefined when a word is out of vocabulary.
   */
  analogy(
    a: string,
    b: string,
    c: string,
    method: '3CosAdd' | '3CosMul' = '3CosAdd',
    restrict = this.size,
  ): string | undefined {
    const ia = this.id(a);
    const ib = this.id(b);
    const ic = this.id(c);
    if (ia < 0 || ib < 0 || ic < 0) return undefined;
    const limit = Math.min(restrict, this.size);
    const ca = this.cached(ia, limit);
    const cb = this.cached(ib, limit);
    const cc = this.cached(ic, limit);
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < limit; i++) {
      if (i === ia || i === ib || i === ic) continue;
      const s =
        method === '3CosAdd'
          ? cb[i]! - ca[i]! + cc[i]!
          : (((1 + cb[i]!) / 2) * ((1 + cc[i]!) / 2)) / ((1 + ca[i]!) / 2 + 1e-6);
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    return best < 0 ? undefined : this.words[best];
  }

  /**
   * Accuracy on analogy questions `[a, b, c, d]` (`a : b :: c : d`). Questions with a word out of
   * vocabulary (of the first `restrict` words) are counted in `oov` and left out of the accuracy,
   * as gensim's `evaluate_word_analogies` does.
   */
  evaluateAnalogies(
    questions: readonly (readonly [string, string, string, string])[],
    options: { method?: '3CosAdd' | '3CosMul'; restrict?: number; caseInsensitive?: boolean } = {},
  ): AnalogyScore {
    const restrict = Math.min(options.restrict ?? this.size, this.size);
    const fold = options.caseInsensitive === false ? (w: string) => w : (w: string) => w.toLowerCase();
    let correct = 0;
    let asked = 0;
    let oov = 0;
    for (const q of questions) {
      const [a, b, c, d] = q.map(fold) as [string, string, string, string];
      const known = [a, b, c, d].every((w) => {
        const i = this.id(w);
        return i >= 0 && i < restrict;
      });
      if (!known) {
        oov++;
        continue;
      }
      asked++;
      if (this.analogy(a, b, c, options.method, restrict) === d) correct++;
    }
    return { correct, asked, oov, accuracy: asked > 0 ? correct / asked : 0 };
  }

  /**
   * Spearman's ρ between the cosines of word pairs and the scores given with them (pairs with an
   * unknown word are counted in `oov` and left out).
   */
  evaluateSimilarity(pairs: readonly (readonly [string, string, number])[]): {
    spearman: number;
    pairs: number;
    oov: number;
  } {
    const got: number[] = [];
    const want: number[] = [];
    let oov = 0;
    for (const [a, b, score] of pairs) {
      if (this.id(a) < 0 || this.id(b) < 0) {
        oov++;
        continue;
      }
      got.push(this.similarity(a, b));
      want.push(score);
    }
    return { spearman: got.length > 1 ? spearman(got, want) : Number.NaN, pairs: got.length, oov };
  }
}

export interface AnalogyScore {
  correct: number;
  /** Questions whose four words are in the vocabulary. */
  asked: number;
  /** Questions left out for an out-of-vocabulary word. */
  oov: number;
  accuracy: number;
}

function topK(scores: Float32Array, k: number, skip: Set<number>): [number, number][] {
  const best: [number, number][] = [];
  for (let i = 0; i < scores.length; i++) {
    if (skip.has(i)) continue;
    const s = scores[i]!;
    if (best.length < k) {
      best.push([i, s]);
      best.sort((x, y) => y[1] - x[1]);
    } else if (s > best[k - 1]![1]) {
      best[k - 1] = [i, s];
      best.sort((x, y) => y[1] - x[1]);
    }
  }
  return best;
}

/** Ranks with ties averaged (1-based). */
function ranks(x: readonly number[]): number[] {
  const order = x.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(x.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) r[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation (Pearson's r of the tie-averaged ranks). */
export function spearman(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`spearman: lengths differ (${a.length} and ${b.length})`);
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const ma = ra.reduce((s, v) => s + v, 0) / n;
  const mb = rb.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (ra[i]! - ma) * (rb[i]! - mb);
    saa += (ra[i]! - ma) ** 2;
    sbb += (rb[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** A seeded shuffle-free pick of analogy questions from related pairs. */
export interface AnalogySectionPairs {
  name: string;
  pairs: readonly (readonly [string, string])[];
}

/**
 * Questions `a : b :: c : d` from each section's pairs: every ordered pair of pairs when that is
 * at most `maxPerSection`, else an evenly spread subset of them. With `known`, only pairs whose
 * two words it holds are used (questions for one corpus's vocabulary).
 */
export function analogyQuestions(
  sections: readonly AnalogySectionPairs[],
  options: { maxPerSection?: number; known?: (word: string) => boolean } = {},
): { section: string; questions: [string, string, string, string][] }[] {
  const max = options.maxPerSection ?? 1000;
  return sections.map((s) => {
    const pairs = options.known
      ? s.pairs.filter(([a, b]) => options.known!(a) && options.known!(b))
      : s.pairs;
    const n = pairs.length;
    const total = n * (n - 1);
    const questions: [string, string, string, string][] = [];
    const step = total > max ? total / max : 1;
    for (let q = 0; q < Math.min(total, max); q++) {
      const k = Math.floor(q * step);
      const i = Math.floor(k / (n - 1));
      let j = k % (n - 1);
      if (j >= i) j++;
      const [a, b] = pairs[i]!;
      const [c, d] = pairs[j]!;
      questions.push([a, b, c, d]);
    }
    return { section: s.name, questions };
  });
}
