/**
 * The Fréchet distance between two Gaussians fitted to feature sets (Dowson & Landau, 1982; the
 * FID of Heusel et al., 2017, on whatever features you give it):
 *
 *   d² = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^½ Σ₂ Σ₁^½)^½,
 *
 * computed on the host in float64. tr (Σ₁Σ₂)^½ equals tr (Σ₁^½ Σ₂ Σ₁^½)^½ (the two matrices are
 * similar), and the second is symmetric positive semi-definite, so both square roots come from a
 * symmetric eigendecomposition (cyclic Jacobi: slow for big matrices, exact to rounding for the
 * 84-wide features here) with no complex parts to discard as scipy's `sqrtm(Σ₁Σ₂)` has.
 */

import { eighFloat64 } from '@myelin/core';

/** A Gaussian fitted to features: the mean and the unbiased covariance (numpy's `np.cov`). */
export interface FeatureStats {
  /** Features per sample. */
  d: number;
  /** Samples it was fitted to. */
  n: number;
  mean: Float64Array;
  /** [d, d] row-major. */
  cov: Float64Array;
}

/**
 * Mean and covariance (divided by n − 1, as `np.cov(x, rowvar=False)`) of `n` rows of `d`
 * features, row-major, in float64.
 *
 * @throws RangeError when the data is not n·d values or n < 2
 */
export function featureStats(features: ArrayLike<number>, n: number, d: number): FeatureStats {
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 2 || d < 1)
    throw new RangeError(
      `featureStats: needs at least 2 samples of at least 1 feature, got n = ${n}, d = ${d}`,
    );
  if (features.length !== n * d)
    throw new RangeError(
      `featureStats: ${n} samples of ${d} features need ${n * d} values, got ${features.length}`,
    );
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += features[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = features[i * d + j]! - mean[j]!;
    // Upper triangle only; mirrored below.
    for (let j = 0; j < d; j++) {
      const r = row[j]!;
      if (r === 0) continue;
      for (let k = j; k < d; k++) cov[j * d + k]! += r * row[k]!;
    }
  }
  for (let j = 0; j < d; j++)
    for (let k = j; k < d; k++) {
      const v = cov[j * d + k]! / (n - 1);
      cov[j * d + k] = v;
      cov[k * d + j] = v;
    }
  return { d, n, mean, cov };
}

/**
 * Eigenvalues and eigenvectors of a symmetric [n, n] matrix (row-major, float64): core's host
 * routine (`eighFloat64`, cyclic Jacobi), after checking the matrix is symmetric. `vectors` holds
 * them as columns.
 */
export function symmetricEigen(
  matrix: ArrayLike<number>,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  if (matrix.length !== n * n)
    throw new RangeError(`symmetricEigen: an ${n}×${n} matrix needs ${n * n} values, got ${matrix.length}`);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const a = matrix[i * n + j]!;
      const b = matrix[j * n + i]!;
      if (Math.abs(a - b) > 1e-9 * (Math.abs((a + b) / 2) + 1))
        throw new RangeError(`symmetricEigen: the matrix is not symmetric at (${i}, ${j})`);
    }
  return eighFloat64(matrix, n);
}

/**
 * The principal square root of a symmetric positive semi-definite matrix, V·diag(√λ)·Vᵀ; the
 * eigenvalues rounding makes slightly negative (a singular covariance) count as 0.
 */
export function sqrtPsd(matrix: ArrayLike<number>, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, n);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const r = Math.sqrt(Math.max(values[k]!, 0));
    if (r === 0) continue;
    for (let i = 0; i < n; i++) {
      const vik = vectors[i * n + k]! * r;
      if (vik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += vik * vectors[j * n + k]!;
    }
  }
  return out;
}

function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += aik * b[k * n + j]!;
    }
  return out;
}

/**
 * The Fréchet distance d² between the Gaussians of two feature sets (see the module comment).
 *
 * @throws RangeError when the feature widths differ
 * @example
 * const fd = frechetDistance(featureStats(realFeatures, 1000, 84), featureStats(fakeFeatures, 1000, 84));
 */
export function frechetDistance(a: FeatureStats, b: FeatureStats): number {
  if (a.d !== b.d)
    throw new RangeError(`frechetDistance: the feature sets have ${a.d} and ${b.d} features per sample`);
  const d = a.d;
  let dist = 0;
  for (let j = 0; j < d; j++) dist += (a.mean[j]! - b.mean[j]!) ** 2;
  let trA = 0;
  let trB = 0;
  for (let j = 0; j < d; j++) {
    trA += a.cov[j * d + j]!;
    trB += b.cov[j * d + j]!;
  }
  const rootA = sqrtPsd(a.cov, d);
  const m = matmul(matmul(rootA, b.cov, d), rootA, d);
  // Symmetrise the product against rounding before the eigendecomposition.
  for (let i = 0; i < d; i++)
    for (let j = i + 1; j < d; j++) {
      const s = (m[i * d + j]! + m[j * d + i]!) / 2;
      m[i * d + j] = s;
      m[j * d + i] = s;
    }
  const { values } = symmetricEigen(m, d);
  let trRoot = 0;
  for (const v of values) trRoot += Math.sqrt(Math.max(v, 0));
  // Rounding can leave −1e−12 for identical sets.
  return Math.max(dist + trA + trB - 2 * trRoot, 0);
}
