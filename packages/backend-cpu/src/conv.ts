import type { Conv2dAttrs, TypedArray } from '@myelin/core';
import { allocate, type CpuKernel, type CpuKernelTable, valuesOf } from './kernel.js';
import { gemm } from './matmul.js';

/*
 * Conv2d (NCHW, weight [O, C/groups, kh, kw]) and both its gradients as GEMMs over im2col:
 *
 *   col      [K, L]   K = (C/groups)·kh·kw input taps, L = output pixels (of a band of output rows)
 *   forward  y_g  [Og, L] = w_g [Og, K] · col                       per image, group and band
 *   filter   dw_g [Og, K] += dy_g [Og, L] · colᵀ                    summed over images and bands
 *   input    dcol [K, L]  = w_gᵀ [K, Og] · dy_g [Og, L], then col2im adds dcol into dx
 *
 * Transposed operands are just strides to `gemm`, which packs them, and a band of pixels is just a
 * column offset with the full row stride. A 1×1, stride-1, unpadded convolution needs no im2col:
 * the image itself is col. The col buffer is scratch reused across calls; output rows are taken in
 * bands so that it stays under COL_BUDGET floats (a 224×224 image with 64 channels would otherwise
 * need 115 MB of col), and typical layers fit in one band.
 */

const COL_BUDGET = 1 << 21;

let colScratch = new Float32Array(0);

function scratch(size: number): Float32Array {
  if (colScratch.length < size) colScratch = new Float32Array(size);
  return colScratch;
}

/** Geometry shared by the three kernels, from x's shape, w's shape and the output pixels. */
interface ConvGeometry {
  batch: number;
  channels: number;
  height: number;
  width: number;
  outChannels: number;
  outHeight: number;
  outWidth: number;
  kh: number;
  kw: number;
  groups: number;
  /** Input channels per group. */
  cg: number;
  /** Output channels per group. */
  og: number;
  /** Rows of col: cg·kh·kw. */
  taps: number;
  /** Columns of col: outHeight·outWidth. */
  pixels: number;
  /** No im2col needed: 1×1 kernel, stride 1, no padding. */
  pointwise: boolean;
  attrs: Conv2dAttrs;
}

function geometry(
  x: readonly number[],
  w: readonly number[],
  y: readonly number[],
  attrs: Conv2dAttrs,
): ConvGeometry {
  const [batch, channels, height, width] = x;
  const [outChannels, cg, kh, kw] = w;
  const [outHeight, outWidth] = [y[2], y[3]];
  const { stride, pad, groups } = attrs;
  return {
    batch,
    channels,
    height,
    width,
    outChannels,
    outHeight,
    outWidth,
    kh,
    kw,
    groups,
    cg,
    og: outChannels / groups,
    taps: cg * kh * kw,
    pixels: outHeight * outWidth,
    pointwise:
      kh === 1 &&
      kw === 1 &&
      stride[0] === 1 &&
      stride[1] === 1 &&
      pad[0] === 0 &&
      pad[1] === 0 &&
      pad[2] === 0 &&
      pad[3] === 0,
    attrs,
  };
}

/**
 * First and one-past-last output column whose input column ow·sw - left + j·dw lies inside [0, W),
 * for kernel column offset `shift` = j·dw - left.
 */
function validColumns(shift: number, sw: number, width: number, outWidth: number): [number, number] {
  const lo = Math.min(outWidth, Math.max(0, Math.ceil(-shift / sw)));
  const hi = Math.max(lo, Math.min(outWidth, Math.ceil((width - shift) / sw)));
  return [lo, hi];
}

/**
 * col[(c·kh + i)·kw + j, (oh - oh0)·outW + ow] = x[c, oh·sh - top + i·dh, ow·sw - left + j·dw] for
 * output rows oh0 ≤ oh < oh1, 0 in the padding, for the cg channels of one image and group starting
 * at `xOff`. Every element of the band is written (zeros included) since the buffer is reused.
 */
