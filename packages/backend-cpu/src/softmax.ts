import type { TypedArray } from '@myelin/core';
import { aroundAxis } from '@myelin/core/kit';
import { allocate, type CpuKernel, type CpuKernelTable, valuesOf } from './kernel.js';

/*
 * Fused softmax / log-softmax along one axis: the max, then exp(x - max) summed in float64, then the
 * normalisation. Softmax stores each exp in the output on the way and rescales it, so exp runs once
 * per element. Subtracting the max keeps exp from overflowing; a NaN anywhere in a slice makes the
 * whole slice NaN, as PyTorch. Log-softmax is (x − max) − log(sum), never x − (max + log(sum)):
 * at |max| ≈ 3e38 the latter rounds log(sum) away (log_softmax([3e38, 3e38]) must be −log 2).
 *
 * With the axis innermost each slice is a contiguous row. Otherwise the passes run over the axis
 * outermost, updating `inner` running maxima and sums along contiguous rows (no strided gathers).
 */

function softmaxAlong(
  x: TypedArray,
  out: TypedArray,
  outer: number,
  len: number,
  inner: number,
  log: boolean,
) {
  const max = new Float64Array(inner);
  const sum = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * len * inner;
    max.fill(-Infinity);
    sum.fill(0);
    for (let l = 0; l < len; l++) {
      const row = base + l * inner;
      for (let j = 0; j < inner; j++) {
        const v = x[row + j];
        if (v > max[j] || Number.isNaN(v)) max[j] = v;
      }
    }
    for (let l = 0; l < len; l++) {
      const row = base + l * inner;
      for (let j = 0; j < inner; j++) {
        const e = Math.exp(x[row + j] - max[j]);
        if (!log) out[row + j] = e;
        sum[j] += e;
      }
    }
    if (log) {
      for (let j = 0; j < inner; j++) sum[j] = Math.log(sum[j]);
      for (let l = 0; l < len; l++) {
        const row = base + l * inner;
        for (let j = 0; j < inner; j++) out[row + j] = x[row + j] - max[j] - sum[j];
      }
    } else {
      for (let j = 0; j < inner; j++) sum[j] = 1 / sum[j];
      for (let l = 0; l < len; l++) {
        const row = base + l * inner;
        for (let j = 0; j < inner; j++) out[row + j] *= sum[j];
      }
    }
  }
}

function softmaxRows(x: TypedArray, out: TypedArray, rows: number, len: number, log: boolean) {
  for (let r = 0; r < rows; r++) {
    const base = r * len;
    let max = -Infinity;
    for (let j = 0; j < len; j++) {
      const v = x[base + j];
      if (v > max || Number.isNaN(v)) max = v;
    }
    let sum = 0;
    if (log) {
      for (let j = 0; j < len; j++) sum += Math.exp(x[base + j] - max);
      const logSum = Math.log(sum);
      for (let j = 0; j < len; j++) out[base + j] = x[base + j] - max - logSum;
    } else {
      for (let j = 0; j < len; j++) {
        const e = Math.exp(x[base + j] - max);
        out[base + j] = e;
        sum += e;
      }
      const scale = 1 / sum;
      for (let j = 0; j < len; j++) out[base + j] *= scale;
    }
  }
}

function softmaxKernel(log: boolean): CpuKernel<{ axis: number }> {
  return ({ inputs: [x], attrs, outputs: [spec] }) => {
    const xv = valuesOf(x);
    const out = allocate(spec);
    const [outer, len, inner] = aroundAxis(x.shape, attrs.axis);
    if (inner === 1) softmaxRows(xv, out, outer, len, log);
    else softmaxAlong(xv, out, outer, len, inner, log);
    return [out];
  };
}

export const softmaxKernels: CpuKernelTable = {
  Softmax: softmaxKernel(false),
  LogSoftmax: softmaxKernel(true),
};
