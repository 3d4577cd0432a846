import { memory, scope, type Tensor } from '@myelin/core';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { fit, type TrainEvent, tensorBatches } from '../src/index.js';
import { crossEntropy, PlainSgd, TinyMlp, xorData } from './helpers.js';

type Ev<T extends TrainEvent['type']> = Extract<TrainEvent, { type: T }>;

const weights = (m: TinyMlp) => [m.w1, m.b1, m.w2, m.b2].map((p) => Array.from(p.dataSync()));

/** Batches cut by hand with slice: the independent reference for the tensor form. */
function sliced(x: Tensor, y: Tensor, size: number, from: number, to: number): [Tensor, Tensor][] {
  const out: [Tensor, Tensor][] = [];
  for (let at = from; at < to; at += size) {
    const end = Math.min(to, at + size);
    out.push([x.slice([at, end]), y.slice([at, end])]);
  }
  return out;
}

describe('fit on tensors (x, y)', () => {
  it('without shuffling, trains exactly as hand-cut batches, and leaves the caller’s tensors as they were', async () => {
    const data = xorData(70, 21);
    const xBefore = Array.from(data.x.dataSync());
    const a = new TinyMlp(2, 8, 2, 3);
    const b = new TinyMlp(2, 8, 2, 3);
    const before = memory().tensors;
    const optA = new PlainSgd(a.parameters(), 0.3);
    await lastValueFrom(
      fit(a, {
        optimizer: optA,
        loss: crossEntropy,
        x: data.x,
        y: data.y,
        batchSize: 16,
        shuffle: false,
        epochs: 3,
      }),
    );
    optA.zeroGrad(); // the last step's gradients are the only tensors fit leaves
    expect(memory().tensors).toBe(before);
    const manual = sliced(data.x, data.y, 16, 0, 70);
    await lastValueFrom(
      fit(b, { optimizer: new PlainSgd(b.parameters(), 0.3), loss: crossEntropy, data: manual, epochs: 3 }),
    );
    expect(weights(a)).toEqual(weights(b));
    expect(data.x.isDisposed || data.y.isDisposed).toBe(false);
    expect(Array.from(data.x.dataSync())).toEqual(xBefore);
    for (const [x, y] of manual) scope(() => [x.dispose(), y.dispose()]);
    for (const m of [a, b]) m.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('validationSplit holds out the last samples (before shuffling) and validates on exactly them', async () => {
    const data = xorData(64, 22);
    const model = new TinyMlp(2, 8, 2, 4);
    const events = await lastValueFrom(
      fit(model, {
        optimizer: new PlainSgd(model.parameters(), 0.3),
        loss: crossEntropy,
        x: data.x,
        y: data.y,
        batchSize: 10,
        validationSplit: 0.25,
        epochs: 2,
        seed: 5,
      }).pipe(toArray()),
    );
    const ends = events.filter((e): e is Ev<'epochEnd'> => e.type === 'epochEnd');
    const vals = events.filter((e): e is Ev<'validation'> => e.type === 'validation');
    expect(ends.map((e) => e.samples)).toEqual([48, 48]);
    expect(vals.map((e) => e.samples)).toEqual([16, 16]);
    // The last validation is the final model's loss on rows 48–63, computed here directly.
    const direct = scope(
      () => crossEntropy(model.forward(data.x.slice([48, 64])), data.y.slice([48, 64])).dataSync()[0]!,
    );
    expect(vals[1]!.loss).toBeCloseTo(direct, 5);
    model.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('shuffled orders: every training row once per epoch, the same for the same seed, new each epoch', () => {
    const data = xorData(23, 23);
    const rows = (seed: number, epoch: number) => {
      const seen: number[] = [];
      for (const [x] of tensorBatches(data.x, data.y, { batchSize: 5, seed })(epoch) as Iterable<
        [Tensor, Tensor]
      >) {
        // Identify each row by its first feature (continuous random values: distinct).
        const v = x.dataSync();
        for (let i = 0; i < v.length; i += 2) seen.push(v[i]!);
        x.dispose();
      }
      return seen;
    };
    const firstFeature = Array.from(data.x.dataSync()).filter((_, i) => i % 2 === 0);
    const e0 = rows(7, 0);
    expect([...e0].sort()).toEqual([...firstFeature].sort());
    expect(rows(7, 0)).toEqual(e0);
    expect(rows(7, 1)).not.toEqual(e0);
    expect(rows(8, 0)).not.toEqual(e0);
    data.x.dispose();
    data.y.dispose();
  });

  it('says what is wrong with the tensor form', () => {
    const data = xorData(8, 24);
    const model = new TinyMlp(2, 4, 2);
    const opt = new PlainSgd(model.parameters(), 0.1);
    const base = { optimizer: opt, loss: crossEntropy };
    const y7 = data.y.slice([0, 7]);
    expect(() => fit(model, { ...base, x: data.x, y: y7 }).subscribe()).toThrow(
      'fit: x has 8 samples (first dim) but y has 7; they must match',
    );
    expect(() => fit(model, { ...base, x: data.x, y: data.y, data: [] }).subscribe()).toThrow(/not both/);
    expect(() => fit(model, { ...base }).subscribe()).toThrow(
      'fit: give data (batches) or x and y (tensors)',
    );
    expect(() => fit(model, { ...base, x: data.x, y: data.y, validationSplit: 1 }).subscribe()).toThrow(
      'fit: validationSplit must be in [0, 1), got 1',
    );
    expect(() => fit(model, { ...base, x: data.x, y: data.y, validationSplit: 0.05 }).subscribe()).toThrow(
      'fit: validationSplit 0.05 of 8 samples leaves no validation samples',
    );
    expect(() => fit(model, { ...base, x: data.x, y: data.y, batchSize: 0 }).subscribe()).toThrow(
      'tensorBatches: batchSize must be an integer ≥ 1, got 0',
    );
    expect(() => fit(model, { ...base, data: [], shuffle: true }).subscribe()).toThrow(
      /shuffle applies to x and y/,
    );
    y7.dispose();
    model.dispose();
    data.x.dispose();
    data.y.dispose();
  });
});
