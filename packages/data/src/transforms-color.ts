import { type Seed, type Tensor, tensor } from '@myelin/core';
import { resolveGenerator } from './random.js';
import type { Transform } from './transforms.js';
import { type HostImage, hostImage, imageTensor } from './transforms-geometry.js';

/**
 * Colour transforms on float images with values in [0, 1], computed on the host as torchvision
 * 0.14's functional versions on tensors (`adjust_brightness`, `adjust_contrast`,
 * `adjust_saturation`, `adjust_hue`, `ColorJitter`), AlexNet's PCA lighting noise, and min–max
 * scaling fitted on data (scikit-learn's `MinMaxScaler`). Images are `[C, H, W]` or `[N, C, H, W]`.
 */

/** ITU-R 601-2 luma weights, as torchvision's `rgb_to_grayscale`. */
const LUMA = [0.2989, 0.587, 0.114] as const;

type ColorOp = 'brightness' | 'contrast' | 'saturation' | 'hue';

function checkFactor(op: string, f: number): void {
  if (!(Number.isFinite(f) && f >= 0))
    throw new RangeError(`${op}: factor must be a finite number ≥ 0, got ${f}`);
}

function checkChannels(op: string, c: number, allowGray: boolean): void {
  if (c !== 3 && !(allowGray && c === 1)) {
    throw new RangeError(`${op}: expected ${allowGray ? '1 or 3 channels' : '3 (RGB) channels'}, got ${c}`);
  }
}

const clamp01 = (v: number) => Math.min(Math.max(v, 0), 1);

/** Apply one colour adjustment in place to sample `s` of `img` (its values in `d`). */
function adjustSample(op: ColorOp, img: HostImage, d: Float32Array, s: number, f: number): void {
  const { c, h, w } = img;
  const plane = h * w;
  const base = s * c * plane;
  const gray = (k: number) =>
    c === 1
      ? d[base + k]!
      : LUMA[0] * d[base + k]! + LUMA[1] * d[base + plane + k]! + LUMA[2] * d[base + 2 * plane + k]!;
  if (op === 'brightness') {
    for (let k = 0; k < c * plane; k++) d[base + k] = clamp01(f * d[base + k]!);
  } else if (op === 'contrast') {
    // Blend with the mean grey level of the whole image.
    let mean = 0;
    for (let k = 0; k < plane; k++) mean += gray(k);
    mean /= plane;
    for (let k = 0; k < c * plane; k++) d[base + k] = clamp01(f * d[base + k]! + (1 - f) * mean);
  } else if (op === 'saturation') {
    if (c === 1) return;
    for (let k = 0; k < plane; k++) {
      const g = gray(k);
      for (let ch = 0; ch < 3; ch++) {
        const i = base + ch * plane + k;
        d[i] = clamp01(f * d[i]! + (1 - f) * g);
      }
    }
  } else {
    if (c === 1) return;
    for (let k = 0; k < plane; k++) {
      const i = base + k;
      const [r, g, b] = [d[i]!, d[i + plane]!, d[i + 2 * plane]!];
      const [hh, ss, vv] = rgbToHsv(r, g, b);
      const [r2, g2, b2] = hsvToRgb((((hh + f) % 1) + 1) % 1, ss, vv);
      d[i] = r2;
      d[i + plane] = g2;
      d[i + 2 * plane] = b2;
    }
  }
}

/** torchvision's `_rgb2hsv` (hue in [0, 1)). */
function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const maxc = Math.max(r, g, b);
  const minc = Math.min(r, g, b);
  const eq = maxc === minc;
  const cr = maxc - minc;
  const s = cr / (eq ? 1 : maxc);
  const div = eq ? 1 : cr;
  const rc = (maxc - r) / div;
  const gc = (maxc - g) / div;
  const bc = (maxc - b) / div;
  let h: number;
  if (maxc === r) h = bc - gc;
  else if (maxc === g) h = 2 + rc - bc;
  else h = 4 + gc - rc;
  return [(h / 6 + 1) % 1, s, maxc];
}

