import { memory, scope, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  criticLoss,
  DcganDiscriminator,
  discriminatorLoss,
  generatorLoss,
  gradientPenalty,
  wganGeneratorLoss,
} from '../src/index.js';
import { fixtures, maxRelError } from './fixtures.js';

const f = fixtures.losses;

describe('adversarial losses match torch.nn.functional.binary_cross_entropy_with_logits', () => {
  it('discriminator, minimax and non-saturating generator losses (logits up to ±40)', () => {
    const real = tensor(f.real);
    const fake = tensor(f.fake);
    expect(discriminatorLoss(real, fake).item()).toBeCloseTo(f.discriminator, 5);
    expect(generatorLoss(fake, 'minimax').item()).toBeCloseTo(f.minimax, 5);
    expect(generatorLoss(fake, 'non-saturating').item()).toBeCloseTo(f.nonSaturating, 5);
    expect(generatorLoss(fake).item()).toBeCloseTo(f.nonSaturating, 5);
  });

  it('Wasserstein losses are the differences of mean scores, batch of one included', () => {
    expect(criticLoss(tensor([1, 3]), tensor([-2, 0, 5])).item()).toBeCloseTo(1 - 2, 6);
    expect(wganGeneratorLoss(tensor([4])).item()).toBe(-4);
  });

  it('refuse scores that are not one per image, and an unknown generator loss', () => {
    expect(() => discriminatorLoss(tensor([[1], [2]]), tensor([1]))).toThrow(
      /discriminatorLoss: realLogits must be one score per image, shape \[N\], got \[2, 1\]/,
    );
    expect(() => generatorLoss(tensor([1]), 'hinge' as never)).toThrow(/generatorLoss: kind must be/);
  });
});

describe('WGAN-GP gradient penalty (a gradient of a gradient through convolutions)', () => {
  const p = fixtures.penalty;
  const build = () => {
    const critic = new DcganDiscriminator({ width: p.width, batchNorm: false, seed: 1 });
    critic.loadStateDict(
      Object.fromEntries(Object.entries(p.weights).map(([k, v]) => [k, tensor(v.data, { shape: v.shape })])),
    );
    return critic;
  };
  const n = p.epsilon.length;
  const images = (v: number[]) => tensor(v, { shape: [n, 1, 28, 28] });

  it('matches torch.autograd.grad(create_graph=True): the penalty and its gradient w.r.t. every critic weight', () => {
    const critic = build();
    const [real, fake, eps] = [images(p.real), images(p.fake), tensor(p.epsilon, { shape: [n, 1, 1, 1] })];
    critic.zeroGrad();
    const penalty = gradientPenalty(critic, real, fake, { epsilon: eps });
    expect(penalty.item()).toBeCloseTo(p.penalty, 2);
    expect(Math.abs(penalty.item() - p.penalty) / p.penalty).toBeLessThan(1e-5);
    penalty.backward();
    const params = Object.fromEntries(critic.namedParameters());
    expect(Object.keys(params).sort()).toEqual(Object.keys(p.grads).sort());
    for (const [name, want] of Object.entries(p.grads)) {
      const got = params[name]!.grad!.dataSync();
      expect(maxRelError(got, want, 1e-2), name).toBeLessThan(1e-4);
    }
    critic.dispose();
  });

  it('leaves no tensors behind across steps', () => {
    const critic = build();
    const [real, fake] = [images(p.real), images(p.fake)];
    const step = () =>
      scope(() => {
        critic.zeroGrad();
        gradientPenalty(critic, real, fake, {
          epsilon: tensor(p.epsilon, { shape: [n, 1, 1, 1] }),
        }).backward();
      });
    step();
    const before = memory().tensors;
    step();
    step();
    expect(memory().tensors).toBe(before);
    critic.dispose();
  });

  it('refuses real and fake batches of different shapes, and a wrong ε', () => {
    const critic = build();
    expect(() => gradientPenalty(critic, images(p.real), images(p.fake).slice([0, 2]))).toThrow(
      /gradientPenalty: real and fake must be image batches of one shape/,
    );
    expect(() => gradientPenalty(critic, images(p.real), images(p.fake), { epsilon: tensor([0.5]) })).toThrow(
      /gradientPenalty: epsilon must have shape \[3, 1, 1, 1\], got \[1\]/,
    );
    critic.dispose();
  });
});
