/**
 * @myelin/zoo-gan: generative adversarial networks for 28×28 digits — the textbook MLP GAN,
 * DCGAN, conditional GANs, WGAN and WGAN-GP — their objectives, an alternating trainer, latent
 * interpolation and arithmetic, and an evaluation the project computes itself: a LeNet-5 judge's
 * confidence and class spread over samples, and the Fréchet distance on its features.
 *
 * ```ts
 * import { DcganGenerator, DcganDiscriminator, GanTrainer, interpolate } from '@myelin/zoo-gan';
 * const g = new DcganGenerator({ seed: 1 });          // z [N, 100] → [N, 1, 28, 28] in [−1, 1]
 * const d = new DcganDiscriminator({ seed: 2 });      // [N, 1, 28, 28] → logits [N]
 * const walk = g.eval().forward(interpolate(z0, z1, 10, 'spherical'));
 * ```
 */
export * from './frechet.js';
export * from './judge.js';
export * from './latent.js';
export * from './losses.js';
export * from './models.js';
export * from './recipes/index.js';
export * from './trainer.js';
