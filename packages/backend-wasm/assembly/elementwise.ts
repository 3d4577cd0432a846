import {
  expV, floorDiv, floorDivInt, powC, powInt, remainder, remainderInt, tanhV,
  V_HALF, V_MINUS_THREE, V_ONE, V_SIX, V_THREE, V_ZERO,
} from './math';
import { claim } from './tasks';
import {
  ABS, CEIL, EXP, FLOOR, HARDSIGMOID, HARDSWISH, HARDTANH, LEAKYRELU, NEG, RECIPROCAL, RELU, RELU6, ROUND,
  RSQRT, SIGMOID, SILU, SOFTSIGN, SQRT, SQUARE, TANH, TRUNC, unaryF32, unaryScalar,
} from './unary-ops';

export { unaryCount, unaryF32, unaryI32 } from './unary-ops';

/*
 * Elementwise kernels. Each op is a case of a switch on a constant: the loops are `@inline`
 * functions taking the op number, instantiated once per op from a dispatching switch, so after
 * inlining Binaryen folds the inner switch away and every op gets its own monomorphic loop.
 * The unary op numbers, their scalar formulas (`unaryScalar`), the dispatch (`unaryF32`) and the
 * int32 forms (`unaryI32`) are generated from @myelin/core's UNARY_TABLE into `./unary-ops` by
 * scripts/build-wasm.mjs (a copy is written to src/generated/unary-ops.as); only the optional
 * four-lane forms below are written here. The binary op numbers are the indices of core's
 * BINARY_PRIMITIVES.
 *
 * Float ops with a SIMD form run four lanes at a time; the transcendental ones evaluate in f64
 * with AssemblyScript's libm port and round once (as the CPU backend's float64 arithmetic does),
 * except exp-based activations that use the vectorised `expV` where 2 ulp is far inside tolerance.
 */

@inline
function ptr(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** Whether op has a four-lane form below. */
@inline
function unaryHasSimd(op: i32): bool {
  return op == NEG || op == ABS || op == SQRT || op == SQUARE || op == RECIPROCAL || op == RELU ||
    op == FLOOR || op == CEIL || op == ROUND || op == TRUNC || op == RELU6 || op == LEAKYRELU ||
    op == HARDTANH || op == HARDSIGMOID || op == HARDSWISH || op == SOFTSIGN || op == RSQRT;
}

@inline
function unaryVector(op: i32, v: v128, p: v128, q: v128): v128 {
  switch (op) {
    case NEG: return f32x4.neg(v);
    case ABS: return f32x4.abs(v);
    case SQRT: return f32x4.sqrt(v);
    case RSQRT: return f32x4.div(V_ONE, f32x4.sqrt(v));
    case SQUARE: return f32x4.mul(v, v);
    case RECIPROCAL: return f32x4.div(V_ONE, v);
    // v <= 0 ? 0 : v, as a mask (torch.relu: NaN stays NaN, -0 becomes +0, -Infinity 0); two
    // instructions, where f32x4.max's NaN and signed-zero rules cost V8 several more on x64.
    case RELU: return v128.andnot(v, f32x4.le(v, V_ZERO));
    case FLOOR: return f32x4.floor(v);
    case CEIL: return f32x4.ceil(v);
    case ROUND: return f32x4.nearest(v);
    case TRUNC: return f32x4.trunc(v);
    case RELU6: return f32x4.min(f32x4.max(v, V_ZERO), V_SIX);
    case LEAKYRELU: return v128.bitselect(v, f32x4.mul(v, p), f32x4.gt(v, V_ZERO));
    case HARDTANH: return f32x4.min(f32x4.max(v, p), q);
    case HARDSIGMOID: {
      let y = f32x4.add(f32x4.div(v, V_SIX), V_HALF);
      y = v128.bitselect(V_ZERO, y, f32x4.le(v, V_MINUS_THREE));
      return v128.bitselect(V_ONE, y, f32x4.ge(v, V_THREE));
    }
    case HARDSWISH: {
      let y = f32x4.div(f32x4.mul(v, f32x4.add(v, V_THREE)), V_SIX);
      y = v128.bitselect(V_ZERO, y, f32x4.le(v, V_MINUS_THREE));
      return v128.bitselect(v, y, f32x4.ge(v, V_THREE));
    }
    case SOFTSIGN: return f32x4.div(v, f32x4.add(V_ONE, f32x4.abs(v)));
    default: return v;
  }
}

/** The loop of unary op `op`: four lanes where it has a SIMD form, the scalar formula for the rest. */
// @ts-ignore: decorator
@inline
export function unaryLoop(op: i32, x: usize, o: usize, n: i32, p: f64, q: f64): void {
  let i = 0;
  if (unaryHasSimd(op)) {
    const pv = f32x4.splat(<f32>p);
    const qv = f32x4.splat(<f32>q);
    for (; i + 4 <= n; i += 4) v128.store(ptr(o, i), unaryVector(op, v128.load(ptr(x, i)), pv, qv));
  } else if (op == EXP) {
    for (; i + 4 <= n; i += 4) v128.store(ptr(o, i), expV(v128.load(ptr(x, i))));
  } else if (op == TANH) {
    for (; i + 4 <= n; i += 4) v128.store(ptr(o, i), tanhV(v128.load(ptr(x, i))));
  } else if (op == SIGMOID) {
    // 1 / (1 + exp(-v)); exp(-v) = Infinity gives 0 and NaN stays NaN.
    const one = V_ONE;
    for (; i + 4 <= n; i += 4) {
      v128.store(ptr(o, i), f32x4.div(one, f32x4.add(one, expV(f32x4.neg(v128.load(ptr(x, i)))))));
    }
  } else if (op == SILU) {
    const one = V_ONE;
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(ptr(x, i));
      v128.store(ptr(o, i), f32x4.div(v, f32x4.add(one, expV(f32x4.neg(v)))));
    }
  }
  for (; i < n; i++) store<f32>(ptr(o, i), <f32>unaryScalar(op, <f64>load<f32>(ptr(x, i)), p, q));
}

