import {
  argmax,
  avgPool1d,
  avgPool2d,
  fmtShape,
  Module,
  scope,
  slice,
  stack,
  type Tensor,
} from '@myelin/core';
import type { PoolOptions } from './pooling.js';
import { pair, positiveInt, type Size2 } from './util.js';

function checkNormType(op: string, p: number): number {
  if (!(p > 0 && Number.isFinite(p)))
    throw new RangeError(`${op}: normType must be a finite p > 0, got ${p}`);
  return p;
}

type LPOptions<P> = Pick<PoolOptions<P>, 'stride' | 'ceilMode'>;

/**
 * Power-average pooling of x [N, C, L] (torch.nn.LPPool1d): (Σ_window x^p)^(1/p), computed as
 * PyTorch does, from an average pool of x^p times the window size (so a negative x with a
 * fractional p gives NaN there, as PyTorch).
 */
export class LPPool1d extends Module {
  constructor(
    readonly normType: number,
    readonly kernelSize: number,
    readonly options: LPOptions<number> = {},
  ) {
    super();
    checkNormType('LPPool1d', normType);
    positiveInt('LPPool1d', kernelSize, 'kernelSize');
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 2 && x.rank !== 3)
      throw new RangeError(`LPPool1d: input must be [N, C, L] or [C, L], got ${fmtShape(x.shape)}`);
    const k = this.kernelSize;
    const p = this.normType;
    return scope(() =>
      avgPool1d(x.cast('float32').pow(p), k, {
        stride: this.options.stride ?? k,
        ceilMode: this.options.ceilMode ?? false,
      })
        .mul(k)
        .pow(1 / p),
    );
  }
}

/** Power-average pooling of x [N, C, H, W] (torch.nn.LPPool2d); see {@link LPPool1d}. */
export class LPPool2d extends Module {
  constructor(
    readonly normType: number,
    readonly kernelSize: Size2,
    readonly options: LPOptions<Size2> = {},
  ) {
    super();
    checkNormType('LPPool2d', normType);
    pair('LPPool2d', kernelSize, 'kernelSize', 1);
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 3 && x.rank !== 4)
      throw new RangeError(`LPPool2d: input must be [N, C, H, W] or [C, H, W], got ${fmtShape(x.shape)}`);
    const k = pair('LPPool2d', this.kernelSize, 'kernelSize', 1);
    const stride = pair('LPPool2d', this.options.stride ?? k, 'stride', 1);
    const p = this.normType;
    return scope(() =>
      avgPool2d(x.cast('float32').pow(p), k, { stride, ceilMode: this.options.ceilMode ?? false })
        .mul(k[0] * k[1])
        .pow(1 / p),
    );
  }
}

/** PyTorch's adaptive bins: output i covers ⌊i·n/out⌋ … ⌈(i+1)·n/out⌉ − 1. */
function bins(n: number, out: number): [number, number][] {
  return Array.from({ length: out }, (_, i) => [Math.floor((i * n) / out), Math.ceil(((i + 1) * n) / out)]);
}

/**
 * Max of each adaptive window of x [N, C, H, W] and the flat index h·W + w of the winner (the
 * first, on ties), the gradient going to the winner only.
 */
function adaptiveMax2d(x: Tensor, oh: number, ow: number): [Tensor, Tensor] {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const values: Tensor[] = [];
  const indices: Tensor[] = [];
  for (const [h0, h1] of bins(h, oh))
    for (const [w0, w1] of bins(w, ow)) {
      const kw = w1 - w0;
      const win = slice(x, null, null, [h0, h1], [w0, w1]).reshape([n, c, (h1 - h0) * kw]);
      const local = argmax(win, -1, { keepdims: true });
      values.push(win.gather(-1, local));
      indices.push(local.floorDiv(kw).add(h0).mul(w).add(local.mod(kw).add(w0)));
    }
  return [stack(values, 2).reshape([n, c, oh, ow]), stack(indices, 2).reshape([n, c, oh, ow])];
}

/** Size of an adaptive pool's output: a number, or null to keep that input dim. */
export type AdaptiveSize2 = number | readonly [number | null, number | null];

