import {
  concat,
  oneHot as coreOneHot,
  type DType,
  type Seed,
  scope,
  type Tensor,
  take,
  tensor,
  zeros,
} from '@myelin/core';
import { resolveGenerator } from './random.js';

/**
 * Transforms: functions from a tensor to a new tensor, for `dataset.map` or for a batch from a
 * `DataLoader`. Image transforms take one image `[C, H, W]` or a batch `[N, C, H, W]` (NCHW, as
 * PyTorch); random ones draw a fresh choice per image from their own seeded generator, so a run
 * repeats from the seed. They never dispose their input and free their temporaries.
 *
 * The spatial ones (crop, flip, shift) are one integer gather: the source pixel of every output
 * pixel is computed on the host and read with core's `take`, with a zero for pixels from outside
 * the image — the same on every backend.
 */
export type Transform = (x: Tensor) => Tensor;

interface ImageDims {
  n: number;
  c: number;
  h: number;
  w: number;
  batched: boolean;
}

function imageDims(op: string, x: Tensor): ImageDims {
  if (x.rank === 3) return { n: 1, c: x.shape[0]!, h: x.shape[1]!, w: x.shape[2]!, batched: false };
  if (x.rank === 4) return { n: x.shape[0]!, c: x.shape[1]!, h: x.shape[2]!, w: x.shape[3]!, batched: true };
  throw new RangeError(
    `${op}: expected an image [C, H, W] or a batch [N, C, H, W], got [${x.shape.join(', ')}]`,
  );
}

/**
 * Output pixel (i, j) of sample s reads input pixel (i + oy[s], j' ) where j' = j + ox[s], mirrored
 * (w − 1 − j') when flip[s]; outside the input it is 0.
 */
function remap(
  x: Tensor,
  d: ImageDims,
  outH: number,
  outW: number,
  oy: Int32Array,
  ox: Int32Array,
  flip: Uint8Array | null,
): Tensor {
  const { n, c, h, w } = d;
  const zero = n * c * h * w; // index of the 0 appended after the flattened input
  const idx = new Int32Array(n * c * outH * outW);
  let k = 0;
  for (let s = 0; s < n; s++) {
    const dy = oy[s]!;
    const dx = ox[s]!;
    const mirror = flip !== null && flip[s] === 1;
    for (let ch = 0; ch < c; ch++) {
      const base = (s * c + ch) * h * w;
      for (let i = 0; i < outH; i++) {
        const sy = i + dy;
        const rowIn = sy >= 0 && sy < h;
        for (let j = 0; j < outW; j++) {
          const jj = j + dx;
          const sx = mirror ? w - 1 - jj : jj;
          idx[k++] = rowIn && sx >= 0 && sx < w ? base + sy * w + sx : zero;
        }
      }
    }
  }
  const shape = d.batched ? [n, c, outH, outW] : [c, outH, outW];
  return scope(() => {
    const flat = concat([x.reshape([-1]), zeros([1], { dtype: x.dtype })]);
    return take(flat, tensor(idx, { shape, dtype: 'int32' }));
  });
}

function perChannel(op: string, name: string, v: number | readonly number[]): readonly number[] {
  const arr = typeof v === 'number' ? [v] : v;
  if (arr.length === 0 || !arr.every(Number.isFinite)) {
    throw new RangeError(
      `${op}: ${name} must be a finite number or a non-empty list of them, got [${arr.join(', ')}]`,
    );
  }
  return arr;
}

/**
 * `(x − mean[c]) / std[c]` per channel (a number applies to all channels), as
 * `torchvision.transforms.Normalize`. Integer input is cast to float32 first.
 *
 * @example
 * const mnistNorm = normalize(0.1307, 0.3081);   // MNIST's mean and std
 * const rgbNorm = normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
 */
export function normalize(mean: number | readonly number[], std: number | readonly number[]): Transform {
  const m = perChannel('normalize', 'mean', mean);
  const s = perChannel('normalize', 'std', std);
  if (!s.every((v) => v > 0)) throw new RangeError(`normalize: std must be positive, got [${s.join(', ')}]`);
  const scalar = m.length === 1 && s.length === 1;
  return (x) => {
    if (scalar) {
      return scope(() => (x.dtype === 'float32' ? x : x.cast('float32')).sub(m[0]!).div(s[0]!));
    }
    const { c } = imageDims('normalize', x);
    for (const [name, v] of [
      ['mean', m],
      ['std', s],
    ] as const) {
      if (v.length !== 1 && v.length !== c) {
        throw new RangeError(`normalize: ${name} has ${v.length} values but the input has ${c} channels`);
      }
    }
    const column = (v: readonly number[]) =>
      tensor(
        Float32Array.from({ length: c }, (_, i) => v[v.length === 1 ? 0 : i]!),
        { shape: [c, 1, 1] },
      );
    return scope(() => (x.dtype === 'float32' ? x : x.cast('float32')).sub(column(m)).div(column(s)));
  };
}

/**
 * Class indices (an int32 tensor of any shape, or a number) to one-hot vectors `[..., numClasses]`,
 * float32 by default (targets for losses that take probabilities). Core's `oneHot(indices, n)` is
 * the int32 op underneath.
 */
