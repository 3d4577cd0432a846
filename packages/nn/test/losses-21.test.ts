import { memory, randn, scope, type Tensor, tensor, variable } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  cosineSimilarity,
  MultiLabelMarginLoss,
  multilabelMarginLoss,
  multilabelSoftMarginLoss,
  tripletMarginWithDistanceLoss,
} from '../src/index.js';
import { loadCases, runCase } from './fixtures.js';

// multilabel_margin_loss, multilabel_soft_margin_loss and triplet_margin_with_distance_loss of
// PyTorch 1.13 (tools/gen_nn21_seq_fixtures.py): values and input gradients, functions and
// modules, every reduction; nothing leaks.
const FNS = ['multilabelMarginLoss', 'multilabelSoftMarginLoss', 'tripletMarginWithDistanceLoss'];
/** The custom distances the generator names (PyTorch's lambdas, in our words). */
const DISTANCES: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
  cosine: (a, b) => cosineSimilarity(a, b, { dim: -1 }).neg().add(1),
  l1: (a, b) => a.sub(b).abs().sum(-1),
};
const cases = loadCases('nn21-seq')
  .filter((c) => FNS.includes(c.fn ?? ''))
  .map((c) => {
    const o = c.call?.options as Record<string, unknown> | undefined;
    if (o && typeof o.distance === 'string') {
      const { distance, ...rest } = o;
      c.call!.options = { ...rest, distanceFunction: DISTANCES[distance as string] };
    }
    return c;
  });

describe('remaining losses match PyTorch', () => {
  it('has its cases', () => expect(cases.length).toBe(17));
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { errors, leaked } = runCase(c);
    expect(errors).toEqual([]);
    expect(leaked).toBe(0);
  });
});

describe('multilabelMarginLoss', () => {
  it('a hand-worked sample: targets {3, 0} of 4 classes', () => {
    // x = [0.1, 0.2, 0.4, 0.8]; non-targets 1, 2. Terms: j=3: max(0, 1−0.8+0.2)=0.4,
    // max(0, 1−0.8+0.4)=0.6; j=0: 1−0.1+0.2=1.1, 1−0.1+0.4=1.3. Sum 3.4 / 4 = 0.85 (PyTorch docs).
    scope(() => {
      const l = multilabelMarginLoss(
        tensor([[0.1, 0.2, 0.4, 0.8]]),
        tensor([[3, 0, -1, 1]], { dtype: 'int32' }),
      );
      expect(l.item()).toBeCloseTo(0.85, 6);
    });
  });

  it('rejects bad targets clearly', () => {
    scope(() => {
      const x = randn([2, 3]);
      expect(() =>
        multilabelMarginLoss(
          x,
          tensor(
            [
              [0, 3, -1],
              [1, -1, 0],
            ],
            { dtype: 'int32' },
          ),
        ),
      ).toThrow(/multilabelMarginLoss: target 3 is out of range for 3 classes/);
      expect(() =>
        multilabelMarginLoss(
          x,
          tensor([
            [0, 1, 2],
            [0, 1, 2],
          ]),
        ),
      ).toThrow(/multilabelMarginLoss: target must hold int32 class indices .* got float32/);
      expect(() => multilabelMarginLoss(x, tensor([0, 1], { dtype: 'int32' }))).toThrow(
        /multilabelMarginLoss: target shape \[2\] must match the input shape \[2,3\]/,
      );
      expect(() =>
        new MultiLabelMarginLoss({ reduction: 'avg' as never }).forward(
          x,
          tensor(
            [
              [0, -1, 0],
              [1, -1, 0],
            ],
            { dtype: 'int32' },
          ),
        ),
      ).toThrow(/reduction must be 'none', 'mean' or 'sum', got 'avg'/);
    });
  });
});

describe('multilabelSoftMarginLoss and tripletMarginWithDistanceLoss', () => {
  it('weight of the wrong size and a non-positive margin are rejected', () => {
    scope(() => {
      const x = randn([2, 3]);
      expect(() => multilabelSoftMarginLoss(x, x, { weight: tensor([1, 2]) })).toThrow(
        /multilabelSoftMarginLoss: weight must be \[3\] \(one per class\), got \[2\]/,
      );
      expect(() => tripletMarginWithDistanceLoss(x, x, x, { margin: 0 })).toThrow(
        /tripletMarginWithDistanceLoss: margin must be a finite number > 0, got 0/,
      );
      expect(() => tripletMarginWithDistanceLoss(x, x, randn([3]))).toThrow(/same rank/);
    });
  });

  it('logits 0 give log 2 whatever the target (−log σ(0))', () => {
    scope(() => {
      const l = multilabelSoftMarginLoss(tensor([[0, 0]]), tensor([[1, 0]]));
      expect(l.item()).toBeCloseTo(Math.log(2), 6);
    });
  });

  it('training steps leak nothing', () => {
    const x = variable(randn([3, 4], { seed: 1 }));
    const before = memory().tensors;
    for (let i = 0; i < 2; i++)
      scope(() => {
        multilabelMarginLoss(
          x,
          tensor(
            [
              [1, -1, 0, 0],
              [2, 3, -1, 0],
              [0, 1, 2, 3],
            ],
            { dtype: 'int32' },
          ),
        )
          .add(
            multilabelSoftMarginLoss(
              x,
              tensor([
                [1, 0, 0, 1],
                [0, 0, 0, 0],
                [1, 1, 1, 1],
              ]),
            ),
          )
          .add(tripletMarginWithDistanceLoss(x, x.flip(0), x.mul(2), { swap: true }))
          .backward();
        x.grad?.dispose();
        x.grad = null;
      });
    expect(memory().tensors).toBe(before);
    x.dispose();
  });
});
