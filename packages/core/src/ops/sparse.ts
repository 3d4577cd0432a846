import { defineGrad, type GradFn, noGrad, record } from '../autograd.js';
import { execute, getBackend, keep } from '../engine.js';
import type { KernelName, SegmentReduction } from '../kernels.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { full, tensor, zeros } from './creation.js';
import { cast, div, equal, exp, maximum, minimum, mul, sub, where } from './elementwise.js';
import { cumsum, sort } from './indexing.js';
import { sum } from './reduce.js';
import { broadcastTo, concat, pad, reshape, slice } from './shape.js';

/*
 * Sparse and segment ops for graph neural networks: reductions over contiguous segments (each
 * node's incoming edges, sorted by destination), unsorted scatter reductions (PyTorch Geometric's
 * `scatter`), CSR sparse × dense products and per-edge dot products.
 *
 * Each of `segmentReduce`, `spmm` and `sddmm` is one tape node with its own gradient rule, whatever
 * computes its forward: the backend's fused kernel (`SegmentReduce`, `SpMM`, `Sddmm`) when it has
 * one, else the decomposition below, built from primitives only and run without recording. The
 * rules are written with these same ops, so gradients of gradients work and stay sparse.
 *
 * Index arguments are checked on the host (a clear error naming the op and the bad entry) when the
 * backend can read them synchronously; the ops' own internal calls (gradient rules, derived index
 * tensors) are trusted and read nothing back.
 */

const REDUCTIONS: readonly SegmentReduction[] = ['sum', 'mean', 'max', 'min'];

function checkFloat(op: string, name: string, t: Tensor): void {
  if (t.dtype !== 'float32') throw new TypeError(`${op}: ${name} must be float32, got ${t.dtype}`);
}

function checkInt(op: string, name: string, t: Tensor): void {
  if (t.dtype !== 'int32') throw new TypeError(`${op}: ${name} must be int32, got ${t.dtype}`);
}

function checkReduce(op: string, reduce: string): void {
  if (!REDUCTIONS.includes(reduce as SegmentReduction)) {
    throw new RangeError(`${op}: reduce must be one of ${REDUCTIONS.join(', ')}, got '${reduce}'`);
  }
}

function checkCount(op: string, name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`${op}: ${name} must be a non-negative integer, got ${n}`);
  }
}

/** The values of an int32 tensor when the backend can read them synchronously, else null. */
function hostInts(t: Tensor): ArrayLike<number> | null {
  if (t.backend.canReadSync === false) return null;
  try {
    return t.dataSync();
  } catch {
    // A backend that reads asynchronously only (WebGPU, for a tensor it computed): no check.
    return null;
  }
}

/** Offsets (S+1) must run from 0 to `rows` without decreasing. */
function checkOffsets(op: string, offsets: Tensor, rows: number, what: string): void {
  checkInt(op, 'offsets', offsets);
  if (offsets.rank !== 1 || offsets.shape[0]! < 1) {
    throw new RangeError(
      `${op}: offsets must be 1-D with S+1 ≥ 1 entries, got shape ${fmtShape(offsets.shape)}`,
    );
  }
  const v = hostInts(offsets);
  if (!v) return;
  const s = v.length - 1;
  if (v[0] !== 0) throw new RangeError(`${op}: offsets must start at 0, got offsets[0] = ${v[0]}`);
  for (let i = 0; i < s; i++) {
    if (v[i + 1]! < v[i]!) {
      throw new RangeError(
        `${op}: offsets must not decrease, got offsets[${i}] = ${v[i]} > offsets[${i + 1}] = ${v[i + 1]}`,
      );
    }
  }
  if (v[s] !== rows) {
    throw new RangeError(`${op}: offsets must end at ${rows} (${what}), got offsets[${s}] = ${v[s]}`);
  }
}

