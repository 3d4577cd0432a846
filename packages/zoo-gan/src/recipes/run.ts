/**
 * The run every GAN recipe shares: load MNIST through the caller's data source, train the judge
 * (LeNet-5, a fixed seed so every recipe is judged by the same network), then alternate critic and
 * generator steps for the given epochs; after each epoch a grid from fixed noise (`samples`) and
 * the Fréchet distance of fresh samples to real test digits; at the end loss and distance
 * curves (`figure` charts), latent interpolations and the judge's verdict (`metric`s).
 */
import { Generator, noGrad, scope, type Tensor, tensor } from '@myelin/core';
import { DataLoader, type ImageSet, imageDataset, imageSetToTensors, takeImages } from '@myelin/data';
import { crossEntropy } from '@myelin/nn';
import { Adam } from '@myelin/optim';
import {
  accuracy,
  evaluate,
  fit,
  imageArray,
  type RecipeContext,
  recipeStream,
  samplesEvent,
  type VegaLiteSpec,
  type ZooEvent,
} from '@myelin/train';
import { LeNet5, loadImageSets, type RecipeData } from '@myelin/zoo-cnn';
import type { Observable } from 'rxjs';
import { type FeatureStats, frechetDistance } from '../frechet.js';
import { concatBatches, Judge, type JudgeScores, toUnit } from '../judge.js';
import { interpolate } from '../latent.js';
import type { GanDiscriminator, GanGenerator } from '../models.js';
import { type GanObjective, GanTrainer, type StepOptimizer } from '../trainer.js';

/** The judge's seed: fixed, so every recipe (and every --seed) is judged by the same LeNet-5 (up to the order of wasm's threaded float sums). */
export const JUDGE_SEED = 2024;
const GEN_BATCH = 250;

/** The options every GAN recipe declares after its own (`limit` defaults to `limit`). */
export const commonOptions = (limit = 0) =>
  [
    { name: 'batchSize', type: 'integer', default: 64, min: 2, help: 'real images per discriminator step' },
    {
      name: 'seed',
      type: 'integer',
      default: 1,
      min: 0,
      help: 'seeds the weights, the shuffling and the latents',
    },
    {
      name: 'limit',
      type: 'integer',
      default: limit,
      min: 0,
      help: 'train on the first N of the 60,000 training images (0: all)',
    },
    {
      name: 'samples',
      type: 'integer',
      default: 100,
      min: 0,
      max: 400,
      help: 'images in the fixed-noise grid shown after every epoch',
    },
    {
      name: 'judgeEpochs',
      type: 'integer',
      default: 2,
      min: 0,
      help: 'epochs of LeNet-5 training (on all 60,000 digits) for the judge (0: no judge, no Fréchet distance)',
    },
    {
      name: 'judgeLimit',
      type: 'integer',
      default: 0,
      min: 0,
      help: 'train the judge on the first N training digits (0: all 60,000)',
    },
    {
      name: 'evalSamples',
      type: 'integer',
      default: 1000,
      min: 10,
      help: 'generated images the judge scores at the end, and real test digits the Fréchet distance compares with',
    },
    {
      name: 'curveSamples',
      type: 'integer',
      default: 500,
      min: 0,
      help: 'generated images per epoch (and before training) for the Fréchet-distance curve (0: only the final figure)',
    },
  ] as const;

/** What differs between GAN recipes. */
export interface GanSpec {
  recipe: string;
  objective: GanObjective;
  epochs: number;
  build(seed: number): { generator: GanGenerator; discriminator: GanDiscriminator };
  optimize(
    g: GanGenerator,
    d: GanDiscriminator,
  ): {
    generator: StepOptimizer & { dispose(): void };
    discriminator: StepOptimizer & { dispose(): void };
  };
  /** Critic steps per generator step (WGAN: 5). */
  criticSteps: number;
  clip?: number;
  penaltyWeight?: number;
}

export interface GanRunOptions extends RecipeData {
  batchSize: number;
  seed: number;
  limit: number;
  samples: number;
  judgeEpochs: number;
  judgeLimit: number;
  evalSamples: number;
  curveSamples: number;
}

/** A line chart of `values` (one series per `series`), data inline. */
export function lineChart(
  title: string,
  yTitle: string,
  values: { epoch: number; series: string; value: number }[],
): VegaLiteSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 360,
    height: 220,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

