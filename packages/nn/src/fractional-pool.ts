/**
 * Fractional max pooling (Graham, 2014, "Fractional Max-Pooling"), as torch.nn.FractionalMaxPoolNd:
 * k-wide windows whose starts follow a pseudo-random increasing sequence, one per (sample,
 * channel) plane and dim, drawn from a uniform sample u ∈ [0, 1): with α = (n − k)/(out − 1),
 * start_i = ⌊(i + u)·α⌋ − ⌊u·α⌋ for i < out − 1 and start_{out−1} = n − k (PyTorch's
 * generate_intervals, computed in float32 as PyTorch does for float input).
 */
import { fmtShape, type Generator, Module, rand, type Seed, scope, type Tensor, tensor } from '@myelin/core';
import { type AxisPlan, batchedInput, reduceWindows, tupleOf } from './pool-windows.js';
import type { MaxPoolResult } from './pooling-extra.js';
import { generatorFrom } from './util.js';

const f32 = Math.fround;

/** PyTorch's window starts for one plane and dim (float32 arithmetic). */
function intervals(u: number, n: number, out: number, k: number): Int32Array {
  const seq = new Int32Array(out);
  if (out > 1) {
    const alpha = f32(f32(n - k) / f32(out - 1));
    const base = Math.trunc(f32(f32(u) * alpha));
    for (let i = 0; i < out - 1; i++) seq[i] = Math.trunc(f32(f32(i + f32(u)) * alpha)) - base;
  }
  if (out > 0) seq[out - 1] = n - k;
  return seq;
}

export interface FractionalMaxPoolOptions<R extends boolean, P> {
  /** The output's spatial size; give this or `outputRatio`. */
  outputSize?: P;
  /** The output size as a fraction in (0, 1) of the input size (⌊n·ratio⌋). */
  outputRatio?: number | readonly number[];
  /** Also return the int32 index of each maximum flattened over its plane; forward returns [values, indices]. */
  returnIndices?: R;
  /** Seed of the per-plane samples (a number or a core `Generator`); default core's global generator. */
  seed?: Seed;
}

export interface FractionalMaxPoolCallOptions {
  /**
   * The uniform samples [N, C, nd] (float32 in [0, 1)) to use instead of fresh draws, as PyTorch's
   * `_random_samples`, in PyTorch's order: for 2-D sample 0 drives W and sample 1 drives H; for 3-D
   * samples 0, 1, 2 drive D, H, W.
   */
  randomSamples?: Tensor;
}

abstract class FractionalMaxPoolNd<R extends boolean> extends Module {
  readonly kernelSize: number[];
  readonly outputSize: number[] | null;
  readonly outputRatio: number[] | null;
  readonly returnIndices: R;
  private readonly gen: Generator | undefined;

  protected constructor(
    private readonly op: string,
    private readonly nd: number,
    private readonly dims: string,
    kernelSize: number | readonly number[],
    options: FractionalMaxPoolOptions<R, number | readonly number[]>,
  ) {
    super();
    this.kernelSize = tupleOf(op, kernelSize, nd, 'kernelSize', 1);
    if ((options.outputSize === undefined) === (options.outputRatio === undefined))
      throw new RangeError(`${op}: give exactly one of outputSize and outputRatio`);
    this.outputSize =
      options.outputSize === undefined ? null : tupleOf(op, options.outputSize, nd, 'outputSize', 1);
    if (options.outputRatio !== undefined) {
      const r =
        typeof options.outputRatio === 'number'
          ? new Array<number>(nd).fill(options.outputRatio)
          : [...options.outputRatio];
      if (r.length !== nd || !r.every((v) => v > 0 && v < 1))
        throw new RangeError(
          `${op}: outputRatio must be ${nd === 1 ? 'a number' : `a number or ${nd} numbers`} in (0, 1), got ${JSON.stringify(options.outputRatio)}`,
        );
      this.outputRatio = r;
    } else this.outputRatio = null;
    this.returnIndices = (options.returnIndices ?? false) as R;
    this.gen = generatorFrom(options.seed);
  }

