import type { SegmentReduction, Tensor } from '@myelin/core';
import * as m from '@myelin/core';
import type { CaseBuilder, InputSpec } from '../generated.js';
import type { OpFn } from '../ops-table.js';
import type { Ref, RefOp } from '../reference.js';

/*
 * The sparse and segment ops (segmentReduce, scatterReduce, segmentSoftmax, segmentIds, spmm and
 * sddmm; spmm through CsrMatrix.transpose and CsrMatrix.fromCoo; sddmm over a CsrMatrix): their
 * generated edge cases, the calls into core, float64 references and which inputs get gradients.
 *
 * The references below are plain loops over the definitions, sharing no code with core or any
 * backend. They return unrounded float64 values (the central differences that give the expected
 * gradients need them so; the suite's tolerances absorb a kernel's float32 rounding).
 */

// ---------------------------------------------------------------------------------------------
// Calls into core
// ---------------------------------------------------------------------------------------------

const ints = (t: Tensor) => Int32Array.from(t.dataSync());

/**
 * spmm with a CsrMatrix built from the case's index tensors (read back on the host, as graphs are
 * built there). The matrix is freed before the gradients run: its rule must not need it alive.
 */
function withCsr(
  rowPtr: Tensor,
  colIdx: Tensor,
  values: Tensor,
  cols: number,
  f: (a: m.CsrMatrix) => Tensor,
) {
  const ptr = ints(rowPtr);
  const a = new m.CsrMatrix(ptr, ints(colIdx), values, [ptr.length - 1, cols]);
  try {
    return f(a);
  } finally {
    a.dispose();
  }
}

/** Op name → the core call of a case. */
export const SPARSE_OPS: Readonly<Record<string, OpFn>> = {
  segmentReduce: ([x, offsets], a) => m.segmentReduce(x!, offsets!, a.reduce),
  scatterReduce: ([src, index], a) => m.scatterReduce(src!, index!, a.numSegments!, a.reduce),
  segmentSoftmax: ([x, offsets]) => m.segmentSoftmax(x!, offsets!),
  segmentIds: ([offsets], a) => m.segmentIds(offsets!, a.n!),
  sddmm: ([rows, cols, a, b]) => m.sddmm(rows!, cols!, a!, b!),
  // [rowPtr (R+1), colIdx, values, x (C, F)]: the matrix is (R, C)
  spmm: ([ptr, col, v, x]) => withCsr(ptr!, col!, v!, x!.shape[0]!, (a) => m.spmm(a, x!)),
  // the same inputs with x (R, F): Aᵀ·x, through the cached transpose
  spmmTransposed: ([ptr, col, v, x], a) =>
    withCsr(ptr!, col!, v!, a.n!, (csr) => m.spmm(csr.transpose(), x!)),
  // [rowPtr (R+1), colIdx, a (R, F), b (C, F)]: sddmm over the entries of a CsrMatrix
  sddmmCsr: ([ptr, col, a, b]) => {
    const p = ints(ptr!);
    const csr = new m.CsrMatrix(p, ints(col!), undefined, [p.length - 1, b!.shape[0]!]);
    try {
      return m.sddmm(csr, a!, b!);
    } finally {
      csr.dispose();
    }
  },
  // [rows, cols, values, x (C, F)] in any order, args.n rows: A built by CsrMatrix.fromCoo
  spmmCoo: ([rows, cols, v, x], a) => {
    const csr = m.CsrMatrix.fromCoo(ints(rows!), ints(cols!), v!, [a.n!, x!.shape[0]!]);
    try {
      return m.spmm(csr, x!);
    } finally {
      csr.dispose();
    }
  },
};

// ---------------------------------------------------------------------------------------------
// float64 references
// ---------------------------------------------------------------------------------------------

const width = (shape: readonly number[]) => shape.slice(1).reduce((p, d) => p * d, 1);
const f64 = (shape: number[], data: number[]): Ref => ({ shape, dtype: 'float32', data });