/** Forward `events` to nothing, stopping them when the run stops. */
function quietly(ctx: RecipeContext, events: Observable<unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      sub.unsubscribe();
      reject(new Error('stopped'));
    };
    const sub = events.subscribe({
      error: (e: unknown) => {
        ctx.signal.removeEventListener('abort', stop);
        reject(e);
      },
      complete: () => {
        ctx.signal.removeEventListener('abort', stop);
        resolve();
      },
    });
    if (!sub.closed) ctx.signal.addEventListener('abort', stop, { once: true });
  });
}

/** LeNet-5 trained as the lenet5-mnist recipe trains it (Adam 1e-3, batch 64), with a fixed seed. */
async function trainJudge(ctx: RecipeContext, trainSet: ImageSet, testSet: ImageSet, epochs: number) {
  const net = new LeNet5({ seed: JUDGE_SEED });
  ctx.onEnd(() => net.dispose());
  const optimizer = new Adam(net.parameters(), { lr: 0.001 });
  ctx.onEnd(() => optimizer.dispose());
  await quietly(
    ctx,
    fit(net, {
      optimizer,
      loss: (p: Tensor, t: Tensor) => crossEntropy(p, t),
      data: new DataLoader(imageDataset(trainSet), { batchSize: 64, shuffle: true, seed: JUDGE_SEED }),
      epochs,
      batchMetrics: false,
    }),
  );
  const judged = await evaluate(net, new DataLoader(imageDataset(testSet), { batchSize: 500 }), {
    metrics: [accuracy()],
    signal: ctx.signal,
  });
  return { judge: new Judge(net), accuracy: judged.metrics.accuracy! };
}

/** Labels 0, 1, …, 9, 0, 1, … for n conditional samples (null when unconditional). */
function cycleLabels(n: number, classes: number): Tensor | null {
  return classes
    ? tensor(
        Int32Array.from({ length: n }, (_, i) => i % classes),
        { dtype: 'int32' },
      )
    : null;
}

/** n generated images in [0, 1], made GEN_BATCH at a time in eval mode (labels cycling 0…9 when conditional). */
function generate(g: GanGenerator, n: number, noise: Generator): Tensor {
  const parts: Tensor[] = [];
  g.eval();
  for (let start = 0; start < n; start += GEN_BATCH) {
    const m = Math.min(GEN_BATCH, n - start);
    parts.push(
      noGrad(() =>
        scope(() => {
          const z = tensor(noise.normal(m * g.latent), { shape: [m, g.latent] });
          const y = cycleLabels(m, g.numClasses);
          return toUnit(g.forward(z, y ?? undefined));
        }),
      ),
    );
  }
  g.train();
  return concatBatches(parts);
}

/** The image set's first n images as a tensor [n, 1, 28, 28] in [0, 1]. */
function realImages(set: ImageSet, n: number): Tensor {
  const { x, y } = imageSetToTensors(takeImages(set, n));
  y.dispose();
  return x;
}

