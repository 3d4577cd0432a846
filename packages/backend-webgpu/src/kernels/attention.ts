import type { KernelAttrs, OutputSpec, TensorInfo } from '@myelin/core';
import {
  bufferOf,
  f32bits,
  type GpuKernel,
  type GpuKernelTable,
  header,
  main1d,
  meta,
  output,
} from '../kernel.js';
import type { Runtime } from '../runtime.js';

/*
 * Fused scaled dot-product attention (FlashAttention style): nothing of size L×S is ever stored.
 *
 * Forward: a workgroup of 64 threads per (batch·head, block of 64 query rows), one thread per query
 * row. The workgroup walks the keys in tiles of BC rows: the K and V tiles are staged in workgroup
 * memory, each thread scores its row against the tile, then folds the tile into a running max m,
 * running sum l and output accumulator (rescaled by exp(m_old − m_new) once per tile, the online
 * softmax). At the end out = acc / l and lse = m + log l. Causal attention (top-left aligned: key
 * j is visible to query i when j ≤ i) stops the key loop after the block's last query row, so the
 * tiles above the diagonal are never loaded; the additive mask (Bm, Lm, S) is read through
 * broadcast strides (0 on a size-1 dim). A row that sees no finite score keeps l = 0 and gives
 * out 0, lse −∞.
 *
 * Backward (FlashAttention-2): P is recomputed from q, k and lse, never stored.
 * 1. stats: one thread per query row writes [lse_i, Δ_i = Σ dout_i ∘ out_i] (B, L, 2).
 * 2. dk, dv: a workgroup per (batch·head, block of 64 key rows), one thread per key row, walks the
 *    query tiles (q, dout and the stats staged in workgroup memory): dv_j += P_ij·dout_i,
 *    dS_ij = P_ij·(dout_i·v_j − Δ_i), dk_j += scale·dS_ij·q_i. Causal starts at the block's first
 *    key row (earlier queries see none of its keys). dk and dv go into one (B, S, D + Dv) scratch
 *    buffer (a shader stage gets 8 storage buffers: params, q, k, v, stats, dout, mask and one
 *    output), split by a copy shader.
 * 3. dq: a workgroup per (batch·head, block of 64 query rows) walks the key tiles as the forward
 *    does: dq_i += scale·dS_ij·k_j.
 * Every output element has one writer and sums in a fixed order: no atomics, deterministic.
 *
 * Per-thread rows (q, the accumulators) live in registers for head dims up to 128; past that the
 * kernels read q/k/v from global memory and accumulate straight in the output (each row is still
 * owned by one thread). Tiles take up to 16 KiB of workgroup memory (WebGPU's guaranteed
 * minimum); a head too wide for one tile row reads K and V from global memory instead.
 */

const WG = 64;
/** Floats of workgroup memory a tile may use (16 KiB). */
const SHARED_FLOATS = 4096;
const MAX_TILE = 32;

/**
 * Head dims up to this many keep each thread's rows (q, k, v and the accumulators) in registers,
 * every element loop unrolled with literal indices (a private array indexed at run time is slow to
 * compile on llvmpipe and spills on GPUs). Wider heads keep the rows in global memory and unroll
 * their element loops GLOBAL_CHUNK at a time: llvmpipe caps a shader's loop iterations (see
 * `repeat`), and compile time grows with the unrolled code.
 */
const CHUNK = 128;
const GLOBAL_CHUNK = 8;

/**
 * `body` (which names the element `d`) for d = 0 … n−1: unrolled with literal indices up to `chunk`
 * elements; beyond, a loop over chunks of `chunk` unrolled elements and an unrolled tail. Mesa's
 * llvmpipe stops every loop of an invocation after 65,535 iterations in all, so a per-element loop
 * inside the per-key loop would cap the sequence length there at a few hundred keys; unrolled, the
 * cap is some 30,000 keys (forward) or query rows (backward) per invocation on llvmpipe.
 */
