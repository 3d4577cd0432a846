/**
 * Spatial transformer sampling, as torch.nn.functional.affine_grid and grid_sample (PyTorch 1.13;
 * Jaderberg et al. 2015, "Spatial Transformer Networks"). Both are compositions of core ops
 * (matmul, floor, gather, where), so every backend runs them and the gradient reaches the input,
 * the grid and the affine parameters.
 */
import { fmtShape, type Tensor, tensor, where } from '@myelin/core';

export type GridSampleMode = 'bilinear' | 'nearest' | 'bicubic';
export type GridSamplePadding = 'zeros' | 'border' | 'reflection';

export interface GridSampleOptions {
  /** 'bilinear' (trilinear on 5-D input), 'nearest' (ties to even) or 'bicubic' (4-D only); default 'bilinear'. */
  mode?: GridSampleMode;
  /** Value of samples outside the input: 0, the nearest edge pixel, or the input mirrored; default 'zeros'. */
  paddingMode?: GridSamplePadding;
  /** −1 and 1 are the centres of the corner pixels (true) or their outer edges (false, the default). */
  alignCorners?: boolean;
}

/** The normalised coordinates [−1, 1] of `n` pixels along one axis (torch's linspace_from_neg_one). */
function baseCoords(n: number, alignCorners: boolean): number[] {
  if (n <= 1) return [0];
  return Array.from({ length: n }, (_, i) => {
    const v = -1 + (2 * i) / (n - 1);
    return alignCorners ? v : (v * (n - 1)) / n;
  });
}

/**
 * The sampling grid of a batch of affine maps (torch.nn.functional.affine_grid): theta [N, 2, 3]
 * with size [N, C, H, W] gives [N, H, W, 2] holding (x, y); theta [N, 3, 4] with size
 * [N, C, D, H, W] gives [N, D, H, W, 3] holding (x, y, z). Each output pixel's normalised
 * coordinates (x, y[, z], 1) are multiplied by thetaᵀ.
 */
export function affineGrid(
  theta: Tensor,
  size: readonly number[],
  options: { alignCorners?: boolean } = {},
): Tensor {
  const alignCorners = options.alignCorners ?? false;
  const spatial = size.length - 2;
  if (spatial !== 2 && spatial !== 3)
    throw new RangeError(`affineGrid: size must be [N, C, H, W] or [N, C, D, H, W], got ${fmtShape(size)}`);
  for (const d of size)
    if (!Number.isInteger(d) || d < 1)
      throw new RangeError(`affineGrid: size must hold positive integers, got ${fmtShape(size)}`);
  const want = [size[0]!, spatial, spatial + 1];
  if (theta.rank !== 3 || theta.shape.some((d, i) => d !== want[i]))
    throw new RangeError(
      `affineGrid: theta for size ${fmtShape(size)} must be ${fmtShape(want)}, got ${fmtShape(theta.shape)}`,
    );
  const dims = size.slice(2); // [H, W] or [D, H, W]
  const axes = dims.map((n) => baseCoords(n, alignCorners));
  const count = dims.reduce((a, b) => a * b, 1);
  const base = new Float32Array(count * (spatial + 1));
  // Row-major over the output pixels; columns x (last axis), y, z, then the constant 1.
  for (let p = 0; p < count; p++) {
    let rest = p;
    for (let d = spatial - 1; d >= 0; d--) {
      const i = rest % dims[d]!;
      rest = (rest - i) / dims[d]!;
      base[p * (spatial + 1) + (spatial - 1 - d)] = axes[d]![i]!;
    }
    base[p * (spatial + 1) + spatial] = 1;
  }
  const grid = tensor(base, { shape: [count, spatial + 1] }).matmul(theta, { transposeB: true });
  return grid.reshape([size[0]!, ...dims, spatial]);
}

/** Map a pixel coordinate into [0, size−1] for 'border' and 'reflection' padding (torch's compute_coordinates). */
function padCoordinate(c: Tensor, size: number, padding: GridSamplePadding, alignCorners: boolean): Tensor {
  if (padding === 'zeros') return c;
  if (padding === 'reflection') {
    // Mirror about the edges (pixel centres with alignCorners, pixel borders without), then clip.
    const [lo2, hi2] = alignCorners ? [0, 2 * (size - 1)] : [-1, 2 * size - 1];
    if (lo2 === hi2) return c.mul(0);
    const min = lo2 / 2;
    const span = (hi2 - lo2) / 2;
    const a = c.sub(min).abs();
    const extra = a.mod(span);
    const even = a.div(span).floor().mod(2).equal(0);
    c = where(even, extra.add(min), extra.neg().add(span + min));
  }
  // PyTorch counts the borders as outside for the gradient (clip_coordinates_set_grad): a clipped
  // coordinate, or one exactly on the border, passes none back.
  const inside = c.greater(0).logicalAnd(c.less(size - 1));
  return where(inside, c, c.detach().clip(0, size - 1));
}

interface Tap {
  /** Integer-valued float coordinate of the tap. */
  at: Tensor;
  /** Its weight, or null for 1. */
  w: Tensor | null;
}

const A = -0.75;
/** Keys's cubic kernel (A = −0.75) on |x| ≤ 1 and 1 < |x| < 2, as tensors. */
const cubic1 = (x: Tensor) =>
  x
    .mul(A + 2)
    .sub(A + 3)
    .mul(x)
    .mul(x)
    .add(1);
const cubic2 = (x: Tensor) =>
  x
    .mul(A)
    .sub(5 * A)
    .mul(x)
    .add(8 * A)
    .mul(x)
    .sub(4 * A);