/** Combine the rows `members` of x (each a list of row numbers) by `reduce`; no member → 0. */
function reduceRows(x: Ref, members: number[][], reduce: SegmentReduction): Ref {
  const w = width(x.shape);
  const data: number[] = [];
  for (const rows of members) {
    for (let f = 0; f < w; f++) {
      const vals = rows.map((e) => x.data[e * w + f]!);
      if (vals.length === 0) data.push(0);
      else if (reduce === 'sum') data.push(vals.reduce((s, v) => s + v, 0));
      else if (reduce === 'mean') data.push(vals.reduce((s, v) => s + v, 0) / vals.length);
      else if (reduce === 'max') data.push(Math.max(...vals));
      else data.push(Math.min(...vals));
    }
  }
  return f64([members.length, ...x.shape.slice(1)], data);
}

/** Row numbers of each segment of an offsets array. */
function segments(offsets: readonly number[]): number[][] {
  const out: number[][] = [];
  for (let s = 0; s + 1 < offsets.length; s++) {
    const rows: number[] = [];
    for (let e = offsets[s]!; e < offsets[s + 1]!; e++) rows.push(e);
    out.push(rows);
  }
  return out;
}

const segmentReduceRef: RefOp = ([x, off], a) => [reduceRows(x!, segments(off!.data), a.reduce ?? 'sum')];

const scatterReduceRef: RefOp = ([src, index], a) => {
  const members: number[][] = Array.from({ length: a.numSegments! }, () => []);
  index!.data.forEach((s, e) => {
    members[s]!.push(e);
  });
  return [reduceRows(src!, members, a.reduce ?? 'sum')];
};

const segmentSoftmaxRef: RefOp = ([x, off]) => {
  const w = width(x!.shape);
  const data = new Array<number>(x!.data.length).fill(0);
  for (const rows of segments(off!.data)) {
    for (let f = 0; f < w; f++) {
      const top = Math.max(...rows.map((e) => x!.data[e * w + f]!));
      const z = rows.map((e) => Math.exp(x!.data[e * w + f]! - top));
      const total = z.reduce((s, v) => s + v, 0);
      rows.forEach((e, i) => {
        data[e * w + f] = z[i]! / total;
      });
    }
  }
  return [f64([...x!.shape], data)];
};

const segmentIdsRef: RefOp = ([off], a) => {
  const data = new Array<number>(a.n!).fill(0);
  segments(off!.data).forEach((rows, s) => {
    for (const e of rows) data[e] = s;
  });
  return [{ shape: [a.n!], dtype: 'int32', data }];
};

/** Σ over entries (r, c, v) of v·x[c] into row r of an (R, F) result. */
function sparseTimes(entries: [number, number, number][], r: number, x: Ref): Ref {
  const f = x.shape[1]!;
  const data = new Array<number>(r * f).fill(0);
  for (const [i, j, v] of entries) for (let k = 0; k < f; k++) data[i * f + k] += v * x.data[j * f + k]!;
  return f64([r, f], data);
}

/** The (row, col, value) entries of CSR arrays. */
function csrEntries(
  ptr: readonly number[],
  col: readonly number[],
  val: readonly number[],
): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let i = 0; i + 1 < ptr.length; i++) {
    for (let k = ptr[i]!; k < ptr[i + 1]!; k++) out.push([i, col[k]!, val[k]!]);
  }
  return out;
}

const spmmRef: RefOp = ([ptr, col, val, x]) => [
  sparseTimes(csrEntries(ptr!.data, col!.data, val!.data), ptr!.data.length - 1, x!),
];

const spmmTransposedRef: RefOp = ([ptr, col, val, x], a) => {
  const entries = csrEntries(ptr!.data, col!.data, val!.data).map(
    ([i, j, v]) => [j, i, v] as [number, number, number],
  );
  return [sparseTimes(entries, a.n!, x!)];
};

const spmmCooRef: RefOp = ([rows, cols, val, x], a) => [
  sparseTimes(
    rows!.data.map((i, k) => [i, cols!.data[k]!, val!.data[k]!]),
    a.n!,
    x!,
  ),
];

const sddmmRef: RefOp = ([rows, cols, a, b]) => {
  const f = a!.shape[1]!;
  const data = rows!.data.map((i, k) => {
    let s = 0;
    for (let j = 0; j < f; j++) s += a!.data[i * f + j]! * b!.data[cols!.data[k]! * f + j]!;
    return s;
  });
  return [f64([rows!.data.length], data)];
};

