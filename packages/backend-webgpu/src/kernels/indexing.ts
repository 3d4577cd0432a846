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
import { MATH_WGSL } from './math.wgsl.js';
import { unrolled } from './reduce.js';

/*
 * Indexing kernels, all written as gathers (one thread per output element) so they are
 * deterministic and need no atomics: Scatter and ScatterAdd let each output element scan the index
 * entries that could target it, in order, so duplicate indices resolve as on the CPU (last write
 * wins; sums accumulate in index order). Sort and TopK rank each element by counting the elements
 * that go before it (a stable total order with NaN last ascending / first descending), which is
 * O(n²) per row: right for the short rows of classification heads, not for sorting millions.
 */

/** torch.gather: out[c] = x[c with c[axis] = index[c]]; meta = [n, outShape, xStrides]. */
const gather: GpuKernel<KernelAttrs['Gather']> = (rt, { inputs: [x, index], attrs, outputs: [spec] }) => {
  const out = output(rt, spec);
  const rank = spec.shape.length;
  const xs = strides(x.shape);
  const source = `${header([
    ['xs', 'u32'],
    ['idx', 'i32'],
    ['out', 'u32'],
  ])}
${main1d(`  ${unravel('i', rank, 1, [], (d) => (d === attrs.axis ? `o += idx[i] * params[${1 + rank + d}];` : `o += c${d} * params[${1 + rank + d}];`)).replace('var rem_', 'var o = 0;\n  var rem_')}
  out[i] = xs[o];`)}`;
  rt.dispatch(
    source,
    meta([out.length, ...spec.shape, ...xs]),
    [bufferOf(x), bufferOf(index), out.buffer as GPUBuffer],
    out.length,
  );
  return [out];
};

/** Whole slices along axis: out[a, j, b] = x[a, index[j], b]; meta = [n, outLen, inner, xLen]. */
const indexSelect: GpuKernel<KernelAttrs['IndexSelect']> = (
  rt,
  { inputs: [x, index], attrs, outputs: [spec] },
) => {
  const out = output(rt, spec);
  const [, len, inner] = around(spec.shape, attrs.axis);
  const xLen = x.shape[attrs.axis];
  const source = `${header([
    ['xs', 'u32'],
    ['idx', 'i32'],
    ['out', 'u32'],
  ])}
${main1d(`  let inner = params[2];
  let b = i % inner;
  let j = (i / inner) % params[1];
  let a = i / (inner * params[1]);
  out[i] = xs[(a * params[3] + idx[j]) * inner + b];`)}`;
  rt.dispatch(
    source,
    meta([out.length, len, inner, xLen]),
    [bufferOf(x), bufferOf(index), out.buffer as GPUBuffer],
    out.length,
  );
  return [out];
};

/**
 * Scatter / ScatterAdd as a gather over the output: element c takes x[c], then for j along the
 * index's axis (c's other coords inside the index shape) where index[c, j] == c[axis], takes (or
 * adds) src[c, j]. meta = [n, xShape, idxShape, idxStrides, srcStrides].
 */
function scatter(add: boolean): GpuKernel<{ axis: number }> {
  return (rt, { inputs: [x, index, src], attrs, outputs: [spec] }) => {
    const out = output(rt, spec);
    const rank = spec.shape.length;
    const ax = attrs.axis;
    const T = wgslType(spec.dtype);
    const IS = 1 + rank;
    const IST = 1 + 2 * rank;
    const SST = 1 + 3 * rank;
    // bool (u32 0/1) adds saturate to a logical or, so true + true stays 1
    const s = `srcs[sp + j * params[${SST + ax}]]`;
    const combine = !add ? s : spec.dtype === 'bool' ? `v | ${s}` : `v + ${s}`;
    const coord = (d: number) =>
      d === ax
        ? `let t = c${d};`
        : `if (c${d} >= params[${IS + d}]) { inside = false; } ip += c${d} * params[${IST + d}]; sp += c${d} * params[${SST + d}];`;
    const source = `${header([
      ['xs', T],
      ['idx', 'i32'],
      ['srcs', T],
      ['out', T],
    ])}
${main1d(`  var inside = true;
  var ip = 0;
  var sp = 0;
  ${unravel('i', rank, 1, [], coord)}
  var v = xs[i];
  if (inside) {
    ${unrolled('j', '0', `params[${IS + ax}]`, '1', `if (idx[ip + j * params[${IST + ax}]] == t) { v = ${combine}; }`)}
  }
  out[i] = v;`)}`;
    const words = [out.length, ...spec.shape, ...index.shape, ...strides(index.shape), ...strides(src.shape)];
    rt.dispatch(
      source,
      meta(words),
      [bufferOf(x), bufferOf(index), bufferOf(src), out.buffer as GPUBuffer],
      out.length,
    );
    return [out];
  };
}