/** The run of a GAN recipe (see the module comment). */
export function runGan(spec: GanSpec, o: GanRunOptions): Observable<ZooEvent> {
  return recipeStream(async (ctx) => {
    const [trainSet, testSet] = await loadImageSets(spec.recipe, o, 'mnist');
    ctx.throwIfStopped();
    const { generator: g, discriminator: d } = spec.build(o.seed);
    ctx.onEnd(() => {
      g.dispose();
      d.dispose();
    });
    const opt = spec.optimize(g, d);
    ctx.onEnd(() => {
      opt.generator.dispose();
      opt.discriminator.dispose();
    });
    const noise = new Generator(o.seed + 7919);
    const trainer = new GanTrainer(g, d, {
      objective: spec.objective,
      generatorOptimizer: opt.generator,
      discriminatorOptimizer: opt.discriminator,
      noise,
      ...(spec.clip !== undefined ? { clip: spec.clip } : {}),
      ...(spec.penaltyWeight !== undefined ? { penaltyWeight: spec.penaltyWeight } : {}),
    });
    const classes = g.numClasses;

    // The judge first: the Fréchet curve needs it from the first epoch on.
    let judge: Judge | null = null;
    let realStats: FeatureStats | null = null;
    if (o.judgeEpochs > 0) {
      const trained = await trainJudge(ctx, takeImages(trainSet, o.judgeLimit), testSet, o.judgeEpochs);
      judge = trained.judge;
      ctx.emit({ type: 'metric', name: 'judge test accuracy', value: trained.accuracy });
      const real = realImages(testSet, o.evalSamples);
      const train = realImages(trainSet, o.evalSamples);
      try {
        realStats = await judge.stats(real);
        // The floor: real training digits against real test digits, same sample size.
        ctx.emit({
          type: 'metric',
          name: 'Fréchet distance, real training vs test digits',
          value: frechetDistance(await judge.stats(train), realStats),
        });
      } finally {
        real.dispose();
        train.dispose();
      }
    }
    const fidOf = async (n: number, gen: Generator) => {
      const made = generate(g, n, gen);
      try {
        const scores = await judge!.score(made);
        return { scores, distance: frechetDistance(await judge!.stats(made), realStats!) };
      } finally {
        made.dispose();
      }
    };

    // Fixed noise (and labels 0…9 in turn) for the grid after every epoch.
    const fixedZ = tensor(new Generator(o.seed + 104729).normal(Math.max(o.samples, 1) * g.latent), {
      shape: [Math.max(o.samples, 1), g.latent],
    });
    ctx.onEnd(() => fixedZ.dispose());
    const fixedLabels = cycleLabels(fixedZ.shape[0]!, classes);
    if (fixedLabels) ctx.onEnd(() => fixedLabels.dispose());
    const grid = async (epoch: number) => {
      g.eval();
      const x = noGrad(() => scope(() => toUnit(g.forward(fixedZ, fixedLabels ?? undefined))));
      g.train();
      try {
        const labels = classes ? Array.from({ length: o.samples }, (_, i) => String(i % classes)) : undefined;
        ctx.emit(
          samplesEvent('fixed-noise samples', imageArray(await x.data(), x.shape), {
            epoch,
            ...(labels ? { labels } : {}),
          }),
        );
      } finally {
        x.dispose();
      }
    };

    const train = imageDataset(takeImages(trainSet, o.limit));
    const loader = new DataLoader(train, {
      batchSize: o.batchSize,
      shuffle: true,
      seed: o.seed,
      dropLast: true,
    });
    const batches = loader.length ?? 0;
    const lossValues: { epoch: number; series: string; value: number }[] = [];
    const fdValues: { epoch: number; series: string; value: number }[] = [];
    const curvePoint = async (epoch: number) => {
      const { distance } = await fidOf(o.curveSamples, new Generator(o.seed + 31 * (epoch + 1)));
      fdValues.push({ epoch, series: `${o.curveSamples} samples`, value: distance });
      return distance;
    };
    // The untrained generator's distance: where the curve starts (epoch 0).
    if (judge && o.curveSamples > 1) {
      const distance = await curvePoint(0);
      ctx.emit({ type: 'metric', name: 'Fréchet distance before training', value: distance });
    }
    ctx.emit({ type: 'fitStart', epochs: spec.epochs, batchesPerEpoch: batches });
    const t0 = performance.now();
    let critic = 0;
    for (let epoch = 0; epoch < spec.epochs; epoch++) {
      ctx.emit({ type: 'epochStart', epoch });
      const te = performance.now();
      let [dSum, gSum, dCount, gCount, samples, batch] = [0, 0, 0, 0, 0, 0];
      for await (const b of loader) {
        const { x, y } = b as { x: Tensor; y: Tensor };
        try {
          ctx.throwIfStopped();
          const real = scope(() => x.mul(2).sub(1));
          let step: { loss: number };
          try {
            step = await trainer.discriminatorStep(real, classes ? y : undefined);
          } finally {
            real.dispose();
          }
          if (!Number.isFinite(step.loss))
            throw new Error(
              `${spec.recipe}: the discriminator loss became ${step.loss} at epoch ${epoch + 1}, batch ${batch + 1}`,
            );
          dSum += step.loss;
          dCount++;
          critic++;
          let gLoss: number | undefined;
          if (critic % spec.criticSteps === 0) {
            gLoss = await trainer.generatorStep(o.batchSize, classes ? y : undefined);
            if (!Number.isFinite(gLoss))
              throw new Error(
                `${spec.recipe}: the generator loss became ${gLoss} at epoch ${epoch + 1}, batch ${batch + 1}`,
              );
            gSum += gLoss;
            gCount++;
          }
          samples += x.shape[0]!;
          ctx.emit({
            type: 'batchEnd',
            epoch,
            batch,
            batchesPerEpoch: batches,
            loss: step.loss,
            metrics:
              gLoss === undefined
                ? { discriminator: step.loss }
                : { discriminator: step.loss, generator: gLoss },
            samples: x.shape[0]!,
            samplesPerSec: samples / ((performance.now() - te) / 1000),
          });
          batch++;
        } finally {
          x.dispose();
          y.dispose();
        }
      }
      const dMean = dSum / Math.max(dCount, 1);
      const gMean = gSum / Math.max(gCount, 1);
      lossValues.push({ epoch: epoch + 1, series: 'discriminator', value: dMean });
      lossValues.push({ epoch: epoch + 1, series: 'generator', value: gMean });
      const metrics: Record<string, number> = { discriminator: dMean, generator: gMean };
      if (judge && o.curveSamples > 1) {
        metrics.frechetDistance = await curvePoint(epoch + 1);
      }
      const seconds = (performance.now() - te) / 1000;
      ctx.emit({
        type: 'epochEnd',
        epoch,
        loss: dMean,
        metrics,
        samples,
        samplesPerSec: samples / seconds,
        durationMs: seconds * 1000,
      });
      if (o.samples > 0) await grid(epoch);
    }
    ctx.emit({ type: 'fitEnd', epochs: spec.epochs, durationMs: performance.now() - t0 });

    ctx.emit({
      type: 'figure',
      kind: 'chart',
      title: 'losses',
      spec: lineChart(
        `${spec.recipe}: mean losses per epoch`,
        spec.objective.startsWith('wgan') ? 'critic / generator loss' : 'loss (nats)',
        lossValues,
      ),
    });
    if (fdValues.length)
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'frechet distance',
        spec: lineChart(
          `${spec.recipe}: Fréchet distance to real digits (LeNet-5 features)`,
          'Fréchet distance',
          fdValues,
        ),
      });
    await interpolations(ctx, g, o.seed);

    if (judge && realStats) {
      const { scores, distance } = await fidOf(o.evalSamples, new Generator(o.seed + 1_000_003));
      emitVerdict(ctx, scores, distance, classes, o.evalSamples);
    }
  });
}

