import type { DType, TypedArray } from '@myelin/core';
import { stridesOf } from '@myelin/core';
import { accStrides, aroundAxis, mergeDims, StridedRuns } from '@myelin/core/kit';
import { writeDims } from './elementwise.js';
import { dataOf, type WasmKernel, type WasmKernelTable } from './kernel.js';

/*
 * Reductions. Float32 Sum/Max/Min run in wasm (f32x4, sums in f64); the rest — products, int32
 * and bool reductions, arg-reductions — are less hot and run in TypeScript over views of the
 * wasm memory, with the CPU backend's semantics (int32 wraps, max/min keep NaN).
 */

type Acc = Float64Array | TypedArray;

interface Reducer {
  init: (dtype: DType) => number;
  step: (acc: number, v: number) => number;
  /** Accumulate in float64 (float sums and products). */
  wide: boolean;
}

const REDUCERS: Record<string, Reducer> = {
  Sum: { init: () => 0, step: (s, v) => s + v, wide: true },
  Prod: { init: () => 1, step: (s, v) => s * v, wide: true },
  SumInt: { init: () => 0, step: (s, v) => (s + v) | 0, wide: false },
  ProdInt: { init: () => 1, step: (s, v) => Math.imul(s, v), wide: false },
  Max: {
    init: (d) => (d === 'float32' ? -Infinity : d === 'int32' ? -2147483648 : 0),
    step: (m, v) => (v > m || Number.isNaN(v) ? v : m),
    wide: false,
  },
  Min: {
    init: (d) => (d === 'float32' ? Infinity : d === 'int32' ? 2147483647 : 1),
    step: (m, v) => (v < m || Number.isNaN(v) ? v : m),
    wide: false,
  },
  Any: { init: () => 0, step: (s, v) => (s !== 0 || v !== 0 ? 1 : 0), wide: false },
  All: { init: () => 1, step: (s, v) => (s !== 0 && v !== 0 ? 1 : 0), wide: false },
};

const WASM_OP: Record<string, number> = { Sum: 0, Max: 1, Min: 2 };

function reduceKernel(name: 'Sum' | 'Prod' | 'Max' | 'Min' | 'Any' | 'All'): WasmKernel<{ axes: number[] }> {
  return (rt, { inputs: [x], attrs, outputs: [spec] }) => {
    const xd = dataOf(x!);
    const out = rt.allocate(
      spec!.shape.reduce((a, b) => a * b, 1),
      spec!.dtype,
    );
    const strides = [stridesOf(x!.shape), accStrides(x!.shape, attrs.axes, spec!.shape)];
    if (xd.dtype === 'float32' && name in WASM_OP && out.length > 0) {
      const { dims } = mergeDims(x!.shape, strides);
      if (name === 'Sum') {
        const acc = rt.scratch(out.length * 8);
        rt.f64.fill(0, acc >> 3, (acc >> 3) + out.length);
        if (xd.length > 0) {
          const [at, nd] = writeDims(rt, dims, 3);
          rt.exports.reduceF32(0, xd.ptr, acc, at, nd);
        }
        rt.exports.f64ToF32(acc, out.ptr, out.length);
      } else {
        rt.view(out).fill(name === 'Max' ? -Infinity : Infinity);
        if (xd.length > 0) {
          const [at, nd] = writeDims(rt, dims, 3);
          rt.exports.reduceF32(WASM_OP[name]!, xd.ptr, out.ptr, at, nd);
        }
      }
      return [out];
    }
    const reducer =
      REDUCERS[spec!.dtype === 'int32' && (name === 'Sum' || name === 'Prod') ? `${name}Int` : name]!;
    const ov = rt.view(out);
    const acc: Acc = reducer.wide ? new Float64Array(ov.length) : ov;
    acc.fill(reducer.init(spec!.dtype));
    const xv = rt.view(xd);
    const runs = new StridedRuns(x!.shape, strides);
    const { offset, step, length } = runs;
    const sa = step[1]!;
    const fn = reducer.step;
    for (let r = 0; r < runs.count; r++) {
      const xi = offset[0]!;
      const ai = offset[1]!;
      for (let j = 0; j < length; j++) acc[ai + j * sa] = fn(acc[ai + j * sa]!, xv[xi + j]!);
      runs.next();
    }
    if (acc !== ov) ov.set(acc);
    return [out];
  };
}

/** Index of the first maximum (or minimum) along `axis`; the first NaN wins outright, as PyTorch. */
function argReduce(largest: boolean): WasmKernel<{ axis: number }> {
  return (rt, { inputs: [x], attrs, outputs: [spec] }) => {
    const xd = dataOf(x!);
    const [outer, len, inner] = aroundAxis(x!.shape, attrs.axis);
    const out = rt.allocate(outer * inner, spec!.dtype);
    const xv = rt.view(xd);
    const ov = rt.view(out);
    ov.fill(0);
    if (len === 0) return [out];
    const best = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      const base = o * len * inner;
      const oi = o * inner;
      for (let j = 0; j < inner; j++) best[j] = xv[base + j]!;
      for (let l = 1; l < len; l++) {
        const row = base + l * inner;
        for (let j = 0; j < inner; j++) {
          const v = xv[row + j]!;
          const b = best[j]!;
          if ((largest ? v > b : v < b) || (Number.isNaN(v) && !Number.isNaN(b))) {
            best[j] = v;
            ov[oi + j] = l;
          }
        }
      }
    }
    return [out];
  };
}

function softmaxKernel(log: boolean): WasmKernel<{ axis: number }> {
  return (rt, { inputs: [x], attrs, outputs: [spec] }) => {
    const xd = dataOf(x!);
    const out = rt.allocate(xd.length, spec!.dtype);
    if (out.length === 0) return [out];
    const [outer, len, inner] = aroundAxis(x!.shape, attrs.axis);
    if (inner === 1) rt.exports.softmaxRows(xd.ptr, out.ptr, outer, len, log ? 1 : 0);
    else
      rt.exports.softmaxAlong(xd.ptr, out.ptr, outer, len, inner, log ? 1 : 0, rt.scratch(inner * 12 + 64));
    return [out];
  };
}

/** Layer normalisation of each trailing row of `size` elements (the fused composite; no affine). */
const layerNorm: WasmKernel<{ size: number; eps: number }> = (
  rt,
  { inputs: [x], attrs, outputs: [spec] },
) => {
  const xd = dataOf(x!);
  const out = rt.allocate(xd.length, spec!.dtype);
  if (out.length > 0 && attrs.size > 0) {
    rt.exports.layerNormRows(xd.ptr, out.ptr, out.length / attrs.size, attrs.size, attrs.eps);
  }
  return [out];
};

export const reduceKernels: WasmKernelTable = {
  Sum: reduceKernel('Sum'),
  Prod: reduceKernel('Prod'),
  Max: reduceKernel('Max'),
  Min: reduceKernel('Min'),
  Any: reduceKernel('Any'),
  All: reduceKernel('All'),
  ArgMax: argReduce(true),
  ArgMin: argReduce(false),
  Softmax: softmaxKernel(false),
  LogSoftmax: softmaxKernel(true),
  LayerNorm: layerNorm,
};
