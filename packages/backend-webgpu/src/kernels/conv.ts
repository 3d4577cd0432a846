import type { Conv2dAttrs, KernelAttrs, Pool2dAttrs } from '@myelin/core';
import { bufferOf, type GpuKernel, type GpuKernelTable, header, main1d, meta, output } from '../kernel.js';
import { gemmGroups, gemmSource } from './gemm.js';
import { MATH_WGSL } from './math.wgsl.js';

/* Convolution and pooling over NCHW. */

/*
 * Convolution as implicit GEMM on the tiled template (one grid layer per group), with the im2col
 * matrix read on the fly from the image so it is never materialised:
 *   forward  y[b, o, p]       = Σ_k w[o, k] · im2col(x)[k, (b, p)]      M = O/G, N = batch·OH·OW, K = C/G·KH·KW
 *   dx       dx[b, c, q]      = Σ_k wᵀ[c, (o, tap)] · dy[(o, tap), (b, q)] M = C/G, N = batch·H·W,   K = O/G·KH·KW
 *   dw       dw[o, (c, tap)]  = Σ_k dy[o, (b, p)] · im2col(x)[(b, p), (c, tap)]  M = O/G, N = C/G·KH·KW, K = batch·OH·OW
 * dx gathers, for each input pixel, the output pixels whose window covers it (stride divisibility
 * test), so all three are deterministic and need no atomics.
 *
 * params: [M, N, K, batch, C, H, W, O, OH, OW, KH, KW, sh, sw, pt, pl, dh, dw, G]
 */
/** Conv dims as private registers, filled once per invocation by `setup`. */
const DIMS = `var<private> NB: i32; var<private> C: i32; var<private> H: i32; var<private> W: i32;
var<private> O: i32; var<private> OH: i32; var<private> OW: i32; var<private> KH: i32; var<private> KW: i32;
var<private> sh: i32; var<private> sw: i32; var<private> pt: i32; var<private> pl: i32;
var<private> dh: i32; var<private> dw: i32; var<private> G: i32; var<private> Cg: i32; var<private> Og: i32;
var<private> T: i32; var<private> OHW: i32; var<private> HW: i32;
fn setup(z: i32) {
  NB = P(3); C = P(4); H = P(5); W = P(6); O = P(7); OH = P(8); OW = P(9); KH = P(10); KW = P(11);
  sh = P(12); sw = P(13); pt = P(14); pl = P(15); dh = P(16); dw = P(17); G = P(18);
  Cg = C / G; Og = O / G; T = KH * KW; OHW = OH * OW; HW = H * W;
}`;

/** Pixel (iy, ix) of x read by output pixel p = (oy, ox) at tap t = (ky, kx); 0 outside. */
const IM2COL = `${DIMS}
fn im2col(b: i32, ci: i32, p: i32, t: i32) -> f32 {
  let iy = (p / OW) * sh - pt + (t / KW) * dh;
  let ix = (p % OW) * sw - pl + (t % KW) * dw;
  if (iy < 0 || iy >= H || ix < 0 || ix >= W) { return 0.0; }
  return XS[((b * C + ci) * H + iy) * W + ix];
}`;

function convParams(
  mnk: [number, number, number],
  x: readonly number[],
  w: readonly number[],
  y: readonly number[],
  a: Conv2dAttrs,
): Int32Array {
  return meta([
    ...mnk,
    x[0],
    x[1],
    x[2],
    x[3],
    w[0],
    y[2],
    y[3],
    w[2],
    w[3],
    a.stride[0],
    a.stride[1],
    a.pad[0],
    a.pad[2],
    a.dilation[0],
    a.dilation[1],
    a.groups,
  ]);
}

