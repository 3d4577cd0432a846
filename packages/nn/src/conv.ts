import {
  concat,
  conv1d,
  conv2d,
  convTranspose2d,
  fmtShape,
  Module,
  type Parameter,
  pad,
  type Seed,
  slice,
  type Tensor,
} from '@myelin/core';
import { defaultWeightAndBias, generatorFrom, pair, positiveInt, type Size2 } from './util.js';

/** How the border is filled: zeros (default) or, as PyTorch's padding_mode, reflect/replicate/circular. */
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

export interface ConvOptions<P> {
  stride?: P;
  /** Implicit padding on both sides, or 'same' (stride 1; odd totals put the extra at the end) / 'valid'. */
  padding?: P | 'same' | 'valid';
  dilation?: P;
  groups?: number;
  /** Add a learned bias (default true). */
  bias?: boolean;
  paddingMode?: PaddingMode;
  /** Seed of the default initialisation (a number or a core `Generator`). */
  seed?: Seed;
}

/** Circular padding of the trailing dims; `pads` in F.pad order (last dim first). */
function circularPad(x: Tensor, pads: readonly number[]): Tensor {
  let y = x;
  for (let j = 0; j < pads.length / 2; j++) {
    const axis = x.rank - 1 - j;
    const before = pads[2 * j]!;
    const after = pads[2 * j + 1]!;
    const n = y.shape[axis]!;
    if (before > n || after > n)
      throw new RangeError(
        `circular padding: pad ${Math.max(before, after)} is larger than the dim size ${n}`,
      );
    const spec = (s: number, e: number) =>
      y.shape.map((_, i) => (i === axis ? ([s, e] as [number, number]) : null));
    const parts: Tensor[] = [];
    if (before > 0) parts.push(slice(y, ...spec(n - before, n)));
    parts.push(y);
    if (after > 0) parts.push(slice(y, ...spec(0, after)));
    y = parts.length > 1 ? concat(parts, axis) : y;
  }
  return y;
}

/** F.pad with a padding mode, for the non-'zeros' modes of the conv layers. */
export function padWithMode(x: Tensor, pads: readonly number[], mode: Exclude<PaddingMode, 'zeros'>): Tensor {
  if (mode === 'circular') return circularPad(x, pads);
  return pad(x, pads, { mode });
}

