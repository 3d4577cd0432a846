import {
  broadcastTo,
  convTranspose2d,
  fmtShape,
  gather,
  Module,
  scatterAdd,
  scope,
  slice,
  type Tensor,
  tensor,
  unfold,
  zeros,
} from '@myelin/core';
import { tupleOf } from './pool-windows.js';
import { pair, type Size2 } from './util.js';

/** A number (2-D, as PyTorch) or one value per spatial dim (any number of dims). */
export type SizeN = number | readonly number[];

export interface FoldOptions {
  dilation?: SizeN;
  padding?: SizeN;
  stride?: SizeN;
}

/** Spatial rank of a Fold/Unfold: the length of the first array among the sizes, else 2. */
function rankOf(op: string, sizes: readonly (SizeN | undefined)[]): number {
  const lens = sizes.filter((v): v is readonly number[] => Array.isArray(v)).map((v) => v.length);
  if (lens.some((l) => l !== lens[0]))
    throw new RangeError(`${op}: the sizes name different numbers of spatial dims (${lens.join(', ')})`);
  const n = lens[0] ?? 2;
  if (n < 1) throw new RangeError(`${op}: at least one spatial dim is needed`);
  return n;
}

interface GeometryN {
  k: number[];
  d: number[];
  p: number[];
  s: number[];
}

function geometryN(op: string, n: number, kernelSize: SizeN, o: FoldOptions): GeometryN {
  return {
    k: tupleOf(op, kernelSize, n, 'kernelSize', 1),
    d: tupleOf(op, o.dilation ?? 1, n, 'dilation', 1),
    p: tupleOf(op, o.padding ?? 0, n, 'padding'),
    s: tupleOf(op, o.stride ?? 1, n, 'stride', 1),
  };
}

/**
 * For any number of spatial dims: the flat position, in the padded input, of kernel offset κ of
 * block λ, listed κ-major then λ (both row-major): the im2col gather table. Unfold gathers with
 * it; Fold, its adjoint, scatter-adds with it.
 */
function blockTable(padded: readonly number[], blocksPerDim: readonly number[], g: GeometryN): Int32Array {
  const n = padded.length;
  const K = g.k.reduce((a, b) => a * b, 1);
  const L = blocksPerDim.reduce((a, b) => a * b, 1);
  const strides = new Array<number>(n);
  let acc = 1;
  for (let i = n - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= padded[i]!;
  }
  const table = new Int32Array(K * L);
  for (let kk = 0; kk < K; kk++) {
    let base = 0;
    let rest = kk;
    for (let i = n - 1; i >= 0; i--) {
      base += (rest % g.k[i]!) * g.d[i]! * strides[i]!;
      rest = Math.floor(rest / g.k[i]!);
    }
    for (let l = 0; l < L; l++) {
      let off = base;
      let r = l;
      for (let i = n - 1; i >= 0; i--) {
        off += (r % blocksPerDim[i]!) * g.s[i]! * strides[i]!;
        r = Math.floor(r / blocksPerDim[i]!);
      }
      table[kk * L + l] = off;
    }
  }
  return table;
}

const fmtDims = (n: number) => (n === 1 ? 'L' : n === 3 ? 'D, H, W' : `${n} spatial dims`);

interface Geometry {
  k: [number, number];
  d: [number, number];
  p: [number, number];
  s: [number, number];
}

type Geometry2Options = { dilation?: Size2; padding?: Size2; stride?: Size2 };

function geometry(op: string, kernelSize: Size2, o: Geometry2Options): Geometry {
  return {
    k: pair(op, kernelSize, 'kernelSize', 1),
    d: pair(op, o.dilation ?? 1, 'dilation', 1),
    p: pair(op, o.padding ?? 0, 'padding'),
    s: pair(op, o.stride ?? 1, 'stride', 1),
  };
}

