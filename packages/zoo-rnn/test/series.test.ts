import { readFileSync } from 'node:fs';
import { loadSeries } from '@myelin/data/node';
import { describe, expect, it } from 'vitest';
import { mae, mase, meanStd, quantile, rmse, seasonalNaive, slidingWindows } from '../src/index.js';

/** Golden numbers: tools/gen_zoo_rnn_series_fixtures.py (numpy, Hyndman & Koehler's MASE). */
const fx = JSON.parse(readFileSync(new URL('../fixtures/series.json', import.meta.url), 'utf8'));

describe('windows, baselines and errors', () => {
  it('slidingWindows cuts input/target windows with a stride', () => {
    const w = slidingWindows([1, 2, 3, 4, 5, 6], 2, 2, 2);
    expect(w.count).toBe(2);
    expect([...w.inputs]).toEqual([1, 2, 3, 4]);
    expect([...w.targets]).toEqual([3, 4, 5, 6]);
    expect([...w.starts]).toEqual([0, 2]);
    // The shortest series that has a window: exactly one.
    expect(slidingWindows([7, 8], 1, 1).count).toBe(1);
    expect(() => slidingWindows([1, 2, 3], 3, 1)).toThrow(
      'slidingWindows: a series of 3 values has no window of 3 inputs + 1 targets (needs ≥ 4)',
    );
    expect(() => slidingWindows([1, Number.NaN, 3], 1, 1)).toThrow(
      'slidingWindows: series[1] is NaN, expected a finite number',
    );
    expect(() => slidingWindows([1, 2, 3], 0, 1)).toThrow(
      'slidingWindows: inputLength must be an integer ≥ 1, got 0',
    );
  });

  it('seasonalNaive repeats the last season, and the naive forecast the last value', () => {
    expect([...seasonalNaive([1, 2, 3, 4, 5], 2, 5)]).toEqual([4, 5, 4, 5, 4]);
    expect([...seasonalNaive([1, 2, 3], 1, 3)]).toEqual([3, 3, 3]);
    expect(() => seasonalNaive([1, 2], 3, 1)).toThrow(
      'seasonalNaive: needs at least one season (3 values) of history, got 2',
    );
  });

  it('MASE, MAE and RMSE match numpy on a small series', () => {
    const s = fx.mase.small;
    expect(mase(s.actual, s.forecast, s.insample, 1)).toBeCloseTo(s.mase1, 10);
    expect(mase(s.actual, s.forecast, s.insample, 2)).toBeCloseTo(s.mase2, 10);
    expect(mae([1, 2], [2, 4])).toBe(1.5);
    expect(rmse([0, 0], [3, 4])).toBeCloseTo(Math.sqrt(12.5), 12);
    expect(() => mase([1, 2], [1], [1, 2, 3])).toThrow(
      'mase: 2 actual values but 1 forecasts; expected as many',
    );
    expect(() => mase([1], [1], [5, 5, 5], 1)).toThrow(
      'mase: the in-sample seasonal differences are all 0; MASE is undefined',
    );
    expect(() => mae([], [])).toThrow('mae: no values to compare');
  });

  it('the airline seasonal-naive forecast of 1959–1960 scores MASE 2.4935 (numpy), on the real series', async () => {
    const y = (await loadSeries('airline')).values;
    const a = fx.mase.airline;
    const train = y.subarray(0, 144 - a.horizon);
    const naive = seasonalNaive(train, a.period, a.horizon);
    expect([...naive]).toEqual(a.seasonalNaive);
    expect(mase(y.subarray(144 - a.horizon), naive, train, a.period)).toBeCloseTo(a.seasonalNaiveMase, 10);
    expect(rmse(y.subarray(144 - a.horizon), naive)).toBeCloseTo(a.seasonalNaiveRmse, 10);
  }, 120_000);

  it('quantile interpolates linearly as numpy; meanStd is the population moments', () => {
    const q = fx.quantile;
    q.q.forEach((p: number, i: number) => {
      expect(quantile(q.sample, p)).toBeCloseTo(q.expected[i], 8);
    });
    expect(quantile([5], 0.3)).toBe(5);
    expect(meanStd([1, 3])).toEqual({ mean: 2, std: 1 });
    expect(() => quantile([], 0.5)).toThrow('quantile: empty sample');
  });
});
