import { expV, tanhV, V_ONE } from './math';
import { claim } from './tasks';

/*
 * The pointwise parts of one LSTM or GRU step and their backwards (core's `LstmCell`,
 * `LstmCellGrad`, `GruCell`, `GruCellGrad`): every gate of a row in one pass, four hidden units at
 * a time, the activations recomputed from the pre-activations in the backward (cheaper than
 * storing them). A row is one batch element; rows are independent, so a job splits them into
 * blocks claimed from a counter. PyTorch's gate orders: i, f, g, o (LSTM) and r, z, n (GRU).
 *
 * The args block (i32 fields): [0] kind, [1] rows, [2] H, [3] task counter (zeroed by the host),
 * [4] rows per task, [5..11] the operands' addresses in the order each kind lists them.
 */

const LSTM = 0;
const LSTM_GRAD = 1;
const GRU = 2;
const GRU_GRAD = 3;

@inline
function ptr(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** σ(x) = 1 / (1 + e^−x), four lanes; e^−x = Infinity gives 0, NaN stays NaN. */
@inline
function sigmoidV(x: v128): v128 {
  return f32x4.div(V_ONE, f32x4.add(V_ONE, expV(f32x4.neg(x))));
}

@inline
function sigmoid(x: f64): f64 {
  return 1 / (1 + Math.exp(-x));
}

// tanh as a rational function of x: an odd degree-13 numerator over an even degree-6 denominator
// (the minimax fit Eigen uses for float), x clamped to ±7.905 where float32 tanh is ±1 to within
// half an ulp. Max error 3.3e-7 (3 ulp near ±1) against float64 tanh on a 1e-4 grid over ±12;
// one division and no exp, a third of the instructions of the exp-based `tanhV`. The forwards use
// it; the backwards keep `tanhV` (~1 ulp), since they take 1 − tanh², which near saturation
// cancels to a few ulps of tanh: 3 ulps there would be a relative error of percents.
let R_CLAMP = f32x4.splat(7.90531110763549805);
let R_NEG_CLAMP = f32x4.splat(-7.90531110763549805);
let R_A1 = f32x4.splat(4.89352455891786e-3);
let R_A3 = f32x4.splat(6.37261928875436e-4);
let R_A5 = f32x4.splat(1.48572235717979e-5);
let R_A7 = f32x4.splat(5.12229709037114e-8);
let R_A9 = f32x4.splat(-8.60467152213735e-11);
let R_A11 = f32x4.splat(2.00018790482477e-13);
let R_A13 = f32x4.splat(-2.76076847742355e-16);
let R_B0 = f32x4.splat(4.89352518554385e-3);
let R_B2 = f32x4.splat(2.268434632439e-3);
let R_B4 = f32x4.splat(1.18534705686654e-4);
let R_B6 = f32x4.splat(1.19825839466702e-6);

/** tanh, four lanes, by the rational fit above; NaN stays NaN (pmin/pmax keep their first operand). */
@inline
function tanhFastV(v: v128): v128 {
  const x = f32x4.pmax(f32x4.pmin(v, R_CLAMP), R_NEG_CLAMP);
  const x2 = f32x4.mul(x, x);
  let p = f32x4.add(f32x4.mul(R_A13, x2), R_A11);
  p = f32x4.add(f32x4.mul(p, x2), R_A9);
  p = f32x4.add(f32x4.mul(p, x2), R_A7);
  p = f32x4.add(f32x4.mul(p, x2), R_A5);
  p = f32x4.add(f32x4.mul(p, x2), R_A3);
  p = f32x4.add(f32x4.mul(p, x2), R_A1);
  let q = f32x4.add(f32x4.mul(R_B6, x2), R_B4);
  q = f32x4.add(f32x4.mul(q, x2), R_B2);
  q = f32x4.add(f32x4.mul(q, x2), R_B0);
  return f32x4.div(f32x4.mul(p, x), q);
}

/** σ′ from σ: s·(1 − s). */
@inline
function dSigmoidV(s: v128): v128 {
  return f32x4.mul(s, f32x4.sub(V_ONE, s));
}

/** tanh′ from tanh: 1 − t². */
@inline
function dTanhV(t: v128): v128 {
  return f32x4.sub(V_ONE, f32x4.mul(t, t));
}

/** [gates (N, 4H), c (N, H)] → [h', c']: c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c'). */
function lstmRows(args: usize, r0: i32, r1: i32, H: i32): void {
  const gates = <usize>load<i32>(args, 20);
  const cPrev = <usize>load<i32>(args, 24);
  const hOut = <usize>load<i32>(args, 28);
  const cOut = <usize>load<i32>(args, 32);
  for (let r = r0; r < r1; r++) {
    const gi = ptr(gates, r * 4 * H);
    const gf = ptr(gi, H);
    const gg = ptr(gf, H);
    const go = ptr(gg, H);
    const c = ptr(cPrev, r * H);
    const h2 = ptr(hOut, r * H);
    const c2 = ptr(cOut, r * H);
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const i = sigmoidV(v128.load(ptr(gi, j)));
      const f = sigmoidV(v128.load(ptr(gf, j)));
      const g = tanhFastV(v128.load(ptr(gg, j)));
      const o = sigmoidV(v128.load(ptr(go, j)));
      const cn = f32x4.add(f32x4.mul(f, v128.load(ptr(c, j))), f32x4.mul(i, g));
      v128.store(ptr(c2, j), cn);
      v128.store(ptr(h2, j), f32x4.mul(o, tanhFastV(cn)));
    }
    for (; j < H; j++) {
      const i = sigmoid(<f64>load<f32>(ptr(gi, j)));
      const f = sigmoid(<f64>load<f32>(ptr(gf, j)));
      const g = Math.tanh(<f64>load<f32>(ptr(gg, j)));
      const o = sigmoid(<f64>load<f32>(ptr(go, j)));
      const cn = <f32>(f * <f64>load<f32>(ptr(c, j)) + i * g);
      store<f32>(ptr(c2, j), cn);
      store<f32>(ptr(h2, j), <f32>(o * Math.tanh(<f64>cn)));
    }
  }
}

