/**
 * Generators and discriminators (critics) for 28×28 single-channel images: the textbook MLP GAN
 * (Goodfellow et al., 2014, in the small form of the Udacity/PyTorch MNIST exercise), DCGAN
 * (Radford, Metz & Chintala, 2016) and their conditional forms (Mirza & Osindero, 2014), with
 * label embeddings on both sides. Images are in [−1, 1] (the generator ends in tanh); the
 * discriminator returns one logit (or critic score) per image, shape [N].
 */
import { cast, concat, Generator, Module, randn, type Seed, type Tensor, tensor } from '@myelin/core';
import {
  BatchNorm2d,
  Conv2d,
  ConvTranspose2d,
  Dropout,
  Embedding,
  Flatten,
  init,
  type Layer,
  LeakyReLU,
  Linear,
  ReLU,
  Sequential,
  Tanh,
  Unflatten,
} from '@myelin/nn';

/** Labels as class indices: an int32 tensor `[N]` or plain numbers. */
export type GanLabels = Tensor | readonly number[];

export interface GanModelOptions {
  /** Size of the latent code z (default 100). */
  latent?: number;
  /** Classes to condition on (a conditional GAN); 0 or absent: unconditional. */
  numClasses?: number;
  /** Seed of the initialisation (a number or a core `Generator`). */
  seed?: Seed;
}

/** What every generator here offers: its latent size, its classes, `forward(z, labels?)`. */
export interface GanGenerator extends Module {
  readonly arch: string;
  readonly latent: number;
  readonly numClasses: number;
  /** The image shape it makes, [C, H, W]. */
  readonly imageShape: readonly [number, number, number];
  forward(z: Tensor, labels?: GanLabels): Tensor;
}

/** What every discriminator (critic) here offers: `forward(images, labels?)` → one score per image [N]. */
export interface GanDiscriminator extends Module {
  readonly arch: string;
  readonly numClasses: number;
  readonly imageShape: readonly [number, number, number];
  forward(x: Tensor, labels?: GanLabels): Tensor;
}

const IMAGE: readonly [number, number, number] = [1, 28, 28];

function seedOf(seed: Seed | undefined): Generator {
  if (seed instanceof Generator) return seed;
  return new Generator(seed ?? Math.floor(Math.random() * 2 ** 31));
}

function positive(arch: string, name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1)
    throw new RangeError(`${arch}: ${name} must be a positive integer, got ${v}`);
  return v;
}

function classesOf(arch: string, v: number | undefined): number {
  const k = v ?? 0;
  if (!Number.isInteger(k) || k < 0)
    throw new RangeError(`${arch}: numClasses must be a non-negative integer, got ${k}`);
  return k;
}

/**
 * Labels as an int32 tensor `[n]`, checked: each in [0, numClasses), one per image; an
 * unconditional model refuses labels and a conditional one requires them.
 */
export function checkLabels(
  arch: string,
  numClasses: number,
  labels: GanLabels | undefined,
  n: number,
): Tensor | null {
  if (numClasses === 0) {
    if (labels !== undefined) throw new TypeError(`${arch}: an unconditional model takes no labels`);
    return null;
  }
  if (labels === undefined)
    throw new TypeError(`${arch}: a conditional model (${numClasses} classes) needs one label per image`);
  const t = Array.isArray(labels) ? tensor(labels as number[], { dtype: 'int32' }) : (labels as Tensor);
  if (t.rank !== 1 || t.shape[0] !== n) {
    if (t !== labels) t.dispose();
    throw new RangeError(`${arch}: expected ${n} labels (shape [${n}]), got shape [${t.shape.join(', ')}]`);
  }
  const values = Array.isArray(labels) ? (labels as number[]) : Array.from(t.dataSync());
  const bad = values.findIndex((v) => !Number.isInteger(v) || v < 0 || v >= numClasses);
  if (bad >= 0) {
    if (t !== labels) t.dispose();
    throw new RangeError(
      `${arch}: label ${values[bad]} (image ${bad}) is outside the classes 0…${numClasses - 1}`,
    );
  }
  return t.dtype === 'int32' ? t : cast(t, 'int32');
}

/** z must be [N, latent]. */
export function checkLatent(arch: string, latent: number, z: Tensor): void {
  if (z.rank !== 2 || z.shape[1] !== latent)
    throw new RangeError(`${arch}: expected a latent of shape [N, ${latent}], got [${z.shape.join(', ')}]`);
}

function checkImages(arch: string, x: Tensor): void {
  if (x.rank !== 4 || x.shape[1] !== IMAGE[0] || x.shape[2] !== IMAGE[1] || x.shape[3] !== IMAGE[2])
    throw new RangeError(
      `${arch}: expected images of shape [N, ${IMAGE.join(', ')}], got [${x.shape.join(', ')}]`,
    );
}

/**
 * The textbook MLP generator: z (100) → 32 → 64 → 128 → 784 with leaky ReLU (slope 0.2) between
 * the layers and tanh at the end, reshaped to [N, 1, 28, 28]. Conditional: the label's
 * embedding (10 wide) is concatenated to z. Parameters `net.0.weight`, … `net.6.bias`.
 */
