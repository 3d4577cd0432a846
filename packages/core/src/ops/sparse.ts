import { keep } from '../engine.js';
import type { SegmentReduction } from '../kernels.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { full, tensor, zeros } from './creation.js';
import { cast, div, equal, exp, maximum, minimum, mul, sub, where } from './elementwise.js';
import { cumsum, indexSelect, scatterAdd, sort } from './indexing.js';
import { sum } from './reduce.js';
import { broadcastTo, concat, pad, reshape, slice } from './shape.js';

/*
 * Sparse and segment ops for graph neural networks: reductions over contiguous segments (each
 * node's incoming edges, sorted by destination), unsorted scatter reductions (PyTorch Geometric's
 * `scatter`), CSR sparse × dense products and per-edge dot products. A backend with the fused
 * kernels (`SegmentReduce`, `SpMM`, `Sddmm`) runs each in one pass; every other backend runs the
 * decompositions below, built from primitives only, with no host reads.
 */

function checkFloat(op: string, name: string, t: Tensor): void {
  if (t.dtype !== 'float32') throw new TypeError(`${op}: ${name} must be float32, got ${t.dtype}`);
}

function checkInt(op: string, name: string, t: Tensor): void {
  if (t.dtype !== 'int32') throw new TypeError(`${op}: ${name} must be int32, got ${t.dtype}`);
}

/**
 * The segment of every row: `ids[e] = s` for offsets[s] ≤ e < offsets[s+1]. A marker at each
 * segment start after the first, summed up (int32, exact).
 */
export function segmentIds(offsets: Tensor, rows: number): Tensor {
  checkInt('segmentIds', 'offsets', offsets);
  const s = offsets.shape[0]! - 1;
  if (rows === 0 || s <= 1) return zeros([rows], { dtype: 'int32' });
  const starts = slice(offsets, [1, s]);
  const marks = scatterAdd(zeros([rows + 1], { dtype: 'int32' }), 0, starts, full([s - 1], 1, { dtype: 'int32' }));
  return slice(cumsum(marks, 0), [0, rows]);
}

/** Index `ids` (E) broadcast over the trailing dims of `like` (E, …F), as scatterAdd wants it. */
function alongRows(ids: Tensor, like: Tensor): Tensor {
  const shape = [ids.shape[0]!, ...like.shape.slice(1).map(() => 1)];
  return broadcastTo(reshape(ids, shape), like.shape);
}

/** Rows of `x` shifted down by `d` (the first `d` rows filled with `fill`). */
function shiftRows(x: Tensor, d: number, fill: number): Tensor {
  const pads = new Array<number>(2 * x.rank).fill(0);
  pads[2 * x.rank - 2] = d; // pad order: last dim first; rows are dim 0
  return slice(pad(x, pads, { value: fill }), [0, x.shape[0]!]);
}

/**
 * Reduce contiguous runs of rows of `x` (E, …F): row s of the result (S, …F) reduces rows
 * offsets[s] … offsets[s+1]−1 by `reduce` ('sum', 'mean', 'max' or 'min'); an empty run gives 0.
 * `offsets` (S+1, int32) runs from 0 to E without decreasing (a CSR row pointer).
 * @example segmentReduce(edgeMessages, graph.inOffsets, 'mean') // (numNodes, F)
 */