function repeat(chunk: number, n: number, body: string): string {
  const at = (d: string) => body.replace(/\bd\b/g, d);
  const unrolled = (from: number, to: number, base: (k: number) => string) => {
    const out: string[] = [];
    for (let k = from; k < to; k++) out.push(at(base(k)));
    return out.join(' ');
  };
  if (n <= chunk) return unrolled(0, n, String);
  const whole = n - (n % chunk);
  return `for (var d0 = 0; d0 < ${whole}; d0 += ${chunk}) { ${unrolled(0, chunk, (k) => `(d0 + ${k})`)} } ${unrolled(whole, n, String)}`;
}

/** +∞ (WGSL has no literal for it, and folds a constant bitcast to an error). */
const INF_WGSL = `var<private> INF_BITS: u32 = 0x7f800000u;
fn inf_() -> f32 { return bitcast<f32>(INF_BITS); }`;

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

function fail(kernel: string, message: string): never {
  throw new RangeError(`${kernel}: ${message}`);
}

/** Rows of a tile of `width` floats each that fit next to `reserved` floats of workgroup memory. */
function tileRows(width: number, reserved = 0): number {
  return Math.min(MAX_TILE, Math.floor((SHARED_FLOATS - reserved) / Math.max(width, 1)));
}

interface Shapes {
  B: number;
  L: number;
  S: number;
  D: number;
  Dv: number;
  /** Mask strides over batch and query row (0 where broadcast); null without a mask. */
  maskStrides: [number, number] | null;
}

function checkShapes(kernel: string, inputs: readonly TensorInfo[], maskAt: number): Shapes {
  const [q, k, v] = inputs as [TensorInfo, TensorInfo, TensorInfo];
  for (const [name, t] of [
    ['q', q],
    ['k', k],
    ['v', v],
  ] as const) {
    if (t.shape.length !== 3) fail(kernel, `${name} must be 3-D, got shape ${fmt(t.shape)}`);
  }
  const [B, L, D] = q.shape as [number, number, number];
  const S = k.shape[1]!;
  if (k.shape[0] !== B || k.shape[2] !== D || v.shape[0] !== B || v.shape[1] !== S) {
    fail(
      kernel,
      `q ${fmt(q.shape)}, k ${fmt(k.shape)} and v ${fmt(v.shape)} do not fit; expected q (B, L, D), k (B, S, D), v (B, S, Dv)`,
    );
  }
  const Dv = v.shape[2]!;
  for (const t of inputs) {
    if (t.dtype !== 'float32') fail(kernel, `every input must be float32, got ${t.dtype}`);
  }
  const mask = inputs[maskAt];
  let maskStrides: [number, number] | null = null;
  if (mask) {
    const [bm, lm, sm] = mask.shape;
    if (mask.shape.length !== 3 || (bm !== 1 && bm !== B) || (lm !== 1 && lm !== L) || sm !== S) {
      fail(
        kernel,
        `the mask has shape ${fmt(mask.shape)}; expected (Bm, Lm, ${S}) with Bm ∈ {1, ${B}} and Lm ∈ {1, ${L}}`,
      );
    }
    maskStrides = [bm === 1 ? 0 : lm! * S, lm === 1 ? 0 : S];
  }
  return { B, L, S, D, Dv, maskStrides };
}

function checkOutputs(kernel: string, outputs: readonly OutputSpec[], want: number[][]): void {
  want.forEach((shape, i) => {
    const got = outputs[i]?.shape;
    if (!got || got.join(',') !== shape.join(',')) {
      fail(kernel, `output ${i} has shape ${got ? fmt(got) : 'none'}; expected ${fmt(shape)}`);
    }
  });
}

/** params: [B, L, S, scale bits, mask batch stride, mask row stride, row blocks per batch]. */
function words(s: Shapes, scale: number, rows: number): Int32Array {
  const [mb, ml] = s.maskStrides ?? [0, 0];
  return meta([s.B, s.L, s.S, f32bits(scale), mb, ml, Math.ceil(rows / WG)]);
}

/** One workgroup per (batch, block of 64 rows); a flat id over a 2-D grid. */
function grid(s: Shapes, rows: number): [number, number, number] {
  const n = s.B * Math.ceil(rows / WG);
  const gx = Math.min(n, 65535);
  return [gx, Math.ceil(n / gx), 1];
}

