import * as m from '@myelin/core';
import type { CaseBuilder, InputSpec } from '../generated.js';
import type { OpFn } from '../ops-table.js';
import type { Ref, RefOp } from '../reference.js';

/*
 * Scaled dot-product attention: its generated edge cases, the call into core, a float64 reference
 * and which inputs get gradients. The reference is written here from the formula,
 * out = softmax(scale·q·kᵀ + mask)·v per query row, with NumPy broadcasting of the leading dims
 * and of the mask, causal top-left (key j visible to query i when j ≤ i), and 0 for a row that
 * sees no key (our documented choice; PyTorch gives NaN there).
 */

/** Op name → the core call of a case. */
export const ATTENTION_OPS: Readonly<Record<string, OpFn>> = {
  scaledDotProductAttention: ([q, k, v, mask], a) =>
    m.scaledDotProductAttention(q!, k!, v!, { mask, causal: a.causal, scale: a.scale }),
};

const sizeOf = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** Broadcast of the trailing-aligned shapes (the shapes are known to broadcast). */
function broadcast(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) for (let d = 0; d < s.length; d++) if (s[d] !== 1) out[rank - s.length + d] = s[d]!;
  return out;
}

/** Flat offset into `shape` of the broadcast index `idx` (trailing-aligned, size-1 dims repeat). */
function offset(shape: readonly number[], idx: readonly number[]): number {
  const lead = idx.length - shape.length;
  let f = 0;
  for (let d = 0; d < shape.length; d++) f = f * shape[d]! + (shape[d] === 1 ? 0 : idx[lead + d]!);
  return f;
}

/** The index tuple of flat position `flat` in `shape`. */
function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return idx;
}

/** [q, k, v, mask?] → [out]: every query row on its own, in float64. */
function attentionRef([q, k, v, mask]: readonly Ref[], a: { causal?: boolean; scale?: number }): Ref[] {
  const [L, D] = q!.shape.slice(-2) as [number, number];
  const S = k!.shape[k!.shape.length - 2]!;
  const Dv = v!.shape[v!.shape.length - 1]!;
  const batch = broadcast(q!.shape.slice(0, -2), k!.shape.slice(0, -2), v!.shape.slice(0, -2));
  const scale = a.scale ?? 1 / Math.sqrt(D);
  const outShape = [...batch, L, Dv];
  const out = new Array<number>(sizeOf(outShape)).fill(0);
  const rowsOf = (t: Ref, idx: number[]) => offset(t.shape, [...idx, 0, 0]);
  for (let bf = 0; bf < sizeOf(batch); bf++) {
    const bi = unravel(bf, batch);
    const q0 = rowsOf(q!, bi);
    const k0 = rowsOf(k!, bi);
    const v0 = rowsOf(v!, bi);
    for (let i = 0; i < L; i++) {
      const s: number[] = [];
      for (let j = 0; j < S; j++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q!.data[q0 + i * D + d]! * k!.data[k0 + j * D + d]!;
        let sc = dot * scale;
        if (mask) {
          const mv = mask.data[offset(mask.shape, [...bi, i, j])]!;
          sc = mask.dtype === 'bool' ? (mv ? sc : Number.NEGATIVE_INFINITY) : sc + mv;
        }
        if (a.causal && j > i) sc = Number.NEGATIVE_INFINITY;
        s.push(sc);
      }
      const mx = Math.max(Number.NEGATIVE_INFINITY, ...s);
      if (mx === Number.NEGATIVE_INFINITY) continue; // no key visible: the row stays 0
      const e = s.map((x) => Math.exp(x - mx));
      const z = e.reduce((p, x) => p + x, 0);
      for (let c = 0; c < Dv; c++) {
        let acc = 0;
        for (let j = 0; j < S; j++) acc += e[j]! * v!.data[v0 + j * Dv + c]!;
        out[(bf * L + i) * Dv + c] = acc / z;
      }
    }
  }
  return [{ shape: outShape, dtype: 'float32', data: out }];
}

/** Op name → float64 reference. */
export const ATTENTION_REFERENCE: Readonly<Record<string, RefOp>> = {
  scaledDotProductAttention: attentionRef,
};

/** Op name → positions of the inputs that get gradients (q, k, v; never the mask). */
export const ATTENTION_DIFFERENTIABLE: Readonly<Record<string, readonly number[] | 'all'>> = {
  scaledDotProductAttention: [0, 1, 2],
};

const f = (shape: number[]): InputSpec => ({ shape, dtype: 'float32' });
const bool = (shape: number[], data?: number[]): InputSpec => ({
  shape,
  dtype: 'bool',
  ...(data ? { data } : {}),
});
const fmt = (s: readonly number[]) => `[${s.join(',')}]`;

