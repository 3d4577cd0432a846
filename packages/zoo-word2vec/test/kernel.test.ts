import { memory } from '@myelin/core';
import { Vocabulary } from '@myelin/data';
import { describe, expect, it } from 'vitest';
import { encodeCorpus, Word2Vec } from '../src/index.js';
import { fixture, maxDiff } from './fixtures.js';

const steps = fixture('steps.json');

async function tiny(hs: { counts: number[]; alpha: number; syn0: number[] }, sg: boolean) {
  const vocab = new Vocabulary(['a', 'b', 'c'], hs.counts);
  const model = await Word2Vec.create(vocab, {
    dim: 8,
    window: 1,
    sg,
    hs: true,
    negative: 0,
    sample: 0,
    alpha: hs.alpha,
    minAlpha: hs.alpha,
    threads: 1,
  });
  model.setVectors(Float32Array.from(hs.syn0));
  return model;
}

describe('the SIMD kernel', () => {
  it('skip-gram with hierarchical softmax makes word2vec.c’s updates (closed form, numpy)', async () => {
    const c = steps.hs;
    const model = await tiny(c, true);
    await model.train(
      { ids: Int32Array.from(c.sentence), offsets: Int32Array.from([0, c.sentence.length]) },
      { epochs: 1 },
    );
    expect(maxDiff(model.vectors(), c.syn0_after)).toBeLessThan(1e-6);
    expect(maxDiff(model.outputVectors(), c.syn1_after)).toBeLessThan(1e-6);
    // The inputs did move: the check is not comparing the starting point with itself.
    expect(maxDiff(c.syn0, c.syn0_after)).toBeGreaterThan(1e-4);
    model.dispose();
  });

  it('CBOW (mean of the context) with hierarchical softmax makes word2vec.c’s updates', async () => {
    const c = steps.cbow;
    const model = await tiny(c, false);
    await model.train(
      { ids: Int32Array.from(c.sentence), offsets: Int32Array.from([0, c.sentence.length]) },
      { epochs: 1 },
    );
    expect(maxDiff(model.vectors(), c.syn0_after)).toBeLessThan(1e-6);
    expect(maxDiff(model.outputVectors(), c.syn1_after)).toBeLessThan(1e-6);
    model.dispose();
  });

  it('trains on worker threads with flat memory, and negative sampling lowers the loss', async () => {
    const words =
      'the whale swam under the ship and the sea rose over the boat while ahab watched the whale'.split(' ');
    const sentences = Array.from({ length: 200 }, (_, i) => (i % 2 ? words : [...words].reverse()));
    const vocab = Vocabulary.build(sentences, { minCount: 1 });
    const corpus = encodeCorpus(vocab, sentences);
    const model = await Word2Vec.create(vocab, { dim: 16, threads: 2, sample: 0, seed: 4 });
    expect(model.threads).toBe(2);
    const tensors = memory().tensors;
    const bytes: number[] = [];
    const res = await model.train(corpus, {
      epochs: 4,
      computeLoss: true,
      onEpoch: () => {
        bytes.push(model.memoryBytes);
      },
    });
    expect(new Set(bytes).size).toBe(1);
    expect(memory().tensors).toBe(tensors);
    const perPrediction = res.map((r) => r.loss / r.predictions);
    expect(perPrediction.at(-1)!).toBeLessThan(perPrediction[0]!);
    expect(res[0]!.effectiveWords).toBe(corpus.ids.length); // no subsampling
    for (const x of model.vectors()) expect(Number.isFinite(x)).toBe(true);
    model.dispose();
  });

  it('rejects bad options and bad corpora with clear errors', async () => {
    const vocab = new Vocabulary(['a', 'b'], [3, 2]);
    await expect(Word2Vec.create(vocab, { dim: 0 })).rejects.toThrow(
      /Word2Vec.create: dim must be an integer in \[1, 4096\], got 0/,
    );
    await expect(Word2Vec.create(vocab, { negative: 0 })).rejects.toThrow(/negative is 0 and hs is off/);
    await expect(Word2Vec.create(new Vocabulary(['a'], [3]))).rejects.toThrow(/expected at least 2/);
    const model = await Word2Vec.create(vocab, { threads: 1, dim: 4 });
    await expect(model.train({ ids: new Int32Array(0), offsets: Int32Array.from([0, 0]) })).rejects.toThrow(
      /the corpus is empty/,
    );
    await expect(
      model.train({ ids: Int32Array.from([0, 5]), offsets: Int32Array.from([0, 2]) }),
    ).rejects.toThrow(/word id 5 at 1 is outside \[0, 2\)/);
    await expect(
      model.train({ ids: Int32Array.from([0, 1]), offsets: Int32Array.from([0, 1]) }),
    ).rejects.toThrow(/offsets must run from 0 to ids.length/);
    model.dispose();
    // A corpus of words all below min count.
    expect(() => Vocabulary.build([['a', 'b']], { minCount: 2 })).toThrow(/no word occurs 2 times/);
    expect(encodeCorpus(vocab, [['x', 'y']]).ids.length).toBe(0);
  });
});
