import type { RecipeRegistry } from '@myelin/train';

/** The tabular half of @myelin/zoo-rl's recipes (merged into `recipes` by the package index). */
export const tabularRecipes = {} as const satisfies RecipeRegistry;
