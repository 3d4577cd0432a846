import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DatasetNotFoundError,
  DatasetValidationError,
  DIGITS_INSTALLED_FILE,
  type DigitsSet,
  fetchDigits,
  imageSetToTensors,
  loadDigits,
  stratifiedSplit,
} from '../src/node/index.js';

/**
 * Facts about sklearn's digits from outside this package: sklearn's documentation
 * (`datasets/descr/digits.rst`: 1,797 instances, 64 attributes, integer pixels 0..16), the UCI
 * description of optdigits.tes (per-class counts), and Python's csv module over the file:
 *
 *   rows = list(csv.reader(gzip.open(p).read().decode().splitlines()))
 *   Counter(int(r[64]) for r in rows); sum(int(v) for r in rows for v in r[:64]); rows[0][:64]
 */
const FACTS = {
  count: 1797,
  classCounts: [178, 182, 177, 183, 181, 182, 181, 179, 174, 180],
  firstLabels: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1],
  firstImage: [
    0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0, 0,
    5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0,
  ],
  totalSum: 561718,
  last: { sum: 392, label: 8 },
};

const scratch = mkdtempSync(join(tmpdir(), 'myelin-digits-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// The real file, fetched the way loadDigits does (apt-get download + dpkg-deb -x into a cache),
// unless an installed python3-sklearn already has it. Without apt (or a network) these tests skip.
const installed = existsSync(DIGITS_INSTALLED_FILE);
const cacheDir = join(scratch, 'cache');
// Two fetches into one folder at once share one download.
const fetches = installed ? [] : [fetchDigits(cacheDir), fetchDigits(cacheDir)];
const realFile = installed
  ? DIGITS_INSTALLED_FILE
  : await fetches[0]!.catch((e: unknown) => {
      if (e instanceof DatasetNotFoundError) return null;
      throw e;
    });

const histogram = (labels: ArrayLike<number>) => {
  const h = new Array(10).fill(0);
  for (let i = 0; i < labels.length; i++) h[labels[i]!]++;
  return h;
};

describe.skipIf(!realFile)("loadDigits: sklearn's 8×8 digits from Debian's python3-sklearn", () => {
  let all: DigitsSet;

  it('1,797 images of 8×8 with sklearn’s per-class counts, pixels 0–16, labels and sums as Python reads them', async () => {
    all = await loadDigits({ file: realFile! });
    expect([all.count, all.rows, all.cols]).toEqual([FACTS.count, 8, 8]);
    expect(all.blocks.length).toBe(FACTS.count * 64);
    expect(histogram(all.labels)).toEqual(FACTS.classCounts);
    expect(Array.from(all.labels.subarray(0, 12))).toEqual(FACTS.firstLabels);
    expect(Array.from(all.blocks.subarray(0, 64))).toEqual(FACTS.firstImage);
    let total = 0;
    let max = 0;
    for (const v of all.blocks) {
      total += v;
      max = Math.max(max, v);
    }
    expect([total, max]).toEqual([FACTS.totalSum, 16]);
    const last = all.blocks.subarray((FACTS.count - 1) * 64).reduce((a, b) => a + b, 0);
    expect([last, all.labels[FACTS.count - 1]]).toEqual([FACTS.last.sum, FACTS.last.label]);
    expect(Array.from(all.indices.subarray(0, 3))).toEqual([0, 1, 2]);
  });

  it.skipIf(installed)(
    'fetchDigits fills the cache once; loadDigits then finds it there without downloading',
    async () => {
      expect(fetches[1]).toBe(fetches[0]);
      expect(realFile).toBe(join(cacheDir, 'digits.csv.gz'));
      expect((await loadDigits({ cacheDir, download: false })).count).toBe(1797);
    },
  );

  it('images are the counts scaled to bytes, so imageSetToTensors gives v / 16 within 0.5/255', () => {
    for (let i = 0; i < all.blocks.length; i++) {
      if (all.images[i] !== Math.round((all.blocks[i]! * 255) / 16)) throw new Error(`pixel ${i}`);
    }
    const { x, y } = imageSetToTensors(all);
    expect(x.shape).toEqual([1797, 1, 8, 8]);
    const xs = x.dataSync();
    let worst = 0;
    for (let i = 0; i < xs.length; i++) worst = Math.max(worst, Math.abs(xs[i]! - all.blocks[i]! / 16));
    expect(worst).toBeLessThanOrEqual(0.5 / 255 + 1e-7);
    expect(Array.from(y.dataSync().subarray(0, 3))).toEqual([0, 1, 2]);
    x.dispose();
    y.dispose();
  });

  it("split: 'train' and 'test' partition the set, each class split round(0.25·n) / rest, seeded", async () => {
    const [train, test] = await Promise.all([
      loadDigits({ file: realFile!, split: 'train' }),
      loadDigits({ file: realFile!, split: 'test' }),
    ]);
    const wantTest = FACTS.classCounts.map((n) => Math.round(0.25 * n));
    expect(histogram(test.labels)).toEqual(wantTest);
    expect(histogram(train.labels)).toEqual(FACTS.classCounts.map((n, c) => n - wantTest[c]!));
    const seen = new Set([...train.indices, ...test.indices]);
    expect(seen.size).toBe(1797);
    // Each image is the one at its CSV row.
    for (const part of [train, test]) {
      for (let k = 0; k < part.count; k += 97) {
        const r = part.indices[k]!;
        expect(part.labels[k]).toBe(all.labels[r]);
        expect(Array.from(part.blocks.subarray(k * 64, k * 64 + 64))).toEqual(
          Array.from(all.blocks.subarray(r * 64, r * 64 + 64)),
        );
      }
    }
    const again = await loadDigits({ file: realFile!, split: 'test' });
    expect(Array.from(again.indices)).toEqual(Array.from(test.indices));
    const other = await loadDigits({ file: realFile!, split: 'test', seed: 1 });
    expect(Array.from(other.indices)).not.toEqual(Array.from(test.indices));
  });
});

describe('stratifiedSplit', () => {
  it('for generated label lists and fractions: disjoint, complete, round(f·n_c) per class in test', () => {
    let s = 12345;
    const rand = () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    };
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + Math.floor(rand() * 300);
      const classes = 1 + Math.floor(rand() * 12);
      const labels = Int32Array.from({ length: n }, () => Math.floor(rand() * classes));
      const f = 0.01 + rand() * 0.98;
      const { train, test } = stratifiedSplit(labels, f, trial);
      expect(train.length + test.length).toBe(n);
      expect(new Set([...train, ...test]).size).toBe(n);
      for (let c = 0; c < classes; c++) {
        const nc = labels.filter((l) => l === c).length;
        expect(test.filter((i) => labels[i] === c).length).toBe(Math.round(f * nc));
      }
    }
    expect(() => stratifiedSplit([0, 1], 1)).toThrow(
      'stratifiedSplit: testFraction must be in (0, 1), got 1',
    );
  });
});

