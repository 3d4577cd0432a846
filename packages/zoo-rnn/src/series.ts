import { Generator, stack, type Tensor, tensor } from '@myelin/core';
import { Adam } from '@myelin/optim';
import {
  type Batch,
  defineRecipe,
  fit,
  History,
  type OptionValues,
  type Recipe,
  type RecipeRegistry,
  recipeStream,
  type VegaLiteSpec,
} from '@myelin/train';
import type { SequenceData, TimeSeries } from './data.js';
import { GaussianLstm, gaussianNll, laggedInputs, samplePaths } from './deepar.js';
import { EchoStateNetwork } from './esn.js';
import { mae, mase, meanStd, quantile, rmse, seasonalNaive } from './windows.js';

export * from './deepar.js';
export * from './esn.js';
export * from './windows.js';

/** What the series recipes take beside their declared options: the data source. */
export interface SeriesRecipeData {
  data?: Pick<SequenceData, 'series'>;
}

async function loadSeriesFrom(
  recipe: string,
  o: SeriesRecipeData,
  name: 'airline' | 'sunspots',
): Promise<TimeSeries> {
  if (!o.data) {
    throw new TypeError(
      `${recipe}: no data source. Pass { data } with a series(name) loader, e.g. ` +
        "{ series: (n) => loadSeries(n) } from '@myelin/data/node' (myelin train does this)",
    );
  }
  return o.data.series(name);
}

/** 'YYYY-MM' of the i-th month after `start` ('YYYY-MM'). */
function monthLabel(start: string, i: number): string {
  const [y, m] = start.split('-').map(Number) as [number, number];
  const k = y * 12 + (m - 1) + i;
  return `${Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}`;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

// ---------------------------------------------------------------------------------------------
// forecast-airline

const forecastOptions = [
  { name: 'horizon', type: 'integer', default: 24, min: 1, max: 60, help: 'months held out and forecast' },
  {
    name: 'window',
    type: 'integer',
    default: 36,
    min: 2,
    help: 'months per training window (and forecast context)',
  },
  { name: 'hiddenSize', type: 'integer', default: 32, min: 1, help: 'LSTM units' },
  { name: 'epochs', type: 'integer', default: 150, min: 1, help: 'passes over the training windows' },
  { name: 'batchSize', type: 'integer', default: 16, min: 1, help: 'windows per step' },
  { name: 'lr', type: 'number', default: 0.003, min: 1e-8, help: "Adam's learning rate" },
  { name: 'samples', type: 'integer', default: 200, min: 2, help: 'sample paths per forecast' },
  {
    name: 'interval',
    type: 'number',
    default: 0.8,
    min: 0.01,
    max: 0.99,
    help: 'central probability of the forecast interval',
  },
  {
    name: 'seed',
    type: 'integer',
    default: 1,
    min: 0,
    help: 'seeds the weights, the batch order and the sample paths',
  },
] as const;

export type ForecastAirlineOptions = OptionValues<typeof forecastOptions> & SeriesRecipeData;

/**
 * Month-of-year covariates (sin, cos of 2πm/12) for `n` months from `start`.
 * Step i's covariates sit at `[2i, 2i + 1]`.
 */
export function monthCovariates(start: string, n: number): Float32Array {
  const m0 = Number(start.split('-')[1]) - 1;
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * ((m0 + i) % 12)) / 12;
    out[2 * i] = Math.sin(a);
    out[2 * i + 1] = Math.cos(a);
  }
  return out;
}

/**
 * `forecast-airline`: the monthly airline passengers 1949–1960 (Box & Jenkins' series G, from
 * statsmodels), the last `horizon` months held out. A DeepAR-style Gaussian LSTM models the
 * year-over-year log growth z_t = log y_t − log y_{t−12} (standardised with training statistics,
 * month-of-year covariates), trained by Gaussian NLL on sliding windows; `samples` sample paths are
 * turned back into passengers (y_t = y_{t−12}·e^{z_t}, along each path) for the median forecast and
 * the interval. Against the seasonal-naive forecast (the last observed year repeated) by MASE.
 */
