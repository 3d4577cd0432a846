import { Generator, memory, type Tensor, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  adjustBrightness,
  adjustHue,
  adjustLighting,
  affine,
  centerCrop,
  colorJitter,
  compose,
  fitMinMax,
  IMAGENET_PCA,
  pcaLighting,
  randomAffineFull,
  randomVerticalFlip,
  resize,
  verticalFlip,
} from '../src/index.js';

/** `n` copies of one random RGB image, [n, c, h, w], values in [0, 1). */
function copies(n: number, c: number, h: number, w: number, seed = 1): Tensor {
  const one = new Generator(seed).uniform(c * h * w);
  const v = new Float32Array(n * one.length);
  for (let s = 0; s < n; s++) v.set(one, s * one.length);
  return tensor(v, { shape: [n, c, h, w] });
}

/** Sample s of a batch as an array. */
function sample(t: Tensor, s: number): Float32Array {
  const per = t.size / t.shape[0]!;
  return (t.dataSync() as Float32Array).slice(s * per, (s + 1) * per);
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6) =>
  a.length === b.length && Array.from(a).every((v, i) => Math.abs(v - b[i]!) <= tol);

/** Within 4.5 binomial standard deviations of n·p. */
function expectBinomial(count: number, n: number, p: number): void {
  expect(Math.abs(count - n * p)).toBeLessThan(4.5 * Math.sqrt(n * p * (1 - p)));
}

describe('randomAffineFull', () => {
  it('with every range collapsed to a point it is affine() with those parameters, on every image', () => {
    const x = copies(3, 2, 6, 5);
    const y = randomAffineFull({
      degrees: [25, 25],
      scale: [1.2, 1.2],
      shear: [10, 10, -5, -5],
      interpolation: 'bilinear',
      seed: 3,
    })(x);
    const want = affine(x, { angle: 25, scale: 1.2, shear: [10, -5], interpolation: 'bilinear' });
    expect(same(y.dataSync(), want.dataSync(), 1e-6)).toBe(true);
  });
  it('draws angles uniformly in [−d, d]: a 90° range turns about half the images one way', () => {
    // A single bright pixel right of centre moves up (negative angle) or down (positive angle).
    const v = new Float32Array(9 * 9);
    v[4 * 9 + 8] = 1;
    const n = 400;
    const x = tensor(
      Float32Array.from({ length: n * 81 }, (_, i) => v[i % 81]!),
      { shape: [n, 1, 9, 9] },
    );
    const y = randomAffineFull({ degrees: 45, interpolation: 'nearest', seed: 5 })(x);
    let up = 0;
    for (let s = 0; s < n; s++) {
      const img = sample(y, s);
      const k = img.indexOf(1);
      if (k >= 0 && Math.floor(k / 9) < 4) up++;
    }
    expectBinomial(up, n, 0.5);
  });
  it('shifts by whole pixels within translate·size, both directions, repeatably from the seed', () => {
    const x = copies(200, 1, 8, 8);
    const t = randomAffineFull({ degrees: 0, translate: [0.25, 0.25], seed: 9 });
    const y = t(x);
    const again = randomAffineFull({ degrees: 0, translate: [0.25, 0.25], seed: 9 })(x);
    expect(same(y.dataSync(), again.dataSync(), 0)).toBe(true);
    const shifts = new Set<string>();
    for (let s = 0; s < 200; s++) {
      const img = sample(y, s);
      let found = '';
      for (let dy = -2; dy <= 2 && !found; dy++) {
        for (let dx = -2; dx <= 2 && !found; dx++) {
          const want = affine(tensor(sample(x, s), { shape: [1, 8, 8] }), { angle: 0, translate: [dx, dy] });
          if (same(img, want.dataSync(), 0)) found = `${dx},${dy}`;
        }
      }
      expect(found).not.toBe('');
      shifts.add(found);
    }
    expect(shifts.size).toBeGreaterThan(15); // of the 25 possible
  });
  it('rejects bad ranges naming the option', () => {
    expect(() => randomAffineFull({ degrees: -1 })).toThrow(
      /randomAffineFull: degrees as one number must be ≥ 0, got -1/,
    );
    expect(() => randomAffineFull({ degrees: 0, scale: [2, 1] })).toThrow(
      /randomAffineFull: scale must be \[min, max\]/,
    );
    expect(() => randomAffineFull({ degrees: 0, translate: [2, 0] })).toThrow(
      /translate fractions must be in \[0, 1\], got \[2, 0\]/,
    );
  });
});

