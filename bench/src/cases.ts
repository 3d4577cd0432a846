/**
 * What each library must implement for the benchmark. Inputs arrive as plain Float32Arrays in
 * Myelin's (PyTorch's) layouts; an adapter converts them to its library's native layout while
 * preparing, outside the timed region, and converts results back for the cross-check.
 */

export interface Prepared {
  /** One timed repetition: compute, read the result back to the host, dispose it. */
  run(): Promise<void> | void;
  /**
   * One repetition without the read-back, for libraries whose kernels run synchronously (both
   * wasm backends): compute, dispose. This times the op alone.
   */
  compute?(): Promise<void> | void;
  /** The result in Myelin's layout (untimed; used to check the libraries agree). */
  result(): Promise<Float32Array>;
  /** Free the inputs. */
  dispose(): void;
}

export interface ConvDims {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
}

export interface BenchLibrary {
  name: string;
  /** `a`, `b`: n×n, row-major. */
  matmul(a: Float32Array, b: Float32Array, n: number): Prepared;
  /** `x`: NCHW; `w`: [out, in, kh, kw]; stride 1, 'same' padding; result NCHW. */
  conv2d(x: Float32Array, w: Float32Array, d: ConvDims): Prepared;
  add(a: Float32Array, b: Float32Array): Prepared;
  relu(a: Float32Array): Prepared;
}

/** NCHW → NHWC. */
export function nchwToNhwc(x: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < w; j++) out[((b * h + i) * w + j) * c + ch] = x[((b * c + ch) * h + i) * w + j]!;
  return out;
}

/** NHWC → NCHW. */
export function nhwcToNchw(x: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < w; j++) out[((b * c + ch) * h + i) * w + j] = x[((b * h + i) * w + j) * c + ch]!;
  return out;
}

/** [out, in, kh, kw] → [kh, kw, in, out] (TF.js's filter layout). */
export function oihwToHwio(wt: Float32Array, o: number, i: number, kh: number, kw: number): Float32Array {
  const out = new Float32Array(wt.length);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          out[((y * kw + x) * i + b) * o + a] = wt[((a * i + b) * kh + y) * kw + x]!;
  return out;
}
