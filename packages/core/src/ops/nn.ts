import { apply, defineGrad, stopGradient } from '../autograd.js';
import type { BiasActivation, Conv2dAttrs, Pool2dAttrs } from '../kernels.js';
import { assertInt, fmtShape, normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { full, tensor, zerosLike } from './creation.js';
import {
  add,
  cast,
  composite,
  div,
  erf,
  exp,
  gelu,
  greater,
  log as logOf,
  mul,
  relu,
  rsqrt,
  sigmoid,
  silu,
  sub,
  tanh,
} from './elementwise.js';
import { indexSelect } from './indexing.js';
import { matmul } from './linalg.js';
import { bernoulliMask, type Seed } from './random.js';
import { max, mean, reducedShape, sum, variance } from './reduce.js';
import { reshape, squeeze, transpose, unsqueeze } from './shape.js';

// ---------------------------------------------------------------------------------------------
// Softmax family (composites; a backend may fuse them)
// ---------------------------------------------------------------------------------------------

/** The max along `axis` (kept), for the shift of a softmax; an empty axis has nothing to shift. */
function rowMax(xf: Tensor, a: number): Tensor {
  if (xf.shape[a] === 0) return full(reducedShape(xf.shape, [a], true), 0);
  return max(xf, a, { keepdims: true });
}

/** exp(x) / sum(exp(x)) along `axis`, computed with the max subtracted. */
export function softmax(x: Tensor, axis = -1): Tensor {
  const xf = cast(x, 'float32');
  const a = normAxis('softmax', axis, Math.max(xf.rank, 1));
  return composite('Softmax', [xf], { axis: a }, 'float32', () => {
    const e = exp(sub(xf, stopGradient(rowMax(xf, a))));
    return div(e, sum(e, a, { keepdims: true }));
  });
}
defineGrad('Softmax', ({ dys, outputs, attrs }) => {
  const y = outputs[0]!;
  const dy = dys[0]!;
  return [mul(y, sub(dy, sum(mul(dy, y), attrs.axis, { keepdims: true })))];
});

/** x − logSumExp(x) along `axis`. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const xf = cast(x, 'float32');
  const a = normAxis('logSoftmax', axis, Math.max(xf.rank, 1));
  return composite('LogSoftmax', [xf], { axis: a }, 'float32', () => {
    const shifted = sub(xf, stopGradient(rowMax(xf, a)));
    return sub(shifted, logOf(sum(exp(shifted), a, { keepdims: true })));
  });
}
defineGrad('LogSoftmax', ({ dys, outputs, attrs }) => {
  const dy = dys[0]!;
  return [sub(dy, mul(exp(outputs[0]!), sum(dy, attrs.axis, { keepdims: true })))];
});

// ---------------------------------------------------------------------------------------------
// Convolution
// ---------------------------------------------------------------------------------------------

type Pair = number | [number, number];
const pair = (op: string, v: Pair, what: string): [number, number] => {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw new RangeError(`${op}: ${what} must be non-negative integers, got ${fmtPair(v)}`);
  return p;
};
const positive = (op: string, v: Pair, what: string): [number, number] => {
  const p = pair(op, v, what);
  if (p.some((d) => d === 0)) throw new RangeError(`${op}: ${what} must be positive, got ${fmtPair(v)}`);
  return p;
};
const fmtPair = (v: unknown): string => (Array.isArray(v) ? `[${v.map(String).join(', ')}]` : String(v));

export interface Conv2dOptions {
  bias?: Tensor | null;
  stride?: Pair;
  /** A number or [ph, pw] pads both sides; 'same' keeps the size (stride 1), 'valid' = 0. */
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
}

function convOut(n: number, k: number, s: number, d: number, before: number, after: number): number {
  return Math.floor((n + before + after - d * (k - 1) - 1) / s) + 1;
}

/**
 * 2-D convolution (cross-correlation, as PyTorch) of x [N, C, H, W] (or [C, H, W]) with
 * w [O, C/groups, kh, kw]; optional bias [O].
 */