/** The shader prologue: `b`, the block's first row `r0`, this thread's row `i` (clamped `ic`). */
function prologue(rowsParam: 1 | 2): string {
  return `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lt: u32) {
  let g = i32(wid.x + wid.y * nwg.x);
  let nblk = params[6];
  if (g >= params[0] * nblk) { return; }
  let L = params[1];
  let S = params[2];
  let scale = bitcast<f32>(params[3]);
  let t = i32(lt);
  let b = g / nblk;
  let r0 = (g - b * nblk) * ${WG};
  let i = r0 + t;
  let live = i < params[${rowsParam}];
  let ic = min(i, max(params[${rowsParam}] - 1, 0));`;
}

/**
 * WGSL reading every binding once: with layout 'auto' a binding the shader never reads (q when
 * D = 0, v when Dv = 0) leaves the pipeline's layout, and binding it fails.
 */
function touch(arrays: readonly [string, string][]): string {
  return arrays.map(([name]) => `_ = ${name}[0];`).join(' ');
}

/** WGSL adding the mask entry (query `qi`, key `kj`) to `s`, and −∞ above the causal diagonal. */
function maskTerms(hasMask: boolean, causal: boolean, qi: string, kj: string): string {
  const lines: string[] = [];
  if (hasMask) lines.push(`s += mask[b * params[4] + ${qi} * params[5] + ${kj}];`);
  if (causal) lines.push(`if (${kj} > ${qi}) { s = -inf_(); }`);
  return lines.join(' ');
}

// --- forward -------------------------------------------------------------------------------------

function forwardSource(D: number, Dv: number, causal: boolean, hasMask: boolean): string {
  const BC = tileRows(D + Dv);
  const shared = BC >= 1;
  const bc = Math.max(BC, 1);
  const priv = D <= CHUNK && Dv <= CHUNK;
  const rep = (n: number, body: string) => repeat(priv ? CHUNK : GLOBAL_CHUNK, n, body);
  const arrays: [string, string][] = [
    ['q', 'f32'],
    ['k', 'f32'],
    ['v', 'f32'],
    ...(hasMask ? [['mask', 'f32'] as [string, string]] : []),
    ['out', 'f32'],
    ['lse', 'f32'],
  ];
  const Q = (d: string) => (priv ? `qr[${d}]` : `q[qo + ${d}]`);
  const ACC = (d: string) => (priv ? `acc[${d}]` : `out[oo + ${d}]`);
  const K = (j: string, d: string) =>
    shared ? `ks[${j} * ${D} + ${d}]` : `k[kb + (j0 + ${j}) * ${D} + ${d}]`;
  const V = (j: string, d: string) =>
    shared ? `vs[${j} * ${Dv} + ${d}]` : `v[vb + (j0 + ${j}) * ${Dv} + ${d}]`;
  // Global-memory accumulators belong to live rows only (a dead row's offset is another row's).
  const accGuard = priv ? '' : 'if (live) ';
  return `${INF_WGSL}
${header(arrays, 2)}
${shared ? `var<workgroup> ks: array<f32, ${bc * Math.max(D, 1)}>;\nvar<workgroup> vs: array<f32, ${bc * Math.max(Dv, 1)}>;` : ''}
${prologue(1)}
  ${touch(arrays)}
  let qo = (b * L + ic) * ${D};
  let oo = (b * L + ic) * ${Dv};
  let kb = b * S * ${D};
  let vb = b * S * ${Dv};
  ${priv ? `var qr: array<f32, ${Math.max(D, 1)}>;\n  ${rep(D, `qr[d] = q[qo + d];`)}\n  var acc: array<f32, ${Math.max(Dv, 1)}>;` : ''}
  ${accGuard}{ ${rep(Dv, `${ACC('d')} = 0.0;`)} }
  var sc: array<f32, ${bc}>;
  var m = -inf_();
  var l = 0.0;
  let send = ${causal ? `min(S, r0 + ${WG})` : 'S'};
  for (var j0 = 0; j0 < send; j0 += ${bc}) {
    let nb = min(${bc}, send - j0);
${
  shared
    ? `    workgroupBarrier();
    for (var e = t; e < nb * ${D}; e += ${WG}) { ks[e] = k[kb + j0 * ${D} + e]; }
    for (var e = t; e < nb * ${Dv}; e += ${WG}) { vs[e] = v[vb + j0 * ${Dv} + e]; }
    workgroupBarrier();`
    : ''
}
    var mt = -inf_();
    for (var j = 0; j < nb; j++) {
      var s = 0.0;
      ${rep(D, `s += ${Q('d')} * ${K('j', 'd')};`)}
      s = s * scale;
      ${maskTerms(hasMask, causal, 'ic', '(j0 + j)')}
      sc[j] = s;
      mt = max(mt, s);
    }
    let mn = max(m, mt);
    if (mn > -inf_()) {
      let alpha = select(exp(m - mn), 0.0, m == -inf_());
      var ps = 0.0;
      ${accGuard}{ ${rep(Dv, `${ACC('d')} *= alpha;`)} }
      for (var j = 0; j < nb; j++) {
        let p = exp(sc[j] - mn);
        ps += p;
        ${accGuard}{ ${rep(Dv, `${ACC('d')} += p * ${V('j', 'd')};`)} }
      }
      l = l * alpha + ps;
      m = mn;
    }
  }
  if (live) {
    let inv = select(1.0 / l, 0.0, l == 0.0);
    ${rep(Dv, `out[oo + d] = ${ACC('d')} * inv;`)}
    lse[b * L + i] = select(m + log(l), -inf_(), l == 0.0);
  }
}`;
}

