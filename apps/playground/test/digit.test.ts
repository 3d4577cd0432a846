import { describe, expect, it } from 'vitest';
import { inkFromRgba, toMnist } from '../src/digit.js';

/** A `width × height` ink image with the rectangle [x0, x1) × [y0, y1) at `value`. */
function rect(width: number, height: number, x0: number, x1: number, y0: number, y1: number, value = 1) {
  const data = new Float32Array(width * height);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * width + x] = value;
  return { data, width, height };
}

/** The rows and columns of a 28×28 image that hold ink, as [first, last] pairs. */
function extent(img: Float32Array) {
  const rows: number[] = [];
  const cols: number[] = [];
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++)
      if (img[y * 28 + x]! > 0) {
        rows.push(y);
        cols.push(x);
      }
  return { rows: [Math.min(...rows), Math.max(...rows)], cols: [Math.min(...cols), Math.max(...cols)] };
}

describe('inkFromRgba', () => {
  it('is the mean of R, G and B over 255, alpha ignored', () => {
    const rgba = new Uint8ClampedArray([255, 255, 255, 255, 0, 0, 0, 255, 51, 102, 153, 0]);
    const ink = inkFromRgba(rgba, 3, 1);
    expect(ink.width).toBe(3);
    expect(ink.height).toBe(1);
    expect(Array.from(ink.data)).toEqual([1, 0, expect.closeTo(102 / 255, 6)]);
  });

  it('rejects a buffer of the wrong size, naming the function', () => {
    expect(() => inkFromRgba(new Uint8ClampedArray(8), 3, 1)).toThrow(
      'inkFromRgba: 3×1 needs 12 RGBA bytes, got 8',
    );
  });
});

describe('toMnist', () => {
  it('gives null for a blank canvas', () => {
    expect(toMnist(rect(280, 280, 0, 0, 0, 0))).toBeNull();
  });

  it('scales a 100×100 square to 20×20 and centres it: rows and columns 4..23, all ink', () => {
    // 100 → 20 is a factor 5 exactly: every target pixel averages 25 inked source pixels.
    const out = toMnist(rect(280, 280, 37, 137, 150, 250))!;
    expect(out).toHaveLength(784);
    expect(extent(out)).toEqual({ rows: [4, 23], cols: [4, 23] });
    let total = 0;
    for (const v of out) total += v;
    expect(total).toBeCloseTo(400, 4);
  });

  it('keeps the aspect ratio: a 50×100 bar becomes 10×20, its centre of mass at (14, 14)', () => {
    const out = toMnist(rect(280, 280, 200, 250, 10, 110))!;
    // Width 10 with its centre of mass at 5 → shifted by 14 − 5 = 9: columns 9..18.
    expect(extent(out)).toEqual({ rows: [4, 23], cols: [9, 18] });
  });

  it('centres by mass, not by the bounding box', () => {
    // A 20×20 box (scale 1) whose left half has ink 1 and right half ink 1/2: the centre of mass
    // is at x = (10·5 + 5·15) / (10 + 5) = 8.33 (the box's centre is at 10), so the box moves right
    // by round(14 − 8.33) = 6: columns 6..25 (centring the box would give 4..23).
    const img = rect(40, 40, 5, 15, 5, 25);
    for (let y = 5; y < 25; y++) for (let x = 15; x < 25; x++) img.data[y * 40 + x] = 0.5;
    const out = toMnist(img)!;
    expect(extent(out)).toEqual({ rows: [4, 23], cols: [6, 25] });
    expect(out[10 * 28 + 6]).toBe(1);
    expect(out[10 * 28 + 25]).toBe(0.5);
  });

  it('enlarges a single dot to the 20×20 box', () => {
    const out = toMnist(rect(10, 10, 3, 4, 6, 7))!;
    expect(extent(out)).toEqual({ rows: [4, 23], cols: [4, 23] });
  });

  it('rejects data that does not match its size, naming the function', () => {
    expect(() => toMnist({ data: new Float32Array(5), width: 2, height: 2 })).toThrow(
      'toMnist: 2×2 needs 4 values, got 5',
    );
  });
});
