import {
  argmin,
  Generator,
  Module,
  noGrad,
  oneHot,
  type Seed,
  scope,
  type Tensor,
  tensor,
  topk,
  Variable,
  where,
  zeros,
} from '@myelin/core';

export interface SomOptions {
  /** Map rows and columns (a rectangular grid; unit u sits at row ⌊u / cols⌋, column u mod cols). */
  rows: number;
  cols: number;
  /** Input dimension. */
  dims: number;
}

/** How `SelfOrganizingMap.step` moves the codebook. */
export interface SomStepOptions {
  /** Width σ of the Gaussian neighbourhood h = exp(−d²/2σ²), d the grid distance between units. */
  sigma: number;
  /**
   * `batch` (default): Kohonen's batch map, wⱼ ← Σᵢ h(j, cᵢ) xᵢ / Σᵢ h(j, cᵢ) (a unit no sample
   * reaches keeps its weights); `online`: the mini-batch mean of Kohonen's rule,
   * wⱼ ← wⱼ + α·(1/B) Σᵢ h(j, cᵢ)(xᵢ − wⱼ).
   */
  mode?: 'batch' | 'online';
  /** α of the online rule (ignored by the batch map). */
  lr?: number;
}

function positive(what: string, v: number): number {
  if (!Number.isInteger(v) || v < 1)
    throw new RangeError(`SelfOrganizingMap: ${what} must be an integer ≥ 1, got ${v}`);
  return v;
}

/**
 * A Kohonen self-organising map (Kohonen 1982; "Self-Organizing Maps", 3rd ed., 2001): a grid of
 * `rows × cols` units, each with a codebook vector in `weight` `[rows·cols, dims]`. Training pulls
 * the best-matching unit of each sample and its grid neighbours towards the sample, so that
 * neighbouring units come to represent neighbouring inputs. All steps are batched tensor ops
 * (distances through one matmul), so it runs on every backend.
 *
 * @example
 * const som = new SelfOrganizingMap({ rows: 10, cols: 10, dims: 4 });
 * som.initFromSamples(x, { seed: 1 });
 * for (let e = 0; e < 20; e++) som.step(x, { sigma: 3 * (1 - e / 20) + 0.5 });
 * const u = som.uMatrix(); // rows × cols
 */
export class SelfOrganizingMap extends Module {
  weight: Variable;
  readonly rows: number;
  readonly cols: number;
  readonly dims: number;
  /** Squared grid distances between units, `[M, M]` (host copy, for the neighbourhood). */
  private readonly gridDist2: Float32Array;

  constructor(options: SomOptions) {
    super();
    this.rows = positive('rows', options.rows);
    this.cols = positive('cols', options.cols);
    this.dims = positive('dims', options.dims);
    const m = this.rows * this.cols;
    const w = zeros([m, this.dims]);
    this.weight = new Variable(w);
    w.dispose();
    this.gridDist2 = new Float32Array(m * m);
    for (let a = 0; a < m; a++)
      for (let b = 0; b < m; b++) {
        const dr = Math.floor(a / this.cols) - Math.floor(b / this.cols);
        const dc = (a % this.cols) - (b % this.cols);
        this.gridDist2[a * m + b] = dr * dr + dc * dc;
      }
  }

  get units(): number {
    return this.rows * this.cols;
  }

  private check(what: string, x: Tensor): void {
    if (x.rank !== 2 || x.shape[1] !== this.dims || x.shape[0] === 0)
      throw new RangeError(
        `${what}: expected samples [B ≥ 1, ${this.dims}], got shape [${x.shape.join(',')}]`,
      );
  }

