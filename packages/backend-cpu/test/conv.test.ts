import type { Conv2dAttrs, Pool2dAttrs } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { expectClose, f32, randoms, run1 } from './helpers.js';

type Dims4 = [number, number, number, number];

/** Output size of a window sweep (floor mode), as torch.nn.Conv2d / MaxPool2d compute it. */
function outSize(
  size: number,
  k: number,
  stride: number,
  dil: number,
  before: number,
  after: number,
): number {
  return Math.floor((size + before + after - dil * (k - 1) - 1) / stride) + 1;
}

/**
 * Direct convolution by its definition: every (image, out channel, out pixel, tap) product, with
 * the forward sum and both adjoints (dx, dw) accumulated from the same enumeration.
 */
function convRef(x: Float32Array, xs: Dims4, w: Float32Array, ws: Dims4, dy: Float32Array, a: Conv2dAttrs) {
  const [N, C, H, W] = xs;
  const [O, cg, kh, kw] = ws;
  const OH = outSize(H, kh, a.stride[0], a.dilation[0], a.pad[0], a.pad[1]);
  const OW = outSize(W, kw, a.stride[1], a.dilation[1], a.pad[2], a.pad[3]);
  const og = O / a.groups;
  const y = new Float64Array(N * O * OH * OW);
  const dx = new Float64Array(N * C * H * W);
  const dw = new Float64Array(O * cg * kh * kw);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const yi = ((n * O + o) * OH + oh) * OW + ow;
          const g = Math.floor(o / og);
          for (let c = 0; c < cg; c++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const ih = oh * a.stride[0] - a.pad[0] + i * a.dilation[0];
                const iw = ow * a.stride[1] - a.pad[2] + j * a.dilation[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const xi = ((n * C + g * cg + c) * H + ih) * W + iw;
                const wi = ((o * cg + c) * kh + i) * kw + j;
                y[yi] += x[xi]! * w[wi]!;
                dx[xi] += dy[yi]! * w[wi]!;
                dw[wi] += dy[yi]! * x[xi]!;
              }
        }
  return { y, dx, dw, outShape: [N, O, OH, OW] as Dims4 };
}

function checkConv(xs: Dims4, ws: Dims4, attrs: Conv2dAttrs, seed = 1) {
  const x = randoms(
    xs.reduce((p, v) => p * v),
    seed,
  );
  const w = randoms(
    ws.reduce((p, v) => p * v),
    seed + 1,
  );
  const [N, , H, W] = xs;
  const OH = outSize(H, ws[2], attrs.stride[0], attrs.dilation[0], attrs.pad[0], attrs.pad[1]);
  const OW = outSize(W, ws[3], attrs.stride[1], attrs.dilation[1], attrs.pad[2], attrs.pad[3]);
  const dy = randoms(N * ws[0] * OH * OW, seed + 2);
  const ref = convRef(x, xs, w, ws, dy, attrs);
  const tol = { rtol: 1e-5, atol: 1e-5 };
  expectClose(run1('Conv2d', [f32(x, xs), f32(w, ws)], attrs, ref.outShape), ref.y, tol);
  expectClose(run1('Conv2dBackpropInput', [f32(dy, ref.outShape), f32(w, ws)], attrs, xs), ref.dx, tol);
  expectClose(run1('Conv2dBackpropFilter', [f32(x, xs), f32(dy, ref.outShape)], attrs, ws), ref.dw, tol);
}

const conv = (over: Partial<Conv2dAttrs> = {}): Conv2dAttrs => ({
  stride: [1, 1],
  pad: [0, 0, 0, 0],
  dilation: [1, 1],
  groups: 1,
  ...over,
});

