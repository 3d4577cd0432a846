/**
 * WGSL scalar helpers shared by the elementwise shaders. WGSL has no NaN/Infinity literals, no
 * expm1/log1p/erf, and leaves NaN behaviour of min/max/comparisons to the implementation, so these
 * spell out what the CPU reference (`@myelin/backend-cpu` math.ts) does.
 */
export const MATH_WGSL = /* wgsl */ `
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;
fn nan_() -> f32 { return bitcast<f32>(NAN_BITS); }
fn inf_() -> f32 { return bitcast<f32>(INF_BITS); }
fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isinf_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn isfinite_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
fn sign_(x: f32) -> f32 { if (x > 0.0) { return 1.0; } if (x < 0.0) { return -1.0; } return 0.0; }
fn signbit_(x: f32) -> bool { return (bitcast<u32>(x) & 0x80000000u) != 0u; }
// Kahan's tricks: exact for tiny x, no cancellation near 0.
fn expm1_(x: f32) -> f32 {
  if (abs(x) < 1e-5) { return x + 0.5 * x * x; }
  if (x > 88.0) { return exp(x); }
  let u = exp(x);
  if (u == 1.0) { return x; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  return um1 * x / log(u);
}
fn log1p_(x: f32) -> f32 {
  if (isinf_(x) && x > 0.0) { return x; }
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  return log(u) * x / (u - 1.0);
}
fn tanh_(x: f32) -> f32 {
  if (abs(x) > 10.0) { return sign_(x); }
  if (abs(x) < 0.0005) { return x; }
  let e = expm1_(-2.0 * abs(x));
  return sign_(x) * (-e / (2.0 + e));
}
fn sigmoid_(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
fn softplus_(x: f32) -> f32 { if (x > 20.0) { return x; } return log1p_(exp(x)); }
// erf via Abramowitz-Stegun 7.1.26 is too coarse (1e-7 abs); use W. J. Cody's rational forms
// (as in many libms): |x| < 0.5 series-like rational, else erfc with exp(-x^2) split.
fn erfc_pos(x: f32) -> f32 {
  // Numerical Recipes erfcc (Chebyshev), relative error < 1.2e-7 everywhere.
  let t = 1.0 / (1.0 + 0.5 * x);
  let y = t * exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
    t * (-0.82215223 + t * 0.17087277)))))))));
  return y;
}
fn erf_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  let a = abs(x);
  if (a < 0.5) {
    // Taylor series: 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)).
    let z = x * x;
    return x * 1.1283791670955126 * (1.0 - z * (0.3333333333 - z * (0.1 - z * (0.0238095238 - z * (0.0046296296 - z * 0.0007575758)))));
  }
  return sign_(x) * (1.0 - erfc_pos(a));
}
fn erfc_(x: f32) -> f32 { if (x >= 0.5) { return erfc_pos(x); } return 1.0 - erf_(x); }
fn pow_(a: f32, b: f32) -> f32 {
  if (a == 1.0 || b == 0.0) { return 1.0; }
  if (isnan_(a) || isnan_(b)) { return nan_(); }
  if (a == -1.0 && isinf_(b)) { return 1.0; }
  let integral = floor(b) == b;
  let odd = integral && abs(b) < 16777216.0 && floor(b * 0.5) != b * 0.5;
  if (a < 0.0 && !integral && !isinf_(b)) { return nan_(); }
  let m = abs(a);
  var r: f32;
  if (m == 0.0) { if (b > 0.0) { r = 0.0; } else { r = inf_(); } }
  else if (isinf_(b)) { if ((m > 1.0) == (b > 0.0)) { r = inf_(); } else { r = 0.0; } }
  else if (isinf_(m)) { if (b > 0.0) { r = inf_(); } else { r = 0.0; } }
  else if (integral && abs(b) <= 64.0) {
    // Exact-as-possible repeated squaring for small integer exponents (x*x, x**3 are common).
    var e = u32(abs(b)); var base = m; var acc = 1.0;
    loop { if (e == 0u) { break; } if ((e & 1u) == 1u) { acc = acc * base; } base = base * base; e = e >> 1u; }
    if (b < 0.0) { r = 1.0 / acc; } else { r = acc; }
  } else { r = exp2(b * log2(m)); }
  if ((a < 0.0 || bitcast<u32>(a) == 0x80000000u) && odd) { return -r; }
  return r;
}
// atan2 with the IEEE zero and infinity cases (GPU atan2 leaves atan2(0, 0) undefined).
fn atan2_(a: f32, b: f32) -> f32 {
  if (isnan_(a) || isnan_(b)) { return nan_(); }
  if (a == 0.0) {
    var r = 0.0;
    if (signbit_(b)) { r = 3.141592653589793; }
    if (signbit_(a)) { return -r; }
    return r;
  }
  if (isinf_(a) && isinf_(b)) {
    var r = 0.7853981633974483;
    if (b < 0.0) { r = 2.356194490192345; }
    if (a < 0.0) { return -r; }
    return r;
  }
  return atan2(a, b);
}
// asin/acos through atan2 of the exact complement: llvmpipe's asin is off by ~1e-4 relative.
fn asin_(x: f32) -> f32 { if (abs(x) > 1.0) { return nan_(); } return atan2_(x, sqrt((1.0 - x) * (1.0 + x))); }
fn acos_(x: f32) -> f32 { if (abs(x) > 1.0) { return nan_(); } return atan2_(sqrt((1.0 - x) * (1.0 + x)), x); }
// sin/cos after Cephes sinf/cosf: Cody-Waite reduction by pi/4 in three parts and minimax
// polynomials, accurate to ~1 ulp for |x| < 8192 (SwiftShader's builtins are off by ~3e-5 absolute).
fn sincos_(x: f32, wantCos: bool) -> f32 {
  if (isnan_(x) || isinf_(x)) { return nan_(); }
  var sgn = 1.0;
  var ax = abs(x);
  if (!wantCos && x < 0.0) { sgn = -1.0; }
  var j = u32(floor(ax * 1.2732395447351628));
  var y = f32(j);
  if ((j & 1u) == 1u) { j = j + 1u; y = y + 1.0; }
  j = j & 7u;
  if (wantCos) {
    if (j > 3u) { j = j - 4u; sgn = -sgn; }
    if (j > 1u) { sgn = -sgn; }
  } else if (j > 3u) { j = j - 4u; sgn = -sgn; }
  let z = ((ax - y * 0.78515625) - y * 2.4187564849853515625e-4) - y * 3.77489497744594108e-8;
  let zz = z * z;
  let c = ((2.443315711809948e-5 * zz - 1.388731625493765e-3) * zz + 4.166664568298827e-2) * zz * zz - 0.5 * zz + 1.0;
  let s = ((-1.9515295891e-4 * zz + 8.3321608736e-3) * zz - 1.6666654611e-1) * zz * z + z;
  var r: f32;
  if (wantCos) { if (j == 1u || j == 2u) { r = s; } else { r = c; } }
  else { if (j == 1u || j == 2u) { r = c; } else { r = s; } }
  return sgn * r;
}
fn sin_(x: f32) -> f32 { if (abs(x) < 1e-4) { return x; } return sincos_(x, false); }
fn cos_(x: f32) -> f32 { return sincos_(x, true); }
fn tan_(x: f32) -> f32 { return sin_(x) / cos_(x); }
// Truthiness of a float: NaN is true (some compilers fold NaN != 0 to false).
fn truthy_(x: f32) -> bool { return x != 0.0 || isnan_(x); }
fn fmod_(a: f32, b: f32) -> f32 { return a - b * trunc(a / b); }
fn remainder_(a: f32, b: f32) -> f32 {
  let r = fmod_(a, b);
  if (r != 0.0 && ((r < 0.0) != (b < 0.0))) { return r + b; }
  return r;
}
fn floordiv_(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return a / b; }
  let m = fmod_(a, b);
  var d = (a - m) / b;
  if (m != 0.0 && ((b < 0.0) != (m < 0.0))) { d = d - 1.0; }
  if (d == 0.0) { return 0.0 * (a / b); }
  let f = floor(d);
  if (d - f > 0.5) { return f + 1.0; }
  return f;
}
fn maximum_(a: f32, b: f32) -> f32 { if (isnan_(a) || isnan_(b)) { return nan_(); } return max(a, b); }
fn minimum_(a: f32, b: f32) -> f32 { if (isnan_(a) || isnan_(b)) { return nan_(); } return min(a, b); }
fn clip_(x: f32, lo: f32, hi: f32) -> f32 { if (isnan_(x)) { return x; } return min(max(x, lo), hi); }
fn remi_(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let r = a % b;
  if (r != 0 && ((r ^ b) < 0)) { return r + b; }
  return r;
}
fn floordivi_(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) { return q - 1; }
  return q;
}
fn powi_(a: i32, b: i32) -> i32 {
  if (b < 0) { if (a == 1) { return 1; } if (a == -1) { if ((b & 1) != 0) { return -1; } return 1; } return 0; }
  var e = u32(b); var base = a; var acc = 1;
  loop { if (e == 0u) { break; } if ((e & 1u) == 1u) { acc = acc * base; } base = base * base; e = e >> 1u; }
  return acc;
}
fn f2i_(x: f32) -> i32 {
  // TypedArray stores: NaN -> 0, otherwise truncate (values beyond i32 wrap in JS; clamp here).
  if (isnan_(x)) { return 0; }
  return i32(clamp(trunc(x), -2147483648.0, 2147483520.0));
}
`;
