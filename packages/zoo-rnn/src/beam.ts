/**
 * Beam search over any step-wise decoder (Graves 2012; Sutskever et al. 2014 §3.2): keep the
 * `beamWidth` best partial outputs by total log-probability, extend each by every token, keep the
 * best `beamWidth` again; an output that emits the end token is finished. The search is host
 * logic over the decoder's log-probabilities; the decoder owns its state (tensors or not) and
 * reorders it when hypotheses are kept, dropped or duplicated.
 */

/** A decoder the search drives, one row per live hypothesis. */
export interface StepDecoder<S> {
  /**
   * Log-probabilities of the next token, `[rows, vocab]` row-major, for the last tokens `tokens`
   * (one per row) from `state`; and the new state.
   */
  step(tokens: Int32Array, state: S): Promise<{ logProbs: Float32Array | Float64Array; state: S }>;
  /** The state of the rows `rows` (in that order; a row may repeat). */
  select(state: S, rows: Int32Array): S;
  /** Free a state the search no longer needs. */
  dispose?(state: S): void;
}

export interface BeamSearchOptions {
  beamWidth: number;
  /** Tokens to emit at most (the end token included). */
  maxLength: number;
  /** The start token fed first. */
  bos: number;
  /** The end token. */
  eos: number;
  /**
   * Length normalisation: finished outputs are ranked by score / length^α (α = 0, the default,
   * ranks by total log-probability, and the search stops as soon as no live hypothesis can win).
   */
  lengthPenalty?: number;
}

/** One finished (or, at the length limit, unfinished) output. */
export interface Hypothesis {
  /** The emitted tokens, the end token included when it was emitted (the start token not). */
  tokens: number[];
  /** Total log-probability. */
  score: number;
  finished: boolean;
}

/**
 * The best outputs of `decoder` from `initial` (one row), best first (up to `beamWidth`). With
 * `beamWidth` 1 this is greedy decoding.
 *
 * @example
 * const [best] = await beamSearch(decoder, state, { beamWidth: 4, maxLength: 11, bos: 0, eos: 1 });
 */
export async function beamSearch<S>(
  decoder: StepDecoder<S>,
  initial: S,
  options: BeamSearchOptions,
): Promise<Hypothesis[]> {
  const op = 'beamSearch';
  const { beamWidth: k, maxLength, bos, eos } = options;
  const alpha = options.lengthPenalty ?? 0;
  if (!Number.isInteger(k) || k < 1)
    throw new RangeError(`${op}: beamWidth must be an integer ≥ 1, got ${k}`);
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new RangeError(`${op}: maxLength must be an integer ≥ 1, got ${maxLength}`);
  }
  const ranked = (h: Hypothesis) => (alpha === 0 ? h.score : h.score / h.tokens.length ** alpha);
  let live: Hypothesis[] = [{ tokens: [], score: 0, finished: false }];
  const finished: Hypothesis[] = [];
  let state = initial;
  let owned = false; // the initial state is the caller's
  try {
    for (let t = 0; t < maxLength && live.length > 0; t++) {
      const last = Int32Array.from(live, (h) => (h.tokens.length ? h.tokens.at(-1)! : bos));
      const { logProbs, state: next } = await decoder.step(last, state);
      if (owned) decoder.dispose?.(state);
      state = next;
      owned = true;
      const vocab = logProbs.length / live.length;
      if (!Number.isInteger(vocab) || vocab < 1) {
        throw new RangeError(
          `${op}: the decoder returned ${logProbs.length} log-probabilities for ${live.length} rows; expected rows × vocabulary`,
        );
      }
      // The best k extensions of all live rows (ties: lower row, then lower token).
      const cands: { row: number; token: number; score: number }[] = [];
      for (let r = 0; r < live.length; r++) {
        for (let v = 0; v < vocab; v++)
          cands.push({ row: r, token: v, score: live[r]!.score + logProbs[r * vocab + v]! });
      }
      cands.sort((a, b) => b.score - a.score || a.row - b.row || a.token - b.token);
      // EOS among the top k finishes a hypothesis; the best k others stay live.
      const keep: Hypothesis[] = [];
      const rows: number[] = [];
      for (let i = 0; i < cands.length && keep.length < k; i++) {
        const c = cands[i]!;
        const tokens = [...live[c.row]!.tokens, c.token];
        if (c.token === eos) {
          if (i < k) finished.push({ tokens, score: c.score, finished: true });
          continue;
        }
        keep.push({ tokens, score: c.score, finished: false });
        rows.push(c.row);
      }
      live = keep;
      if (live.length > 0) {
        const chosen = decoder.select(state, Int32Array.from(rows));
        decoder.dispose?.(state);
        state = chosen;
      }
      // Scores only fall as tokens are added: without length normalisation, once the k best
      // finished outputs all beat the best live one, nothing live can enter the top k.
      if (alpha === 0 && finished.length >= k) {
        const kth = finished.map((f) => f.score).sort((x, y) => y - x)[k - 1]!;
        if (live.length === 0 || live[0]!.score <= kth) break;
      }
    }
  } finally {
    if (owned) decoder.dispose?.(state);
  }
  const all = [...finished, ...live];
  all.sort((a, b) => ranked(b) - ranked(a));
  return all.slice(0, k);
}
