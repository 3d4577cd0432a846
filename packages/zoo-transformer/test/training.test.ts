import { Generator, memory, tensor } from '@myelin/core';
import { crossEntropy, Linear } from '@myelin/nn';
import { SGD } from '@myelin/optim';
import { describe, expect, it } from 'vitest';
import { accumulatedStep, bucketedBatches, SelfAttention, warmupCosine } from '../src/index.js';

describe('warmupCosine', () => {
  it('rises linearly over the warmup, then follows the cosine to 0 (the published schedule, closed form)', () => {
    const model = new Linear(2, 1, { seed: 0 });
    const opt = new SGD(model.parameters(), { lr: 0.5 });
    const W = 4;
    const T = 12;
    const sched = warmupCosine(opt, { warmupSteps: W, totalSteps: T });
    const got: number[] = [];
    for (let k = 0; k <= T; k++) {
      got.push(opt.paramGroups[0]!.lr);
      sched.step();
    }
    const want = Array.from({ length: T + 1 }, (_, k) =>
      k < W ? 0.5 * (1 / W + ((1 - 1 / W) * k) / W) : 0.25 * (1 + Math.cos((Math.PI * (k - W)) / (T - W))),
    );
    expect(got).toEqual(want.map((v) => expect.closeTo(v, 9)));
    expect(() => warmupCosine(opt, { warmupSteps: 5, totalSteps: 5 })).toThrow(
      'warmupCosine: totalSteps must be an integer above warmupSteps (5), got 5',
    );
    model.dispose();
  });
});

describe('accumulatedStep', () => {
  it('two micro-batches weighted 3/5 and 2/5 give the gradient of the whole batch of 5', async () => {
    const x = tensor(
      Float32Array.from({ length: 15 }, (_, i) => Math.sin(i + 1)),
      { shape: [5, 3] },
    );
    const y = tensor(Int32Array.of(0, 1, 1, 0, 1), { dtype: 'int32' });
    const whole = new Linear(3, 2, { seed: 1 });
    crossEntropy(whole.forward(x), y).backward();
    const want = await whole.weight.grad!.data();

    const wholeLoss = (await crossEntropy(whole.forward(x), y).data())[0]!;
    const model = new Linear(3, 2, { seed: 1 });
    let captured: Float32Array | null = null;
    const optimizer = {
      zeroGrad: () => model.zeroGrad(),
      step: () => {
        captured = model.weight.grad!.dataSync() as Float32Array;
        return undefined;
      },
    };
    const [xa, xb] = x.split([3, 2]) as [typeof x, typeof x];
    const [ya, yb] = y.split([3, 2]) as [typeof y, typeof y];
    const before = memory().tensors;
    const loss = await accumulatedStep(model, optimizer, [
      { weight: 3 / 5, loss: () => crossEntropy(model.forward(xa), ya) },
      { weight: 2 / 5, loss: () => crossEntropy(model.forward(xb), yb) },
    ]);
    expect(Array.from(captured!)).toEqual(Array.from(want).map((v) => expect.closeTo(v, 6)));
    // only the gradients (kept on the parameters) outlive the step
    expect(memory().tensors - before).toBe(model.parameters().length);
    expect(loss).toBeCloseTo(wholeLoss, 5);
    await expect(accumulatedStep(model, optimizer, [])).rejects.toThrow('accumulatedStep: no micro-batches');
  });
});

describe('bucketedBatches', () => {
  it('covers every index once, batches of similar lengths, seeded', () => {
    const gen = () => new Generator(3);
    const lengths = Int32Array.from({ length: 1000 }, (_, i) => (i * 7919) % 40);
    const batches = bucketedBatches(lengths, 10, gen(), 8);
    const all = batches.flatMap((b) => Array.from(b)).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(batches.every((b) => b.length === 10)).toBe(true);
    // the spread of lengths inside a batch is far below the 0–39 of a random batch
    const spread = batches.map(
      (b) => Math.max(...Array.from(b, (i) => lengths[i]!)) - Math.min(...Array.from(b, (i) => lengths[i]!)),
    );
    expect(spread.reduce((s, v) => s + v, 0) / spread.length).toBeLessThan(8);
    expect(bucketedBatches(lengths, 10, gen(), 8).map((b) => Array.from(b))).toEqual(
      batches.map((b) => Array.from(b)),
    );
    expect(bucketedBatches(new Int32Array(0), 4, gen())).toEqual([]);
    expect(bucketedBatches(Int32Array.of(5), 4, gen()).map((b) => Array.from(b))).toEqual([[0]]);
    expect(() => bucketedBatches(lengths, 0, gen())).toThrow(
      'bucketedBatches: batchSize must be an integer ≥ 1, got 0',
    );
  });
});

describe('SelfAttention', () => {
  it('a mask of the wrong shape is named with the shape it must broadcast to', () => {
    const attn = new SelfAttention(8, { heads: 2, gen: new Generator(0) });
    const x = tensor(new Float32Array(2 * 3 * 8), { shape: [2, 3, 8] });
    const mask = tensor(new Uint8Array(4 * 4), { shape: [4, 4], dtype: 'bool' });
    expect(() => attn.forward(x, { mask })).toThrow(
      'scaledDotProductAttention: mask of shape [4,4] does not broadcast to (…, L, S) = [2,2,3,3]',
    );
    expect(() => new SelfAttention(8, { heads: 3 })).toThrow(
      'SelfAttention: 3 heads do not divide the width 8',
    );
    expect(() => new SelfAttention(6, { heads: 2, rotary: true })).toThrow(
      'SelfAttention: rotary positions need an even head size, got 3',
    );
    attn.dispose();
  });
});