/** IsNaN (0) / IsFinite (1) on float32 → bool; LogicalNot (2) on bool → bool. */
export function predicate(op: i32, x: usize, o: usize, n: i32): void {
  if (op == 2) {
    for (let i = 0; i < n; i++) store<u8>(o + <usize>i, load<u8>(x + <usize>i) == 0 ? 1 : 0);
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = load<f32>(ptr(x, i));
    store<u8>(o + <usize>i, op == 0 ? (v != v ? 1 : 0) : (v - v == 0 ? 1 : 0));
  }
}

// --- binary ops ---
const ADD = 0;
const SUB = 1;
const MUL = 2;
const DIV = 3;
const POW = 4;
const MAXIMUM = 5;
const MINIMUM = 6;
const MOD = 7;
const FLOORDIV = 8;
const ATAN2 = 9;
const EQUAL = 10;
const NOTEQUAL = 11;
const LESS = 12;
const LESSEQUAL = 13;
const GREATER = 14;
const GREATEREQUAL = 15;
const LOGICALAND = 16;
const LOGICALOR = 17;
const LOGICALXOR = 18;

@inline
function binaryScalarF(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
    case DIV: return a / b;
    case POW: return <f32>powC(a, b);
    case MAXIMUM: return max(a, b);
    case MINIMUM: return min(a, b);
    case MOD: return <f32>remainder(a, b);
    case FLOORDIV: return <f32>floorDiv(a, b);
    case ATAN2: return <f32>Math.atan2(a, b);
    default: return 0;
  }
}

@inline
function binaryHasSimd(op: i32): bool {
  return op == ADD || op == SUB || op == MUL || op == DIV || op == MAXIMUM || op == MINIMUM;
}

