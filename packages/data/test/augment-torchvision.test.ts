import { readFileSync } from 'node:fs';
import { type Tensor, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  affine,
  centerCrop,
  type Interpolation,
  resize,
  verticalFlip,
} from '../src/index.js';

/** Golden outputs of torchvision 0.14's functional transforms (tools/gen_data21_fixtures.py). */
interface Img {
  shape: number[];
  data: number[];
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/data21.json', import.meta.url), 'utf8')) as {
  img: Img;
  gray: Img;
  affine: {
    input: 'img' | 'gray';
    angle: number;
    translate: [number, number];
    scale: number;
    shear: [number, number];
    interpolation: Interpolation;
    fill: number | null;
    shape: number[];
    data: number[];
  }[];
  resize: {
    size: number | [number, number];
    interpolation: Interpolation;
    shape: number[];
    data: number[];
  }[];
  resizeTall: { input: number[]; shape: number[]; outShape: number[]; data: number[] };
  centerCrop: { size: [number, number]; shape: number[]; data: number[] }[];
  vflip: number[];
  color: { op: 'brightness' | 'contrast' | 'saturation' | 'hue'; factor: number; data: number[] }[];
  grayContrast: { factor: number; data: number[] }[];
};

const load = (i: Img) => tensor(Float32Array.from(i.data), { shape: i.shape });
const img = load(fx.img);
const gray = load(fx.gray);

function expectClose(t: Tensor, shape: number[], want: number[], tol: number): void {
  expect(t.shape).toEqual(shape);
  const got = t.dataSync();
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  expect(worst).toBeLessThanOrEqual(tol);
}

/** The same image twice as a batch [2, C, H, W]. */
function twice(t: Tensor): Tensor {
  const d = t.dataSync();
  const v = new Float32Array(2 * d.length);
  v.set(d);
  v.set(d, d.length);
  return tensor(v, { shape: [2, ...t.shape] });
}

describe('affine matches torchvision F.affine', () => {
  for (const c of fx.affine) {
    it(`${c.input}: angle ${c.angle}, translate [${c.translate}], scale ${c.scale}, shear [${c.shear}], ${c.interpolation}, fill ${c.fill}`, () => {
      const x = c.input === 'img' ? img : gray;
      const y = affine(x, {
        angle: c.angle,
        translate: c.translate,
        scale: c.scale,
        shear: c.shear,
        interpolation: c.interpolation,
        ...(c.fill === null ? {} : { fill: c.fill }),
      });
      expectClose(y, c.shape, c.data, 1e-4);
      // A batch gets the same transform on every image.
      const yb = affine(twice(x), {
        angle: c.angle,
        translate: c.translate,
        scale: c.scale,
        shear: c.shear,
        interpolation: c.interpolation,
        ...(c.fill === null ? {} : { fill: c.fill }),
      });
      expectClose(yb, [2, ...c.shape], [...c.data, ...c.data], 1e-4);
    });
  }
  it('the identity leaves the image unchanged and bad parameters are named', () => {
    expectClose(affine(img, { angle: 0 }), fx.img.shape, fx.img.data, 0);
    expect(() => affine(img, { angle: 0, scale: 0 })).toThrow(
      /affine: scale must be a positive number, got 0/,
    );
    expect(() => affine(img, { angle: Number.NaN })).toThrow(/affine: angle must be a finite number/);
    expect(() => affine(tensor([1, 2]), { angle: 1 })).toThrow(
      /affine: expected an image \[C, H, W\].*got \[2\]/,
    );
  });
});

describe('resize matches torchvision F.resize (antialias off)', () => {
  for (const c of fx.resize) {
    it(`${JSON.stringify(c.size)} ${c.interpolation} → [${c.shape}]`, () => {
      expectClose(resize(c.size, { interpolation: c.interpolation })(img), c.shape, c.data, 1e-5);
    });
  }
  it('one number sets the shorter edge of a tall image too (7×5 → 5×4)', () => {
    const t = fx.resizeTall;
    const tall = tensor(Float32Array.from(t.input), { shape: t.shape });
    expectClose(resize(4)(tall), t.outShape, t.data, 1e-5);
  });
  it('rejects bad sizes', () => {
    expect(() => resize(0)).toThrow(/resize: size must be a positive integer or \[height, width\], got 0/);
    expect(() => resize([2, 2], { interpolation: 'bicubic' as Interpolation })).toThrow(
      /resize: interpolation/,
    );
  });
});

describe('centerCrop matches torchvision F.center_crop', () => {
  for (const c of fx.centerCrop) {
    it(`[${c.size}] of 5×7`, () => {
      expectClose(centerCrop(c.size)(img), c.shape, c.data, 0);
    });
  }
  it('batches and bad sizes', () => {
    expect(centerCrop(3)(twice(img)).shape).toEqual([2, 3, 3, 3]);
    expect(() => centerCrop([2, 0])).toThrow(/centerCrop: size must be a positive integer/);
  });
});

it('verticalFlip matches F.vflip', () => {
  expectClose(verticalFlip(img), fx.img.shape, fx.vflip, 0);
});

describe('colour adjustments match torchvision', () => {
  const fns = {
    brightness: adjustBrightness,
    contrast: adjustContrast,
    saturation: adjustSaturation,
    hue: adjustHue,
  };
  for (const c of fx.color) {
    it(`adjust_${c.op}(${c.factor})`, () => {
      expectClose(fns[c.op](img, c.factor), fx.img.shape, c.data, 2e-6);
    });
  }
  for (const c of fx.grayContrast) {
    it(`adjust_contrast(${c.factor}) of a 1-channel image`, () => {
      expectClose(adjustContrast(gray, c.factor), fx.gray.shape, c.data, 2e-6);
    });
  }
  it('errors name the transform, what came and what was expected', () => {
    expect(() => adjustHue(img, 0.7)).toThrow(/adjustHue: hue factor must be in \[-0.5, 0.5\], got 0.7/);
    expect(() => adjustBrightness(img, -1)).toThrow(
      /adjustBrightness: factor must be a finite number ≥ 0, got -1/,
    );
    expect(() => adjustSaturation(tensor(new Float32Array(8), { shape: [2, 2, 2] }), 1)).toThrow(
      /adjustSaturation: expected 1 or 3 channels, got 2/,
    );
  });
});
