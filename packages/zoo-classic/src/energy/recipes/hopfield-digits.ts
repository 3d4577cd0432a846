import { Generator, noGrad, scope, tensor } from '@myelin/core';
import {
  defineRecipe,
  imageArray,
  type OptionValues,
  type Recipe,
  recipeStream,
  samplesEvent,
} from '@myelin/train';
import { corruptPatterns, Hopfield, type HopfieldRule, hopfieldCapacity } from '../hopfield.js';
import { type EnergyRecipeData, loadMnistSets } from './data.js';

const RULES = ['pseudo-inverse', 'storkey', 'hebbian'] as const;

const options = [
  {
    name: 'digits',
    type: 'string',
    default: '0,1,2,3,4',
    help: 'the classes whose first MNIST training image is stored, comma-separated',
  },
  {
    name: 'flip',
    type: 'number',
    default: 0.2,
    min: 0,
    max: 1,
    help: 'fraction of pixels flipped in each probe',
  },
  { name: 'trials', type: 'integer', default: 100, min: 1, help: 'noisy probes per stored digit' },
  {
    name: 'rule',
    type: 'enum',
    values: ['all', ...RULES],
    default: 'all',
    help: 'storage rule(s) to measure; the pictures use the first measured (pseudo-inverse for all)',
  },
  {
    name: 'mode',
    type: 'enum',
    values: ['async', 'sync'],
    default: 'async',
    help: 'asynchronous or synchronous recall',
  },
  { name: 'maxSweeps', type: 'integer', default: 20, min: 1, help: 'sweeps (or synchronous steps) at most' },
  {
    name: 'capacity',
    type: 'boolean',
    default: true,
    help: 'also measure the Hebbian capacity on random patterns',
  },
  { name: 'seed', type: 'integer', default: 1, min: 0, help: 'seeds the flips and the update order' },
] as const;

export type HopfieldDigitsOptions = OptionValues<typeof options> & EnergyRecipeData;

function parseDigits(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const ds = parts.map(Number);
  if (!parts.length || ds.some((d, i) => !/^\d$/.test(parts[i]!) || d > 9) || new Set(ds).size !== ds.length)
    throw new RangeError(
      `hopfield-digits: --digits must be distinct digits 0–9, comma-separated, got '${text}'`,
    );
  return ds;
}

/** Row-major ±1 states as [0, 1] grey pixels for pictures. */
function pixels(states: ArrayLike<number>): Float32Array {
  return Float32Array.from(states, (s) => (s + 1) / 2);
}

/**
 * `hopfield-digits`: a Hopfield network of 784 units storing binarised MNIST digits (the first
 * training image of each chosen class), probed with copies that have 20 % of their pixels flipped
 * and recalled asynchronously. Reports the exact-recall rate per storage rule (pseudo-inverse,
 * Storkey, Hebbian: the Hebbian rule fails on digits, which overlap by ~60 % through their common
 * background), shows recall sequences and the energy along them, and measures the Hebbian
 * capacity on random patterns against the theory.
 */