  forward(x: Tensor, options: FractionalMaxPoolCallOptions = {}): MaxPoolResult<R> {
    const { op, nd } = this;
    const out = scope(() => {
      const { x: xb, unbatched } = batchedInput(op, x, nd, this.dims);
      const [N, C] = xb.shape as [number, number];
      const spatial = xb.shape.slice(2);
      const outs = this.outputSize ?? spatial.map((n, i) => Math.floor(n * this.outputRatio![i]!));
      spatial.forEach((n, i) => {
        if (outs[i]! < 1 || outs[i]! + this.kernelSize[i]! - 1 > n)
          throw new RangeError(
            `${op}: kernel ${fmtShape(this.kernelSize)} with output ${fmtShape(outs)} does not fit input ${fmtShape(x.shape)} (need output + kernel − 1 ≤ input, output ≥ 1)`,
          );
      });
      let samples: Tensor;
      if (options.randomSamples) {
        samples = options.randomSamples;
        if (samples.rank !== 3 || samples.shape[0] !== N || samples.shape[1] !== C || samples.shape[2] !== nd)
          throw new RangeError(
            `${op}: randomSamples must have shape ${fmtShape([N, C, nd])}, got ${fmtShape(samples.shape)}`,
          );
      } else samples = rand([N, C, nd], { seed: this.gen });
      const u = samples.cast('float32').dataSync();
      for (const v of u)
        if (!(v >= 0 && v < 1)) throw new RangeError(`${op}: randomSamples must lie in [0, 1), got ${v}`);
      const plans: AxisPlan[] = spatial.map((n, a) => {
        const k = this.kernelSize[a]!;
        const o = outs[a]!;
        const starts = new Int32Array(N * C * o);
        const which = nd === 2 ? 1 - a : a; // PyTorch's 2-D kernel reads (W, H), its 3-D one (D, H, W)
        for (let pl = 0; pl < N * C; pl++) starts.set(intervals(u[pl * nd + which]!, n, o, k), pl * o);
        const shape = xb.shape.map((_, i) => (i < 2 ? xb.shape[i]! : i === a + 2 ? o : 1));
        const pos: Tensor[] = [];
        for (let j = 0; j < k; j++)
          pos.push(
            tensor(
              starts.map((s) => s + j),
              { shape, dtype: 'int32' },
            ),
          );
        return { kind: 'gather' as const, out: o, pos };
      });
      const r = reduceWindows(xb, plans, this.returnIndices);
      const res = r.indices ? [r.values, r.indices] : [r.values];
      return unbatched ? res.map((t) => t.squeeze(0)) : res;
    });
    return (this.returnIndices ? out : out[0]) as MaxPoolResult<R>;
  }
}

/**
 * Fractional max pooling of x [N, C, H, W] or [C, H, W] (torch.nn.FractionalMaxPool2d).
 *
 * @example
 * const pool = new FractionalMaxPool2d(2, { outputRatio: 0.7, seed: 1 });   // 28×28 → 19×19
 */
export class FractionalMaxPool2d<R extends boolean = false> extends FractionalMaxPoolNd<R> {
  constructor(
    kernelSize: number | readonly [number, number],
    options: FractionalMaxPoolOptions<R, number | readonly [number, number]>,
  ) {
    super('FractionalMaxPool2d', 2, 'H, W', kernelSize, options);
  }
}

/** Fractional max pooling of x [N, C, D, H, W] or [C, D, H, W] (torch.nn.FractionalMaxPool3d). */
export class FractionalMaxPool3d<R extends boolean = false> extends FractionalMaxPoolNd<R> {
  constructor(
    kernelSize: number | readonly [number, number, number],
    options: FractionalMaxPoolOptions<R, number | readonly [number, number, number]>,
  ) {
    super('FractionalMaxPool3d', 3, 'D, H, W', kernelSize, options);
  }
}