@inline
function binaryVector(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case ADD: return f32x4.add(a, b);
    case SUB: return f32x4.sub(a, b);
    case MUL: return f32x4.mul(a, b);
    case DIV: return f32x4.div(a, b);
    case MAXIMUM: return f32x4.max(a, b);
    case MINIMUM: return f32x4.min(a, b);
    default: return a;
  }
}

/** One run: o[j] = a[j·sa] ⊕ b[j·sb] for j < n (float32). Same-shape and scalar runs use f32x4. */
@inline
function runF32(op: i32, o: usize, a: usize, sa: i32, b: usize, sb: i32, n: i32): void {
  let j = 0;
  if (binaryHasSimd(op)) {
    if (sa == 1 && sb == 1) {
      for (; j + 4 <= n; j += 4) v128.store(ptr(o, j), binaryVector(op, v128.load(ptr(a, j)), v128.load(ptr(b, j))));
    } else if (sa == 1 && sb == 0) {
      const bv = v128.load32_splat(b);
      for (; j + 4 <= n; j += 4) v128.store(ptr(o, j), binaryVector(op, v128.load(ptr(a, j)), bv));
    } else if (sa == 0 && sb == 1) {
      const av = v128.load32_splat(a);
      for (; j + 4 <= n; j += 4) v128.store(ptr(o, j), binaryVector(op, av, v128.load(ptr(b, j))));
    }
  }
  for (; j < n; j++) store<f32>(ptr(o, j), binaryScalarF(op, load<f32>(ptr(a, j * sa)), load<f32>(ptr(b, j * sb))));
}

@inline
function binaryScalarI(op: i32, a: i32, b: i32): i32 {
  switch (op) {
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
    case POW: return powInt(a, b);
    case MAXIMUM: return max(a, b);
    case MINIMUM: return min(a, b);
    case MOD: return remainderInt(a, b);
    case FLOORDIV: return floorDivInt(a, b);
    default: return 0;
  }
}

@inline
function runI32(op: i32, o: usize, a: usize, sa: i32, b: usize, sb: i32, n: i32): void {
  for (let j = 0; j < n; j++) store<i32>(ptr(o, j), binaryScalarI(op, load<i32>(ptr(a, j * sa)), load<i32>(ptr(b, j * sb))));
}

@inline
function compare<T>(op: i32, a: T, b: T): u8 {
  switch (op) {
    case EQUAL: return a == b ? 1 : 0;
    case NOTEQUAL: return a != b ? 1 : 0;
    case LESS: return a < b ? 1 : 0;
    case LESSEQUAL: return a <= b ? 1 : 0;
    case GREATER: return a > b ? 1 : 0;
    case GREATEREQUAL: return a >= b ? 1 : 0;
    case LOGICALAND: return a != <T>0 && b != <T>0 ? 1 : 0;
    case LOGICALOR: return a != <T>0 || b != <T>0 ? 1 : 0;
    case LOGICALXOR: return (a != <T>0) != (b != <T>0) ? 1 : 0;
    default: return 0;
  }
}

/** Comparisons and logic into bool; a float32 comparison against a same-shape or scalar operand uses f32x4. */
@inline
function runCompare<T>(op: i32, o: usize, a: usize, sa: i32, b: usize, sb: i32, n: i32): void {
  const size = <usize>sizeof<T>();
  let j = 0;
  if (isFloat<T>() && op >= EQUAL && op <= GREATEREQUAL && (sa | sb) >= 0 && (sa <= 1 && sb <= 1) && (sa | sb) == 1) {
    const one = i8x16.splat(1);
    for (; j + 16 <= n; j += 16) {
      const m0 = cmpV(op, sa == 0 ? v128.load32_splat(a) : v128.load(ptr(a, j)), sb == 0 ? v128.load32_splat(b) : v128.load(ptr(b, j)));
      const m1 = cmpV(op, sa == 0 ? v128.load32_splat(a) : v128.load(ptr(a, j + 4)), sb == 0 ? v128.load32_splat(b) : v128.load(ptr(b, j + 4)));
      const m2 = cmpV(op, sa == 0 ? v128.load32_splat(a) : v128.load(ptr(a, j + 8)), sb == 0 ? v128.load32_splat(b) : v128.load(ptr(b, j + 8)));
      const m3 = cmpV(op, sa == 0 ? v128.load32_splat(a) : v128.load(ptr(a, j + 12)), sb == 0 ? v128.load32_splat(b) : v128.load(ptr(b, j + 12)));
      const bytes = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(m0, m1), i16x8.narrow_i32x4_s(m2, m3));
      v128.store(o + <usize>j, v128.and(bytes, one));
    }
  }
  for (; j < n; j++) {
    store<u8>(o + <usize>j, compare<T>(op, load<T>(a + <usize>(j * sa) * size), load<T>(b + <usize>(j * sb) * size)));
  }
}