/** torchvision's `_hsv2rgb`. */
function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const i6 = Math.floor(h * 6);
  const f = h * 6 - i6;
  const p = clamp01(v * (1 - s));
  const q = clamp01(v * (1 - s * f));
  const t = clamp01(v * (1 - s * (1 - f)));
  switch (((i6 % 6) + 6) % 6) {
    case 0:
      return [v, t, p];
    case 1:
      return [q, v, p];
    case 2:
      return [p, v, t];
    case 3:
      return [p, q, v];
    case 4:
      return [t, p, v];
    default:
      return [v, p, q];
  }
}

function adjust(op: ColorOp, name: string, x: Tensor, factor: number): Tensor {
  if (op === 'hue') {
    if (!(factor >= -0.5 && factor <= 0.5))
      throw new RangeError(`${name}: hue factor must be in [-0.5, 0.5], got ${factor}`);
  } else {
    checkFactor(name, factor);
  }
  const img = hostImage(name, x);
  checkChannels(name, img.c, true);
  const d = img.data.slice();
  for (let s = 0; s < img.n; s++) adjustSample(op, img, d, s, factor);
  return imageTensor(d, img, img.h, img.w);
}

/** `clamp(f·x, 0, 1)`: 0 gives black, 1 the original, as `F.adjust_brightness`. */
export function adjustBrightness(x: Tensor, factor: number): Tensor {
  return adjust('brightness', 'adjustBrightness', x, factor);
}

/** Blend with the image's mean grey level: `clamp(f·x + (1 − f)·mean, 0, 1)`, as `F.adjust_contrast`. */
export function adjustContrast(x: Tensor, factor: number): Tensor {
  return adjust('contrast', 'adjustContrast', x, factor);
}

/** Blend each pixel with its grey level: 0 gives greyscale, 1 the original, as `F.adjust_saturation` (1-channel input is returned as is). */
export function adjustSaturation(x: Tensor, factor: number): Tensor {
  return adjust('saturation', 'adjustSaturation', x, factor);
}

/** Rotate the hue by `factor` turns (in [−0.5, 0.5]) in HSV space, as `F.adjust_hue` (1-channel input is returned as is). */
export function adjustHue(x: Tensor, factor: number): Tensor {
  return adjust('hue', 'adjustHue', x, factor);
}

export interface ColorJitterOptions {
  /** `b` draws the factor from [max(0, 1 − b), 1 + b], or give `[min, max]`. */
  brightness?: number | readonly [number, number];
  contrast?: number | readonly [number, number];
  saturation?: number | readonly [number, number];
  /** `h` draws the hue shift from [−h, h] (h ≤ 0.5), or give `[min, max]` inside [−0.5, 0.5]. */
  hue?: number | readonly [number, number];
  seed?: Seed;
}

function jitterRange(
  name: string,
  v: number | readonly [number, number] | undefined,
  hue: boolean,
): [number, number] | null {
  if (v === undefined) return null;
  let r: [number, number];
  if (typeof v === 'number') {
    if (!(Number.isFinite(v) && v >= 0))
      throw new RangeError(`colorJitter: ${name} must be a number ≥ 0, got ${v}`);
    r = hue ? [-v, v] : [Math.max(0, 1 - v), 1 + v];
  } else {
    r = [v[0], v[1]];
  }
  const [lo, hi] = hue ? [-0.5, 0.5] : [0, Infinity];
  if (!(r[0] <= r[1] && r[0] >= lo && r[1] <= hi)) {
    throw new RangeError(
      `colorJitter: ${name} range must be [min, max] inside [${lo}, ${hi}], got [${r.join(', ')}]`,
    );
  }
  return r;
}

