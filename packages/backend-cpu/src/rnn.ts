import { allocate, type CpuKernelTable, valuesOf } from './kernel.js';

/*
 * The fused recurrent cells: the pointwise half of one LSTM or GRU step and its backward, one pass
 * over the (N, H) state per call instead of the ~15 elementwise kernels (and their temporaries) of
 * the decomposition. Loop order: rows, then units; the gate blocks of a row are H apart, so every
 * read walks up its block. Maths in float64, stored as float32 (as the other CPU kernels).
 */

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export const rnnKernels: CpuKernelTable = {
  // inputs [gates (N, 4H) in order i, f, g, o; c (N, H)] → [h', c']
  LstmCell: ({ inputs: [gatesInfo, cInfo], outputs: [hSpec, cSpec] }) => {
    const gates = valuesOf(gatesInfo);
    const c = valuesOf(cInfo);
    const hOut = allocate(hSpec);
    const cOut = allocate(cSpec);
    const [N, H] = cInfo.shape as [number, number];
    for (let n = 0; n < N; n++) {
      const g0 = n * 4 * H;
      const s0 = n * H;
      for (let j = 0; j < H; j++) {
        const i = sigmoid(gates[g0 + j]);
        const f = sigmoid(gates[g0 + H + j]);
        const g = Math.tanh(gates[g0 + 2 * H + j]);
        const o = sigmoid(gates[g0 + 3 * H + j]);
        const cn = f * c[s0 + j] + i * g;
        cOut[s0 + j] = cn;
        hOut[s0 + j] = o * Math.tanh(cn);
      }
    }
    return [hOut, cOut];
  },

  // inputs [gates, c, dh', dc'] → [dgates (N, 4H), dc (N, H)]; recomputes the activations.
  LstmCellGrad: ({ inputs: [gatesInfo, cInfo, dhInfo, dcInfo], outputs: [gSpec, cSpec] }) => {
    const gates = valuesOf(gatesInfo);
    const c = valuesOf(cInfo);
    const dh = valuesOf(dhInfo);
    const dc = valuesOf(dcInfo);
    const dGates = allocate(gSpec);
    const dPrev = allocate(cSpec);
    const [N, H] = cInfo.shape as [number, number];
    for (let n = 0; n < N; n++) {
      const g0 = n * 4 * H;
      const s0 = n * H;
      for (let j = 0; j < H; j++) {
        const i = sigmoid(gates[g0 + j]);
        const f = sigmoid(gates[g0 + H + j]);
        const g = Math.tanh(gates[g0 + 2 * H + j]);
        const o = sigmoid(gates[g0 + 3 * H + j]);
        const cp = c[s0 + j];
        const tc = Math.tanh(f * cp + i * g);
        const dhv = dh[s0 + j];
        // dL/dc' in full: its own cotangent plus the path through h' = o·tanh(c').
        const dct = dc[s0 + j] + dhv * o * (1 - tc * tc);
        dGates[g0 + j] = dct * g * i * (1 - i);
        dGates[g0 + H + j] = dct * cp * f * (1 - f);
        dGates[g0 + 2 * H + j] = dct * i * (1 - g * g);
        dGates[g0 + 3 * H + j] = dhv * tc * o * (1 - o);
        dPrev[s0 + j] = dct * f;
      }
    }
    return [dGates, dPrev];
  },

  // inputs [gx (N, 3H), gh (N, 3H) in order r, z, n; h (N, H)] → h'
  GruCell: ({ inputs: [gxInfo, ghInfo, hInfo], outputs: [spec] }) => {
    const gx = valuesOf(gxInfo);
    const gh = valuesOf(ghInfo);
    const h = valuesOf(hInfo);
    const out = allocate(spec);
    const [N, H] = hInfo.shape as [number, number];
    for (let b = 0; b < N; b++) {
      const g0 = b * 3 * H;
      const s0 = b * H;
      for (let j = 0; j < H; j++) {
        const r = sigmoid(gx[g0 + j] + gh[g0 + j]);
        const z = sigmoid(gx[g0 + H + j] + gh[g0 + H + j]);
        const nn = Math.tanh(gx[g0 + 2 * H + j] + r * gh[g0 + 2 * H + j]);
        out[s0 + j] = nn + z * (h[s0 + j] - nn);
      }
    }
    return [out];
  },

  // inputs [gx, gh, h, dh'] → [dgx, dgh, dh (the direct path z·dh' only)]
  GruCellGrad: ({ inputs: [gxInfo, ghInfo, hInfo, dInfo], outputs: [gxSpec, ghSpec, hSpec] }) => {
    const gx = valuesOf(gxInfo);
    const gh = valuesOf(ghInfo);
    const h = valuesOf(hInfo);
    const d = valuesOf(dInfo);
    const dgx = allocate(gxSpec);
    const dgh = allocate(ghSpec);
    const dh = allocate(hSpec);
    const [N, H] = hInfo.shape as [number, number];
    for (let b = 0; b < N; b++) {
      const g0 = b * 3 * H;
      const s0 = b * H;
      for (let j = 0; j < H; j++) {
        const r = sigmoid(gx[g0 + j] + gh[g0 + j]);
        const z = sigmoid(gx[g0 + H + j] + gh[g0 + H + j]);
        const ghn = gh[g0 + 2 * H + j];
        const nn = Math.tanh(gx[g0 + 2 * H + j] + r * ghn);
        const dv = d[s0 + j];
        const dn = dv * (1 - z) * (1 - nn * nn);
        const dz = dv * (h[s0 + j] - nn) * z * (1 - z);
        const dr = dn * ghn * r * (1 - r);
        dgx[g0 + j] = dr;
        dgx[g0 + H + j] = dz;
        dgx[g0 + 2 * H + j] = dn;
        dgh[g0 + j] = dr;
        dgh[g0 + H + j] = dz;
        dgh[g0 + 2 * H + j] = dn * r;
        dh[s0 + j] = dv * z;
      }
    }
    return [dgx, dgh, dh];
  },
};
