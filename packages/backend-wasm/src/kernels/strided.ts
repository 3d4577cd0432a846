import type { Shape } from '@myelin/core';
import { stridesOf } from '@myelin/core';

/**
 * Element strides of a contiguous tensor of `shape` read as if it had `outShape` (NumPy
 * broadcasting: shapes align on the right; a dim of size 1 or a missing dim gets stride 0).
 */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = stridesOf(shape);
  const out = new Array<number>(outShape.length).fill(0);
  const off = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 ? 0 : own[i]!;
  return out;
}

/**
 * Merge the dims of an iteration space for the wasm loops: dims of size 1 are dropped and adjacent
 * dims that every operand walks contiguously are merged, so a same-shape op is one run, `[N, C] +
 * [C]` is N runs of C and a scalar operand is a run with stride 0. Returns the merged dims
 * outermost first as `[size, stride of operand 0, stride of operand 1, …]` per dim, flattened, and
 * the total element count. An empty space gives no dims and total 0.
 */
export function mergeDims(
  shape: Shape,
  strides: readonly (readonly number[])[],
): { dims: number[]; total: number } {
  const ops = strides.length;
  const sizes: number[] = [];
  const merged: number[][] = [];
  let total = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d]!;
    total *= size;
    if (size === 1) continue;
    const last = sizes.length - 1;
    let contiguous = last >= 0;
    for (let k = 0; k < ops && contiguous; k++)
      contiguous = strides[k]![d] === merged[last]![k]! * sizes[last]!;
    if (contiguous) sizes[last] *= size;
    else {
      sizes.push(size);
      merged.push(strides.map((s) => s[d]!));
    }
  }
  const dims: number[] = [];
  if (total === 0) return { dims, total };
  for (let j = sizes.length - 1; j >= 0; j--) dims.push(sizes[j]!, ...merged[j]!);
  return { dims, total };
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
 * Walks an iteration space as runs along its (merged) innermost dim, keeping one element offset
 * per operand (the TypeScript twin of the wasm odometer, for the kernels written in TypeScript).
 */
export class StridedRuns {
  readonly length: number;
  readonly count: number;
  readonly step: number[];
  readonly offset: number[];
  private readonly sizes: number[];
  private readonly strides: number[];
  private readonly index: number[];

  constructor(shape: Shape, operandStrides: readonly (readonly number[])[]) {
    const ops = operandStrides.length;
    const { dims, total } = mergeDims(shape, operandStrides);
    const per = ops + 1;
    const nd = dims.length / per;
    this.offset = new Array<number>(ops).fill(0);
    this.length = total === 0 ? 0 : nd > 0 ? dims[(nd - 1) * per]! : 1;
    this.step = nd > 0 ? dims.slice((nd - 1) * per + 1, nd * per) : new Array<number>(ops).fill(0);
    this.sizes = [];
    this.strides = [];
    for (let d = 0; d < nd - 1; d++) {
      this.sizes.push(dims[d * per]!);
      for (let k = 0; k < ops; k++) this.strides.push(dims[d * per + 1 + k]!);
    }
    this.index = new Array<number>(this.sizes.length).fill(0);
    this.count = total === 0 ? 0 : this.sizes.reduce((a, b) => a * b, 1);
  }

  next(): void {
    const ops = this.offset.length;
    const { sizes, strides, index, offset } = this;
    for (let d = sizes.length - 1; d >= 0; d--) {
      const base = d * ops;
      if (++index[d] < sizes[d]!) {
        for (let k = 0; k < ops; k++) offset[k] += strides[base + k]!;
        return;
      }
      index[d] = 0;
      const back = sizes[d]! - 1;
      for (let k = 0; k < ops; k++) offset[k] -= strides[base + k]! * back;
    }
  }
}
