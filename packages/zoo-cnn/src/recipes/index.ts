import type { RecipeRegistry } from '@myelin/train';
import { lenet5Mnist } from './lenet5-mnist.js';
import { resnetFashion } from './resnet-fashion.js';

export {
  type ClassifierOptions,
  type ClassifierSpec,
  trainClassifier,
  trainingCurves,
} from './classifier.js';
export { CLASS_NAMES, type ImageSetName, type ImageSetSource, type RecipeData, subset } from './data.js';
export { type Lenet5MnistOptions, lenet5Mnist } from './lenet5-mnist.js';
export { type ResnetFashionOptions, resnetFashion } from './resnet-fashion.js';

/**
 * The recipes of `@myelin/zoo-cnn`, by name (the zoo contract, DESIGN.md §6): what `myelin models`
 * lists and `myelin train <recipe>` runs. Each takes its declared options plus `data` (an
 * `ImageSetSource`; see there).
 *
 * @example
 * const r = recipes['lenet5-mnist'];
 * r.run({ ...parseRecipeOptions(r.options, { epochs: '2' }), data }).subscribe((e) => console.log(e.type));
 */
export const recipes = {
  'lenet5-mnist': lenet5Mnist,
  'resnet-fashion': resnetFashion,
} as const satisfies RecipeRegistry;
