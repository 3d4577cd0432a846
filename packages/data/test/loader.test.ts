import { arange, memory, randn, scope, type Tensor, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  collate,
  DataLoader,
  disposeTensors,
  fromArray,
  fromIterable,
  fromTensors,
  weightedRandomSampler,
} from '../src/index.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const live = () => memory().tensors;

/** x[i] = [i, i + 0.5] (float32), y[i] = i (int32): a batch's rows name the indices they came from. */
function indexedTensors(n: number): { x: Tensor; y: Tensor } {
  const xs = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    xs[2 * i] = i;
    xs[2 * i + 1] = i + 0.5;
  }
  return { x: tensor(xs, { shape: [n, 2] }), y: arange(n) };
}

async function epochLabels(loader: DataLoader<unknown, { x: Tensor; y: Tensor }>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const b of loader) {
    out.push(Array.from(b.y.dataSync()));
    disposeTensors(b);
  }
  return out;
}

describe('collate', () => {
  it('stacks tensors, turns numbers into int32 or float32, recurses into objects and arrays', () => {
    const b = collate([
      { x: tensor([1, 2]), label: 3, w: 0.5, ok: true, name: 'a', pair: [1, tensor([9])] as const },
      { x: tensor([3, 4]), label: 4, w: 1, ok: false, name: 'b', pair: [2, tensor([8])] as const },
    ]);
    expect(b.x.shape).toEqual([2, 2]);
    expect(Array.from(b.x.dataSync())).toEqual([1, 2, 3, 4]);
    expect(b.label.dtype).toBe('int32');
    expect(b.w.dtype).toBe('float32');
    expect(Array.from(b.w.dataSync())).toEqual([0.5, 1]);
    expect(b.ok.dtype).toBe('bool');
    expect(b.name).toEqual(['a', 'b']);
    expect(Array.from(b.pair[0].dataSync())).toEqual([1, 2]);
    expect(b.pair[1].shape).toEqual([2, 1]);
    disposeTensors(b);
  });

  it('typed arrays become [N, length] rows; mismatches are named', () => {
    const t = collate([new Float32Array([1, 2, 3]), new Float32Array([4, 5, 6])]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    t.dispose();
    const u = collate([new Uint8Array([1, 2]), new Uint8Array([3, 4])]);
    expect(u.dtype).toBe('int32');
    u.dispose();
    expect(() => collate([{ x: tensor([1]) }, { x: tensor([1, 2]) }])).toThrow(
      /stack: tensor 1 has shape \[2\]/,
    );
    expect(() => collate([{ a: 1 }, { b: 2 }] as { a?: number; b?: number }[])).toThrow(
      /batch\[1\] has no key 'a'/,
    );
  });
});

describe('DataLoader', () => {
  it('batches tensors with the right shapes and dtypes; length and dropLast', async () => {
    const { x, y } = indexedTensors(10);
    const loader = new DataLoader(fromTensors({ x, y }), { batchSize: 4 });
    expect(loader.length).toBe(3);
    const shapes: number[][] = [];
    for await (const b of loader) {
      expect(b.x.dtype).toBe('float32');
      expect(b.y.dtype).toBe('int32');
      shapes.push([...b.x.shape], [...b.y.shape]);
      disposeTensors(b);
    }
    expect(shapes).toEqual([[4, 2], [4], [4, 2], [4], [2, 2], [2]]);
    const dropping = new DataLoader(fromTensors({ x, y }), { batchSize: 4, dropLast: true });
    expect(dropping.length).toBe(2);
    expect(await epochLabels(dropping)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    x.dispose();
    y.dispose();
  });

  it('shuffles a fresh order each epoch, reproducibly from the seed', async () => {
    const { x, y } = indexedTensors(32);
    const make = (seed: number) =>
      new DataLoader(fromTensors({ x, y }), { batchSize: 8, shuffle: true, seed });
    const a = make(11);
    const e0 = (await epochLabels(a)).flat();
    const e1 = (await epochLabels(a)).flat();
    expect([...e0].sort((p, q) => p - q)).toEqual(range(32));
    expect([...e1].sort((p, q) => p - q)).toEqual(range(32));
    expect(e0).not.toEqual(range(32));
    expect(e1).not.toEqual(e0);
    const b = make(11);
    expect((await epochLabels(b)).flat()).toEqual(e0);
    expect((await epochLabels(b)).flat()).toEqual(e1);
    expect(Array.from(a.order(1))).toEqual(e1);
    // setEpoch replays an epoch on its own (resuming a run).
    const c = make(11);
    c.setEpoch(1);
    expect((await epochLabels(c)).flat()).toEqual(e1);
    expect((await epochLabels(make(12))).flat()).not.toEqual(e0);
    x.dispose();
    y.dispose();
  });

  it('the gather fast path (getBatch) and per-element collate give the same batches', async () => {
    const { x, y } = indexedTensors(9);
    const fast = new DataLoader(fromTensors({ x, y }), { batchSize: 4, shuffle: true, seed: 3 });
    const slow = new DataLoader(
      fromTensors({ x, y }).map((e) => e),
      { batchSize: 4, shuffle: true, seed: 3 },
    );
    const fx: number[][] = [];
    const sx: number[][] = [];
    for await (const b of fast) {
      fx.push(Array.from(b.x.dataSync()));
      disposeTensors(b);
    }
    for await (const b of slow) {
      sx.push(Array.from(b.x.dataSync()));
      disposeTensors(b);
    }
    expect(sx).toEqual(fx);
    x.dispose();
    y.dispose();
  });

  it('reads streaming datasets in order, with a custom collate', async () => {
    const ds = fromIterable(function* () {
      for (let i = 0; i < 5; i++) yield { v: i };
    });
    const loader = new DataLoader(ds, { batchSize: 2, collate: (items) => items.map((it) => it.v) });
    const out: number[][] = [];
    for await (const b of loader) out.push(b);
    expect(out).toEqual([[0, 1], [2, 3], [4]]);
    expect(() => new DataLoader(ds, { shuffle: true })).toThrow(/shuffle needs a random-access dataset/);
  });

  it('collates numbers and plain objects from fromArray', async () => {
    const ds = fromArray(range(6).map((i) => ({ features: new Float32Array([i, -i]), label: i % 3 })));
    const loader = new DataLoader(ds, { batchSize: 3 });
    const batches: { features: number[]; label: number[] }[] = [];
    for await (const b of loader) {
      expect(b.features.shape).toEqual([3, 2]);
      expect(b.label.dtype).toBe('int32');
      batches.push({ features: Array.from(b.features.dataSync()), label: Array.from(b.label.dataSync()) });
      disposeTensors(b);
    }
    expect(batches[1]).toEqual({ features: [3, -3, 4, -4, 5, -5], label: [0, 1, 2] });
  });

  it('prefetch builds the next batch while the consumer works (~max, not ~sum, of the two times)', async () => {
    const ms = 40;
    const batches = 8;
    // Each element takes `ms` to load (async, like a file read); a batch's two loads run together.
    const ds = fromArray(range(2 * batches)).map(async (v) => {
      await sleep(ms);
      return v;
    });
    const time = async (prefetch: number) => {
      const loader = new DataLoader(ds, { batchSize: 2, prefetch });
      const seen: number[] = [];
      const t0 = performance.now();
      for await (const b of loader) {
        seen.push(...b.dataSync());
        b.dispose();
        await sleep(ms); // the consumer's training step
      }
      return { ms: performance.now() - t0, seen };
    };
    const serial = await time(0);
    const overlapped = await time(2);
    expect(overlapped.seen).toEqual(range(2 * batches));
    const sum = 2 * batches * ms;
    expect(serial.ms).toBeGreaterThan(0.9 * sum);
    expect(overlapped.ms).toBeLessThan(0.8 * sum); // ideal ≈ (batches + 1) · ms ≈ 0.56 · sum
  });

  it('an epoch with disposed batches, or one left early, leaves memory() where it started', async () => {
    const x = randn([50, 1, 4, 4], { seed: 1 });
    const y = arange(50);
    const before = live();
    const loader = new DataLoader(
      fromTensors({ x, y }).map(({ x: img, y: label }) => ({ x: img.mul(2).sub(1), y: label })),
      { batchSize: 8, shuffle: true, seed: 0, prefetch: 3 },
    );
    for (let epoch = 0; epoch < 2; epoch++) {
      for await (const b of loader) disposeTensors(b);
      expect(live()).toBe(before);
    }
    let n = 0;
    for await (const b of loader) {
      disposeTensors(b);
      if (++n === 2) break; // the batches built ahead are disposed by the loader
    }
    expect(live()).toBe(before);
    // A loop inside a scope: the scope owns the batches.
    await scope(async () => {
      for await (const b of new DataLoader(fromTensors({ x, y }), { batchSize: 16 })) b.x.sum();
    });
    expect(live()).toBe(before);
    x.dispose();
    y.dispose();
  });

  it('a failing element rejects the loop and leaks nothing', async () => {
    const before = live();
    const ds = fromArray(range(8)).map((v) => {
      if (v === 5) throw new Error('element 5 is corrupt');
      return tensor([v]);
    });
    const loader = new DataLoader(ds, { batchSize: 2 });
    await expect(
      (async () => {
        for await (const b of loader) disposeTensors(b);
      })(),
    ).rejects.toThrow('element 5 is corrupt');
    await sleep(5);
    expect(live()).toBe(before);
  });
});

describe('DataLoader with a sampler', () => {
  it('reads the indices the sampler picks, with repeats, for the sampler length', async () => {
    // Weights 0, 0, 1, 0: every draw is element 2, so each batch is [20, 20, 20].
    const sampler = weightedRandomSampler([0, 0, 1, 0], 7, { seed: 3 });
    const loader = new DataLoader(fromArray([0, 10, 20, 30]), {
      batchSize: 3,
      sampler,
      collate: (xs) => xs,
    });
    expect(loader.length).toBe(3);
    const batches: number[][] = [];
    for await (const b of loader) batches.push(b);
    expect(batches).toEqual([[20, 20, 20], [20, 20, 20], [20]]);
  });

  it('refuses a sampler with shuffle, on a streaming dataset, and an index past the end', async () => {
    const sampler = weightedRandomSampler([1, 1], 2, { seed: 0 });
    expect(() => new DataLoader(fromArray([1, 2]), { sampler, shuffle: true })).toThrow(
      /either shuffle or a sampler/,
    );
    expect(() => new DataLoader(fromIterable([1, 2]), { sampler })).toThrow(/random-access dataset/);
    const wide = weightedRandomSampler([0, 0, 0, 1], 2, { seed: 0 });
    const loader = new DataLoader(fromArray([1, 2]), { sampler: wide, collate: (xs) => xs });
    expect(() => loader.order(0)).toThrow('DataLoader: the sampler gave index 3 for a dataset of 2 elements');
  });
});