/**
 * Sample `input` [N, C, H, W] at `grid` [N, Ho, Wo, 2] (or [N, C, D, H, W] at [N, Do, Ho, Wo, 3])
 * of normalised (x, y[, z]) coordinates in [−1, 1], as torch.nn.functional.grid_sample
 * (PyTorch 1.13): output [N, C, Ho, Wo] (or [N, C, Do, Ho, Wo]). Every sample is a weighted sum
 * of gathered input pixels (2^d corners for bilinear, one for nearest, 4×4 for bicubic), so the
 * gradient reaches both `input` and `grid` (nearest gives the grid none, as PyTorch).
 *
 * ```ts
 * const grid = affineGrid(theta, [n, c, 28, 28]);   // a spatial transformer
 * const warped = gridSample(images, grid, { paddingMode: 'border' });
 * ```
 */
export function gridSample(input: Tensor, grid: Tensor, options: GridSampleOptions = {}): Tensor {
  const mode = options.mode ?? 'bilinear';
  const padding = options.paddingMode ?? 'zeros';
  const alignCorners = options.alignCorners ?? false;
  if (mode !== 'bilinear' && mode !== 'nearest' && mode !== 'bicubic')
    throw new RangeError(`gridSample: mode must be 'bilinear', 'nearest' or 'bicubic', got '${mode}'`);
  if (padding !== 'zeros' && padding !== 'border' && padding !== 'reflection')
    throw new RangeError(
      `gridSample: paddingMode must be 'zeros', 'border' or 'reflection', got '${padding}'`,
    );
  const spatial = input.rank - 2;
  if (spatial !== 2 && spatial !== 3)
    throw new RangeError(
      `gridSample: input must be [N, C, H, W] or [N, C, D, H, W], got ${fmtShape(input.shape)}`,
    );
  if (mode === 'bicubic' && spatial !== 2)
    throw new RangeError(`gridSample: mode 'bicubic' needs a 4-D input, got ${fmtShape(input.shape)}`);
  if (grid.rank !== input.rank || grid.shape[0] !== input.shape[0] || grid.shape[grid.rank - 1] !== spatial)
    throw new RangeError(
      `gridSample: grid for input ${fmtShape(input.shape)} must be [${input.shape[0]}, ${spatial === 2 ? 'Ho, Wo' : 'Do, Ho, Wo'}, ${spatial}], got ${fmtShape(grid.shape)}`,
    );
  const [n, c] = input.shape as [number, number];
  const sizes = input.shape.slice(2); // [H, W] or [D, H, W]
  const outDims = grid.shape.slice(1, -1);
  const count = outDims.reduce((a, b) => a * b, 1);
  const flatGrid = grid.cast('float32').reshape([n, count, spatial]);
  const strides = sizes.map((_, d) => sizes.slice(d + 1).reduce((a, b) => a * b, 1));

  // The taps of each spatial dim d (grid component spatial−1−d: x is the last axis).
  const taps: Tap[][] = sizes.map((size, d) => {
    const g = flatGrid.slice(null, null, spatial - 1 - d); // [N, L]
    // Unnormalise: [−1, 1] to pixel centres (alignCorners) or pixel edges.
    const raw = alignCorners ? g.add(1).mul((size - 1) / 2) : g.add(1).mul(size).sub(1).div(2);
    if (mode === 'bicubic') {
      const f = raw.floor();
      const t = raw.sub(f);
      const w = [cubic2(t.add(1)), cubic1(t), cubic1(t.neg().add(1)), cubic2(t.neg().add(2))];
      return w.map((wk, k) => ({ at: padCoordinate(f.add(k - 1), size, padding, alignCorners), w: wk }));
    }
    const p = padCoordinate(raw, size, padding, alignCorners);
    if (mode === 'nearest') return [{ at: p.round(), w: null }];
    const f = p.floor();
    const t = p.sub(f);
    return [
      { at: f, w: t.neg().add(1) },
      { at: f.add(1), w: t },
    ];
  });

  const src = input.cast('float32').reshape([n, c, sizes.reduce((a, b) => a * b, 1)]);
  let out: Tensor | null = null;
  // Every combination of one tap per dim: gather that pixel, weight it, zero it outside.
  const combos = taps.reduce<Tap[][]>((acc, ts) => acc.flatMap((pre) => ts.map((t) => [...pre, t])), [[]]);
  for (const combo of combos) {
    let index: Tensor | null = null;
    let inside: Tensor | null = null;
    let weight: Tensor | null = null;
    combo.forEach((tap, d) => {
      const size = sizes[d]!;
      const ok = tap.at.greaterEqual(0).logicalAnd(tap.at.lessEqual(size - 1));
      inside = inside ? (inside as Tensor).logicalAnd(ok) : ok;
      const term = tap.at.clip(0, size - 1).mul(strides[d]!);
      index = index ? (index as Tensor).add(term) : term;
      if (tap.w) weight = weight ? (weight as Tensor).mul(tap.w) : tap.w;
    });
    const mask = (inside as unknown as Tensor).cast('float32');
    const w = (weight ? (weight as Tensor).mul(mask) : mask).reshape([n, 1, count]);
    const idx = (index as unknown as Tensor).cast('int32').reshape([n, 1, count]).broadcastTo([n, c, count]);
    const term = src.gather(2, idx).mul(w);
    out = out ? out.add(term) : term;
  }
  return (out as unknown as Tensor).reshape([n, c, ...outDims]);
}
