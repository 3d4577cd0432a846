/**
 * The cases that the wasm suite (`libs/myelin-wasm.ts`) and the webgpu suite (`libs/myelin-webgpu.ts`)
 * both run, built the same way in each: the inputs are `randomValues` of fixed seeds, so every
 * library and every run gets the same numbers.
 */

import type { BenchLibrary, ConvDims } from './cases.js';
import { randomValues } from './harness.js';
import type { SuiteCase, SuiteLibrary, TrainingRun } from './suite.js';

/** `matmul n` for each n: two n×n inputs (seeds 1 and 2), 2n³ FLOP. */
export function matmulCases<L extends SuiteLibrary & Pick<BenchLibrary, 'matmul'>>(
  sizes: number[],
): SuiteCase<L>[] {
  return sizes.map((n) => {
    const a = randomValues(n * n, 1);
    const b = randomValues(n * n, 2);
    return { name: `matmul ${n}`, unit: 'GFLOP/s', work: 2 * n ** 3, prepare: (l: L) => l.matmul(a, b, n) };
  });
}

/** A stride-1 'same' convolution of image and filter seeds `seeds`: 2·N·H·W·Cout·Cin·k² FLOP. */
export function conv2dCase<L extends SuiteLibrary & Pick<BenchLibrary, 'conv2d'>>(
  d: ConvDims,
  seeds: [number, number],
): SuiteCase<L> {
  const { batch, height, width, inChannels, outChannels, kernel } = d;
  const x = randomValues(batch * inChannels * height * width, seeds[0]);
  const w = randomValues(outChannels * inChannels * kernel * kernel, seeds[1]);
  return {
    name: `conv2d ${batch}x${height}x${width}x${inChannels}→${outChannels} ${kernel}x${kernel} same`,
    unit: 'GFLOP/s',
    work: 2 * batch * height * width * outChannels * inChannels * kernel * kernel,
    prepare: (l) => l.conv2d(x, w, d),
  };
}

/** MNIST-shaped training data: images in [0, 1) (seed 9) and labels 0..9 (seed 10). */
export function trainingData(samples: number): { images: Float32Array; labels: Int32Array } {
  const images = randomValues(samples * 784, 9).map((v) => (v + 1) / 2);
  const labels = Int32Array.from(randomValues(samples, 10), (v) => Math.min(9, Math.floor((v + 1) * 5)));
  return { images, labels };
}

/** A training case's size: `samples` per timed run, in batches of `batch`. */
export interface TrainingSize {
  samples: number;
  batch: number;
}

/** The names of `L`'s training methods: `(size, data) => TrainingRun`. */
type TrainingMethod<L> = {
  [K in keyof L]: L[K] extends (c: TrainingSize, data: ReturnType<typeof trainingData>) => TrainingRun
    ? K
    : never;
}[keyof L];

/** A training case that times `lib[method](c, trainingData(c.samples))`, one pass over the samples per run. */
export function trainingCase<L extends SuiteLibrary>(
  name: string,
  c: TrainingSize,
  method: TrainingMethod<L>,
): SuiteCase<L> {
  const data = trainingData(c.samples);
  return {
    name,
    unit: 'samples/s',
    work: c.samples,
    train: (l) =>
      (l[method] as (c: TrainingSize, data: ReturnType<typeof trainingData>) => TrainingRun).call(l, c, data),
  };
}
