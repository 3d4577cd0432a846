/**
 * Principal component analysis in closed form, on the host in float64: the covariance of the
 * data, its symmetric eigendecomposition (Householder tridiagonalisation then the implicit QL
 * algorithm: `tred2`/`tql2` of EISPACK as in JAMA), and the reconstruction error with the top k
 * components. It is the linear baseline every autoencoder is measured against: by Eckart–Young no
 * linear map through k numbers reconstructs the training data better.
 */

/** The eigenvalues (descending) and unit eigenvectors of a symmetric matrix. */
export interface SymmetricEigen {
  n: number;
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Eigenvectors as rows, `[n, n]` row-major: row i belongs to `values[i]`. */
  vectors: Float64Array;
}

/**
 * Eigendecomposition of a symmetric `n×n` matrix (row-major; only its lower triangle is read).
 * O(n³): about a second for n = 784.
 *
 * @example
 * const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2); // values [3, 1]
 */
export function symmetricEigen(a: ArrayLike<number>, n: number): SymmetricEigen {
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`symmetricEigen: n must be a positive integer, got ${n}`);
  if (a.length !== n * n)
    throw new RangeError(`symmetricEigen: a ${n}×${n} matrix needs ${n * n} values, got ${a.length}`);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      const v = a[i * n + j]!;
      if (!Number.isFinite(v)) throw new RangeError(`symmetricEigen: entry (${i}, ${j}) is ${v}`);
      V[i * n + j] = v;
      V[j * n + i] = v;
    }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(V, d, e, n);
  // tql2 rotates pairs of eigenvector columns: work on the transpose so each rotation reads two
  // contiguous rows (a 784-wide column walk is ~5× slower).
  const W = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) W[j * n + i] = V[i * n + j]!;
  tql2(W, d, e, n);
  const order = Array.from(d.keys()).sort((x, y) => d[y]! - d[x]!);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = d[src]!;
    vectors.set(W.subarray(src * n, src * n + n), dst * n);
  });
  return { n, values, vectors };
}

/** Householder reduction to tridiagonal form (EISPACK tred2, after JAMA): V becomes the transform. */
function tred2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        V[j * n + i] = f;
        g = e[j]! + V[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j]! * d[k]!;
          e[k] = e[k]! + V[k * n + j]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) V[k * n + j] = V[k * n + j]! - (f * e[k]! + g * d[k]!);
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i]!;
    V[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1]! * V[k * n + j]!;
        for (let k = 0; k <= i; k++) V[k * n + j] = V[k * n + j]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j]!;
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/**
 * Implicit QL on the tridiagonal (d, e) (EISPACK tql2, after JAMA), rotating the rows of W (the
 * transposed eigenvector matrix). Leaves the eigenvalues in d, unsorted.
 */
function tql2(W: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 100) throw new Error(`symmetricEigen: QL did not converge for eigenvalue ${l}`);
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          // Rotate eigenvector rows i and i+1.
          const a = i * n;
          const b = a + n;
          for (let k = 0; k < n; k++) {
            const wb = W[b + k]!;
            const wa = W[a + k]!;
            W[b + k] = s * wa + c * wb;
            W[a + k] = c * wa - s * wb;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}

/** Rows of data: `n` samples of `d` values, row-major, each value times `scale` (1/255 for bytes). */
export interface PcaData {
  values: ArrayLike<number>;
  n: number;
  d: number;
  /** Multiplies every value (default 1): pass 1/255 with an image set's bytes. */
  scale?: number;
}

/** A fitted PCA: the mean, the top-k principal axes and every eigenvalue of the covariance. */
export interface Pca {
  d: number;
  k: number;
  mean: Float64Array;
  /** The top-k unit principal axes as rows, `[k, d]` row-major. */
  components: Float64Array;
  /** Every eigenvalue of the covariance (divided by n, as the MSE), largest first. */
  eigenvalues: Float64Array;
}

function checkData(op: string, data: PcaData): number {
  const { n, d } = data;
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(d) || d < 1)
    throw new RangeError(`${op}: n and d must be positive integers, got n = ${n}, d = ${d}`);
  if (data.values.length < n * d)
    throw new RangeError(`${op}: ${n} rows of ${d} need ${n * d} values, got ${data.values.length}`);
  return data.scale ?? 1;
}

