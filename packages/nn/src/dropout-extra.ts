import { bernoulli, fmtShape, type Generator, Module, scope, type Tensor } from '@myelin/core';
import type { DropoutOptions } from './dropout.js';
import { generatorFrom } from './util.js';

function checkP(op: string, p: number): number {
  if (!(p >= 0 && p <= 1))
    throw new RangeError(`${op}: p (the drop probability) must be in [0, 1], got ${p}`);
  return p;
}

/** −λα of SELU: the value a SELU unit saturates to, which AlphaDropout drops units to. */
const SELU_SATURATION = 1.7580993408473766;

/**
 * Dropout for self-normalising networks (torch.nn.AlphaDropout; Klambauer et al. 2017, eq. 9):
 * while training each element is set to SELU's saturation −λα with probability `p`, then the
 * result is mapped by a·y + b so that zero mean and unit variance are kept:
 * a = ((1−p)(1 + p·λ²α²))^−½, b = −a·(−λα)·p. The identity in evaluation.
 */
export class AlphaDropout extends Module {
  readonly #gen: Generator | undefined;
  constructor(
    readonly p = 0.5,
    options: DropoutOptions = {},
  ) {
    super();
    checkP('AlphaDropout', p);
    this.#gen = generatorFrom(options.seed);
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    if (this.p === 1) return scope(() => x.cast('float32').mul(0));
    const p = this.p;
    const s = SELU_SATURATION;
    const a = 1 / Math.sqrt((s * s * p + 1) * (1 - p));
    return scope(() => {
      const keep = bernoulli(1 - p, { shape: x.shape, seed: this.#gen }).cast('float32');
      // x·keep·a + (keep − 1)·s·a + s·a·p, PyTorch's _dropout_impl for alpha dropout.
      return x
        .cast('float32')
        .mul(keep.mul(a))
        .add(keep.sub(1).mul(s * a))
        .add(s * a * p);
    });
  }
}

/**
 * Zero whole channels of x [N, C, D, H, W] or [C, D, H, W] (torch.nn.Dropout3d): each
 * (sample, channel) volume is dropped with probability `p`, the rest scaled by 1/(1−p).
 */
export class Dropout3d extends Module {
  readonly #gen: Generator | undefined;
  constructor(
    readonly p = 0.5,
    options: DropoutOptions = {},
  ) {
    super();
    checkP('Dropout3d', p);
    this.#gen = generatorFrom(options.seed);
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4 && x.rank !== 5)
      throw new RangeError(
        `Dropout3d: input must be [N, C, D, H, W] or [C, D, H, W], got ${fmtShape(x.shape)}`,
      );
    if (!this.training || this.p === 0) return x;
    if (this.p === 1) return scope(() => x.mul(0));
    const maskShape = x.shape.map((d, i) => (i < x.rank - 3 ? d : 1));
    return scope(() => {
      const keep = bernoulli(1 - this.p, { shape: maskShape, seed: this.#gen }).cast('float32');
      return x.mul(keep.mul(1 / (1 - this.p)));
    });
  }
}
