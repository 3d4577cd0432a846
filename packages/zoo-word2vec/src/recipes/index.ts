import { tokenizeWords, Vocabulary } from '@myelin/data';
import {
  defineRecipe,
  type RecipeContext,
  recipeStream,
  type VegaLiteSpec,
  type ZooEvent,
} from '@myelin/train';
import type { Observable } from 'rxjs';
import { pca, tsne } from '../project.js';
import { analogyQuestions, WordVectors } from '../vectors.js';
import { encodeCorpus, Word2Vec } from '../word2vec.js';

/** Where the recipes read their text (the CLI's `textData()`, or a test's loaders). */
export interface TextSource {
  /** The corpus as documents of running text: IMDB's reviews, or Moby Dick's paragraphs. */
  corpus(name: 'imdb' | 'moby-dick'): Promise<string[]>;
  /** Analogy pairs by section (country–capital, plurals, comparatives). */
  analogies(): Promise<{ name: string; pairs: [string, string][] }[]>;
}

const options = (defaults: { epochs: number; minCount: number }) =>
  [
    {
      name: 'epochs',
      type: 'integer',
      default: defaults.epochs,
      min: 1,
      max: 100,
      help: 'passes over the corpus',
    },
    { name: 'dim', type: 'integer', default: 100, min: 2, max: 1000, help: 'vector size' },
    {
      name: 'window',
      type: 'integer',
      default: 5,
      min: 1,
      max: 50,
      help: 'largest distance to a context word',
    },
    {
      name: 'minCount',
      type: 'integer',
      default: defaults.minCount,
      min: 1,
      max: 1000,
      help: 'words seen fewer times are dropped',
    },
    {
      name: 'model',
      type: 'enum',
      default: 'skip-gram',
      values: ['skip-gram', 'cbow'],
      help: 'architecture',
    },
    {
      name: 'objective',
      type: 'enum',
      default: 'negative',
      values: ['negative', 'hierarchical'],
      help: 'negative sampling or hierarchical softmax',
    },
    {
      name: 'negative',
      type: 'integer',
      default: 5,
      min: 1,
      max: 50,
      help: 'negative samples per prediction',
    },
    {
      name: 'sample',
      type: 'number',
      default: 1e-3,
      min: 0,
      max: 1,
      help: 'subsampling threshold of frequent words',
    },
    { name: 'alpha', type: 'number', default: 0.025, min: 1e-5, max: 1, help: 'starting learning rate' },
    { name: 'threads', type: 'integer', default: 0, min: 0, max: 64, help: 'worker threads (0: all cores)' },
    {
      name: 'maxDocuments',
      type: 'integer',
      default: 0,
      min: 0,
      help: 'use only the first N documents (0: all)',
    },
    { name: 'seed', type: 'integer', default: 1, min: 0, help: 'seed of the initial vectors and sampling' },
  ] as const;

type Values = {
  epochs: number;
  dim: number;
  window: number;
  minCount: number;
  model: 'skip-gram' | 'cbow';
  objective: 'negative' | 'hierarchical';
  negative: number;
  sample: number;
  alpha: number;
  threads: number;
  maxDocuments: number;
  seed: number;
  data?: unknown;
};

/** The words whose neighbours each run lists. */
export const SAMPLE_WORDS = {
  'moby-dick': ['whale', 'ship', 'sea', 'captain', 'ahab', 'boat', 'harpoon', 'night', 'water', 'man'],
  imdb: ['movie', 'actor', 'great', 'funny', 'horror', 'music', 'bad', 'love', 'story', 'king'],
} as const;

function textSource(data: unknown): TextSource {
  const d = data as Partial<TextSource> | undefined;
  if (typeof d?.corpus !== 'function' || typeof d.analogies !== 'function') {
    throw new TypeError(
      'word2vec recipes: options.data must provide corpus(name) and analogies() (see textData in the CLI)',
    );
  }
  return d as TextSource;
}

