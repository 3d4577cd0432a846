import { Generator } from '@myelin/core';

/**
 * 2-D projections of vectors for pictures: PCA (the top principal axes, by power iteration with
 * deflation on the covariance) and t-SNE (van der Maaten & Hinton, 2008; exact gradients, for a
 * few thousand points at most).
 */

function check(op: string, x: Float32Array, n: number, d: number): void {
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(d) && d >= 1) || x.length !== n * d) {
    throw new RangeError(`${op}: expected ${n} × ${d} = ${n * d} values (n, d ≥ 1), got ${x.length}`);
  }
}

/**
 * Coordinates of `n` points (`n × d`, row-major) on their first `k` principal axes (`n × k`), and
 * the axes (`k × d`, unit rows, sign fixed so each axis's largest component is positive) and the
 * variance along each.
 */
export function pca(
  x: Float32Array,
  n: number,
  d: number,
  k = 2,
): { coords: Float32Array; axes: Float64Array; variance: Float64Array } {
  check('pca', x, n, d);
  if (!(Number.isInteger(k) && k >= 1 && k <= d))
    throw new RangeError(`pca: k must be an integer in [1, ${d}], got ${k}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += x[i * d + j]! / n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = x[i * d + j]! - mean[j]!;
    for (let a = 0; a < d; a++) {
      const ra = row[a]!;
      for (let b = a; b < d; b++) cov[a * d + b]! += ra * row[b]!;
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      cov[a * d + b]! /= Math.max(1, n - 1);
      cov[b * d + a] = cov[a * d + b]!;
    }
  }
  const axes = new Float64Array(k * d);
  const variance = new Float64Array(k);
  const gen = new Generator(0);
  for (let c = 0; c < k; c++) {
    let v = Float64Array.from(gen.normal(d));
    let lambda = 0;
    for (let it = 0; it < 1000; it++) {
      const w = new Float64Array(d);
      for (let a = 0; a < d; a++) {
        let s = 0;
        for (let b = 0; b < d; b++) s += cov[a * d + b]! * v[b]!;
        w[a] = s;
      }
      const norm = Math.hypot(...w);
      if (norm === 0) break;
      let diff = 0;
      for (let a = 0; a < d; a++) {
        w[a]! /= norm;
        diff = Math.max(diff, Math.abs(w[a]! - v[a]!));
      }
      v = w;
      lambda = norm;
      if (diff < 1e-12) break;
    }
    let big = 0;
    for (let a = 0; a < d; a++) if (Math.abs(v[a]!) > Math.abs(v[big]!)) big = a;
    const sign = v[big]! < 0 ? -1 : 1;
    for (let a = 0; a < d; a++) axes[c * d + a] = v[a]! * sign;
    variance[c] = lambda;
    // Deflate: cov −= λ v vᵀ.
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a * d + b]! -= lambda * v[a]! * v[b]!;
  }
  const coords = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[i * d + j]! - mean[j]!) * axes[c * d + j]!;
      coords[i * k + c] = s;
    }
  }
  return { coords, axes, variance };
}

export interface TsneOptions {
  perplexity?: number;
  iterations?: number;
  /** Default max(n / 48, 50), as sklearn's `learning_rate="auto"`. */
  learningRate?: number;
  seed?: number;
}

/**
 * t-SNE to 2-D: Gaussian affinities calibrated to `perplexity` (binary search on each point's
 * precision), symmetrised; Student-t affinities in the map; gradient descent with momentum 0.5 →
 * 0.8, early exaggeration 12 for the first 250 iterations and per-coordinate gains, as the
 * reference implementation. Exact O(n²) per iteration.
 */
export function tsne(x: Float32Array, n: number, d: number, options: TsneOptions = {}): Float32Array {
  check('tsne', x, n, d);
  const perplexity = options.perplexity ?? Math.min(30, Math.max(2, (n - 1) / 3));
  const iterations = options.iterations ?? 750;
  // sklearn's 'auto' rate: max(n / exaggeration / 4, 50).
  const lr = options.learningRate ?? Math.max(n / 12 / 4, 50);
  if (n < 3) throw new RangeError(`tsne: needs at least 3 points, got ${n}`);
  if (!(perplexity > 0 && perplexity < n))
    throw new RangeError(`tsne: perplexity must be in (0, ${n}), got ${perplexity}`);
  const d2 = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (x[i * d + k]! - x[j * d + k]!) ** 2;
      d2[i * n + j] = s;
      d2[j * n + i] = s;
    }
  }
  const P = new Float64Array(n * n);
  const target = Math.log(perplexity);
  for (let i = 0; i < n; i++) {
    let beta = 1;
    let lo = 0;
    let hi = Number.POSITIVE_INFINITY;
    let minD = Number.POSITIVE_INFINITY;
    for (let j = 0; j < n; j++) if (j !== i) minD = Math.min(minD, d2[i * n + j]!);
    for (let it = 0; it < 100; it++) {
      let sum = 0;
      let hsum = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const p = Math.exp(-(d2[i * n + j]! - minD) * beta);
        P[i * n + j] = p;
        sum += p;
        hsum += (d2[i * n + j]! - minD) * p;
      }
      const H = Math.log(sum) + (beta * hsum) / sum;
      for (let j = 0; j < n; j++) P[i * n + j]! /= sum;
      if (Math.abs(H - target) < 1e-5) break;
      if (H > target) {
        lo = beta;
        beta = hi === Number.POSITIVE_INFINITY ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = (beta + lo) / 2;
      }
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const p = Math.max((P[i * n + j]! + P[j * n + i]!) / (2 * n), 1e-12);
      P[i * n + j] = p;
      P[j * n + i] = p;
    }
  }
  const gen = new Generator(options.seed ?? 0);
  const g0 = gen.normal(n * 2);
  const Y = new Float64Array(n * 2);
  for (let i = 0; i < n * 2; i++) Y[i] = g0[i]! * 1e-4;
  const update = new Float64Array(n * 2);
  const gains = new Float64Array(n * 2).fill(1);
  const num = new Float64Array(n * n);
  const grad = new Float64Array(n * 2);
  for (let it = 0; it < iterations; it++) {
    const exag = it < 250 ? 12 : 1;
    const momentum = it < 250 ? 0.5 : 0.8;
    let qsum = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const dx = Y[i * 2]! - Y[j * 2]!;
        const dy = Y[i * 2 + 1]! - Y[j * 2 + 1]!;
        const q = 1 / (1 + dx * dx + dy * dy);
        num[i * n + j] = q;
        num[j * n + i] = q;
        qsum += 2 * q;
      }
    }
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const q = num[i * n + j]!;
        const m = 4 * (exag * P[i * n + j]! - q / qsum) * q;
        grad[i * 2]! += m * (Y[i * 2]! - Y[j * 2]!);
        grad[i * 2 + 1]! += m * (Y[i * 2 + 1]! - Y[j * 2 + 1]!);
      }
    }
    for (let k = 0; k < n * 2; k++) {
      gains[k] =
        Math.sign(grad[k]!) !== Math.sign(update[k]!) ? gains[k]! + 0.2 : Math.max(0.01, gains[k]! * 0.8);
      update[k] = momentum * update[k]! - lr * gains[k]! * grad[k]!;
      Y[k]! += update[k]!;
    }
    let mx = 0;
    let my = 0;
    for (let i = 0; i < n; i++) {
      mx += Y[i * 2]! / n;
      my += Y[i * 2 + 1]! / n;
    }
    for (let i = 0; i < n; i++) {
      Y[i * 2]! -= mx;
      Y[i * 2 + 1]! -= my;
    }
  }
  return Float32Array.from(Y);
}
