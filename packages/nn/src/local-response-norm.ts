import { avgPool2d, fmtShape, Module, scope, type Tensor } from '@myelin/core';
import { positiveInt } from './util.js';

export interface LocalResponseNormOptions {
  /** Default 1e-4. */
  alpha?: number;
  /** Default 0.75. */
  beta?: number;
  /** Default 1. */
  k?: number;
}

/**
 * Local response normalisation across channels (torch.nn.LocalResponseNorm; Krizhevsky et al.
 * 2012, §3.3): b_c = a_c / (k + α/n · Σ a_{c'}²)^β, the sum over the `size` channels
 * c − ⌊n/2⌋ … c + ⌈n/2⌉ − 1 clipped to the input (zeros beyond, but still divided by n, as PyTorch).
 * Input [N, C, *] with at least one trailing dim.
 */
export class LocalResponseNorm extends Module {
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;

  constructor(
    readonly size: number,
    options: LocalResponseNormOptions = {},
  ) {
    super();
    positiveInt('LocalResponseNorm', size, 'size');
    this.alpha = options.alpha ?? 1e-4;
    this.beta = options.beta ?? 0.75;
    this.k = options.k ?? 1;
  }

  forward(x: Tensor): Tensor {
    if (x.rank < 3)
      throw new RangeError(`LocalResponseNorm: input must be [N, C, *] (rank ≥ 3), got ${fmtShape(x.shape)}`);
    const [n, c] = x.shape as [number, number];
    const rest = x.size / (n * c);
    const s = this.size;
    return scope(() => {
      const xf = x.cast('float32');
      // Windowed channel mean of x² as an average pool over [C, rest] with a (size, 1) kernel.
      const sq = xf
        .square()
        .reshape([n, 1, c, rest])
        .pad([0, 0, Math.floor(s / 2), Math.floor((s - 1) / 2)]);
      const mean = avgPool2d(sq, [s, 1], { stride: 1 }).reshape(x.shape);
      return xf.div(mean.mul(this.alpha).add(this.k).pow(this.beta));
    });
  }
}
