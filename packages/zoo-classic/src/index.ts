import type { RecipeRegistry } from '@myelin/train';
import { energyRecipes } from './energy/index.js';
import { shallowRecipes } from './shallow/index.js';

export * from './energy/index.js';
export * from './shallow/index.js';

/**
 * The recipes of `@myelin/zoo-classic`, by name (the zoo contract, DESIGN.md §6): what `myelin models`
 * lists and `myelin train <recipe>` runs.
 */
export const recipes = { ...shallowRecipes, ...energyRecipes } as const satisfies RecipeRegistry;
