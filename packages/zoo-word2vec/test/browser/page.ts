/*
 * The browser test's page (bundled by esbuild, served cross-origin isolated): trains word2vec on
 * the sentences the test hands over (the `w2v-corpus` alias, a JSON file) with the Hogwild kernel
 * on Web Workers over one shared WebAssembly.Memory, and leaves the per-epoch loss, the thread
 * count and the vectors on `window.__result`.
 */
import { Vocabulary } from '@myelin/data';
import sentences from 'w2v-corpus';
import { encodeCorpus, threadsAvailable, Word2Vec } from '../../src/index.js';

const g = globalThis as {
  __result?: unknown;
  __error?: string;
  __unavailable?: string;
  crossOriginIsolated?: boolean;
};

try {
  if (!threadsAvailable()) {
    g.__error = `no shared memory here (crossOriginIsolated: ${g.crossOriginIsolated})`;
  } else {
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
    const losses: number[] = [];
    const t0 = performance.now();
    await model.train(corpus, {
      epochs: 5,
      computeLoss: true,
      onEpoch: (_, s) => {
        losses.push(s.loss / s.predictions);
      },
    });
    const ms = performance.now() - t0;
    const result = {
      isolated: g.crossOriginIsolated === true,
      threads: model.threads,
      words: vocab.words,
      vectors: Array.from(model.vectors()),
      losses,
      ms,
    };
    model.dispose();
    g.__result = result;
  }
} catch (e) {
  g.__error = String((e as Error).stack ?? e);
}