const attention: GpuKernel<KernelAttrs['Attention']> = (rt, { inputs, attrs, outputs }) => {
  const K = 'Attention';
  if (inputs.length !== 3 && inputs.length !== 4)
    fail(K, `expected [q, k, v] and an optional mask, got ${inputs.length} inputs`);
  const s = checkShapes(K, inputs, 3);
  checkOutputs(K, outputs, [
    [s.B, s.L, s.Dv],
    [s.B, s.L],
  ]);
  const out = output(rt, outputs[0]!);
  const lse = output(rt, outputs[1]!);
  if (s.B * s.L > 0) {
    rt.dispatch(
      forwardSource(s.D, s.Dv, attrs.causal, s.maskStrides !== null),
      words(s, attrs.scale, s.L),
      [...inputs.map(bufferOf), out.buffer as GPUBuffer, lse.buffer as GPUBuffer],
      grid(s, s.L),
    );
  }
  return [out, lse];
};

// --- backward ------------------------------------------------------------------------------------

/** Pass 1: stats (B·L, 2) = [lse, Σ dout ∘ out]; params [B·L, Dv]. */
const STATS_SOURCE = `${header([
  ['out', 'f32'],
  ['dout', 'f32'],
  ['lse', 'f32'],
  ['stats', 'f32'],
])}
${main1d(`  let Dv = params[1];
  var acc = 0.0;
  for (var d = 0; d < Dv; d++) { acc += dout[i * Dv + d] * out[i * Dv + d]; }
  stats[2 * i] = lse[i];
  stats[2 * i + 1] = acc;`)}`;

/** P_ij from the score `s` and row stats; 0 for a row that saw no finite score (lse = −∞). */
const P_OF = 'select(exp(s - lse_i), 0.0, lse_i == -inf_())';