export function conv2d(x: Tensor, w: Tensor, options: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  if (x.rank === 3) return squeeze(conv2d(unsqueeze(x, 0), w, options), 0);
  if (x.rank !== 4)
    throw new RangeError(`${op}: input must be [N, C, H, W] or [C, H, W], got ${fmtShape(x.shape)}`);
  if (w.rank !== 4)
    throw new RangeError(`${op}: weight must be [O, C/groups, kh, kw], got ${fmtShape(w.shape)}`);
  const groups = options.groups ?? 1;
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, Cg, kh, kw] = w.shape as [number, number, number, number];
  if (!Number.isInteger(groups) || groups < 1 || C % groups !== 0 || O % groups !== 0) {
    throw new RangeError(
      `${op}: groups = ${groups} must divide input channels ${C} and output channels ${O}`,
    );
  }
  if (Cg * groups !== C) {
    throw new RangeError(
      `${op}: input has ${C} channels but weight expects ${Cg * groups} (weight shape ${fmtShape(w.shape)}, groups ${groups})`,
    );
  }
  const stride = positive(op, options.stride ?? 1, 'stride');
  const dilation = positive(op, options.dilation ?? 1, 'dilation');
  const pad = resolvePadding(op, options.padding ?? 0, [kh, kw], dilation, stride);
  const oh = convOut(H, kh, stride[0], dilation[0], pad[0], pad[1]);
  const ow = convOut(W, kw, stride[1], dilation[1], pad[2], pad[3]);
  if (oh <= 0 || ow <= 0) {
    throw new RangeError(
      `${op}: kernel ${kh}×${kw} (dilation ${dilation}) is larger than the padded input ${H + pad[0] + pad[1]}×${W + pad[2] + pad[3]}`,
    );
  }
  const attrs: Conv2dAttrs = { stride, pad, dilation, groups };
  const dtype = 'float32';
  let y = apply('Conv2d', [cast(x, dtype), cast(w, dtype)], attrs, [{ shape: [N, O, oh, ow], dtype }])[0]!;
  if (options.bias) y = add(y, reshape(checkBias(op, options.bias, O), [1, O, 1, 1]));
  return y;
}

function checkBias(op: string, bias: Tensor, n: number): Tensor {
  if (bias.rank !== 1 || bias.shape[0] !== n)
    throw new RangeError(`${op}: bias must have shape [${n}], got ${fmtShape(bias.shape)}`);
  return bias;
}

function resolvePadding(
  op: string,
  padding: Pair | 'same' | 'valid',
  k: [number, number],
  d: [number, number],
  s: [number, number],
): [number, number, number, number] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding === 'same') {
    if (s[0] !== 1 || s[1] !== 1)
      throw new RangeError(`${op}: padding 'same' requires stride 1, got ${s.join('×')}`);
    // As PyTorch: the extra row/column of an odd total goes at the bottom/right.
    const th = d[0] * (k[0] - 1);
    const tw = d[1] * (k[1] - 1);
    return [Math.floor(th / 2), th - Math.floor(th / 2), Math.floor(tw / 2), tw - Math.floor(tw / 2)];
  }
  const [ph, pw] = pair(op, padding, 'padding');
  return [ph, ph, pw, pw];
}

defineGrad('Conv2d', ({ dys, inputs, attrs, needs }) => {
  const [x, w] = inputs as [Tensor, Tensor];
  const dy = dys[0]!;
  return [
    needs[0]
      ? apply('Conv2dBackpropInput', [dy, w], attrs, [{ shape: x.shape, dtype: 'float32' }])[0]!
      : null,
    needs[1]
      ? apply('Conv2dBackpropFilter', [x, dy], attrs, [{ shape: w.shape, dtype: 'float32' }])[0]!
      : null,
  ];
});
// Both backprop kernels are bilinear, so their gradients are the other two convolutions.
defineGrad('Conv2dBackpropInput', ({ dys, inputs, attrs, needs }) => {
  const [dy, w] = inputs as [Tensor, Tensor];
  const g = dys[0]!;
  return [
    needs[0] ? apply('Conv2d', [g, w], attrs, [{ shape: dy.shape, dtype: 'float32' }])[0]! : null,
    needs[1]
      ? apply('Conv2dBackpropFilter', [g, dy], attrs, [{ shape: w.shape, dtype: 'float32' }])[0]!
      : null,
  ];
});
defineGrad('Conv2dBackpropFilter', ({ dys, inputs, attrs, needs }) => {
  const [x, dy] = inputs as [Tensor, Tensor];
  const g = dys[0]!;
  return [
    needs[0]
      ? apply('Conv2dBackpropInput', [dy, g], attrs, [{ shape: x.shape, dtype: 'float32' }])[0]!
      : null,
    needs[1] ? apply('Conv2d', [x, g], attrs, [{ shape: dy.shape, dtype: 'float32' }])[0]! : null,
  ];
});

