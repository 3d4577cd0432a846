import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { DatasetValidationError } from '../image-set.js';
import { DatasetNotFoundError } from './datasets.js';
import type { DigitsSet } from './digits.js';

/**
 * sklearn's small tabular data sets (`sklearn.datasets.load_iris`, `load_wine`,
 * `load_breast_cancer`) from the CSVs that ship in Debian's `python3-sklearn`: read from an
 * installed copy, or fetched once with `apt-get download` + `dpkg-deb -x` (no install, no root)
 * into a cache. Every read checks the CSV's SHA-256.
 *
 * The CSVs have sklearn's layout (`sklearn.datasets._base.load_csv_data`): a header row
 * `n_samples,n_features,class names…`, then one row per sample, the features then the integer
 * class. The feature names are not in the files; they are sklearn's (`_base.py`).
 */

/** The Debian package that holds the CSVs. */
export const SKLEARN_PACKAGE = 'python3-sklearn';
/** Where an installed `python3-sklearn` keeps them. */
export const SKLEARN_DATA_DIR = '/usr/lib/python3/dist-packages/sklearn/datasets/data';

/** The tables `loadSklearnTable` reads. */
export type SklearnTableName = 'iris' | 'wine' | 'breast-cancer';

interface TableSpec {
  file: string;
  /** SHA-256 of the CSV in Debian's python3-sklearn 1.2.1+dfsg-1. */
  sha256: string;
  count: number;
  featureNames: readonly string[];
  classNames: readonly string[];
}

const BREAST_CANCER_MEASURES = [
  'radius',
  'texture',
  'perimeter',
  'area',
  'smoothness',
  'compactness',
  'concavity',
  'concave points',
  'symmetry',
  'fractal dimension',
];

/** File, pinned hash, size and names of each table (names as sklearn 1.2's `_base.py` gives them). */
export const SKLEARN_TABLES: Readonly<Record<SklearnTableName, Readonly<TableSpec>>> = {
  iris: {
    file: 'iris.csv',
    sha256: 'f13ffa8fdd56fd8e6c8d16d4081a3fbd3114bcd0aae4256c43205169cd9d1449',
    count: 150,
    featureNames: ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'],
    classNames: ['setosa', 'versicolor', 'virginica'],
  },
  wine: {
    file: 'wine_data.csv',
    sha256: '10e8a802908b34f86e5da8ce962f3c806694bc98450a18f61851af59f324bede',
    count: 178,
    featureNames: [
      'alcohol',
      'malic_acid',
      'ash',
      'alcalinity_of_ash',
      'magnesium',
      'total_phenols',
      'flavanoids',
      'nonflavanoid_phenols',
      'proanthocyanins',
      'color_intensity',
      'hue',
      'od280/od315_of_diluted_wines',
      'proline',
    ],
    classNames: ['class_0', 'class_1', 'class_2'],
  },
  'breast-cancer': {
    file: 'breast_cancer.csv',
    sha256: 'fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed',
    count: 569,
    featureNames: [
      ...BREAST_CANCER_MEASURES.map((m) => `mean ${m}`),
      ...BREAST_CANCER_MEASURES.map((m) => `${m} error`),
      ...BREAST_CANCER_MEASURES.map((m) => `worst ${m}`),
    ],
    classNames: ['malignant', 'benign'],
  },
};

/**
 * A labelled table as plain host data: `features` is `[count, dims]` row-major (float32 of the
 * CSV's decimals), `labels` the class index of each row (`0 … classNames.length − 1`).
 */
export interface SklearnTable {
  /** e.g. `'iris'`. */
  name: string;
  features: Float32Array;
  labels: Int32Array;
  count: number;
  dims: number;
  featureNames: readonly string[];
  classNames: readonly string[];
}

/** The cache folder: `$MYELIN_CACHE_DIR`, else `$XDG_CACHE_HOME/myelin`, else `~/.cache/myelin`; then `datasets/sklearn`. */
export function sklearnCacheDir(): string {
  const root =
    process.env.MYELIN_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'myelin');
  return join(root, 'datasets', 'sklearn');
}

const inPackage = (file: string) => `${SKLEARN_DATA_DIR.slice(1)}/${file}`;

/** The shell commands that put sklearn's data `files` into `cacheDir` by hand (what `fetchSklearnFiles` runs). */
export function sklearnFetchCommands(files: readonly string[], cacheDir = sklearnCacheDir()): string {
  return [
    'cd "$(mktemp -d)"',
    `apt-get download ${SKLEARN_PACKAGE}`,
    `dpkg-deb -x ${SKLEARN_PACKAGE}_*.deb .`,
    `mkdir -p '${cacheDir}'`,
    `cp ${files.map(inPackage).join(' ')} '${cacheDir}/'`,
  ].join(' && ');
}