export const forecastAirline: Recipe<ForecastAirlineOptions> = defineRecipe({
  name: 'forecast-airline',
  title: 'DeepAR-style Gaussian LSTM forecast of airline passengers',
  description:
    'Box & Jenkins airline passengers (statsmodels, 1949–1960, monthly); the last 24 months held out. ' +
    'An LSTM with a Gaussian output (mean and softplus scale) models the year-over-year log growth, ' +
    'trained by Gaussian NLL on 36-month windows; 200 sample paths give the median forecast and an 80% ' +
    'interval. MASE against the seasonal-naive forecast on the held-out months.',
  family: 'forecast',
  options: forecastOptions,
  run: (o: ForecastAirlineOptions) =>
    recipeStream(async (ctx) => {
      const series = await loadSeriesFrom('forecast-airline', o, 'airline');
      ctx.throwIfStopped();
      const y = series.values;
      const period = 12;
      const nTrain = y.length - o.horizon;
      if (nTrain < 2 * period + o.window) {
        throw new RangeError(
          `forecast-airline: ${nTrain} training months leave no ${o.window}-month window of year-over-year growth; lower --horizon or --window`,
        );
      }
      const train = y.subarray(0, nTrain);
      // z[i] is the growth of month i + 12 over month i.
      const zRaw = Float64Array.from({ length: nTrain - period }, (_, i) =>
        Math.log(train[i + period]! / train[i]!),
      );
      const { mean, std } = meanStd(zRaw);
      const z = zRaw.map((v) => (v - mean) / std);
      const cov = monthCovariates(monthLabel(series.start, period), y.length - period);

      const model = new GaussianLstm({ covariates: 2, hiddenSize: o.hiddenSize, seed: o.seed });
      ctx.onEnd(() => model.dispose());
      const optimizer = new Adam(model.parameters(), { lr: o.lr });
      ctx.onEnd(() => optimizer.dispose());
      // Windows of `window` steps: inputs [z_{i−1}, cov_i], targets z_i, for i = s … s + window − 1.
      const starts = Array.from({ length: z.length - o.window }, (_, s) => s + 1);
      const batches = (epoch: number): Iterable<Batch> & { length: number } => ({
        length: Math.ceil(starts.length / o.batchSize),
        *[Symbol.iterator]() {
          // A new seeded order every epoch.
          const order = Array.from(
            new Generator(o.seed * 1000 + epoch).permutation(starts.length),
            (i) => starts[i]!,
          );
          for (let b = 0; b < order.length; b += o.batchSize) {
            const part = order.slice(b, b + o.batchSize);
            const x = new Float32Array(part.length * o.window * 3);
            const t = new Float32Array(part.length * o.window);
            part.forEach((s, k) => {
              x.set(laggedInputs(z, cov, 2, s, s + o.window), k * o.window * 3);
              for (let i = 0; i < o.window; i++) t[k * o.window + i] = z[s + i]!;
            });
            yield {
              x: tensor(x, { shape: [part.length, o.window, 3] }),
              y: tensor(t, { shape: [part.length, o.window] }),
            };
          }
        },
      });
      const history = new History();
      await ctx.follow(
        fit(model, {
          optimizer,
          data: batches,
          epochs: o.epochs,
          batchMetrics: false,
          // The prediction carries μ and σ side by side: [B, T, 2].
          forward: (m, x) => {
            const { mu, sigma } = m.forward(x);
            return stack([mu, sigma], 2);
          },
          loss: (pred: Tensor, target: Tensor) =>
            gaussianNll(pred.slice(null, null, 0), pred.slice(null, null, 1), target),
        }).pipe(history.track()),
      );
      ctx.throwIfStopped();
      model.eval();

      // Sample paths of the standardised growth, then passengers along each path.
      const paths = await samplePaths(model, z, cov, {
        context: o.window,
        horizon: o.horizon,
        samples: o.samples,
        seed: o.seed + 1,
      });
      const h = o.horizon;
      const passengers = new Float64Array(o.samples * h);
      for (let s = 0; s < o.samples; s++) {
        for (let k = 0; k < h; k++) {
          const t = nTrain + k;
          const base = t - period < nTrain ? y[t - period]! : passengers[s * h + k - period]!;
          passengers[s * h + k] = base * Math.exp(paths[s * h + k]! * std + mean);
        }
      }
      const lo = (1 - o.interval) / 2;
      const median = new Float64Array(h);
      const lower = new Float64Array(h);
      const upper = new Float64Array(h);
      for (let k = 0; k < h; k++) {
        const col = Float64Array.from({ length: o.samples }, (_, s) => passengers[s * h + k]!);
        median[k] = quantile(col, 0.5);
        lower[k] = quantile(col, lo);
        upper[k] = quantile(col, 1 - lo);
      }
      const actual = y.subarray(nTrain);
      const naive = seasonalNaive(train, period, h);
      let covered = 0;
      for (let k = 0; k < h; k++) covered += actual[k]! >= lower[k]! && actual[k]! <= upper[k]! ? 1 : 0;

      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'forecast',
        spec: forecastChart(series, nTrain, median, lower, upper, naive, o.interval),
      });
      ctx.emit({ type: 'figure', kind: 'chart', title: 'training curve', spec: nllChart(history) });
      ctx.emit({ type: 'metric', name: 'model MASE', value: mase(actual, median, train, period) });
      ctx.emit({ type: 'metric', name: 'seasonal-naive MASE', value: mase(actual, naive, train, period) });
      ctx.emit({
        type: 'metric',
        name: 'model RMSE',
        value: rmse(actual, median),
        unit: 'thousand passengers',
      });
      ctx.emit({
        type: 'metric',
        name: 'seasonal-naive RMSE',
        value: rmse(actual, naive),
        unit: 'thousand passengers',
      });
      ctx.emit({
        type: 'metric',
        name: 'model MAE',
        value: mae(actual, median),
        unit: 'thousand passengers',
      });
      ctx.emit({
        type: 'metric',
        name: 'seasonal-naive MAE',
        value: mae(actual, naive),
        unit: 'thousand passengers',
      });
      ctx.emit({
        type: 'metric',
        name: `${Math.round(o.interval * 100)}% interval coverage`,
        value: covered / h,
      });
      ctx.emit({
        type: 'text',
        title: 'forecast',
        text: Array.from(
          { length: h },
          (_, k) =>
            `${monthLabel(series.start, nTrain + k)}  actual ${actual[k]}  median ${median[k]!.toFixed(1)}  ` +
            `[${lower[k]!.toFixed(1)}, ${upper[k]!.toFixed(1)}]  seasonal-naive ${naive[k]}`,
        ).join('\n'),
      });
    }),
});

