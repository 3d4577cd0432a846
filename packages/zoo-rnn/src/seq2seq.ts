import { Generator, type Tensor, tensor } from '@myelin/core';
import { crossEntropy } from '@myelin/nn';
import { Adam, clipGradNorm } from '@myelin/optim';
import {
  type Batch,
  defineRecipe,
  fit,
  History,
  imageArray,
  type OptionValues,
  type Recipe,
  type RecipeRegistry,
  recipeStream,
  samplesEvent,
  type VegaLiteSpec,
} from '@myelin/train';
import { ATTENTION_SCORES } from './attention.js';
import {
  DATE_FORMAT_NAMES,
  type DatePair,
  dateTask,
  decodeTarget,
  encodeSource,
  encodeTarget,
  ISO_LENGTH,
  SOURCE_VOCAB_SIZE,
  TARGET_BOS,
  TARGET_EOS,
  TARGET_VOCAB_SIZE,
} from './dates.js';
import { Seq2Seq } from './seq2seq-model.js';

export * from './attention.js';
export * from './beam.js';
export * from './dates.js';
export * from './seq2seq-model.js';

/** Decoder steps per date: ten characters and the end token. */
const TARGET_STEPS = ISO_LENGTH + 1;
/** The longest source the recipe's model accepts (the longest format writes 29 characters). */
const MAX_SOURCE = 40;

/**
 * Batches of `[source ids | decoder input]` (int32 `[B, S + 11]`) and targets `[B, 11]`, in a new
 * seeded order each epoch. Pairs of similar source length share a batch (sorted within chunks of
 * 16 batches), so a batch is padded only to its own longest source.
 */
export function dateBatches(pairs: readonly DatePair[], batchSize: number, seed: number) {
  return (epoch: number): Iterable<Batch> & { length: number } => {
    const nBatches = Math.ceil(pairs.length / batchSize);
    return {
      length: nBatches,
      *[Symbol.iterator]() {
        const gen = new Generator(seed * 1000 + epoch);
        const order = Array.from(gen.permutation(pairs.length));
        const chunk = batchSize * 16;
        const batches: number[][] = [];
        for (let c = 0; c < order.length; c += chunk) {
          const part = order
            .slice(c, c + chunk)
            .sort((a, b) => pairs[a]!.source.length - pairs[b]!.source.length);
          for (let i = 0; i < part.length; i += batchSize) batches.push(part.slice(i, i + batchSize));
        }
        const batchOrder = gen.permutation(batches.length);
        for (const bi of batchOrder) yield encodeBatch(pairs, batches[bi]!);
      },
    };
  };
}

/** One batch of pairs as `{ x: [B, S + 11] int32 (source, then start token + target[0..9]), y: [B, 11] }`. */
export function encodeBatch(pairs: readonly DatePair[], picks: readonly number[]): { x: Tensor; y: Tensor } {
  const s = Math.max(...picks.map((i) => pairs[i]!.source.length));
  const width = s + TARGET_STEPS;
  const x = new Int32Array(picks.length * width);
  const y = new Int32Array(picks.length * TARGET_STEPS);
  picks.forEach((i, r) => {
    const p = pairs[i]!;
    x.set(encodeSource(p.source, s), r * width);
    const t = encodeTarget(p.target);
    x[r * width + s] = TARGET_BOS;
    x.set(t.subarray(0, TARGET_STEPS - 1), r * width + s + 1);
    y.set(t, r * TARGET_STEPS);
  });
  return {
    x: tensor(x, { dtype: 'int32', shape: [picks.length, width] }),
    y: tensor(y, { dtype: 'int32', shape: [picks.length, TARGET_STEPS] }),
  };
}

/** Source ids `[B, S]` of pairs, padded to the longest. */
function sourceBatch(pairs: readonly DatePair[]): Tensor {
  const s = Math.max(...pairs.map((p) => p.source.length));
  const ids = new Int32Array(pairs.length * s);
  pairs.forEach((p, r) => {
    ids.set(encodeSource(p.source, s), r * s);
  });
  return tensor(ids, { dtype: 'int32', shape: [pairs.length, s] });
}

/** Loss per epoch as a Vega-Lite line chart. */
function lossChart(title: string, history: History): VegaLiteSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 320,
    height: 200,
    data: { values: history.epochs.map((e) => ({ epoch: e.epoch + 1, loss: e.loss })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
      y: { field: 'loss', type: 'quantitative', title: 'cross-entropy per character (nats)' },
    },
  };
}

