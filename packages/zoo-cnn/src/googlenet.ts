import { concat, Module, type Seed, type Tensor, tensor } from '@myelin/core';
import {
  AdaptiveAvgPool2d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  init,
  Linear,
  MaxPool2d,
  Sequential,
} from '@myelin/nn';
import { type BuilderOptions, checkImageInput, checkPositive, generator, type ImageInput } from './input.js';

type Gen = ReturnType<typeof generator>;

/**
 * torchvision's GoogLeNet `BasicConv2d`: `conv` (no bias) → `bn` (BatchNorm2d, eps 0.001) → ReLU.
 *
 * @example
 * const c = new BasicConv2d(3, 64, 7, { stride: 2, padding: 3 });
 */
export class BasicConv2d extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number,
    options: { stride?: number; padding?: number; seed?: Seed } = {},
  ) {
    super();
    this.conv = new Conv2d(inChannels, outChannels, kernelSize, {
      stride: options.stride ?? 1,
      padding: options.padding ?? 0,
      bias: false,
      seed: options.seed,
    });
    this.bn = new BatchNorm2d(outChannels, { eps: 0.001 });
  }

  forward(x: Tensor): Tensor {
    return this.bn.forward(this.conv.forward(x)).relu();
  }
}

/**
 * torchvision's GoogLeNet `Inception` block (Szegedy et al., 2014, fig. 2b): four branches
 * concatenated along channels — `branch1` (1×1), `branch2` (1×1 reduce → 3×3), `branch3` (1×1
 * reduce → 3×3; torchvision uses 3×3 where the paper has 5×5, a known quirk kept so its weights load),
 * `branch4` (3×3 stride-1 max-pool → 1×1). Output channels: ch1x1 + ch3x3 + ch5x5 + poolProj.
 *
 * @example
 * const block = new Inception(192, 64, 96, 128, 16, 32, 32);   // inception3a: 192 → 256 channels
 */
export class Inception extends Module {
  readonly branch1: BasicConv2d;
  readonly branch2: Sequential;
  readonly branch3: Sequential;
  readonly branch4: Sequential;
  readonly outChannels: number;

  constructor(
    readonly inChannels: number,
    ch1x1: number,
    ch3x3red: number,
    ch3x3: number,
    ch5x5red: number,
    ch5x5: number,
    poolProj: number,
    options: { seed?: Seed } = {},
  ) {
    super();
    for (const [k, v] of Object.entries({ inChannels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, poolProj }))
      checkPositive('Inception', k, v);
    const seed = generator(options.seed);
    this.branch1 = new BasicConv2d(inChannels, ch1x1, 1, { seed });
    this.branch2 = new Sequential(
      new BasicConv2d(inChannels, ch3x3red, 1, { seed }),
      new BasicConv2d(ch3x3red, ch3x3, 3, { padding: 1, seed }),
    );
    this.branch3 = new Sequential(
      new BasicConv2d(inChannels, ch5x5red, 1, { seed }),
      new BasicConv2d(ch5x5red, ch5x5, 3, { padding: 1, seed }),
    );
    this.branch4 = new Sequential(
      new MaxPool2d(3, { stride: 1, padding: 1, ceilMode: true }),
      new BasicConv2d(inChannels, poolProj, 1, { seed }),
    );
    this.outChannels = ch1x1 + ch3x3 + ch5x5 + poolProj;
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels)
      throw new RangeError(
        `Inception: expected input [N, ${this.inChannels}, H, W], got [${x.shape.join(', ')}]`,
      );
    const branches = [this.branch1, this.branch2, this.branch3, this.branch4].map((b) => b.forward(x));
    return concat(branches, 1);
  }
}

/**
 * torchvision's `InceptionAux`, the auxiliary classifier of GoogLeNet's training: adaptive average
 * pool to 4×4 → `conv` (BasicConv2d 1×1, 128) → `fc1` (2048 → 1024) → ReLU → dropout → `fc2`.
 */
export class InceptionAux extends Module {
  readonly conv: BasicConv2d;
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly dropout: Dropout;
  readonly #pool = new AdaptiveAvgPool2d(4);

  constructor(inChannels: number, numClasses: number, options: { dropout?: number; seed?: Seed } = {}) {
    super();
    const seed = generator(options.seed);
    this.conv = new BasicConv2d(inChannels, 128, 1, { seed });
    this.fc1 = new Linear(2048, 1024, { seed });
    this.fc2 = new Linear(1024, numClasses, { seed });
    this.dropout = new Dropout(options.dropout ?? 0.7, { seed });
  }

