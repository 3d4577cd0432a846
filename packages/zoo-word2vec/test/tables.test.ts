import { describe, expect, it } from 'vitest';
import { huffmanTree, keepThresholds, MAX_CODE, unigramTable } from '../src/index.js';
import { fixture } from './fixtures.js';

const t = fixture('tables.json');

describe('sampling tables', () => {
  it("match gensim's cum_table and sample_int", () => {
    expect(Array.from(unigramTable(t.counts))).toEqual(t.cum_table);
    const keep = keepThresholds(t.counts, t.sample);
    expect(Array.from(keep)).toEqual(t.sample_int);
    expect(Array.from(keepThresholds(t.counts, 0))).toEqual(t.counts.map(() => 0xffffffff));
  });

  it('builds an optimal Huffman tree (cost equals heapq’s) with prefix-free codes', () => {
    const { codes, points, codeLen } = huffmanTree(t.counts);
    let cost = 0;
    const seen = new Set<string>();
    for (let w = 0; w < t.counts.length; w++) {
      cost += t.counts[w] * codeLen[w]!;
      const code = Array.from(codes.subarray(w * MAX_CODE, w * MAX_CODE + codeLen[w]!)).join('');
      seen.add(code);
      expect(points[w * MAX_CODE]).toBe(t.counts.length - 2); // every path starts at the root
      for (let k = 0; k < codeLen[w]!; k++)
        expect(points[w * MAX_CODE + k]).toBeLessThan(t.counts.length - 1);
    }
    expect(cost).toBe(t.huffman_cost);
    const all = [...seen];
    expect(all.length).toBe(t.counts.length);
    for (const a of all) for (const b of all) if (a !== b) expect(b.startsWith(a)).toBe(false);
  });

  it('rejects unsorted or too small vocabularies', () => {
    expect(() => huffmanTree([1, 5])).toThrow(/sorted most frequent first/);
    expect(() => huffmanTree([3])).toThrow(/at least 2 words/);
  });
});
