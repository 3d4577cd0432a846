import type { RecipeRegistry } from '@myelin/train';

/** The control half of @myelin/zoo-rl's recipes (merged into `recipes` by the package index). */
export const controlRecipes = {} as const satisfies RecipeRegistry;
