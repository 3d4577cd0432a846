/**
 * The adversarial objectives, all on the discriminator's logits (critic scores for the
 * Wasserstein forms), averaged over the batch:
 *
 * - discriminator (Goodfellow et al., 2014, eq. 1): −log σ(D(x)) − log(1 − σ(D(G(z)))),
 * - generator, minimax: log(1 − σ(D(G(z)))) (saturates when D wins early),
 * - generator, non-saturating: −log σ(D(G(z))) (the paper's §3 remedy, what everyone trains),
 * - WGAN critic (Arjovsky et al., 2017): D(G(z)) − D(x); generator: −D(G(z)),
 * - gradient penalty (Gulrajani et al., 2017, eq. 3): λ (‖∇x̂ D(x̂)‖₂ − 1)² at x̂ = εx + (1 − ε)G(z).
 */
import { type Generator, noGrad, onesLike, rand, type Tensor, vjp } from '@myelin/core';
import type { GanDiscriminator, GanLabels } from './models.js';

/** The generator objectives: 'minimax' (the paper's game) or 'non-saturating' (its §3 fix). */
export type GeneratorLossKind = 'minimax' | 'non-saturating';

function checkLogits(fn: string, name: string, t: Tensor): void {
  if (t.rank !== 1)
    throw new RangeError(
      `${fn}: ${name} must be one score per image, shape [N], got [${t.shape.join(', ')}]`,
    );
}

/** −mean log σ(real) − mean log(1 − σ(fake)), with log σ(l) = −softplus(−l). */
export function discriminatorLoss(realLogits: Tensor, fakeLogits: Tensor): Tensor {
  checkLogits('discriminatorLoss', 'realLogits', realLogits);
  checkLogits('discriminatorLoss', 'fakeLogits', fakeLogits);
  return realLogits.neg().softplus().mean().add(fakeLogits.softplus().mean());
}

/** The generator's loss on D's logits for its images: minimax mean log(1 − σ(l)) = −mean softplus(l); non-saturating mean softplus(−l). */
export function generatorLoss(fakeLogits: Tensor, kind: GeneratorLossKind = 'non-saturating'): Tensor {
  checkLogits('generatorLoss', 'fakeLogits', fakeLogits);
  if (kind === 'minimax') return fakeLogits.softplus().mean().neg();
  if (kind === 'non-saturating') return fakeLogits.neg().softplus().mean();
  throw new RangeError(`generatorLoss: kind must be 'minimax' or 'non-saturating', got '${String(kind)}'`);
}

/** The WGAN critic's loss: mean D(fake) − mean D(real) (the negated Wasserstein estimate). */
export function criticLoss(realScores: Tensor, fakeScores: Tensor): Tensor {
  checkLogits('criticLoss', 'realScores', realScores);
  checkLogits('criticLoss', 'fakeScores', fakeScores);
  return fakeScores.mean().sub(realScores.mean());
}

/** The WGAN generator's loss: −mean D(fake). */
export function wganGeneratorLoss(fakeScores: Tensor): Tensor {
  checkLogits('wganGeneratorLoss', 'fakeScores', fakeScores);
  return fakeScores.mean().neg();
}

export interface GradientPenaltyOptions {
  /** λ (default 10, the paper's). */
  weight?: number;
  /** The mixing weights ε, [N, 1, 1, 1]; drawn U(0, 1) from `seed` when absent. */
  epsilon?: Tensor;
  seed?: Generator;
  /** Labels, for a conditional critic. */
  labels?: GanLabels;
}

/**
 * WGAN-GP's penalty λ · mean_i (‖∇x̂ D(x̂_i)‖₂ − 1)² at x̂ = εx + (1 − ε)x̃, as one differentiable
 * tensor: the gradient ∇x̂ D is taken with `vjp`, whose backward ops are recorded, so
 * `penalty.backward()` reaches the critic's parameters through it (PyTorch's
 * `autograd.grad(..., create_graph=True)`). `real` and `fake` are not differentiated (x̂ is a
 * fresh leaf): pass the generator's images detached.
 */
export function gradientPenalty(
  critic: GanDiscriminator,
  real: Tensor,
  fake: Tensor,
  options: GradientPenaltyOptions = {},
): Tensor {
  if (real.rank !== 4 || real.shape.join() !== fake.shape.join())
    throw new RangeError(
      `gradientPenalty: real and fake must be image batches of one shape [N, C, H, W], got [${real.shape.join(', ')}] and [${fake.shape.join(', ')}]`,
    );
  const n = real.shape[0]!;
  const weight = options.weight ?? 10;
  const xhat = noGrad(() => {
    const eps = options.epsilon ?? rand([n, 1, 1, 1], { seed: options.seed });
    if (eps.shape.join() !== [n, 1, 1, 1].join())
      throw new RangeError(
        `gradientPenalty: epsilon must have shape [${n}, 1, 1, 1], got [${eps.shape.join(', ')}]`,
      );
    return real.mul(eps).add(fake.mul(eps.neg().add(1)));
  });
  const [scores, back] = vjp((x: Tensor) => critic.forward(x, options.labels), xhat);
  const [g] = back(onesLike(scores));
  const norms = g!.reshape([n, -1]).square().sum(1).sqrt();
  return norms.sub(1).square().mean().mul(weight);
}
