/**
 * Autoencoders for small images: dense, convolutional and tied-weights models, the noise of a
 * denoising autoencoder, and the sparse (L1, KL towards ρ) and contractive penalties on the code.
 * Every model maps `[N, C, H, W]` images in [0, 1] to a code `[N, codeSize]` and back to images in
 * (0, 1) (a sigmoid output), with PyTorch-style dotted parameter names (`encoder.1.weight`).
 */
import {
  bernoulliMask,
  clip,
  Generator,
  log,
  Module,
  Parameter,
  rand,
  randn,
  type Seed,
  scope,
  sigmoid,
  type Tensor,
} from '@myelin/core';
import type { Transform } from '@myelin/data';
import {
  Conv2d,
  ConvTranspose2d,
  Flatten,
  type Layer,
  Linear,
  mseLoss,
  ReLU,
  Sequential,
  Sigmoid,
  Unflatten,
} from '@myelin/nn';
import { checkImageInput, checkPositive, generator, type ImageInput } from './input.js';

/** What every autoencoder here offers. */
export interface Autoencoder extends Module {
  /** The builder's name, used in error messages. */
  readonly arch: string;
  readonly input: ImageInput;
  readonly codeSize: number;
  /** Images `[N, C, H, W]` → codes `[N, codeSize]`. */
  encode(x: Tensor): Tensor;
  /** Codes `[N, codeSize]` → images `[N, C, H, W]` in (0, 1). */
  decode(code: Tensor): Tensor;
  /** `decode(encode(x))`. */
  forward(x: Tensor): Tensor;
  /**
   * The weight `W [codeSize, C·H·W]` when the code is `sigmoid(W·x + b)` of the flattened image
   * (what the closed-form contractive penalty needs), else null.
   */
  sigmoidEncoderWeight(): Tensor | null;
}

/** The code's nonlinearity. */
export type CodeActivation = 'linear' | 'relu' | 'sigmoid';

interface ImageShapeOptions {
  /** Image channels (default 1). */
  channels?: number;
  /** Image height and width (default [28, 28]). */
  size?: readonly [number, number];
  /** Seed of the initialisation (a number or a core `Generator`). */
  seed?: Seed;
}

function imageInput(arch: string, o: ImageShapeOptions): ImageInput {
  const channels = checkPositive(arch, 'channels', o.channels ?? 1);
  const [h, w] = o.size ?? [28, 28];
  checkPositive(arch, 'size[0]', h);
  checkPositive(arch, 'size[1]', w);
  return { channels, size: [h, w] };
}

const pixels = (input: ImageInput) => input.channels * input.size![0] * input.size![1];

function activation(a: CodeActivation): Layer[] {
  if (a === 'relu') return [new ReLU()];
  if (a === 'sigmoid') return [new Sigmoid()];
  return [];
}

function checkCode(arch: string, codeSize: number, z: Tensor): void {
  if (z.rank !== 2 || z.shape[1] !== codeSize)
    throw new RangeError(`${arch}: expected codes [N, ${codeSize}], got [${z.shape.join(', ')}]`);
}

export interface DenseAutoencoderOptions extends ImageShapeOptions {
  /** Widths of the hidden layers between image and code (default [256]; mirrored by the decoder). */
  hidden?: readonly number[];
  /** Numbers in the code (default 32). */
  codeSize?: number;
  /** The code's nonlinearity (default 'linear'; 'sigmoid' for the KL sparsity penalty). */
  codeActivation?: CodeActivation;
}

/**
 * A multilayer-perceptron autoencoder: flatten → [Linear → ReLU]… → Linear → code activation,
 * and the mirror image back to a sigmoid image. `encoder` and `decoder` are `Sequential`s.
 *
 * @example
 * const ae = new DenseAutoencoder({ hidden: [256], codeSize: 32, seed: 1 });
 * const loss = mseLoss(ae.forward(x), x);           // x [N, 1, 28, 28]
 */
