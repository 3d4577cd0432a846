import type { RecipeRegistry } from '@myelin/train';
import { controlRecipes } from './control/index.js';
import { tabularRecipes } from './tabular/index.js';

export * from './control/index.js';
export * from './env.js';
export * from './tabular/index.js';

/**
 * The recipes of `@myelin/zoo-rl`, by name (the zoo contract, DESIGN.md §6): what `myelin models`
 * lists and `myelin train <recipe>` runs.
 */
export const recipes = { ...controlRecipes, ...tabularRecipes } as const satisfies RecipeRegistry;