export function oneHot(
  numClasses: number,
  options: { dtype?: DType } = {},
): (labels: Tensor | number) => Tensor {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  }
  const dtype = options.dtype ?? 'float32';
  return (labels) =>
    scope(() => {
      const idx =
        typeof labels === 'number' ? tensor(new Int32Array([labels]), { shape: [], dtype: 'int32' }) : labels;
      const h = coreOneHot(idx, numClasses);
      return dtype === 'int32' ? h : h.cast(dtype);
    });
}

/**
 * Cast to float32 and multiply by `scale`: `toFloat(1 / 255)` turns bytes into [0, 1].
 */
export function toFloat(scale = 1): Transform {
  if (!Number.isFinite(scale)) throw new RangeError(`toFloat: scale must be finite, got ${scale}`);
  return (x) =>
    scope(() => {
      const f = x.dtype === 'float32' ? x.reshape(x.shape) : x.cast('float32');
      return scale === 1 ? f : f.mul(scale);
    });
}

/** Apply transforms left to right. */
export function compose(...fns: Transform[]): Transform {
  return (x) =>
    scope(() => {
      let y = x;
      for (const f of fns) y = f(y);
      return y === x ? x.reshape(x.shape) : y;
    });
}

function checkSize(op: string, size: number | readonly [number, number]): [number, number] {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new RangeError(`${op}: size must be a positive integer or [height, width], got ${String(size)}`);
  }
  return [h, w];
}

export interface RandomCropOptions {
  /** Zero padding added on every side before cropping (default 0), as torchvision's `padding`. */
  padding?: number;
  seed?: Seed;
}

/**
 * A random `size` window of each image after zero-padding it by `padding` on every side, as
 * `torchvision.transforms.RandomCrop(size, padding)`: `randomCrop(28, { padding: 2 })` shifts
 * MNIST digits by up to 2 pixels.
 */
export function randomCrop(
  size: number | readonly [number, number],
  options: RandomCropOptions = {},
): Transform {
  const [ch, cw] = checkSize('randomCrop', size);
  const pad = options.padding ?? 0;
  if (!Number.isInteger(pad) || pad < 0) {
    throw new RangeError(`randomCrop: padding must be a non-negative integer, got ${pad}`);
  }
  const g = resolveGenerator(options.seed);
  return (x) => {
    const d = imageDims('randomCrop', x);
    const ph = d.h + 2 * pad;
    const pw = d.w + 2 * pad;
    if (ch > ph || cw > pw) {
      throw new RangeError(`randomCrop: crop ${ch}×${cw} is larger than the padded image ${ph}×${pw}`);
    }
    const oy = g.randint(0, ph - ch + 1, d.n);
    const ox = g.randint(0, pw - cw + 1, d.n);
    for (let s = 0; s < d.n; s++) {
      oy[s] = oy[s]! - pad;
      ox[s] = ox[s]! - pad;
    }
    return remap(x, d, ch, cw, oy, ox, null);
  };
}

/** Mirror each image left–right with probability `p` (default 0.5), as torchvision's `RandomHorizontalFlip`. */
export function randomHorizontalFlip(options: { p?: number; seed?: Seed } = {}): Transform {
  const p = options.p ?? 0.5;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`randomHorizontalFlip: p must be in [0, 1], got ${p}`);
  const g = resolveGenerator(options.seed);
  return (x) => {
    const d = imageDims('randomHorizontalFlip', x);
    const flip = g.bernoulli(p, d.n);
    const none = new Int32Array(d.n);
    return remap(x, d, d.h, d.w, none, none, flip);
  };
}

export interface RandomAffineOptions {
  /**
   * Largest shift as fractions `[tx, ty]` of the width and height: each image moves by an integer
   * `dx = round(u·tx·W)`, `dy = round(v·ty·H)` pixels with u, v uniform on [−1, 1), as the
   * translation of `torchvision.transforms.RandomAffine(degrees=0, translate=(tx, ty))`.
   */
  translate: readonly [number, number];
  seed?: Seed;
}

/** Shift each image by a small random whole number of pixels; uncovered pixels are 0. */
export function randomAffine(options: RandomAffineOptions): Transform {
  const [tx, ty] = options.translate;
  if (!(tx >= 0 && tx <= 1 && ty >= 0 && ty <= 1)) {
    throw new RangeError(`randomAffine: translate fractions must be in [0, 1], got [${tx}, ${ty}]`);
  }
  const g = resolveGenerator(options.seed);
  return (x) => {
    const d = imageDims('randomAffine', x);
    const u = g.uniform(2 * d.n);
    const oy = new Int32Array(d.n);
    const ox = new Int32Array(d.n);
    for (let s = 0; s < d.n; s++) {
      // Content moves by (+dx, +dy): output (i, j) reads input (i − dy, j − dx).
      ox[s] = -Math.round((2 * u[2 * s]! - 1) * tx * d.w);
      oy[s] = -Math.round((2 * u[2 * s + 1]! - 1) * ty * d.h);
    }
    return remap(x, d, d.h, d.w, oy, ox, null);
  };
}
