import { chunkStart, claim } from './tasks';

/*
 * The sparse and segment kernels of graph networks (core's `SegmentReduce`, `SpMM`, `Sddmm`).
 *
 * SegmentReduce and SpMM produce one output row per segment (CSR row): the rows of a task are a
 * contiguous run of segments, and the runs are cut so that each holds about the same number of
 * stored entries plus output rows (a power-law graph has a few rows with most of the edges, so
 * equal row counts would leave one thread with nearly all the work). Sddmm gives one number per
 * entry; its tasks are equal runs of entries. Every output element is computed by one thread in
 * a fixed order, so the result does not depend on the thread count or on which thread runs what.
 *
 * The feature dimension F is walked sixteen floats at a time (four f32x4 accumulators held in
 * registers across the segment's rows), then four at a time, then one at a time.
 *
 * The args block (i32 fields): [0] kind, [1] items (segments, rows or entries), [2] F, [3] task
 * counter (zeroed by the host), [4] tasks, [5] entries (E or nnz: the balance weight), [6..10]
 * the operands' addresses in the order each kind lists them, output last.
 */

const SEG_SUM = 0;
const SEG_MEAN = 1;
const SEG_MAX = 2;
const SEG_MIN = 3;
const SPMM = 4;
const SDDMM = 5;