const CONV_FORWARD = gemmSource({
  type: 'f32',
  functions: `${IM2COL.replaceAll('XS', 'B_')}
fn loadA(g: i32, m: i32, k: i32) -> f32 {
  return A_[(g * Og + m) * Cg * T + k]; }
fn loadB(g: i32, k: i32, n: i32) -> f32 {
  let b = n / OHW;
  return im2col(b, g * Cg + k / T, n % OHW, k % T); }
fn store(g: i32, m: i32, n: i32, v: f32) {
  C_[((n / OHW) * O + g * Og + m) * OH * OW + n % OHW] = v; }`,
});

const conv2d: GpuKernel<KernelAttrs['Conv2d']> = (rt, { inputs: [x, w], attrs, outputs: [spec] }) => {
  const out = output(rt, spec);
  const [NB, , OH, OW] = spec.shape;
  const [O, Cg, KH, KW] = w.shape;
  const G = attrs.groups;
  const mnk: [number, number, number] = [O / G, NB * OH * OW, Cg * KH * KW];
  if (out.length > 0)
    rt.dispatch(
      CONV_FORWARD,
      convParams(mnk, x.shape, w.shape, spec.shape, attrs),
      [bufferOf(w), bufferOf(x), out.buffer as GPUBuffer],
      gemmGroups(mnk[0], mnk[1], G),
    );
  return [out];
};

const CONV_BACKPROP_INPUT = gemmSource({
  type: 'f32',
  functions: `${DIMS}
fn loadA(g: i32, m: i32, k: i32) -> f32 {
  return A_[((g * Og + k / T) * Cg + m) * T + k % T]; }
fn loadB(g: i32, k: i32, n: i32) -> f32 {
  let t = k % T; let o = g * Og + k / T;
  let b = n / HW; let q = n % HW;
  let ty = q / W + pt - (t / KW) * dh;
  let tx = q % W + pl - (t % KW) * dw;
  if (ty < 0 || tx < 0 || ty % sh != 0 || tx % sw != 0) { return 0.0; }
  let oy = ty / sh; let ox = tx / sw;
  if (oy >= OH || ox >= OW) { return 0.0; }
  return B_[((b * O + o) * OH + oy) * OW + ox]; }
fn store(g: i32, m: i32, n: i32, v: f32) {
  C_[((n / HW) * C + g * Cg + m) * H * W + n % HW] = v; }`,
});

const conv2dBackpropInput: GpuKernel<KernelAttrs['Conv2dBackpropInput']> = (
  rt,
  { inputs: [dy, w], attrs, outputs: [spec] },
) => {
  const out = output(rt, spec);
  const [NB, C, H, W] = spec.shape;
  const [O, , KH, KW] = w.shape;
  const G = attrs.groups;
  const mnk: [number, number, number] = [C / G, NB * H * W, (O / G) * KH * KW];
  if (out.length > 0)
    rt.dispatch(
      CONV_BACKPROP_INPUT,
      convParams(mnk, spec.shape, w.shape, dy.shape, attrs),
      [bufferOf(w), bufferOf(dy), out.buffer as GPUBuffer],
      gemmGroups(mnk[0], mnk[1], G),
    );
  return [out];
};

const CONV_BACKPROP_FILTER = gemmSource({
  type: 'f32',
  functions: `${IM2COL.replaceAll('XS', 'B_')}
fn loadA(g: i32, m: i32, k: i32) -> f32 {
  let b = k / OHW;
  return A_[(b * O + g * Og + m) * OH * OW + k % OHW]; }
fn loadB(g: i32, k: i32, n: i32) -> f32 {
  return im2col(k / OHW, g * Cg + n / T, k % OHW, n % T); }
fn store(g: i32, m: i32, n: i32, v: f32) {
  C_[(g * Og + m) * Cg * T + n] = v; }`,
});

