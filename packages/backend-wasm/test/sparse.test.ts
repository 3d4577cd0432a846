import {
  CsrMatrix,
  type SegmentReduction,
  type Shape,
  scope,
  sddmm,
  segmentReduce,
  spmm,
  tensor,
  use,
} from '@myelin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WasmBackend, wasmBackend } from '../src/index.js';
import { SPARSE_PARALLEL_MIN } from '../src/kernels/sparse.js';
import { cpu, expectClose, type HostTensor, randomFloats, run } from './helpers.js';

/*
 * The SegmentReduce, SpMM and Sddmm kernels against float64 loops written here from the
 * contracts in core's kernels.ts, and against core's ops on the CPU backend, on random graphs with
 * power-law degrees (a hub with a large share of the edges, many empty rows) and F = 1, 3, 16, 64
 * (and widths that take every tail of the f32x4 loops). The threaded backend must give the same
 * bits as the single-threaded one, as every output element is computed by one thread in order.
 */

/** A deterministic LCG in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * CSR offsets over `rows` rows with power-law degrees: most rows have 0–3 entries, some dozens,
 * and row `hub` (when given) a fixed share of all entries.
 */
function powerLawOffsets(rows: number, meanDegree: number, seed: number, hubShare = 0): Int32Array {
  const r = rng(seed);
  const deg = new Int32Array(rows);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    // Pareto with exponent ~2: floor(m·(u^(-1/1.2) − 1)), capped.
    const u = Math.max(r(), 1e-6);
    deg[i] = Math.min(Math.floor(meanDegree * 0.25 * (u ** (-1 / 1.2) - 1)), 50 * meanDegree);
    total += deg[i]!;
  }
  if (hubShare > 0 && rows > 0) {
    const hub = Math.floor(rows / 3);
    deg[hub] = Math.ceil((hubShare * (total - deg[hub]!)) / (1 - hubShare));
  }
  const offsets = new Int32Array(rows + 1);
  for (let i = 0; i < rows; i++) offsets[i + 1] = offsets[i]! + deg[i]!;
  return offsets;
}

function randomIndices(n: number, bound: number, seed: number): Int32Array {
  const r = rng(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * bound);
  return out;
}

// ---- float64 references, straight from the contracts ----

function segmentRef(
  x: ArrayLike<number>,
  F: number,
  offsets: Int32Array,
  reduce: SegmentReduction,
): Float64Array {
  const S = offsets.length - 1;
  const out = new Float64Array(S * F);
  for (let s = 0; s < S; s++) {
    const e0 = offsets[s]!;
    const e1 = offsets[s + 1]!;
    for (let f = 0; f < F; f++) {
      if (e1 === e0) continue; // empty segment → 0
      let acc = reduce === 'max' ? -Infinity : reduce === 'min' ? Infinity : 0;
      for (let e = e0; e < e1; e++) {
        const v = x[e * F + f]!;
        if (reduce === 'max') acc = Number.isNaN(v) || Number.isNaN(acc) ? Number.NaN : Math.max(acc, v);
        else if (reduce === 'min') acc = Number.isNaN(v) || Number.isNaN(acc) ? Number.NaN : Math.min(acc, v);
        else acc += v;
      }
      out[s * F + f] = reduce === 'mean' ? acc / (e1 - e0) : acc;
    }
  }
  return out;
}

function spmmRef(
  rowPtr: Int32Array,
  colIdx: Int32Array,
  values: ArrayLike<number>,
  x: ArrayLike<number>,
  F: number,
): Float64Array {
  const R = rowPtr.length - 1;
  const out = new Float64Array(R * F);
  for (let r = 0; r < R; r++) {
    for (let k = rowPtr[r]!; k < rowPtr[r + 1]!; k++) {
      for (let f = 0; f < F; f++) out[r * F + f]! += values[k]! * x[colIdx[k]! * F + f]!;
    }
  }
  return out;
}

