import { Module, type Seed, type Tensor } from '@myelin/core';
import {
  AdaptiveAvgPool2d,
  BatchNorm2d,
  Conv2d,
  Identity,
  init,
  type Layer,
  Linear,
  MaxPool2d,
  ReLU,
  Sequential,
} from '@myelin/nn';
import { type BuilderOptions, checkImageInput, checkPositive, generator, type ImageInput } from './input.js';
import { SqueezeExcitation } from './squeeze-excitation.js';

type Gen = ReturnType<typeof generator>;

function conv(inC: number, outC: number, kernel: number, stride: number, seed: Gen): Conv2d {
  return new Conv2d(inC, outC, kernel, { stride, padding: (kernel - 1) / 2, bias: false, seed });
}

/** What a residual block needs beyond its channels. */
export interface BlockOptions {
  stride?: number;
  /** The 1×1 projection of the shortcut (conv + BatchNorm), when the shape changes. */
  downsample?: Sequential | null;
  /** Squeeze-and-excitation on the residual branch before the addition, with this reduction (SE-ResNet). */
  seReduction?: number;
  seed?: Seed;
}

function seBlock(channels: number, reduction: number | undefined, seed: Gen): SqueezeExcitation | null {
  if (reduction === undefined) return null;
  return new SqueezeExcitation(channels, Math.max(1, Math.floor(channels / reduction)), { seed });
}

/**
 * torchvision's `BasicBlock` (ResNet-18/34): conv 3×3 (stride) → bn1 → ReLU → conv 3×3 → bn2, plus
 * the shortcut (`downsample` where the shape changes), then ReLU. Names: `conv1`, `bn1`, `conv2`,
 * `bn2`, `downsample.0`, `downsample.1` (and `se.fc1`, `se.fc2` in an SE-ResNet).
 *
 * @example
 * const block = new BasicBlock(64, 64);          // 73,984 parameters
 */
export class BasicBlock extends Module {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu = new ReLU();
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly se: SqueezeExcitation | null;
  readonly downsample: Sequential | null;

  constructor(inplanes: number, planes: number, options: BlockOptions = {}) {
    super();
    const seed = generator(options.seed);
    this.conv1 = conv(inplanes, planes, 3, options.stride ?? 1, seed);
    this.bn1 = new BatchNorm2d(planes);
    this.conv2 = conv(planes, planes, 3, 1, seed);
    this.bn2 = new BatchNorm2d(planes);
    this.se = seBlock(planes, options.seReduction, seed);
    this.downsample = options.downsample ?? null;
  }

  forward(x: Tensor): Tensor {
    let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    out = this.bn2.forward(this.conv2.forward(out));
    if (this.se) out = this.se.forward(out);
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return this.relu.forward(out.add(identity));
  }
}

/**
 * torchvision's `Bottleneck` (ResNet-50 and deeper, "ResNet v1.5": the stride sits on the 3×3):
 * conv 1×1 → bn1 → ReLU → conv 3×3 (stride) → bn2 → ReLU → conv 1×1 (×4 channels) → bn3, plus the
 * shortcut, then ReLU. Names: `conv1`…`conv3`, `bn1`…`bn3`, `downsample.0`, `downsample.1`.
 *
 * @example
 * const block = new Bottleneck(256, 64);         // 256 → 64 → 64 → 256 channels
 */
export class Bottleneck extends Module {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly relu = new ReLU();
  readonly se: SqueezeExcitation | null;
  readonly downsample: Sequential | null;

  constructor(inplanes: number, planes: number, options: BlockOptions = {}) {
    super();
    const seed = generator(options.seed);
    this.conv1 = conv(inplanes, planes, 1, 1, seed);
    this.bn1 = new BatchNorm2d(planes);
    this.conv2 = conv(planes, planes, 3, options.stride ?? 1, seed);
    this.bn2 = new BatchNorm2d(planes);
    this.conv3 = conv(planes, planes * 4, 1, 1, seed);
    this.bn3 = new BatchNorm2d(planes * 4);
    this.se = seBlock(planes * 4, options.seReduction, seed);
    this.downsample = options.downsample ?? null;
  }

