import type { Frame } from '../env.js';

/**
 * A tiny RGB raster for rendering the classic-control environments: `[3, H, W]` row-major values
 * in [0, 1] (the `Frame` layout), y growing downwards. Shapes are filled by sampling each pixel's
 * centre, which is all a 300×200 picture of a cart and a pole needs.
 */
export class Canvas {
  readonly data: Float32Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: readonly [number, number, number] = [1, 1, 1],
  ) {
    this.data = new Float32Array(3 * width * height);
    for (let c = 0; c < 3; c++) this.data.fill(background[c]!, c * width * height, (c + 1) * width * height);
  }

  private put(x: number, y: number, rgb: readonly number[]): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const plane = this.width * this.height;
    const i = y * this.width + x;
    this.data[i] = rgb[0]!;
    this.data[plane + i] = rgb[1]!;
    this.data[2 * plane + i] = rgb[2]!;
  }

  /** Fill the polygon with vertices `points` ([x, y] pairs, either winding; even-odd rule). */
  polygon(points: readonly (readonly [number, number])[], rgb: readonly number[]): void {
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    for (const [x, y] of points) {
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
    const n = points.length;
    for (let py = Math.max(0, Math.floor(y0)); py <= Math.min(this.height - 1, Math.ceil(y1)); py++) {
      const cy = py + 0.5;
      for (let px = Math.max(0, Math.floor(x0)); px <= Math.min(this.width - 1, Math.ceil(x1)); px++) {
        const cx = px + 0.5;
        let inside = false;
        for (let i = 0, j = n - 1; i < n; j = i++) {
          const [xi, yi] = points[i]!;
          const [xj, yj] = points[j]!;
          if (yi > cy !== yj > cy && cx < ((xj - xi) * (cy - yi)) / (yj - yi) + xi) inside = !inside;
        }
        if (inside) this.put(px, py, rgb);
      }
    }
  }

  /** An axis-aligned rectangle. */
  rect(x: number, y: number, w: number, h: number, rgb: readonly number[]): void {
    this.polygon(
      [
        [x, y],
        [x + w, y],
        [x + w, y + h],
        [x, y + h],
      ],
      rgb,
    );
  }

  /** A segment `thickness` pixels wide. */
  line(ax: number, ay: number, bx: number, by: number, thickness: number, rgb: readonly number[]): void {
    const len = Math.hypot(bx - ax, by - ay) || 1;
    const nx = (-(by - ay) / len) * (thickness / 2);
    const ny = ((bx - ax) / len) * (thickness / 2);
    this.polygon(
      [
        [ax + nx, ay + ny],
        [bx + nx, by + ny],
        [bx - nx, by - ny],
        [ax - nx, ay - ny],
      ],
      rgb,
    );
  }

  /** A filled disc. */
  circle(cx: number, cy: number, r: number, rgb: readonly number[]): void {
    for (let py = Math.max(0, Math.floor(cy - r)); py <= Math.min(this.height - 1, Math.ceil(cy + r)); py++)
      for (let px = Math.max(0, Math.floor(cx - r)); px <= Math.min(this.width - 1, Math.ceil(cx + r)); px++)
        if ((px + 0.5 - cx) ** 2 + (py + 0.5 - cy) ** 2 <= r * r) this.put(px, py, rgb);
  }

  frame(): Frame {
    return { data: this.data, height: this.height, width: this.width };
  }
}
