import { concat, Module, type Seed, type Tensor } from '@myelin/core';
import {
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  init,
  Linear,
  MaxPool2d,
  ModuleDict,
  ReLU,
  Sequential,
} from '@myelin/nn';
import { type BuilderOptions, checkImageInput, checkPositive, generator, type ImageInput } from './input.js';

/**
 * torchvision's `_DenseLayer` (DenseNet-BC, Huang et al., 2017): on the concatenation of every
 * earlier feature map, `norm1` → ReLU → `conv1` (1×1, bnSize·growth) → `norm2` → ReLU → `conv2`
 * (3×3, growth), then dropout. Returns only the `growthRate` new channels.
 *
 * @example
 * const layer = new DenseLayer(64, 32, 4);       // 64 channels in, 32 new ones out
 */
export class DenseLayer extends Module {
  readonly norm1: BatchNorm2d;
  readonly relu1 = new ReLU();
  readonly conv1: Conv2d;
  readonly norm2: BatchNorm2d;
  readonly relu2 = new ReLU();
  readonly conv2: Conv2d;
  readonly drop: Dropout | null;

  constructor(
    readonly numInputFeatures: number,
    growthRate: number,
    bnSize: number,
    options: { dropRate?: number; seed?: Seed } = {},
  ) {
    super();
    const seed = generator(options.seed);
    this.norm1 = new BatchNorm2d(numInputFeatures);
    this.conv1 = new Conv2d(numInputFeatures, bnSize * growthRate, 1, { bias: false, seed });
    this.norm2 = new BatchNorm2d(bnSize * growthRate);
    this.conv2 = new Conv2d(bnSize * growthRate, growthRate, 3, { padding: 1, bias: false, seed });
    const p = options.dropRate ?? 0;
    this.drop = p > 0 ? new Dropout(p, { seed }) : null;
  }

  /** `features`: the block's input and the outputs of the layers before this one. */
  forward(features: Tensor | readonly Tensor[]): Tensor {
    const x = Array.isArray(features) ? concat(features as Tensor[], 1) : (features as Tensor);
    const bottleneck = this.conv1.forward(this.relu1.forward(this.norm1.forward(x)));
    const out = this.conv2.forward(this.relu2.forward(this.norm2.forward(bottleneck)));
    return this.drop ? this.drop.forward(out) : out;
  }
}

/**
 * torchvision's `_DenseBlock`: `denselayer1` … `denselayerN`, each fed the concatenation of the
 * block input and all earlier layers' outputs; returns that concatenation with the last output
 * (numInputFeatures + N·growthRate channels).
 *
 * @example
 * const block = new DenseBlock(6, 64, 4, 32);    // 64 → 256 channels, DenseNet-121's first block
 */
export class DenseBlock extends ModuleDict<DenseLayer> {
  readonly outChannels: number;

  constructor(
    numLayers: number,
    numInputFeatures: number,
    bnSize: number,
    growthRate: number,
    options: { dropRate?: number; seed?: Seed } = {},
  ) {
    super();
    const seed = generator(options.seed);
    for (let i = 0; i < numLayers; i++) {
      const layer = new DenseLayer(numInputFeatures + i * growthRate, growthRate, bnSize, {
        dropRate: options.dropRate,
        seed,
      });
      this.set(`denselayer${i + 1}`, layer);
    }
    this.outChannels = numInputFeatures + numLayers * growthRate;
  }

  forward(x: Tensor): Tensor {
    const features = [x];
    for (const layer of this.values()) features.push(layer.forward(features));
    return concat(features, 1);
  }
}

/**
 * torchvision's `_Transition` between dense blocks: `norm` → `relu` → `conv` (1×1, no bias) →
 * `pool` (2×2 average, stride 2).
 *
 * @example
 * const t = new Transition(256, 128);
 */
export class Transition extends Sequential {
  constructor(numInputFeatures: number, numOutputFeatures: number, options: { seed?: Seed } = {}) {
    super({
      norm: new BatchNorm2d(numInputFeatures),
      relu: new ReLU(),
      conv: new Conv2d(numInputFeatures, numOutputFeatures, 1, { bias: false, seed: options.seed }),
      pool: new AvgPool2d(2, { stride: 2 }),
    });
  }
}

export interface DenseNetOptions extends BuilderOptions {
  /** Channels each dense layer adds (k; default 32). */
  growthRate?: number;
  /** Dense layers per block (default [6, 12, 24, 16], DenseNet-121). */
  blockConfig?: readonly number[];
  /** Channels of the stem convolution (default 64). */
  numInitFeatures?: number;
  /** Bottleneck width as a multiple of growthRate (default 4). */
  bnSize?: number;
  /** Dropout after each dense layer (default 0). */
  dropRate?: number;
  /**
   * 'imagenet' (default): conv 7×7 stride 2, BatchNorm, ReLU, 3×3 stride-2 max-pool, as torchvision.
   * 'small': conv 3×3 stride 1, BatchNorm, ReLU, no pool (`pool0` absent).
   */
  stem?: 'imagenet' | 'small';
}

/**
 * DenseNet-BC with torchvision's names: `features` (a Sequential with `conv0`, `norm0`, `relu0`,
 * `pool0`, `denseblock1`, `transition1`, …, `norm5`) and `classifier`; torchvision's initialisation
 * (Kaiming-normal convolutions, BatchNorm 1 and 0, zero linear bias).
 */
