/**
 * Variational autoencoders (Kingma & Welling, 2014) and conditional VAEs (Sohn et al., 2015) for
 * small images: an encoder to the mean μ and log-variance log σ² of a diagonal Gaussian code, the
 * reparameterisation z = μ + σ·ε with ε from the model's own seeded generator, a Bernoulli
 * decoder (logits per pixel), and the negative ELBO: binary cross-entropy of the image plus the
 * KL divergence to N(0, I) in closed form.
 */
import {
  cast,
  concat,
  Generator,
  Module,
  noGrad,
  oneHot,
  randn,
  type Seed,
  scope,
  sigmoid,
  type Tensor,
  tensor,
} from '@myelin/core';
import {
  binaryCrossEntropyWithLogits,
  Conv2d,
  ConvTranspose2d,
  Flatten,
  Linear,
  ReLU,
  Sequential,
  Unflatten,
} from '@myelin/nn';
import { checkImageInput, checkPositive, generator, type ImageInput } from './input.js';

export interface VaeOptions {
  /** Dimensions of the code z (default 20, as Kingma & Welling's MNIST runs). */
  latent?: number;
  /** Width of the hidden layer on each side (default 400). */
  hidden?: number;
  /** 'dense' (default: image → hidden → μ, log σ²) or 'conv' (two stride-2 convolutions first). */
  encoder?: 'dense' | 'conv';
  /** Classes to condition on (a conditional VAE); 0 or absent: unconditional. */
  numClasses?: number;
  /** Image channels (default 1). */
  channels?: number;
  /** Image height and width (default [28, 28]; multiples of 4 for the conv encoder). */
  size?: readonly [number, number];
  /** Seed of the initialisation and of the model's noise ε (a number or a core `Generator`). */
  seed?: Seed;
}

/** What a VAE's forward pass gives. */
export interface VaeOutput {
  /** Pixel logits of the reconstruction `[N, C, H, W]` (sigmoid of them: the image). */
  logits: Tensor;
  mu: Tensor;
  logvar: Tensor;
  /** The code that was decoded: z = μ + σ·ε. */
  z: Tensor;
}

/** Labels as class indices (`[N]` int32, or numbers) or already one-hot `[N, K]` float32. */
export type VaeLabels = Tensor | readonly number[];

/**
 * A VAE, conditional when built with `numClasses` (then every method takes the labels, as
 * indices or one-hot rows, and the code is concatenated with their one-hot form on both sides).
 * `forward` samples z = μ + σ·ε in training and eval mode alike (as PyTorch's VAE example, so a
 * test loss is a one-sample ELBO estimate); `reconstruct` decodes μ (a deterministic picture);
 * `sample(n, labels?)` decodes z ~ N(0, I).
 *
 * @example
 * const vae = new VAE({ latent: 20, seed: 1 });
 * const out = vae.forward(x);                       // x [N, 1, 28, 28] in [0, 1]
 * const { loss } = vaeLoss(out, x);                 // negative ELBO per image, in nats
 * const digits = new VAE({ numClasses: 10 }).sample(10, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 */
export class VAE extends Module {
  readonly arch: string;
  readonly input: ImageInput;
  readonly latent: number;
  readonly numClasses: number;
  encoder: Sequential;
  fcMu: Linear;
  fcLogvar: Linear;
  decoder: Sequential;
  private readonly noise: Generator;

