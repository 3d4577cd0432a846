import { madd } from './gemm';
import { expV } from './math';
import { claim } from './tasks';

/*
 * Fused scaled dot-product attention (core's `Attention` and `AttentionGrad`), FlashAttention's
 * plan on a CPU: the L×S score matrix is never stored. A task owns a tile of at most QT = 64 query
 * rows (or KB keys) and walks the other side in blocks of KB = 64; each (rows × keys) tile goes
 * through small register-blocked products in per-thread scratch (the 2 × 16 micro-kernel of
 * `accAB`, k and v blocks transposed once per block for the scores) — scores S = Q·Kᵀ, then
 * O += P·V (forward), or dP = dO·Vᵀ, dQ += dS·K, dV += Pᵀ·dO, dK += dSᵀ·Q (backward) — so a
 * block of k and v rows stays in L1 while a tile of query rows visits it. The forward keeps per
 * row a running max m and sum z and rescales its output row by e^(m − m′) when a block raises the
 * max (online softmax, Milakov & Gimelshein 2018; FlashAttention, Dao et al. 2022).
 *
 * Three kinds of task, each writing only its own rows (no atomics, no races):
 *   FORWARD  (b, tile of query rows) → out, lse
 *   GRAD_Q   (b, tile of query rows) → dq, and Δ_i = dout_i·out_i for GRAD_KV
 *   GRAD_KV  (b, block of KB keys)   → dk, dv
 *   GRAD_BATCH (b)                   → dq, dk, dv of one batch entry in one pass
 * With enough batch entries for the threads the host runs GRAD_BATCH: each tile's P and dS once,
 * five products per tile. Otherwise GRAD_Q then GRAD_KV, which split one batch entry over threads
 * at the price of recomputing P and dS in both passes (FlashAttention-2's split: one pass owns the
 * query rows, the other the key rows; seven products per tile).
 *
 * The args block (i32 fields): [0] kind, [1] B, [2] L, [3] S, [4] D, [5] Dv, [6] task counter
 * (zeroed by the host), [7] query rows per task (FORWARD, GRAD_Q; at most QT), [8] causal,
 * [9] has mask, [10] mask per batch entry (Bm = B), [11] mask per query row (Lm = L),
 * [12..22] the addresses of q, k, v, mask, out, lse, dout, dq, dk, dv, Δ, [23] scratch,
 * [24] scratch bytes per thread (2·QT·KB + 2·QT + (D + Dv)·KB floats at least: two tiles, m and z
 * of QT rows, the key block's kᵀ and vᵀ); f64 at byte 104: scale.
 */

const FORWARD = 0;
const GRAD_Q = 1;
const GRAD_KV = 2;
const GRAD_BATCH = 3;

/** Keys per block. */
const KB: i32 = 64;
/** Query rows per tile. */
const QT: i32 = 64;

@inline
function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

@inline
function field(args: usize, i: i32): i32 {
  return load<i32>(args + (<usize>i << 2));
}

@inline
function addr(args: usize, i: i32): usize {
  return <usize>load<i32>(args + (<usize>i << 2));
}

/** a·b over n floats. */
@inline
function dot(a: usize, b: usize, n: i32): f32 {
  let s0 = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= n; d += 4) s0 = f32x4.add(s0, f32x4.mul(v128.load(at(a, d)), v128.load(at(b, d))));
  let r = f32x4.extract_lane(s0, 0) + f32x4.extract_lane(s0, 1) + (f32x4.extract_lane(s0, 2) + f32x4.extract_lane(s0, 3));
  for (; d < n; d++) r += load<f32>(at(a, d)) * load<f32>(at(b, d));
  return r;
}

/** dst (K × KB, row stride KB) = srcᵀ for src (n × K, row stride ld): a key block transposed. */
function packT(dst: usize, src: usize, ld: i32, n: i32, K: i32): void {
  for (let j = 0; j < n; j++) {
    const row = at(src, j * ld);
    for (let d = 0; d < K; d++) store<f32>(at(dst, d * KB + j), load<f32>(at(row, d)));
  }
}