export class MlpGenerator extends Module implements GanGenerator {
  readonly arch: string;
  readonly latent: number;
  readonly numClasses: number;
  readonly imageShape = IMAGE;
  labelEmbedding: Embedding | null;
  net: Sequential;

  constructor(options: GanModelOptions & { hidden?: readonly [number, number, number] } = {}) {
    super();
    this.numClasses = classesOf('mlp-generator', options.numClasses);
    this.arch = this.numClasses ? 'mlp-cgenerator' : 'mlp-generator';
    this.latent = positive(this.arch, 'latent', options.latent ?? 100);
    const [h1, h2, h3] = options.hidden ?? [32, 64, 128];
    const seed = seedOf(options.seed);
    const k = this.numClasses;
    this.labelEmbedding = k ? new Embedding(k, k, { seed }) : null;
    this.net = new Sequential(
      new Linear(this.latent + k, h1, { seed }),
      new LeakyReLU(0.2),
      new Linear(h1, h2, { seed }),
      new LeakyReLU(0.2),
      new Linear(h2, h3, { seed }),
      new LeakyReLU(0.2),
      new Linear(h3, 784, { seed }),
      new Tanh(),
      new Unflatten(1, [...IMAGE]),
    );
  }

  forward(z: Tensor, labels?: GanLabels): Tensor {
    checkLatent(this.arch, this.latent, z);
    const y = checkLabels(this.arch, this.numClasses, labels, z.shape[0]!);
    return this.net.forward(y ? concat([z, this.labelEmbedding!.forward(y)], 1) : z);
  }
}

/**
 * The textbook MLP discriminator: 784 → 128 → 64 → 32 → 1 with leaky ReLU (0.2) and dropout
 * (0.3) after each hidden layer; one logit per image. Conditional: the label's embedding
 * (10 wide) is concatenated to the flattened image.
 */
export class MlpDiscriminator extends Module implements GanDiscriminator {
  readonly arch: string;
  readonly numClasses: number;
  readonly imageShape = IMAGE;
  labelEmbedding: Embedding | null;
  net: Sequential;

  constructor(
    options: Omit<GanModelOptions, 'latent'> & {
      hidden?: readonly [number, number, number];
      dropout?: number;
    } = {},
  ) {
    super();
    this.numClasses = classesOf('mlp-discriminator', options.numClasses);
    this.arch = this.numClasses ? 'mlp-cdiscriminator' : 'mlp-discriminator';
    const [h1, h2, h3] = options.hidden ?? [128, 64, 32];
    const p = options.dropout ?? 0.3;
    const seed = seedOf(options.seed);
    const k = this.numClasses;
    this.labelEmbedding = k ? new Embedding(k, k, { seed }) : null;
    this.net = new Sequential(
      new Linear(784 + k, h1, { seed }),
      new LeakyReLU(0.2),
      new Dropout(p, { seed }),
      new Linear(h1, h2, { seed }),
      new LeakyReLU(0.2),
      new Dropout(p, { seed }),
      new Linear(h2, h3, { seed }),
      new LeakyReLU(0.2),
      new Dropout(p, { seed }),
      new Linear(h3, 1, { seed }),
    );
  }

  forward(x: Tensor, labels?: GanLabels): Tensor {
    checkImages(this.arch, x);
    const y = checkLabels(this.arch, this.numClasses, labels, x.shape[0]!);
    const flat = x.reshape([x.shape[0]!, 784]);
    return this.net.forward(y ? concat([flat, this.labelEmbedding!.forward(y)], 1) : flat).reshape([-1]);
  }
}

export interface DcganOptions extends GanModelOptions {
  /** Feature maps of the widest layer's half (PyTorch's ngf/ndf; default 32). */
  width?: number;
  /** Batch normalisation (default true; WGAN-GP critics go without, Gulrajani et al. §4). */
  batchNorm?: boolean;
}

/** DCGAN's initialisation (Radford et al. §4): conv weights N(0, 0.02), batch-norm scales N(1, 0.02), shifts 0. */
export function dcganInit(module: Module, seed: Generator): void {
  for (const [name, p] of module.namedParameters()) {
    if (name.startsWith('labelEmbedding')) continue;
    // Rank-1 weights are batch norm's scales (no layer here has a rank-1 weight otherwise).
    if (p.rank === 1 && name.endsWith('weight')) init.normal(p, { mean: 1, std: 0.02, seed });
    else if (name.endsWith('bias')) init.zeros(p);
    else init.normal(p, { std: 0.02, seed });
  }
}

/**
 * The DCGAN generator for 28×28 (the five guidelines of Radford et al.: no pooling, fractionally
 * strided convolutions, batch norm in the generator except at its output, no fully connected
 * hidden layers, ReLU inside and tanh at the output):
 * z [N, latent(+10)] as [N, ·, 1, 1] → ConvTranspose 7×7 → [4w, 7, 7] → BN, ReLU →
 * ConvTranspose 4×4 stride 2 → [2w, 14, 14] → BN, ReLU → ConvTranspose 4×4 stride 2 → [1, 28, 28] → tanh.
 * Convolutions without bias where batch norm follows (PyTorch's DCGAN example). Conditional: a
 * 10-wide label embedding is concatenated to z.
 */
