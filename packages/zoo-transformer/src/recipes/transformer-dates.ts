import { Generator, noGrad, scope, tensor } from '@myelin/core';
import { crossEntropy } from '@myelin/nn';
import { defineRecipe, type OptionValues, type Recipe, recipeStream } from '@myelin/train';
import {
  DATE_FORMAT_NAMES,
  type DatePair,
  dateTask,
  decodeTarget,
  encodeSource,
  encodeTarget,
  ISO_LENGTH,
  SOURCE_PAD,
  SOURCE_VOCAB_SIZE,
  TARGET_BOS,
  TARGET_EOS,
  TARGET_VOCAB_SIZE,
} from '@myelin/zoo-rnn';
import { EncoderDecoder } from '../encdec.js';
import { accumulatedStep, adamWGroups, bucketedBatches, warmupCosine } from '../training.js';
import { clipOption, curvesFigure, seedOption, type TransformerRecipeData, trainRounds } from './common.js';

const options = [
  { name: 'epochs', type: 'integer', default: 6, min: 1, help: 'passes over the training pairs' },
  { name: 'batchSize', type: 'integer', default: 64, min: 1, help: 'pairs per step' },
  { name: 'trainSize', type: 'integer', default: 20000, min: 1, help: 'training pairs' },
  { name: 'testSize', type: 'integer', default: 2000, min: 1, help: 'held-out days' },
  { name: 'lr', type: 'number', default: 0.002, min: 1e-8, help: "AdamW's peak learning rate" },
  { name: 'warmup', type: 'integer', default: 200, min: 1, help: 'linear warmup steps' },
  { name: 'weightDecay', type: 'number', default: 0.01, min: 0, help: "AdamW's weight decay on matrices" },
  { name: 'width', type: 'integer', default: 64, min: 1, help: 'model width' },
  { name: 'heads', type: 'integer', default: 4, min: 1, help: 'attention heads (must divide the width)' },
  { name: 'layers', type: 'integer', default: 2, min: 1, help: 'encoder blocks and decoder blocks, each' },
  { name: 'hidden', type: 'integer', default: 256, min: 1, help: 'feed-forward hidden units' },
  clipOption,
  seedOption,
  {
    name: 'testLimit',
    type: 'integer',
    default: 0,
    min: 0,
    help: 'decode only the first N held-out dates (0: all)',
  },
] as const;
export type TransformerDatesOptions = OptionValues<typeof options> & TransformerRecipeData;

/** The longest source the model reads (the longest date format writes 29 characters). */
const MAX_SOURCE = 40;
/** Decoder steps: start token + 10 characters in, 10 characters + end token out. */
const TARGET_STEPS = ISO_LENGTH + 1;

/** Sources (B, S) padded to the batch's longest, decoder inputs (B, 11) and targets (B, 11). */
function encodePairs(pairs: readonly DatePair[], picks: ArrayLike<number>) {
  const B = picks.length;
  let S = 1;
  for (let r = 0; r < B; r++) S = Math.max(S, pairs[picks[r]!]!.source.length);
  const src = new Int32Array(B * S);
  const inp = new Int32Array(B * TARGET_STEPS);
  const out = new Int32Array(B * TARGET_STEPS);
  for (let r = 0; r < B; r++) {
    const p = pairs[picks[r]!]!;
    src.set(encodeSource(p.source, S), r * S);
    const t = encodeTarget(p.target);
    inp[r * TARGET_STEPS] = TARGET_BOS;
    inp.set(t.subarray(0, TARGET_STEPS - 1), r * TARGET_STEPS + 1);
    out.set(t, r * TARGET_STEPS);
  }
  return {
    source: tensor(src, { shape: [B, S], dtype: 'int32' }),
    input: tensor(inp, { shape: [B, TARGET_STEPS], dtype: 'int32' }),
    target: tensor(out, { shape: [B * TARGET_STEPS], dtype: 'int32' }),
  };
}

