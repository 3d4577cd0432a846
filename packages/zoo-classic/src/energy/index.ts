import type { RecipeRegistry } from '@myelin/train';
import { dbnMnist } from './recipes/dbn-mnist.js';
import { hopfieldDigits } from './recipes/hopfield-digits.js';
import { lvqIris } from './recipes/lvq-iris.js';
import { rbmMnist } from './recipes/rbm-mnist.js';
import { somIris } from './recipes/som-iris.js';

export * from './boltzmann.js';
export * from './dbn.js';
export * from './hopfield.js';
export * from './lvq.js';
export * from './rbm.js';
export * from './rbm-recommender.js';
export type { EnergyData, EnergyRecipeData, LabelledTable } from './recipes/data.js';
export type { DbnMnistOptions } from './recipes/dbn-mnist.js';
export { parseHidden } from './recipes/dbn-mnist.js';
export type { HopfieldDigitsOptions } from './recipes/hopfield-digits.js';
export type { LvqIrisOptions } from './recipes/lvq-iris.js';
export type { RbmMnistOptions } from './recipes/rbm-mnist.js';
export type { SomIrisOptions } from './recipes/som-iris.js';
export * from './som.js';

/** The energy half of @myelin/zoo-classic's recipes (merged into `recipes` by the package index). */
export const energyRecipes = {
  'dbn-mnist': dbnMnist,
  'hopfield-digits': hopfieldDigits,
  'lvq-iris': lvqIris,
  'rbm-mnist': rbmMnist,
  'som-iris': somIris,
} as const satisfies RecipeRegistry;