export class DcganGenerator extends Module implements GanGenerator {
  readonly arch: string;
  readonly latent: number;
  readonly numClasses: number;
  readonly imageShape = IMAGE;
  labelEmbedding: Embedding | null;
  net: Sequential;

  constructor(options: DcganOptions = {}) {
    super();
    this.numClasses = classesOf('dcgan-generator', options.numClasses);
    this.arch = this.numClasses ? 'dcgan-cgenerator' : 'dcgan-generator';
    this.latent = positive(this.arch, 'latent', options.latent ?? 100);
    const w = positive(this.arch, 'width', options.width ?? 32);
    const bn = options.batchNorm ?? true;
    const seed = seedOf(options.seed);
    const k = this.numClasses;
    this.labelEmbedding = k ? new Embedding(k, k, { seed }) : null;
    const layers: Layer[] = [new ConvTranspose2d(this.latent + k, 4 * w, 7, { bias: !bn, seed })];
    if (bn) layers.push(new BatchNorm2d(4 * w));
    layers.push(new ReLU(), new ConvTranspose2d(4 * w, 2 * w, 4, { stride: 2, padding: 1, bias: !bn, seed }));
    if (bn) layers.push(new BatchNorm2d(2 * w));
    layers.push(
      new ReLU(),
      new ConvTranspose2d(2 * w, 1, 4, { stride: 2, padding: 1, bias: false, seed }),
      new Tanh(),
    );
    this.net = new Sequential(...layers);
    dcganInit(this, seed);
  }

  forward(z: Tensor, labels?: GanLabels): Tensor {
    checkLatent(this.arch, this.latent, z);
    const n = z.shape[0]!;
    const y = checkLabels(this.arch, this.numClasses, labels, n);
    const code = y ? concat([z, this.labelEmbedding!.forward(y)], 1) : z;
    return this.net.forward(code.reshape([n, code.shape[1]!, 1, 1]));
  }
}

/**
 * The DCGAN discriminator for 28×28: Conv 4×4 stride 2 → [w, 14, 14], leaky ReLU 0.2 (no batch
 * norm at the input) → Conv 4×4 stride 2 → [2w, 7, 7], BN, leaky ReLU → Conv 7×7 → one logit per
 * image. Without `batchNorm` it is the WGAN-GP critic. Conditional: the label's embedding (784
 * wide) is a second input channel.
 */
export class DcganDiscriminator extends Module implements GanDiscriminator {
  readonly arch: string;
  readonly numClasses: number;
  readonly imageShape = IMAGE;
  labelEmbedding: Embedding | null;
  net: Sequential;

  constructor(options: Omit<DcganOptions, 'latent'> = {}) {
    super();
    this.numClasses = classesOf('dcgan-discriminator', options.numClasses);
    this.arch = this.numClasses ? 'dcgan-cdiscriminator' : 'dcgan-discriminator';
    const w = positive(this.arch, 'width', options.width ?? 32);
    const bn = options.batchNorm ?? true;
    const seed = seedOf(options.seed);
    const k = this.numClasses;
    this.labelEmbedding = k ? new Embedding(k, 784, { seed }) : null;
    const layers: Layer[] = [
      new Conv2d(k ? 2 : 1, w, 4, { stride: 2, padding: 1, bias: false, seed }),
      new LeakyReLU(0.2),
      new Conv2d(w, 2 * w, 4, { stride: 2, padding: 1, bias: false, seed }),
    ];
    if (bn) layers.push(new BatchNorm2d(2 * w));
    layers.push(new LeakyReLU(0.2), new Conv2d(2 * w, 1, 7, { bias: false, seed }), new Flatten());
    this.net = new Sequential(...layers);
    dcganInit(this, seed);
  }

  forward(x: Tensor, labels?: GanLabels): Tensor {
    checkImages(this.arch, x);
    const n = x.shape[0]!;
    const y = checkLabels(this.arch, this.numClasses, labels, n);
    const input = y ? concat([x, this.labelEmbedding!.forward(y).reshape([n, 1, 28, 28])], 1) : x;
    return this.net.forward(input).reshape([-1]);
  }
}

/**
 * Check that a generator and a discriminator meet: the images G makes are the images D reads,
 * and both condition on the same classes.
 *
 * @throws RangeError naming both models and what differs
 */
export function checkGanPair(g: GanGenerator, d: GanDiscriminator): void {
  const gs = g.imageShape.join('×');
  const ds = d.imageShape.join('×');
  if (gs !== ds)
    throw new RangeError(
      `gan: the generator ${g.arch} makes ${gs} images but the discriminator ${d.arch} reads ${ds}`,
    );
  if (g.numClasses !== d.numClasses)
    throw new RangeError(
      `gan: the generator ${g.arch} conditions on ${g.numClasses} classes but the discriminator ${d.arch} on ${d.numClasses}`,
    );
}

/** Standard-normal latents [n, latent] from `gen`. */
export function sampleLatent(n: number, latent: number, gen: Generator): Tensor {
  return randn([n, latent], { seed: gen });
}
