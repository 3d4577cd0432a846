import { allocate, type CpuKernelTable, valuesOf } from './kernel.js';

/*
 * The sparse and segment kernels: one pass over the stored entries each, accumulating in float64
 * and storing float32 (as the other CPU kernels). Index inputs are valid by construction (core
 * checks them on the host before it dispatches).
 */

/** Product of the trailing dims: the width of one row. */
const rowWidth = (shape: readonly number[]) => shape.slice(1).reduce((p, d) => p * d, 1);

export const sparseKernels: CpuKernelTable = {
  // inputs [x (E, …F), offsets (S+1)] → (S, …F); an empty segment gives 0
  SegmentReduce: ({ inputs: [xInfo, offInfo], attrs: { reduce }, outputs: [spec] }) => {
    const x = valuesOf(xInfo);
    const off = valuesOf(offInfo);
    const out = allocate(spec);
    const w = rowWidth(xInfo.shape);
    const s = off.length - 1;
    const acc = new Float64Array(w);
    for (let seg = 0; seg < s; seg++) {
      const lo = off[seg]!;
      const hi = off[seg + 1]!;
      if (hi <= lo) continue;
      const o = seg * w;
      if (reduce === 'sum' || reduce === 'mean') {
        acc.fill(0);
        for (let e = lo; e < hi; e++) {
          const r = e * w;
          for (let f = 0; f < w; f++) acc[f]! += x[r + f]!;
        }
        const scale = reduce === 'mean' ? 1 / (hi - lo) : 1;
        for (let f = 0; f < w; f++) out[o + f] = acc[f]! * scale;
      } else {
        // The first row starts the run; NaN wins as in torch.amax / amin.
        for (let f = 0; f < w; f++) acc[f] = x[lo * w + f]!;
        for (let e = lo + 1; e < hi; e++) {
          const r = e * w;
          for (let f = 0; f < w; f++) {
            const v = x[r + f]!;
            const m = acc[f]!;
            if (reduce === 'max' ? !(v <= m) && !Number.isNaN(m) : !(v >= m) && !Number.isNaN(m)) acc[f] = v;
          }
        }
        for (let f = 0; f < w; f++) out[o + f] = acc[f]!;
      }
    }
    return [out];
  },

  // inputs [rowPtr (R+1), colIdx (nnz), values (nnz), x (C, F)] → (R, F)
  SpMM: ({ inputs: [ptrInfo, colInfo, valInfo, xInfo], outputs: [spec] }) => {
    const ptr = valuesOf(ptrInfo);
    const col = valuesOf(colInfo);
    const val = valuesOf(valInfo);
    const x = valuesOf(xInfo);
    const out = allocate(spec);
    const f = xInfo.shape[1]!;
    const r = ptr.length - 1;
    const acc = new Float64Array(f);
    for (let i = 0; i < r; i++) {
      acc.fill(0);
      for (let k = ptr[i]!; k < ptr[i + 1]!; k++) {
        const v = val[k]!;
        const base = col[k]! * f;
        for (let j = 0; j < f; j++) acc[j]! += v * x[base + j]!;
      }
      const o = i * f;
      for (let j = 0; j < f; j++) out[o + j] = acc[j]!;
    }
    return [out];
  },

  // inputs [rows (nnz), cols (nnz), a (R, F), b (C, F)] → (nnz)
  Sddmm: ({ inputs: [rowInfo, colInfo, aInfo, bInfo], outputs: [spec] }) => {
    const rows = valuesOf(rowInfo);
    const cols = valuesOf(colInfo);
    const a = valuesOf(aInfo);
    const b = valuesOf(bInfo);
    const out = allocate(spec);
    const f = aInfo.shape[1]!;
    for (let k = 0; k < rows.length; k++) {
      const ra = rows[k]! * f;
      const rb = cols[k]! * f;
      let s = 0;
      for (let j = 0; j < f; j++) s += a[ra + j]! * b[rb + j]!;
      out[k] = s;
    }
    return [out];
  },
};
