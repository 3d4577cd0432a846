import {
  type AttentionOptions,
  concat,
  fmtShape,
  type Generator,
  gelu,
  Module,
  matmul,
  neg,
  Parameter,
  randn,
  scaledDotProductAttention,
  softmax,
  type Tensor,
  tensor,
  where,
} from '@myelin/core';
import { Dropout, Embedding, LayerNorm, Linear } from '@myelin/nn';

/**
 * The transformer block every model of this package is made of, in nanoGPT's names (Karpathy's
 * `model.py`, itself GPT-2's layout with `nn.Linear` weights [out, in]): `ln_1`, `attn.c_attn`
 * (q, k, v stacked, [3C, C]), `attn.c_proj`, `ln_2`, `mlp.c_fc`, `mlp.c_proj`; a decoder block of
 * an encoder–decoder adds `ln_x` and `xattn.c_q`, `xattn.c_kv`, `xattn.c_proj`. Pre-norm:
 * x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)) (GPT-2, Radford et al. 2019 §2.3). Attention goes
 * through core's `scaledDotProductAttention`, so a backend's fused kernel runs it.
 */

/** How a model tells its tokens apart by position. */
export type PositionKind = 'learned' | 'sinusoidal' | 'rotary';

/** Checks shared by the models: positive integer sizes, heads that divide the width. */
export function checkWidth(op: string, width: number, heads: number): void {
  for (const [name, v] of [
    ['width', width],
    ['heads', heads],
  ] as const)
    if (!(Number.isInteger(v) && v >= 1))
      throw new RangeError(`${op}: ${name} must be an integer ≥ 1, got ${v}`);
  if (width % heads !== 0)
    throw new RangeError(
      `${op}: ${heads} heads do not divide the width ${width}; expected a head count that divides it (e.g. ${divisors(width).join(', ')})`,
    );
}

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n && out.length < 6; d++) if (n % d === 0) out.push(d);
  return out;
}

/** Ids must be int32 and inside [0, vocabSize); names the first offender. */
export function checkIds(op: string, ids: Tensor, vocabSize: number): void {
  if (ids.dtype !== 'int32') throw new TypeError(`${op}: token ids must be int32, got ${ids.dtype}`);
  const v = ids.dataSync();
  for (let i = 0; i < v.length; i++)
    if (!(v[i]! >= 0 && v[i]! < vocabSize))
      throw new RangeError(
        `${op}: token id ${v[i]} at flat position ${i} is outside the vocabulary [0, ${vocabSize})`,
      );
}

/** GPT-2's initialisation: N(0, 0.02²) weights, zero biases; `std` overrides (the scaled c_proj). */
export function initLinear(l: Linear, gen: Generator | undefined, std = 0.02): void {
  const w = randn(l.weight.shape, { seed: gen, std });
  l.weight.assign(w);
  w.dispose();
  if (l.bias) {
    const z = tensor(new Float32Array(l.bias.size), { shape: l.bias.shape });
    l.bias.assign(z);
    z.dispose();
  }
}

/** An embedding table drawn N(0, 0.02²), as GPT-2's `wte`/`wpe`. */
export function normalEmbedding(n: number, dim: number, gen: Generator | undefined): Embedding {
  const e = new Embedding(n, dim);
  const w = randn([n, dim], { seed: gen, std: 0.02 });
  e.weight.assign(w);
  w.dispose();
  return e;
}

/** A parameter drawn N(0, std²) (std 0 gives zeros). */
export function normalParam(shape: readonly number[], gen: Generator | undefined, std = 0.02): Parameter {
  const t = randn(shape, { seed: gen, std: std === 0 ? 1 : std });
  const init = std === 0 ? t.mul(0) : t;
  const p = new Parameter(init);
  t.dispose();
  if (init !== t) init.dispose();
  return p;
}

/** (T, D) sinusoidal table of Vaswani et al. §3.5: sin on even features, cos on odd ones. */
export function sinusoids(T: number, D: number, offset = 0): Tensor {
  const v = new Float32Array(T * D);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < D; i += 2) {
      const a = (t + offset) / 10000 ** (i / D);
      v[t * D + i] = Math.sin(a);
      if (i + 1 < D) v[t * D + i + 1] = Math.cos(a);
    }
  return tensor(v, { shape: [T, D] });
}

