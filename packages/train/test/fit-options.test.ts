import { Module, memory, Parameter, scope, type Tensor, tensor } from '@myelin/core';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type FitBatchEndEvent, type FitStartEvent, fit, type TrainEvent } from '../src/index.js';
import { batches, PlainSgd, TinyMlp, xorData } from './helpers.js';

const weights = (m: Module) => m.parameters().map((p) => Array.from(p.dataSync()));

/** Mean squared error against the one-hot of the integer target: a mean-reduced loss. */
function mse(pred: Tensor, target: Tensor): Tensor {
  const oneHot = target
    .reshape([-1, 1])
    .equal(tensor([0, 1], { dtype: 'int32' }))
    .cast('float32');
  return pred.sub(oneHot).square().mean();
}

/** An optimizer that counts its steps. */
class CountingSgd extends PlainSgd {
  steps = 0;
  override step(): void {
    this.steps++;
    super.step();
  }
}

async function train(
  model: Module,
  data: { x: Tensor; y: Tensor },
  batchSize: number,
  options: Record<string, unknown> = {},
  epochs = 1,
): Promise<{ events: TrainEvent[]; opt: CountingSgd }> {
  const opt = new CountingSgd(model.parameters(), 0.5);
  const events = await lastValueFrom(
    fit(model as TinyMlp, {
      optimizer: opt,
      loss: mse,
      data: batches(data, batchSize),
      epochs,
      ...options,
    }).pipe(toArray()),
  );
  opt.zeroGrad();
  return { events, opt };
}

function expectWeightsClose(a: number[][], b: number[][], digits = 5): void {
  a.forEach((t, i) => {
    for (const [j, e] of t.entries()) expect(e).toBeCloseTo(b[i]![j]!, digits);
  });
}

