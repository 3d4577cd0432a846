/**
 * The sparse row (issue #14): edges per second of the graph-network kernels on a power-law graph
 * (N = 100k nodes, E ≈ 1M edges, F = 64 by default): GCN-style SpMM (Â·X), SegmentReduce mean
 * and max over the edge messages X[src] (E, F) into their destinations, and SDDMM (one dot
 * product x[dst]·x[src] per edge, as GAT scores and link prediction take them), each forward
 * alone and forward + backward (`vjp` of core's op, the cotangent a fixed random tensor).
 *
 *     node bench/dist/index.js sparse [--min-time=ms] [--nodes=N] [--edges=E] [--features=F]
 *                                     [--webgpu-scale=K] [--no-webgpu]
 *
 * Myelin runs on the wasm backend (2 threads) and on the webgpu backend (in Node: Dawn over Mesa
 * llvmpipe on a machine without a GPU — a software rasteriser, so its figures are of the
 * correctness class, not GPU speed; it gets a graph K = 100 times smaller and one timed run, as
 * some of its backward passes take a minute there); beside it PyTorch on the CPU with the same 2
 * threads, and on 1 for context (`torch.sparse.mm` with a CSR tensor, `scatter_reduce` with
 * 'mean' / 'amax', and the gathered product for SDDMM; `/usr/bin/python3`, timed in its own
 * process). The wasm rows marked "kernel" call the backend's fused kernel directly (inputs
 * already in wasm memory): the kernel's speed whether or not core's op dispatches to it. Each op
 * row names the kernels one warm run of it called, with the time spent in them, so a decomposed op
 * (core's fallback) shows as such. Timed runs read back one row of each output (see `touch`);
 * every forward's full output is checked against PyTorch's by a checksum (Σ|y|).
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend, KernelName, SegmentReduction, Tensor } from '@myelin/core';
import { measure } from './harness.js';
import { table } from './suite.js';
import { PYTHON, torchEnv, torchMissing } from './torch.js';

type Core = typeof import('@myelin/core');

const THREADS = 2;

export interface SparseBenchOptions {
  minTimeMs: number;
  nodes: number;
  edges: number;
  features: number;
  webgpu: boolean;
  /** The webgpu rows run on a graph this many times smaller (nodes and edges): llvmpipe is slow. */
  webgpuScale: number;
}

/** A deterministic LCG in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The benchmark graph in CSR by destination: rowPtr (N+1), colIdx = source (E), GCN weights. */
export interface BenchGraph {
  nodes: number;
  edges: number;
  rowPtr: Int32Array;
  colIdx: Int32Array;
  /** The destination of every edge (the CSR row of each entry). */
  rows: Int32Array;
  /** 1 / √(deg_in(dst)·deg_out(src)): the symmetric normalisation of a GCN layer. */
  values: Float32Array;
  x: Float32Array;
  /** The cotangent of every (N, F) output. */
  dy: Float32Array;
  /** The cotangent of every (E) output. */
  dyEdges: Float32Array;
  maxInDegree: number;
}

/**
 * A power-law graph: destinations drawn with probability ∝ rank^(−2/3) (in-degrees then follow a
 * power law of exponent ≈ 2.5, a few hubs with thousands of edges), sources uniform, node ids
 * shuffled, duplicate edges dropped, entries sorted by (destination, source).
 */
