import type { RecipeRegistry } from '@myelin/train';
import { charLmMobyDick, lstmImdb, lstmMnistRows, wordBoundariesMobyDick } from './sequence-recipes.js';

export * from './charlm.js';
export * from './ngram.js';
export * from './padding.js';
export * from './sequence-models.js';
export * from './sequence-recipes.js';
export * from './sequence-train.js';

/** Sequence classification, tagging and character language models. */
export const sequenceRecipes = {
  'lstm-mnist-rows': lstmMnistRows,
  'lstm-imdb': lstmImdb,
  'char-lm-moby-dick': charLmMobyDick,
  'word-boundaries-moby-dick': wordBoundariesMobyDick,
} as const satisfies RecipeRegistry;