/**
 * `torchvision.transforms.ColorJitter`: per image, the four adjustments in a fresh random order,
 * each with a factor drawn uniformly from its range (omitted ones are skipped).
 */
export function colorJitter(options: ColorJitterOptions): Transform {
  const ranges: [ColorOp, [number, number] | null][] = [
    ['brightness', jitterRange('brightness', options.brightness, false)],
    ['contrast', jitterRange('contrast', options.contrast, false)],
    ['saturation', jitterRange('saturation', options.saturation, false)],
    ['hue', jitterRange('hue', options.hue, true)],
  ];
  const g = resolveGenerator(options.seed);
  return (x) => {
    const img = hostImage('colorJitter', x);
    checkChannels('colorJitter', img.c, true);
    const d = img.data.slice();
    for (let s = 0; s < img.n; s++) {
      const order = g.permutation(4);
      const u = g.uniform(4);
      for (let k = 0; k < 4; k++) {
        const [op, r] = ranges[order[k]!]!;
        if (r !== null) adjustSample(op, img, d, s, r[0] + (r[1] - r[0]) * u[k]!);
      }
    }
    return imageTensor(d, img, img.h, img.w);
  };
}

/**
 * ImageNet RGB eigenvalues and eigenvectors (columns) of the pixel covariance, as used for AlexNet's
 * lighting noise in fb.resnet.torch (`datasets/imagenet.lua`) and its PyTorch ports.
 */
export const IMAGENET_PCA = {
  eigval: [0.2175, 0.0188, 0.0045] as const,
  eigvec: [
    [-0.5675, 0.7192, 0.4009],
    [-0.5808, -0.0045, -0.814],
    [-0.5836, -0.6948, 0.4203],
  ] as const,
};

export interface LightingBasis {
  /** Eigenvalues λ of the 3×3 RGB covariance. */
  eigval: readonly number[];
  /** Eigenvectors as columns: `eigvec[channel][k]`. */
  eigvec: readonly (readonly number[])[];
}

function checkBasis(op: string, b: LightingBasis): void {
  const ok =
    b.eigval.length === 3 &&
    b.eigval.every(Number.isFinite) &&
    b.eigvec.length === 3 &&
    b.eigvec.every((row) => row.length === 3 && row.every(Number.isFinite));
  if (!ok) throw new RangeError(`${op}: expected 3 finite eigenvalues and a 3×3 eigenvector matrix`);
}

/** Add `eigvec · (alpha ⊙ eigval)` to the RGB channels of sample `s`. */
function lightSample(
  img: HostImage,
  d: Float32Array,
  s: number,
  alpha: ArrayLike<number>,
  b: LightingBasis,
): void {
  const plane = img.h * img.w;
  for (let ch = 0; ch < 3; ch++) {
    let shift = 0;
    for (let k = 0; k < 3; k++) shift += b.eigvec[ch]![k]! * alpha[k]! * b.eigval[k]!;
    const base = (s * 3 + ch) * plane;
    for (let k = 0; k < plane; k++) d[base + k] = d[base + k]! + shift;
  }
}

/**
 * AlexNet's PCA colour augmentation with fixed coefficients (Krizhevsky et al. 2012, §4.1): every
 * pixel gets `Σₖ αₖ λₖ pₖ` added, with `pₖ` the eigenvectors and `λₖ` the eigenvalues of the RGB
 * covariance. No clamping, as the original.
 */
export function adjustLighting(
  x: Tensor,
  alpha: readonly number[],
  basis: LightingBasis = IMAGENET_PCA,
): Tensor {
  checkBasis('adjustLighting', basis);
  if (alpha.length !== 3 || !alpha.every(Number.isFinite)) {
    throw new RangeError(`adjustLighting: alpha must be 3 finite numbers, got [${alpha.join(', ')}]`);
  }
  const img = hostImage('adjustLighting', x);
  checkChannels('adjustLighting', img.c, false);
  const d = img.data.slice();
  for (let s = 0; s < img.n; s++) lightSample(img, d, s, alpha, basis);
  return imageTensor(d, img, img.h, img.w);
}

