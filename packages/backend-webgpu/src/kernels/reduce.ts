import type { DType, KernelAttrs } from '@myelin/core';
import {
  around,
  bufferOf,
  type GpuKernel,
  type GpuKernelTable,
  header,
  main1d,
  meta,
  output,
  strides,
  unravel,
  wgslType,
} from '../kernel.js';
import type { Runtime } from '../runtime.js';
import { convert } from './elementwise.js';
import { MATH_WGSL } from './math.wgsl.js';

/*
 * Reductions as workgroup trees: one workgroup of 64 threads per output element; each thread folds
 * a strided share of the reduced elements, then the workgroup halves its partials in shared memory.
 * The kept and reduced dims are walked through strides, so any axis set needs no transpose first.
 */

type ReduceOp = 'Sum' | 'Prod' | 'Max' | 'Min' | 'Any' | 'All';

/** [identity, combine(a, b)] per op and accumulator type. */
function reduceOp(op: ReduceOp, t: DType): [string, string] {
  const f = t === 'float32';
  switch (op) {
    case 'Sum':
      return [f ? '0.0' : '0', 'a + b'];
    case 'Prod':
      return [f ? '1.0' : '1', 'a * b'];
    case 'Max':
      return f
        ? ['-inf_()', 'select(max(a, b), nan_(), isnan_(a) || isnan_(b))']
        : ['-2147483647 - 1', 'max(a, b)'];
    case 'Min':
      return f
        ? ['inf_()', 'select(min(a, b), nan_(), isnan_(a) || isnan_(b))']
        : ['2147483647', 'min(a, b)'];
    case 'Any':
      return ['0u', 'a | b'];
    case 'All':
      return ['1u', 'a & b'];
  }
}

function reduceKernel(op: ReduceOp): GpuKernel<{ axes: number[] }> {
  return (rt, { inputs: [x], attrs, outputs: [spec] }) => {
    const out = output(rt, spec);
    const acc: DType = op === 'Any' || op === 'All' ? 'bool' : spec.dtype;
    const T = wgslType(acc);
    const xs = strides(x.shape);
    const kept: number[] = [];
    const red: number[] = [];
    x.shape.forEach((_, d) => {
      (attrs.axes.includes(d) ? red : kept).push(d);
    });
    const R = red.reduce((p, d) => p * x.shape[d], 1);
    const kr = kept.length;
    const rr = red.length;
    const words = [out.length, R];
    for (const d of kept) words.push(x.shape[d]);
    for (const d of kept) words.push(xs[d]);
    for (const d of red) words.push(x.shape[d]);
    for (const d of red) words.push(xs[d]);
    const [ident, combine] = reduceOp(op, acc);
    const source = `${MATH_WGSL}
${header([
  ['xs', wgslType(x.dtype)],
  ['out', T],
])}
var<workgroup> sh: array<${T}, 64>;
fn combine(a: ${T}, b: ${T}) -> ${T} { return ${combine}; }
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let o = i32(wid.x + wid.y * nwg.x);
  let valid = o < params[0];
  var acc: ${T} = ${ident};
  if (valid) {
    ${unravel('o', kr, 2, [['base', 2 + kr]])}
    for (var j = i32(t); j < params[1]; j += 64) {
      ${unravel('j', rr, 2 + 2 * kr, [['off', 2 + 2 * kr + rr]])
        .replaceAll('rem_', 'r2_')
        .replace(/\bc(\d+)\b/g, 'k$1')}
      acc = combine(acc, ${convert('xs[base + off]', x.dtype, acc)});
    }
  }
  sh[t] = acc;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (t < s) { sh[t] = combine(sh[t], sh[t + s]); }
    workgroupBarrier();
  }
  if (valid && t == 0u) { out[o] = sh[0]; }
}`;
    const n = out.length;
    if (n > 0) {
      const gx = Math.min(n, 65535);
      rt.dispatch(source, meta(words), [bufferOf(x), out.buffer as GPUBuffer], [gx, Math.ceil(n / gx), 1]);
    }
    return [out];
  };
}

/** A shader with one thread per (outer, inner) line along an axis: meta = [lines, len, inner]. */
function lineShader(arrays: [string, string][], body: string): string {
  return `${MATH_WGSL}
${header(arrays, arrays.length - 1)}
${main1d(`  let len = params[1];
  let inner = params[2];
  let base = (i / inner) * len * inner + i % inner;
${body}`)}`;
}

