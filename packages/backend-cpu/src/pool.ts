import type { Pool2dAttrs, TypedArray } from '@myelin/core';
import { allocate, type CpuKernel, type CpuKernelTable, valuesOf } from './kernel.js';

/*
 * 2-D pooling over NCHW, one (image, channel) plane at a time. A window's taps along one dim are
 * start + t·dilation for t < kernel with start = o·stride - padBefore; `taps` precomputes, per
 * output row (or column), which taps land inside the input, so the inner loops carry no bounds tests.
 */

interface Taps {
  /** First input coordinate of each output's window. */
  start: Int32Array;
  /** First and one-past-last tap index inside [0, size). */
  lo: Int32Array;
  hi: Int32Array;
  /** Taps inside the padded extent [-padBefore, size + padAfter): avg pooling's countIncludePad divisor. */
  padded: Int32Array;
}

function taps(
  outSize: number,
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padBefore: number,
  padAfter: number,
): Taps {
  const start = new Int32Array(outSize);
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const padded = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const s = o * stride - padBefore;
    start[o] = s;
    lo[o] = Math.min(kernel, Math.max(0, Math.ceil(-s / dilation)));
    hi[o] = Math.max(lo[o], Math.min(kernel, Math.ceil((size - s) / dilation)));
    // A ceil-mode window may run past the bottom/right padding; PyTorch clips it there.
    padded[o] = Math.max(0, Math.min(kernel, Math.ceil((size + padAfter - s) / dilation)));
  }
  return { start, lo, hi, padded };
}

interface PoolPlan {
  planes: number;
  height: number;
  width: number;
  outHeight: number;
  outWidth: number;
  rows: Taps;
  cols: Taps;
  dh: number;
  dw: number;
}

function plan(x: readonly number[], y: readonly number[], attrs: Pool2dAttrs): PoolPlan {
  const [n, c, height, width] = x;
  const [outHeight, outWidth] = [y[2], y[3]];
  const { kernel, stride, pad, dilation } = attrs;
  return {
    planes: n * c,
    height,
    width,
    outHeight,
    outWidth,
    rows: taps(outHeight, height, kernel[0], stride[0], dilation[0], pad[0], pad[1]),
    cols: taps(outWidth, width, kernel[1], stride[1], dilation[1], pad[2], pad[3]),
    dh: dilation[0],
    dw: dilation[1],
  };
}

/**
 * Max pooling: fills `out` with each window's maximum, and/or adds dy into dx at the input the
 * maximum came from. As PyTorch, the first maximum in row-major window order wins, except that a
 * NaN always takes over; a window of all -Infinity picks its first in-bounds tap.
 */
function maxPool(
  x: TypedArray,
  p: PoolPlan,
  out: TypedArray | null,
  dy: TypedArray | null,
  dx: TypedArray | null,
): void {
  const { planes, height: H, width: W, outHeight: OH, outWidth: OW, rows, cols, dh, dw } = p;
  for (let plane = 0; plane < planes; plane++) {
    const xOff = plane * H * W;
    const yOff = plane * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = rows.start[oh];
      const ilo = rows.lo[oh];
      const ihi = rows.hi[oh];
      for (let ow = 0; ow < OW; ow++) {
        const w0 = cols.start[ow];
        const jlo = cols.lo[ow];
        const jhi = cols.hi[ow];
        let max = -Infinity;
        let at = ilo < ihi && jlo < jhi ? xOff + (h0 + ilo * dh) * W + w0 + jlo * dw : -1;
        for (let i = ilo; i < ihi; i++) {
          const row = xOff + (h0 + i * dh) * W + w0;
          for (let j = jlo; j < jhi; j++) {
            const v = x[row + j * dw];
            if (v > max || Number.isNaN(v)) {
              max = v;
              at = row + j * dw;
            }
          }
        }
        const yi = yOff + oh * OW + ow;
        if (out !== null) out[yi] = max;
        if (dx !== null && dy !== null && at >= 0) dx[at] += dy[yi];
      }
    }
  }
}

const maxPool2d: CpuKernel<Pool2dAttrs> = ({ inputs: [x], attrs, outputs: [spec] }) => {
  const out = allocate(spec);
  maxPool(valuesOf(x), plan(x.shape, spec.shape, attrs), out, null, null);
  return [out];
};

/** inputs [dy, x]: each window's gradient goes to the input its maximum came from. */
const maxPool2dGrad: CpuKernel<Pool2dAttrs> = ({ inputs: [dy, x], attrs, outputs: [spec] }) => {
  const dx = allocate(spec);
  maxPool(valuesOf(x), plan(x.shape, dy.shape, attrs), null, valuesOf(dy), dx);
  return [dx];
};

/** The divisor of one window: padded taps (countIncludePad) or in-bounds taps. */
function divisor(p: PoolPlan, oh: number, ow: number, countIncludePad: boolean): number {
  const { rows, cols } = p;
  return countIncludePad
    ? rows.padded[oh] * cols.padded[ow]
    : (rows.hi[oh] - rows.lo[oh]) * (cols.hi[ow] - cols.lo[ow]);
}

const avgPool2d: CpuKernel<Pool2dAttrs & { countIncludePad: boolean }> = ({
  inputs: [x],
  attrs,
  outputs: [spec],
}) => {
  const xv = valuesOf(x);
  const out = allocate(spec);
  const p = plan(x.shape, spec.shape, attrs);
  const { planes, height: H, width: W, outHeight: OH, outWidth: OW, rows, cols, dh, dw } = p;
  for (let plane = 0; plane < planes; plane++) {
    const xOff = plane * H * W;
    const yOff = plane * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let sum = 0;
        for (let i = rows.lo[oh]; i < rows.hi[oh]; i++) {
          const row = xOff + (rows.start[oh] + i * dh) * W + cols.start[ow];
          for (let j = cols.lo[ow]; j < cols.hi[ow]; j++) sum += xv[row + j * dw];
        }
        out[yOff + oh * OW + ow] = sum / divisor(p, oh, ow, attrs.countIncludePad);
      }
    }
  }
  return [out];
};

/** inputs [dy] → dx: each window spreads dy / divisor over its in-bounds taps. */
const avgPool2dGrad: CpuKernel<Pool2dAttrs & { countIncludePad: boolean }> = ({
  inputs: [dy],
  attrs,
  outputs: [spec],
}) => {
  const dyv = valuesOf(dy);
  const dx = allocate(spec);
  const p = plan(spec.shape, dy.shape, attrs);
  const { planes, height: H, width: W, outHeight: OH, outWidth: OW, rows, cols, dh, dw } = p;
  for (let plane = 0; plane < planes; plane++) {
    const xOff = plane * H * W;
    const yOff = plane * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const g = dyv[yOff + oh * OW + ow] / divisor(p, oh, ow, attrs.countIncludePad);
        for (let i = rows.lo[oh]; i < rows.hi[oh]; i++) {
          const row = xOff + (rows.start[oh] + i * dh) * W + cols.start[ow];
          for (let j = cols.lo[ow]; j < cols.hi[ow]; j++) dx[row + j * dw] += g;
        }
      }
    }
  }
  return [dx];
};

export const poolKernels: CpuKernelTable = {
  MaxPool2d: maxPool2d,
  MaxPool2dGrad: maxPool2dGrad,
  AvgPool2d: avgPool2d,
  AvgPool2dGrad: avgPool2dGrad,
};