/**
 * A heat map of attention weights `[rows, cols]` as a grey image, each weight a `cell`×`cell`
 * block (white = 1), padded with black to `width` columns.
 */
export function heatMapPixels(
  weights: ArrayLike<number>,
  rows: number,
  cols: number,
  cell: number,
  width = cols,
): Float32Array {
  const w = width * cell;
  const out = new Float32Array(rows * cell * w);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = weights[r * cols + c]!;
      for (let y = 0; y < cell; y++)
        out.fill(v, (r * cell + y) * w + c * cell, (r * cell + y) * w + (c + 1) * cell);
    }
  }
  return out;
}

/** The heat map as a Vega-Lite chart with the characters on the axes. */
function heatMapChart(
  title: string,
  source: string,
  output: string[],
  weights: ArrayLike<number>,
  cols: number,
): VegaLiteSpec {
  const values: { in: string; out: string; weight: number }[] = [];
  output.forEach((o, r) => {
    for (let c = 0; c < source.length; c++) {
      values.push({ in: `${c}:${source[c]}`, out: `${r}:${o}`, weight: weights[r * cols + c]! });
    }
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    mark: 'rect',
    encoding: {
      x: {
        field: 'in',
        type: 'ordinal',
        sort: null,
        title: 'source character',
        axis: { labelExpr: "split(datum.value, ':')[1]" },
      },
      y: {
        field: 'out',
        type: 'ordinal',
        sort: null,
        title: 'output character',
        axis: { labelExpr: "split(datum.value, ':')[1]" },
      },
      color: { field: 'weight', type: 'quantitative', scale: { scheme: 'greys', domain: [0, 1] } },
    },
  };
}

const options = [
  {
    name: 'attention',
    type: 'enum',
    values: ATTENTION_SCORES,
    default: 'bahdanau',
    help: 'bahdanau (additive) or Luong dot, general, concat',
  },
  {
    name: 'hiddenSize',
    type: 'integer',
    default: 64,
    min: 1,
    help: 'decoder state size (and units per encoder direction)',
  },
  { name: 'embeddingDim', type: 'integer', default: 32, min: 1, help: 'character embedding size' },
  { name: 'epochs', type: 'integer', default: 6, min: 1, help: 'passes over the training pairs' },
  { name: 'batchSize', type: 'integer', default: 128, min: 1, help: 'pairs per step' },
  { name: 'lr', type: 'number', default: 0.005, min: 1e-8, help: "Adam's learning rate" },
  { name: 'clip', type: 'number', default: 1, min: 0, help: 'clip the gradient norm to this (0: off)' },
  {
    name: 'teacherForcing',
    type: 'number',
    default: 1,
    min: 0,
    max: 1,
    help: 'probability of feeding the true previous character at each step (else the model’s own prediction)',
  },
  {
    name: 'limit',
    type: 'integer',
    default: 20000,
    min: 1,
    help: 'training pairs (dates drawn from the training days)',
  },
  {
    name: 'testLimit',
    type: 'integer',
    default: 2000,
    min: 1,
    help: 'held-out dates (disjoint from the training days)',
  },
  { name: 'beamWidth', type: 'integer', default: 4, min: 1, help: 'beam width of the beam-search figure' },
  {
    name: 'beamLimit',
    type: 'integer',
    default: 300,
    min: 0,
    help: 'held-out dates also decoded by beam search (0: none)',
  },
  {
    name: 'seed',
    type: 'integer',
    default: 1,
    min: 0,
    help: 'seeds the task, the weights and the batch order',
  },
] as const;

export type Seq2SeqDatesOptions = OptionValues<typeof options>;

/**
 * `seq2seq-dates`: human-written dates ("Thursday, March 5, 1998", "05.03.1998", "5 Mar 98",
 * 14 formats) to ISO `YYYY-MM-DD` with a bidirectional-GRU encoder and an attentive GRU decoder,
 * trained with teacher forcing and Adam; held-out dates are days never seen in training. Emits the
 * loss curve, the attention heat maps (PNG grid, and a chart), and `metric`s: `held-out exact
 * match` (greedy), `held-out character accuracy`, `beam exact match` on the first `beamLimit`.
 */
export const seq2seqDates: Recipe<Seq2SeqDatesOptions> = defineRecipe({
  name: 'seq2seq-dates',
  title: 'Seq2seq with attention: human dates → ISO 8601',
  description:
    'A bidirectional-GRU encoder and a GRU decoder with Bahdanau (or Luong dot/general/concat) ' +
    'attention translate dates written in 14 human formats to YYYY-MM-DD. 20,000 generated pairs, ' +
    'held-out dates disjoint from the training days, teacher forcing, Adam; greedy and beam-search ' +
    'exact match, attention heat maps.',
  family: 'seq2seq',
  options,
  run: (o: Seq2SeqDatesOptions) =>
    recipeStream(async (ctx) => {
      const task = dateTask({ trainSize: o.limit, testSize: o.testLimit, seed: o.seed });
      const model = new Seq2Seq({
        sourceVocab: SOURCE_VOCAB_SIZE,
        targetVocab: TARGET_VOCAB_SIZE,
        embeddingDim: o.embeddingDim,
        hiddenSize: o.hiddenSize,
        attention: o.attention,
        maxSourceLength: MAX_SOURCE,
        seed: o.seed,
      });
      ctx.onEnd(() => model.dispose());
      const adam = new Adam(model.parameters(), { lr: o.lr });
      ctx.onEnd(() => adam.dispose());
      const params = model.parameters();
      const optimizer = {
        zeroGrad: () => adam.zeroGrad(),
        step: () => {
          if (o.clip > 0) clipGradNorm(params, o.clip).dispose();
          adam.step();
        },
      };
      const coinGen = new Generator(o.seed + 7);
      const coin = () => coinGen.uniform(1)[0]!;
      const history = new History();
      const batches = dateBatches(task.train, o.batchSize, o.seed);
      await ctx.follow(
        fit(model, {
          optimizer,
          data: batches,
          batchesPerEpoch: Math.ceil(task.train.length / o.batchSize),
          epochs: o.epochs,
          batchMetrics: false,
          forward: (m, x) => {
            const s = x.shape[1]! - TARGET_STEPS;
            const src = x.slice(null, [0, s]);
            const dec = x.slice(null, [s, s + TARGET_STEPS]);
            return m.forward(src, dec, { sampleProbability: 1 - o.teacherForcing, coin });
          },
          loss: (pred, y) => crossEntropy(pred.reshape([-1, TARGET_VOCAB_SIZE]), y.reshape([-1])),
        }).pipe(history.track()),
      );
      ctx.throwIfStopped();
      model.eval();

      // Greedy decoding of every held-out date.
      const outputs: string[] = [];
      let exact = 0;
      let chars = 0;
      const perFormat = new Float64Array(DATE_FORMAT_NAMES.length);
      const perFormatN = new Float64Array(DATE_FORMAT_NAMES.length);
      const EVAL_BATCH = 500;
      for (let i = 0; i < task.test.length; i += EVAL_BATCH) {
        ctx.throwIfStopped();
        const part = task.test.slice(i, i + EVAL_BATCH);
        const src = sourceBatch(part);
        let got: { tokens: Int32Array };
        try {
          got = await model.greedy(src, TARGET_STEPS, TARGET_BOS);
        } finally {
          src.dispose();
        }
        part.forEach((p, r) => {
          const text = decodeTarget(got.tokens.subarray(r * TARGET_STEPS, (r + 1) * TARGET_STEPS));
          outputs.push(text);
          const ok = text === p.target;
          exact += ok ? 1 : 0;
          perFormat[p.format]! += ok ? 1 : 0;
          perFormatN[p.format]! += 1;
          for (let c = 0; c < ISO_LENGTH; c++) chars += text[c] === p.target[c] ? 1 : 0;
        });
      }
      const n = task.test.length;
      ctx.emit({
        type: 'text',
        title: 'held-out translations (greedy)',
        text: task.test
          .slice(0, 14)
          .map(
            (p, i) =>
              `${p.source.padEnd(30)} → ${outputs[i]}${outputs[i] === p.target ? '' : `  (expected ${p.target})`}`,
          )
          .join('\n'),
      });
      const errors = task.test.flatMap((p, i) =>
        outputs[i] === p.target ? [] : [`${p.source} → ${outputs[i]} (expected ${p.target})`],
      );
      if (errors.length)
        ctx.emit({ type: 'text', title: 'held-out errors', text: errors.slice(0, 50).join('\n') });

      // Beam search on the first beamLimit held-out dates.
      let beamExact = 0;
      const beamN = Math.min(o.beamLimit, n);
      for (let i = 0; i < beamN; i++) {
        ctx.throwIfStopped();
        const src = sourceBatch([task.test[i]!]);
        try {
          const [best] = await model.beam(src, {
            beamWidth: o.beamWidth,
            maxLength: TARGET_STEPS,
            bos: TARGET_BOS,
            eos: TARGET_EOS,
          });
          if (best && decodeTarget(best.tokens) === task.test[i]!.target) beamExact++;
        } finally {
          src.dispose();
        }
      }

      // Attention heat maps: one held-out date per format (the first 6 formats), one picture each.
      const shown = DATE_FORMAT_NAMES.slice(0, 6).map((_, f) => task.test.find((p) => p.format === f)!);
      const src = sourceBatch(shown);
      const cols = src.shape[1]!;
      let att: { tokens: Int32Array; attention: Float32Array };
      try {
        att = await model.greedy(src, TARGET_STEPS, TARGET_BOS);
      } finally {
        src.dispose();
      }
      const CELL = 12;
      const maps = new Float32Array(shown.length * TARGET_STEPS * CELL * cols * CELL);
      shown.forEach((_, k) => {
        const w = att.attention.subarray(k * TARGET_STEPS * cols, (k + 1) * TARGET_STEPS * cols);
        maps.set(heatMapPixels(w, TARGET_STEPS, cols, CELL), k * TARGET_STEPS * CELL * cols * CELL);
      });
      ctx.emit(
        samplesEvent(
          'attention heat maps',
          imageArray(maps, [shown.length, 1, TARGET_STEPS * CELL, cols * CELL]),
          {
            labels: shown.map(
              (p, k) =>
                `${p.source} → ${decodeTarget(att.tokens.subarray(k * TARGET_STEPS, (k + 1) * TARGET_STEPS))}`,
            ),
          },
        ),
      );
      const first = shown[2] ?? shown[0]!;
      const k0 = shown.indexOf(first);
      const outChars = [
        ...decodeTarget(att.tokens.subarray(k0 * TARGET_STEPS, (k0 + 1) * TARGET_STEPS)),
        '</s>',
      ];
      const w0 = att.attention.subarray(k0 * TARGET_STEPS * cols, (k0 + 1) * TARGET_STEPS * cols);
      // This source's own characters only (the batch pads to its longest source).
      const len = first.source.length;
      const compact = new Float32Array(TARGET_STEPS * len);
      for (let r = 0; r < TARGET_STEPS; r++) compact.set(w0.subarray(r * cols, r * cols + len), r * len);
      ctx.emit({
        type: 'figure',
        kind: 'image',
        title: 'attention heat map',
        image: imageArray(heatMapPixels(compact, TARGET_STEPS, len, 16), [1, 1, TARGET_STEPS * 16, len * 16]),
      });
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'attention heat map (chart)',
        spec: heatMapChart(`${o.attention} attention: '${first.source}'`, first.source, outChars, w0, cols),
      });
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'training curve',
        spec: lossChart('seq2seq-dates: loss per epoch', history),
      });
      ctx.emit({ type: 'metric', name: 'held-out exact match', value: exact / n });
      ctx.emit({ type: 'metric', name: 'held-out character accuracy', value: chars / (n * ISO_LENGTH) });
      if (beamN > 0)
        ctx.emit({
          type: 'metric',
          name: `beam exact match (width ${o.beamWidth})`,
          value: beamExact / beamN,
        });
      if (beamN > 0) ctx.emit({ type: 'metric', name: 'beam-decoded dates', value: beamN });
      ctx.emit({ type: 'metric', name: 'held-out dates', value: n });
      DATE_FORMAT_NAMES.forEach((name, f) => {
        if (perFormatN[f]! > 0)
          ctx.emit({ type: 'metric', name: `exact match: ${name}`, value: perFormat[f]! / perFormatN[f]! });
      });
    }),
});

/** Encoder–decoder recipes with attention. */
export const seq2seqRecipes = { 'seq2seq-dates': seq2seqDates } as const satisfies RecipeRegistry;
