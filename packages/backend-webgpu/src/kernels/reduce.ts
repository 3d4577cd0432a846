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

/** Loop bodies per iteration of an unrolled loop (see `unrolled`). */
export const UNROLL = 8;

/**
 * WGSL running `body` for `v` = lo, lo + step, … while v < hi, in order, UNROLL values per loop
 * iteration, each bounds-checked. Mesa's llvmpipe (the adapter of GPU-less machines) ends every loop
 * of an invocation once the invocation has run 65,535 loop iterations in total, silently; unrolled,
 * an invocation may walk UNROLL times as many values. `body` may `break` (it leaves the loop) but
 * must not `continue`. `v` and `lo` / `hi` / `step` are i32 expressions.
 */
export function unrolled(v: string, lo: string, hi: string, step: string, body: string): string {
  const steps: string[] = [];
  for (let u = 0; u < UNROLL; u++) {
    const at = u === 0 ? `${v}0` : `${v}0 + ${u} * (${step})`;
    steps.push(`{ let ${v} = ${at}; if (${v} < ${hi}) { ${body} } }`);
  }
  return `for (var ${v}0 = ${lo}; ${v}0 < ${hi}; ${v}0 += ${UNROLL} * (${step})) {
    ${steps.join('\n    ')}
  }`;
}

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
    ${unrolled(
      'j',
      'i32(t)',
      'params[1]',
      '64',
      `${unravel('j', rr, 2 + 2 * kr, [['off', 2 + 2 * kr + rr]])
        .replaceAll('rem_', 'r2_')
        .replace(/\bc(\d+)\b/g, 'k$1')}
      acc = combine(acc, ${convert('xs[base + off]', x.dtype, acc)});`,
    )}
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
function lineShader(arrays: [string, string][], body: string, decls = ''): string {
  return `${MATH_WGSL}
${header(arrays, arrays.length - 1)}
${decls}
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

/** Line length from which softmax, argmax / argmin and the scans run one workgroup per line. */
export const LONG_LINE = 1024;

/**
 * ArgMax / ArgMin along an axis: the first index of the extreme (the first NaN, for floats). Short
 * lines get one thread each; lines of LONG_LINE or more a workgroup of 64 threads, each scanning a
 * strided share, then a shared-memory tree of (value, index) pairs in which ties go to the lower
 * index. meta = [lines, len, inner].
 */
function argReduce(largest: boolean): GpuKernel<{ axis: number }> {
  return (rt, { inputs: [x], attrs, outputs: [spec] }) => {
    const out = output(rt, spec);
    const T = wgslType(x.dtype);
    const float = x.dtype === 'float32';
    const better = `fn better(v: ${T}, b: ${T}) -> bool { return ${largest ? 'v > b' : 'v < b'}${float ? ' || (isnan_(v) && !isnan_(b))' : ''}; }`;
    const same = `fn same(v: ${T}, b: ${T}) -> bool { return v == b${float ? ' || (isnan_(v) && isnan_(b))' : ''}; }`;
    const stop = float ? 'if (isnan_(b)) { break; }' : '';
    const buffers = [bufferOf(x), out.buffer as GPUBuffer];
    const [outer, len, inner] = around(x.shape, attrs.axis);
    const lines = outer * inner;
    if (len === 0 || lines === 0) return [out];
    if (len < LONG_LINE) {
      const source = lineShader(
        [
          ['xs', T],
          ['out', 'i32'],
        ],
        `  var b = xs[base];
  var at = 0;
  for (var k = 1; k < len; k++) {
    ${stop}
    let v = xs[base + k * inner];
    if (better(v, b)) { b = v; at = k; }
  }
  out[i] = at;`,
        better,
      );
      runLines(rt, x.shape, attrs.axis, source, buffers);
      return [out];
    }
    const source = `${MATH_WGSL}
${header([
  ['xs', T],
  ['out', 'i32'],
])}
${better}
${same}
var<workgroup> shv: array<${T}, 64>;
var<workgroup> shi: array<i32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let o = i32(wid.x + wid.y * nwg.x);
  let valid = o < params[0];
  let len = select(0, params[1], valid);
  let inner = params[2];
  let base = (o / inner) * len * inner + o % inner;
  // len >= 64 here, so every thread of a valid workgroup starts from an element of its own share
  var b = xs[select(0, base + i32(t) * inner, valid)];
  var at = i32(t);
  ${unrolled('k', 'i32(t) + 64', 'len', '64', `${stop} let v = xs[base + k * inner]; if (better(v, b)) { b = v; at = k; }`)}
  shv[t] = b;
  shi[t] = at;
  workgroupBarrier();
  for (var h = 32u; h > 0u; h = h >> 1u) {
    if (t < h) {
      let v = shv[t + h];
      let j = shi[t + h];
      if (better(v, shv[t]) || (same(v, shv[t]) && j < shi[t])) { shv[t] = v; shi[t] = j; }
    }
    workgroupBarrier();
  }
  if (valid && t == 0u) { out[o] = shi[0]; }
}`;
    const gx = Math.min(lines, 65535);
    rt.dispatch(source, meta([lines, len, inner]), buffers, [gx, Math.ceil(lines / gx), 1]);
    return [out];
  };
}

/**
 * Cumsum / Cumprod along an axis. Short lines get one thread each, scanning in order (unrolled,
 * see `unrolled`). Lines of LONG_LINE or more get a workgroup of 64 threads each: thread t owns the
 * t-th run of ⌈len / 64⌉ consecutive positions (in scan order, so `reverse` only maps positions);
 * it folds its run, thread 0 turns the 64 run totals into exclusive prefixes in shared memory, and
 * every thread rescans its run from its prefix, writing as it goes. Floats are then summed in a
 * different order than a serial scan (a rounding-level difference). meta = [lines, len, inner].
 */
function scan(op: 'Cumsum' | 'Cumprod'): GpuKernel<{ axis: number; reverse: boolean }> {
  return (rt, { inputs: [x], attrs, outputs: [spec] }) => {
    const out = output(rt, spec);
    const T = wgslType(spec.dtype);
    const one = spec.dtype === 'float32' ? (op === 'Cumsum' ? '0.0' : '1.0') : op === 'Cumsum' ? '0' : '1';
    const f = op === 'Cumsum' ? '+' : '*';
    const at = attrs.reverse ? 'len - 1 - s' : 's';
    const value = convert('xs[base + k * inner]', x.dtype, spec.dtype);
    const buffers = [bufferOf(x), out.buffer as GPUBuffer];
    const [outer, len, inner] = around(x.shape, attrs.axis);
    const lines = outer * inner;
    if (len < LONG_LINE) {
      const source = lineShader(
        [
          ['xs', wgslType(x.dtype)],
          ['out', T],
        ],
        `  var acc: ${T} = ${one};
  for (var s = 0; s < len; s++) {
    let k = ${at};
    acc = acc ${f} ${value};
    out[base + k * inner] = acc;
  }`,
      );
      runLines(rt, x.shape, attrs.axis, source, buffers);
      return [out];
    }
    const source = `${MATH_WGSL}