const run = promisify(execFile);

/** A file of `sklearn/datasets/data/` and the SHA-256 of its (decompressed) content. */
export interface PinnedSklearnFile {
  file: string;
  sha256: string;
}

/**
 * Fetch data files of sklearn into `cacheDir` (default `sklearnCacheDir()`): `apt-get download
 * python3-sklearn` and `dpkg-deb -x` in a temporary folder, check each file's SHA-256 (of the
 * decompressed bytes for `.gz`), then move each into place atomically. Returns the cached paths,
 * in the order given. Concurrent fetches of the same files into one folder share one download.
 *
 * @throws DatasetNotFoundError naming the commands when apt-get or dpkg-deb fail
 * @throws DatasetValidationError when a fetched file is not the pinned one
 */
export function fetchSklearnFiles(
  files: readonly PinnedSklearnFile[],
  cacheDir = sklearnCacheDir(),
): Promise<string[]> {
  const key = `${cacheDir}\n${files.map((f) => f.file).join('\n')}`;
  let pending = fetching.get(key);
  if (!pending) {
    pending = fetchInto(files, cacheDir).finally(() => fetching.delete(key));
    fetching.set(key, pending);
  }
  return pending;
}

const fetching = new Map<string, Promise<string[]>>();

async function fetchInto(files: readonly PinnedSklearnFile[], cacheDir: string): Promise<string[]> {
  const names = files.map((f) => f.file);
  const work = await mkdtemp(join(tmpdir(), 'myelin-sklearn-'));
  try {
    try {
      await run('apt-get', ['download', SKLEARN_PACKAGE], { cwd: work });
      const deb = (await readdir(work)).find(
        (f) => f.startsWith(`${SKLEARN_PACKAGE}_`) && f.endsWith('.deb'),
      );
      if (!deb) throw new Error(`apt-get download left no ${SKLEARN_PACKAGE}_*.deb in ${work}`);
      await run('dpkg-deb', ['-x', join(work, deb), join(work, 'x')]);
    } catch (e) {
      const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
      throw new DatasetNotFoundError(
        `fetchSklearnFiles: could not fetch ${names.join(', ')} from Debian's ${SKLEARN_PACKAGE} (${why}). ` +
          `Install it (apt-get install -y ${SKLEARN_PACKAGE}) or run: ${sklearnFetchCommands(names, cacheDir)}`,
        sklearnFetchCommands(names, cacheDir),
      );
    }
    await mkdir(cacheDir, { recursive: true });
    const out: string[] = [];
    for (const f of files) {
      const extracted = join(work, 'x', inPackage(f.file));
      verifyPinned('fetchSklearnFiles', extracted, await readFile(extracted), f.sha256);
      // Copy beside the target, then rename: a reader never sees half a file.
      const partial = join(cacheDir, `${f.file}.${process.pid}.${Date.now()}.partial`);
      await copyFile(extracted, partial);
      const target = join(cacheDir, f.file);
      await rename(partial, target);
      out.push(target);
    }
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The file's text (gunzipped when it starts with the gzip magic) after checking its SHA-256. */
function verifyPinned(op: string, path: string, bytes: Uint8Array, sha256: string): Buffer {
  const text = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : Buffer.from(bytes);
  const sha = createHash('sha256').update(text).digest('hex');
  if (sha !== sha256) {
    throw new DatasetValidationError(`${op}: ${path} has SHA-256 ${sha}, expected ${sha256}`);
  }
  return text;
}

/**
 * Parse a CSV in sklearn's `load_csv_data` layout: a header `n_samples,n_features,class names…`
 * then rows of `n_features` numbers and an integer class in `[0, classes)`. Checks every cell.
 *
 * @throws DatasetValidationError naming the row and column of the first bad cell
 */
export function parseSklearnCsv(op: string, path: string, text: string, name: string): SklearnTable {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const head = (lines[0] ?? '').split(',');
  const count = Number(head[0]);
  const dims = Number(head[1]);
  const classNames = head.slice(2).map((s) => s.trim());
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(dims) || dims < 1 || classNames.length < 1) {
    throw new DatasetValidationError(
      `${op}: ${path} header '${lines[0] ?? ''}' is not 'n_samples,n_features,class names…'`,
    );
  }
  if (lines.length - 1 !== count) {
    throw new DatasetValidationError(
      `${op}: ${path} has ${lines.length - 1} data rows, its header says ${count}`,
    );
  }
  const features = new Float32Array(count * dims);
  const labels = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    const cells = lines[r + 1]!.split(',');
    if (cells.length !== dims + 1) {
      throw new DatasetValidationError(
        `${op}: ${path} data row ${r} has ${cells.length} columns, expected ${dims + 1}`,
      );
    }
    for (let c = 0; c < dims; c++) {
      const s = cells[c]!.trim();
      const v = Number(s);
      if (s === '' || !Number.isFinite(v)) {
        throw new DatasetValidationError(
          `${op}: ${path} data row ${r}, column ${c}: expected a number, got '${s}'`,
        );
      }
      features[r * dims + c] = v;
    }
    const y = Number(cells[dims]!.trim());
    if (!Number.isInteger(y) || y < 0 || y >= classNames.length) {
      throw new DatasetValidationError(
        `${op}: ${path} data row ${r}: expected a class 0–${classNames.length - 1}, got '${cells[dims]}'`,
      );
    }
    labels[r] = y;
  }
  return { name, features, labels, count, dims, featureNames: [], classNames };
}

