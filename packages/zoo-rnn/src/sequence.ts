import type { RecipeRegistry } from '@myelin/train';

/** Sequence classification, tagging and character language models (filled in by this work). */
export const sequenceRecipes = {} as const satisfies RecipeRegistry;
