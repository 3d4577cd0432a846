import { cpuBackend } from '@myelin/backend-cpu';
import type { DataId, OutputSpec } from '@myelin/core';
import * as m from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { type WebGpuBackend, webgpuBackend } from '../src/index.js';
import { ATTENTION_LIMITS } from '../src/kernels/attention.js';

/*
 * The fused attention kernels (Attention, AttentionGrad) called directly on the backend, against a
 * float64 reference written here from the contract in core's kernels.ts: scores = scale·q·kᵀ + mask
 * (−∞ above the diagonal when causal, top-left aligned), out = softmax(scores)·v, lse the row's
 * log-sum-exp; a row with no finite score gives out 0 and lse −∞ (and no gradient). The reference's
 * gradients are the textbook softmax-attention derivatives over the full float64 P matrix, and are
 * themselves checked against central differences of the float64 forward.
 */

let gpu: WebGpuBackend | null = null;
let reason = '';
try {
  gpu = await webgpuBackend();
} catch (e) {
  reason = (e as Error).message;
}

function values(count: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return Float32Array.from({ length: count }, () => (u() - 0.5) * 2 * scale);
}

interface Case {
  B: number;
  L: number;
  S: number;
  D: number;
  Dv: number;
  causal?: boolean;
  /** (Bm, Lm) of an additive mask (Bm, Lm, S). */
  mask?: [number, number];
  scale?: number;
}

interface Data {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  dout: Float32Array;
  mask: Float32Array | null;
}

/** Random inputs; a mask has −∞ entries (about 1 in 5) and whole −∞ rows where it has several rows. */
function makeData(c: Case, seed: number): Data {
  const { B, L, S, D, Dv } = c;
  let mask: Float32Array | null = null;
  if (c.mask) {
    const [bm, lm] = c.mask;
    mask = values(bm * lm * S, seed + 4, 2);
    const u = values(bm * lm * S, seed + 5);
    for (let i = 0; i < mask.length; i++) if (u[i]! > 0.6) mask[i] = -Infinity;
    if (lm > 1) mask.fill(-Infinity, S, 2 * S); // row 1 of batch 0 sees nothing
  }
  return {
    q: values(B * L * D, seed),
    k: values(B * S * D, seed + 1),
    v: values(B * S * Dv, seed + 2),
    dout: values(B * L * Dv, seed + 3),
    mask,
  };
}

/** float64 scores of row (b, i): scale·q·k + mask, −∞ above the causal diagonal. */
function scoreRow(c: Case, x: Data, b: number, i: number, scale: number): Float64Array {
  const { L, S, D } = c;
  const row = new Float64Array(S);
  for (let j = 0; j < S; j++) {
    let s = 0;
    for (let d = 0; d < D; d++) s += x.q[(b * L + i) * D + d]! * x.k[(b * S + j) * D + d]!;
    s *= scale;
    if (x.mask && c.mask) {
      const [bm, lm] = c.mask;
      s += x.mask[(bm === 1 ? 0 : b) * lm * S + (lm === 1 ? 0 : i) * S + j]!;
    }
    if (c.causal && j > i) s = -Infinity;
    row[j] = s;
  }
  return row;
}