export class DenseAutoencoder extends Module implements Autoencoder {
  readonly arch = 'dense-autoencoder';
  readonly input: ImageInput;
  readonly codeSize: number;
  readonly codeActivation: CodeActivation;
  encoder: Sequential;
  decoder: Sequential;

  constructor(options: DenseAutoencoderOptions = {}) {
    super();
    this.input = imageInput(this.arch, options);
    this.codeSize = checkPositive(this.arch, 'codeSize', options.codeSize ?? 32);
    this.codeActivation = options.codeActivation ?? 'linear';
    const hidden = (options.hidden ?? [256]).map((h, i) => checkPositive(this.arch, `hidden[${i}]`, h));
    const seed = generator(options.seed);
    const widths = [pixels(this.input), ...hidden];
    const enc: Layer[] = [new Flatten()];
    for (let i = 1; i < widths.length; i++)
      enc.push(new Linear(widths[i - 1]!, widths[i]!, { seed }), new ReLU());
    enc.push(new Linear(widths.at(-1)!, this.codeSize, { seed }), ...activation(this.codeActivation));
    const dec: Layer[] = [];
    const back = [this.codeSize, ...hidden.slice().reverse()];
    for (let i = 1; i < back.length; i++) dec.push(new Linear(back[i - 1]!, back[i]!, { seed }), new ReLU());
    dec.push(
      new Linear(back.at(-1)!, widths[0]!, { seed }),
      new Sigmoid(),
      new Unflatten(1, [this.input.channels, ...this.input.size!]),
    );
    this.encoder = new Sequential(...enc);
    this.decoder = new Sequential(...dec);
  }

  encode(x: Tensor): Tensor {
    checkImageInput(this.arch, this.input, x);
    return this.encoder.forward(x);
  }

  decode(code: Tensor): Tensor {
    checkCode(this.arch, this.codeSize, code);
    return this.decoder.forward(code);
  }

  forward(x: Tensor): Tensor {
    return this.decode(this.encode(x));
  }

  sigmoidEncoderWeight(): Tensor | null {
    // One Linear then a sigmoid: encoder = [Flatten, Linear, Sigmoid].
    const layers = this.encoder.namedChildren();
    return layers.length === 3 && this.codeActivation === 'sigmoid' ? (layers[1]![1] as Linear).weight : null;
  }
}

export interface ConvAutoencoderOptions extends ImageShapeOptions {
  /** Numbers in the code (default 49: a 7×7 code for 28×28 digits, 16× fewer than pixels). */
  codeSize?: number;
  /** Channels of the two stride-2 convolutions (default [32, 64]). */
  channels2?: readonly [number, number];
}

/**
 * A convolutional autoencoder: two 3×3 stride-2 convolutions with ReLU (H×W → H/4×W/4), a linear
 * map to the code, and back through a linear layer and two 4×4 stride-2 transposed convolutions
 * to a sigmoid image. H and W must be multiples of 4.
 *
 * @example
 * const ae = new ConvAutoencoder({ codeSize: 49, seed: 1 });   // [N, 1, 28, 28] → [N, 49] → [N, 1, 28, 28]
 */
export class ConvAutoencoder extends Module implements Autoencoder {
  readonly arch = 'conv-autoencoder';
  readonly input: ImageInput;
  readonly codeSize: number;
  encoder: Sequential;
  decoder: Sequential;