  forward(x: Tensor): Tensor {
    let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    out = this.relu.forward(this.bn2.forward(this.conv2.forward(out)));
    out = this.bn3.forward(this.conv3.forward(out));
    if (this.se) out = this.se.forward(out);
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return this.relu.forward(out.add(identity));
  }
}

export interface ResNetOptions extends BuilderOptions {
  /** Blocks per stage, one to four stages (default: the builder's, e.g. [2, 2, 2, 2] for ResNet-18). */
  layers?: readonly number[];
  /** Channels of the first stage; each later stage doubles them (default 64; 32 for the small variant). */
  width?: number;
  /**
   * 'imagenet' (default): conv 7×7 stride 2 and a 3×3 stride-2 max-pool, as torchvision.
   * 'small': conv 3×3 stride 1 and no max-pool, for 28×28 or 32×32 images.
   */
  stem?: 'imagenet' | 'small';
  /** Start each block's last BatchNorm at zero so every block begins as the identity (Goyal et al., 2017). */
  zeroInitResidual?: boolean;
  /** Add squeeze-and-excitation to every block with this reduction ratio (16 in Hu et al.); default none. */
  seReduction?: number;
}

/**
 * ResNet (He et al., 2015) with torchvision's names: `conv1`, `bn1`, `relu`, `maxpool`, `layer1` …
 * `layer4` (Sequentials of blocks: `layer1.0.conv1`, `layer2.0.downsample.0`), `avgpool`, `fc`; and
 * torchvision's initialisation (Kaiming-normal fan-out convolutions, BatchNorm 1 and 0).
 */
export class ResNet extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu = new ReLU();
  readonly maxpool: Layer;
  readonly layer1: Sequential;
  readonly layer2: Sequential | null = null;
  readonly layer3: Sequential | null = null;
  readonly layer4: Sequential | null = null;
  readonly avgpool = new AdaptiveAvgPool2d(1);
  readonly fc: Linear;
  readonly input: ImageInput;
  readonly numClasses: number;

  constructor(
    readonly arch: string,
    block: typeof BasicBlock | typeof Bottleneck,
    options: ResNetOptions & { layers: readonly number[]; numClasses: number; inChannels: number },
  ) {
    super();
    this.numClasses = checkPositive(arch, 'numClasses', options.numClasses);
    const inChannels = checkPositive(arch, 'inChannels', options.inChannels);
    const layers = options.layers;
    if (layers.length < 1 || layers.length > 4)
      throw new RangeError(`${arch}: layers must list one to four stages, got [${layers.join(', ')}]`);
    for (const n of layers) checkPositive(arch, 'layers entry', n);
    const width = checkPositive(arch, 'width', options.width ?? 64);
    const seed = generator(options.seed);
    const small = options.stem === 'small';
    this.conv1 = small ? conv(inChannels, width, 3, 1, seed) : conv(inChannels, width, 7, 2, seed);
    this.bn1 = new BatchNorm2d(width);
    this.maxpool = small ? new Identity() : new MaxPool2d(3, { stride: 2, padding: 1 });
    let inplanes = width;
    const stages = layers.map((blocks, i) => {
      const planes = width * 2 ** i;
      const stride = i === 0 ? 1 : 2;
      const out = planes * block.expansion;
      const downsample =
        stride !== 1 || inplanes !== out
          ? new Sequential(conv(inplanes, out, 1, stride, seed), new BatchNorm2d(out))
          : null;
      const seq = new Sequential(
        new block(inplanes, planes, { stride, downsample, seReduction: options.seReduction, seed }),
      );
      inplanes = out;
      for (let b = 1; b < blocks; b++)
        seq.append(new block(inplanes, planes, { seReduction: options.seReduction, seed }));
      return seq;
    });
    this.layer1 = stages[0]!;
    this.layer2 = stages[1] ?? null;
    this.layer3 = stages[2] ?? null;
    this.layer4 = stages[3] ?? null;
    this.fc = new Linear(inplanes, this.numClasses, { seed });
    // torchvision's init for every convolution of the network; the SE gates (the only convolutions
    // with a bias) keep PyTorch's default, as torchvision's SqueezeExcitation does.
    for (const [, m] of this.namedModules())
      if (m instanceof Conv2d && m.bias === null)
        init.kaimingNormal(m.weight, { mode: 'fanOut', nonlinearity: 'relu', seed });
    if (options.zeroInitResidual)
      for (const [, m] of this.namedModules()) {
        if (m instanceof Bottleneck) init.zeros(m.bn3.weight!);
        else if (m instanceof BasicBlock) init.zeros(m.bn2.weight!);
      }
    // Every layer pads, so any H, W ≥ 1 gives a non-empty output (torchvision's min_size).
    this.input = { channels: inChannels, minSize: [1, 1] };
  }

  /** The last stage's feature map, before pooling: [N, C, H', W'] (what Grad-CAM looks at). */
  forwardFeatures(x: Tensor): Tensor {
    checkImageInput(this.arch, this.input, x);
    let h = this.maxpool.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x))));
    for (const stage of [this.layer1, this.layer2, this.layer3, this.layer4]) if (stage) h = stage.forward(h);
    return h;
  }

  forward(x: Tensor): Tensor {
    return this.fc.forward(this.avgpool.forward(this.forwardFeatures(x)).flatten(1));
  }
}

