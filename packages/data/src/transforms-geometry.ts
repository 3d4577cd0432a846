import { type Seed, type Tensor, tensor } from '@myelin/core';
import { resolveGenerator } from './random.js';
import type { Transform } from './transforms.js';

/**
 * Geometric image transforms computed on the host, as torchvision 0.14's functional versions on
 * float tensors: `affine` (rotation, translation, scale, shear, with the inverse map and
 * `grid_sample(align_corners=False)` of `F.affine`), `resize` (`F.resize`, antialias off),
 * `centerCrop`, vertical flip. Images are `[C, H, W]` or batches `[N, C, H, W]`; the result is a
 * new float32 tensor (integer input is read as its values) and the input is never disposed.
 */

/** How a pixel between grid points is read: the nearest one (ties to even, as `grid_sample`) or bilinear. */
export type Interpolation = 'nearest' | 'bilinear';

/** An image's dimensions and its values on the host. */
export interface HostImage {
  n: number;
  c: number;
  h: number;
  w: number;
  batched: boolean;
  data: Float32Array;
}

/** Read an image or a batch of images into host memory, or throw naming `op` and the shape. */
export function hostImage(op: string, x: Tensor): HostImage {
  if (x.rank !== 3 && x.rank !== 4) {
    throw new RangeError(
      `${op}: expected an image [C, H, W] or a batch [N, C, H, W], got [${x.shape.join(', ')}]`,
    );
  }
  const batched = x.rank === 4;
  const [n, c, h, w] = batched ? x.shape : [1, ...x.shape];
  const raw = x.dataSync();
  const data = raw instanceof Float32Array ? raw : Float32Array.from(raw as ArrayLike<number>, Number);
  return { n: n!, c: c!, h: h!, w: w!, batched, data };
}

/** A float32 tensor of `n` images `[c, h, w]`, batched or not like the input. */
export function imageTensor(data: Float32Array, like: HostImage, h: number, w: number, c = like.c): Tensor {
  return tensor(data, { shape: like.batched ? [like.n, c, h, w] : [c, h, w] });
}

/** Round half to even, as C's `nearbyint` in `grid_sample`'s nearest mode and Python's `round`. */
function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function checkFinite(op: string, name: string, v: number): void {
  if (!Number.isFinite(v)) throw new RangeError(`${op}: ${name} must be a finite number, got ${v}`);
}

export interface AffineParams {
  /** Clockwise rotation in degrees (torchvision's sign: positive turns the content clockwise on screen). */
  angle: number;
  /** Shift `[dx, dy]` in pixels after rotation and scale (default [0, 0]). */
  translate?: readonly [number, number];
  /** Scale factor > 0 (default 1). */
  scale?: number;
  /** Shear angles in degrees: one number is the x shear, `[sx, sy]` both (default 0). */
  shear?: number | readonly [number, number];
  /** Default `'nearest'`, as `F.affine`. */
  interpolation?: Interpolation;
  /**
   * Value of pixels mapped from outside the image. Omitted: zero padding (torchvision's
   * `fill=None`). Given: torchvision's mask blend; bilinear output is `v·m + (1 − m)·fill`, with v
   * the zero-padded sample and m the resampled in-bounds mask (so edge pixels are blended twice,
   * exactly as torchvision 0.14).
   */
  fill?: number;
}

/**
 * The inverse affine map, output → input, about the image centre: torchvision's
 * `_get_inverse_affine_matrix` (rotation·shear·scale, then translation) with centre (0, 0),
 * because `F.affine` measures coordinates from the image centre.
 */
function inverseMatrix(
  angle: number,
  tx: number,
  ty: number,
  scale: number,
  shx: number,
  shy: number,
): number[] {
  const rot = (angle * Math.PI) / 180;
  const sx = (shx * Math.PI) / 180;
  const sy = (shy * Math.PI) / 180;
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d / scale, -b / scale, 0, -c / scale, a / scale, 0];
  m[2] = m[0]! * -tx + m[1]! * -ty;
  m[5] = m[3]! * -tx + m[4]! * -ty;
  return m;
}

