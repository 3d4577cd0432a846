import type { SegmentReduction, TensorInfo } from '@myelin/core';
import type { Runtime, WasmData } from '../runtime.js';
import { dataOf, type WasmKernel, type WasmKernelTable } from './kernel.js';

/*
 * The sparse and segment kernels of graph networks (assembly/sparse.ts): SegmentReduce and SpMM
 * one output row per segment, the segments cut into runs of about equal entries + rows for the
 * threads; Sddmm one dot product per stored entry, runs of equal entry counts.
 */

/** Kinds, in the order of the wasm switch. */
const KIND: Record<SegmentReduction | 'spmm' | 'sddmm', number> = {
  sum: 0,
  mean: 1,
  max: 2,
  min: 3,
  spmm: 4,
  sddmm: 5,
};

/**
 * Multiply-adds (or loads, for a segment reduction) from which a kernel is split over the threads.
 * One costs about 0.1–0.3 ns in the f32x4 loops; 2^16 of them take ~10 µs, a few times what waking
 * a spinning worker costs (tens when it sleeps or shares a core): below that the calling thread
 * alone is as fast.
 */
export const SPARSE_PARALLEL_MIN = 1 << 16;

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Run the sparse job over `items` (segments, rows or entries) of width F with `entries` of work. */
function runSparse(
  rt: Runtime,
  kind: number,
  items: number,
  F: number,
  entries: number,
  ptrs: readonly WasmData[],
): void {
  const work = (entries + items) * Math.max(F, 1);
  const nt = work >= SPARSE_PARALLEL_MIN ? rt.threads : 1;
  // About eight tasks per thread, so a thread the OS parks costs little.
  const tasks = nt === 1 ? 1 : Math.max(1, Math.min(items, 8 * nt));
  const args = rt.setArgs([kind, items, F, 0, tasks, entries, ...ptrs.map((d) => d.ptr)]);
  rt.job('jobSparse', args, nt);
}

/**
 * Check a CSR row pointer / segment offsets (S+1) over `entries` rows: from 0 to `entries`, never
 * decreasing (the kernel's thread split and its loops rely on it).
 */
function checkOffsets(rt: Runtime, name: string, what: string, info: TensorInfo, entries: number): void {
  const o = rt.view(dataOf(info)) as Int32Array;
  const last = o.length - 1;
  if (o.length < 1 || o[0] !== 0 || o[last] !== entries)
    throw new RangeError(
      `wasm ${name}: ${what} must run from 0 to ${entries} (the rows it indexes), got ${o[0]} … ${o[last]} (${o.length} entries)`,
    );
  for (let i = 0; i < last; i++) {
    if (o[i + 1]! < o[i]!)
      throw new RangeError(
        `wasm ${name}: ${what} decrease at ${i} (${o[i]} → ${o[i + 1]}); they must not decrease`,
      );
  }
}

/** [x (E, …F), offsets (S+1)] → (S, …F). */
const segmentReduce: WasmKernel<{ reduce: SegmentReduction }> = (
  rt,
  { inputs: [x, offsets], attrs, outputs },
) => {
  const kind = KIND[attrs.reduce];
  if (kind === undefined || kind > 3)
    throw new RangeError(
      `wasm SegmentReduce: unknown reduce '${attrs.reduce}' (expected sum, mean, max or min)`,
    );
  if (x!.shape.length < 1)
    throw new RangeError('wasm SegmentReduce: x must have at least one dim, got a scalar');
  const E = x!.shape[0]!;
  const F = size(x!.shape.slice(1));
  const S = offsets!.shape[0]! - 1;
  checkOffsets(rt, 'SegmentReduce', 'offsets', offsets!, E);
  const out = rt.allocate(size(outputs[0]!.shape), 'float32');
  if (S > 0 && F > 0) runSparse(rt, kind, S, F, E, [dataOf(x!), dataOf(offsets!), out]);
  return [out];
};

/** [rowPtr (R+1), colIdx (nnz), values (nnz), x (C, F)] → (R, F). */
const spmm: WasmKernel<unknown> = (rt, { inputs: [rowPtr, colIdx, values, x], outputs }) => {
  const R = rowPtr!.shape[0]! - 1;
  const nnz = colIdx!.shape[0]!;
  if (x!.shape.length !== 2)
    throw new RangeError(`wasm SpMM: x must be (C, F), got shape [${x!.shape.join(', ')}]`);
  if (values!.shape[0] !== nnz)
    throw new RangeError(
      `wasm SpMM: ${values!.shape[0]} values for ${nnz} column indices; expected one per index`,
    );
  const F = x!.shape[1]!;
  checkOffsets(rt, 'SpMM', 'rowPtr', rowPtr!, nnz);
  const out = rt.allocate(size(outputs[0]!.shape), 'float32');
  if (R > 0 && F > 0)
    runSparse(rt, KIND.spmm, R, F, nnz, [dataOf(rowPtr!), dataOf(colIdx!), dataOf(values!), dataOf(x!), out]);
  return [out];
};

/** [rows (nnz), cols (nnz), a (R, F), b (C, F)] → (nnz). */
const sddmm: WasmKernel<unknown> = (rt, { inputs: [rows, cols, a, b] }) => {
  const nnz = rows!.shape[0]!;
  if (cols!.shape[0] !== nnz)
    throw new RangeError(
      `wasm Sddmm: ${cols!.shape[0]} column indices for ${nnz} row indices; expected as many`,
    );
  const F = a!.shape[a!.shape.length - 1] ?? 1;
  const Fb = b!.shape[b!.shape.length - 1] ?? 1;
  if (a!.shape.length !== 2 || b!.shape.length !== 2 || F !== Fb)
    throw new RangeError(
      `wasm Sddmm: a and b must be (R, F) and (C, F) with one F, got [${a!.shape.join(', ')}] and [${b!.shape.join(', ')}]`,
    );
  const out = rt.allocate(nnz, 'float32');
  if (nnz > 0) {
    if (F === 0) rt.f32.fill(0, out.ptr >> 2, (out.ptr >> 2) + nnz);
    else runSparse(rt, KIND.sddmm, nnz, F, 0, [dataOf(rows!), dataOf(cols!), dataOf(a!), dataOf(b!), out]);
  }
  return [out];
};

/** The sparse and segment kernels (SegmentReduce, SpMM, Sddmm). */
export const sparseKernels: WasmKernelTable = {
  SegmentReduce: segmentReduce,
  SpMM: spmm,
  Sddmm: sddmm,
};
