import { Generator, memory, type Tensor, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  type DisplacementField,
  displace,
  elasticDistortion,
  elasticField,
  randomCrop,
  randomHorizontalFlip,
} from '../src/index.js';

const values = (t: Tensor) => Array.from(t.dataSync());
const field = (
  h: number,
  w: number,
  fx: (i: number, j: number) => number,
  fy: (i: number, j: number) => number,
) => {
  const dx = new Float32Array(h * w);
  const dy = new Float32Array(h * w);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      dx[i * w + j] = fx(i, j);
      dy[i * w + j] = fy(i, j);
    }
  }
  return { dx, dy };
};
/** Values 1 … n·c·h·w, all distinct and nonzero, so each output pixel says where it came from. */
const ramp = (shape: number[]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(
    Float32Array.from({ length: n }, (_, i) => i + 1),
    { shape },
  );
};

describe('displace: bilinear resampling at (i + dy, j + dx)', () => {
  it('a zero field is the identity, for [C, H, W] and [N, C, H, W]', () => {
    for (const shape of [
      [3, 5, 7],
      [2, 3, 4, 6],
    ]) {
      const x = ramp(shape);
      const [h, w] = shape.slice(-2) as [number, number];
      const y = displace(
        x,
        field(
          h,
          w,
          () => 0,
          () => 0,
        ),
      );
      expect(y.shape).toEqual(shape);
      expect(values(y)).toEqual(values(x));
      x.dispose();
      y.dispose();
    }
  });

  it('dx = 1 everywhere shifts the content one pixel left; dy = −1 one pixel down; the edge fills with 0 or the border', () => {
    const x = ramp([1, 3, 4]); // rows [1 2 3 4] [5 6 7 8] [9 10 11 12]
    const left = displace(
      x,
      field(
        3,
        4,
        () => 1,
        () => 0,
      ),
    );
    expect(values(left)).toEqual([2, 3, 4, 0, 6, 7, 8, 0, 10, 11, 12, 0]);
    const leftB = displace(
      x,
      field(
        3,
        4,
        () => 1,
        () => 0,
      ),
      { border: 'border' },
    );
    expect(values(leftB)).toEqual([2, 3, 4, 4, 6, 7, 8, 8, 10, 11, 12, 12]);
    const down = displace(
      x,
      field(
        3,
        4,
        () => 0,
        () => -1,
      ),
    );
    expect(values(down)).toEqual([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    for (const t of [x, left, leftB, down]) t.dispose();
  });

  it('generated whole-pixel fields move each pixel exactly (or read 0 from outside)', () => {
    const g = new Generator(3);
    const [c, h, w] = [2, 6, 7];
    const x = ramp([c, h, w]);
    const xs = values(x);
    for (let trial = 0; trial < 10; trial++) {
      const ox = g.randint(-3, 4, h * w);
      const oy = g.randint(-3, 4, h * w);
      const y = values(displace(x, { dx: Float32Array.from(ox), dy: Float32Array.from(oy) }));
      for (let ch = 0; ch < c; ch++) {
        for (let p = 0; p < h * w; p++) {
          const si = Math.floor(p / w) + oy[p]!;
          const sj = (p % w) + ox[p]!;
          const want = si >= 0 && si < h && sj >= 0 && sj < w ? xs[ch * h * w + si * w + sj] : 0;
          expect(y[ch * h * w + p]).toBe(want);
        }
      }
    }
    x.dispose();
  });

  it('dx = ½ averages horizontal neighbours', () => {
    const x = tensor([[[0, 2, 6, 8]]]);
    const y = displace(
      x,
      field(
        1,
        4,
        () => 0.5,
        () => 0,
      ),
      { border: 'border' },
    );
    expect(values(y)).toEqual([1, 4, 7, 8]);
    x.dispose();
    y.dispose();
  });

  it('bilinear interpolation is exact on an affine image: out(i, j) = f(i + dy, j + dx) inside (generated fields)', () => {
    const [h, w] = [9, 11];
    const f = (i: number, j: number) => 0.5 + 0.25 * i - 0.125 * j;
    const x = tensor(
      Float32Array.from({ length: h * w }, (_, p) => f(Math.floor(p / w), p % w)),
      { shape: [1, 1, h, w] },
    );
    const u = new Generator(4).uniform(2 * h * w);
    const fld = field(
      h,
      w,
      (i, j) => (u[i * w + j]! - 0.5) * 6,
      (i, j) => (u[h * w + i * w + j]! - 0.5) * 6,
    );
    const y = values(displace(x, fld));
    let inside = 0;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const si = i + fld.dy[i * w + j]!;
        const sj = j + fld.dx[i * w + j]!;
        if (si < 0 || si > h - 1 || sj < 0 || sj > w - 1) continue;
        inside++;
        expect(y[i * w + j]).toBeCloseTo(f(si, sj), 5);
      }
    }
    expect(inside).toBeGreaterThan(30);
    x.dispose();
  });

  it('matches torch.nn.functional.grid_sample(bilinear, align_corners=True), zeros and border padding (PyTorch 1.13)', () => {
    // Generated in PyTorch 1.13 with the same formulas; grid = 2·(j + dx)/(W − 1) − 1 (and rows alike).
    const [N, C, H, W] = [2, 2, 4, 5];
    const x = tensor(
      Float32Array.from({ length: N * C * H * W }, (_, k) => ((k * 37) % 11) / 10),
      { shape: [N, C, H, W] },
    );
    const fields: DisplacementField[] = [0, 1].map((s) =>
      field(
        H,
        W,
        (i, j) => (((i * W + j) * 7) % 13) / 4 - 1.5 + s * 0.3,
        (i, j) => (((i * W + j) * 5) % 11) / 4 - 1.25 - s * 0.2,
      ),
    );
    const torch = {
      zeros: [
        0.0, 0.5, 0.325, 0.225, 1.0, 0.3375, 0.575, 0.325, 0.7, 0.0, 0.4875, 0.7125, 0.4, 0.4125, 0.1125, 0.0,
        0.375, 0.225, 0.43125, 0.35, 0.0, 0.525, 0.41875, 0.45, 0.2, 0.5, 0.66875, 0.35, 0.45, 0.0, 0.7125,
        0.4625, 0.7, 0.225, 0.3375, 0.0, 0.4, 0.025, 0.31875, 0.3625, 0.0, 0.492, 0.75775, 0.077, 0.594,
        0.905, 0.51, 0.4965, 0.426, 0.0, 0.21, 0.51, 0.676, 0.684, 0.3555, 0.0, 0.86, 0.234, 0.6555, 0.224,
        0.0, 0.336, 0.06225, 0.242, 0.63, 0.16, 0.53775, 0.78, 0.66, 0.0, 0.51, 0.81, 0.36, 0.133, 0.26775,
        // biome-ignore lint/suspicious/noApproximativeNumericConstant: a grid_sample output, not log10(e)
        0.003, 0.28, 0.2205, 0.9405, 0.434,
      ],
      border: [
        0.0, 0.5, 0.325, 0.3, 1.0, 0.3375, 0.575, 0.325, 0.7, 0.5, 0.65, 0.7125, 0.4, 0.55, 0.15, 0.5, 0.375,
        0.9, 0.43125, 0.7, 0.3, 0.525, 0.41875, 0.6, 0.2, 0.5, 0.66875, 0.35, 0.45, 0.8, 0.95, 0.4625, 0.7,
        0.3, 0.45, 0.8, 0.4, 0.1, 0.31875, 0.725, 0.6, 0.615, 0.75775, 0.14, 0.594, 0.905, 0.51, 0.4965,
        0.426, 0.0, 0.21, 0.51, 0.676, 0.72, 0.79, 0.0, 0.86, 0.52, 0.69, 0.32, 0.9, 0.42, 0.06225, 0.44,
        0.63, 0.16, 0.53775, 0.78, 0.66, 0.3, 0.51, 0.81, 0.36, 0.14, 0.595, 0.3, 0.28, 0.49, 0.99, 0.62,
      ],
    };
    for (const border of ['zeros', 'border'] as const) {
      const y = displace(x, fields, { border });
      const worst = Math.max(...values(y).map((v, k) => Math.abs(v - torch[border][k]!)));
      expect(worst, border).toBeLessThan(1e-6);
      y.dispose();
    }
    x.dispose();
  });

  it('names what is wrong: rank, field count, field size', () => {
    const x = ramp([2, 1, 3, 3]);
    const ok = field(
      3,
      3,
      () => 0,
      () => 0,
    );
    expect(() => displace(ramp([9]), ok)).toThrow(
      'displace: expected an image [C, H, W] or a batch [N, C, H, W], got [9]',
    );
    expect(() => displace(x, [ok, ok, ok])).toThrow(
      'displace: got 3 displacement fields for 2 images (give 1 or 2)',
    );
    expect(() =>
      displace(
        x,
        field(
          2,
          2,
          () => 0,
          () => 0,
        ),
      ),
    ).toThrow('displace: field 0 has 4 dx and 4 dy values, the images need 3×3 = 9');
    x.dispose();
  });
});

