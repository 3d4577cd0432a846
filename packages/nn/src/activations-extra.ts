import {
  argmax,
  fmtShape,
  type Generator,
  Module,
  oneHot,
  rand,
  type Seed,
  scope,
  softmax,
  type Tensor,
  where,
} from '@myelin/core';
import { generatorFrom } from './util.js';

export interface RReLUOptions {
  /** Randomness of the training-time slopes (see DropoutOptions.seed). */
  seed?: Seed;
}

/**
 * Randomized leaky ReLU (torch.nn.RReLU; Xu et al. 2015): while training each negative element is
 * multiplied by its own slope a ~ U(lower, upper); in evaluation by the mean slope (lower+upper)/2.
 */
export class RReLU extends Module {
  readonly #gen: Generator | undefined;
  constructor(
    readonly lower = 1 / 8,
    readonly upper = 1 / 3,
    options: RReLUOptions = {},
  ) {
    super();
    if (!(lower >= 0 && lower <= upper))
      throw new RangeError(`RReLU: needs 0 ≤ lower ≤ upper, got lower=${lower} upper=${upper}`);
    this.#gen = generatorFrom(options.seed);
  }

  forward(x: Tensor): Tensor {
    return scope(() => {
      const xf = x.cast('float32');
      const slope = this.training
        ? rand(xf.shape, { seed: this.#gen })
            .mul(this.upper - this.lower)
            .add(this.lower)
        : (this.lower + this.upper) / 2;
      return where(xf.greaterEqual(0), xf, xf.mul(slope));
    });
  }
}

/** Softmax over the channels of x [N, C, H, W] or [C, H, W] at every pixel (torch.nn.Softmax2d). */
export class Softmax2d extends Module {
  forward(x: Tensor): Tensor {
    if (x.rank !== 3 && x.rank !== 4)
      throw new RangeError(`Softmax2d: input must be [N, C, H, W] or [C, H, W], got ${fmtShape(x.shape)}`);
    return softmax(x, -3);
  }
}

export interface GumbelSoftmaxOptions {
  /** Temperature τ > 0 (default 1). */
  tau?: number;
  /** Return one-hot samples whose gradient is the soft sample's (straight-through; default false). */
  hard?: boolean;
  /** The class axis (default −1). */
  dim?: number;
  seed?: Seed;
}

/**
 * A differentiable sample from the categorical distribution softmax(logits)
 * (torch.nn.functional.gumbel_softmax; Jang et al. 2017, Maddison et al. 2017):
 * softmax((logits + g) / τ) with g ~ Gumbel(0, 1). With `hard`, the one-hot of its argmax in the
 * forward pass and the soft sample's gradient in the backward pass.
 * @example gumbelSoftmax(logits, { tau: 0.5, hard: true, seed: gen })
 */
export function gumbelSoftmax(logits: Tensor, options: GumbelSoftmaxOptions = {}): Tensor {
  const tau = options.tau ?? 1;
  if (!(tau > 0)) throw new RangeError(`gumbelSoftmax: tau must be > 0, got ${tau}`);
  if (logits.rank === 0) throw new RangeError('gumbelSoftmax: logits must have a class axis, got a scalar');
  const rank = logits.rank;
  const dim = options.dim ?? -1;
  const axis = dim < 0 ? dim + rank : dim;
  if (!Number.isInteger(dim) || axis < 0 || axis >= rank)
    throw new RangeError(`gumbelSoftmax: dim ${dim} is out of range for logits ${fmtShape(logits.shape)}`);
  return scope(() => {
    const lf = logits.cast('float32');
    // g = −log(−log U), U ~ U(0, 1) kept away from 0 so both logs stay finite.
    const u = rand(lf.shape, { seed: options.seed }).clip(1e-20, 1);
    const g = u.log().neg().log().neg();
    const soft = softmax(lf.add(g).div(tau), axis);
    if (!options.hard) return soft;
    const k = lf.shape[axis]!;
    const hot = oneHot(argmax(soft, axis), k).cast('float32');
    const last = rank - 1;
    const perm = [...Array(rank).keys()].map((i) => (i < axis ? i : i === axis ? last : i - 1));
    const hard = axis === last ? hot : hot.permute(perm);
    return hard.sub(soft.detach()).add(soft);
  });
}
