import { Module, type Tensor } from '@myelin/core';
import {
  AdaptiveAvgPool2d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  init,
  type Layer,
  Linear,
  MaxPool2d,
  ReLU,
  Sequential,
} from '@myelin/nn';
import { type BuilderOptions, checkImageInput, checkPositive, generator, type ImageInput } from './input.js';

/** A VGG feature extractor: output channels of each 3×3 convolution, 'M' for a 2×2 max-pool. */
export type VGGLayers = readonly (number | 'M')[];

/** torchvision's configurations A, B, D, E (VGG-11, -13, -16, -19). */
export const VGG_LAYERS = {
  vgg11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  vgg13: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  vgg16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  vgg19: [
    64,
    64,
    'M',
    128,
    128,
    'M',
    256,
    256,
    256,
    256,
    'M',
    512,
    512,
    512,
    512,
    'M',
    512,
    512,
    512,
    512,
    'M',
  ],
  /** The 28×28 variant: three blocks (28 → 14 → 7 → 3). */
  small: [32, 32, 'M', 64, 64, 'M', 128, 128, 'M'],
} as const satisfies Record<string, VGGLayers>;

export interface VGGOptions extends BuilderOptions {
  /** Convolution channels and pools (default: the builder's configuration). */
  layers?: VGGLayers;
  /** A BatchNorm2d after each convolution (the `_bn` models). */
  batchNorm?: boolean;
  /** Side of the adaptive average pool before the classifier (default 7; 3 for the small variant). */
  avgPool?: number;
  /** Width of the classifier's two hidden layers (default 4096; 256 for the small variant). */
  hidden?: number;
  /** Drop probability in the classifier (default 0.5). */
  dropout?: number;
}

/**
 * VGG (Simonyan & Zisserman, 2014) with torchvision's layout: `features` (conv 3×3 pad 1, [BatchNorm],
 * ReLU per entry, max-pool 2 per 'M', numbered as one Sequential: `features.0`, `features.1`, …),
 * `avgpool` (adaptive), `classifier` (linear, ReLU, dropout, linear, ReLU, dropout, linear:
 * `classifier.0`, `.3`, `.6`), and torchvision's initialisation (Kaiming-normal fan-out convolutions,
 * N(0, 0.01) linear layers, zero biases).
 */
export class VGG extends Module {
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;
  readonly input: ImageInput;
  readonly numClasses: number;

  constructor(
    readonly arch: string,
    options: VGGOptions & { layers: VGGLayers; numClasses: number; inChannels: number },
  ) {
    super();
    this.numClasses = checkPositive(arch, 'numClasses', options.numClasses);
    checkPositive(arch, 'inChannels', options.inChannels);
    const seed = generator(options.seed);
    const layers: Layer[] = [];
    let c = options.inChannels;
    let pools = 0;
    for (const v of options.layers) {
      if (v === 'M') {
        layers.push(new MaxPool2d(2, { stride: 2 }));
        pools++;
        continue;
      }
      const conv = new Conv2d(c, checkPositive(arch, 'layers entry', v), 3, { padding: 1, seed });
      init.kaimingNormal(conv.weight, { mode: 'fanOut', nonlinearity: 'relu', seed });
      init.zeros(conv.bias!);
      layers.push(conv);
      if (options.batchNorm) layers.push(new BatchNorm2d(v));
      layers.push(new ReLU());
      c = v;
    }
    this.features = new Sequential(...layers);
    const side = checkPositive(arch, 'avgPool', options.avgPool ?? 7);
    const hidden = checkPositive(arch, 'hidden', options.hidden ?? 4096);
    const p = options.dropout ?? 0.5;
    this.avgpool = new AdaptiveAvgPool2d(side);
    const linear = (i: number, o: number) => {
      const l = new Linear(i, o, { seed });
      init.normal(l.weight, { std: 0.01, seed });
      init.zeros(l.bias!);
      return l;
    };
    this.classifier = new Sequential(
      linear(c * side * side, hidden),
      new ReLU(),
      new Dropout(p, { seed }),
      linear(hidden, hidden),
      new ReLU(),
      new Dropout(p, { seed }),
      linear(hidden, this.numClasses),
    );
    // Each 2×2 pool halves (floor) the side, so 2^pools is the smallest side that stays non-empty
    // (torchvision's min_size of 32 for five pools).
    this.input = { channels: options.inChannels, minSize: [2 ** pools, 2 ** pools] };
  }

