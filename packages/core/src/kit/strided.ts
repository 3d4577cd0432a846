import type { TypedArray } from '../dtype.js';
import { type Shape, stridesOf } from '../shape.js';

/**
 * Element strides of a contiguous tensor of `shape` when it is read as if it had `outShape` (NumPy
 * broadcasting: shapes align on the right; a dim of size 1 or a missing dim gets stride 0).
 *
 * @example
 * broadcastStrides([3, 1], [2, 3, 4]); // [0, 1, 0]
 */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = stridesOf(shape);
  const out = new Array<number>(outShape.length).fill(0);
  const off = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 ? 0 : own[i]!;
  return out;
}

/** Row-major strides of `shape` with the stride of `axis` zeroed (an index supplies that coordinate). */
export function stridesWithoutAxis(shape: Shape, axis: number): number[] {
  const strides = stridesOf(shape);
  strides[axis] = 0;
  return strides;
}

/**
 * Strides of a reduction's accumulator over the input's dims: the output's row-major strides, 0 on
 * the reduced `axes` (the output has the input's rank minus the reduced axes, keepDims aside).
 */
export function accStrides(shape: Shape, axes: readonly number[], outShape: Shape): number[] {
  const outStrides = stridesOf(outShape);
  const strides = new Array<number>(shape.length);
  let k = 0;
  for (let d = 0; d < shape.length; d++) strides[d] = axes.includes(d) ? 0 : outStrides[k++]!;
  return strides;
}

/** Split `shape` around `axis` into [outer, size of axis, inner] element counts. */
export function aroundAxis(shape: Shape, axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d]!;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d]!;
  return [outer, shape[axis] ?? 1, inner];
}

/**
 * The merged dims of an iteration space, innermost first: dims of size 1 dropped, adjacent dims
 * that every operand walks contiguously merged into one. `total` is the element count.
 */
function mergeInnermostFirst(
  shape: Shape,
  operandStrides: readonly (readonly number[])[],
): { sizes: number[]; merged: number[][]; total: number } {
  const ops = operandStrides.length;
  const sizes: number[] = [];
  const merged: number[][] = [];
  let total = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d]!;
    total *= size;
    if (size === 1) continue;
    const last = sizes.length - 1;
    let contiguous = last >= 0;
    for (let k = 0; k < ops && contiguous; k++) {
      contiguous = operandStrides[k]![d] === merged[last]![k]! * sizes[last]!;
    }
    if (contiguous) sizes[last]! *= size;
    else {
      sizes.push(size);
      const s = new Array<number>(ops);
      for (let k = 0; k < ops; k++) s[k] = operandStrides[k]![d]!;
      merged.push(s);
    }
  }
  return { sizes, merged, total };
}

/**
 * Merge the dims of an iteration space for a loop written elsewhere (a wasm or shader odometer):
 * returns the merged dims outermost first as `[size, stride of operand 0, stride of operand 1, …]`
 * per dim, flattened, and the total element count. An empty space gives no dims and total 0.
 */
export function mergeDims(
  shape: Shape,
  strides: readonly (readonly number[])[],
): { dims: number[]; total: number } {
  const { sizes, merged, total } = mergeInnermostFirst(shape, strides);
  const dims: number[] = [];
  if (total === 0) return { dims, total };
  for (let j = sizes.length - 1; j >= 0; j--) dims.push(sizes[j]!, ...merged[j]!);
  return { dims, total };
}

