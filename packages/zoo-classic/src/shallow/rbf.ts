import {
  argmax,
  Generator,
  Module,
  noGrad,
  type Parameter,
  scope,
  stopGradient,
  type Tensor,
  tensor,
} from '@myelin/core';
import { crossEntropy } from '@myelin/nn';
import { checkFeatures, checkLabels } from './preprocess.js';
import { type GradientOptions, gradientDescent } from './train.js';
import { param } from './util.js';

/**
 * Radial-basis-function networks (Broomhead & Lowe, 1988; Moody & Darken, 1989): a hidden layer of
 * Gaussian units `φ_j(x) = exp(−‖x − c_j‖² / (2σ_j²))` around centres `c_j` (from k-means), and a
 * linear output layer `y = φ·Wᵀ + b`, fitted in closed form (least squares) or by gradient descent.
 */

export interface KMeansOptions {
  /** Seeds the k-means++ start (default 0). */
  seed?: number;
  /** Lloyd iterations at most (default 100; stops earlier when no row changes cluster). */
  maxIter?: number;
}

/** What `kMeans` found. */
export interface KMeansResult {
  /** `[k, dims]` row-major. */
  centres: Float32Array;
  /** The cluster of each row. */
  assignment: Int32Array;
  /** Sum of squared distances of the rows to their centres. */
  inertia: number;
  iterations: number;
}

const sqDist = (x: ArrayLike<number>, i: number, c: ArrayLike<number>, j: number, d: number) => {
  let s = 0;
  for (let t = 0; t < d; t++) {
    const v = x[i * d + t]! - c[j * d + t]!;
    s += v * v;
  }
  return s;
};

/**
 * k-means (Lloyd's algorithm) with the k-means++ start (Arthur & Vassilvitskii, 2007), in float64 on
 * the host. A cluster left empty takes the row farthest from its centre.
 *
 * @throws RangeError when k < 1 or k > rows
 */
export function kMeans(x: Float32Array, dims: number, k: number, options: KMeansOptions = {}): KMeansResult {
  const op = 'kMeans';
  const n = checkFeatures(op, x, dims);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`${op}: k must be a positive integer, got ${k}`);
  if (k > n) throw new RangeError(`${op}: k = ${k} centres need at least ${k} rows, got ${n}`);
  const gen = new Generator(options.seed ?? 0);
  const c = new Float64Array(k * dims);
  const nearest = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  // k-means++: the first centre uniformly, each next one with probability ∝ squared distance.
  let pick = gen.randint(0, n, 1)[0]!;
  for (let j = 0; j < k; j++) {
    if (j > 0) {
      let total = 0;
      for (let i = 0; i < n; i++) total += nearest[i]!;
      let r = gen.uniform(1)[0]! * total;
      pick = n - 1;
      for (let i = 0; i < n; i++) {
        r -= nearest[i]!;
        if (r < 0) {
          pick = i;
          break;
        }
      }
      if (total === 0) pick = j; // every row sits on a centre: any row will do
    }
    for (let t = 0; t < dims; t++) c[j * dims + t] = x[pick * dims + t]!;
    for (let i = 0; i < n; i++) nearest[i] = Math.min(nearest[i]!, sqDist(x, i, c, j, dims));
  }
  const assignment = new Int32Array(n).fill(-1);
  const maxIter = options.maxIter ?? 100;
  let iterations = 0;
  for (; iterations < maxIter; iterations++) {
    let moved = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = Number.POSITIVE_INFINITY;
      for (let j = 0; j < k; j++) {
        const dd = sqDist(x, i, c, j, dims);
        if (dd < bestD) {
          bestD = dd;
          best = j;
        }
      }
      if (assignment[i] !== best) moved++;
      assignment[i] = best;
    }
    if (moved === 0) break;
    const sums = new Float64Array(k * dims);
    const counts = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      const j = assignment[i]!;
      counts[j]!++;
      for (let t = 0; t < dims; t++) sums[j * dims + t]! += x[i * dims + t]!;
    }
    for (let j = 0; j < k; j++) {
      if (counts[j]! > 0) {
        for (let t = 0; t < dims; t++) c[j * dims + t] = sums[j * dims + t]! / counts[j]!;
        continue;
      }
      let far = 0;
      let farD = -1;
      for (let i = 0; i < n; i++) {
        const dd = sqDist(x, i, c, assignment[i]!, dims);
        if (dd > farD) {
          farD = dd;
          far = i;
        }
      }
      for (let t = 0; t < dims; t++) c[j * dims + t] = x[far * dims + t]!;
      assignment[far] = j;
    }
  }
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += sqDist(x, i, c, assignment[i]!, dims);
  return { centres: Float32Array.from(c), assignment, inertia, iterations };
}