export class DenseNet extends Module {
  readonly features: Sequential;
  readonly classifier: Linear;
  readonly input: ImageInput;
  readonly numClasses: number;

  constructor(
    readonly arch: string,
    options: DenseNetOptions & { numClasses: number; inChannels: number },
  ) {
    super();
    this.numClasses = checkPositive(arch, 'numClasses', options.numClasses);
    const inC = checkPositive(arch, 'inChannels', options.inChannels);
    const growth = checkPositive(arch, 'growthRate', options.growthRate ?? 32);
    const blocks = options.blockConfig ?? [6, 12, 24, 16];
    for (const n of blocks) checkPositive(arch, 'blockConfig entry', n);
    const init0 = checkPositive(arch, 'numInitFeatures', options.numInitFeatures ?? 64);
    const bnSize = checkPositive(arch, 'bnSize', options.bnSize ?? 4);
    const seed = generator(options.seed);
    const small = options.stem === 'small';
    this.features = new Sequential({
      conv0: small
        ? new Conv2d(inC, init0, 3, { padding: 1, bias: false, seed })
        : new Conv2d(inC, init0, 7, { stride: 2, padding: 3, bias: false, seed }),
      norm0: new BatchNorm2d(init0),
      relu0: new ReLU(),
    });
    if (!small) this.features.add('pool0', new MaxPool2d(3, { stride: 2, padding: 1 }));
    let c = init0;
    blocks.forEach((n, i) => {
      const block = new DenseBlock(n, c, bnSize, growth, { dropRate: options.dropRate, seed });
      this.features.add(`denseblock${i + 1}`, block);
      c = block.outChannels;
      if (i !== blocks.length - 1) {
        this.features.add(`transition${i + 1}`, new Transition(c, Math.floor(c / 2), { seed }));
        c = Math.floor(c / 2);
      }
    });
    // torchvision names the final norm `norm5` whatever the number of blocks.
    this.features.add('norm5', new BatchNorm2d(c));
    this.classifier = new Linear(c, this.numClasses, { seed });
    for (const [, m] of this.namedModules()) if (m instanceof Conv2d) init.kaimingNormal(m.weight, { seed });
    init.zeros(this.classifier.bias!);
    // Each of the t transitions floors the side by 2, so t transitions need 2^t after the stem; the
    // ImageNet stem maps H to ⌊(H−1)/2⌋+1 twice, so it needs H ≥ 4·2^t − 3 (torchvision's min_size 29).
    const t = blocks.length - 1;
    const min = small ? 2 ** t : 4 * 2 ** t - 3;
    this.input = { channels: inC, minSize: [min, min] };
  }

  forward(x: Tensor): Tensor {
    checkImageInput(this.arch, this.input, x);
    return this.classifier.forward(this.features.forward(x).relu().mean([2, 3]));
  }
}

function full(
  arch: string,
  growthRate: number,
  blockConfig: number[],
  numInitFeatures: number,
  o: DenseNetOptions,
) {
  return new DenseNet(arch, {
    growthRate,
    blockConfig,
    numInitFeatures,
    ...o,
    numClasses: o.numClasses ?? 1000,
    inChannels: o.inChannels ?? 3,
  });
}

/**
 * DenseNet-121, torchvision's `densenet121`: growth 32, blocks [6, 12, 24, 16], 7,978,856
 * parameters; input [N, 3, H, W], H, W ≥ 29.
 *
 * @example
 * const net = densenet121();
 */
export const densenet121 = (o: DenseNetOptions = {}): DenseNet =>
  full('densenet121', 32, [6, 12, 24, 16], 64, o);
/** DenseNet-161, torchvision's `densenet161` (growth 48, [6, 12, 36, 24], 96 stem channels). @example const net = densenet161(); */
export const densenet161 = (o: DenseNetOptions = {}): DenseNet =>
  full('densenet161', 48, [6, 12, 36, 24], 96, o);
/** DenseNet-169, torchvision's `densenet169` ([6, 12, 32, 32]). @example const net = densenet169(); */
export const densenet169 = (o: DenseNetOptions = {}): DenseNet =>
  full('densenet169', 32, [6, 12, 32, 32], 64, o);
/** DenseNet-201, torchvision's `densenet201` ([6, 12, 48, 32]). @example const net = densenet201(); */
export const densenet201 = (o: DenseNetOptions = {}): DenseNet =>
  full('densenet201', 32, [6, 12, 48, 32], 64, o);

/**
 * DenseNet-BC for 28×28 single-channel images: a 3×3 stem of 24 channels, three dense blocks of 6
 * layers with growth 12 (bottleneck 48), transitions 28 → 14 → 7, then BatchNorm, ReLU, global
 * average pool, `classifier`. Same names as torchvision's DenseNet. Input [N, 1, H, W], H, W ≥ 4.
 *
 * @example
 * const net = densenetSmall();                   // [N, 1, 28, 28] → [N, 10]
 */
export function densenetSmall(o: DenseNetOptions = {}): DenseNet {
  return new DenseNet('densenet_small', {
    growthRate: 12,
    blockConfig: [6, 6, 6],
    numInitFeatures: 24,
    ...o,
    stem: o.stem ?? 'small',
    numClasses: o.numClasses ?? 10,
    inChannels: o.inChannels ?? 1,
  });
}
