import type { ImageArray, VegaLiteSpec } from '@myelin/train';
import { PNG } from 'pngjs';

/**
 * Pictures and charts from a recipe's events, as files: image grids as PNG (pngjs), Vega-Lite
 * charts as SVG (vega-lite compiles, vega renders headless). Node-only, so it lives in the CLI;
 * the playground draws the same events in the page.
 */

/** Columns of a grid of `n` images: the smallest square that holds them, at most `n`. */
export function gridColumns(n: number): number {
  return Math.min(n, Math.ceil(Math.sqrt(n)));
}

/** Grey of the 1-px gutters between tiles, so dark-background images stay apart. */
const GUTTER = 128;

/**
 * A grid of the images (`[N, C, H, W]`, C = 1 grey or 3 RGB, values in [0, 1]) row by row,
 * `columns` wide (default `gridColumns(N)`), 1-px grey gutters between tiles; encoded as an
 * 8-bit RGBA PNG of `cols·W + cols − 1` × `rows·H + rows − 1` pixels.
 */
export function imageGridPng(images: ImageArray, columns = gridColumns(images.shape[0])): Buffer {
  const [n, c, h, w] = images.shape;
  if (c !== 1 && c !== 3)
    throw new RangeError(`imageGridPng: images need 1 (grey) or 3 (RGB) channels, got ${c}`);
  if (!Number.isInteger(columns) || columns < 1)
    throw new RangeError(`imageGridPng: columns must be a positive integer, got ${columns}`);
  const cols = Math.min(columns, n);
  const rows = Math.ceil(n / cols);
  const width = cols * w + cols - 1;
  const height = rows * h + rows - 1;
  const png = new PNG({ width, height });
  png.data.fill(GUTTER);
  for (let i = 3; i < png.data.length; i += 4) png.data[i] = 255;
  const plane = h * w;
  for (let k = 0; k < n; k++) {
    const x0 = (k % cols) * (w + 1);
    const y0 = Math.floor(k / cols) * (h + 1);
    const base = k * c * plane;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = ((y0 + y) * width + x0 + x) * 4;
        const p = base + y * w + x;
        for (let ch = 0; ch < 3; ch++)
          png.data[o + ch] = Math.round(images.data[p + (c === 1 ? 0 : ch * plane)]! * 255);
      }
    }
  }
  return PNG.sync.write(png);
}

/** The chart as SVG: `vl.compile(spec).spec` rendered by a headless vega `View`. */
export async function chartSvg(spec: VegaLiteSpec): Promise<string> {
  // Loaded on first use: vega is large and only charts need it.
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(spec as unknown as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
