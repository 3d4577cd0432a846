import type { RecipeRegistry } from '@myelin/train';
import { word2vecImdb, word2vecMobyDick } from './recipes/index.js';

export * from './io.js';
export * from './kernel.js';
export * from './project.js';
export * from './recipes/index.js';
export * from './tensor.js';
export * from './vectors.js';
export * from './word2vec.js';
export * from './wordnet.js';

/**
 * The recipes of `@myelin/zoo-word2vec`, by name (the zoo contract, DESIGN.md §6): what `myelin models`
 * lists and `myelin train <recipe>` runs.
 */
export const recipes = {
  'word2vec-moby-dick': word2vecMobyDick,
  'word2vec-imdb': word2vecImdb,
} as const satisfies RecipeRegistry;
