import { fmtShape, Module, type Tensor, tensor } from '@myelin/core';
import { positiveInt } from './util.js';

export type InterpolateMode =
  | 'nearest'
  | 'nearest-exact'
  | 'linear'
  | 'bilinear'
  | 'bicubic'
  | 'trilinear'
  | 'area';

export interface InterpolateOptions {
  /** Output spatial size (one number for every spatial dim, or one per dim). */
  size?: number | readonly number[];
  /** Multiplier of the spatial size (output = floor(input · factor)). */
  scaleFactor?: number | readonly number[];
  /** Default 'nearest'. */
  mode?: InterpolateMode;
  /**
   * (linear, bilinear, bicubic, trilinear) Align the corner pixels' centres, as PyTorch's
   * align_corners (default false).
   */
  alignCorners?: boolean;
  /**
   * With `scaleFactor`: compute the output size, then resample as if that size had been given
   * (the source positions use in/out instead of 1/scaleFactor), as PyTorch's recompute_scale_factor.
   */
  recomputeScaleFactor?: boolean;
}

/** Spatial rank each mode needs (undefined: 1, 2 or 3). */
const MODE_RANK: Record<InterpolateMode, number | undefined> = {
  nearest: undefined,
  'nearest-exact': undefined,
  area: undefined,
  linear: 1,
  bilinear: 2,
  bicubic: 2,
  trilinear: 3,
};

/** Keys's cubic convolution kernel with PyTorch's A = −0.75, for |x| ≤ 1 and 1 < |x| < 2. */
const A = -0.75;
const cubic1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
const cubic2 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;

/**
 * The [out, in] matrix that resamples one axis of length n to m, with PyTorch 1.13's rules
 * (aten/src/ATen/native/UpSample.h): `scale` is 1/scaleFactor when a factor is passed to the
 * kernel, else n/m; with alignCorners (n−1)/(m−1). Nearest picks floor(i·scale) ('nearest-exact':
 * floor((i+½)·scale)); linear and cubic sample at scale·(i+½)−½ (clamped at 0 for linear only);
 * area averages the input cells [⌊i·n/m⌋, ⌈(i+1)·n/m⌉) as adaptive average pooling.
 */
function resampleMatrix(
  n: number,
  m: number,
  mode: 'nearest' | 'nearest-exact' | 'linear' | 'cubic' | 'area',
  alignCorners: boolean,
  factor: number | undefined,
): Tensor {
  const w = new Float32Array(m * n);
  const free = factor !== undefined && factor > 0 ? 1 / factor : n / m;
  const scale = alignCorners ? (m > 1 ? (n - 1) / (m - 1) : 0) : free;
  const clampIdx = (k: number) => Math.min(Math.max(k, 0), n - 1);
  for (let i = 0; i < m; i++) {
    const row = i * n;
    if (mode === 'nearest' || mode === 'nearest-exact') {
      // PyTorch computes the product in float32.
      const at = mode === 'nearest' ? Math.fround(i) : Math.fround(i + 0.5);
      w[row + Math.min(Math.floor(Math.fround(at * Math.fround(scale))), n - 1)] = 1;
    } else if (mode === 'area') {
      const start = Math.floor((i * n) / m);
      const end = Math.ceil(((i + 1) * n) / m);
      for (let k = start; k < end; k++) w[row + k] = 1 / (end - start);
    } else if (mode === 'linear') {
      let src = alignCorners ? scale * i : scale * (i + 0.5) - 0.5;
      if (src < 0) src = 0;
      const i0 = Math.floor(src);
      const i1 = i0 < n - 1 ? i0 + 1 : i0;
      const l1 = Math.min(src - i0, 1);
      w[row + i0]! += 1 - l1;
      w[row + i1]! += l1;
    } else {
      const src = alignCorners ? scale * i : scale * (i + 0.5) - 0.5;
      const i0 = Math.floor(src);
      const t = src - i0;
      const coeffs = [cubic2(t + 1), cubic1(t), cubic1(1 - t), cubic2(2 - t)];
      // Taps outside the input repeat the edge pixel.
      for (let k = 0; k < 4; k++) w[row + clampIdx(i0 - 1 + k)]! += coeffs[k]!;
    }
  }
  return tensor(w, { shape: [m, n] });
}

/** One value per spatial dim from a number or a list, checked. */
function perDim(
  what: string,
  v: number | readonly number[] | undefined,
  spatial: number,
  shape: readonly number[],
): (number | undefined)[] {
  if (v === undefined) return Array.from({ length: spatial }, () => undefined);
  if (typeof v === 'number') return Array.from({ length: spatial }, () => v);
  if (v.length !== spatial)
    throw new RangeError(
      `interpolate: ${what} has ${v.length} entries but the input ${fmtShape(shape)} has ${spatial} spatial dim${spatial === 1 ? '' : 's'}`,
    );
  return [...v];
}