  constructor(options: VaeOptions = {}) {
    super();
    this.numClasses = options.numClasses ?? 0;
    this.arch = this.numClasses > 0 ? 'cvae' : 'vae';
    if (!Number.isInteger(this.numClasses) || this.numClasses < 0)
      throw new RangeError(`${this.arch}: numClasses must be a non-negative integer, got ${this.numClasses}`);
    const channels = checkPositive(this.arch, 'channels', options.channels ?? 1);
    const [h, w] = options.size ?? [28, 28];
    checkPositive(this.arch, 'size[0]', h);
    checkPositive(this.arch, 'size[1]', w);
    this.input = { channels, size: [h, w] };
    this.latent = checkPositive(this.arch, 'latent', options.latent ?? 20);
    const hidden = checkPositive(this.arch, 'hidden', options.hidden ?? 400);
    const seed = generator(options.seed) ?? new Generator(Math.floor(Math.random() * 2 ** 31));
    // ε gets its own stream, split off the initialisation's, so a seed fixes both.
    this.noise = new Generator(seed.randint(0, 2 ** 31 - 1, 1)[0]!);
    const k = this.numClasses;
    const pixels = channels * h * w;
    if (options.encoder === 'conv') {
      if (h % 4 !== 0 || w % 4 !== 0)
        throw new RangeError(
          `${this.arch}: the conv encoder needs height and width multiples of 4, got ${h}×${w}`,
        );
      const flat = 64 * (h / 4) * (w / 4);
      this.encoder = new Sequential(
        new Conv2d(channels, 32, 4, { stride: 2, padding: 1, seed }),
        new ReLU(),
        new Conv2d(32, 64, 4, { stride: 2, padding: 1, seed }),
        new ReLU(),
        new Flatten(),
        new Linear(flat, hidden, { seed }),
        new ReLU(),
      );
      this.fcMu = new Linear(hidden + k, this.latent, { seed });
      this.fcLogvar = new Linear(hidden + k, this.latent, { seed });
      this.decoder = new Sequential(
        new Linear(this.latent + k, hidden, { seed }),
        new ReLU(),
        new Linear(hidden, flat, { seed }),
        new ReLU(),
        new Unflatten(1, [64, h / 4, w / 4]),
        new ConvTranspose2d(64, 32, 4, { stride: 2, padding: 1, seed }),
        new ReLU(),
        new ConvTranspose2d(32, channels, 4, { stride: 2, padding: 1, seed }),
      );
    } else {
      this.encoder = new Sequential(new Flatten(), new Linear(pixels, hidden, { seed }), new ReLU());
      this.fcMu = new Linear(hidden + k, this.latent, { seed });
      this.fcLogvar = new Linear(hidden + k, this.latent, { seed });
      this.decoder = new Sequential(
        new Linear(this.latent + k, hidden, { seed }),
        new ReLU(),
        new Linear(hidden, pixels, { seed }),
        new Unflatten(1, [channels, h, w]),
      );
    }
  }

  /** One-hot labels `[N, K]` float32, checked against the batch size; null for an unconditional VAE. */
  private condition(labels: VaeLabels | undefined, n: number): Tensor | null {
    if (this.numClasses === 0) {
      if (labels !== undefined) throw new TypeError(`${this.arch}: an unconditional VAE takes no labels`);
      return null;
    }
    if (labels === undefined)
      throw new TypeError(
        `${this.arch}: a conditional VAE needs labels (${n} class indices in [0, ${this.numClasses}))`,
      );
    const t = Array.isArray(labels) ? tensor(labels as number[], { dtype: 'int32' }) : (labels as Tensor);
    const rows = t.shape[0];
    if (rows !== n) throw new RangeError(`${this.arch}: ${rows ?? 0} labels for a batch of ${n}`);
    if (t.rank === 2 && t.dtype === 'float32' && t.shape[1] === this.numClasses) return t;
    if (t.rank !== 1 || t.dtype !== 'int32')
      throw new TypeError(
        `${this.arch}: labels must be [N] int32 class indices or [N, ${this.numClasses}] float32 one-hot rows, got [${t.shape.join(', ')}] ${t.dtype}`,
      );
    return cast(oneHot(t, this.numClasses), 'float32');
  }

  /** Images → the code's mean and log-variance `[N, latent]` each. */
  encode(x: Tensor, labels?: VaeLabels): { mu: Tensor; logvar: Tensor } {
    checkImageInput(this.arch, this.input, x);
    return scope(() => {
      const c = this.condition(labels, x.shape[0]!);
      let h = this.encoder.forward(x);
      if (c) h = concat([h, c], 1);
      return { mu: this.fcMu.forward(h), logvar: this.fcLogvar.forward(h) };
    });
  }

  /** z = μ + exp(½·log σ²)·ε with ε ~ N(0, I) from the model's generator. */
  reparameterize(mu: Tensor, logvar: Tensor): Tensor {
    return scope(() =>
      mu.add(
        logvar
          .mul(0.5)
          .exp()
          .mul(randn(mu.shape, { seed: this.noise })),
      ),
    );
  }

  /** Codes `[N, latent]` → pixel logits `[N, C, H, W]`. */
  decodeLogits(z: Tensor, labels?: VaeLabels): Tensor {
    if (z.rank !== 2 || z.shape[1] !== this.latent)
      throw new RangeError(`${this.arch}: expected codes [N, ${this.latent}], got [${z.shape.join(', ')}]`);
    return scope(() => {
      const c = this.condition(labels, z.shape[0]!);
      return this.decoder.forward(c ? concat([z, c], 1) : z);
    });
  }

  /** Codes → images in (0, 1). */
  decode(z: Tensor, labels?: VaeLabels): Tensor {
    return scope(() => sigmoid(this.decodeLogits(z, labels)));
  }

  forward(x: Tensor, labels?: VaeLabels): VaeOutput {
    return scope(() => {
      const { mu, logvar } = this.encode(x, labels);
      const z = this.reparameterize(mu, logvar);
      return { logits: this.decodeLogits(z, labels), mu, logvar, z };
    });
  }

