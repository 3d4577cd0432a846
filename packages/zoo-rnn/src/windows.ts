/**
 * Time-series helpers on plain host arrays: sliding windows, the naive and seasonal-naive
 * forecasts, and the errors forecasts are judged by (MAE, RMSE, MASE as Hyndman & Koehler 2006
 * define it). Everything here is float64 and backend-free, so the baselines and the figures do not
 * depend on the model's arithmetic.
 */

function checkSeries(op: string, values: ArrayLike<number>, what = 'series'): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!))
      throw new RangeError(`${op}: ${what}[${i}] is ${values[i]}, expected a finite number`);
  }
}

function positiveInt(op: string, v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${op}: ${name} must be an integer ≥ 1, got ${v}`);
  return v;
}

/** Input/target windows cut from one series, row-major. */
export interface Windows {
  /** `[count, inputLength]`: `values[s … s + inputLength)` for each start s. */
  inputs: Float64Array;
  /** `[count, horizon]`: the `horizon` values right after each input window. */
  targets: Float64Array;
  count: number;
  inputLength: number;
  horizon: number;
  /** Where each window starts in the series. */
  starts: Int32Array;
}

/**
 * Every window of `inputLength` values followed by `horizon` targets, starting at 0, `stride`,
 * 2·`stride`, … while the targets stay inside the series.
 *
 * @example
 * slidingWindows([1, 2, 3, 4, 5], 2, 1); // inputs [1,2],[2,3],[3,4]; targets [3],[4],[5]
 */
export function slidingWindows(
  values: ArrayLike<number>,
  inputLength: number,
  horizon: number,
  stride = 1,
): Windows {
  const op = 'slidingWindows';
  positiveInt(op, inputLength, 'inputLength');
  positiveInt(op, horizon, 'horizon');
  positiveInt(op, stride, 'stride');
  checkSeries(op, values);
  const span = inputLength + horizon;
  if (values.length < span) {
    throw new RangeError(
      `${op}: a series of ${values.length} values has no window of ${inputLength} inputs + ${horizon} targets (needs ≥ ${span})`,
    );
  }
  const count = Math.floor((values.length - span) / stride) + 1;
  const inputs = new Float64Array(count * inputLength);
  const targets = new Float64Array(count * horizon);
  const starts = new Int32Array(count);
  for (let w = 0; w < count; w++) {
    const s = w * stride;
    starts[w] = s;
    for (let i = 0; i < inputLength; i++) inputs[w * inputLength + i] = values[s + i]!;
    for (let h = 0; h < horizon; h++) targets[w * horizon + h] = values[s + inputLength + h]!;
  }
  return { inputs, targets, count, inputLength, horizon, starts };
}

/**
 * The seasonal-naive forecast of the next `horizon` values: each repeats the observation one
 * season earlier, ŷ_{T+h} = y_{T+h−m·⌈h/m⌉} (period m = 1 gives the naive forecast ŷ = y_T).
 */
export function seasonalNaive(history: ArrayLike<number>, period: number, horizon: number): Float64Array {
  const op = 'seasonalNaive';
  positiveInt(op, period, 'period');
  positiveInt(op, horizon, 'horizon');
  checkSeries(op, history, 'history');
  const n = history.length;
  if (n < period)
    throw new RangeError(`${op}: needs at least one season (${period} values) of history, got ${n}`);
  const out = new Float64Array(horizon);
  for (let h = 1; h <= horizon; h++) out[h - 1] = history[n - period + ((h - 1) % period)]!;
  return out;
}

function sameLength(op: string, actual: ArrayLike<number>, forecast: ArrayLike<number>): void {
  if (actual.length !== forecast.length) {
    throw new RangeError(
      `${op}: ${actual.length} actual values but ${forecast.length} forecasts; expected as many`,
    );
  }
  if (actual.length === 0) throw new RangeError(`${op}: no values to compare`);
  checkSeries(op, actual, 'actual');
  checkSeries(op, forecast, 'forecast');
}

/** Mean absolute error. */
export function mae(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  sameLength('mae', actual, forecast);
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += Math.abs(actual[i]! - forecast[i]!);
  return s / actual.length;
}

/** Root mean squared error. */
export function rmse(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  sameLength('rmse', actual, forecast);
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += (actual[i]! - forecast[i]!) ** 2;
  return Math.sqrt(s / actual.length);
}

/**
 * Mean absolute scaled error (Hyndman & Koehler 2006): the forecast's MAE over the in-sample MAE
 * of the seasonal-naive one-step forecast, (1/(n−m)) Σ_{t>m} |y_t − y_{t−m}|, on the training
 * series `insample`. Below 1: better than that in-sample naive forecast.
 */
export function mase(
  actual: ArrayLike<number>,
  forecast: ArrayLike<number>,
  insample: ArrayLike<number>,
  period = 1,
): number {
  const op = 'mase';
  sameLength(op, actual, forecast);
  positiveInt(op, period, 'period');
  checkSeries(op, insample, 'insample');
  if (insample.length <= period) {
    throw new RangeError(
      `${op}: the in-sample series needs more than ${period} values, got ${insample.length}`,
    );
  }
  let scale = 0;
  for (let t = period; t < insample.length; t++) scale += Math.abs(insample[t]! - insample[t - period]!);
  scale /= insample.length - period;
  if (scale === 0)
    throw new RangeError(`${op}: the in-sample seasonal differences are all 0; MASE is undefined`);
  return mae(actual, forecast) / scale;
}

/** Mean and standard deviation (population) of a series, for standardising with training statistics. */
export function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  if (values.length === 0) throw new RangeError('meanStd: empty series');
  checkSeries('meanStd', values);
  let m = 0;
  for (let i = 0; i < values.length; i++) m += values[i]!;
  m /= values.length;
  let v = 0;
  for (let i = 0; i < values.length; i++) v += (values[i]! - m) ** 2;
  return { mean: m, std: Math.sqrt(v / values.length) };
}

/** The `q`-quantile (0 ≤ q ≤ 1) of `values` with linear interpolation (numpy's default). */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new RangeError('quantile: empty sample');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  const s = Float64Array.from(values).sort();
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
