import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DatasetNotFoundError,
  DatasetValidationError,
  digitsTable,
  fetchSklearnFiles,
  loadDigits,
  loadSklearnTable,
  parseSklearnCsv,
  SKLEARN_TABLES,
  type SklearnTable,
  sklearnFetchCommands,
} from '../src/node/index.js';

/**
 * Facts from outside this package: sklearn's descriptions (`datasets/descr/iris.rst`: 150
 * instances, 50 per class; `wine_data.rst`: class_0 59, class_1 71, class_2 48;
 * `breast_cancer.rst`: 212 malignant, 357 benign) and Python's csv module over each file:
 *
 *   rows = list(csv.reader(open(p)))[1:]; rows[0]; rows[-1]; sum(float(v) for r in rows for v in r[:-1])
 */
const FACTS = {
  iris: {
    count: 150,
    dims: 4,
    classCounts: [50, 50, 50],
    first: [5.1, 3.5, 1.4, 0.2, 0],
    last: [5.9, 3.0, 5.1, 1.8, 2],
    sum: 2078.7,
  },
  wine: {
    count: 178,
    dims: 13,
    classCounts: [59, 71, 48],
    first: [14.23, 1.71, 2.43, 15.6, 127, 2.8, 3.06, 0.28, 2.29, 5.64, 1.04, 3.92, 1065, 0],
    last: [14.13, 4.1, 2.74, 24.5, 96, 2.05, 0.76, 0.56, 1.35, 9.2, 0.61, 1.6, 560, 2],
    sum: 159975.296,
  },
  'breast-cancer': {
    count: 569,
    dims: 30,
    classCounts: [212, 357],
    first: [
      17.99, 10.38, 122.8, 1001, 0.1184, 0.2776, 0.3001, 0.1471, 0.2419, 0.07871, 1.095, 0.9053, 8.589, 153.4,
      0.006399, 0.04904, 0.05373, 0.01587, 0.03003, 0.006193, 25.38, 17.33, 184.6, 2019, 0.1622, 0.6656,
      0.7119, 0.2654, 0.4601, 0.1189, 0,
    ],
    last: [
      7.76, 24.54, 47.92, 181, 0.05263, 0.04362, 0, 0, 0.1587, 0.05884, 0.3857, 1.428, 2.548, 19.15, 0.007189,
      0.00466, 0, 0, 0.02676, 0.002783, 9.456, 30.37, 59.16, 268.6, 0.08996, 0.06444, 0, 0, 0.2871, 0.07039,
      1,
    ],
    sum: 1056474.4596,
  },
} as const;