/** Forward and backward in float64 through the full P matrix. */
function reference(c: Case, x: Data) {
  const { B, L, S, D, Dv } = c;
  const scale = c.scale ?? 1 / Math.sqrt(D);
  const out = new Float64Array(B * L * Dv);
  const lse = new Float64Array(B * L);
  const dq = new Float64Array(B * L * D);
  const dk = new Float64Array(B * S * D);
  const dv = new Float64Array(B * S * Dv);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < L; i++) {
      const s = scoreRow(c, x, b, i, scale);
      const m = Math.max(...s);
      if (m === -Infinity) {
        lse[b * L + i] = -Infinity;
        continue;
      }
      let z = 0;
      for (const v of s) z += Math.exp(v - m);
      lse[b * L + i] = m + Math.log(z);
      const p = Float64Array.from(s, (v) => Math.exp(v - m) / z);
      const o = (b * L + i) * Dv;
      for (let j = 0; j < S; j++)
        for (let d = 0; d < Dv; d++) out[o + d]! += p[j]! * x.v[(b * S + j) * Dv + d]!;
      // dP_j = dout·v_j; dS_j = P_j (dP_j − Σ_j' P_j' dP_j'); dq = scale Σ dS_j k_j; dk_j += scale dS_j q
      const dp = new Float64Array(S);
      let dot = 0;
      for (let j = 0; j < S; j++) {
        for (let d = 0; d < Dv; d++) dp[j]! += x.dout[o + d]! * x.v[(b * S + j) * Dv + d]!;
        dot += p[j]! * dp[j]!;
      }
      for (let j = 0; j < S; j++) {
        const ds = p[j]! * (dp[j]! - dot) * scale;
        for (let d = 0; d < D; d++) {
          dq[(b * L + i) * D + d]! += ds * x.k[(b * S + j) * D + d]!;
          dk[(b * S + j) * D + d]! += ds * x.q[(b * L + i) * D + d]!;
        }
        for (let d = 0; d < Dv; d++) dv[(b * S + j) * Dv + d]! += p[j]! * x.dout[o + d]!;
      }
    }
  return { out, lse, dq, dk, dv };
}

/** Σ dout·out of the float64 forward (the loss whose gradients the backward returns). */
function loss(c: Case, x: Data): number {
  const { out } = reference(c, x);
  let l = 0;
  for (let i = 0; i < out.length; i++) l += out[i]! * x.dout[i]!;
  return l;
}

const ATTENTION_KERNELS = ['Attention', 'AttentionGrad'] as const;

/** Count calls of the attention kernels on `b` while `f` runs. */
async function counting<T>(b: m.Backend, f: () => Promise<T>): Promise<[T, Record<string, number>]> {
  const table = b.kernels as Record<string, ((args: unknown) => DataId[]) | undefined>;
  const saved = ATTENTION_KERNELS.map((k) => table[k]);
  const calls: Record<string, number> = {};
  for (const k of ATTENTION_KERNELS) {
    const impl = table[k];
    if (!impl) continue;
    calls[k] = 0;
    table[k] = (args) => {
      calls[k]!++;
      return impl(args);
    };
  }
  try {
    return [await f(), calls];
  } finally {
    ATTENTION_KERNELS.forEach((k, i) => {
      table[k] = saved[i];
    });
  }
}

/**
 * SGD steps of one causal self-attention layer through core's `scaledDotProductAttention` on `b`:
 * 2 sequences × 2 heads of length 12, head dim 8, an additive (L, S) mask with −∞ entries, loss the
 * mean square of the output. Returns the losses and the backend's live handles after each step.
 */
async function trainAttention(b: m.Backend, steps: number) {
  await m.use(b);
  const x = m.tensor(values(2 * 12 * 16, 61), { shape: [24, 16] });
  const maskValues = values(12 * 12, 62);
  maskValues.forEach((v, i) => {
    if (v > 0.7 && i % 12 !== 0) maskValues[i] = -Infinity;
  });
  const mask = m.tensor(maskValues, { shape: [12, 12] });
  const ws = [63, 64, 65].map((seed) => {
    const init = m.tensor(values(16 * 16, seed, 0.5), { shape: [16, 16] });
    const p = new m.Parameter(init);
    init.dispose();
    return p;
  });
  const heads = (t: m.Tensor) => m.permute(t.reshape([2, 12, 2, 8]), [0, 2, 1, 3]);
  const losses: number[] = [];
  const handles: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = m.scope(() => {
      const [q, k, v] = ws.map((w) => heads(x.matmul(w)));
      const out = m.scaledDotProductAttention(q!, k!, v!, { causal: true, mask });
      const l = out.square().mean();
      l.backward();
      return l;
    });
    m.noGrad(() => {
      for (const w of ws) {
        m.scope(() => {
          w.assign(w.sub(w.grad!.mul(0.5)));
        });
        w.grad!.dispose();
        w.grad = null;
      }
    });
    losses.push((await loss.data())[0]!);
    loss.dispose();
    handles.push(m.memory().backends[b.name]?.handles ?? 0);
  }
  for (const t of [x, mask, ...ws]) t.dispose();
  return { losses, handles };
}

// --- running the kernels ---------------------------------------------------------------------

