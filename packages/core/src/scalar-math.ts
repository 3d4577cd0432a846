/**
 * Scalar formulas of the unary op table (unary-table.ts), each matching PyTorch's CPU behaviour
 * where JS's `Math` differs. Small enough that V8 inlines them into the kernel loops built from
 * the table; exported for backends and the testkit.
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

// --- erf / erfc: fdlibm s_erf.c (Sun Microsystems, 1993), accurate to < 1 ulp in double. ---
// The five ranges use the rational approximations derived there; erf(x) = sign(x)(1 - erfc|x|) is
// only taken where erfc|x| < 0.16, so no digits are lost to cancellation.

const ERX = 0.8450629115104675;
// erf on [0, 0.84375]
const PP0 = 0.12837916709551256;
const PP1 = -0.3250421072470015;
const PP2 = -0.02848174957559851;
const PP3 = -0.005770270296489442;
const PP4 = -0.000023763016656650163;
const QQ1 = 0.39791722395915535;
const QQ2 = 0.0650222499887673;
const QQ3 = 0.005081306281875766;
const QQ4 = 0.00013249473800432164;
const QQ5 = -0.000003960228278775368;
// erf on [0.84375, 1.25]
const PA0 = -0.0023621185607526594;
const PA1 = 0.41485611868374833;
const PA2 = -0.3722078760357013;
const PA3 = 0.31834661990116175;
const PA4 = -0.11089469428239668;
const PA5 = 0.035478304325618236;
const PA6 = -0.002166375594868791;
const QA1 = 0.10642088040084423;
const QA2 = 0.540397917702171;
const QA3 = 0.07182865441419627;
const QA4 = 0.12617121980876164;
const QA5 = 0.01363708391202905;
const QA6 = 0.011984499846799107;
// erfc on [1.25, 1/0.35]
const RA0 = -0.009864944034847148;
const RA1 = -0.6938585727071818;
const RA2 = -10.558626225323291;
const RA3 = -62.375332450326006;
const RA4 = -162.39666946257347;
const RA5 = -184.60509290671104;
const RA6 = -81.2874355063066;
const RA7 = -9.814329344169145;
const SA1 = 19.651271667439257;
const SA2 = 137.65775414351904;
const SA3 = 434.56587747522923;
const SA4 = 645.3872717332679;
const SA5 = 429.00814002756783;
const SA6 = 108.63500554177944;
const SA7 = 6.570249770319282;
const SA8 = -0.0604244152148581;
// erfc on [1/0.35, 28]
const RB0 = -0.0098649429247001;
const RB1 = -0.799283237680523;
const RB2 = -17.757954917754752;
const RB3 = -160.63638485582192;
const RB4 = -637.5664433683896;
const RB5 = -1025.0951316110772;
const RB6 = -483.5191916086514;
const SB1 = 30.33806074348246;
const SB2 = 325.7925129965739;
const SB3 = 1536.729586084437;
const SB4 = 3199.8582195085955;
const SB5 = 2553.0504064331644;
const SB6 = 474.52854120695537;
const SB7 = -22.44095244658582;

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
  if (Number.isNaN(x)) return x;
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
