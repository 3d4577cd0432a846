import { memory, tensor } from '@myelin/core';
import { from, Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { collectRun, figureOf, imageArray, metricOf, samplesOf, type ZooEvent } from '../src/index.js';

describe('collectRun', () => {
  it('collects every event and counts live tensors before, after, at each epoch end and episode', async () => {
    const held: ReturnType<typeof tensor>[] = [];
    // A run that allocates one tensor per epoch and leaks the last one.
    const run = new Observable<ZooEvent>((sub) => {
      for (let epoch = 0; epoch < 3; epoch++) {
        held.push(tensor([epoch]));
        if (epoch > 0) held[epoch - 1]!.dispose();
        sub.next({
          type: 'epochEnd',
          epoch,
          loss: 1,
          metrics: {},
          samples: 1,
          samplesPerSec: 1,
          durationMs: 1,
        });
      }
      sub.next({ type: 'episode', episode: 0, return: 5, length: 5 });
      sub.next({ type: 'metric', name: 'score', value: 1 });
      sub.next({ type: 'metric', name: 'score', value: 2 });
      sub.complete();
    });
    const before = memory().tensors;
    const r = await collectRun(run);
    expect(r.before).toBe(before);
    expect(r.atEpochEnd).toEqual([before + 1, before + 1, before + 1]);
    expect(r.atEpisode).toEqual([before + 1]);
    expect(r.leaked).toBe(1);
    expect(r.episodes.map((e) => e.return)).toEqual([5]);
    expect(metricOf(r.events, 'score')).toBe(2);
    expect(metricOf(r.events, 'missing')).toBeUndefined();
    held.at(-1)!.dispose();
  });

  it('finds samples and figures by title', async () => {
    const images = imageArray(new Float32Array(4), [1, 1, 2, 2]);
    const r = await collectRun(
      from<ZooEvent[]>([
        { type: 'samples', title: 'grid', images },
        { type: 'figure', kind: 'image', title: 'map', image: images },
      ]),
    );
    expect(samplesOf(r.events, 'grid')?.images.shape).toEqual([1, 1, 2, 2]);
    expect(figureOf(r.events, 'map')?.kind).toBe('image');
    expect(samplesOf(r.events, 'map')).toBeUndefined();
  });
});
