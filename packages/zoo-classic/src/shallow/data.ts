import type { ImageSet } from '@myelin/data';

/** The tables the classic recipes read: sklearn's iris, wine, breast cancer and 8×8 digits. */
export type TableName = 'iris' | 'wine' | 'breast-cancer' | 'digits';

/** The image sets a classic recipe may read (MNIST for RBMs and DBNs). */
export type ClassicImageSetName = 'mnist' | 'fashion-mnist';

/**
 * A labelled table as plain host data (what `@myelin/data/node`'s `loadSklearnTable` returns):
 * `features` is `[count, dims]` row-major, `labels` are class indices `0 … classNames.length − 1`.
 */
export interface Table {
  /** e.g. `'iris'`. */
  readonly name: string;
  readonly features: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
  readonly dims: number;
  readonly featureNames: readonly string[];
  readonly classNames: readonly string[];
}

/**
 * Where a classic recipe's data comes from. A recipe never reads files: the caller hands it a
 * source. In Node, `myelin train` passes one over `@myelin/data/node`'s loaders
 * (`loadSklearnTable`, `loadDigits`, `loadMnist`); a page passes one that parses the CSVs it serves.
 *
 * @example
 * import { loadSklearnTable } from '@myelin/data/node';
 * const data: ClassicDataSource = { table: (name) => loadSklearnTable(name) };
 * recipes['perceptron-iris'].run({ ...defaults, data });
 */
export interface ClassicDataSource {
  table(name: TableName): Promise<Table>;
  imageSet?(name: ClassicImageSetName, split: 'train' | 'test'): Promise<ImageSet>;
}

/** What every classic recipe takes beside its declared options: the data source. */
export interface ClassicRecipeData {
  data?: ClassicDataSource;
}

/**
 * The table `name` from the caller's data source, checked; without a source, an error that says
 * how to give one.
 */
export async function loadTable(recipe: string, options: ClassicRecipeData, name: TableName): Promise<Table> {
  const data = options.data;
  if (!data || typeof data.table !== 'function') {
    throw new TypeError(
      `${recipe}: no table source: pass { data: { table(name) } } with the options ` +
        '(in Node, over loadSklearnTable of @myelin/data/node; myelin train passes one)',
    );
  }
  const t = await data.table(name);
  checkTable(recipe, t);
  return t;
}

/** Throws unless `t` is a consistent table (sizes, finite features, labels in range). */
export function checkTable(op: string, t: Table): void {
  if (t.features.length !== t.count * t.dims) {
    throw new RangeError(
      `${op}: table '${t.name}' has ${t.features.length} feature values, expected count × dims = ${t.count} × ${t.dims}`,
    );
  }
  if (t.labels.length !== t.count) {
    throw new RangeError(`${op}: table '${t.name}' has ${t.labels.length} labels, expected ${t.count}`);
  }
  const k = t.classNames.length;
  for (let i = 0; i < t.count; i++) {
    const y = t.labels[i]!;
    if (!(y >= 0 && y < k)) {
      throw new RangeError(
        `${op}: table '${t.name}' label ${i} is ${y}, expected a class index in [0, ${k - 1}]`,
      );
    }
  }
}
