import type { BiasActivation, KernelAttrs } from '@myelin/core';
import { BIAS_ACTIVATION_ROWS } from '@myelin/core';
import {
  around,
  bufferOf,
  f32bits,
  type GpuKernel,
  type GpuKernelTable,
  header,
  main1d,
  meta,
  output,
} from '../kernel.js';
import { floatFormula } from './elementwise.js';
import { MATH_WGSL } from './math.wgsl.js';
import { unrolled } from './reduce.js';

/*
 * Fused composites of the nn layers. LayerNorm runs one workgroup per row: the threads fold strided
 * shares of the row, a shared-memory tree gives the mean, a second pass the sum of squared
 * deviations (two passes keep the variance free of the cancellation of E[x²] − E[x]²), and each
 * thread writes its share normalised. BiasAct is elementwise: the bias index is (i / inner) % len.
 */

const WG = 64;

/** WGSL that sums each thread's `v` over the workgroup into sh[0] (every thread may then read it). */
function tree(v: string): string {
  return `sh[t] = ${v};
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k = k >> 1u) {
    if (t < k) { sh[t] = sh[t] + sh[t + k]; }
    workgroupBarrier();
  }`;
}

const layerNorm: GpuKernel<KernelAttrs['LayerNorm']> = (rt, { inputs: [x], attrs, outputs: [spec] }) => {
  const out = output(rt, spec);
  const size = attrs.size;
  const rows = size > 0 ? out.length / size : 0;
  if (rows === 0) return [out];
  const source = `${MATH_WGSL}
${header([
  ['xs', 'f32'],
  ['out', 'f32'],
])}
var<workgroup> sh: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let row = i32(wid.x + wid.y * nwg.x);
  let valid = row < params[0];
  let size = params[1];
  let base = row * size;
  let n = f32(size);
  var s = 0.0;
  if (valid) {
    ${unrolled('j', 'i32(t)', 'size', `${WG}`, 's += xs[base + j];')}
  }
  ${tree('s')}
  let mean = sh[0] / n;
  workgroupBarrier();
  var q = 0.0;
  if (valid) {
    ${unrolled('j', 'i32(t)', 'size', `${WG}`, 'let d = xs[base + j] - mean; q += d * d;')}
  }
  ${tree('q')}
  let rstd = 1.0 / sqrt(sh[0] / n + bitcast<f32>(params[2]));
  if (valid) {
    ${unrolled('j', 'i32(t)', 'size', `${WG}`, 'out[base + j] = (xs[base + j] - mean) * rstd;')}
  }
}`;
  const gx = Math.min(rows, 65535);
  rt.dispatch(
    source,
    meta([rows, size, f32bits(attrs.eps)]),
    [bufferOf(x), out.buffer as GPUBuffer],
    [gx, Math.ceil(rows / gx), 1],
  );
  return [out];
};

/** The WGSL formula of each bias activation, from its row of core's unary table. */
const biasActivation = (a: BiasActivation) => (a === 'none' ? 'x' : floatFormula(BIAS_ACTIVATION_ROWS[a]));

const biasAct: GpuKernel<KernelAttrs['BiasAct']> = (rt, { inputs: [x, bias], attrs, outputs: [spec] }) => {
  const out = output(rt, spec);
  const n = out.length;
  if (n === 0) return [out];
  const [, len, inner] = around(x.shape, attrs.axis);
  const source = `${MATH_WGSL}
${header([
  ['xs', 'f32'],
  ['bs', 'f32'],
  ['out', 'f32'],
])}
fn act(x: f32) -> f32 { return ${biasActivation(attrs.activation)}; }
${main1d(`  out[i] = act(xs[i] + bs[(i / params[2]) % params[1]]);`)}`;
  rt.dispatch(source, meta([n, len, inner]), [bufferOf(x), bufferOf(bias), out.buffer as GPUBuffer], n);
  return [out];
};

export const nnKernels: GpuKernelTable = {
  LayerNorm: layerNorm,
  BiasAct: biasAct,
};