/**
 * A score tile: C (M × N, row stride KB) = A·Bᵀ with A (M × K, row stride lda) and Bᵀ packed by
 * `packT` (K × KB). N may run past the block's keys up to a multiple of 16 ≤ KB: those columns
 * hold garbage nobody reads, and the tile is computed by `accAB`'s 2 × 16 micro-kernel.
 */
@inline
function scoresTile(c: usize, a: usize, lda: i32, bT: usize, M: i32, n: i32, K: i32): void {
  const N = min(KB, (n + 15) & ~15);
  zeroRows(c, M * KB);
  accAB(c, KB, a, lda, 1, bT, KB, M, N, K);
}

/**
 * C += A·B with A read through strides: C (M × N, row stride ldc) += Σ_t A(i, t)·B[t] where
 * A(i, t) = a[i·ai + t·at] (so A or Aᵀ of a tile) and B (K × N, row stride ldb). Two rows of C by
 * sixteen columns at a time: eight f32x4 accumulators, loaded and stored once per K sweep.
 */
function accAB(c: usize, ldc: i32, a: usize, ai: i32, aj: i32, b: usize, ldb: i32, M: i32, N: i32, K: i32): void {
  let i = 0;
  for (; i + 2 <= M; i += 2) {
    const r0 = at(c, i * ldc);
    const r1 = at(r0, ldc);
    const p0 = at(a, i * ai);
    const p1 = at(p0, ai);
    let col = 0;
    for (; col + 16 <= N; col += 16) {
      let c00 = v128.load(at(r0, col)), c01 = v128.load(at(r0, col + 4));
      let c02 = v128.load(at(r0, col + 8)), c03 = v128.load(at(r0, col + 12));
      let c10 = v128.load(at(r1, col)), c11 = v128.load(at(r1, col + 4));
      let c12 = v128.load(at(r1, col + 8)), c13 = v128.load(at(r1, col + 12));
      for (let t = 0; t < K; t++) {
        const x0 = v128.load32_splat(at(p0, t * aj));
        const x1 = v128.load32_splat(at(p1, t * aj));
        const bt = at(b, t * ldb + col);
        const y0 = v128.load(bt);
        const y1 = v128.load(bt, 16);
        const y2 = v128.load(bt, 32);
        const y3 = v128.load(bt, 48);
        c00 = madd(x0, y0, c00);
        c01 = madd(x0, y1, c01);
        c02 = madd(x0, y2, c02);
        c03 = madd(x0, y3, c03);
        c10 = madd(x1, y0, c10);
        c11 = madd(x1, y1, c11);
        c12 = madd(x1, y2, c12);
        c13 = madd(x1, y3, c13);
      }
      v128.store(at(r0, col), c00);
      v128.store(at(r0, col + 4), c01);
      v128.store(at(r0, col + 8), c02);
      v128.store(at(r0, col + 12), c03);
      v128.store(at(r1, col), c10);
      v128.store(at(r1, col + 4), c11);
      v128.store(at(r1, col + 8), c12);
      v128.store(at(r1, col + 12), c13);
    }
    for (; col + 4 <= N; col += 4) {
      let c0 = v128.load(at(r0, col));
      let c1 = v128.load(at(r1, col));
      for (let t = 0; t < K; t++) {
        const y = v128.load(at(b, t * ldb + col));
        c0 = f32x4.add(c0, f32x4.mul(f32x4.splat(load<f32>(at(p0, t * aj))), y));
        c1 = f32x4.add(c1, f32x4.mul(f32x4.splat(load<f32>(at(p1, t * aj))), y));
      }
      v128.store(at(r0, col), c0);
      v128.store(at(r1, col), c1);
    }
    for (; col < N; col++) {
      let c0 = load<f32>(at(r0, col));
      let c1 = load<f32>(at(r1, col));
      for (let t = 0; t < K; t++) {
        const y = load<f32>(at(b, t * ldb + col));
        c0 += load<f32>(at(p0, t * aj)) * y;
        c1 += load<f32>(at(p1, t * aj)) * y;
      }
      store<f32>(at(r0, col), c0);
      store<f32>(at(r1, col), c1);
    }
  }
  for (; i < M; i++) {
    const r0 = at(c, i * ldc);
    const p0 = at(a, i * ai);
    let col = 0;
    for (; col + 4 <= N; col += 4) {
      let c0 = v128.load(at(r0, col));
      for (let t = 0; t < K; t++) {
        c0 = f32x4.add(c0, f32x4.mul(f32x4.splat(load<f32>(at(p0, t * aj))), v128.load(at(b, t * ldb + col))));
      }
      v128.store(at(r0, col), c0);
    }
    for (; col < N; col++) {
      let c0 = load<f32>(at(r0, col));
      for (let t = 0; t < K; t++) c0 += load<f32>(at(p0, t * aj)) * load<f32>(at(b, t * ldb + col));
      store<f32>(at(r0, col), c0);
    }
  }
}