/**
 * How the widths σ_j are set:
 * - `'max-distance'`: one σ = d_max / √(2K), d_max the largest distance between centres
 *   (Broomhead & Lowe; Haykin, *Neural Networks*, §5.13).
 * - `'nearest-centres'`: σ_j = the RMS distance from c_j to its `p` nearest other centres
 *   (Moody & Darken, 1989; p = 2).
 * - `'cluster-spread'`: σ_j = the RMS distance of the rows assigned to c_j from it (a cluster of
 *   one row takes the mean of the others).
 */
export type BandwidthHeuristic = 'max-distance' | 'nearest-centres' | 'cluster-spread';

/** The widths σ_j of `k` centres by `heuristic` (`x` and `assignment` for `'cluster-spread'`). */
export function bandwidths(
  centres: Float32Array,
  dims: number,
  heuristic: BandwidthHeuristic,
  options: { p?: number; x?: Float32Array; assignment?: Int32Array } = {},
): Float32Array {
  const op = 'bandwidths';
  const k = checkFeatures(op, centres, dims);
  if (k === 0) throw new RangeError(`${op}: got 0 centres`);
  const out = new Float32Array(k);
  if (heuristic === 'max-distance') {
    let dmax = 0;
    for (let a = 0; a < k; a++)
      for (let b = a + 1; b < k; b++) dmax = Math.max(dmax, sqDist(centres, a, centres, b, dims));
    const s = Math.sqrt(dmax) / Math.sqrt(2 * k);
    out.fill(s > 0 ? s : 1);
  } else if (heuristic === 'nearest-centres') {
    const p = Math.min(options.p ?? 2, k - 1);
    if (p < 1) throw new RangeError(`${op}: 'nearest-centres' needs at least 2 centres, got ${k}`);
    for (let a = 0; a < k; a++) {
      const d: number[] = [];
      for (let b = 0; b < k; b++) if (b !== a) d.push(sqDist(centres, a, centres, b, dims));
      d.sort((u, v) => u - v);
      let s = 0;
      for (let t = 0; t < p; t++) s += d[t]!;
      out[a] = Math.sqrt(s / p);
    }
  } else if (heuristic === 'cluster-spread') {
    const { x, assignment } = options;
    if (!x || !assignment)
      throw new RangeError(`${op}: 'cluster-spread' needs the rows (x) and their assignment`);
    const n = checkFeatures(op, x, dims);
    checkLabels(op, assignment, n, k);
    const sums = new Float64Array(k);
    const counts = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      const j = assignment[i]!;
      sums[j]! += sqDist(x, i, centres, j, dims);
      counts[j]!++;
    }
    let total = 0;
    let m = 0;
    for (let j = 0; j < k; j++) {
      if (counts[j]! > 1 && sums[j]! > 0) {
        out[j] = Math.sqrt(sums[j]! / counts[j]!);
        total += out[j]!;
        m++;
      }
    }
    const fallback = m > 0 ? total / m : 1;
    for (let j = 0; j < k; j++) if (!(out[j]! > 0)) out[j] = fallback;
  } else {
    throw new RangeError(
      `${op}: unknown heuristic ${JSON.stringify(heuristic)}; expected max-distance, nearest-centres or cluster-spread`,
    );
  }
  for (let j = 0; j < k; j++) if (!(out[j]! > 0)) out[j] = 1; // coincident centres
  return out;
}

/**
 * An RBF network: `centres` `[K, D]` and `widths` `[K]` (σ) of the Gaussian hidden units, and the
 * linear output layer `weight` `[C, K]`, `bias` `[C]` (one output per class; predict by argmax).
 */
export class RBFNetwork extends Module {
  centres: Parameter;
  widths: Parameter;
  weight: Parameter;
  bias: Parameter;
  readonly inFeatures: number;
  readonly units: number;
  readonly outputs: number;

  constructor(centres: Float32Array, widths: Float32Array, inFeatures: number, outputs: number) {
    super();
    const op = 'RBFNetwork';
    const k = checkFeatures(op, centres, inFeatures);
    if (k === 0) throw new RangeError(`${op}: got 0 centres, expected at least 1`);
    if (widths.length !== k) throw new RangeError(`${op}: got ${widths.length} widths for ${k} centres`);
    for (let j = 0; j < k; j++)
      if (!(widths[j]! > 0)) throw new RangeError(`${op}: width ${j} is ${widths[j]}, expected > 0`);
    if (!Number.isInteger(outputs) || outputs < 1)
      throw new RangeError(`${op}: outputs must be a positive integer, got ${outputs}`);
    this.inFeatures = inFeatures;
    this.units = k;
    this.outputs = outputs;
    this.centres = param(tensor(centres, { shape: [k, inFeatures] }));
    this.widths = param(tensor(widths, { shape: [k] }));
    this.weight = param(tensor(new Float32Array(outputs * k), { shape: [outputs, k] }));
    this.bias = param(tensor(new Float32Array(outputs), { shape: [outputs] }));
  }