describe('Conv2d and its gradients (against a direct convolution)', () => {
  it('3×3, same padding', () => checkConv([2, 3, 8, 9], [4, 3, 3, 3], conv({ pad: [1, 1, 1, 1] })));
  it('stride 2, asymmetric padding', () =>
    checkConv([2, 2, 9, 7], [3, 2, 3, 2], conv({ stride: [2, 3], pad: [2, 0, 1, 3] })));
  it('dilation 2', () =>
    checkConv([1, 3, 11, 10], [2, 3, 3, 3], conv({ dilation: [2, 3], pad: [1, 2, 0, 1] })));
  it('groups 2 and depthwise', () => {
    checkConv([2, 4, 6, 6], [6, 2, 3, 3], conv({ groups: 2, pad: [1, 1, 1, 1] }));
    checkConv([1, 5, 7, 6], [5, 1, 3, 3], conv({ groups: 5, stride: [2, 1], pad: [1, 0, 0, 1] }));
  });
  it('1×1 pointwise (no im2col) and 1×1 with stride', () => {
    checkConv([2, 8, 5, 6], [6, 8, 1, 1], conv());
    checkConv([2, 8, 5, 6], [6, 4, 1, 1], conv({ groups: 2 }));
    checkConv([1, 3, 5, 6], [2, 3, 1, 1], conv({ stride: [2, 2] }));
  });
  it('large enough for the packed GEMM (16 → 24 channels, 12×12)', () =>
    checkConv([2, 16, 12, 12], [24, 16, 3, 3], conv({ pad: [1, 1, 1, 1] })));
  it('an image whose im2col exceeds the scratch budget runs in bands of output rows', () =>
    checkConv([1, 8, 48, 700], [4, 8, 3, 3], conv({ pad: [1, 1, 1, 1], stride: [1, 1] })));
  it('kernel larger than the input with padding, 1×1 output', () =>
    checkConv([1, 2, 2, 3], [3, 2, 4, 5], conv({ pad: [1, 1, 1, 1] })));
});

/** Pooling windows by definition; ceil mode as torch: the last window must start inside input + left pad. */
function poolShape(
  size: number,
  k: number,
  s: number,
  d: number,
  before: number,
  after: number,
  ceil: boolean,
) {
  if (!ceil) return outSize(size, k, s, d, before, after);
  let o = Math.ceil((size + before + after - d * (k - 1) - 1) / s) + 1;
  if ((o - 1) * s >= size + before) o--;
  return o;
}

interface PoolCase {
  xs: Dims4;
  attrs: Pool2dAttrs;
  ceil?: boolean;
}

function poolRef(
  x: Float32Array,
  dy: Float32Array,
  { xs, attrs, ceil = false }: PoolCase,
  includePad: boolean,
) {
  const [N, C, H, W] = xs;
  const { kernel, stride, pad, dilation } = attrs;
  const OH = poolShape(H, kernel[0], stride[0], dilation[0], pad[0], pad[1], ceil);
  const OW = poolShape(W, kernel[1], stride[1], dilation[1], pad[2], pad[3], ceil);
  const max = new Float64Array(N * C * OH * OW);
  const avg = new Float64Array(N * C * OH * OW);
  const dxMax = new Float64Array(x.length);
  const dxAvg = new Float64Array(x.length);
  for (let p = 0; p < N * C; p++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const yi = (p * OH + oh) * OW + ow;
        // PyTorch avg_pool2d: the window is clipped to the padded input, then to the input.
        const hs = oh * stride[0] - pad[0];
        const ws = ow * stride[1] - pad[2];
        const he = Math.min(hs + kernel[0], H + pad[1]);
        const we = Math.min(ws + kernel[1], W + pad[3]);
        const poolSize = (he - hs) * (we - ws);
        let best = -Infinity;
        let bestAt = -1;
        let sum = 0;
        let count = 0;
        const taps: number[] = [];
        for (let i = 0; i < kernel[0]; i++)
          for (let j = 0; j < kernel[1]; j++) {
            const ih = hs + i * dilation[0];
            const iw = ws + j * dilation[1];
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            const xi = (p * H + ih) * W + iw;
            if (bestAt < 0 || x[xi]! > best) {
              best = x[xi]!;
              bestAt = xi;
            }
            sum += x[xi]!;
            count++;
            taps.push(xi);
          }
        max[yi] = best;
        dxMax[bestAt] += dy[yi]!;
        const div = includePad ? poolSize : count;
        avg[yi] = sum / div;
        for (const t of taps) dxAvg[t] += dy[yi]! / div;
      }
  return { max, avg, dxMax, dxAvg, outShape: [N, C, OH, OW] as Dims4 };
}