function runLines(
  rt: Runtime,
  shape: readonly number[],
  axis: number,
  source: string,
  buffers: GPUBuffer[],
): void {
  const [outer, len, inner] = around(shape, axis);
  rt.dispatch(source, meta([outer * inner, len, inner]), buffers, outer * inner);
}

function argReduce(largest: boolean): GpuKernel<{ axis: number }> {
  return (rt, { inputs: [x], attrs, outputs: [spec] }) => {
    const out = output(rt, spec);
    const T = wgslType(x.dtype);
    const better = largest ? 'v > b' : 'v < b';
    const nan = x.dtype === 'float32' ? ' || (isnan_(v) && !isnan_(b))' : '';
    const stop = x.dtype === 'float32' ? '    if (isnan_(b)) { break; }\n' : '';
    const source = lineShader(
      [
        ['xs', T],
        ['out', 'i32'],
      ],
      `  var b = xs[base];
  var at = 0;
  for (var k = 1; k < len; k++) {
${stop}    let v = xs[base + k * inner];
    if (${better}${nan}) { b = v; at = k; }
  }
  out[i] = at;`,
    );
    if (x.shape[attrs.axis] > 0)
      runLines(rt, x.shape, attrs.axis, source, [bufferOf(x), out.buffer as GPUBuffer]);
    return [out];
  };
}

function scan(op: 'Cumsum' | 'Cumprod'): GpuKernel<{ axis: number; reverse: boolean }> {
  return (rt, { inputs: [x], attrs, outputs: [spec] }) => {
    const out = output(rt, spec);
    const T = wgslType(spec.dtype);
    const one = spec.dtype === 'float32' ? (op === 'Cumsum' ? '0.0' : '1.0') : op === 'Cumsum' ? '0' : '1';
    const f = op === 'Cumsum' ? '+' : '*';
    const source = lineShader(
      [
        ['xs', wgslType(x.dtype)],
        ['out', T],
      ],
      `  var acc: ${T} = ${one};
  for (var s = 0; s < len; s++) {
    let k = ${attrs.reverse ? 'len - 1 - s' : 's'};
    acc = acc ${f} ${convert('xs[base + k * inner]', x.dtype, spec.dtype)};
    out[base + k * inner] = acc;
  }`,
    );
    runLines(rt, x.shape, attrs.axis, source, [bufferOf(x), out.buffer as GPUBuffer]);
    return [out];
  };
}

/** Fused softmax / logSoftmax along an axis: max, sum of exp, normalise, one thread per line. */
function softmax(log: boolean): GpuKernel<{ axis: number }> {
  return (rt, { inputs: [x], attrs, outputs: [spec] }) => {
    const out = output(rt, spec);
    const source = lineShader(
      [
        ['xs', 'f32'],
        ['out', 'f32'],
      ],
      `  var m = -inf_();
  for (var k = 0; k < len; k++) { let v = xs[base + k * inner]; if (v > m || isnan_(v)) { m = v; } }
  var s = 0.0;
  for (var k = 0; k < len; k++) { s += exp(xs[base + k * inner] - m); }
  ${log ? 'let ls = log(s);' : 'let inv = 1.0 / s;'}
  for (var k = 0; k < len; k++) {
    let v = xs[base + k * inner] - m;
    out[base + k * inner] = ${log ? 'v - ls' : 'exp(v) * inv'};
  }`,
    );
    if (x.shape.length > 0 && x.shape[attrs.axis] > 0)
      runLines(rt, x.shape, attrs.axis, source, [bufferOf(x), out.buffer as GPUBuffer]);
    else if (x.shape.length === 0) {
      runLines(rt, [1], 0, source, [bufferOf(x), out.buffer as GPUBuffer]);
    }
    return [out];
  };
}

export const reduceKernels: GpuKernelTable = {
  Sum: reduceKernel('Sum'),
  Prod: reduceKernel('Prod'),
  Max: reduceKernel('Max'),
  Min: reduceKernel('Min'),
  Any: reduceKernel('Any'),
  All: reduceKernel('All'),
  ArgMax: argReduce(true),
  ArgMin: argReduce(false),
  Cumsum: scan('Cumsum') as GpuKernel<KernelAttrs['Cumsum']>,
  Cumprod: scan('Cumprod') as GpuKernel<KernelAttrs['Cumprod']>,
  Softmax: softmax(false),
  LogSoftmax: softmax(true),
};
