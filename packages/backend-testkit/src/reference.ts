import { type DType, UNARY_ROWS } from '@myelin/core';
import { ATTENTION_REFERENCE } from './cases/attention.js';
import { SPARSE_REFERENCE } from './cases/sparse.js';
import type { FixtureTensor } from './fixtures.js';
import type { OpArgs } from './ops-table.js';

/*
 * A tiny float64 reference evaluator for the generated edge cases: plain loops over index tuples,
 * one line of maths per op, sharing no code with core or any backend. Inputs are the float32 /
 * int32 / bool values a case stores; results are computed in float64 and rounded once to the
 * output dtype (float32 rounding, int32 wrap-around, bool 0/1), so a kernel that computes in float32
 * differs only by its own rounding. Semantics follow PyTorch 1.13 and docs/api-conventions.md.
 */

export type Ref = FixtureTensor;
/** One op of the evaluator: input tensors and args to output tensors. */
export type RefOp = (xs: readonly Ref[], a: OpArgs) => Ref[];

// ---------------------------------------------------------------------------------------------
// Index tuples
// ---------------------------------------------------------------------------------------------

export const sizeOf = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** Every index tuple of `shape`, row-major. */
export function indices(shape: readonly number[]): number[][] {
  const out: number[][] = [];
  const n = sizeOf(shape);
  for (let i = 0; i < n; i++) {
    const idx = new Array<number>(shape.length);
    let r = i;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = r % shape[d]!;
      r = Math.floor(r / shape[d]!);
    }
    out.push(idx);
  }
  return out;
}

/** Flat row-major position of `idx` in `shape`. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let f = 0;
  for (let d = 0; d < shape.length; d++) f = f * shape[d]! + idx[d]!;
  return f;
}

/** x at output index `idx`, NumPy broadcasting (x's dims align right; its size-1 dims repeat). */
export function bcast(x: Ref, idx: readonly number[]): number {
  const off = idx.length - x.shape.length;
  let f = 0;
  for (let d = 0; d < x.shape.length; d++) f = f * x.shape[d]! + (x.shape[d] === 1 ? 0 : idx[off + d]!);
  return x.data[f]!;
}

export function broadcastShape(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let d = 0; d < s.length; d++) {
      const o = rank - s.length + d;
      if (s[d] !== 1) out[o] = s[d]!;
    }
  }
  return out;
}

/** While true, float results stay float64 (for central differences; see `exactly`). */
let exact = false;

/** Run `fn` with float outputs left unrounded: the reference as a float64 function. */
export function exactly<T>(fn: () => T): T {
  exact = true;
  try {
    return fn();
  } finally {
    exact = false;
  }
}

/** Round to float32 (except while `exactly` runs): for intermediate results a kernel rounds too. */
const f32 = (v: number) => (exact ? v : Math.fround(v));

/** Round float64 results to what the output dtype can hold. */
export function make(shape: readonly number[], dtype: DType, data: readonly number[]): Ref {
  const round =
    dtype === 'float32'
      ? exact
        ? (v: number) => v
        : Math.fround
      : dtype === 'int32'
        ? (v: number) => v | 0
        : (v: number) => (v ? 1 : 0);
  return { shape: [...shape], dtype, data: data.map(round) };
}

const normAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Reduced axes, sorted (all of them when `axis` is undefined). */
function axesOf(axis: number | number[] | undefined, rank: number): number[] {
  if (axis === undefined) return [...Array(rank).keys()];
  return [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => normAxis(a, rank)))].sort();
}

/**
 * Group x's elements by their index outside `axes`: returns the output shape and, per output
 * element, the list of reduced values in row-major order.
 */
function groups(x: Ref, axes: readonly number[], keepdims: boolean): [number[], number[][]] {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out: number[][] = indices(kept).map(() => []);
  indices(x.shape).forEach((idx, i) => {
    out[
      ravel(
        idx.map((v, d) => (axes.includes(d) ? 0 : v)),
        kept,
      )
    ]!.push(x.data[i]!);
  });
  const shape = keepdims ? kept : x.shape.filter((_, d) => !axes.includes(d));
  return [shape, out];
}

// ---------------------------------------------------------------------------------------------
// Scalar maths
// ---------------------------------------------------------------------------------------------

/** erf by its Maclaurin series (float64 error < 1e-12 for |x| < 4; erfc(4) < 2e-8 beyond). */
export function erf(x: number): number {
  if (Math.abs(x) >= 4) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const clamp = (x: number, lo: number, hi: number) => (Number.isNaN(x) ? x : Math.min(Math.max(x, lo), hi));

/** The rows of core's unary op table with a float64 reference and no parameters, by op name. */
const TABLE_UNARY = UNARY_ROWS.filter(([, row]) => row.ref && !row.params && row.kind !== 'form');

/**
 * Unary elementwise maths: the float64 reference of every parameter-free row of core's unary op
 * table (unary-table.ts), and one line each for the ops with parameters (args carry alpha,
 * min/max, approximate, with the public functions' defaults).
 */
export const UNARY_MATH: Readonly<Record<string, (x: number, a: OpArgs) => number>> = {
  ...Object.fromEntries(TABLE_UNARY.map(([, row]) => [row.op, (x: number) => row.ref!(x)])),
  // The series above, not the table's fdlibm erf (which the CPU kernel runs): an independent check.
  erf,
  leakyRelu: (x, a) => (x > 0 ? x : (a.alpha ?? 0.01) * x),
  elu: (x, a) => (x > 0 ? x : (a.alpha ?? 1) * Math.expm1(x)),
  celu: (x, a) => Math.max(0, x) + Math.min(0, (a.alpha ?? 1) * Math.expm1(x / (a.alpha ?? 1))),
  gelu: (x, a) =>
    a.approximate === 'tanh'
      ? 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))
      : 0.5 * x * (1 + erf(x / Math.SQRT2)),
  hardTanh: (x, a) => clamp(x, a.min ?? -1, a.max ?? 1),
  clip: (x, a) => clamp(x, a.min ?? -Infinity, a.max ?? Infinity),
};

