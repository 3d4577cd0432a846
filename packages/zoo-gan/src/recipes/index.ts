/**
 * The GAN zoo's recipes: the textbook MLP GAN, DCGAN, a conditional DCGAN, WGAN and WGAN-GP on
 * MNIST, all run by `runGan` (see `run.ts`) and judged by the same LeNet-5.
 */
import { Adam, RMSprop } from '@myelin/optim';
import { defineRecipe, type OptionValues, type RecipeRegistry } from '@myelin/train';
import type { RecipeData } from '@myelin/zoo-cnn';
import { DcganDiscriminator, DcganGenerator, MlpDiscriminator, MlpGenerator } from '../models.js';
import { commonOptions, type GanSpec, runGan } from './run.js';

export { commonOptions, type GanRunOptions, type GanSpec, JUDGE_SEED, lineChart, runGan } from './run.js';

const epochsOption = (n: number) =>
  ({ name: 'epochs', type: 'integer', default: n, min: 1, help: 'passes over the training images' }) as const;
const lrOption = (lr: number, what: string) =>
  ({
    name: 'lr',
    type: 'number',
    default: lr,
    min: 1e-8,
    help: `${what} learning rate (both networks)`,
  }) as const;
const widthOption = {
  name: 'width',
  type: 'integer',
  default: 16,
  min: 1,
  help: "DCGAN width: feature maps of G's last hidden layer and D's first (PyTorch's ngf/ndf)",
} as const;

type Params = ReturnType<MlpGenerator['parameters']>;
const adam =
  (lr: number, beta1: number, beta2 = 0.999) =>
  (ps: Params) =>
    new Adam(ps, { lr, betas: [beta1, beta2] });

/** One optimizer of the same kind for each network. */
const both =
  (make: (ps: Params) => Adam | RMSprop): GanSpec['optimize'] =>
  (g, d) => ({ generator: make(g.parameters()), discriminator: make(d.parameters()) });

/** The DCGAN pair at a width (conditional with `numClasses`); D seeded one after G. */
const dcganPair =
  (width: number, extra: { numClasses?: number; batchNorm?: boolean } = {}): GanSpec['build'] =>
  (seed) => ({
    generator: new DcganGenerator({ width, numClasses: extra.numClasses, seed }),
    discriminator: new DcganDiscriminator({ width, ...extra, seed: seed + 1 }),
  });

const ganOptions = [
  epochsOption(2),
  lrOption(0.0002, "Adam's (β₁ 0.5)"),
  {
    name: 'generatorLoss',
    type: 'enum',
    values: ['non-saturating', 'minimax'],
    default: 'non-saturating',
    help: "the generator's objective: −log D(G(z)) (non-saturating) or log(1 − D(G(z))) (minimax)",
  },
  ...commonOptions(),
] as const;
export type GanMnistOptions = OptionValues<typeof ganOptions> & RecipeData;

/** The textbook MLP GAN (G 100-32-64-128-784, D 784-128-64-32-1, leaky ReLU, dropout) on MNIST. */
export const ganMnist = defineRecipe({
  name: 'gan-mnist',
  title: 'MLP GAN on MNIST',
  description:
    'The textbook GAN: G 100-32-64-128-784 (leaky ReLU, tanh), D 784-128-64-32-1 (leaky ReLU, dropout 0.3), Adam 2e-4 (β₁ 0.5), the non-saturating or minimax generator loss; a LeNet-5 judge scores 1,000 samples (confidence, digits, Fréchet distance)',
  family: 'gan',
  options: ganOptions,
  run: (o: GanMnistOptions) =>
    runGan(
      {
        recipe: 'gan-mnist',
        objective: o.generatorLoss,
        epochs: o.epochs,
        criticSteps: 1,
        build: (seed) => ({
          generator: new MlpGenerator({ seed }),
          discriminator: new MlpDiscriminator({ seed: seed + 1 }),
        }),
        optimize: both(adam(o.lr, 0.5)),
      },
      o,
    ),
});

const dcganOptions = [
  epochsOption(1),
  lrOption(0.0002, "Adam's (β₁ 0.5)"),
  widthOption,
  ...commonOptions(),
] as const;
export type DcganMnistOptions = OptionValues<typeof dcganOptions> & RecipeData;

/** DCGAN on MNIST (28×28: three fractionally strided convolutions in G, three convolutions in D). */
export const dcganMnist = defineRecipe({
  name: 'dcgan-mnist',
  title: 'DCGAN on MNIST',
  description:
    'DCGAN (Radford et al., 2016) for 28×28: G z → 7×7 → 14×14 → 28×28 by transposed convolutions with batch norm and ReLU, tanh out; D strided convolutions, leaky ReLU 0.2, batch norm inside; N(0, 0.02) weights; Adam 2e-4 (β₁ 0.5), non-saturating loss; judged by LeNet-5',
  family: 'gan',
  options: dcganOptions,
  run: (o: DcganMnistOptions) =>
    runGan(
      {
        recipe: 'dcgan-mnist',
        objective: 'non-saturating',
        epochs: o.epochs,
        criticSteps: 1,
        build: dcganPair(o.width),
        optimize: both(adam(o.lr, 0.5)),
      },
      o,
    ),
});

