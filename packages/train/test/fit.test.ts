import { memory, randn, type Tensor, tensor } from '@myelin/core';
import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  csvLogger,
  earlyStopping,
  evaluate,
  fit,
  History,
  jsonlLogger,
  progressBar,
  type TrainEvent,
} from '../src/index.js';
import { batches, crossEntropy, PlainSgd, TinyMlp, xorData } from './helpers.js';

const counts = () => {
  const { tensors, handles, bytes } = memory();
  return { tensors, handles, bytes };
};

/**
 * Nothing grew since `before` (a leak of one tensor per step would add dozens). Counts may shrink:
 * the garbage collector can free, mid-run, tensors that an earlier test dropped outside any scope.
 */
function expectNoGrowth(before: ReturnType<typeof counts>, when = ''): void {
  const after = counts();
  expect(after.tensors, `tensors ${when}`).toBeLessThanOrEqual(before.tensors);
  expect(after.handles, `handles ${when}`).toBeLessThanOrEqual(before.handles);
  expect(after.bytes, `bytes ${when}`).toBeLessThanOrEqual(before.bytes);
}

describe('fit', () => {
  it('emits fitStart, epochStart, batchEnd…, epochEnd, validation per epoch, then fitEnd; the loss falls', async () => {
    const train = xorData(256, 1);
    const val = xorData(128, 2);
    const model = new TinyMlp(2, 16, 2);
    const events = await lastValueFrom(
      fit(model, {
        optimizer: new PlainSgd(model.parameters(), 0.5),
        loss: crossEntropy,
        data: batches(train, 32),
        validationData: batches(val, 64),
        epochs: 30,
        metrics: [accuracy()],
      }).pipe(toArray()),
    );
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('fitStart');
    expect(types[1]).toBe('epochStart');
    expect(types.slice(2, 10)).toEqual(new Array(8).fill('batchEnd'));
    expect(types[10]).toBe('epochEnd');
    expect(types[11]).toBe('validation');
    expect(types.at(-1)).toBe('fitEnd');
    expect(types.filter((t) => t === 'epochEnd')).toHaveLength(30);
    const epochs = events.filter(
      (e): e is Extract<TrainEvent, { type: 'epochEnd' }> => e.type === 'epochEnd',
    );
    expect(epochs.at(-1)!.loss).toBeLessThan(epochs[0]!.loss * 0.5);
    const lastVal = events
      .filter((e): e is Extract<TrainEvent, { type: 'validation' }> => e.type === 'validation')
      .at(-1)!;
    // XOR of signs is learnable by a 16-unit tanh layer: held-out accuracy well above chance.
    expect(lastVal.metrics.accuracy).toBeGreaterThan(0.9);
    expect(epochs[0]!.samples).toBe(256);
    model.dispose();
    for (const t of [train.x, train.y, val.x, val.y]) t.dispose();
  });

  it('memory stays flat over a training run', async () => {
    const data = xorData(64, 3);
    const model = new TinyMlp(2, 8, 2);
    const opt = new PlainSgd(model.parameters(), 0.1);
    // One warm-up epoch creates the gradients that persist between steps.
    await lastValueFrom(
      fit(model, { optimizer: opt, loss: crossEntropy, data: batches(data, 16), epochs: 1 }),
    );
    const before = counts();
    await lastValueFrom(
      fit(model, { optimizer: opt, loss: crossEntropy, data: batches(data, 16), epochs: 20 }),
    );
    expectNoGrowth(before);
    opt.zeroGrad();
    model.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('unsubscribing mid-epoch stops training between batches and leaks nothing', async () => {
    const data = xorData(320, 4);
    const model = new TinyMlp(2, 8, 2);
    const opt = new PlainSgd(model.parameters(), 0.1);
    const before = counts();
    let seen = 0;
    await new Promise<void>((resolve) => {
      const sub = fit(model, {
        optimizer: opt,
        loss: crossEntropy,
        data: batches(data, 32),
        epochs: 5,
      }).subscribe((e) => {
        if (e.type !== 'batchEnd') return;
        seen++;
        if (seen === 3) {
          sub.unsubscribe();
          setTimeout(resolve, 20);
        }
      });
    });
    expect(seen).toBe(3);
    opt.zeroGrad();
    expectNoGrowth(before);
    model.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('take(n) on the stream also stops training', async () => {
    const data = xorData(64, 5);
    const model = new TinyMlp(2, 4, 2);
    const evs = await lastValueFrom(
      fit(model, {
        optimizer: new PlainSgd(model.parameters(), 0.1),
        loss: crossEntropy,
        data: batches(data, 8),
        epochs: 3,
      }).pipe(take(4), toArray()),
    );
    expect(evs.map((e) => e.type)).toEqual(['fitStart', 'epochStart', 'batchEnd', 'batchEnd']);
    model.dispose();
  });

  it('a non-finite loss ends the stream with an error event and an error', async () => {
    const data = xorData(32, 6);
    const model = new TinyMlp(2, 4, 2);
    const seen: string[] = [];
    await expect(
      lastValueFrom(
        fit(model, {
          optimizer: new PlainSgd(model.parameters(), 0.1),
          loss: (p) => p.sum().log().mul(0).add(Number.NaN),
          data: batches(data, 8),
        }).pipe(progressBar({ stream: { write: (s) => seen.push(s) }, tty: false })),
      ),
    ).rejects.toThrow(/loss became NaN at epoch 0, batch 0/);
    expect(seen.join('')).toMatch(/training failed: fit: the loss became NaN/);
    model.dispose();
  });
});

describe('fit: who owns the batches, and failures', () => {
  it("tensors passed in an array stay the caller's: three epochs over data: [[x, y]] work and keep x, y", async () => {
    const { x, y } = xorData(16, 20);
    const model = new TinyMlp(2, 4, 2);
    const before = counts().tensors;
    const evs = await lastValueFrom(
      fit(model, {
        optimizer: new PlainSgd(model.parameters(), 0.1),
        loss: crossEntropy,
        data: [[x, y]],
        validationData: [{ x, y }],
        epochs: 3,
        metrics: [accuracy()],
      }).pipe(toArray()),
    );
    expect(evs.filter((e) => e.type === 'validation')).toHaveLength(3);
    expect(x.isDisposed || y.isDisposed).toBe(false);
    model.zeroGrad();
    expect(counts().tensors).toBe(before);
    // A re-iterable that is not an array hands its batches over; reusing them says what happened.
    const x2 = x.add(0);
    const y2 = y.add(0);
    const reused = await lastValueFrom(
      fit(model, {
        optimizer: new PlainSgd(model.parameters(), 0.1),
        loss: crossEntropy,
        data: new Set([[x2, y2] as const]),
        epochs: 2,
      }),
    ).catch((e: Error) => e.message);
    expect(reused).toMatch(
      /^fit \(epoch 1, batch 0\): the batch holds a disposed tensor\. .* pass the batches as an array, or set disposeBatches: false$/,
    );
    model.dispose();
    x.dispose();
    y.dispose();
  });

  it('a malformed batch gets an error that says what a batch must be and what it got', async () => {
    const x = tensor([[1, 2]]);
    const y = tensor([0], { dtype: 'int32' });
    const bad: unknown[] = [
      [x],
      [x, y, x],
      [],
      { x },
      { y },
      { inputs: x, targets: y },
      [x, [0]],
      [1, 2],
      null,
      7,
      'xy',
    ];
    const model = new TinyMlp(2, 2, 2);
    for (const b of bad) {
      const err = await lastValueFrom(
        fit(model, {
          optimizer: new PlainSgd(model.parameters(), 0.1),
          loss: crossEntropy,
          data: [b] as never,
        }),
      ).catch((e: Error) => e);
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message).toMatch(
        /^fit \(epoch 0, batch 0\): a batch must be \[x, y\] or \{ x, y \} with two tensors \(inputs and targets\), got /,
      );
    }
    const one = await lastValueFrom(
      fit(model, {
        optimizer: new PlainSgd(model.parameters(), 0.1),
        loss: crossEntropy,
        data: [[x]] as never,
      }),
    ).catch((e: Error) => e.message);
    expect(one).toMatch(/got an array of 1 \(a tensor \[1,2\]\)$/);
    model.dispose();
    x.dispose();
    y.dispose();
  });

  it('when forward or the loss throws, the batch the loader made is freed (memory() is flat)', async () => {
    const data = xorData(32, 21);
    const model = new TinyMlp(2, 4, 2);
    const opt = new PlainSgd(model.parameters(), 0.1);
    // Gradients persist between steps; compare with them cleared.
    const before = counts();
    // Each failure first allocates (exp), so a leak would show in memory().
    const boom = (what: string, t: Tensor): never => {
      t.exp();
      throw new Error(`${what} failed`);
    };
    for (const what of ['forward', 'loss', 'loss shape']) {
      for (const failAt of [0, 2]) {
        let batch = -1;
        const err = await lastValueFrom(
          fit(model, {
            optimizer: opt,
            data: batches(data, 8),
            epochs: 2,
            forward: (m, x) => {
              const out = m.forward(x);
              return ++batch === failAt && what === 'forward' ? boom(what, out) : out;
            },
            loss: (p, t) => {
              if (batch !== failAt || what === 'forward') return crossEntropy(p, t);
              return what === 'loss' ? boom(what, p) : p.exp();
            },
          }),
        ).catch((e: Error) => e);
        expect([what, failAt, err instanceof Error]).toEqual([what, failAt, true]);
        opt.zeroGrad();
        expectNoGrowth(before, `${what} failing at batch ${failAt}`);
      }
    }
    opt.zeroGrad();
    model.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('unsubscribing during validation stops it between batches', async () => {
    const data = xorData(16, 22);
    const model = new TinyMlp(2, 4, 2);
    const opt = new PlainSgd(model.parameters(), 0.1);
    let pulled = 0;
    const sub = { current: null as { unsubscribe(): void } | null };
    const validation = {
      *[Symbol.iterator]() {
        for (let i = 0; i < 50; i++) {
          pulled++;
          if (i === 1) sub.current!.unsubscribe();
          yield [randn([4, 2], { seed: i }), tensor([0, 1, 0, 1], { dtype: 'int32' })] as [Tensor, Tensor];
        }
      },
    };
    const before = counts();
    await new Promise<void>((resolve) => {
      sub.current = fit(model, {
        optimizer: opt,
        loss: crossEntropy,
        data: batches(data, 8),
        validationData: validation,
        epochs: 3,
      }).subscribe();
      setTimeout(resolve, 200);
    });
    expect(pulled).toBeLessThanOrEqual(3);
    opt.zeroGrad();
    expectNoGrowth(before);
    model.dispose();
    data.x.dispose();
    data.y.dispose();
  });
});

describe('callbacks', () => {
  it('earlyStopping stops after `patience` epochs without improvement and restores the best weights', async () => {
    const data = xorData(64, 7);
    const model = new TinyMlp(2, 4, 2);
    const history = new History();
    // A huge learning rate makes the validation loss get worse after the first epoch.
    const weightsAtValidation: number[][] = [];
    const last = await lastValueFrom(
      fit(model, {
        optimizer: new PlainSgd(model.parameters(), 50),
        loss: crossEntropy,
        data: batches(data, 64),
        validationData: batches(data, 64),
        epochs: 50,
      }).pipe(
        tap((e) => {
          if (e.type === 'validation') weightsAtValidation.push(Array.from(model.w1.dataSync()));
        }),
        earlyStopping({ monitor: 'valLoss', patience: 2, restoreBestWeights: model }),
        history.track(),
      ),
    );
    expect(last.type).toBe('stopped');
    const vals = history.validation.map((v) => v.loss);
    const bestEpoch = vals.indexOf(Math.min(...vals));
    expect(vals.length).toBe(bestEpoch + 1 + 3);
    expect(history.stopped).toMatch(/early stopping: valLoss did not improve/);
    expect(bestEpoch).toBeLessThan(vals.length - 1);
    expect(Array.from(model.w1.dataSync())).toEqual(weightsAtValidation[bestEpoch]);
    model.dispose();
  });

  it('progressBar prints a summary line per epoch when stdout is not a TTY', async () => {
    const data = xorData(32, 8);
    const model = new TinyMlp(2, 4, 2);
    const out: string[] = [];
    await lastValueFrom(
      fit(model, {
        optimizer: new PlainSgd(model.parameters(), 0.1),
        loss: crossEntropy,
        data: batches(data, 16),
        validationData: batches(data, 16),
        epochs: 2,
        metrics: [accuracy()],
      }).pipe(progressBar({ stream: { write: (s) => out.push(s) }, tty: false })),
    );
    const text = out.join('');
    expect(text.match(/^epoch \d\/2 loss [\d.]+ accuracy [\d.]+ \d+ samples\/s \d+:\d\d$/gm)).toHaveLength(2);
    expect(text).toMatch(/validation loss [\d.]+ accuracy/);
    expect(text).toMatch(/done: 2 epoch\(s\)/);
    expect(text).not.toContain('\r');
    model.dispose();
  });

  it('progressBar draws a bar with ETA on a TTY', async () => {
    const data = xorData(64, 9);
    const model = new TinyMlp(2, 4, 2);
    const out: string[] = [];
    await lastValueFrom(
      fit(model, {
        optimizer: new PlainSgd(model.parameters(), 0.1),
        loss: crossEntropy,
        data: batches(data, 16),
        epochs: 1,
      }).pipe(
        progressBar({ stream: { write: (s) => out.push(s), isTTY: true, columns: 200 }, intervalMs: 0 }),
      ),
    );
    expect(out.some((s) => /\[=*>? *\] 4\/4 loss [\d.]+ \d+ samples\/s ETA \d+:\d\d/.test(s))).toBe(true);
    model.dispose();
  });

  it('csvLogger and jsonlLogger write one record per epoch with validation values merged', async () => {
    const data = xorData(32, 10);
    const model = new TinyMlp(2, 4, 2);
    const csv: string[] = [];
    const jsonl: string[] = [];
    await lastValueFrom(
      fit(model, {
        optimizer: new PlainSgd(model.parameters(), 0.1),
        loss: crossEntropy,
        data: batches(data, 16),
        validationData: batches(data, 16),
        epochs: 3,
        metrics: [accuracy()],
      }).pipe(
        csvLogger((l) => csv.push(l)),
        jsonlLogger((l) => jsonl.push(l)),
      ),
    );
    expect(csv[0]).toBe('epoch,loss,accuracy,valLoss,valAccuracy');
    expect(csv).toHaveLength(4);
    expect(csv[3]!.split(',')[0]).toBe('2');
    expect(jsonl).toHaveLength(6);
    expect(JSON.parse(jsonl[1]!)).toMatchObject({ type: 'validation', epoch: 0 });
    expect(Object.keys(JSON.parse(jsonl[1]!))).toEqual(['type', 'epoch', 'valLoss', 'valAccuracy']);
    model.dispose();
  });

  it("a CSV column name is a monitor name, Keras's val_ spelling monitors the same value, and the row of the epoch earlyStopping ends on is written", async () => {
    for (const monitor of ['valAccuracy', 'val_accuracy']) {
      const data = xorData(32, 11);
      const model = new TinyMlp(2, 4, 2);
      const csv: string[] = [];
      const history = new History();
      await lastValueFrom(
        fit(model, {
          optimizer: new PlainSgd(model.parameters(), 0.1),
          loss: crossEntropy,
          data: batches(data, 16),
          validationData: batches(data, 16),
          epochs: 6,
          metrics: [accuracy()],
        }).pipe(
          csvLogger((l) => csv.push(l)),
          earlyStopping({ monitor, patience: 1 }),
          history.track(),
        ),
      );
      const column = csv[0]!.split(',').indexOf('valAccuracy');
      const read = csv.slice(1).map((row) => Number(row.split(',')[column]));
      expect(read).toEqual(history.validation.map((v) => Number(String(v.metrics.accuracy))));
      expect(read).toHaveLength(history.validation.length);
      // Stopped (or ran out of epochs) when the CSV's column had not improved for patience + 1 epochs.
      const best = read.indexOf(Math.max(...read));
      expect(read.length).toBe(Math.min(6, best + 3));
      model.dispose();
    }
  });
});

describe('evaluate', () => {
  it('reports a loss only when given a loss function', async () => {
    const data = xorData(32, 12);
    const model = new TinyMlp(2, 4, 2);
    const withoutLoss = await evaluate(model, batches(data, 16), { metrics: [accuracy()] });
    expect(Object.keys(withoutLoss).sort()).toEqual(['metrics', 'samples']);
    expect(withoutLoss.samples).toBe(32);
    const withLoss = await evaluate(model, batches(data, 16), { loss: crossEntropy });
    // The loss of the whole set equals crossEntropy over all 32 samples at once.
    const whole = crossEntropy(model.forward(data.x), data.y);
    expect(withLoss.loss).toBeCloseTo(whole.dataSync()[0]!, 5);
    whole.dispose();
    model.dispose();
    data.x.dispose();
    data.y.dispose();
  });
});

describe('lrScheduler and checkpoints with optimizer state', () => {
  it('steps the scheduler once per epoch, or with the monitored value', async () => {
    const { lrScheduler } = await import('../src/index.js');
    const data = xorData(32, 13);
    const model = new TinyMlp(2, 4, 2);
    const calls: (number | undefined)[] = [];
    const scheduler = { step: (m?: number) => calls.push(m) };
    await lastValueFrom(
      fit(model, {
        optimizer: new PlainSgd(model.parameters(), 0.1),
        loss: crossEntropy,
        data: batches(data, 8),
        epochs: 3,
      }).pipe(lrScheduler(scheduler)),
    );
    expect(calls).toEqual([undefined, undefined, undefined]);
    const seen: number[] = [];
    await lastValueFrom(
      fit(model, {
        optimizer: new PlainSgd(model.parameters(), 0.1),
        loss: crossEntropy,
        data: batches(data, 8),
        epochs: 2,
      }).pipe(
        tap((e) => {
          if (e.type === 'epochEnd') seen.push(e.loss);
        }),
        lrScheduler({ step: (m?: number) => calls.push(m) }, { monitor: 'loss' }),
      ),
    );
    expect(calls.slice(3)).toEqual(seen);
    model.dispose();
  });
});