export function segmentReduce(x: Tensor, offsets: Tensor, reduce: SegmentReduction = 'sum'): Tensor {
  checkFloat('segmentReduce', 'x', x);
  checkInt('segmentReduce', 'offsets', offsets);
  if (x.rank < 1) throw new RangeError(`segmentReduce: x must have at least one dim, got a scalar`);
  if (offsets.rank !== 1 || offsets.shape[0]! < 1) {
    throw new RangeError(`segmentReduce: offsets must be 1-D with S+1 ≥ 1 entries, got shape ${fmtShape(offsets.shape)}`);
  }
  const e = x.shape[0]!;
  const s = offsets.shape[0]! - 1;
  const outShape = [s, ...x.shape.slice(1)];
  const ids = segmentIds(offsets, e);
  const counts = sub(slice(offsets, [1, s + 1]), slice(offsets, [0, s]));
  const countsF = reshape(cast(counts, 'float32'), [s, ...x.shape.slice(1).map(() => 1)]);
  if (reduce === 'sum' || reduce === 'mean') {
    const total = scatterAdd(zeros(outShape), 0, alongRows(ids, x), x);
    return reduce === 'sum' ? total : div(total, maximum(countsF, 1));
  }
  // max / min: a segmented scan that doubles its reach each step, ⌈log2 E⌉ steps; the last row of
  // each segment then holds the segment's extreme.
  const op = reduce === 'max' ? maximum : minimum;
  const fill = reduce === 'max' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  let y = x;
  const idsCol = alongRows(ids, x);
  for (let d = 1; d < e; d *= 2) {
    const same = equal(idsCol, shiftRows(idsCol, d, -1));
    y = where(same, op(y, shiftRows(y, d, fill)), y);
  }
  if (s === 0) return zeros(outShape);
  const last = maximum(sub(slice(offsets, [1, s + 1]), 1), 0);
  const picked = e === 0 ? zeros(outShape) : indexSelect(y, 0, last);
  return where(equal(countsF, 0), 0, picked);
}

/**
 * PyTorch Geometric's `scatter`: reduce the rows of `src` (E, …F) that share an `index` (E, int32,
 * any order) into `numSegments` rows; a segment no row reaches gives 0.
 */
export function scatterReduce(
  src: Tensor,
  index: Tensor,
  numSegments: number,
  reduce: SegmentReduction = 'sum',
): Tensor {
  checkFloat('scatterReduce', 'src', src);
  checkInt('scatterReduce', 'index', index);
  if (index.rank !== 1 || index.shape[0] !== src.shape[0]) {
    throw new RangeError(
      `scatterReduce: index must be 1-D with one entry per row of src ${fmtShape(src.shape)}, got ${fmtShape(index.shape)}`,
    );
  }
  const [sorted, perm] = sort(index);
  const counts = scatterAdd(
    zeros([numSegments], { dtype: 'int32' }),
    0,
    index,
    full([index.shape[0]!], 1, { dtype: 'int32' }),
  );
  void sorted;
  const offsets = concat([zeros([1], { dtype: 'int32' }), cumsum(counts, 0)]);
  return segmentReduce(indexSelect(src, 0, perm), offsets, reduce);
}

/**
 * Softmax over each segment of `scores` (E, …H): each node's incoming edges (attention weights).
 * An empty segment has no rows, so nothing to normalise.
 */
export function segmentSoftmax(scores: Tensor, offsets: Tensor): Tensor {
  checkFloat('segmentSoftmax', 'scores', scores);
  const ids = segmentIds(offsets, scores.shape[0]!);
  const m = segmentReduce(scores, offsets, 'max');
  const z = exp(sub(scores, indexSelect(m, 0, ids)));
  return div(z, indexSelect(segmentReduce(z, offsets, 'sum'), 0, ids));
}

/**
 * Per-entry dot products (SDDMM): `out[k] = Σ_f a[rows[k], f]·b[cols[k], f]` for int32 `rows`,
 * `cols` (nnz) and float32 `a` (R, F), `b` (C, F).
 */
export function sddmm(rows: Tensor, cols: Tensor, a: Tensor, b: Tensor): Tensor {
  checkInt('sddmm', 'rows', rows);
  checkInt('sddmm', 'cols', cols);
  checkFloat('sddmm', 'a', a);
  checkFloat('sddmm', 'b', b);
  return sum(mul(indexSelect(a, 0, rows), indexSelect(b, 0, cols)), -1);
}

/**
 * A sparse (R, C) matrix in compressed sparse row form: `rowPtr` (R+1), `colIdx` and `values`
 * (nnz). The index structure lives on the host too (graphs are built there), so the transpose is a
 * counting sort done once. Its tensors are kept out of scopes; `dispose()` frees them.
 */