const sddmmCsrRef: RefOp = ([ptr, col, a, b]) => {
  const rows = csrEntries(ptr!.data, col!.data, col!.data).map(([i]) => i);
  return sddmmRef([{ shape: [rows.length], dtype: 'int32', data: rows }, col!, a!, b!], {});
};

/** Op name → float64 reference. */
export const SPARSE_REFERENCE: Readonly<Record<string, RefOp>> = {
  segmentReduce: segmentReduceRef,
  scatterReduce: scatterReduceRef,
  segmentSoftmax: segmentSoftmaxRef,
  segmentIds: segmentIdsRef,
  sddmm: sddmmRef,
  sddmmCsr: sddmmCsrRef,
  spmm: spmmRef,
  spmmTransposed: spmmTransposedRef,
  spmmCoo: spmmCooRef,
};

/** Op name → positions of the inputs that get gradients. */
export const SPARSE_DIFFERENTIABLE: Readonly<Record<string, readonly number[] | 'all'>> = {
  segmentReduce: [0],
  scatterReduce: [0],
  segmentSoftmax: [0],
  sddmm: [2, 3],
  sddmmCsr: [2, 3],
  spmm: [2, 3],
  spmmTransposed: [2, 3],
  spmmCoo: [2, 3],
};

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

const fmt = (s: readonly number[]) => `[${s.join(',')}]`;
const float = (shape: number[], domain?: InputSpec['domain']): InputSpec => ({
  shape,
  dtype: 'float32',
  ...(domain ? { domain } : {}),
});
const int = (data: number[]): InputSpec => ({ shape: [data.length], dtype: 'int32', data });
const exact = (shape: number[], data: number[]): InputSpec => ({ shape, dtype: 'float32', data });

const NEGATIVE = { lo: -3, hi: -0.5 };
const REDUCTIONS: SegmentReduction[] = ['sum', 'mean', 'max', 'min'];

/** Segment layouts: [description, row shape (…F), offsets]. */
const SEGMENT_LAYOUTS: [string, number[], number[]][] = [
  ['E 0, S 0', [3], [0]],
  ['E 0, all 3 segments empty', [2], [0, 0, 0, 0]],
  ['empty segments first, middle and last', [2], [0, 0, 2, 2, 6, 6]],
  ['one segment', [3], [0, 4]],
  ['one row, one segment', [2], [0, 1]],
  ['F 1', [1], [0, 2, 5]],
  ['rank-1 rows', [], [0, 3, 5]],
  ['rows of rank 2 (2×3)', [2, 3], [0, 1, 3, 5]],
  ['F 0', [0], [0, 1, 3]],
];

/**
 * Two-way ties (the cotangent splits evenly, as PyTorch's amax / amin backward and the central
 * difference agree): segment 0 rows [2, 2, -1], segment 1 rows [-3, 0.5, -3] (columns differ).
 */
const TIES = exact([6, 2], [2, -1, 2, 4, -1, 4, -3, 0.5, 0.5, 0.25, -3, 0.5]);

function segmentCases(b: CaseBuilder): void {
  for (const reduce of REDUCTIONS) {
    for (const [desc, row, offsets] of SEGMENT_LAYOUTS) {
      const e = offsets[offsets.length - 1]!;
      b.add('segmentReduce', `${reduce} ${desc}`, [float([e, ...row]), int(offsets)], { reduce });
    }
    b.add('segmentReduce', `${reduce} two-way ties`, [TIES, int([0, 3, 6])], { reduce });
    b.add('segmentReduce', `${reduce} all-negative rows`, [float([5, 2], NEGATIVE), int([0, 2, 2, 5])], {
      reduce,
    });
  }
  for (const [desc, row, offsets] of SEGMENT_LAYOUTS) {
    const e = offsets[offsets.length - 1]!;
    b.add('segmentSoftmax', desc, [float([e, ...row]), int(offsets)]);
    b.add('segmentIds', desc, [int(offsets)], { n: e });
  }
  b.add('segmentSoftmax', 'large scores', [float([4, 2], { lo: 50, hi: 80 }), int([0, 3, 4])]);
}

