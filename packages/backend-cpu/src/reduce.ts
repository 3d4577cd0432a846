import type { DType, TypedArray } from '@myelin/core';
import { stridesOf } from '@myelin/core';
import { accStrides, aroundAxis, StridedRuns } from '@myelin/core/kit';
import { allocate, type CpuKernel, type CpuKernelTable, valuesOf } from './kernel.js';

/** fused.ts and softmax.ts split shapes around an axis too. */

/*
 * Reductions walk x once in row-major order. The accumulator is read with stride 0 on the reduced
 * dims (a reduction is a broadcast read backwards), so after dim merging the innermost run is
 * either along a reduced dim (fold a contiguous run into one accumulator: `run`) or along a kept dim
 * (fold elementwise into a contiguous row of accumulators: `cols`). Both are cache friendly whatever
 * the axes are.
 */

type Acc = Float64Array | TypedArray;

interface Reducer {
  /** Value of an empty reduction. */
  init: (dtype: DType) => number;
  /** acc[ai] ⊕= x[xi .. xi + n) */
  run: (acc: Acc, ai: number, x: TypedArray, xi: number, n: number) => void;
  /** acc[ai + j] ⊕= x[xi + j] for j < n */
  cols: (acc: Acc, ai: number, x: TypedArray, xi: number, n: number) => void;
  /** Whether the accumulator must be float64 (sums and products of floats), or can be the output. */
  wide: boolean;
}

const zero = () => 0;
const one = () => 1;

/** Max and Min keep NaN once they meet it (a NaN replaces anything), as torch.amax/amin. */
const REDUCERS = {
  Sum: {
    init: zero,
    wide: true,
    run: (acc, ai, x, xi, n) => {
      let s = acc[ai];
      for (let j = 0; j < n; j++) s += x[xi + j];
      acc[ai] = s;
    },
    cols: (acc, ai, x, xi, n) => {
      for (let j = 0; j < n; j++) acc[ai + j] += x[xi + j];
    },
  },
  Prod: {
    init: one,
    wide: true,
    run: (acc, ai, x, xi, n) => {
      let s = acc[ai];
      for (let j = 0; j < n; j++) s *= x[xi + j];
      acc[ai] = s;
    },
    cols: (acc, ai, x, xi, n) => {
      for (let j = 0; j < n; j++) acc[ai + j] *= x[xi + j];
    },
  },
  SumInt: {
    init: zero,
    wide: false,
    run: (acc, ai, x, xi, n) => {
      let s = acc[ai];
      for (let j = 0; j < n; j++) s = (s + x[xi + j]) | 0;
      acc[ai] = s;
    },
    cols: (acc, ai, x, xi, n) => {
      for (let j = 0; j < n; j++) acc[ai + j] = (acc[ai + j] + x[xi + j]) | 0;
    },
  },
  ProdInt: {
    init: one,
    wide: false,
    run: (acc, ai, x, xi, n) => {
      let s = acc[ai];
      for (let j = 0; j < n; j++) s = Math.imul(s, x[xi + j]);
      acc[ai] = s;
    },
    cols: (acc, ai, x, xi, n) => {
      for (let j = 0; j < n; j++) acc[ai + j] = Math.imul(acc[ai + j], x[xi + j]);
    },
  },
  Max: {
    init: (dtype) => (dtype === 'float32' ? -Infinity : dtype === 'int32' ? -2147483648 : 0),
    wide: false,
    run: (acc, ai, x, xi, n) => {
      let m = acc[ai];
      for (let j = 0; j < n; j++) {
        const v = x[xi + j];
        if (v > m || Number.isNaN(v)) m = v;
      }
      acc[ai] = m;
    },
    cols: (acc, ai, x, xi, n) => {
      for (let j = 0; j < n; j++) {
        const v = x[xi + j];
        if (v > acc[ai + j] || Number.isNaN(v)) acc[ai + j] = v;
      }
    },
  },
  Min: {
    init: (dtype) => (dtype === 'float32' ? Infinity : dtype === 'int32' ? 2147483647 : 1),
    wide: false,
    run: (acc, ai, x, xi, n) => {
      let m = acc[ai];
      for (let j = 0; j < n; j++) {
        const v = x[xi + j];
        if (v < m || Number.isNaN(v)) m = v;
      }
      acc[ai] = m;
    },
    cols: (acc, ai, x, xi, n) => {
      for (let j = 0; j < n; j++) {
        const v = x[xi + j];
        if (v < acc[ai + j] || Number.isNaN(v)) acc[ai + j] = v;
      }
    },
  },
  Any: {
    init: zero,
    wide: false,
    run: (acc, ai, x, xi, n) => {
      if (acc[ai]) return;
      for (let j = 0; j < n; j++) {
        if (x[xi + j] !== 0) {
          acc[ai] = 1;
          return;
        }
      }
    },
    cols: (acc, ai, x, xi, n) => {
      for (let j = 0; j < n; j++) if (x[xi + j] !== 0) acc[ai + j] = 1;
    },
  },
  All: {
    init: one,
    wide: false,
    run: (acc, ai, x, xi, n) => {
      if (!acc[ai]) return;
      for (let j = 0; j < n; j++) {
        if (x[xi + j] === 0) {
          acc[ai] = 0;
          return;
        }
      }
    },
    cols: (acc, ai, x, xi, n) => {
      for (let j = 0; j < n; j++) if (x[xi + j] === 0) acc[ai + j] = 0;
    },
  },
} satisfies Record<string, Reducer>;

