import type { RecipeRegistry } from '@myelin/train';

/** Encoder–decoder recipes with attention (filled in by this work). */
export const seq2seqRecipes = {} as const satisfies RecipeRegistry;