function full(
  arch: string,
  block: typeof BasicBlock | typeof Bottleneck,
  layers: number[],
  o: ResNetOptions,
) {
  return new ResNet(arch, block, {
    ...o,
    layers: o.layers ?? layers,
    numClasses: o.numClasses ?? 1000,
    inChannels: o.inChannels ?? 3,
  });
}

/**
 * ResNet-18, torchvision's `resnet18`: BasicBlocks [2, 2, 2, 2], 11,689,512 parameters; input
 * [N, 3, H, W] (224 × 224 as trained).
 *
 * @example
 * const net = resnet18();
 * net.loadStateDict(loadSafetensors(bytes).tensors);   // a torchvision state dict, by name
 * net.eval();
 * const logits = net.forward(images);                  // [N, 1000]
 */
export const resnet18 = (options: ResNetOptions = {}): ResNet =>
  full('resnet18', BasicBlock, [2, 2, 2, 2], options);

/** ResNet-34, torchvision's `resnet34`: BasicBlocks [3, 4, 6, 3], 21,797,672 parameters. @example const net = resnet34(); */
export const resnet34 = (options: ResNetOptions = {}): ResNet =>
  full('resnet34', BasicBlock, [3, 4, 6, 3], options);

/**
 * ResNet-50, torchvision's `resnet50`: Bottlenecks [3, 4, 6, 3], 25,557,032 parameters.
 *
 * @example
 * const net = resnet50({ numClasses: 10 });
 */
export const resnet50 = (options: ResNetOptions = {}): ResNet =>
  full('resnet50', Bottleneck, [3, 4, 6, 3], options);

/**
 * ResNet for 28×28 single-channel images: a 3×3 stride-1 stem without max-pool, BasicBlocks
 * [2, 2, 2] at 32, 64, 128 channels (28 → 28 → 14 → 7), global average pool, `fc`. Same names as
 * torchvision's ResNet (`layer4` absent). 696,042 parameters with 10 classes.
 *
 * @example
 * const net = resnetSmall();                           // [N, 1, 28, 28] → [N, 10]
 * const wide = resnetSmall({ width: 64, layers: [2, 2, 2, 2] });
 * const se = resnetSmall({ seReduction: 16 });         // SE-ResNet
 */
export function resnetSmall(options: ResNetOptions = {}): ResNet {
  const arch = options.seReduction === undefined ? 'resnet_small' : 'se_resnet_small';
  return new ResNet(arch, BasicBlock, {
    ...options,
    stem: options.stem ?? 'small',
    layers: options.layers ?? [2, 2, 2],
    width: options.width ?? 32,
    numClasses: options.numClasses ?? 10,
    inChannels: options.inChannels ?? 1,
  });
}

/**
 * SE-ResNet for 28×28 images: {@link resnetSmall} with squeeze-and-excitation (reduction 16 unless
 * given) in every block, under the name `se` (`layer1.0.se.fc1.weight`).
 *
 * @example
 * const net = seResnetSmall();                         // [N, 1, 28, 28] → [N, 10]
 */
export function seResnetSmall(options: ResNetOptions = {}): ResNet {
  return resnetSmall({ ...options, seReduction: options.seReduction ?? 16 });
}