@inline
function cmpV(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case EQUAL: return f32x4.eq(a, b);
    case NOTEQUAL: return f32x4.ne(a, b);
    case LESS: return f32x4.lt(a, b);
    case LESSEQUAL: return f32x4.le(a, b);
    case GREATER: return f32x4.gt(a, b);
    default: return f32x4.ge(a, b);
  }
}

/** Kinds of binary loops: float32 arithmetic, int32 arithmetic, comparisons of f32 / i32 / bool. */
const KIND_F32 = 0;
const KIND_I32 = 1;
const KIND_CMP_F32 = 2;
const KIND_CMP_I32 = 3;
const KIND_CMP_U8 = 4;

@inline
function runBinary(kind: i32, op: i32, o: usize, a: usize, sa: i32, b: usize, sb: i32, n: i32): void {
  if (kind == KIND_F32) {
    switch (op) {
      case ADD: runF32(ADD, o, a, sa, b, sb, n); break;
      case SUB: runF32(SUB, o, a, sa, b, sb, n); break;
      case MUL: runF32(MUL, o, a, sa, b, sb, n); break;
      case DIV: runF32(DIV, o, a, sa, b, sb, n); break;
      case POW: runF32(POW, o, a, sa, b, sb, n); break;
      case MAXIMUM: runF32(MAXIMUM, o, a, sa, b, sb, n); break;
      case MINIMUM: runF32(MINIMUM, o, a, sa, b, sb, n); break;
      case MOD: runF32(MOD, o, a, sa, b, sb, n); break;
      case FLOORDIV: runF32(FLOORDIV, o, a, sa, b, sb, n); break;
      case ATAN2: runF32(ATAN2, o, a, sa, b, sb, n); break;
      default: unreachable();
    }
  } else if (kind == KIND_I32) {
    runI32(op, o, a, sa, b, sb, n);
  } else if (kind == KIND_CMP_F32) {
    switch (op) {
      case EQUAL: runCompare<f32>(EQUAL, o, a, sa, b, sb, n); break;
      case NOTEQUAL: runCompare<f32>(NOTEQUAL, o, a, sa, b, sb, n); break;
      case LESS: runCompare<f32>(LESS, o, a, sa, b, sb, n); break;
      case LESSEQUAL: runCompare<f32>(LESSEQUAL, o, a, sa, b, sb, n); break;
      case GREATER: runCompare<f32>(GREATER, o, a, sa, b, sb, n); break;
      case GREATEREQUAL: runCompare<f32>(GREATEREQUAL, o, a, sa, b, sb, n); break;
      default: runCompare<f32>(op, o, a, sa, b, sb, n);
    }
  } else if (kind == KIND_CMP_I32) {
    runCompare<i32>(op, o, a, sa, b, sb, n);
  } else {
    runCompare<u8>(op, o, a, sa, b, sb, n);
  }
}

/** One run of a binary op (not inlined: shared by `binary` and `jobBinary`). */
function binaryRun(kind: i32, op: i32, o: usize, a: usize, sa: i32, b: usize, sb: i32, n: i32): void {
  runBinary(kind, op, o, a, sa, b, sb, n);
}

