/**
 * A drawn digit to an MNIST-like 28×28 image, the way the MNIST digits were made (LeCun, Cortes &
 * Burges): the ink's bounding box scaled (aspect ratio kept, box-filtered) to fit a 20×20 box, then
 * placed in a 28×28 field so that its centre of mass is at the field's centre.
 */

/** Ink intensity in [0, 1] per pixel, row-major `width × height`. */
export interface InkImage {
  data: Float32Array;
  width: number;
  height: number;
}

/** An RGBA canvas image (white ink on black) as ink intensities: the mean of R, G and B over 255. */
export function inkFromRgba(rgba: Uint8ClampedArray, width: number, height: number): InkImage {
  if (rgba.length !== width * height * 4)
    throw new RangeError(
      `inkFromRgba: ${width}×${height} needs ${width * height * 4} RGBA bytes, got ${rgba.length}`,
    );
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++)
    data[i] = (rgba[4 * i]! + rgba[4 * i + 1]! + rgba[4 * i + 2]!) / (3 * 255);
  return { data, width, height };
}

/** The 28×28 MNIST-style image of `ink` (row-major, values in [0, 1]), or null when there is no ink. */
export function toMnist(ink: InkImage, box = 20, size = 28): Float32Array | null {
  const { data, width, height } = ink;
  if (data.length !== width * height)
    throw new RangeError(`toMnist: ${width}×${height} needs ${width * height} values, got ${data.length}`);
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (data[y * width + x]! > 0) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = box / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale));
  const th = Math.max(1, Math.round(bh * scale));
  // Box filter: each target pixel is the mean of the source pixels whose centres fall in it (at
  // least the nearest one, when enlarging).
  const small = new Float32Array(tw * th);
  for (let ty = 0; ty < th; ty++) {
    const sy0 = Math.floor((ty * bh) / th);
    const sy1 = Math.max(sy0 + 1, Math.floor(((ty + 1) * bh) / th));
    for (let tx = 0; tx < tw; tx++) {
      const sx0 = Math.floor((tx * bw) / tw);
      const sx1 = Math.max(sx0 + 1, Math.floor(((tx + 1) * bw) / tw));
      let sum = 0;
      for (let sy = sy0; sy < sy1; sy++)
        for (let sx = sx0; sx < sx1; sx++) sum += data[(y0 + sy) * width + x0 + sx]!;
      small[ty * tw + tx] = sum / ((sy1 - sy0) * (sx1 - sx0));
    }
  }
  // Centre of mass (pixel centres at +0.5), moved to the field's centre.
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x]!;
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  const ox = Math.round(size / 2 - mx / mass);
  const oy = Math.round(size / 2 - my / mass);
  const out = new Float32Array(size * size);
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      const X = x + ox;
      const Y = y + oy;
      if (X >= 0 && X < size && Y >= 0 && Y < size) out[Y * size + X] = Math.min(1, small[y * tw + x]!);
    }
  return out;
}
