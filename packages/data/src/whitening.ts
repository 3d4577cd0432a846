import { eighFloat64, type Tensor, tensor } from '@myelin/core';
import type { Transform } from './transforms.js';

/**
 * PCA and ZCA whitening fitted on data `[N, D]` (Krizhevsky 2009, "Learning Multiple Layers of
 * Features from Tiny Images", appendix A; Bell & Sejnowski 1997). With the sample covariance
 * `Σ = U Λ Uᵀ` (divisor N − 1, as `numpy.cov` and scikit-learn's `PCA(whiten=True)`):
 *
 * - PCA: `z = Λ^{-1/2} Uᵀ (x − μ)`, the coordinates along the principal axes, largest variance
 *   first (optionally only the first `components`);
 * - ZCA: `z = U Λ^{-1/2} Uᵀ (x − μ)`, the symmetric whitening closest to the identity (it keeps
 *   images looking like images).
 *
 * `epsilon` is added to every eigenvalue before the inverse square root; it damps the directions
 * of (nearly) zero variance. The eigendecomposition is cyclic Jacobi on the host, which suits D up
 * to a few hundred (a 28×28 image, D = 784, takes seconds).
 */

export interface WhiteningOptions {
  /** `'zca'` (default) or `'pca'`. */
  method?: 'pca' | 'zca';
  /** Added to each eigenvalue before `λ^{-1/2}` (default 1e-5). */
  epsilon?: number;
  /** PCA only: keep the first k principal directions (default all D). */
  components?: number;
}

export interface Whitening {
  method: 'pca' | 'zca';
  /** Feature means μ, length D. */
  mean: Float64Array;
  /** Covariance eigenvalues, descending, length D. */
  eigenvalues: Float64Array;
  /** Row-major `[K, D]` whitening matrix W, so `z = W (x − μ)`; K = D for ZCA. */
  matrix: Float64Array;
  /** Rows of the output (K). */
  outFeatures: number;
  /** Whiten `[M, D]` → `[M, K]` float32. */
  transform: Transform;
}

/**
 * Eigenvalues (descending) and eigenvectors (columns of the row-major `D×D` result) of a symmetric
 * matrix: core's float64 cyclic Jacobi routine (`eighFloat64`), reordered largest first.
 */
export function symmetricEigen(a: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const { values, vectors } = eighFloat64(a, d);
  const outValues = new Float64Array(d);
  const outVectors = new Float64Array(d * d);
  for (let r = 0; r < d; r++) {
    const from = d - 1 - r;
    outValues[r] = values[from]!;
    for (let i = 0; i < d; i++) outVectors[i * d + r] = vectors[i * d + from]!;
  }
  return { values: outValues, vectors: outVectors };
}

/** Fit PCA or ZCA whitening on `data` `[N, D]` (N ≥ 2). */
export function fitWhitening(data: Tensor, options: WhiteningOptions = {}): Whitening {
  const method = options.method ?? 'zca';
  const eps = options.epsilon ?? 1e-5;
  if (method !== 'pca' && method !== 'zca') {
    throw new RangeError(`fitWhitening: method must be 'pca' or 'zca', got '${String(method)}'`);
  }
  if (!(Number.isFinite(eps) && eps >= 0))
    throw new RangeError(`fitWhitening: epsilon must be a finite number ≥ 0, got ${eps}`);
  if (data.rank !== 2 || data.shape[0]! < 2 || data.shape[1]! < 1) {
    throw new RangeError(
      `fitWhitening: expected data [N, D] with N ≥ 2 samples and D ≥ 1, got [${data.shape.join(', ')}]`,
    );
  }
  const [n, d] = data.shape as [number, number];
  const k = options.components ?? d;
  if (!Number.isInteger(k) || k < 1 || k > d || (method === 'zca' && k !== d)) {
    throw new RangeError(
      `fitWhitening: components must be an integer in [1, ${d}] (and ${d} for ZCA), got ${k}`,
    );
  }
  const x = data.dataSync() as ArrayLike<number>;
  const mean = new Float64Array(d);
  for (let s = 0; s < n; s++) for (let j = 0; j < d; j++) mean[j] = mean[j]! + Number(x[s * d + j]);
  for (let j = 0; j < d; j++) mean[j] = mean[j]! / n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let s = 0; s < n; s++) {
    for (let j = 0; j < d; j++) row[j] = Number(x[s * d + j]) - mean[j]!;
    for (let i = 0; i < d; i++) {
      const ri = row[i]!;
      for (let j = i; j < d; j++) cov[i * d + j] = cov[i * d + j]! + ri * row[j]!;
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const c = cov[i * d + j]! / (n - 1);
      cov[i * d + j] = c;
      cov[j * d + i] = c;
    }
  }
  const { values, vectors } = symmetricEigen(cov, d);
  // Rounding can leave tiny negative eigenvalues of a singular covariance: clip them to 0.
  const inv = Float64Array.from(values.subarray(0, k), (l) => 1 / Math.sqrt(Math.max(l, 0) + eps));
  if (!inv.every(Number.isFinite)) {
    throw new RangeError(
      `fitWhitening: the covariance is singular (a kept eigenvalue is 0) and epsilon is 0; pass epsilon > 0${method === 'pca' ? ' or fewer components' : ''}`,
    );
  }
  const pca = new Float64Array(k * d); // Λ^{-1/2} Uᵀ, first k rows
  for (let r = 0; r < k; r++) for (let j = 0; j < d; j++) pca[r * d + j] = inv[r]! * vectors[j * d + r]!;
  let matrix = pca;
  if (method === 'zca') {
    matrix = new Float64Array(d * d); // U · (Λ^{-1/2} Uᵀ)
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let acc = 0;
        for (let r = 0; r < d; r++) acc += vectors[i * d + r]! * pca[r * d + j]!;
        matrix[i * d + j] = acc;
      }
    }
  }
  const transform: Transform = (t) => {
    if (t.rank !== 2 || t.shape[1] !== d) {
      throw new RangeError(
        `fitWhitening.transform: expected [M, ${d}] (the fitted features), got [${t.shape.join(', ')}]`,
      );
    }
    const m = t.shape[0]!;
    const tv = t.dataSync() as ArrayLike<number>;
    const out = new Float32Array(m * k);
    for (let s = 0; s < m; s++) {
      for (let j = 0; j < d; j++) row[j] = Number(tv[s * d + j]) - mean[j]!;
      for (let r = 0; r < k; r++) {
        let acc = 0;
        for (let j = 0; j < d; j++) acc += matrix[r * d + j]! * row[j]!;
        out[s * k + r] = acc;
      }
    }
    return tensor(out, { shape: [m, k] });
  };
  return { method, mean, eigenvalues: values, matrix, outFeatures: k, transform };
}