export interface AdaptiveMaxPoolOptions<R extends boolean = false> {
  /** Also return the flat index of each maximum within its plane (int32), as PyTorch. */
  returnIndices?: R;
}

/** What an adaptive max pool returns: the values, or [values, indices] with `returnIndices`. */
export type MaxPoolResult<R extends boolean> = R extends true ? [Tensor, Tensor] : Tensor;

/**
 * Max pooling of x [N, C, L] or [C, L] to a fixed length (torch.nn.AdaptiveMaxPool1d). With
 * `returnIndices`, forward returns [values, indices] (indices int32, positions along L).
 */
export class AdaptiveMaxPool1d<R extends boolean = false> extends Module {
  readonly returnIndices: R;
  constructor(
    readonly outputSize: number,
    options: AdaptiveMaxPoolOptions<R> = {},
  ) {
    super();
    positiveInt('AdaptiveMaxPool1d', outputSize, 'outputSize');
    this.returnIndices = (options.returnIndices ?? false) as R;
  }

  forward(x: Tensor): MaxPoolResult<R> {
    if (x.rank !== 2 && x.rank !== 3)
      throw new RangeError(`AdaptiveMaxPool1d: input must be [N, C, L] or [C, L], got ${fmtShape(x.shape)}`);
    if (x.shape[x.rank - 1] === 0)
      throw new RangeError(`AdaptiveMaxPool1d: input ${fmtShape(x.shape)} has an empty length dim`);
    const out = scope(() => {
      const x4 = (x.rank === 2 ? x.unsqueeze(0) : x).unsqueeze(2).cast('float32');
      const [v, i] = adaptiveMax2d(x4, 1, this.outputSize);
      const drop = x.rank === 2 ? [0, 2] : [2];
      return [v.squeeze(drop), i.squeeze(drop)] as [Tensor, Tensor];
    });
    if (this.returnIndices) return out as MaxPoolResult<R>;
    out[1].dispose();
    return out[0] as MaxPoolResult<R>;
  }
}

/**
 * Max pooling of x [N, C, H, W] or [C, H, W] to a fixed size (torch.nn.AdaptiveMaxPool2d); a
 * `null` entry keeps that input dim. With `returnIndices`, forward returns [values, indices]
 * (int32, flat positions h·W + w within each plane, as PyTorch's indices for max_unpool2d).
 */
export class AdaptiveMaxPool2d<R extends boolean = false> extends Module {
  readonly returnIndices: R;
  constructor(
    readonly outputSize: AdaptiveSize2,
    options: AdaptiveMaxPoolOptions<R> = {},
  ) {
    super();
    const s = outputSize;
    for (const d of typeof s === 'number' ? [s] : s)
      if (d !== null) positiveInt('AdaptiveMaxPool2d', d, 'outputSize');
    this.returnIndices = (options.returnIndices ?? false) as R;
  }

  forward(x: Tensor): MaxPoolResult<R> {
    if (x.rank !== 3 && x.rank !== 4)
      throw new RangeError(
        `AdaptiveMaxPool2d: input must be [N, C, H, W] or [C, H, W], got ${fmtShape(x.shape)}`,
      );
    const h = x.shape[x.rank - 2]!;
    const w = x.shape[x.rank - 1]!;
    if (h === 0 || w === 0)
      throw new RangeError(`AdaptiveMaxPool2d: input ${fmtShape(x.shape)} has an empty spatial dim`);
    const s = this.outputSize;
    const [oh, ow] = typeof s === 'number' ? [s, s] : [s[0] ?? h, s[1] ?? w];
    const out = scope(() => {
      const x4 = (x.rank === 3 ? x.unsqueeze(0) : x).cast('float32');
      const [v, i] = adaptiveMax2d(x4, oh, ow);
      return (x.rank === 3 ? [v.squeeze(0), i.squeeze(0)] : [v, i]) as [Tensor, Tensor];
    });
    if (this.returnIndices) return out as MaxPoolResult<R>;
    out[1].dispose();
    return out[0] as MaxPoolResult<R>;
  }
}
