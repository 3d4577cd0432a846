import { convTranspose2d, fmtShape, Module, scope, type Tensor, tensor, unfold } from '@myelin/core';
import { pair, type Size2 } from './util.js';

export interface FoldOptions {
  dilation?: Size2;
  padding?: Size2;
  stride?: Size2;
}

interface Geometry {
  k: [number, number];
  d: [number, number];
  p: [number, number];
  s: [number, number];
}

function geometry(op: string, kernelSize: Size2, o: FoldOptions): Geometry {
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
 */
export class Unfold extends Module {
  constructor(
    readonly kernelSize: Size2,
    readonly options: FoldOptions = {},
  ) {
    super();
    geometry('Unfold', kernelSize, options);
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 3 && x.rank !== 4)
      throw new RangeError(`Unfold: input must be [N, C, H, W] or [C, H, W], got ${fmtShape(x.shape)}`);
    const { k, d, p, s } = geometry('Unfold', this.kernelSize, this.options);
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
}

/**
 * The adjoint of Unfold (torch.nn.Fold, "col2im"): columns [N, C·kh·kw, L] or [C·kh·kw, L] are
 * summed back into [N, C, H, W] (`outputSize` [H, W]), overlapping blocks adding up.
 */
export class Fold extends Module {
  constructor(
    readonly outputSize: Size2,
    readonly kernelSize: Size2,
    readonly options: FoldOptions = {},
  ) {
    super();
    pair('Fold', outputSize, 'outputSize', 1);
    geometry('Fold', kernelSize, options);
  }

  forward(x: Tensor): Tensor {
    const op = 'Fold';
    if (x.rank !== 2 && x.rank !== 3)
      throw new RangeError(`${op}: input must be [N, C·kh·kw, L] or [C·kh·kw, L], got ${fmtShape(x.shape)}`);
    const [oh, ow] = pair(op, this.outputSize, 'outputSize', 1);
    const { k, d, p, s } = geometry(op, this.kernelSize, this.options);
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
}