  /**
   * k-means centres (`kMeans`) and widths by `heuristic` from the rows `x`: the usual way to build one.
   *
   * @example
   * const net = RBFNetwork.fromData(x, 30, 40, 2, { heuristic: 'nearest-centres' });
   * fitRBFOutput(net, x, y);
   */
  static fromData(
    x: Float32Array,
    inFeatures: number,
    units: number,
    outputs: number,
    options: KMeansOptions & { heuristic?: BandwidthHeuristic; p?: number } = {},
  ): RBFNetwork {
    const km = kMeans(x, inFeatures, units, options);
    const widths = bandwidths(km.centres, inFeatures, options.heuristic ?? 'nearest-centres', {
      p: options.p,
      x,
      assignment: km.assignment,
    });
    return new RBFNetwork(km.centres, widths, inFeatures, outputs);
  }

  /** The hidden activations φ, `[N, K]`. */
  hidden(x: Tensor): Tensor {
    if (x.rank !== 2 || x.shape[1] !== this.inFeatures) {
      throw new RangeError(`RBFNetwork: input must be [N, ${this.inFeatures}], got [${x.shape.join(', ')}]`);
    }
    const dot = x.matmul(this.centres, { transposeB: true });
    const xx = x.square().sum(1, { keepdims: true });
    const cc = this.centres.square().sum(1).reshape([1, -1]);
    const d2 = xx.add(cc).sub(dot.mul(2)).relu();
    return d2.div(this.widths.square().mul(-2).reshape([1, -1])).exp();
  }

  forward(x: Tensor): Tensor {
    return this.hidden(x).matmul(this.weight, { transposeB: true }).add(this.bias);
  }

  /** Class predictions (argmax of the outputs) for host rows `x`. */
  async predict(x: Float32Array): Promise<Int32Array> {
    const n = checkFeatures('RBFNetwork.predict', x, this.inFeatures);
    if (n === 0) return new Int32Array(0);
    const p = noGrad(() => scope(() => argmax(this.forward(tensor(x, { shape: [n, this.inFeatures] })), 1)));
    try {
      return Int32Array.from(await p.data());
    } finally {
      p.dispose();
    }
  }
}

/**
 * Least squares `min ‖A·X − B‖² + ridge·‖X[:penalised]‖²` by Householder QR in float64 (the ridge
 * as extra rows `√ridge·I` under the first `penalised` columns). `A` is `[m, n]`, `B` `[m, k]`,
 * row-major; returns `X` `[n, k]`.
 *
 * @throws RangeError when A (with the ridge rows) is rank-deficient: pass a ridge > 0
 */
export function leastSquares(
  A: Float64Array,
  m: number,
  n: number,
  B: Float64Array,
  k: number,
  options: { ridge?: number; penalised?: number } = {},
): Float64Array {
  const op = 'leastSquares';
  const ridge = options.ridge ?? 0;
  const pen = ridge > 0 ? (options.penalised ?? n) : 0;
  if (A.length !== m * n || B.length !== m * k)
    throw new RangeError(`${op}: A must be ${m}×${n} and B ${m}×${k}`);
  const rows = m + pen;
  if (rows < n) throw new RangeError(`${op}: ${m} rows cannot determine ${n} unknowns; pass a ridge > 0`);
  const a = new Float64Array(rows * n);
  a.set(A);
  const b = new Float64Array(rows * k);
  b.set(B);
  for (let j = 0; j < pen; j++) a[(m + j) * n + j] = Math.sqrt(ridge);
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]!));
  const v = new Float64Array(rows);
  for (let j = 0; j < n; j++) {
    // Householder reflector that zeroes a[j+1:, j].
    let norm = 0;
    for (let i = j; i < rows; i++) norm += a[i * n + j]! ** 2;
    norm = Math.sqrt(norm);
    if (norm <= 1e-12 * Math.max(scale, 1) * rows) {
      throw new RangeError(
        `${op}: the matrix is rank-deficient (column ${j} is dependent on the others); pass a ridge > 0`,
      );
    }
    const alpha = a[j * n + j]! > 0 ? -norm : norm;
    for (let i = j; i < rows; i++) v[i] = a[i * n + j]!;
    v[j]! -= alpha;
    let vv = 0;
    for (let i = j; i < rows; i++) vv += v[i]! ** 2;
    const apply = (mat: Float64Array, cols: number, from: number) => {
      for (let c = from; c < cols; c++) {
        let s = 0;
        for (let i = j; i < rows; i++) s += v[i]! * mat[i * cols + c]!;
        s = (2 * s) / vv;
        for (let i = j; i < rows; i++) mat[i * cols + c]! -= s * v[i]!;
      }
    };
    apply(a, n, j);
    apply(b, k, 0);
  }
  // Back-substitution R·X = (Qᵀ B)[:n].
  const out = new Float64Array(n * k);
  for (let c = 0; c < k; c++) {
    for (let j = n - 1; j >= 0; j--) {
      let s = b[j * k + c]!;
      for (let t = j + 1; t < n; t++) s -= a[j * n + t]! * out[t * k + c]!;
      out[j * k + c] = s / a[j * n + j]!;
    }
  }
  return out;
}