function sddmmRef(rows: Int32Array, cols: Int32Array, a: ArrayLike<number>, b: ArrayLike<number>, F: number) {
  const out = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    let s = 0;
    for (let f = 0; f < F; f++) s += a[rows[k]! * F + f]! * b[cols[k]! * F + f]!;
    out[k] = s;
  }
  return out;
}

// ---- the kernels, called directly ----

const i32 = (values: Int32Array): HostTensor => ({ values, shape: [values.length], dtype: 'int32' });
const f32t = (values: Float32Array, shape: Shape): HostTensor => ({ values, shape, dtype: 'float32' });

function segmentKernel(
  b: WasmBackend,
  x: Float32Array,
  xShape: Shape,
  offsets: Int32Array,
  reduce: SegmentReduction,
) {
  const outShape = [offsets.length - 1, ...xShape.slice(1)];
  return run(b, 'SegmentReduce', [f32t(x, xShape), i32(offsets)], { reduce }, [{ shape: outShape }])[0]!;
}

function spmmKernel(
  b: WasmBackend,
  rowPtr: Int32Array,
  colIdx: Int32Array,
  values: Float32Array,
  x: Float32Array,
  C: number,
  F: number,
) {
  const ins = [i32(rowPtr), i32(colIdx), f32t(values, [values.length]), f32t(x, [C, F])];
  return run(b, 'SpMM', ins, {}, [{ shape: [rowPtr.length - 1, F] }])[0]!;
}

function sddmmKernel(
  b: WasmBackend,
  rows: Int32Array,
  cols: Int32Array,
  a: Float32Array,
  bb: Float32Array,
  R: number,
  C: number,
  F: number,
) {
  const ins = [i32(rows), i32(cols), f32t(a, [R, F]), f32t(bb, [C, F])];
  return run(b, 'Sddmm', ins, {}, [{ shape: [rows.length] }])[0]!;
}

let single: WasmBackend;
let threaded: WasmBackend;
beforeAll(async () => {
  single = await wasmBackend({ threads: 1, relaxedSimd: true });
  threaded = await wasmBackend({ threads: 2, relaxedSimd: true });
  await use(cpu);
});
afterAll(() => {
  single.dispose();
  threaded.dispose();
});

const WIDTHS = [1, 3, 16, 64, 23];
const REDUCES: SegmentReduction[] = ['sum', 'mean', 'max', 'min'];