${header([
  ['xs', wgslType(x.dtype)],
  ['out', T],
])}
var<workgroup> sh: array<${T}, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let o = i32(wid.x + wid.y * nwg.x);
  let valid = o < params[0];
  let len = select(0, params[1], valid);
  let inner = params[2];
  let base = (o / inner) * len * inner + o % inner;
  let run = (len + 63) / 64;
  let lo = min(len, i32(t) * run);
  let hi = min(len, lo + run);
  var acc: ${T} = ${one};
  ${unrolled('s', 'lo', 'hi', '1', `let k = ${at}; acc = acc ${f} ${value};`)}
  sh[t] = acc;
  workgroupBarrier();
  if (t == 0u) {
    var before: ${T} = ${one};
    for (var j = 0; j < 64; j++) { let v = sh[j]; sh[j] = before; before = before ${f} v; }
  }
  workgroupBarrier();
  acc = sh[t];
  ${unrolled('s', 'lo', 'hi', '1', `let k = ${at}; acc = acc ${f} ${value}; out[base + k * inner] = acc;`)}
}`;
    const gx = Math.min(lines, 65535);
    if (lines > 0) rt.dispatch(source, meta([lines, len, inner]), buffers, [gx, Math.ceil(lines / gx), 1]);
    return [out];
  };
}

/**
 * Fused softmax / logSoftmax along an axis: max, sum of exp, normalise. Short lines get one thread
 * each. Lines of LONG_LINE or more get a workgroup of 64 threads each: every thread folds a
 * strided share of the line, shared-memory trees combine the max and then the sum, and every thread
 * writes its share, so a thread walks len / 64 elements per pass (not len) and a long row is not one
 * thread's serial loop. meta = [lines, len, inner].
 */
function softmax(log: boolean): GpuKernel<{ axis: number }> {
  return (rt, { inputs: [x], attrs, outputs: [spec] }) => {
    const out = output(rt, spec);
    const buffers = [bufferOf(x), out.buffer as GPUBuffer];
    const last = log ? 'v - ls' : 'exp(v) * inv';
    const norm = log ? 'let ls = log(s);' : 'let inv = 1.0 / s;';
    if (x.shape.length === 0) {
      runLines(rt, [1], 0, softmaxLines(norm, last), buffers);
      return [out];
    }
    const [outer, len, inner] = around(x.shape, attrs.axis);
    const lines = outer * inner;
    if (len === 0 || lines === 0) return [out];
    if (len < LONG_LINE) {
      runLines(rt, x.shape, attrs.axis, softmaxLines(norm, last), buffers);
      return [out];
    }
    const source = `${MATH_WGSL}
