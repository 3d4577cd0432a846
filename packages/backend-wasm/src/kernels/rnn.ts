import type { OutputSpec, TensorInfo } from '@myelin/core';
import type { Runtime, WasmData } from '../runtime.js';
import { dataOf, type WasmKernel, type WasmKernelTable } from './kernel.js';

/*
 * The fused recurrent cells (assembly/rnn.ts): the pointwise part of one LSTM or GRU step and its
 * backward, every gate of a row in one pass. Core does the matmuls around them.
 */

/** Kinds, in the order of the wasm switch. */
const LSTM = 0;
const LSTM_GRAD = 1;
const GRU = 2;
const GRU_GRAD = 3;

/**
 * Elements (rows × hidden units) from which a cell is split over the threads. A row of H units
 * costs about 8·H ns in the LSTM backward (five exps and a division per unit, four at a time); a
 * batch of 32 × 128 is ~30 µs, where waking a worker that spins costs a few µs and one that
 * sleeps or shares its core with other work tens: below 2^15 elements the calling thread alone
 * is as fast.
 */
export const RNN_PARALLEL_MIN = 1 << 15;

/** Hidden size and row count of a cell: the last dim of its (N, H) state input. */
function dims(name: string, state: TensorInfo, gates: TensorInfo, per: number): [rows: number, H: number] {
  const H = state.shape[state.shape.length - 1] ?? 1;
  const rows = H === 0 ? 0 : state.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const g = gates.shape.reduce((a, b) => a * b, 1);
  if (g !== rows * per * H)
    throw new RangeError(
      `wasm ${name}: gates of shape [${gates.shape.join(', ')}] do not match a state of shape [${state.shape.join(', ')}] (expected ${per}·H = ${per * H} per row)`,
    );
  return [rows, H];
}

function runCell(rt: Runtime, kind: number, rows: number, H: number, ptrs: readonly WasmData[]): void {
  const nt = rows * H >= RNN_PARALLEL_MIN ? rt.threads : 1;
  // About four tasks per thread, so a thread the OS parks costs little.
  const block = nt === 1 ? rows : Math.max(1, Math.ceil(rows / (4 * nt)));
  const args = rt.setArgs([kind, rows, H, 0, block, ...ptrs.map((d) => d.ptr)]);
  rt.job('jobRnnCell', args, nt);
}

function alloc(rt: Runtime, outputs: readonly OutputSpec[]): WasmData[] {
  return outputs.map((o) =>
    rt.allocate(
      o.shape.reduce((a, b) => a * b, 1),
      o.dtype,
    ),
  );
}

const lstmCell: WasmKernel<unknown> = (rt, { inputs: [gates, c], outputs }) => {
  const [rows, H] = dims('LstmCell', c!, gates!, 4);
  const g = dataOf(gates!);
  const cd = dataOf(c!);
  const outs = alloc(rt, outputs);
  if (rows * H > 0) runCell(rt, LSTM, rows, H, [g, cd, ...outs]);
  return outs;
};

const lstmCellGrad: WasmKernel<unknown> = (rt, { inputs: [gates, c, dh, dc], outputs }) => {
  const [rows, H] = dims('LstmCellGrad', c!, gates!, 4);
  const ins = [gates!, c!, dh!, dc!].map((t) => dataOf(t));
  const outs = alloc(rt, outputs);
  if (rows * H > 0) runCell(rt, LSTM_GRAD, rows, H, [...ins, ...outs]);
  return outs;
};

const gruCell: WasmKernel<unknown> = (rt, { inputs: [gx, gh, h], outputs }) => {
  const [rows, H] = dims('GruCell', h!, gx!, 3);
  dims('GruCell', h!, gh!, 3);
  const ins = [gx!, gh!, h!].map((t) => dataOf(t));
  const outs = alloc(rt, outputs);
  if (rows * H > 0) runCell(rt, GRU, rows, H, [...ins, ...outs]);
  return outs;
};

const gruCellGrad: WasmKernel<unknown> = (rt, { inputs: [gx, gh, h, dh], outputs }) => {
  const [rows, H] = dims('GruCellGrad', h!, gx!, 3);
  dims('GruCellGrad', h!, gh!, 3);
  const ins = [gx!, gh!, h!, dh!].map((t) => dataOf(t));
  const outs = alloc(rt, outputs);
  if (rows * H > 0) runCell(rt, GRU_GRAD, rows, H, [...ins, ...outs]);
  return outs;
};

export const rnnKernels: WasmKernelTable = {
  LstmCell: lstmCell,
  LstmCellGrad: lstmCellGrad,
  GruCell: gruCell,
  GruCellGrad: gruCellGrad,
};