describe('SegmentReduce', () => {
  for (const F of WIDTHS) {
    // Enough rows that the threaded backend really splits (checked below).
    const S = F >= 16 ? 600 : 12000;
    const offsets = powerLawOffsets(S, 8, 7 + F, 0.3);
    const E = offsets[S]!;
    const x = randomFloats(E * F, 11 + F);
    for (const reduce of REDUCES) {
      it(`${reduce}, F = ${F}: float64 loop, CPU backend, 1 vs 2 threads`, () => {
        expect((E + S) * F).toBeGreaterThanOrEqual(SPARSE_PARALLEL_MIN);
        const want = segmentRef(x, F, offsets, reduce);
        const one = segmentKernel(single, x, [E, F], offsets, reduce);
        expectClose(one, want, 1e-5, 1e-5);
        const two = segmentKernel(threaded, x, [E, F], offsets, reduce);
        expect(two).toEqual(one);
        const viaCpu = scope(() =>
          segmentReduce(tensor(x, { shape: [E, F] }), tensor(offsets, { dtype: 'int32' }), reduce).dataSync(),
        );
        expectClose(one, viaCpu, 1e-5, 1e-5);
      });
    }
  }

  it('keeps trailing dims (E, 2, 3) and reduces each of the six columns', () => {
    const offsets = Int32Array.from([0, 2, 2, 5]);
    const x = randomFloats(5 * 6, 3);
    for (const reduce of REDUCES) {
      const got = segmentKernel(single, x, [5, 2, 3], offsets, reduce);
      expect(got.length).toBe(3 * 6);
      expectClose(got, segmentRef(x, 6, offsets, reduce), 1e-6, 1e-6);
    }
  });

  it('a worked example: segments [1, 2], [], [3, −4, 5], [−6]', () => {
    const x = Float32Array.from([1, 2, 3, -4, 5, -6]);
    const offsets = Int32Array.from([0, 2, 2, 5, 6]);
    expect(Array.from(segmentKernel(single, x, [6], offsets, 'sum'))).toEqual([3, 0, 4, -6]);
    expect(Array.from(segmentKernel(single, x, [6], offsets, 'mean'))).toEqual(
      [1.5, 0, 4 / 3, -6].map(Math.fround),
    );
    expect(Array.from(segmentKernel(single, x, [6], offsets, 'max'))).toEqual([2, 0, 5, -6]);
    expect(Array.from(segmentKernel(single, x, [6], offsets, 'min'))).toEqual([1, 0, -4, -6]);
  });

  it('max and min propagate NaN, as PyTorch’s amax/amin do, in every loop (F = 1, 5, 20)', () => {
    // Two segments of two rows; NaN in a segment's first row, in its second row, and in the last
    // column (the 16-wide, 4-wide and scalar loops each meet one where F makes them run).
    for (const F of [1, 5, 20]) {
      const x = randomFloats(4 * F, F);
      x[0] = Number.NaN;
      x[F + (F > 1 ? 1 : 0)] = Number.NaN;
      x[3 * F + F - 1] = Number.NaN;
      const offsets = Int32Array.from([0, 2, 4]);
      for (const reduce of ['max', 'min'] as const) {
        const want = segmentRef(x, F, offsets, reduce);
        expect(want.filter(Number.isNaN).length).toBe(F === 1 ? 2 : 3);
        for (const b of [single, threaded])
          expectClose(segmentKernel(b, x, [4, F], offsets, reduce), want, 0, 0);
      }
    }
  });

  it('edges: one segment (batch 1), E = 0 with empty segments, no segments', () => {
    const x = randomFloats(7 * 4, 5);
    expectClose(
      segmentKernel(single, x, [7, 4], Int32Array.from([0, 7]), 'mean'),
      segmentRef(x, 4, Int32Array.from([0, 7]), 'mean'),
      1e-6,
      1e-6,
    );
    for (const reduce of REDUCES) {
      expect(
        Array.from(segmentKernel(threaded, new Float32Array(0), [0, 4], new Int32Array(3), reduce)),
      ).toEqual(new Array(8).fill(0));
    }
    expect(segmentKernel(single, new Float32Array(0), [0, 4], new Int32Array(1), 'sum').length).toBe(0);
  });

  it('a hub segment with nearly every entry is split off from the rest and matches the loop', () => {
    const offsets = powerLawOffsets(2000, 4, 99, 0.95);
    const F = 16;
    const E = offsets[2000]!;
    const x = randomFloats(E * F, 4);
    const two = segmentKernel(threaded, x, [E, F], offsets, 'sum');
    expectClose(two, segmentRef(x, F, offsets, 'sum'), 1e-4, 1e-4);
    expect(two).toEqual(segmentKernel(single, x, [E, F], offsets, 'sum'));
  });

  it('rejects offsets that do not run from 0 to E or decrease, naming the kernel', () => {
    const x = randomFloats(4, 1);
    expect(() => segmentKernel(single, x, [4, 1], Int32Array.from([0, 2, 3]), 'sum')).toThrow(
      /wasm SegmentReduce: offsets must run from 0 to 4.*got 0 … 3/,
    );
    expect(() => segmentKernel(single, x, [4, 1], Int32Array.from([0, 3, 1, 4]), 'sum')).toThrow(
      /wasm SegmentReduce: offsets decrease at 1 \(3 → 1\)/,
    );
    expect(() =>
      run(
        single,
        'SegmentReduce',
        [f32t(x, [4]), i32(Int32Array.from([0, 4]))],
        { reduce: 'prod' as SegmentReduction },
        [{ shape: [1] }],
      ),
    ).toThrow(/wasm SegmentReduce: unknown reduce 'prod'/);
  });
});

