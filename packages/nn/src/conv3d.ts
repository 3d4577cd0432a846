/**
 * 3-D convolution built from core's 2-D kernels, so every backend runs it and autograd comes free.
 *
 * conv3d: the kd depth taps of the kernel become extra input channels. For each tap j the input
 * planes j·dd + t·sd (t < Do) are sliced out of the depth-padded input; stacked, they form a
 * [N·Do, kd·C, H, W] batch (per group: tap-major, then channel) that a single conv2d with the
 * weight reordered to [O, kd·C/g, kh, kw] maps to [N·Do, O, Ho, Wo]. The sum over the depth taps
 * is the sum over those extra channels.
 *
 * convTranspose3d: a single convTranspose2d over the input planes (batch N·Di) computes every
 * depth tap at once (output channels tap-major per group); tap j of input plane i lands on output
 * plane i·sd + j·dd − pd, which is an interleave with sd − 1 zero planes, a shift and a sum.
 */
import {
  conv2d,
  convTranspose2d,
  fmtShape,
  Module,
  type Parameter,
  type Seed,
  scope,
  slice,
  stack,
  type Tensor,
} from '@myelin/core';
import { type PaddingMode, padWithMode } from './conv.js';
import { tupleOf } from './pool-windows.js';
import type { Size3 } from './pooling3d.js';
import { defaultWeightAndBias, generatorFrom, positiveInt } from './util.js';

type Triple = [number, number, number];
const triple = (op: string, v: Size3, what: string, min = 0): Triple =>
  tupleOf(op, v, 3, what, min) as Triple;

export interface Conv3dFunctionOptions {
  bias?: Tensor | null;
  stride?: Size3;
  /** A number or [pd, ph, pw] pads both sides; 'same' keeps the size (stride 1; odd totals put the extra at the end); 'valid' = 0. */
  padding?: Size3 | 'same' | 'valid';
  dilation?: Size3;
  groups?: number;
}

const convOut = (n: number, k: number, s: number, d: number, total: number) =>
  Math.floor((n + total - d * (k - 1) - 1) / s) + 1;

function checkBias(op: string, bias: Tensor | null | undefined, n: number): Tensor | null {
  if (!bias) return null;
  if (bias.rank !== 1 || bias.shape[0] !== n)
    throw new RangeError(`${op}: bias must have shape [${n}], got ${fmtShape(bias.shape)}`);
  return bias;
}

/**
 * 3-D convolution (cross-correlation, as torch.nn.functional.conv3d) of x [N, C, D, H, W] (or
 * [C, D, H, W]) with w [O, C/groups, kd, kh, kw]; optional bias [O].
 */