export interface Conv1dOptions {
  bias?: Tensor | null;
  stride?: number;
  padding?: number | 'same' | 'valid';
  dilation?: number;
  groups?: number;
}

/** 1-D convolution of x [N, C, L] (or [C, L]) with w [O, C/groups, k]. */
export function conv1d(x: Tensor, w: Tensor, options: Conv1dOptions = {}): Tensor {
  if (x.rank === 2) return squeeze(conv1d(unsqueeze(x, 0), w, options), 0);
  if (x.rank !== 3)
    throw new RangeError(`conv1d: input must be [N, C, L] or [C, L], got ${fmtShape(x.shape)}`);
  if (w.rank !== 3) throw new RangeError(`conv1d: weight must be [O, C/groups, k], got ${fmtShape(w.shape)}`);
  const p = options.padding ?? 0;
  const y = conv2d(unsqueeze(x, 2), unsqueeze(w, 2), {
    bias: options.bias ?? null,
    stride: [1, options.stride ?? 1],
    padding: typeof p === 'string' ? p : [0, p],
    dilation: [1, options.dilation ?? 1],
    groups: options.groups ?? 1,
  });
  return squeeze(y, 2);
}

export interface ConvTranspose2dOptions {
  bias?: Tensor | null;
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/**
 * Transposed 2-D convolution (the gradient of conv2d with respect to its input) of x [N, Cin, H, W]
 * with w [Cin, Cout/groups, kh, kw]; output size (H−1)·s − 2p + d·(k−1) + outputPadding + 1.
 */
export function convTranspose2d(x: Tensor, w: Tensor, options: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  if (x.rank === 3) return squeeze(convTranspose2d(unsqueeze(x, 0), w, options), 0);
  if (x.rank !== 4 || w.rank !== 4) {
    throw new RangeError(
      `${op}: input must be [N, Cin, H, W] and weight [Cin, Cout/groups, kh, kw], got ${fmtShape(x.shape)} and ${fmtShape(w.shape)}`,
    );
  }
  const groups = options.groups ?? 1;
  const [N, Cin, H, W] = x.shape as [number, number, number, number];
  const [Wi, Cg, kh, kw] = w.shape as [number, number, number, number];
  if (Wi !== Cin)
    throw new RangeError(
      `${op}: input has ${Cin} channels but weight expects ${Wi} (weight shape ${fmtShape(w.shape)})`,
    );
  if (!Number.isInteger(groups) || groups < 1 || Cin % groups !== 0)
    throw new RangeError(`${op}: groups = ${groups} must divide input channels ${Cin}`);
  const stride = positive(op, options.stride ?? 1, 'stride');
  const dilation = positive(op, options.dilation ?? 1, 'dilation');
  const [ph, pw] = pair(op, options.padding ?? 0, 'padding');
  const [oph, opw] = pair(op, options.outputPadding ?? 0, 'outputPadding');
  if ((oph >= stride[0] && oph >= dilation[0]) || (opw >= stride[1] && opw >= dilation[1])) {
    throw new RangeError(`${op}: outputPadding must be smaller than stride or dilation, got ${oph},${opw}`);
  }
  const Cout = Cg * groups;
  const oh = (H - 1) * stride[0] - 2 * ph + dilation[0] * (kh - 1) + oph + 1;
  const ow = (W - 1) * stride[1] - 2 * pw + dilation[1] * (kw - 1) + opw + 1;
  if (oh <= 0 || ow <= 0) throw new RangeError(`${op}: the output size ${oh}×${ow} is not positive`);
  const attrs: Conv2dAttrs = { stride, pad: [ph, ph + oph, pw, pw + opw], dilation, groups };
  let y = apply('Conv2dBackpropInput', [cast(x, 'float32'), cast(w, 'float32')], attrs, [
    { shape: [N, Cout, oh, ow], dtype: 'float32' },
  ])[0]!;
  if (options.bias) y = add(y, reshape(checkBias(op, options.bias, Cout), [1, Cout, 1, 1]));
  return y;
}

// ---------------------------------------------------------------------------------------------
// Pooling
// ---------------------------------------------------------------------------------------------

export interface Pool2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  ceilMode?: boolean;
}
export interface AvgPool2dOptions extends Omit<Pool2dOptions, 'dilation'> {
  countIncludePad?: boolean;
}