const conv2dBackpropFilter: GpuKernel<KernelAttrs['Conv2dBackpropFilter']> = (
  rt,
  { inputs: [x, dy], attrs, outputs: [spec] },
) => {
  const out = output(rt, spec);
  const [O, Cg, KH, KW] = spec.shape;
  const [NB, , OH, OW] = dy.shape;
  const G = attrs.groups;
  const mnk: [number, number, number] = [O / G, Cg * KH * KW, NB * OH * OW];
  if (out.length > 0)
    rt.dispatch(
      CONV_BACKPROP_FILTER,
      convParams(mnk, x.shape, spec.shape, dy.shape, attrs),
      [bufferOf(dy), bufferOf(x), out.buffer as GPUBuffer],
      gemmGroups(mnk[0], mnk[1], G),
    );
  return [out];
};

// Pool meta: [n, H, W, OH, OW, KH, KW, sh, sw, pt, pb, pl, pr, dh, dw, countIncludePad]
function poolMeta(
  n: number,
  x: readonly number[],
  y: readonly number[],
  a: Pool2dAttrs,
  cip = false,
): Int32Array {
  return meta([
    n,
    x[2],
    x[3],
    y[2],
    y[3],
    a.kernel[0],
    a.kernel[1],
    a.stride[0],
    a.stride[1],
    ...a.pad,
    a.dilation[0],
    a.dilation[1],
    cip ? 1 : 0,
  ]);
}

const POOL_WGSL = `${MATH_WGSL}
fn P(k: i32) -> i32 { return params[k]; }
// Flat input index of the window's maximum (first in-bounds tap; a NaN takes over), or -1.
fn argmaxWindow(plane: i32, oh: i32, ow: i32) -> i32 {
  let H = P(1); let W = P(2);
  var best = -inf_();
  var at = -1;
  for (var ky = 0; ky < P(5); ky++) {
    let iy = oh * P(7) - P(9) + ky * P(13);
    if (iy < 0 || iy >= H) { continue; }
    for (var kx = 0; kx < P(6); kx++) {
      let ix = ow * P(8) - P(11) + kx * P(14);
      if (ix < 0 || ix >= W) { continue; }
      let j = (plane * H + iy) * W + ix;
      let v = xs[j];
      if (at < 0 || v > best || isnan_(v)) { best = v; at = j; }
    }
  }
  return at;
}
// Divisor of a window: taps inside the padded extent, or inside the input.
fn divisor(oh: i32, ow: i32) -> f32 {
  var rows = 0; var cols = 0;
  for (var ky = 0; ky < P(5); ky++) {
    let iy = oh * P(7) - P(9) + ky * P(13);
    if (P(15) == 1) { if (iy < P(1) + P(10)) { rows++; } } else if (iy >= 0 && iy < P(1)) { rows++; }
  }
  for (var kx = 0; kx < P(6); kx++) {
    let ix = ow * P(8) - P(11) + kx * P(14);
    if (P(15) == 1) { if (ix < P(2) + P(12)) { cols++; } } else if (ix >= 0 && ix < P(2)) { cols++; }
  }
  return f32(rows * cols);
}`;

const maxPool2d: GpuKernel<KernelAttrs['MaxPool2d']> = (rt, { inputs: [x], attrs, outputs: [spec] }) => {
  const out = output(rt, spec);
  const source = `${header([
    ['xs', 'f32'],
    ['out', 'f32'],
  ])}
${POOL_WGSL}
${main1d(`  let ow = i % P(4); let oh = (i / P(4)) % P(3); let plane = i / (P(4) * P(3));
  let at = argmaxWindow(plane, oh, ow);
  if (at < 0) { out[i] = -inf_(); } else { out[i] = xs[at]; }`)}`;
  rt.dispatch(
    source,
    poolMeta(out.length, x.shape, spec.shape, attrs),
    [bufferOf(x), out.buffer as GPUBuffer],
    out.length,
  );
  return [out];
};