/** The op name → its row's dtype kind, for the output dtype of the unary references. */
const UNARY_KIND: Readonly<Record<string, string>> = Object.fromEntries(
  UNARY_ROWS.filter(([, row]) => row.kind !== 'form').map(([, row]) => [row.op, row.kind]),
);

/** Python's floor division and remainder (the result has the divisor's sign), as torch. */
const floorDiv = (a: number, b: number) => Math.floor(a / b);
const mod = (a: number, b: number) => a - Math.floor(a / b) * b;

/** Binary elementwise maths; `int` is true when the operands are int32 (results wrap). */
export const BINARY_MATH: Readonly<Record<string, (a: number, b: number, int: boolean) => number>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b, int) => (int ? Math.imul(a, b) : a * b),
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : Math.max(a, b)),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : Math.min(a, b)),
  mod,
  floorDiv,
  atan2: (a, b) => Math.atan2(a, b),
  equal: (a, b) => +(a === b),
  notEqual: (a, b) => +(a !== b),
  less: (a, b) => +(a < b),
  lessEqual: (a, b) => +(a <= b),
  greater: (a, b) => +(a > b),
  greaterEqual: (a, b) => +(a >= b),
  logicalAnd: (a, b) => +(a !== 0 && b !== 0),
  logicalOr: (a, b) => +(a !== 0 || b !== 0),
  logicalXor: (a, b) => +((a !== 0) !== (b !== 0)),
};

/** Output dtype of a binary op on operands of dtype `t`: comparisons and logic give bool. */
export function binaryDType(op: string, t: DType): DType {
  if (['equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual'].includes(op)) return 'bool';
  if (op.startsWith('logical')) return 'bool';
  if (op === 'div' || op === 'atan2') return 'float32';
  return t === 'bool' ? 'int32' : t;
}

/** Output dtype of a unary op on `t`: 'numeric' ops keep int32, predicates give bool, the rest float32. */
export function unaryDType(op: string, t: DType): DType {
  const kind = op === 'clip' ? 'numeric' : UNARY_KIND[op];
  if (kind === 'pred' || kind === 'logic') return 'bool';
  if (kind === 'numeric') return t === 'bool' ? 'int32' : t;
  if (kind === 'round') return t;
  return 'float32';
}

// ---------------------------------------------------------------------------------------------
// Reductions: each a function of the list of reduced values
// ---------------------------------------------------------------------------------------------

const total = (v: readonly number[]) => v.reduce((p, q) => p + q, 0);
const variance = (v: readonly number[], correction: number) => {
  const m = total(v) / v.length;
  return total(v.map((x) => (x - m) ** 2)) / Math.max(0, v.length - correction);
};
function logSumExp(v: readonly number[]): number {
  const m = Math.max(...v);
  if (!Number.isFinite(m)) return m;
  return m + Math.log(total(v.map((x) => Math.exp(x - m))));
}

/** [fold over the reduced values, output dtype for input dtype t]. */
const REDUCE: Readonly<Record<string, [(v: number[], a: OpArgs, t: DType) => number, (t: DType) => DType]>> =
  {
    sum: [(v, _a, t) => (t === 'float32' ? total(v) : v.reduce((p, q) => (p + q) | 0, 0)), numeric],
    prod: [(v, _a, t) => v.reduce((p, q) => (t === 'float32' ? p * q : Math.imul(p, q)), 1), numeric],
    max: [(v) => Math.max(...v), numeric],
    min: [(v) => Math.min(...v), numeric],
    any: [(v) => +v.some((x) => x !== 0), () => 'bool'],
    all: [(v) => +v.every((x) => x !== 0), () => 'bool'],
    mean: [(v) => total(v) / v.length, () => 'float32'],
    logSumExp: [(v) => logSumExp(v), () => 'float32'],
    variance: [(v, a) => variance(v, a.correction ?? 1), () => 'float32'],
    std: [(v, a) => Math.sqrt(variance(v, a.correction ?? 1)), () => 'float32'],
    norm: [(v) => Math.sqrt(total(v.map((x) => x * x))), () => 'float32'],
  };
function numeric(t: DType): DType {
  return t === 'bool' ? 'int32' : t;
}

/** Index of the first maximum / minimum (torch.argmax / argmin). */
function argExtreme(v: readonly number[], largest: boolean): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (largest ? v[i]! > v[best]! : v[i]! < v[best]!) best = i;
  return best;
}

// ---------------------------------------------------------------------------------------------
// Shape and indexing helpers
// ---------------------------------------------------------------------------------------------

/** Output of `shape` whose element at idx is x's element at `source(idx)` (a flat index), or `fill`. */
function gatherFrom(
  x: Ref,
  shape: readonly number[],
  source: (idx: number[]) => number | null,
  fill = 0,
): Ref {
  return make(
    shape,
    x.dtype,
    indices(shape).map((idx) => {
      const s = source(idx);
      return s === null ? fill : x.data[s]!;
    }),
  );
}

/** Start, stop and step of a Python slice on a dim of size n, and its length. */
function sliceRange(spec: [(number | null)?, (number | null)?, (number | null)?], n: number): number[] {
  const step = spec[2] ?? 1;
  const fix = (v: number | null | undefined, dflt: number, lo: number, hi: number) => {
    if (v === null || v === undefined) return dflt;
    const w = v < 0 ? v + n : v;
    return Math.min(Math.max(w, lo), hi);
  };
  const start = step > 0 ? fix(spec[0], 0, 0, n) : fix(spec[0], n - 1, -1, n - 1);
  const stop = step > 0 ? fix(spec[1], n, 0, n) : fix(spec[1], -1, -1, n - 1);
  const len = Math.max(0, Math.ceil((stop - start) / step));
  return [start, step, len];
}