/**
 * Rotary position embedding (Su et al. 2021, RoFormer eq. 34) in GPT-NeoX's rotate-half form:
 * feature i pairs with i + D/2 at frequency 10000^(−2i/D). `x` is (B, H, T, D) at positions
 * offset … offset + T − 1.
 */
export function applyRotary(x: Tensor, offset: number): Tensor {
  const [, , T, D] = x.shape as [number, number, number, number];
  const half = D / 2;
  const cos = new Float32Array(T * D);
  const sin = new Float32Array(T * D);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < half; i++) {
      const a = (t + offset) * 10000 ** ((-2 * i) / D);
      cos[t * D + i] = cos[t * D + i + half] = Math.cos(a);
      sin[t * D + i] = sin[t * D + i + half] = Math.sin(a);
    }
  const [x1, x2] = x.split(half, -1) as [Tensor, Tensor];
  const rotated = concat([neg(x2), x1], -1);
  return x.mul(tensor(cos, { shape: [T, D] })).add(rotated.mul(tensor(sin, { shape: [T, D] })));
}

/**
 * Where a model puts its attention weights when asked: each self-attention layer pushes its
 * softmax probabilities (B, H, T, S), first layer first. Passing one switches attention from the
 * fused op to the explicit path below; training never asks.
 */
export type AttentionSink = Tensor[];

/**
 * `scaledDotProductAttention(q, k, v, options)`, or, when `sink` is given, the same attention
 * spelled out — scores q·kᵀ/√D, the mask (bool: false → −∞; float: added) and the causal band,
 * softmax, weights·v — with the weights pushed onto `sink`. The two agree to float32 rounding
 * (tested) except on a query row every key is masked from: the fused op gives 0 there, softmax NaN.
 * Dropout is left to the fused path (weights are asked for in eval mode).
 */
export function attend(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: AttentionOptions = {},
  sink?: AttentionSink,
): Tensor {
  if (!sink) return scaledDotProductAttention(q, k, v, options);
  const D = q.shape[q.rank - 1]!;
  let s = matmul(q, k, { transposeB: true }).mul(options.scale ?? 1 / Math.sqrt(D));
  if (options.mask)
    s = options.mask.dtype === 'bool' ? where(options.mask, s, -Infinity) : s.add(options.mask);
  if (options.causal) {
    const [L, S] = s.shape.slice(-2) as [number, number];
    const keep = new Uint8Array(L * S);
    for (let i = 0; i < L; i++) for (let j = 0; j <= Math.min(i, S - 1); j++) keep[i * S + j] = 1;
    s = where(tensor(keep, { shape: [L, S], dtype: 'bool' }), s, -Infinity);
  }
  const p = softmax(s, -1);
  sink.push(p);
  return matmul(p, v);
}

/** Keys and values of one attention layer seen so far, (B, H, S, D) each. */
export interface KvEntry {
  k: Tensor;
  v: Tensor;
}

export interface AttentionBlockOptions {
  heads: number;
  dropout?: number;
  bias?: boolean;
  rotary?: boolean;
  gen?: Generator;
  /** Std of the output projection's weights (GPT-2 scales it by 1/√(2·layers)). */
  projStd?: number;
}

/** (B, T, C) → (B, H, T, C/H). */
function splitHeads(x: Tensor, heads: number): Tensor {
  const [B, T, C] = x.shape as [number, number, number];
  return x.reshape([B, T, heads, C / heads]).transpose(1, 2);
}

/** (B, H, T, D) → (B, T, H·D). */
function mergeHeads(x: Tensor): Tensor {
  const [B, H, T, D] = x.shape as [number, number, number, number];
  return x.transpose(1, 2).reshape([B, T, H * D]);
}