  constructor(options: ConvAutoencoderOptions = {}) {
    super();
    this.input = imageInput(this.arch, options);
    const [h, w] = this.input.size!;
    if (h % 4 !== 0 || w % 4 !== 0)
      throw new RangeError(`${this.arch}: image height and width must be multiples of 4, got ${h}×${w}`);
    this.codeSize = checkPositive(this.arch, 'codeSize', options.codeSize ?? 49);
    const [c1, c2] = options.channels2 ?? [32, 64];
    checkPositive(this.arch, 'channels2[0]', c1);
    checkPositive(this.arch, 'channels2[1]', c2);
    const seed = generator(options.seed);
    const c = this.input.channels;
    const flat = c2 * (h / 4) * (w / 4);
    this.encoder = new Sequential(
      new Conv2d(c, c1, 3, { stride: 2, padding: 1, seed }),
      new ReLU(),
      new Conv2d(c1, c2, 3, { stride: 2, padding: 1, seed }),
      new ReLU(),
      new Flatten(),
      new Linear(flat, this.codeSize, { seed }),
    );
    this.decoder = new Sequential(
      new Linear(this.codeSize, flat, { seed }),
      new ReLU(),
      new Unflatten(1, [c2, h / 4, w / 4]),
      new ConvTranspose2d(c2, c1, 4, { stride: 2, padding: 1, seed }),
      new ReLU(),
      new ConvTranspose2d(c1, c, 4, { stride: 2, padding: 1, seed }),
      new Sigmoid(),
    );
  }

  encode(x: Tensor): Tensor {
    checkImageInput(this.arch, this.input, x);
    return this.encoder.forward(x);
  }

  decode(code: Tensor): Tensor {
    checkCode(this.arch, this.codeSize, code);
    return this.decoder.forward(code);
  }

  forward(x: Tensor): Tensor {
    return this.decode(this.encode(x));
  }

  sigmoidEncoderWeight(): Tensor | null {
    return null;
  }
}

/**
 * The decoder of a tied autoencoder: `y = h·W + b` with the encoder's `W [code, in]` itself (not a
 * copy), so one Parameter is reachable by two paths (`encoder.weight`, `decoder.weight`).
 * As in PyTorch (a Parameter assigned to two modules), `parameters()` and `numParameters()` count
 * it once, `stateDict()` lists it under both names (the same tensor), and its gradient sums both
 * uses.
 */
export class TiedLinear extends Module {
  weight: Parameter;
  bias: Parameter;

  constructor(tied: Linear, options: { seed?: Seed } = {}) {
    super();
    this.weight = tied.weight;
    // PyTorch's default for a Linear(code → in) bias: U(±1/√code).
    const bound = 1 / Math.sqrt(tied.outFeatures);
    const init = scope(() =>
      rand([tied.inFeatures], { seed: options.seed })
        .mul(2 * bound)
        .sub(bound),
    );
    this.bias = new Parameter(init);
    init.dispose();
  }

  forward(h: Tensor): Tensor {
    return h.matmul(this.weight).add(this.bias);
  }
}

export interface TiedAutoencoderOptions extends ImageShapeOptions {
  /** Numbers in the code (default 64). */
  codeSize?: number;
}

/**
 * A one-layer autoencoder with tied weights: code `h = sigmoid(W·x + b)`, reconstruction
 * `sigmoid(Wᵀ·h + c)` with the same `W` (Vincent et al., 2010, §2.3). Parameters: `W`, `b`, `c`.
 *
 * @example
 * const ae = new TiedAutoencoder({ codeSize: 64 });
 * ae.numParameters();   // 784·64 + 64 + 784 = 51,024: W counted once
 */
export class TiedAutoencoder extends Module implements Autoencoder {
  readonly arch = 'tied-autoencoder';
  readonly input: ImageInput;
  readonly codeSize: number;
  encoder: Linear;
  decoder: TiedLinear;

  constructor(options: TiedAutoencoderOptions = {}) {
    super();
    this.input = imageInput(this.arch, options);
    this.codeSize = checkPositive(this.arch, 'codeSize', options.codeSize ?? 64);
    const seed = generator(options.seed);
    this.encoder = new Linear(pixels(this.input), this.codeSize, { seed });
    this.decoder = new TiedLinear(this.encoder, { seed });
  }

  encode(x: Tensor): Tensor {
    checkImageInput(this.arch, this.input, x);
    return sigmoid(this.encoder.forward(x.flatten(1)));
  }

  decode(code: Tensor): Tensor {
    checkCode(this.arch, this.codeSize, code);
    return sigmoid(this.decoder.forward(code)).reshape([
      code.shape[0]!,
      this.input.channels,
      ...this.input.size!,
    ]);
  }