export class CsrMatrix {
  readonly shape: readonly [number, number];
  readonly rowPtr: Tensor;
  readonly colIdx: Tensor;
  readonly values: Tensor;
  readonly hostRowPtr: Int32Array;
  readonly hostColIdx: Int32Array;
  private rowsCache: Tensor | undefined;
  private readonly ownsValues: boolean;

  constructor(
    rowPtr: Int32Array,
    colIdx: Int32Array,
    values: Tensor | Float32Array | undefined,
    shape: readonly [number, number],
  ) {
    const [r, c] = shape;
    if (rowPtr.length !== r + 1) {
      throw new RangeError(`CsrMatrix: rowPtr has ${rowPtr.length} entries for ${r} rows; expected ${r + 1}`);
    }
    if (rowPtr[0] !== 0 || rowPtr[r] !== colIdx.length) {
      throw new RangeError(
        `CsrMatrix: rowPtr must run from 0 to nnz = ${colIdx.length}, got ${rowPtr[0]} … ${rowPtr[r]}`,
      );
    }
    for (let i = 0; i < r; i++) {
      if (rowPtr[i + 1]! < rowPtr[i]!) {
        throw new RangeError(`CsrMatrix: rowPtr decreases at row ${i} (${rowPtr[i]} → ${rowPtr[i + 1]})`);
      }
    }
    for (let k = 0; k < colIdx.length; k++) {
      const j = colIdx[k]!;
      if (j < 0 || j >= c) {
        throw new RangeError(`CsrMatrix: column index ${j} at entry ${k} is out of range for ${c} columns`);
      }
    }
    this.shape = [r, c];
    this.hostRowPtr = rowPtr;
    this.hostColIdx = colIdx;
    this.rowPtr = keep(tensor(rowPtr, { dtype: 'int32', shape: [r + 1] }));
    this.colIdx = keep(tensor(colIdx, { dtype: 'int32', shape: [colIdx.length] }));
    const owned = !(values !== undefined && !(values instanceof Float32Array));
    const v =
      values === undefined
        ? full([colIdx.length], 1)
        : values instanceof Float32Array
          ? tensor(values, { dtype: 'float32', shape: [values.length] })
          : values;
    if (v.rank !== 1 || v.shape[0] !== colIdx.length) {
      throw new RangeError(`CsrMatrix: values must have shape [${colIdx.length}], got ${fmtShape(v.shape)}`);
    }
    checkFloat('CsrMatrix', 'values', v);
    this.values = owned ? keep(v) : v;
    this.ownsValues = owned;
  }

  get nnz(): number {
    return this.hostColIdx.length;
  }

  /** The row of every stored entry (nnz, int32). */
  rowIndices(): Tensor {
    if (!this.rowsCache) {
      const rows = new Int32Array(this.nnz);
      for (let i = 0; i < this.shape[0]; i++) rows.fill(i, this.hostRowPtr[i]!, this.hostRowPtr[i + 1]!);
      this.rowsCache = keep(tensor(rows, { dtype: 'int32', shape: [rows.length] }));
    }
    return this.rowsCache;
  }

  /** Free the index tensors (and the values, when this matrix made them). */
  dispose(): void {
    this.rowPtr.dispose();
    this.colIdx.dispose();
    this.rowsCache?.dispose();
    if (this.ownsValues) this.values.dispose();
  }
}

/**
 * Sparse × dense: `a` (R, C) CSR times `x` (C, F) → (R, F).
 * @example spmm(graph.normalizedAdjacency(), features)
 */
export function spmm(a: CsrMatrix, x: Tensor): Tensor {
  checkFloat('spmm', 'x', x);
  if (x.rank !== 2 || x.shape[0] !== a.shape[1]) {
    throw new RangeError(
      `spmm: x must have shape [${a.shape[1]}, F] for a sparse matrix of shape ${fmtShape(a.shape)}, got ${fmtShape(x.shape)}`,
    );
  }
  const gathered = indexSelect(x, 0, a.colIdx);
  return segmentReduce(mul(gathered, reshape(a.values, [a.nnz, 1])), a.rowPtr, 'sum');
}