/** Multi-head self-attention, q, k, v from one `c_attn` (nanoGPT's `CausalSelfAttention`). */
export class SelfAttention extends Module {
  c_attn: Linear;
  c_proj: Linear;
  resid_dropout: Dropout;
  readonly heads: number;
  readonly dropout: number;
  readonly rotary: boolean;
  readonly #gen: Generator | undefined;

  constructor(
    readonly width: number,
    options: AttentionBlockOptions,
  ) {
    super();
    checkWidth('SelfAttention', width, options.heads);
    if (options.rotary && (width / options.heads) % 2 !== 0)
      throw new RangeError(
        `SelfAttention: rotary positions need an even head size, got ${width / options.heads} (width ${width}, ${options.heads} heads)`,
      );
    const bias = options.bias ?? true;
    this.heads = options.heads;
    this.dropout = options.dropout ?? 0;
    this.rotary = options.rotary ?? false;
    this.#gen = options.gen;
    this.c_attn = new Linear(width, 3 * width, { bias });
    this.c_proj = new Linear(width, width, { bias });
    initLinear(this.c_attn, options.gen);
    initLinear(this.c_proj, options.gen, options.projStd ?? 0.02);
    this.resid_dropout = new Dropout(this.dropout, { seed: options.gen });
  }

  /**
   * x (B, T, C) → (B, T, C). `causal`: token t sees tokens ≤ t. `mask`: bool (true = attend) or
   * additive float broadcastable to (B, H, T, S). `cache`: keys and values of earlier positions,
   * prepended (a cached step sees them all); the new entry is returned beside the output.
   */
  forwardCached(
    x: Tensor,
    options: {
      causal?: boolean;
      mask?: Tensor;
      cache?: KvEntry;
      offset?: number;
      attention?: AttentionSink;
    } = {},
  ): [Tensor, KvEntry] {
    const [q0, k0, v0] = this.c_attn.forward(x).split(this.width, -1) as [Tensor, Tensor, Tensor];
    let q = splitHeads(q0, this.heads);
    let k = splitHeads(k0, this.heads);
    let v = splitHeads(v0, this.heads);
    const offset = options.offset ?? options.cache?.k.shape[2] ?? 0;
    if (this.rotary) {
      q = applyRotary(q, offset);
      k = applyRotary(k, offset);
    }
    if (options.cache) {
      k = concat([options.cache.k, k], 2);
      v = concat([options.cache.v, v], 2);
    }
    const T = q.shape[2]!;
    // With a cache the T new queries sit at the end of the S keys: the causal band is bottom-right,
    // which top-left `causal` only gives when T = S; one new query may simply see every key.
    let causal = options.causal ?? false;
    let mask = options.mask;
    const S = k.shape[2]!;
    if (causal && T !== S) {
      causal = false;
      if (T > 1) {
        const keep = new Uint8Array(T * S);
        for (let i = 0; i < T; i++) for (let j = 0; j <= S - T + i; j++) keep[i * S + j] = 1;
        const band = tensor(keep, { shape: [T, S], dtype: 'bool' });
        mask = mask ? band.logicalAnd(mask) : band;
      }
    }
    const y = attend(
      q,
      k,
      v,
      {
        causal,
        ...(mask ? { mask } : {}),
        dropout: this.training ? this.dropout : 0,
        training: this.training,
        ...(this.#gen ? { generator: this.#gen } : {}),
      },
      options.attention,
    );
    return [this.resid_dropout.forward(this.c_proj.forward(mergeHeads(y))), { k, v }];
  }

  forward(x: Tensor, options: { causal?: boolean; mask?: Tensor } = {}): Tensor {
    return this.forwardCached(x, options)[0];
  }
}

/** Multi-head attention of queries `x` over a memory (the encoder's output). */
export class CrossAttention extends Module {
  c_q: Linear;
  c_kv: Linear;
  c_proj: Linear;
  readonly heads: number;

  constructor(
    readonly width: number,
    options: AttentionBlockOptions,
  ) {
    super();
    checkWidth('CrossAttention', width, options.heads);
    const bias = options.bias ?? true;
    this.heads = options.heads;
    this.c_q = new Linear(width, width, { bias });
    this.c_kv = new Linear(width, 2 * width, { bias });
    this.c_proj = new Linear(width, width, { bias });
    initLinear(this.c_q, options.gen);
    initLinear(this.c_kv, options.gen);
    initLinear(this.c_proj, options.gen, options.projStd ?? 0.02);
  }