export interface LoadSklearnTableOptions {
  /** Read this CSV instead of looking for it (still checked against the pinned SHA-256). */
  file?: string;
  /** Where the fetched copy is kept (default `sklearnCacheDir()`). */
  cacheDir?: string;
  /** Fetch with `apt-get download` when no copy is found (default true). */
  download?: boolean;
}

/**
 * One of sklearn's small tables: `'iris'` (150 × 4, 3 species), `'wine'` (178 × 13, 3 cultivars)
 * or `'breast-cancer'` (569 × 30, malignant 0 / benign 1). Found in an installed `python3-sklearn`,
 * else in the cache, else fetched into it with `apt-get download`; the CSV's SHA-256 is checked
 * every time. Rows keep the file's order (as `sklearn.datasets.load_*`).
 *
 * @throws DatasetNotFoundError with the exact commands when it cannot be found or fetched
 * @throws DatasetValidationError when the file is not the pinned CSV
 * @example
 * const iris = await loadSklearnTable('iris'); // iris.features: 150 × 4, iris.labels: 0, 1, 2
 */
export async function loadSklearnTable(
  name: SklearnTableName,
  options: LoadSklearnTableOptions = {},
): Promise<SklearnTable> {
  const op = 'loadSklearnTable';
  const spec = Object.hasOwn(SKLEARN_TABLES, name) ? SKLEARN_TABLES[name] : undefined;
  if (!spec) {
    throw new RangeError(
      `${op}: no table ${JSON.stringify(name)}; expected one of ${Object.keys(SKLEARN_TABLES).join(', ')}`,
    );
  }
  const cacheDir = options.cacheDir ?? sklearnCacheDir();
  const commands = sklearnFetchCommands([spec.file], cacheDir);
  let path = options.file;
  if (path !== undefined && !existsSync(path)) {
    throw new DatasetNotFoundError(
      `${op}: ${path} does not exist. Get sklearn's ${spec.file} with: ${commands}`,
      commands,
    );
  }
  if (path === undefined) {
    const installed = join(SKLEARN_DATA_DIR, spec.file);
    const cached = join(cacheDir, spec.file);
    if (existsSync(installed)) path = installed;
    else if (existsSync(cached)) path = cached;
    else if (options.download ?? true) [path] = (await fetchSklearnFiles([spec], cacheDir)) as [string];
    else {
      throw new DatasetNotFoundError(
        `${op}: sklearn's ${spec.file} is neither installed (${installed}) nor cached (${cached}), and download is off. ` +
          `Install it (apt-get install -y ${SKLEARN_PACKAGE}) or run: ${commands}`,
        commands,
      );
    }
  }
  const text = verifyPinned(op, path, await readFile(path), spec.sha256).toString('utf8');
  const table = parseSklearnCsv(op, path, text, name);
  // The pinned file fixes these; checked anyway so a wrong pin cannot pass silently.
  if (table.count !== spec.count || table.dims !== spec.featureNames.length) {
    throw new DatasetValidationError(
      `${op}: ${path} is ${table.count} × ${table.dims}, expected ${spec.count} × ${spec.featureNames.length}`,
    );
  }
  return { ...table, featureNames: spec.featureNames, classNames: spec.classNames };
}

/**
 * sklearn's 8×8 digits (`loadDigits`) as a table, as `load_digits().data`: 64 ink counts 0–16 per
 * image (row-major pixels `pixel_<row>_<col>`, sklearn's names), labels 0–9.
 *
 * @example
 * const digits = digitsTable(await loadDigits()); // 1,797 × 64
 */
export function digitsTable(set: DigitsSet): SklearnTable {
  const dims = set.rows * set.cols;
  return {
    name: 'digits',
    features: Float32Array.from(set.blocks),
    labels: Int32Array.from(set.labels),
    count: set.count,
    dims,
    featureNames: Array.from({ length: dims }, (_, i) => `pixel_${Math.floor(i / set.cols)}_${i % set.cols}`),
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  };
}
