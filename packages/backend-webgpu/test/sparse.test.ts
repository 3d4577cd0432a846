import { cpuBackend } from '@myelin/backend-cpu';
import type { DataId, KernelName, OutputSpec, SegmentReduction } from '@myelin/core';
import * as m from '@myelin/core';
import { afterAll, describe, expect, it } from 'vitest';
import { type WebGpuBackend, webgpuBackend } from '../src/index.js';
import { SPARSE_THRESHOLDS } from '../src/kernels/sparse.js';

/*
 * The WGSL SegmentReduce, SpMM and Sddmm kernels called directly on the backend, against a float64
 * reference written here from the contracts in core's kernels.ts, and against core's ops run on
 * the CPU backend (its fused kernel, or core's decomposition when the CPU has none). Random graphs
 * with empty segments, F = 1 and large F, E = 0, long rows (the workgroup-per-row SpMM) and wide
 * features (the workgroup Sddmm).
 */

let gpu: WebGpuBackend | null = null;
let reason = '';
try {
  gpu = await webgpuBackend();
} catch (e) {
  reason = (e as Error).message;
}

/** Seeded uniform generator in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function values(count: number, seed: number): Float32Array {
  const u = rng(seed);
  return Float32Array.from({ length: count }, () => (u() - 0.5) * 4);
}

/** Segment offsets for S segments over E rows, about a third of them empty. */
function randomOffsets(s: number, e: number, seed: number): Int32Array {
  const u = rng(seed);
  const cuts = Array.from({ length: Math.max(0, s - 1) }, () => Math.floor(u() * (e + 1))).sort(
    (a, b) => a - b,
  );
  return Int32Array.from([0, ...cuts, e]);
}

type Input = [Float32Array | Int32Array, number[]];

/** Run kernel `name` on the GPU; returns the first output and frees everything it made. */
async function runKernel(name: KernelName, inputs: Input[], outShape: number[], attrs: object = {}) {
  const b = gpu as WebGpuBackend;
  const infos = inputs.map(([v, shape]) => {
    const dtype = v instanceof Int32Array ? ('int32' as const) : ('float32' as const);
    return { dataId: b.write(v, dtype), shape, dtype };
  });
  const outputs: OutputSpec[] = [{ shape: outShape, dtype: 'float32' }];
  const impl = b.kernels[name] as (args: unknown) => DataId[];
  const outs = impl({ inputs: infos, attrs, outputs });
  const got = Float32Array.from(await b.read(outs[0]!));
  for (const id of [...infos.map((i) => i.dataId), ...outs]) b.free(id);
  return got;
}

// --- float64 references, from the contracts ---------------------------------------------------

function segmentRef(x: Float32Array, offsets: Int32Array, f: number, reduce: SegmentReduction): Float64Array {
  const s = offsets.length - 1;
  const out = new Float64Array(s * f);
  for (let i = 0; i < s; i++) {
    const lo = offsets[i]!;
    const hi = offsets[i + 1]!;
    for (let c = 0; c < f; c++) {
      if (hi === lo) continue; // empty segment → 0
      let acc = reduce === 'max' ? -Infinity : reduce === 'min' ? Infinity : 0;
      for (let e = lo; e < hi; e++) {
        const v = x[e * f + c]!;
        if (reduce === 'max') acc = Number.isNaN(v) || Number.isNaN(acc) ? NaN : Math.max(acc, v);
        else if (reduce === 'min') acc = Number.isNaN(v) || Number.isNaN(acc) ? NaN : Math.min(acc, v);
        else acc += v;
      }
      out[i * f + c] = reduce === 'mean' ? acc / (hi - lo) : acc;
    }
  }
  return out;
}

function spmmRef(rowPtr: Int32Array, colIdx: Int32Array, vals: Float32Array, x: Float32Array, f: number) {
  const r = rowPtr.length - 1;
  const out = new Float64Array(r * f);
  for (let i = 0; i < r; i++)
    for (let k = rowPtr[i]!; k < rowPtr[i + 1]!; k++)
      for (let c = 0; c < f; c++) out[i * f + c]! += vals[k]! * x[colIdx[k]! * f + c]!;
  return out;
}