function softmaxAlong(x: Ref, axis: number, log: boolean): Ref {
  const ax = normAxis(axis, x.shape.length);
  const out = new Array<number>(x.data.length);
  const outer = indices(x.shape.map((d, i) => (i === ax ? 1 : d)));
  for (const base of outer) {
    const pos = Array.from({ length: x.shape[ax]! }, (_, j) =>
      ravel(
        base.map((v, d) => (d === ax ? j : v)),
        x.shape,
      ),
    );
    const v = pos.map((p) => x.data[p]!);
    // shift by the maximum first: at ±3e38, m + log(s) loses log(s) even in float64
    const m = Math.max(...v);
    const s = total(v.map((x) => Math.exp(x - m)));
    pos.forEach((p, j) => {
      out[p] = log ? v[j]! - m - Math.log(s) : Math.exp(v[j]! - m) / s;
    });
  }
  return make(x.shape, 'float32', out);
}

/** Values and indices of `x` along `axis`, ordered by `before` (stable: ties by index), the first k. */
function ordered(x: Ref, axis: number, before: (a: number, b: number) => number, k?: number): Ref[] {
  const ax = normAxis(axis, x.shape.length);
  const n = x.shape[ax]!;
  const kk = k ?? n;
  const shape = x.shape.map((d, i) => (i === ax ? kk : d));
  const vals = new Array<number>(sizeOf(shape));
  const idxs = new Array<number>(sizeOf(shape));
  for (const base of indices(x.shape.map((d, i) => (i === ax ? 1 : d)))) {
    const at = (j: number) =>
      ravel(
        base.map((v, d) => (d === ax ? j : v)),
        x.shape,
      );
    const order = [...Array(n).keys()].sort((i, j) => before(x.data[at(i)]!, x.data[at(j)]!) || i - j);
    for (let j = 0; j < kk; j++) {
      const o = ravel(
        base.map((v, d) => (d === ax ? j : v)),
        shape,
      );
      vals[o] = x.data[at(order[j]!)]!;
      idxs[o] = order[j]!;
    }
  }
  return [make(shape, x.dtype, vals), make(shape, 'int32', idxs)];
}

/** Output size of a conv / pool window along one dim. */
const windows = (n: number, k: number, s: number, p0: number, p1: number, dil: number) =>
  Math.floor((n + p0 + p1 - dil * (k - 1) - 1) / s) + 1;
const pair = (v: number | [number, number] | undefined, dflt: number): [number, number] =>
  v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : v;

function pool2d(x: Ref, a: OpArgs, kind: 'max' | 'avg'): Ref {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [kh, kw] = pair(a.kernel, 1);
  const [sh, sw] = a.stride === undefined ? [kh, kw] : pair(a.stride, 1);
  const [ph, pw] = pair(a.padding as number | [number, number] | undefined, 0);
  const oh = windows(H, kh, sh, ph, ph, 1);
  const ow = windows(W, kw, sw, pw, pw, 1);
  const out: number[] = [];
  for (const [n, c, i, j] of indices([N, C, oh, ow])) {
    const vals: number[] = [];
    let count = 0;
    for (let u = 0; u < kh; u++) {
      for (let v = 0; v < kw; v++) {
        const y = i! * sh - ph + u;
        const z = j! * sw - pw + v;
        count++;
        if (y >= 0 && y < H && z >= 0 && z < W) vals.push(x.data[ravel([n!, c!, y, z], x.shape)]!);
      }
    }
    out.push(
      kind === 'max' ? Math.max(...vals) : total(vals) / (a.countIncludePad === false ? vals.length : count),
    );
  }
  return make([N, C, oh, ow], 'float32', out);
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

function unaryRef(op: string): RefOp {
  const f = UNARY_MATH[op]!;
  return ([x], a) => [
    make(
      x!.shape,
      unaryDType(op, x!.dtype),
      x!.data.map((v) => f(v, a)),
    ),
  ];
}

function binaryRef(op: string): RefOp {
  const f = BINARY_MATH[op]!;
  return ([x, y]) => {
    const shape = broadcastShape(x!.shape, y!.shape);
    const int = x!.dtype !== 'float32';
    const data = indices(shape).map((idx) => f(bcast(x!, idx), bcast(y!, idx), int));
    return [make(shape, binaryDType(op, x!.dtype), data)];
  };
}

function reduceRef(op: string): RefOp {
  const [fold, dtype] = REDUCE[op]!;
  return ([x], a) => {
    const axes = axesOf(a.axis, x!.shape.length);
    const [shape, lists] = groups(x!, axes, a.keepdims ?? false);
    return [
      make(
        shape,
        dtype(x!.dtype),
        lists.map((v) => fold(v, a, x!.dtype)),
      ),
    ];
  };
}

function argRef(largest: boolean): RefOp {
  return ([x], a) => {
    if (a.axis === undefined) {
      const shape = a.keepdims ? x!.shape.map(() => 1) : [];
      return [make(shape, 'int32', [argExtreme(x!.data, largest)])];
    }
    const [shape, lists] = groups(x!, axesOf(a.axis, x!.shape.length), a.keepdims ?? false);
    return [
      make(
        shape,
        'int32',
        lists.map((v) => argExtreme(v, largest)),
      ),
    ];
  };
}

function cumulative(op: 'sum' | 'prod'): RefOp {
  return ([x], a) => {
    const ax = normAxis(a.axis as number, x!.shape.length);
    const int = x!.dtype !== 'float32';
    const data = indices(x!.shape).map((idx) => {
      let acc = op === 'sum' ? 0 : 1;
      for (let j = 0; j <= idx[ax]!; j++) {
        const v =
          x!.data[
            ravel(
              idx.map((w, d) => (d === ax ? j : w)),
              x!.shape,
            )
          ]!;
        acc = op === 'sum' ? (int ? (acc + v) | 0 : acc + v) : int ? Math.imul(acc, v) : acc * v;
      }
      return acc;
    });
    return [make(x!.shape, numeric(x!.dtype), data)];
  };
}

function concatRef(xs: readonly Ref[], axis: number): Ref {
  const ax = normAxis(axis, xs[0]!.shape.length);
  const shape = xs[0]!.shape.map((d, i) => (i === ax ? total(xs.map((x) => x.shape[ax]!)) : d));
  const data = indices(shape).map((idx) => {
    let j = idx[ax]!;
    let k = 0;
    while (j >= xs[k]!.shape[ax]!) j -= xs[k++]!.shape[ax]!;
    return xs[k]!.data[
      ravel(
        idx.map((v, d) => (d === ax ? j : v)),
        xs[k]!.shape,
      )
    ]!;
  });
  return make(shape, xs[0]!.dtype, data);
}

function matmulRef([x, y]: readonly Ref[]): Ref[] {
  const a = x!.shape.length === 1 ? { ...x!, shape: [1, x!.shape[0]!] } : x!;
  const b = y!.shape.length === 1 ? { ...y!, shape: [y!.shape[0]!, 1] } : y!;
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.shape.length - 1]!;
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const int = x!.dtype !== 'float32';
  const data = indices([...batch, m, n]).map((idx) => {
    const bi = idx.slice(0, -2);
    const [i, j] = idx.slice(-2) as [number, number];
    let acc = 0;
    for (let p = 0; p < k; p++) {
      const u = bcast(a, [...bi, i, p]);
      const v = bcast(b, [...bi, p, j]);
      acc = int ? (acc + Math.imul(u, v)) | 0 : acc + u * v;
    }
    return acc;
  });
  let shape = [...batch, m, n];
  if (x!.shape.length === 1) shape = shape.filter((_, d) => d !== shape.length - 2);
  if (y!.shape.length === 1) shape = shape.slice(0, -1);
  return [make(shape, x!.dtype, data)];
}

