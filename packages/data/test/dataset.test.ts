import { arange, memory, type Tensor, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  type Dataset,
  disposeTensors,
  fromArray,
  fromIterable,
  fromTensors,
  randomSplit,
  zip,
} from '../src/index.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const live = () => memory().tensors;

/** A streaming (not random-access) dataset of 0..n-1. */
const stream = (n: number): Dataset<number> =>
  fromIterable(function* () {
    for (let i = 0; i < n; i++) yield i;
  });

describe('Dataset operators: order and contents', () => {
  it('map (sync and async) keeps order and passes the index', async () => {
    expect(
      await fromArray([1, 2, 3])
        .map((v, i) => v * 10 + i)
        .toArray(),
    ).toEqual([10, 21, 32]);
    const slowFirst = stream(4).map(async (v) => {
      await sleep(v === 0 ? 20 : 1);
      return `#${v}`;
    });
    expect(await slowFirst.toArray()).toEqual(['#0', '#1', '#2', '#3']);
  });

  it('filter keeps the elements that pass, in order', async () => {
    expect(
      await fromArray(range(10))
        .filter((v) => v % 3 === 0)
        .toArray(),
    ).toEqual([0, 3, 6, 9]);
    expect(
      await stream(6)
        .filter(async (v) => v > 3)
        .toArray(),
    ).toEqual([4, 5]);
  });

  it('batch groups consecutive elements; dropLast drops the short tail', async () => {
    expect(await fromArray(range(7)).batch(3).toArray()).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(await fromArray(range(7)).batch(3, { dropLast: true }).toArray()).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(fromArray(range(7)).batch(3).length).toBe(3);
    expect(fromArray(range(7)).batch(3, { dropLast: true }).length).toBe(2);
  });

  it('take and skip', async () => {
    expect(await fromArray(range(10)).take(3).toArray()).toEqual([0, 1, 2]);
    expect(await fromArray(range(10)).skip(7).toArray()).toEqual([7, 8, 9]);
    expect(await stream(10).skip(2).take(3).toArray()).toEqual([2, 3, 4]);
    expect(await stream(3).take(10).toArray()).toEqual([0, 1, 2]);
    expect(await fromArray(range(3)).skip(5).toArray()).toEqual([]);
    expect(fromArray(range(10)).take(3).length).toBe(3);
    expect(fromArray(range(10)).skip(3).length).toBe(7);
  });

  it('take stops pulling from its source once it has enough', async () => {
    let pulled = 0;
    const counted = fromIterable(function* () {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    });
    expect(await counted.take(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(pulled).toBe(5);
  });

  it('repeat(count) and endless repeat with take', async () => {
    expect(await fromArray([1, 2]).repeat(3).toArray()).toEqual([1, 2, 1, 2, 1, 2]);
    expect(await stream(2).repeat(2).toArray()).toEqual([0, 1, 0, 1]);
    expect(await stream(3).repeat().take(7).toArray()).toEqual([0, 1, 2, 0, 1, 2, 0]);
    expect(await stream(0).repeat().toArray()).toEqual([]);
    expect(fromArray([1, 2]).repeat(3).length).toBe(6);
  });

  it('concat and zip', async () => {
    expect(
      await fromArray([1, 2])
        .concat(fromArray([3]))
        .toArray(),
    ).toEqual([1, 2, 3]);
    expect(await stream(2).concat(stream(2)).toArray()).toEqual([0, 1, 0, 1]);
    expect(
      await fromArray([1, 2, 3])
        .zip(fromArray(['a', 'b']))
        .toArray(),
    ).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    expect(await zip(stream(3), fromArray(['x', 'y', 'z', 'w']), fromArray([true])).toArray()).toEqual([
      [0, 'x', true],
    ]);
  });

  it('random access survives map, take, skip, subset, finite repeat, concat and zip', async () => {
    const ds = fromArray(range(10));
    const derived = [
      ds.map((v) => v * 2),
      ds.take(4),
      ds.skip(4),
      ds.subset([9, 0, 9]),
      ds.repeat(2),
      ds.concat(fromArray([100])),
      ds.zip(fromArray(['a'])),
    ];
    for (const d of derived) expect(d.isRandomAccess()).toBe(true);
    const [m, t, s, sub, rep, cat, z] = derived;
    if (!m!.isRandomAccess() || !sub!.isRandomAccess() || !rep!.isRandomAccess())
      throw new Error('unreachable');
    expect(await m.get(3)).toBe(6);
    expect(await sub.toArray()).toEqual([9, 0, 9]);
    expect(await rep.get(13)).toBe(3);
    expect([t!.length, s!.length, cat!.length, z!.length]).toEqual([4, 6, 11, 1]);
    expect(ds.filter(() => true).isRandomAccess()).toBe(false);
    expect(() => ds.subset([10])).toThrow(/index 10 .*out of range.*length 10/);
    expect(() => fromArray([1]).get(1)).toThrow(/out of range/);
  });

  it('a one-shot iterator is refused the second time; a factory iterates again', async () => {
    const once = fromIterable([1, 2][Symbol.iterator]());
    expect(await once.toArray()).toEqual([1, 2]);
    await expect(once.toArray()).rejects.toThrow(/already consumed/);
    const again = fromIterable(() => [1, 2]);
    expect(await again.toArray()).toEqual([1, 2]);
    expect(await again.toArray()).toEqual([1, 2]);
  });
});

describe('shuffle', () => {
  it('is a permutation; the same seed replays the same epochs; epochs differ', async () => {
    const ds = fromArray(range(100)).shuffle(100, { seed: 42 });
    const e0 = await ds.toArray();
    const e1 = await ds.toArray();
    expect([...e0].sort((a, b) => a - b)).toEqual(range(100));
    expect([...e1].sort((a, b) => a - b)).toEqual(range(100));
    expect(e0).not.toEqual(range(100));
    expect(e1).not.toEqual(e0);
    const replay = fromArray(range(100)).shuffle(100, { seed: 42 });
    expect(await replay.toArray()).toEqual(e0);
    expect(await replay.toArray()).toEqual(e1);
    const other = await fromArray(range(100)).shuffle(100, { seed: 43 }).toArray();
    expect(other).not.toEqual(e0);
  });

  it('a small buffer only moves elements locally, and still emits each exactly once', async () => {
    const out = await stream(200).shuffle(10, { seed: 1 }).toArray();
    expect([...out].sort((a, b) => a - b)).toEqual(range(200));
    // Output position p is chosen when element p + 10 arrives, among elements <= p + 9: so p >= v - 9.
    out.forEach((v, pos) => {
      expect(pos).toBeGreaterThanOrEqual(v - 9);
    });
  });

  it('reshuffles on each pass of a repeat', async () => {
    const out = await fromArray(range(20)).shuffle(20, { seed: 5 }).repeat(2).toArray();
    expect(out.slice(0, 20)).not.toEqual(out.slice(20));
    expect([...out.slice(20)].sort((a, b) => a - b)).toEqual(range(20));
  });
});

describe('fromTensors', () => {
  it('slices along dim 0 and keeps the structure', async () => {
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const y = tensor(new Int32Array([7, 8, 9]), { dtype: 'int32' });
    const ds = fromTensors({ x, y });
    expect(ds.length).toBe(3);
    const e = await ds.get(1);
    expect(e.x.shape).toEqual([2]);
    expect(Array.from(e.x.dataSync())).toEqual([3, 4]);
    expect(e.y.shape).toEqual([]);
    expect(e.y.dtype).toBe('int32');
    expect(e.y.item()).toBe(8);
    disposeTensors(e);
    const pair = fromTensors([x, y]);
    const p = await pair.get(2);
    expect(Array.from(p[0]!.dataSync())).toEqual([5, 6]);
    disposeTensors(p);
    expect(() => fromTensors({ x, y: tensor([1, 2]) })).toThrow(/y has 2 rows .* x has 3/);
    x.dispose();
    y.dispose();
  });

  it('getBatch gathers rows (what collate would stack)', async () => {
    const x = arange(12).reshape([6, 2]);
    const ds = fromTensors({ x });
    const b = (await ds.getBatch!([4, 0, 4])) as { x: Tensor };
    expect(b.x.shape).toEqual([3, 2]);
    expect(Array.from(b.x.dataSync())).toEqual([8, 9, 0, 1, 8, 9]);
    disposeTensors(b);
    x.dispose();
  });
});

describe('randomSplit', () => {
  it('fractions: PyTorch lengths (floor, remainder dealt in order), disjoint, covering, seeded', async () => {
    const ds = fromArray(range(10));
    const parts = randomSplit(ds, [0.34, 0.33, 0.33], { seed: 7 });
    expect(parts.map((p) => p.length)).toEqual([4, 3, 3]); // floor → [3, 3, 3], remainder 1 to the first
    const all = (await Promise.all(parts.map((p) => p.toArray()))).flat();
    expect([...all].sort((a, b) => a - b)).toEqual(range(10));
    const again = randomSplit(ds, [0.34, 0.33, 0.33], { seed: 7 });
    expect(await again[0]!.toArray()).toEqual(await parts[0]!.toArray());
    const other = randomSplit(ds, [0.34, 0.33, 0.33], { seed: 8 });
    expect(await other[0]!.toArray()).not.toEqual(await parts[0]!.toArray());
  });

  it('lengths must sum to the dataset length', () => {
    const ds = fromArray(range(10));
    expect(randomSplit(ds, [8, 2], { seed: 0 }).map((p) => p.length)).toEqual([8, 2]);
    expect(() => randomSplit(ds, [8, 3])).toThrow(/summing to the dataset's length 10/);
  });

  it('keeps a source getBatch for the subsets', async () => {
    const x = arange(10);
    const [a] = randomSplit(fromTensors(x), [5, 5], { seed: 3 });
    const direct = await Promise.all(range(5).map(async (i) => (await a!.get(i)).item()));
    const batched = (await a!.getBatch!(range(5))) as Tensor;
    expect(Array.from(batched.dataSync())).toEqual(direct);
    batched.dispose();
    x.dispose();
  });
});

describe('ownership: tensors in a pipeline are freed', () => {
  it('fromArray hands out views; disposing them leaves the originals alive', async () => {
    const t = tensor([1, 2, 3]);
    const ds = fromArray([t, t]);
    const got = await ds.toArray();
    expect(got[0]).not.toBe(t);
    disposeTensors(got);
    expect(t.isDisposed).toBe(false);
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3]);
    t.dispose();
  });

  it('map/filter/skip/batch(dropLast)/shuffle+break leave memory() where it started', async () => {
    const x = arange(40).reshape([20, 2]).cast('float32');
    const before = live();
    const ds = fromTensors(x)
      .map((row) => row.mul(2).add(1)) // the input row and the temporary are freed
      .filter((row) => row.dataSync()[0]! % 4 === 1) // dropped rows are freed
      .skip(1)
      .batch(3, { dropLast: true });
    for await (const b of ds) disposeTensors(b);
    expect(live()).toBe(before);
    // Leaving early frees what the shuffle buffer and the prefetch queue hold.
    let n = 0;
    for await (const row of fromTensors(x).shuffle(8, { seed: 1 }).prefetch(3)) {
      row.dispose();
      if (++n === 3) break;
    }
    expect(live()).toBe(before);
    x.dispose();
  });
});

describe('prefetch', () => {
  it('keeps order and overlaps a slow producer with a slow consumer', async () => {
    const n = 8;
    const ms = 40;
    const producer = () =>
      stream(n).map(async (v) => {
        await sleep(ms);
        return v;
      });
    const run = async (ds: Dataset<number>) => {
      const t0 = performance.now();
      const out: number[] = [];
      for await (const v of ds) {
        out.push(v);
        await sleep(ms); // the consumer's own work
      }
      return { out, ms: performance.now() - t0 };
    };
    const serial = await run(producer());
    const ahead = await run(producer().prefetch(2));
    expect(ahead.out).toEqual(range(n));
    const sum = 2 * n * ms;
    expect(serial.ms).toBeGreaterThan(0.9 * sum); // control: without prefetch the times add up
    expect(ahead.ms).toBeLessThan(0.8 * sum); // ideal is about (n + 1) · ms = 0.56 · sum
  });

  it('rethrows a producer error at its position', async () => {
    const ds = stream(5)
      .map((v) => {
        if (v === 3) throw new Error('bad element 3');
        return v;
      })
      .prefetch(4);
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const v of ds) seen.push(v);
      })(),
    ).rejects.toThrow('bad element 3');
    expect(seen).toEqual([0, 1, 2]);
  });
});