  forward(x: Tensor): Tensor {
    return this.decode(this.encode(x));
  }

  sigmoidEncoderWeight(): Tensor {
    return this.encoder.weight;
  }
}

// ---------------------------------------------------------------------------------------------
// Noise for denoising autoencoders (Vincent et al., 2008)

/**
 * Additive Gaussian noise `x + σ·ε`, ε ~ N(0, 1), clipped to [0, 1] (pixel range) unless
 * `clip: false`. Draws from its own seeded generator: a fresh draw per call, the same sequence
 * per seed. Never disposes its input.
 *
 * @example
 * const noisy = gaussianNoise({ std: 0.5, seed: 1 })(x);
 */
export function gaussianNoise(options: { std: number; seed?: Seed; clip?: boolean }): Transform {
  const std = options.std;
  if (!(std >= 0 && Number.isFinite(std)))
    throw new RangeError(`gaussianNoise: std must be a finite number ≥ 0, got ${std}`);
  const g = options.seed instanceof Generator ? options.seed : new Generator(options.seed ?? 0);
  const clipped = options.clip ?? true;
  return (x) =>
    scope(() => {
      const y = x.add(randn(x.shape, { seed: g, std }));
      return clipped ? clip(y, 0, 1) : y;
    });
}

/**
 * Masking noise: each value is set to 0 with probability `p` (independently), the corruption of
 * Vincent et al. (2008). Seeded as `gaussianNoise`.
 */
export function maskingNoise(options: { p: number; seed?: Seed }): Transform {
  const p = options.p;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`maskingNoise: p must be in [0, 1], got ${p}`);
  const g = options.seed instanceof Generator ? options.seed : new Generator(options.seed ?? 0);
  return (x) => scope(() => x.mul(bernoulliMask(x.shape, 1 - p, g)));
}

// ---------------------------------------------------------------------------------------------
// Penalties on the code

function checkCodes(op: string, code: Tensor): void {
  if (code.rank !== 2)
    throw new RangeError(`${op}: expected codes [N, codeSize], got [${code.shape.join(', ')}]`);
}

/** Sparsity by L1: the batch mean of Σⱼ |hⱼ| (add λ times it to the loss). */
export function l1CodePenalty(code: Tensor): Tensor {
  checkCodes('l1CodePenalty', code);
  return code.abs().sum().div(code.shape[0]!);
}

/**
 * Sparsity by KL divergence (Ng's sparse autoencoder notes): with ρ̂ⱼ the batch mean of code unit
 * j (a sigmoid, in (0, 1)), Σⱼ KL(ρ ‖ ρ̂ⱼ) = Σⱼ ρ·log(ρ/ρ̂ⱼ) + (1 − ρ)·log((1 − ρ)/(1 − ρ̂ⱼ)).
 * ρ̂ is clamped to [1e-6, 1 − 1e-6] so a dead or saturated unit gives a large finite penalty.
 */
export function klSparsityPenalty(code: Tensor, rho: number): Tensor {
  checkCodes('klSparsityPenalty', code);
  if (!(rho > 0 && rho < 1)) throw new RangeError(`klSparsityPenalty: ρ must be in (0, 1), got ${rho}`);
  return scope(() => {
    const rhoHat = clip(code.mean(0), 1e-6, 1 - 1e-6);
    const a = log(rhoHat).neg().add(Math.log(rho)).mul(rho);
    const b = log(rhoHat.neg().add(1))
      .neg()
      .add(Math.log(1 - rho))
      .mul(1 - rho);
    return a.add(b).sum();
  });
}

/**
 * The contractive penalty of Rifai et al. (2011), eq. 2: the squared Frobenius norm of the
 * encoder's Jacobian ‖∂h/∂x‖²_F, batch mean. For a sigmoid layer h = sigmoid(W·x + b) it has the
 * closed form Σⱼ (hⱼ(1 − hⱼ))² Σᵢ Wⱼᵢ² (eq. 4), with `code` = h `[N, J]` and `weight` = W `[J, I]`.
 */