function checkPool(c: PoolCase, seed = 3) {
  const n = c.xs.reduce((p, v) => p * v);
  // Few distinct values so windows have ties (first maximum wins).
  const x = randoms(n, seed).map((v) => Math.round(v * 3));
  const probe = poolRef(x, new Float32Array(0), c, true);
  const dy = randoms(probe.max.length, seed + 1);
  for (const includePad of [true, false]) {
    const ref = poolRef(x, dy, c, includePad);
    const attrs = { ...c.attrs, countIncludePad: includePad };
    expectClose(run1('AvgPool2d', [f32(x, c.xs)], attrs, ref.outShape), ref.avg);
    expectClose(run1('AvgPool2dGrad', [f32(dy, ref.outShape)], attrs, c.xs), ref.dxAvg);
  }
  const ref = poolRef(x, dy, c, true);
  expect([...run1('MaxPool2d', [f32(x, c.xs)], c.attrs, ref.outShape)]).toEqual([...ref.max]);
  expectClose(run1('MaxPool2dGrad', [f32(dy, ref.outShape), f32(x, c.xs)], c.attrs, c.xs), ref.dxMax);
}

const pool = (over: Partial<Pool2dAttrs> = {}): Pool2dAttrs => ({
  kernel: [2, 2],
  stride: [2, 2],
  pad: [0, 0, 0, 0],
  dilation: [1, 1],
  ...over,
});

describe('pooling (against windows enumerated by definition)', () => {
  it('2×2 stride 2', () => checkPool({ xs: [2, 3, 6, 8], attrs: pool() }));
  it('3×3 stride 2 padding 1 (padding never wins the max; avg divisor with and without padding)', () =>
    checkPool({ xs: [1, 2, 7, 6], attrs: pool({ kernel: [3, 3], pad: [1, 1, 1, 1] }) }));
  it('ceil mode windows running past the padded input are clipped', () => {
    checkPool({ xs: [1, 2, 6, 5], attrs: pool({ kernel: [3, 3], pad: [1, 1, 1, 1] }), ceil: true });
    checkPool({ xs: [1, 1, 5, 5], attrs: pool({ kernel: [2, 2], pad: [0, 1, 0, 1] }), ceil: true });
  });
  it('overlapping windows with stride 1 and asymmetric kernel', () =>
    checkPool({ xs: [1, 2, 5, 6], attrs: pool({ kernel: [2, 3], stride: [1, 1], pad: [0, 1, 1, 0] }) }));

  it('max pool with dilation picks the first maximum of the dilated window', () => {
    const x = f32([1, 5, 5, 0, 0, 0, 5, 0, 5], [1, 1, 3, 3]);
    const attrs = pool({ kernel: [2, 2], stride: [1, 1], dilation: [2, 2] });
    expect([...run1('MaxPool2d', [x], attrs, [1, 1, 1, 1])]).toEqual([5]);
    expect([...run1('MaxPool2dGrad', [f32([1], [1, 1, 1, 1]), x], attrs, [1, 1, 3, 3])]).toEqual([
      0, 0, 1, 0, 0, 0, 0, 0, 0,
    ]);
  });

  it('a NaN in a window wins the max, as PyTorch', () => {
    const x = f32([1, Number.NaN, 3, 4], [1, 1, 2, 2]);
    expect([...run1('MaxPool2d', [x], pool(), [1, 1, 1, 1])].map(Number.isNaN)).toEqual([true]);
  });
});