/** `transformer-dates`: an encoder–decoder transformer normalises dates written 14 ways. */
export const transformerDates: Recipe<TransformerDatesOptions> = defineRecipe({
  name: 'transformer-dates',
  title: 'Encoder–decoder transformer on the date task',
  description:
    'zoo-rnn’s date task (dates 1950–2049 written in 14 human formats → YYYY-MM-DD; held-out days never seen in ' +
    'training): a pre-norm encoder–decoder transformer, 2 + 2 blocks of width 64 with 4 heads, learned positions, ' +
    'padding masked from attention; 20,000 pairs in length-bucketed batches of 64, AdamW lr 0.002 with 200 warmup ' +
    'steps then a cosine, norm ≤ 1, 6 epochs; greedy decoding. Target ≥ 99% exact match on the 2,000 held-out dates.',
  family: 'transformer',
  options,
  run: (o: TransformerDatesOptions) =>
    recipeStream(async (ctx) => {
      const task = dateTask({ trainSize: o.trainSize, testSize: o.testSize, seed: o.seed });
      const test = o.testLimit > 0 ? task.test.slice(0, o.testLimit) : task.test;
      const model = new EncoderDecoder({
        sourceVocab: SOURCE_VOCAB_SIZE,
        targetVocab: TARGET_VOCAB_SIZE,
        maxSource: MAX_SOURCE,
        maxTarget: TARGET_STEPS,
        width: o.width,
        heads: o.heads,
        encoderLayers: o.layers,
        decoderLayers: o.layers,
        hidden: o.hidden,
        sourcePad: SOURCE_PAD,
        seed: o.seed,
      });
      ctx.onEnd(() => model.dispose());
      ctx.emit({ type: 'metric', name: 'parameters', value: model.numParameters() });
      const optimizer = adamWGroups(model, { lr: o.lr, weightDecay: o.weightDecay, betas: [0.9, 0.98] });
      ctx.onEnd(() => optimizer.dispose());
      const perEpoch = Math.ceil(task.train.length / o.batchSize);
      const total = perEpoch * o.epochs;
      const scheduler =
        total > 1
          ? warmupCosine(optimizer, { warmupSteps: Math.min(o.warmup, total - 1), totalSteps: total })
          : null;
      const gen = new Generator(o.seed);
      const lengths = Int32Array.from(task.train, (p) => p.source.length);
      let batches: Int32Array[] = [];
      let errors: string[] = [];
      const records = await trainRounds(
        ctx,
        o.epochs,
        perEpoch,
        async (i) => {
          const b = i % perEpoch;
          if (b === 0) batches = bucketedBatches(lengths, o.batchSize, gen);
          const picks = batches[b]!;
          model.train();
          const loss = await accumulatedStep(
            model,
            optimizer,
            [
              {
                weight: 1,
                loss: () => {
                  const { source, input, target } = encodePairs(task.train, picks);
                  const logits = model.forward(source, input);
                  return crossEntropy(
                    logits.reshape([picks.length * TARGET_STEPS, TARGET_VOCAB_SIZE]),
                    target,
                  );
                },
              },
            ],
            o.clip,
          );
          scheduler?.step();
          return { loss, samples: picks.length };
        },
        async () => {
          let right = 0;
          let chars = 0;
          let lossSum = 0;
          const perFormat = new Float64Array(DATE_FORMAT_NAMES.length);
          const seenFormat = new Float64Array(DATE_FORMAT_NAMES.length);
          errors = [];
          for (let s = 0; s < test.length; s += 500) {
            ctx.throwIfStopped();
            const part = test.slice(s, s + 500);
            const { source, input, target } = encodePairs(
              part,
              Int32Array.from(part, (_, k) => k),
            );
            model.eval();
            const loss = noGrad(() =>
              scope(() =>
                crossEntropy(
                  model.forward(source, input).reshape([part.length * TARGET_STEPS, TARGET_VOCAB_SIZE]),
                  target,
                ),
              ),
            );
            lossSum += (await loss.data())[0]! * part.length;
            loss.dispose();
            input.dispose();
            target.dispose();
            const decoded = model.greedy(source, {
              bos: TARGET_BOS,
              eos: TARGET_EOS,
              maxLength: TARGET_STEPS,
            });
            source.dispose();
            part.forEach((p, k) => {
              const got = decodeTarget(decoded[k]!);
              for (let c = 0; c < ISO_LENGTH; c++) if (got[c] === p.target[c]) chars++;
              seenFormat[p.format]!++;
              if (got === p.target) {
                right++;
                perFormat[p.format]!++;
              } else if (errors.length < 20) errors.push(`${p.source} → ${got} (true ${p.target})`);
            });
          }
          const figures: Record<string, number> = {
            loss: lossSum / test.length,
            exactMatch: right / test.length,
            characterAccuracy: chars / (test.length * ISO_LENGTH),
          };
          DATE_FORMAT_NAMES.forEach((f, k) => {
            if (seenFormat[k]! > 0) figures[`format ${f}`] = perFormat[k]! / seenFormat[k]!;
          });
          return figures;
        },
      );
      ctx.emit(
        curvesFigure('transformer-dates: training loss and held-out exact match', records, [
          { figure: 'exactMatch', title: 'exact match' },
        ]),
      );
      const examples = test.slice(0, 8);
      const { source, input, target } = encodePairs(
        examples,
        Int32Array.from(examples, (_, k) => k),
      );
      input.dispose();
      target.dispose();
      const decoded = model.greedy(source, { bos: TARGET_BOS, eos: TARGET_EOS, maxLength: TARGET_STEPS });
      source.dispose();
      ctx.emit({
        type: 'text',
        title: 'held-out dates, greedy',
        text: examples.map((p, k) => `${p.source} → ${decodeTarget(decoded[k]!)}`).join('\n'),
      });
      if (errors.length) ctx.emit({ type: 'text', title: 'errors (up to 20)', text: errors.join('\n') });
      const last = records.at(-1)!;
      ctx.emit({ type: 'metric', name: 'exact match', value: last.test.exactMatch! });
      ctx.emit({ type: 'metric', name: 'character accuracy', value: last.test.characterAccuracy! });
      ctx.emit({ type: 'metric', name: 'held-out dates', value: test.length });
    }),
});
