/*
 * Scalar formulas shared by the elementwise kernels, matching PyTorch's CPU behaviour (and the CPU
 * backend's `math.ts`) where libm-style functions differ, plus a vectorised exp.
 */

/** `torch.remainder` on floats: the C remainder shifted to take the divisor's sign. */
@inline
export function remainder(a: f64, b: f64): f64 {
  const r = a % b;
  return r != 0 && (r < 0) != (b < 0) ? r + b : r;
}

/** `torch.remainder` on int32 (Python semantics); b = 0 gives 0. */
@inline
export function remainderInt(a: i32, b: i32): i32 {
  if (b == 0) return 0;
  const r = a % b;
  return r != 0 && (r ^ b) < 0 ? r + b : r;
}

/** `torch.floor_divide` on floats, following CPython's float floordiv (as PyTorch). */
export function floorDiv(a: f64, b: f64): f64 {
  if (b == 0) return a / b;
  const mod = a % b;
  let div = (a - mod) / b;
  if (mod != 0 && (b < 0) != (mod < 0)) div -= 1;
  if (div == 0) return 0 * (a / b);
  const floored = Math.floor(div);
  return div - floored > 0.5 ? floored + 1 : floored;
}

/** `torch.floor_divide` on int32, with JS ToInt32 for the non-finite quotients (b = 0). */
@inline
export function floorDivInt(a: i32, b: i32): i32 {
  const q = Math.floor(<f64>a / <f64>b);
  return isFinite(q) ? <i32><i64>q : 0;
}

/** C's `pow`: pow(1, NaN) and pow(-1, ±Infinity) are 1. */
@inline
export function powC(a: f64, b: f64): f64 {
  if (a == 1 || b == 0) return 1;
  if (a == -1 && (b == Infinity || b == -Infinity)) return 1;
  return Math.pow(a, b);
}

/** Integer power with int32 wrap-around; negative exponents truncate toward zero. */
export function powInt(a: i32, b: i32): i32 {
  if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) != 0 ? -1 : 1) : 0;
  let result = 1;
  let base = a;
  let e = <u32>b;
  while (e > 0) {
    if ((e & 1) != 0) result *= base;
    base *= base;
    e >>= 1;
  }
  return result;
}