function im2col(
  x: TypedArray,
  xOff: number,
  g: ConvGeometry,
  oh0: number,
  oh1: number,
  col: Float32Array,
): void {
  const { height: H, width: W, outWidth: OW, kh, kw, cg } = g;
  const [sh, sw] = g.attrs.stride;
  const [dh, dw] = g.attrs.dilation;
  const top = g.attrs.pad[0];
  const left = g.attrs.pad[2];
  const band = (oh1 - oh0) * OW;
  let row = 0;
  for (let c = 0; c < cg; c++) {
    const plane = xOff + c * H * W;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const shift = j * dw - left;
        const [lo, hi] = validColumns(shift, sw, W, OW);
        for (let oh = oh0; oh < oh1; oh++) {
          const ih = oh * sh - top + i * dh;
          const dst = row * band + (oh - oh0) * OW;
          if (ih < 0 || ih >= H) {
            col.fill(0, dst, dst + OW);
            continue;
          }
          const src = plane + ih * W + shift;
          for (let ow = 0; ow < lo; ow++) col[dst + ow] = 0;
          if (sw === 1) for (let ow = lo; ow < hi; ow++) col[dst + ow] = x[src + ow];
          else for (let ow = lo; ow < hi; ow++) col[dst + ow] = x[src + ow * sw];
          for (let ow = hi; ow < OW; ow++) col[dst + ow] = 0;
        }
        row++;
      }
    }
  }
}

/** The adjoint of im2col for the same band: dx[c, ih, iw] += col[tap, pixel] for in-bounds taps. */
function col2im(
  col: Float32Array,
  g: ConvGeometry,
  oh0: number,
  oh1: number,
  dx: TypedArray,
  xOff: number,
): void {
  const { height: H, width: W, outWidth: OW, kh, kw, cg } = g;
  const [sh, sw] = g.attrs.stride;
  const [dh, dw] = g.attrs.dilation;
  const top = g.attrs.pad[0];
  const left = g.attrs.pad[2];
  const band = (oh1 - oh0) * OW;
  let row = 0;
  for (let c = 0; c < cg; c++) {
    const plane = xOff + c * H * W;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const shift = j * dw - left;
        const [lo, hi] = validColumns(shift, sw, W, OW);
        for (let oh = oh0; oh < oh1; oh++) {
          const ih = oh * sh - top + i * dh;
          if (ih < 0 || ih >= H) continue;
          const src = row * band + (oh - oh0) * OW;
          const dst = plane + ih * W + shift;
          for (let ow = lo; ow < hi; ow++) dx[dst + ow * sw] += col[src + ow];
        }
        row++;
      }
    }
  }
}

/** Output rows per im2col band: as many as fit the col budget, at least one. */
function bandRows(g: ConvGeometry): number {
  return Math.max(1, Math.min(g.outHeight, Math.floor(COL_BUDGET / Math.max(1, g.taps * g.outWidth))));
}

const conv2d: CpuKernel<Conv2dAttrs> = ({ inputs: [x, w], attrs, outputs: [spec] }) => {
  const g = geometry(x.shape, w.shape, spec.shape, attrs);
  const { batch, channels, height, width, outChannels, outHeight, outWidth, groups, cg, og, taps, pixels } =
    g;
  const xv = valuesOf(x);
  const wv = valuesOf(w);
  const out = allocate(spec);
  const rows = bandRows(g);
  const col = g.pointwise ? null : scratch(taps * rows * outWidth);
  for (let n = 0; n < batch; n++) {
    for (let gi = 0; gi < groups; gi++) {
      const xOff = (n * channels + gi * cg) * height * width;
      const yOff = (n * outChannels + gi * og) * pixels;
      const wOff = gi * og * taps;
      if (col === null) {
        gemm(og, pixels, taps, wv, wOff, taps, 1, xv, xOff, pixels, 1, out, yOff, pixels);
        continue;
      }
      for (let oh0 = 0; oh0 < outHeight; oh0 += rows) {
        const oh1 = Math.min(outHeight, oh0 + rows);
        const band = (oh1 - oh0) * outWidth;
        im2col(xv, xOff, g, oh0, oh1, col);
        gemm(og, band, taps, wv, wOff, taps, 1, col, 0, band, 1, out, yOff + oh0 * outWidth, pixels);
      }
    }
  }
  return [out];
};

