import { Module, type Seed, type Tensor } from '@myelin/core';
import { AdaptiveAvgPool2d, Conv2d, type Layer, ReLU, Sigmoid } from '@myelin/nn';
import { checkPositive, generator } from './input.js';

export interface SqueezeExcitationOptions {
  /** The activation between the two 1×1 convolutions (default ReLU). */
  activation?: Layer;
  /** The gate (default Sigmoid). */
  scaleActivation?: Layer;
  seed?: Seed;
}

/**
 * Squeeze-and-excitation (Hu et al., 2018, eq. 2–4) as torchvision's `ops.SqueezeExcitation`:
 * average-pool each channel to one number, `fc1` (1×1 conv, channels → squeeze), ReLU, `fc2` (1×1
 * conv, squeeze → channels), sigmoid, and scale the input's channels by the result. The "fully
 * connected" layers are 1×1 convolutions with bias, so the state dict reads `fc1.weight`
 * [squeeze, channels, 1, 1], `fc1.bias`, `fc2.weight`, `fc2.bias` as torchvision's.
 *
 * @example
 * const se = new SqueezeExcitation(64, 16);      // 2,128 parameters
 * const y = se.forward(x);                       // x [N, 64, H, W] → same shape, channels re-weighted
 */
export class SqueezeExcitation extends Module {
  readonly avgpool = new AdaptiveAvgPool2d(1);
  readonly fc1: Conv2d;
  readonly fc2: Conv2d;
  readonly activation: Layer;
  readonly scale_activation: Layer;

  constructor(
    readonly inputChannels: number,
    readonly squeezeChannels: number,
    options: SqueezeExcitationOptions = {},
  ) {
    super();
    checkPositive('SqueezeExcitation', 'inputChannels', inputChannels);
    checkPositive('SqueezeExcitation', 'squeezeChannels', squeezeChannels);
    const seed = generator(options.seed);
    this.fc1 = new Conv2d(inputChannels, squeezeChannels, 1, { seed });
    this.fc2 = new Conv2d(squeezeChannels, inputChannels, 1, { seed });
    this.activation = options.activation ?? new ReLU();
    this.scale_activation = options.scaleActivation ?? new Sigmoid();
  }

  /** The per-channel gate in (0, 1), [N, C, 1, 1]. */
  scale(x: Tensor): Tensor {
    const s = this.fc2.forward(this.activation.forward(this.fc1.forward(this.avgpool.forward(x))));
    return this.scale_activation.forward(s);
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inputChannels)
      throw new RangeError(
        `SqueezeExcitation: expected input [N, ${this.inputChannels}, H, W], got [${x.shape.join(', ')}]`,
      );
    return x.mul(this.scale(x));
  }
}