@inline
export function sign(v: f64): f64 {
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

@inline
export function softplus(v: f64): f64 {
  return v > 20 ? v : Math.log1p(Math.exp(v));
}

/** Round half to even (torch.round). */
@inline
export function roundHalfEven(v: f64): f64 {
  return nearest<f64>(v);
}

// --- erf / erfc: fdlibm s_erf.c (Sun Microsystems, 1993), accurate to < 1 ulp in double. ---

const ERX: f64 = 0.8450629115104675;
const PP0: f64 = 0.12837916709551256;
const PP1: f64 = -0.3250421072470015;
const PP2: f64 = -0.02848174957559851;
const PP3: f64 = -0.005770270296489442;
const PP4: f64 = -0.000023763016656650163;
const QQ1: f64 = 0.39791722395915535;
const QQ2: f64 = 0.0650222499887673;
const QQ3: f64 = 0.005081306281875766;
const QQ4: f64 = 0.00013249473800432164;
const QQ5: f64 = -0.000003960228278775368;
const PA0: f64 = -0.0023621185607526594;
const PA1: f64 = 0.41485611868374833;
const PA2: f64 = -0.3722078760357013;
const PA3: f64 = 0.31834661990116175;
const PA4: f64 = -0.11089469428239668;
const PA5: f64 = 0.035478304325618236;
const PA6: f64 = -0.002166375594868791;
const QA1: f64 = 0.10642088040084423;
const QA2: f64 = 0.540397917702171;
const QA3: f64 = 0.07182865441419627;
const QA4: f64 = 0.12617121980876164;
const QA5: f64 = 0.01363708391202905;
const QA6: f64 = 0.011984499846799107;
const RA0: f64 = -0.009864944034847148;
const RA1: f64 = -0.6938585727071818;
const RA2: f64 = -10.558626225323291;
const RA3: f64 = -62.375332450326006;
const RA4: f64 = -162.39666946257347;
const RA5: f64 = -184.60509290671104;
const RA6: f64 = -81.2874355063066;
const RA7: f64 = -9.814329344169145;
const SA1: f64 = 19.651271667439257;
const SA2: f64 = 137.65775414351904;
const SA3: f64 = 434.56587747522923;
const SA4: f64 = 645.3872717332679;
const SA5: f64 = 429.00814002756783;
const SA6: f64 = 108.63500554177944;
const SA7: f64 = 6.570249770319282;
const SA8: f64 = -0.0604244152148581;
const RB0: f64 = -0.0098649429247001;
const RB1: f64 = -0.799283237680523;
const RB2: f64 = -17.757954917754752;
const RB3: f64 = -160.63638485582192;
const RB4: f64 = -637.5664433683896;
const RB5: f64 = -1025.0951316110772;
const RB6: f64 = -483.5191916086514;
const SB1: f64 = 30.33806074348246;
const SB2: f64 = 325.7925129965739;
const SB3: f64 = 1536.729586084437;
const SB4: f64 = 3199.8582195085955;
const SB5: f64 = 2553.0504064331644;
const SB6: f64 = 474.52854120695537;
const SB7: f64 = -22.44095244658582;

function erfSmall(x: f64): f64 {
  const z = x * x;
  const r = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
  const s = 1 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
  return r / s;
}

function erfNearOne(s: f64): f64 {
  const p = PA0 + s * (PA1 + s * (PA2 + s * (PA3 + s * (PA4 + s * (PA5 + s * PA6)))));
  const q = 1 + s * (QA1 + s * (QA2 + s * (QA3 + s * (QA4 + s * (QA5 + s * QA6)))));
  return p / q;
}

function erfcTail(x: f64): f64 {
  const s = 1 / (x * x);
  let r: f64;
  let q: f64;
  if (x < 1 / 0.35) {
    r = RA0 + s * (RA1 + s * (RA2 + s * (RA3 + s * (RA4 + s * (RA5 + s * (RA6 + s * RA7))))));
    q = 1 + s * (SA1 + s * (SA2 + s * (SA3 + s * (SA4 + s * (SA5 + s * (SA6 + s * (SA7 + s * SA8)))))));
  } else {
    r = RB0 + s * (RB1 + s * (RB2 + s * (RB3 + s * (RB4 + s * (RB5 + s * RB6)))));
    q = 1 + s * (SB1 + s * (SB2 + s * (SB3 + s * (SB4 + s * (SB5 + s * (SB6 + s * SB7))))));
  }
  const z = <f64><f32>x;
  return (Math.exp(-z * z - 0.5625) * Math.exp((z - x) * (z + x) + r / q)) / x;
}

export function erf(x: f64): f64 {
  const ax = Math.abs(x);
  if (ax < 0.84375) return x + x * erfSmall(x);
  const sgn: f64 = x < 0 ? -1 : 1;
  if (ax < 1.25) return sgn * (ERX + erfNearOne(ax - 1));
  if (ax >= 6) return sgn;
  if (x != x) return x;
  return sgn * (1 - erfcTail(ax));
}

export function erfc(x: f64): f64 {
  if (x != x) return x;
  const ax = Math.abs(x);
  if (ax < 0.84375) {
    const y = erfSmall(x);
    return x < 0.25 ? 1 - (x + x * y) : 0.5 - (x * y + (x - 0.5));
  }
  if (ax < 1.25) {
    const p = erfNearOne(ax - 1);
    return x > 0 ? 1 - ERX - p : 1 + (ERX + p);
  }
  if (ax >= 28) return x > 0 ? 0 : 2;
  const t = erfcTail(ax);
  return x > 0 ? t : 2 - t;
}

// --- vectorised exp and tanh (f32x4) ---
// V8 re-materialises a v128 constant at every use (several instructions), so the constants live
// in per-instance globals: one load each.

export let V_ZERO = f32x4.splat(0);
export let V_ONE = f32x4.splat(1);
export let V_TWO = f32x4.splat(2);
export let V_THREE = f32x4.splat(3);
export let V_MINUS_THREE = f32x4.splat(-3);
export let V_SIX = f32x4.splat(6);
export let V_HALF = f32x4.splat(0.5);
let E_HI = f32x4.splat(90);
let E_LO = f32x4.splat(-110);
let E_LOG2E = f32x4.splat(1.44269504088896341);
let E_MAGIC = f32x4.splat(12582912);
let E_MAGIC_BITS = i32x4.splat(0x4b400000);
let E_LN2_HI = f32x4.splat(0.693359375);
let E_LN2_LO = f32x4.splat(-2.12194440e-4);
let E_P0 = f32x4.splat(1.9875691500e-4);
let E_P1 = f32x4.splat(1.3981999507e-3);
let E_P2 = f32x4.splat(8.3334519073e-3);
let E_P3 = f32x4.splat(4.1665795894e-2);
let E_P4 = f32x4.splat(1.6666665459e-1);
let E_P5 = f32x4.splat(5.0000001201e-1);
let E_BIAS = i32x4.splat(127);

@inline
function pow2i(e: v128): v128 {
  return i32x4.shl(i32x4.add(e, E_BIAS), 23);
}

/**
 * exp(x) = 2^n · exp(r), r = x - n·ln2 in two parts, Cephes expf's polynomial (max relative
 * error ~2 ulp). 2^n is applied as two factors 2^(n>>1) · 2^(n - (n>>1)), each a normal float, so
 * overflow to +Infinity and gradual underflow to subnormals and 0 fall out of the arithmetic.
 */
@inline
export function expV(x: v128): v128 {
  // pmin/pmax are single instructions (min/max with NaN semantics are not) and keep a NaN x.
  const xc = f32x4.pmax(f32x4.pmin(x, E_HI), E_LO);
  // n = round(x·log2 e): adding 1.5·2^23 rounds to an integer held in the low mantissa bits.
  const t = f32x4.add(f32x4.mul(xc, E_LOG2E), E_MAGIC);
  const n = f32x4.sub(t, E_MAGIC);
  const ni = i32x4.sub(t, E_MAGIC_BITS);
  let r = f32x4.sub(xc, f32x4.mul(n, E_LN2_HI));
  r = f32x4.sub(r, f32x4.mul(n, E_LN2_LO));
  const r2 = f32x4.mul(r, r);
  // Estrin's scheme: shorter dependency chains than Horner's.
  const p01 = f32x4.add(f32x4.mul(E_P0, r), E_P1);
  const p23 = f32x4.add(f32x4.mul(E_P2, r), E_P3);
  const p45 = f32x4.add(f32x4.mul(E_P4, r), E_P5);
  const p = f32x4.add(f32x4.mul(f32x4.add(f32x4.mul(p01, r2), p23), r2), p45);
  const e = f32x4.add(f32x4.add(f32x4.mul(p, r2), r), V_ONE);
  const n1 = i32x4.shr_s(ni, 1);
  return f32x4.mul(f32x4.mul(e, pow2i(n1)), pow2i(i32x4.sub(ni, n1)));
}

let T_SMALL = f32x4.splat(0.625);
let T_SIGN = i32x4.splat(0x80000000);
let T_P0 = f32x4.splat(-5.70498872745e-3);
let T_P1 = f32x4.splat(2.06390887954e-2);
let T_P2 = f32x4.splat(-5.37397155531e-2);
let T_P3 = f32x4.splat(1.33314422036e-1);
let T_P4 = f32x4.splat(-3.33332819422e-1);

/**
 * tanh, Cephes tanhf: an odd polynomial below |x| = 0.625 (where 1 - 2/(e^2x + 1) would cancel),
 * 1 - 2/(e^2|x| + 1) with x's sign above. Max relative error ~2 ulp; NaN propagates.
 */
@inline
export function tanhV(x: v128): v128 {
  const ax = f32x4.abs(x);
  const s = f32x4.mul(x, x);
  let p = f32x4.add(f32x4.mul(T_P0, s), T_P1);
  p = f32x4.add(f32x4.mul(p, s), T_P2);
  p = f32x4.add(f32x4.mul(p, s), T_P3);
  p = f32x4.add(f32x4.mul(p, s), T_P4);
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, s), x), x);
  const big = f32x4.sub(V_ONE, f32x4.div(V_TWO, f32x4.add(expV(f32x4.add(ax, ax)), V_ONE)));
  const signed = v128.or(big, v128.and(x, T_SIGN));
  return v128.bitselect(small, signed, f32x4.lt(ax, T_SMALL));
}