/** Pass 2: one thread per key row; dk, dv into dkv (B, S, D + Dv). */
function keySource(D: number, Dv: number, causal: boolean, hasMask: boolean): string {
  const BR = tileRows(D + Dv + 2);
  const shared = BR >= 1;
  const br = Math.max(BR, 1);
  const W = D + Dv;
  const priv = D <= CHUNK && Dv <= CHUNK;
  const rep = (n: number, body: string) => repeat(priv ? CHUNK : GLOBAL_CHUNK, n, body);
  const arrays: [string, string][] = [
    ['q', 'f32'],
    ['k', 'f32'],
    ['v', 'f32'],
    ['stats', 'f32'],
    ['dout', 'f32'],
    ...(hasMask ? [['mask', 'f32'] as [string, string]] : []),
    ['dkv', 'f32'],
  ];
  const KR = (d: string) => (priv ? `kr[${d}]` : `k[ko + ${d}]`);
  const VR = (d: string) => (priv ? `vr[${d}]` : `v[vo + ${d}]`);
  const DK = (d: string) => (priv ? `dk[${d}]` : `dkv[go + ${d}]`);
  const DV = (d: string) => (priv ? `dv[${d}]` : `dkv[go + ${D} + ${d}]`);
  const Q = (i: string, d: string) =>
    shared ? `qs[${i} * ${D} + ${d}]` : `q[qb + (i0 + ${i}) * ${D} + ${d}]`;
  const DO = (i: string, d: string) =>
    shared ? `dos[${i} * ${Dv} + ${d}]` : `dout[ob + (i0 + ${i}) * ${Dv} + ${d}]`;
  const ST = (i: string, c: number) =>
    shared ? `st[2 * ${i} + ${c}]` : `stats[2 * (b * L + i0 + ${i}) + ${c}]`;
  const guard = priv ? '' : 'if (live) ';
  return `${INF_WGSL}
${header(arrays, 1)}
${shared ? `var<workgroup> qs: array<f32, ${br * Math.max(D, 1)}>;\nvar<workgroup> dos: array<f32, ${br * Math.max(Dv, 1)}>;\nvar<workgroup> st: array<f32, ${2 * br}>;` : ''}
${prologue(2)}
  ${touch(arrays)}
  let jc = ic;
  let ko = (b * S + jc) * ${D};
  let vo = (b * S + jc) * ${Dv};
  let go = (b * S + jc) * ${W};
  let qb = b * L * ${D};
  let ob = b * L * ${Dv};
  ${
    priv
      ? `var kr: array<f32, ${Math.max(D, 1)}>;
  var vr: array<f32, ${Math.max(Dv, 1)}>;
  var dk: array<f32, ${Math.max(D, 1)}>;
  var dv: array<f32, ${Math.max(Dv, 1)}>;
  ${rep(D, `kr[d] = k[ko + d];`)}
  ${rep(Dv, `vr[d] = v[vo + d];`)}`
      : ''
  }
  ${guard}{
    ${rep(D, `${DK('d')} = 0.0;`)}
    ${rep(Dv, `${DV('d')} = 0.0;`)}
  }
  let istart = ${causal ? 'min(r0, L)' : '0'};
  for (var i0 = istart; i0 < L; i0 += ${br}) {
    let nb = min(${br}, L - i0);
${
  shared
    ? `    workgroupBarrier();
    for (var e = t; e < nb * ${D}; e += ${WG}) { qs[e] = q[qb + i0 * ${D} + e]; }
    for (var e = t; e < nb * ${Dv}; e += ${WG}) { dos[e] = dout[ob + i0 * ${Dv} + e]; }
    for (var e = t; e < nb * 2; e += ${WG}) { st[e] = stats[2 * (b * L + i0) + e]; }
    workgroupBarrier();`
    : ''
}
    for (var r = 0; r < nb; r++) {
      let qi = i0 + r;
      var s = 0.0;
      ${rep(D, `s += ${Q('r', 'd')} * ${KR('d')};`)}
      s = s * scale;
      ${maskTerms(hasMask, causal, 'qi', 'jc')}
      let lse_i = ${ST('r', 0)};
      let p = ${P_OF};
      var dp = 0.0;
      ${rep(Dv, `dp += ${DO('r', 'd')} * ${VR('d')};`)}
      let ds = scale * p * (dp - ${ST('r', 1)});
      ${guard}{
        ${rep(Dv, `${DV('d')} += p * ${DO('r', 'd')};`)}
        ${rep(D, `${DK('d')} += ds * ${Q('r', 'd')};`)}
      }
    }
  }
  ${
    priv
      ? `if (live) {
    ${rep(D, `dkv[go + d] = dk[d];`)}
    ${rep(Dv, `dkv[go + ${D} + d] = dv[d];`)}
  }`
      : ''
  }
}`;
}

