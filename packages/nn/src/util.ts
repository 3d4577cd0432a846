import {
  Generator,
  type Module,
  Parameter,
  rand,
  type Seed,
  scope,
  type Tensor,
  Variable,
} from '@myelin/core';

/** A module usable in a `Sequential`: one tensor in, one tensor out. */
export interface Layer extends Module {
  forward(x: Tensor): Tensor;
}

/** A number or one value per spatial dim. */
export type Size2 = number | readonly [number, number];

/** Expand a number to a pair and check the entries are integers ≥ `min`. */
export function pair(op: string, v: Size2, what: string, min = 0): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((d) => Number.isInteger(d) && d >= min))
    throw new RangeError(`${op}: ${what} must be integers ≥ ${min}, got ${JSON.stringify(v)}`);
  return p;
}

/** Check a positive integer argument. */
export function positiveInt(op: string, v: number, what: string): number {
  if (!Number.isInteger(v) || v <= 0)
    throw new RangeError(`${op}: ${what} must be a positive integer, got ${v}`);
  return v;
}

/**
 * One generator for the several draws of a constructor or of successive forward calls: a number
 * seeds a fresh generator (so the draws differ from each other yet repeat run to run), a
 * `Generator` is used (and advanced) as given, `undefined` means core's global generator.
 */
export function generatorFrom(seed: Seed | undefined): Generator | undefined {
  if (seed === undefined || seed instanceof Generator) return seed;
  return new Generator(seed);
}

export type Reduction = 'none' | 'mean' | 'sum';

/** Wrap a fresh tensor as a Parameter and release the temporary (the Parameter holds the storage). */
export function param(t: Tensor): Parameter {
  const p = new Parameter(t);
  t.dispose();
  return p;
}

/** Wrap a fresh tensor as a buffer (a non-trainable Variable) and release the temporary. */
export function buffer(t: Tensor): Variable {
  const v = new Variable(t, { requiresGrad: false });
  t.dispose();
  return v;
}

/** PyTorch's default for Linear/Conv: weight kaiming_uniform(a = √5), bias U(±1/√fan_in). */
export function defaultWeightAndBias(
  weightShape: readonly number[],
  fanIn: number,
  biasSize: number | null,
  gen: Generator | undefined,
): { weight: Parameter; bias: Parameter | null } {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  const weight = param(uniformTensor(weightShape, bound, gen));
  return { weight, bias: biasSize === null ? null : param(uniformTensor([biasSize], bound, gen)) };
}

/** U(−bound, bound) of a shape. */
export function uniformTensor(shape: readonly number[], bound: number, gen: Seed | undefined): Tensor {
  return scope(() =>
    rand(shape, { seed: gen })
      .mul(2 * bound)
      .sub(bound),
  );
}
