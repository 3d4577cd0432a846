import type { RecipeRegistry } from '@myelin/train';
import { ntmRecipes } from '../ntm.js';
import { ramRecipes } from '../ram.js';
import { seq2seqRecipes } from '../seq2seq.js';
import { sequenceRecipes } from '../sequence.js';
import { seriesRecipes } from '../series.js';

/**
 * The recipes of `@myelin/zoo-rnn`, by name (the zoo contract, DESIGN.md §6): what `myelin models`
 * lists and `myelin train <name>` runs.
 */
export const recipes = {
  ...sequenceRecipes,
  ...seq2seqRecipes,
  ...seriesRecipes,
  ...ntmRecipes,
  ...ramRecipes,
} as const satisfies RecipeRegistry;
