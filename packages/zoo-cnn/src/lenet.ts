import type { Tensor } from '@myelin/core';
import { AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, Tanh } from '@myelin/nn';
import { type BuilderOptions, checkImageInput, checkPositive, generator, type ImageInput } from './input.js';

/** LeNet-5's options: the builders' common ones and the 1998 form. */
export interface LeNet5Options extends BuilderOptions {
  /** Tanh and average pooling (LeCun et al., 1998; the textbooks' LeNet-5) instead of ReLU and max-pooling. */
  classic?: boolean;
}

/**
 * LeNet-5 (LeCun et al., 1998) as usually trained on MNIST today: conv 6@5×5 (padding 2), ReLU,
 * max-pool 2, conv 16@5×5, ReLU, max-pool 2, then 400 → 120 → 84 → classes. A `Sequential`, so the
 * state-dict names are `0.weight`, `3.weight`, `7.weight`, `9.weight`, `11.weight` (and biases) —
 * the same as the `lenet5` model `myelin train` has built since its first release.
 * Input: [N, inChannels, 28, 28] exactly (the 400-wide flatten fixes the size). 61,706 parameters.
 *
 * `classic: true` builds the textbooks' 1998 form instead: tanh activations and average-pooling
 * subsampling, same layers and parameter names (without the paper's RBF output layer, sparse C3
 * connections and trainable subsampling coefficients, which no modern framework keeps either).
 */
export class LeNet5 extends Sequential {
  readonly arch = 'lenet5';
  readonly input: ImageInput;
  readonly numClasses: number;
  /** True for the tanh / average-pooling form. */
  readonly classic: boolean;

  constructor(options: LeNet5Options = {}) {
    const numClasses = checkPositive('lenet5', 'numClasses', options.numClasses ?? 10);
    const inChannels = checkPositive('lenet5', 'inChannels', options.inChannels ?? 1);
    const seed = generator(options.seed);
    const classic = options.classic ?? false;
    const act = () => (classic ? new Tanh() : new ReLU());
    const pool = () => (classic ? new AvgPool2d(2) : new MaxPool2d(2));
    super(
      new Conv2d(inChannels, 6, 5, { padding: 2, seed }),
      act(),
      pool(),
      new Conv2d(6, 16, 5, { seed }),
      act(),
      pool(),
      new Flatten(),
      new Linear(400, 120, { seed }),
      act(),
      new Linear(120, 84, { seed }),
      act(),
      new Linear(84, numClasses, { seed }),
    );
    this.classic = classic;
    this.numClasses = numClasses;
    this.input = { channels: inChannels, size: [28, 28] };
  }

  override forward(x: Tensor): Tensor {
    checkImageInput(this.arch, this.input, x);
    return super.forward(x);
  }
}

/**
 * LeNet-5 for 28×28 digits (see {@link LeNet5}).
 *
 * @example
 * const net = lenet5();                          // [N, 1, 28, 28] → [N, 10]
 * summary(net, [1, 1, 28, 28]);                  // 61,706 parameters
 */
export function lenet5(options: LeNet5Options = {}): LeNet5 {
  return new LeNet5(options);
}
