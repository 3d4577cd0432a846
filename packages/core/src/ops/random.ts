import { checkAlloc, fromValues } from '../engine.js';
import { Generator } from '../random/philox.js';
import { assertInt, fmtShape, type Shape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkOptions, finishCreation, toTensor } from './creation.js';

/**
 * Random tensors from a counter-based Philox4x32-10 generator. Numbers are drawn on the host, so
 * the same seed gives the same tensor on every backend.
 *
 * `seed` is a number (a fresh generator for this call: same seed, same tensor) or a `Generator`
 * (which advances, so successive calls differ). Without one, the global generator is used; reset it
 * with `manualSeed`.
 */
export type Seed = number | bigint | Generator;

let globalGenerator = new Generator(0x5eed);

/** Reset the global generator, as torch.manual_seed. */
export function manualSeed(seed: number | bigint): void {
  globalGenerator = new Generator(seed);
}

function gen(seed: Seed | undefined): Generator {
  if (seed === undefined) return globalGenerator;
  return seed instanceof Generator ? seed : new Generator(seed);
}

interface SeedOption {
  seed?: Seed;
  /** Make the result a leaf that requires grad (float32 results only), as torch's `requires_grad=True`. */
  requiresGrad?: boolean;
}

/** Uniform samples in [0, 1). */
export function rand(shape: Shape, options: SeedOption = {}): Tensor {
  checkOptions('rand', options, ['seed']);
  checkAlloc('rand', shape, 'float32', undefined, true);
  const t = fromValues(gen(options.seed).uniform(sizeOf(shape)), shape, 'float32', 'rand');
  return finishCreation('rand', t, options);
}

/** Normal samples (mean 0, std 1 unless given). */
export function randn(shape: Shape, options: SeedOption & { mean?: number; std?: number } = {}): Tensor {
  checkOptions('randn', options, ['seed', 'mean', 'std']);
  checkAlloc('randn', shape, 'float32', undefined, true);
  const v = gen(options.seed).normal(sizeOf(shape), options.mean ?? 0, options.std ?? 1);
  return finishCreation('randn', fromValues(v, shape, 'float32', 'randn'), options);
}

/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: Shape, options: SeedOption = {}): Tensor {
  checkOptions('randint', options, ['seed']);
  checkAlloc('randint', shape, 'int32', undefined, true);
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new RangeError(`randint: needs integers low < high, got low=${low} high=${high}`);
  }
  const t = fromValues(gen(options.seed).randint(low, high, sizeOf(shape)), shape, 'int32', 'randint');
  return finishCreation('randint', t, options);
}

/** Normal samples resampled until within 2 std of the mean (as torch.nn.init.trunc_normal_'s defaults). */
export function truncatedNormal(
  shape: Shape,
  options: SeedOption & { mean?: number; std?: number } = {},
): Tensor {
  checkOptions('truncatedNormal', options, ['seed', 'mean', 'std']);
  checkAlloc('truncatedNormal', shape, 'float32', undefined, true);
  const v = gen(options.seed).truncatedNormal(sizeOf(shape), options.mean ?? 0, options.std ?? 1);
  return finishCreation('truncatedNormal', fromValues(v, shape, 'float32', 'truncatedNormal'), options);
}

/** Bernoulli draws (bool) with probability `p`: a number (needs `shape`) or a tensor of probabilities. */
export function bernoulli(p: Tensor | number, options: SeedOption & { shape?: Shape } = {}): Tensor {
  checkOptions('bernoulli', options, ['seed', 'shape']);
  if (options.requiresGrad) throw new TypeError('bernoulli: the result is bool and cannot require grad');
  const g = gen(options.seed);
  if (typeof p === 'number') {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli: p must be in [0, 1], got ${p}`);
    const shape = options.shape ?? [];
    checkAlloc('bernoulli', shape, 'bool', undefined, true);
    return fromValues(g.bernoulli(p, sizeOf(shape)), shape, 'bool', 'bernoulli');
  }
  const probs = toTensor(p).dataSync();
  const pf = probs instanceof Float32Array ? probs : Float32Array.from(probs);
  for (let i = 0; i < pf.length; i++) {
    if (!(pf[i]! >= 0 && pf[i]! <= 1))
      throw new RangeError(`bernoulli: probabilities must be in [0, 1], got ${pf[i]} at ${i}`);
  }
  return fromValues(g.bernoulli(pf, pf.length), p.shape, 'bool', 'bernoulli');
}

/** @internal a float32 keep-mask for dropout. */
export function bernoulliMask(shape: Shape, keep: number, seed: Seed | undefined): Tensor {
  checkAlloc('dropout', shape, 'float32', undefined, true);
  const bits = gen(seed).bernoulli(keep, sizeOf(shape));
  return fromValues(Float32Array.from(bits), shape, 'float32', 'dropout');
}

/** A random permutation of 0..n−1 (int32). */
export function permutation(n: number, options: SeedOption = {}): Tensor {
  checkOptions('permutation', options, ['seed']);
  if (options.requiresGrad) throw new TypeError('permutation: the result is int32 and cannot require grad');
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`permutation: n must be a non-negative integer, got ${n}`);
  checkAlloc('permutation', [n], 'int32', undefined, true);
  return fromValues(gen(options.seed).permutation(n), [n], 'int32', 'permutation');
}

/**
 * Draw `numSamples` category indices from each row of `probs` ([C] or [R, C], unnormalised
 * non-negative weights), with or without replacement.
 */
export function multinomial(
  probs: Tensor,
  numSamples: number,
  options: SeedOption & { replacement?: boolean } = {},
): Tensor {
  checkOptions('multinomial', options, ['seed', 'replacement']);
  if (options.requiresGrad) throw new TypeError('multinomial: the result is int32 and cannot require grad');
  if (probs.rank !== 1 && probs.rank !== 2)
    throw new RangeError(`multinomial: probs must be 1-D or 2-D, got ${fmtShape(probs.shape)}`);
  const rows = probs.rank === 2 ? probs.shape[0]! : 1;
  const cols = probs.shape[probs.rank - 1]!;
  assertInt('multinomial', 'numSamples', numSamples, 0);
  checkAlloc('multinomial', [rows, numSamples], 'int32', undefined, true);
  const v = probs.dataSync();
  const pf = v instanceof Float32Array ? v : Float32Array.from(v);
  const out = gen(options.seed).multinomial(pf, rows, cols, numSamples, options.replacement ?? false);
  return fromValues(out, probs.rank === 2 ? [rows, numSamples] : [numSamples], 'int32', 'multinomial');
}

export { Generator };