/** Country → capital pairs in a PCA plane, with an arrow per pair: the offset structure. */
function capitalsChart(
  title: string,
  words: string[],
  xy: Float32Array,
  pairs: [string, string][],
): VegaLiteSpec {
  const at = new Map(words.map((w, i) => [w, [xy[i * 2]!, xy[i * 2 + 1]!] as const]));
  const points = words.map((w, i) => ({
    word: w,
    x: xy[i * 2]!,
    y: xy[i * 2 + 1]!,
    kind: pairs.some(([cap]) => cap === w) ? 'capital' : 'country',
  }));
  const links = pairs.map(([cap, country]) => ({
    x: at.get(country)![0],
    y: at.get(country)![1],
    x2: at.get(cap)![0],
    y2: at.get(cap)![1],
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 520,
    height: 420,
    layer: [
      {
        data: { values: links },
        mark: { type: 'rule', color: '#bbb' },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: 'PC 1' },
          y: { field: 'y', type: 'quantitative', title: 'PC 2' },
          x2: { field: 'x2' },
          y2: { field: 'y2' },
        },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          color: { field: 'kind', type: 'nominal' },
        },
      },
      {
        data: { values: points },
        mark: { type: 'text', dx: 4, align: 'left', fontSize: 9 },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          text: { field: 'word' },
        },
      },
    ],
  };
}

function scatterChart(title: string, words: readonly string[], xy: Float32Array): VegaLiteSpec {
  const values = words.map((w, i) => ({ word: w, x: xy[i * 2]!, y: xy[i * 2 + 1]! }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 640,
    height: 520,
    data: { values },
    layer: [
      {
        mark: { type: 'point', size: 8 },
        encoding: {
          x: { field: 'x', type: 'quantitative', axis: null },
          y: { field: 'y', type: 'quantitative', axis: null },
        },
      },
      {
        mark: { type: 'text', fontSize: 8, dy: -5 },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          text: { field: 'word' },
        },
      },
    ],
  };
}

/** The documents as sentences of tokens. */
export function sentencesOf(docs: readonly string[]): string[][] {
  return docs.map((d) => tokenizeWords(d));
}

