import { loadFashionMnist, loadMnist } from '@myelin/data/node';
import {
  type CollectedRun,
  collectRun,
  metricOf,
  parseRecipeOptions,
  type Recipe,
  samplesOf,
} from '@myelin/train';
import type { ImageSetSource } from '@myelin/zoo-cnn';

/** Running recipes in tests as `myelin train` does: the Node loaders as the data source. */
export const data: ImageSetSource = {
  imageSet: (name, split) => (name === 'mnist' ? loadMnist({ split }) : loadFashionMnist({ split })),
};

/** Options from flag-like strings (checked and defaulted as the CLI does), plus the data source. */
export function optionsOf<O>(recipe: Recipe<O>, raw: Record<string, string>): O {
  return { ...(parseRecipeOptions(recipe.options, raw) as O), data };
}

/** Run to the end: the events, the live tensors at every epoch end, before and after, the wall time. */
export function runRecipe<O>(recipe: Recipe<O>, raw: Record<string, string>): Promise<CollectedRun> {
  return collectRun(recipe.run(optionsOf(recipe, raw)));
}

/** The value of the `metric` event named `name`. */
export const metric = metricOf;

/** The `samples` event titled `title`. */
export const grid = samplesOf;
