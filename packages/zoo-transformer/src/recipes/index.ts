import type { RecipeRegistry } from '@myelin/train';

/** Every recipe of @myelin/zoo-transformer, by name. */
export const recipes: RecipeRegistry = {};
