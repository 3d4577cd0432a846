import { fmtShape, Module, scope, type Tensor } from '@myelin/core';
import {
  adaptivePlan,
  batchedInput,
  maxPoolNd,
  poolOutSize,
  reduceWindows,
  slidingPlan,
  tupleOf,
} from './pool-windows.js';
import type { MaxPoolResult } from './pooling-extra.js';

/** A number or one value per spatial dim [d, h, w]. */
export type Size3 = number | readonly [number, number, number];

export interface MaxPool3dOptions<R extends boolean = false> {
  /** Default: the kernel size. */
  stride?: Size3;
  padding?: Size3;
  dilation?: Size3;
  /** Ceil instead of floor for the output size (the last window must start inside the input). */
  ceilMode?: boolean;
  /** Also return the int32 index of each maximum flattened over D·H·W of its plane (as PyTorch). */
  returnIndices?: R;
}

const DHW = 'D, H, W';

/**
 * Max over sliding windows of x [N, C, D, H, W] or [C, D, H, W] (torch.nn.MaxPool3d); padding
 * never wins. With `returnIndices`, forward returns [values, indices] for {@link MaxUnpool3d}.
 *
 * Separable: without indices, core's fused max pool over (H, W) of each depth plane, then a max
 * over depth windows (strided slices); with indices, max reductions along W, then H, then D that
 * carry the flat index. Either way the gradient goes to the winning element only, as PyTorch's.
 */
export class MaxPool3d<R extends boolean = false> extends Module {
  readonly kernelSize: [number, number, number];
  readonly stride: [number, number, number];
  readonly padding: [number, number, number];
  readonly dilation: [number, number, number];
  readonly ceilMode: boolean;
  readonly returnIndices: R;

  constructor(kernelSize: Size3, options: MaxPool3dOptions<R> = {}) {
    super();
    const op = 'MaxPool3d';
    this.kernelSize = tupleOf(op, kernelSize, 3, 'kernelSize', 1) as [number, number, number];
    this.stride = tupleOf(op, options.stride ?? kernelSize, 3, 'stride', 1) as [number, number, number];
    this.padding = tupleOf(op, options.padding ?? 0, 3, 'padding') as [number, number, number];
    this.dilation = tupleOf(op, options.dilation ?? 1, 3, 'dilation', 1) as [number, number, number];
    this.ceilMode = options.ceilMode ?? false;
    this.returnIndices = (options.returnIndices ?? false) as R;
  }

  forward(x: Tensor): MaxPoolResult<R> {
    const g = { k: this.kernelSize, s: this.stride, p: this.padding, d: this.dilation, ceil: this.ceilMode };
    const out = scope(() => {
      const r = maxPoolNd('MaxPool3d', x, 3, DHW, g, this.returnIndices);
      return r.indices ? [r.values, r.indices] : [r.values];
    });
    return (this.returnIndices ? out : out[0]) as MaxPoolResult<R>;
  }
}

export interface AvgPool3dOptions {
  /** Default: the kernel size. */
  stride?: Size3;
  padding?: Size3;
  ceilMode?: boolean;
  /** Count the zero padding in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead of its size. */
  divisorOverride?: number;
}

/**
 * Mean over sliding windows of x [N, C, D, H, W] or [C, D, H, W] (torch.nn.AvgPool3d). The
 * divisor is PyTorch's: the window clipped to the padded input (countIncludePad) or to the input,
 * or `divisorOverride`.
 */
export class AvgPool3d extends Module {
  readonly kernelSize: [number, number, number];
  readonly stride: [number, number, number];
  readonly padding: [number, number, number];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | undefined;

  constructor(kernelSize: Size3, options: AvgPool3dOptions = {}) {
    super();
    const op = 'AvgPool3d';
    this.kernelSize = tupleOf(op, kernelSize, 3, 'kernelSize', 1) as [number, number, number];
    this.stride = tupleOf(op, options.stride ?? kernelSize, 3, 'stride', 1) as [number, number, number];
    this.padding = tupleOf(op, options.padding ?? 0, 3, 'padding') as [number, number, number];
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
    this.divisorOverride = options.divisorOverride;
    if (
      this.divisorOverride !== undefined &&
      !(this.divisorOverride !== 0 && Number.isInteger(this.divisorOverride))
    )
      throw new RangeError(`${op}: divisorOverride must be a non-zero integer, got ${this.divisorOverride}`);
    this.padding.forEach((p, i) => {
      if (p > this.kernelSize[i]! / 2)
        throw new RangeError(
          `${op}: padding ${fmtShape(this.padding)} must be at most half the kernel size ${fmtShape(this.kernelSize)}`,
        );
    });
  }

