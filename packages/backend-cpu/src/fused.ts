import type { TypedArray } from '@myelin/core';
import { BIAS_ACTIVATION_ROWS } from '@myelin/core';
import { aroundAxis } from '@myelin/core/kit';
import { FLOAT_UNARY } from './elementwise.js';
import { allocate, type CpuKernelTable, valuesOf } from './kernel.js';

/*
 * Fused composites of the nn layers: layer normalisation and the bias + activation epilogue.
 */

/**
 * Normalise each contiguous row of `size` elements: (x − mean) / sqrt(var + eps), biased variance.
 * Two passes in float64 (mean, then the squared deviations), as the other CPU reductions accumulate.
 */
function layerNormRows(x: TypedArray, out: TypedArray, rows: number, size: number, eps: number) {
  for (let r = 0; r < rows; r++) {
    const base = r * size;
    let sum = 0;
    for (let j = 0; j < size; j++) sum += x[base + j];
    const mean = sum / size;
    let sq = 0;
    for (let j = 0; j < size; j++) {
      const d = x[base + j] - mean;
      sq += d * d;
    }
    const rstd = 1 / Math.sqrt(sq / size + eps);
    for (let j = 0; j < size; j++) out[base + j] = (x[base + j] - mean) * rstd;
  }
}

/**
 * out = x + bias broadcast along the axis, each sum rounded to float32 as it is stored (as PyTorch's
 * separate add), then the activation in place over the whole output.
 */
function addBiasAlong(
  x: TypedArray,
  b: TypedArray,
  out: TypedArray,
  outer: number,
  len: number,
  inner: number,
) {
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let l = 0; l < len; l++) {
      const v = b[l];
      for (let j = 0; j < inner; j++, i++) out[i] = x[i] + v;
    }
  }
}

export const fusedKernels: CpuKernelTable = {
  LayerNorm: ({ inputs: [x], attrs, outputs: [spec] }) => {
    const out = allocate(spec);
    const { size, eps } = attrs;
    if (size > 0) layerNormRows(valuesOf(x), out, out.length / size, size, eps);
    return [out];
  },
  BiasAct: ({ inputs: [x, bias], attrs, outputs: [spec] }) => {
    const out = allocate(spec);
    const [outer, len, inner] = aroundAxis(x.shape, attrs.axis);
    addBiasAlong(valuesOf(x), valuesOf(bias), out, outer, len, inner);
    if (attrs.activation !== 'none') {
      FLOAT_UNARY[BIAS_ACTIVATION_ROWS[attrs.activation]](out, out, out.length, 0, 0);
    }
    return [out];
  },
};
