import { memory } from '@myelin/core';
import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  csvLogger,
  earlyStopping,
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
    expect(counts()).toEqual(before);
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
    expect(counts()).toEqual(before);
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
    expect(csv[0]).toBe('epoch,loss,accuracy,val_loss,val_accuracy');
    expect(csv).toHaveLength(4);
    expect(csv[3]!.split(',')[0]).toBe('2');
    expect(jsonl).toHaveLength(6);
    expect(JSON.parse(jsonl[1]!)).toMatchObject({ type: 'validation', epoch: 0 });
    model.dispose();
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