describe('randomVerticalFlip', () => {
  it('p = 0 is the identity, p = 1 is verticalFlip, p = 0.5 flips about half', () => {
    const x = copies(300, 1, 4, 3);
    expect(same(randomVerticalFlip({ p: 0, seed: 1 })(x).dataSync(), x.dataSync(), 0)).toBe(true);
    expect(same(randomVerticalFlip({ p: 1, seed: 1 })(x).dataSync(), verticalFlip(x).dataSync(), 0)).toBe(
      true,
    );
    const y = randomVerticalFlip({ seed: 2 })(x);
    const flipped = sample(verticalFlip(x), 0);
    let count = 0;
    for (let s = 0; s < 300; s++) if (same(sample(y, s), flipped, 0)) count++;
    expectBinomial(count, 300, 0.5);
    expect(() => randomVerticalFlip({ p: 2 })).toThrow(/randomVerticalFlip: p must be in \[0, 1\], got 2/);
  });
});

describe('resize and centerCrop edges', () => {
  it('batch of one, 1×1 images, upsampling a single pixel', () => {
    const one = tensor([[[0.25]]]);
    expect(Array.from(resize([3, 2])(one).dataSync())).toEqual([0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
    expect(resize(1)(copies(1, 3, 4, 6)).shape).toEqual([1, 3, 1, 1]);
    expect(centerCrop(1)(one).shape).toEqual([1, 1, 1]);
    // A crop larger than the image pads with zeros around it.
    expect(Array.from(centerCrop([3, 3])(one).dataSync())).toEqual([0, 0, 0, 0, 0.25, 0, 0, 0, 0]);
  });
});

describe('colorJitter', () => {
  const x = copies(200, 3, 4, 4, 7);
  it('with one fixed factor it is that adjustment; zero strength is the identity', () => {
    expect(
      same(
        colorJitter({ brightness: [0.5, 0.5], seed: 0 })(x).dataSync(),
        adjustBrightness(x, 0.5).dataSync(),
      ),
    ).toBe(true);
    expect(
      same(colorJitter({ hue: [0.2, 0.2], seed: 0 })(x).dataSync(), adjustHue(x, 0.2).dataSync(), 1e-6),
    ).toBe(true);
    expect(
      same(
        colorJitter({ brightness: 0, contrast: 0, saturation: 0, hue: 0, seed: 0 })(x).dataSync(),
        x.dataSync(),
      ),
    ).toBe(true);
  });
  it('applies the adjustments in a random order per image (about half contrast-last)', () => {
    // brightness ×2 then contrast 0 gives the flat mean grey g; contrast first gives clamp(2g).
    const y = colorJitter({ brightness: [2, 2], contrast: [0, 0], seed: 11 })(x);
    const first = sample(y, 0);
    let contrastLast = 0;
    for (let s = 0; s < 200; s++) {
      const img = sample(y, s);
      expect(img.every((v) => Math.abs(v - img[0]!) < 1e-6)).toBe(true); // flat either way
      const bright = adjustBrightness(tensor(sample(x, s), { shape: [3, 4, 4] }), 2).dataSync();
      let g = 0;
      for (let k = 0; k < 16; k++)
        g += 0.2989 * bright[k]! + 0.587 * bright[16 + k]! + 0.114 * bright[32 + k]!;
      if (Math.abs(img[0]! - g / 16) < 1e-5) contrastLast++;
    }
    expect(first.length).toBe(48);
    expectBinomial(contrastLast, 200, 0.5);
  });
  it('rejects bad ranges', () => {
    expect(() => colorJitter({ hue: 0.6 })).toThrow(
      /colorJitter: hue range must be \[min, max\] inside \[-0.5, 0.5\], got \[-0.6, 0.6\]/,
    );
    expect(() => colorJitter({ brightness: -1 })).toThrow(
      /colorJitter: brightness must be a number ≥ 0, got -1/,
    );
  });
});

describe('PCA lighting (AlexNet)', () => {
  it('adds Σₖ αₖ λₖ pₖ to every pixel (closed form on a fixed basis)', () => {
    const x = copies(1, 3, 2, 2);
    const basis = {
      eigval: [1, 2, 3],
      eigvec: [
        [1, 0, 0],
        [0, 0, 1],
        [0, 1, 0],
      ],
    };
    const y = adjustLighting(x, [0.1, -0.2, 0.3], basis);
    const shift = [0.1, 0.9, -0.4]; // channel 1 takes eigenvector 3 (α₃λ₃ = 0.9), channel 2 eigenvector 2 (−0.4)
    const xv = x.dataSync();
    const yv = y.dataSync();
    for (let i = 0; i < 12; i++) expect(yv[i]!).toBeCloseTo(xv[i]! + shift[Math.floor(i / 4)]!, 6);
    // ImageNet basis, α = (1, 0, 0): the first eigenvector times 0.2175.
    const z = adjustLighting(tensor(new Float32Array(3), { shape: [3, 1, 1] }), [1, 0, 0]);
    expect(Array.from(z.dataSync()).map((v) => +v.toFixed(6))).toEqual([-0.123431, -0.126324, -0.126933]);
    expect(IMAGENET_PCA.eigval[0]).toBe(0.2175);
  });
  it('draws α ~ N(0, std²) per image: shifts are flat per image with std·λₖ spread', () => {
    const n = 2000;
    const basis = {
      eigval: [1, 2, 3],
      eigvec: [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
    };
    const y = pcaLighting({ std: 0.1, basis, seed: 4 })(
      tensor(new Float32Array(n * 3 * 2 * 2), { shape: [n, 3, 2, 2] }),
    );
    const v = y.dataSync();
    for (let ch = 0; ch < 3; ch++) {
      let sum = 0;
      let sq = 0;
      for (let s = 0; s < n; s++) {
        const base = (s * 3 + ch) * 4;
        expect(v[base + 3]).toBe(v[base]); // one shift per image and channel
        sum += v[base]!;
        sq += v[base]! * v[base]!;
      }
      const sd = 0.1 * basis.eigval[ch]!;
      expect(Math.abs(sum / n)).toBeLessThan((4.5 * sd) / Math.sqrt(n));
      expect(Math.sqrt(sq / n) / sd).toBeGreaterThan(0.92);
      expect(Math.sqrt(sq / n) / sd).toBeLessThan(1.08);
    }
    expect(() => pcaLighting({ std: -1 })).toThrow(/pcaLighting: std must be a finite number ≥ 0, got -1/);
    expect(() => adjustLighting(copies(1, 1, 2, 2), [0, 0, 0])).toThrow(
      /adjustLighting: expected 3 \(RGB\) channels, got 1/,
    );
  });
});

describe('fitMinMax', () => {
  it('maps each feature’s fitted [min, max] onto the range; a constant feature keeps scale 1 (scikit-learn)', () => {
    const s = fitMinMax(
      tensor([
        [1, 5],
        [3, 5],
        [2, 5],
      ]),
      { range: [-1, 1] },
    );
    expect(
      Array.from(
        s
          .transform(
            tensor([
              [1, 5],
              [3, 5],
              [2, 5],
              [4, 7],
            ]),
          )
          .dataSync(),
      ),
    ).toEqual([-1, -1, 1, -1, 0, -1, 2, 1]);
    const one = fitMinMax(tensor([[[2, 4]]]));
    expect(Array.from(one.transform(tensor([[[2, 4]]])).dataSync())).toEqual([0, 0]);
    expect(() => s.transform(tensor([[1, 2, 3]]))).toThrow(
      /fitMinMax.transform: expected \[M, 2\].*got \[1, 3\]/,
    );
    expect(() => fitMinMax(tensor([[1]]), { range: [1, 0] })).toThrow(
      /fitMinMax: range must be \[min, max\] with min < max, got \[1, 0\]/,
    );
  });
});

it('transforms leave memory() flat across repeated batches', () => {
  const x = copies(4, 3, 6, 6);
  const pipeline = compose(
    randomAffineFull({
      degrees: 10,
      translate: [0.1, 0.1],
      scale: [0.9, 1.1],
      interpolation: 'bilinear',
      seed: 0,
    }),
    randomVerticalFlip({ seed: 1 }),
    colorJitter({ brightness: 0.2, contrast: 0.2, saturation: 0.2, hue: 0.1, seed: 2 }),
    pcaLighting({ seed: 3 }),
    resize(4),
    centerCrop(3),
  );
  pipeline(x).dispose();
  const before = memory().tensors;
  for (let i = 0; i < 5; i++) pipeline(x).dispose();
  expect(memory().tensors).toBe(before);
});