describe('SpMM', () => {
  for (const F of WIDTHS) {
    it(`F = ${F}: float64 loop, CPU backend, 1 vs 2 threads`, () => {
      const R = F >= 16 ? 700 : 12000;
      const C = 500;
      const rowPtr = powerLawOffsets(R, 8, 21 + F, 0.25);
      const nnz = rowPtr[R]!;
      const colIdx = randomIndices(nnz, C, 5 + F);
      const values = randomFloats(nnz, 9 + F);
      const x = randomFloats(C * F, 13 + F);
      expect((nnz + R) * F).toBeGreaterThanOrEqual(SPARSE_PARALLEL_MIN);
      const one = spmmKernel(single, rowPtr, colIdx, values, x, C, F);
      expectClose(one, spmmRef(rowPtr, colIdx, values, x, F), 1e-4, 1e-5);
      expect(spmmKernel(threaded, rowPtr, colIdx, values, x, C, F)).toEqual(one);
      const viaCpu = scope(() => {
        const a = new CsrMatrix(rowPtr, colIdx, values, [R, C]);
        const out = spmm(a, tensor(x, { shape: [C, F] })).dataSync();
        a.dispose();
        return out;
      });
      expectClose(one, viaCpu, 1e-4, 1e-5);
    });
  }

  it('a worked example: [[2, 0, 1], [0, 0, 0], [0, −1, 0]] · [[1, 2], [3, 4], [5, 6]]', () => {
    const got = spmmKernel(
      single,
      Int32Array.from([0, 2, 2, 3]),
      Int32Array.from([0, 2, 1]),
      Float32Array.from([2, 1, -1]),
      Float32Array.from([1, 2, 3, 4, 5, 6]),
      3,
      2,
    );
    expect(Array.from(got)).toEqual([7, 10, 0, 0, -3, -4]);
  });

  it('edges: one row, nnz = 0, a (1, 1) matrix', () => {
    const x = randomFloats(6 * 5, 2);
    const rowPtr = Int32Array.from([0, 4]);
    const colIdx = Int32Array.from([5, 0, 5, 2]);
    const values = Float32Array.from([1, -2, 0.5, 3]);
    expectClose(
      spmmKernel(threaded, rowPtr, colIdx, values, x, 6, 5),
      spmmRef(rowPtr, colIdx, values, x, 5),
      1e-6,
      1e-6,
    );
    const empty = spmmKernel(threaded, new Int32Array(4), new Int32Array(0), new Float32Array(0), x, 6, 5);
    expect(Array.from(empty)).toEqual(new Array(15).fill(0));
    expect(
      Array.from(
        spmmKernel(
          single,
          Int32Array.from([0, 1]),
          Int32Array.from([0]),
          Float32Array.from([3]),
          Float32Array.from([-2]),
          1,
          1,
        ),
      ),
    ).toEqual([-6]);
  });

  it('rejects a row pointer that does not end at nnz, naming the kernel', () => {
    expect(() =>
      spmmKernel(
        single,
        Int32Array.from([0, 1, 1]),
        Int32Array.from([0, 1]),
        Float32Array.from([1, 1]),
        randomFloats(4, 1),
        2,
        2,
      ),
    ).toThrow(/wasm SpMM: rowPtr must run from 0 to 2/);
  });
});