/** y *= a over n floats. */
@inline
function scaleRow(y: usize, a: f32, n: i32): void {
  const av = f32x4.splat(a);
  let d = 0;
  for (; d + 4 <= n; d += 4) v128.store(at(y, d), f32x4.mul(av, v128.load(at(y, d))));
  for (; d < n; d++) store<f32>(at(y, d), a * load<f32>(at(y, d)));
}

@inline
function zeroRows(y: usize, n: i32): void {
  memory.fill(y, 0, <usize>n << 2);
}

/**
 * Row r of a score tile (query i, keys j0 … j0+n−1) made final: ·scale, + mask, −∞ past the
 * diagonal when causal. Returns the row's max.
 */
@inline
function finishScores(args: usize, row: usize, b: i32, i: i32, j0: i32, n: i32, scale: f32): f32 {
  const L = field(args, 2);
  const S = field(args, 3);
  let mrow: usize = 0;
  const masked = field(args, 9) != 0;
  if (masked) {
    const perRow = field(args, 11) != 0;
    const mb = field(args, 10) != 0 ? b : 0;
    mrow = at(addr(args, 15), ((mb * (perRow ? L : 1) + (perRow ? i : 0)) * S) + j0);
  }
  const end = field(args, 8) != 0 ? min(n, i - j0 + 1) : n;
  const sv = f32x4.splat(scale);
  let mv = f32x4.splat(-Infinity);
  let t = 0;
  if (masked) {
    for (; t + 4 <= end; t += 4) {
      const s = f32x4.add(f32x4.mul(v128.load(at(row, t)), sv), v128.load(at(mrow, t)));
      v128.store(at(row, t), s);
      mv = f32x4.max(mv, s);
    }
  } else {
    for (; t + 4 <= end; t += 4) {
      const s = f32x4.mul(v128.load(at(row, t)), sv);
      v128.store(at(row, t), s);
      mv = f32x4.max(mv, s);
    }
  }
  let mx = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  for (; t < end; t++) {
    let s = load<f32>(at(row, t)) * scale;
    if (masked) s += load<f32>(at(mrow, t));
    store<f32>(at(row, t), s);
    mx = max(mx, s);
  }
  for (let t = max(end, 0); t < n; t++) store<f32>(at(row, t), -Infinity);
  return mx;
}

/** row[t] = exp(row[t] − shift) for t < n (four at a time; lanes past n are scratch). */
@inline
function expShifted(row: usize, n: i32, shift: f32): void {
  const sv = f32x4.splat(shift);
  for (let t = 0; t < n; t += 4) v128.store(at(row, t), expV(f32x4.sub(v128.load(at(row, t)), sv)));
}

