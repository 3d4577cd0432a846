import type { DType, Tensor } from '@myelin/core';
import * as m from '@myelin/core';
import { ATTENTION_OPS } from './cases/attention.js';
import { SPARSE_OPS } from './cases/sparse.js';

/** A number or an [height, width] pair, as the 2-D ops take them. */
type Pair = number | [number, number];

/** One slice spec: an index, null (the whole dim) or [start, stop, step] with nulls for defaults. */
type SliceSpec = number | null | [(number | null)?, (number | null)?, (number | null)?];

/**
 * The non-tensor arguments a fixture case may carry, under OUR argument names
 * (docs/api-conventions.md). Each op reads the ones it takes.
 */
export interface OpArgs {
  // binary / where operands given as JS numbers ("weak" scalars) instead of tensors
  a?: number;
  b?: number;
  // creation
  shape?: number[];
  dtype?: DType;
  value?: number | boolean;
  start?: number;
  stop?: number;
  step?: number;
  num?: number;
  n?: number;
  m?: number;
  // elementwise parameters
  alpha?: number;
  approximate?: 'none' | 'tanh';
  min?: number;
  max?: number;
  // reductions
  axis?: number | number[];
  keepdims?: boolean;
  correction?: number;
  ord?: 1 | 2 | 'inf' | 'fro';
  // linalg and shape
  equation?: string;
  startDim?: number;
  endDim?: number;
  dim0?: number;
  dim1?: number;
  dims?: number[];
  sizeOrSizes?: number | number[];
  chunks?: number;
  specs?: SliceSpec[];
  pads?: number[];
  mode?: 'constant' | 'reflect' | 'replicate';
  reps?: number[];
  repeats?: number | number[];
  shifts?: number | number[];
  k?: number;
  // indexing
  numClasses?: number;
  largest?: boolean;
  descending?: boolean;
  // nn
  kernel?: Pair;
  stride?: Pair;
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
  outputPadding?: Pair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  outputSize?: Pair;
  training?: boolean;
  eps?: number;
  normalizedShape?: number[];
  p?: number;
  activation?: m.BiasActivation;
  // sparse and segment ops (cases/sparse.ts)
  reduce?: m.SegmentReduction;
  numSegments?: number;
  // attention (cases/attention.ts)
  causal?: boolean;
  scale?: number;
}

/** Calls one of our ops with a case's input tensors (in order) and args. */
export type OpFn = (inputs: Tensor[], args: OpArgs) => Tensor | Tensor[];

/** The two operands of a binary op: tensors from `inputs`, or JS numbers from args.a / args.b. */
function operands(xs: Tensor[], a: OpArgs): [m.TensorLike, m.TensorLike] {
  if (a.a !== undefined) return [a.a, xs[0]!];
  if (a.b !== undefined) return [xs[0]!, a.b];
  return [xs[0]!, xs[1]!];
}

/** where(cond, a, b): cond is inputs[0]; a and b are the next inputs unless given as numbers. */
function whereOperands([cond, ...rest]: Tensor[], a: OpArgs): [Tensor, m.TensorLike, m.TensorLike] {
  const x = a.a ?? rest.shift()!;
  const y = a.b ?? rest.shift()!;
  return [cond!, x, y];
}

// 1-D ops take plain numbers where the 2-D ones take pairs.
const one = (v: Pair | 'same' | 'valid' | undefined) => v as number | undefined;

function convOptions(a: OpArgs, bias: Tensor | undefined) {
  const padding = a.padding as Pair | undefined;
  return {
    bias,
    stride: a.stride,
    dilation: a.dilation,
    groups: a.groups,
    padding,
    outputPadding: a.outputPadding,
  };
}

function conv1dOptions(a: OpArgs, bias: Tensor | undefined) {
  const padding = a.padding as number | 'same' | 'valid' | undefined;
  return { bias, stride: one(a.stride), padding, dilation: one(a.dilation), groups: a.groups };
}

function pool2dOptions(a: OpArgs) {
  const padding = a.padding as Pair | undefined;
  return {
    stride: a.stride,
    padding,
    dilation: a.dilation,
    ceilMode: a.ceilMode,
    countIncludePad: a.countIncludePad,
  };
}

function pool1dOptions(a: OpArgs) {
  const [stride, padding, dilation] = [one(a.stride), one(a.padding), one(a.dilation)];
  return { stride, padding, dilation, ceilMode: a.ceilMode, countIncludePad: a.countIncludePad };
}

/** The parameter-free unary ops of core's table (unary-table.ts): `op(x)`. */
const TABLE_UNARY_OPS: Readonly<Record<string, OpFn>> = Object.fromEntries(
  m.UNARY_ROWS.filter(([, row]) => !row.params && row.kind !== 'form').map(([, row]) => {
    const f = (m as unknown as Record<string, (x: Tensor) => Tensor>)[row.op];
    if (typeof f !== 'function')
      throw new Error(`testkit: core exports no function '${row.op}' for its unary table`);
    return [row.op, ([x]: Tensor[]) => f(x!)];
  }),
);