/**
 * Add the generated cases: L = 1, S = 1, L ≠ S, D ≠ Dv, causal with L < S and L > S, batch 1,
 * several heads, broadcast leading dims, every mask form (bool and float; per key, per row, per
 * batch, per head, full), a fully masked row, no keys and an empty batch.
 */
export function attentionCases(b: CaseBuilder): void {
  const op = 'scaledDotProductAttention';
  const qkv = (lead: number[], L: number, S: number, D: number, Dv: number) => [
    f([...lead, L, D]),
    f([...lead, S, D]),
    f([...lead, S, Dv]),
  ];
  const shapes: [number[], number, number, number, number][] = [
    [[1], 1, 1, 1, 1],
    [[2], 1, 4, 3, 3],
    [[2], 4, 1, 3, 2],
    [[1], 3, 5, 4, 2],
    [[2, 3], 4, 3, 2, 5],
    [[], 3, 3, 4, 4],
  ];
  for (const [lead, L, S, D, Dv] of shapes) {
    const d = `q ${fmt([...lead, L, D])} k/v S ${S}, Dv ${Dv}`;
    b.add(op, d, qkv(lead, L, S, D, Dv));
  }
  // causal, top-left aligned: L < S (the last keys unseen by every row), L > S (late rows see all)
  b.add(op, 'causal L 3 < S 5', qkv([2], 3, 5, 4, 3), { causal: true });
  b.add(op, 'causal L 5 > S 3', qkv([2], 5, 3, 4, 3), { causal: true });
  b.add(op, 'causal L = S = 1', qkv([1], 1, 1, 2, 2), { causal: true });
  b.add(op, 'scale 0.7', qkv([2], 3, 4, 2, 3), { scale: 0.7 });
  // leading dims broadcast: one k/v for every head, one q for every batch entry
  b.add(op, 'k, v broadcast over heads', [f([2, 3, 4, 5]), f([2, 1, 3, 5]), f([2, 1, 3, 2])]);
  b.add(op, 'q broadcast over batch', [f([1, 2, 4, 3]), f([3, 2, 5, 3]), f([3, 1, 5, 2])]);
  // masks of every broadcast form, bool (true = attend) and float (added)
  const lead = [2, 3];
  const [L, S] = [4, 5];
  const forms: [string, number[]][] = [
    ['per key (S)', [S]],
    ['per query row (L, 1)', [L, 1]],
    ['(L, S)', [L, S]],
    ['per batch (B, 1, L, S)', [2, 1, L, S]],
    ['per head (1, H, 1, S)', [1, 3, 1, S]],
    ['full (B, H, L, S)', [...lead, L, S]],
  ];
  for (const [name, shape] of forms) {
    // every bool mask keeps key 0 for every row, so no row is fully masked by chance
    const keep = sizeOf(shape) > 0 ? boolKeepingFirst(shape) : [];
    b.add(op, `bool mask ${name}`, [...qkv(lead, L, S, 3, 2), bool(shape, keep)]);
    b.add(op, `float mask ${name}`, [...qkv(lead, L, S, 3, 2), f(shape)]);
  }
  b.add(op, 'bool mask with causal', [...qkv([2], 4, 4, 3, 2), bool([4, 4], boolKeepingFirst([4, 4]))], {
    causal: true,
  });
  // a fully masked row (row 1 sees no key): its output and gradients are 0
  const rowMask = [1, 0, 1, 0, 0, 0, 1, 1, 1];
  b.add(op, 'fully masked row (bool)', [...qkv([2], 3, 3, 2, 2), bool([3, 3], rowMask)]);
  b.add(op, 'fully masked row (float −∞)', [
    ...qkv([1], 2, 3, 2, 2),
    { shape: [2, 3], dtype: 'float32', data: [0.5, -1, 0, -Infinity, -Infinity, -Infinity] },
  ]);
  b.add(op, 'no keys (S 0)', qkv([2], 3, 0, 2, 2));
  b.add(op, 'empty batch', qkv([0], 3, 4, 2, 2));
  b.add(op, 'no query rows (L 0)', qkv([2], 0, 4, 2, 2));
}

/** A bool mask that is 1 at key 0 of every row and alternates elsewhere. */
function boolKeepingFirst(shape: readonly number[]): number[] {
  const S = shape[shape.length - 1]!;
  return Array.from({ length: sizeOf(shape) }, (_, i) => (i % S === 0 || (i * 7) % 3 === 0 ? 1 : 0));
}
