import type { JsonValue, VegaLiteSpec } from '@myelin/train';

/**
 * The shallow recipes' pictures as Vega-Lite specs with the data inline (the CLI renders them to
 * SVG, a page embeds them as they are).
 */

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** A grid over the box of 2-feature rows `x` (`[N, 2]`), `steps × steps` points, with a 5 % margin. */
export function featureGrid(x: Float32Array, steps: number): { grid: Float32Array; dx: number; dy: number } {
  if (x.length % 2 !== 0 || x.length === 0)
    throw new RangeError(`featureGrid: expected [N, 2] rows, got ${x.length} values`);
  if (!Number.isInteger(steps) || steps < 2)
    throw new RangeError(`featureGrid: steps must be an integer ≥ 2, got ${steps}`);
  const lo = [Infinity, Infinity];
  const hi = [-Infinity, -Infinity];
  for (let i = 0; i < x.length; i++) {
    lo[i % 2] = Math.min(lo[i % 2]!, x[i]!);
    hi[i % 2] = Math.max(hi[i % 2]!, x[i]!);
  }
  for (let a = 0; a < 2; a++) {
    const m = 0.05 * (hi[a]! - lo[a]! || 1);
    lo[a]! -= m;
    hi[a]! += m;
  }
  const dx = (hi[0]! - lo[0]!) / (steps - 1);
  const dy = (hi[1]! - lo[1]!) / (steps - 1);
  const grid = new Float32Array(steps * steps * 2);
  for (let r = 0; r < steps; r++)
    for (let c = 0; c < steps; c++) {
      grid[(r * steps + c) * 2] = lo[0]! + c * dx;
      grid[(r * steps + c) * 2 + 1] = lo[1]! + r * dy;
    }
  return { grid, dx, dy };
}

/**
 * Decision regions of a 2-feature classifier: the predicted class on a grid as faint cells, the rows
 * as points coloured by their true class (ring: misclassified).
 */
export function decisionRegionsSpec(options: {
  title: string;
  axes: readonly [string, string];
  classNames: readonly string[];
  grid: Float32Array;
  gridClasses: ArrayLike<number>;
  cell: { dx: number; dy: number };
  x: Float32Array;
  labels: ArrayLike<number>;
  predicted: ArrayLike<number>;
}): VegaLiteSpec {
  const { grid, gridClasses, x, labels, predicted, classNames, axes, cell } = options;
  // One rectangle per run of equal predictions along a grid row (the grid is row-major, x fastest),
  // so the spec stays small: a few hundred rectangles instead of steps².
  const cells: JsonValue[] = [];
  for (let i = 0; i < gridClasses.length; ) {
    const y = grid[2 * i + 1]!;
    let j = i + 1;
    while (j < gridClasses.length && grid[2 * j + 1] === y && gridClasses[j] === gridClasses[i]) j++;
    cells.push({
      x0: grid[2 * i]! - cell.dx / 2,
      x1: grid[2 * (j - 1)]! + cell.dx / 2,
      y0: y - cell.dy / 2,
      y1: y + cell.dy / 2,
      class: classNames[gridClasses[i]!]!,
    });
    i = j;
  }
  const points: JsonValue[] = [];
  for (let i = 0; i < labels.length; i++) {
    points.push({
      a: x[2 * i]!,
      b: x[2 * i + 1]!,
      class: classNames[labels[i]!]!,
      correct: predicted[i] === labels[i] ? 'right' : 'wrong',
    });
  }
  const color = { field: 'class', type: 'nominal', title: 'class', scale: { domain: [...classNames] } };
  return {
    $schema: SCHEMA,
    title: options.title,
    width: 360,
    height: 300,
    layer: [
      {
        data: { values: cells },
        mark: { type: 'rect', opacity: 0.3 },
        encoding: {
          x: { field: 'x0', type: 'quantitative', title: axes[0], scale: { zero: false, nice: false } },
          x2: { field: 'x1' },
          y: { field: 'y0', type: 'quantitative', title: axes[1], scale: { zero: false, nice: false } },
          y2: { field: 'y1' },
          color,
        },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 30, stroke: 'black' },
        encoding: {
          x: { field: 'a', type: 'quantitative' },
          y: { field: 'b', type: 'quantitative' },
          color,
          // A black ring marks a misclassified row.
          strokeWidth: { condition: { test: "datum.correct === 'wrong'", value: 1.5 }, value: 0 },
        },
      },
    ],
  };
}

/** Accuracy of each cross-validation fold as grouped bars, one colour per model. */
export function foldAccuracySpec(title: string, series: Record<string, readonly number[]>): VegaLiteSpec {
  const values: JsonValue[] = [];
  for (const [model, accs] of Object.entries(series))
    accs.forEach((a, f) => {
      values.push({ fold: f + 1, model, accuracy: a });
    });
  return {
    $schema: SCHEMA,
    title,
    data: { values },
    width: 300,
    height: 200,
    mark: 'bar',
    encoding: {
      x: { field: 'fold', type: 'ordinal' },
      xOffset: { field: 'model', type: 'nominal' },
      y: { field: 'accuracy', type: 'quantitative', scale: { domain: [0.8, 1] } },
      color: { field: 'model', type: 'nominal' },
    },
  };
}

/** A line per series of per-epoch values (loss curves). */
export function curvesSpec(
  title: string,
  yTitle: string,
  series: Record<string, readonly number[]>,
): VegaLiteSpec {
  const values: JsonValue[] = [];
  for (const [name, ys] of Object.entries(series))
    ys.forEach((v, e) => {
      values.push({ epoch: e + 1, series: name, value: v });
    });
  return {
    $schema: SCHEMA,
    title,
    data: { values },
    width: 360,
    height: 220,
    mark: { type: 'line' },
    encoding: {
      x: { field: 'epoch', type: 'quantitative' },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { type: 'log' } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}