interface AffineResolved {
  m: number[];
  nearest: boolean;
  /** null: plain zero padding. */
  fill: number | null;
}

function resolveAffine(op: string, p: AffineParams): AffineResolved {
  const [tx, ty] = p.translate ?? [0, 0];
  const scale = p.scale ?? 1;
  const [shx, shy] = typeof p.shear === 'number' ? [p.shear, 0] : (p.shear ?? [0, 0]);
  const fill = p.fill ?? null;
  for (const [name, v] of [
    ['angle', p.angle],
    ['translate[0]', tx],
    ['translate[1]', ty],
    ['shear[0]', shx],
    ['shear[1]', shy],
    ['fill', fill ?? 0],
  ] as const) {
    checkFinite(op, name, v);
  }
  if (!(scale > 0 && Number.isFinite(scale)))
    throw new RangeError(`${op}: scale must be a positive number, got ${scale}`);
  const interp = p.interpolation ?? 'nearest';
  if (interp !== 'nearest' && interp !== 'bilinear') {
    throw new RangeError(`${op}: interpolation must be 'nearest' or 'bilinear', got '${String(interp)}'`);
  }
  return { m: inverseMatrix(p.angle, tx, ty, scale, shx, shy), nearest: interp === 'nearest', fill };
}

/** Resample sample `s` of `img` through the inverse map into `out` (same size), as `grid_sample` + torchvision's fill mask. */
function warp(img: HostImage, s: number, a: AffineResolved, out: Float32Array): void {
  const { c, h, w, data } = img;
  const [m0, m1, m2, m3, m4, m5] = a.m as [number, number, number, number, number, number];
  const plane = h * w;
  for (let i = 0; i < h; i++) {
    // Pixel centres measured from the image centre (torchvision's `_gen_affine_grid`).
    const y = i - h / 2 + 0.5;
    for (let j = 0; j < w; j++) {
      const x = j - w / 2 + 0.5;
      // Input coordinates in pixels (align_corners=False unnormalisation).
      const ix = m0 * x + m1 * y + m2 + (w - 1) / 2;
      const iy = m3 * x + m4 * y + m5 + (h - 1) / 2;
      const o = s * c * plane + i * w + j;
      if (a.nearest) {
        const xn = roundEven(ix);
        const yn = roundEven(iy);
        const inside = xn >= 0 && xn < w && yn >= 0 && yn < h;
        for (let ch = 0; ch < c; ch++) {
          out[o + ch * plane] = inside ? data[(s * c + ch) * plane + yn * w + xn]! : (a.fill ?? 0);
        }
        continue;
      }
      const x0 = Math.floor(ix);
      const y0 = Math.floor(iy);
      const fx = ix - x0;
      const fy = iy - y0;
      // Corner weights, zeroed for corners outside the image (grid_sample's zero padding).
      const inX0 = x0 >= 0 && x0 < w;
      const inX1 = x0 + 1 >= 0 && x0 + 1 < w;
      const inY0 = y0 >= 0 && y0 < h;
      const inY1 = y0 + 1 >= 0 && y0 + 1 < h;
      const w00 = inY0 && inX0 ? (1 - fx) * (1 - fy) : 0;
      const w01 = inY0 && inX1 ? fx * (1 - fy) : 0;
      const w10 = inY1 && inX0 ? (1 - fx) * fy : 0;
      const w11 = inY1 && inX1 ? fx * fy : 0;
      const mask = w00 + w01 + w10 + w11;
      const r0 = y0 * w + x0;
      const r1 = r0 + w;
      for (let ch = 0; ch < c; ch++) {
        const base = (s * c + ch) * plane;
        let v = 0;
        if (w00 !== 0) v += w00 * data[base + r0]!;
        if (w01 !== 0) v += w01 * data[base + r0 + 1]!;
        if (w10 !== 0) v += w10 * data[base + r1]!;
        if (w11 !== 0) v += w11 * data[base + r1 + 1]!;
        // torchvision blends the zero-padded sample with the fill by the resampled in-bounds mask.
        out[o + ch * plane] = a.fill === null ? v : v * mask + (1 - mask) * a.fill;
      }
    }
  }
}