export function conv3d(x: Tensor, w: Tensor, options: Conv3dFunctionOptions = {}): Tensor {
  const op = 'conv3d';
  if (x.rank === 4) return scope(() => conv3d(x.unsqueeze(0), w, options).squeeze(0));
  if (x.rank !== 5)
    throw new RangeError(`${op}: input must be [N, C, D, H, W] or [C, D, H, W], got ${fmtShape(x.shape)}`);
  if (w.rank !== 5)
    throw new RangeError(`${op}: weight must be [O, C/groups, kd, kh, kw], got ${fmtShape(w.shape)}`);
  const groups = options.groups ?? 1;
  const [N, C, D, H, W] = x.shape as [number, number, number, number, number];
  const [O, Cg, kd, kh, kw] = w.shape as [number, number, number, number, number];
  if (!Number.isInteger(groups) || groups < 1 || C % groups !== 0 || O % groups !== 0)
    throw new RangeError(
      `${op}: groups = ${groups} must divide input channels ${C} and output channels ${O}`,
    );
  if (Cg * groups !== C)
    throw new RangeError(
      `${op}: input has ${C} channels but weight expects ${Cg * groups} (weight shape ${fmtShape(w.shape)}, groups ${groups})`,
    );
  const bias = checkBias(op, options.bias, O);
  const s = triple(op, options.stride ?? 1, 'stride', 1);
  const d = triple(op, options.dilation ?? 1, 'dilation', 1);
  const k: Triple = [kd, kh, kw];
  const padding = options.padding ?? 0;
  let pads: [number, number][];
  if (padding === 'same') {
    if (s.some((v) => v !== 1))
      throw new RangeError(`${op}: padding 'same' requires stride 1, got ${fmtShape(s)}`);
    pads = k.map((ki, i) => {
      const total = d[i]! * (ki - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  } else if (padding === 'valid')
    pads = [
      [0, 0],
      [0, 0],
      [0, 0],
    ];
  else pads = triple(op, padding, 'padding').map((p) => [p, p]);
  const outs = [D, H, W].map((n, i) => convOut(n, k[i]!, s[i]!, d[i]!, pads[i]![0] + pads[i]![1]));
  if (outs.some((o) => o <= 0))
    throw new RangeError(
      `${op}: kernel ${fmtShape(k)} (dilation ${fmtShape(d)}) is larger than the padded input ${fmtShape([D, H, W].map((n, i) => n + pads[i]![0] + pads[i]![1]))}`,
    );
  const Do = outs[0]!;
  return scope(() => {
    const xp = pads[0]![0] || pads[0]![1] ? x.cast('float32').pad([0, 0, 0, 0, pads[0]![0], pads[0]![1]]) : x;
    const taps: Tensor[] = [];
    for (let j = 0; j < kd; j++)
      taps.push(slice(xp, null, null, [j * d[0], j * d[0] + (Do - 1) * s[0] + 1, s[0]]));
    // [N, kd, C, Do, H, W] → [N, Do, g, kd, C/g, H, W] → [N·Do, g·kd·C/g, H, W]
    const x2 = stack(taps, 1)
      .reshape([N, kd, groups, Cg, Do, H, W])
      .permute([0, 4, 2, 1, 3, 5, 6])
      .reshape([N * Do, kd * C, H, W]);
    const w2 = w.permute([0, 2, 1, 3, 4]).reshape([O, kd * Cg, kh, kw]);
    const hw = (i: number) => pads[i]!;
    const y = conv2d(x2, w2, {
      stride: [s[1], s[2]],
      padding: padding === 'same' ? 'same' : [hw(1)[0], hw(2)[0]],
      dilation: [d[1], d[2]],
      groups,
    });
    let out = y.reshape([N, Do, O, outs[1]!, outs[2]!]).permute([0, 2, 1, 3, 4]);
    if (bias) out = out.add(bias.reshape([1, O, 1, 1, 1]));
    return out;
  });
}

export interface ConvTranspose3dFunctionOptions {
  bias?: Tensor | null;
  stride?: Size3;
  padding?: Size3;
  outputPadding?: Size3;
  dilation?: Size3;
  groups?: number;
}

/**
 * Transposed 3-D convolution (torch.nn.functional.conv_transpose3d) of x [N, Cin, D, H, W] (or
 * unbatched) with w [Cin, Cout/groups, kd, kh, kw]; each output dim (n−1)·s − 2p + d·(k−1) +
 * outputPadding + 1.
 */
export function convTranspose3d(x: Tensor, w: Tensor, options: ConvTranspose3dFunctionOptions = {}): Tensor {
  const op = 'convTranspose3d';
  if (x.rank === 4) return scope(() => convTranspose3d(x.unsqueeze(0), w, options).squeeze(0));
  if (x.rank !== 5 || w.rank !== 5)
    throw new RangeError(
      `${op}: input must be [N, Cin, D, H, W] and weight [Cin, Cout/groups, kd, kh, kw], got ${fmtShape(x.shape)} and ${fmtShape(w.shape)}`,
    );
  const groups = options.groups ?? 1;
  const [N, Cin, Di, H, W] = x.shape as [number, number, number, number, number];
  const [Wi, Cg, kd, kh, kw] = w.shape as [number, number, number, number, number];
  if (Wi !== Cin)
    throw new RangeError(
      `${op}: input has ${Cin} channels but weight expects ${Wi} (weight shape ${fmtShape(w.shape)})`,
    );
  if (!Number.isInteger(groups) || groups < 1 || Cin % groups !== 0)
    throw new RangeError(`${op}: groups = ${groups} must divide input channels ${Cin}`);
  const Cout = Cg * groups;
  const bias = checkBias(op, options.bias, Cout);
  const s = triple(op, options.stride ?? 1, 'stride', 1);
  const d = triple(op, options.dilation ?? 1, 'dilation', 1);
  const p = triple(op, options.padding ?? 0, 'padding');
  const op_ = triple(op, options.outputPadding ?? 0, 'outputPadding');
  if (op_.some((v, i) => v >= s[i]! && v >= d[i]!))
    throw new RangeError(
      `${op}: outputPadding ${fmtShape(op_)} must be smaller than stride ${fmtShape(s)} or dilation ${fmtShape(d)}`,
    );
  const k: Triple = [kd, kh, kw];
  const outs = [Di, H, W].map((n, i) => (n - 1) * s[i]! - 2 * p[i]! + d[i]! * (k[i]! - 1) + op_[i]! + 1);
  if (outs.some((o) => o <= 0))
    throw new RangeError(`${op}: the output size ${fmtShape(outs)} is not positive`);
  return scope(() => {
    const x2 = x
      .cast('float32')
      .permute([0, 2, 1, 3, 4])
      .reshape([N * Di, Cin, H, W]);
    const w2 = w.permute([0, 2, 1, 3, 4]).reshape([Cin, kd * Cg, kh, kw]);
    const y2 = convTranspose2d(x2, w2, {
      stride: [s[1], s[2]],
      padding: [p[1], p[2]],
      outputPadding: [op_[1], op_[2]],
      dilation: [d[1], d[2]],
      groups,
    });
    const [Ho, Wo] = y2.shape.slice(2) as [number, number];
    const taps = y2.reshape([N, Di, groups, kd, Cg, Ho, Wo]);
    const span = (Di - 1) * s[0] + 1;
    const full = span + d[0] * (kd - 1);
    let acc: Tensor | null = null;
    for (let j = 0; j < kd; j++) {
      let z = slice(taps, null, null, null, j).reshape([N, Di, Cout, Ho, Wo]).permute([0, 2, 1, 3, 4]);
      if (s[0] > 1) {
        // Interleave sd − 1 zero planes after each input plane, then drop the trailing ones.
        z = z
          .unsqueeze(3)
          .pad([0, 0, 0, 0, 0, s[0] - 1])
          .reshape([N, Cout, Di * s[0], Ho, Wo]);
        z = slice(z, null, null, [0, span]);
      }
      const placed = z.pad([0, 0, 0, 0, j * d[0], full - span - j * d[0]]);
      acc = acc ? acc.add(placed) : placed;
    }
    // Crop the padding; a positive output padding adds zero planes at the end.
    let out = acc!.pad([0, 0, 0, 0, -p[0], outs[0]! - (full - p[0])]);
    if (bias) out = out.add(bias.reshape([1, Cout, 1, 1, 1]));
    return out;
  });
}

export interface Conv3dOptions {
  stride?: Size3;
  /** Implicit padding on both sides, or 'same' (stride 1) / 'valid'. */
  padding?: Size3 | 'same' | 'valid';
  dilation?: Size3;
  groups?: number;
  /** Add a learned bias (default true). */
  bias?: boolean;
  /** How the border is filled (default 'zeros'), as PyTorch's padding_mode. */
  paddingMode?: PaddingMode;
  /** Seed of the default initialisation (a number or a core `Generator`). */
  seed?: Seed;
}

/**
 * 3-D convolution over x [N, C, D, H, W] (or [C, D, H, W]), as torch.nn.Conv3d: `weight`
 * [out, in/groups, kd, kh, kw], `bias` [out]; PyTorch's default initialisation (kaiming_uniform
 * a = √5, i.e. U(±1/√fan_in), for both). See {@link conv3d} for how it runs.
 *
 * @example
 * const conv = new Conv3d(1, 8, 3, { padding: 1 });   // [N, 1, D, H, W] → [N, 8, D, H, W]
 */
export class Conv3d extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly kernelSize: Triple;
  readonly stride: Triple;
  readonly padding: Triple | 'same' | 'valid';
  readonly dilation: Triple;
  readonly groups: number;
  readonly paddingMode: PaddingMode;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Size3,
    options: Conv3dOptions = {},
  ) {
    super();
    const op = 'Conv3d';
    positiveInt(op, inChannels, 'inChannels');
    positiveInt(op, outChannels, 'outChannels');
    this.groups = positiveInt(op, options.groups ?? 1, 'groups');
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0)
      throw new RangeError(
        `${op}: groups = ${this.groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`,
      );
    this.kernelSize = triple(op, kernelSize, 'kernelSize', 1);
    this.stride = triple(op, options.stride ?? 1, 'stride', 1);
    const p = options.padding ?? 0;
    this.padding = typeof p === 'string' ? p : triple(op, p, 'padding');
    this.dilation = triple(op, options.dilation ?? 1, 'dilation', 1);
    if (this.padding === 'same' && this.stride.some((v) => v !== 1))
      throw new RangeError(`${op}: padding 'same' requires stride 1, got ${fmtShape(this.stride)}`);
    this.paddingMode = options.paddingMode ?? 'zeros';
    const [kd, kh, kw] = this.kernelSize;
    const { weight, bias } = defaultWeightAndBias(
      [outChannels, inChannels / this.groups, kd, kh, kw],
      (inChannels / this.groups) * kd * kh * kw,
      (options.bias ?? true) ? outChannels : null,
      generatorFrom(options.seed),
    );
    this.weight = weight;
    this.bias = bias;
  }

  forward(x: Tensor): Tensor {
    const opts = { bias: this.bias, stride: this.stride, dilation: this.dilation, groups: this.groups };
    if (this.paddingMode === 'zeros') return conv3d(x, this.weight, { ...opts, padding: this.padding });
    // A non-zeros mode pads first (F.pad order: w, h, d), then convolves without padding.
    const per: [number, number][] =
      this.padding === 'valid'
        ? [
            [0, 0],
            [0, 0],
            [0, 0],
          ]
        : this.padding === 'same'
          ? this.kernelSize.map((k, i) => {
              const t = this.dilation[i]! * (k - 1);
              return [Math.floor(t / 2), t - Math.floor(t / 2)] as [number, number];
            })
          : this.padding.map((v) => [v, v] as [number, number]);
    const mode = this.paddingMode;
    return scope(() => {
      const pads = [per[2]![0], per[2]![1], per[1]![0], per[1]![1], per[0]![0], per[0]![1]];
      return conv3d(padWithMode(x, pads, mode), this.weight, { ...opts, padding: 0 });
    });
  }
}

