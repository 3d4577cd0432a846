import { fmtShape, Module, type Tensor, tensor } from '@myelin/core';
import { positiveInt } from './util.js';

export type InterpolateMode = 'nearest' | 'linear' | 'bilinear';

export interface InterpolateOptions {
  /** Output spatial size (one number for every spatial dim, or one per dim). */
  size?: number | readonly number[];
  /** Multiplier of the spatial size (output = floor(input · factor)). */
  scaleFactor?: number | readonly number[];
  mode?: InterpolateMode;
  /** (linear/bilinear) Align the corner pixels' centres, as PyTorch's align_corners (default false). */
  alignCorners?: boolean;
}

/**
 * The [out, in] matrix that resamples one axis, with PyTorch's source-index rules
 * (`nearest_neighbor_compute_source_index`, `area_pixel_compute_source_index`): the scale is
 * 1/scaleFactor when a factor was given, else in/out; with alignCorners (in−1)/(out−1).
 */
function resampleMatrix(
  n: number,
  m: number,
  mode: 'nearest' | 'linear',
  alignCorners: boolean,
  factor: number | undefined,
): Tensor {
  const w = new Float32Array(m * n);
  const scale =
    mode === 'linear' && alignCorners
      ? m > 1
        ? (n - 1) / (m - 1)
        : 0
      : factor && factor > 0
        ? 1 / factor
        : n / m;
  for (let i = 0; i < m; i++) {
    if (mode === 'nearest') {
      // PyTorch computes the product in float32.
      const src = Math.min(Math.floor(Math.fround(Math.fround(i) * Math.fround(scale))), n - 1);
      w[i * n + src] = 1;
      continue;
    }
    let src = alignCorners ? scale * i : scale * (i + 0.5) - 0.5;
    if (src < 0) src = 0;
    const i0 = Math.floor(src);
    const i1 = i0 < n - 1 ? i0 + 1 : i0;
    const l1 = src - i0;
    w[i * n + i0]! += 1 - l1;
    w[i * n + i1]! += l1;
  }
  return tensor(w, { shape: [m, n] });
}

/**
 * Resize the spatial dims of x [N, C, L] ('nearest', 'linear') or [N, C, H, W] ('nearest',
 * 'bilinear'), as torch.nn.functional.interpolate. Runs as one small matmul per axis, so the
 * gradient is exact.
 */
export function interpolate(x: Tensor, options: InterpolateOptions): Tensor {
  const mode = options.mode ?? 'nearest';
  const spatial = x.rank - 2;
  if (spatial !== 1 && spatial !== 2)
    throw new RangeError(`interpolate: input must be [N, C, L] or [N, C, H, W], got ${fmtShape(x.shape)}`);
  if ((mode === 'linear' && spatial !== 1) || (mode === 'bilinear' && spatial !== 2))
    throw new RangeError(
      `interpolate: mode '${mode}' needs a ${mode === 'linear' ? 3 : 4}-D input, got ${fmtShape(x.shape)}`,
    );
  if (options.alignCorners !== undefined && mode === 'nearest')
    throw new RangeError('interpolate: alignCorners only applies to linear and bilinear modes');
  const per = <T>(v: T | readonly T[] | undefined): (T | undefined)[] =>
    Array.from({ length: spatial }, (_, i) =>
      Array.isArray(v) ? (v as readonly T[])[i] : (v as T | undefined),
    );
  if ((options.size === undefined) === (options.scaleFactor === undefined))
    throw new RangeError('interpolate: give exactly one of size and scaleFactor');
  const sizes = per(options.size);
  const factors = per(options.scaleFactor);
  const axisMode = mode === 'nearest' ? 'nearest' : 'linear';
  let y = x.cast('float32');
  for (let d = 0; d < spatial; d++) {
    const axis = 2 + d;
    const n = x.shape[axis]!;
    const f = factors[d];
    const m = sizes[d] ?? Math.floor(n * f!);
    positiveInt('interpolate', m, 'output size');
    const mat = resampleMatrix(
      n,
      m,
      axisMode,
      options.alignCorners ?? false,
      options.size === undefined ? f : undefined,
    );
    // Contract the axis: move it last, multiply by matᵀ, move it back.
    y = axis === x.rank - 1 ? y.matmul(mat, { transposeB: true }) : mat.matmul(y);
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
