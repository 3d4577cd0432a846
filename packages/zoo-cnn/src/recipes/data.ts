import type { ImageSet } from '@myelin/data';

/** The image sets the CNN recipes train on. */
export type ImageSetName = 'mnist' | 'fashion-mnist';

/**
 * Where a recipe's images come from. A recipe never reads files: the caller hands it a source.
 * In Node the CLI passes one over `@myelin/data/node`'s loaders (`loadMnist`, `loadFashionMnist`,
 * which read installed packages); a page passes one that fetches the IDX files it serves and
 * decodes them with `@myelin/data`'s `parseIdx` + `imageSetFromIdx`.
 *
 * @example
 * import { loadFashionMnist, loadMnist } from '@myelin/data/node';
 * const data: ImageSetSource = {
 *   imageSet: (name, split) => (name === 'mnist' ? loadMnist({ split }) : loadFashionMnist({ split })),
 * };
 * recipes['lenet5-mnist'].run({ ...defaults, data });
 */
export interface ImageSetSource {
  imageSet(name: ImageSetName, split: 'train' | 'test'): Promise<ImageSet>;
}

/** What every CNN recipe takes beside its declared options: the data source (see `ImageSetSource`). */
export interface RecipeData {
  data?: ImageSetSource;
}

/**
 * The training and test sets of `name` from the caller's data source; without a source, an error
 * that says how to give one (a recipe never reads files itself).
 */
export function loadImageSets(
  recipe: string,
  options: RecipeData,
  name: ImageSetName,
): Promise<[train: ImageSet, test: ImageSet]> {
  const data = options.data;
  if (!data)
    return Promise.reject(
      new TypeError(
        `${recipe}: no data source: pass { data: { imageSet(name, split) } } with the options ` +
          '(in Node, over loadMnist/loadFashionMnist of @myelin/data/node; myelin train passes one)',
      ),
    );
  return Promise.all([data.imageSet(name, 'train'), data.imageSet(name, 'test')]);
}

/** Class names by label, for captions. */
export const CLASS_NAMES: Readonly<Record<ImageSetName, readonly string[]>> = {
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  // Xiao, Rasul & Vollgraf (2017), table 1.
  'fashion-mnist': [
    'T-shirt/top',
    'Trouser',
    'Pullover',
    'Dress',
    'Coat',
    'Sandal',
    'Shirt',
    'Sneaker',
    'Bag',
    'Ankle boot',
  ],
};
