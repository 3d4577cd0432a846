import type { OutputSpec, TensorInfo } from '@myelin/core';
import type { Runtime, WasmData } from '../runtime.js';
import { JOBS, type JobName } from '../threads.js';
import { dataOf, type WasmKernel, type WasmKernelTable } from './kernel.js';

/*
 * Fused scaled dot-product attention (assembly/attention.ts): the forward in one pass over tiles
 * of query rows with an online softmax; the backward in one pass per batch entry when there are
 * enough entries to share out, else in two (dq over query tiles, then dk and dv over key blocks).
 * None of them stores the B·L·S scores. The passes run on the thread pool once threads.ts lists
 * `jobAttention` among its JOBS, on the calling thread until then.
 */

/** Kinds, in the order of the wasm switch. */
const FORWARD = 0;
const GRAD_Q = 1;
const GRAD_KV = 2;
const GRAD_BATCH = 3;

/** Query rows per tile (QT in the wasm): the most rows one task takes. */
const QUERY_TILE = 64;
/** Keys per block (KB in the wasm). */
const KEY_BLOCK = 64;

/** Scratch bytes per thread: two QT × KB tiles, m and z of QT rows, a key block's kᵀ and vᵀ. */
const scratchStride = (d: Dims) =>
  (2 * QUERY_TILE * KEY_BLOCK + 2 * QUERY_TILE + (d.D + d.Dv) * KEY_BLOCK) * 4;

/**
 * Multiply-adds (B·L·S·(D + Dv)) from which a pass is split over the threads: below 2^16 (~20 µs
 * of work at 4 lanes) waking the pool costs as much as it saves.
 */
export const ATTENTION_PARALLEL_MIN = 1 << 16;

const JOB: JobName | undefined = (JOBS as readonly string[]).includes('jobAttention')
  ? ('jobAttention' as string as JobName)
  : undefined;

/** Threads for one pass: the pool's when it runs `jobAttention` and the work is worth it. */
function threadsFor(rt: Runtime, d: Dims): number {
  const work = d.B * d.L * d.S * (d.D + d.Dv);
  return JOB !== undefined && work >= ATTENTION_PARALLEL_MIN ? rt.threads : 1;
}

interface Dims {
  B: number;
  L: number;
  S: number;
  D: number;
  Dv: number;
}

function dims(q: TensorInfo, k: TensorInfo, v: TensorInfo): Dims {
  const [B, L, D] = q.shape as [number, number, number];
  return { B, L, S: k.shape[1]!, D, Dv: v.shape[2]! };
}

function alloc(rt: Runtime, outputs: readonly OutputSpec[]): WasmData[] {
  return outputs.map((o) =>
    rt.allocate(
      o.shape.reduce((a, b) => a * b, 1),
      o.dtype,
    ),
  );
}

/**
 * Run one pass over the threads (or on this thread while the pool has no `jobAttention`). `ptrs`
 * are the eleven addresses of args fields 12-22 (0 where unused); `scratchAt` the threads' scratch
 * rows when the caller sized them, else 0.
 */
function pass(
  rt: Runtime,
  kind: number,
  d: Dims,
  attrs: { scale: number; causal: boolean },
  mask: TensorInfo | undefined,
  ptrs: readonly number[],
  scratchAt: number,
): void {
  const nt = threadsFor(rt, d);
  // Query rows per task: about four tasks per thread, at most QUERY_TILE (a tile's scores, z and
  // output rows stay in cache), at least 4.
  const rows = Math.min(QUERY_TILE, Math.max(4, Math.ceil(d.L / (4 * nt))));
  const stride = scratchStride(d);
  const scratch = scratchAt !== 0 ? scratchAt : rt.scratch(nt * stride + 16);
  const [mb, ml] = mask ? [mask.shape[0] !== 1 ? 1 : 0, mask.shape[1] !== 1 ? 1 : 0] : [0, 0];
  const args = rt.setArgs([
    kind,
    d.B,
    d.L,
    d.S,
    d.D,
    d.Dv,
    0,
    rows,
    attrs.causal ? 1 : 0,
    mask ? 1 : 0,
    mb,
    ml,
    ...ptrs,
    scratch,
    stride,
  ]);
  rt.setArgsF64([attrs.scale], 104);
  if (JOB !== undefined) rt.job(JOB, args, nt);
  else (rt.exports.jobAttention as (a: number, t: number, n: number) => void)(args, 0, 1);
}

const attention: WasmKernel<{ scale: number; causal: boolean }> = (
  rt,
  { inputs: [q, k, v, mask], attrs, outputs },
) => {
  const d = dims(q!, k!, v!);
  const outs = alloc(rt, outputs);
  if (d.B * d.L === 0) return outs;
  const ins = [q!, k!, v!].map((t) => dataOf(t).ptr);
  const m = mask ? dataOf(mask).ptr : 0;
  pass(rt, FORWARD, d, attrs, mask, [...ins, m, outs[0]!.ptr, outs[1]!.ptr, 0, 0, 0, 0, 0], 0);
  return outs;
};

const attentionGrad: WasmKernel<{ scale: number; causal: boolean }> = (
  rt,
  { inputs: [q, k, v, out, lse, dout, mask], attrs, outputs },
) => {
  const d = dims(q!, k!, v!);
  const grads = alloc(rt, outputs);
  const [dq, dk, dv] = grads as [WasmData, WasmData, WasmData];
  if (d.B * d.L === 0 || d.S === 0) {
    // no query row or no key: every gradient is 0
    for (const g of grads) if (g.length > 0) rt.view(g).fill(0);
    return grads;
  }
  const ins = [q!, k!, v!].map((t) => dataOf(t).ptr);
  const m = mask ? dataOf(mask).ptr : 0;
  const o = dataOf(out!).ptr;
  const l = dataOf(lse!).ptr;
  const g = dataOf(dout!).ptr;
  // One scratch block: Δ (B·L floats, written by GRAD_Q, read by GRAD_KV), then the threads' rows.
  const nt = rt.threads;
  const deltaBytes = (d.B * d.L * 4 + 15) & ~15;
  const base = rt.scratch(deltaBytes + nt * scratchStride(d) + 16);
  const ptrs = [...ins, m, o, l, g, dq.ptr, dk.ptr, dv.ptr, base];
  if (d.B >= 2 * threadsFor(rt, d)) {
    // enough batch entries to share out: one pass, each entry's P and dS computed once
    pass(rt, GRAD_BATCH, d, attrs, mask, ptrs, base + deltaBytes);
  } else {
    // too few: split each entry's query rows, then its keys, over the threads
    pass(rt, GRAD_Q, d, attrs, mask, ptrs, base + deltaBytes);
    pass(rt, GRAD_KV, d, attrs, mask, ptrs, base + deltaBytes);
  }
  return grads;
};

export const attentionKernels: WasmKernelTable = {
  Attention: attention,
  AttentionGrad: attentionGrad,
};