@inline
function elementBytes(kind: i32): i32 {
  return kind == KIND_CMP_U8 ? 1 : 4;
}

/**
 * o (contiguous) = a ⊕ b broadcast, over `nd` merged dims described at `dims` as
 * [size, strideA, strideB] per dim (outermost first; element strides). The innermost dim is
 * the run; the outer dims are walked as an odometer.
 */
export function binary(kind: i32, op: i32, o: usize, a: usize, b: usize, dims: usize, nd: i32): void {
  const ib = <usize>elementBytes(kind);
  const ob = <usize>(kind >= KIND_CMP_F32 ? 1 : 4);
  if (nd == 0) {
    binaryRun(kind, op, o, a, 0, b, 0, 1);
    return;
  }
  const last = dims + <usize>(nd - 1) * 12;
  const n = load<i32>(last);
  const sa = load<i32>(last, 4);
  const sb = load<i32>(last, 8);
  let runs = 1;
  for (let d = 0; d < nd - 1; d++) runs *= load<i32>(dims + <usize>d * 12);
  for (let r = 0; r < runs; r++) {
    // Offsets of run r: mixed-radix digits of r over the outer dims.
    let rem = r;
    let ao = 0;
    let bo = 0;
    for (let d = nd - 2; d >= 0; d--) {
      const at = dims + <usize>d * 12;
      const size = load<i32>(at);
      const idx = rem % size;
      rem /= size;
      ao += idx * load<i32>(at, 4);
      bo += idx * load<i32>(at, 8);
    }
    binaryRun(kind, op, o + <usize>(r * n) * ob, a + <usize>ao * ib, sa, b + <usize>bo * ib, sb, n);
  }
}

/** Elements per task of a threaded elementwise job. */
const CHUNK = 16384;

/**
 * A long single-run binary op split over threads in chunks. Args (i32): 0 kind, 1 op, 2 o, 3 a,
 * 4 b, 5 n, 6 strideA, 7 strideB (0 or 1), 8 task counter.
 */
export function jobBinary(args: usize, tid: i32, nt: i32): void {
  const kind = load<i32>(args);
  const op = load<i32>(args, 4);
  const o = <usize>load<i32>(args, 8);
  const a = <usize>load<i32>(args, 12);
  const b = <usize>load<i32>(args, 16);
  const n = load<i32>(args, 20);
  const sa = load<i32>(args, 24);
  const sb = load<i32>(args, 28);
  const ib = <usize>elementBytes(kind);
  const ob = <usize>(kind >= KIND_CMP_F32 ? 1 : 4);
  const tasks = (n + CHUNK - 1) / CHUNK;
  for (let t = claim(args + 32); t < tasks; t = claim(args + 32)) {
    const start = t * CHUNK;
    binaryRun(kind, op, o + <usize>start * ob, a + <usize>(start * sa) * ib, sa, b + <usize>(start * sb) * ib, sb, min(CHUNK, n - start));
  }
}

/** A long float32 unary op split over threads. Args: i32 0 op, 1 x, 2 o, 3 n, 4 counter; f64 at 8: p, 16: q. */
export function jobUnary(args: usize, tid: i32, nt: i32): void {
  const op = load<i32>(args);
  const x = <usize>load<i32>(args, 4);
  const o = <usize>load<i32>(args, 8);
  const n = load<i32>(args, 12);
  const p = load<f64>(args, 24);
  const q = load<f64>(args, 32);
  const tasks = (n + CHUNK - 1) / CHUNK;
  for (let t = claim(args + 16); t < tasks; t = claim(args + 16)) {
    const start = t * CHUNK;
    unaryF32(op, ptr(x, start), ptr(o, start), min(CHUNK, n - start), p, q);
  }
}

/**
 * Where: o = c ? a : b over merged dims [size, strideC, strideA, strideB] (element strides);
 * `bytes` is the element size of a, b and o (4, or 1 for bool).
 */