/**
 * Rotate, translate, scale and shear every image about its centre with fixed parameters, as
 * `torchvision.transforms.functional.affine` on a tensor (same inverse map, interpolation and fill).
 *
 * @example
 * const turned = affine(img, { angle: 30, scale: 1.1, interpolation: 'bilinear' });
 */
export function affine(x: Tensor, params: AffineParams): Tensor {
  const a = resolveAffine('affine', params);
  const img = hostImage('affine', x);
  const out = new Float32Array(img.data.length);
  for (let s = 0; s < img.n; s++) warp(img, s, a, out);
  return imageTensor(out, img, img.h, img.w);
}

function range(
  op: string,
  name: string,
  v: number | readonly number[],
  symmetric: boolean,
  min = -Infinity,
): [number, number] {
  const r: readonly number[] = typeof v === 'number' ? (symmetric ? [-v, v] : [v, v]) : v;
  if (typeof v === 'number' && symmetric && v < 0) {
    throw new RangeError(`${op}: ${name} as one number must be ≥ 0, got ${v}`);
  }
  if (r.length !== 2 || !r.every(Number.isFinite) || r[0]! > r[1]! || r[0]! < min) {
    throw new RangeError(
      `${op}: ${name} must be [min, max] with min ≤ max${min > -Infinity ? ` and min ≥ ${min}` : ''}, got [${r.join(', ')}]`,
    );
  }
  return [r[0]!, r[1]!];
}

export interface RandomAffineFullOptions {
  /** Rotation range in degrees: `d` means [−d, d]. */
  degrees: number | readonly [number, number];
  /** Largest shift as fractions `[tx, ty]` of width and height; the shift is `round(U(−tx·W, tx·W))` pixels. */
  translate?: readonly [number, number];
  /** Scale drawn uniformly from `[min, max]` (default none: 1). */
  scale?: readonly [number, number];
  /** Shear in degrees: `s` → x shear in [−s, s]; `[a, b]` → x in [a, b]; `[a, b, c, d]` → x in [a, b], y in [c, d]. */
  shear?: number | readonly [number, number] | readonly [number, number, number, number];
  interpolation?: Interpolation;
  fill?: number;
  seed?: Seed;
}

/**
 * `torchvision.transforms.RandomAffine`: a fresh rotation, shift, scale and shear for every image
 * (drawn as `RandomAffine.get_params`), applied with {@link affine}. Extends `randomAffine`
 * (integer shifts only) with rotation, scale and shear.
 */