const shapes = (c: Case) => ({
  q: [c.B, c.L, c.D],
  k: [c.B, c.S, c.D],
  v: [c.B, c.S, c.Dv],
  out: [c.B, c.L, c.Dv],
  lse: [c.B, c.L],
  mask: c.mask ? [c.mask[0], c.mask[1], c.S] : null,
});

type Info = { dataId: DataId; shape: number[]; dtype: 'float32' };

function put(b: WebGpuBackend, v: Float32Array, shape: number[]): Info {
  return { dataId: b.write(v, 'float32'), shape, dtype: 'float32' };
}

const specs = (...s: number[][]): OutputSpec[] => s.map((shape) => ({ shape, dtype: 'float32' }));

/** Forward then backward on the GPU; returns every output as Float32Array and frees all. */
async function runGpu(c: Case, x: Data) {
  const b = gpu as WebGpuBackend;
  const sh = shapes(c);
  const scale = c.scale ?? 1 / Math.sqrt(c.D);
  const attrs = { scale, causal: c.causal ?? false };
  const ins = [put(b, x.q, sh.q), put(b, x.k, sh.k), put(b, x.v, sh.v)];
  const mask = x.mask && sh.mask ? [put(b, x.mask, sh.mask)] : [];
  const [out, lse] = (b.kernels.Attention as (a: unknown) => DataId[])({
    inputs: [...ins, ...mask],
    attrs,
    outputs: specs(sh.out, sh.lse),
  });
  const dout = put(b, x.dout, sh.out);
  const grads = (b.kernels.AttentionGrad as (a: unknown) => DataId[])({
    inputs: [
      ...ins,
      { dataId: out!, shape: sh.out, dtype: 'float32' },
      { dataId: lse!, shape: sh.lse, dtype: 'float32' },
      dout,
      ...mask,
    ],
    attrs,
    outputs: specs(sh.q, sh.k, sh.v),
  });
  const read = async (id: DataId) => Float32Array.from(await b.read(id));
  const res = {
    out: await read(out!),
    lse: await read(lse!),
    dq: await read(grads[0]!),
    dk: await read(grads[1]!),
    dv: await read(grads[2]!),
  };
  for (const t of [...ins, ...mask, dout]) b.free(t.dataId);
  for (const id of [out!, lse!, ...grads]) b.free(id);
  return res;
}

/** Largest |got − want| / (1 + |want|); −∞ must be met exactly. */
function worst(name: string, got: Float32Array, want: Float64Array): number {
  expect(got.length, `${name} length`).toBe(want.length);
  let w = 0;
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(want[i]!)) {
      expect(got[i], `${name}[${i}]`).toBe(want[i]);
      continue;
    }
    const e = Number.isFinite(got[i]!) ? Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)) : Infinity;
    w = Math.max(w, e);
  }
  return w;
}

async function check(c: Case, seed: number, tol = 2e-5): Promise<void> {
  const x = makeData(c, seed);
  const want = reference(c, x);
  const got = await runGpu(c, x);
  const label = JSON.stringify(c);
  for (const key of ['out', 'lse', 'dq', 'dk', 'dv'] as const) {
    expect(worst(key, got[key], want[key]), `${key} of ${label}`).toBeLessThan(tol);
  }
}

