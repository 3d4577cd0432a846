import { wasmBackend } from '@myelin/backend-wasm';
import { Generator, getBackend, grad, memory, scope, type Tensor, tensor, use } from '@myelin/core';
import { loadMnist } from '@myelin/data/node';
import { collectRun, metricOf, parseRecipeOptions } from '@myelin/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drawGlimpsePaths,
  glimpseSensor,
  type RamMnistOptions,
  RecurrentAttentionModel,
  ramMnist,
  recipes,
} from '../src/index.js';

/** A 28×28 image whose pixel (r, c) holds r·28 + c + 1. */
const SIZE = 28;
const host = Float32Array.from({ length: SIZE * SIZE }, (_, i) => i + 1);

/** The crop of rows/cols [r0, r0+side) × [c0, c0+side) read by hand, 0 outside the image. */
function crop(r0: number, c0: number, side: number): number[] {
  const out: number[] = [];
  for (let r = r0; r < r0 + side; r++)
    for (let c = c0; c < c0 + side; c++)
      out.push(r >= 0 && c >= 0 && r < SIZE && c < SIZE ? host[r * SIZE + c]! : 0);
  return out;
}

describe('glimpse sensor', () => {
  it('at l = 2c/W − 1 an 8×8 glimpse is the exact crop of pixels c−4 … c+3 (zeros outside)', async () => {
    const img = tensor(host, { shape: [1, 1, SIZE, SIZE] });
    // x = column 14 → l_x = 0; y = row 4 → l_y = 8/28 − 1; and the corner (0, 0) → l = (−1, −1).
    for (const [r, c] of [
      [4, 14],
      [0, 0],
    ] as const) {
      const l = tensor([[(2 * c) / SIZE - 1, (2 * r) / SIZE - 1]]);
      const g = scope(() => glimpseSensor(img, l, 8));
      expect(g.shape).toEqual([1, 1, 8, 8]);
      const v = await g.data();
      crop(r - 4, c - 4, 8).forEach((want, i) => {
        expect(v[i]).toBeCloseTo(want, 3);
      });
      g.dispose();
      l.dispose();
    }
    img.dispose();
  });

  it('a second scale is the 16×16 crop averaged over 2×2 blocks', async () => {
    const img = tensor(host, { shape: [1, 1, SIZE, SIZE] });
    const l = tensor([[0, 0]]);
    const g = scope(() => glimpseSensor(img, l, 4, 2));
    expect(g.shape).toEqual([1, 2, 4, 4]);
    const v = await g.data();
    const big = crop(10, 10, 8); // the 8×8 crop around the centre (pixels 10…17)
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) {
        const mean =
          (big[2 * i * 8 + 2 * j]! +
            big[2 * i * 8 + 2 * j + 1]! +
            big[(2 * i + 1) * 8 + 2 * j]! +
            big[(2 * i + 1) * 8 + 2 * j + 1]!) /
          4;
        expect(v[16 + i * 4 + j]).toBeCloseTo(mean, 3);
      }
    for (const t of [g, l, img]) t.dispose();
  });

  it('rejects bad shapes, naming the function', () => {
    const img = tensor(host, { shape: [1, 1, SIZE, SIZE] });
    const l = tensor([[0, 0, 0]]);
    expect(() => glimpseSensor(img, l, 8)).toThrow('glimpseSensor: locations must be [1, 2], got [1, 3]');
    expect(() => glimpseSensor(l, l, 8)).toThrow('glimpseSensor: images must be [batch, channels, H, W]');
    expect(() => new RecurrentAttentionModel({ glimpses: 0 })).toThrow(
      'RecurrentAttentionModel: glimpses must be a positive integer, got 0',
    );
    img.dispose();
    l.dispose();
  });
});