export type CganMnistOptions = DcganMnistOptions;

/** A conditional DCGAN on MNIST: the label's embedding joins z in G and is a second image channel in D. */
export const cganMnist = defineRecipe({
  name: 'cgan-mnist',
  title: 'Conditional DCGAN on MNIST',
  description:
    'A conditional GAN (Mirza & Osindero, 2014) on the DCGAN architecture: G sees z and a 10-wide label embedding, D sees the image and a 28×28 label embedding as a second channel; the judge checks that samples show the digit asked for',
  family: 'gan',
  options: dcganOptions,
  run: (o: CganMnistOptions) =>
    runGan(
      {
        recipe: 'cgan-mnist',
        objective: 'non-saturating',
        epochs: o.epochs,
        criticSteps: 1,
        build: dcganPair(o.width, { numClasses: 10 }),
        optimize: both(adam(o.lr, 0.5)),
      },
      o,
    ),
});

const wganOptions = [
  epochsOption(3),
  lrOption(0.00005, "RMSprop's"),
  widthOption,
  { name: 'criticSteps', type: 'integer', default: 5, min: 1, help: 'critic steps per generator step' },
  {
    name: 'clip',
    type: 'number',
    default: 0.01,
    min: 1e-6,
    help: 'critic weights are clamped to [−clip, clip]',
  },
  ...commonOptions(6400),
] as const;
export type WganMnistOptions = OptionValues<typeof wganOptions> & RecipeData;

/** WGAN (Arjovsky et al., 2017): a DCGAN critic without sigmoid, weight clipping, RMSprop, k critic steps. */
export const wganMnist = defineRecipe({
  name: 'wgan-mnist',
  title: 'WGAN (weight clipping) on MNIST',
  description:
    'Wasserstein GAN: the DCGAN pair with a linear critic output, the critic clamped to [−0.01, 0.01] after each of its 5 steps per generator step, RMSprop 5e-5 (Arjovsky et al., algorithm 1)',
  family: 'gan',
  options: wganOptions,
  run: (o: WganMnistOptions) =>
    runGan(
      {
        recipe: 'wgan-mnist',
        objective: 'wgan',
        epochs: o.epochs,
        criticSteps: o.criticSteps,
        clip: o.clip,
        build: dcganPair(o.width),
        optimize: both((ps) => new RMSprop(ps, { lr: o.lr })),
      },
      o,
    ),
});

const wganGpOptions = [
  epochsOption(3),
  lrOption(0.0001, "Adam's (β₁ 0.5, β₂ 0.9)"),
  widthOption,
  { name: 'criticSteps', type: 'integer', default: 5, min: 1, help: 'critic steps per generator step' },
  { name: 'penalty', type: 'number', default: 10, min: 0, help: 'λ, the gradient penalty weight' },
  ...commonOptions(6400),
] as const;
export type WganGpMnistOptions = OptionValues<typeof wganGpOptions> & RecipeData;

/** WGAN-GP (Gulrajani et al., 2017): the gradient penalty at interpolates instead of clipping, no batch norm in the critic. */
export const wganGpMnist = defineRecipe({
  name: 'wgan-gp-mnist',
  title: 'WGAN-GP on MNIST',
  description:
    'Wasserstein GAN with gradient penalty: λ(‖∇D(x̂)‖ − 1)² at random interpolates of real and generated digits (a gradient of a gradient through the convolutions), a DCGAN critic without batch norm, 5 critic steps per generator step, Adam 1e-4 (β 0.5, 0.9); the Fréchet distance per epoch',
  family: 'gan',
  options: wganGpOptions,
  run: (o: WganGpMnistOptions) =>
    runGan(
      {
        recipe: 'wgan-gp-mnist',
        objective: 'wgan-gp',
        epochs: o.epochs,
        criticSteps: o.criticSteps,
        penaltyWeight: o.penalty,
        build: dcganPair(o.width, { batchNorm: false }),
        optimize: both(adam(o.lr, 0.5, 0.9)),
      },
      o,
    ),
});

/**
 * The recipes of `@myelin/zoo-gan`, by name (the zoo contract, DESIGN.md §6): what `myelin models`
 * lists and `myelin train <recipe>` runs.
 */
export const recipes = {
  'gan-mnist': ganMnist,
  'dcgan-mnist': dcganMnist,
  'cgan-mnist': cganMnist,
  'wgan-mnist': wganMnist,
  'wgan-gp-mnist': wganGpMnist,
} as const satisfies RecipeRegistry;
