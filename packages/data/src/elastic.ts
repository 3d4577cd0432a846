import { concat, type Generator, type Seed, scope, type Tensor, take, tensor, zeros } from '@myelin/core';
import { resolveGenerator } from './random.js';
import type { Transform } from './transforms.js';

/**
 * Elastic distortion (Simard, Steinkraus & Platt, "Best Practices for Convolutional Neural
 * Networks Applied to Visual Document Analysis", ICDAR 2003, §2): draw a displacement field with
 * every component uniform on [−1, 1], smooth it with a Gaussian of standard deviation σ pixels,
 * scale it by α pixels, and resample the image at the displaced points with bilinear
 * interpolation. Small σ gives near-random jitter, large σ near-rigid motion; Simard et al. used
 * σ = 4, α = 34 on MNIST.
 */

/** Where each output pixel reads from: output (i, j) samples the input at (i + dy, j + dx), in pixels. */
export interface DisplacementField {
  /** Row-major `[H, W]` horizontal shifts (+ reads from the right). */
  dx: Float32Array;
  /** Row-major `[H, W]` vertical shifts (+ reads from below). */
  dy: Float32Array;
}

/** What pixels outside the image read as: 0 (`'zeros'`, torch `grid_sample`'s default) or the nearest edge pixel (`'border'`). */
export type DisplacementBorder = 'zeros' | 'border';

export interface ElasticFieldOptions {
  /** Scale of the smoothed field, in pixels (≥ 0). */
  alpha: number;
  /** Standard deviation of the Gaussian smoothing, in pixels (≥ 0; 0 leaves the noise unsmoothed). */
  sigma: number;
}

function checkFieldOptions(op: string, o: ElasticFieldOptions): void {
  if (!(Number.isFinite(o.alpha) && o.alpha >= 0)) {
    throw new RangeError(`${op}: alpha must be a finite number ≥ 0 (pixels), got ${o.alpha}`);
  }
  if (!(Number.isFinite(o.sigma) && o.sigma >= 0)) {
    throw new RangeError(`${op}: sigma must be a finite number ≥ 0 (pixels), got ${o.sigma}`);
  }
}

/** A normalised Gaussian on −r … r with r = ⌈4σ⌉ (torchvision's kernel size 8σ + 1). */
function gaussianKernel(sigma: number): Float64Array {
  const r = Math.ceil(4 * sigma);
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  return k;
}

/** Index i folded into [0, n) by mirroring without repeating the edge (torch's 'reflect' padding). */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const p = 2 * (n - 1);
  const m = ((i % p) + p) % p;
  return m < n ? m : p - m;
}

/** Separable Gaussian blur of one `[h, w]` plane in place (reflected edges). */
function blur(plane: Float32Array, h: number, w: number, k: Float64Array): void {
  const r = (k.length - 1) / 2;
  const taps = k.length;
  // Each row (then column) is copied once into a buffer padded by r reflected values on each
  // side, so the inner loop is a plain dot product with no index arithmetic.
  const buf = new Float64Array(Math.max(h, w) + 2 * r);
  for (let i = 0; i < h; i++) {
    for (let t = 0; t < w + 2 * r; t++) buf[t] = plane[i * w + reflect(t - r, w)]!;
    for (let j = 0; j < w; j++) {
      let s = 0;
      for (let t = 0; t < taps; t++) s += k[t]! * buf[j + t]!;
      plane[i * w + j] = s;
    }
  }
  for (let j = 0; j < w; j++) {
    for (let t = 0; t < h + 2 * r; t++) buf[t] = plane[reflect(t - r, h) * w + j]!;
    for (let i = 0; i < h; i++) {
      let s = 0;
      for (let t = 0; t < taps; t++) s += k[t]! * buf[i + t]!;
      plane[i * w + j] = s;
    }
  }
}

/**
 * One random elastic displacement field for an `h × w` image: uniform noise on [−1, 1] per
 * component, Gaussian-smoothed with `sigma` (reflected edges), times `alpha`.
 *
 * @example
 * const { dx, dy } = elasticField(28, 28, { alpha: 34, sigma: 4, seed: 0 });
 */
export function elasticField(
  h: number,
  w: number,
  options: ElasticFieldOptions & { seed?: Seed },
): DisplacementField {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new RangeError(`elasticField: height and width must be positive integers, got ${h}×${w}`);
  }
  checkFieldOptions('elasticField', options);
  return drawField(h, w, options, resolveGenerator(options.seed));
}

function drawField(h: number, w: number, o: ElasticFieldOptions, g: Generator): DisplacementField {
  const k = o.sigma > 0 ? gaussianKernel(o.sigma) : null;
  const planes = [g.uniform(h * w), g.uniform(h * w)].map((u) => {
    const p = new Float32Array(h * w);
    for (let i = 0; i < p.length; i++) p[i] = 2 * u[i]! - 1;
    if (k) blur(p, h, w, k);
    for (let i = 0; i < p.length; i++) p[i]! *= o.alpha;
    return p;
  });
  return { dx: planes[0]!, dy: planes[1]! };
}

function imageShape(op: string, x: Tensor): [number, number, number, number] {
  if (x.rank === 3) return [1, x.shape[0]!, x.shape[1]!, x.shape[2]!];
  if (x.rank === 4) return x.shape as unknown as [number, number, number, number];
  throw new RangeError(
    `${op}: expected an image [C, H, W] or a batch [N, C, H, W], got [${x.shape.join(', ')}]`,
  );
}

