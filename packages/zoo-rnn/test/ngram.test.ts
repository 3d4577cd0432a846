import { describe, expect, it } from 'vitest';
import { CharVocabulary, KneserNeyLM } from '../src/index.js';

describe('interpolated Kneser–Ney (Chen & Goodman 1999, eq. 17 and 19)', () => {
  // Corpus "abab" over {a = 0, b = 1, c = 2}, bigrams, D = 0.5 at both orders. By hand:
  //   bigram counts ab 2, ba 1: c(a·) = 2 with one type, c(b·) = 1 with one type;
  //   unigram continuation counts N₁₊(•a) = 1 (ba), N₁₊(•b) = 1 (ab), total 2, two types;
  //   P₁(a) = (1 − .5)/2 + .5·2/2·⅓ = 0.25 + 1/6 = 5/12 = P₁(b);  P₁(c) = .5·2/2·⅓ = 1/6;
  //   P(b|a) = (2 − .5)/2 + .5·1/2·P₁(b) = 0.75 + 5/48 = 41/48;  P(a|a) = .25·5/12 = 5/48;  P(c|a) = 1/24;
  //   P(a|b) = (1 − .5)/1 + .5·1/1·5/12 = 17/24;  an unseen history c backs off: P(x|c) = P₁(x).
  const lm = new KneserNeyLM([0, 1, 0, 1], { order: 2, vocabSize: 3, discount: 0.5 });

  it('matches the hand-worked bigram example', () => {
    expect(lm.prob([0], 1)).toBeCloseTo(41 / 48, 12);
    expect(lm.prob([0], 0)).toBeCloseTo(5 / 48, 12);
    expect(lm.prob([0], 2)).toBeCloseTo(1 / 24, 12);
    expect(lm.prob([1], 0)).toBeCloseTo(17 / 24, 12);
    expect(lm.prob([2], 0)).toBeCloseTo(5 / 12, 12);
    expect(lm.prob([2], 2)).toBeCloseTo(1 / 6, 12);
    // No history: the order-1 distribution; a longer history uses its last order − 1 ids.
    expect(lm.prob([], 1)).toBeCloseTo(5 / 12, 12);
    expect(lm.prob([2, 2, 0], 1)).toBeCloseTo(41 / 48, 12);
  });

  it('perplexity is exp of the mean negative log-likelihood', () => {
    // "ab" scored from its start: P₁(a) · P(b|a)
    const expected = Math.exp(-(Math.log(5 / 12) + Math.log(41 / 48)) / 2);
    expect(lm.perplexity([0, 1])).toBeCloseTo(expected, 12);
    // the first id as context only
    expect(lm.perplexity([0, 1], 1)).toBeCloseTo(48 / 41, 12);
  });

  it('estimates each order’s discount as n₁ / (n₁ + 2 n₂)', () => {
    // "aaab": bigrams aa 2, ab 1 → n₁ = 1, n₂ = 1 → D₂ = 1/3; continuation counts of unigrams:
    // •a has one type (a), •b one (a) → n₁ = 2, n₂ = 0 → D₁ = 1.
    const est = new KneserNeyLM([0, 0, 0, 1], { order: 2, vocabSize: 2 });
    expect(est.discounts[1]).toBeCloseTo(1 / 3, 12);
    // D = 1 would leave nothing to the seen events; it is capped at 0.95.
    expect(est.discounts[0]).toBe(0.95);
  });

  it('every conditional distribution sums to one (5-gram on real text, seen and unseen histories)', () => {
    const text =
      'Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse, ' +
      'and nothing particular to interest me on shore, I thought I would sail about a little and see the watery part of the world.';
    const vocab = CharVocabulary.build(text);
    const ids = vocab.encode(text);
    const five = new KneserNeyLM(ids, { order: 5, vocabSize: vocab.size });
    for (const h of ['Call', ' the', 'littl', 'zzzz', 'e w', '']) {
      const hist = vocab.encode(h);
      let total = 0;
      for (let w = 0; w < vocab.size; w++) total += five.prob(hist, w);
      expect([h, total]).toEqual([h, expect.closeTo(1, 12)]);
    }
    // More context helps on the text it was counted on.
    const two = new KneserNeyLM(ids, { order: 2, vocabSize: vocab.size });
    expect(five.perplexity(ids)).toBeLessThan(two.perplexity(ids));
  });

  it('bad input names KneserNeyLM and what it expected', () => {
    expect(() => new KneserNeyLM([0, 3], { order: 2, vocabSize: 3 })).toThrow(
      'KneserNeyLM: id 3 at 1 is outside the vocabulary; expected an id in [0, 3)',
    );
    expect(() => new KneserNeyLM([0], { order: 2, vocabSize: 3 })).toThrow(
      '1 training ids are fewer than the order 2',
    );
    expect(() => new KneserNeyLM([0, 1], { order: 0, vocabSize: 3 })).toThrow(
      'order must be an integer ≥ 1, got 0',
    );
    expect(() => new KneserNeyLM([0, 1], { vocabSize: 3, order: 2, discount: 1 })).toThrow(
      'discount must be in (0, 1), got 1',
    );
    expect(() => lm.prob([0], 3)).toThrow(
      'KneserNeyLM.prob: id 3 is outside the vocabulary; expected an id in [0, 3)',
    );
  });
});