/** Every entry of an int32 index in [0, n). */
function checkRange(op: string, name: string, index: Tensor, n: number, what: string): void {
  const v = hostInts(index);
  if (!v) return;
  for (let k = 0; k < v.length; k++) {
    const i = v[k]!;
    if (i < 0 || i >= n) {
      throw new RangeError(`${op}: ${name}[${k}] = ${i} is out of range for ${what} (expected 0 ≤ i < ${n})`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Trusted building blocks (indices valid by construction: no host reads)
// ---------------------------------------------------------------------------------------------

/** indexSelect along dim 0 without the bounds check. */
function rowsOf(x: Tensor, index: Tensor): Tensor {
  return execRecorded('IndexSelect', [x, index], { axis: 0 }, [index.shape[0]!, ...x.shape.slice(1)]);
}

/** scatterAdd along dim 0 without the bounds check. */
function addRows(into: Tensor, index: Tensor, src: Tensor): Tensor {
  return execRecorded('ScatterAdd', [into, alongRows(index, src), src], { axis: 0 }, into.shape);
}

/** Run a primitive and record it with its own gradient rule (what `apply` does). */
function execRecorded(
  name: 'IndexSelect' | 'ScatterAdd',
  inputs: Tensor[],
  attrs: { axis: number },
  shape: readonly number[],
): Tensor {
  const out = execute(name, inputs, attrs, [{ shape, dtype: inputs[0]!.dtype }]);
  record(name, inputs, out, attrs);
  return out[0]!;
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

/** The fused kernel runs when the active backend has it. */
const hasKernel = (name: KernelName) => getBackend().kernels[name] !== undefined;

/**
 * One tape node `name` over `inputs`: the fused kernel's output when the backend has it, else the
 * decomposition run without recording; the node's gradient is `grad` (or the kernel's rule).
 */
function fusedOrDecomposed(
  name: 'SegmentReduce' | 'SpMM' | 'Sddmm',
  inputs: Tensor[],
  attrs: { reduce: SegmentReduction } | Record<string, never>,
  shape: readonly number[],
  decompose: () => Tensor,
  grad?: GradFn<never>,
): Tensor {
  const out = hasKernel(name)
    ? execute(name, inputs, attrs as never, [{ shape, dtype: 'float32' }])[0]!
    : noGrad(decompose);
  record(name, inputs, [out], attrs, grad);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Segments
// ---------------------------------------------------------------------------------------------

/** segmentIds without checks: a marker at each segment start after the first, summed up. */
function segmentIdsOf(offsets: Tensor, rows: number): Tensor {
  const s = offsets.shape[0]! - 1;
  if (rows === 0 || s <= 1) return zeros([rows], { dtype: 'int32' });
  const starts = slice(offsets, [1, s]);
  const marks = execute(
    'ScatterAdd',
    [zeros([rows + 1], { dtype: 'int32' }), starts, full([s - 1], 1, { dtype: 'int32' })],
    { axis: 0 },
    [{ shape: [rows + 1], dtype: 'int32' }],
  )[0]!;
  return slice(cumsum(marks, 0), [0, rows]);
}

/**
 * The segment of every row: `ids[e] = s` for offsets[s] ≤ e < offsets[s+1] (int32, `rows` long).
 * @example segmentIds(tensor([0, 2, 2, 3], { dtype: 'int32' }), 3) // [0, 0, 2]
 */
export function segmentIds(offsets: Tensor, rows: number): Tensor {
  checkCount('segmentIds', 'rows', rows);
  checkOffsets('segmentIds', offsets, rows, 'the number of rows');
  return segmentIdsOf(offsets, rows);
}

/** Segment lengths (S) as float32, shaped (S, 1, …) to broadcast over rows of rank `rank`. */
function countsOf(offsets: Tensor, rank: number): Tensor {
  const s = offsets.shape[0]! - 1;
  const counts = sub(slice(offsets, [1, s + 1]), slice(offsets, [0, s]));
  return reshape(cast(counts, 'float32'), [s, ...new Array<number>(rank - 1).fill(1)]);
}

/** The decomposition of SegmentReduce into primitives (no host reads). */
function segmentReduceDecomposed(x: Tensor, offsets: Tensor, reduce: SegmentReduction): Tensor {
  const e = x.shape[0]!;
  const s = offsets.shape[0]! - 1;
  const outShape = [s, ...x.shape.slice(1)];
  const ids = segmentIdsOf(offsets, e);
  const countsF = countsOf(offsets, x.rank);
  if (reduce === 'sum' || reduce === 'mean') {
    const total = addRows(zeros(outShape), ids, x);
    return reduce === 'sum' ? total : div(total, maximum(countsF, 1));
  }
  // max / min: a segmented scan that doubles its reach each step; after ⌈log2 L⌉ steps (L the
  // longest segment, or E when the offsets cannot be read here) the last row of each segment holds
  // the segment's extreme. The segment test runs on (E, 1, …) ids and broadcasts.
  const op = reduce === 'max' ? maximum : minimum;
  const fill = reduce === 'max' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const host = hostInts(offsets);
  let longest = e;
  if (host) {
    longest = 0;
    for (let i = 0; i < s; i++) longest = Math.max(longest, host[i + 1]! - host[i]!);
  }
  let y = x;
  const idsCol = reshape(ids, [e, ...x.shape.slice(1).map(() => 1)]);
  for (let d = 1; d < longest; d *= 2) {
    const same = equal(idsCol, shiftRows(idsCol, d, -1));
    y = where(same, op(y, shiftRows(y, d, fill)), y);
  }
  if (s === 0 || e === 0) return zeros(outShape);
  const last = maximum(sub(slice(offsets, [1, s + 1]), 1), 0);
  return where(equal(countsF, 0), 0, rowsOf(y, last));
}

/** segmentReduce without checks: one tape node. */
function segmentReduceOf(x: Tensor, offsets: Tensor, reduce: SegmentReduction): Tensor {
  const shape = [offsets.shape[0]! - 1, ...x.shape.slice(1)];
  return fusedOrDecomposed('SegmentReduce', [x, offsets], { reduce }, shape, () =>
    segmentReduceDecomposed(x, offsets, reduce),
  );
}

// sum: every row gets its segment's cotangent; mean: divided by the segment's length; max / min:
// the rows equal to the extreme share it evenly (PyTorch's scatter_reduce amax / amin backward).
defineGrad('SegmentReduce', ({ dys, inputs, outputs, attrs, needs }) => {
  if (!needs[0]) return [null, null];
  const [x, offsets] = inputs as [Tensor, Tensor];
  const dy = dys[0]!;
  const ids = segmentIdsOf(offsets, x.shape[0]!);
  if (attrs.reduce === 'sum') return [rowsOf(dy, ids), null];
  if (attrs.reduce === 'mean') return [rowsOf(div(dy, maximum(countsOf(offsets, x.rank), 1)), ids), null];
  const hit = cast(equal(x, rowsOf(outputs[0]!, ids)), 'float32');
  const ties = segmentReduceOf(hit, offsets, 'sum');
  return [mul(hit, rowsOf(div(dy, maximum(ties, 1)), ids)), null];
});

/**
 * Reduce contiguous runs of rows of `x` (E, …F): row s of the result (S, …F) reduces rows
 * offsets[s] … offsets[s+1]−1 by `reduce` ('sum', 'mean', 'max' or 'min'); an empty run gives 0.
 * `offsets` (S+1, int32) runs from 0 to E without decreasing (a CSR row pointer). Gradients: sum
 * and mean spread each segment's cotangent over its rows; max and min give it to the rows equal to
 * the extreme, split evenly among ties (PyTorch's `scatter_reduce` amax / amin).
 * @example segmentReduce(edgeMessages, graph.inOffsets(), 'mean') // (numNodes, F)
 */
export function segmentReduce(x: Tensor, offsets: Tensor, reduce: SegmentReduction = 'sum'): Tensor {
  checkFloat('segmentReduce', 'x', x);
  checkReduce('segmentReduce', reduce);
  if (x.rank < 1) throw new RangeError(`segmentReduce: x must have at least one dim (E, …F), got a scalar`);
  checkOffsets('segmentReduce', offsets, x.shape[0]!, `E, the rows of x ${fmtShape(x.shape)}`);
  return segmentReduceOf(x, offsets, reduce);
}

/**
 * PyTorch Geometric's `scatter` (torch's `scatter_reduce` with include_self=False): reduce the rows
 * of `src` (E, …F) that share an `index` (E, int32, any order, each in [0, numSegments)) into
 * `numSegments` rows; a segment no row reaches gives 0.
 * @example scatterReduce(messages, dstOfEachEdge, numNodes, 'max')
 */
export function scatterReduce(
  src: Tensor,
  index: Tensor,
  numSegments: number,
  reduce: SegmentReduction = 'sum',
): Tensor {
  checkFloat('scatterReduce', 'src', src);
  checkInt('scatterReduce', 'index', index);
  checkReduce('scatterReduce', reduce);
  checkCount('scatterReduce', 'numSegments', numSegments);
  if (src.rank < 1)
    throw new RangeError(`scatterReduce: src must have at least one dim (E, …F), got a scalar`);
  if (index.rank !== 1 || index.shape[0] !== src.shape[0]) {
    throw new RangeError(
      `scatterReduce: index must be 1-D with one entry per row of src ${fmtShape(src.shape)}, got ${fmtShape(index.shape)}`,
    );
  }
  checkRange('scatterReduce', 'index', index, numSegments, `numSegments = ${numSegments}`);
  const e = index.shape[0]!;
  // A stable sort groups the rows by segment; the counts give the offsets.
  const [, perm] = sort(index);
  const counts = execute(
    'ScatterAdd',
    [zeros([numSegments], { dtype: 'int32' }), index, full([e], 1, { dtype: 'int32' })],
    { axis: 0 },
    [{ shape: [numSegments], dtype: 'int32' }],
  )[0]!;
  const offsets = concat([zeros([1], { dtype: 'int32' }), cumsum(counts, 0)]);
  return segmentReduceOf(rowsOf(src, perm), offsets, reduce);
}

/**
 * Softmax over each segment of `scores` (E, …H): each node's incoming edges (attention weights).
 * An empty segment has no rows, so nothing to normalise.
 * @example segmentSoftmax(edgeScores, graph.inOffsets()) // (E, heads), each segment sums to 1
 */
export function segmentSoftmax(scores: Tensor, offsets: Tensor): Tensor {
  checkFloat('segmentSoftmax', 'scores', scores);
  if (scores.rank < 1)
    throw new RangeError(`segmentSoftmax: scores must have at least one dim (E, …H), got a scalar`);
  checkOffsets(
    'segmentSoftmax',
    offsets,
    scores.shape[0]!,
    `E, the rows of scores ${fmtShape(scores.shape)}`,
  );
  const ids = segmentIdsOf(offsets, scores.shape[0]!);
  // The shift by the segment's maximum only keeps exp in range: softmax does not depend on it.
  const m = noGrad(() => segmentReduceOf(scores, offsets, 'max'));
  const z = exp(sub(scores, rowsOf(m, ids)));
  return div(z, rowsOf(segmentReduceOf(z, offsets, 'sum'), ids));
}

// ---------------------------------------------------------------------------------------------
// SDDMM
// ---------------------------------------------------------------------------------------------

function sddmmDecomposed(rows: Tensor, cols: Tensor, a: Tensor, b: Tensor): Tensor {
  return sum(mul(rowsOf(a, rows), rowsOf(b, cols)), -1);
}

/** da[r] = Σ_{k: rows[k] = r} dOut[k]·b[cols[k]], and db likewise: unsorted scatters of rows. */
const sddmmGrad: GradFn<never> = ({ dys, inputs, needs }) => {
  const [rows, cols, a, b] = inputs as [Tensor, Tensor, Tensor, Tensor];
  const w = reshape(dys[0]!, [rows.shape[0]!, 1]);
  return [
    null,
    null,
    needs[2] ? addRows(zeros(a.shape), rows, mul(w, rowsOf(b, cols))) : null,
    needs[3] ? addRows(zeros(b.shape), cols, mul(w, rowsOf(a, rows))) : null,
  ];
};

function checkSddmmOperands(a: Tensor, b: Tensor, r: number, c: number): void {
  checkFloat('sddmm', 'a', a);
  checkFloat('sddmm', 'b', b);
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[1]) {
    throw new RangeError(
      `sddmm: a and b must be 2-D with the same number of columns, (R, F) and (C, F), got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`,
    );
  }
  if (r >= 0 && (a.shape[0] !== r || b.shape[0] !== c)) {
    throw new RangeError(
      `sddmm: a and b must have shapes [${r}, F] and [${c}, F] for a sparse matrix of shape [${r},${c}], got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`,
    );
  }
}

/**
 * Per-entry dot products (SDDMM): `out[k] = Σ_f a[rows[k], f]·b[cols[k], f]` for float32 `a`
 * (R, F), `b` (C, F) and the entries k of either int32 `rows`, `cols` (nnz, any order) or a
 * CsrMatrix (R, C) (in its stored order; its values are not used). Differentiable in `a` and `b`:
 * over a CsrMatrix the gradients are sparse products with it and its cached transpose.
 * @example sddmm(graph.sortedDst(), graph.sortedSrc(), h, h) // a score per edge
 * @example sddmm(adjacency, h, h) // the same, in the adjacency's entry order
 */
export function sddmm(rows: Tensor, cols: Tensor, a: Tensor, b: Tensor): Tensor;
export function sddmm(pattern: CsrMatrix, a: Tensor, b: Tensor): Tensor;
export function sddmm(first: Tensor | CsrMatrix, second: Tensor, third: Tensor, fourth?: Tensor): Tensor {
  if (first instanceof CsrMatrix) {
    const p = patternOf(first);
    checkSddmmOperands(second, third, p.shape[0], p.shape[1]);
    if (p.disposed) throw new Error(`sddmm: the sparse matrix of shape ${fmtShape(p.shape)} was disposed`);
    return sddmmOf(p, second, third);
  }
  const [rows, cols, a, b] = [first, second, third, fourth];
  if (b === undefined) throw new TypeError('sddmm: expected (rows, cols, a, b) or (csrMatrix, a, b)');
  checkInt('sddmm', 'rows', rows);
  checkInt('sddmm', 'cols', cols);
  if (rows.rank !== 1 || cols.rank !== 1 || rows.shape[0] !== cols.shape[0]) {
    throw new RangeError(
      `sddmm: rows and cols must be 1-D of one length (nnz), got ${fmtShape(rows.shape)} and ${fmtShape(cols.shape)}`,
    );
  }
  checkSddmmOperands(a, b, -1, -1);
  checkRange('sddmm', 'rows', rows, a.shape[0]!, `a ${fmtShape(a.shape)}`);
  checkRange('sddmm', 'cols', cols, b.shape[0]!, `b ${fmtShape(b.shape)}`);
  return fusedOrDecomposed(
    'Sddmm',
    [rows, cols, a, b],
    {},
    [rows.shape[0]!],
    () => sddmmDecomposed(rows, cols, a, b),
    sddmmGrad,
  );
}

// ---------------------------------------------------------------------------------------------
// CSR matrices
// ---------------------------------------------------------------------------------------------

/** A stable counting sort of `keys` (each in [0, n)): bucket pointers (n+1) and the order. */
function countingSort(keys: Int32Array, n: number): { ptr: Int32Array; perm: Int32Array } {
  const ptr = new Int32Array(n + 1);
  for (let k = 0; k < keys.length; k++) ptr[keys[k]! + 1]!++;
  for (let i = 0; i < n; i++) ptr[i + 1]! += ptr[i]!;
  const next = ptr.slice(0, n);
  const perm = new Int32Array(keys.length);
  for (let k = 0; k < keys.length; k++) perm[next[keys[k]!]!++] = k;
  return { ptr, perm };
}

/**
 * The index structure of a CSR matrix, on the host and as int32 tensors, shared by every matrix
 * with the same sparsity pattern (`withValues`). Caches the row of every entry and the transposed
 * pattern. `kept` patterns live outside scopes until `dispose()`; the others (made inside a
 * gradient rule after their matrix was disposed) die with the enclosing scope.
 */
class CsrPattern {
  readonly rowPtr: Tensor;
  readonly colIdx: Tensor;
  disposed = false;
  private rows: Tensor | undefined;
  private transposed: { pattern: CsrPattern; perm: Tensor } | undefined;

  constructor(
    readonly shape: readonly [number, number],
    readonly hostRowPtr: Int32Array,
    readonly hostColIdx: Int32Array,
    private readonly kept: boolean,
  ) {
    this.rowPtr = this.own(tensor(hostRowPtr, { dtype: 'int32', shape: [hostRowPtr.length] }));
    this.colIdx = this.own(tensor(hostColIdx, { dtype: 'int32', shape: [hostColIdx.length] }));
  }

  private own(t: Tensor): Tensor {
    return this.kept ? keep(t) : t;
  }

  /** The usable pattern: this one, or a transient copy when this one was disposed. */
  live(): CsrPattern {
    return this.disposed ? new CsrPattern(this.shape, this.hostRowPtr, this.hostColIdx, false) : this;
  }

  rowIndices(): Tensor {
    if (!this.rows) {
      const rows = new Int32Array(this.hostColIdx.length);
      for (let i = 0; i < this.shape[0]; i++) rows.fill(i, this.hostRowPtr[i]!, this.hostRowPtr[i + 1]!);
      this.rows = this.own(tensor(rows, { dtype: 'int32', shape: [rows.length] }));
    }
    return this.rows;
  }

  /** The transposed pattern (a stable counting sort by column) and `perm`: its entry j is entry perm[j] here. */
  transpose(): { pattern: CsrPattern; perm: Tensor } {
    if (!this.transposed) {
      const [r, c] = this.shape;
      const { ptr, perm } = countingSort(this.hostColIdx, c);
      const rows = new Int32Array(this.hostColIdx.length);
      for (let i = 0; i < r; i++) rows.fill(i, this.hostRowPtr[i]!, this.hostRowPtr[i + 1]!);
      const tCol = new Int32Array(perm.length);
      for (let j = 0; j < perm.length; j++) tCol[j] = rows[perm[j]!]!;
      this.transposed = {
        pattern: new CsrPattern([c, r], ptr, tCol, this.kept),
        perm: this.own(tensor(perm, { dtype: 'int32', shape: [perm.length] })),
      };
    }
    return this.transposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.rowPtr.dispose();
    this.colIdx.dispose();
    this.rows?.dispose();
    this.rows = undefined;
    if (this.transposed) {
      this.transposed.pattern.dispose();
      this.transposed.perm.dispose();
      this.transposed = undefined;
    }
  }
}

/** Each matrix's index structure (module-private, shared by `withValues` matrices). */
const PATTERNS = new WeakMap<object, CsrPattern>();
const patternOf = (m: object): CsrPattern => PATTERNS.get(m)!;

/** Validate host CSR arrays against `shape`; errors name `op`. */
function checkCsr(
  op: string,
  rowPtr: Int32Array,
  colIdx: Int32Array,
  shape: readonly [number, number],
): void {
  const [r, c] = shape;
  checkCount(op, 'shape[0] (rows)', r);
  checkCount(op, 'shape[1] (columns)', c);
  if (rowPtr.length !== r + 1) {
    throw new RangeError(`${op}: rowPtr has ${rowPtr.length} entries for ${r} rows; expected ${r + 1}`);
  }
  if (rowPtr[0] !== 0 || rowPtr[r] !== colIdx.length) {
    throw new RangeError(
      `${op}: rowPtr must run from 0 to nnz = ${colIdx.length}, got ${rowPtr[0]} … ${rowPtr[r]}`,
    );
  }
  for (let i = 0; i < r; i++) {
    if (rowPtr[i + 1]! < rowPtr[i]!) {
      throw new RangeError(`${op}: rowPtr decreases at row ${i} (${rowPtr[i]} → ${rowPtr[i + 1]})`);
    }
  }
  for (let k = 0; k < colIdx.length; k++) {
    const j = colIdx[k]!;
    if (j < 0 || j >= c) {
      throw new RangeError(`${op}: column index ${j} at entry ${k} is out of range for ${c} columns`);
    }
  }
}

/** A values argument as a float32 (nnz) tensor, and whether it was made here. */
function valuesTensor(
  op: string,
  values: Tensor | Float32Array | undefined,
  nnz: number,
): { v: Tensor; made: boolean } {
  const made = values === undefined || values instanceof Float32Array;
  const v =
    values === undefined
      ? full([nnz], 1)
      : values instanceof Float32Array
        ? tensor(values, { dtype: 'float32', shape: [values.length] })
        : values;
  if (v.rank !== 1 || v.shape[0] !== nnz) {
    if (made) v.dispose();
    throw new RangeError(
      `${op}: values must have shape [${nnz}] (one per stored entry), got ${fmtShape(v.shape)}`,
    );
  }
  if (v.dtype !== 'float32') {
    throw new TypeError(`${op}: values must be float32, got ${v.dtype}`);
  }
  return { v, made };
}

/**
 * A sparse (R, C) matrix in compressed sparse row form: `rowPtr` (R+1), `colIdx` and `values`
 * (nnz); duplicate entries add up. The index structure lives on the host too (graphs are built
 * there), so the transpose is a counting sort done once and cached. Its tensors are kept out of
 * scopes; `dispose()` frees them (a values tensor passed in stays the caller's).
 * @example const a = CsrMatrix.fromCoo(dst, src, weights, [n, n]); const y = spmm(a, x);
 */
export class CsrMatrix {
  readonly shape: readonly [number, number];
  readonly rowPtr: Tensor;
  readonly colIdx: Tensor;
  readonly values: Tensor;
  readonly hostRowPtr: Int32Array;
  readonly hostColIdx: Int32Array;
  /** For `fromCoo` matrices: entry k of this matrix is entry perm[k] of the COO input. */
  readonly perm: Int32Array | undefined;
  private readonly ownsValues: boolean;
  private readonly ownsPattern: boolean;
  private transposeCache: CsrMatrix | undefined;

  constructor(
    rowPtr: Int32Array,
    colIdx: Int32Array,
    values: Tensor | Float32Array | undefined,
    shape: readonly [number, number],
  ) {
    checkCsr('CsrMatrix', rowPtr, colIdx, shape);
    const { v, made } = valuesTensor('CsrMatrix', values, colIdx.length);
    const pattern = new CsrPattern([shape[0], shape[1]], rowPtr, colIdx, true);
    this.shape = pattern.shape;
    this.rowPtr = pattern.rowPtr;
    this.colIdx = pattern.colIdx;
    this.hostRowPtr = rowPtr;
    this.hostColIdx = colIdx;
    this.values = made ? keep(v) : v;
    PATTERNS.set(this, pattern);
    this.perm = undefined;
    this.ownsValues = made;
    this.ownsPattern = true;
    this.transposeCache = undefined;
  }

  /** A matrix over an existing pattern (no validation: the pattern was checked when made). */
  private static over(
    pattern: CsrPattern,
    values: Tensor,
    own: { values: boolean; pattern: boolean },
    perm?: Int32Array,
  ): CsrMatrix {
    const m = Object.create(CsrMatrix.prototype) as CsrMatrix;
    Object.assign(m, {
      shape: pattern.shape,
      rowPtr: pattern.rowPtr,
      colIdx: pattern.colIdx,
      values,
      hostRowPtr: pattern.hostRowPtr,
      hostColIdx: pattern.hostColIdx,
      perm,
      ownsValues: own.values,
      ownsPattern: own.pattern,
      transposeCache: undefined,
    });
    PATTERNS.set(m, pattern);
    return m;
  }

  /**
   * A CSR matrix from coordinate entries (`rows[k]`, `cols[k]`, `values[k]`), in any order;
   * duplicates add up. Entries are sorted by row (stably, so each row keeps the input order);
   * `perm` maps each stored entry back to its input position, and a values tensor is permuted
   * with `indexSelect` so gradients reach it.
   * @example CsrMatrix.fromCoo(g.dst, g.src, undefined, [g.numNodes, g.numNodes]) // A·X sums into dst
   */
  static fromCoo(
    rows: Int32Array,
    cols: Int32Array,
    values: Tensor | Float32Array | undefined,
    shape: readonly [number, number],
  ): CsrMatrix {
    const [r, c] = shape;
    checkCount('CsrMatrix.fromCoo', 'shape[0] (rows)', r);
    checkCount('CsrMatrix.fromCoo', 'shape[1] (columns)', c);
    if (rows.length !== cols.length) {
      throw new RangeError(
        `CsrMatrix.fromCoo: rows and cols must have one length, got ${rows.length} and ${cols.length}`,
      );
    }
    for (let k = 0; k < rows.length; k++) {
      if (rows[k]! < 0 || rows[k]! >= r) {
        throw new RangeError(`CsrMatrix.fromCoo: rows[${k}] = ${rows[k]} is out of range for ${r} rows`);
      }
      if (cols[k]! < 0 || cols[k]! >= c) {
        throw new RangeError(`CsrMatrix.fromCoo: cols[${k}] = ${cols[k]} is out of range for ${c} columns`);
      }
    }
    const { ptr, perm } = countingSort(rows, r);
    const colIdx = new Int32Array(perm.length);
    for (let k = 0; k < perm.length; k++) colIdx[k] = cols[perm[k]!]!;
    const pattern = new CsrPattern([r, c], ptr, colIdx, true);
    if (values instanceof Float32Array || values === undefined) {
      let host: Float32Array | undefined;
      if (values) {
        if (values.length !== rows.length) {
          pattern.dispose();
          throw new RangeError(
            `CsrMatrix.fromCoo: values must have shape [${rows.length}] (one per entry), got [${values.length}]`,
          );
        }
        host = new Float32Array(perm.length);
        for (let k = 0; k < perm.length; k++) host[k] = values[perm[k]!]!;
      }
      const { v } = valuesTensor('CsrMatrix.fromCoo', host, perm.length);
      return CsrMatrix.over(pattern, keep(v), { values: true, pattern: true }, perm);
    }
    try {
      valuesTensor('CsrMatrix.fromCoo', values, rows.length);
    } catch (e) {
      pattern.dispose();
      throw e;
    }
    const permT = tensor(perm, { dtype: 'int32', shape: [perm.length] });
    const v = keep(rowsOf(values, permT));
    permT.dispose();
    return CsrMatrix.over(pattern, v, { values: true, pattern: true }, perm);
  }

  get nnz(): number {
    return this.hostColIdx.length;
  }

  /** The row of every stored entry (nnz, int32), cached. */
  rowIndices(): Tensor {
    return patternOf(this).rowIndices();
  }

  /**
   * The (C, R) transpose, cached: its pattern is a counting sort of this one (shared, freed by this
   * matrix's `dispose()`), its values `indexSelect(values, perm)` so gradients reach this matrix's.
   */
  transpose(): CsrMatrix {
    if (!this.transposeCache) {
      const { pattern, perm } = patternOf(this).transpose();
      this.transposeCache = CsrMatrix.over(pattern, keep(rowsOf(this.values, perm)), {
        values: true,
        pattern: false,
      });
    }
    return this.transposeCache;
  }

  /**
   * The same sparsity pattern with new `values` (nnz, float32): attention weights, a normalised
   * adjacency. Shares the index tensors and the cached transpose pattern with this matrix (they
   * stay this matrix's to free); the values stay the caller's.
   * @example spmm(adj.withValues(segmentSoftmax(scores, adj.rowPtr)), h)
   */
  withValues(values: Tensor): CsrMatrix {
    const { v } = valuesTensor('CsrMatrix.withValues', values, this.nnz);
    return CsrMatrix.over(patternOf(this), v, { values: false, pattern: false });
  }

  /** Free the index tensors it owns (and the values, when this matrix made them). */
  dispose(): void {
    this.transposeCache?.dispose();
    this.transposeCache = undefined;
    if (this.ownsPattern) patternOf(this).dispose();
    if (this.ownsValues) this.values.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// SpMM
// ---------------------------------------------------------------------------------------------

/** spmm over a pattern: one tape node whose gradient rule knows the pattern (for the transpose). */
function spmmOf(p: CsrPattern, values: Tensor, x: Tensor): Tensor {
  const inputs = [p.rowPtr, p.colIdx, values, x];
  return fusedOrDecomposed(
    'SpMM',
    inputs,
    {},
    [p.shape[0], x.shape[1]!],
    () =>
      segmentReduceDecomposed(
        mul(rowsOf(x, p.colIdx), reshape(values, [values.shape[0]!, 1])),
        p.rowPtr,
        'sum',
      ),
    spmmGrad(p),
  );
}

/** dValues = sddmm(rows, cols, dy, x); dx = Aᵀ·dy, Aᵀ's values gathered by the transpose's perm. */
function spmmGrad(pattern: CsrPattern): GradFn<never> {
  return ({ dys, inputs, needs }) => {
    const [, , values, x] = inputs as [Tensor, Tensor, Tensor, Tensor];
    const dy = dys[0]!;
    const p = pattern.live();
    let dv: Tensor | null = null;
    let dx: Tensor | null = null;
    if (needs[2]) dv = sddmmOf(p, dy, x);
    if (needs[3]) {
      const t = p.transpose();
      dx = spmmOf(t.pattern, rowsOf(values, t.perm), dy);
    }
    return [null, null, dv, dx];
  };
}

/** sddmm over the entries of a pattern: its gradients are sparse products with the pattern. */
function sddmmOf(p: CsrPattern, a: Tensor, b: Tensor): Tensor {
  const rows = p.rowIndices();
  return fusedOrDecomposed(
    'Sddmm',
    [rows, p.colIdx, a, b],
    {},
    [p.hostColIdx.length],
    () => sddmmDecomposed(rows, p.colIdx, a, b),
    (({ dys, inputs, needs }) => {
      const [, , a0, b0] = inputs as [Tensor, Tensor, Tensor, Tensor];
      const q = p.live();
      const dOut = dys[0]!;
      const t = needs[3] ? q.transpose() : undefined;
      return [
        null,
        null,
        needs[2] ? spmmOf(q, dOut, b0) : null,
        t ? spmmOf(t.pattern, rowsOf(dOut, t.perm), a0) : null,
      ];
    }) as GradFn<never>,
  );
}

/**
 * Sparse × dense: `a` (R, C) CSR times `x` (C, F) → (R, F). Differentiable in `x` (through the
 * cached transpose of `a`) and in `a.values` (an SDDMM over `a`'s entries).
 * @example spmm(graph.adjacency({ selfLoops: true, normalize: 'sym' }), features)
 */
export function spmm(a: CsrMatrix, x: Tensor): Tensor {
  if (!(a instanceof CsrMatrix)) throw new TypeError(`spmm: a must be a CsrMatrix, got ${typeof a}`);
  checkFloat('spmm', 'x', x);
  if (x.rank !== 2 || x.shape[0] !== a.shape[1]) {
    throw new RangeError(
      `spmm: x must have shape [${a.shape[1]}, F] for a sparse matrix of shape ${fmtShape(a.shape)}, got ${fmtShape(x.shape)}`,
    );
  }
  const p = patternOf(a);
  if (p.disposed) throw new Error(`spmm: the sparse matrix of shape ${fmtShape(a.shape)} was disposed`);
  return spmmOf(p, a.values, x);
}