export function contractivePenalty(code: Tensor, weight: Tensor): Tensor {
  checkCodes('contractivePenalty', code);
  if (weight.rank !== 2 || weight.shape[0] !== code.shape[1])
    throw new RangeError(
      `contractivePenalty: weight must be [${code.shape[1]}, inputs] for codes [${code.shape.join(', ')}], got [${weight.shape.join(', ')}]`,
    );
  return scope(() => {
    const slope = code.mul(code.neg().add(1)).square(); // [N, J]
    const rowNorms = weight.square().sum(1); // [J]
    return slope.mul(rowNorms).sum().div(code.shape[0]!);
  });
}

/** Penalty weights of `autoencoderLoss` (each 0 or absent: off). */
export interface AutoencoderPenalties {
  /** λ of the L1 code penalty. */
  l1?: number;
  /** β and target ρ of the KL sparsity penalty (needs a code in (0, 1): a sigmoid code). */
  kl?: { beta: number; rho: number };
  /** λ of the contractive penalty (needs a sigmoid dense encoder: see `sigmoidEncoderWeight`). */
  contractive?: number;
}

/**
 * The training objective: mean squared reconstruction error of `target` from `model(x)` (x may
 * be a corrupted `target`: a denoising autoencoder) plus the chosen penalties on the code.
 */
export function autoencoderLoss(
  model: Autoencoder,
  x: Tensor,
  target: Tensor,
  penalties: AutoencoderPenalties = {},
): { loss: Tensor; reconstruction: Tensor; code: Tensor } {
  const code = model.encode(x);
  const reconstruction = model.decode(code);
  return { loss: penalised(model, code, reconstruction, target, penalties), reconstruction, code };
}

/**
 * `autoencoderLoss` split for `fit`'s `forward` and `loss` options: `forward` encodes and decodes,
 * keeping the code; `loss` adds the penalties on that code to the reconstruction error. `fit` and
 * `evaluate` call them one after the other inside one memory scope, so the kept code is live.
 *
 * @example
 * const { forward, loss } = autoencoderObjective({ l1: 1e-3 });
 * fit(model, { optimizer, forward, loss, data: batches });   // batches: { x: input, y: clean image }
 */
export function autoencoderObjective(penalties: AutoencoderPenalties = {}): {
  forward: (model: Autoencoder, x: Tensor) => Tensor;
  loss: (reconstruction: Tensor, target: Tensor) => Tensor;
} {
  let last: { model: Autoencoder; code: Tensor } | null = null;
  return {
    forward: (model, x) => {
      const code = model.encode(x);
      last = { model, code };
      return model.decode(code);
    },
    loss: (reconstruction, target) => {
      const seen = last;
      last = null;
      if (!seen || seen.code.isDisposed)
        throw new Error(
          'autoencoderObjective: loss called without a forward pass before it in the same scope',
        );
      return penalised(seen.model, seen.code, reconstruction, target, penalties);
    },
  };
}

/** The reconstruction MSE plus the chosen penalties on `code`. */
function penalised(
  model: Autoencoder,
  code: Tensor,
  reconstruction: Tensor,
  target: Tensor,
  penalties: AutoencoderPenalties,
): Tensor {
  let loss = mseLoss(reconstruction, target);
  if (penalties.l1) loss = loss.add(l1CodePenalty(code).mul(penalties.l1));
  if (penalties.kl?.beta) loss = loss.add(klSparsityPenalty(code, penalties.kl.rho).mul(penalties.kl.beta));
  if (penalties.contractive)
    loss = loss.add(contractivePenalty(code, contractiveWeight(model)).mul(penalties.contractive));
  return loss;
}

function contractiveWeight(model: Autoencoder): Tensor {
  const w = model.sigmoidEncoderWeight();
  if (!w)
    throw new TypeError(
      `autoencoderLoss: the contractive penalty needs a sigmoid dense encoder (TiedAutoencoder, or DenseAutoencoder with hidden [] and codeActivation 'sigmoid'), got ${model.arch}`,
    );
  return w;
}
