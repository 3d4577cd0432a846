import type { TensorInfo } from '@myelin/core';
import { allocate, type CpuKernelTable, valuesOf } from './kernel.js';

/*
 * Fused scaled dot-product attention and its backward. One query row at a time: its S scores go
 * into a float64 scratch row, so the B·L·S score matrix is never stored (memory O(S + Dv) beyond the
 * outputs). Maths in float64, stored as float32, as the other CPU kernels. Mask (Bm, Lm, S) with
 * Bm ∈ {1, B}, Lm ∈ {1, L} broadcast; causal masks key j > query i (top-left, as PyTorch).
 */

/** Offset of mask row (b, i), or −1 without a mask. */
function maskRow(mask: TensorInfo | undefined, b: number, i: number): number {
  if (!mask) return -1;
  const [bm, lm, s] = mask.shape as [number, number, number];
  return (bm === 1 ? 0 : b) * lm * s + (lm === 1 ? 0 : i) * s;
}

export const attentionKernels: CpuKernelTable = {
  // inputs [q (B, L, D), k (B, S, D), v (B, S, Dv), mask?] → [out (B, L, Dv), lse (B, L)]
  Attention: ({
    inputs: [qInfo, kInfo, vInfo, maskInfo],
    attrs: { scale, causal },
    outputs: [oSpec, lSpec],
  }) => {
    const q = valuesOf(qInfo!);
    const k = valuesOf(kInfo!);
    const v = valuesOf(vInfo!);
    const mask = maskInfo ? valuesOf(maskInfo) : undefined;
    const out = allocate(oSpec!);
    const lse = allocate(lSpec!);
    const [B, L, D] = qInfo!.shape as [number, number, number];
    const S = kInfo!.shape[1]!;
    const Dv = vInfo!.shape[2]!;
    const s = new Float64Array(S);
    const acc = new Float64Array(Dv);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < L; i++) {
        const q0 = (b * L + i) * D;
        const m0 = maskRow(maskInfo, b, i);
        const end = causal ? Math.min(S, i + 1) : S;
        // scores and their max
        let mx = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < end; j++) {
          const k0 = (b * S + j) * D;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[q0 + d]! * k[k0 + d]!;
          let sc = dot * scale;
          if (mask) sc += mask[m0 + j]!;
          s[j] = sc;
          if (sc > mx) mx = sc;
        }
        const o0 = (b * L + i) * Dv;
        if (mx === Number.NEGATIVE_INFINITY) {
          // every key masked: out stays 0, lse −∞
          lse[b * L + i] = Number.NEGATIVE_INFINITY;
          continue;
        }
        acc.fill(0);
        let z = 0;
        for (let j = 0; j < end; j++) {
          const e = Math.exp(s[j]! - mx);
          if (e === 0) continue;
          z += e;
          const v0 = (b * S + j) * Dv;
          for (let c = 0; c < Dv; c++) acc[c]! += e * v[v0 + c]!;
        }
        for (let c = 0; c < Dv; c++) out[o0 + c] = acc[c]! / z;
        lse[b * L + i] = mx + Math.log(z);
      }
    }
    return [out, lse];
  },

  // inputs [q, k, v, out, lse, dout, mask?] → [dq, dk, dv]. Per query row: P_ij = exp(s_ij − lse_i),
  // dv_j += P_ij·dout_i, dS_ij = P_ij·(dout_i·v_j − dout_i·out_i), dq_i += scale·dS_ij·k_j,
  // dk_j += scale·dS_ij·q_i. dk and dv of one batch entry accumulate in float64 scratch.
  AttentionGrad: ({
    inputs: [qInfo, kInfo, vInfo, oInfo, lInfo, gInfo, maskInfo],
    attrs: { scale, causal },
    outputs: [dqSpec, dkSpec, dvSpec],
  }) => {
    const q = valuesOf(qInfo!);
    const k = valuesOf(kInfo!);
    const v = valuesOf(vInfo!);
    const out = valuesOf(oInfo!);
    const lse = valuesOf(lInfo!);
    const dout = valuesOf(gInfo!);
    const mask = maskInfo ? valuesOf(maskInfo) : undefined;
    const dq = allocate(dqSpec!);
    const dk = allocate(dkSpec!);
    const dv = allocate(dvSpec!);
    const [B, L, D] = qInfo!.shape as [number, number, number];
    const S = kInfo!.shape[1]!;
    const Dv = vInfo!.shape[2]!;
    const dqRow = new Float64Array(D);
    const dkAcc = new Float64Array(S * D);
    const dvAcc = new Float64Array(S * Dv);
    for (let b = 0; b < B; b++) {
      dkAcc.fill(0);
      dvAcc.fill(0);
      for (let i = 0; i < L; i++) {
        const row = b * L + i;
        const l = lse[row]!;
        if (l === Number.NEGATIVE_INFINITY) continue; // a fully masked row: no gradient
        const q0 = row * D;
        const o0 = row * Dv;
        const m0 = maskRow(maskInfo, b, i);
        const end = causal ? Math.min(S, i + 1) : S;
        let di = 0;
        for (let c = 0; c < Dv; c++) di += dout[o0 + c]! * out[o0 + c]!;
        dqRow.fill(0);
        for (let j = 0; j < end; j++) {
          const k0 = (b * S + j) * D;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[q0 + d]! * k[k0 + d]!;
          let sc = dot * scale;
          if (mask) sc += mask[m0 + j]!;
          const p = Math.exp(sc - l);
          if (p === 0) continue;
          const v0 = (b * S + j) * Dv;
          const a0 = j * Dv;
          let dp = 0;
          for (let c = 0; c < Dv; c++) {
            dp += dout[o0 + c]! * v[v0 + c]!;
            dvAcc[a0 + c]! += p * dout[o0 + c]!;
          }
          const ds = p * (dp - di) * scale;
          const a1 = j * D;
          for (let d = 0; d < D; d++) {
            dqRow[d]! += ds * k[k0 + d]!;
            dkAcc[a1 + d]! += ds * q[q0 + d]!;
          }
        }
        for (let d = 0; d < D; d++) dq[q0 + d] = dqRow[d]!;
      }
      dk.set(dkAcc, b * S * D);
      dv.set(dvAcc, b * S * Dv);
    }
    return [dq, dk, dv];
  },
};