${header([
  ['xs', 'f32'],
  ['out', 'f32'],
])}
var<workgroup> sh: array<f32, 64>;
fn maxNan(a: f32, b: f32) -> f32 { return select(max(a, b), nan_(), isnan_(a) || isnan_(b)); }
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let o = i32(wid.x + wid.y * nwg.x);
  let valid = o < params[0];
  let len = select(0, params[1], valid);
  let inner = params[2];
  let base = (o / inner) * len * inner + o % inner;
  var m = -inf_();
  ${unrolled('k', 'i32(t)', 'len', '64', 'm = maxNan(m, xs[base + k * inner]);')}
  sh[t] = m;
  workgroupBarrier();
  for (var h = 32u; h > 0u; h = h >> 1u) {
    if (t < h) { sh[t] = maxNan(sh[t], sh[t + h]); }
    workgroupBarrier();
  }
  m = sh[0];
  workgroupBarrier();
  var s = 0.0;
  ${unrolled('k', 'i32(t)', 'len', '64', 's += exp(xs[base + k * inner] - m);')}
  sh[t] = s;
  workgroupBarrier();
  for (var h = 32u; h > 0u; h = h >> 1u) {
    if (t < h) { sh[t] = sh[t] + sh[t + h]; }
    workgroupBarrier();
  }
  s = sh[0];
  ${norm}
  ${unrolled('k', 'i32(t)', 'len', '64', `let v = xs[base + k * inner] - m; out[base + k * inner] = ${last};`)}
}`;
    const gx = Math.min(lines, 65535);
    rt.dispatch(source, meta([lines, len, inner]), buffers, [gx, Math.ceil(lines / gx), 1]);
    return [out];
  };
}

/** The one-thread-per-line softmax shader (lines shorter than LONG_LINE: 3·len loop iterations). */
function softmaxLines(norm: string, last: string): string {
  return lineShader(
    [
      ['xs', 'f32'],
      ['out', 'f32'],
    ],
    `  var m = -inf_();
  for (var k = 0; k < len; k++) { let v = xs[base + k * inner]; if (v > m || isnan_(v)) { m = v; } }
  var s = 0.0;
  for (var k = 0; k < len; k++) { s += exp(xs[base + k * inner] - m); }
  ${norm}
  for (var k = 0; k < len; k++) {
    let v = xs[base + k * inner] - m;
    out[base + k * inner] = ${last};
  }`,
  );
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
