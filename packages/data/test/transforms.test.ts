import { memory, type Tensor, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  compose,
  disposeTensors,
  fromTensors,
  normalize,
  oneHot,
  randomAffine,
  randomCrop,
  randomHorizontalFlip,
  toFloat,
} from '../src/index.js';

/** A batch of `n` copies of a 1-channel h×w image whose pixels are 1, 2, 3, … (0 never occurs). */
function numbered(n: number, h: number, w: number): Tensor {
  const v = new Float32Array(n * h * w);
  for (let s = 0; s < n; s++) for (let k = 0; k < h * w; k++) v[s * h * w + k] = k + 1;
  return tensor(v, { shape: [n, 1, h, w] });
}

/** Reference: the h×w image shifted so output (i, j) = input (i + dy, j + dx), zero outside. */
function shifted(h: number, w: number, dy: number, dx: number, outH = h, outW = w): number[] {
  const out: number[] = [];
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++) {
      const y = i + dy;
      const x = j + dx;
      out.push(y >= 0 && y < h && x >= 0 && x < w ? y * w + x + 1 : 0);
    }
  }
  return out;
}

function samples(t: Tensor): number[][] {
  const per = t.size / t.shape[0]!;
  const d = Array.from(t.dataSync());
  return Array.from({ length: t.shape[0]! }, (_, s) => d.slice(s * per, (s + 1) * per));
}

/** The (dy, dx) in [-r, r]² whose shifted image equals `img`, or null. */
function findShift(
  img: number[],
  h: number,
  w: number,
  r: number,
  outH = h,
  outW = w,
): [number, number] | null {
  for (let dy = -r; dy <= r; dy++) {
    for (let dx = -r; dx <= r; dx++) {
      if (shifted(h, w, dy, dx, outH, outW).every((v, k) => v === img[k])) return [dy, dx];
    }
  }
  return null;
}

describe('normalize', () => {
  it('(x − mean) / std, one value for all channels or one per channel', () => {
    const x = tensor([[[1, 3]]]); // [1, 1, 2]
    const y = normalize(1, 2)(x);
    expect(Array.from(y.dataSync())).toEqual([0, 1]);
    const rgb = tensor([[[1, 2]], [[10, 20]]]); // [2, 1, 2]
    const z = normalize([1, 10], [1, 10])(rgb);
    expect(Array.from(z.dataSync())).toEqual([0, 1, 0, 1]);
    const batch = normalize([1, 10], [1, 10])(rgb.reshape([1, 2, 1, 2]));
    expect(batch.shape).toEqual([1, 2, 1, 2]);
    expect(Array.from(batch.dataSync())).toEqual([0, 1, 0, 1]);
    expect(() => normalize([0, 0, 0], [1, 1, 1])(rgb)).toThrow(/3 values but the input has 2 channels/);
    expect(() => normalize(0, 0)).toThrow(/std must be positive/);
    disposeTensors([x, y, rgb, z, batch]);
  });

  it('casts integer input to float32 (MNIST mean 0.1307, std 0.3081)', () => {
    const x = tensor(new Int32Array([0, 1]), { shape: [1, 1, 2], dtype: 'int32' });
    const y = normalize(0.1307, 0.3081)(x);
    expect(y.dtype).toBe('float32');
    const d = y.dataSync();
    expect(d[0]).toBeCloseTo(-0.1307 / 0.3081, 5);
    expect(d[1]).toBeCloseTo((1 - 0.1307) / 0.3081, 5);
    disposeTensors([x, y]);
  });
});

describe('oneHot and toFloat', () => {
  it('oneHot(3): int32 labels or a number → float32 rows', () => {
    const labels = tensor(new Int32Array([2, 0]), { dtype: 'int32' });
    const h = oneHot(3)(labels);
    expect(h.dtype).toBe('float32');
    expect(h.arraySync()).toEqual([
      [0, 0, 1],
      [1, 0, 0],
    ]);
    const one = oneHot(3, { dtype: 'int32' })(1);
    expect(one.dtype).toBe('int32');
    expect(one.arraySync()).toEqual([0, 1, 0]);
    disposeTensors([labels, h, one]);
  });

  it('toFloat(1/255) maps bytes to [0, 1]; compose chains left to right', () => {
    const b = tensor(new Int32Array([0, 51, 255]), { shape: [1, 1, 3], dtype: 'int32' });
    const f = toFloat(1 / 255)(b);
    expect(f.dtype).toBe('float32');
    expect(Array.from(f.dataSync()).map((v) => Math.round(v * 100) / 100)).toEqual([0, 0.2, 1]);
    const g = compose(toFloat(1 / 255), normalize(0.5, 0.5))(b);
    expect(Array.from(g.dataSync()).map((v) => Math.round(v * 100) / 100)).toEqual([-1, -0.6, 1]);
    disposeTensors([b, f, g]);
  });
});

