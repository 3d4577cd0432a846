import { describe, expect, it } from 'vitest';
import { beamSearch, type StepDecoder } from '../src/index.js';

/**
 * A toy decoder over tokens {0 = start, 1 = end, 2 = a, 3 = b} whose next-token probabilities
 * depend on the previous token only (a first-order Markov chain), stated as a table:
 *
 *   after start: end 0.0, a 0.55, b 0.45
 *   after a:     end 0.4, a 0.3,  b 0.3
 *   after b:     end 0.9, a 0.05, b 0.05
 *
 * Greedy picks a (0.55) then end (0.4): P = 0.22. The best output is b, end: 0.45·0.9 = 0.405.
 */
const TABLE: Record<number, number[]> = {
  0: [0, 0, 0.55, 0.45],
  2: [0, 0.4, 0.3, 0.3],
  3: [0, 0.9, 0.05, 0.05],
};
const BOS = 0;
const EOS = 1;

/** The state is the number of steps taken per row (to check select reorders rows). */
function markov(calls: { steps: number; rows: number[] }): StepDecoder<number[]> {
  return {
    step: async (tokens, state) => {
      calls.steps++;
      calls.rows.push(tokens.length);
      const lp = new Float64Array(tokens.length * 4);
      tokens.forEach((tok, r) => {
        TABLE[tok]!.forEach((p, v) => {
          lp[r * 4 + v] = Math.log(p);
        });
      });
      return { logProbs: lp, state: state.map((s) => s + 1) };
    },
    select: (state, rows) => Array.from(rows, (r) => state[r]!),
  };
}

/** Every output up to `maxLength` tokens (ending with the end token, or cut at the limit), by brute force. */
function exhaustive(maxLength: number): { tokens: number[]; p: number }[] {
  const out: { tokens: number[]; p: number }[] = [];
  const walk = (tokens: number[], p: number) => {
    const last = tokens.length ? tokens.at(-1)! : BOS;
    if (last === EOS || tokens.length === maxLength) {
      if (p > 0) out.push({ tokens, p });
      return;
    }
    TABLE[last]!.forEach((q, v) => {
      if (v !== BOS) walk([...tokens, v], p * q);
    });
  };
  walk([], 1);
  return out.sort((a, b) => b.p - a.p);
}

describe('beamSearch', () => {
  it('width 1 is greedy: a, end (P = 0.22)', async () => {
    const [best] = await beamSearch(markov({ steps: 0, rows: [] }), [0], {
      beamWidth: 1,
      maxLength: 5,
      bos: BOS,
      eos: EOS,
    });
    expect(best!.tokens).toEqual([2, EOS]);
    expect(best!.score).toBeCloseTo(Math.log(0.22), 12);
    expect(best!.finished).toBe(true);
  });

  it('width 2 finds the better output b, end (P = 0.405) that greedy misses', async () => {
    const calls = { steps: 0, rows: [] as number[] };
    const hyps = await beamSearch(markov(calls), [0], { beamWidth: 2, maxLength: 5, bos: BOS, eos: EOS });
    expect(hyps[0]!.tokens).toEqual([3, EOS]);
    expect(hyps[0]!.score).toBeCloseTo(Math.log(0.405), 12);
    expect(hyps[1]!.tokens).toEqual([2, EOS]);
    // Two finished outputs beat every live one after step 2: the search stops there.
    expect(calls.steps).toBe(2);
    expect(calls.rows).toEqual([1, 2]);
  });

  it('a beam as wide as the search space returns the exhaustive ranking', async () => {
    const all = exhaustive(4);
    const hyps = await beamSearch(markov({ steps: 0, rows: [] }), [0], {
      beamWidth: 64,
      maxLength: 4,
      bos: BOS,
      eos: EOS,
    });
    const top = all.slice(0, 6);
    expect(hyps.slice(0, 6).map((h) => h.tokens)).toEqual(top.map((h) => h.tokens));
    hyps.slice(0, 6).forEach((h, i) => {
      expect(h.score).toBeCloseTo(Math.log(top[i]!.p), 10);
    });
  });

  it('at the length limit, unfinished outputs are returned as such', async () => {
    const [best] = await beamSearch(markov({ steps: 0, rows: [] }), [0], {
      beamWidth: 1,
      maxLength: 1,
      bos: BOS,
      eos: EOS,
    });
    expect(best).toEqual({ tokens: [2], score: Math.log(0.55), finished: false });
  });

  it('length normalisation ranks by score / length^α', async () => {
    const hyps = await beamSearch(markov({ steps: 0, rows: [] }), [0], {
      beamWidth: 3,
      maxLength: 3,
      bos: BOS,
      eos: EOS,
      lengthPenalty: 1,
    });
    const ranked = hyps.map((h) => h.score / h.tokens.length);
    expect([...ranked].sort((a, b) => b - a)).toEqual(ranked);
  });

  it('refuses a bad width, length or decoder output with what it expected', async () => {
    const d = markov({ steps: 0, rows: [] });
    await expect(beamSearch(d, [0], { beamWidth: 0, maxLength: 3, bos: 0, eos: 1 })).rejects.toThrow(
      'beamSearch: beamWidth must be an integer ≥ 1, got 0',
    );
    await expect(beamSearch(d, [0], { beamWidth: 2, maxLength: 0, bos: 0, eos: 1 })).rejects.toThrow(
      'beamSearch: maxLength must be an integer ≥ 1, got 0',
    );
    const broken: StepDecoder<null> = {
      step: async () => ({ logProbs: new Float32Array(0), state: null }),
      select: () => null,
    };
    await expect(beamSearch(broken, null, { beamWidth: 2, maxLength: 3, bos: 0, eos: 1 })).rejects.toThrow(
      'beamSearch: the decoder returned 0 log-probabilities for 1 rows; expected rows × vocabulary',
    );
  });
});