  forward(x: Tensor): Tensor {
    const h = this.conv.forward(this.#pool.forward(x)).flatten(1);
    return this.fc2.forward(this.dropout.forward(this.fc1.forward(h).relu()));
  }
}

export interface GoogLeNetOptions extends BuilderOptions {
  /**
   * Build the two auxiliary classifiers `aux1`, `aux2` (default true, as torchvision's `googlenet()`,
   * whose ImageNet state dict holds them). `forward` never uses them; `forwardWithAux` does in training.
   */
  auxLogits?: boolean;
  /** Map ImageNet-normalised input to the [-1, 1] scaling the original weights were trained on (default false). */
  transformInput?: boolean;
  /** Drop probability before `fc` (default 0.2). */
  dropout?: number;
  /** Drop probability inside the auxiliary classifiers (default 0.7). */
  dropoutAux?: number;
}

/** Initialise as torchvision: truncated N(0, 0.01²) on [−2, 2] for convolutions and linear layers. */
function initGoogLeNet(m: Module, seed: Gen): void {
  for (const [, c] of m.namedModules())
    if (c instanceof Conv2d || c instanceof Linear)
      init.truncatedNormal(c.weight, { std: 0.01, a: -2, b: 2, seed });
}

/**
 * GoogLeNet (Inception v1) with torchvision's names: `conv1`, `maxpool1`, `conv2`, `conv3`,
 * `maxpool2`, `inception3a` … `inception5b`, `aux1`, `aux2`, `avgpool`, `dropout`, `fc`.
 */
export class GoogLeNet extends Module {
  readonly conv1: BasicConv2d;
  readonly maxpool1 = new MaxPool2d(3, { stride: 2, ceilMode: true });
  readonly conv2: BasicConv2d;
  readonly conv3: BasicConv2d;
  readonly maxpool2 = new MaxPool2d(3, { stride: 2, ceilMode: true });
  readonly inception3a: Inception;
  readonly inception3b: Inception;
  readonly maxpool3 = new MaxPool2d(3, { stride: 2, ceilMode: true });
  readonly inception4a: Inception;
  readonly inception4b: Inception;
  readonly inception4c: Inception;
  readonly inception4d: Inception;
  readonly inception4e: Inception;
  readonly maxpool4 = new MaxPool2d(2, { stride: 2, ceilMode: true });
  readonly inception5a: Inception;
  readonly inception5b: Inception;
  readonly aux1: InceptionAux | null;
  readonly aux2: InceptionAux | null;
  readonly avgpool = new AdaptiveAvgPool2d(1);
  readonly dropout: Dropout;
  readonly fc: Linear;
  readonly arch = 'googlenet';
  readonly input: ImageInput;
  readonly numClasses: number;
  readonly transformInput: boolean;

  constructor(options: GoogLeNetOptions = {}) {
    super();
    this.numClasses = checkPositive(this.arch, 'numClasses', options.numClasses ?? 1000);
    const inC = checkPositive(this.arch, 'inChannels', options.inChannels ?? 3);
    const seed = generator(options.seed);
    const nc = this.numClasses;
    this.conv1 = new BasicConv2d(inC, 64, 7, { stride: 2, padding: 3, seed });
    this.conv2 = new BasicConv2d(64, 64, 1, { seed });
    this.conv3 = new BasicConv2d(64, 192, 3, { padding: 1, seed });
    this.inception3a = new Inception(192, 64, 96, 128, 16, 32, 32, { seed });
    this.inception3b = new Inception(256, 128, 128, 192, 32, 96, 64, { seed });
    this.inception4a = new Inception(480, 192, 96, 208, 16, 48, 64, { seed });
    this.inception4b = new Inception(512, 160, 112, 224, 24, 64, 64, { seed });
    this.inception4c = new Inception(512, 128, 128, 256, 24, 64, 64, { seed });
    this.inception4d = new Inception(512, 112, 144, 288, 32, 64, 64, { seed });
    this.inception4e = new Inception(528, 256, 160, 320, 32, 128, 128, { seed });
    this.inception5a = new Inception(832, 256, 160, 320, 32, 128, 128, { seed });
    this.inception5b = new Inception(832, 384, 192, 384, 48, 128, 128, { seed });
    const aux = options.auxLogits ?? true;
    this.aux1 = aux ? new InceptionAux(512, nc, { dropout: options.dropoutAux, seed }) : null;
    this.aux2 = aux ? new InceptionAux(528, nc, { dropout: options.dropoutAux, seed }) : null;
    this.dropout = new Dropout(options.dropout ?? 0.2, { seed });
    this.fc = new Linear(1024, nc, { seed });
    this.transformInput = options.transformInput ?? false;
    if (this.transformInput && inC !== 3)
      throw new RangeError(`googlenet: transformInput needs 3 input channels, got inChannels ${inC}`);
    initGoogLeNet(this, seed);
    this.input = { channels: inC, minSize: [15, 15] }; // torchvision's min_size
  }

