import { describe, expect, it } from 'vitest';
import { loadWordNetNouns } from '../src/node.js';
import { WordNetNouns } from '../src/wordnet.js';
import { fixture } from './fixtures.js';

const golden = fixture('wordnet-nltk.json') as {
  pairs: [string, string, number][];
  first_sense: Record<string, number>;
};

describe('WordNet nouns (Debian wordnet-base) and the similarity list built from them', async () => {
  const wn = await loadWordNetNouns();

  it("scores word pairs as NLTK's path_similarity, maximised over noun senses", () => {
    for (const [a, b, want] of golden.pairs) {
      expect(wn.pathSimilarity(a, b), `${a} ${b}`).toBeCloseTo(want, 12);
    }
    for (const [w, offset] of Object.entries(golden.first_sense)) expect(wn.synsets(w)[0]).toBe(offset);
    expect(wn.synsets('quickly')).toEqual([]);
  });

  it('builds a reproducible list of near and random pairs with spread scores', () => {
    const list = wn.similarityList({ pairs: 200, seed: 3 });
    expect(list).toHaveLength(200);
    expect(wn.similarityList({ pairs: 200, seed: 3 })).toEqual(list);
    expect(wn.similarityList({ pairs: 200, seed: 4 })).not.toEqual(list);
    const keys = new Set(list.map(([a, b]) => [a, b].sort().join(' ')));
    expect(keys.size).toBe(200);
    for (const [a, b, s] of list) {
      expect(a).not.toBe(b);
      expect(s).toBe(wn.pathSimilarity(a, b));
    }
    // Near pairs (even places) share a hypernym within two steps: path ≤ 4 edges, score ≥ 1/5.
    const near = list.filter((_, i) => i % 2 === 0).map(([, , s]) => s);
    const random = list.filter((_, i) => i % 2 === 1).map(([, , s]) => s);
    expect(Math.min(...near)).toBeGreaterThanOrEqual(0.2);
    expect(random.reduce((x, y) => x + y, 0) / random.length).toBeLessThan(0.15);
  });

  it('rejects bad input', () => {
    expect(() => new WordNetNouns('', '')).toThrow(
      /WordNetNouns: expected WordNet's data.noun and index.noun/,
    );
    expect(() => wn.similarityList({ pairs: 1 })).toThrow(
      /similarityList: pairs must be an integer ≥ 2, got 1/,
    );
  });
});