/** Two-way ties under index [1, 0, 1, 0, 1, 0]: every column of both segments has one. */
const SCATTER_TIES = exact([6, 2], [2, -1, 0, 3, 2, -1, -2, 3, 1, 0, -2, 1]);

/** Unsorted indices: [description, row shape, index, numSegments]. */
const SCATTER_LAYOUTS: [string, number[], number[], number][] = [
  ['E 0, S 0', [2], [], 0],
  ['E 0, S 2', [2], [], 2],
  ['unsorted, segments 0 and 4 empty', [3], [3, 1, 3, 2, 1, 3], 5],
  ['everything to one segment', [2], [1, 1, 1], 2],
  ['one row', [1], [0], 1],
  ['rank-1 rows', [], [2, 0, 2, 0, 1], 3],
  ['rows of rank 2 (3×1)', [3, 1], [1, 0, 1, 1], 2],
];

function scatterCases(b: CaseBuilder): void {
  for (const reduce of REDUCTIONS) {
    for (const [desc, row, index, numSegments] of SCATTER_LAYOUTS) {
      b.add('scatterReduce', `${reduce} ${desc}`, [float([index.length, ...row]), int(index)], {
        reduce,
        numSegments,
      });
    }
    b.add('scatterReduce', `${reduce} two-way ties`, [SCATTER_TIES, int([1, 0, 1, 0, 1, 0])], {
      reduce,
      numSegments: 2,
    });
    b.add('scatterReduce', `${reduce} all-negative rows`, [float([4, 2], NEGATIVE), int([0, 2, 0, 2])], {
      reduce,
      numSegments: 3,
    });
  }
}

/** CSR layouts: [description, rowPtr, colIdx, columns]. */
const CSR_LAYOUTS: [string, number[], number[], number][] = [
  ['0×0, nnz 0', [0], [], 0],
  ['2×3, nnz 0', [0, 0, 0], [], 3],
  ['5×4 with empty rows first, middle and last and a duplicate entry', [0, 0, 3, 3, 4, 4], [1, 3, 1, 0], 4],
  ['one row 1×3', [0, 3], [2, 0, 1], 3],
  ['1×1', [0, 1], [0], 1],
  ['tall 4×2', [0, 1, 3, 4, 5], [1, 0, 1, 0, 0], 2],
];

function csrCases(b: CaseBuilder): void {
  for (const [desc, ptr, col, cols] of CSR_LAYOUTS) {
    const rows = ptr.length - 1;
    for (const f of [3, 1, 0]) {
      if (f !== 3 && col.length === 0) continue;
      const d = `${desc}, F ${f}`;
      const values = float([col.length]);
      b.add('spmm', d, [int(ptr), int(col), values, float([cols, f])]);
      b.add('spmmTransposed', d, [int(ptr), int(col), values, float([rows, f])], { n: cols });
      const rowOf = ptr.slice(0, -1).flatMap((p, i) => new Array<number>(ptr[i + 1]! - p).fill(i));
      b.add('sddmm', d, [int(rowOf), int(col), float([rows, f]), float([cols, f])]);
      b.add('sddmmCsr', d, [int(ptr), int(col), float([rows, f]), float([cols, f])]);
    }
  }
  // COO in no particular order (duplicates included), rows of a 4×3 matrix
  const cooRows = [2, 0, 3, 2, 0, 2];
  const cooCols = [1, 2, 0, 1, 0, 2];
  b.add(
    'spmmCoo',
    'unsorted 4×3 with a duplicate, F 2',
    [int(cooRows), int(cooCols), float([6]), float([3, 2])],
    {
      n: 4,
    },
  );
  b.add('spmmCoo', 'nnz 0, 2×2, F 2', [int([]), int([]), float([0]), float([2, 2])], { n: 2 });
  b.add('sddmm', `unsorted rows ${fmt(cooRows)}, F 2`, [
    int(cooRows),
    int(cooCols),
    float([4, 2]),
    float([3, 2]),
  ]);
}

/** Add the generated cases. */
export function sparseCases(b: CaseBuilder): void {
  segmentCases(b);
  scatterCases(b);
  csrCases(b);
}
