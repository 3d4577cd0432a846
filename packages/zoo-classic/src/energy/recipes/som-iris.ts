import { Generator, tensor } from '@myelin/core';
import {
  defineRecipe,
  imageArray,
  type OptionValues,
  type Recipe,
  recipeStream,
  samplesEvent,
} from '@myelin/train';
import { yieldTurn } from '../rbm.js';
import { SelfOrganizingMap } from '../som.js';
import { curveSpec, type EnergyRecipeData, loadTable } from './data.js';
import { CLASS_COLOURS, standardise } from './iris.js';

const options = [
  { name: 'rows', type: 'integer', default: 10, min: 1, help: 'map rows' },
  { name: 'cols', type: 'integer', default: 10, min: 1, help: 'map columns' },
  {
    name: 'epochs',
    type: 'integer',
    default: 40,
    min: 1,
    help: 'training passes (each one batch-map step, or online mini-batches)',
  },
  {
    name: 'mode',
    type: 'enum',
    values: ['batch', 'online'],
    default: 'batch',
    help: "Kohonen's batch map or the online rule",
  },
  { name: 'batchSize', type: 'integer', default: 10, min: 1, help: 'samples per online step' },
  {
    name: 'lr',
    type: 'number',
    default: 0.5,
    min: 1e-6,
    max: 1,
    help: 'initial α of the online rule (decays linearly to 1 %)',
  },
  {
    name: 'sigmaStart',
    type: 'number',
    default: 0,
    min: 0,
    help: 'initial neighbourhood width (0: half the larger map side)',
  },
  { name: 'sigmaEnd', type: 'number', default: 0.7, min: 1e-3, help: 'final neighbourhood width' },
  {
    name: 'cell',
    type: 'integer',
    default: 24,
    min: 1,
    max: 128,
    help: 'pixels per map unit in the pictures',
  },
  {
    name: 'seed',
    type: 'integer',
    default: 1,
    min: 0,
    help: 'seeds the initial codebook and the online order',
  },
] as const;

export type SomIrisOptions = OptionValues<typeof options> & EnergyRecipeData;

/** Values `[planes, rows·cols]` as grey images `[planes, 1, rows·cell, cols·cell]`, each plane scaled to [0, 1]. */
function planesToImages(
  values: Float32Array,
  planes: number,
  rows: number,
  cols: number,
  cell: number,
): Float32Array {
  const h = rows * cell;
  const w = cols * cell;
  const out = new Float32Array(planes * h * w);
  for (let p = 0; p < planes; p++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let u = 0; u < rows * cols; u++) {
      lo = Math.min(lo, values[p * rows * cols + u]!);
      hi = Math.max(hi, values[p * rows * cols + u]!);
    }
    const span = hi - lo || 1;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const u = Math.floor(y / cell) * cols + Math.floor(x / cell);
        out[p * h * w + y * w + x] = (values[p * rows * cols + u]! - lo) / span;
      }
  }
  return out;
}

/**
 * `som-iris`: a 10×10 Kohonen map of the standardised iris measurements (batch map, Gaussian
 * neighbourhood shrinking from σ = 5 to 0.7 over 40 epochs). Emits the U-matrix (grey, dark =
 * close codebook vectors) with each unit's majority species as a coloured dot, the four component
 * planes, the quantisation-error curve, and metrics `purity` (samples whose unit's majority species
 * is their own), `quantization error`, `topographic error` and `units used`.
 */