/** FORWARD over query rows i0 … i1−1 of batch entry b. */
function forwardTile(args: usize, b: i32, i0: i32, i1: i32, scratch: usize, scale: f32): void {
  const L = field(args, 2);
  const S = field(args, 3);
  const D = field(args, 4);
  const Dv = field(args, 5);
  const causal = field(args, 8) != 0;
  const q = at(addr(args, 12), (b * L + i0) * D);
  const k = at(addr(args, 13), b * S * D);
  const v = at(addr(args, 14), b * S * Dv);
  const out = at(addr(args, 16), (b * L + i0) * Dv);
  const lse = at(addr(args, 17), b * L + i0);
  const tile = scratch;
  const mOf = at(scratch, 2 * QT * KB);
  const zOf = at(mOf, QT);
  const kT = at(zOf, QT);
  const M = i1 - i0;
  zeroRows(out, M * Dv);
  for (let r = 0; r < M; r++) {
    store<f32>(at(mOf, r), -Infinity);
    store<f32>(at(zOf, r), 0);
  }
  const keyEnd = causal ? min(S, i1) : S;
  for (let j0 = 0; j0 < keyEnd; j0 += KB) {
    const n = min(KB, S - j0);
    packT(kT, at(k, j0 * D), D, n, D);
    scoresTile(tile, q, D, kT, M, n, D);
    for (let r = 0; r < M; r++) {
      const row = at(tile, r * KB);
      const mb = finishScores(args, row, b, i0 + r, j0, n, scale);
      if (mb == -Infinity) {
        zeroRows(row, n); // nothing visible in this block: no weight
        continue;
      }
      const m = load<f32>(at(mOf, r));
      let z = load<f32>(at(zOf, r));
      const mNew = max(m, mb);
      if (mNew > m && m != -Infinity) {
        const alpha = Mathf.exp(m - mNew);
        z *= alpha;
        scaleRow(at(out, r * Dv), alpha, Dv);
      }
      expShifted(row, n, mNew);
      let zv = f32x4.splat(0);
      let t = 0;
      for (; t + 4 <= n; t += 4) zv = f32x4.add(zv, v128.load(at(row, t)));
      z += f32x4.extract_lane(zv, 0) + f32x4.extract_lane(zv, 1) + (f32x4.extract_lane(zv, 2) + f32x4.extract_lane(zv, 3));
      for (; t < n; t++) z += load<f32>(at(row, t));
      store<f32>(at(mOf, r), mNew);
      store<f32>(at(zOf, r), z);
    }
    accAB(out, Dv, tile, KB, 1, at(v, j0 * Dv), Dv, M, Dv, n);
  }
  for (let r = 0; r < M; r++) {
    const z = load<f32>(at(zOf, r));
    if (z > 0) {
      scaleRow(at(out, r * Dv), 1 / z, Dv);
      store<f32>(at(lse, r), load<f32>(at(mOf, r)) + Mathf.log(z));
    } else store<f32>(at(lse, r), -Infinity); // every key masked: out 0, lse −∞
  }
}

/**
 * P and dS of a (query rows × keys) tile in place: `tile` holds raw scores q·kᵀ and `dp` holds
 * dout·vᵀ on entry; on return `tile` holds P = exp(s − lse) and `dp` holds dS = P·(dP − Δ)·scale.
 */
@inline
function probsAndGrads(
  args: usize,
  tile: usize,
  dp: usize,
  b: i32,
  i0: i32,
  M: i32,
  j0: i32,
  n: i32,
  scale: f32,
): void {
  const L = field(args, 2);
  const lse = at(addr(args, 17), b * L + i0);
  const delta = at(addr(args, 22), b * L + i0);
  for (let r = 0; r < M; r++) {
    const row = at(tile, r * KB);
    const drow = at(dp, r * KB);
    const l = load<f32>(at(lse, r));
    if (l == -Infinity) {
      zeroRows(row, n);
      zeroRows(drow, n);
      continue;
    }
    finishScores(args, row, b, i0 + r, j0, n, scale);
    expShifted(row, n, l);
    const dv = f32x4.splat(load<f32>(at(delta, r)));
    const sv = f32x4.splat(scale);
    for (let t = 0; t < n; t += 4) {
      const p = v128.load(at(row, t));
      v128.store(at(drow, t), f32x4.mul(f32x4.mul(p, f32x4.sub(v128.load(at(drow, t)), dv)), sv));
    }
  }
}

