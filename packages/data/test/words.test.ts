import { describe, expect, it } from 'vitest';
import { tokenizeWords, Vocabulary } from '../src/index.js';

describe('tokenizeWords', () => {
  it('splits running text into lower-case words, keeping inner apostrophes, dropping tags', () => {
    expect(tokenizeWords("Call me Ishmael. Don't—<br />1851!")).toEqual([
      'call',
      'me',
      'ishmael',
      "don't",
      '1851',
    ]);
    expect(tokenizeWords('The whale’s jaw; ’tis')).toEqual(['the', "whale's", 'jaw', 'tis']);
    expect(tokenizeWords('Café NAÏVE', { lowercase: false })).toEqual(['Café', 'NAÏVE']);
    expect(tokenizeWords('a<b>c', { stripTags: false })).toEqual(['a', 'b', 'c']);
  });

  it('gives nothing for empty or punctuation-only text, and rejects non-strings', () => {
    expect(tokenizeWords('')).toEqual([]);
    expect(tokenizeWords(' ,.;—! ')).toEqual([]);
    expect(() => tokenizeWords(3 as unknown as string)).toThrow(
      /tokenizeWords: expected a string, got number/,
    );
  });
});

describe('Vocabulary', () => {
  const sentences = [
    ['the', 'cat', 'sat', 'on', 'the', 'mat'],
    ['the', 'dog', 'sat'],
    ['a', 'cat'],
  ];

  it('counts words, most frequent first, ties in order of first appearance', () => {
    const v = Vocabulary.build(sentences);
    // By hand: the 3, cat 2, sat 2, on 1, mat 1, dog 1, a 1.
    expect(v.words).toEqual(['the', 'cat', 'sat', 'on', 'mat', 'dog', 'a']);
    expect(Array.from(v.counts)).toEqual([3, 2, 2, 1, 1, 1, 1]);
    expect(v.total).toBe(11);
    expect(v.id('sat')).toBe(2);
    expect(v.id('zebra')).toBe(-1);
    expect(v.count('cat')).toBe(2);
  });

  it('applies a minimum count, a maximum size and an unknown token', () => {
    const v = Vocabulary.build(sentences, { minCount: 2 });
    expect(v.words).toEqual(['the', 'cat', 'sat']);
    expect(Array.from(v.encode(['the', 'dog', 'sat']))).toEqual([0, 2]);
    const u = Vocabulary.build(sentences, { minCount: 2, unknown: '<unk>' });
    expect(u.words).toEqual(['<unk>', 'the', 'cat', 'sat']);
    expect(u.counts[0]).toBe(4); // on, mat, dog, a
    expect(Array.from(u.encode(['the', 'dog', 'sat']))).toEqual([1, 0, 3]);
    expect(u.decode([1, 0])).toEqual(['the', '<unk>']);
    expect(Vocabulary.build(sentences, { maxSize: 2 }).words).toEqual(['the', 'cat']);
  });

  it('saves and loads', () => {
    const u = Vocabulary.build(sentences, { minCount: 2, unknown: '<unk>' });
    const text = u.save();
    expect(text).toBe('#unknown <unk>\n<unk> 4\nthe 3\ncat 2\nsat 2\n');
    const back = Vocabulary.load(text);
    expect(back.words).toEqual(u.words);
    expect(Array.from(back.counts)).toEqual(Array.from(u.counts));
    expect(back.unknown).toBe('<unk>');
  });

  it('rejects an empty corpus, counts below the minimum and malformed input', () => {
    expect(() => Vocabulary.build([])).toThrow(
      /Vocabulary.build: no word occurs 1 times or more \(the corpus has 0 tokens/,
    );
    expect(() => Vocabulary.build(sentences, { minCount: 4 })).toThrow(/no word occurs 4 times/);
    expect(() => Vocabulary.build(sentences, { minCount: 0 })).toThrow(
      /minCount must be an integer ≥ 1, got 0/,
    );
    expect(() => Vocabulary.load('the 3\ncat x\n')).toThrow(
      /Vocabulary.load: line 2 is "cat x"; expected 'word count'/,
    );
    expect(() => Vocabulary.load('')).toThrow(/holds no words/);
    expect(() => new Vocabulary(['a', 'a'], [1, 1])).toThrow(/appears twice/);
    expect(() => new Vocabulary(['a'], [1, 2])).toThrow(/1 words but 2 counts/);
    expect(() => Vocabulary.build(sentences).decode([99])).toThrow(/id 99 at 0 is outside \[0, 7\)/);
  });
});
