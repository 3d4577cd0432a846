import { Module, type Tensor } from '@myelin/core';
import {
  AdaptiveAvgPool2d,
  Conv2d,
  Dropout,
  type Layer,
  Linear,
  MaxPool2d,
  ReLU,
  Sequential,
} from '@myelin/nn';
import { type BuilderOptions, checkImageInput, checkPositive, generator, type ImageInput } from './input.js';

/** One convolution of AlexNet's feature extractor. */
export interface AlexNetConv {
  out: number;
  kernel: number;
  stride?: number;
  padding: number;
  /** A max-pool follows (after the ReLU). */
  pool?: boolean;
}

/** The shape of an AlexNet; {@link ALEXNET} is torchvision's, {@link ALEXNET_SMALL} the 28×28 one. */
export interface AlexNetConfig {
  /** Five convolutions, each followed by a ReLU (and a max-pool where `pool`). */
  convs: readonly AlexNetConv[];
  /** Max-pool window and stride. */
  pool: { kernel: number; stride: number };
  /** Side of the adaptive average pool before the classifier. */
  avgPool: number;
  /** Width of the two hidden layers of the classifier. */
  hidden: number;
  /** The smallest input side every layer maps to a non-empty output. */
  minSize: number;
}

/** torchvision's AlexNet (the one-GPU variant of Krizhevsky's "one weird trick" paper). */
export const ALEXNET: AlexNetConfig = {
  convs: [
    { out: 64, kernel: 11, stride: 4, padding: 2, pool: true },
    { out: 192, kernel: 5, padding: 2, pool: true },
    { out: 384, kernel: 3, padding: 1 },
    { out: 256, kernel: 3, padding: 1 },
    { out: 256, kernel: 3, padding: 1, pool: true },
  ],
  pool: { kernel: 3, stride: 2 },
  avgPool: 6,
  hidden: 4096,
  minSize: 63, // torchvision's min_size
};

/** AlexNet for 28×28: 5×5 then 3×3 convolutions at stride 1, 2×2 pools (28 → 14 → 7 → 3), 512-wide classifier. */
export const ALEXNET_SMALL: AlexNetConfig = {
  convs: [
    { out: 32, kernel: 5, padding: 2, pool: true },
    { out: 64, kernel: 3, padding: 1, pool: true },
    { out: 128, kernel: 3, padding: 1 },
    { out: 128, kernel: 3, padding: 1 },
    { out: 64, kernel: 3, padding: 1, pool: true },
  ],
  pool: { kernel: 2, stride: 2 },
  avgPool: 3,
  hidden: 512,
  minSize: 8,
};

export interface AlexNetOptions extends BuilderOptions {
  /** Drop probability of the two dropout layers of the classifier (default 0.5). */
  dropout?: number;
}

/**
 * AlexNet with torchvision's layout: `features` (a Sequential of conv/ReLU/max-pool, so the
 * convolutions are `features.0`, `.3`, `.6`, `.8`, `.10`), `avgpool` (adaptive), `classifier`
 * (dropout, linear, ReLU, dropout, linear, ReLU, linear: `classifier.1`, `.4`, `.6`).
 * PyTorch's default initialisation, as torchvision's.
 */
export class AlexNet extends Module {
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;
  readonly input: ImageInput;
  readonly numClasses: number;

  constructor(
    readonly arch: string,
    config: AlexNetConfig,
    options: AlexNetOptions & { numClasses: number; inChannels: number },
  ) {
    super();
    this.numClasses = checkPositive(arch, 'numClasses', options.numClasses);
    checkPositive(arch, 'inChannels', options.inChannels);
    const seed = generator(options.seed);
    const p = options.dropout ?? 0.5;
    const layers: Layer[] = [];
    let c = options.inChannels;
    for (const v of config.convs) {
      layers.push(new Conv2d(c, v.out, v.kernel, { stride: v.stride ?? 1, padding: v.padding, seed }));
      layers.push(new ReLU());
      if (v.pool) layers.push(new MaxPool2d(config.pool.kernel, { stride: config.pool.stride }));
      c = v.out;
    }
    this.features = new Sequential(...layers);
    this.avgpool = new AdaptiveAvgPool2d(config.avgPool);
    this.classifier = new Sequential(
      new Dropout(p, { seed }),
      new Linear(c * config.avgPool * config.avgPool, config.hidden, { seed }),
      new ReLU(),
      new Dropout(p, { seed }),
      new Linear(config.hidden, config.hidden, { seed }),
      new ReLU(),
      new Linear(config.hidden, this.numClasses, { seed }),
    );
    this.input = { channels: options.inChannels, minSize: [config.minSize, config.minSize] };
  }

  forward(x: Tensor): Tensor {
    checkImageInput(this.arch, this.input, x);
    return this.classifier.forward(this.avgpool.forward(this.features.forward(x)).flatten(1));
  }
}

/**
 * torchvision's AlexNet: 61,100,840 parameters; input [N, 3, H, W] with H, W ≥ 63 (224 as trained).
 *
 * @example
 * const net = alexnet();                         // loads torchvision's alexnet state dict by name
 * const logits = net.forward(images);            // [N, 3, 224, 224] → [N, 1000]
 */
export function alexnet(options: AlexNetOptions = {}): AlexNet {
  return new AlexNet('alexnet', ALEXNET, {
    ...options,
    numClasses: options.numClasses ?? 1000,
    inChannels: options.inChannels ?? 3,
  });
}

/**
 * AlexNet for 28×28 single-channel images ({@link ALEXNET_SMALL}); same state-dict names as
 * torchvision's. Input [N, 1, H, W] with H, W ≥ 8.
 *
 * @example
 * const net = alexnetSmall();                    // [N, 1, 28, 28] → [N, 10]
 */
export function alexnetSmall(options: AlexNetOptions = {}): AlexNet {
  return new AlexNet('alexnet_small', ALEXNET_SMALL, {
    ...options,
    numClasses: options.numClasses ?? 10,
    inChannels: options.inChannels ?? 1,
  });
}
