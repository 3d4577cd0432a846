import { defineGrad, stopGradient } from '../autograd.js';
import type { OutputSpec } from '../backend.js';
import { broadcastShapes, fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { arange, full, zeros } from './creation.js';
import {
  add,
  compositeMulti,
  div,
  exp,
  greater,
  greaterEqual,
  isFinite as isFiniteOp,
  log,
  mul,
  sub,
  where,
} from './elementwise.js';
import { matmul } from './linalg.js';
import { dropout } from './nn.js';
import type { Seed } from './random.js';
import { max, sum } from './reduce.js';
import { broadcastTo, reshape } from './shape.js';

/*
 * Scaled dot-product attention with PyTorch 2's `F.scaled_dot_product_attention` semantics. The op
 * flattens the leading (batch, heads) dims of q, k, v to one batch dim B and the mask to the
 * kernel's (Bm, Lm, S) form, then runs the `Attention` composite: a backend's fused kernel (one pass
 * per query row, the B·L·S score matrix never stored) or the decomposition below (matmul, softmax,
 * matmul). Its gradient rule calls `AttentionGrad`, itself a composite whose decomposition
 * recomputes the probabilities from q and k, so gradients of gradients run through primitives.
 */

/** Options of `scaledDotProductAttention`. */
export interface AttentionOptions {
  /**
   * Broadcastable to (…, L, S): bool (true = attend, as PyTorch's boolean `attn_mask`) or float32
   * (added to the scores; −∞ masks). The mask gets no gradient.
   */
  mask?: Tensor;
  /**
   * Query i attends to keys j ≤ i only (aligned top-left, as PyTorch's `is_causal`). May be given
   * with `mask`: both then apply (PyTorch 2 refuses the pair).
   */
  causal?: boolean;
  /** Multiplies q·kᵀ; default 1/√D. */
  scale?: number;
  /** Probability of dropping each attention weight (applied after the softmax); default 0. */
  dropout?: number;
  /** Dropout applies only while training (default true: PyTorch applies `dropout_p` whenever given). */
  training?: boolean;
  /** Seed or generator of the dropout mask. */
  generator?: Seed;
}

const NEG_INF = Number.NEGATIVE_INFINITY;

interface Flat {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  mask: Tensor | undefined;
  batch: number[];
}

/** Checks, then q, k, v as (B, L, D), (B, S, D), (B, S, Dv) and the mask as (Bm, Lm, S) float32. */
function flatten(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | undefined): Flat {
  const op = 'scaledDotProductAttention';
  for (const [name, t] of [
    ['q', q],
    ['k', k],
    ['v', v],
  ] as const) {
    if (t.dtype !== 'float32') throw new TypeError(`${op}: ${name} must be float32, got ${t.dtype}`);
    if (t.rank < 2) {
      throw new RangeError(
        `${op}: ${name} needs at least 2 dims (…, rows, features), got shape ${fmtShape(t.shape)}`,
      );
    }
  }
  const shapes = `q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)}, v ${fmtShape(v.shape)}`;
  const [L, D] = q.shape.slice(-2) as [number, number];
  const [S, Dk] = k.shape.slice(-2) as [number, number];
  const [Sv, Dv] = v.shape.slice(-2) as [number, number];
  if (D === 0)
    throw new RangeError(`${op}: q and k have feature size D = 0 (${shapes}); D must be at least 1`);
  if (Dk !== D) {
    throw new RangeError(`${op}: q has D = ${D} features but k has ${Dk} (${shapes}); they must match`);
  }
  if (Sv !== S) {
    throw new RangeError(`${op}: k has S = ${S} keys but v has ${Sv} values (${shapes}); they must match`);
  }
  let batch: number[];
  try {
    batch = broadcastShapes(op, q.shape.slice(0, -2), k.shape.slice(0, -2), v.shape.slice(0, -2));
  } catch {
    throw new RangeError(`${op}: the leading (batch, heads) dims of ${shapes} do not broadcast`);
  }
  const B = batch.reduce((p, d) => p * d, 1);
  const flat = (t: Tensor, rows: number, cols: number) =>
    reshape(broadcastTo(t, [...batch, rows, cols]), [B, rows, cols]);
  let m: Tensor | undefined;
  if (mask !== undefined) {
    if (mask.dtype !== 'bool' && mask.dtype !== 'float32') {
      throw new TypeError(`${op}: mask must be bool (true = attend) or float32 (added), got ${mask.dtype}`);
    }
    const target = [...batch, L, S];
    let ok = mask.rank <= target.length;
    for (let i = 1; ok && i <= mask.rank; i++) {
      const d = mask.shape[mask.rank - i]!;
      ok = d === 1 || d === target[target.length - i];
    }
    if (!ok) {
      throw new RangeError(
        `${op}: mask of shape ${fmtShape(mask.shape)} does not broadcast to (…, L, S) = ${fmtShape(target)}`,
      );
    }
    const additive = mask.dtype === 'bool' ? where(mask, 0, NEG_INF) : mask;
    const full4 = [...new Array<number>(target.length - mask.rank).fill(1), ...mask.shape];
    const lm = full4[full4.length - 2] === 1 ? 1 : L;
    const perBatch = full4.slice(0, -2).some((d) => d !== 1);
    const bm = perBatch ? B : 1;
    const lead = perBatch ? batch : batch.map(() => 1);
    m = reshape(broadcastTo(reshape(additive, full4), [...lead, lm, S]), [bm, lm, S]);
    m = stopGradient(m);
  }
  return { q: flat(q, L, D), k: flat(k, S, D), v: flat(v, S, Dv), mask: m, batch };
}

/** The (L, S) bool of pairs a causal query may see: key j ≤ query i. */
function causalKeep(L: number, S: number): Tensor {
  return greaterEqual(
    reshape(arange(0, L, 1, { dtype: 'int32' }), [L, 1]),
    arange(0, S, 1, { dtype: 'int32' }),
  );
}

/**
 * Softmax probabilities (B, L, S) and log-sum-exp (B, L, 1) of the masked, scaled scores, from
 * primitives. A row with every score −∞ gives probabilities 0 and lse −∞ (no NaN, in the values or
 * in the gradients: the division only ever sees a safe denominator).
 */
function probabilities(
  q: Tensor,
  k: Tensor,
  mask: Tensor | undefined,
  scale: number,
  causal: boolean,
): [Tensor, Tensor] {
  const [B, L] = q.shape as [number, number, number];
  const S = k.shape[1]!;
  if (S === 0) return [zeros([B, L, 0]), full([B, L, 1], NEG_INF)];
  let s = mul(matmul(q, k, { transposeB: true }), scale);
  if (mask) s = add(s, mask);
  if (causal) s = where(causalKeep(L, S), s, NEG_INF);
  const m = max(s, -1, { keepdims: true });
  const shift = stopGradient(where(isFiniteOp(m), m, 0));
  const e = exp(sub(s, shift));
  const z = sum(e, -1, { keepdims: true });
  const live = greater(z, 0);
  const p = div(e, where(live, z, 1)); // a dead row's e is all 0
  const lse = where(live, add(log(where(live, z, 1)), shift), NEG_INF);
  return [p, lse];
}

function checkScale(scale: number): void {
  if (!Number.isFinite(scale)) {
    throw new RangeError(`scaledDotProductAttention: scale must be a finite number, got ${scale}`);
  }
}

/**
 * Scaled dot-product attention, `softmax(q·kᵀ·scale + mask)·v`, as PyTorch 2's
 * `F.scaled_dot_product_attention`: q (…, L, D), k (…, S, D), v (…, S, Dv) with broadcastable
 * leading dims → (…, L, Dv). A query row that every key is masked from gives 0 (PyTorch gives NaN).
 * Runs the backend's fused `Attention` kernel unless dropout is active.
 * @example
 * // 8 sequences, 4 heads, 128 tokens of 64 features, each token seeing itself and its past
 * const y = scaledDotProductAttention(q, k, v, { causal: true }); // (8, 4, 128, 64)
 */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: AttentionOptions = {},
): Tensor {
  const f = flatten(q, k, v, options.mask);
  const D = q.shape[q.rank - 1]!;
  const scale = options.scale ?? 1 / Math.sqrt(D);
  checkScale(scale);
  const causal = options.causal ?? false;
  const rate = options.dropout ?? 0;
  if (!(rate >= 0 && rate <= 1)) {
    throw new RangeError(`scaledDotProductAttention: dropout must be in [0, 1], got ${rate}`);
  }
  const [B, L] = f.q.shape as [number, number];
  const Dv = f.v.shape[2]!;
  let out: Tensor;
  if (rate > 0 && (options.training ?? true)) {
    // Dropout on the weights: no fused kernel takes a random mask, so always the decomposition.
    const [p] = probabilities(f.q, f.k, f.mask, scale, causal);
    out = matmul(dropout(p, rate, { training: true, seed: options.generator }), f.v);
  } else {
    out = attention(f.q, f.k, f.v, f.mask, { scale, causal }, B, L, Dv)[0]!;
  }
  return reshape(out, [...f.batch, L, Dv]);
}