describe('random image transforms', () => {
  it('randomCrop(4, { padding: 1 }): each image is a shifted copy with zero fill, offsets vary, seeded', () => {
    const x = numbered(32, 4, 4);
    const out = randomCrop(4, { padding: 1, seed: 7 })(x);
    expect(out.shape).toEqual([32, 1, 4, 4]);
    const shifts = samples(out).map((img) => findShift(img, 4, 4, 1));
    expect(shifts.every((s) => s !== null)).toBe(true);
    expect(new Set(shifts.map((s) => s!.join())).size).toBeGreaterThan(3); // 9 possible
    const again = randomCrop(4, { padding: 1, seed: 7 })(x);
    expect(Array.from(again.dataSync())).toEqual(Array.from(out.dataSync()));
    disposeTensors([x, out, again]);
  });

  it('randomCrop(2) without padding: a 2×2 window inside a 4×4 image ([C, H, W] input)', () => {
    const x = numbered(1, 4, 4).reshape([1, 4, 4]);
    const crop = randomCrop(2, { seed: 1 });
    for (let t = 0; t < 5; t++) {
      const out = crop(x);
      expect(out.shape).toEqual([1, 2, 2]);
      const img = Array.from(out.dataSync());
      const tl = img[0]! - 1; // the window's top-left pixel index
      const [i0, j0] = [Math.floor(tl / 4), tl % 4];
      expect(img).toEqual(shifted(4, 4, i0, j0, 2, 2));
      out.dispose();
    }
    expect(() => crop(numbered(1, 1, 1).reshape([1, 1, 1]))).toThrow(
      /crop 2×2 is larger than the padded image 1×1/,
    );
    x.dispose();
  });

  it('randomHorizontalFlip: p = 1 mirrors, p = 0 keeps, p = 0.5 does some of each', () => {
    const x = numbered(16, 2, 3);
    const mirror = [3, 2, 1, 6, 5, 4];
    const all = randomHorizontalFlip({ p: 1, seed: 0 })(x);
    expect(samples(all).every((img) => img.join() === mirror.join())).toBe(true);
    const none = randomHorizontalFlip({ p: 0, seed: 0 })(x);
    expect(samples(none).every((img) => img.join() === '1,2,3,4,5,6')).toBe(true);
    const half = samples(randomHorizontalFlip({ seed: 3 })(x));
    const flipped = half.filter((img) => img.join() === mirror.join()).length;
    const kept = half.filter((img) => img.join() === '1,2,3,4,5,6').length;
    expect(flipped + kept).toBe(16);
    expect(flipped).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(0);
    disposeTensors([x, all, none]);
  });

  it('randomAffine({ translate: [0.25, 0.25] }) on 8×8 shifts by whole pixels, at most 2', () => {
    const x = numbered(32, 8, 8);
    const out = randomAffine({ translate: [0.25, 0.25], seed: 5 })(x);
    const shifts = samples(out).map((img) => findShift(img, 8, 8, 2));
    expect(shifts.every((s) => s !== null)).toBe(true);
    expect(new Set(shifts.map((s) => s!.join())).size).toBeGreaterThan(5);
    disposeTensors([x, out]);
  });

  it('transforms in a dataset map free their inputs and temporaries', async () => {
    const x = numbered(6, 4, 4);
    const before = memory().tensors;
    const ds = fromTensors(x).map(
      compose(randomCrop(4, { padding: 1, seed: 1 }), randomHorizontalFlip({ seed: 2 }), normalize(8, 4)),
    );
    const out = await ds.toArray();
    expect(out.map((t) => t.shape)).toEqual(Array(6).fill([1, 4, 4]));
    expect(memory().tensors).toBe(before + 6);
    disposeTensors(out);
    expect(memory().tensors).toBe(before);
    x.dispose();
  });
});