export const hopfieldDigits: Recipe<HopfieldDigitsOptions> = defineRecipe({
  name: 'hopfield-digits',
  title: 'Hopfield network recalling MNIST digits from 20 % noise',
  description:
    'Stores 5 binarised MNIST digits (0–4) in a 784-unit Hopfield network by the pseudo-inverse, ' +
    'Storkey and Hebbian rules, and recalls each from 100 probes with 20 % of pixels flipped ' +
    '(asynchronous updates). Reports the recall rate per rule, recall sequences, the energy along ' +
    'them and the Hebbian capacity on random patterns.',
  family: 'energy',
  options,
  run: (o: HopfieldDigitsOptions) =>
    recipeStream(async (ctx) => {
      const digits = parseDigits(o.digits);
      const [train] = await loadMnistSets('hopfield-digits', o);
      ctx.throwIfStopped();
      const n = train.rows * train.cols;
      const chosen = digits.map((d) => {
        const i = train.labels.indexOf(d);
        if (i < 0) throw new RangeError(`hopfield-digits: no training image of class ${d}`);
        return i;
      });
      const host = new Float32Array(chosen.length * n);
      chosen.forEach((img, p) => {
        for (let j = 0; j < n; j++) host[p * n + j] = train.images[img * n + j]! >= 128 ? 1 : -1;
      });
      const shape = (count: number) => [count, 1, train.rows, train.cols] as const;
      ctx.emit(
        samplesEvent('stored patterns', imageArray(pixels(host), shape(digits.length)), {
          labels: digits.map(String),
        }),
      );
      const patterns = tensor(host, { shape: [digits.length, n] });
      ctx.onEnd(() => patterns.dispose());
      const probes = corruptPatterns(patterns, { flip: o.flip, count: o.trials, seed: o.seed });
      ctx.onEnd(() => probes.dispose());
      const p = digits.length;

      const rules: readonly HopfieldRule[] = o.rule === 'all' ? RULES : [o.rule as HopfieldRule];
      for (const [r, rule] of rules.entries()) {
        ctx.throwIfStopped();
        const net = Hopfield.store(patterns, { rule });
        const t0 = performance.now();
        let result: ReturnType<Hopfield['recall']> | null = null;
        try {
          // Snapshots for pictures: the first probe of each pattern, 4 per sweep.
          result = net.recall(probes, {
            mode: o.mode,
            maxSweeps: o.maxSweeps,
            seed: new Generator(o.seed + 1),
            snapshotsPerSweep: r === 0 ? 4 : 0,
          });
          const final = result.states.dataSync() as Float32Array;
          let exact = 0;
          let overlap = 0;
          for (let mu = 0; mu < p; mu++)
            for (let t = 0; t < o.trials; t++) {
              const row = (mu * o.trials + t) * n;
              let same = 0;
              for (let j = 0; j < n; j++) if (final[row + j] === host[mu * n + j]) same++;
              if (same === n) exact++;
              overlap += (2 * same - n) / n;
            }
          const trials = p * o.trials;
          ctx.emit({ type: 'metric', name: `recall rate (${rule})`, value: exact / trials });
          ctx.emit({ type: 'metric', name: `mean final overlap (${rule})`, value: overlap / trials });
          ctx.emit({ type: 'metric', name: `sweeps (${rule})`, value: result.sweeps });
          ctx.emit({
            type: 'metric',
            name: `recall time (${rule})`,
            value: (performance.now() - t0) / 1000,
            unit: 's',
          });
          if (r === 0 && result.snapshots.length) {
            // One row per stored digit: its first probe at F moments (the first F − 1 snapshots, every
            // quarter sweep, then the final state), F chosen so a square-ish grid of P·F tiles is F wide.
            const all = result.snapshots.length;
            let frames = all;
            for (let f = Math.min(all, 8); f >= 2; f--)
              if (Math.ceil(Math.sqrt(p * f)) === f) {
                frames = f;
                break;
              }
            const picked = [...Array.from({ length: frames - 1 }, (_, j) => j), all - 1];
            const seq = new Float32Array(p * frames * n);
            const energies: { step: number; digit: string; energy: number }[] = [];
            for (const [s, snap] of result.snapshots.entries()) {
              const rows = snap.dataSync() as Float32Array;
              const e = noGrad(() => scope(() => net.energy(snap)));
              const ev = e.dataSync();
              e.dispose();
              const f = picked.indexOf(s);
              for (let mu = 0; mu < p; mu++) {
                if (f >= 0)
                  seq.set(rows.subarray(mu * o.trials * n, (mu * o.trials + 1) * n), (mu * frames + f) * n);
                energies.push({ step: s / 4, digit: String(digits[mu]), energy: Number(ev[mu * o.trials]) });
              }
            }
            const labels = Array.from({ length: p * frames }, (_, k) => {
              const s = picked[k % frames]!;
              return s === 0 ? 'probe' : s === all - 1 ? 'final' : `${s / 4} sweep`;
            });
            const steps = frames;
            ctx.emit(
              samplesEvent(
                `recall sequences (${rule}, ${o.mode})`,
                imageArray(pixels(seq), shape(p * steps)),
                {
                  labels,
                },
              ),
            );
            ctx.emit({
              type: 'figure',
              kind: 'chart',
              title: 'energy during recall',
              spec: {
                $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
                title: `hopfield-digits: energy of the first probe of each digit (${rule})`,
                width: 300,
                height: 200,
                data: { values: energies },
                mark: { type: 'line', point: true },
                encoding: {
                  x: { field: 'step', type: 'quantitative', title: 'sweeps' },
                  y: { field: 'energy', type: 'quantitative', title: 'E(s)' },
                  color: { field: 'digit', type: 'nominal' },
                },
              },
            });
          }
        } finally {
          net.dispose();
          if (result) for (const t of [result.states, ...result.snapshots]) t.dispose();
        }
      }
      ctx.emit({ type: 'metric', name: 'probes per digit', value: o.trials });

      if (o.capacity) {
        ctx.throwIfStopped();
        const counts = [10, 25, 50, 75, 100, 125, 150, 200];
        const rows = hopfieldCapacity({ size: 400, counts, trials: 2, seed: o.seed });
        const values: { loading: number; series: string; value: number }[] = [];
        for (const r of rows) {
          values.push({
            loading: r.patterns / 400,
            series: 'bit error rate (measured)',
            value: r.bitErrorRate,
          });
          values.push({
            loading: r.patterns / 400,
            series: 'patterns stable (measured)',
            value: r.stableFraction,
          });
          values.push({
            loading: r.patterns / 400,
            series: 'bit error rate Φ(−√((N−1)/(P−1)))',
            value: normalCdf(-Math.sqrt(399 / (r.patterns - 1))),
          });
        }
        ctx.emit({
          type: 'figure',
          kind: 'chart',
          title: 'Hebbian capacity',
          spec: {
            $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
            title: 'Hebbian storage of random patterns, N = 400 (one synchronous step from each)',
            width: 320,
            height: 200,
            data: { values },
            mark: { type: 'line', point: true },
            encoding: {
              x: { field: 'loading', type: 'quantitative', title: 'P / N' },
              y: { field: 'value', type: 'quantitative', title: 'fraction' },
              color: { field: 'series', type: 'nominal', title: null },
            },
          },
        });
      }
    }),
});

/** Φ(x) via erfc (Abramowitz & Stegun 7.1.26). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const y = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const half = (y * Math.exp(-z * z)) / 2;
  return x >= 0 ? 1 - half : half;
}
