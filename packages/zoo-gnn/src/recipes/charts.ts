import type { EmbeddingEvent, FigureEvent, VegaLiteSpec } from '@myelin/train';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/**
 * The top-2 principal-component projection of the rows of `x` (n × d, row-major): centre the
 * columns, then power iteration with deflation on the d × d covariance (d is small: hidden
 * layers and embeddings). Each component's sign is fixed so its largest |loading| is positive.
 */
export function pca2(x: Float32Array, n: number, d: number): Float32Array {
  if (x.length !== n * d) throw new RangeError(`pca2: ${x.length} values for ${n} × ${d}`);
  if (d === 1) return Float32Array.from({ length: n * 2 }, (_, k) => (k % 2 === 0 ? x[k / 2]! : 0));
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += x[i * d + j]! / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < d; a++) {
      const xa = x[i * d + a]! - mean[a]!;
      for (let b = 0; b < d; b++) cov[a * d + b]! += (xa * (x[i * d + b]! - mean[b]!)) / n;
    }
  const comps: Float64Array[] = [];
  for (let c = 0; c < 2; c++) {
    let v = Float64Array.from({ length: d }, (_, j) => 1 + ((j * 7919) % 13) / 13);
    for (let it = 0; it < 500; it++) {
      const w = new Float64Array(d);
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) w[a]! += cov[a * d + b]! * v[b]!;
      const norm = Math.hypot(...w) || 1;
      for (let a = 0; a < d; a++) w[a]! /= norm;
      v = w;
    }
    let big = 0;
    for (let a = 0; a < d; a++) if (Math.abs(v[a]!) > Math.abs(v[big]!)) big = a;
    if (v[big]! < 0) for (let a = 0; a < d; a++) v[a] = -v[a]!;
    // Deflate: cov −= λ v vᵀ.
    let lambda = 0;
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) lambda += v[a]! * cov[a * d + b]! * v[b]!;
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a * d + b]! -= lambda * v[a]! * v[b]!;
    comps.push(v);
  }
  const out = new Float32Array(n * 2);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 2; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[i * d + j]! - mean[j]!) * comps[c]![j]!;
      out[i * 2 + c] = s;
    }
  return out;
}

/**
 * The fraction of points whose nearest group centroid (Euclidean, in the given coordinates) is
 * their own group's: how well an embedding separates the groups.
 */
export function nearestCentroidAccuracy(
  points: Float32Array,
  n: number,
  d: number,
  groups: Int32Array,
): number {
  const k = Math.max(...groups) + 1;
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    counts[groups[i]!]!++;
    for (let j = 0; j < d; j++) sums[groups[i]! * d + j]! += points[i * d + j]!;
  }
  let hit = 0;
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bestDist = Number.POSITIVE_INFINITY;
    for (let g = 0; g < k; g++) {
      if (counts[g] === 0) continue;
      let dist = 0;
      for (let j = 0; j < d; j++) dist += (points[i * d + j]! - sums[g * d + j]! / counts[g]!) ** 2;
      if (dist < bestDist) [best, bestDist] = [g, dist];
    }
    if (best === groups[i]) hit++;
  }
  return hit / n;
}

/** An `embedding` event of 2-D points, each labelled `name (group)`. */
export function embeddingEvent(
  title: string,
  xy: Float32Array,
  names: readonly string[],
  groupNames: readonly string[],
): EmbeddingEvent {
  return {
    type: 'embedding',
    title,
    points: { data: xy, shape: [names.length, 2], labels: names.map((s, i) => `${s} (${groupNames[i]})`) },
  };
}

/** A Vega-Lite scatter of 2-D points coloured by group, with the name as tooltip. */
export function scatterFigure(
  title: string,
  xy: Float32Array,
  names: readonly string[],
  groupNames: readonly string[],
  axes: [string, string] = ['PC 1', 'PC 2'],
): FigureEvent {
  const values = names.map((name, i) => ({ x: xy[i * 2]!, y: xy[i * 2 + 1]!, name, group: groupNames[i]! }));
  const spec: VegaLiteSpec = {
    $schema: SCHEMA,
    title,
    width: 480,
    height: 400,
    data: { values },
    mark: { type: 'circle', size: 80, opacity: 0.85 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: axes[0] },
      y: { field: 'y', type: 'quantitative', title: axes[1] },
      color: { field: 'group', type: 'nominal', title: 'group' },
      tooltip: [{ field: 'name' }, { field: 'group' }],
    },
  };
  return { type: 'figure', kind: 'chart', title, spec };
}

/** A Vega-Lite line chart of one or more series over epochs (e.g. the loss of each model). */
export function curvesFigure(
  title: string,
  series: Readonly<Record<string, readonly number[]>>,
  yTitle: string,
): FigureEvent {
  const values = Object.entries(series).flatMap(([name, ys]) =>
    ys.map((y, epoch) => ({ epoch, y, series: name })),
  );
  const spec: VegaLiteSpec = {
    $schema: SCHEMA,
    title,
    width: 480,
    height: 300,
    data: { values },
    mark: 'line',
    encoding: {
      x: { field: 'epoch', type: 'quantitative' },
      y: { field: 'y', type: 'quantitative', title: yTitle },
      color: { field: 'series', type: 'nominal', title: '' },
    },
  };
  return { type: 'figure', kind: 'chart', title, spec };
}