@inline
function ptr(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** c + a·b per lane: one fused multiply-add in the relaxed-SIMD build. */
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/**
 * Combine the accumulator `a` with a row's `b` by a segment reduction. Max and min take the
 * one-instruction pmax / pmin (a < b ? b : a), which drop a NaN in b: the loops below keep a NaN
 * mask beside them and put NaN back at the end (wasm's f32x4.max keeps NaN itself, but V8 lowers
 * it to a sequence of eight instructions on x64).
 */
@inline
function combine(op: i32, a: v128, b: v128): v128 {
  if (op == SEG_MAX) return f32x4.pmax(a, b);
  if (op == SEG_MIN) return f32x4.pmin(a, b);
  return f32x4.add(a, b);
}

/** The NaN mask `m` grown by the lanes of `v` that are NaN (max and min only). */
@inline
function nanMask(op: i32, m: v128, v: v128): v128 {
  if (op == SEG_MAX || op == SEG_MIN) return v128.or(m, f32x4.ne(v, v));
  return m;
}

/** NaN where the mask is set (max and min only). */
@inline
function withNaN(op: i32, a: v128, m: v128): v128 {
  if (op == SEG_MAX || op == SEG_MIN) return v128.bitselect(V_NAN, a, m);
  return a;
}

let V_NAN = f32x4.splat(NaN);

@inline
function combine1(op: i32, a: f32, b: f32): f32 {
  if (op == SEG_MAX) return max<f32>(a, b);
  if (op == SEG_MIN) return min<f32>(a, b);
  return a + b;
}

/**
 * The first segment of task `t` of `tasks`: the smallest s with offsets[s] + s ≥ the task's share
 * of (entries + segments). offsets[s] + s rises strictly with s, so the runs are disjoint and
 * cover [0, S]; a segment heavier than a share makes its own run.
 */
@inline
function firstSegment(offsets: usize, segments: i32, entries: i32, t: i32, tasks: i32): i32 {
  const target = chunkStart(entries + segments, t, tasks);
  let lo = 0;
  let hi = segments;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<i32>(ptr(offsets, mid)) + mid >= target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Segments [s0, s1) of `x` (E, F) into `out` (S, F) by `op`; an empty segment gives zeros, a mean
 * divides the sum by the count.
 */
@inline
function segmentRows(op: i32, x: usize, offsets: usize, out: usize, F: i32, s0: i32, s1: i32): void {
  const rowBytes = <usize>F << 2;
  for (let s = s0; s < s1; s++) {
    const e0 = load<i32>(ptr(offsets, s));
    const n = load<i32>(ptr(offsets, s + 1)) - e0;
    const o = ptr(out, s * F);
    if (n <= 0) {
      memory.fill(o, 0, rowBytes);
      continue;
    }
    const first = ptr(x, e0 * F);
    const count = f32x4.splat(<f32>n);
    const zero = f32x4.splat(0);
    let f = 0;
    for (; f + 16 <= F; f += 16) {
      let p = first + (<usize>f << 2);
      let a0 = v128.load(p);
      let a1 = v128.load(p, 16);
      let a2 = v128.load(p, 32);
      let a3 = v128.load(p, 48);
      let m0 = nanMask(op, zero, a0);
      let m1 = nanMask(op, zero, a1);
      let m2 = nanMask(op, zero, a2);
      let m3 = nanMask(op, zero, a3);
      for (let e = 1; e < n; e++) {
        p += rowBytes;
        const v0 = v128.load(p);
        const v1 = v128.load(p, 16);
        const v2 = v128.load(p, 32);
        const v3 = v128.load(p, 48);
        a0 = combine(op, a0, v0);
        a1 = combine(op, a1, v1);
        a2 = combine(op, a2, v2);
        a3 = combine(op, a3, v3);
        m0 = nanMask(op, m0, v0);
        m1 = nanMask(op, m1, v1);
        m2 = nanMask(op, m2, v2);
        m3 = nanMask(op, m3, v3);
      }
      a0 = withNaN(op, a0, m0);
      a1 = withNaN(op, a1, m1);
      a2 = withNaN(op, a2, m2);
      a3 = withNaN(op, a3, m3);
      if (op == SEG_MEAN) {
        a0 = f32x4.div(a0, count);
        a1 = f32x4.div(a1, count);
        a2 = f32x4.div(a2, count);
        a3 = f32x4.div(a3, count);
      }
      const q = o + (<usize>f << 2);
      v128.store(q, a0);
      v128.store(q, a1, 16);
      v128.store(q, a2, 32);
      v128.store(q, a3, 48);
    }
    for (; f + 4 <= F; f += 4) {
      let p = first + (<usize>f << 2);
      let a = v128.load(p);
      let m = nanMask(op, zero, a);
      for (let e = 1; e < n; e++) {
        p += rowBytes;
        const v = v128.load(p);
        a = combine(op, a, v);
        m = nanMask(op, m, v);
      }
      a = withNaN(op, a, m);
      if (op == SEG_MEAN) a = f32x4.div(a, count);
      v128.store(o + (<usize>f << 2), a);
    }
    for (; f < F; f++) {
      let p = first + (<usize>f << 2);
      let a = load<f32>(p);
      for (let e = 1; e < n; e++) {
        p += rowBytes;
        a = combine1(op, a, load<f32>(p));
      }
      if (op == SEG_MEAN) a /= <f32>n;
      store<f32>(o + (<usize>f << 2), a);
    }
  }
}

/** Rows [r0, r1) of CSR × dense: out[r] = Σ_k values[k]·x[colIdx[k]], entries in stored order. */
function spmmRows(
  rowPtr: usize,
  colIdx: usize,
  values: usize,
  x: usize,
  out: usize,
  F: i32,
  r0: i32,
  r1: i32,
): void {
  const zero = f32x4.splat(0);
  for (let r = r0; r < r1; r++) {
    const k0 = load<i32>(ptr(rowPtr, r));
    const k1 = load<i32>(ptr(rowPtr, r + 1));
    const o = ptr(out, r * F);
    let f = 0;
    for (; f + 16 <= F; f += 16) {
      let a0 = zero;
      let a1 = zero;
      let a2 = zero;
      let a3 = zero;
      for (let k = k0; k < k1; k++) {
        const v = v128.load32_splat(ptr(values, k));
        const p = ptr(x, load<i32>(ptr(colIdx, k)) * F + f);
        a0 = madd(v, v128.load(p), a0);
        a1 = madd(v, v128.load(p, 16), a1);
        a2 = madd(v, v128.load(p, 32), a2);
        a3 = madd(v, v128.load(p, 48), a3);
      }
      const q = ptr(o, f);
      v128.store(q, a0);
      v128.store(q, a1, 16);
      v128.store(q, a2, 32);
      v128.store(q, a3, 48);
    }
    for (; f + 4 <= F; f += 4) {
      let a = zero;
      for (let k = k0; k < k1; k++) {
        const v = v128.load32_splat(ptr(values, k));
        a = madd(v, v128.load(ptr(x, load<i32>(ptr(colIdx, k)) * F + f)), a);
      }
      v128.store(ptr(o, f), a);
    }
    for (; f < F; f++) {
      let a: f32 = 0;
      for (let k = k0; k < k1; k++) {
        a += load<f32>(ptr(values, k)) * load<f32>(ptr(x, load<i32>(ptr(colIdx, k)) * F + f));
      }
      store<f32>(ptr(o, f), a);
    }
  }
}

/** Entries [k0, k1) of SDDMM: out[k] = Σ_f a[rows[k], f]·b[cols[k], f]. */
function sddmmEntries(rows: usize, cols: usize, a: usize, b: usize, out: usize, F: i32, k0: i32, k1: i32): void {
  const zero = f32x4.splat(0);
  for (let k = k0; k < k1; k++) {
    const pa = ptr(a, load<i32>(ptr(rows, k)) * F);
    const pb = ptr(b, load<i32>(ptr(cols, k)) * F);
    let c0 = zero;
    let c1 = zero;
    let f = 0;
    for (; f + 8 <= F; f += 8) {
      const qa = ptr(pa, f);
      const qb = ptr(pb, f);
      c0 = madd(v128.load(qa), v128.load(qb), c0);
      c1 = madd(v128.load(qa, 16), v128.load(qb, 16), c1);
    }
    for (; f + 4 <= F; f += 4) c0 = madd(v128.load(ptr(pa, f)), v128.load(ptr(pb, f)), c0);
    const c = f32x4.add(c0, c1);
    let s =
      f32x4.extract_lane(c, 0) + f32x4.extract_lane(c, 1) + (f32x4.extract_lane(c, 2) + f32x4.extract_lane(c, 3));
    for (; f < F; f++) s += load<f32>(ptr(pa, f)) * load<f32>(ptr(pb, f));
    store<f32>(ptr(out, k), s);
  }
}

/** One sparse kernel (the args block's kind) over tasks claimed from its counter. */
export function jobSparse(args: usize, tid: i32, nt: i32): void {
  const kind = load<i32>(args);
  const items = load<i32>(args, 4);
  const F = load<i32>(args, 8);
  const tasks = load<i32>(args, 16);
  const entries = load<i32>(args, 20);
  const p0 = <usize>load<i32>(args, 24);
  const p1 = <usize>load<i32>(args, 28);
  const p2 = <usize>load<i32>(args, 32);
  const p3 = <usize>load<i32>(args, 36);
  const p4 = <usize>load<i32>(args, 40);
  for (let t = claim(args + 12); t < tasks; t = claim(args + 12)) {
    if (kind == SDDMM) {
      sddmmEntries(p0, p1, p2, p3, p4, F, chunkStart(items, t, tasks), chunkStart(items, t + 1, tasks));
      continue;
    }
    // SegmentReduce: [x, offsets, out]; SpMM: [rowPtr, colIdx, values, x, out].
    const offsets = kind == SPMM ? p0 : p1;
    const s0 = firstSegment(offsets, items, entries, t, tasks);
    const s1 = firstSegment(offsets, items, entries, t + 1, tasks);
    switch (kind) {
      case SEG_SUM: segmentRows(SEG_SUM, p0, p1, p2, F, s0, s1); break;
      case SEG_MEAN: segmentRows(SEG_MEAN, p0, p1, p2, F, s0, s1); break;
      case SEG_MAX: segmentRows(SEG_MAX, p0, p1, p2, F, s0, s1); break;
      case SEG_MIN: segmentRows(SEG_MIN, p0, p1, p2, F, s0, s1); break;
      case SPMM: spmmRows(p0, p1, p2, p3, p4, F, s0, s1); break;
      default: break;
    }
  }
}
