import type { RecipeRegistry } from '@myelin/train';

/** The shallow half of @myelin/zoo-classic's recipes (merged into `recipes` by the package index). */
export const shallowRecipes = {} as const satisfies RecipeRegistry;
