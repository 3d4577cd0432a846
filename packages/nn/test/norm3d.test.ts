import { memory, randn, scope } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { BatchNorm3d, InstanceNorm3d } from '../src/index.js';
import { loadCases, runCase } from './fixtures.js';

const cases = loadCases('nn21-3d');
const pick = (...names: string[]) =>
  cases.filter((c) => names.includes(c.module ?? '')).map((c) => [c.name, c] as const);

// Against PyTorch 1.13 (tools/gen_nn21_3d_fixtures.py): outputs, input and weight/bias gradients,
// and the running statistics after a training step; a forward+backward leaks nothing.
describe('BatchNorm3d/InstanceNorm3d match PyTorch', () => {
  it.each(pick('BatchNorm3d', 'InstanceNorm3d'))('%s', (_name, c) => {
    const { errors, leaked } = runCase(c);
    expect(errors).toEqual([]);
    expect(leaked).toBe(0);
  });
});

describe('3-D normalisation state and memory', () => {
  it('state-dict keys are PyTorch names', () => {
    const bn = new BatchNorm3d(3);
    expect(Object.keys(bn.stateDict()).sort()).toEqual([
      'bias',
      'num_batches_tracked',
      'running_mean',
      'running_var',
      'weight',
    ]);
    const inorm = new InstanceNorm3d(2, { affine: true, trackRunningStats: true });
    expect(Object.keys(inorm.stateDict()).sort()).toEqual([
      'bias',
      'num_batches_tracked',
      'running_mean',
      'running_var',
      'weight',
    ]);
    expect(Object.keys(new InstanceNorm3d(2).stateDict())).toEqual([]);
    bn.dispose();
    inorm.dispose();
  });

  it('training steps keep memory flat', () => {
    const bn = new BatchNorm3d(2);
    const inorm = new InstanceNorm3d(2, { affine: true, trackRunningStats: true });
    const x = randn([2, 2, 2, 3, 3], { seed: 1 });
    const counts: number[] = [];
    for (let i = 0; i < 4; i++) {
      scope(() => {
        inorm.forward(bn.forward(x)).square().mean().backward();
        bn.zeroGrad();
        inorm.zeroGrad();
      });
      counts.push(memory().tensors);
    }
    expect(new Set(counts).size).toBe(1);
    expect(bn.numBatchesTracked!.dataSync()[0]).toBe(4);
    x.dispose();
  });

  it('InstanceNorm3d outside a scope adds only its output', () => {
    const m = new InstanceNorm3d(2);
    const x = randn([2, 2, 2, 2], { seed: 1 });
    const before = memory().tensors;
    const y = m.forward(x);
    expect(memory().tensors - before).toBe(1);
    y.dispose();
    x.dispose();
  });
});

describe('3-D normalisation errors name the layer, what came and what was expected', () => {
  it.each<[string, () => unknown, RegExp]>([
    [
      'BatchNorm3d rank',
      () => new BatchNorm3d(2).forward(randn([2, 2, 3, 3])),
      /BatchNorm3d: input must be \[N, C, D, H, W\], got \[2,2,3,3\]/,
    ],
    [
      'BatchNorm3d channels',
      () => new BatchNorm3d(2).forward(randn([2, 3, 1, 1, 2])),
      /BatchNorm3d: input has 3 channels .* the layer has 2 features/,
    ],
    [
      'BatchNorm3d one value',
      () => new BatchNorm3d(2).forward(randn([1, 2, 1, 1, 1])),
      /BatchNorm3d: expected more than 1 value per channel when training, got input \[1,2,1,1,1\]/,
    ],
    [
      'BatchNorm3d features',
      () => new BatchNorm3d(0),
      /BatchNorm3d: numFeatures must be a positive integer, got 0/,
    ],
    [
      'InstanceNorm3d channels',
      () => new InstanceNorm3d(2).forward(randn([1, 3, 2, 2, 2])),
      /InstanceNorm3d: input must be \[N, 2, D, H, W\] or \[2, D, H, W\], got \[1,3,2,2,2\]/,
    ],
    [
      'InstanceNorm3d rank',
      () => new InstanceNorm3d(2).forward(randn([2, 2, 2])),
      /InstanceNorm3d: input must be \[N, 2, D, H, W\] or \[2, D, H, W\], got \[2,2,2\]/,
    ],
  ])('%s', (_name, f, re) => {
    expect(f).toThrow(re);
  });
});
