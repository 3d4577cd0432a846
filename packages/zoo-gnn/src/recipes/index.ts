import type { RecipeRegistry } from '@myelin/train';

/** Every recipe of @myelin/zoo-gnn, by name. */
export const recipes: RecipeRegistry = {};