/** Per-dim [before, after] padding of a conv with explicit, 'same' or 'valid' padding. */
function explicitPads(
  padding: number[] | 'same' | 'valid',
  kernel: number[],
  dilation: number[],
): [number, number][] {
  if (padding === 'valid') return kernel.map(() => [0, 0]);
  if (padding === 'same')
    return kernel.map((k, i) => {
      const total = dilation[i]! * (k - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  return padding.map((p) => [p, p]);
}

abstract class ConvNd extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[] | 'same' | 'valid';
  readonly dilation: readonly number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;

  protected constructor(
    op: string,
    inChannels: number,
    outChannels: number,
    kernel: number[],
    stride: number[],
    padding: number[] | 'same' | 'valid',
    dilation: number[],
    options: ConvOptions<unknown>,
  ) {
    super();
    const groups = options.groups ?? 1;
    positiveInt(op, inChannels, 'inChannels');
    positiveInt(op, outChannels, 'outChannels');
    positiveInt(op, groups, 'groups');
    if (inChannels % groups !== 0 || outChannels % groups !== 0)
      throw new RangeError(
        `${op}: groups = ${groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`,
      );
    if (padding === 'same' && stride.some((s) => s !== 1))
      throw new RangeError(`${op}: padding 'same' requires stride 1, got ${stride.join('×')}`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = kernel;
    this.stride = stride;
    this.padding = padding;
    this.dilation = dilation;
    this.groups = groups;
    this.paddingMode = options.paddingMode ?? 'zeros';
    const fanIn = (inChannels / groups) * kernel.reduce((a, b) => a * b, 1);
    const { weight, bias } = defaultWeightAndBias(
      [outChannels, inChannels / groups, ...kernel],
      fanIn,
      (options.bias ?? true) ? outChannels : null,
      generatorFrom(options.seed),
    );
    this.weight = weight;
    this.bias = bias;
  }

  /** The input padded by a non-zeros padding mode, and the padding left for the conv itself. */
  protected prepare(x: Tensor): { x: Tensor; padding: number[] | 'same' | 'valid' } {
    if (this.paddingMode === 'zeros')
      return { x, padding: typeof this.padding === 'string' ? this.padding : [...this.padding] };
    const per = explicitPads(
      typeof this.padding === 'string' ? this.padding : [...this.padding],
      [...this.kernelSize],
      [...this.dilation],
    );
    const pads: number[] = [];
    for (let i = per.length - 1; i >= 0; i--) pads.push(per[i]![0], per[i]![1]);
    return { x: padWithMode(x, pads, this.paddingMode), padding: per.map(() => 0) };
  }
}

/**
 * 1-D convolution over x [N, C, L] (or [C, L]), as torch.nn.Conv1d: `weight` [out, in/groups, k],
 * `bias` [out]; PyTorch's default initialisation (U(±1/√fan_in) for both).
 */
export class Conv1d extends ConvNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number,
    options: ConvOptions<number> = {},
  ) {
    const p = options.padding ?? 0;
    super(
      'Conv1d',
      inChannels,
      outChannels,
      [positiveInt('Conv1d', kernelSize, 'kernelSize')],
      [positiveInt('Conv1d', options.stride ?? 1, 'stride')],
      typeof p === 'string' ? p : [pair('Conv1d', p, 'padding')[0]],
      [positiveInt('Conv1d', options.dilation ?? 1, 'dilation')],
      options,
    );
  }

  forward(x: Tensor): Tensor {
    const { x: xp, padding } = this.prepare(x);
    return conv1d(xp, this.weight, {
      bias: this.bias,
      stride: this.stride[0]!,
      padding: typeof padding === 'string' ? padding : padding[0]!,
      dilation: this.dilation[0]!,
      groups: this.groups,
    });
  }
}

/**
 * 2-D convolution over x [N, C, H, W] (or [C, H, W]), as torch.nn.Conv2d: `weight`
 * [out, in/groups, kh, kw], `bias` [out]; PyTorch's default initialisation.
 *
 * @example
 * const conv = new Conv2d(1, 6, 5, { padding: 2 });   // LeNet-5's first layer
 */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options: ConvOptions<Size2> = {}) {
    const p = options.padding ?? 0;
    super(
      'Conv2d',
      inChannels,
      outChannels,
      pair('Conv2d', kernelSize, 'kernelSize', 1),
      pair('Conv2d', options.stride ?? 1, 'stride', 1),
      typeof p === 'string' ? p : pair('Conv2d', p, 'padding'),
      pair('Conv2d', options.dilation ?? 1, 'dilation', 1),
      options,
    );
  }

  forward(x: Tensor): Tensor {
    const { x: xp, padding } = this.prepare(x);
    return conv2d(xp, this.weight, {
      bias: this.bias,
      stride: [this.stride[0]!, this.stride[1]!],
      padding: typeof padding === 'string' ? padding : [padding[0]!, padding[1]!],
      dilation: [this.dilation[0]!, this.dilation[1]!],
      groups: this.groups,
    });
  }
}

export interface ConvTransposeOptions<P> {
  stride?: P;
  padding?: P;
  outputPadding?: P;
  dilation?: P;
  groups?: number;
  bias?: boolean;
  seed?: Seed;
}

/**
 * Transposed 2-D convolution, as torch.nn.ConvTranspose2d: `weight` [in, out/groups, kh, kw],
 * `bias` [out]. Output size (H−1)·s − 2p + d·(k−1) + outputPadding + 1. Initialised as PyTorch
 * (whose fan_in for this layer is computed from the weight's dim 1, i.e. out/groups·kh·kw).
 */
