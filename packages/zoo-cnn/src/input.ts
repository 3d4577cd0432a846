import { Generator, type Module, type Seed, type Tensor } from '@myelin/core';

/**
 * The image batches a model accepts: [N, channels, H, W] with H and W at least `minSize` (the
 * smallest input every layer still maps to a non-empty output — torchvision's `min_size` for the
 * full-size models), or exactly `size` where a flatten fixes the spatial size (LeNet-5).
 */
export interface ImageInput {
  channels: number;
  minSize?: readonly [number, number];
  size?: readonly [number, number];
}

/** What every zoo builder returns: a module that maps an image batch to logits [N, numClasses]. */
export interface ImageClassifier extends Module {
  /** The builder's name (`resnet18`), used in error messages. */
  readonly arch: string;
  readonly input: ImageInput;
  readonly numClasses: number;
  forward(x: Tensor): Tensor;
}

/** The expected input in words, e.g. `[N, 3, H, W] with H, W ≥ 32`. */
export function describeInput(input: ImageInput): string {
  if (input.size) return `[N, ${input.channels}, ${input.size[0]}, ${input.size[1]}]`;
  const [h, w] = input.minSize ?? [1, 1];
  const min = h === w ? `H, W ≥ ${h}` : `H ≥ ${h}, W ≥ ${w}`;
  return `[N, ${input.channels}, H, W] with ${min}`;
}

/** Throw, naming the model and what it expects, unless `x` is an image batch it accepts. */
export function checkImageInput(arch: string, input: ImageInput, x: Tensor): void {
  const [, c, h, w] = x.shape;
  const ok =
    x.rank === 4 &&
    c === input.channels &&
    (input.size
      ? h === input.size[0] && w === input.size[1]
      : h! >= (input.minSize?.[0] ?? 1) && w! >= (input.minSize?.[1] ?? 1));
  if (!ok)
    throw new RangeError(`${arch}: expected input ${describeInput(input)}, got [${x.shape.join(', ')}]`);
}

/** A positive integer option, or an error naming the builder and the option. */
export function checkPositive(arch: string, name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0)
    throw new RangeError(`${arch}: ${name} must be a positive integer, got ${v}`);
  return v;
}

/** One generator for all of a builder's draws, so a seeded model is the same run to run. */
export function generator(seed: Seed | undefined): Generator | undefined {
  if (seed === undefined || seed instanceof Generator) return seed;
  return new Generator(seed);
}

/** Options every builder takes. */
export interface BuilderOptions {
  /** Classes of the final layer (default 1000 for the full-size models, 10 for the small ones). */
  numClasses?: number;
  /** Channels of the input images (default 3 for the full-size models, 1 for the small ones). */
  inChannels?: number;
  /** Seed of the initialisation (a number or a core `Generator`); default: core's global generator. */
  seed?: Seed;
}