function emitVerdict(ctx: RecipeContext, s: JudgeScores, distance: number, classes: number, n: number): void {
  ctx.emit({ type: 'metric', name: 'Fréchet distance', value: distance });
  ctx.emit({ type: 'metric', name: 'sample confidence', value: s.confidence });
  ctx.emit({ type: 'metric', name: 'digits among samples', value: s.classes });
  ctx.emit({ type: 'metric', name: 'class spread', value: s.spreadBits, unit: 'bits' });
  ctx.emit({
    type: 'metric',
    name: 'rarest digit share',
    value: Math.min(...Array.from({ length: 10 }, (_, i) => s.counts[i] ?? 0)) / n,
  });
  if (classes) {
    const agree = Array.from(s.predicted).filter((c, i) => c === i % classes).length / n;
    ctx.emit({ type: 'metric', name: 'samples classified as their label', value: agree });
  }
  ctx.emit({ type: 'metric', name: 'judged samples', value: n });
}

/** Eight walks of ten steps between random codes, linear and spherical (labels 0…7 when conditional). */
async function interpolations(ctx: RecipeContext, g: GanGenerator, seed: number): Promise<void> {
  const gen = new Generator(seed + 65537);
  const ends = Array.from({ length: 16 }, () => gen.normal(g.latent));
  for (const kind of ['linear', 'spherical'] as const) {
    g.eval();
    const x = noGrad(() =>
      scope(() => {
        const rows: Tensor[] = [];
        for (let r = 0; r < 8; r++) {
          const z = interpolate(ends[2 * r]!, ends[2 * r + 1]!, 10, kind);
          const y = g.numClasses
            ? tensor(
                Int32Array.from({ length: 10 }, () => r % g.numClasses),
                { dtype: 'int32' },
              )
            : undefined;
          rows.push(toUnit(g.forward(z, y)));
        }
        return concatBatches(rows);
      }),
    );
    g.train();
    try {
      ctx.emit(samplesEvent(`${kind} interpolation`, imageArray(await x.data(), x.shape)));
    } finally {
      x.dispose();
    }
  }
}
