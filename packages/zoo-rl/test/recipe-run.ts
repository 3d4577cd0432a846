import { memory } from '@myelin/core';
import {
  type EpisodeEvent,
  type FigureEvent,
  parseRecipeOptions,
  type Recipe,
  type ZooEvent,
} from '@myelin/train';
import { lastValueFrom, tap, toArray } from 'rxjs';

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

export interface RecipeRun {
  events: ZooEvent[];
  /** The episode events, in order. */
  episodes: EpisodeEvent[];
  /** Live tensors before subscribing and after completion. */
  before: number;
  after: number;
  /** `after − before`: tensors the run left behind (0 for a clean run). */
  leaked: number;
  /** Live tensors when each `episode` event arrived. */
  atEpisode: number[];
  /** Live tensors when each `epochEnd` event arrived (recipes that report updates as epochs). */
  atEpochEnd: number[];
  /** Wall time in seconds. */
  seconds: number;
}

/** Run to the end: the events, the live tensors along the way, before and after, the wall time. */
export async function runRecipe<O>(recipe: Recipe<O>, raw: Record<string, string> = {}): Promise<RecipeRun> {
  const before = memory().tensors;
  const atEpisode: number[] = [];
  const atEpochEnd: number[] = [];
  const t0 = performance.now();
  const events = await lastValueFrom(
    recipe.run(optionsOf(recipe, raw)).pipe(
      tap((e) => {
        if (e.type === 'episode') atEpisode.push(memory().tensors);
        if (e.type === 'epochEnd') atEpochEnd.push(memory().tensors);
      }),
      toArray(),
    ),
  );
  const after = memory().tensors;
  return {
    events,
    episodes: events.filter((e): e is EpisodeEvent => e.type === 'episode'),
    before,
    after,
    leaked: after - before,
    atEpisode,
    atEpochEnd,
    seconds: (performance.now() - t0) / 1000,
  };
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
export const metric = (events: ZooEvent[], name: string) =>
  events.find((e): e is Extract<ZooEvent, { type: 'metric' }> => e.type === 'metric' && e.name === name)
    ?.value;

/** The `figure` event titled `title`. */
export const figure = (events: ZooEvent[], title: string) =>
  events.find((e): e is FigureEvent => e.type === 'figure' && e.title === title);

/** Mean return of the episodes `from … to` (indices into `episodes`, negative from the end). */
export function meanReturn(episodes: readonly EpisodeEvent[], from = 0, to = episodes.length): number {
  const part = episodes.slice(from, to);
  if (part.length === 0) throw new RangeError('meanReturn: no episodes in that range');
  return part.reduce((s, e) => s + e.return, 0) / part.length;
}