/** Transpose by `perm`: output dim j is input dim perm[j]. */
function permuteRef(x: Ref, perm: readonly number[]): Ref {
  const shape = perm.map((p) => x.shape[p]!);
  return gatherFrom(x, shape, (idx) => {
    const src = new Array<number>(perm.length);
    perm.forEach((p, j) => {
      src[p] = idx[j]!;
    });
    return ravel(src, x.shape);
  });
}

/** torch.nn.functional.conv2d: input channel grp·Cg + c of group grp meets weight channel c. */
function conv2dRef([x, w, bias]: readonly Ref[], a: OpArgs): Ref[] {
  const [N, , H, W] = x!.shape as [number, number, number, number];
  const [O, Cg, kh, kw] = w!.shape as [number, number, number, number];
  const g = a.groups ?? 1;
  const [sh, sw] = pair(a.stride, 1);
  const [ph, pw] = pair(a.padding as number | [number, number] | undefined, 0);
  const [dh, dw] = pair(a.dilation, 1);
  const oh = windows(H, kh, sh, ph, ph, dh);
  const ow = windows(W, kw, sw, pw, pw, dw);
  const data = indices([N, O, oh, ow]).map(([n, o, i, j]) => {
    const grp = Math.floor(o! / (O / g));
    let acc = bias ? bias.data[o!]! : 0;
    for (let c = 0; c < Cg; c++) {
      for (let u = 0; u < kh; u++) {
        for (let v = 0; v < kw; v++) {
          const y = i! * sh - ph + u * dh;
          const z = j! * sw - pw + v * dw;
          if (y < 0 || y >= H || z < 0 || z >= W) continue;
          acc +=
            x!.data[ravel([n!, grp * Cg + c, y, z], x!.shape)]! * w!.data[ravel([o!, c, u, v], w!.shape)]!;
        }
      }
    }
    return acc;
  });
  return [make([N, O, oh, ow], 'float32', data)];
}

function layerNormRef([x, weight, bias]: readonly Ref[], a: OpArgs): Ref[] {
  const ns = a.normalizedShape!;
  const axes = ns.map((_, i) => x!.shape.length - ns.length + i);
  const [, lists] = groups(x!, axes, true);
  const inner = sizeOf(ns);
  const data = x!.data.map((v, i) => {
    const row = lists[Math.floor(i / inner)]!;
    const m = total(row) / row.length;
    const y = (v - m) / Math.sqrt(variance(row, 0) + (a.eps ?? 1e-5));
    return y * (weight ? weight.data[i % inner]! : 1) + (bias ? bias.data[i % inner]! : 0);
  });
  return [make(x!.shape, 'float32', data)];
}

const BIAS_ACT: Readonly<Record<string, (x: number) => number>> = {
  none: (x) => x,
  relu: (x) => Math.max(x, 0),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  tanh: Math.tanh,
  sigmoid,
  silu: (x) => x * sigmoid(x),
};

/** torch.nn.functional.conv_transpose2d, by scattering each input element's window (groups 1). */
function convTranspose2dRef([x, w, bias]: readonly Ref[], a: OpArgs): Ref[] {
  const [N, C, H, W] = x!.shape as [number, number, number, number];
  const [, O, kh, kw] = w!.shape as [number, number, number, number];
  const [sh, sw] = pair(a.stride, 1);
  const [ph, pw] = pair(a.padding as number | [number, number] | undefined, 0);
  const [oph, opw] = pair(a.outputPadding, 0);
  const oh = (H - 1) * sh - 2 * ph + kh + oph;
  const ow = (W - 1) * sw - 2 * pw + kw + opw;
  const shape = [N, O, oh, ow];
  const out = indices(shape).map(([, o]) => (bias ? bias.data[o!]! : 0));
  for (const [n, c, i, j] of indices([N, C, H, W])) {
    for (const [o, u, v] of indices([O, kh, kw])) {
      const y = i! * sh - ph + u!;
      const z = j! * sw - pw + v!;
      if (y < 0 || y >= oh || z < 0 || z >= ow) continue;
      out[ravel([n!, o!, y, z], shape)]! +=
        x!.data[ravel([n!, c!, i!, j!], x!.shape)]! * w!.data[ravel([c!, o!, u!, v!], w!.shape)]!;
    }
  }
  return [make(shape, 'float32', out)];
}