export function randomAffineFull(options: RandomAffineFullOptions): Transform {
  const op = 'randomAffineFull';
  const deg = range(op, 'degrees', options.degrees, true);
  const [ftx, fty] = options.translate ?? [0, 0];
  if (!(ftx >= 0 && ftx <= 1 && fty >= 0 && fty <= 1)) {
    throw new RangeError(`${op}: translate fractions must be in [0, 1], got [${ftx}, ${fty}]`);
  }
  const sc = options.scale === undefined ? null : range(op, 'scale', options.scale, false, Number.MIN_VALUE);
  let shx: [number, number] = [0, 0];
  let shy: [number, number] = [0, 0];
  const sh = options.shear;
  if (typeof sh === 'number') shx = range(op, 'shear', sh, true);
  else if (sh !== undefined && sh.length === 2) shx = range(op, 'shear', sh, false);
  else if (sh !== undefined && sh.length === 4) {
    shx = range(op, 'shear x', [sh[0], sh[1]], false);
    shy = range(op, 'shear y', [sh[2], sh[3]], false);
  } else if (sh !== undefined) {
    throw new RangeError(
      `${op}: shear must be a number or 2 or 4 numbers, got [${(sh as readonly number[]).join(', ')}]`,
    );
  }
  const g = resolveGenerator(options.seed);
  const lerp = (r: [number, number], u: number) => r[0] + (r[1] - r[0]) * u;
  return (x) => {
    const img = hostImage(op, x);
    const u = g.uniform(6 * img.n);
    const out = new Float32Array(img.data.length);
    for (let s = 0; s < img.n; s++) {
      const maxDx = ftx * img.w;
      const maxDy = fty * img.h;
      const a = resolveAffine(op, {
        angle: lerp(deg, u[6 * s]!),
        translate: [Math.round((2 * u[6 * s + 1]! - 1) * maxDx), Math.round((2 * u[6 * s + 2]! - 1) * maxDy)],
        scale: sc === null ? 1 : lerp(sc, u[6 * s + 3]!),
        shear: [lerp(shx, u[6 * s + 4]!), lerp(shy, u[6 * s + 5]!)],
        interpolation: options.interpolation ?? 'nearest',
        ...(options.fill === undefined ? {} : { fill: options.fill }),
      });
      warp(img, s, a, out);
    }
    return imageTensor(out, img, img.h, img.w);
  };
}

/** Mirror every image top–bottom, as `F.vflip`. */
export function verticalFlip(x: Tensor): Tensor {
  return flipRows(hostImage('verticalFlip', x), null);
}

function flipRows(img: HostImage, which: Uint8Array | null): Tensor {
  const { n, c, h, w, data } = img;
  const out = new Float32Array(data.length);
  for (let s = 0; s < n; s++) {
    const flip = which === null || which[s] === 1;
    for (let ch = 0; ch < c; ch++) {
      const base = (s * c + ch) * h * w;
      for (let i = 0; i < h; i++) {
        const src = base + (flip ? h - 1 - i : i) * w;
        out.set(data.subarray(src, src + w), base + i * w);
      }
    }
  }
  return imageTensor(out, img, h, w);
}

/** Mirror each image top–bottom with probability `p` (default 0.5), as `RandomVerticalFlip`. */
export function randomVerticalFlip(options: { p?: number; seed?: Seed } = {}): Transform {
  const p = options.p ?? 0.5;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`randomVerticalFlip: p must be in [0, 1], got ${p}`);
  const g = resolveGenerator(options.seed);
  return (x) => {
    const img = hostImage('randomVerticalFlip', x);
    return flipRows(img, g.bernoulli(p, img.n));
  };
}

function checkSize(op: string, size: number | readonly [number, number]): void {
  const parts = typeof size === 'number' ? [size] : size;
  if (parts.length < 1 || parts.length > 2 || !parts.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new RangeError(
      `${op}: size must be a positive integer or [height, width], got ${JSON.stringify(size)}`,
    );
  }
}

/** torchvision's output size: `[h, w]` as given, or one number for the shorter edge keeping the aspect ratio. */
function resizedSize(size: number | readonly [number, number], h: number, w: number): [number, number] {
  if (typeof size !== 'number') return [size[0], size[1]];
  if (w <= h) return [Math.trunc((size * h) / w), size];
  return [size, Math.trunc((size * w) / h)];
}