/**
 * Walks an iteration space in row-major order as a sequence of runs along its innermost dimension,
 * keeping one element offset per operand. Each operand brings its own strides over the iteration
 * shape: row-major for a contiguous output, 0 on broadcast or reduced dims, permuted for a transpose.
 *
 * Dims of size 1 are dropped and adjacent dims that every operand walks contiguously are merged, so
 * a same-shape elementwise op is one run, `[N, C] + [C]` is N runs of C, and a scalar operand is a
 * run with step 0. Callers run a plain loop per run and call `next()` between runs; nothing is
 * allocated per run or per element.
 *
 * @example
 * // out = a + b with b broadcast along rows
 * const runs = new StridedRuns(shape, [stridesOf(shape), broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)]);
 * for (let r = 0; r < runs.count; r++) {
 *   const [o, i, j] = runs.offset;
 *   for (let t = 0; t < runs.length; t++) out[o + t] = av[i + t * runs.step[1]] + bv[j + t * runs.step[2]];
 *   runs.next();
 * }
 */
export class StridedRuns {
  /** Elements in each run. */
  readonly length: number;
  /** How many runs cover the iteration space (0 when it is empty). */
  readonly count: number;
  /** Each operand's stride along a run. */
  readonly step: number[];
  /** Each operand's offset at the start of the current run; `next()` advances it. */
  readonly offset: number[];
  /** Outer dims (innermost last) and their strides, flattened as `strides[dim * operands + op]`. */
  private readonly dims: number[];
  private readonly strides: number[];
  private readonly index: number[];

  constructor(shape: Shape, operandStrides: readonly (readonly number[])[]) {
    const ops = operandStrides.length;
    const { sizes, merged, total } = mergeInnermostFirst(shape, operandStrides);
    this.offset = new Array<number>(ops).fill(0);
    if (total === 0) {
      this.length = 0;
      this.count = 0;
      this.step = new Array<number>(ops).fill(0);
      this.dims = [];
      this.strides = [];
      this.index = [];
      return;
    }
    this.length = sizes.length > 0 ? sizes[0]! : 1;
    this.step = sizes.length > 0 ? merged[0]! : new Array<number>(ops).fill(0);
    const outer = Math.max(sizes.length - 1, 0);
    this.dims = new Array<number>(outer);
    this.strides = new Array<number>(outer * ops);
    this.index = new Array<number>(outer).fill(0);
    let count = 1;
    for (let j = 0; j < outer; j++) {
      // Outer dim j (outermost first) is merged entry `outer - j` (innermost first).
      const src = outer - j;
      this.dims[j] = sizes[src]!;
      count *= sizes[src]!;
      for (let k = 0; k < ops; k++) this.strides[j * ops + k] = merged[src]![k]!;
    }
    this.count = count;
  }

  /** Move every operand's offset to the start of the next run (an odometer over the outer dims). */
  next(): void {
    const ops = this.offset.length;
    const { dims, strides, index, offset } = this;
    for (let d = dims.length - 1; d >= 0; d--) {
      const base = d * ops;
      if (++index[d]! < dims[d]!) {
        for (let k = 0; k < ops; k++) offset[k]! += strides[base + k]!;
        return;
      }
      index[d] = 0;
      const back = dims[d]! - 1;
      for (let k = 0; k < ops; k++) offset[k]! -= strides[base + k]! * back;
    }
  }
}

/** dst[di .. di + n) = src[si .. si + n): a plain loop for short ranges, `set` on a view for long ones. */
export function copyRange(dst: TypedArray, di: number, src: TypedArray, si: number, n: number): void {
  if (n > 32) dst.set(src.subarray(si, si + n), di);
  else for (let j = 0; j < n; j++) dst[di + j] = src[si + j]!;
}

/** Copy `x`, read through `runs`' operand 1, into `out` at operand 0 (whose runs are contiguous). */
export function copyRuns(runs: StridedRuns, x: TypedArray, out: TypedArray): void {
  const { offset, step, length } = runs;
  const sx = step[1]!;
  for (let r = 0; r < runs.count; r++) {
    const oi = offset[0]!;
    const xi = offset[1]!;
    if (sx === 1) copyRange(out, oi, x, xi, length);
    else if (sx === 0) out.fill(x[xi]!, oi, oi + length);
    else for (let j = 0; j < length; j++) out[oi + j] = x[xi + j * sx]!;
    runs.next();
  }
}