export function where(bytes: i32, o: usize, c: usize, a: usize, b: usize, dims: usize, nd: i32): void {
  const eb = <usize>bytes;
  let n = 1;
  let sc = 0;
  let sa = 0;
  let sb = 0;
  let runs = 1;
  if (nd > 0) {
    const last = dims + <usize>(nd - 1) * 16;
    n = load<i32>(last);
    sc = load<i32>(last, 4);
    sa = load<i32>(last, 8);
    sb = load<i32>(last, 12);
    for (let d = 0; d < nd - 1; d++) runs *= load<i32>(dims + <usize>d * 16);
  }
  for (let r = 0; r < runs; r++) {
    let rem = r;
    let co = 0;
    let ao = 0;
    let bo = 0;
    for (let d = nd - 2; d >= 0; d--) {
      const at = dims + <usize>d * 16;
      const size = load<i32>(at);
      const idx = rem % size;
      rem /= size;
      co += idx * load<i32>(at, 4);
      ao += idx * load<i32>(at, 8);
      bo += idx * load<i32>(at, 12);
    }
    const ob = o + <usize>(r * n) * eb;
    const cb = c + <usize>co;
    const abase = a + <usize>ao * eb;
    const bbase = b + <usize>bo * eb;
    if (bytes == 4) {
      for (let j = 0; j < n; j++) {
        const v = load<u8>(cb + <usize>(j * sc)) != 0 ? load<u32>(abase + (<usize>(j * sa) << 2)) : load<u32>(bbase + (<usize>(j * sb) << 2));
        store<u32>(ob + (<usize>j << 2), v);
      }
    } else {
      for (let j = 0; j < n; j++) {
        const v = load<u8>(cb + <usize>(j * sc)) != 0 ? load<u8>(abase + <usize>(j * sa)) : load<u8>(bbase + <usize>(j * sb));
        store<u8>(ob + <usize>j, v);
      }
    }
  }
}

/**
 * Cast between dtypes: 0 float32, 1 int32, 2 bool. float → int32 truncates toward zero with JS
 * ToInt32 wrap-around (NaN and ±Infinity give 0, as `Int32Array.set`); anything → bool is x ≠ 0.
 */
export function cast(from: i32, to: i32, x: usize, o: usize, n: i32): void {
  if (from == 0 && to == 1) {
    for (let i = 0; i < n; i++) {
      const v = <f64>load<f32>(ptr(x, i));
      store<i32>(ptr(o, i), isFinite(v) ? <i32><i64>v : 0);
    }
  } else if (from == 1 && to == 0) {
    let i = 0;
    for (; i + 4 <= n; i += 4) v128.store(ptr(o, i), f32x4.convert_i32x4_s(v128.load(ptr(x, i))));
    for (; i < n; i++) store<f32>(ptr(o, i), <f32>load<i32>(ptr(x, i)));
  } else if (from == 2 && to == 0) {
    for (let i = 0; i < n; i++) store<f32>(ptr(o, i), <f32>load<u8>(x + <usize>i));
  } else if (from == 2 && to == 1) {
    for (let i = 0; i < n; i++) store<i32>(ptr(o, i), <i32>load<u8>(x + <usize>i));
  } else if (from == 0 && to == 2) {
    for (let i = 0; i < n; i++) store<u8>(o + <usize>i, load<f32>(ptr(x, i)) != 0 ? 1 : 0);
  } else if (from == 1 && to == 2) {
    for (let i = 0; i < n; i++) store<u8>(o + <usize>i, load<i32>(ptr(x, i)) != 0 ? 1 : 0);
  } else {
    memory.copy(o, x, <usize>n << (from == 2 ? 0 : 2));
  }
}

/** dst[i] += src[i] over n floats (summing per-thread partial results). */
export function addInto(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(ptr(dst, i), f32x4.add(v128.load(ptr(dst, i)), v128.load(ptr(src, i))));
  for (; i < n; i++) store<f32>(ptr(dst, i), load<f32>(ptr(dst, i)) + load<f32>(ptr(src, i)));
}