export function powerLawGraph(nodes: number, edges: number, features: number, seed = 1): BenchGraph {
  const r = rng(seed);
  const cdf = new Float64Array(nodes);
  let acc = 0;
  for (let i = 0; i < nodes; i++) {
    acc += (i + 1) ** (-2 / 3);
    cdf[i] = acc;
  }
  const perm = Int32Array.from({ length: nodes }, (_, i) => i);
  for (let i = nodes - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const keys = new Float64Array(edges);
  for (let e = 0; e < edges; e++) {
    const u = r() * acc;
    let lo = 0;
    let hi = nodes - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    keys[e] = perm[lo]! * nodes + Math.floor(r() * nodes);
  }
  keys.sort();
  let n = 0;
  for (let e = 0; e < edges; e++) if (e === 0 || keys[e] !== keys[e - 1]) keys[n++] = keys[e]!;
  const rows = new Int32Array(n);
  const colIdx = new Int32Array(n);
  const rowPtr = new Int32Array(nodes + 1);
  const outDeg = new Int32Array(nodes);
  for (let e = 0; e < n; e++) {
    rows[e] = Math.floor(keys[e]! / nodes);
    colIdx[e] = keys[e]! - rows[e]! * nodes;
    rowPtr[rows[e]! + 1]!++;
    outDeg[colIdx[e]!]!++;
  }
  let maxInDegree = 0;
  for (let i = 0; i < nodes; i++) {
    maxInDegree = Math.max(maxInDegree, rowPtr[i + 1]!);
    rowPtr[i + 1]! += rowPtr[i]!;
  }
  const values = new Float32Array(n);
  for (let e = 0; e < n; e++) {
    const din = rowPtr[rows[e]! + 1]! - rowPtr[rows[e]!]!;
    values[e] = 1 / Math.sqrt(din * outDeg[colIdx[e]!]!);
  }
  const floats = (len: number) => Float32Array.from({ length: len }, () => 2 * r() - 1);
  return {
    nodes,
    edges: n,
    rowPtr,
    colIdx,
    rows,
    values,
    x: floats(nodes * features),
    dy: floats(nodes * features),
    dyEdges: floats(n),
    maxInDegree,
  };
}

/** The timed ops, in table order: [key, label]. */
const OPS = [
  ['spmm', 'SpMM Â·X'],
  ['mean', 'SegmentReduce mean'],
  ['max', 'SegmentReduce max'],
  ['sddmm', 'SDDMM x[dst]·x[src]'],
] as const;
type OpKey = (typeof OPS)[number][0];

export interface SparseRow {
  op: string;
  library: string;
  /** 'fwd' or 'fwd+bwd'. */
  pass: string;
  medianMs?: number;
  minMs?: number;
  /** Edges per second (median). */
  edgesPerSec?: number;
  /** Kernels one run called (what core's op dispatched to). */
  kernels?: string;
  /** |Σ|y| − PyTorch's| / PyTorch's for the forward. */
  checksumDiff?: number;
  error?: string;
}

export interface SparseResult {
  nodes: number;
  edges: number;
  features: number;
  maxInDegree: number;
  torch?: string;
  rows: SparseRow[];
}

const firstLine = (err: unknown) => String((err as Error)?.message ?? err).split('\n')[0]!;

/** Σ|v| in float64. */
function absSum(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.abs(v[i]!);
  return s;
}

/**
 * The kernels one call of `fn` makes on `backend`, with their call counts and the wall time spent
 * in them (the host side of each call: on wasm the whole kernel, on webgpu only the encoding). The
 * kernel table is wrapped in place, then restored.
 */
async function kernelsUsed(backend: Backend, fn: () => Promise<unknown>): Promise<string> {
  type KernelFn = (args: unknown) => unknown;
  const tableRef = backend.kernels as unknown as Record<string, KernelFn>;
  const original = { ...tableRef };
  const used = new Map<string, { calls: number; ms: number }>();
  for (const [name, k] of Object.entries(original)) {
    tableRef[name] = (args) => {
      const t0 = performance.now();
      try {
        return k(args);
      } finally {
        const e = used.get(name) ?? { calls: 0, ms: 0 };
        e.calls++;
        e.ms += performance.now() - t0;
        used.set(name, e);
      }
    };
  }
  try {
    await fn();
  } finally {
    Object.assign(tableRef, original);
  }
  const fused = ['SpMM', 'SegmentReduce', 'Sddmm'].some((k) => used.has(k));
  const calls = [...used]
    .sort((p, q) => q[1].ms - p[1].ms)
    .map(([name, e]) => `${name}${e.calls > 1 ? ` ×${e.calls}` : ''} ${e.ms.toFixed(1)} ms`);
  return `${fused ? 'fused' : 'decomposed'}: ${calls.join(', ')}`;
}

interface TimedOp {
  op: OpKey;
  pass: 'fwd' | 'fwd+bwd';
  /** One run, the result read back; returns the forward output (for the checksum) when asked. */
  run(read: boolean): Promise<Float32Array | undefined>;
}

/** The eight op runs on the active backend, over tensors made once (and disposed by the returned function). */
function coreOps(core: Core, g: BenchGraph, F: number): { ops: TimedOp[]; dispose(): void } {
  const { tensor, keep, scope, vjp, spmm, segmentReduce, sddmm, CsrMatrix, indexSelect, slice } = core;
  const N = g.nodes;
  const a = new CsrMatrix(g.rowPtr, g.colIdx, g.values, [N, N]);
  const x = keep(tensor(g.x, { shape: [N, F] }));
  const dy = keep(tensor(g.dy, { shape: [N, F] }));
  const dyEdges = keep(tensor(g.dyEdges, { shape: [g.edges] }));
  const offsets = a.rowPtr;
  const src = a.colIdx;
  // The edge messages: each edge's source features, in destination order (E, F).
  const messages = keep(scope(() => indexSelect(x, 0, src)));
  // A timed run reads back one row of each output: that waits for the work on webgpu (its queue
  // runs in order; wasm kernels are synchronous) without timing a copy of tens or hundreds of MB
  // into a fresh JS array, which PyTorch does not pay. The untimed first run reads it all.
  const touch = async (t: Tensor) => {
    const one = slice(t, [0, 1]);
    try {
      await one.data();
    } finally {
      one.dispose();
    }
  };
  const readFwd = async (y: Tensor, read: boolean) => {
    if (!read) return void (await touch(y));
    return Float32Array.from((await y.data()) as Float32Array);
  };
  const fwd = (op: OpKey, f: () => Tensor): TimedOp => ({
    op,
    pass: 'fwd',
    async run(read) {
      const y = f();
      try {
        return await readFwd(y, read);
      } finally {
        y.dispose();
      }
    },
  });
  const both = (op: OpKey, f: (...t: Tensor[]) => Tensor, primals: Tensor[], cot: Tensor): TimedOp => ({
    op,
    pass: 'fwd+bwd',
    async run() {
      const grads = scope(() => {
        const [, back] = vjp(f, ...primals);
        return back(cot);
      });
      try {
        for (const t of grads) await touch(t);
      } finally {
        for (const t of grads) t.dispose();
      }
      return undefined;
    },
  });
  const seg = (reduce: SegmentReduction) => (m: Tensor) => segmentReduce(m, offsets, reduce);
  const ops: TimedOp[] = [
    fwd('spmm', () => spmm(a, x)),
    both('spmm', (t) => spmm(a, t), [x], dy),
    fwd('mean', () => segmentReduce(messages, offsets, 'mean')),
    both('mean', seg('mean'), [messages], dy),
    fwd('max', () => segmentReduce(messages, offsets, 'max')),
    both('max', seg('max'), [messages], dy),
    // Over the adjacency's entries: the same Sddmm kernel as sddmm(dst, src, …), and gradients
    // that are sparse products (SpMM with the pattern and its transpose) instead of row scatters.
    fwd('sddmm', () => sddmm(a, x, x)),
    both('sddmm', (p, q) => sddmm(a, p, q), [x, x], dyEdges),
  ];
  return {
    ops,
    dispose() {
      for (const t of [x, dy, dyEdges, messages]) t.dispose();
      a.dispose();
    },
  };
}

/** Time every op on `backend` (made active here). */
async function timeBackend(
  core: Core,
  backend: Backend,
  library: string,
  g: BenchGraph,
  F: number,
  minTimeMs: number,
  quick = false,
): Promise<{ rows: SparseRow[]; sums: Map<OpKey, number> }> {
  await core.use(backend);
  const rows: SparseRow[] = [];
  const sums = new Map<OpKey, number>();
  let made: ReturnType<typeof coreOps>;
  try {
    made = coreOps(core, g, F);
  } catch (err) {
    for (const [op] of OPS)
      for (const pass of ['fwd', 'fwd+bwd'])
        rows.push({ op, library, pass, error: `setting up: ${firstLine(err)}` });
    return { rows, sums };
  }
  for (const t of made.ops) {
    const row: SparseRow = { op: t.op, library, pass: t.pass };
    try {
      // The first run warms up (the wasm memory grows to its working size, webgpu pipelines
      // compile). Then the timed runs and, warm, the kernel breakdown of one more; `quick` (webgpu
      // on llvmpipe, up to a minute per run): one run, timed and broken down at once.
      const first = await t.run(t.pass === 'fwd');
      if (first) sums.set(t.op, absSum(first));
      let timing: { medianMs: number; minMs: number };
      if (quick) {
        let ms = 0;
        row.kernels = await kernelsUsed(backend, async () => {
          const t0 = performance.now();
          await t.run(false);
          ms = performance.now() - t0;
        });
        timing = { medianMs: ms, minMs: ms };
      } else {
        timing = await measure(() => t.run(false), { minTimeMs, minReps: 2, warmupReps: 1, warmupMs: 0 });
        row.kernels = await kernelsUsed(backend, () => t.run(false));
      }
      row.medianMs = timing.medianMs;
      row.minMs = timing.minMs;
      row.edgesPerSec = g.edges / (timing.medianMs * 1e-3);
    } catch (err) {
      row.error = firstLine(err);
    }
    rows.push(row);
    console.log(
      `  ${library} ${t.op} ${t.pass}: ${row.error ?? `${row.medianMs!.toFixed(1)} ms, ${row.kernels}`}`,
    );
  }
  made.dispose();
  return { rows, sums };
}

/**
 * The fused wasm kernels called directly: inputs written to wasm memory once, each run calls the
 * kernel and reads the output back (forward only: the backward is core's composition).
 */
async function timeWasmKernels(
  backend: Backend,
  g: BenchGraph,
  F: number,
  minTimeMs: number,
): Promise<{ rows: SparseRow[]; sums: Map<OpKey, number> }> {
  const N = g.nodes;
  const E = g.edges;
  const write = (v: Float32Array | Int32Array, shape: number[]) => ({
    dataId: backend.write(v, v instanceof Int32Array ? 'int32' : 'float32'),
    shape,
    dtype: v instanceof Int32Array ? ('int32' as const) : ('float32' as const),
  });
  const rowPtr = write(g.rowPtr, [N + 1]);
  const colIdx = write(g.colIdx, [E]);
  const rows = write(g.rows, [E]);
  const values = write(g.values, [E]);
  const x = write(g.x, [N, F]);
  const messages = new Float32Array(E * F);
  for (let e = 0; e < E; e++) messages.set(g.x.subarray(g.colIdx[e]! * F, (g.colIdx[e]! + 1) * F), e * F);
  const m = write(messages, [E, F]);
  const nf = [{ shape: [N, F], dtype: 'float32' as const }];
  const calls: [OpKey, KernelName, () => readonly unknown[]][] = [
    [
      'spmm',
      'SpMM',
      () => backend.kernels.SpMM!({ inputs: [rowPtr, colIdx, values, x], attrs: {}, outputs: nf }),
    ],
    [
      'mean',
      'SegmentReduce',
      () => backend.kernels.SegmentReduce!({ inputs: [m, rowPtr], attrs: { reduce: 'mean' }, outputs: nf }),
    ],
    [
      'max',
      'SegmentReduce',
      () => backend.kernels.SegmentReduce!({ inputs: [m, rowPtr], attrs: { reduce: 'max' }, outputs: nf }),
    ],
    [
      'sddmm',
      'Sddmm',
      () =>
        backend.kernels.Sddmm!({
          inputs: [rows, colIdx, x, x],
          attrs: {},
          outputs: [{ shape: [E], dtype: 'float32' }],
        }),
    ],
  ];
  const out: SparseRow[] = [];
  const sums = new Map<OpKey, number>();
  for (const [op, name, call] of calls) {
    const row: SparseRow = { op, library: `myelin-wasm ${THREADS}t kernel`, pass: 'fwd', kernels: name };
    try {
      if (!backend.kernels[name]) throw new Error(`the wasm backend has no ${name} kernel`);
      // The kernels are synchronous: a timed run calls and frees (the first one reads back).
      const once = (read: boolean) => {
        const [id] = call() as [Parameters<Backend['readSync']>[0]];
        if (read) sums.set(op, absSum(backend.readSync(id)));
        backend.free(id);
      };
      once(true);
      const timing = await measure(() => once(false), { minTimeMs, minReps: 3 });
      row.medianMs = timing.medianMs;
      row.minMs = timing.minMs;
      row.edgesPerSec = E / (timing.medianMs * 1e-3);
    } catch (err) {
      row.error = firstLine(err);
    }
    out.push(row);
  }
  for (const t of [rowPtr, colIdx, rows, values, x, m]) backend.free(t.dataId);
  return { rows: out, sums };
}

/** PyTorch's side: loads the graph, times each op in its own loop, prints one JSON line per row. */
const TORCH_SOURCE = `
import json, sys, time
import numpy as np
import torch
threads, path, N, E, F, min_ms = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
torch.set_num_threads(threads)
raw = open(path, 'rb').read()
at = 0
def take(n, dtype):
    global at
    a = np.frombuffer(raw, dtype=dtype, count=n, offset=at).copy()
    at += 4 * n
    return torch.from_numpy(a)
rowptr = take(N + 1, np.int32); col = take(E, np.int32); rows = take(E, np.int32); vals = take(E, np.float32)
x = take(N * F, np.float32).view(N, F); dy = take(N * F, np.float32).view(N, F); dye = take(E, np.float32)
A = torch.sparse_csr_tensor(rowptr, col, vals, (N, N))
src = col.long(); dst = rows.long()
msgs = x[src].contiguous()
index = dst.view(-1, 1).expand(-1, F)
def seg(m, reduce):
    return torch.zeros(N, F).scatter_reduce(0, index, m, reduce=reduce, include_self=False)
fwd = {
    'spmm': lambda: torch.sparse.mm(A, x),
    'mean': lambda: seg(msgs, 'mean'),
    'max': lambda: seg(msgs, 'amax'),
    'sddmm': lambda: (x[dst] * x[src]).sum(-1),
}
def bwd(op):
    if op == 'spmm':
        t = x.clone().requires_grad_(); torch.sparse.mm(A, t).backward(dy); return t.grad
    if op in ('mean', 'max'):
        t = msgs.clone().requires_grad_(); seg(t, 'mean' if op == 'mean' else 'amax').backward(dy); return t.grad
    p = x.clone().requires_grad_(); q = x.clone().requires_grad_()
    (p[dst] * q[src]).sum(-1).backward(dye); return p.grad
def timeit(fn):
    fn()
    times, total = [], 0.0
    while len(times) < 3 or total < min_ms:
        t0 = time.perf_counter(); fn(); dt = (time.perf_counter() - t0) * 1e3
        times.append(dt); total += dt
    times.sort()
    return times[len(times) // 2], times[0]
print(json.dumps({'version': torch.__version__, 'threads': torch.get_num_threads()}), flush=True)
for op in ['spmm', 'mean', 'max', 'sddmm']:
    with torch.no_grad():
        s = float(fwd[op]().abs().double().sum())
        med, mn = timeit(fwd[op])
    print(json.dumps({'op': op, 'pass': 'fwd', 'median': med, 'min': mn, 'sum': s}), flush=True)
    med, mn = timeit(lambda: bwd(op))
    print(json.dumps({'op': op, 'pass': 'fwd+bwd', 'median': med, 'min': mn}), flush=True)
`;

interface TorchLine {
  version?: string;
  threads?: number;
  op?: OpKey;
  pass?: string;
  median?: number;
  min?: number;
  sum?: number;
}

function runTorch(
  g: BenchGraph,
  F: number,
  minTimeMs: number,
  threadCount: number,
): { rows: SparseRow[]; sums: Map<OpKey, number>; version?: string } | string {
  const missing = torchMissing('torch, numpy');
  if (missing) return missing;
  const dir = mkdtempSync(join(tmpdir(), 'myelin-bench-sparse-'));
  try {
    const path = join(dir, 'graph.bin');
    const parts = [g.rowPtr, g.colIdx, g.rows, g.values, g.x, g.dy, g.dyEdges];
    writeFileSync(path, Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
    const threads = String(threadCount);
    const res = spawnSync(
      PYTHON,
      [
        '-W',
        'ignore',
        '-c',
        TORCH_SOURCE,
        threads,
        path,
        String(g.nodes),
        String(g.edges),
        String(F),
        String(minTimeMs),
      ],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
        env: torchEnv(threads),
      },
    );
    if (res.status !== 0)
      return `PyTorch failed: ${(res.stderr || String(res.error)).trim().split('\n').pop()}`;
    const lines = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TorchLine);
    const head = lines[0]!;
    const library = `pytorch ${head.version} cpu ${head.threads}t`;
    const sums = new Map<OpKey, number>();
    const rows = lines.slice(1).map((l): SparseRow => {
      if (l.sum !== undefined) sums.set(l.op!, l.sum);
      return {
        op: l.op!,
        library,
        pass: l.pass!,
        medianMs: l.median,
        minMs: l.min,
        edgesPerSec: g.edges / (l.median! * 1e-3),
      };
    });
    return { rows, sums, version: head.version };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function loadWebGpu(): Promise<Backend | string> {
  try {
    const { dawnChoice } = await import('./libs/tfjs-webgpu.js');
    const mod = (await import(/* @vite-ignore */ '@myelin/backend-webgpu' as string)) as {
      webgpuBackend(options?: {
        dawnFlags?: string[];
        compatibility?: boolean;
      }): Promise<Backend & { adapterInfo: string }>;
    };
    const dawn = dawnChoice();
    const b = await mod.webgpuBackend({ dawnFlags: dawn.flags, compatibility: dawn.compatibility });
    console.log(`webgpu adapter: ${b.adapterInfo}`);
    return b;
  } catch (err) {
    return `cannot load Myelin webgpu (${firstLine(err)})`;
  }
}

/** Run the sparse rows and print them, with each Myelin row's ratio to PyTorch's. */
export async function runSparseBench(options: SparseBenchOptions): Promise<SparseResult> {
  const { nodes, edges, features: F, minTimeMs } = options;
  const core = await import('@myelin/core');
  const { wasmBackend } = await import('@myelin/backend-wasm');
  const t0 = performance.now();
  const g = powerLawGraph(nodes, edges, F);
  console.log(
    `power-law graph: ${g.nodes} nodes, ${g.edges} edges (max in-degree ${g.maxInDegree}), F = ${F}; built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const result: SparseResult = { nodes, edges: g.edges, features: F, maxInDegree: g.maxInDegree, rows: [] };
  const sums = new Map<string, Map<OpKey, number>>();

  console.log('pytorch …');
  const torch = runTorch(g, F, minTimeMs, THREADS);
  if (typeof torch === 'string') console.log(`  ${torch}`);
  else {
    result.torch = torch.version;
    result.rows.push(...torch.rows);
    // Context: PyTorch on one thread (on a busy machine its 2-thread OpenMP team can lose most).
    const one = runTorch(g, F, minTimeMs, 1);
    if (typeof one !== 'string') result.rows.push(...one.rows);
  }

  console.log('myelin wasm …');
  const wasm = await wasmBackend({ threads: THREADS });
  const kernels = await timeWasmKernels(wasm, g, F, minTimeMs);
  result.rows.push(...kernels.rows);
  sums.set(`myelin-wasm ${THREADS}t kernel`, kernels.sums);
  const viaCore = await timeBackend(core, wasm, `myelin-wasm ${wasm.threads}t`, g, F, minTimeMs);
  result.rows.push(...viaCore.rows);
  sums.set(`myelin-wasm ${wasm.threads}t`, viaCore.sums);

  if (options.webgpu) {
    const k = options.webgpuScale;
    const small = k === 1 ? g : powerLawGraph(Math.ceil(nodes / k), Math.ceil(edges / k), F);
    const label = k === 1 ? 'myelin-webgpu' : `myelin-webgpu (1/${k} graph)`;
    console.log(`myelin webgpu on ${small.nodes} nodes, ${small.edges} edges …`);
    const gpu = await loadWebGpu();
    if (typeof gpu === 'string') console.log(`  ${gpu}`);
    else {
      const r = await timeBackend(core, gpu, label, small, F, minTimeMs, true);
      result.rows.push(...r.rows);
      // Its checksums are of another graph: compared only on the full one.
      if (k === 1) sums.set(label, r.sums);
    }
  }
  await core.use(wasm);

  const torchSums = typeof torch === 'string' ? undefined : torch.sums;
  for (const row of result.rows) {
    const mine = sums.get(row.library)?.get(row.op as OpKey);
    const theirs = torchSums?.get(row.op as OpKey);
    if (row.pass === 'fwd' && mine !== undefined && theirs !== undefined)
      row.checksumDiff = Math.abs(mine - theirs) / Math.max(theirs, 1e-30);
  }

  console.log(
    `\nload average ${loadavg()
      .map((v) => v.toFixed(1))
      .join(' ')} on ${cpus().length} cores`,
  );
  console.log(
    `\nedges/s, ${g.edges} edges, F = ${F} (median of the timed runs; × torch: edges/s over PyTorch's)`,
  );
  const { row, rule } = table([20, 7, 28, 9, 10, 9, 8, 9]);
  console.log(row(['op', 'pass', 'library', 'edges/s', 'median ms', 'min ms', '× torch', 'checksum']));
  console.log(rule);
  const torchRow = (op: string, pass: string) =>
    result.rows.find(
      (r) =>
        r.op === op &&
        r.pass === pass &&
        r.library.startsWith('pytorch') &&
        r.library.endsWith(`${THREADS}t`),
    );
  for (const [op, label] of OPS) {
    for (const pass of ['fwd', 'fwd+bwd']) {
      for (const r of result.rows.filter((q) => q.op === op && q.pass === pass)) {
        const t = torchRow(op, pass);
        const ratio =
          r.edgesPerSec !== undefined && t?.edgesPerSec !== undefined
            ? `${(r.edgesPerSec / t.edgesPerSec).toFixed(2)}×`
            : 'n/a';
        const check =
          r.checksumDiff === undefined ? '' : r.checksumDiff < 1e-4 ? 'ok' : r.checksumDiff.toExponential(1);
        console.log(
          row([
            label,
            pass,
            r.library,
            r.edgesPerSec === undefined ? 'n/a' : `${(r.edgesPerSec / 1e6).toFixed(1)}M`,
            r.medianMs === undefined ? 'n/a' : r.medianMs.toFixed(1),
            r.minMs === undefined ? 'n/a' : r.minMs.toFixed(1),
            ratio,
            check,
          ]),
        );
        if (r.error) console.log(`  ${r.library}: ${r.error}`);
        else if (r.kernels && !r.library.includes('kernel') && !r.library.startsWith('pytorch'))
          console.log(`    ${r.kernels}`);
      }
    }
  }
  wasm.dispose();
  return result;
}

/** `sparse`'s own arguments: --min-time=ms (default 1000), --nodes, --edges, --features, --no-webgpu. */
export function sparseOptions(argv: string[]): SparseBenchOptions {
  const options: SparseBenchOptions = {
    minTimeMs: 1000,
    nodes: 100_000,
    edges: 1_000_000,
    features: 64,
    webgpu: true,
    webgpuScale: 100,
  };
  const keys = {
    'min-time': 'minTimeMs',
    nodes: 'nodes',
    edges: 'edges',
    features: 'features',
    'webgpu-scale': 'webgpuScale',
  } as const;
  for (const arg of argv) {
    if (arg === '--no-webgpu') {
      options.webgpu = false;
      continue;
    }
    const m = /^--(min-time|nodes|edges|features|webgpu-scale)=(\d+)$/.exec(arg);
    const v = m ? Number(m[2]) : Number.NaN;
    if (!m || !(v >= 1))
      throw new Error(
        `bench sparse: unknown or bad argument ${arg} (use --min-time=ms --nodes=N --edges=E --features=F --webgpu-scale=K --no-webgpu, integers ≥ 1)`,
      );
    options[keys[m[1] as keyof typeof keys]] = v;
  }
  return options;
}