/**
 * [gates, c, dh', dc'] → [dgates, dc]. With c' and tanh(c') recomputed:
 * dĉ = dc' + dh'·σ(o)·(1 − tanh²c'); d(i, f, g, o) = (dĉ·g·σ′(i), dĉ·c·σ′(f), dĉ·σ(i)·tanh′(g),
 * dh'·tanh(c')·σ′(o)) on the pre-activations; dc = dĉ·σ(f).
 */
function lstmGradRows(args: usize, r0: i32, r1: i32, H: i32): void {
  const gates = <usize>load<i32>(args, 20);
  const cPrev = <usize>load<i32>(args, 24);
  const dhIn = <usize>load<i32>(args, 28);
  const dcIn = <usize>load<i32>(args, 32);
  const dGates = <usize>load<i32>(args, 36);
  const dcOut = <usize>load<i32>(args, 40);
  for (let r = r0; r < r1; r++) {
    const gi = ptr(gates, r * 4 * H);
    const gf = ptr(gi, H);
    const gg = ptr(gf, H);
    const go = ptr(gg, H);
    const di = ptr(dGates, r * 4 * H);
    const df = ptr(di, H);
    const dg = ptr(df, H);
    const dO = ptr(dg, H);
    const c = ptr(cPrev, r * H);
    const dh = ptr(dhIn, r * H);
    const dc2 = ptr(dcIn, r * H);
    const dc = ptr(dcOut, r * H);
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const i = sigmoidV(v128.load(ptr(gi, j)));
      const f = sigmoidV(v128.load(ptr(gf, j)));
      const g = tanhV(v128.load(ptr(gg, j)));
      const o = sigmoidV(v128.load(ptr(go, j)));
      const cv = v128.load(ptr(c, j));
      const tc = tanhV(f32x4.add(f32x4.mul(f, cv), f32x4.mul(i, g)));
      const dhv = v128.load(ptr(dh, j));
      const dct = f32x4.add(v128.load(ptr(dc2, j)), f32x4.mul(f32x4.mul(dhv, o), dTanhV(tc)));
      v128.store(ptr(di, j), f32x4.mul(f32x4.mul(dct, g), dSigmoidV(i)));
      v128.store(ptr(df, j), f32x4.mul(f32x4.mul(dct, cv), dSigmoidV(f)));
      v128.store(ptr(dg, j), f32x4.mul(f32x4.mul(dct, i), dTanhV(g)));
      v128.store(ptr(dO, j), f32x4.mul(f32x4.mul(dhv, tc), dSigmoidV(o)));
      v128.store(ptr(dc, j), f32x4.mul(dct, f));
    }
    for (; j < H; j++) {
      const i = sigmoid(<f64>load<f32>(ptr(gi, j)));
      const f = sigmoid(<f64>load<f32>(ptr(gf, j)));
      const g = Math.tanh(<f64>load<f32>(ptr(gg, j)));
      const o = sigmoid(<f64>load<f32>(ptr(go, j)));
      const cv = <f64>load<f32>(ptr(c, j));
      const tc = Math.tanh(f * cv + i * g);
      const dhv = <f64>load<f32>(ptr(dh, j));
      const dct = <f64>load<f32>(ptr(dc2, j)) + dhv * o * (1 - tc * tc);
      store<f32>(ptr(di, j), <f32>(dct * g * i * (1 - i)));
      store<f32>(ptr(df, j), <f32>(dct * cv * f * (1 - f)));
      store<f32>(ptr(dg, j), <f32>(dct * i * (1 - g * g)));
      store<f32>(ptr(dO, j), <f32>(dhv * tc * o * (1 - o)));
      store<f32>(ptr(dc, j), <f32>(dct * f));
    }
  }
}

