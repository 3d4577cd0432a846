import type { RecipeRegistry } from '@myelin/train';
import { adversarialMnist } from './adversarial-mnist.js';
import { autoencoderMnist } from './autoencoder-mnist.js';
import { lenet5Mnist } from './lenet5-mnist.js';
import { resnetFashion } from './resnet-fashion.js';
import { saliencyMnist } from './saliency-mnist.js';
import { vaeMnist } from './vae-mnist.js';

export { type AdversarialMnistOptions, adversarialMnist } from './adversarial-mnist.js';
export { type AutoencoderMnistOptions, autoencoderMnist } from './autoencoder-mnist.js';
export {
  type ClassifierOptions,
  type ClassifierSpec,
  trainClassifier,
  trainingCurves,
} from './classifier.js';
export {
  CLASS_NAMES,
  type ImageSetName,
  type ImageSetSource,
  loadImageSets,
  type RecipeData,
} from './data.js';
export { type Lenet5MnistOptions, lenet5Mnist } from './lenet5-mnist.js';
export { type ResnetFashionOptions, resnetFashion } from './resnet-fashion.js';
export { type SaliencyMnistOptions, saliencyMnist } from './saliency-mnist.js';
export { type VaeMnistOptions, vaeMnist } from './vae-mnist.js';

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
  'adversarial-mnist': adversarialMnist,
  'autoencoder-mnist': autoencoderMnist,
  'lenet5-mnist': lenet5Mnist,
  'resnet-fashion': resnetFashion,
  'saliency-mnist': saliencyMnist,
  'vae-mnist': vaeMnist,
} as const satisfies RecipeRegistry;