/**
 * PCA with `k` components, in closed form: mean, covariance Σ = (1/n)·Σᵢ (xᵢ − μ)(xᵢ − μ)ᵀ,
 * eigenvectors of Σ. Sparse rows (MNIST is 81% zeros) accumulate Xᵀ·X over their non-zeros only.
 *
 * @example
 * const train = await loadMnist({ split: 'train' });
 * const pca = fitPca({ values: train.images, n: 10000, d: 784, scale: 1 / 255 }, 49);
 * pcaReconstructionMse(pca, { values: test.images, n: test.count, d: 784, scale: 1 / 255 });
 */
export function fitPca(data: PcaData, k: number): Pca {
  const scale = checkData('fitPca', data);
  const { n, d, values } = data;
  if (!Number.isInteger(k) || k < 1 || k > d)
    throw new RangeError(`fitPca: k must be an integer in [1, ${d}], got ${k}`);
  const mean = new Float64Array(d);
  const xtx = new Float64Array(d * d);
  const idx = new Int32Array(d);
  const val = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    let nnz = 0;
    for (let j = 0; j < d; j++) {
      const v = values[r * d + j]! * scale;
      if (v !== 0) {
        idx[nnz] = j;
        val[nnz++] = v;
        mean[j] = mean[j]! + v;
      }
    }
    // Lower triangle only (idx ascending: row a ≥ column b).
    for (let a = 0; a < nnz; a++) {
      const row = idx[a]! * d;
      const va = val[a]!;
      for (let b = 0; b <= a; b++) xtx[row + idx[b]!] = xtx[row + idx[b]!]! + va * val[b]!;
    }
  }
  for (let j = 0; j < d; j++) mean[j] = mean[j]! / n;
  for (let i = 0; i < d; i++)
    for (let j = 0; j <= i; j++) xtx[i * d + j] = xtx[i * d + j]! / n - mean[i]! * mean[j]!;
  const { values: eigenvalues, vectors } = symmetricEigen(xtx, d);
  return { d, k, mean, components: vectors.slice(0, k * d), eigenvalues };
}

/**
 * The mean squared error per value of reconstructing `data` from its first `k` principal
 * coordinates (default: the model's k): mean over rows and columns of (x − μ − VₖᵀVₖ(x − μ))².
 */
export function pcaReconstructionMse(pca: Pca, data: PcaData, k = pca.k): number {
  const scale = checkData('pcaReconstructionMse', data);
  const { n, d, values } = data;
  if (d !== pca.d)
    throw new RangeError(`pcaReconstructionMse: data has ${d} columns but the PCA was fitted on ${pca.d}`);
  if (!Number.isInteger(k) || k < 0 || k > pca.k)
    throw new RangeError(`pcaReconstructionMse: k must be an integer in [0, ${pca.k}], got ${k}`);
  const { mean, components: V } = pca;
  const x = new Float64Array(d);
  const c = new Float64Array(k);
  let total = 0;
  for (let r = 0; r < n; r++) {
    let norm2 = 0;
    for (let j = 0; j < d; j++) {
      x[j] = values[r * d + j]! * scale - mean[j]!;
      norm2 += x[j]! * x[j]!;
    }
    // The axes are orthonormal: the residual is ‖x‖² − ‖Vₖx‖².
    let kept = 0;
    for (let i = 0; i < k; i++) {
      let s = 0;
      const row = i * d;
      for (let j = 0; j < d; j++) s += V[row + j]! * x[j]!;
      c[i] = s;
      kept += s * s;
    }
    total += Math.max(norm2 - kept, 0);
  }
  return total / (n * d);
}

/** The reconstruction `μ + VₖᵀVₖ(x − μ)` of each row, float32 `[n, d]` (for pictures). */
export function pcaReconstruct(pca: Pca, data: PcaData): Float32Array {
  const scale = checkData('pcaReconstruct', data);
  const { n, d, values } = data;
  if (d !== pca.d)
    throw new RangeError(`pcaReconstruct: data has ${d} columns but the PCA was fitted on ${pca.d}`);
  const { mean, components: V, k } = pca;
  const out = new Float32Array(n * d);
  const x = new Float64Array(d);
  const y = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) x[j] = values[r * d + j]! * scale - mean[j]!;
    y.set(mean);
    for (let i = 0; i < k; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += V[i * d + j]! * x[j]!;
      for (let j = 0; j < d; j++) y[j] = y[j]! + s * V[i * d + j]!;
    }
    for (let j = 0; j < d; j++) out[r * d + j] = y[j]!;
  }
  return out;
}
