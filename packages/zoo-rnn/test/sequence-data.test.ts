import { describe, expect, it } from 'vitest';
import { imdbSplit, wordBoundaryExamples } from '../src/index.js';

describe('the recipes’ data preparation', () => {
  it('imdbSplit: even positions train, odd test; a limit takes evenly from both halves of the list', () => {
    expect(imdbSplit(8, 0, 0)).toEqual([0, 2, 4, 6]);
    expect(imdbSplit(8, 0, 1)).toEqual([1, 3, 5, 7]);
    // 50,000 reviews, negatives first: 25,000 each side, 12,500 of each class.
    const train = imdbSplit(50_000, 0, 0);
    expect(train).toHaveLength(25_000);
    expect(train.filter((i) => i < 25_000)).toHaveLength(12_500);
    const some = imdbSplit(50_000, 1000, 1);
    expect(some).toHaveLength(1000);
    expect(some.filter((i) => i < 25_000)).toHaveLength(500);
    expect(some.every((i) => i % 2 === 1)).toBe(true);
  });

  it('wordBoundaryExamples: sentences without spaces, a 1 where each word begins', () => {
    const ex = wordBoundaryExamples("Call me Ishmael. Some years ago; I don't know. Whale!", 100);
    expect(ex.map((e) => e.chars)).toEqual(['callmeishmael', 'someyearsago', "idon'tknow"]);
    expect(Array.from(ex[0]!.tags).join('')).toBe('1000101000000');
    expect(Array.from(ex[2]!.tags).join('')).toBe('1100001000');
    // At most maxLength characters, cut at a word boundary.
    expect(wordBoundaryExamples('aa bb cc dd', 5).map((e) => e.chars)).toEqual(['aabb']);
  });
});