describe.skipIf(!gpu)(`webgpu fused attention${gpu ? '' : ` (skipped: ${reason})`}`, () => {
  it('the float64 reference: a hand-computed row, and gradients matching central differences', () => {
    // one query, two keys: scores [0, ln 3] → P = [1/4, 3/4]; out = P·v; lse = ln 4
    const c: Case = { B: 1, L: 1, S: 2, D: 1, Dv: 1, scale: Math.log(3) };
    const x: Data = {
      q: Float32Array.from([1]),
      k: Float32Array.from([0, 1]),
      v: Float32Array.from([4, 8]),
      dout: Float32Array.from([1]),
      mask: null,
    };
    const r = reference(c, x);
    expect(r.out[0]).toBeCloseTo(7, 12);
    expect(r.lse[0]).toBeCloseTo(Math.log(4), 12);
    // the derivatives against central differences, with causal masking and a mask with −∞
    const small: Case = { B: 2, L: 3, S: 4, D: 3, Dv: 2, causal: true, mask: [2, 1] };
    const d = makeData(small, 7);
    const g = reference(small, d);
    for (const [key, grad] of [
      ['q', g.dq],
      ['k', g.dk],
      ['v', g.dv],
    ] as const) {
      const arr = d[key];
      for (let i = 0; i < arr.length; i++) {
        const keep = arr[i]!;
        // the inputs are float32: step by what float32 can hold
        const hi = Math.fround(keep + 1e-3);
        const lo = Math.fround(keep - 1e-3);
        arr[i] = hi;
        const up = loss(small, d);
        arr[i] = lo;
        const down = loss(small, d);
        arr[i] = keep;
        expect(Math.abs((up - down) / (hi - lo) - grad[i]!), `d${key}[${i}]`).toBeLessThan(1e-5);
      }
    }
  });

  // Each distinct (D, Dv, causal, mask) compiles three shaders, slow on llvmpipe: the edge cases
  // share D = 8, Dv = 4 (D ≠ Dv), and the head-dim cases pick one path each.
  const SLOW = { timeout: 180_000 };

  it('L ≠ S, D ≠ Dv, L = 1, S = 1, batch·heads > 1, several query and key blocks', SLOW, async () => {
    await check({ B: 2, L: 5, S: 7, D: 8, Dv: 4 }, 1);
    await check({ B: 3, L: 1, S: 33, D: 8, Dv: 4 }, 2);
    await check({ B: 2, L: 9, S: 1, D: 8, Dv: 4 }, 3);
    await check({ B: 2, L: 130, S: 70, D: 8, Dv: 4 }, 4);
  });

  it('causal, top-left aligned, with L < S and L > S, across block boundaries', SLOW, async () => {
    await check({ B: 2, L: 20, S: 70, D: 8, Dv: 4, causal: true }, 11);
    await check({ B: 1, L: 150, S: 40, D: 8, Dv: 4, causal: true }, 12);
    await check({ B: 1, L: 1, S: 5, D: 8, Dv: 4, causal: true }, 13); // one query sees key 0 only
  });

  it(
    'additive masks of every broadcast shape, −∞ entries and a fully masked row (out 0, lse −∞, no gradient)',
    SLOW,
    async () => {
      await check({ B: 2, L: 6, S: 9, D: 8, Dv: 4, mask: [1, 1] }, 21);
      await check({ B: 2, L: 6, S: 9, D: 8, Dv: 4, mask: [2, 1] }, 22);
      await check({ B: 2, L: 6, S: 9, D: 8, Dv: 4, mask: [1, 6] }, 23);
      await check({ B: 2, L: 70, S: 9, D: 8, Dv: 4, mask: [2, 70] }, 24);
      await check({ B: 2, L: 70, S: 90, D: 8, Dv: 4, mask: [2, 70], causal: true }, 25);
      const c: Case = { B: 1, L: 3, S: 4, D: 8, Dv: 4, mask: [1, 3] };
      const got = await runGpu(c, makeData(c, 26));
      expect(got.lse[1]).toBe(-Infinity);
      expect(Array.from(got.out.subarray(4, 8))).toEqual([0, 0, 0, 0]);
      expect(Array.from(got.dq.subarray(8, 16))).toEqual(new Array(8).fill(0));
    },
  );

  it(
    'head dims 32/24 (registers), 200/130 (global-memory rows, chunked loops with tails), 4,096 (no tiles)',
    SLOW,
    async () => {
      const { CHUNK, SHARED_FLOATS } = ATTENTION_LIMITS;
      await check({ B: 2, L: 40, S: 45, D: 32, Dv: 24 }, 31);
      expect(200).toBeGreaterThan(CHUNK);
      await check({ B: 1, L: 5, S: 70, D: 200, Dv: 130 }, 32, 5e-5);
      // a K row plus a V row wider than all of workgroup memory
      expect(4096 + 8).toBeGreaterThan(SHARED_FLOATS);
      await check({ B: 1, L: 2, S: 3, D: 4096, Dv: 8 }, 33, 1e-4);
    },
  );

  it('empty inputs: no queries, no keys (out 0, lse −∞, gradients 0), D = 0, Dv = 0', SLOW, async () => {
    // D = 0: every score is 0 (plus the mask), uniform weights; Dv = 0: an empty output
    await check({ B: 2, L: 3, S: 4, D: 0, Dv: 4, scale: 0.5, mask: [1, 3] }, 43);
    await check({ B: 2, L: 3, S: 4, D: 8, Dv: 0, causal: true }, 44);
    const noKeys: Case = { B: 2, L: 3, S: 0, D: 8, Dv: 4 };
    const got = await runGpu(noKeys, makeData(noKeys, 41));
    expect(Array.from(got.out)).toEqual(new Array(24).fill(0));
    expect(Array.from(got.lse)).toEqual(new Array(6).fill(-Infinity));
    expect(Array.from(got.dq)).toEqual(new Array(48).fill(0));
    expect(got.dk.length + got.dv.length).toBe(0);
    const noQueries: Case = { B: 2, L: 0, S: 3, D: 8, Dv: 4 };
    const none = await runGpu(noQueries, makeData(noQueries, 42));
    expect(none.out.length + none.lse.length + none.dq.length).toBe(0);
    expect(Array.from(none.dk)).toEqual(new Array(48).fill(0));
    expect(Array.from(none.dv)).toEqual(new Array(24).fill(0));
  });

  it(
    'head dim 64 at sequence 1,024: matches the reference, deterministic, memory O(L·D) (no L×S scores)',
    SLOW,
    async () => {
      const b = gpu as WebGpuBackend;
      const c: Case = { B: 1, L: 1024, S: 1024, D: 64, Dv: 64, causal: true };
      const x = makeData(c, 51);
      const want = reference(c, x);
      const sh = shapes(c);
      const attrs = { scale: 1 / 8, causal: true };
      const handles = b.memory().handles;
      const ins = [put(b, x.q, sh.q), put(b, x.k, sh.k), put(b, x.v, sh.v)];
      const dout = put(b, x.dout, sh.out);
      await b.sync();
      b.rt.pool.trim();
      const before = b.rt.pool.allocatedBytes;
      const [out, lse] = (b.kernels.Attention as (a: unknown) => DataId[])({
        inputs: ins,
        attrs,
        outputs: specs(sh.out, sh.lse),
      });
      const grads = (b.kernels.AttentionGrad as (a: unknown) => DataId[])({
        inputs: [
          ...ins,
          { dataId: out!, shape: sh.out, dtype: 'float32' },
          { dataId: lse!, shape: sh.lse, dtype: 'float32' },
          dout,
        ],
        attrs,
        outputs: specs(sh.q, sh.k, sh.v),
      });
      await b.sync();
      const grown = b.rt.pool.allocatedBytes - before;
      // outputs (out, lse, dq, dk, dv) + scratch (stats (L, 2), dk|dv (S, D + Dv)) + parameter
      // buffers, each rounded up to its pool size class (≤ 2×): far below one L×S float32 matrix.
      const { L, S, D, Dv } = c;
      const linear = 4 * (L * Dv + L + L * D + S * D + S * Dv + 2 * L + S * (D + Dv));
      expect(grown).toBeLessThanOrEqual(2 * linear + 16 * 256);
      expect(2 * linear + 16 * 256).toBeLessThan(4 * L * S);
      const read = async (id: DataId) => Float32Array.from(await b.read(id));
      const got = {
        out: await read(out!),
        lse: await read(lse!),
        dq: await read(grads[0]!),
        dk: await read(grads[1]!),
        dv: await read(grads[2]!),
      };
      for (const key of ['out', 'lse', 'dq', 'dk', 'dv'] as const) {
        expect(worst(key, got[key], want[key]), key).toBeLessThan(2e-5);
      }
      // the same call again gives the same bits
      const [out2, lse2] = (b.kernels.Attention as (a: unknown) => DataId[])({
        inputs: ins,
        attrs,
        outputs: specs(sh.out, sh.lse),
      });
      expect(Array.from(await read(out2!))).toEqual(Array.from(got.out));
      for (const t of [...ins, dout]) b.free(t.dataId);
      for (const id of [out!, lse!, ...grads]) b.free(id);
      b.free(out2!);
      b.free(lse2!);
      expect(b.memory().handles).toBe(handles);
    },
  );

  it(
    'a causal self-attention layer trains through core on webgpu with the fused kernels: the CPU decomposition’s losses, flat memory',
    SLOW,
    async () => {
      const steps = 4;
      const reference = cpuBackend();
      for (const k of ATTENTION_KERNELS) delete (reference.kernels as Record<string, unknown>)[k];
      const want = await trainAttention(reference, steps);
      const g = gpu as WebGpuBackend;
      const [got, calls] = await counting(g, () => trainAttention(g, steps));
      await m.use(reference);
      expect(calls).toEqual({ Attention: steps, AttentionGrad: steps });
      const detail = JSON.stringify([want.losses, got.losses]);
      for (let i = 0; i < steps; i++) {
        const err = Math.abs(got.losses[i]! - want.losses[i]!) / (1 + Math.abs(want.losses[i]!));
        expect(err, `step ${i} ${detail}`).toBeLessThan(1e-5);
      }
      expect(got.losses[steps - 1]!, detail).toBeLessThan(got.losses[0]!);
      for (let i = 1; i < steps; i++) expect(got.handles[i], `handles after step ${i}`).toBe(got.handles[0]);
    },
  );

  it('bad shapes are refused naming the kernel, what it got and what it expected', () => {
    const b = gpu as WebGpuBackend;
    const before = b.memory().handles;
    const call = (name: 'Attention' | 'AttentionGrad', shapes: number[][], outs: number[][]) => {
      const ins = shapes.map((s) => put(b, new Float32Array(s.reduce((p, q) => p * q, 1)), s));
      try {
        (b.kernels[name] as (a: unknown) => DataId[])({
          inputs: ins,
          attrs: { scale: 1, causal: false },
          outputs: specs(...outs),
        });
      } finally {
        for (const t of ins) b.free(t.dataId);
      }
    };
    expect(() =>
      call(
        'Attention',
        [
          [2, 3, 4],
          [2, 5, 4],
          [2, 6, 4],
        ],
        [
          [2, 3, 4],
          [2, 3],
        ],
      ),
    ).toThrow(
      'Attention: q [2, 3, 4], k [2, 5, 4] and v [2, 6, 4] do not fit; expected q (B, L, D), k (B, S, D), v (B, S, Dv)',
    );
    expect(() =>
      call(
        'Attention',
        [
          [2, 3, 4],
          [2, 5, 4],
          [2, 5, 1],
          [1, 2, 5],
        ],
        [
          [2, 3, 1],
          [2, 3],
        ],
      ),
    ).toThrow(
      'Attention: the mask has shape [1, 2, 5]; expected (Bm, Lm, 5) with Bm ∈ {1, 2} and Lm ∈ {1, 3}',
    );
    expect(() =>
      call(
        'Attention',
        [
          [3, 4],
          [2, 5, 4],
          [2, 5, 1],
        ],
        [
          [2, 3, 1],
          [2, 3],
        ],
      ),
    ).toThrow('Attention: q must be 3-D, got shape [3, 4]');
    expect(() =>
      call(
        'Attention',
        [
          [2, 3, 4],
          [2, 5, 4],
          [2, 5, 1],
        ],
        [
          [2, 3, 4],
          [2, 3],
        ],
      ),
    ).toThrow('Attention: output 0 has shape [2, 3, 4]; expected [2, 3, 1]');
    expect(() =>
      call(
        'AttentionGrad',
        [
          [2, 3, 4],
          [2, 5, 4],
          [2, 5, 1],
          [2, 3, 1],
          [2, 1],
          [2, 3, 1],
        ],
        [
          [2, 3, 4],
          [2, 5, 4],
          [2, 5, 1],
        ],
      ),
    ).toThrow('AttentionGrad: lse has shape [2, 1]; expected [2, 3]');
    expect(() =>
      call(
        'AttentionGrad',
        [
          [2, 3, 4],
          [2, 5, 4],
          [2, 5, 1],
        ],
        [],
      ),
    ).toThrow('AttentionGrad: expected [q, k, v, out, lse, dout] and an optional mask, got 3 inputs');
    expect(b.memory().handles).toBe(before);
  });
});
