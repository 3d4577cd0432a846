import { describe, expect, it } from 'vitest';
import { analogyQuestions, pca, readVectorsBinary, spearman, tsne } from '../src/index.js';
import { fixture, fixtureBytes, maxDiff } from './fixtures.js';

const g = fixture('gensim-vectors.json');
const steps = fixture('steps.json');
const kv = () => readVectorsBinary(fixtureBytes('gensim-vectors.bin'));

describe('evaluation', () => {
  it("nearest neighbours match gensim's most_similar", () => {
    const v = kv();
    for (const [w, want] of Object.entries(g.most_similar as Record<string, [string, number][]>)) {
      const got = v.nearest(w, 4);
      expect(got.map((n) => n.word)).toEqual(want.map((n) => n[0]));
      expect(
        maxDiff(
          got.map((n) => n.similarity),
          want.map((n) => n[1]),
        ),
      ).toBeLessThan(1e-5);
    }
    expect(v.similarity('human', 'interface')).toBeCloseTo(g.similarity['human interface'], 5);
    expect(() => v.nearest('nope')).toThrow(/"nope" is not in the vocabulary/);
  });

  it('3CosAdd and 3CosMul answer as gensim’s most_similar and most_similar_cosmul', () => {
    const v = kv();
    for (const [q, want] of Object.entries(g.analogy_3cosadd as Record<string, string>)) {
      const [a, b, c] = q.split(' ') as [string, string, string];
      expect(v.analogy(a, b, c, '3CosAdd')).toBe(want);
    }
    for (const [q, want] of Object.entries(g.analogy_3cosmul as Record<string, string>)) {
      const [a, b, c] = q.split(' ') as [string, string, string];
      expect(v.analogy(a, b, c, '3CosMul')).toBe(want);
    }
  });

  it("scores questions as gensim's evaluate_word_analogies, counting out-of-vocabulary ones", () => {
    const questions: [string, string, string, string][] = [
      ['human', 'computer', 'user', 'system'],
      ['graph', 'trees', 'minors', 'survey'],
      ['system', 'eps', 'time', 'response'],
      ['human', 'interface', 'unknownword', 'graph'],
    ];
    const r = kv().evaluateAnalogies(questions);
    expect(r.asked).toBe(g.evaluate.asked);
    expect(r.correct).toBe(g.evaluate.correct);
    expect(r.oov).toBe(g.evaluate.oov);
    expect(r.accuracy).toBeCloseTo(g.evaluate.accuracy, 10);
    expect(kv().evaluateAnalogies([])).toEqual({ correct: 0, asked: 0, oov: 0, accuracy: 0 });
  });

  it("Spearman's ρ matches scipy (with ties)", () => {
    expect(spearman(steps.spearman.a, steps.spearman.b)).toBeCloseTo(steps.spearman.rho, 12);
    expect(() => spearman([1], [1, 2])).toThrow(/lengths differ/);
  });

  it('builds analogy questions from pairs, all ordered pairs of pairs or an even subset', () => {
    const pairs: [string, string][] = [
      ['a', 'as'],
      ['b', 'bs'],
      ['c', 'cs'],
    ];
    const [all] = analogyQuestions([{ name: 's', pairs }], { maxPerSection: 100 });
    expect(all!.questions.length).toBe(6);
    expect(all!.questions[0]).toEqual(['a', 'as', 'b', 'bs']);
    const [some] = analogyQuestions([{ name: 's', pairs }], { maxPerSection: 3 });
    expect(some!.questions.length).toBe(3);
    const [known] = analogyQuestions([{ name: 's', pairs }], { known: (w) => !w.startsWith('c') });
    expect(known!.questions).toEqual([
      ['a', 'as', 'b', 'bs'],
      ['b', 'bs', 'a', 'as'],
    ]);
  });
});

describe('projections', () => {
  it("PCA's axes, coordinates and variances match numpy's SVD", () => {
    const c = steps.pca;
    const r = pca(Float32Array.from(c.x), c.n, c.d, 2);
    expect(maxDiff(r.axes, c.axes)).toBeLessThan(1e-5);
    expect(maxDiff(r.coords, c.coords)).toBeLessThan(1e-4);
    expect(maxDiff(r.variance, c.variance)).toBeLessThan(1e-4);
    expect(() => pca(new Float32Array(5), 2, 3)).toThrow(/pca: expected 2 × 3 = 6 values/);
  });

  it('t-SNE keeps well separated clusters apart', () => {
    const n = 30;
    const d = 10;
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < d; k++) x[i * d + k] = (i < 15 ? 0 : 8) + Math.sin(i * 7.3 + k * 1.1);
    const y = tsne(x, n, d, { perplexity: 5, iterations: 1000 });
    const dist = (i: number, j: number) => Math.hypot(y[i * 2]! - y[j * 2]!, y[i * 2 + 1]! - y[j * 2 + 1]!);
    // Every point's nearest neighbour in the map is in its own cluster.
    for (let i = 0; i < n; i++) {
      let best = -1;
      for (let j = 0; j < n; j++) if (j !== i && (best < 0 || dist(i, j) < dist(i, best))) best = j;
      expect(best < 15).toBe(i < 15);
    }
    expect(() => tsne(new Float32Array(4), 2, 2)).toThrow(/at least 3 points/);
  });
});