/** The `Attention` composite on flattened operands: [out (B, L, Dv), lse (B, L)]. */
function attention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  mask: Tensor | undefined,
  attrs: { scale: number; causal: boolean },
  B: number,
  L: number,
  Dv: number,
): Tensor[] {
  const outs: OutputSpec[] = [
    { shape: [B, L, Dv], dtype: 'float32' },
    { shape: [B, L], dtype: 'float32' },
  ];
  const inputs = mask ? [q, k, v, mask] : [q, k, v];
  return compositeMulti('Attention', inputs, attrs, outs, () => {
    const [p, lse] = probabilities(q, k, mask, attrs.scale, attrs.causal);
    return [matmul(p, v), reshape(lse, [B, L])];
  });
}

/**
 * The backward of the `Attention` kernel on flattened operands: [dq, dk, dv] from dout. The fused
 * kernel reads `out` and `lse` (D_i = Σ dout·out, P = exp(s − lse)); the decomposition recomputes P
 * from q and k instead, so it is the exact vjp of the forward's decomposition and a gradient of this
 * gradient flows through q, k, v and dout only (nothing reaches lse, which users never see).
 */
function attentionGrad(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  out: Tensor,
  lse: Tensor,
  dout: Tensor,
  mask: Tensor | undefined,
  attrs: { scale: number; causal: boolean },
): Tensor[] {
  const specs: OutputSpec[] = [q, k, v].map((t) => ({ shape: t.shape, dtype: 'float32' }));
  const inputs = mask ? [q, k, v, out, lse, dout, mask] : [q, k, v, out, lse, dout];
  return compositeMulti('AttentionGrad', inputs, attrs, specs, () => {
    const [p] = probabilities(q, k, mask, attrs.scale, attrs.causal);
    const dv = matmul(p, dout, { transposeA: true });
    const dp = matmul(dout, v, { transposeB: true });
    // softmax backward: dS = P ∘ (dP − Σ_j P·dP)
    const ds = mul(p, sub(dp, sum(mul(p, dp), -1, { keepdims: true })));
    const dq = mul(matmul(ds, k), attrs.scale);
    const dk = mul(matmul(ds, q, { transposeA: true }), attrs.scale);
    return [dq, dk, dv];
  });
}

defineGrad('Attention', ({ dys, inputs, outputs, attrs, needs }) => {
  const [q, k, v, mask] = inputs as [Tensor, Tensor, Tensor, Tensor | undefined];
  // dys[1] (of lse) is dropped: lse never leaves the op, so no user loss depends on it.
  const [dq, dk, dv] = attentionGrad(q, k, v, outputs[0]!, outputs[1]!, dys[0]!, mask, attrs);
  return [needs[0] ? dq! : null, needs[1] ? dk! : null, needs[2] ? dv! : null, ...(mask ? [null] : [])];
});
