import type { ImageSet } from '@myelin/data';

/**
 * Where the energy recipes' data come from (a recipe never reads files; the caller hands it a
 * source). `myelin train` passes one over `@myelin/data/node`'s loaders; tests do the same.
 * The same shape as @myelin/zoo-cnn's `ImageSetSource`, plus the tables of `apps/cli`'s classic data.
 *
 * @example
 * import { loadMnist, loadSklearnTable } from '@myelin/data/node';
 * const data: EnergyData = {
 *   imageSet: (name, split) => loadMnist({ split }),
 *   table: (name) => loadSklearnTable(name),
 * };
 */
export interface EnergyData {
  imageSet?(name: 'mnist' | 'fashion-mnist', split: 'train' | 'test'): Promise<ImageSet>;
  table?(name: 'iris' | 'wine' | 'breast-cancer'): Promise<LabelledTable>;
}

/** A labelled table as sklearn's loaders give it (`SklearnTable` of `@myelin/data/node`). */
export interface LabelledTable {
  name: string;
  /** `[count, dims]` row-major. */
  features: Float32Array;
  labels: Int32Array;
  count: number;
  dims: number;
  featureNames: readonly string[];
  classNames: readonly string[];
}

/** What every energy recipe takes beside its declared options. */
export interface EnergyRecipeData {
  data?: EnergyData;
}

/** MNIST's training and test sets through the caller's source, or an error saying how to give one. */
export function loadMnistSets(recipe: string, options: EnergyRecipeData): Promise<[ImageSet, ImageSet]> {
  const source = options.data;
  if (!source?.imageSet)
    return Promise.reject(
      new TypeError(
        `${recipe}: no data source: pass { data: { imageSet(name, split) } } with the options ` +
          '(in Node, over loadMnist of @myelin/data/node; myelin train passes one)',
      ),
    );
  return Promise.all([source.imageSet('mnist', 'train'), source.imageSet('mnist', 'test')]);
}

/** A sklearn table through the caller's source, or an error saying how to give one. */
export function loadTable(recipe: string, options: EnergyRecipeData, name: 'iris'): Promise<LabelledTable> {
  const source = options.data;
  if (!source?.table)
    return Promise.reject(
      new TypeError(
        `${recipe}: no table source: pass { data: { table(name) } } with the options ` +
          '(in Node, over loadSklearnTable of @myelin/data/node; myelin train passes one)',
      ),
    );
  return source.table(name);
}

/** Pixels of `set` as floats in [0, 1], `[count, rows·cols]` row-major. */
export function pixelsOf(set: ImageSet): Float32Array {
  const out = new Float32Array(set.images.length);
  for (let i = 0; i < out.length; i++) out[i] = set.images[i]! / 255;
  return out;
}

/** A Vega-Lite line chart of one value per epoch, data inline. */
export function curveSpec(
  title: string,
  yTitle: string,
  points: { epoch: number; series: string; value: number }[],
) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 300,
    height: 200,
    data: { values: points },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  } as const;
}