const scratch = mkdtempSync(join(tmpdir(), 'myelin-sklearn-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const row = (t: SklearnTable, r: number) => [
  ...t.features.subarray(r * t.dims, (r + 1) * t.dims),
  t.labels[r]!,
];

describe("loadSklearnTable: sklearn's iris, wine and breast cancer from Debian's python3-sklearn", () => {
  for (const name of ['iris', 'wine', 'breast-cancer'] as const) {
    it(`${name}: size, class counts, first and last rows and the sum of all features match the CSV`, async () => {
      const f = FACTS[name];
      const t = await loadSklearnTable(name);
      expect(t.name).toBe(name);
      expect([t.count, t.dims, t.features.length, t.labels.length]).toEqual([
        f.count,
        f.dims,
        f.count * f.dims,
        f.count,
      ]);
      expect(t.featureNames).toHaveLength(f.dims);
      expect(t.classNames).toHaveLength(f.classCounts.length);
      const counts = new Array(f.classCounts.length).fill(0);
      for (const y of t.labels) counts[y]++;
      expect(counts).toEqual(f.classCounts);
      // float32 of the CSV's decimals, exactly.
      expect(row(t, 0)).toEqual(f.first.map(Math.fround));
      expect(row(t, f.count - 1)).toEqual(f.last.map(Math.fround));
      let sum = 0;
      for (const v of t.features) sum += v;
      expect(sum / f.sum).toBeCloseTo(1, 6);
    });
  }

  it("carries sklearn's feature and class names", async () => {
    const iris = await loadSklearnTable('iris');
    expect(iris.featureNames).toEqual([
      'sepal length (cm)',
      'sepal width (cm)',
      'petal length (cm)',
      'petal width (cm)',
    ]);
    expect(iris.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    const bc = await loadSklearnTable('breast-cancer');
    expect(bc.featureNames[0]).toBe('mean radius');
    expect(bc.featureNames[17]).toBe('concave points error');
    expect(bc.featureNames[29]).toBe('worst fractal dimension');
    expect(bc.classNames).toEqual(['malignant', 'benign']);
    expect((await loadSklearnTable('wine')).featureNames[11]).toBe('od280/od315_of_diluted_wines');
  });

  it('rejects an unknown table, naming the known ones', async () => {
    await expect(loadSklearnTable('digits' as 'iris')).rejects.toThrow(
      /loadSklearnTable: no table "digits"; expected one of iris, wine, breast-cancer/,
    );
  });

  it('rejects a file that is not the pinned CSV (one changed value), naming both hashes', async () => {
    const real = await loadSklearnTable('iris');
    expect(real.count).toBe(150);
    const bad = join(scratch, 'iris-changed.csv');
    writeFileSync(
      bad,
      `150,4,setosa,versicolor,virginica\n5.2,3.5,1.4,0.2,0\n${'5.0,3.0,1.0,0.1,0\n'.repeat(149)}`,
    );
    const err = await loadSklearnTable('iris', { file: bad }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetValidationError);
    expect(String(err)).toMatch(/iris-changed\.csv has SHA-256 [0-9a-f]{64}, expected f13ffa8f/);
  });

  it('a missing file gives DatasetNotFoundError with the apt-get command', async () => {
    const err = await loadSklearnTable('wine', {
      file: join(scratch, 'nope.csv'),
      cacheDir: join(scratch, 'c'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect((err as DatasetNotFoundError).installCommand).toBe(
      sklearnFetchCommands(['wine_data.csv'], join(scratch, 'c')),
    );
    expect(String(err)).toMatch(/nope\.csv does not exist.*apt-get download python3-sklearn && dpkg-deb -x/);
  });

  it('fetchSklearnFiles fetches with apt-get download + dpkg-deb -x into a cache, checked (or names the commands)', async () => {
    const cacheDir = join(scratch, 'fetched');
    const files = [SKLEARN_TABLES.iris, SKLEARN_TABLES['breast-cancer']];
    // Two fetches of the same files into one folder share one download.
    const a = fetchSklearnFiles(files, cacheDir);
    const b = fetchSklearnFiles(files, cacheDir);
    const paths = await a.catch((e: unknown) => e);
    if (paths instanceof DatasetNotFoundError) {
      // No apt or no network here: the error must say how to do it by hand.
      expect(paths.installCommand).toContain(
        'cp usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv',
      );
      return;
    }
    expect(await b).toBe(paths);
    expect(paths).toEqual([join(cacheDir, 'iris.csv'), join(cacheDir, 'breast_cancer.csv')]);
    const fromCache = await loadSklearnTable('breast-cancer', { file: join(cacheDir, 'breast_cancer.csv') });
    expect(fromCache.count).toBe(569);
    expect(readFileSync(join(cacheDir, 'iris.csv'), 'utf8').startsWith('150,4,setosa')).toBe(true);
  });
});

describe('parseSklearnCsv: checks every cell', () => {
  const head = '2,2,a,b\n';
  it('parses the layout (CRLF too) and leaves feature names to the caller', () => {
    const t = parseSklearnCsv('op', 'f', `${head}1.5,2,0\r\n-3,4e1,1\r\n`, 'toy');
    expect(Array.from(t.features)).toEqual([1.5, 2, -3, 40]);
    expect(Array.from(t.labels)).toEqual([0, 1]);
    expect(t.classNames).toEqual(['a', 'b']);
  });
  it.each([
    ['x,2,a\n1,2,0\n', /header 'x,2,a' is not 'n_samples,n_features,class names…'/],
    [`${head}1,2,0\n`, /has 1 data rows, its header says 2/],
    [`${head}1,2,0\n1,0\n`, /data row 1 has 2 columns, expected 3/],
    [`${head}1,2,0\n1,abc,1\n`, /data row 1, column 1: expected a number, got 'abc'/],
    [`${head}1,2,0\n1,,1\n`, /data row 1, column 1: expected a number, got ''/],
    [`${head}1,2,0\n1,2,2\n`, /data row 1: expected a class 0–1, got '2'/],
    [`${head}1,2,0.5\n1,2,1\n`, /data row 0: expected a class 0–1, got '0.5'/],
  ])('rejects %j', (text, message) => {
    expect(() => parseSklearnCsv('op', 'f', text, 'toy')).toThrow(DatasetValidationError);
    expect(() => parseSklearnCsv('op', 'f', text, 'toy')).toThrow(message);
  });
});

describe('digitsTable', () => {
  it("is sklearn's load_digits().data: 1,797 × 64 counts 0–16, pixel_r_c names, labels 0–9", async () => {
    const set = await loadDigits();
    const t = digitsTable(set);
    expect([t.count, t.dims, t.features.length]).toEqual([1797, 64, 1797 * 64]);
    // The first image's first row, from Python's csv module over digits.csv.gz.
    expect(Array.from(t.features.subarray(0, 8))).toEqual([0, 0, 5, 13, 9, 1, 0, 0]);
    expect(Array.from(t.labels.subarray(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(t.featureNames[9]).toBe('pixel_1_1');
    expect(t.classNames).toHaveLength(10);
  });
});
