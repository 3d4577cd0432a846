import { fmtShape, scope, type Tensor } from '@myelin/core';
import {
  BatchNorm2d,
  type BatchNormOptions,
  InstanceNorm2d,
  type InstanceNormOptions,
} from './normalization.js';

/**
 * Batch normalisation of x [N, C, D, H, W] (torch.nn.BatchNorm3d): statistics per channel over N,
 * D, H and W; `momentum`, `affine`, `trackRunningStats` and the state-dict names as BatchNorm2d
 * (whose rank-agnostic implementation it reuses, so it is also an `instanceof BatchNorm2d`).
 */
export class BatchNorm3d extends BatchNorm2d {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options);
  }
  protected override checkInput(x: Tensor): void {
    if (x.rank !== 5)
      throw new RangeError(`BatchNorm3d: input must be [N, C, D, H, W], got ${fmtShape(x.shape)}`);
  }
}

/**
 * Instance normalisation of x [N, C, D, H, W] or [C, D, H, W] (torch.nn.InstanceNorm3d): each
 * (sample, channel) normalised over its D·H·W positions. Runs as InstanceNorm2d over [N, C, D, H·W]
 * (the same positions), so options, running statistics and state-dict names are InstanceNorm2d's.
 */
export class InstanceNorm3d extends InstanceNorm2d {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super(numFeatures, options);
  }

  override forward(x: Tensor): Tensor {
    if ((x.rank !== 4 && x.rank !== 5) || x.shape[x.rank - 4] !== this.numFeatures)
      throw new RangeError(
        `InstanceNorm3d: input must be [N, ${this.numFeatures}, D, H, W] or [${this.numFeatures}, D, H, W], got ${fmtShape(x.shape)}`,
      );
    const [d, h, w] = x.shape.slice(-3) as [number, number, number];
    return scope(() => {
      const x5 = x.rank === 4 ? x.unsqueeze(0) : x;
      return super.forward(x5.reshape([x5.shape[0]!, this.numFeatures, d, h * w])).reshape(x.shape);
    });
  }
}
