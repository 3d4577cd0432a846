import type { RecipeRegistry } from '@myelin/train';

/**
 * The recipes of `@myelin/zoo-gan`, by name (the zoo contract, DESIGN.md §6): what `myelin models`
 * lists and `myelin train <recipe>` runs.
 */
export const recipes = {} as const satisfies RecipeRegistry;