/** GRAD_Q over query rows i0 … i1−1 of batch entry b: dq and Δ. */
function gradQTile(args: usize, b: i32, i0: i32, i1: i32, scratch: usize, scale: f32): void {
  const L = field(args, 2);
  const S = field(args, 3);
  const D = field(args, 4);
  const Dv = field(args, 5);
  const causal = field(args, 8) != 0;
  const q = at(addr(args, 12), (b * L + i0) * D);
  const k = at(addr(args, 13), b * S * D);
  const v = at(addr(args, 14), b * S * Dv);
  const out = at(addr(args, 16), (b * L + i0) * Dv);
  const dout = at(addr(args, 18), (b * L + i0) * Dv);
  const dq = at(addr(args, 19), (b * L + i0) * D);
  const delta = at(addr(args, 22), b * L + i0);
  const tile = scratch;
  const dp = at(scratch, QT * KB);
  const kT = at(scratch, 2 * QT * KB + 2 * QT);
  const vT = at(kT, D * KB);
  const M = i1 - i0;
  zeroRows(dq, M * D);
  for (let r = 0; r < M; r++) store<f32>(at(delta, r), dot(at(dout, r * Dv), at(out, r * Dv), Dv));
  const keyEnd = causal ? min(S, i1) : S;
  for (let j0 = 0; j0 < keyEnd; j0 += KB) {
    const n = min(KB, S - j0);
    packT(kT, at(k, j0 * D), D, n, D);
    packT(vT, at(v, j0 * Dv), Dv, n, Dv);
    scoresTile(tile, q, D, kT, M, n, D);
    scoresTile(dp, dout, Dv, vT, M, n, Dv);
    probsAndGrads(args, tile, dp, b, i0, M, j0, n, scale);
    accAB(dq, D, dp, KB, 1, at(k, j0 * D), D, M, D, n);
  }
}

/** GRAD_KV over keys j0 … j1−1 of batch entry b: dk and dv. */
function gradKvTile(args: usize, b: i32, j0: i32, j1: i32, scratch: usize, scale: f32): void {
  const L = field(args, 2);
  const S = field(args, 3);
  const D = field(args, 4);
  const Dv = field(args, 5);
  const causal = field(args, 8) != 0;
  const k = at(addr(args, 13), (b * S + j0) * D);
  const v = at(addr(args, 14), (b * S + j0) * Dv);
  const dk = at(addr(args, 20), (b * S + j0) * D);
  const dv = at(addr(args, 21), (b * S + j0) * Dv);
  const tile = scratch;
  const dp = at(scratch, QT * KB);
  const kT = at(scratch, 2 * QT * KB + 2 * QT);
  const vT = at(kT, D * KB);
  const n = j1 - j0;
  zeroRows(dk, n * D);
  zeroRows(dv, n * Dv);
  packT(kT, k, D, n, D);
  packT(vT, v, Dv, n, Dv);
  // causal: query i sees keys j ≤ i, so rows before j0 see none of this block
  for (let i0 = causal ? j0 : 0; i0 < L; i0 += QT) {
    const M = min(QT, L - i0);
    const q = at(addr(args, 12), (b * L + i0) * D);
    const dout = at(addr(args, 18), (b * L + i0) * Dv);
    scoresTile(tile, q, D, kT, M, n, D);
    scoresTile(dp, dout, Dv, vT, M, n, Dv);
    probsAndGrads(args, tile, dp, b, i0, M, j0, n, scale);
    accAB(dv, Dv, tile, 1, KB, dout, Dv, n, Dv, M); // dV += Pᵀ·dO
    accAB(dk, D, dp, 1, KB, q, D, n, D, M); // dK += dSᵀ·Q
  }
}