/** {@link adjustLighting} with α ~ N(0, std²) drawn afresh per image (AlexNet: std = 0.1). */
export function pcaLighting(options: { std?: number; basis?: LightingBasis; seed?: Seed } = {}): Transform {
  const std = options.std ?? 0.1;
  if (!(Number.isFinite(std) && std >= 0))
    throw new RangeError(`pcaLighting: std must be a finite number ≥ 0, got ${std}`);
  const basis = options.basis ?? IMAGENET_PCA;
  checkBasis('pcaLighting', basis);
  const g = resolveGenerator(options.seed);
  return (x) => {
    const img = hostImage('pcaLighting', x);
    checkChannels('pcaLighting', img.c, false);
    const d = img.data.slice();
    const alpha = std === 0 ? new Float32Array(3 * img.n) : g.normal(3 * img.n, 0, std);
    for (let s = 0; s < img.n; s++) lightSample(img, d, s, alpha.subarray(3 * s, 3 * s + 3), basis);
    return imageTensor(d, img, img.h, img.w);
  };
}

/** A fitted min–max scaler: per-feature minimum and maximum and the transform that maps them to `range`. */
export interface MinMaxScaler {
  min: Float64Array;
  max: Float64Array;
  range: readonly [number, number];
  /** Scale `[M, ...featureShape]` feature-wise; values outside the fitted range land outside `range`. */
  transform: Transform;
}

/**
 * Fit min–max scaling on `data` `[N, ...featureShape]` (one min and max per feature over the N
 * samples), as scikit-learn's `MinMaxScaler(feature_range)`: `x' = a + (x − min)·(b − a)/(max − min)`,
 * and a constant feature (max = min) maps to `a + x − min` (its scale is taken as 1, as scikit-learn).
 */
export function fitMinMax(data: Tensor, options: { range?: readonly [number, number] } = {}): MinMaxScaler {
  const [a, b] = options.range ?? [0, 1];
  if (!(Number.isFinite(a) && Number.isFinite(b) && a < b)) {
    throw new RangeError(`fitMinMax: range must be [min, max] with min < max, got [${a}, ${b}]`);
  }
  if (data.rank < 1 || data.shape[0] === 0) {
    throw new RangeError(
      `fitMinMax: expected data [N, ...features] with N ≥ 1, got [${data.shape.join(', ')}]`,
    );
  }
  const n = data.shape[0]!;
  const featShape = data.shape.slice(1);
  const f = data.size / n;
  const v = data.dataSync() as ArrayLike<number>;
  const min = new Float64Array(f).fill(Infinity);
  const max = new Float64Array(f).fill(-Infinity);
  for (let s = 0; s < n; s++) {
    for (let k = 0; k < f; k++) {
      const x = Number(v[s * f + k]);
      if (x < min[k]!) min[k] = x;
      if (x > max[k]!) max[k] = x;
    }
  }
  const scale = Float64Array.from(min, (lo, k) => (max[k]! > lo ? (b - a) / (max[k]! - lo) : 1));
  const transform: Transform = (x) => {
    const same = x.rank === featShape.length + 1 && featShape.every((d, i) => x.shape[i + 1] === d);
    if (!same) {
      throw new RangeError(
        `fitMinMax.transform: expected [M, ${featShape.join(', ')}] (the fitted features), got [${x.shape.join(', ')}]`,
      );
    }
    const xv = x.dataSync() as ArrayLike<number>;
    const out = new Float32Array(x.size);
    for (let i = 0; i < x.size; i++) {
      const k = i % f;
      out[i] = a + (Number(xv[i]) - min[k]!) * scale[k]!;
    }
    return tensor(out, { shape: [...x.shape] });
  };
  return { min, max, range: [a, b], transform };
}