  /** Codebook vectors set to `units` distinct random samples of `x` (with repeats if fewer samples). */
  initFromSamples(x: Tensor, options: { seed?: Seed } = {}): void {
    this.check('SelfOrganizingMap.initFromSamples', x);
    const gen = options.seed instanceof Generator ? options.seed : new Generator(options.seed ?? 0);
    const n = x.shape[0]!;
    const order = gen.permutation(n);
    const pick = Int32Array.from({ length: this.units }, (_, i) => order[i % n]!);
    const w = noGrad(() => scope(() => x.indexSelect(0, tensor(pick, { dtype: 'int32' }))));
    this.weight.assign(w);
    w.dispose();
  }

  /** Squared distances from each sample to each unit: `[B, D]` → `[B, M]` (‖x‖² − 2x·w + ‖w‖²). */
  distances(x: Tensor): Tensor {
    this.check('SelfOrganizingMap.distances', x);
    return noGrad(() =>
      scope(() => {
        const xx = x.square().sum(1, { keepdims: true });
        const ww = this.weight.square().sum(1).reshape([1, this.units]);
        return xx
          .sub(x.matmul(this.weight, { transposeB: true }).mul(2))
          .add(ww)
          .maximum(0);
      }),
    );
  }

  /** The best-matching unit of each sample: `[B, D]` → int32 `[B]`. */
  bestMatching(x: Tensor): Tensor {
    return noGrad(() => scope(() => argmin(this.distances(x), 1)));
  }

  /** The Gaussian neighbourhood h(j, k) = exp(−d²(j, k)/2σ²) over the grid, `[M, M]`. */
  neighbourhood(sigma: number): Tensor {
    if (!(sigma > 0))
      throw new RangeError(`SelfOrganizingMap.neighbourhood: sigma must be > 0, got ${sigma}`);
    const m = this.units;
    const h = new Float32Array(m * m);
    for (let i = 0; i < h.length; i++) h[i] = Math.exp(-this.gridDist2[i]! / (2 * sigma * sigma));
    return tensor(h, { shape: [m, m] });
  }

  /** One training step on the batch `x` `[B, D]` (see `SomStepOptions`). */
  step(x: Tensor, options: SomStepOptions): void {
    this.check('SelfOrganizingMap.step', x);
    const mode = options.mode ?? 'batch';
    if (mode !== 'batch' && mode !== 'online')
      throw new RangeError(`SelfOrganizingMap.step: mode must be 'batch' or 'online', got '${String(mode)}'`);
    const lr = options.lr ?? 0.1;
    if (mode === 'online' && !(lr > 0 && lr <= 1))
      throw new RangeError(`SelfOrganizingMap.step: lr must be in (0, 1], got ${lr}`);
    const next = noGrad(() =>
      scope(() => {
        const h = this.neighbourhood(options.sigma);
        // [B, M]: the neighbourhood weight of every unit for every sample's best-matching unit.
        const weights = oneHot(this.bestMatching(x), this.units).cast('float32').matmul(h);
        const mass = weights.sum(0).reshape([this.units, 1]); // Σᵢ h(j, cᵢ)
        const pulled = weights.matmul(x, { transposeA: true }); // Σᵢ h(j, cᵢ) xᵢ
        if (mode === 'batch') {
          const reached = mass.greater(1e-12);
          return where(reached, pulled.div(mass.maximum(1e-12)), this.weight);
        }
        const b = x.shape[0]!;
        return this.weight.add(pulled.sub(this.weight.mul(mass)).mul(lr / b));
      }),
    );
    this.weight.assign(next);
    next.dispose();
  }

  /** Mean Euclidean distance from each sample to its best-matching unit (Kohonen's quantisation error). */
  quantizationError(x: Tensor): number {
    return noGrad(() =>
      scope(() => {
        const d = this.distances(x);
        return d.min(1).sqrt().mean().item();
      }),
    );
  }