export const somIris: Recipe<SomIrisOptions> = defineRecipe({
  name: 'som-iris',
  title: 'Kohonen self-organising map of iris',
  description:
    "A 10×10 self-organising map of sklearn's iris (150 flowers, 4 standardised measurements), " +
    'batch map, σ 5 → 0.7 over 40 epochs. Shows the U-matrix with the species of each unit and the ' +
    'component planes; reports purity, quantisation and topographic error.',
  family: 'energy',
  options,
  run: (o: SomIrisOptions) =>
    recipeStream(async (ctx) => {
      const iris = await loadTable('som-iris', o, 'iris');
      ctx.throwIfStopped();
      const x = tensor(standardise(iris), { shape: [iris.count, iris.dims] });
      ctx.onEnd(() => x.dispose());
      const som = new SelfOrganizingMap({ rows: o.rows, cols: o.cols, dims: iris.dims });
      ctx.onEnd(() => som.dispose());
      const gen = new Generator(o.seed);
      som.initFromSamples(x, { seed: gen.fork() });
      const s0 = o.sigmaStart > 0 ? o.sigmaStart : Math.max(o.rows, o.cols) / 2;
      const s1 = Math.min(o.sigmaEnd, s0);
      const curve: { epoch: number; series: string; value: number }[] = [];
      const t0 = performance.now();
      ctx.emit({ type: 'fitStart', epochs: o.epochs, batchesPerEpoch: null });
      for (let e = 0; e < o.epochs; e++) {
        ctx.throwIfStopped();
        const te = performance.now();
        const frac = o.epochs > 1 ? e / (o.epochs - 1) : 1;
        const sigma = s0 * (s1 / s0) ** frac; // exponential decay from s0 to s1
        if (o.mode === 'batch') som.step(x, { sigma });
        else {
          const lr = o.lr * (1 - frac) + 0.01 * o.lr * frac;
          const order = gen.permutation(iris.count);
          for (let start = 0; start < iris.count; start += o.batchSize) {
            const rows = order.subarray(start, Math.min(iris.count, start + o.batchSize));
            const idx = tensor(rows, { dtype: 'int32' });
            const batch = x.indexSelect(0, idx);
            som.step(batch, { sigma, mode: 'online', lr });
            idx.dispose();
            batch.dispose();
          }
        }
        const qe = som.quantizationError(x);
        curve.push({ epoch: e + 1, series: 'quantisation error', value: qe });
        const durationMs = performance.now() - te;
        ctx.emit({
          type: 'epochEnd',
          epoch: e,
          loss: qe,
          metrics: { sigma },
          samples: iris.count,
          samplesPerSec: iris.count / (durationMs / 1000),
          durationMs,
        });
        await yieldTurn();
      }
      ctx.emit({ type: 'fitEnd', epochs: o.epochs, durationMs: performance.now() - t0 });

      const k = iris.classNames.length;
      const map = som.labelMap(x, iris.labels, k);
      const cell = o.cell;
      const h = o.rows * cell;
      const w = o.cols * cell;
      // U-matrix in grey with a dot of the majority species' colour on every unit that won samples.
      const grey = planesToImages(som.uMatrix(), 1, o.rows, o.cols, cell);
      const rgb = new Float32Array(3 * h * w);
      for (let c = 0; c < 3; c++) rgb.set(grey, c * h * w);
      const r = Math.max(1, Math.floor(cell / 4));
      for (let u = 0; u < som.units; u++) {
        const cls = map.majority[u]!;
        if (cls < 0) continue;
        const cy = Math.floor(u / o.cols) * cell + cell / 2;
        const cx = (u % o.cols) * cell + cell / 2;
        for (let y = Math.ceil(cy - r); y < cy + r; y++)
          for (let xx = Math.ceil(cx - r); xx < cx + r; xx++)
            if ((y + 0.5 - cy) ** 2 + (xx + 0.5 - cx) ** 2 <= r * r)
              for (let c = 0; c < 3; c++)
                rgb[c * h * w + y * w + xx] = CLASS_COLOURS[cls % CLASS_COLOURS.length]![c]!;
      }
      ctx.emit({
        type: 'figure',
        kind: 'image',
        title: `U-matrix with species (${iris.classNames.map((n, i) => `${n}: ${['red', 'green', 'blue'][i] ?? 'other'}`).join(', ')})`,
        image: imageArray(rgb, [1, 3, h, w]),
      });
      ctx.emit(
        samplesEvent(
          'component planes',
          imageArray(planesToImages(som.componentPlanes(), iris.dims, o.rows, o.cols, cell), [
            iris.dims,
            1,
            h,
            w,
          ]),
          { labels: iris.featureNames.length === iris.dims ? iris.featureNames : undefined },
        ),
      );
      ctx.emit({
        type: 'figure',
        kind: 'chart',
        title: 'quantisation error',
        spec: curveSpec('som-iris: quantisation error per epoch', 'mean distance to the best unit', curve),
      });
      ctx.emit({ type: 'metric', name: 'purity', value: map.purity });
      ctx.emit({ type: 'metric', name: 'quantization error', value: som.quantizationError(x) });
      ctx.emit({ type: 'metric', name: 'topographic error', value: som.topographicError(x) });
      ctx.emit({
        type: 'metric',
        name: 'units used',
        value: Array.from(map.majority).filter((m) => m >= 0).length,
      });
    }),
});