/** Pass 3: one thread per query row; dq. */
function querySource(D: number, Dv: number, causal: boolean, hasMask: boolean): string {
  const BC = tileRows(D + Dv);
  const shared = BC >= 1;
  const bc = Math.max(BC, 1);
  const priv = D <= CHUNK && Dv <= CHUNK;
  const rep = (n: number, body: string) => repeat(priv ? CHUNK : GLOBAL_CHUNK, n, body);
  const arrays: [string, string][] = [
    ['q', 'f32'],
    ['k', 'f32'],
    ['v', 'f32'],
    ['stats', 'f32'],
    ['dout', 'f32'],
    ...(hasMask ? [['mask', 'f32'] as [string, string]] : []),
    ['dq', 'f32'],
  ];
  const QR = (d: string) => (priv ? `qr[${d}]` : `q[qo + ${d}]`);
  const DOR = (d: string) => (priv ? `dor[${d}]` : `dout[oo + ${d}]`);
  const DQ = (d: string) => (priv ? `acc[${d}]` : `dq[qo + ${d}]`);
  const K = (j: string, d: string) =>
    shared ? `ks[${j} * ${D} + ${d}]` : `k[kb + (j0 + ${j}) * ${D} + ${d}]`;
  const V = (j: string, d: string) =>
    shared ? `vs[${j} * ${Dv} + ${d}]` : `v[vb + (j0 + ${j}) * ${Dv} + ${d}]`;
  const guard = priv ? '' : 'if (live) ';
  return `${INF_WGSL}
${header(arrays, 1)}
${shared ? `var<workgroup> ks: array<f32, ${bc * Math.max(D, 1)}>;\nvar<workgroup> vs: array<f32, ${bc * Math.max(Dv, 1)}>;` : ''}
${prologue(1)}
  ${touch(arrays)}
  let qo = (b * L + ic) * ${D};
  let oo = (b * L + ic) * ${Dv};
  let kb = b * S * ${D};
  let vb = b * S * ${Dv};
  let lse_i = stats[2 * (b * L + ic)];
  let delta = stats[2 * (b * L + ic) + 1];
  ${
    priv
      ? `var qr: array<f32, ${Math.max(D, 1)}>;
  var dor: array<f32, ${Math.max(Dv, 1)}>;
  var acc: array<f32, ${Math.max(D, 1)}>;
  ${rep(D, `qr[d] = q[qo + d];`)}
  ${rep(Dv, `dor[d] = dout[oo + d];`)}`
      : ''
  }
  ${guard}{ ${rep(D, `${DQ('d')} = 0.0;`)} }
  let send = ${causal ? `min(S, r0 + ${WG})` : 'S'};
  for (var j0 = 0; j0 < send; j0 += ${bc}) {
    let nb = min(${bc}, send - j0);
${
  shared
    ? `    workgroupBarrier();
    for (var e = t; e < nb * ${D}; e += ${WG}) { ks[e] = k[kb + j0 * ${D} + e]; }
    for (var e = t; e < nb * ${Dv}; e += ${WG}) { vs[e] = v[vb + j0 * ${Dv} + e]; }
    workgroupBarrier();`
    : ''
}
    for (var j = 0; j < nb; j++) {
      var s = 0.0;
      ${rep(D, `s += ${QR('d')} * ${K('j', 'd')};`)}
      s = s * scale;
      ${maskTerms(hasMask, causal, 'ic', '(j0 + j)')}
      let p = ${P_OF};
      var dp = 0.0;
      ${rep(Dv, `dp += ${DOR('d')} * ${V('j', 'd')};`)}
      let ds = scale * p * (dp - delta);
      ${guard}{ ${rep(D, `${DQ('d')} += ds * ${K('j', 'd')};`)} }
    }
  }
  ${priv ? `if (live) { ${rep(D, `dq[qo + d] = acc[d];`)} }` : ''}
}`;
}