/** WGSL: whether key u (at position pu) goes strictly before key v (at pv) in the sort. */
function beforeFn(dtype: DType, descending: boolean): string {
  const T = wgslType(dtype);
  const nanU = dtype === 'float32' ? 'isnan_(u)' : 'false';
  const nanV = dtype === 'float32' ? 'isnan_(v)' : 'false';
  const strict = descending ? `(u > v || (${nanU} && !${nanV}))` : `(u < v || (${nanV} && !${nanU}))`;
  const equal = `(u == v || (${nanU} && ${nanV}))`;
  return `fn before(u: ${T}, pu: i32, v: ${T}, pv: i32) -> bool { return ${strict} || (${equal} && pu < pv); }`;
}

/**
 * Rank every element of its line; write it (and its position) at its rank, if the rank is below
 * `keep`. meta = [n, len, inner, keep].
 */
function rankShader(dtype: DType, descending: boolean): string {
  const T = wgslType(dtype);
  return `${MATH_WGSL}
${header(
  [
    ['xs', T],
    ['vals', T],
    ['inds', 'i32'],
  ],
  2,
)}
${beforeFn(dtype, descending)}
${main1d(`  let len = params[1];
  let inner = params[2];
  let keep = params[3];
  let b = i % inner;
  let p = (i / inner) % len;
  let a = i / (inner * len);
  let base = a * len * inner + b;
  let u = xs[i];
  var r = 0;
  ${unrolled('q', '0', 'len', '1', 'if (before(xs[base + q * inner], q, u, p)) { r++; }')}
  if (r < keep) {
    let o = (a * keep + r) * inner + b;
    vals[o] = u;
    inds[o] = p;
  }`)}`;
}

const sort: GpuKernel<KernelAttrs['Sort']> = (rt, { inputs: [x], attrs, outputs: [vs, is] }) => {
  const vals = output(rt, vs);
  const inds = output(rt, is);
  const [, len, inner] = around(x.shape, attrs.axis);
  rt.dispatch(
    rankShader(x.dtype, attrs.descending),
    meta([vals.length, len, inner, len]),
    [bufferOf(x), vals.buffer as GPUBuffer, inds.buffer as GPUBuffer],
    vals.length,
  );
  return [vals, inds];
};

const topk: GpuKernel<KernelAttrs['TopK']> = (rt, { inputs: [x], attrs, outputs: [vs, is] }) => {
  const vals = output(rt, vs);
  const inds = output(rt, is);
  const len = x.shape.length > 0 ? x.shape[x.shape.length - 1] : 1;
  const n = x.shape.reduce((p, d) => p * d, 1);
  if (attrs.k > 0)
    rt.dispatch(
      rankShader(x.dtype, attrs.largest),
      meta([n, len, 1, attrs.k]),
      [bufferOf(x), vals.buffer as GPUBuffer, inds.buffer as GPUBuffer],
      n,
    );
  return [vals, inds];
};

export const indexingKernels: GpuKernelTable = {
  Gather: gather,
  IndexSelect: indexSelect,
  Scatter: scatter(false),
  ScatterAdd: scatter(true),
  Sort: sort,
  TopK: topk,
};