/** einsum over index tuples: every assignment of the equation's letters, summed over the dropped ones. */
function einsumRef(xs: readonly Ref[], a: OpArgs): Ref[] {
  const [lhs, rhs] = a.equation!.replace(/\s+/g, '').split('->') as [string, string];
  const terms = lhs.split(',');
  const size: Record<string, number> = {};
  terms.forEach((t, k) => {
    [...t].forEach((ch, d) => {
      size[ch] = xs[k]!.shape[d]!;
    });
  });
  const letters = Object.keys(size);
  const shape = [...rhs].map((ch) => size[ch]!);
  const out = new Array<number>(sizeOf(shape)).fill(0);
  for (const idx of indices(letters.map((ch) => size[ch]!))) {
    const at = (ch: string) => idx[letters.indexOf(ch)]!;
    const prod = terms.reduce((p, t, k) => p * xs[k]!.data[ravel([...t].map(at), xs[k]!.shape)]!, 1);
    out[ravel([...rhs].map(at), shape)]! += prod;
  }
  return [make(shape, 'float32', out)];
}

/** Mean of each adaptive window: rows floor(i·H/oh) to ceil((i+1)·H/oh), as torch. */
function adaptiveAvgPool2dRef([x]: readonly Ref[], a: OpArgs): Ref[] {
  const [N, C, H, W] = x!.shape as [number, number, number, number];
  const [oh, ow] = pair(a.outputSize, 1);
  const data = indices([N, C, oh, ow]).map(([n, c, i, j]) => {
    const vals: number[] = [];
    for (let y = Math.floor((i! * H) / oh); y < Math.ceil(((i! + 1) * H) / oh); y++)
      for (let z = Math.floor((j! * W) / ow); z < Math.ceil(((j! + 1) * W) / ow); z++)
        vals.push(x!.data[ravel([n!, c!, y, z], x!.shape)]!);
    return total(vals) / vals.length;
  });
  return [make([N, C, oh, ow], 'float32', data)];
}

/** The 1-D ops as their 2-D forms on [N, C, 1, L]. */
function as1d(op: RefOp, w = false): RefOp {
  return (xs, a) => {
    const up = xs.map((t, i) =>
      i === 0 || (w && i === 1) ? { ...t, shape: [...t.shape.slice(0, 2), 1, ...t.shape.slice(2)] } : t,
    );
    const pad = a.padding as number | undefined;
    const args: OpArgs = {
      ...a,
      kernel: a.kernel === undefined ? undefined : [1, a.kernel as number],
      stride: a.stride === undefined ? undefined : [1, a.stride as number],
      padding: pad === undefined ? undefined : [0, pad],
    };
    return op(up, args).map((t) => ({ ...t, shape: [...t.shape.slice(0, 2), ...t.shape.slice(3)] }));
  };
}

// ---------------------------------------------------------------------------------------------
// Recurrent cells (the pointwise halves of torch.nn.LSTMCell and torch.nn.GRUCell) and their
// backwards, written from the published equations row by row.
// ---------------------------------------------------------------------------------------------

/** LSTM, gate order i, f, g, o: c' = σ(f)c + σ(i)tanh(g), h' = σ(o)tanh(c'). → [h', c'] */
function lstmCellRef([gates, c]: readonly Ref[]): Ref[] {
  const [N, H] = c!.shape as [number, number];
  const h1: number[] = [];
  const c1: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      const a = (k: number) => gates!.data[n * 4 * H + k * H + j]!;
      const cn = sigmoid(a(1)) * c!.data[n * H + j]! + sigmoid(a(0)) * Math.tanh(a(2));
      c1.push(cn);
      h1.push(sigmoid(a(3)) * Math.tanh(cn));
    }
  }
  return [make([N, H], 'float32', h1), make([N, H], 'float32', c1)];
}

/** The cotangents of the LSTM pre-activations and of c from dh' and dc'. → [dgates, dc] */
function lstmCellGradRef([gates, c, dh, dc]: readonly Ref[]): Ref[] {
  const [N, H] = c!.shape as [number, number];
  const dg = new Array<number>(N * 4 * H).fill(0);
  const dcPrev: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      const a = (k: number) => gates!.data[n * 4 * H + k * H + j]!;
      const [i, f, g, o] = [sigmoid(a(0)), sigmoid(a(1)), Math.tanh(a(2)), sigmoid(a(3))];
      const cp = c!.data[n * H + j]!;
      const tc = Math.tanh(f * cp + i * g);
      const dhv = dh!.data[n * H + j]!;
      // dL/dc' in full: its own cotangent and the path through h' = o·tanh(c').
      const dct = dc!.data[n * H + j]! + dhv * o * (1 - tc * tc);
      const at = (k: number) => n * 4 * H + k * H + j;
      dg[at(0)] = dct * g * i * (1 - i);
      dg[at(1)] = dct * cp * f * (1 - f);
      dg[at(2)] = dct * i * (1 - g * g);
      dg[at(3)] = dhv * tc * o * (1 - o);
      dcPrev.push(dct * f);
    }
  }
  return [make([N, 4 * H], 'float32', dg), make([N, H], 'float32', dcPrev)];
}

/** GRU, gate order r, z, n: n = tanh(x_n + r·h_n), h' = (1 − z)n + z·h. → [h'] */
function gruCellRef([gx, gh, h]: readonly Ref[]): Ref[] {
  const [N, H] = h!.shape as [number, number];
  const out: number[] = [];
  for (let b = 0; b < N; b++) {
    for (let j = 0; j < H; j++) {
      const x = (k: number) => gx!.data[b * 3 * H + k * H + j]!;
      const y = (k: number) => gh!.data[b * 3 * H + k * H + j]!;
      const r = sigmoid(x(0) + y(0));
      const z = sigmoid(x(1) + y(1));
      const nn = Math.tanh(x(2) + r * y(2));
      out.push((1 - z) * nn + z * h!.data[b * H + j]!);
    }
  }
  return [make([N, H], 'float32', out)];
}