export interface ConvTranspose3dOptions {
  stride?: Size3;
  padding?: Size3;
  outputPadding?: Size3;
  dilation?: Size3;
  groups?: number;
  bias?: boolean;
  seed?: Seed;
}

/**
 * Transposed 3-D convolution, as torch.nn.ConvTranspose3d: `weight` [in, out/groups, kd, kh, kw],
 * `bias` [out]. Initialised as PyTorch (fan_in from the weight's dim 1: out/groups·kd·kh·kw).
 */
export class ConvTranspose3d extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly kernelSize: Triple;
  readonly stride: Triple;
  readonly padding: Triple;
  readonly outputPadding: Triple;
  readonly dilation: Triple;
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Size3,
    options: ConvTranspose3dOptions = {},
  ) {
    super();
    const op = 'ConvTranspose3d';
    positiveInt(op, inChannels, 'inChannels');
    positiveInt(op, outChannels, 'outChannels');
    this.groups = positiveInt(op, options.groups ?? 1, 'groups');
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0)
      throw new RangeError(
        `${op}: groups = ${this.groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`,
      );
    this.kernelSize = triple(op, kernelSize, 'kernelSize', 1);
    this.stride = triple(op, options.stride ?? 1, 'stride', 1);
    this.padding = triple(op, options.padding ?? 0, 'padding');
    this.outputPadding = triple(op, options.outputPadding ?? 0, 'outputPadding');
    this.dilation = triple(op, options.dilation ?? 1, 'dilation', 1);
    if (this.outputPadding.some((v, i) => v >= this.stride[i]! && v >= this.dilation[i]!))
      throw new RangeError(
        `${op}: outputPadding ${fmtShape(this.outputPadding)} must be smaller than stride ${fmtShape(this.stride)} or dilation ${fmtShape(this.dilation)}`,
      );
    const [kd, kh, kw] = this.kernelSize;
    const { weight, bias } = defaultWeightAndBias(
      [inChannels, outChannels / this.groups, kd, kh, kw],
      (outChannels / this.groups) * kd * kh * kw,
      (options.bias ?? true) ? outChannels : null,
      generatorFrom(options.seed),
    );
    this.weight = weight;
    this.bias = bias;
  }

  /** `outputSize` ([D, H, W] or a full shape) picks the output padding, as PyTorch's output_size. */
  forward(x: Tensor, options: { outputSize?: readonly number[] } = {}): Tensor {
    let outputPadding: Triple = this.outputPadding;
    if (options.outputSize) {
      const want = options.outputSize.slice(-3);
      const n = x.shape.slice(-3);
      const min = n.map(
        (v, i) =>
          (v - 1) * this.stride[i]! -
          2 * this.padding[i]! +
          this.dilation[i]! * (this.kernelSize[i]! - 1) +
          1,
      );
      outputPadding = want.map((v, i) => v - min[i]!) as Triple;
      if (
        want.length !== 3 ||
        outputPadding.some((v, i) => v < 0 || v >= Math.max(this.stride[i]!, this.dilation[i]!))
      )
        throw new RangeError(
          `ConvTranspose3d: outputSize ${fmtShape(want)} is not reachable from input ${fmtShape(x.shape)} (from ${fmtShape(min)}, up to stride or dilation − 1 more)`,
        );
    }
    return convTranspose3d(x, this.weight, {
      bias: this.bias,
      stride: this.stride,
      padding: this.padding,
      outputPadding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}