function reduceKernel(name: keyof typeof REDUCERS, intName?: keyof typeof REDUCERS) {
  const kernel: CpuKernel<{ axes: number[] }> = ({ inputs: [x], attrs, outputs: [spec] }) => {
    const reducer: Reducer = REDUCERS[spec.dtype === 'int32' && intName ? intName : name];
    const out = allocate(spec);
    const acc = reducer.wide ? new Float64Array(out.length) : out;
    acc.fill(reducer.init(spec.dtype));
    const xv = valuesOf(x);
    const runs = new StridedRuns(x.shape, [stridesOf(x.shape), accStrides(x.shape, attrs.axes, spec.shape)]);
    const { offset, step, length } = runs;
    const fold = step[1] === 0 ? reducer.run : reducer.cols;
    for (let r = 0; r < runs.count; r++) {
      fold(acc, offset[1], xv, offset[0], length);
      runs.next();
    }
    if (acc !== out) out.set(acc);
    return [out];
  };
  return kernel;
}

/**
 * Index of the first maximum (or minimum) along `axis`; the first NaN wins outright, as PyTorch.
 * Loops over the axis outermost so that the `inner` running bests are updated along contiguous rows.
 */
function argReduce(largest: boolean): CpuKernel<{ axis: number }> {
  return ({ inputs: [x], attrs, outputs: [spec] }) => {
    const xv = valuesOf(x);
    const out = allocate(spec);
    const [outer, len, inner] = aroundAxis(x.shape, attrs.axis);
    if (len === 0) return [out];
    const best = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      const base = o * len * inner;
      const oi = o * inner;
      for (let j = 0; j < inner; j++) best[j] = xv[base + j];
      for (let l = 1; l < len; l++) {
        const row = base + l * inner;
        for (let j = 0; j < inner; j++) {
          const v = xv[row + j];
          const b = best[j];
          if ((largest ? v > b : v < b) || (Number.isNaN(v) && !Number.isNaN(b))) {
            best[j] = v;
            out[oi + j] = l;
          }
        }
      }
    }
    return [out];
  };
}

export const reduceKernels: CpuKernelTable = {
  Sum: reduceKernel('Sum', 'SumInt'),
  Prod: reduceKernel('Prod', 'ProdInt'),
  Max: reduceKernel('Max'),
  Min: reduceKernel('Min'),
  Any: reduceKernel('Any'),
  All: reduceKernel('All'),
  ArgMax: argReduce(true),
  ArgMin: argReduce(false),
};