describe('Sddmm', () => {
  for (const F of [...WIDTHS, 8, 12]) {
    it(`F = ${F}: float64 loop, CPU backend, 1 vs 2 threads`, () => {
      const R = 300;
      const C = 400;
      const nnz = Math.max(4000, Math.ceil(SPARSE_PARALLEL_MIN / F));
      const rows = randomIndices(nnz, R, 3 + F);
      const cols = randomIndices(nnz, C, 4 + F);
      const a = randomFloats(R * F, 6 + F);
      const b = randomFloats(C * F, 8 + F);
      const one = sddmmKernel(single, rows, cols, a, b, R, C, F);
      expectClose(one, sddmmRef(rows, cols, a, b, F), 1e-4, 1e-5);
      expect(sddmmKernel(threaded, rows, cols, a, b, R, C, F)).toEqual(one);
      const viaCpu = scope(() =>
        sddmm(
          tensor(rows, { dtype: 'int32' }),
          tensor(cols, { dtype: 'int32' }),
          tensor(a, { shape: [R, F] }),
          tensor(b, { shape: [C, F] }),
        ).dataSync(),
      );
      expectClose(one, viaCpu, 1e-4, 1e-5);
    });
  }

  it('a worked example and the edges: one entry, nnz = 0, F = 0', () => {
    const a = Float32Array.from([1, 2, 3, 4]); // (2, 2)
    const b = Float32Array.from([5, 6, 7, 8, 9, 10]); // (3, 2)
    const got = sddmmKernel(single, Int32Array.from([0, 1, 1]), Int32Array.from([2, 0, 1]), a, b, 2, 3, 2);
    expect(Array.from(got)).toEqual([1 * 9 + 2 * 10, 3 * 5 + 4 * 6, 3 * 7 + 4 * 8]);
    expect(
      Array.from(sddmmKernel(threaded, Int32Array.from([1]), Int32Array.from([1]), a, b, 2, 3, 2)),
    ).toEqual([3 * 7 + 4 * 8]);
    expect(sddmmKernel(threaded, new Int32Array(0), new Int32Array(0), a, b, 2, 3, 2).length).toBe(0);
    const zeroF = sddmmKernel(
      single,
      Int32Array.from([0, 1]),
      Int32Array.from([0, 0]),
      new Float32Array(0),
      new Float32Array(0),
      2,
      3,
      0,
    );
    expect(Array.from(zeroF)).toEqual([0, 0]);
  });

  it('rejects a and b of different widths, naming the kernel', () => {
    expect(() =>
      run(
        single,
        'Sddmm',
        [
          i32(Int32Array.from([0])),
          i32(Int32Array.from([0])),
          f32t(randomFloats(4), [2, 2]),
          f32t(randomFloats(3), [1, 3]),
        ],
        {},
        [{ shape: [1] }],
      ),
    ).toThrow(/wasm Sddmm: a and b must be \(R, F\) and \(C, F\) with one F, got \[2, 2\] and \[1, 3\]/);
  });
});

describe('the plain build (no fused multiply-adds)', () => {
  let plain: WasmBackend;
  beforeAll(async () => {
    plain = await wasmBackend({ threads: 2, relaxedSimd: false });
  });
  afterAll(() => plain.dispose());

  it('SpMM and Sddmm match the float64 loops, split over 2 threads, F = 23 (every loop width)', () => {
    const F = 23;
    const R = 700;
    const C = 300;
    const rowPtr = powerLawOffsets(R, 8, 77, 0.25);
    const nnz = rowPtr[R]!;
    const colIdx = randomIndices(nnz, C, 78);
    const rows = new Int32Array(nnz);
    for (let r = 0; r < R; r++) rows.fill(r, rowPtr[r]!, rowPtr[r + 1]!);
    const values = randomFloats(nnz, 79);
    const x = randomFloats(C * F, 80);
    const a = randomFloats(R * F, 81);
    expect(nnz * F).toBeGreaterThanOrEqual(SPARSE_PARALLEL_MIN);
    expectClose(
      spmmKernel(plain, rowPtr, colIdx, values, x, C, F),
      spmmRef(rowPtr, colIdx, values, x, F),
      1e-4,
      1e-5,
    );
    expectClose(sddmmKernel(plain, rows, colIdx, a, x, R, C, F), sddmmRef(rows, colIdx, a, x, F), 1e-4, 1e-5);
  });
});