/** Loops over the windows (oh, ow) that contain input pixel (iy, ix); `body` sees oh, ow. */
function windowsOf(body: string): string {
  return `  let ix = i % P(2); let iy = (i / P(2)) % P(1); let plane = i / (P(2) * P(1));
  var acc = 0.0;
  for (var ky = 0; ky < P(5); ky++) {
    let ty = iy + P(9) - ky * P(13);
    if (ty < 0 || ty % P(7) != 0 || ty / P(7) >= P(3)) { continue; }
    let oh = ty / P(7);
    for (var kx = 0; kx < P(6); kx++) {
      let tx = ix + P(11) - kx * P(14);
      if (tx < 0 || tx % P(8) != 0 || tx / P(8) >= P(4)) { continue; }
      let ow = tx / P(8);
      ${body}
    }
  }
  out[i] = acc;`;
}

const maxPool2dGrad: GpuKernel<KernelAttrs['MaxPool2dGrad']> = (
  rt,
  { inputs: [dy, x], attrs, outputs: [spec] },
) => {
  const out = output(rt, spec);
  const source = `${header([
    ['xs', 'f32'],
    ['dys', 'f32'],
    ['out', 'f32'],
  ])}
${POOL_WGSL}
${main1d(windowsOf('if (argmaxWindow(plane, oh, ow) == i) { acc += dys[(plane * P(3) + oh) * P(4) + ow]; }'))}`;
  rt.dispatch(
    source,
    poolMeta(out.length, x.shape, dy.shape, attrs),
    [bufferOf(x), bufferOf(dy), out.buffer as GPUBuffer],
    out.length,
  );
  return [out];
};

const avgPool2d: GpuKernel<KernelAttrs['AvgPool2d']> = (rt, { inputs: [x], attrs, outputs: [spec] }) => {
  const out = output(rt, spec);
  const source = `${header([
    ['xs', 'f32'],
    ['out', 'f32'],
  ])}
${POOL_WGSL}
${main1d(`  let ow = i % P(4); let oh = (i / P(4)) % P(3); let plane = i / (P(4) * P(3));
  var s = 0.0;
  for (var ky = 0; ky < P(5); ky++) {
    let iy = oh * P(7) - P(9) + ky * P(13);
    if (iy < 0 || iy >= P(1)) { continue; }
    for (var kx = 0; kx < P(6); kx++) {
      let ix = ow * P(8) - P(11) + kx * P(14);
      if (ix < 0 || ix >= P(2)) { continue; }
      s += xs[(plane * P(1) + iy) * P(2) + ix];
    }
  }
  out[i] = s / divisor(oh, ow);`)}`;
  rt.dispatch(
    source,
    poolMeta(out.length, x.shape, spec.shape, attrs, attrs.countIncludePad),
    [bufferOf(x), out.buffer as GPUBuffer],
    out.length,
  );
  return [out];
};

const avgPool2dGrad: GpuKernel<KernelAttrs['AvgPool2dGrad']> = (
  rt,
  { inputs: [dy], attrs, outputs: [spec] },
) => {
  const out = output(rt, spec);
  // POOL_WGSL's argmaxWindow reads `xs`; bind dy there (it is never called here).
  const source = `${header([
    ['xs', 'f32'],
    ['out', 'f32'],
  ])}
${POOL_WGSL}
${main1d(windowsOf('acc += xs[(plane * P(3) + oh) * P(4) + ow] / divisor(oh, ow);'))}`;
  rt.dispatch(
    source,
    poolMeta(out.length, spec.shape, dy.shape, attrs, attrs.countIncludePad),
    [bufferOf(dy), out.buffer as GPUBuffer],
    out.length,
  );
  return [out];
};

export const convKernels: GpuKernelTable = {
  Conv2d: conv2d,
  Conv2dBackpropInput: conv2dBackpropInput,
  Conv2dBackpropFilter: conv2dBackpropFilter,
  MaxPool2d: maxPool2d,
  MaxPool2dGrad: maxPool2dGrad,
  AvgPool2d: avgPool2d,
  AvgPool2dGrad: avgPool2dGrad,
};
