import type { Generator } from '@myelin/core';

/** How `sampleToken` picks the next token. */
export interface SampleOptions {
  /** Divide the logits by this before the softmax (default 1); 0 picks the most likely token. */
  temperature?: number;
  /** Keep only the k most likely tokens (default 0: all). */
  topK?: number;
  /**
   * Nucleus sampling (Holtzman et al. 2020): keep the most likely tokens whose probabilities sum to
   * at least `topP` (default 1: all), as Hugging Face's `TopPLogitsWarper`.
   */
  topP?: number;
}

/**
 * Draw one token id from one row of logits: softmax(logits / temperature) restricted to the top-k
 * and then the top-p tokens, sampled by inverse CDF with one uniform draw of `gen` (so a seeded
 * generator gives the same tokens run after run). Ties at the k-th logit are kept.
 */
export function sampleToken(logits: ArrayLike<number>, gen: Generator, options: SampleOptions = {}): number {
  const op = 'sampleToken';
  const temperature = options.temperature ?? 1;
  const topK = options.topK ?? 0;
  const topP = options.topP ?? 1;
  if (!(temperature >= 0 && Number.isFinite(temperature)))
    throw new RangeError(`${op}: temperature must be a finite number ≥ 0, got ${temperature}`);
  if (!(Number.isInteger(topK) && topK >= 0))
    throw new RangeError(`${op}: topK must be an integer ≥ 0 (0: all), got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new RangeError(`${op}: topP must be in (0, 1], got ${topP}`);
  const n = logits.length;
  if (n === 0) throw new RangeError(`${op}: no logits to sample from`);
  // Token ids by falling logit (stable: the lower id first among equals).
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  if (temperature === 0) return order[0]!;
  let keep = n;
  if (topK > 0 && topK < n) {
    const floor = logits[order[topK - 1]!]!;
    keep = topK;
    while (keep < n && logits[order[keep]!]! === floor) keep++;
  }
  const top = logits[order[0]!]!;
  const w = new Float64Array(keep);
  let total = 0;
  for (let r = 0; r < keep; r++) {
    w[r] = Math.exp((logits[order[r]!]! - top) / temperature);
    total += w[r]!;
  }
  if (topP < 1) {
    // The smallest prefix whose probability reaches topP (at least one token).
    let acc = 0;
    let r = 0;
    while (r < keep) {
      acc += w[r]! / total;
      r++;
      if (acc >= topP) break;
    }
    keep = r;
    total = 0;
    for (let i = 0; i < keep; i++) total += w[i]!;
  }
  const u = gen.uniform(1)[0]! * total;
  let acc = 0;
  for (let r = 0; r < keep; r++) {
    acc += w[r]!;
    if (u < acc) return order[r]!;
  }
  return order[keep - 1]!;
}