/** The cotangents of gx, gh and (the direct path of) h from dh'. → [dgx, dgh, dh] */
function gruCellGradRef([gx, gh, h, dh]: readonly Ref[]): Ref[] {
  const [N, H] = h!.shape as [number, number];
  const dgx = new Array<number>(N * 3 * H).fill(0);
  const dgh = new Array<number>(N * 3 * H).fill(0);
  const dhPrev: number[] = [];
  for (let b = 0; b < N; b++) {
    for (let j = 0; j < H; j++) {
      const at = (k: number) => b * 3 * H + k * H + j;
      const r = sigmoid(gx!.data[at(0)]! + gh!.data[at(0)]!);
      const z = sigmoid(gx!.data[at(1)]! + gh!.data[at(1)]!);
      const nn = Math.tanh(gx!.data[at(2)]! + r * gh!.data[at(2)]!);
      const d = dh!.data[b * H + j]!;
      const dn = d * (1 - z) * (1 - nn * nn);
      const dz = d * (h!.data[b * H + j]! - nn) * z * (1 - z);
      const dr = dn * gh!.data[at(2)]! * r * (1 - r);
      dgx[at(0)] = dr;
      dgx[at(1)] = dz;
      dgx[at(2)] = dn;
      dgh[at(0)] = dr;
      dgh[at(1)] = dz;
      dgh[at(2)] = dn * r;
      dhPrev.push(d * z);
    }
  }
  return [
    make([N, 3 * H], 'float32', dgx),
    make([N, 3 * H], 'float32', dgh),
    make([N, H], 'float32', dhPrev),
  ];
}