/** Split dkv (B·S, D + Dv) into dk (B·S, D) and dv (B·S, Dv); params [B·S·(D + Dv), D, Dv]. */
const SPLIT_SOURCE = `${header(
  [
    ['dkv', 'f32'],
    ['dk', 'f32'],
    ['dv', 'f32'],
  ],
  2,
)}
${main1d(`  let D = params[1];
  let W = D + params[2];
  let row = i / W;
  let c = i - row * W;
  if (c < D) { dk[row * D + c] = dkv[i]; } else { dv[row * params[2] + c - D] = dkv[i]; }`)}`;

const ZERO_SOURCE = `${header([['out', 'f32']])}
${main1d('  out[i] = 0.0;')}`;

function scratch(rt: Runtime, floats: number): GPUBuffer {
  return rt.newBuffer(floats * 4);
}

const attentionGrad: GpuKernel<KernelAttrs['AttentionGrad']> = (rt, { inputs, attrs, outputs }) => {
  const K = 'AttentionGrad';
  if (inputs.length !== 6 && inputs.length !== 7) {
    fail(K, `expected [q, k, v, out, lse, dout] and an optional mask, got ${inputs.length} inputs`);
  }
  const s = checkShapes(K, inputs, 6);
  const [q, k, v, out, lse, dout] = inputs as TensorInfo[] as [
    TensorInfo,
    TensorInfo,
    TensorInfo,
    TensorInfo,
    TensorInfo,
    TensorInfo,
  ];
  const mask = inputs[6];
  for (const [name, t, want] of [
    ['out', out, [s.B, s.L, s.Dv]],
    ['lse', lse, [s.B, s.L]],
    ['dout', dout, [s.B, s.L, s.Dv]],
  ] as const) {
    if (t.shape.join(',') !== want.join(','))
      fail(K, `${name} has shape ${fmt(t.shape)}; expected ${fmt(want)}`);
  }
  checkOutputs(K, outputs, [
    [s.B, s.L, s.D],
    [s.B, s.S, s.D],
    [s.B, s.S, s.Dv],
  ]);
  const dq = output(rt, outputs[0]!);
  const dk = output(rt, outputs[1]!);
  const dv = output(rt, outputs[2]!);
  const { B, L, S, D, Dv } = s;
  if (B * L === 0 || B * S === 0) {
    // no query rows or no keys: every gradient is 0
    for (const [o, n] of [
      [dq, B * L * D],
      [dk, B * S * D],
      [dv, B * S * Dv],
    ] as const) {
      if (n > 0) rt.dispatch(ZERO_SOURCE, meta([n]), [o.buffer as GPUBuffer], n);
    }
    return [dq, dk, dv];
  }
  const hasMask = mask !== undefined;
  const stats = scratch(rt, B * L * 2);
  rt.dispatch(STATS_SOURCE, meta([B * L, Dv]), [bufferOf(out), bufferOf(dout), bufferOf(lse), stats], B * L);
  const common = [
    bufferOf(q),
    bufferOf(k),
    bufferOf(v),
    stats,
    bufferOf(dout),
    ...(mask ? [bufferOf(mask)] : []),
  ];
  if (D + Dv > 0) {
    const dkv = scratch(rt, B * S * (D + Dv));
    rt.dispatch(
      keySource(D, Dv, attrs.causal, hasMask),
      words(s, attrs.scale, S),
      [...common, dkv],
      grid(s, S),
    );
    const n = B * S * (D + Dv);
    rt.dispatch(SPLIT_SOURCE, meta([n, D, Dv]), [dkv, dk.buffer as GPUBuffer, dv.buffer as GPUBuffer], n);
    rt.retire(dkv);
  }
  if (D > 0) {
    rt.dispatch(
      querySource(D, Dv, attrs.causal, hasMask),
      words(s, attrs.scale, L),
      [...common, dq.buffer as GPUBuffer],
      grid(s, L),
    );
  }
  rt.retire(stats);
  return [dq, dk, dv];
};

/** Fused scaled dot-product attention (Attention, AttentionGrad). */
export const attentionKernels: GpuKernelTable = {
  Attention: attention,
  AttentionGrad: attentionGrad,
};

/** Exposed for tests: the tile and register budgets that pick each kernel's variant. */
export const ATTENTION_LIMITS = { SHARED_FLOATS, CHUNK, MAX_TILE, WG } as const;
