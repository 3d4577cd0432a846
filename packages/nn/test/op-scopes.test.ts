import { memory, randn, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index.js';
import * as losses from '../src/losses.js';
import * as penalties from '../src/penalties.js';

/**
 * nn's functional losses and penalties free their own temporaries, as core's ops do (issue 19): called outside
 * any scope, each leaves exactly its result. Every loss exported from losses.ts is called here, so
 * a new one without the wrapper fails this test.
 */
describe('nn functions called outside any scope leave only their result', () => {
  const x = randn([4, 3], { seed: 1 });
  const t = randn([4, 3], { seed: 2 });
  const p = x.sigmoid();
  const tp = t.sigmoid().round();
  const cls = tensor(new Int32Array([0, 2, 1, 2]));
  const sign = tensor([1, -1, 1, -1]);
  const v = randn([4], { seed: 3 });
  const logp = x.logSoftmax(1);
  const negv = v.neg();
  const tabs = t.abs();
  const calls: Record<string, () => unknown> = {
    mseLoss: () => nn.mseLoss(x, t),
    l1Loss: () => nn.l1Loss(x, t),
    smoothL1Loss: () => nn.smoothL1Loss(x, t),
    huberLoss: () => nn.huberLoss(x, t),
    poissonNllLoss: () => nn.poissonNllLoss(x, tabs),
    gaussianNllLoss: () => nn.gaussianNllLoss(x, t, p),
    binaryCrossEntropy: () => nn.binaryCrossEntropy(p, tp),
    binaryCrossEntropyWithLogits: () => nn.binaryCrossEntropyWithLogits(x, tp),
    hingeLoss: () => nn.hingeLoss(v, sign),
    squaredHingeLoss: () => nn.squaredHingeLoss(v, sign),
    hingeEmbeddingLoss: () => nn.hingeEmbeddingLoss(v, sign),
    softMarginLoss: () => nn.softMarginLoss(v, sign),
    nllLoss: () => nn.nllLoss(logp, cls),
    crossEntropy: () => nn.crossEntropy(x, cls),
    klDiv: () => nn.klDiv(logp, p),
    multiMarginLoss: () => nn.multiMarginLoss(x, cls),
    crammerSingerLoss: () => nn.crammerSingerLoss(x, cls),
    marginRankingLoss: () => nn.marginRankingLoss(v, negv, sign),
    cosineEmbeddingLoss: () => nn.cosineEmbeddingLoss(x, t, sign),
    pairwiseDistance: () => nn.pairwiseDistance(x, t),
    tripletMarginLoss: () => nn.tripletMarginLoss(x, t, p),
    l1Penalty: () => nn.l1Penalty([x, t]),
    l2Penalty: () => nn.l2Penalty([x, t]),
    elasticNetPenalty: () => nn.elasticNetPenalty([x, t], { l1: 0.1, l2: 0.2 }),
    klSparsityPenalty: () => nn.klSparsityPenalty(p, 0.05),
    contractivePenalty: () => nn.contractivePenalty((h) => h.matmul(t.transpose(0, 1)).sigmoid(), x),
  };

  it('covers every loss and penalty function', () => {
    const exported = [...Object.entries(losses), ...Object.entries(penalties)]
      .filter(([k, f]) => typeof f === 'function' && /^[a-z]/.test(k))
      .map(([k]) => k)
      .sort();
    expect(Object.keys(calls).sort()).toEqual(exported);
  });

  for (const [name, call] of Object.entries(calls)) {
    it(name, () => {
      const before = memory().tensors;
      const r = call() as { dispose(): void };
      expect(memory().tensors - before).toBe(1);
      r.dispose();
    });
  }
});
