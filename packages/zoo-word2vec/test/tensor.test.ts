import { Generator, memory, scatterAdd, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { addRows, sgnsBatch, sgnsTensorStep, unigramTable } from '../src/index.js';
import { fixture, maxDiff } from './fixtures.js';

const c = fixture('steps.json').tensor;

describe('the batched SGNS step on tensors', () => {
  it('matches the published gradient (numpy), repeated rows summed', async () => {
    const before = memory().tensors;
    const tables = {
      input: tensor(Float32Array.from(c.input), { shape: [4, 3] }),
      output: tensor(Float32Array.from(c.output), { shape: [4, 3] }),
    };
    const { tables: next, loss } = sgnsTensorStep(
      tables,
      {
        inputs: Int32Array.from(c.inputs),
        targets: Int32Array.from(c.targets),
        negatives: Int32Array.from(c.negatives),
      },
      c.lr,
    );
    expect(maxDiff(next.input.dataSync(), c.input_after)).toBeLessThan(1e-6);
    expect(maxDiff(next.output.dataSync(), c.output_after)).toBeLessThan(1e-6);
    expect(loss.shape).toEqual([]);
    expect((await loss.data())[0]).toBeCloseTo(c.loss, 5);
    // The old tables were disposed and nothing else was left behind: the new tables and the loss.
    expect(memory().tensors).toBe(before + 3);
    loss.dispose();
    next.input.dispose();
    next.output.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('rejects mismatched batches', () => {
    const t = () => ({
      input: tensor(new Float32Array(6), { shape: [2, 3] }),
      output: tensor(new Float32Array(6), { shape: [2, 3] }),
    });
    expect(() =>
      sgnsTensorStep(
        t(),
        { inputs: Int32Array.from([0]), targets: Int32Array.from([]), negatives: Int32Array.from([]) },
        0.1,
      ),
    ).toThrow(/sgnsTensorStep: expected B ≥ 1 inputs/);
  });
});

describe('addRows (the gather-only row update)', () => {
  it('adds each update to its row, repeated rows summed (hand-worked example)', async () => {
    const table = tensor(Float32Array.from([1, 1, 2, 2, 3, 3]), { shape: [3, 2] });
    const updates = tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), { shape: [3, 2] });
    const before = memory().tensors;
    const out = addRows(table, Int32Array.from([2, 0, 2]), updates);
    // row 0: [1, 1] + [3, 4]; row 1 untouched; row 2: [3, 3] + [1, 2] + [5, 6]
    expect(Array.from(await out.data())).toEqual([4, 5, 2, 2, 9, 11]);
    expect(memory().tensors).toBe(before + 1);
    out.dispose();
    table.dispose();
    updates.dispose();
  });

  it('agrees with scatterAdd on random rows, one row and one update included', async () => {
    const g = new Generator(5);
    for (const [V, D, N] of [
      [50, 7, 200],
      [1, 1, 1],
      [9, 3, 1],
    ] as const) {
      const table = tensor(g.normal(V * D), { shape: [V, D] });
      const updates = tensor(g.normal(N * D), { shape: [N, D] });
      const rows = g.randint(0, V, N);
      const got = addRows(table, rows, updates);
      const index = tensor(
        Int32Array.from({ length: N * D }, (_, i) => rows[Math.floor(i / D)]!),
        {
          dtype: 'int32',
          shape: [N, D],
        },
      );
      const want = scatterAdd(table, 0, index, updates);
      expect(maxDiff(await got.data(), await want.data())).toBeLessThan(1e-5);
      for (const t of [table, updates, got, index, want]) t.dispose();
    }
  });

  it('rejects rows outside the table and mismatched shapes', () => {
    const table = tensor(new Float32Array(6), { shape: [3, 2] });
    const updates = tensor(new Float32Array(2), { shape: [1, 2] });
    expect(() => addRows(table, Int32Array.from([3]), updates)).toThrow(
      /addRows: row 3 \(entry 0\) is outside the table's 3 rows/,
    );
    expect(() => addRows(table, Int32Array.from([0, 1]), updates)).toThrow(
      /addRows: expected a \[V, D\] table and \[N, D\] updates for N rows; got table \[3,2\], updates \[1,2\] and 2 rows/,
    );
    table.dispose();
    updates.dispose();
  });
});

describe('sgnsBatch', () => {
  // Word ids equal positions, so each pair says where it came from; sentences [0..5), [5], [6..20).
  const corpus = {
    ids: Int32Array.from({ length: 20 }, (_, i) => i),
    offsets: Int32Array.from([0, 5, 6, 20]),
  };
  const counts = Float64Array.from({ length: 20 }, (_, i) => (i === 3 ? 1000 : 1));
  const cum = unigramTable(counts);

  it('draws pairs inside the window and the sentence, negatives by count^0.75, reproducibly', () => {
    const b = sgnsBatch(corpus, cum, { size: 2000, window: 2, negative: 3 }, new Generator(1));
    const again = sgnsBatch(corpus, cum, { size: 2000, window: 2, negative: 3 }, new Generator(1));
    expect(again).toEqual(b);
    const sentence = (p: number) => (p < 5 ? 0 : p < 6 ? 1 : 2);
    for (let i = 0; i < 2000; i++) {
      const [c, t] = [b.inputs[i]!, b.targets[i]!];
      expect(c).not.toBe(t);
      expect(Math.abs(c - t)).toBeLessThanOrEqual(2);
      expect(sentence(c)).toBe(sentence(t));
      expect(sentence(t)).not.toBe(1); // the one-word sentence has no pair
    }
    for (let i = 0; i < b.negatives.length; i++) {
      expect(b.negatives[i]).not.toBe(b.targets[Math.floor(i / 3)]);
    }
    // Word 3 holds 1000^0.75 / (1000^0.75 + 19) of the table, each other word 1 / (1000^0.75 + 19);
    // a draw equal to the target is drawn again, so given a target other than 3 word 3 has p3 / (1 − q).
    const q = 1 / (1000 ** 0.75 + 19);
    const p3 = (1000 ** 0.75 * q) / (1 - q);
    const notTarget3 = b.targets.filter((t) => t !== 3).length * 3;
    const share = b.negatives.filter((w) => w === 3).length / notTarget3;
    expect(share).toBeGreaterThan(p3 - 0.02);
    expect(share).toBeLessThan(p3 + 0.02);
  });

  it('rejects bad sizes and a corpus without a two-word sentence', () => {
    const g = new Generator(1);
    expect(() => sgnsBatch(corpus, cum, { size: 0 }, g)).toThrow(
      /sgnsBatch: size must be an integer ≥ 1, got 0/,
    );
    expect(() => sgnsBatch(corpus, cum, { size: 1, window: 0 }, g)).toThrow(/window must be an integer ≥ 1/);
    const single = { ids: Int32Array.from([0, 1]), offsets: Int32Array.from([0, 1, 2]) };
    expect(() => sgnsBatch(single, cum, { size: 1 }, g)).toThrow(
      /sgnsBatch: the corpus needs a sentence of at least 2 words \(longest: 1\)/,
    );
  });
});
