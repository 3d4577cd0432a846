import {
  type CollectedRun,
  collectRun,
  type EpisodeEvent,
  figureOf,
  metricOf,
  parseRecipeOptions,
  type Recipe,
} from '@myelin/train';

/**
 * The shared runner for @myelin/zoo-rl's recipe tests: runs a recipe as `myelin train` does
 * (options from flag-like strings, checked and defaulted by `parseRecipeOptions`), collects every
 * event, and samples core's live-tensor count at every `episode` event and every `epochEnd`, so a
 * test can check the loop is memory-flat.
 */

/** Options from flag-like strings, checked and defaulted as the CLI does. */
export function optionsOf<O>(recipe: Recipe<O>, raw: Record<string, string>): O {
  return parseRecipeOptions(recipe.options, raw) as O;
}

export type RecipeRun = CollectedRun;

/** Run to the end: the events, the live tensors along the way, before and after, the wall time. */
export function runRecipe<O>(recipe: Recipe<O>, raw: Record<string, string> = {}): Promise<RecipeRun> {
  return collectRun(recipe.run(optionsOf(recipe, raw)));
}

/**
 * Whether live tensors stayed flat along a run: the samples after the first `warmup` (where
 * optimizer state and caches get allocated) vary by at most `slack`. Returns the spread, for the
 * failure message.
 */
export function growth(samples: readonly number[], warmup = 1): number {
  const rest = samples.slice(Math.min(warmup, Math.max(0, samples.length - 2)));
  if (rest.length === 0) return 0;
  return Math.max(...rest) - Math.min(...rest);
}

/** The value of the `metric` event named `name`. */
export const metric = metricOf;

/** The `figure` event titled `title`. */
export const figure = figureOf;

/** Mean return of the episodes `from … to` (indices into `episodes`, negative from the end). */
export function meanReturn(episodes: readonly EpisodeEvent[], from = 0, to = episodes.length): number {
  const part = episodes.slice(from, to);
  if (part.length === 0) throw new RangeError('meanReturn: no episodes in that range');
  return part.reduce((s, e) => s + e.return, 0) / part.length;
}
