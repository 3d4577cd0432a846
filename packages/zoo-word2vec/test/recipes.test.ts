import { memory } from '@myelin/core';
import { Vocabulary } from '@myelin/data';
import { loadAnalogyPairs, loadMobyDick } from '@myelin/data/node';
import { parseRecipeOptions, type ZooEvent } from '@myelin/train';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { encodeCorpus, recipes, sentencesOf, type TextSource, Word2Vec, WordVectors } from '../src/index.js';
import { fixture } from './fixtures.js';

/** The CLI's text source, from the Node loaders (as apps/cli/src/zoo-data/text.ts). */
const data: TextSource = {
  corpus: async (name) => {
    if (name !== 'moby-dick') throw new Error('the fast tests read Moby Dick only');
    return (await loadMobyDick()).split(/\r?\n\s*\r?\n/);
  },
  analogies: () => loadAnalogyPairs(),
};

const moby = fixture('moby-gensim.json') as { pairs: [string, string][]; gap: number[] };

/** Mean cosine of a noun with its plural minus that with another noun's plural (the fixture's measure). */
function pluralGap(kv: WordVectors, pairs: [string, string][]): number {
  let same = 0;
  let other = 0;
  pairs.forEach(([a, b], i) => {
    same += kv.similarity(a, b);
    other += kv.similarity(a, pairs[(i + 7) % pairs.length]![1]);
  });
  return (same - other) / pairs.length;
}

describe('word2vec on Moby Dick (real data)', () => {
  it('places nouns near their plurals as gensim does with the same settings', async () => {
    const sentences = sentencesOf((await loadMobyDick()).split(/\r?\n\s*\r?\n/));
    const vocab = Vocabulary.build(sentences, { minCount: 5 });
    const corpus = encodeCorpus(vocab, sentences);
    const model = await Word2Vec.create(vocab, {
      dim: 50,
      window: 5,
      negative: 5,
      sample: 1e-3,
      threads: 2,
      seed: 1,
    });
    await model.train(corpus, { epochs: 5 });
    const kv = new WordVectors(vocab.words, model.vectors(), 50);
    model.dispose();
    const pairs = moby.pairs.filter(([a, b]) => vocab.has(a) && vocab.has(b));
    expect(pairs.length).toBe(moby.pairs.length); // same tokens, same vocabulary
    const gap = pluralGap(kv, pairs);
    // gensim 4.2 over three seeds: 0.041–0.044. Untrained vectors give ≈ 0.
    expect(gap).toBeGreaterThan(0.75 * Math.min(...moby.gap));
    expect(gap).toBeLessThan(2 * Math.max(...moby.gap));
  });

  it('the recipe runs end to end with flat memory and says what it found', async () => {
    const recipe = recipes['word2vec-moby-dick'];
    const before = memory().tensors;
    const options = parseRecipeOptions(recipe.options, { epochs: '2', dim: '32', threads: '2' });
    const events: ZooEvent[] = await lastValueFrom(
      recipe.run({ ...options, data } as unknown as Parameters<typeof recipe.run>[0]).pipe(toArray()),
    );
    expect(memory().tensors).toBe(before);
    const metric = (name: string) =>
      events.find((e) => e.type === 'metric' && e.name === name) as { value: number } | undefined;
    expect(metric('words per second')!.value).toBeGreaterThan(1000);
    expect(metric('analogy questions')!.value).toBeGreaterThan(100);
    expect(events.filter((e) => e.type === 'text' && e.title.startsWith('epoch ')).length).toBe(2);
    const nn = events.find((e) => e.type === 'embedding' && e.neighbours) as Extract<
      ZooEvent,
      { type: 'embedding' }
    >;
    expect(nn.neighbours!.length).toBe(10);
    const tsne = events.find((e) => e.type === 'embedding' && e.points) as Extract<
      ZooEvent,
      { type: 'embedding' }
    >;
    expect(tsne.points!.shape).toEqual([300, 2]);
    expect(events.some((e) => e.type === 'figure' && e.title === 'loss per epoch')).toBe(true);
  });

  it('rejects a data source without corpora', () => {
    const recipe = recipes['word2vec-moby-dick'];
    const options = parseRecipeOptions(recipe.options, {});
    return expect(
      lastValueFrom(recipe.run({ ...options, data: {} } as unknown as Parameters<typeof recipe.run>[0])),
    ).rejects.toThrow(/must provide corpus\(name\) and analogies\(\)/);
  });
});
