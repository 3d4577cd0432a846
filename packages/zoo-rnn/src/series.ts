import type { RecipeRegistry } from '@myelin/train';

/** Time-series recipes (filled in by this work). */
export const seriesRecipes = {} as const satisfies RecipeRegistry;