/** Number of sliding blocks along one dim of size n. */
function blocks(n: number, k: number, d: number, p: number, s: number): number {
  return Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/**
 * Sliding local blocks of x [N, C, H, W] or [C, H, W] as columns (torch.nn.Unfold, "im2col"):
 * [N, C·kh·kw, L], L the number of blocks, channel-major then kernel row-major, as PyTorch.
 *
 * Any number of spatial dims: give the kernel size (or another size) as an array of that length,
 * e.g. `new Unfold([2, 2, 2])` on x [N, C, D, H, W] gives [N, C·8, L] (PyTorch has 2-D only).
 */
export class Unfold extends Module {
  /** Number of spatial dims. */
  readonly spatialDims: number;
  constructor(
    readonly kernelSize: SizeN,
    readonly options: FoldOptions = {},
  ) {
    super();
    this.spatialDims = rankOf('Unfold', [kernelSize, options.dilation, options.padding, options.stride]);
    geometryN('Unfold', this.spatialDims, kernelSize, options);
  }

  forward(x: Tensor): Tensor {
    if (this.spatialDims !== 2) return this.forwardN(x);
    if (x.rank !== 3 && x.rank !== 4)
      throw new RangeError(`Unfold: input must be [N, C, H, W] or [C, H, W], got ${fmtShape(x.shape)}`);
    const { k, d, p, s } = geometry('Unfold', this.kernelSize as Size2, this.options as Geometry2Options);
    const [h, w] = x.shape.slice(-2) as [number, number];
    if (blocks(h, k[0], d[0], p[0], s[0]) < 1 || blocks(w, k[1], d[1], p[1], s[1]) < 1)
      throw new RangeError(
        `Unfold: kernel ${fmtShape(k)} (dilation ${fmtShape(d)}) does not fit input ${fmtShape(x.shape)} padded by ${fmtShape(p)}`,
      );
    return scope(() => {
      const x4 = x.rank === 3 ? x.unsqueeze(0) : x;
      const cols = unfold(x4.cast('float32'), k, { dilation: d, padding: p, stride: s });
      return x.rank === 3 ? cols.squeeze(0) : cols;
    });
  }

  /** Any spatial rank: one gather of the padded, flattened input by the im2col table. */
  private forwardN(x: Tensor): Tensor {
    const op = 'Unfold';
    const n = this.spatialDims;
    if (x.rank !== n + 1 && x.rank !== n + 2)
      throw new RangeError(
        `${op}: input must be [N, C, ${fmtDims(n)}] or [C, ${fmtDims(n)}], got ${fmtShape(x.shape)}`,
      );
    const g = geometryN(op, n, this.kernelSize, this.options);
    const spatial = x.shape.slice(-n);
    const lb = spatial.map((v, i) => blocks(v, g.k[i]!, g.d[i]!, g.p[i]!, g.s[i]!));
    if (lb.some((l) => l < 1))
      throw new RangeError(
        `${op}: kernel ${fmtShape(g.k)} (dilation ${fmtShape(g.d)}) does not fit input ${fmtShape(x.shape)} padded by ${fmtShape(g.p)}`,
      );
    return scope(() => {
      const xb = x.rank === n + 1 ? x.unsqueeze(0) : x;
      const [N, C] = xb.shape as [number, number];
      const pads: number[] = [];
      for (let i = n - 1; i >= 0; i--) pads.push(g.p[i]!, g.p[i]!);
      const padded = spatial.map((v, i) => v + 2 * g.p[i]!);
      const flat = xb
        .cast('float32')
        .pad(pads)
        .reshape([N, C, padded.reduce((a, b) => a * b, 1)]);
      const table = blockTable(padded, lb, g);
      const K = g.k.reduce((a, b) => a * b, 1);
      const idx = broadcastTo(tensor(table, { shape: [1, 1, table.length], dtype: 'int32' }), [
        N,
        C,
        table.length,
      ]);
      const cols = gather(flat, 2, idx).reshape([N, C * K, table.length / K]);
      return x.rank === n + 1 ? cols.squeeze(0) : cols;
    });
  }
}

/**
 * The adjoint of Unfold (torch.nn.Fold, "col2im"): columns [N, C·kh·kw, L] or [C·kh·kw, L] are
 * summed back into [N, C, H, W] (`outputSize` [H, W]), overlapping blocks adding up.
 */
export class Fold extends Module {
  /** Number of spatial dims. */
  readonly spatialDims: number;
  /**
   * Any number of spatial dims, as {@link Unfold}: columns [N, C·∏k, L] fold back into
   * [N, C, ...outputSize] (PyTorch has 2-D only).
   */
  constructor(
    readonly outputSize: SizeN,
    readonly kernelSize: SizeN,
    readonly options: FoldOptions = {},
  ) {
    super();
    this.spatialDims = rankOf('Fold', [
      outputSize,
      kernelSize,
      options.dilation,
      options.padding,
      options.stride,
    ]);
    tupleOf('Fold', outputSize, this.spatialDims, 'outputSize', 1);
    geometryN('Fold', this.spatialDims, kernelSize, options);
  }

  forward(x: Tensor): Tensor {
    if (this.spatialDims !== 2) return this.forwardN(x);
    const op = 'Fold';
    if (x.rank !== 2 && x.rank !== 3)
      throw new RangeError(`${op}: input must be [N, C·kh·kw, L] or [C·kh·kw, L], got ${fmtShape(x.shape)}`);
    const [oh, ow] = pair(op, this.outputSize as Size2, 'outputSize', 1);
    const { k, d, p, s } = geometry(op, this.kernelSize as Size2, this.options as Geometry2Options);
    const kk = k[0] * k[1];
    const [ck, l] = x.shape.slice(-2) as [number, number];
    if (ck % kk !== 0)
      throw new RangeError(
        `${op}: input dim ${ck} of ${fmtShape(x.shape)} must be divisible by kh·kw = ${kk}`,
      );
    const lh = blocks(oh, k[0], d[0], p[0], s[0]);
    const lw = blocks(ow, k[1], d[1], p[1], s[1]);
    if (lh < 1 || lw < 1 || lh * lw !== l)
      throw new RangeError(
        `${op}: input ${fmtShape(x.shape)} has ${l} blocks but outputSize ${fmtShape([oh, ow])} with kernel ${fmtShape(k)} gives ${Math.max(lh, 0)}×${Math.max(lw, 0)}`,
      );
    const c = ck / kk;
    return scope(() => {
      const x3 = x.rank === 2 ? x.unsqueeze(0) : x;
      const n = x3.shape[0]!;
      // Channel c·K + j of the columns writes through a one-hot kernel at offset j of channel c:
      // a grouped transposed convolution, the exact adjoint of core's unfold (a grouped conv).
      const eye = new Float32Array(ck * kk);
      for (let j = 0; j < ck; j++) eye[j * kk + (j % kk)] = 1;
      const weight = tensor(eye, { shape: [ck, 1, k[0], k[1]] });
      const full = convTranspose2d(x3.cast('float32').reshape([n, ck, lh, lw]), weight, {
        stride: s,
        dilation: d,
        groups: c,
      });
      // The blocks cover the padded image from its top-left; pad up to it, then crop the padding.
      const [fh, fw] = full.shape.slice(-2) as [number, number];
      const hp = oh + 2 * p[0];
      const wp = ow + 2 * p[1];
      const y = full.pad([-p[1], wp - fw - p[1], -p[0], hp - fh - p[0]]);
      return x.rank === 2 ? y.squeeze(0) : y;
    });
  }

  /** Any spatial rank: one scatter-add of the columns into the padded output by the im2col table. */
  private forwardN(x: Tensor): Tensor {
    const op = 'Fold';
    const n = this.spatialDims;
    if (x.rank !== 2 && x.rank !== 3)
      throw new RangeError(`${op}: input must be [N, C·∏k, L] or [C·∏k, L], got ${fmtShape(x.shape)}`);
    const out = tupleOf(op, this.outputSize, n, 'outputSize', 1);
    const g = geometryN(op, n, this.kernelSize, this.options);
    const K = g.k.reduce((a, b) => a * b, 1);
    const [ck, l] = x.shape.slice(-2) as [number, number];
    if (ck % K !== 0)
      throw new RangeError(
        `${op}: input dim ${ck} of ${fmtShape(x.shape)} must be divisible by ∏kernelSize = ${K}`,
      );
    const lb = out.map((v, i) => blocks(v, g.k[i]!, g.d[i]!, g.p[i]!, g.s[i]!));
    const L = lb.reduce((a, b) => a * b, 1);
    if (lb.some((b) => b < 1) || L !== l)
      throw new RangeError(
        `${op}: input ${fmtShape(x.shape)} has ${l} blocks but outputSize ${fmtShape(out)} with kernel ${fmtShape(g.k)} gives ${lb.map((b) => Math.max(b, 0)).join('×')}`,
      );
    return scope(() => {
      const x3 = x.rank === 2 ? x.unsqueeze(0) : x;
      const N = x3.shape[0]!;
      const C = ck / K;
      const padded = out.map((v, i) => v + 2 * g.p[i]!);
      const size = padded.reduce((a, b) => a * b, 1);
      const table = blockTable(padded, lb, g);
      const idx = broadcastTo(tensor(table, { shape: [1, 1, table.length], dtype: 'int32' }), [
        N,
        C,
        table.length,
      ]);
      const summed = scatterAdd(zeros([N, C, size]), 2, idx, x3.cast('float32').reshape([N, C, K * L]));
      const y = slice(
        summed.reshape([N, C, ...padded]),
        null,
        null,
        ...g.p.map((p, i) => [p, p + out[i]!] as [number, number]),
      );
      return x.rank === 2 ? y.squeeze(0) : y;
    });
  }
}
