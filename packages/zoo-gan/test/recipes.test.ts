import type { ZooEvent } from '@myelin/train';
import { describe, expect, it } from 'vitest';
import { recipes } from '../src/index.js';
import { grid, metric, runRecipe } from './recipe-run.js';

/** Small runs on real MNIST: a weak judge (1 epoch on 3,000 digits), 640 training digits, narrow nets. */
const SMALL = {
  'judge-epochs': '1',
  'judge-limit': '3000',
  'eval-samples': '200',
  'curve-samples': '100',
  samples: '20',
  limit: '640',
  'batch-size': '32',
};

function curve(events: ZooEvent[]): number[] {
  return events
    .filter((e): e is Extract<ZooEvent, { type: 'epochEnd' }> => e.type === 'epochEnd')
    .map((e) => e.metrics.frechetDistance!);
}

function checkRun(r: Awaited<ReturnType<typeof runRecipe>>, epochs: number) {
  const { events } = r;
  expect(events.some((e) => e.type === 'error')).toBe(false);
  // Memory-flat: the same live tensors at every epoch end, none left after the run.
  expect(new Set(r.atEpochEnd).size).toBe(1);
  expect(r.leaked).toBe(0);
  // A fixed-noise grid per epoch, losses and distance charts, interpolations.
  const grids = events.filter((e) => e.type === 'samples' && e.title === 'fixed-noise samples');
  expect(grids.map((e) => (e as { epoch?: number }).epoch)).toEqual(
    Array.from({ length: epochs }, (_, i) => i),
  );
  expect(grid(events, 'fixed-noise samples')!.images.shape).toEqual([20, 1, 28, 28]);
  expect(grid(events, 'spherical interpolation')!.images.shape).toEqual([80, 1, 28, 28]);
  expect(grid(events, 'linear interpolation')).toBeDefined();
  const charts = events.filter((e) => e.type === 'figure').map((e) => e.title);
  expect(charts).toEqual(['losses', 'frechet distance']);
  expect(metric(events, 'judge test accuracy')!).toBeGreaterThan(0.7);
  const losses = events.filter((e) => e.type === 'batchEnd').map((e) => e.loss);
  expect(losses.every(Number.isFinite)).toBe(true);
  return {
    before: metric(events, 'Fréchet distance before training')!,
    after: metric(events, 'Fréchet distance')!,
  };
}

// Seconds each on a quiet machine; minutes when the two cores are shared many times over.
describe('GAN recipes train on real MNIST (small configurations)', { timeout: 900_000 }, () => {
  it('gan-mnist: the MLP GAN cuts the Fréchet distance of its untrained generator by a fifth in 3 epochs of 640 digits', async () => {
    const r = await runRecipe(recipes['gan-mnist'], { ...SMALL, epochs: '3', lr: '0.001' });
    const fd = checkRun(r, 3);
    console.log('gan-mnist', fd, curve(r.events), r.seconds);
    expect(fd.after).toBeLessThan(0.8 * fd.before);
  });

  it('gan-mnist with the minimax generator loss trains too', async () => {
    const r = await runRecipe(recipes['gan-mnist'], {
      ...SMALL,
      epochs: '1',
      'generator-loss': 'minimax',
      'curve-samples': '0',
    });
    expect(r.events.some((e) => e.type === 'error')).toBe(false);
    expect(r.leaked).toBe(0);
  });

  it('dcgan-mnist: DCGAN (width 8, Adam 1e-3) halves the Fréchet distance in 2 epochs of 1,280 digits', async () => {
    const r = await runRecipe(recipes['dcgan-mnist'], {
      ...SMALL,
      epochs: '2',
      width: '8',
      limit: '1280',
      lr: '0.001',
    });
    const fd = checkRun(r, 2);
    console.log('dcgan-mnist', fd, curve(r.events), metric(r.events, 'sample confidence'), r.seconds);
    expect(fd.after).toBeLessThan(fd.before / 2);
  });

  it('cgan-mnist: samples read as the digit asked for twice as often as chance (10 %) in 2 epochs of 1,280 digits', async () => {
    const r = await runRecipe(recipes['cgan-mnist'], {
      ...SMALL,
      epochs: '2',
      width: '8',
      limit: '1280',
      lr: '0.001',
    });
    checkRun(r, 2);
    const agree = metric(r.events, 'samples classified as their label')!;
    console.log('cgan-mnist', agree, r.seconds);
    expect(agree).toBeGreaterThan(0.2);
  });

  it('wgan-gp-mnist: no NaN, and the Fréchet distance falls by a tenth in 2 epochs of 640 digits', async () => {
    const r = await runRecipe(recipes['wgan-gp-mnist'], {
      ...SMALL,
      epochs: '2',
      width: '8',
      'critic-steps': '2',
      lr: '0.0005',
    });
    const fd = checkRun(r, 2);
    console.log('wgan-gp-mnist', fd, curve(r.events), r.seconds);
    expect(fd.after).toBeLessThan(0.9 * fd.before);
  });

  it('wgan-mnist: trains without NaN, and the Fréchet distance falls by 30 % in 2 epochs of 640 digits', async () => {
    const r = await runRecipe(recipes['wgan-mnist'], {
      ...SMALL,
      epochs: '2',
      width: '8',
      'critic-steps': '2',
      lr: '0.0005',
    });
    const fd = checkRun(r, 2);
    console.log('wgan-mnist', fd, curve(r.events), r.seconds);
    expect(fd.after).toBeLessThan(0.7 * fd.before);
  });
});