/**
 * Resize the spatial dims of x [N, C, L], [N, C, H, W] or [N, C, D, H, W], as
 * torch.nn.functional.interpolate (PyTorch 1.13): 'nearest', 'nearest-exact' and 'area' (adaptive
 * average pooling) on any of them, 'linear' on 3-D, 'bilinear' and 'bicubic' (A = −0.75, edge
 * pixels repeated) on 4-D, 'trilinear' on 5-D input. Every mode is separable, so it runs as one
 * small matmul per spatial axis and the gradient is exact.
 *
 * ```ts
 * interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: false });
 * ```
 */
export function interpolate(x: Tensor, options: InterpolateOptions): Tensor {
  const mode = options.mode ?? 'nearest';
  if (!(mode in MODE_RANK))
    throw new RangeError(
      `interpolate: unknown mode '${mode}' (expected one of ${Object.keys(MODE_RANK).join(', ')})`,
    );
  const spatial = x.rank - 2;
  if (spatial < 1 || spatial > 3)
    throw new RangeError(
      `interpolate: input must be [N, C, L], [N, C, H, W] or [N, C, D, H, W], got ${fmtShape(x.shape)}`,
    );
  const need = MODE_RANK[mode];
  if (need !== undefined && need !== spatial)
    throw new RangeError(`interpolate: mode '${mode}' needs a ${need + 2}-D input, got ${fmtShape(x.shape)}`);
  if (options.alignCorners !== undefined && need === undefined)
    throw new RangeError(
      `interpolate: alignCorners only applies to linear, bilinear, bicubic and trilinear modes, not '${mode}'`,
    );
  if ((options.size === undefined) === (options.scaleFactor === undefined))
    throw new RangeError('interpolate: give exactly one of size and scaleFactor');
  if (options.recomputeScaleFactor && options.size !== undefined)
    throw new RangeError('interpolate: recomputeScaleFactor only applies with scaleFactor, not with size');
  const sizes = perDim('size', options.size, spatial, x.shape);
  const factors = perDim('scaleFactor', options.scaleFactor, spatial, x.shape);
  for (const f of factors)
    if (f !== undefined && !(Number.isFinite(f) && f > 0))
      throw new RangeError(`interpolate: scaleFactor must be positive and finite, got ${f}`);
  const axisMode =
    mode === 'nearest' || mode === 'nearest-exact' || mode === 'area'
      ? mode
      : mode === 'bicubic'
        ? 'cubic'
        : 'linear';
  // The factor reaches the kernel unless the output size was given or is recomputed.
  const passFactor = options.size === undefined && !options.recomputeScaleFactor;
  let y = x.cast('float32');
  for (let d = 0; d < spatial; d++) {
    const axis = 2 + d;
    const n = x.shape[axis]!;
    const f = factors[d];
    const m = sizes[d] ?? Math.floor(n * f!);
    positiveInt('interpolate', m, `output size of spatial dim ${d} (input ${n})`);
    const mat = resampleMatrix(n, m, axisMode, options.alignCorners ?? false, passFactor ? f : undefined);
    if (axis === x.rank - 1) {
      y = y.matmul(mat, { transposeB: true });
    } else {
      // [pre, n, post] → [pre, m, post]: mat broadcasts over the leading dims.
      const pre = y.shape.slice(0, axis);
      const post = y.shape.slice(axis + 1);
      const rest = post.reduce((a, b) => a * b, 1);
      y = mat.matmul(y.reshape([...pre, n, rest])).reshape([...pre, m, ...post]);
    }
  }
  return y;
}

/** torch.nn.Upsample: `interpolate` as a layer. */
export class Upsample extends Module {
  constructor(readonly options: InterpolateOptions) {
    super();
  }

  forward(x: Tensor): Tensor {
    return interpolate(x, this.options);
  }
}

/** torch.nn.UpsamplingNearest2d: `Upsample` with mode 'nearest' on [N, C, H, W]. */
export class UpsamplingNearest2d extends Upsample {
  constructor(options: Pick<InterpolateOptions, 'size' | 'scaleFactor'>) {
    super({ ...options, mode: 'nearest' });
  }
}

/** torch.nn.UpsamplingBilinear2d: `Upsample` with mode 'bilinear' and alignCorners true. */
export class UpsamplingBilinear2d extends Upsample {
  constructor(options: Pick<InterpolateOptions, 'size' | 'scaleFactor'>) {
    super({ ...options, mode: 'bilinear', alignCorners: true });
  }
}