  /**
   * The fraction of samples whose best and second-best units are not grid neighbours (Kiviluoto
   * 1996); neighbours are the 8 units around one (Chebyshev distance 1). A map with one unit has 0.
   */
  topographicError(x: Tensor): number {
    this.check('SelfOrganizingMap.topographicError', x);
    if (this.units < 2) return 0;
    const idx = noGrad(() => scope(() => topk(this.distances(x), 2, { largest: false })[1]));
    const pairs = idx.dataSync();
    idx.dispose();
    let bad = 0;
    const n = x.shape[0]!;
    for (let i = 0; i < n; i++) {
      const a = Number(pairs[2 * i]);
      const b = Number(pairs[2 * i + 1]);
      const dr = Math.abs(Math.floor(a / this.cols) - Math.floor(b / this.cols));
      const dc = Math.abs((a % this.cols) - (b % this.cols));
      if (Math.max(dr, dc) > 1) bad++;
    }
    return bad / n;
  }

  /**
   * The U-matrix (Ultsch & Siemon 1990) as `rows × cols` values: each unit's mean Euclidean distance
   * to the codebook vectors of its 4 grid neighbours. High ridges separate clusters.
   */
  uMatrix(): Float32Array {
    const w = this.weight.dataSync() as Float32Array;
    const out = new Float32Array(this.units);
    const dist = (a: number, b: number) => {
      let s = 0;
      for (let k = 0; k < this.dims; k++) s += (w[a * this.dims + k]! - w[b * this.dims + k]!) ** 2;
      return Math.sqrt(s);
    };
    for (let r = 0; r < this.rows; r++)
      for (let c = 0; c < this.cols; c++) {
        const u = r * this.cols + c;
        let sum = 0;
        let count = 0;
        for (const [dr, dc] of [
          [-1, 0],
          [1, 0],
          [0, -1],
          [0, 1],
        ] as const) {
          const rr = r + dr;
          const cc = c + dc;
          if (rr < 0 || rr >= this.rows || cc < 0 || cc >= this.cols) continue;
          sum += dist(u, rr * this.cols + cc);
          count++;
        }
        out[u] = count ? sum / count : 0;
      }
    return out;
  }

  /** Component planes: for each input dimension, its codebook value at every unit, `[dims, rows·cols]`. */
  componentPlanes(): Float32Array {
    const w = this.weight.dataSync() as Float32Array;
    const out = new Float32Array(this.dims * this.units);
    for (let u = 0; u < this.units; u++)
      for (let k = 0; k < this.dims; k++) out[k * this.units + u] = w[u * this.dims + k]!;
    return out;
  }

  /**
   * Per unit, the count of each class among the samples it best matches (`[M, classes]`), and the
   * map's purity: the fraction of samples whose unit's majority class is their own.
   */
  labelMap(
    x: Tensor,
    labels: ArrayLike<number>,
    classes: number,
  ): { counts: Int32Array; purity: number; majority: Int32Array } {
    this.check('SelfOrganizingMap.labelMap', x);
    if (labels.length !== x.shape[0])
      throw new RangeError(`SelfOrganizingMap.labelMap: ${x.shape[0]} samples but ${labels.length} labels`);
    const bmu = this.bestMatching(x);
    const units = bmu.dataSync();
    bmu.dispose();
    const counts = new Int32Array(this.units * classes);
    for (let i = 0; i < labels.length; i++) {
      const y = labels[i]!;
      if (!Number.isInteger(y) || y < 0 || y >= classes)
        throw new RangeError(`SelfOrganizingMap.labelMap: label ${y} at ${i} is not in [0, ${classes})`);
      counts[Number(units[i]) * classes + y]!++;
    }
    const majority = new Int32Array(this.units).fill(-1);
    let agree = 0;
    for (let u = 0; u < this.units; u++) {
      let best = -1;
      let bestCount = 0;
      for (let k = 0; k < classes; k++)
        if (counts[u * classes + k]! > bestCount) {
          bestCount = counts[u * classes + k]!;
          best = k;
        }
      majority[u] = best;
      agree += bestCount;
    }
    return { counts, purity: agree / labels.length, majority };
  }
}
