import type { LabelledTable } from './data.js';

/** Features standardised per column (z-scores over the whole table), `[count, dims]`. */
export function standardise(t: LabelledTable): Float32Array {
  const out = new Float32Array(t.features.length);
  for (let k = 0; k < t.dims; k++) {
    let mean = 0;
    for (let i = 0; i < t.count; i++) mean += t.features[i * t.dims + k]! / t.count;
    let v = 0;
    for (let i = 0; i < t.count; i++) v += (t.features[i * t.dims + k]! - mean) ** 2 / t.count;
    const sd = Math.sqrt(v) || 1;
    for (let i = 0; i < t.count; i++) out[i * t.dims + k] = (t.features[i * t.dims + k]! - mean) / sd;
  }
  return out;
}

/** Stratified k-fold assignment: row i goes to fold `folds[i]`, classes dealt round-robin in row order. */
export function stratifiedFolds(labels: ArrayLike<number>, k: number): Int32Array {
  const next = new Map<number, number>();
  return Int32Array.from({ length: labels.length }, (_, i) => {
    const c = labels[i]!;
    const f = next.get(c) ?? 0;
    next.set(c, (f + 1) % k);
    return f;
  });
}

/** Distinct colours for up to 8 classes (RGB in [0, 1]). */
export const CLASS_COLOURS: readonly (readonly [number, number, number])[] = [
  [0.89, 0.1, 0.11],
  [0.2, 0.63, 0.17],
  [0.12, 0.47, 0.71],
  [1, 0.5, 0],
  [0.42, 0.24, 0.6],
  [0.65, 0.34, 0.16],
  [0.97, 0.51, 0.75],
  [0.6, 0.6, 0.6],
];