function poolOut(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = n + 2 * p - d * (k - 1) - 1;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // As PyTorch: the last window must start inside the input or the left padding.
  if (ceil && (out - 1) * s >= n + p) out--;
  return out;
}

function poolAttrs(
  op: string,
  x: Tensor,
  kernel: Pair,
  o: Pool2dOptions,
): { attrs: Pool2dAttrs; shape: number[] } {
  if (x.rank !== 4)
    throw new RangeError(`${op}: input must be [N, C, H, W] or [C, H, W], got ${fmtShape(x.shape)}`);
  const k = positive(op, kernel, 'kernel size');
  const s = positive(op, o.stride ?? k, 'stride');
  const p = pair(op, o.padding ?? 0, 'padding');
  const d = positive(op, o.dilation ?? 1, 'dilation');
  if (p[0] > k[0] / 2 || p[1] > k[1] / 2)
    throw new RangeError(`${op}: padding ${p.join(',')} must be at most half the kernel size ${k.join('×')}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const oh = poolOut(H, k[0], s[0], p[0], d[0], o.ceilMode ?? false);
  const ow = poolOut(W, k[1], s[1], p[1], d[1], o.ceilMode ?? false);
  if (oh <= 0 || ow <= 0)
    throw new RangeError(`${op}: input ${H}×${W} is too small for kernel ${k.join('×')}`);
  return {
    attrs: { kernel: k, stride: s, pad: [p[0], p[0], p[1], p[1]], dilation: d },
    shape: [N, C, oh, ow],
  };
}

function batched(x: Tensor, f: (x4: Tensor) => Tensor): Tensor {
  return x.rank === 3 ? squeeze(f(unsqueeze(x, 0)), 0) : f(x);
}

/** Max over k×k windows of x [N, C, H, W]; padding never wins. */
export function maxPool2d(x: Tensor, kernel: Pair, options: Pool2dOptions = {}): Tensor {
  return batched(x, (x4) => {
    const { attrs, shape } = poolAttrs('maxPool2d', x4, kernel, options);
    const xf = cast(x4, 'float32');
    return apply('MaxPool2d', [xf], attrs, [{ shape, dtype: 'float32' }])[0]!;
  });
}
defineGrad('MaxPool2d', ({ dys, inputs, attrs }) => [
  apply('MaxPool2dGrad', [dys[0]!, inputs[0]!], attrs, [{ shape: inputs[0]!.shape, dtype: 'float32' }])[0]!,
]);
defineGrad('MaxPool2dGrad', () => {
  throw new Error('maxPool2d: second-order gradients are not supported');
});

/** Mean over k×k windows; the divisor counts padding unless countIncludePad is false. */
export function avgPool2d(x: Tensor, kernel: Pair, options: AvgPool2dOptions = {}): Tensor {
  return batched(x, (x4) => {
    const { attrs, shape } = poolAttrs('avgPool2d', x4, kernel, options);
    const a = { ...attrs, countIncludePad: options.countIncludePad ?? true };
    return apply('AvgPool2d', [cast(x4, 'float32')], a, [{ shape, dtype: 'float32' }])[0]!;
  });
}
defineGrad('AvgPool2d', ({ dys, inputs, attrs }) => [
  apply('AvgPool2dGrad', [dys[0]!], attrs, [{ shape: inputs[0]!.shape, dtype: 'float32' }])[0]!,
]);
defineGrad('AvgPool2dGrad', ({ dys, inputs, attrs }) => [
  apply('AvgPool2d', [dys[0]!], attrs, [{ shape: inputs[0]!.shape, dtype: 'float32' }])[0]!,
]);

function pool1d(x: Tensor, f: (x4: Tensor) => Tensor, op: string): Tensor {
  if (x.rank !== 2 && x.rank !== 3)
    throw new RangeError(`${op}: input must be [N, C, L] or [C, L], got ${fmtShape(x.shape)}`);
  return squeeze(f(unsqueeze(x, -2)), -2);
}

export function maxPool1d(
  x: Tensor,
  kernel: number,
  options: { stride?: number; padding?: number; dilation?: number; ceilMode?: boolean } = {},
): Tensor {
  return pool1d(
    x,
    (x4) =>
      maxPool2d(x4, [1, kernel], {
        stride: [1, options.stride ?? kernel],
        padding: [0, options.padding ?? 0],
        dilation: [1, options.dilation ?? 1],
        ceilMode: options.ceilMode ?? false,
      }),
    'maxPool1d',
  );
}

export function avgPool1d(
  x: Tensor,
  kernel: number,
  options: { stride?: number; padding?: number; ceilMode?: boolean; countIncludePad?: boolean } = {},
): Tensor {
  return pool1d(
    x,
    (x4) =>
      avgPool2d(x4, [1, kernel], {
        stride: [1, options.stride ?? kernel],
        padding: [0, options.padding ?? 0],
        ceilMode: options.ceilMode ?? false,
        countIncludePad: options.countIncludePad ?? true,
      }),
    'avgPool1d',
  );
}

/** The [out, n] matrix averaging PyTorch's adaptive windows [floor(i·n/out), ceil((i+1)·n/out)). */
function adaptiveMatrix(n: number, out: number): Tensor {
  const m = new Float32Array(out * n);
  for (let i = 0; i < out; i++) {
    const s = Math.floor((i * n) / out);
    const e = Math.ceil(((i + 1) * n) / out);
    for (let j = s; j < e; j++) m[i * n + j] = 1 / (e - s);
  }
  return tensor(m, { shape: [out, n] });
}

/** Average pooling to a fixed output size, as torch's adaptive_avg_pool2d (run as two small matmuls). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: Pair): Tensor {
  if (x.rank !== 3 && x.rank !== 4)
    throw new RangeError(
      `adaptiveAvgPool2d: input must be [N, C, H, W] or [C, H, W], got ${fmtShape(x.shape)}`,
    );
  const [oh, ow] = positive('adaptiveAvgPool2d', outputSize, 'output size');
  const H = x.shape[x.rank - 2]!;
  const W = x.shape[x.rank - 1]!;
  const rows = matmul(adaptiveMatrix(H, oh), cast(x, 'float32'));
  return matmul(rows, transpose(adaptiveMatrix(W, ow)));
}

/** Average pooling of x [N, C, L] to length `outputSize`. */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number): Tensor {
  if (x.rank !== 2 && x.rank !== 3)
    throw new RangeError(`adaptiveAvgPool1d: input must be [N, C, L] or [C, L], got ${fmtShape(x.shape)}`);
  assertInt('adaptiveAvgPool1d', 'output size', outputSize, 1);
  return matmul(cast(x, 'float32'), transpose(adaptiveMatrix(x.shape[x.rank - 1]!, outputSize)));
}

/**
 * im2col: sliding k×k patches of x [N, C, H, W] as columns, [N, C·kh·kw, L] (torch.nn.functional.unfold).
 * Runs as a grouped convolution with one-hot filters, so it shares conv2d's kernels and gradients.
 */
export function unfold(
  x: Tensor,
  kernel: Pair,
  options: { dilation?: Pair; padding?: Pair; stride?: Pair } = {},
): Tensor {
  if (x.rank !== 4) throw new RangeError(`unfold: input must be [N, C, H, W], got ${fmtShape(x.shape)}`);
  const [kh, kw] = positive('unfold', kernel, 'kernel size');
  const [N, C] = x.shape as [number, number];
  const K = kh * kw;
  const eye = new Float32Array(C * K * K);
  for (let c = 0; c < C; c++) for (let k = 0; k < K; k++) eye[(c * K + k) * K + k] = 1;
  const w = tensor(eye, { shape: [C * K, 1, kh, kw] });
  const cols = conv2d(x, w, {
    stride: options.stride ?? 1,
    padding: options.padding ?? 0,
    dilation: options.dilation ?? 1,
    groups: C,
  });
  return reshape(cols, [N, C * K, -1]);
}

// ---------------------------------------------------------------------------------------------
// Normalisation, dropout, embedding
// ---------------------------------------------------------------------------------------------

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Use the batch's statistics (true) or the running ones (false). */
  training?: boolean;
  eps?: number;
}

/**
 * Batch normalisation over every axis but 1 (channels) of x [N, C, ...]. In training the batch
 * mean and biased variance are used; updating running statistics is the module's job.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  options: BatchNormOptions = {},
): Tensor {
  if (x.rank < 2) throw new RangeError(`batchNorm: input must be [N, C, ...], got ${fmtShape(x.shape)}`);
  const C = x.shape[1]!;
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const xf = cast(x, 'float32');
  let mu: Tensor;
  let v: Tensor;
  if (options.training ?? false) {
    mu = mean(xf, axes, { keepdims: true });
    v = variance(xf, axes, { keepdims: true, correction: 0 });
  } else {
    if (!runningMean || !runningVar)
      throw new Error('batchNorm: running mean and variance are required when not training');
    for (const [t, n] of [
      [runningMean, 'runningMean'],
      [runningVar, 'runningVar'],
    ] as const) {
      if (t.size !== C)
        throw new RangeError(`batchNorm: ${n} must have ${C} elements, got shape ${fmtShape(t.shape)}`);
    }
    mu = reshape(runningMean, bshape);
    v = reshape(runningVar, bshape);
  }
  let y = mul(sub(xf, mu), rsqrt(add(v, options.eps ?? 1e-5)));
  if (options.weight) y = mul(y, reshape(options.weight, bshape));
  if (options.bias) y = add(y, reshape(options.bias, bshape));
  return y;
}

/** Layer normalisation over the trailing dims given by `normalizedShape`. */
export function layerNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  options: { weight?: Tensor | null; bias?: Tensor | null; eps?: number } = {},
): Tensor {
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const tail = x.shape.slice(x.rank - ns.length);
  if (ns.length > x.rank || tail.some((d, i) => d !== ns[i])) {
    throw new RangeError(
      `layerNorm: normalizedShape ${fmtShape(ns)} does not match the trailing dims of ${fmtShape(x.shape)}`,
    );
  }
  const axes = ns.map((_, i) => x.rank - ns.length + i);
  const xf = cast(x, 'float32');
  const eps = options.eps ?? 1e-5;
  const size = ns.reduce((a, b) => a * b, 1);
  let y = composite('LayerNorm', [xf], { size, eps }, 'float32', () => {
    const mu = mean(xf, axes, { keepdims: true });
    const v = variance(xf, axes, { keepdims: true, correction: 0 });
    return mul(sub(xf, mu), rsqrt(add(v, eps)));
  });
  if (options.weight) y = mul(y, options.weight);
  if (options.bias) y = add(y, options.bias);
  return y;
}

// d/dx of (x − μ)/σ over a row: (dy − mean(dy) − y · mean(dy · y)) / σ.
defineGrad('LayerNorm', ({ dys, inputs, outputs, attrs }) => {
  const x = inputs[0]!;
  const rows = [x.size / attrs.size, attrs.size];
  const y = reshape(outputs[0]!, rows);
  const dy = reshape(dys[0]!, rows);
  const rstd = rsqrt(add(variance(reshape(x, rows), 1, { keepdims: true, correction: 0 }), attrs.eps));
  const g = mul(
    sub(sub(dy, mean(dy, 1, { keepdims: true })), mul(y, mean(mul(dy, y), 1, { keepdims: true }))),
    rstd,
  );
  return [reshape(g, x.shape)];
});

const BIAS_ACTS: Record<
  BiasActivation,
  { f: (z: Tensor) => Tensor; d: (z: Tensor, y: Tensor) => Tensor | number }
> = {
  none: { f: (z) => z, d: () => 1 },
  relu: { f: (z) => relu(z), d: (z) => cast(greater(z, 0), 'float32') },
  tanh: { f: (z) => tanh(z), d: (_z, y) => sub(1, mul(y, y)) },
  sigmoid: { f: (z) => sigmoid(z), d: (_z, y) => mul(y, sub(1, y)) },
  gelu: {
    f: (z) => gelu(z),
    d: (z) =>
      add(
        mul(add(erf(mul(z, Math.SQRT1_2)), 1), 0.5),
        mul(z, mul(exp(mul(mul(z, z), -0.5)), 1 / Math.sqrt(2 * Math.PI))),
      ),
  },
  silu: {
    f: (z) => silu(z),
    d: (z) => {
      const s = sigmoid(z);
      return mul(s, add(mul(z, sub(1, s)), 1));
    },
  },
};

/**
 * activation(x + bias), the bias broadcast along `axis` (default: the last; 1 for NCHW
 * convolutions): the epilogue of a linear or convolution layer, one fused kernel where the backend
 * has it. Activations: 'none', 'relu', 'gelu' (exact), 'tanh', 'sigmoid', 'silu'.
 */
export function biasAct(
  x: Tensor,
  bias: Tensor,
  options: { axis?: number; activation?: BiasActivation } = {},
): Tensor {
  const activation = options.activation ?? 'none';
  if (!(activation in BIAS_ACTS)) {
    throw new RangeError(
      `biasAct: unknown activation '${activation}' (expected ${Object.keys(BIAS_ACTS).join(', ')})`,
    );
  }
  const xf = cast(x, 'float32');
  const axis = normAxis('biasAct', options.axis ?? -1, xf.rank);
  if (bias.rank !== 1 || bias.shape[0] !== xf.shape[axis]) {
    throw new RangeError(
      `biasAct: bias must have shape [${xf.shape[axis]}] (dim ${axis} of ${fmtShape(xf.shape)}), got ${fmtShape(bias.shape)}`,
    );
  }
  const bf = cast(bias, 'float32');
  const bshape = xf.shape.map((d, i) => (i === axis ? d : 1));
  return composite('BiasAct', [xf, bf], { axis, activation }, 'float32', () =>
    BIAS_ACTS[activation].f(add(xf, reshape(bf, bshape))),
  );
}
defineGrad('BiasAct', ({ dys, inputs, outputs, attrs, needs }) => {
  const [x, b] = inputs as [Tensor, Tensor];
  const bshape = x.shape.map((d, i) => (i === attrs.axis ? d : 1));
  const z = add(x, reshape(b, bshape));
  const g = mul(dys[0]!, BIAS_ACTS[attrs.activation].d(z, outputs[0]!));
  const others = x.shape.map((_, i) => i).filter((i) => i !== attrs.axis);
  return [needs[0] ? g : null, needs[1] ? reshape(sum(g, others), b.shape) : null];
});

/** Zero each element with probability `p` and scale the rest by 1/(1−p) (inverted dropout). */
export function dropout(x: Tensor, p: number, options: { training?: boolean; seed?: Seed } = {}): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must be in [0, 1], got ${p}`);
  if (!(options.training ?? true) || p === 0) return reshape(x, x.shape);
  if (p === 1) return mul(x, zerosLike(x));
  const mask = bernoulliMask(x.shape, 1 - p, options.seed);
  return mul(x, mul(mask, 1 / (1 - p)));
}

/** Rows of `weight` [numEmbeddings, dim] picked by int `indices`; the result is [...indices.shape, dim]. */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  if (weight.rank !== 2)
    throw new RangeError(`embedding: weight must be [numEmbeddings, dim], got ${fmtShape(weight.shape)}`);
  if (indices.dtype === 'float32') throw new TypeError('embedding: indices must be int32, got float32');
  const rows = indexSelect(weight, 0, reshape(indices, [indices.size]));
  return reshape(rows, [...indices.shape, weight.shape[1]!]);
}
