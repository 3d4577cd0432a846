import type { RecipeRegistry } from '@myelin/train';
import { kernelSvmBreastCancer } from './recipes/kernel-svm-breast-cancer.js';
import { mfSynthetic } from './recipes/mf-synthetic.js';
import { perceptronIris } from './recipes/perceptron-iris.js';
import { rbfBreastCancer } from './recipes/rbf-breast-cancer.js';
import { softmaxDigits } from './recipes/softmax-digits.js';
import { svmIris } from './recipes/svm-iris.js';

export * from './charts.js';
export * from './data.js';
export * from './kernel.js';
export * from './linear.js';
export * from './mf.js';
export * from './preprocess.js';
export * from './rbf.js';
export * from './recipes/kernel-svm-breast-cancer.js';
export * from './recipes/mf-synthetic.js';
export * from './recipes/perceptron-iris.js';
export * from './recipes/rbf-breast-cancer.js';
export * from './recipes/softmax-digits.js';
export * from './recipes/svm-iris.js';
export * from './train.js';

/** The shallow half of @myelin/zoo-classic's recipes (merged into `recipes` by the package index). */
export const shallowRecipes = {
  'perceptron-iris': perceptronIris,
  'svm-iris': svmIris,
  'kernel-svm-breast-cancer': kernelSvmBreastCancer,
  'rbf-breast-cancer': rbfBreastCancer,
  'softmax-digits': softmaxDigits,
  'mf-synthetic': mfSynthetic,
} as const satisfies RecipeRegistry;