function sddmmRef(rows: Int32Array, cols: Int32Array, a: Float32Array, b: Float32Array, f: number) {
  return Float64Array.from(rows, (r, k) => {
    let acc = 0;
    for (let c = 0; c < f; c++) acc += a[r * f + c]! * b[cols[k]! * f + c]!;
    return acc;
  });
}

/** Largest |got − want| / (1 + |want|); NaN must meet NaN and ±∞ the same ∞. */
function worst(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let w = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const t = want[i]!;
    if (Number.isNaN(t) || !Number.isFinite(t)) {
      expect(Object.is(g, t) || (Number.isNaN(g) && Number.isNaN(t)), `element ${i}: ${g} vs ${t}`).toBe(
        true,
      );
      continue;
    }
    w = Math.max(w, Math.abs(g - t) / (1 + Math.abs(t)));
  }
  return w;
}

/** A random CSR matrix (R, C): rows of 0 … 2·avg entries, about a quarter of rows empty. */
function randomCsr(r: number, c: number, avg: number, seed: number) {
  const u = rng(seed);
  const rowPtr = new Int32Array(r + 1);
  const cols: number[] = [];
  for (let i = 0; i < r; i++) {
    const len = u() < 0.25 ? 0 : Math.floor(u() * 2 * avg);
    for (let k = 0; k < len; k++) cols.push(Math.floor(u() * c));
    rowPtr[i + 1] = cols.length;
  }
  return { rowPtr, colIdx: Int32Array.from(cols) };
}

const REDUCTIONS: SegmentReduction[] = ['sum', 'mean', 'max', 'min'];

const SPARSE_KERNELS = ['SegmentReduce', 'SpMM', 'Sddmm'] as const;

/** Count calls of the sparse kernels on `b` while `f` runs. */
async function counting<T>(b: m.Backend, f: () => Promise<T>): Promise<[T, Record<string, number>]> {
  const table = b.kernels as Record<string, ((args: unknown) => DataId[]) | undefined>;
  const saved = SPARSE_KERNELS.map((k) => table[k]);
  const calls: Record<string, number> = {};
  for (const k of SPARSE_KERNELS) {
    const impl = table[k];
    if (!impl) continue;
    calls[k] = 0;
    table[k] = (args) => {
      calls[k]!++;
      return impl(args);
    };
  }
  try {
    return [await f(), calls];
  } finally {
    SPARSE_KERNELS.forEach((k, i) => {
      table[k] = saved[i];
    });
  }
}

/**
 * A few SGD steps of a small graph model through core's ops on backend `b`: h = relu(A·x·w) (SpMM),
 * edge scores hᵢ·hⱼ (Sddmm), their max per node and a mean pool of h over node groups
 * (SegmentReduce). Returns the losses and the backend's live handles after each step.
 */
async function trainGraph(b: m.Backend, steps: number) {
  await m.use(b);
  const n = 40;
  const { rowPtr, colIdx } = randomCsr(n, n, 4, 91);
  const csr = new m.CsrMatrix(rowPtr, colIdx, values(colIdx.length, 92), [n, n]);
  const x = m.tensor(values(n * 6, 93), { shape: [n, 6] });
  const init = m.tensor(
    values(6 * 5, 94).map((v) => v / 4),
    { shape: [6, 5] },
  );
  const w = new m.Parameter(init);
  init.dispose();
  const groups = m.tensor(Int32Array.from([0, 7, 7, 25, n]), { dtype: 'int32', shape: [5] });
  const losses: number[] = [];
  const handles: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = m.scope(() => {
      const h = m.spmm(csr, x.matmul(w)).relu();
      const scores = m.sddmm(csr.rowIndices(), csr.colIdx, h, h).reshape([colIdx.length, 1]);
      const best = m.segmentReduce(scores, csr.rowPtr, 'max');
      const pooled = m.segmentReduce(h, groups, 'mean');
      const l = best.square().mean().add(pooled.square().mean());
      l.backward();
      return l;
    });
    m.noGrad(() => {
      m.scope(() => {
        w.assign(w.sub(w.grad!.mul(0.002)));
      });
      w.grad!.dispose();
      w.grad = null;
    });
    losses.push((await loss.data())[0]!);
    loss.dispose();
    handles.push(m.memory().backends[b.name]?.handles ?? 0);
  }
  for (const t of [x, w, groups]) t.dispose();
  csr.dispose();
  return { losses, handles };
}