export class ConvTranspose2d extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Size2,
    options: ConvTransposeOptions<Size2> = {},
  ) {
    super();
    const op = 'ConvTranspose2d';
    this.groups = positiveInt(op, options.groups ?? 1, 'groups');
    positiveInt(op, inChannels, 'inChannels');
    positiveInt(op, outChannels, 'outChannels');
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0)
      throw new RangeError(
        `${op}: groups = ${this.groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`,
      );
    this.kernelSize = pair(op, kernelSize, 'kernelSize', 1);
    this.stride = pair(op, options.stride ?? 1, 'stride', 1);
    this.padding = pair(op, options.padding ?? 0, 'padding');
    this.outputPadding = pair(op, options.outputPadding ?? 0, 'outputPadding');
    this.dilation = pair(op, options.dilation ?? 1, 'dilation', 1);
    const [kh, kw] = this.kernelSize;
    const { weight, bias } = defaultWeightAndBias(
      [inChannels, outChannels / this.groups, kh, kw],
      (outChannels / this.groups) * kh * kw,
      (options.bias ?? true) ? outChannels : null,
      generatorFrom(options.seed),
    );
    this.weight = weight;
    this.bias = bias;
  }

  /** `outputSize` ([H, W] or [N, C, H, W]) picks the output padding, as PyTorch's output_size. */
  forward(x: Tensor, options: { outputSize?: readonly number[] } = {}): Tensor {
    let outputPadding = this.outputPadding;
    if (options.outputSize) {
      const want = options.outputSize.slice(-2);
      const H = x.shape[x.rank - 2]!;
      const W = x.shape[x.rank - 1]!;
      const min = [H, W].map(
        (n, i) =>
          (n - 1) * this.stride[i]! -
          2 * this.padding[i]! +
          this.dilation[i]! * (this.kernelSize[i]! - 1) +
          1,
      );
      outputPadding = [want[0]! - min[0]!, want[1]! - min[1]!];
      if (outputPadding.some((p, i) => p < 0 || p >= Math.max(this.stride[i]!, this.dilation[i]!)))
        throw new RangeError(
          `ConvTranspose2d: outputSize ${fmtShape(want)} is not reachable from input ${fmtShape(x.shape)} (sizes ${min[0]}..${min[0]! + this.stride[0]! - 1} × ${min[1]}..${min[1]! + this.stride[1]! - 1})`,
        );
    }
    return convTranspose2d(x, this.weight, {
      bias: this.bias,
      stride: this.stride,
      padding: this.padding,
      outputPadding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}

/** Transposed 1-D convolution over x [N, C, L], as torch.nn.ConvTranspose1d: `weight` [in, out/groups, k]. */
export class ConvTranspose1d extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly outputPadding: number;
  readonly dilation: number;
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number,
    options: ConvTransposeOptions<number> = {},
  ) {
    super();
    const op = 'ConvTranspose1d';
    this.groups = positiveInt(op, options.groups ?? 1, 'groups');
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0)
      throw new RangeError(
        `${op}: groups = ${this.groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`,
      );
    this.kernelSize = positiveInt(op, kernelSize, 'kernelSize');
    this.stride = positiveInt(op, options.stride ?? 1, 'stride');
    this.padding = pair(op, options.padding ?? 0, 'padding')[0];
    this.outputPadding = pair(op, options.outputPadding ?? 0, 'outputPadding')[0];
    this.dilation = positiveInt(op, options.dilation ?? 1, 'dilation');
    const { weight, bias } = defaultWeightAndBias(
      [inChannels, outChannels / this.groups, kernelSize],
      (outChannels / this.groups) * kernelSize,
      (options.bias ?? true) ? outChannels : null,
      generatorFrom(options.seed),
    );
    this.weight = weight;
    this.bias = bias;
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 2 && x.rank !== 3)
      throw new RangeError(`ConvTranspose1d: input must be [N, C, L] or [C, L], got ${fmtShape(x.shape)}`);
    const y = convTranspose2d(x.unsqueeze(-2), this.weight.unsqueeze(2), {
      bias: this.bias,
      stride: [1, this.stride],
      padding: [0, this.padding],
      outputPadding: [0, this.outputPadding],
      dilation: [1, this.dilation],
      groups: this.groups,
    });
    return y.squeeze(-2);
  }
}