  forward(x: Tensor): Tensor {
    const op = 'AvgPool3d';
    return scope(() => {
      const { x: xb, unbatched } = batchedInput(op, x, 3, DHW);
      const spatial = xb.shape.slice(2);
      const outs = spatial.map((n, i) =>
        poolOutSize(n, this.kernelSize[i]!, this.stride[i]!, this.padding[i]!, 1, this.ceilMode),
      );
      if (outs.some((o) => o < 1))
        throw new RangeError(
          `${op}: input ${fmtShape(x.shape)} is too small for kernel ${fmtShape(this.kernelSize)} (padding ${fmtShape(this.padding)}): output ${fmtShape(outs)}`,
        );
      const plans = spatial.map((n, i) => {
        const k = this.kernelSize[i]!;
        const p = this.padding[i]!;
        // Per-dim factor of PyTorch's divisor: the window clipped to [−p, n + p) or to the input.
        const divisor =
          this.divisorOverride !== undefined
            ? () => 1
            : this.countIncludePad
              ? (start: number) => Math.min(start + k, n + p) - start
              : (_start: number, valid: number) => valid;
        return slidingPlan(n, { k, s: this.stride[i]!, p, d: 1, out: outs[i]! }, divisor);
      });
      let y = reduceWindows(xb, plans, false).values;
      if (this.divisorOverride !== undefined) y = y.div(this.divisorOverride);
      return unbatched ? y.squeeze(0) : y;
    });
  }
}

/** Size of a 3-D adaptive pool's output: a number, or per dim a number or null (keep that input dim). */
export type AdaptiveSize3 = number | readonly [number | null, number | null, number | null];

function adaptiveOut(op: string, s: AdaptiveSize3): (number | null)[] {
  const t = typeof s === 'number' ? [s, s, s] : [...s];
  if (t.length !== 3 || !t.every((d) => d === null || (Number.isInteger(d) && d > 0)))
    throw new RangeError(
      `${op}: outputSize must be a positive integer or 3 of them (or null), got ${JSON.stringify(s)}`,
    );
  return t;
}

/** Average pooling of x [N, C, D, H, W] or [C, D, H, W] to a fixed size (torch.nn.AdaptiveAvgPool3d). */
export class AdaptiveAvgPool3d extends Module {
  private readonly sizes: (number | null)[];
  constructor(readonly outputSize: AdaptiveSize3) {
    super();
    this.sizes = adaptiveOut('AdaptiveAvgPool3d', outputSize);
  }

  forward(x: Tensor): Tensor {
    return scope(() => {
      const { x: xb, unbatched } = batchedInput('AdaptiveAvgPool3d', x, 3, DHW);
      const plans = xb.shape
        .slice(2)
        .map((n, i) => adaptivePlan(xb.rank, i + 2, n, this.sizes[i] ?? n, true));
      const y = reduceWindows(xb, plans, false).values;
      return unbatched ? y.squeeze(0) : y;
    });
  }
}

/**
 * Max pooling of x [N, C, D, H, W] or [C, D, H, W] to a fixed size (torch.nn.AdaptiveMaxPool3d);
 * with `returnIndices`, forward returns [values, indices] (int32, flat over D·H·W per plane).
 */
export class AdaptiveMaxPool3d<R extends boolean = false> extends Module {
  readonly returnIndices: R;
  private readonly sizes: (number | null)[];
  constructor(
    readonly outputSize: AdaptiveSize3,
    options: { returnIndices?: R } = {},
  ) {
    super();
    this.sizes = adaptiveOut('AdaptiveMaxPool3d', outputSize);
    this.returnIndices = (options.returnIndices ?? false) as R;
  }

  forward(x: Tensor): MaxPoolResult<R> {
    const out = scope(() => {
      const { x: xb, unbatched } = batchedInput('AdaptiveMaxPool3d', x, 3, DHW);
      const plans = xb.shape
        .slice(2)
        .map((n, i) => adaptivePlan(xb.rank, i + 2, n, this.sizes[i] ?? n, false));
      const r = reduceWindows(xb, plans, this.returnIndices);
      const res = r.indices ? [r.values, r.indices] : [r.values];
      return unbatched ? res.map((t) => t.squeeze(0)) : res;
    });
    return (this.returnIndices ? out : out[0]) as MaxPoolResult<R>;
  }
}
