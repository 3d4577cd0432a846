import { Generator, memory, rand } from '@myelin/core';
import { Adam, RMSprop } from '@myelin/optim';
import { describe, expect, it } from 'vitest';
import {
  DcganDiscriminator,
  DcganGenerator,
  type GanObjective,
  GanTrainer,
  MlpDiscriminator,
  MlpGenerator,
} from '../src/index.js';

function trainer(objective: GanObjective, conditional = false) {
  const k = conditional ? 10 : 0;
  const g = new MlpGenerator({ numClasses: k, seed: 1 });
  const d =
    objective === 'wgan-gp'
      ? new DcganDiscriminator({ width: 4, batchNorm: false, numClasses: k, seed: 2 })
      : new MlpDiscriminator({ numClasses: k, seed: 2 });
  const wgan = objective === 'wgan';
  const t = new GanTrainer(g, d, {
    objective,
    generatorOptimizer: wgan
      ? new RMSprop(g.parameters(), { lr: 5e-5 })
      : new Adam(g.parameters(), { lr: 2e-4 }),
    discriminatorOptimizer: wgan
      ? new RMSprop(d.parameters(), { lr: 5e-5 })
      : new Adam(d.parameters(), { lr: 2e-4 }),
    clip: 0.01,
    noise: new Generator(3),
  });
  return { g, d, t };
}

describe('GanTrainer', () => {
  for (const objective of ['minimax', 'non-saturating', 'wgan', 'wgan-gp'] as const) {
    it(`${objective}: steps leave no tensors behind and give finite losses (batch of 2 and of 1 for G)`, async () => {
      const { t } = trainer(objective);
      const real = rand([2, 1, 28, 28], { seed: 4 }).mul(2).sub(1);
      const step = async () => {
        const d = await t.discriminatorStep(real);
        const g = await t.generatorStep(1);
        expect(Number.isFinite(d.loss) && Number.isFinite(g)).toBe(true);
        if (objective === 'wgan-gp') expect(d.penalty!).toBeGreaterThanOrEqual(0);
        else expect(d.penalty).toBeUndefined();
      };
      await step();
      const before = memory().tensors;
      await step();
      await step();
      expect(memory().tensors).toBe(before);
    });
  }

  it('wgan: after a critic step every critic weight lies in [−clip, clip]', async () => {
    const { d, t } = trainer('wgan');
    const wide = d.parameters().some((p) => p.dataSync().some((v) => Math.abs(v) > 0.01));
    expect(wide).toBe(true); // PyTorch's default init is wider than the clip
    await t.discriminatorStep(rand([4, 1, 28, 28], { seed: 5 }));
    for (const p of d.parameters())
      for (const v of p.dataSync()) expect(Math.abs(v)).toBeLessThanOrEqual(0.01);
  });

  it('a discriminator step changes only D, a generator step only G', async () => {
    const { g, d, t } = trainer('non-saturating', true);
    const snap = (m: typeof g | typeof d) => m.parameters().map((p) => Array.from(p.dataSync()));
    const [g0, d0] = [snap(g), snap(d)];
    const labels = (await import('@myelin/core')).tensor([1, 7], { dtype: 'int32' });
    await t.discriminatorStep(rand([2, 1, 28, 28], { seed: 6 }), labels);
    expect(snap(g)).toEqual(g0);
    expect(snap(d)).not.toEqual(d0);
    const d1 = snap(d);
    await t.generatorStep(2, labels);
    expect(snap(d)).toEqual(d1);
    expect(snap(g)).not.toEqual(g0);
  });

  it('refuses an unknown objective', () => {
    const g = new DcganGenerator({ width: 2 });
    const d = new DcganDiscriminator({ width: 2 });
    const opt = { zeroGrad() {}, step() {} };
    expect(
      () =>
        new GanTrainer(g, d, {
          objective: 'hinge' as never,
          generatorOptimizer: opt,
          discriminatorOptimizer: opt,
          noise: new Generator(1),
        }),
    ).toThrow(/GanTrainer: objective must be one of minimax, non-saturating, wgan, wgan-gp, got 'hinge'/);
  });
});
