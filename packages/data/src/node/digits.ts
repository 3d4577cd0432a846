import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Generator } from '@myelin/core';
import { DatasetValidationError, type ImageSet } from '../image-set.js';
import { DatasetNotFoundError } from './datasets.js';
import { fetchSklearnFiles } from './sklearn.js';

/**
 * sklearn's 8×8 digits (`sklearn.datasets.load_digits`): the 1,797 test images of the UCI
 * "Optical Recognition of Handwritten Digits" set (Alpaydin & Kaynak, 1998). Each pixel counts
 * the ink pixels of a 4×4 block of a 32×32 bitmap, 0–16. The CSV (64 pixels then the label per
 * row) ships in Debian's `python3-sklearn`; it is read from an installed copy, or fetched once with
 * `apt-get download` + `dpkg-deb -x` (no install, no root) into a cache.
 */

/** The Debian package that holds `digits.csv.gz`. */
export const DIGITS_PACKAGE = 'python3-sklearn';
/** Where an installed `python3-sklearn` keeps it. */
export const DIGITS_INSTALLED_FILE = '/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz';
/**
 * SHA-256 of the decompressed CSV (Debian's python3-sklearn 1.2.1+dfsg-1). The CSV, not the gzip
 * file, is pinned: a repacked archive with the same data still loads.
 */
export const DIGITS_CSV_SHA256 = '6ebb3d2fee246a4e99363262ddf8a00a3c41bee6014c373ed9d9216ba7f651b8';

const IN_PACKAGE = DIGITS_INSTALLED_FILE.slice(1);
const COUNT = 1797;
const SIDE = 8;

/** The cache folder: `$MYELIN_CACHE_DIR`, else `$XDG_CACHE_HOME/myelin`, else `~/.cache/myelin`; then `datasets/sklearn-digits`. */
export function digitsCacheDir(): string {
  const root =
    process.env.MYELIN_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'myelin');
  return join(root, 'datasets', 'sklearn-digits');
}

/** The shell commands that put the CSV into `cacheDir` by hand (what `fetchDigits` runs). */
export function digitsFetchCommands(cacheDir = digitsCacheDir()): string {
  return [
    'cd "$(mktemp -d)"',
    `apt-get download ${DIGITS_PACKAGE}`,
    `dpkg-deb -x ${DIGITS_PACKAGE}_*.deb .`,
    `mkdir -p '${cacheDir}'`,
    `cp ${IN_PACKAGE} '${cacheDir}/'`,
  ].join(' && ');
}

/**
 * Fetch `digits.csv.gz` into `cacheDir` (default `digitsCacheDir()`): `apt-get download
 * python3-sklearn` and `dpkg-deb -x` in a temporary folder, check the CSV's SHA-256, then move it
 * into place atomically. Returns the cached file's path.
 *
 * @throws DatasetNotFoundError naming the commands when apt-get or dpkg-deb fail
 * @throws DatasetValidationError when the fetched CSV is not the pinned one
 */
export async function fetchDigits(cacheDir = digitsCacheDir()): Promise<string> {
  // The download, checks and atomic move are sklearn.ts's (shared with iris, wine, breast cancer).
  const [path] = await fetchSklearnFiles([{ file: 'digits.csv.gz', sha256: DIGITS_CSV_SHA256 }], cacheDir);
  return path!;
}

function csvText(bytes: Uint8Array): Buffer {
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : Buffer.from(bytes);
}

function verifyCsv(op: string, path: string, bytes: Uint8Array): Buffer {
  const csv = csvText(bytes);
  const sha = createHash('sha256').update(csv).digest('hex');
  if (sha !== DIGITS_CSV_SHA256) {
    throw new DatasetValidationError(
      `${op}: ${path} is not sklearn's digits.csv: its CSV has SHA-256 ${sha}, expected ${DIGITS_CSV_SHA256}`,
    );
  }
  return csv;
}

/** sklearn's digits as an `ImageSet` (bytes 0–255, like MNIST), with the original 0–16 counts beside. */
export interface DigitsSet extends ImageSet {
  /**
   * The pixels as sklearn gives them (`load_digits().data`): ink counts 0–16, `count × 64`.
   * `images` holds `round(v · 255 / 16)`, so `imageDataset`/`imageSetToTensors` scale to [0, 1]
   * as for MNIST (within 0.5/255 of v / 16).
   */
  blocks: Uint8Array;
  /** The CSV row of each image (0 … 1,796): which images a split holds. */
  indices: Int32Array;
}

/** Parse the CSV: 1,797 rows of 64 pixel counts (0–16) and a label (0–9). */
function parseDigits(op: string, path: string, csv: Buffer): DigitsSet {
  const lines = csv.toString('latin1').split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length !== COUNT)
    throw new DatasetValidationError(`${op}: ${path} has ${lines.length} rows, expected ${COUNT}`);
  const px = SIDE * SIDE;
  const blocks = new Uint8Array(COUNT * px);
  const labels = new Uint8Array(COUNT);
  for (let r = 0; r < COUNT; r++) {
    const cells = lines[r]!.split(',');
    if (cells.length !== px + 1) {
      throw new DatasetValidationError(
        `${op}: ${path} row ${r} has ${cells.length} columns, expected ${px + 1}`,
      );
    }
    for (let c = 0; c <= px; c++) {
      // loadtxt reads floats; the Debian file writes integers, but '3.0' is the same pixel.
      const v = Number(cells[c]);
      const max = c < px ? 16 : 9;
      if (!Number.isInteger(v) || v < 0 || v > max) {
        throw new DatasetValidationError(
          `${op}: ${path} row ${r}, column ${c}: expected an integer 0–${max}, got '${cells[c]}'`,
        );
      }
      if (c < px) blocks[r * px + c] = v;
      else labels[r] = v;
    }
  }
  const images = new Uint8Array(blocks.length);
  for (let i = 0; i < blocks.length; i++) images[i] = Math.round((blocks[i]! * 255) / 16);
  const indices = Int32Array.from({ length: COUNT }, (_, i) => i);
  return { images, labels, count: COUNT, rows: SIDE, cols: SIDE, blocks, indices };
}

