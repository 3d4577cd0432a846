import { fmtShape, Module, scatter, scope, type Tensor, zeros } from '@myelin/core';
import { tupleOf } from './pool-windows.js';

export interface MaxUnpoolOptions<P> {
  /** Default: the kernel size. */
  stride?: P;
  padding?: P;
}

export interface MaxUnpoolCallOptions {
  /**
   * The output's spatial size (the trailing entries are used, so a full shape works too); it must
   * lie strictly within one stride of the default (in − 1)·stride − 2·padding + kernel, as PyTorch.
   */
  outputSize?: readonly number[];
}

/**
 * The partial inverse of a max pool, as torch.nn.MaxUnpoolNd: each value of x is written at its
 * index (flattened over the spatial dims of its plane) in a zero output; the rest stays zero.
 * Written as core's `scatter`, whose gradient gathers back from those indices.
 */
function maxUnpool(
  op: string,
  nd: number,
  dims: string,
  x: Tensor,
  indices: Tensor,
  k: number[],
  s: number[],
  p: number[],
  outputSize: readonly number[] | undefined,
): Tensor {
  if (x.rank !== nd + 1 && x.rank !== nd + 2)
    throw new RangeError(`${op}: input must be [N, C, ${dims}] or [C, ${dims}], got ${fmtShape(x.shape)}`);
  if (indices.dtype !== 'int32')
    throw new TypeError(
      `${op}: indices must be int32 (from a max pool's returnIndices), got ${indices.dtype}`,
    );
  if (indices.rank !== x.rank || indices.shape.some((d, i) => d !== x.shape[i]))
    throw new RangeError(
      `${op}: indices shape ${fmtShape(indices.shape)} must equal the input shape ${fmtShape(x.shape)}`,
    );
  const spatial = x.shape.slice(-nd);
  const dflt = spatial.map((n, i) => (n - 1) * s[i]! - 2 * p[i]! + k[i]!);
  let out = dflt;
  if (outputSize) {
    if (outputSize.length !== nd && outputSize.length !== x.rank)
      throw new RangeError(
        `${op}: outputSize must have ${nd} or ${x.rank} entries, got ${fmtShape(outputSize)}`,
      );
    out = outputSize.slice(-nd);
    out.forEach((o, i) => {
      if (!(o > dflt[i]! - s[i]! && o < dflt[i]! + s[i]!))
        throw new RangeError(
          `${op}: outputSize ${fmtShape(out)} is invalid: dim ${i} must be between ${dflt[i]! - s[i]!} and ${dflt[i]! + s[i]!} (exclusive)`,
        );
    });
  }
  if (out.some((o) => o < 1))
    throw new RangeError(
      `${op}: the output size ${fmtShape(out)} is not positive (input ${fmtShape(x.shape)})`,
    );
  const plane = out.reduce((a, b) => a * b, 1);
  return scope(() => {
    const lead = x.shape.slice(0, x.rank - nd);
    const rows = lead.reduce((a, b) => a * b, 1);
    const cols = spatial.reduce((a, b) => a * b, 1);
    const flatIdx = indices.reshape([rows, cols]);
    if (flatIdx.size > 0) {
      const lo = flatIdx.min().dataSync()[0]!;
      const hi = flatIdx.max().dataSync()[0]!;
      if (lo < 0 || hi >= plane)
        throw new RangeError(
          `${op}: index ${lo < 0 ? lo : hi} is out of range for output size ${fmtShape(out)} (${plane} positions per plane)`,
        );
    }
    const y = scatter(zeros([rows, plane]), 1, flatIdx, x.cast('float32').reshape([rows, cols]));
    return y.reshape([...lead, ...out]);
  });
}

abstract class MaxUnpoolNd extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];

  protected constructor(
    private readonly op: string,
    private readonly nd: number,
    private readonly dims: string,
    kernelSize: number | readonly number[],
    options: MaxUnpoolOptions<number | readonly number[]>,
  ) {
    super();
    this.kernelSize = tupleOf(op, kernelSize, nd, 'kernelSize', 1);
    this.stride = tupleOf(op, options.stride ?? kernelSize, nd, 'stride', 1);
    this.padding = tupleOf(op, options.padding ?? 0, nd, 'padding');
  }

  /** Unpool x with the `indices` a max pool returned. */
  forward(x: Tensor, indices: Tensor, options: MaxUnpoolCallOptions = {}): Tensor {
    return maxUnpool(
      this.op,
      this.nd,
      this.dims,
      x,
      indices,
      this.kernelSize,
      this.stride,
      this.padding,
      options.outputSize,
    );
  }
}

/**
 * Inverse of MaxPool1d on x [N, C, L] or [C, L] (torch.nn.MaxUnpool1d).
 *
 * @example
 * const [y, idx] = new MaxPool1d(2, { returnIndices: true }).forward(x);
 * const back = new MaxUnpool1d(2).forward(y, idx);   // x's maxima in place, zeros elsewhere
 */
export class MaxUnpool1d extends MaxUnpoolNd {
  constructor(kernelSize: number, options: MaxUnpoolOptions<number> = {}) {
    super('MaxUnpool1d', 1, 'L', kernelSize, options);
  }
}

/** Inverse of MaxPool2d on x [N, C, H, W] or [C, H, W] (torch.nn.MaxUnpool2d). */
export class MaxUnpool2d extends MaxUnpoolNd {
  constructor(
    kernelSize: number | readonly [number, number],
    options: MaxUnpoolOptions<number | readonly [number, number]> = {},
  ) {
    super('MaxUnpool2d', 2, 'H, W', kernelSize, options);
  }
}

/** Inverse of MaxPool3d on x [N, C, D, H, W] or [C, D, H, W] (torch.nn.MaxUnpool3d). */
export class MaxUnpool3d extends MaxUnpoolNd {
  constructor(
    kernelSize: number | readonly [number, number, number],
    options: MaxUnpoolOptions<number | readonly [number, number, number]> = {},
  ) {
    super('MaxUnpool3d', 3, 'D, H, W', kernelSize, options);
  }
}