describe('recurrent attention model', () => {
  it('hybrid loss: its gradient on log π is −(R − b̄)/B, on the baselines 2(b − R)/(B·T)', async () => {
    const model = new RecurrentAttentionModel({
      glimpses: 2,
      patch: 4,
      hiddenSize: 8,
      glimpseHidden: 4,
      seed: 1,
    });
    // Two images, logits picking class 0 then 1; labels 0 and 0: rewards 1 and 0.
    const logits = tensor([
      [2, 0, 0],
      [0, 2, 0],
    ]);
    const labels = tensor(new Int32Array([0, 0]), { shape: [2], dtype: 'int32' });
    const logPi = tensor([-1, -2]);
    const baselines = tensor([
      [0.5, 0.25],
      [0.5, 0.75],
    ]);
    const locations = tensor(new Float32Array(8), { shape: [2, 2, 2] });
    const [dLogPi, dB] = grad(
      (lp: Tensor, b: Tensor) => model.hybridLoss({ logits, logPi: lp, baselines: b, locations }, labels),
      [0, 1],
    )(logPi, baselines) as Tensor[];
    // advantage per image: mean_t (R − b_t) = (0.5 + 0.75)/2 and (−0.5 − 0.75)/2
    const expectedLogPi = [-0.625 / 2, 0.625 / 2];
    (await dLogPi!.data()).forEach((v, i) => {
      expect(v).toBeCloseTo(expectedLogPi[i]!, 6);
    });
    const expectedB = [(2 * (0.5 - 1)) / 4, (2 * (0.25 - 1)) / 4, (2 * 0.5) / 4, (2 * 0.75) / 4];
    (await dB!.data()).forEach((v, i) => {
      expect(v).toBeCloseTo(expectedB[i]!, 6);
    });
    for (const t of [logits, labels, logPi, baselines, locations, dLogPi!, dB!]) t.dispose();
    model.dispose();
  });

  it('batch 1, a single glimpse: shapes, the first glimpse at the centre, sampled paths reproducible by seed', async () => {
    const model = new RecurrentAttentionModel({
      glimpses: 1,
      patch: 4,
      hiddenSize: 8,
      glimpseHidden: 4,
      seed: 2,
    });
    const img = tensor(
      host.map((v) => v / 784),
      { shape: [1, 1, SIZE, SIZE] },
    );
    const a = scope(() => model.forward(img));
    expect(a.logits.shape).toEqual([1, 10]);
    expect(a.baselines.shape).toEqual([1, 1]);
    expect(Array.from(await a.locations.data())).toEqual([0, 0]);
    const model6 = new RecurrentAttentionModel({
      glimpses: 3,
      patch: 4,
      hiddenSize: 8,
      glimpseHidden: 4,
      seed: 2,
    });
    const b = scope(() => model6.forward(img, { generator: new Generator(5) }));
    const c = scope(() => model6.forward(img, { generator: new Generator(5) }));
    expect(Array.from(await b.locations.data())).toEqual(Array.from(await c.locations.data()));
    expect(b.locations.shape).toEqual([1, 3, 2]);
    for (const o of [a, b, c]) for (const t of Object.values(o)) t.dispose();
    img.dispose();
    model.dispose();
    model6.dispose();
  });

  it('draws each glimpse box at the finest scale around its centre', () => {
    const px = new Float32Array(SIZE * SIZE);
    // l = (0, 0): centre between pixels 13 and 14, box pixels 10…17; zoom 1.
    const img = drawGlimpsePaths(px, new Float32Array([0, 0]), 1, SIZE, 1, 8, 1);
    const at = (c: number, y: number, x: number) => img[(c * SIZE + y) * SIZE + x]!;
    expect(at(0, 10, 10)).toBe(1); // red channel of the (only, so last) glimpse
    expect(at(0, 17, 17)).toBe(1);
    expect(at(0, 13, 13)).toBe(0); // inside the box, untouched
    expect(at(0, 9, 9)).toBe(0);
  });
});

describe('ram-mnist recipe', () => {
  let previous: ReturnType<typeof getBackend>;
  beforeAll(async () => {
    previous = getBackend();
    await use(wasmBackend());
  });
  afterAll(async () => {
    await use(previous);
  });

  it('is registered', () => {
    expect(recipes['ram-mnist']).toBe(ramMnist);
  });

  it('trains on 3,000 MNIST digits (2 epochs) to over 30% test accuracy (3× chance), memory-flat', async () => {
    const o = parseRecipeOptions(ramMnist.options, {
      epochs: process.env.RAM_EPOCHS ?? '2',
      limit: process.env.RAM_LIMIT ?? '3000',
      testLimit: '500',
      hiddenSize: '128',
      scales: process.env.RAM_SCALES ?? '1',
      lr: '0.003',
      samples: '4',
    }) as unknown as RamMnistOptions;
    const before = memory().tensors;
    const run = await collectRun(
      ramMnist.run({ ...o, data: { imageSet: (_name, split) => loadMnist({ split }) } }),
    );
    console.log(
      run.seconds,
      run.events.filter((e) => e.type === 'validation'),
    );
    expect(metricOf(run.events, 'test accuracy')!).toBeGreaterThan(0.3); // chance: 0.1
    expect(new Set(run.atEpochEnd).size).toBe(1);
    expect(memory().tensors).toBe(before);
  });
});