describe('loadDigits when the data is missing or wrong', () => {
  it('a missing file or an empty cache with download off names the apt-get download and dpkg-deb commands', async () => {
    const err = await loadDigits({ file: join(scratch, 'nope.csv.gz') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect((err as DatasetNotFoundError).installCommand).toMatch(
      /apt-get download python3-sklearn && dpkg-deb -x python3-sklearn_\*\.deb \. && .*cp usr\/lib\/python3\/dist-packages\/sklearn\/datasets\/data\/digits\.csv\.gz/,
    );
    if (!existsSync(DIGITS_INSTALLED_FILE)) {
      const empty = join(scratch, 'empty');
      const e2 = await loadDigits({ cacheDir: empty, download: false }).catch((e: unknown) => e);
      expect(e2).toBeInstanceOf(DatasetNotFoundError);
      expect((e2 as Error).message).toContain(
        `nor cached (${join(empty, 'digits.csv.gz')}), and download is off`,
      );
    }
  });

  it.skipIf(!realFile)(
    'a CSV that differs by one pixel fails the SHA-256 check, naming both hashes',
    async () => {
      const csv = Buffer.from(gunzipSync(readFileSync(realFile!)));
      csv[4] = '9'.charCodeAt(0); // first image, third pixel: 5 → 9
      const bad = join(scratch, 'digits.csv.gz');
      writeFileSync(bad, gzipSync(csv));
      await expect(loadDigits({ file: bad })).rejects.toThrow(DatasetValidationError);
      await expect(loadDigits({ file: bad })).rejects.toThrow(
        /is not sklearn's digits\.csv: its CSV has SHA-256 [0-9a-f]{64}, expected 6ebb3d2f/,
      );
      // The plain (not gzipped) CSV is read too.
      const plain = join(scratch, 'digits.csv');
      writeFileSync(plain, gunzipSync(readFileSync(realFile!)));
      expect((await loadDigits({ file: plain })).count).toBe(1797);
    },
  );
});
