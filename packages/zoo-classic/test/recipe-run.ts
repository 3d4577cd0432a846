import { memory } from '@myelin/core';
import { digitsTable, loadDigits, loadFashionMnist, loadMnist, loadSklearnTable } from '@myelin/data/node';
import { parseRecipeOptions, type Recipe, type SamplesEvent, type ZooEvent } from '@myelin/train';
import { lastValueFrom, tap, toArray } from 'rxjs';
import type { ClassicDataSource, Table, TableName } from '../src/index.js';

const tables = new Map<TableName, Promise<Table>>();

/**
 * Running recipes in tests as `myelin train` does: the Node loaders as the data source (each
 * table read once per test file; recipes must not write into what they get).
 */
export const data: ClassicDataSource = {
  table(name) {
    let p = tables.get(name);
    if (!p) {
      p = name === 'digits' ? loadDigits().then(digitsTable) : loadSklearnTable(name);
      tables.set(name, p);
    }
    return p;
  },
  imageSet: (name, split) => (name === 'mnist' ? loadMnist({ split }) : loadFashionMnist({ split })),
};

/** Options from flag-like strings (checked and defaulted as the CLI does), plus the data source. */
export function optionsOf<O>(recipe: Recipe<O>, raw: Record<string, string>): O {
  return { ...(parseRecipeOptions(recipe.options, raw) as O), data };
}

/** Run to the end: the events, the live tensors at every epoch end, before and after, the wall time. */
export async function runRecipe<O>(recipe: Recipe<O>, raw: Record<string, string>) {
  const before = memory().tensors;
  const atEpochEnd: number[] = [];
  const t0 = performance.now();
  const events = await lastValueFrom(
    recipe.run(optionsOf(recipe, raw)).pipe(
      tap((e) => {
        if (e.type === 'epochEnd') atEpochEnd.push(memory().tensors);
      }),
      toArray(),
    ),
  );
  const after = memory().tensors;
  return {
    events,
    before,
    after,
    leaked: after - before,
    atEpochEnd,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The value of the `metric` event named `name`. */
export const metric = (events: ZooEvent[], name: string) =>
  events.find((e): e is Extract<ZooEvent, { type: 'metric' }> => e.type === 'metric' && e.name === name)
    ?.value;

/** The `samples` event titled `title`. */
export const grid = (events: ZooEvent[], title: string) =>
  events.find((e): e is SamplesEvent => e.type === 'samples' && e.title === title);

/** The `figure` event titled `title`. */
export const figure = (events: ZooEvent[], title: string) =>
  events.find((e): e is Extract<ZooEvent, { type: 'figure' }> => e.type === 'figure' && e.title === title);