  /** Main logits, and in training (with `auxLogits`) the two auxiliary ones, as torchvision's forward. */
  forwardWithAux(x: Tensor): { logits: Tensor; aux1: Tensor | null; aux2: Tensor | null } {
    checkImageInput(this.arch, this.input, x);
    if (this.transformInput) {
      // torchvision: x_c · (std_c / 0.5) + (mean_c − 0.5) / 0.5 with ImageNet's mean and std.
      const scale = tensor([0.229 / 0.5, 0.224 / 0.5, 0.225 / 0.5]).reshape([1, 3, 1, 1]);
      const shift = tensor([(0.485 - 0.5) / 0.5, (0.456 - 0.5) / 0.5, (0.406 - 0.5) / 0.5]).reshape([
        1, 3, 1, 1,
      ]);
      x = x.mul(scale).add(shift);
    }
    let h = this.maxpool1.forward(this.conv1.forward(x));
    h = this.maxpool2.forward(this.conv3.forward(this.conv2.forward(h)));
    h = this.maxpool3.forward(this.inception3b.forward(this.inception3a.forward(h)));
    h = this.inception4a.forward(h);
    const aux1 = this.training && this.aux1 ? this.aux1.forward(h) : null;
    h = this.inception4d.forward(this.inception4c.forward(this.inception4b.forward(h)));
    const aux2 = this.training && this.aux2 ? this.aux2.forward(h) : null;
    h = this.maxpool4.forward(this.inception4e.forward(h));
    h = this.inception5b.forward(this.inception5a.forward(h));
    const logits = this.fc.forward(this.dropout.forward(this.avgpool.forward(h).flatten(1)));
    return { logits, aux1, aux2 };
  }

  forward(x: Tensor): Tensor {
    return this.forwardWithAux(x).logits;
  }
}

/**
 * GoogLeNet, torchvision's `googlenet`: 13,004,888 parameters with the auxiliary classifiers
 * (the default, as torchvision), 6,624,904 without; input [N, 3, H, W], H, W ≥ 15.
 *
 * @example
 * const net = googlenet({ auxLogits: false });
 * const logits = net.forward(images);            // [N, 3, 224, 224] → [N, 1000]
 */
export function googlenet(options: GoogLeNetOptions = {}): GoogLeNet {
  return new GoogLeNet(options);
}

/**
 * GoogLeNet for 28×28 single-channel images: a 3×3 BasicConv2d stem (32 channels), `inception3a`
 * (→ 64), `inception3b` (→ 120), 3×3 stride-2 max-pool (28 → 14), `inception4a` (→ 224), 2×2 max-pool
 * (14 → 7), `inception5a` (→ 320), global average pool, dropout, `fc`. Names follow torchvision's
 * GoogLeNet. Input [N, 1, H, W], H, W ≥ 4.
 */
export class GoogLeNetSmall extends Module {
  readonly conv1: BasicConv2d;
  readonly inception3a: Inception;
  readonly inception3b: Inception;
  readonly maxpool3 = new MaxPool2d(3, { stride: 2, ceilMode: true });
  readonly inception4a: Inception;
  readonly maxpool4 = new MaxPool2d(2, { stride: 2, ceilMode: true });
  readonly inception5a: Inception;
  readonly avgpool = new AdaptiveAvgPool2d(1);
  readonly dropout: Dropout;
  readonly fc: Linear;
  readonly arch = 'googlenet_small';
  readonly input: ImageInput;
  readonly numClasses: number;

  constructor(options: Omit<GoogLeNetOptions, 'auxLogits' | 'transformInput' | 'dropoutAux'> = {}) {
    super();
    this.numClasses = checkPositive(this.arch, 'numClasses', options.numClasses ?? 10);
    const inC = checkPositive(this.arch, 'inChannels', options.inChannels ?? 1);
    const seed = generator(options.seed);
    this.conv1 = new BasicConv2d(inC, 32, 3, { padding: 1, seed });
    this.inception3a = new Inception(32, 16, 24, 32, 4, 8, 8, { seed });
    this.inception3b = new Inception(64, 32, 32, 48, 8, 24, 16, { seed });
    this.inception4a = new Inception(120, 64, 48, 96, 8, 32, 32, { seed });
    this.inception5a = new Inception(224, 96, 64, 128, 16, 48, 48, { seed });
    this.dropout = new Dropout(options.dropout ?? 0.2, { seed });
    this.fc = new Linear(320, this.numClasses, { seed });
    // PyTorch's default layer initialisation here, not torchvision's N(0, 0.01²): no weights of
    // torchvision's exist for this shape, so nothing is gained by copying its scheme.
    this.input = { channels: inC, minSize: [4, 4] };
  }

  forward(x: Tensor): Tensor {
    checkImageInput(this.arch, this.input, x);
    let h = this.inception3b.forward(this.inception3a.forward(this.conv1.forward(x)));
    h = this.maxpool4.forward(this.inception4a.forward(this.maxpool3.forward(h)));
    h = this.inception5a.forward(h);
    return this.fc.forward(this.dropout.forward(this.avgpool.forward(h).flatten(1)));
  }
}

/**
 * GoogLeNet for 28×28 digits ({@link GoogLeNetSmall}).
 *
 * @example
 * const net = googlenetSmall();                  // [N, 1, 28, 28] → [N, 10]
 */
export function googlenetSmall(
  options: ConstructorParameters<typeof GoogLeNetSmall>[0] = {},
): GoogLeNetSmall {
  return new GoogLeNetSmall(options);
}
