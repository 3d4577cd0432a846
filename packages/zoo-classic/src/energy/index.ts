import type { RecipeRegistry } from '@myelin/train';

/** The energy half of @myelin/zoo-classic's recipes (merged into `recipes` by the package index). */
export const energyRecipes = {} as const satisfies RecipeRegistry;
