import { clip, rand, randn, type Seed, scope, type Tensor, where } from '@myelin/core';
import { resolveGenerator } from './random.js';
import type { Transform } from './transforms.js';

/**
 * Input-noise transforms for denoising autoencoders and augmentation (Aggarwal §5.10.2, §5.4.1).
 * They take any float32 tensor (an image [C, H, W], a batch [N, C, H, W], flat vectors [N, D])
 * and corrupt each element independently, drawing from their own seeded generator so a run
 * repeats from its seed; the input is never modified or disposed.
 */

function checkFloat(op: string, x: Tensor): void {
  if (x.dtype !== 'float32')
    throw new TypeError(
      `${op}: expected a float32 tensor, got ${x.dtype} [${x.shape.join(', ')}] (convert bytes with toFloat(1 / 255) first)`,
    );
}

function checkRange(op: string, name: string, range: readonly [number, number]): [number, number] {
  if (!Array.isArray(range) || range.length !== 2 || !(range[0] < range[1]) || !range.every(Number.isFinite))
    throw new RangeError(
      `${op}: ${name} must be [low, high] with finite low < high, got ${JSON.stringify(range)}`,
    );
  return [range[0], range[1]];
}

export interface SaltAndPepperOptions {
  /** Fraction of elements replaced, in [0, 1] (default 0.05, scikit-image's). */
  amount?: number;
  /** Share of the replaced elements set to the high value, in [0, 1] (default 0.5: a fair coin). */
  saltVsPepper?: number;
  /**
   * [pepper, salt] values (default [0, 1], the range of a [0, 1] image, as scikit-image for
   * non-negative images; give [−1, 1] for signed images, or your data's min and max).
   */
  range?: readonly [number, number];
  seed?: Seed;
}

/**
 * Salt-and-pepper noise, as scikit-image's `random_noise(mode='s&p')` (≥ 0.19): each element is
 * replaced with probability `amount` (a Bernoulli draw per element, so the replaced fraction is
 * `amount` on average, not exactly), and a replaced element becomes salt (`range[1]`, default 1)
 * with probability `saltVsPepper`, else pepper (`range[0]`, default 0). Channels of a pixel are
 * drawn independently, as scikit-image. Aggarwal §5.10.2's corruption for denoising autoencoders
 * ("a fraction f set to the min or max by a fair coin").
 *
 * @example
 * const noisy = mnist.map(saltAndPepper({ amount: 0.2, seed: 1 }));
 */
export function saltAndPepper(options: SaltAndPepperOptions = {}): Transform {
  const amount = options.amount ?? 0.05;
  const q = options.saltVsPepper ?? 0.5;
  if (!(amount >= 0 && amount <= 1))
    throw new RangeError(`saltAndPepper: amount must be in [0, 1], got ${amount}`);
  if (!(q >= 0 && q <= 1)) throw new RangeError(`saltAndPepper: saltVsPepper must be in [0, 1], got ${q}`);
  const [low, high] = checkRange('saltAndPepper', 'range', options.range ?? [0, 1]);
  const g = resolveGenerator(options.seed);
  return (x) => {
    checkFloat('saltAndPepper', x);
    if (x.size === 0) return x.reshape(x.shape);
    return scope(() => {
      // Two uniform draws per element, in scikit-image's order: replaced?, then salt?
      const replaced = rand(x.shape, { seed: g }).less(amount);
      const salt = rand(x.shape, { seed: g }).less(q);
      return where(replaced, where(salt, high, low), x);
    });
  };
}

export interface GaussianNoiseOptions {
  /** Standard deviation of the noise (≥ 0). Aggarwal's variance λ is std². */
  std: number;
  /** Mean of the noise (default 0). */
  mean?: number;
  /** Clip the result to [low, high] (default: no clipping; scikit-image clips to [0, 1]). */
  clip?: readonly [number, number];
  seed?: Seed;
}

/**
 * Additive Gaussian noise x + ε, ε ~ N(mean, std²) per element (Aggarwal §5.4.1: input noise of
 * variance λ acts as an L2 penalty; §5.10.2: the denoising autoencoder's Gaussian corruption), as
 * scikit-image's `random_noise(mode='gaussian', var=std²)` with `clip` given.
 *
 * @example
 * const noisy = gaussianNoise({ std: 0.3, clip: [0, 1], seed: 0 });
 */
export function gaussianNoise(options: GaussianNoiseOptions): Transform {
  const std = options?.std;
  if (!(typeof std === 'number' && Number.isFinite(std) && std >= 0))
    throw new RangeError(`gaussianNoise: std must be a finite number ≥ 0, got ${String(std)}`);
  const mean = options.mean ?? 0;
  if (!Number.isFinite(mean)) throw new RangeError(`gaussianNoise: mean must be finite, got ${mean}`);
  const bounds = options.clip === undefined ? null : checkRange('gaussianNoise', 'clip', options.clip);
  const g = resolveGenerator(options.seed);
  return (x) => {
    checkFloat('gaussianNoise', x);
    if (x.size === 0) return x.reshape(x.shape);
    return scope(() => {
      const y = x.add(randn(x.shape, { seed: g, mean, std }));
      return bounds ? clip(y, bounds[0], bounds[1]) : y;
    });
  };
}