/** Every op the generated cases exercise: its float64 reference. */
export const REFERENCE: Readonly<Record<string, RefOp>> = {
  ...SPARSE_REFERENCE,
  ...ATTENTION_REFERENCE,
  ...Object.fromEntries(Object.keys(UNARY_MATH).map((op) => [op, unaryRef(op)])),
  ...Object.fromEntries(Object.keys(BINARY_MATH).map((op) => [op, binaryRef(op)])),
  ...Object.fromEntries(Object.keys(REDUCE).map((op) => [op, reduceRef(op)])),
  argmax: argRef(true),
  argmin: argRef(false),
  where: ([c, x, y]) => {
    const shape = broadcastShape(c!.shape, x!.shape, y!.shape);
    return [
      make(
        shape,
        x!.dtype,
        indices(shape).map((i) => (bcast(c!, i) ? bcast(x!, i) : bcast(y!, i))),
      ),
    ];
  },
  cast: ([x], a) => [
    make(
      x!.shape,
      a.dtype!,
      x!.data.map((v) => (a.dtype === 'int32' ? Math.trunc(v) : v)),
    ),
  ],
  // creation
  zeros: (_, a) => [make(a.shape!, a.dtype ?? 'float32', new Array(sizeOf(a.shape!)).fill(0))],
  ones: (_, a) => [make(a.shape!, a.dtype ?? 'float32', new Array(sizeOf(a.shape!)).fill(1))],
  full: (_, a) => [make(a.shape!, a.dtype!, new Array(sizeOf(a.shape!)).fill(Number(a.value)))],
  eye: (_, a) => {
    const shape = [a.n!, a.m ?? a.n!];
    return [
      make(
        shape,
        'float32',
        indices(shape).map(([i, j]) => +(i === j)),
      ),
    ];
  },
  arange: (_, a) => {
    const n = Math.max(0, Math.ceil((a.stop! - (a.start ?? 0)) / (a.step ?? 1)));
    return [
      make(
        [n],
        a.dtype ?? 'int32',
        [...Array(n).keys()].map((i) => (a.start ?? 0) + i * (a.step ?? 1)),
      ),
    ];
  },
  linspace: (_, a) => {
    const n = a.num!;
    const step = n > 1 ? (a.stop! - a.start!) / (n - 1) : 0;
    return [
      make(
        [n],
        'float32',
        [...Array(n).keys()].map((i) => (i === n - 1 && n > 1 ? a.stop! : a.start! + i * step)),
      ),
    ];
  },
  zerosLike: ([x]) => [
    make(
      x!.shape,
      x!.dtype,
      x!.data.map(() => 0),
    ),
  ],
  onesLike: ([x]) => [
    make(
      x!.shape,
      x!.dtype,
      x!.data.map(() => 1),
    ),
  ],
  // linear algebra
  matmul: matmulRef,
  dot: ([x, y]) => [make([], x!.dtype, [total(x!.data.map((v, i) => v * y!.data[i]!))])],
  outer: ([x, y]) => {
    const shape = [x!.shape[0]!, y!.shape[0]!];
    return [
      make(
        shape,
        x!.dtype,
        indices(shape).map(([i, j]) => x!.data[i!]! * y!.data[j!]!),
      ),
    ];
  },
  // shape
  reshape: ([x], a) => [{ ...x!, shape: a.shape! }],
  flatten: ([x], a) => {
    const r = x!.shape.length;
    const s = normAxis(a.startDim ?? 0, r);
    const e = normAxis(a.endDim ?? -1, r);
    return [
      { ...x!, shape: [...x!.shape.slice(0, s), sizeOf(x!.shape.slice(s, e + 1)), ...x!.shape.slice(e + 1)] },
    ];
  },
  squeeze: ([x], a) => {
    const axes = axesOf(a.axis, x!.shape.length);
    return [{ ...x!, shape: x!.shape.filter((d, i) => !(d === 1 && axes.includes(i))) }];
  },
  unsqueeze: ([x], a) => {
    const ax = normAxis(a.axis as number, x!.shape.length + 1);
    return [{ ...x!, shape: [...x!.shape.slice(0, ax), 1, ...x!.shape.slice(ax)] }];
  },
  permute: ([x], a) => [
    permuteRef(
      x!,
      a.dims!.map((d) => normAxis(d, x!.shape.length)),
    ),
  ],
  transpose: ([x], a) => {
    const r = x!.shape.length;
    const perm = [...Array(r).keys()];
    const [i, j] = [normAxis(a.dim0 ?? -2, r), normAxis(a.dim1 ?? -1, r)];
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    return [permuteRef(x!, perm)];
  },
  broadcastTo: ([x], a) => [
    make(
      a.shape!,
      x!.dtype,
      indices(a.shape!).map((i) => bcast(x!, i)),
    ),
  ],
  concat: (xs, a) => [concatRef(xs, (a.axis as number | undefined) ?? 0)],
  stack: (xs, a) => {
    const ax = normAxis((a.axis as number | undefined) ?? 0, xs[0]!.shape.length + 1);
    return [
      concatRef(
        xs.map((x) => ({ ...x, shape: [...x.shape.slice(0, ax), 1, ...x.shape.slice(ax)] })),
        ax,
      ),
    ];
  },
  split: ([x], a) => {
    const ax = normAxis((a.axis as number | undefined) ?? 0, x!.shape.length);
    const n = x!.shape[ax]!;
    const size = a.sizeOrSizes as number;
    const sizes: number[] = [];
    for (let s = 0; s < n; s += size) sizes.push(Math.min(size, n - s));
    if (sizes.length === 0) sizes.push(0);
    let start = 0;
    return sizes.map((len) => {
      const shape = x!.shape.map((d, i) => (i === ax ? len : d));
      const from = start;
      start += len;
      return gatherFrom(x!, shape, (idx) =>
        ravel(
          idx.map((v, d) => (d === ax ? v + from : v)),
          x!.shape,
        ),
      );
    });
  },
  slice: ([x], a) => {
    const specs = a.specs!;
    const ranges = x!.shape.map((n, d) => {
      const s = specs[d];
      if (typeof s === 'number') return [s < 0 ? s + n : s, 1, 1, 1];
      return [...sliceRange(s === null || s === undefined ? [] : s, n), 0];
    });
    const full = ranges.map((r) => r[2]!);
    const out = gatherFrom(x!, full, (idx) =>
      ravel(
        idx.map((v, d) => ranges[d]![0]! + v * ranges[d]![1]!),
        x!.shape,
      ),
    );
    return [{ ...out, shape: full.filter((_, d) => ranges[d]![3] === 0) }];
  },
  pad: ([x], a) => {
    const r = x!.shape.length;
    const pads = a.pads!;
    const before = x!.shape.map((_, d) => (r - 1 - d < pads.length / 2 ? pads[2 * (r - 1 - d)]! : 0));
    const after = x!.shape.map((_, d) => (r - 1 - d < pads.length / 2 ? pads[2 * (r - 1 - d) + 1]! : 0));
    const shape = x!.shape.map((n, d) => n + before[d]! + after[d]!);
    const mode = a.mode ?? 'constant';
    return [
      gatherFrom(
        x!,
        shape,
        (idx) => {
          const src = idx.map((v, d) => v - before[d]!);
          const n = x!.shape;
          if (mode === 'constant') return src.every((v, d) => v >= 0 && v < n[d]!) ? ravel(src, n) : null;
          const fold = src.map((v, d) =>
            mode === 'replicate' ? clamp(v, 0, n[d]! - 1) : v < 0 ? -v : v >= n[d]! ? 2 * (n[d]! - 1) - v : v,
          );
          return ravel(fold, n);
        },
        Number(a.value ?? 0),
      ),
    ];
  },
  tile: ([x], a) => {
    const reps = a.reps!;
    const r = Math.max(reps.length, x!.shape.length);
    const xs = [...new Array(r - x!.shape.length).fill(1), ...x!.shape];
    const rs = [...new Array(r - reps.length).fill(1), ...reps];
    const shape = xs.map((d, i) => d * rs[i]!);
    return [
      gatherFrom(x!, shape, (idx) =>
        ravel(
          idx.map((v, d) => v % xs[d]!),
          xs,
        ),
      ),
    ];
  },
  repeat: ([x], a) => {
    const ax = normAxis(a.axis as number, x!.shape.length);
    const k = a.repeats as number;
    const shape = x!.shape.map((d, i) => (i === ax ? d * k : d));
    return [
      gatherFrom(x!, shape, (idx) =>
        ravel(
          idx.map((v, d) => (d === ax ? Math.floor(v / k) : v)),
          x!.shape,
        ),
      ),
    ];
  },
  flip: ([x], a) => {
    const axes = axesOf(a.axis, x!.shape.length);
    return [
      gatherFrom(x!, x!.shape, (idx) =>
        ravel(
          idx.map((v, d) => (axes.includes(d) ? x!.shape[d]! - 1 - v : v)),
          x!.shape,
        ),
      ),
    ];
  },
  roll: ([x], a) => {
    const ax = normAxis(a.axis as number, x!.shape.length);
    const n = x!.shape[ax]!;
    const s = a.shifts as number;
    return [
      gatherFrom(x!, x!.shape, (idx) =>
        ravel(
          idx.map((v, d) => (d === ax ? (((v - s) % n) + n) % n : v)),
          x!.shape,
        ),
      ),
    ];
  },
  tril: ([x], a) => {
    const r = x!.shape.length;
    return [
      make(
        x!.shape,
        x!.dtype,
        indices(x!.shape).map((idx, i) => (idx[r - 1]! - idx[r - 2]! <= (a.k ?? 0) ? x!.data[i]! : 0)),
      ),
    ];
  },
  triu: ([x], a) => {
    const r = x!.shape.length;
    return [
      make(
        x!.shape,
        x!.dtype,
        indices(x!.shape).map((idx, i) => (idx[r - 1]! - idx[r - 2]! >= (a.k ?? 0) ? x!.data[i]! : 0)),
      ),
    ];
  },
  // indexing
  gather: ([x, index], a) => {
    const ax = normAxis(a.axis as number, x!.shape.length);
    return [
      gatherFrom(x!, index!.shape, (idx) =>
        ravel(
          idx.map((v, d) => (d === ax ? index!.data[ravel(idx, index!.shape)]! : v)),
          x!.shape,
        ),
      ),
    ];
  },
  indexSelect: ([x, index], a) => {
    const ax = normAxis(a.axis as number, x!.shape.length);
    const shape = x!.shape.map((d, i) => (i === ax ? index!.data.length : d));
    return [
      gatherFrom(x!, shape, (idx) =>
        ravel(
          idx.map((v, d) => (d === ax ? index!.data[v]! : v)),
          x!.shape,
        ),
      ),
    ];
  },
  take: ([x, index]) => [gatherFrom(x!, index!.shape, (idx) => index!.data[ravel(idx, index!.shape)]!)],
  scatterAdd: ([x, index, src], a) => {
    const ax = normAxis(a.axis as number, x!.shape.length);
    const out = [...x!.data];
    const int = x!.dtype !== 'float32';
    indices(index!.shape).forEach((idx, i) => {
      const o = ravel(
        idx.map((v, d) => (d === ax ? index!.data[i]! : v)),
        x!.shape,
      );
      out[o] = int
        ? (out[o]! + src!.data[ravel(idx, src!.shape)]!) | 0
        : out[o]! + src!.data[ravel(idx, src!.shape)]!;
    });
    return [make(x!.shape, x!.dtype, out)];
  },
  scatter: ([x, index, src], a) => {
    const ax = normAxis(a.axis as number, x!.shape.length);
    const out = [...x!.data];
    indices(index!.shape).forEach((idx, i) => {
      out[
        ravel(
          idx.map((v, d) => (d === ax ? index!.data[i]! : v)),
          x!.shape,
        )
      ] = src!.data[ravel(idx, src!.shape)]!;
    });
    return [make(x!.shape, x!.dtype, out)];
  },
  oneHot: ([i], a) => {
    const shape = [...i!.shape, a.numClasses!];
    return [
      make(
        shape,
        'int32',
        indices(shape).map((idx) => +(i!.data[ravel(idx.slice(0, -1), i!.shape)] === idx[idx.length - 1])),
      ),
    ];
  },
  maskedFill: ([x, mask], a) => {
    const at = indices(x!.shape);
    return [
      make(
        x!.shape,
        x!.dtype,
        x!.data.map((v, i) => (bcast(mask!, at[i]!) ? Number(a.value) : v)),
      ),
    ];
  },
  sort: ([x], a) =>
    ordered(x!, (a.axis as number | undefined) ?? -1, (p, q) => (a.descending ? q - p : p - q)),
  argsort: ([x], a) => [
    ordered(x!, (a.axis as number | undefined) ?? -1, (p, q) => (a.descending ? q - p : p - q))[1]!,
  ],
  topk: ([x], a) =>
    ordered(x!, (a.axis as number | undefined) ?? -1, (p, q) => (a.largest === false ? p - q : q - p), a.k!),
  cumsum: cumulative('sum'),
  cumprod: cumulative('prod'),
  // neural-net ops
  softmax: ([x], a) => [softmaxAlong(x!, (a.axis as number | undefined) ?? -1, false)],
  logSoftmax: ([x], a) => [softmaxAlong(x!, (a.axis as number | undefined) ?? -1, true)],
  conv2d: conv2dRef,
  maxPool2d: ([x], a) => [pool2d(x!, a, 'max')],
  avgPool2d: ([x], a) => [pool2d(x!, a, 'avg')],
  layerNorm: layerNormRef,
  lstmCell: lstmCellRef,
  lstmCellGrad: lstmCellGradRef,
  gruCell: gruCellRef,
  gruCellGrad: gruCellGradRef,
  biasAct: ([x, b], a) => {
    const ax = normAxis((a.axis as number | undefined) ?? 1, x!.shape.length);
    const f = BIAS_ACT[a.activation ?? 'none']!;
    return [
      make(
        x!.shape,
        'float32',
        indices(x!.shape).map((idx, i) => f(f32(x!.data[i]! + b!.data[idx[ax]!]!))),
      ),
    ];
  },
  embedding: ([i, w]) => {
    const dim = w!.shape[1]!;
    const shape = [...i!.shape, dim];
    return [
      gatherFrom(
        w!,
        shape,
        (idx) => i!.data[ravel(idx.slice(0, -1), i!.shape)]! * dim + idx[idx.length - 1]!,
      ),
    ];
  },
  dropout: ([x]) => [x!],
  convTranspose2d: convTranspose2dRef,
  conv1d: as1d(conv2dRef, true),
  maxPool1d: as1d(([x], a) => [pool2d(x!, a, 'max')]),
  avgPool1d: as1d(([x], a) => [pool2d(x!, a, 'avg')]),
  adaptiveAvgPool2d: adaptiveAvgPool2dRef,
  einsum: einsumRef,
  batchNorm: ([x, mean, vari, weight, bias], a) => [
    make(
      x!.shape,
      'float32',
      indices(x!.shape).map((idx, i) => {
        const c = idx[1]!;
        const y = (x!.data[i]! - mean!.data[c]!) / Math.sqrt(vari!.data[c]! + (a.eps ?? 1e-5));
        return y * (weight ? weight.data[c]! : 1) + (bias ? bias.data[c]! : 0);
      }),
    ),
  ],
  fullLike: ([x], a) => [
    make(
      x!.shape,
      x!.dtype,
      x!.data.map(() => Number(a.value)),
    ),
  ],
  scalar: (_, a) => [make([], a.dtype ?? 'float32', [Number(a.value)])],
  chunk: (xs, a) => {
    const ax = normAxis((a.axis as number | undefined) ?? 0, xs[0]!.shape.length);
    const size = Math.max(1, Math.ceil(xs[0]!.shape[ax]! / a.chunks!));
    return REFERENCE.split!(xs, { axis: ax, sizeOrSizes: size });
  },
  unfold: ([x], a) => {
    // im2col (torch.nn.functional.unfold): row c·kh·kw + u·kw + v, column i·ow + j
    const [N, C, H, W] = x!.shape as [number, number, number, number];
    const [kh, kw] = pair(a.kernel, 1);
    const [sh, sw] = pair(a.stride, 1);
    const [ph, pw] = pair(a.padding as number | [number, number] | undefined, 0);
    const [dh, dw] = pair(a.dilation, 1);
    const oh = windows(H, kh, sh, ph, ph, dh);
    const ow = windows(W, kw, sw, pw, pw, dw);
    const shape = [N, C * kh * kw, oh * ow];
    const data = indices(shape).map(([n, r, col]) => {
      const [c, u, v] = [Math.floor(r! / (kh * kw)), Math.floor(r! / kw) % kh, r! % kw];
      const y = Math.floor(col! / ow) * sh - ph + u * dh;
      const z = (col! % ow) * sw - pw + v * dw;
      return y < 0 || y >= H || z < 0 || z >= W ? 0 : x!.data[ravel([n!, c, y, z], x!.shape)]!;
    });
    return [make(shape, 'float32', data)];
  },
};
