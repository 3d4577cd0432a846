import { bernoulli, dropout, fmtShape, type Generator, Module, type Seed, type Tensor } from '@myelin/core';
import { generatorFrom } from './util.js';

export interface DropoutOptions {
  /**
   * Randomness of the masks: a number seeds one generator at construction (successive calls draw
   * different masks, the same sequence every run); a `Generator` is advanced; default: core's global.
   */
  seed?: Seed;
}

function checkP(op: string, p: number): number {
  if (!(p >= 0 && p <= 1))
    throw new RangeError(`${op}: p (the drop probability) must be in [0, 1], got ${p}`);
  return p;
}

/**
 * Zero each element with probability `p` (the drop probability, as PyTorch) while training and
 * scale the survivors by 1/(1−p) (inverted dropout), so evaluation is the identity.
 */
export class Dropout extends Module {
  readonly #gen: Generator | undefined;
  constructor(
    readonly p = 0.5,
    options: DropoutOptions = {},
  ) {
    super();
    checkP('Dropout', p);
    this.#gen = generatorFrom(options.seed);
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return dropout(x, this.p, { training: true, seed: this.#gen });
  }
}

/**
 * Zero whole channels (torch.nn.Dropout2d): each (sample, channel) plane of x [N, C, H, W] is
 * dropped with probability `p`, the rest scaled by 1/(1−p).
 *
 * A 3-D input is refused: PyTorch 1.13 warns and treats it as [N, C, L] (channel-wise 1-D dropout),
 * and says a later release will read it as an unbatched [C, H, W]; use Dropout1d for the first
 * and `x.unsqueeze(0)` for the second.
 */
export class Dropout2d extends Module {
  readonly #gen: Generator | undefined;
  constructor(
    readonly p = 0.5,
    options: DropoutOptions = {},
  ) {
    super();
    checkP('Dropout2d', p);
    this.#gen = generatorFrom(options.seed);
  }

  forward(x: Tensor): Tensor {
    if (x.rank === 3)
      throw new RangeError(
        `Dropout2d: a 3-D input ${fmtShape(x.shape)} is ambiguous (PyTorch 1.13 treats it as [N, C, L], later ` +
          'releases as [C, H, W]); expected [N, C, H, W]: use Dropout1d for [N, C, L] or unsqueeze(0) an unbatched [C, H, W]',
      );
    if (x.rank !== 4) throw new RangeError(`Dropout2d: input must be [N, C, H, W], got ${fmtShape(x.shape)}`);
    if (!this.training || this.p === 0) return x;
    if (this.p === 1) return x.mul(0);
    const maskShape = x.shape.map((d, i) => (i < x.rank - 2 ? d : 1));
    const keep = bernoulli(1 - this.p, { shape: maskShape, seed: this.#gen }).cast('float32');
    return x.mul(keep.mul(1 / (1 - this.p)));
  }
}

/** Zero whole channels of x [N, C, L] (torch.nn.Dropout1d). */
export class Dropout1d extends Module {
  readonly #gen: Generator | undefined;
  constructor(
    readonly p = 0.5,
    options: DropoutOptions = {},
  ) {
    super();
    checkP('Dropout1d', p);
    this.#gen = generatorFrom(options.seed);
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 2 && x.rank !== 3)
      throw new RangeError(`Dropout1d: input must be [N, C, L] or [C, L], got ${fmtShape(x.shape)}`);
    if (!this.training || this.p === 0) return x;
    if (this.p === 1) return x.mul(0);
    const maskShape = x.shape.map((d, i) => (i < x.rank - 1 ? d : 1));
    const keep = bernoulli(1 - this.p, { shape: maskShape, seed: this.#gen }).cast('float32');
    return x.mul(keep.mul(1 / (1 - this.p)));
  }
}