export interface LoadDigitsOptions {
  /**
   * `'all'` (default: the 1,797 images in file order), or one side of a seeded stratified split:
   * `'test'` takes `round(testFraction · n_c)` images of each class c, `'train'` the rest.
   */
  split?: 'all' | 'train' | 'test';
  /** Share of each class in the test split, in (0, 1). Default 0.25 (sklearn's `train_test_split`). */
  testFraction?: number;
  /** Seed of the split (default 0): the same seed gives complementary train and test sides. */
  seed?: number;
  /** Read this `digits.csv` or `digits.csv.gz` instead of looking for it (still checked). */
  file?: string;
  /** Where the fetched copy is kept (default `digitsCacheDir()`). */
  cacheDir?: string;
  /** Fetch with `apt-get download` when no copy is found (default true). */
  download?: boolean;
}

/** Indices of a seeded stratified split: per class, a random `round(fraction · n_c)` go to test. */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  testFraction: number,
  seed = 0,
): { train: Int32Array; test: Int32Array } {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new RangeError(`stratifiedSplit: testFraction must be in (0, 1), got ${testFraction}`);
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  }
  const inTest = new Uint8Array(labels.length);
  const gen = new Generator(seed);
  // Classes in ascending order, so the draw does not depend on which class comes first.
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(c)!;
    const order = gen.permutation(members.length);
    const k = Math.round(testFraction * members.length);
    for (let j = 0; j < k; j++) inTest[members[order[j]!]!] = 1;
  }
  const test: number[] = [];
  const train: number[] = [];
  for (let i = 0; i < labels.length; i++) (inTest[i] ? test : train).push(i);
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}

function subset(set: DigitsSet, picks: Int32Array): DigitsSet {
  const px = set.rows * set.cols;
  const images = new Uint8Array(picks.length * px);
  const blocks = new Uint8Array(picks.length * px);
  const labels = new Uint8Array(picks.length);
  const indices = new Int32Array(picks.length);
  picks.forEach((r, k) => {
    images.set(set.images.subarray(r * px, (r + 1) * px), k * px);
    blocks.set(set.blocks.subarray(r * px, (r + 1) * px), k * px);
    labels[k] = set.labels[r]!;
    indices[k] = set.indices[r]!;
  });
  return { images, labels, blocks, indices, count: picks.length, rows: set.rows, cols: set.cols };
}

/**
 * sklearn's 8×8 handwritten digits: 1,797 images, 10 classes (178 zeros … 180 nines), pixels
 * 0–16 (`blocks`) and as bytes 0–255 (`images`, for `imageDataset` like MNIST). Found in an
 * installed `python3-sklearn`, else in the cache, else fetched into it with `apt-get download`;
 * the CSV's SHA-256 is checked every time.
 *
 * @throws DatasetNotFoundError with the exact commands when it cannot be found or fetched
 * @throws DatasetValidationError when the file is not the pinned CSV
 * @example
 * const train = imageDataset(await loadDigits({ split: 'train' })); // 1,346 images [1, 8, 8]
 */
export async function loadDigits(options: LoadDigitsOptions = {}): Promise<DigitsSet> {
  const op = 'loadDigits';
  const split = options.split ?? 'all';
  if (split !== 'all' && split !== 'train' && split !== 'test') {
    throw new RangeError(`${op}: split must be 'all', 'train' or 'test', got ${JSON.stringify(split)}`);
  }
  const cacheDir = options.cacheDir ?? digitsCacheDir();
  let path = options.file;
  if (path !== undefined && !existsSync(path)) {
    throw new DatasetNotFoundError(
      `${op}: ${path} does not exist. Get sklearn's digits.csv.gz with: ${digitsFetchCommands(cacheDir)}`,
      digitsFetchCommands(cacheDir),
    );
  }
  if (path === undefined) {
    const cached = join(cacheDir, 'digits.csv.gz');
    if (existsSync(DIGITS_INSTALLED_FILE)) path = DIGITS_INSTALLED_FILE;
    else if (existsSync(cached)) path = cached;
    else if (options.download ?? true) path = await fetchDigits(cacheDir);
    else {
      throw new DatasetNotFoundError(
        `${op}: sklearn's digits are neither installed (${DIGITS_INSTALLED_FILE}) nor cached (${cached}), and download is off. ` +
          `Install them (apt-get install -y ${DIGITS_PACKAGE}) or run: ${digitsFetchCommands(cacheDir)}`,
        digitsFetchCommands(cacheDir),
      );
    }
  }
  const all = parseDigits(op, path, verifyCsv(op, path, await readFile(path)));
  if (split === 'all') return all;
  const sides = stratifiedSplit(all.labels, options.testFraction ?? 0.25, options.seed ?? 0);
  return subset(all, sides[split]);
}
