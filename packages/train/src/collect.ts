import { memory } from '@myelin/core';
import { lastValueFrom, type Observable, tap, toArray } from 'rxjs';
import type { EpisodeEvent, FigureEvent, MetricEvent, SamplesEvent, ZooEvent } from './zoo.js';

/** A finished run's events and what memory did along the way (see `collectRun`). */
export interface CollectedRun {
  events: ZooEvent[];
  /** The `episode` events, in order. */
  episodes: EpisodeEvent[];
  /** Live tensors (core's `memory().tensors`) before subscribing and after completion. */
  before: number;
  after: number;
  /** `after − before`: tensors the run left behind (0 for a clean run). */
  leaked: number;
  /** Live tensors when each `epochEnd` event arrived. */
  atEpochEnd: number[];
  /** Live tensors when each `episode` event arrived. */
  atEpisode: number[];
  /** Wall time in seconds. */
  seconds: number;
}

/**
 * Run a recipe's event stream to the end and collect every event, with core's live-tensor count
 * before, after, and at every `epochEnd` and `episode` event: what a test needs to check a recipe
 * trains and stays memory-flat, and what a script needs to read its figures.
 *
 * @example
 * const run = await collectRun(recipes['lenet5-mnist'].run({ ...options, data }));
 * expect(run.leaked).toBe(0);
 * console.log(metricOf(run.events, 'test accuracy'));
 */
export async function collectRun(events$: Observable<ZooEvent>): Promise<CollectedRun> {
  const before = memory().tensors;
  const atEpochEnd: number[] = [];
  const atEpisode: number[] = [];
  const t0 = performance.now();
  const events = await lastValueFrom(
    events$.pipe(
      tap((e) => {
        if (e.type === 'epochEnd') atEpochEnd.push(memory().tensors);
        else if (e.type === 'episode') atEpisode.push(memory().tensors);
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
    atEpochEnd,
    atEpisode,
    seconds: (performance.now() - t0) / 1000,
  };
}

function lastOf<T extends ZooEvent>(
  events: readonly ZooEvent[],
  match: (e: ZooEvent) => e is T,
): T | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (match(e)) return e;
  }
  return undefined;
}

/** The value of the `metric` event named `name` (the last one, if several), or undefined. */
export function metricOf(events: readonly ZooEvent[], name: string): number | undefined {
  return lastOf(events, (e): e is MetricEvent => e.type === 'metric' && e.name === name)?.value;
}

/** The `samples` event titled `title` (the last one, if several), or undefined. */
export function samplesOf(events: readonly ZooEvent[], title: string): SamplesEvent | undefined {
  return lastOf(events, (e): e is SamplesEvent => e.type === 'samples' && e.title === title);
}

/** The `figure` event titled `title` (the last one, if several), or undefined. */
export function figureOf(events: readonly ZooEvent[], title: string): FigureEvent | undefined {
  return lastOf(events, (e): e is FigureEvent => e.type === 'figure' && e.title === title);
}