  forward(x: Tensor): Tensor {
    checkImageInput(this.arch, this.input, x);
    return this.classifier.forward(this.avgpool.forward(this.features.forward(x)).flatten(1));
  }
}

function build(arch: keyof typeof VGG_LAYERS, batchNorm: boolean, options: VGGOptions): VGG {
  return new VGG(`${arch}${batchNorm ? '_bn' : ''}`, {
    ...options,
    batchNorm,
    layers: options.layers ?? VGG_LAYERS[arch],
    numClasses: options.numClasses ?? 1000,
    inChannels: options.inChannels ?? 3,
  });
}

/**
 * VGG-11 (configuration A), torchvision's `vgg11`: 132,863,336 parameters; input [N, 3, H, W], H, W ≥ 32.
 *
 * @example
 * const net = vgg11();   // net.loadStateDict(torchvisionVgg11) by name
 */
export const vgg11 = (options: VGGOptions = {}): VGG => build('vgg11', false, options);
/** VGG-11 with batch norm, torchvision's `vgg11_bn` (132,868,840 parameters). @example const net = vgg11Bn(); */
export const vgg11Bn = (options: VGGOptions = {}): VGG => build('vgg11', true, options);
/** VGG-13, torchvision's `vgg13` (133,047,848 parameters). @example const net = vgg13(); */
export const vgg13 = (options: VGGOptions = {}): VGG => build('vgg13', false, options);
/** VGG-13 with batch norm, torchvision's `vgg13_bn` (133,053,736 parameters). @example const net = vgg13Bn(); */
export const vgg13Bn = (options: VGGOptions = {}): VGG => build('vgg13', true, options);
/**
 * VGG-16 (configuration D), torchvision's `vgg16`: 138,357,544 parameters.
 *
 * @example
 * const net = vgg16();
 * summary(net, [1, 3, 224, 224]);   // Total params: 138,357,544
 */
export const vgg16 = (options: VGGOptions = {}): VGG => build('vgg16', false, options);
/** VGG-16 with batch norm, torchvision's `vgg16_bn` (138,365,992 parameters). @example const net = vgg16Bn(); */
export const vgg16Bn = (options: VGGOptions = {}): VGG => build('vgg16', true, options);
/** VGG-19 (configuration E), torchvision's `vgg19` (143,667,240 parameters). @example const net = vgg19(); */
export const vgg19 = (options: VGGOptions = {}): VGG => build('vgg19', false, options);
/** VGG-19 with batch norm, torchvision's `vgg19_bn` (143,678,248 parameters). @example const net = vgg19Bn(); */
export const vgg19Bn = (options: VGGOptions = {}): VGG => build('vgg19', true, options);

/**
 * VGG for 28×28 single-channel images: three blocks of two 3×3 convolutions (32, 64, 128 channels)
 * with batch norm by default, 2×2 pools (28 → 14 → 7 → 3), a 3×3 adaptive pool and a 256-wide
 * classifier. Same state-dict layout as torchvision's VGG. Input [N, 1, H, W], H, W ≥ 8.
 *
 * @example
 * const net = vggSmall();                        // [N, 1, 28, 28] → [N, 10]
 * const plain = vggSmall({ batchNorm: false });
 */
export function vggSmall(options: VGGOptions = {}): VGG {
  const batchNorm = options.batchNorm ?? true;
  return new VGG(batchNorm ? 'vgg_small_bn' : 'vgg_small', {
    ...options,
    batchNorm,
    layers: options.layers ?? VGG_LAYERS.small,
    avgPool: options.avgPool ?? 3,
    hidden: options.hidden ?? 256,
    numClasses: options.numClasses ?? 10,
    inChannels: options.inChannels ?? 1,
  });
}