/**
 * [gx (N, 3H), gh (N, 3H), h (N, H)] → h': r = σ(gx_r + gh_r), z = σ(gx_z + gh_z),
 * n = tanh(gx_n + r·gh_n), h' = (1 − z)·n + z·h = n + z·(h − n).
 */
function gruRows(args: usize, r0: i32, r1: i32, H: i32): void {
  const gxp = <usize>load<i32>(args, 20);
  const ghp = <usize>load<i32>(args, 24);
  const hPrev = <usize>load<i32>(args, 28);
  const hOut = <usize>load<i32>(args, 32);
  for (let r = r0; r < r1; r++) {
    const xr = ptr(gxp, r * 3 * H);
    const xz = ptr(xr, H);
    const xn = ptr(xz, H);
    const hr = ptr(ghp, r * 3 * H);
    const hz = ptr(hr, H);
    const hn = ptr(hz, H);
    const h = ptr(hPrev, r * H);
    const h2 = ptr(hOut, r * H);
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const rg = sigmoidV(f32x4.add(v128.load(ptr(xr, j)), v128.load(ptr(hr, j))));
      const z = sigmoidV(f32x4.add(v128.load(ptr(xz, j)), v128.load(ptr(hz, j))));
      const n = tanhFastV(f32x4.add(v128.load(ptr(xn, j)), f32x4.mul(rg, v128.load(ptr(hn, j)))));
      v128.store(ptr(h2, j), f32x4.add(n, f32x4.mul(z, f32x4.sub(v128.load(ptr(h, j)), n))));
    }
    for (; j < H; j++) {
      const rg = sigmoid(<f64>load<f32>(ptr(xr, j)) + <f64>load<f32>(ptr(hr, j)));
      const z = sigmoid(<f64>load<f32>(ptr(xz, j)) + <f64>load<f32>(ptr(hz, j)));
      const n = Math.tanh(<f64>load<f32>(ptr(xn, j)) + rg * <f64>load<f32>(ptr(hn, j)));
      store<f32>(ptr(h2, j), <f32>(n + z * (<f64>load<f32>(ptr(h, j)) - n)));
    }
  }
}

/**
 * [gx, gh, h, dh'] → [dgx, dgh, dh]. dn = dh'·(1 − z)·tanh′ on n's pre-activation; dz = dh'·(h − n)·σ′;
 * dr = dn·gh_n·σ′. dgx = (dr, dz, dn), dgh = (dr, dz, dn·r); dh = dh'·z (the direct path only).
 */
