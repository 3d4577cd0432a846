import { describe, expect, it } from 'vitest';
import {
  readVectorsBinary,
  readVectorsText,
  WordVectors,
  writeVectorsBinary,
  writeVectorsText,
} from '../src/index.js';
import { fixture, fixtureBytes, fixtureText } from './fixtures.js';

const g = fixture('gensim-vectors.json');
const gensimVectors = () => new WordVectors(g.words, Float32Array.from(g.vectors), g.dim);

describe('word2vec vector files', () => {
  it('reads the binary and text files gensim wrote, with exactly gensim’s values', () => {
    const bin = readVectorsBinary(fixtureBytes('gensim-vectors.bin'));
    expect(bin.words).toEqual(g.words);
    expect(Array.from(bin.data)).toEqual(Array.from(Float32Array.from(g.vectors)));
    const txt = readVectorsText(fixtureText('gensim-vectors.txt'));
    expect(txt.words).toEqual(g.words);
    // gensim writes the text format with float32 repr: read back to the same float32.
    expect(Array.from(txt.data)).toEqual(Array.from(Float32Array.from(g.vectors)));
  });

  it('writes files that gensim read back to the same values (fixtures checked by gensim)', () => {
    const v = gensimVectors();
    const bin = writeVectorsBinary(v);
    expect(Array.from(bin)).toEqual(Array.from(fixtureBytes('myelin-vectors.bin')));
    expect(writeVectorsText(v)).toBe(fixtureText('myelin-vectors.txt'));
    for (const ext of ['bin', 'txt']) {
      const seen = fixture(`myelin-vectors.${ext}.gensim.json`);
      expect(seen.words).toEqual(g.words);
      expect(seen.vectors).toEqual(Array.from(Float32Array.from(g.vectors)));
    }
    // And Myelin reads its own files back identically.
    expect(Array.from(readVectorsBinary(bin).data)).toEqual(Array.from(v.data));
    expect(Array.from(readVectorsText(writeVectorsText(v)).data)).toEqual(Array.from(v.data));
  });

  it('reads a binary file without the line feed after each vector', () => {
    const enc = new TextEncoder();
    const body = new Uint8Array([...enc.encode('2 1\na '), 0, 0, 128, 63, ...enc.encode('b '), 0, 0, 0, 64]);
    const v = readVectorsBinary(body);
    expect(v.words).toEqual(['a', 'b']);
    expect(Array.from(v.data)).toEqual([1, 2]);
  });

  it('rejects wrong dimensions, truncated files and hostile headers quickly', () => {
    expect(() => readVectorsText('2 3\na 1.5 2.5 3.5\nb 1.5 2.5\n')).toThrow(
      /readVectorsText: line 3 has 2 numbers after the word; expected 3/,
    );
    expect(() => readVectorsText('1 2\na 1 x\n')).toThrow(/expected a finite number/);
    expect(() => readVectorsText('3 2\na 1 2\nb 1 2\n')).toThrow(/promises 3 vectors of 2/);
    expect(() => readVectorsText('1 2\na 1 2\nb 3 4\n')).toThrow(/text follows/);
    expect(() => readVectorsText('x y\n')).toThrow(/expected 'count dim'/);
    const full = fixtureBytes('gensim-vectors.bin');
    expect(() => readVectorsBinary(full.subarray(0, full.length - 5))).toThrow(
      /readVectorsBinary: .*truncated/,
    );
    const t0 = performance.now();
    const enc = new TextEncoder();
    expect(() => readVectorsBinary(enc.encode('9999999 9999\nword '))).toThrow(
      /promises 9999999 vectors of 9999/,
    );
    expect(() => readVectorsBinary(enc.encode('99999999999 100\n'))).toThrow(/expected 1 … 10000000/);
    expect(() => readVectorsText(`4000000 9000\n${'a 1\n'.repeat(10)}`)).toThrow(/only/);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(() => readVectorsBinary(new Uint8Array([...enc.encode('1 1\na '), 0, 0, 192, 127]))).toThrow(
      /NaN; expected finite/,
    );
    expect(() =>
      readVectorsBinary(new Uint8Array([...enc.encode('1 1\na '), 0, 0, 128, 63, 1, 2, 3])),
    ).toThrow(/3 bytes follow/);
    expect(() => readVectorsText('')).toThrow(/no header/);
  });
});