/** GRAD_BATCH: dq, dk and dv of batch entry b, key blocks outside, query tiles inside. */
function gradBatch(args: usize, b: i32, scratch: usize, scale: f32): void {
  const L = field(args, 2);
  const S = field(args, 3);
  const D = field(args, 4);
  const Dv = field(args, 5);
  const causal = field(args, 8) != 0;
  const q = at(addr(args, 12), b * L * D);
  const k = at(addr(args, 13), b * S * D);
  const v = at(addr(args, 14), b * S * Dv);
  const out = at(addr(args, 16), b * L * Dv);
  const dout = at(addr(args, 18), b * L * Dv);
  const dq = at(addr(args, 19), b * L * D);
  const dk = at(addr(args, 20), b * S * D);
  const dv = at(addr(args, 21), b * S * Dv);
  const delta = at(addr(args, 22), b * L);
  const tile = scratch;
  const dp = at(scratch, QT * KB);
  const kT = at(scratch, 2 * QT * KB + 2 * QT);
  const vT = at(kT, D * KB);
  zeroRows(dq, L * D);
  zeroRows(dk, S * D);
  zeroRows(dv, S * Dv);
  for (let i = 0; i < L; i++) store<f32>(at(delta, i), dot(at(dout, i * Dv), at(out, i * Dv), Dv));
  for (let j0 = 0; j0 < S; j0 += KB) {
    const n = min(KB, S - j0);
    const kj = at(k, j0 * D);
    packT(kT, kj, D, n, D);
    packT(vT, at(v, j0 * Dv), Dv, n, Dv);
    // causal: query i sees keys j ≤ i, so rows before j0 see none of this block
    for (let i0 = causal ? j0 : 0; i0 < L; i0 += QT) {
      const M = min(QT, L - i0);
      const qi = at(q, i0 * D);
      const gi = at(dout, i0 * Dv);
      scoresTile(tile, qi, D, kT, M, n, D);
      scoresTile(dp, gi, Dv, vT, M, n, Dv);
      probsAndGrads(args, tile, dp, b, i0, M, j0, n, scale);
      accAB(at(dv, j0 * Dv), Dv, tile, 1, KB, gi, Dv, n, Dv, M); // dV += Pᵀ·dO
      accAB(at(dk, j0 * D), D, dp, 1, KB, qi, D, n, D, M); // dK += dSᵀ·Q
      accAB(at(dq, i0 * D), D, dp, KB, 1, kj, D, M, D, n); // dQ += dS·K
    }
  }
}

/** One attention pass (the args block's kind) over tasks claimed from its counter. */
export function jobAttention(args: usize, tid: i32, nt: i32): void {
  const kind = field(args, 0);
  const B = field(args, 1);
  const L = field(args, 2);
  const S = field(args, 3);
  const rows = min(QT, field(args, 7));
  const scale = <f32>load<f64>(args, 104);
  const scratch = addr(args, 23) + <usize>tid * <usize>field(args, 24);
  const span = kind == GRAD_KV ? KB : kind == GRAD_BATCH ? max(L, 1) : rows;
  const per = kind == GRAD_BATCH ? 1 : ((kind == GRAD_KV ? S : L) + span - 1) / span;
  const tasks = B * per;
  for (let t = claim(args + 24); t < tasks; t = claim(args + 24)) {
    const b = t / per;
    const r0 = (t % per) * span;
    switch (kind) {
      case FORWARD: forwardTile(args, b, r0, min(L, r0 + span), scratch, scale); break;
      case GRAD_Q: gradQTile(args, b, r0, min(L, r0 + span), scratch, scale); break;
      case GRAD_KV: gradKvTile(args, b, r0, min(S, r0 + span), scratch, scale); break;
      case GRAD_BATCH: gradBatch(args, b, scratch, scale); break;
      default: break;
    }
  }
}