/** Source index and weight pairs along one axis for `F.interpolate(align_corners=False)`. */
function axisTaps(
  inSize: number,
  outSize: number,
  nearest: boolean,
): { i0: Int32Array; i1: Int32Array; l1: Float32Array } {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const l1 = new Float32Array(outSize);
  // PyTorch computes the scale and source positions in float32.
  const scale = Math.fround(inSize / outSize);
  for (let d = 0; d < outSize; d++) {
    if (nearest) {
      // PyTorch's legacy 'nearest': floor(dst · scale), with exact identity and ×2 cases.
      let s: number;
      if (outSize === inSize) s = d;
      else if (outSize === 2 * inSize) s = d >> 1;
      else s = Math.min(Math.floor(Math.fround(d * scale)), inSize - 1);
      i0[d] = s;
      i1[d] = s;
      continue;
    }
    const src = Math.max(Math.fround(scale * (d + 0.5) - 0.5), 0);
    const lo = Math.floor(src);
    i0[d] = lo;
    i1[d] = lo < inSize - 1 ? lo + 1 : lo;
    l1[d] = src - lo;
  }
  return { i0, i1, l1 };
}

/**
 * Resize every image to `size` (`[h, w]`, or one number for the shorter edge as torchvision),
 * with bilinear (default) or nearest sampling, as `F.resize(..., antialias=False)` on tensors:
 * `F.interpolate(align_corners=False)`.
 */
export function resize(
  size: number | readonly [number, number],
  options: { interpolation?: Interpolation } = {},
): Transform {
  checkSize('resize', size);
  const interp = options.interpolation ?? 'bilinear';
  if (interp !== 'nearest' && interp !== 'bilinear') {
    throw new RangeError(`resize: interpolation must be 'nearest' or 'bilinear', got '${String(interp)}'`);
  }
  return (x) => {
    const img = hostImage('resize', x);
    const { n, c, h, w, data } = img;
    const [oh, ow] = resizedSize(size, h, w);
    const ty = axisTaps(h, oh, interp === 'nearest');
    const tx = axisTaps(w, ow, interp === 'nearest');
    const out = new Float32Array(n * c * oh * ow);
    for (let p = 0; p < n * c; p++) {
      const base = p * h * w;
      for (let i = 0; i < oh; i++) {
        const r0 = base + ty.i0[i]! * w;
        const r1 = base + ty.i1[i]! * w;
        const b = ty.l1[i]!;
        for (let j = 0; j < ow; j++) {
          const a = tx.l1[j]!;
          const c0 = tx.i0[j]!;
          const c1 = tx.i1[j]!;
          out[(p * oh + i) * ow + j] =
            (1 - b) * ((1 - a) * data[r0 + c0]! + a * data[r0 + c1]!) +
            b * ((1 - a) * data[r1 + c0]! + a * data[r1 + c1]!);
        }
      }
    }
    return imageTensor(out, img, oh, ow);
  };
}

/**
 * The central `size` window of every image (`[h, w]` or one number for a square), as
 * `F.center_crop`: offset `round((H − h) / 2)` (half to even, as Python), zero-padded first when
 * the window is larger than the image.
 */
export function centerCrop(size: number | readonly [number, number]): Transform {
  checkSize('centerCrop', size);
  const [ch, cw] = typeof size === 'number' ? [size, size] : [size[0], size[1]];
  return (x) => {
    const img = hostImage('centerCrop', x);
    const { n, c, h, w, data } = img;
    const offset = (inSize: number, crop: number) => {
      const before = crop > inSize ? Math.floor((crop - inSize) / 2) : 0;
      const after = crop > inSize ? Math.floor((crop - inSize + 1) / 2) : 0;
      return roundEven((inSize + before + after - crop) / 2) - before; // Python's round: half to even
    };
    const top = offset(h, ch);
    const left = offset(w, cw);
    const out = new Float32Array(n * c * ch * cw);
    for (let p = 0; p < n * c; p++) {
      for (let i = 0; i < ch; i++) {
        const y = i + top;
        if (y < 0 || y >= h) continue;
        for (let j = 0; j < cw; j++) {
          const xx = j + left;
          if (xx >= 0 && xx < w) out[(p * ch + i) * cw + j] = data[(p * h + y) * w + xx]!;
        }
      }
    }
    return imageTensor(out, img, ch, cw);
  };
}
