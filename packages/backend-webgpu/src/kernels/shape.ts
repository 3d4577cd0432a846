import type { KernelAttrs } from '@myelin/core';
import { sizeOf } from '@myelin/core';
import {
  around,
  bitsOf,
  bufferOf,
  type GpuKernel,
  type GpuKernelTable,
  header,
  hostFor,
  hostOf,
  main1d,
  meta,
  output,
  strides,
  unravel,
} from '../kernel.js';
import { stridedCopy } from './elementwise.js';

/*
 * Data movement moves 32-bit words whatever the dtype. Transpose, Slice and Flip are one strided
 * gather (`stridedCopy`): out[i] = x[base + Σ coord·stride] with permuted, stepped or negative
 * strides. Pad and Tile map output coordinates back with a bounds/reflect or modulo rule; Concat
 * copies each input into its band of the output.
 */

const transpose: GpuKernel<KernelAttrs['Transpose']> = (rt, { inputs: [x], attrs, outputs: [spec] }) => {
  const xs = strides(x.shape);
  return [
    stridedCopy(
      rt,
      x,
      spec,
      0,
      attrs.perm.map((p) => xs[p]),
    ),
  ];
};

const slice: GpuKernel<KernelAttrs['Slice']> = (rt, { inputs: [x], attrs, outputs: [spec] }) => {
  const xs = strides(x.shape);
  let base = 0;
  for (let d = 0; d < xs.length; d++) base += attrs.begin[d] * xs[d];
  return [
    stridedCopy(
      rt,
      x,
      spec,
      base,
      xs.map((s, d) => s * attrs.step[d]),
    ),
  ];
};

const flip: GpuKernel<KernelAttrs['Flip']> = (rt, { inputs: [x], attrs, outputs: [spec] }) => {
  const xs = strides(x.shape);
  let base = 0;
  const st = xs.map((s, d) => {
    if (!attrs.axes.includes(d)) return s;
    base += (x.shape[d] - 1) * s;
    return -s;
  });
  return [stridedCopy(rt, x, spec, base, st)];
};

const tile: GpuKernel<KernelAttrs['Tile']> = (rt, { inputs: [x], outputs: [spec] }) => {
  const out = output(rt, spec);
  const rank = spec.shape.length;
  // x may have lower rank than reps: align on the right with leading 1s.
  const xShape = [...new Array<number>(rank - x.shape.length).fill(1), ...x.shape];
  const xs = strides(xShape);
  const source = `${header([
    ['xs', 'u32'],
    ['out', 'u32'],
  ])}
${main1d(`  ${unravel('i', rank, 1, [], (d) => `o += (c${d} % params[${1 + rank + d}]) * params[${1 + 2 * rank + d}];`).replace('var rem_', 'var o = 0;\n  var rem_')}
  out[i] = xs[o];`)}`;
  rt.dispatch(
    source,
    meta([out.length, ...spec.shape, ...xShape, ...xs]),
    [bufferOf(x), out.buffer as GPUBuffer],
    out.length,
  );
  return [out];
};

const pad: GpuKernel<KernelAttrs['Pad']> = (rt, { inputs: [x], attrs, outputs: [spec] }) => {
  const out = output(rt, spec);
  const rank = spec.shape.length;
  const xs = strides(x.shape);
  const before = x.shape.map((_, d) => attrs.pads[2 * d]);
  // meta: [n, value, outShape, xShape, xStrides, before]
  const XSHAPE = 2 + rank;
  const XSTRIDE = 2 + 2 * rank;
  const BEFORE = 2 + 3 * rank;
  const rule =
    attrs.mode === 'constant'
      ? (d: number) => `if (p${d} < 0 || p${d} >= params[${XSHAPE + d}]) { inside = false; }`
      : attrs.mode === 'reflect'
        ? (d: number) =>
            `if (p${d} < 0) { p${d} = -p${d}; } if (p${d} >= params[${XSHAPE + d}]) { p${d} = 2 * (params[${XSHAPE + d}] - 1) - p${d}; }`
        : (d: number) => `p${d} = clamp(p${d}, 0, params[${XSHAPE + d}] - 1);`;
  const coord = (d: number) =>
    `var p${d} = c${d} - params[${BEFORE + d}]; ${rule(d)} o += p${d} * params[${XSTRIDE + d}];`;
  const source = `${header([
    ['xs', 'u32'],
    ['out', 'u32'],
  ])}
${main1d(`  var o = 0;
  var inside = true;
  ${unravel('i', rank, 2, [], coord)}
  if (inside) { out[i] = xs[o]; } else { out[i] = u32(params[1]); }`)}`;
  // Layout: [n, value, outShape(rank), xShape(rank), xStrides(rank), before(rank)]
  const words = [out.length, bitsOf(attrs.value, spec.dtype), ...spec.shape, ...x.shape, ...xs, ...before];
  rt.dispatch(source, meta(words), [bufferOf(x), out.buffer as GPUBuffer], out.length);
  return [out];
};

const concat: GpuKernel<KernelAttrs['Concat']> = (rt, { inputs, attrs, outputs: [spec] }) => {
  const out = output(rt, spec);
  const [, outLen, inner] = around(spec.shape, attrs.axis);
  const source = `${header([
    ['xs', 'u32'],
    ['out', 'u32'],
  ])}
${main1d(`  let chunk = params[1];
  out[(i / chunk) * params[2] + params[3] + i % chunk] = xs[i];`)}`;
  let offset = 0;
  for (const x of inputs) {
    const n = sizeOf(x.shape);
    const len = x.shape[attrs.axis];
    if (n > 0)
      rt.dispatch(
        source,
        meta([n, len * inner, outLen * inner, offset * inner]),
        [bufferOf(x), out.buffer as GPUBuffer],
        n,
      );
    offset += len;
  }
  // Carry host copies (small int32/bool) when every input has one.
  const hosts = inputs.map(hostOf);
  const host = hosts.every((h) => h !== null) ? hostFor(spec) : null;
  if (host) {
    let at = 0;
    for (let k = 0; k < inputs.length; k++) {
      const h = hosts[k] as Int32Array | Uint8Array;
      const chunk = inputs[k].shape[attrs.axis] * inner;
      for (let i = 0; i < h.length; i++)
        host[Math.floor(i / chunk) * outLen * inner + at + (i % chunk)] = h[i];
      at += chunk;
    }
    out.host = host;
  }
  return [out];
};

export const shapeKernels: GpuKernelTable = {
  Transpose: transpose,
  Slice: slice,
  Flip: flip,
  Tile: tile,
  Pad: pad,
  Concat: concat,
};