describe.skipIf(!gpu)(`webgpu sparse kernels${gpu ? '' : ` (skipped: ${reason})`}`, () => {
  const cpu = cpuBackend();
  afterAll(async () => {
    await m.use(cpu);
  });

  it('the float64 references reproduce hand-computed values', () => {
    // segments [1, 2] | [] | [-3]: sum 3, 0, -3; mean 1.5, 0, -3; max 2, 0, -3.
    const x = Float32Array.from([1, 2, -3]);
    const off = Int32Array.from([0, 2, 2, 3]);
    expect(Array.from(segmentRef(x, off, 1, 'sum'))).toEqual([3, 0, -3]);
    expect(Array.from(segmentRef(x, off, 1, 'mean'))).toEqual([1.5, 0, -3]);
    expect(Array.from(segmentRef(x, off, 1, 'max'))).toEqual([2, 0, -3]);
    // [[0, 2], [1, 0]] · [[1, 2], [3, 4]] = [[6, 8], [1, 2]]
    const csr = [Int32Array.from([0, 1, 2]), Int32Array.from([1, 0]), Float32Array.from([2, 1])] as const;
    expect(Array.from(spmmRef(...csr, Float32Array.from([1, 2, 3, 4]), 2))).toEqual([6, 8, 1, 2]);
    // entries (0, 1) and (1, 0) of a = [[1, 2], [3, 4]], b = [[1, 1], [2, 2]]: [1, 2]·[2, 2] = 6, [3, 4]·[1, 1] = 7
    const [a, b] = [Float32Array.from([1, 2, 3, 4]), Float32Array.from([1, 1, 2, 2])];
    expect(Array.from(sddmmRef(Int32Array.from([0, 1]), csr[1], a, b, 2))).toEqual([6, 7]);
  });

  it('SegmentReduce: every reduction on random segments with empty ones, F = 1, F = 37, (E, 2, 3)', async () => {
    for (const [s, e, feat, seed] of [
      [20, 50, [1], 1],
      [33, 300, [37], 2],
      [7, 9, [2, 3], 3],
      [1, 1, [1], 4],
      [64, 5, [4], 5], // more segments than rows: most are empty
    ] as [number, number, number[], number][]) {
      const f = feat.reduce((p, q) => p * q, 1);
      const x = values(e * f, seed);
      const off = randomOffsets(s, e, seed + 100);
      for (const reduce of REDUCTIONS) {
        const got = await runKernel(
          'SegmentReduce',
          [
            [x, [e, ...feat]],
            [off, [s + 1]],
          ],
          [s, ...feat],
          { reduce },
        );
        expect(worst(got, segmentRef(x, off, f, reduce)), `${reduce} S=${s} E=${e} F=${f}`).toBeLessThan(
          1e-6,
        );
      }
    }
  });

  it('SegmentReduce: E = 0 gives zeros, S = 0 gives an empty result, NaN and ±∞ propagate through max/min', async () => {
    for (const reduce of REDUCTIONS) {
      const got = await runKernel(
        'SegmentReduce',
        [
          [new Float32Array(0), [0, 3]],
          [new Int32Array(5), [5]],
        ],
        [4, 3],
        { reduce },
      );
      expect(Array.from(got)).toEqual(new Array(12).fill(0));
      const none = await runKernel(
        'SegmentReduce',
        [
          [values(6, 9), [2, 3]],
          [Int32Array.from([0]), [1]],
        ],
        [0, 3],
        { reduce },
      );
      expect(none.length).toBe(0);
    }
    const x = Float32Array.from([1, NaN, 5, -Infinity, -Infinity, Infinity]);
    const off = Int32Array.from([0, 3, 5, 6]);
    for (const reduce of REDUCTIONS) {
      const got = await runKernel(
        'SegmentReduce',
        [
          [x, [6, 1]],
          [off, [4]],
        ],
        [3, 1],
        { reduce },
      );
      worst(got, segmentRef(x, off, 1, reduce));
    }
  });

  it('SpMM: random CSR with empty rows, F = 1 and 64, long rows (workgroup per row), R = 0 and nnz = 0', async () => {
    const { LONG_ROW, NARROW_SPMM } = SPARSE_THRESHOLDS;
    for (const [r, c, avg, f, seed] of [
      [30, 20, 3, 1, 1],
      [50, 40, 4, 64, 2],
      [1, 5, 2, 3, 3],
      [6, 300, 4 * LONG_ROW, NARROW_SPMM, 4], // long rows, narrow: the workgroup variant
      [5, 100, 3 * LONG_ROW, 1, 5],
    ]) {
      const { rowPtr, colIdx } = randomCsr(r!, c!, avg!, seed!);
      const nnz = colIdx.length;
      const vals = values(nnz, seed! + 10);
      const x = values(c! * f!, seed! + 20);
      const got = await runKernel(
        'SpMM',
        [
          [rowPtr, [r! + 1]],
          [colIdx, [nnz]],
          [vals, [nnz]],
          [x, [c!, f!]],
        ],
        [r!, f!],
      );
      // long rows sum hundreds of terms in a tree: a looser float32 bound
      expect(worst(got, spmmRef(rowPtr, colIdx, vals, x, f!)), `R=${r} F=${f} nnz=${nnz}`).toBeLessThan(2e-5);
    }
    const empty = await runKernel(
      'SpMM',
      [
        [new Int32Array(4), [4]],
        [new Int32Array(0), [0]],
        [new Float32Array(0), [0]],
        [values(10, 1), [5, 2]],
      ],
      [3, 2],
    );
    expect(Array.from(empty)).toEqual(new Array(6).fill(0));
    const noRows = await runKernel(
      'SpMM',
      [
        [new Int32Array(1), [1]],
        [new Int32Array(0), [0]],
        [new Float32Array(0), [0]],
        [values(10, 1), [5, 2]],
      ],
      [0, 2],
    );
    expect(noRows.length).toBe(0);
  });

  it('Sddmm: F = 1, 16, 300 (workgroup per entry), nnz = 0', async () => {
    for (const [r, c, nnz, f, seed] of [
      [10, 12, 40, 1, 1],
      [30, 20, 200, 16, 2],
      [8, 9, 25, SPARSE_THRESHOLDS.WIDE_SDDMM + 44, 3],
      [1, 1, 1, 5, 4],
    ] as const) {
      const u = rng(seed + 50);
      const rows = Int32Array.from({ length: nnz }, () => Math.floor(u() * r));
      const cols = Int32Array.from({ length: nnz }, () => Math.floor(u() * c));
      const a = values(r * f, seed);
      const b = values(c * f, seed + 1);
      const got = await runKernel(
        'Sddmm',
        [
          [rows, [nnz]],
          [cols, [nnz]],
          [a, [r, f]],
          [b, [c, f]],
        ],
        [nnz],
      );
      expect(worst(got, sddmmRef(rows, cols, a, b, f)), `F=${f}`).toBeLessThan(1e-5);
    }
    const none = await runKernel(
      'Sddmm',
      [
        [new Int32Array(0), [0]],
        [new Int32Array(0), [0]],
        [values(6, 1), [2, 3]],
        [values(6, 2), [2, 3]],
      ],
      [0],
    );
    expect(none.length).toBe(0);
  });

  it('agrees with core ops on the CPU backend, and repeated runs are bit-identical', async () => {
    const e = 400;
    const s = 60;
    const f = 8;
    const x = values(e * f, 71);
    const off = randomOffsets(s, e, 72);
    const { rowPtr, colIdx } = randomCsr(s, 50, 6, 73);
    const vals = values(colIdx.length, 74);
    const xs = values(50 * f, 75);
    await m.use(cpu);
    const want = await m.scope(async () => {
      const t = m.tensor(x, { shape: [e, f] });
      const o = m.tensor(off, { dtype: 'int32', shape: [s + 1] });
      const res: Float32Array[] = [];
      for (const reduce of REDUCTIONS) res.push((await m.segmentReduce(t, o, reduce).data()) as Float32Array);
      const csr = new m.CsrMatrix(rowPtr, colIdx, vals, [s, 50]);
      const dense = m.tensor(xs, { shape: [50, f] });
      res.push((await m.spmm(csr, dense).data()) as Float32Array);
      res.push(
        (await m
          .sddmm(csr.rowIndices(), csr.colIdx, m.tensor(values(s * f, 76), { shape: [s, f] }), dense)
          .data()) as Float32Array,
      );
      csr.dispose();
      return res;
    });
    const gotFor = async () => {
      const res: Float32Array[] = [];
      for (const reduce of REDUCTIONS)
        res.push(
          await runKernel(
            'SegmentReduce',
            [
              [x, [e, f]],
              [off, [s + 1]],
            ],
            [s, f],
            { reduce },
          ),
        );
      res.push(
        await runKernel(
          'SpMM',
          [
            [rowPtr, [s + 1]],
            [colIdx, [colIdx.length]],
            [vals, [colIdx.length]],
            [xs, [50, f]],
          ],
          [s, f],
        ),
      );
      const rows = new Int32Array(colIdx.length);
      for (let i = 0; i < s; i++) rows.fill(i, rowPtr[i]!, rowPtr[i + 1]!);
      res.push(
        await runKernel(
          'Sddmm',
          [
            [rows, [rows.length]],
            [colIdx, [colIdx.length]],
            [values(s * f, 76), [s, f]],
            [xs, [50, f]],
          ],
          [rows.length],
        ),
      );
      return res;
    };
    const got = await gotFor();
    for (let k = 0; k < want.length; k++) expect(worst(got[k]!, want[k]!), `result ${k}`).toBeLessThan(1e-5);
    const again = await gotFor();
    for (let k = 0; k < got.length; k++) expect(Array.from(again[k]!)).toEqual(Array.from(got[k]!));
  });

  it('a hub: segments and rows of 70,000 entries (past the 65,535 loop iterations llvmpipe runs per invocation)', async () => {
    const e = 70_000;
    const x = values(e, 81);
    const off = Int32Array.from([0, 3, e - 2, e]);
    for (const reduce of ['sum', 'max'] as const) {
      const got = await runKernel(
        'SegmentReduce',
        [
          [x, [e, 1]],
          [off, [4]],
        ],
        [3, 1],
        { reduce },
      );
      expect(worst(got, segmentRef(x, off, 1, reduce)), reduce).toBeLessThan(1e-5);
    }
    // 2,000 rows, row 7 a hub of 70,000 entries: short rows on average (one thread per row)
    const r = 2000;
    const rowPtr = new Int32Array(r + 1);
    for (let i = 0; i < r; i++) rowPtr[i + 1] = rowPtr[i]! + (i === 7 ? e : 1);
    const nnz = rowPtr[r]!;
    expect(nnz).toBeLessThan(SPARSE_THRESHOLDS.LONG_ROW * r);
    const u = rng(82);
    const colIdx = Int32Array.from({ length: nnz }, () => Math.floor(u() * 50));
    const vals = values(nnz, 83);
    const xs = values(50 * 2, 84);
    const got = await runKernel(
      'SpMM',
      [
        [rowPtr, [r + 1]],
        [colIdx, [nnz]],
        [vals, [nnz]],
        [xs, [50, 2]],
      ],
      [r, 2],
    );
    // a float32 sum of n terms in order is within n·2⁻²⁴·Σ|terms| of the exact sum (Higham, 2002, §4.2)
    const want = spmmRef(rowPtr, colIdx, vals, xs, 2);
    for (let i = 0; i < r; i++)
      for (let c = 0; c < 2; c++) {
        let abs = 0;
        for (let k = rowPtr[i]!; k < rowPtr[i + 1]!; k++) abs += Math.abs(vals[k]! * xs[colIdx[k]! * 2 + c]!);
        const n = rowPtr[i + 1]! - rowPtr[i]!;
        expect(Math.abs(got[i * 2 + c]! - want[i * 2 + c]!), `row ${i}`).toBeLessThanOrEqual(
          n * 2 ** -24 * abs + 1e-7,
        );
      }
  });

  it('a small graph model trains through core on webgpu with the fused kernels: the CPU decomposition’s losses, flat memory', async () => {
    const steps = 5;
    const reference = cpuBackend();
    for (const k of SPARSE_KERNELS) delete (reference.kernels as Record<string, unknown>)[k];
    const want = await trainGraph(reference, steps);
    const g = gpu as WebGpuBackend;
    const [got, calls] = await counting(g, () => trainGraph(g, steps));
    for (const k of SPARSE_KERNELS) {
      // every step runs each kernel, forward and backward, the same number of times
      expect(calls[k]!, k).toBeGreaterThanOrEqual(steps);
      expect(calls[k]! % steps, k).toBe(0);
    }
    const detail = JSON.stringify([want.losses, got.losses, calls]);
    for (let i = 0; i < steps; i++) {
      expect(
        Math.abs(got.losses[i]! - want.losses[i]!) / (1 + Math.abs(want.losses[i]!)),
        `step ${i} ${detail}`,
      ).toBeLessThan(1e-5);
    }
    expect(got.losses[steps - 1]!).toBeLessThan(got.losses[0]!);
    for (let i = 1; i < steps; i++) expect(got.handles[i], `handles after step ${i}`).toBe(got.handles[0]);
  });

  it('bad inputs are refused naming the kernel, what it got and what it expected', async () => {
    const b = gpu as WebGpuBackend;
    const before = b.memory().handles;
    const call = (name: KernelName, inputs: Input[], outShape: number[], attrs: object = {}) => {
      const infos = inputs.map(([v, shape]) => {
        const dtype = v instanceof Int32Array ? ('int32' as const) : ('float32' as const);
        return { dataId: b.write(v, dtype), shape, dtype };
      });
      try {
        (b.kernels[name] as (args: unknown) => DataId[])({
          inputs: infos,
          attrs,
          outputs: [{ shape: outShape, dtype: 'float32' }],
        });
      } finally {
        for (const t of infos) b.free(t.dataId);
      }
    };
    const f = new Float32Array(4);
    const i2 = new Int32Array(2);
    expect(() =>
      call(
        'SegmentReduce',
        [
          [f, [4]],
          [f, [2]],
        ],
        [1],
        { reduce: 'sum' },
      ),
    ).toThrow('SegmentReduce: offsets must be int32, got float32');
    expect(() =>
      call(
        'SegmentReduce',
        [
          [f, [4]],
          [i2, [1, 2]],
        ],
        [1],
        { reduce: 'sum' },
      ),
    ).toThrow('SegmentReduce: offsets must be 1-D with S+1 ≥ 1 entries, got shape [1, 2]');
    expect(() =>
      call(
        'SegmentReduce',
        [
          [f, [4]],
          [i2, [2]],
        ],
        [1],
        { reduce: 'prod' },
      ),
    ).toThrow("SegmentReduce: reduce must be 'sum', 'mean', 'max' or 'min', got 'prod'");
    expect(() =>
      call(
        'SegmentReduce',
        [
          [f, [2, 2]],
          [i2, [2]],
        ],
        [1, 3],
        { reduce: 'sum' },
      ),
    ).toThrow('SegmentReduce: the output spec has shape [1, 3]; expected [1, 2]');
    expect(() =>
      call(
        'SpMM',
        [
          [i2, [2]],
          [i2, [2]],
          [f, [4]],
          [f, [2, 2]],
        ],
        [1, 2],
      ),
    ).toThrow('SpMM: colIdx and values must both be (nnz), got [2] and [4]');
    expect(() =>
      call(
        'SpMM',
        [
          [i2, [2]],
          [i2, [2]],
          [f.subarray(0, 2), [2]],
          [f, [4]],
        ],
        [1, 2],
      ),
    ).toThrow('SpMM: x must be 2-D (C, F), got shape [4]');
    expect(() =>
      call(
        'Sddmm',
        [
          [i2, [2]],
          [i2, [2]],
          [f, [2, 2]],
          [f, [4, 1]],
        ],
        [2],
      ),
    ).toThrow('Sddmm: a and b must be (R, F) and (C, F) with the same F, got [2, 2] and [4, 1]');
    expect(b.memory().handles).toBe(before);
  });
});