/** The series, the median forecast with its interval band, and the seasonal-naive forecast. */
function forecastChart(
  series: TimeSeries,
  nTrain: number,
  median: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
  naive: Float64Array,
  interval: number,
): VegaLiteSpec {
  const values: { month: string; value: number; series: string }[] = [];
  series.values.forEach((v, i) => {
    values.push({ month: monthLabel(series.start, i), value: v, series: 'actual' });
  });
  median.forEach((v, k) => {
    values.push({ month: monthLabel(series.start, nTrain + k), value: v, series: 'model (median)' });
  });
  naive.forEach((v, k) => {
    values.push({ month: monthLabel(series.start, nTrain + k), value: v, series: 'seasonal naive' });
  });
  const band = Array.from(lower, (l, k) => ({
    month: monthLabel(series.start, nTrain + k),
    lower: l,
    upper: upper[k]!,
  }));
  return {
    $schema: SCHEMA,
    title: `${series.name}: forecast of the last ${median.length} months (${Math.round(interval * 100)}% interval)`,
    width: 520,
    height: 260,
    layer: [
      {
        data: { values: band },
        mark: { type: 'area', opacity: 0.25, color: '#e45756' },
        encoding: {
          x: { field: 'month', type: 'temporal', title: 'month' },
          y: { field: 'lower', type: 'quantitative', title: 'passengers (thousands)' },
          y2: { field: 'upper' },
        },
      },
      {
        data: { values },
        mark: { type: 'line' },
        encoding: {
          x: { field: 'month', type: 'temporal' },
          y: { field: 'value', type: 'quantitative' },
          color: {
            field: 'series',
            type: 'nominal',
            title: null,
            scale: { range: ['#4c78a8', '#e45756', '#72b7b2'] },
          },
          strokeDash: {
            field: 'series',
            type: 'nominal',
            legend: null,
            scale: {
              range: [
                [1, 0],
                [1, 0],
                [4, 3],
              ],
            },
          },
        },
      },
    ],
  };
}

