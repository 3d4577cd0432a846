/**
 * Scalar formulas the elementwise tables share, each matching PyTorch's CPU behaviour where JS's
 * `Math` differs. Small enough that V8 inlines them into the kernel loops.
 */

/** Round half to even, as `torch.round` (JS `Math.round` rounds half up). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `torch.sign`: -1, 0 or 1; NaN gives 0 (as PyTorch 1.13). */
export function sign(v: number): number {
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

/** `torch.nn.functional.softplus` with beta 1, threshold 20: linear above the threshold. */
export function softplus(v: number): number {
  return v > 20 ? v : Math.log1p(Math.exp(v));
}

/** `torch.remainder` on floats: the C remainder shifted to take the divisor's sign (NaN for b = 0). */
export function remainder(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

/** `torch.remainder` on int32 (Python semantics); b = 0 gives 0 instead of raising. */
export function remainderInt(a: number, b: number): number {
  const r = a % b | 0;
  return r !== 0 && (r ^ b) < 0 ? r + b : r;
}

/**
 * `torch.floor_divide` on floats. Dividing then flooring can be off by one when a/b rounds up to an
 * integer, so this follows CPython's float floordiv (which PyTorch copies): derive the quotient from
 * the exact C remainder.
 */
export function floorDiv(a: number, b: number): number {
  if (b === 0) return a / b;
  const mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0 && b < 0 !== mod < 0) div -= 1;
  if (div === 0) return 0 * (a / b); // a signed zero, as CPython
  const floored = Math.floor(div);
  return div - floored > 0.5 ? floored + 1 : floored;
}

/** `torch.floor_divide` on int32. The double quotient of two int32s never rounds across an integer. */
export function floorDivInt(a: number, b: number): number {
  return Math.floor(a / b) | 0;
}

/** C's `pow` (which PyTorch uses): unlike `Math.pow`, `pow(1, NaN)` and `pow(-1, ±Infinity)` are 1. */
export function pow(a: number, b: number): number {
  if (a === 1 || b === 0) return 1;
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1;
  return a ** b;
}

/**
 * Integer power with int32 wrap-around, by repeated squaring. Negative exponents truncate toward
 * zero as C integer division would (PyTorch rejects them for integer tensors).
 */
export function powInt(a: number, b: number): number {
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b & 1 ? -1 : 1) : 0;
  let result = 1;
  let base = a | 0;
  while (b > 0) {
    if (b & 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
    b >>>= 1;
  }
  return result;
}

// --- erf / erfc: fdlibm s_erf.c (Sun Microsystems, 1993), accurate to < 1 ulp in double. ---
// The five ranges use the rational approximations derived there; erf(x) = sign(x)(1 - erfc|x|) is
// only taken where erfc|x| < 0.16, so no digits are lost to cancellation.

const ERX = 8.45062911510467529297e-1;
// erf on [0, 0.84375]
const PP0 = 1.28379167095512558561e-1;
const PP1 = -3.25042107247001499370e-1;
const PP2 = -2.84817495755985104766e-2;
const PP3 = -5.77027029648944159157e-3;
const PP4 = -2.37630166566501626084e-5;
const QQ1 = 3.97917223959155352819e-1;
const QQ2 = 6.50222499887672944485e-2;
const QQ3 = 5.08130628187576562776e-3;
const QQ4 = 1.32494738004321644526e-4;
const QQ5 = -3.96022827877536812320e-6;
// erf on [0.84375, 1.25]
const PA0 = -2.36211856075265944077e-3;
const PA1 = 4.14856118683748331666e-1;
const PA2 = -3.72207876035701323847e-1;
const PA3 = 3.18346619901161753674e-1;
const PA4 = -1.10894694282396677476e-1;
const PA5 = 3.54783043256182359371e-2;
const PA6 = -2.16637559486879084300e-3;
const QA1 = 1.06420880400844228286e-1;
const QA2 = 5.40397917702171048937e-1;
const QA3 = 7.18286544141962662868e-2;
const QA4 = 1.26171219808761642112e-1;
const QA5 = 1.36370839120290507362e-2;
const QA6 = 1.19844998467991074170e-2;
// erfc on [1.25, 1/0.35]
const RA0 = -9.86494403484714822705e-3;
const RA1 = -6.93858572707181764372e-1;
const RA2 = -1.05586262253232909814e1;
const RA3 = -6.23753324503260060396e1;
const RA4 = -1.62396669462573470355e2;
const RA5 = -1.84605092906711035994e2;
const RA6 = -8.12874355063065934246e1;
const RA7 = -9.81432934416914548592;
const SA1 = 1.96512716674392571292e1;
const SA2 = 1.37657754143519042600e2;
const SA3 = 4.34565877475229228821e2;
const SA4 = 6.45387271733267880336e2;
const SA5 = 4.29008140027567833386e2;
const SA6 = 1.08635005541779435134e2;
const SA7 = 6.57024977031928170135;
const SA8 = -6.04244152148580987438e-2;
// erfc on [1/0.35, 28]
const RB0 = -9.86494292470009928597e-3;
const RB1 = -7.99283237680523006574e-1;
const RB2 = -1.77579549177547519889e1;
const RB3 = -1.60636384855821916062e2;
const RB4 = -6.37566443368389627722e2;
const RB5 = -1.02509513161107724954e3;
const RB6 = -4.83519191608651397019e2;
const SB1 = 3.03380607434824582924e1;
const SB2 = 3.25792512996573918826e2;
const SB3 = 1.53672958608443695994e3;
const SB4 = 3.19985821950859553908e3;
const SB5 = 2.55305040643316442583e3;
const SB6 = 4.74528541206955367215e2;
const SB7 = -2.24409524465858183362e1;

/** (erf(x) - x) / x for |x| < 0.84375. */
function erfSmall(x: number): number {
  const z = x * x;
  const r = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
  const s = 1 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
  return r / s;
}

/** erf(1 + s) - erx for s = |x| - 1 in [-0.15625, 0.25). */
function erfNearOne(s: number): number {
  const p = PA0 + s * (PA1 + s * (PA2 + s * (PA3 + s * (PA4 + s * (PA5 + s * PA6)))));
  const q = 1 + s * (QA1 + s * (QA2 + s * (QA3 + s * (QA4 + s * (QA5 + s * QA6)))));
  return p / q;
}

/** erfc(x) for 1.25 <= x < 28. */
function erfcTail(x: number): number {
  const s = 1 / (x * x);
  let r: number;
  let q: number;
  if (x < 1 / 0.35) {
    r = RA0 + s * (RA1 + s * (RA2 + s * (RA3 + s * (RA4 + s * (RA5 + s * (RA6 + s * RA7))))));
    q = 1 + s * (SA1 + s * (SA2 + s * (SA3 + s * (SA4 + s * (SA5 + s * (SA6 + s * (SA7 + s * SA8)))))));
  } else {
    r = RB0 + s * (RB1 + s * (RB2 + s * (RB3 + s * (RB4 + s * (RB5 + s * RB6)))));
    q = 1 + s * (SB1 + s * (SB2 + s * (SB3 + s * (SB4 + s * (SB5 + s * (SB6 + s * SB7))))));
  }
  // exp(-x² - 0.5625 + r/q), with x² split as z² + (x-z)(x+z) where z (x rounded to 24 bits)
  // squares exactly, so the large exponent carries no rounding error.
  const z = Math.fround(x);
  return (Math.exp(-z * z - 0.5625) * Math.exp((z - x) * (z + x) + r / q)) / x;
}

/** The error function. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 0.84375) return x + x * erfSmall(x);
  const sgn = x < 0 ? -1 : 1;
  if (ax < 1.25) return sgn * (ERX + erfNearOne(ax - 1));
  if (ax >= 6) return sgn;
  return sgn * (1 - erfcTail(ax));
}

/** The complementary error function 1 - erf(x), accurate where it is tiny (large x). */
export function erfc(x: number): number {
  if (x !== x) return x;
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
