/**
 * An interpolated Kneser–Ney n-gram model over token ids (Kneser & Ney, 1995; in the interpolated
 * form of Chen & Goodman, 1999, eq. 17 and 19): the baseline a character language model must beat.
 *
 *   P(w | h) = max(c(h w) − D, 0) / c(h) + D · N₁₊(h •) / c(h) · P(w | h′)
 *
 * where h′ drops the oldest token of h; the highest order counts occurrences, every lower order
 * counts continuations (c(h′ w) = N₁₊(• h′ w), the number of distinct tokens seen before h′ w);
 * the order-1 distribution interpolates with the uniform 1/V; a history never seen backs off to
 * h′ whole. The discount of each order is D = n₁ / (n₁ + 2 n₂) (Ney, Essen & Kneser, 1994), n₁ and
 * n₂ the numbers of n-grams of that order counted once and twice, unless `discount` fixes it.
 */

export interface KneserNeyOptions {
  /** n: the longest n-gram (default 5). */
  order?: number;
  /** Ids are in [0, vocabSize). */
  vocabSize: number;
  /** One discount for every order in (0, 1) (default: estimated per order as above). */
  discount?: number;
}

const key = (ids: ArrayLike<number>, from: number, to: number): string => {
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCharCode(ids[i]!);
  return s;
};

export class KneserNeyLM {
  readonly order: number;
  readonly vocabSize: number;
  /** The discount of each order, `discounts[k - 1]` for k-grams. */
  readonly discounts: readonly number[];
  /** Per order k (index k − 1): counts (top order) or continuation counts of k-grams. */
  readonly #counts: Map<string, number>[] = [];
  /** Per order: Σ_w c(h w) and N₁₊(h •) for each history h of k − 1 tokens. */
  readonly #totals: Map<string, number>[] = [];
  readonly #types: Map<string, number>[] = [];

  constructor(ids: ArrayLike<number>, options: KneserNeyOptions) {
    const op = 'KneserNeyLM';
    const order = options.order ?? 5;
    if (!(Number.isInteger(order) && order >= 1))
      throw new RangeError(`${op}: order must be an integer ≥ 1, got ${order}`);
    const V = options.vocabSize;
    if (!(Number.isInteger(V) && V >= 1 && V < 0xd800))
      throw new RangeError(`${op}: vocabSize must be an integer in [1, 55296), got ${V}`);
    if (ids.length < order)
      throw new RangeError(`${op}: ${ids.length} training ids are fewer than the order ${order}`);
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i]!;
      if (!(Number.isInteger(v) && v >= 0 && v < V))
        throw new RangeError(`${op}: id ${v} at ${i} is outside the vocabulary; expected an id in [0, ${V})`);
    }
    if (options.discount !== undefined && !(options.discount > 0 && options.discount < 1))
      throw new RangeError(`${op}: discount must be in (0, 1), got ${options.discount}`);
    this.order = order;
    this.vocabSize = V;
    // Raw counts of every order's n-grams.
    const raw: Map<string, number>[] = [];
    for (let k = 1; k <= order; k++) {
      const m = new Map<string, number>();
      for (let i = 0; i + k <= ids.length; i++) {
        const g = key(ids, i, i + k);
        m.set(g, (m.get(g) ?? 0) + 1);
      }
      raw.push(m);
    }
    const discounts: number[] = [];
    for (let k = 1; k <= order; k++) {
      let counts: Map<string, number>;
      if (k === order) counts = raw[k - 1]!;
      else {
        counts = new Map();
        for (const g of raw[k]!.keys()) {
          const tail = g.slice(1);
          counts.set(tail, (counts.get(tail) ?? 0) + 1);
        }
      }
      const totals = new Map<string, number>();
      const types = new Map<string, number>();
      let n1 = 0;
      let n2 = 0;
      for (const [g, c] of counts) {
        const h = g.slice(0, -1);
        totals.set(h, (totals.get(h) ?? 0) + c);
        types.set(h, (types.get(h) ?? 0) + 1);
        if (c === 1) n1++;
        else if (c === 2) n2++;
      }
      this.#counts.push(counts);
      this.#totals.push(totals);
      this.#types.push(types);
      const estimate = n1 + 2 * n2 > 0 && n1 > 0 ? n1 / (n1 + 2 * n2) : 0.75;
      discounts.push(options.discount ?? Math.min(estimate, 0.95));
    }
    this.discounts = discounts;
  }

  /** P(next | history), using the last `order − 1` ids of `history` (fewer at the start of a text). */
  prob(history: ArrayLike<number>, next: number): number {
    if (!(Number.isInteger(next) && next >= 0 && next < this.vocabSize))
      throw new RangeError(
        `KneserNeyLM.prob: id ${next} is outside the vocabulary; expected an id in [0, ${this.vocabSize})`,
      );
    const n = Math.min(history.length, this.order - 1);
    return this.#p(key(history, history.length - n, history.length), String.fromCharCode(next));
  }

  #p(h: string, w: string): number {
    let p = 1 / this.vocabSize;
    // From order 1 up to order |h| + 1, each level interpolating with the one below.
    for (let k = 1; k <= h.length + 1; k++) {
      const hist = h.slice(h.length - (k - 1));
      const total = this.#totals[k - 1]!.get(hist);
      if (!total) continue; // an unseen history backs off whole
      const D = this.discounts[k - 1]!;
      const c = this.#counts[k - 1]!.get(hist + w) ?? 0;
      p = Math.max(c - D, 0) / total + ((D * this.#types[k - 1]!.get(hist)!) / total) * p;
    }
    return p;
  }

  /**
   * exp of the mean negative log-likelihood of `ids[from…]`, each id scored given the ids before it
   * (`ids[0…from)` serve as context only, e.g. the end of the training text).
   */
  perplexity(ids: ArrayLike<number>, from = 0): number {
    if (ids.length - from < 1) throw new RangeError('KneserNeyLM.perplexity: no ids to score');
    let nll = 0;
    const ctx = this.order - 1;
    for (let i = from; i < ids.length; i++) {
      const start = Math.max(0, i - ctx);
      const next = ids[i]!;
      if (!(Number.isInteger(next) && next >= 0 && next < this.vocabSize))
        throw new RangeError(`KneserNeyLM.perplexity: id ${next} at ${i} is outside [0, ${this.vocabSize})`);
      nll -= Math.log(this.#p(key(ids, start, i), String.fromCharCode(next)));
    }
    return Math.exp(nll / (ids.length - from));
  }
}