describe('elasticDistortion (Simard et al. 2003)', () => {
  it('α = 0 is the identity for any σ', () => {
    const x = ramp([4, 1, 8, 8]);
    for (const sigma of [0, 1, 4]) {
      const y = elasticDistortion({ alpha: 0, sigma, seed: 1 })(x);
      expect(values(y)).toEqual(values(x));
      y.dispose();
    }
    x.dispose();
  });

  it("a constant image stays constant under 'border' for any field; under 'zeros' away from the edge for small α", () => {
    const x = tensor(new Float32Array(3 * 2 * 12 * 12).fill(0.7), { shape: [3, 2, 12, 12] });
    const strong = values(elasticDistortion({ alpha: 40, sigma: 2, border: 'border', seed: 2 })(x));
    for (const v of strong) expect(v).toBeCloseTo(0.7, 6);
    // With σ = 0, |d| ≤ α = 0.9 < 1: pixels two or more from the edge only read inside pixels.
    const small = values(elasticDistortion({ alpha: 0.9, sigma: 0, seed: 3 })(x));
    for (let k = 0; k < small.length; k++) {
      const i = Math.floor(k / 12) % 12;
      const j = k % 12;
      if (i >= 1 && i <= 10 && j >= 1 && j <= 10) expect(small[k]).toBeCloseTo(0.7, 6);
    }
    x.dispose();
  });

  it('σ = 0: each component is uniform on [−α, α] (mean 0, variance α²/3)', () => {
    const alpha = 2.5;
    const { dx, dy } = elasticField(200, 200, { alpha, sigma: 0, seed: 5 });
    for (const d of [dx, dy]) {
      let mean = 0;
      let sq = 0;
      let max = 0;
      for (const v of d) {
        mean += v;
        sq += v * v;
        max = Math.max(max, Math.abs(v));
      }
      mean /= d.length;
      expect(max).toBeLessThanOrEqual(alpha);
      expect(Math.abs(mean)).toBeLessThan((4 * alpha) / Math.sqrt(3 * d.length)); // 4 standard errors
      expect(sq / d.length).toBeCloseTo((alpha * alpha) / 3, 1);
    }
  });

  it('σ > 0: away from the edges the smoothed field has std α·Σk²/√3 = α / (2σ√(3π)) (closed form)', () => {
    // Uniform noise on [−1, 1] has variance 1/3; a normalised 2-D Gaussian kernel k multiplies it
    // by Σk² = (1/(2σ√π))² (the continuous integral, exact to ~1e-9 for σ ≥ 1).
    for (const sigma of [1.5, 3]) {
      const alpha = 10;
      const [h, w] = [400, 400];
      const { dx } = elasticField(h, w, { alpha, sigma, seed: 7 });
      const r = Math.ceil(4 * sigma);
      let sum = 0;
      let sq = 0;
      let count = 0;
      for (let i = r; i < h - r; i++) {
        for (let j = r; j < w - r; j++) {
          const v = dx[i * w + j]!;
          sum += v;
          sq += v * v;
          count++;
        }
      }
      const std = Math.sqrt(sq / count - (sum / count) ** 2);
      const want = alpha / (2 * sigma * Math.sqrt(3 * Math.PI));
      expect(Math.abs(std / want - 1)).toBeLessThan(0.05);
    }
  });

  it('is seeded: the same seed repeats, images in a batch get different fields, channels share one', () => {
    const one = tensor(
      Float32Array.from({ length: 64 }, (_, p) => (p % 8) / 8 + Math.floor(p / 8) / 16),
      { shape: [1, 8, 8] },
    );
    // Two identical images of two identical channels.
    const x = tensor(
      Float32Array.from({ length: 4 * 64 }, (_, k) => one.dataSync()[k % 64]!),
      { shape: [2, 2, 8, 8] },
    );
    const a = values(elasticDistortion({ alpha: 8, sigma: 2, seed: 9 })(x));
    const b = values(elasticDistortion({ alpha: 8, sigma: 2, seed: 9 })(x));
    expect(a).toEqual(b);
    const part = (s: number, c: number) => a.slice((s * 2 + c) * 64, (s * 2 + c + 1) * 64);
    expect(part(0, 0)).toEqual(part(0, 1));
    expect(part(0, 0)).not.toEqual(part(1, 0));
    expect(part(0, 0)).not.toEqual(Array.from(one.dataSync()));
    const t = elasticDistortion({ alpha: 8, sigma: 2, seed: 9 });
    expect(values(t(one))).not.toEqual(values(t(one))); // a fresh field per call
    one.dispose();
    x.dispose();
  });

  it('rejects bad α and σ, and frees its temporaries', () => {
    expect(() => elasticDistortion({ alpha: -1, sigma: 4 })).toThrow(
      'elasticDistortion: alpha must be a finite number ≥ 0 (pixels), got -1',
    );
    expect(() => elasticDistortion({ alpha: 1, sigma: Number.NaN })).toThrow(
      'sigma must be a finite number ≥ 0',
    );
    const x = ramp([2, 1, 28, 28]);
    const t = elasticDistortion({ alpha: 34, sigma: 4, seed: 0 });
    t(x).dispose();
    const before = memory().tensors;
    const y = t(x);
    expect(memory().tensors).toBe(before + 1);
    y.dispose();
    x.dispose();
  });
});