async function runWord2Vec(name: 'imdb' | 'moby-dick', o: Values, ctx: RecipeContext): Promise<void> {
  const src = textSource(o.data);
  let docs = await src.corpus(name);
  if (o.maxDocuments > 0) docs = docs.slice(0, o.maxDocuments);
  const sentences = sentencesOf(docs);
  const vocab = Vocabulary.build(sentences, { minCount: o.minCount });
  const corpus = encodeCorpus(vocab, sentences);
  ctx.emit({
    type: 'text',
    title: 'corpus',
    text: `${name}: ${docs.length} documents, ${corpus.ids.length} words in a vocabulary of ${vocab.size} (min count ${o.minCount})`,
  });
  const hs = o.objective === 'hierarchical';
  const model = await Word2Vec.create(vocab, {
    dim: o.dim,
    window: o.window,
    sg: o.model === 'skip-gram',
    hs,
    negative: hs ? 0 : o.negative,
    sample: o.sample,
    alpha: o.alpha,
    threads: o.threads > 0 ? o.threads : undefined,
    seed: o.seed,
  });
  ctx.onEnd(() => model.dispose());
  const t0 = performance.now();
  const epochs = await model.train(corpus, {
    epochs: o.epochs,
    computeLoss: true,
    signal: ctx.signal,
    onEpoch: (e, r) => {
      ctx.emit({
        type: 'text',
        title: `epoch ${e + 1}`,
        text: `loss ${(r.loss / r.predictions).toFixed(4)} per prediction, ${Math.round(r.wordsPerSecond)} words/s, ${r.seconds.toFixed(1)} s`,
      });
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  ctx.emit({
    type: 'metric',
    name: 'words per second',
    value: (corpus.ids.length * o.epochs) / seconds,
    unit: 'words/s',
  });
  ctx.emit({ type: 'metric', name: 'training seconds', value: seconds, unit: 's' });
  ctx.emit({
    type: 'metric',
    name: 'final loss',
    value: epochs.at(-1)!.loss / Math.max(1, epochs.at(-1)!.predictions),
    unit: 'per prediction',
  });
  ctx.emit({
    type: 'figure',
    kind: 'chart',
    title: 'loss per epoch',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: 'training loss per prediction',
      width: 300,
      height: 200,
      data: { values: epochs.map((r, e) => ({ epoch: e + 1, loss: r.loss / Math.max(1, r.predictions) })) },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
        y: { field: 'loss', type: 'quantitative', scale: { zero: false } },
      },
    },
  });
  ctx.throwIfStopped();
  const kv = new WordVectors(vocab.words, model.vectors(), model.dim);
  const neighbours = SAMPLE_WORDS[name]
    .filter((w) => vocab.has(w))
    .map((w) => ({
      query: w,
      neighbours: kv.nearest(w, 8).map((n) => ({ label: n.word, similarity: n.similarity })),
    }));
  ctx.emit({ type: 'embedding', title: 'nearest neighbours', neighbours });
  ctx.emit({
    type: 'text',
    title: 'nearest neighbours',
    text: neighbours.map((n) => `${n.query}: ${n.neighbours.map((x) => x.label).join(', ')}`).join('\n'),
  });

  // Analogies: every section's questions among pairs in this vocabulary, both methods.
  const sections = await src.analogies();
  const sets = analogyQuestions(sections, { maxPerSection: 1000, known: (w) => vocab.has(w) });
  const lines: string[] = [];
  for (const method of ['3CosAdd', '3CosMul'] as const) {
    let correct = 0;
    let asked = 0;
    for (const s of sets) {
      const r = kv.evaluateAnalogies(s.questions, { method });
      correct += r.correct;
      asked += r.asked;
      lines.push(`${method} ${s.section}: ${r.correct}/${r.asked} (${(100 * r.accuracy).toFixed(1)}%)`);
    }
    ctx.emit({ type: 'metric', name: `analogy accuracy ${method}`, value: asked ? correct / asked : 0 });
    if (method === '3CosAdd') ctx.emit({ type: 'metric', name: 'analogy questions', value: asked });
  }
  const allPairs = sections.reduce((n, s) => n + s.pairs.length, 0);
  const knownPairs = sections.reduce(
    (n, s) => n + s.pairs.filter(([a, b]) => vocab.has(a) && vocab.has(b)).length,
    0,
  );
  lines.push(`pairs in vocabulary: ${knownPairs} of ${allPairs} (the others are out of vocabulary)`);
  ctx.emit({ type: 'text', title: 'analogies', text: lines.join('\n') });

  // Country and capital vectors on their first two principal axes.
  const capitals = (sections.find((s) => s.name === 'capital-country')?.pairs ?? [])
    .filter(([a, b]) => vocab.has(a) && vocab.has(b))
    .sort((p, q) => vocab.id(p[1]) - vocab.id(q[1]))
    .slice(0, 16);
  if (capitals.length >= 3) {
    const words = capitals.flatMap(([cap, country]) => [country, cap]);
    const x = new Float32Array(words.length * model.dim);
    words.forEach((w, i) => {
      x.set(kv.get(w)!, i * model.dim);
    });
    const { coords } = pca(x, words.length, model.dim, 2);
    ctx.emit({
      type: 'embedding',
      title: 'countries and capitals (PCA)',
      points: { data: coords, shape: [words.length, 2], labels: words },
    });
    ctx.emit({
      type: 'figure',
      kind: 'chart',
      title: 'countries and capitals (PCA)',
      spec: capitalsChart('countries → capitals, PCA of the word vectors', words, coords, capitals),
    });
  }
  // The most frequent words (after the first 50) in t-SNE.
  const top = vocab.words.slice(50, 350);
  if (top.length >= 10) {
    const x = new Float32Array(top.length * model.dim);
    top.forEach((w, i) => {
      x.set(kv.get(w)!, i * model.dim);
    });
    const xy = tsne(x, top.length, model.dim, { seed: o.seed, iterations: 500 });
    ctx.emit({
      type: 'embedding',
      title: 'frequent words (t-SNE)',
      points: { data: xy, shape: [top.length, 2], labels: top },
    });
    ctx.emit({
      type: 'figure',
      kind: 'chart',
      title: 'frequent words (t-SNE)',
      spec: scatterChart(`words 51–${50 + top.length} by frequency, t-SNE`, top, xy),
    });
  }
}

const run =
  (name: 'imdb' | 'moby-dick') =>
  (o: Values): Observable<ZooEvent> =>
    recipeStream((ctx) => runWord2Vec(name, o, ctx));

export const word2vecMobyDick = defineRecipe({
  name: 'word2vec-moby-dick',
  title: 'word2vec on Moby Dick',
  description:
    "Skip-gram (or CBOW) word vectors of Melville's Moby Dick (190 k words): nearest neighbours of ten words, analogies, PCA and t-SNE pictures. Seconds on 2 threads.",
  family: 'embedding',
  options: options({ epochs: 10, minCount: 5 }),
  run: run('moby-dick'),
});

export const word2vecImdb = defineRecipe({
  name: 'word2vec-imdb',
  title: 'word2vec on IMDB reviews',
  description:
    'Skip-gram word vectors of the 50,000 IMDB reviews (11.6 M words) with gensim’s settings (negative 5, window 5, dim 100, min count 5): neighbours, analogies against the Debian-derived set, a PCA picture of countries and capitals. bench/word2vec_gensim.py runs gensim beside it.',
  family: 'embedding',
  options: options({ epochs: 5, minCount: 5 }),
  run: run('imdb'),
});
