/**
 * One adversarial training step at a time: the discriminator (critic) step and the generator
 * step with their own optimisers, for the four objectives (minimax and non-saturating GAN, WGAN
 * with weight clipping, WGAN-GP). Each step runs in a `scope`, so only the loss values survive it.
 */
import { type Generator, noGrad, type Parameter, scope, type Tensor } from '@myelin/core';
import {
  criticLoss,
  discriminatorLoss,
  type GeneratorLossKind,
  generatorLoss,
  gradientPenalty,
  wganGeneratorLoss,
} from './losses.js';
import { checkGanPair, type GanDiscriminator, type GanGenerator, sampleLatent } from './models.js';

/** The objectives: the two GAN games, WGAN (weight clipping) and WGAN-GP (gradient penalty). */
export type GanObjective = GeneratorLossKind | 'wgan' | 'wgan-gp';

/** An optimiser as the steps use it. */
export interface StepOptimizer {
  zeroGrad(): void;
  step(): unknown;
}

export interface GanTrainerOptions {
  objective: GanObjective;
  generatorOptimizer: StepOptimizer;
  discriminatorOptimizer: StepOptimizer;
  /** WGAN: critic weights are clamped to [−clip, clip] after each critic step (default 0.01). */
  clip?: number;
  /** WGAN-GP: λ (default 10). */
  penaltyWeight?: number;
  /** Draws the latents and WGAN-GP's ε. */
  noise: Generator;
}

/** Loss values of one discriminator step. */
export interface DiscriminatorStep {
  loss: number;
  /** WGAN-GP: the penalty term (included in `loss`). */
  penalty?: number;
}

/**
 * Alternating optimisation of a generator G and a discriminator (critic) D. Images are in
 * [−1, 1]; labels (conditional models) are int32 `[N]`.
 *
 * @example
 * const t = new GanTrainer(g, d, { objective: 'non-saturating', generatorOptimizer: new Adam(g.parameters(), { lr: 2e-4, betas: [0.5, 0.999] }), … });
 * const { loss } = await t.discriminatorStep(real);   // then
 * const gLoss = await t.generatorStep(real.shape[0]);
 */
export class GanTrainer {
  private readonly criticParams: Parameter[];
  constructor(
    readonly generator: GanGenerator,
    readonly discriminator: GanDiscriminator,
    readonly options: GanTrainerOptions,
  ) {
    checkGanPair(generator, discriminator);
    const objectives: GanObjective[] = ['minimax', 'non-saturating', 'wgan', 'wgan-gp'];
    if (!objectives.includes(options.objective))
      throw new RangeError(
        `GanTrainer: objective must be one of ${objectives.join(', ')}, got '${String(options.objective)}'`,
      );
    this.criticParams = discriminator.parameters();
  }

  /** One update of D on real images `[N, 1, 28, 28]` in [−1, 1] against N fresh generated ones. */
  async discriminatorStep(real: Tensor, labels?: Tensor): Promise<DiscriminatorStep> {
    const { objective, discriminatorOptimizer: opt } = this.options;
    const n = real.shape[0]!;
    const [loss, penalty] = scope(() => {
      opt.zeroGrad();
      const fake = noGrad(() =>
        this.generator.forward(sampleLatent(n, this.generator.latent, this.options.noise), labels),
      );
      const realScores = this.discriminator.forward(real, labels);
      const fakeScores = this.discriminator.forward(fake, labels);
      let loss: Tensor;
      let penalty: Tensor | null = null;
      if (objective === 'wgan' || objective === 'wgan-gp') {
        loss = criticLoss(realScores, fakeScores);
        if (objective === 'wgan-gp') {
          penalty = gradientPenalty(this.discriminator, real, fake, {
            weight: this.options.penaltyWeight ?? 10,
            seed: this.options.noise,
            ...(labels ? { labels } : {}),
          });
          loss = loss.add(penalty);
        }
      } else {
        loss = discriminatorLoss(realScores, fakeScores);
      }
      loss.backward();
      opt.step();
      if (objective === 'wgan') {
        const c = this.options.clip ?? 0.01;
        noGrad(() => {
          for (const p of this.criticParams) p.assign(p.clip(-c, c));
        });
      }
      return [loss, penalty ?? loss];
    });
    try {
      const [l, p] = await Promise.all([loss.data(), penalty.data()]);
      const out: DiscriminatorStep = { loss: l[0]! };
      if (objective === 'wgan-gp') out.penalty = p[0]!;
      return out;
    } finally {
      loss.dispose();
      if (penalty !== loss) penalty.dispose();
    }
  }

  /** One update of G: N fresh images (for `labels`, when conditional) judged by D. */
  async generatorStep(n: number, labels?: Tensor): Promise<number> {
    const { objective, generatorOptimizer: opt } = this.options;
    const loss = scope(() => {
      opt.zeroGrad();
      const fake = this.generator.forward(sampleLatent(n, this.generator.latent, this.options.noise), labels);
      const scores = this.discriminator.forward(fake, labels);
      const loss =
        objective === 'wgan' || objective === 'wgan-gp'
          ? wganGeneratorLoss(scores)
          : generatorLoss(scores, objective);
      loss.backward();
      opt.step();
      return loss;
    });
    try {
      return (await loss.data())[0]!;
    } finally {
      loss.dispose();
    }
  }
}