describe('the CNN zoo’s other augmentations on [C, H, W] and [N, C, H, W]', () => {
  /** The (dy, dx) with out(i, j) = in(i + dy, j + dx), read from a pixel that is always inside; checks every pixel. */
  function offsetOf(out: number[], input: number[], c: number, h: number, w: number): [number, number] {
    const ci = Math.floor(h / 2);
    const cj = Math.floor(w / 2);
    const src = out[ci * w + cj]! - input[0]!; // ramp values: index + first value
    const dy = Math.floor(src / w) - ci;
    const dx = (src % w) - cj;
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < w; j++) {
          const si = i + dy;
          const sj = j + dx;
          const want = si >= 0 && si < h && sj >= 0 && sj < w ? input[ch * h * w + si * w + sj] : 0;
          if (out[ch * h * w + i * w + j] !== want)
            throw new Error(`pixel ${ch},${i},${j} is not a (${dy}, ${dx}) shift`);
        }
      }
    }
    return [dy, dx];
  }

  it('randomCrop(28, { padding: 4 }) as torchvision’s RandomCrop(28, padding=4): a zero-filled shift by −4 … 4 per image', () => {
    const [n, c, h, w] = [64, 1, 28, 28];
    const x = ramp([n, c, h, w]);
    const xs = values(x);
    const y = randomCrop(28, { padding: 4, seed: 0 })(x);
    expect(y.shape).toEqual([n, c, h, w]);
    const ys = values(y);
    const seen = new Set<number>();
    for (let s = 0; s < n; s++) {
      const size = c * h * w;
      const [dy, dx] = offsetOf(
        ys.slice(s * size, (s + 1) * size),
        xs.slice(s * size, (s + 1) * size),
        c,
        h,
        w,
      );
      expect(Math.abs(dy)).toBeLessThanOrEqual(4);
      expect(Math.abs(dx)).toBeLessThanOrEqual(4);
      seen.add(dx);
    }
    expect(Math.min(...seen)).toBe(-4);
    expect(Math.max(...seen)).toBe(4);
    // One RGB image [3, 32, 32] (CIFAR's RandomCrop(32, padding=4)): all channels move together.
    const rgb = ramp([3, 32, 32]);
    const out = randomCrop(32, { padding: 4, seed: 1 })(rgb);
    expect(out.shape).toEqual([3, 32, 32]);
    offsetOf(values(out), values(rgb), 3, 32, 32);
    for (const t of [x, y, rgb, out]) t.dispose();
  });

  it('randomHorizontalFlip mirrors whole images (all channels) or keeps them, per image, for [C, H, W] and [N, C, H, W]', () => {
    const [n, c, h, w] = [32, 3, 4, 5];
    const x = ramp([n, c, h, w]);
    const xs = values(x);
    const ys = values(randomHorizontalFlip({ seed: 2 })(x));
    let flipped = 0;
    for (let s = 0; s < n; s++) {
      const size = c * h * w;
      const src = xs.slice(s * size, (s + 1) * size);
      const out = ys.slice(s * size, (s + 1) * size);
      const mirror = src.map((_, k) => {
        const j = k % w;
        return src[k - j + (w - 1 - j)]!;
      });
      const isFlip = out.every((v, k) => v === mirror[k]);
      expect(isFlip || out.every((v, k) => v === src[k])).toBe(true);
      if (isFlip) flipped++;
    }
    expect(flipped).toBeGreaterThan(5);
    expect(flipped).toBeLessThan(27);
    const one = ramp([c, h, w]);
    const m = values(randomHorizontalFlip({ p: 1 })(one));
    expect(m.slice(0, 5)).toEqual([5, 4, 3, 2, 1]);
    x.dispose();
    one.dispose();
  });
});