/** inputs [dy, w] → dx of outputs[0].shape. */
const conv2dBackpropInput: CpuKernel<Conv2dAttrs> = ({ inputs: [dy, w], attrs, outputs: [spec] }) => {
  const g = geometry(spec.shape, w.shape, dy.shape, attrs);
  const { batch, channels, height, width, outChannels, outHeight, outWidth, groups, cg, og, taps, pixels } =
    g;
  const dyv = valuesOf(dy);
  const wv = valuesOf(w);
  const dx = allocate(spec);
  const rows = bandRows(g);
  const col = g.pointwise ? null : scratch(taps * rows * outWidth);
  for (let n = 0; n < batch; n++) {
    for (let gi = 0; gi < groups; gi++) {
      const xOff = (n * channels + gi * cg) * height * width;
      const yOff = (n * outChannels + gi * og) * pixels;
      const wOff = gi * og * taps;
      // wᵀ: element (tap, o) of w_gᵀ is w_g[o, tap].
      if (col === null) {
        gemm(taps, pixels, og, wv, wOff, 1, taps, dyv, yOff, pixels, 1, dx, xOff, pixels);
        continue;
      }
      for (let oh0 = 0; oh0 < outHeight; oh0 += rows) {
        const oh1 = Math.min(outHeight, oh0 + rows);
        const band = (oh1 - oh0) * outWidth;
        col.fill(0, 0, taps * band);
        gemm(taps, band, og, wv, wOff, 1, taps, dyv, yOff + oh0 * outWidth, pixels, 1, col, 0, band);
        col2im(col, g, oh0, oh1, dx, xOff);
      }
    }
  }
  return [dx];
};

/** inputs [x, dy] → dw of outputs[0].shape, accumulated over the batch. */
const conv2dBackpropFilter: CpuKernel<Conv2dAttrs> = ({ inputs: [x, dy], attrs, outputs: [spec] }) => {
  const g = geometry(x.shape, spec.shape, dy.shape, attrs);
  const { batch, channels, height, width, outChannels, outHeight, outWidth, groups, cg, og, taps, pixels } =
    g;
  const xv = valuesOf(x);
  const dyv = valuesOf(dy);
  const dw = allocate(spec);
  const rows = bandRows(g);
  const col = g.pointwise ? null : scratch(taps * rows * outWidth);
  for (let n = 0; n < batch; n++) {
    for (let gi = 0; gi < groups; gi++) {
      const xOff = (n * channels + gi * cg) * height * width;
      const yOff = (n * outChannels + gi * og) * pixels;
      const wOff = gi * og * taps;
      // colᵀ: element (pixel, tap) is col[tap, pixel].
      if (col === null) {
        gemm(og, taps, pixels, dyv, yOff, pixels, 1, xv, xOff, 1, pixels, dw, wOff, taps);
        continue;
      }
      for (let oh0 = 0; oh0 < outHeight; oh0 += rows) {
        const oh1 = Math.min(outHeight, oh0 + rows);
        const band = (oh1 - oh0) * outWidth;
        im2col(xv, xOff, g, oh0, oh1, col);
        gemm(og, taps, band, dyv, yOff + oh0 * outWidth, pixels, 1, col, 0, 1, band, dw, wOff, taps);
      }
    }
  }
  return [dw];
};

export const convKernels: CpuKernelTable = {
  Conv2d: conv2d,
  Conv2dBackpropInput: conv2dBackpropInput,
  Conv2dBackpropFilter: conv2dBackpropFilter,
};