function nllChart(history: History): VegaLiteSpec {
  return {
    $schema: SCHEMA,
    title: 'Gaussian NLL per epoch (standardised growth)',
    width: 320,
    height: 200,
    data: { values: history.epochs.map((e) => ({ epoch: e.epoch + 1, nll: e.loss })) },
    mark: { type: 'line' },
    encoding: {
      x: { field: 'epoch', type: 'quantitative' },
      y: { field: 'nll', type: 'quantitative', title: 'NLL (nats)', scale: { zero: false } },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// esn-sunspots

const esnOptions = [
  { name: 'reservoirSize', type: 'integer', default: 200, min: 1, help: 'reservoir units' },
  { name: 'spectralRadius', type: 'number', default: 0.8, min: 0.01, help: 'spectral radius W is scaled to' },
  { name: 'leakRate', type: 'number', default: 1, min: 0.01, max: 1, help: 'leaking rate a' },
  { name: 'inputScaling', type: 'number', default: 1, min: 0, help: 'W_in ~ U(−s, s)' },
  {
    name: 'density',
    type: 'number',
    default: 0.1,
    min: 0.001,
    max: 1,
    help: 'share of non-zero reservoir weights',
  },
  { name: 'ridge', type: 'number', default: 0.1, min: 0, help: 'ridge penalty β of the readout' },
  {
    name: 'washout',
    type: 'integer',
    default: 30,
    min: 0,
    help: 'initial steps left out of the readout fit',
  },
  { name: 'testYears', type: 'integer', default: 59, min: 5, help: 'final years held out (59: 1950–2008)' },
  {
    name: 'horizon',
    type: 'integer',
    default: 11,
    min: 1,
    max: 30,
    help: 'steps of the multi-step (direct) forecasts',
  },
  { name: 'seed', type: 'integer', default: 1, min: 0, help: 'seeds the reservoir' },
] as const;

export type EsnSunspotsOptions = OptionValues<typeof esnOptions> & SeriesRecipeData;

/**
 * `esn-sunspots`: an echo-state network on the yearly sunspot numbers 1700–2008 (statsmodels),
 * the last `testYears` held out. Readouts in closed form (ridge): one-step-ahead, and direct
 * multi-step (one readout per horizon 1 … `horizon`, all fitted at once). Against the naive
 * (persistence) forecast, by RMSE and MASE.
 */
export const esnSunspots: Recipe<EsnSunspotsOptions> = defineRecipe({
  name: 'esn-sunspots',
  title: 'Echo-state network on yearly sunspots',
  description:
    'Yearly sunspot numbers 1700–2008 (statsmodels), 1950–2008 held out. A 200-unit echo-state ' +
    'network (spectral radius 0.8, ridge 0.1; chosen on 1910–1949 as validation) with ridge-regression readouts fitted in closed form: one-step and ' +
    'direct 1…11-year forecasts, against the naive (last value) forecast.',
  family: 'reservoir',
  options: esnOptions,
  run: (o: EsnSunspotsOptions) =>
    recipeStream(async (ctx) => {
      const series = await loadSeriesFrom('esn-sunspots', o, 'sunspots');
      ctx.throwIfStopped();
      const y = series.values;
      const n = y.length;
      const nTrain = n - o.testYears;
      if (nTrain <= o.washout + o.horizon + 1) {
        throw new RangeError(
          `esn-sunspots: ${nTrain} training years leave nothing after a washout of ${o.washout} and a horizon of ${o.horizon}`,
        );
      }
      const { mean, std } = meanStd(y.subarray(0, nTrain));
      const u = y.map((v) => (v - mean) / std);
      const H = o.horizon;
      const esn = new EchoStateNetwork({
        reservoirSize: o.reservoirSize,
        spectralRadius: o.spectralRadius,
        leakRate: o.leakRate,
        inputScaling: o.inputScaling,
        density: o.density,
        ridge: o.ridge,
        seed: o.seed,
      });
      // Inputs u_0 … u_{T−1}; targets u_{t+1} … u_{t+H} (training: only where they stay in training).
      const fitSteps = nTrain - H;
      const targets = new Float64Array(fitSteps * H);
      for (let t = 0; t < fitSteps; t++) for (let k = 0; k < H; k++) targets[t * H + k] = u[t + 1 + k]!;
      esn.fit(u.subarray(0, fitSteps), targets, H, o.washout);
      ctx.throwIfStopped();
      // Drive through the whole series (held-out values arrive as they are observed) and read out.
      const out = esn.run(u.subarray(0, n - 1));
      const pred = (t: number, k: number) => out[t * H + (k - 1)]! * std + mean; // forecast of y_{t+k} from t
      const insample = y.subarray(0, nTrain);

      // One step: origins t = nTrain − 1 … n − 2 forecast y_{nTrain} … y_{n−1}.
      const actual1 = y.subarray(nTrain);
      const esn1 = Float64Array.from(actual1, (_, i) => pred(nTrain - 1 + i, 1));
      const naive1 = Float64Array.from(actual1, (_, i) => y[nTrain - 1 + i]!);
      ctx.emit({ type: 'metric', name: 'one-step RMSE', value: rmse(actual1, esn1) });
      ctx.emit({ type: 'metric', name: 'naive one-step RMSE', value: rmse(actual1, naive1) });
      ctx.emit({ type: 'metric', name: 'one-step MASE', value: mase(actual1, esn1, insample, 1) });
      ctx.emit({ type: 'metric', name: 'naive one-step MASE', value: mase(actual1, naive1, insample, 1) });

      // Multi-step: for each horizon k, every origin whose target y_{t+k} is held out.
      const rows: { horizon: number; model: string; rmse: number }[] = [];
      let esnSum = 0;
      let naiveSum = 0;
      for (let k = 1; k <= H; k++) {
        const origins = Array.from({ length: n - k - (nTrain - 1) }, (_, i) => nTrain - 1 + i);
        const a = Float64Array.from(origins, (t) => y[t + k]!);
        const e = rmse(
          a,
          Float64Array.from(origins, (t) => pred(t, k)),
        );
        const b = rmse(
          a,
          Float64Array.from(origins, (t) => y[t]!),
        );
        rows.push(
          { horizon: k, model: 'echo-state network', rmse: e },
          { horizon: k, model: 'naive', rmse: b },
        );
        esnSum += e;
        naiveSum += b;
      }
      ctx.emit({ type: 'metric', name: `mean RMSE over horizons 1–${H}`, value: esnSum / H });
      ctx.emit({ type: 'metric', name: `naive mean RMSE over horizons 1–${H}`, value: naiveSum / H });
      ctx.emit({ type: 'metric', name: `RMSE at horizon ${H}`, value: rows[2 * (H - 1)]!.rmse });
      ctx.emit({ type: 'metric', name: `naive RMSE at horizon ${H}`, value: rows[2 * (H - 1) + 1]!.rmse });

      const start = Number(series.start);
      const line: { year: number; value: number; series: string }[] = [];
      y.forEach((v, i) => {
        if (i >= nTrain - 40) line.push({ year: start + i, value: v, series: 'actual' });
      });
      esn1.forEach((v, i) => {
        line.push({ year: start + nTrain + i, value: v, series: 'ESN one-step' });
      });
      // A direct multi-step forecast from the last training year.
      for (let k = 1; k <= H; k++)
        line.push({
          year: start + nTrain - 1 + k,
          value: pred(nTrain - 1, k),
          series: `ESN 1–${H} steps from ${start + nTrain - 1}`,
        });
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'forecast',
        spec: {
          $schema: SCHEMA,
          title: `sunspots: held-out ${start + nTrain}–${start + n - 1}`,
          width: 520,
          height: 240,
          data: { values: line },
          mark: { type: 'line' },
          encoding: {
            x: { field: 'year', type: 'quantitative', scale: { zero: false }, axis: { format: 'd' } },
            y: { field: 'value', type: 'quantitative', title: 'yearly mean sunspot number' },
            color: { field: 'series', type: 'nominal', title: null },
          },
        },
      });
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'RMSE by horizon',
        spec: {
          $schema: SCHEMA,
          title: 'held-out RMSE by forecast horizon (years)',
          width: 360,
          height: 220,
          data: { values: rows },
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'horizon', type: 'quantitative', axis: { tickMinStep: 1 } },
            y: { field: 'rmse', type: 'quantitative', title: 'RMSE' },
            color: { field: 'model', type: 'nominal', title: null },
          },
        },
      });
    }),
});

/** Time-series recipes. */
export const seriesRecipes = {
  'forecast-airline': forecastAirline,
  'esn-sunspots': esnSunspots,
} as const satisfies RecipeRegistry;