  /** x (B, T, C), memory (B, S, C); `mask` broadcastable to (B, H, T, S), bool true = attend. */
  forward(x: Tensor, memory: Tensor, mask?: Tensor): Tensor {
    if (memory.rank !== 3 || memory.shape[2] !== this.width || memory.shape[0] !== x.shape[0])
      throw new RangeError(
        `CrossAttention: memory must be (batch ${x.shape[0]}, S, ${this.width}), got ${fmtShape(memory.shape)}`,
      );
    const q = splitHeads(this.c_q.forward(x), this.heads);
    const [k0, v0] = this.c_kv.forward(memory).split(this.width, -1) as [Tensor, Tensor];
    const y = scaledDotProductAttention(q, splitHeads(k0, this.heads), splitHeads(v0, this.heads), {
      ...(mask ? { mask } : {}),
    });
    return this.c_proj.forward(mergeHeads(y));
  }
}

/** Linear → GELU → linear, the position-wise feed-forward block. */
export class Mlp extends Module {
  c_fc: Linear;
  c_proj: Linear;
  dropout: Dropout;

  constructor(width: number, hidden: number, options: AttentionBlockOptions) {
    super();
    const bias = options.bias ?? true;
    this.c_fc = new Linear(width, hidden, { bias });
    this.c_proj = new Linear(hidden, width, { bias });
    initLinear(this.c_fc, options.gen);
    initLinear(this.c_proj, options.gen, options.projStd ?? 0.02);
    this.dropout = new Dropout(options.dropout ?? 0, { seed: options.gen });
  }

  forward(x: Tensor): Tensor {
    return this.dropout.forward(this.c_proj.forward(gelu(this.c_fc.forward(x))));
  }
}

export interface BlockOptions extends AttentionBlockOptions {
  /** Hidden units of the feed-forward block (default 4 · width). */
  hidden?: number;
  /** Add cross-attention over a memory (the decoder of an encoder–decoder). */
  cross?: boolean;
  eps?: number;
}

/** A pre-norm transformer block: self-attention, optional cross-attention, feed-forward. */
export class Block extends Module {
  ln_1: LayerNorm;
  attn: SelfAttention;
  ln_x: LayerNorm | null;
  xattn: CrossAttention | null;
  ln_2: LayerNorm;
  mlp: Mlp;

  constructor(
    readonly width: number,
    options: BlockOptions,
  ) {
    super();
    const eps = options.eps ?? 1e-5;
    this.ln_1 = new LayerNorm(width, { eps });
    this.attn = new SelfAttention(width, options);
    this.ln_x = options.cross ? new LayerNorm(width, { eps }) : null;
    this.xattn = options.cross ? new CrossAttention(width, options) : null;
    this.ln_2 = new LayerNorm(width, { eps });
    this.mlp = new Mlp(width, options.hidden ?? 4 * width, options);
  }

  forwardCached(
    x: Tensor,
    options: {
      causal?: boolean;
      mask?: Tensor;
      cache?: KvEntry;
      memory?: Tensor;
      memoryMask?: Tensor;
      attention?: AttentionSink;
    } = {},
  ): [Tensor, KvEntry] {
    const [a, entry] = this.attn.forwardCached(this.ln_1.forward(x), options);
    let h = x.add(a);
    if (this.xattn && this.ln_x) {
      if (!options.memory) throw new RangeError('Block: a cross-attention block needs the encoder memory');
      h = h.add(this.xattn.forward(this.ln_x.forward(h), options.memory, options.memoryMask));
    }
    return [h.add(this.mlp.forward(this.ln_2.forward(h))), entry];
  }

  forward(
    x: Tensor,
    options: {
      causal?: boolean;
      mask?: Tensor;
      memory?: Tensor;
      memoryMask?: Tensor;
      attention?: AttentionSink;
    } = {},
  ) {
    return this.forwardCached(x, options)[0];
  }
}
