/** A tensor's dimensions, outermost first. */
export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function fmtShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** NumPy broadcasting of any number of shapes; throws naming the op when they cannot broadcast. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    const off = rank - s.length;
    for (let i = 0; i < s.length; i++) {
      const d = s[i]!;
      const o = out[off + i]!;
      if (d === o || d === 1) continue;
      if (o === 1) out[off + i] = d;
      else
        throw new RangeError(
          `${op}: shapes ${shapes.map(fmtShape).join(' and ')} cannot be broadcast (dimension ${off + i - rank} is ${o} vs ${d})`,
        );
    }
  }
  return out;
}

/** Normalise one axis (negative counts from the end) and check it is in range. */
export function normAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis)) throw new TypeError(`${op}: axis must be an integer, got ${axis}`);
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= Math.max(rank, 1) || (rank === 0 && a !== 0)) {
    throw new RangeError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return a;
}

/** Normalise a list of axes (or all axes when undefined), sorted and checked for duplicates. */
export function normAxes(op: string, axis: number | readonly number[] | undefined, rank: number): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const out = list.map((a) => normAxis(op, a, rank)).sort((x, y) => x - y);
  for (let i = 1; i < out.length; i++) {
    if (out[i] === out[i - 1])
      throw new RangeError(`${op}: axis ${out[i]} is repeated in ${JSON.stringify(axis)}`);
  }
  return out;
}

/**
 * Check a shape: every dim a non-negative safe integer and the element count at most
 * `Number.MAX_SAFE_INTEGER` (beyond that, sizes and offsets computed in doubles are no longer exact).
 */
export function assertShape(op: string, shape: Shape, what = 'shape'): void {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new RangeError(
        `${op}: ${what} ${fmtShape(shape)} must hold non-negative integers (at most 2^53 − 1), got ${String(d)}`,
      );
    }
    n *= d;
  }
  if (n > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(
      `${op}: ${what} ${fmtShape(shape)} has ${n} elements, more than Number.MAX_SAFE_INTEGER (2^53 - 1)`,
    );
  }
}

/**
 * Check one integer argument of an op (a size, count, stride, index): a finite integer within
 * [min, max]. The shared check behind every op's integer attributes, so NaN, 1.5 or Infinity never
 * reaches a shape or a kernel.
 */
export function assertInt(op: string, what: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw new TypeError(`${op}: ${what} must be an integer, got ${typeof v === 'number' ? v : typeof v}`);
  }
  if (v < min || v > max) {
    const range =
      max === Infinity ? `at least ${min}` : min === -Infinity ? `at most ${max}` : `in [${min}, ${max}]`;
    throw new RangeError(`${op}: ${what} must be ${range}, got ${v}`);
  }
  return v;
}