function gruGradRows(args: usize, r0: i32, r1: i32, H: i32): void {
  const gxp = <usize>load<i32>(args, 20);
  const ghp = <usize>load<i32>(args, 24);
  const hPrev = <usize>load<i32>(args, 28);
  const dhIn = <usize>load<i32>(args, 32);
  const dgxp = <usize>load<i32>(args, 36);
  const dghp = <usize>load<i32>(args, 40);
  const dhOut = <usize>load<i32>(args, 44);
  for (let r = r0; r < r1; r++) {
    const xr = ptr(gxp, r * 3 * H);
    const xz = ptr(xr, H);
    const xn = ptr(xz, H);
    const hr = ptr(ghp, r * 3 * H);
    const hz = ptr(hr, H);
    const hn = ptr(hz, H);
    const dxr = ptr(dgxp, r * 3 * H);
    const dxz = ptr(dxr, H);
    const dxn = ptr(dxz, H);
    const dhr = ptr(dghp, r * 3 * H);
    const dhz = ptr(dhr, H);
    const dhn = ptr(dhz, H);
    const h = ptr(hPrev, r * H);
    const dh2 = ptr(dhIn, r * H);
    const dh = ptr(dhOut, r * H);
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const rg = sigmoidV(f32x4.add(v128.load(ptr(xr, j)), v128.load(ptr(hr, j))));
      const z = sigmoidV(f32x4.add(v128.load(ptr(xz, j)), v128.load(ptr(hz, j))));
      const ghn = v128.load(ptr(hn, j));
      const n = tanhV(f32x4.add(v128.load(ptr(xn, j)), f32x4.mul(rg, ghn)));
      const d = v128.load(ptr(dh2, j));
      const dn = f32x4.mul(f32x4.mul(d, f32x4.sub(V_ONE, z)), dTanhV(n));
      const dz = f32x4.mul(f32x4.mul(d, f32x4.sub(v128.load(ptr(h, j)), n)), dSigmoidV(z));
      const dr = f32x4.mul(f32x4.mul(dn, ghn), dSigmoidV(rg));
      v128.store(ptr(dxr, j), dr);
      v128.store(ptr(dhr, j), dr);
      v128.store(ptr(dxz, j), dz);
      v128.store(ptr(dhz, j), dz);
      v128.store(ptr(dxn, j), dn);
      v128.store(ptr(dhn, j), f32x4.mul(dn, rg));
      v128.store(ptr(dh, j), f32x4.mul(d, z));
    }
    for (; j < H; j++) {
      const rg = sigmoid(<f64>load<f32>(ptr(xr, j)) + <f64>load<f32>(ptr(hr, j)));
      const z = sigmoid(<f64>load<f32>(ptr(xz, j)) + <f64>load<f32>(ptr(hz, j)));
      const ghn = <f64>load<f32>(ptr(hn, j));
      const n = Math.tanh(<f64>load<f32>(ptr(xn, j)) + rg * ghn);
      const d = <f64>load<f32>(ptr(dh2, j));
      const dn = d * (1 - z) * (1 - n * n);
      const dz = d * (<f64>load<f32>(ptr(h, j)) - n) * z * (1 - z);
      const dr = dn * ghn * rg * (1 - rg);
      store<f32>(ptr(dxr, j), <f32>dr);
      store<f32>(ptr(dhr, j), <f32>dr);
      store<f32>(ptr(dxz, j), <f32>dz);
      store<f32>(ptr(dhz, j), <f32>dz);
      store<f32>(ptr(dxn, j), <f32>dn);
      store<f32>(ptr(dhn, j), <f32>(dn * rg));
      store<f32>(ptr(dh, j), <f32>(d * z));
    }
  }
}

/** One recurrent cell kernel (the args block's kind) over blocks of rows claimed from its counter. */
export function jobRnnCell(args: usize, tid: i32, nt: i32): void {
  const kind = load<i32>(args);
  const rows = load<i32>(args, 4);
  const H = load<i32>(args, 8);
  const block = load<i32>(args, 16);
  const tasks = (rows + block - 1) / block;
  for (let t = claim(args + 12); t < tasks; t = claim(args + 12)) {
    const r0 = t * block;
    const r1 = min(rows, r0 + block);
    switch (kind) {
      case LSTM: lstmRows(args, r0, r1, H); break;
      case LSTM_GRAD: lstmGradRows(args, r0, r1, H); break;
      case GRU: gruRows(args, r0, r1, H); break;
      case GRU_GRAD: gruGradRows(args, r0, r1, H); break;
      default: break;
    }
  }
}