describe('fit: accumulateGradients', () => {
  it('4 batches of 8 step exactly as one batch of 32 (mean-reduced loss), over 3 epochs', async () => {
    const data = xorData(32, 1);
    const big = new TinyMlp(2, 6, 2, 7);
    const small = new TinyMlp(2, 6, 2, 7);
    const a = await train(big, data, 32, {}, 3);
    const b = await train(small, data, 8, { accumulateGradients: 4 }, 3);
    expect(a.opt.steps).toBe(3);
    expect(b.opt.steps).toBe(3);
    expectWeightsClose(weights(small), weights(big));
    // and differs from stepping after every batch of 8
    const each = new TinyMlp(2, 6, 2, 7);
    await train(each, data, 8, {}, 3);
    expect(weights(each)[0]![0]).not.toBeCloseTo(weights(big)[0]![0]!, 3);
    for (const m of [big, small, each]) m.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('the last partial group steps too, on the batches it has (40 samples, batches of 8, k = 3)', async () => {
    const data = xorData(40, 2);
    const grouped = new TinyMlp(2, 5, 2, 3);
    const reference = new TinyMlp(2, 5, 2, 3);
    const { events, opt } = await train(grouped, data, 8, { accumulateGradients: 3 }, 2);
    expect(opt.steps).toBe(4); // groups of 3 + 2 batches, each epoch
    // the reference: one batch of the group's 24 samples, then one of its 16
    const refOpt = new PlainSgd(reference.parameters(), 0.5);
    const cut = (from: number, to: number): [Tensor, Tensor] => [
      data.x.slice([from, to]),
      data.y.slice([from, to]),
    ];
    const ref = [cut(0, 24), cut(24, 40)];
    await lastValueFrom(fit(reference, { optimizer: refOpt, loss: mse, data: ref, epochs: 2 }));
    refOpt.zeroGrad();
    expectWeightsClose(weights(grouped), weights(reference));
    const ends = events.filter((e): e is FitBatchEndEvent => e.type === 'batchEnd');
    expect(ends.map((e) => e.optimizerStep)).toEqual([
      false,
      false,
      true,
      false,
      true,
      false,
      false,
      true,
      false,
      true,
    ]);
    expect(ends.map((e) => e.accumulated)).toEqual([1, 2, 3, 1, 2, 1, 2, 3, 1, 2]);
    const start = events[0] as FitStartEvent;
    expect(start.gradients).toEqual({ accumulateGradients: 3, clipGradNorm: null, clipGradValue: null });
    for (const [x, y] of ref) scope(() => [x.dispose(), y.dispose()]);
    for (const m of [grouped, reference]) m.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('weights unequal batches by their samples: batches 8, 8, 8, 8, 4 with k = 5 equal one batch of 36', async () => {
    const data = xorData(36, 3);
    const big = new TinyMlp(2, 4, 2, 9);
    const grouped = new TinyMlp(2, 4, 2, 9);
    await train(big, data, 36);
    const { opt } = await train(grouped, data, 8, { accumulateGradients: 5 });
    expect(opt.steps).toBe(1);
    expectWeightsClose(weights(grouped), weights(big));
    for (const m of [big, grouped]) m.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('a group larger than the epoch (k = 10, 3 batches) steps once, at the end; batch 1 works', async () => {
    const data = xorData(3, 4);
    const big = new TinyMlp(2, 4, 2, 2);
    const grouped = new TinyMlp(2, 4, 2, 2);
    await train(big, data, 3);
    const { opt } = await train(grouped, data, 1, { accumulateGradients: 10 });
    expect(opt.steps).toBe(1);
    expectWeightsClose(weights(grouped), weights(big));
    for (const m of [big, grouped]) m.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('memory stays flat across epochs, and when unsubscribed in the middle of a group', async () => {
    const data = xorData(48, 5);
    const model = new TinyMlp(2, 4, 2, 1);
    await train(model, data, 8, { accumulateGradients: 4, clipGradNorm: 1 }, 1);
    const before = memory().tensors;
    await train(model, data, 8, { accumulateGradients: 4, clipGradNorm: 1 }, 4);
    expect(memory().tensors).toBe(before);
    const opt = new PlainSgd(model.parameters(), 0.1);
    let seen = 0;
    await new Promise<void>((resolve) => {
      const sub = fit(model, {
        optimizer: opt,
        loss: mse,
        data: batches(data, 8),
        epochs: 3,
        accumulateGradients: 4,
      }).subscribe((e) => {
        if (e.type !== 'batchEnd') return;
        seen++;
        if (seen === 2) {
          sub.unsubscribe();
          setTimeout(resolve, 20);
        }
      });
    });
    expect(seen).toBe(2);
    opt.zeroGrad();
    expect(memory().tensors).toBe(before);
    model.dispose();
    data.x.dispose();
    data.y.dispose();
  });
});

/** w [3]: the prediction of a row x is x·w, so with one sample the gradient of the mean is x. */
class Dot extends Module {
  w: Parameter;
  constructor(init: number[]) {
    super();
    this.w = scope(() => new Parameter(tensor(init)));
  }
  forward(x: Tensor): Tensor {
    return x.matmul(this.w);
  }
}

/** One step of plain SGD (lr 1) on the single sample x = [3, 4, 0] (gradient [3, 4, 0]). */
async function oneStep(options: Record<string, unknown>): Promise<{ w: number[]; end: FitBatchEndEvent }> {
  const model = new Dot([1, 1, 1]);
  const opt = new PlainSgd(model.parameters(), 1);
  const x = tensor([3, 4, 0], { shape: [1, 3] });
  const y = tensor([0]);
  const events = await lastValueFrom(
    fit(model, { optimizer: opt, loss: (p) => p.mean(), data: [[x, y]], ...options }).pipe(toArray()),
  );
  const w = Array.from(model.w.dataSync());
  opt.zeroGrad();
  model.dispose();
  x.dispose();
  y.dispose();
  return { w, end: events.find((e): e is FitBatchEndEvent => e.type === 'batchEnd')! };
}

describe('fit: clipGradNorm and clipGradValue (closed forms)', () => {
  it('clipGradNorm 1 scales the gradient [3, 4, 0] by 1/(5 + 1e-6), as clip_grad_norm_, and reports the norm 5', async () => {
    const { w, end } = await oneStep({ clipGradNorm: 1 });
    const c = 1 / (5 + 1e-6);
    expect(w[0]).toBeCloseTo(1 - 3 * c, 6);
    expect(w[1]).toBeCloseTo(1 - 4 * c, 6);
    expect(w[2]).toBe(1);
    expect(end.gradNorm).toBeCloseTo(5, 5);
    expect(end.optimizerStep).toBe(true);
  });

  it("normType 1 and 'inf' use the 1-norm 7 and the max-norm 4", async () => {
    const one = await oneStep({ clipGradNorm: { maxNorm: 2, normType: 1 } });
    expect(one.end.gradNorm).toBeCloseTo(7, 5);
    expect(one.w[1]).toBeCloseTo(1 - (4 * 2) / (7 + 1e-6), 6);
    const inf = await oneStep({ clipGradNorm: { maxNorm: 2, normType: 'inf' } });
    expect(inf.end.gradNorm).toBeCloseTo(4, 5);
    expect(inf.w[0]).toBeCloseTo(1 - (3 * 2) / (4 + 1e-6), 6);
  });

  it('a max norm above the gradient norm leaves it unchanged', async () => {
    const { w, end } = await oneStep({ clipGradNorm: 10 });
    expect(w).toEqual([-2, -3, 1]);
    expect(end.gradNorm).toBeCloseTo(5, 5);
  });

  it('clipGradValue 2 clamps [3, 4, 0] to [2, 2, 0]; with clipGradNorm too, values are clamped first', async () => {
    const v = await oneStep({ clipGradValue: 2 });
    expect(v.w).toEqual([-1, -1, 1]);
    expect(v.end.gradNorm).toBeUndefined();
    const both = await oneStep({ clipGradValue: 2, clipGradNorm: 1 });
    const c = 1 / (2 * Math.SQRT2 + 1e-6);
    expect(both.w[0]).toBeCloseTo(1 - 2 * c, 6);
    expect(both.w[1]).toBeCloseTo(1 - 2 * c, 6);
    expect(both.end.gradNorm).toBeCloseTo(2 * Math.SQRT2, 5);
  });

  it('the settings are recorded on fitStart', async () => {
    const model = new Dot([0, 0, 0]);
    const x = tensor([1, 1, 1], { shape: [1, 3] });
    const y = tensor([0]);
    const opt = new PlainSgd(model.parameters(), 1);
    const events = await lastValueFrom(
      fit(model, {
        optimizer: opt,
        loss: (p) => p.mean(),
        data: [[x, y]],
        clipGradNorm: { maxNorm: 0.5, normType: 'inf' },
        clipGradValue: 3,
      }).pipe(toArray()),
    );
    expect((events[0] as FitStartEvent).gradients).toEqual({
      accumulateGradients: 1,
      clipGradNorm: { maxNorm: 0.5, normType: Infinity },
      clipGradValue: 3,
    });
    opt.zeroGrad();
    model.dispose();
    x.dispose();
    y.dispose();
  });
});

describe('fit: afterStep', () => {
  it('runs after every optimizer step (once per group) with the updated model', async () => {
    const data = xorData(24, 6);
    const model = new TinyMlp(2, 4, 2, 5);
    const seen: number[] = [];
    const clampW1 = (m: TinyMlp) => {
      seen.push(m.w1.dataSync()[0]!);
      m.w1.assign(m.w1.clip(-0.05, 0.05));
    };
    const { opt } = await train(model, data, 8, { accumulateGradients: 2, afterStep: clampW1 }, 2);
    expect(opt.steps).toBe(4);
    expect(seen.length).toBe(4);
    for (const e of model.w1.dataSync()) expect(Math.abs(e)).toBeLessThanOrEqual(0.05 + 1e-7);
    model.dispose();
    data.x.dispose();
    data.y.dispose();
  });
});

describe('fit: bad gradient options are refused', () => {
  const model = new Dot([0, 0, 0]);
  const base = { optimizer: new PlainSgd(model.parameters(), 1), loss: (p: Tensor) => p.mean(), data: [] };
  for (const [opts, msg] of [
    [{ accumulateGradients: 0 }, /fit: accumulateGradients must be an integer ≥ 1, got 0/],
    [{ accumulateGradients: 1.5 }, /fit: accumulateGradients must be an integer ≥ 1, got 1.5/],
    [{ clipGradNorm: -1 }, /fit: clipGradNorm's maxNorm must be ≥ 0, got -1/],
    [
      { clipGradNorm: { maxNorm: 1, normType: 0 } },
      /fit: clipGradNorm's normType must be > 0 or 'inf', got 0/,
    ],
    [{ clipGradValue: -0.5 }, /fit: clipGradValue must be ≥ 0, got -0.5/],
  ] as const) {
    it(`${JSON.stringify(opts)}`, () => {
      expect(() => fit(model, { ...base, ...opts })).toThrow(msg);
    });
  }
});
