import {
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  avgPool1d,
  avgPool2d,
  Module,
  maxPool1d,
  maxPool2d,
  pad,
  scope,
  type Tensor,
} from '@myelin/core';
import { padWithMode } from './conv.js';
import { maxPoolNd } from './pool-windows.js';
import type { MaxPoolResult } from './pooling-extra.js';
import { pair, positiveInt, type Size2 } from './util.js';

export interface PoolOptions<P> {
  /** Default: the kernel size. */
  stride?: P;
  padding?: P;
  dilation?: P;
  /** Use ceil instead of floor for the output size (the last window must start inside the input). */
  ceilMode?: boolean;
}

export interface MaxPoolOptions<P, R extends boolean = false> extends PoolOptions<P> {
  /**
   * Also return the int32 index of each maximum, flattened over the spatial dims of its plane (as
   * PyTorch's `return_indices`, for MaxUnpool); forward then returns [values, indices].
   */
  returnIndices?: R;
}

/**
 * Max over sliding windows of x [N, C, L] or [C, L] (torch.nn.MaxPool1d); padding never wins.
 * With `returnIndices`, forward returns [values, indices] (positions along L).
 */
export class MaxPool1d<R extends boolean = false> extends Module {
  readonly returnIndices: R;
  constructor(
    readonly kernelSize: number,
    readonly options: MaxPoolOptions<number, R> = {},
  ) {
    super();
    positiveInt('MaxPool1d', kernelSize, 'kernelSize');
    this.returnIndices = (options.returnIndices ?? false) as R;
  }

  forward(x: Tensor): MaxPoolResult<R> {
    if (!this.returnIndices) return maxPool1d(x, this.kernelSize, this.options) as MaxPoolResult<R>;
    const o = this.options;
    const op = 'MaxPool1d';
    const g = {
      k: [this.kernelSize],
      s: [positiveInt(op, o.stride ?? this.kernelSize, 'stride')],
      p: [pair(op, o.padding ?? 0, 'padding')[0]],
      d: [positiveInt(op, o.dilation ?? 1, 'dilation')],
      ceil: o.ceilMode ?? false,
    };
    return scope(() => {
      const r = maxPoolNd(op, x, 1, 'L', g, true);
      return [r.values, r.indices!];
    }) as MaxPoolResult<R>;
  }
}

/**
 * Max over sliding windows of x [N, C, H, W] or [C, H, W] (torch.nn.MaxPool2d). With
 * `returnIndices`, forward returns [values, indices] (flat positions h·W + w within each plane).
 */
export class MaxPool2d<R extends boolean = false> extends Module {
  readonly returnIndices: R;
  constructor(
    readonly kernelSize: Size2,
    readonly options: MaxPoolOptions<Size2, R> = {},
  ) {
    super();
    this.returnIndices = (options.returnIndices ?? false) as R;
  }

  forward(x: Tensor): MaxPoolResult<R> {
    const o = this.options;
    const op = 'MaxPool2d';
    const k = pair(op, this.kernelSize, 'kernelSize', 1);
    const stride = pair(op, o.stride ?? k, 'stride', 1);
    const padding = pair(op, o.padding ?? 0, 'padding');
    const dilation = pair(op, o.dilation ?? 1, 'dilation', 1);
    const ceilMode = o.ceilMode ?? false;
    if (!this.returnIndices)
      return maxPool2d(x, k, { stride, padding, dilation, ceilMode }) as MaxPoolResult<R>;
    const g = { k, s: stride, p: padding, d: dilation, ceil: ceilMode };
    return scope(() => {
      const r = maxPoolNd(op, x, 2, 'H, W', g, true);
      return [r.values, r.indices!];
    }) as MaxPoolResult<R>;
  }
}

export interface AvgPoolOptions<P> extends Omit<PoolOptions<P>, 'dilation'> {
  /** Count the zero padding in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

/** Mean over sliding windows of x [N, C, L] (torch.nn.AvgPool1d). */
export class AvgPool1d extends Module {
  constructor(
    readonly kernelSize: number,
    readonly options: AvgPoolOptions<number> = {},
  ) {
    super();
    positiveInt('AvgPool1d', kernelSize, 'kernelSize');
  }

  forward(x: Tensor): Tensor {
    return avgPool1d(x, this.kernelSize, this.options);
  }
}

/** Mean over sliding windows of x [N, C, H, W] (torch.nn.AvgPool2d). */
export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: Size2,
    readonly options: AvgPoolOptions<Size2> = {},
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    const o = this.options;
    return avgPool2d(x, pair('AvgPool2d', this.kernelSize, 'kernelSize', 1), {
      ...(o.stride !== undefined ? { stride: pair('AvgPool2d', o.stride, 'stride', 1) } : {}),
      padding: pair('AvgPool2d', o.padding ?? 0, 'padding'),
      ceilMode: o.ceilMode ?? false,
      countIncludePad: o.countIncludePad ?? true,
    });
  }
}

/** Average pooling of x [N, C, L] to a fixed length (torch.nn.AdaptiveAvgPool1d). */
export class AdaptiveAvgPool1d extends Module {
  constructor(readonly outputSize: number) {
    super();
    positiveInt('AdaptiveAvgPool1d', outputSize, 'outputSize');
  }

  forward(x: Tensor): Tensor {
    return adaptiveAvgPool1d(x, this.outputSize);
  }
}

/**
 * Average pooling of x [N, C, H, W] to a fixed size (torch.nn.AdaptiveAvgPool2d); a `null` entry
 * keeps that input dim.
 */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | readonly [number | null, number | null]) {
    super();
  }

  forward(x: Tensor): Tensor {
    const s = this.outputSize;
    const [oh, ow] = typeof s === 'number' ? [s, s] : s;
    return adaptiveAvgPool2d(x, [oh ?? x.shape[x.rank - 2]!, ow ?? x.shape[x.rank - 1]!]);
  }
}

// ---------------------------------------------------------------------------------------------
// Padding layers
// ---------------------------------------------------------------------------------------------

type Pad4 = number | readonly [number, number, number, number];
const pads4 = (p: Pad4): number[] => (typeof p === 'number' ? [p, p, p, p] : [...p]);

/** Pad the last two dims with zeros (torch.nn.ZeroPad2d): `padding` = n or [left, right, top, bottom]. */
export class ZeroPad2d extends Module {
  readonly padding: readonly number[];
  constructor(padding: Pad4) {
    super();
    this.padding = pads4(padding);
  }

  forward(x: Tensor): Tensor {
    return pad(x, this.padding);
  }
}

/** Pad the last two dims with a constant (torch.nn.ConstantPad2d). */
export class ConstantPad2d extends Module {
  readonly padding: readonly number[];
  constructor(
    padding: Pad4,
    readonly value: number,
  ) {
    super();
    this.padding = pads4(padding);
  }

  forward(x: Tensor): Tensor {
    return pad(x, this.padding, { value: this.value });
  }
}

/** Pad the last two dims by reflection (torch.nn.ReflectionPad2d). */
export class ReflectionPad2d extends Module {
  readonly padding: readonly number[];
  constructor(padding: Pad4) {
    super();
    this.padding = pads4(padding);
  }

  forward(x: Tensor): Tensor {
    return padWithMode(x, this.padding, 'reflect');
  }
}

/** Pad the last two dims by repeating the border (torch.nn.ReplicationPad2d). */
export class ReplicationPad2d extends Module {
  readonly padding: readonly number[];
  constructor(padding: Pad4) {
    super();
    this.padding = pads4(padding);
  }

  forward(x: Tensor): Tensor {
    return padWithMode(x, this.padding, 'replicate');
  }
}