/** The hidden activations φ of host rows `x` in float64 (what the closed-form fit solves with). */
export async function rbfHidden(model: RBFNetwork, x: Float32Array): Promise<Float64Array> {
  const n = checkFeatures('rbfHidden', x, model.inFeatures);
  const d = model.inFeatures;
  const [c, w] = await Promise.all([model.centres.data(), model.widths.data()]);
  const k = model.units;
  const phi = new Float64Array(n * k);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < k; j++) phi[i * k + j] = Math.exp(-sqDist(x, i, c, j, d) / (2 * w[j]! ** 2));
  return phi;
}

/**
 * Fit the output layer in closed form: least squares of `[φ, 1]·[Wᵀ; b]` against one-hot targets
 * of `y` (`ridge` > 0 adds `ridge·‖W‖²`, the bias unpenalised). Hidden units stay as they are.
 * Returns the training mean squared error per output, `‖[φ,1]·[Wᵀ; b] − T‖² / (N·C)`.
 */
export async function fitRBFOutput(
  model: RBFNetwork,
  x: Float32Array,
  y: Int32Array,
  options: { ridge?: number } = {},
): Promise<number> {
  const op = 'fitRBFOutput';
  const n = checkFeatures(op, x, model.inFeatures);
  const c = model.outputs;
  checkLabels(op, y, n, c);
  const ridge = options.ridge ?? 0;
  if (!(ridge >= 0)) throw new RangeError(`${op}: ridge must be ≥ 0, got ${ridge}`);
  const k = model.units;
  const phi = await rbfHidden(model, x);
  const A = new Float64Array(n * (k + 1));
  for (let i = 0; i < n; i++) {
    A.set(phi.subarray(i * k, (i + 1) * k), i * (k + 1));
    A[i * (k + 1) + k] = 1;
  }
  const T = new Float64Array(n * c);
  for (let i = 0; i < n; i++) T[i * c + y[i]!] = 1;
  const X = leastSquares(A, n, k + 1, T, c, { ridge, penalised: k });
  const W = new Float32Array(c * k);
  const b = new Float32Array(c);
  for (let o = 0; o < c; o++) {
    for (let j = 0; j < k; j++) W[o * k + j] = X[j * c + o]!;
    b[o] = X[k * c + o]!;
  }
  scope(() => {
    model.weight.assign(tensor(W, { shape: [c, k] }));
    model.bias.assign(tensor(b, { shape: [c] }));
  });
  let sse = 0;
  for (let i = 0; i < n; i++)
    for (let o = 0; o < c; o++) {
      let s = X[k * c + o]!;
      for (let j = 0; j < k; j++) s += A[i * (k + 1) + j]! * X[j * c + o]!;
      sse += (s - T[i * c + o]!) ** 2;
    }
  return sse / (n * c);
}

export interface TrainRBFOptions extends GradientOptions {
  /** `'squared'` (default: the closed form's objective, `½‖y − t‖²` per row) or `'softmax'` (cross-entropy). */
  loss?: 'squared' | 'softmax';
  /** Train the centres and widths too (default false: the output layer only). */
  trainHidden?: boolean;
}

/** Train an RBF network by gradient descent (output layer, or all layers). Returns the mean objective per epoch. */
export async function trainRBF(
  model: RBFNetwork,
  x: Float32Array,
  y: Int32Array,
  options: TrainRBFOptions,
): Promise<number[]> {
  const op = 'trainRBF';
  const n = checkFeatures(op, x, model.inFeatures);
  checkLabels(op, y, n, model.outputs);
  const X = tensor(x, { shape: [n, model.inFeatures] });
  const Y = tensor(y, { shape: [n], dtype: 'int32' });
  const params = options.trainHidden ? model.parameters() : [model.weight, model.bias];
  const c = model.outputs;
  try {
    return await gradientDescent(
      op,
      params,
      (xb, yb) => {
        // Output layer only: no gradient flows into the centres and widths.
        const h = options.trainHidden ? model.hidden(xb) : stopGradient(model.hidden(xb));
        const out = h.matmul(model.weight, { transposeB: true }).add(model.bias);
        if (options.loss === 'softmax') return crossEntropy(out, yb);
        return out.sub(yb.oneHot(c).cast('float32')).square().sum(1).mean().mul(0.5);
      },
      X,
      Y,
      options,
    );
  } finally {
    X.dispose();
    Y.dispose();
  }
}