  /** The decoder's image at z = μ (no noise): a deterministic reconstruction in (0, 1). */
  reconstruct(x: Tensor, labels?: VaeLabels): Tensor {
    return scope(() => this.decode(this.encode(x, labels).mu, labels));
  }

  /**
   * `n` new images `[n, C, H, W]` in (0, 1): the decoder's mean image for z ~ N(0, I) drawn from
   * the model's generator (with the given labels, one per image, for a conditional VAE).
   */
  sample(n: number, labels?: VaeLabels): Tensor {
    checkPositive(this.arch, 'sample count', n);
    return noGrad(() => scope(() => this.decode(randn([n, this.latent], { seed: this.noise }), labels)));
  }
}

/**
 * KL(N(μ, σ²) ‖ N(0, I)) in closed form, −½·Σⱼ(1 + log σⱼ² − μⱼ² − σⱼ²) (Kingma & Welling, 2014,
 * appendix B), summed over the code and averaged over the batch.
 */
export function vaeKl(mu: Tensor, logvar: Tensor): Tensor {
  if (
    mu.rank !== 2 ||
    logvar.rank !== 2 ||
    mu.shape[0] !== logvar.shape[0] ||
    mu.shape[1] !== logvar.shape[1]
  )
    throw new RangeError(
      `vaeKl: mu and logvar must both be [N, latent], got [${mu.shape.join(', ')}] and [${logvar.shape.join(', ')}]`,
    );
  return scope(() =>
    logvar
      .add(1)
      .sub(mu.square())
      .sub(logvar.exp())
      .sum()
      .mul(-0.5 / mu.shape[0]!),
  );
}

/**
 * The negative ELBO per image (nats): the Bernoulli reconstruction term (binary cross-entropy of
 * `target` under the pixel logits, summed over pixels) plus the closed-form KL term, both
 * averaged over the batch (PyTorch's VAE example sums over the batch instead).
 */
export function vaeLoss(
  out: VaeOutput,
  target: Tensor,
): { loss: Tensor; reconstruction: Tensor; kl: Tensor } {
  const n = target.shape[0]!;
  const reconstruction = scope(() =>
    binaryCrossEntropyWithLogits(out.logits, target, { reduction: 'sum' }).div(n),
  );
  const kl = vaeKl(out.mu, out.logvar);
  return { loss: reconstruction.add(kl), reconstruction, kl };
}

/**
 * `vaeLoss` split for `fit`'s `forward` and `loss` options (they run in one memory scope, one
 * after the other). For a conditional VAE each input row is the flattened image followed by the
 * one-hot label (`packConditional`), since `fit` hands `forward` one tensor.
 *
 * @example
 * const { forward, loss } = vaeObjective();
 * fit(vae, { optimizer, forward, loss, data });   // data: { x: image, y: same image }
 */
export function vaeObjective(): {
  forward: (model: VAE, x: Tensor) => Tensor;
  loss: (logits: Tensor, target: Tensor) => Tensor;
} {
  let last: VaeOutput | null = null;
  return {
    forward: (model, x) => {
      const { images, labels } = unpackConditional(model, x);
      last = model.forward(images, labels);
      return last.logits;
    },
    loss: (logits, target) => {
      const out = last;
      last = null;
      if (!out || out.logits !== logits)
        throw new Error('vaeObjective: loss called without its forward pass before it in the same scope');
      return vaeLoss(out, target).loss;
    },
  };
}

/** A conditional VAE's `fit` input: `[N, C·H·W + K]`, the flattened images then one-hot labels. */
export function packConditional(images: Tensor, labels: Tensor, numClasses: number): Tensor {
  return scope(() => concat([images.flatten(1), cast(oneHot(labels, numClasses), 'float32')], 1));
}

/** The images and one-hot labels of a `packConditional` row batch (the images alone for an unconditional VAE). */
export function unpackConditional(model: VAE, x: Tensor): { images: Tensor; labels?: Tensor } {
  if (model.numClasses === 0) return { images: x };
  const [c, h, w] = [model.input.channels, ...model.input.size!] as [number, number, number];
  const px = c * h * w;
  if (x.rank !== 2 || x.shape[1] !== px + model.numClasses)
    throw new RangeError(
      `vaeObjective: a conditional VAE's input must be [N, ${px + model.numClasses}] (packConditional), got [${x.shape.join(', ')}]`,
    );
  return {
    images: x.slice(null, [0, px]).reshape([x.shape[0]!, c, h, w]),
    labels: x.slice(null, [px, px + model.numClasses]),
  };
}
