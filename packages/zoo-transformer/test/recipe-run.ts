import { loadImdbReviews, loadMnist, loadMobyDick } from '@myelin/data/node';
import { type CollectedRun, collectRun, metricOf, parseRecipeOptions, type Recipe } from '@myelin/train';
import type { TransformerData } from '../src/index.js';

/** Running recipes in tests as `myelin train` does: the Node loaders as the data source. */
export const data: TransformerData = {
  imageSet: (_name, split) => loadMnist({ split }),
  corpus: async () => (await loadMobyDick()).split(/\r?\n\s*\r?\n/),
  imdb: () => loadImdbReviews(),
};

/** Options from flag-like strings (checked and defaulted as the CLI does), plus the data source. */
export function optionsOf<O>(recipe: Recipe<O>, raw: Record<string, string>): O {
  return { ...(parseRecipeOptions(recipe.options, raw) as O), data };
}

/** Run to the end: the events, the live tensors at every round end, before and after, the wall time. */
export function runRecipe<O>(recipe: Recipe<O>, raw: Record<string, string>): Promise<CollectedRun> {
  return collectRun(recipe.run(optionsOf(recipe, raw)));
}

export const metric = metricOf;