/**
 * Resample images at displaced points with bilinear interpolation: output (i, j) of image s is
 * the input interpolated at (i + dy, j + dx) of that image's field. One field is shared by all
 * images, or give one per image (`fields.length === N`); channels share their image's field.
 * Equivalent to torch's `grid_sample(x, grid, mode='bilinear', align_corners=True)` with the
 * grid at those points and `padding_mode` `'zeros'` or `'border'`.
 *
 * Like the other spatial transforms, the source pixels and weights are computed on the host and
 * read with core's `take`, the same on every backend. Integer input is cast to float32.
 */
export function displace(
  x: Tensor,
  fields: DisplacementField | readonly DisplacementField[],
  options: { border?: DisplacementBorder } = {},
): Tensor {
  const op = 'displace';
  const [n, c, h, w] = imageShape(op, x);
  const border = options.border ?? 'zeros';
  if (border !== 'zeros' && border !== 'border') {
    throw new RangeError(`${op}: border must be 'zeros' or 'border', got ${JSON.stringify(border)}`);
  }
  const list = Array.isArray(fields)
    ? (fields as readonly DisplacementField[])
    : [fields as DisplacementField];
  if (list.length !== 1 && list.length !== n) {
    throw new RangeError(`${op}: got ${list.length} displacement fields for ${n} images (give 1 or ${n})`);
  }
  list.forEach((f, s) => {
    if (f.dx.length !== h * w || f.dy.length !== h * w) {
      throw new RangeError(
        `${op}: field ${s} has ${f.dx.length} dx and ${f.dy.length} dy values, the images need ${h}×${w} = ${h * w}`,
      );
    }
  });
  const size = n * c * h * w;
  const zero = size; // index of the 0 appended after the flattened input
  // Four corners per output pixel, stacked as [4, ...shape]: indices into the flattened input and
  // bilinear weights, so the whole resampling is one gather, one multiply and one sum.
  const idx = new Int32Array(4 * size);
  const wt = new Float32Array(4 * size);
  const [i00, i01, i10, i11] = [0, 1, 2, 3].map((q) => idx.subarray(q * size, (q + 1) * size)) as [
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
  ];
  const [w00, w01, w10, w11] = [0, 1, 2, 3].map((q) => wt.subarray(q * size, (q + 1) * size)) as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const plane = h * w;
  for (let s = 0; s < n; s++) {
    const { dx, dy } = list.length === 1 ? list[0]! : list[s]!;
    for (let p = 0; p < plane; p++) {
      let sy = Math.floor(p / w) + dy[p]!;
      let sx = (p % w) + dx[p]!;
      if (!Number.isFinite(sx) || !Number.isFinite(sy)) {
        throw new RangeError(
          `${op}: field ${list.length === 1 ? 0 : s} has a non-finite value at pixel ${p}`,
        );
      }
      if (border === 'border') {
        sy = Math.min(Math.max(sy, 0), h - 1);
        sx = Math.min(Math.max(sx, 0), w - 1);
      }
      const y0 = Math.floor(sy);
      const x0 = Math.floor(sx);
      const fy = sy - y0;
      const fx = sx - x0;
      const inY0 = y0 >= 0 && y0 < h;
      const inY1 = y0 + 1 >= 0 && y0 + 1 < h;
      const inX0 = x0 >= 0 && x0 < w;
      const inX1 = x0 + 1 >= 0 && x0 + 1 < w;
      for (let ch = 0; ch < c; ch++) {
        const base = (s * c + ch) * plane;
        const o = base + p;
        // A corner outside the image reads the appended 0; under 'border' only a corner of
        // weight 0 can be outside (the point was clamped), so it reads 0 too.
        i00[o] = inY0 && inX0 ? base + y0 * w + x0 : zero;
        i01[o] = inY0 && inX1 ? base + y0 * w + x0 + 1 : zero;
        i10[o] = inY1 && inX0 ? base + (y0 + 1) * w + x0 : zero;
        i11[o] = inY1 && inX1 ? base + (y0 + 1) * w + x0 + 1 : zero;
        w00[o] = (1 - fy) * (1 - fx);
        w01[o] = (1 - fy) * fx;
        w10[o] = fy * (1 - fx);
        w11[o] = fy * fx;
      }
    }
  }
  const shape = x.rank === 4 ? [n, c, h, w] : [c, h, w];
  return scope(() => {
    const f = x.dtype === 'float32' ? x : x.cast('float32');
    const flat = concat([f.reshape([-1]), zeros([1])]);
    const corners = [4, ...shape];
    return take(flat, tensor(idx, { shape: corners, dtype: 'int32' }))
      .mul(tensor(wt, { shape: corners }))
      .sum(0);
  });
}

export interface ElasticDistortionOptions extends ElasticFieldOptions {
  /** What points outside the image read (default `'zeros'`, the background of digit images). */
  border?: DisplacementBorder;
  seed?: Seed;
}

/**
 * A seeded random elastic distortion (Simard et al. 2003) for `[C, H, W]` images or `[N, C, H, W]`
 * batches: each image gets its own field (shared by its channels), drawn from this transform's
 * generator, so a run repeats from the seed.
 *
 * @example
 * const augment = elasticDistortion({ alpha: 34, sigma: 4, seed: 0 }); // Simard's MNIST setting
 * const loader = new DataLoader(train.map(({ x, y }) => ({ x: augment(x), y })), { batchSize: 64 });
 */
export function elasticDistortion(options: ElasticDistortionOptions): Transform {
  checkFieldOptions('elasticDistortion', options);
  const g = resolveGenerator(options.seed);
  const border = options.border ?? 'zeros';
  return (x) => {
    const [n, , h, w] = imageShape('elasticDistortion', x);
    const fields = Array.from({ length: n }, () => drawField(h, w, options, g));
    return displace(x, fields, { border });
  };
}