/** Every op the fixtures exercise: one line each, mapping a case to the core call. */
export const OPS: Readonly<Record<string, OpFn>> = {
  ...SPARSE_OPS,
  ...ATTENTION_OPS,
  // creation
  zeros: (_, a) => m.zeros(a.shape!, { dtype: a.dtype }),
  ones: (_, a) => m.ones(a.shape!, { dtype: a.dtype }),
  full: (_, a) => m.full(a.shape!, a.value!, { dtype: a.dtype }),
  scalar: (_, a) => m.scalar(a.value!, a.dtype),
  arange: (_, a) =>
    a.start === undefined ? m.arange(a.stop!) : m.arange(a.start, a.stop, a.step, { dtype: a.dtype }),
  linspace: (_, a) => m.linspace(a.start!, a.stop!, a.num!),
  eye: (_, a) => m.eye(a.n!, a.m),
  zerosLike: ([x]) => m.zerosLike(x!),
  onesLike: ([x]) => m.onesLike(x!),
  fullLike: ([x], a) => m.fullLike(x!, a.value!),
  cast: ([x], a) => m.cast(x!, a.dtype!),

  // elementwise unary: every parameter-free row of core's unary op table, then those with parameters
  ...TABLE_UNARY_OPS,
  leakyRelu: ([x], a) => m.leakyRelu(x!, a.alpha),
  elu: ([x], a) => m.elu(x!, a.alpha),
  celu: ([x], a) => m.celu(x!, a.alpha),
  gelu: ([x], a) => m.gelu(x!, { approximate: a.approximate }),
  hardTanh: ([x], a) => m.hardTanh(x!, a.min, a.max),
  clip: ([x], a) => m.clip(x!, a.min, a.max),

  // elementwise binary (broadcasting; a JS number operand comes from args.a / args.b)
  add: (xs, a) => m.add(...operands(xs, a)),
  sub: (xs, a) => m.sub(...operands(xs, a)),
  mul: (xs, a) => m.mul(...operands(xs, a)),
  div: (xs, a) => m.div(...operands(xs, a)),
  pow: (xs, a) => m.pow(...operands(xs, a)),
  maximum: (xs, a) => m.maximum(...operands(xs, a)),
  minimum: (xs, a) => m.minimum(...operands(xs, a)),
  mod: (xs, a) => m.mod(...operands(xs, a)),
  floorDiv: (xs, a) => m.floorDiv(...operands(xs, a)),
  atan2: (xs, a) => m.atan2(...operands(xs, a)),
  equal: (xs, a) => m.equal(...operands(xs, a)),
  notEqual: (xs, a) => m.notEqual(...operands(xs, a)),
  less: (xs, a) => m.less(...operands(xs, a)),
  lessEqual: (xs, a) => m.lessEqual(...operands(xs, a)),
  greater: (xs, a) => m.greater(...operands(xs, a)),
  greaterEqual: (xs, a) => m.greaterEqual(...operands(xs, a)),
  logicalAnd: (xs, a) => m.logicalAnd(...operands(xs, a)),
  logicalOr: (xs, a) => m.logicalOr(...operands(xs, a)),
  logicalXor: (xs, a) => m.logicalXor(...operands(xs, a)),
  where: (xs, a) => m.where(...whereOperands(xs, a)),

  // reductions
  sum: ([x], a) => m.sum(x!, a.axis, { keepdims: a.keepdims }),
  mean: ([x], a) => m.mean(x!, a.axis, { keepdims: a.keepdims }),
  prod: ([x], a) => m.prod(x!, a.axis, { keepdims: a.keepdims }),
  max: ([x], a) => m.max(x!, a.axis, { keepdims: a.keepdims }),
  min: ([x], a) => m.min(x!, a.axis, { keepdims: a.keepdims }),
  any: ([x], a) => m.any(x!, a.axis, { keepdims: a.keepdims }),
  all: ([x], a) => m.all(x!, a.axis, { keepdims: a.keepdims }),
  logSumExp: ([x], a) => m.logSumExp(x!, a.axis, { keepdims: a.keepdims }),
  variance: ([x], a) => m.variance(x!, a.axis, { correction: a.correction, keepdims: a.keepdims }),
  std: ([x], a) => m.std(x!, a.axis, { correction: a.correction, keepdims: a.keepdims }),
  argmax: ([x], a) => m.argmax(x!, a.axis as number | undefined, { keepdims: a.keepdims }),
  argmin: ([x], a) => m.argmin(x!, a.axis as number | undefined, { keepdims: a.keepdims }),
  norm: ([x], a) => m.norm(x!, a.ord, a.axis, { keepdims: a.keepdims }),

  // linear algebra
  matmul: ([x, y]) => m.matmul(x!, y!),
  dot: ([x, y]) => m.dot(x!, y!),
  outer: ([x, y]) => m.outer(x!, y!),
  einsum: ([x, y], a) => m.einsum(a.equation!, x!, y),

  // shape
  reshape: ([x], a) => m.reshape(x!, a.shape!),
  flatten: ([x], a) => m.flatten(x!, a.startDim, a.endDim),
  squeeze: ([x], a) => m.squeeze(x!, a.axis),
  unsqueeze: ([x], a) => m.unsqueeze(x!, a.axis as number),
  transpose: ([x], a) => m.transpose(x!, a.dim0, a.dim1),
  permute: ([x], a) => m.permute(x!, a.dims!),
  broadcastTo: ([x], a) => m.broadcastTo(x!, a.shape!),
  concat: (xs, a) => m.concat(xs, a.axis as number | undefined),
  stack: (xs, a) => m.stack(xs, a.axis as number | undefined),
  split: ([x], a) => m.split(x!, a.sizeOrSizes!, a.axis as number | undefined),
  chunk: ([x], a) => m.chunk(x!, a.chunks!, a.axis as number | undefined),
  slice: ([x], a) => m.slice(x!, ...a.specs!),
  pad: ([x], a) => m.pad(x!, a.pads!, { mode: a.mode, value: a.value as number | undefined }),
  tile: ([x], a) => m.tile(x!, a.reps!),
  // NumPy `repeat` takes per-element counts too (docs/api-conventions.md); core's type says number.
  repeat: ([x], a) => m.repeat(x!, a.repeats as number, a.axis as number | undefined),
  flip: ([x], a) => m.flip(x!, a.axis!),
  roll: ([x], a) => m.roll(x!, a.shifts!, a.axis),
  tril: ([x], a) => m.tril(x!, a.k),
  triu: ([x], a) => m.triu(x!, a.k),

  // indexing
  gather: ([x, i], a) => m.gather(x!, a.axis as number, i!),
  take: ([x, i]) => m.take(x!, i!),
  indexSelect: ([x, i], a) => m.indexSelect(x!, a.axis as number, i!),
  scatter: ([x, i, s], a) => m.scatter(x!, a.axis as number, i!, s!),
  scatterAdd: ([x, i, s], a) => m.scatterAdd(x!, a.axis as number, i!, s!),
  oneHot: ([i], a) => m.oneHot(i!, a.numClasses!),
  maskedFill: ([x, mask], a) => m.maskedFill(x!, mask!, a.value!),
  topk: ([x], a) => m.topk(x!, a.k!, { axis: a.axis as number | undefined, largest: a.largest }),
  sort: ([x], a) => m.sort(x!, { axis: a.axis as number | undefined, descending: a.descending }),
  argsort: ([x], a) => m.argsort(x!, { axis: a.axis as number | undefined, descending: a.descending }),
  cumsum: ([x], a) => m.cumsum(x!, a.axis as number),
  cumprod: ([x], a) => m.cumprod(x!, a.axis as number),

  // neural-net primitives
  softmax: ([x], a) => m.softmax(x!, a.axis as number | undefined),
  logSoftmax: ([x], a) => m.logSoftmax(x!, a.axis as number | undefined),
  conv1d: ([x, w, bias], a) => m.conv1d(x!, w!, conv1dOptions(a, bias)),
  conv2d: ([x, w, bias], a) => m.conv2d(x!, w!, { ...convOptions(a, bias), padding: a.padding }),
  convTranspose2d: ([x, w, bias], a) => m.convTranspose2d(x!, w!, convOptions(a, bias)),
  maxPool1d: ([x], a) => m.maxPool1d(x!, one(a.kernel)!, pool1dOptions(a)),
  maxPool2d: ([x], a) => m.maxPool2d(x!, a.kernel!, pool2dOptions(a)),
  avgPool1d: ([x], a) => m.avgPool1d(x!, one(a.kernel)!, pool1dOptions(a)),
  avgPool2d: ([x], a) => m.avgPool2d(x!, a.kernel!, pool2dOptions(a)),
  adaptiveAvgPool2d: ([x], a) => m.adaptiveAvgPool2d(x!, a.outputSize!),
  unfold: ([x], a) => m.unfold(x!, a.kernel!, pool2dOptions(a)),
  batchNorm: ([x, mean, vari, weight, bias], a) =>
    m.batchNorm(x!, mean!, vari!, { weight, bias, training: a.training, eps: a.eps }),
  layerNorm: ([x, weight, bias], a) => m.layerNorm(x!, a.normalizedShape!, { weight, bias, eps: a.eps }),
  biasAct: ([x, b], a) => m.biasAct(x!, b!, { axis: a.axis as number | undefined, activation: a.activation }),
  embedding: ([i, w]) => m.embedding(i!, w!),
  // recurrent cells: the fused LstmCell / GruCell kernels and, through vjp, their …Grad kernels
  lstmCell: ([gates, c]) => m.lstmCell(gates!, c!),
  lstmCellGrad: ([gates, c, dh, dc]) => m.lstmCellGrad(gates!, c!, dh!, dc!),
  gruCell: ([gx, gh, h]) => m.gruCell(gx!, gh!, h!),
  gruCellGrad: ([gx, gh, h, dh]) => m.gruCellGrad(gx!, gh!, h!, dh!),
  dropout: ([x], a) => m.dropout(x!, a.p!, { training: a.training }),
};
