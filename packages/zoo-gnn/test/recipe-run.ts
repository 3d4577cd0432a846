import { loadDebianPackageGraph, loadFlare, loadKarateClub, loadLesMiserables } from '@myelin/data/node';
import { type CollectedRun, collectRun, metricOf, parseRecipeOptions, type Recipe } from '@myelin/train';
import type { GraphSource } from '../src/index.js';

/** Running recipes in tests as `myelin train` does: the `@myelin/data/node` loaders as the data source. */
export const data: Partial<GraphSource> = {
  karateClub: () => loadKarateClub(),
  lesMiserables: () => loadLesMiserables(),
  flare: () => loadFlare(),
  debianPackages: (options) => loadDebianPackageGraph(options),
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
