import * as core from '@myelin/core';
import {
  abs,
  add,
  argmax,
  argmin,
  avgPool1d,
  avgPool2d,
  batchNorm,
  broadcastTo,
  cast,
  clip,
  concat,
  conv1d,
  conv2d,
  convTranspose2d,
  cumsum,
  type DType,
  div,
  equal,
  exp,
  floor,
  gather,
  greater,
  greaterEqual,
  gruCell,
  indexSelect,
  isNaN as isNan,
  layerNorm,
  less,
  lessEqual,
  log,
  logicalAnd,
  logicalNot,
  logicalOr,
  logicalXor,
  logSoftmax,
  logSumExp,
  Module,
  matmul,
  max,
  maximum,
  maxPool1d,
  maxPool2d,
  mean,
  min,
  minimum,
  mul,
  neg,
  Parameter,
  pad,
  permute,
  pow,
  prod,
  reshape,
  scalar,
  scatter,
  scatterAdd,
  scope,
  sigmoid,
  slice,
  softmax,
  split,
  sub,
  sum,
  type Tensor,
  tanh,
  tensor,
  tile,
  topk,
  Variable,
  where,
} from '@myelin/core';
import { AvgPool3d, conv3d, MaxPool3d } from '@myelin/nn';
import {
  DT,
  type IAttributeProto,
  type INodeProto,
  type ITensorProto,
  type ModelProto,
  num,
  onnx,
} from './proto.js';

/** Limits that keep a hostile file from costing unbounded memory or time. */
export interface ImportLimits {
  /** Largest initializer or constant, in elements (default 2^28). */
  maxElements?: number;
  /** Most nodes in the graph (default 100 000). */
  maxNodes?: number;
}

const INT32_MAX = 2 ** 31 - 1;

/** Elements of a TensorProto after checking its dims and that its data has exactly that many. */
function checkTensor(t: ITensorProto, where: string, limits: Required<ImportLimits>): number {
  const dims = (t.dims ?? []).map((d) => num(d as number, `${where} dim`));
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new RangeError(`importOnnx: ${where} has dim ${d}; dims must be non-negative integers`);
    n *= d;
    if (n > limits.maxElements)
      throw new RangeError(
        `importOnnx: ${where} declares dims [${dims}] (more than ${limits.maxElements} elements, the limit)`,
      );
  }
  const dt = t.dataType ?? 0;
  const size: Record<number, number> = {
    [DT.FLOAT]: 4,
    [DT.INT32]: 4,
    [DT.INT64]: 8,
    [DT.BOOL]: 1,
    [DT.DOUBLE]: 8,
    [DT.UINT8]: 1,
    [DT.INT8]: 1,
  };
  if (!(dt in size))
    throw new TypeError(
      `importOnnx: ${where} has data type ${onnx.TensorProto.DataType[dt] ?? dt}; supported: FLOAT, DOUBLE, INT32, INT64, INT8, UINT8, BOOL`,
    );
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)
    throw new TypeError(`importOnnx: ${where} keeps its data in an external file, which is not supported`);
  let have: number;
  if (t.rawData && t.rawData.length > 0) have = t.rawData.length / size[dt]!;
  else if (dt === DT.FLOAT) have = t.floatData?.length ?? 0;
  else if (dt === DT.INT64) have = t.int64Data?.length ?? 0;
  else if (dt === DT.DOUBLE) have = t.doubleData?.length ?? 0;
  else have = t.int32Data?.length ?? 0;
  if (have !== n)
    throw new RangeError(
      `importOnnx: ${where} declares dims [${dims}] (${n} elements) but holds ${have} values`,
    );
  return n;
}

/** The values of a checked TensorProto as a Myelin dtype: float32 (FLOAT, DOUBLE), int32 (integers, int64 clamped), bool. */
function tensorValues(t: ITensorProto): {
  dims: number[];
  dtype: DType;
  values: Float32Array | Int32Array | Uint8Array;
} {
  const dims = (t.dims ?? []).map((d) => num(d as number));
  const dt = t.dataType!;
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  const n = dims.reduce((a, b) => a * b, 1);
  if (dt === DT.FLOAT || dt === DT.DOUBLE) {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++)
      out[i] = view
        ? dt === DT.FLOAT
          ? view.getFloat32(4 * i, true)
          : view.getFloat64(8 * i, true)
        : Number((dt === DT.FLOAT ? t.floatData : t.doubleData)![i]);
    return { dims, dtype: 'float32', values: out };
  }
  if (dt === DT.BOOL) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = (view ? view.getUint8(i) : t.int32Data![i]!) ? 1 : 0;
    return { dims, dtype: 'bool', values: out };
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    if (dt === DT.INT64) v = view ? Number(view.getBigInt64(8 * i, true)) : num(t.int64Data![i] as number);
    else if (dt === DT.INT32) v = view ? view.getInt32(4 * i, true) : t.int32Data![i]!;
    else if (dt === DT.INT8) v = view ? view.getInt8(i) : t.int32Data![i]!;
    else v = view ? view.getUint8(i) : t.int32Data![i]!;
    // int64 sentinels (INT64_MAX as a slice end) fit int32 after clamping; indices beyond never will.
    out[i] = Math.max(-INT32_MAX, Math.min(INT32_MAX, v));
  }
  return { dims, dtype: 'int32', values: out };
}

function toTensor(t: ITensorProto): Tensor {
  const { dims, dtype, values } = tensorValues(t);
  return tensor(values, { shape: dims, dtype });
}

/** Attribute reader for one node. */
class Attrs {
  private readonly map = new Map<string, IAttributeProto>();
  constructor(
    node: INodeProto,
    private readonly ref: string,
  ) {
    for (const a of node.attribute ?? []) this.map.set(a.name ?? '', a);
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  int(name: string, dflt: number): number {
    const a = this.map.get(name);
    return a ? num(a.i as number, `${this.ref} attribute ${name}`) : dflt;
  }
  float(name: string, dflt: number): number {
    const a = this.map.get(name);
    return a ? (a.f ?? 0) : dflt;
  }
  ints(name: string, dflt: number[] | null): number[] | null {
    const a = this.map.get(name);
    return a ? (a.ints ?? []).map((v) => num(v as number, `${this.ref} attribute ${name}`)) : dflt;
  }
  string(name: string, dflt: string): string {
    const a = this.map.get(name);
    return a?.s ? new TextDecoder().decode(a.s) : dflt;
  }
  strings(name: string): string[] {
    return (this.map.get(name)?.strings ?? []).map((b) => new TextDecoder().decode(b));
  }
  tensor(name: string): ITensorProto | null {
    return this.map.get(name)?.t ?? null;
  }
}

type Op = (ins: (Tensor | null)[], a: Attrs, nOut: number) => Tensor[];

/** Host values of a small int tensor input (a shape, axes, pads). */
const ints = (t: Tensor | null | undefined): number[] => (t ? Array.from(t.dataSync(), Number) : []);

const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

function sameDtype(a: Tensor, b: Tensor): [Tensor, Tensor] {
  if (a.dtype === b.dtype) return [a, b];
  return a.dtype === 'float32' ? [a, cast(b, 'float32')] : [cast(a, b.dtype), b];
}

function reduceOp(fn: (x: Tensor, axes: number[], keep: boolean) => Tensor, axesInput: boolean): Op {
  return ([x, axesT], a) => {
    const keep = a.int('keepdims', 1) === 1;
    let axes = axesInput && axesT ? ints(axesT) : (a.ints('axes', null) ?? (axesT ? ints(axesT) : []));
    if (axes.length === 0) {
      if (a.int('noop_with_empty_axes', 0) === 1) return [x!];
      axes = x!.shape.map((_, i) => i);
    }
    return [
      fn(
        x!,
        axes.map((v) => norm(v, x!.rank)),
        keep,
      ),
    ];
  };
}

/** Pads as [begin..., end...] per spatial dim, from `pads` or `auto_pad` (SAME_UPPER/SAME_LOWER/VALID). */
function padsOf(x: Tensor, a: Attrs, kernel: number[], strides: number[], dilations: number[]): number[] {
  const n = kernel.length;
  const autoPad = a.string('auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    const p = a.ints('pads', null) ?? new Array(2 * n).fill(0);
    if (p.length !== 2 * n)
      throw new RangeError(`importOnnx: pads has ${p.length} values; expected ${2 * n} for a ${n}-D kernel`);
    return p;
  }
  if (autoPad === 'VALID') return new Array(2 * n).fill(0);
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER')
    throw new RangeError(
      `importOnnx: auto_pad '${autoPad}'; expected NOTSET, VALID, SAME_UPPER or SAME_LOWER`,
    );
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < n; i++) {
    const size = x.shape[2 + i]!;
    const s = strides[i]!;
    // Output ceil(size / stride); the total padding that makes it, the odd one at the end (UPPER) or start (LOWER).
    const total = Math.max(0, (Math.ceil(size / s) - 1) * s + dilations[i]! * (kernel[i]! - 1) + 1 - size);
    const small = Math.floor(total / 2);
    begin.push(autoPad === 'SAME_UPPER' ? small : total - small);
    end.push(autoPad === 'SAME_UPPER' ? total - small : small);
  }
  return [...begin, ...end];
}

/**
 * Kernel, strides, dilations and symmetric pads of a 1-, 2- or 3-D Conv/MaxPool/AveragePool;
 * asymmetric pads (explicit or from auto_pad) go through an explicit pad of `padValue` first.
 */
function spatial(
  x: Tensor,
  a: Attrs,
  kernel: number[],
  padValue: number | null,
  op: string,
): { x: Tensor; k: number[]; s: number[]; d: number[]; pad: number[] } {
  const n = kernel.length;
  if (n < 1 || n > 3 || x.rank !== n + 2)
    throw new RangeError(
      `importOnnx: ${op} has a ${n}-D kernel on an input of shape [${x.shape}]; supported: 1-, 2- and 3-D with input [N, C, ...spatial]`,
    );
  const s = a.ints('strides', null) ?? new Array(n).fill(1);
  const d = a.ints('dilations', null) ?? new Array(n).fill(1);
  if (s.length !== n || d.length !== n)
    throw new RangeError(`importOnnx: ${op} strides/dilations must have ${n} values, got [${s}] and [${d}]`);
  const p = padsOf(x, a, kernel, s, d);
  const begin = p.slice(0, n);
  const end = p.slice(n);
  if (begin.every((v, i) => v === end[i])) return { x, k: kernel, s, d, pad: begin };
  if (padValue === null)
    throw new RangeError(
      `importOnnx: ${op} with asymmetric pads [${p}] and count_include_pad 0 is not supported`,
    );
  const flat: number[] = [];
  for (let i = n - 1; i >= 0; i--) flat.push(begin[i]!, end[i]!);
  return { x: pad(x, flat, { value: padValue }), k: kernel, s, d, pad: new Array(n).fill(0) };
}

const t3 = (v: number[]) => [v[0]!, v[1]!, v[2]!] as [number, number, number];
const t2 = (v: number[]) => [v[0]!, v[1]!] as [number, number];

function conv(x: Tensor, w: Tensor, b: Tensor | null, a: Attrs): Tensor {
  const sp = spatial(x, a, a.ints('kernel_shape', null) ?? w.shape.slice(2), 0, 'Conv');
  const groups = a.int('group', 1);
  const bias = b ?? null;
  if (sp.k.length === 1)
    return conv1d(sp.x, w, { bias, stride: sp.s[0]!, padding: sp.pad[0]!, dilation: sp.d[0]!, groups });
  if (sp.k.length === 2)
    return conv2d(sp.x, w, { bias, stride: t2(sp.s), padding: t2(sp.pad), dilation: t2(sp.d), groups });
  return conv3d(sp.x, w, { bias, stride: t3(sp.s), padding: t3(sp.pad), dilation: t3(sp.d), groups });
}

function maxPoolOp(x: Tensor, a: Attrs): Tensor {
  const sp = spatial(x, a, a.ints('kernel_shape', null) ?? [], Number.NEGATIVE_INFINITY, 'MaxPool');
  const ceilMode = a.int('ceil_mode', 0) === 1;
  if (sp.k.length === 1)
    return maxPool1d(sp.x, sp.k[0]!, { stride: sp.s[0]!, padding: sp.pad[0]!, dilation: sp.d[0]!, ceilMode });
  if (sp.k.length === 2)
    return maxPool2d(sp.x, t2(sp.k), { stride: t2(sp.s), padding: t2(sp.pad), dilation: t2(sp.d), ceilMode });
  return new MaxPool3d(t3(sp.k), {
    stride: t3(sp.s),
    padding: t3(sp.pad),
    dilation: t3(sp.d),
    ceilMode,
  }).forward(sp.x) as Tensor;
}

function avgPoolOp(x: Tensor, a: Attrs): Tensor {
  const countIncludePad = a.int('count_include_pad', 0) === 1;
  const sp = spatial(x, a, a.ints('kernel_shape', null) ?? [], countIncludePad ? 0 : null, 'AveragePool');
  if (sp.d.some((v) => v !== 1))
    throw new RangeError('importOnnx: AveragePool with dilations is not supported');
  const ceilMode = a.int('ceil_mode', 0) === 1;
  if (sp.k.length === 1)
    return avgPool1d(sp.x, sp.k[0]!, { stride: sp.s[0]!, padding: sp.pad[0]!, ceilMode, countIncludePad });
  if (sp.k.length === 2)
    return avgPool2d(sp.x, t2(sp.k), { stride: t2(sp.s), padding: t2(sp.pad), ceilMode, countIncludePad });
  return new AvgPool3d(t3(sp.k), {
    stride: t3(sp.s),
    padding: t3(sp.pad),
    ceilMode,
    countIncludePad,
  }).forward(sp.x);
}

function convTransposeOp(x: Tensor, w: Tensor, b: Tensor | null, a: Attrs): Tensor {
  const k = a.ints('kernel_shape', null) ?? w.shape.slice(2);
  if (k.length !== 2 || x.rank !== 4)
    throw new RangeError(
      `importOnnx: ConvTranspose has a ${k.length}-D kernel on input [${x.shape}]; only 2-D is supported`,
    );
  if (a.has('output_shape'))
    throw new RangeError('importOnnx: ConvTranspose with output_shape is not supported; re-export with pads');
  const autoPad = a.string('auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID')
    throw new RangeError(`importOnnx: ConvTranspose auto_pad '${autoPad}' is not supported`);
  const p = autoPad === 'VALID' ? [0, 0, 0, 0] : (a.ints('pads', null) ?? [0, 0, 0, 0]);
  const stride = t2(a.ints('strides', null) ?? [1, 1]);
  const outputPadding = t2(a.ints('output_padding', null) ?? [0, 0]);
  const dilation = t2(a.ints('dilations', null) ?? [1, 1]);
  const groups = a.int('group', 1);
  const bias = b ?? null;
  const small = outputPadding.every((o, i) => o < Math.max(stride[i]!, dilation[i]!));
  if (p[0] === p[2] && p[1] === p[3] && small)
    return convTranspose2d(x, w, { bias, stride, padding: [p[0]!, p[1]!], outputPadding, dilation, groups });
  // Asymmetric pads (as exportOnnx writes for some strides): the full output, zeros appended for
  // output_padding, then pads[begin] and pads[end] cropped off.
  let y = convTranspose2d(x, w, { stride, dilation, groups });
  if (outputPadding.some((o) => o > 0)) y = pad(y, [0, outputPadding[1]!, 0, outputPadding[0]!]);
  const [H, W] = [y.shape[2]!, y.shape[3]!];
  if (p[0]! + p[2]! >= H || p[1]! + p[3]! >= W)
    throw new RangeError(`importOnnx: ConvTranspose pads [${p}] leave no output of a ${H}×${W} result`);
  y = slice(y, null, null, [p[0]!, H - p[2]!, 1], [p[1]!, W - p[3]!, 1]);
  return bias ? add(y, reshape(bias, [1, bias.shape[0]!, 1, 1])) : y;
}

type Kind = 'LSTM' | 'GRU' | 'RNN';
const GATES: Record<Kind, number> = { LSTM: 4, GRU: 3, RNN: 1 };
const ACT: Record<string, (x: Tensor) => Tensor> = { Tanh: tanh, Relu: core.relu, Sigmoid: sigmoid };

/**
 * ONNX LSTM, GRU and RNN (layout 0: X is (T, N, I)); outputs Y (T, dirs, N, H), Y_h (dirs, N, H)
 * and, for LSTM, Y_c. Default activations only, except an RNN's (Tanh, Relu or Sigmoid).
 */
function recurrent(kind: Kind, ins: (Tensor | null)[], a: Attrs): Tensor[] {
  const [X, W, R, B, seqLens, h0, c0] = ins;
  const H = a.int('hidden_size', 0);
  const G = GATES[kind];
  const dir = a.string('direction', 'forward');
  if (!['forward', 'reverse', 'bidirectional'].includes(dir))
    throw new RangeError(
      `importOnnx: ${kind} direction '${dir}'; expected forward, reverse or bidirectional`,
    );
  if (a.int('layout', 0) !== 0) throw new RangeError(`importOnnx: ${kind} layout 1 is not supported`);
  if (kind === 'LSTM' && (a.has('activations') || a.int('input_forget', 0) !== 0 || ins[7]))
    throw new RangeError(
      'importOnnx: LSTM with custom activations, clip, input_forget or peepholes is not supported',
    );
  if (a.has('clip')) throw new RangeError(`importOnnx: ${kind} with clip is not supported`);
  if (kind === 'GRU' && (a.has('activations') || a.int('linear_before_reset', 0) !== 1))
    throw new RangeError(
      'importOnnx: GRU is supported with linear_before_reset 1 (as PyTorch exports) and default activations',
    );
  const dirs = dir === 'bidirectional' ? 2 : 1;
  const actNames: string[] = [];
  if (kind === 'RNN') {
    const raw = a.strings('activations');
    for (let d = 0; d < dirs; d++) actNames.push(raw[d] ?? 'Tanh');
    for (const n of actNames)
      if (!ACT[n])
        throw new RangeError(
          `importOnnx: RNN activation '${n}' is not supported; expected Tanh, Relu or Sigmoid`,
        );
  }
  const [T, N, I] = X!.shape as [number, number, number];
  if (seqLens && (seqLens.rank !== 1 || seqLens.shape[0] !== N))
    throw new RangeError(`importOnnx: ${kind} sequence_lens has shape [${seqLens.shape}]; expected [${N}]`);
  // With sequence_lens, step t of sequence b counts only while t < len[b]: the state holds (so a
  // reverse pass starts at len[b] − 1 and a forward one ends there) and Y is 0 after the end.
  const lens = seqLens ? reshape(cast(seqLens, 'float32'), [N, 1]) : null;
  const masks = lens ? [...Array(T).keys()].map((t) => greater(lens, t)) : null;
  const ys: Tensor[][] = [];
  const hs: Tensor[] = [];
  const cs: Tensor[] = [];
  for (let d = 0; d < dirs; d++) {
    const reverse = dir === 'reverse' || d === 1;
    const w = reshape(slice(W!, [d, d + 1, 1]), [G * H, I]);
    const r = reshape(slice(R!, [d, d + 1, 1]), [G * H, H]);
    const bias = B ? reshape(slice(B, [d, d + 1, 1]), [2 * G * H]) : null;
    const wb = bias ? slice(bias, [0, G * H, 1]) : null;
    const rb = bias ? slice(bias, [G * H, 2 * G * H, 1]) : null;
    let h = h0 ? reshape(slice(h0, [d, d + 1, 1]), [N, H]) : core.zeros([N, H]);
    let c = c0 ? reshape(slice(c0, [d, d + 1, 1]), [N, H]) : core.zeros([N, H]);
    let xw = matmul(reshape(X!, [T * N, I]), w, { transposeB: true });
    if (wb) xw = add(xw, wb);
    const act = kind === 'RNN' ? ACT[actNames[d]!]! : tanh;
    const steps: Tensor[] = new Array(T);
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      const [hPrev, cPrev] = [h, c];
      const gx = slice(xw, [t * N, (t + 1) * N, 1]);
      let gh = matmul(h, r, { transposeB: true });
      if (rb) gh = add(gh, rb);
      if (kind === 'LSTM') {
        // ONNX gate order i, o, f, c (PyTorch's is i, f, g, o).
        const [i, o, f, cc] = split(add(gx, gh), H, 1) as [Tensor, Tensor, Tensor, Tensor];
        c = add(mul(sigmoid(f), c), mul(sigmoid(i), tanh(cc)));
        h = mul(sigmoid(o), tanh(c));
      } else if (kind === 'GRU') {
        // ONNX gate order z, r, h; core's fused cell takes PyTorch's r, z, n (linear_before_reset 1 is PyTorch's GRU).
        const reorder = (g: Tensor) => {
          const [z, rr, n] = split(g, H, 1) as [Tensor, Tensor, Tensor];
          return concat([rr, z, n], 1);
        };
        h = gruCell(reorder(gx), reorder(gh), h);
      } else h = act(add(gx, gh));
      if (masks) {
        const m = masks[t]!;
        steps[t] = where(m, h, core.zerosLike(h));
        h = where(m, h, hPrev);
        if (kind === 'LSTM') c = where(m, c, cPrev);
      } else steps[t] = h;
    }
    ys.push(steps);
    hs.push(h);
    cs.push(c);
  }
  // Y: (T, dirs, N, H)
  const Y = core.stack(
    [...Array(T).keys()].map((t) =>
      core.stack(
        ys.map((s) => s[t]!),
        0,
      ),
    ),
    0,
  );
  return kind === 'LSTM' ? [Y, core.stack(hs, 0), core.stack(cs, 0)] : [Y, core.stack(hs, 0)];
}

const unary =
  (fn: (x: Tensor) => Tensor): Op =>
  ([x]) => [fn(x!)];
const binary =
  (fn: (x: Tensor, y: Tensor) => Tensor): Op =>
  ([x, y]) => [fn(x!, y!)];

/** The ONNX ops the importer runs, each with core ops. */
const OPS: Record<string, Op> = {
  Identity: unary((x) => x),
  Dropout: ([x], _a, n) => (n > 1 ? [x!, core.onesLike(x!).cast('bool')] : [x!]),
  Neg: unary(neg),
  Abs: unary(abs),
  Sign: unary(core.sign),
  Exp: unary(exp),
  Log: unary(log),
  Sqrt: unary(core.sqrt),
  Reciprocal: unary(core.reciprocal),
  Sin: unary(core.sin),
  Cos: unary(core.cos),
  Tan: unary(core.tan),
  Asin: unary(core.asin),
  Acos: unary(core.acos),
  Atan: unary(core.atan),
  Sinh: unary(core.sinh),
  Cosh: unary(core.cosh),
  Tanh: unary(tanh),
  Sigmoid: unary(sigmoid),
  Softplus: unary(core.softplus),
  Softsign: unary(core.softsign),
  Relu: unary(core.relu),
  Erf: unary(core.erf),
  Floor: unary(floor),
  Ceil: unary(core.ceil),
  Round: unary(core.round),
  IsNaN: unary(isNan),
  IsInf: unary((x) => logicalAnd(logicalNot(core.isFinite(x)), logicalNot(isNan(x)))),
  Not: unary(logicalNot),
  HardSwish: unary(core.hardSwish),
  HardSigmoid: ([x], a) => [clip(add(mul(x!, a.float('alpha', 0.2)), a.float('beta', 0.5)), 0, 1)],
  LeakyRelu: ([x], a) => [core.leakyRelu(x!, a.float('alpha', 0.01))],
  Elu: ([x], a) => [core.elu(x!, a.float('alpha', 1))],
  Celu: ([x], a) => [core.celu(x!, a.float('alpha', 1))],
  Selu: ([x], a) => {
    const alpha = a.float('alpha', 1.6732632423543772);
    const gamma = a.float('gamma', 1.0507009873554805);
    return [mul(where(greater(x!, 0), x!, mul(sub(exp(x!), 1), alpha)), gamma)];
  },
  Add: binary(add),
  Sub: binary(sub),
  Mul: binary(mul),
  Div: binary((x, y) =>
    x.dtype === 'int32' && y.dtype === 'int32' ? cast(core.trunc(div(x, y)), 'int32') : div(x, y),
  ),
  Pow: binary(pow),
  Max: (ins) => [ins.reduce((p, q) => maximum(p!, q!))!],
  Min: (ins) => [ins.reduce((p, q) => minimum(p!, q!))!],
  Sum: (ins) => [ins.reduce((p, q) => add(p!, q!))!],
  Mean: (ins) => [div(ins.reduce((p, q) => add(p!, q!))!, ins.length)],
  Mod: ([x, y], a) => {
    if (a.int('fmod', 0) === 1) return [sub(x!, mul(core.trunc(div(x!, y!)), y!))];
    return [core.mod(x!, y!)];
  },
  Equal: binary((x, y) => equal(...sameDtype(x, y))),
  Less: binary((x, y) => less(...sameDtype(x, y))),
  LessOrEqual: binary((x, y) => lessEqual(...sameDtype(x, y))),
  Greater: binary((x, y) => greater(...sameDtype(x, y))),
  GreaterOrEqual: binary((x, y) => greaterEqual(...sameDtype(x, y))),
  And: binary(logicalAnd),
  Or: binary(logicalOr),
  Xor: binary(logicalXor),
  Where: ([c, x, y]) => [where(c!, ...sameDtype(x!, y!))],
  Cast: ([x], a) => {
    const to = a.int('to', DT.FLOAT);
    const dtype: DType | null =
      to === DT.FLOAT || to === DT.DOUBLE
        ? 'float32'
        : to === DT.BOOL
          ? 'bool'
          : [DT.INT32, DT.INT64, DT.INT8, DT.UINT8].includes(to as 6)
            ? 'int32'
            : null;
    if (!dtype) throw new TypeError(`importOnnx: Cast to data type ${to} is not supported`);
    return [cast(x!, dtype)];
  },
  Clip: ([x, lo, hi], a) => [
    clip(
      x!,
      lo ? lo.item() : a.float('min', Number.NEGATIVE_INFINITY),
      hi ? hi.item() : a.float('max', Number.POSITIVE_INFINITY),
    ),
  ],
  ReduceSum: reduceOp((x, ax, k) => sum(x, ax, { keepdims: k }), true),
  ReduceMean: reduceOp((x, ax, k) => mean(x, ax, { keepdims: k }), false),
  ReduceMax: reduceOp((x, ax, k) => max(x, ax, { keepdims: k }), false),
  ReduceMin: reduceOp((x, ax, k) => min(x, ax, { keepdims: k }), false),
  ReduceProd: reduceOp((x, ax, k) => prod(x, ax, { keepdims: k }), false),
  ReduceLogSumExp: reduceOp((x, ax, k) => logSumExp(x, ax, { keepdims: k }), false),
  ArgMax: ([x], a) => [argmax(x!, norm(a.int('axis', 0), x!.rank), { keepdims: a.int('keepdims', 1) === 1 })],
  ArgMin: ([x], a) => [argmin(x!, norm(a.int('axis', 0), x!.rank), { keepdims: a.int('keepdims', 1) === 1 })],
  MatMul: binary((x, y) => matmul(x, y)),
  Gemm: ([A, B, C], a) => {
    let y = matmul(A!, B!, { transposeA: a.int('transA', 0) === 1, transposeB: a.int('transB', 0) === 1 });
    const alpha = a.float('alpha', 1);
    if (alpha !== 1) y = mul(y, alpha);
    if (C) y = add(y, a.float('beta', 1) === 1 ? C : mul(C, a.float('beta', 1)));
    return [y];
  },
  Transpose: ([x], a) => [permute(x!, a.ints('perm', null) ?? x!.shape.map((_, i) => x!.rank - 1 - i))],
  Reshape: ([x, s], a) => {
    const allowZero = a.int('allowzero', 0) === 1;
    const target = ints(s).map((d, i) => (d === 0 && !allowZero ? x!.shape[i]! : d));
    return [reshape(x!, target)];
  },
  Flatten: ([x], a) => {
    const axis = norm(a.int('axis', 1), x!.rank);
    const lead = x!.shape.slice(0, axis).reduce((p, q) => p * q, 1);
    return [reshape(x!, [lead, x!.shape.slice(axis).reduce((p, q) => p * q, 1)])];
  },
  Squeeze: ([x, ax], a) => {
    const axes = (
      ax ? ints(ax) : (a.ints('axes', null) ?? x!.shape.flatMap((d, i) => (d === 1 ? [i] : [])))
    ).map((v) => norm(v, x!.rank));
    return [
      reshape(
        x!,
        x!.shape.filter((_, i) => !axes.includes(i)),
      ),
    ];
  },
  Unsqueeze: ([x, ax], a) => {
    const axesRaw = ax ? ints(ax) : (a.ints('axes', null) ?? []);
    const r = x!.rank + axesRaw.length;
    const axes = axesRaw.map((v) => norm(v, r));
    const shape: number[] = [];
    let k = 0;
    for (let i = 0; i < r; i++) shape.push(axes.includes(i) ? 1 : x!.shape[k++]!);
    return [reshape(x!, shape)];
  },
  Concat: (ins, a) => {
    const xs = ins.filter((t): t is Tensor => t !== null);
    const dtype = xs.some((t) => t.dtype === 'float32') ? 'float32' : xs[0]!.dtype;
    return [
      concat(
        xs.map((t) => cast(t, dtype)),
        norm(a.int('axis', 0), xs[0]!.rank),
      ),
    ];
  },
  Split: ([x, sizes], a, nOut) => {
    const axis = norm(a.int('axis', 0), x!.rank);
    const n = x!.shape[axis]!;
    const s = sizes ? ints(sizes) : (a.ints('split', null) ?? Array(nOut).fill(Math.ceil(n / nOut)));
    return split(x!, s, axis);
  },
  Slice: ([x, st, en, ax, sp]) => {
    const starts = ints(st);
    const ends = ints(en);
    const axes = ax ? ints(ax).map((v) => norm(v, x!.rank)) : starts.map((_, i) => i);
    const steps = sp ? ints(sp) : starts.map(() => 1);
    const specs: ([number, number, number] | null)[] = x!.shape.map(() => null);
    axes.forEach((axis, i) => {
      const n = x!.shape[axis]!;
      const step = steps[i]!;
      if (step === 0) throw new RangeError('importOnnx: Slice step 0');
      const fix = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
      const b = step > 0 ? fix(starts[i]!, 0, n) : fix(starts[i]!, 0, n - 1);
      const e = step > 0 ? fix(ends[i]!, 0, n) : ends[i]! < -n ? -1 : fix(ends[i]!, -1, n - 1);
      specs[axis] = [b, e, step];
    });
    return [sliceRange(x!, specs)];
  },
  Gather: ([x, idx], a) => {
    const axis = norm(a.int('axis', 0), x!.rank);
    const n = x!.shape[axis]!;
    let i = idx!.dtype === 'int32' ? idx! : cast(idx!, 'int32');
    if (i.size > 0 && min(i).item() < 0) i = where(less(i, 0), add(i, n), i);
    const flat = indexSelect(x!, axis, reshape(i, [i.size]));
    return [reshape(flat, [...x!.shape.slice(0, axis), ...idx!.shape, ...x!.shape.slice(axis + 1)])];
  },
  GatherElements: ([x, idx], a) => [gather(x!, norm(a.int('axis', 0), x!.rank), idx!)],
  ScatterElements: ([x, idx, upd], a) => {
    const axis = norm(a.int('axis', 0), x!.rank);
    const red = a.string('reduction', 'none');
    if (red === 'add') return [scatterAdd(x!, axis, idx!, upd!)];
    if (red !== 'none')
      throw new RangeError(`importOnnx: ScatterElements reduction '${red}' is not supported`);
    return [scatter(x!, axis, idx!, upd!)];
  },
  ScatterND: ([x, idx, upd], a) => {
    // Only indices (K, 1) along axis 0 (whole rows), which is what row scatters export as.
    if (idx!.rank !== 2 || idx!.shape[1] !== 1)
      throw new RangeError('importOnnx: ScatterND is supported for indices of shape (K, 1) only');
    const red = a.string('reduction', 'none');
    const rows = reshape(cast(idx!, 'int32'), [idx!.shape[0]!, ...x!.shape.slice(1).map(() => 1)]);
    const index = broadcastTo(rows, upd!.shape);
    if (red === 'add') return [scatterAdd(x!, 0, index, upd!)];
    if (red !== 'none') throw new RangeError(`importOnnx: ScatterND reduction '${red}' is not supported`);
    return [scatter(x!, 0, index, upd!)];
  },
  Expand: ([x, s]) => {
    const target = ints(s);
    const r = Math.max(target.length, x!.rank);
    const xs = [...Array(r - x!.rank).fill(1), ...x!.shape];
    const ts = [...Array(r - target.length).fill(1), ...target];
    return [
      broadcastTo(
        x!,
        xs.map((d, i) => (ts[i] === 1 ? d : ts[i]!)),
      ),
    ];
  },
  Tile: ([x, reps]) => [tile(x!, ints(reps))],
  Pad: ([x, p, v], a) => {
    const pads = ints(p);
    const r = x!.rank;
    const mode = a.string('mode', 'constant');
    const flat: number[] = [];
    for (let d = r - 1; d >= 0; d--) flat.push(pads[d]!, pads[d + r]!);
    return [
      pad(x!, flat, {
        mode: mode === 'edge' ? 'replicate' : (mode as 'constant' | 'reflect'),
        value: v ? v.item() : 0,
      }),
    ];
  },
  Shape: ([x], a) => {
    const s = x!.shape.slice(
      norm(a.int('start', 0), x!.rank),
      a.has('end') ? norm(a.int('end', 0), x!.rank) : undefined,
    );
    return [tensor(Int32Array.from(s), { shape: [s.length], dtype: 'int32' })];
  },
  Size: ([x]) => [scalar(x!.size, 'int32')],
  ConstantOfShape: ([s], a) => {
    const t = a.tensor('value');
    const v = t ? tensorValues(t) : { dtype: 'float32' as DType, values: new Float32Array([0]) };
    return [core.full(ints(s), v.values[0]!, { dtype: v.dtype })];
  },
  Range: ([s, l, d]) => {
    const [start, limit, delta] = [s!.item(), l!.item(), d!.item()];
    return [core.arange(start, limit, delta, { dtype: s!.dtype })];
  },
  CumSum: ([x, ax], a) => {
    const axis = norm(ints(ax)[0]!, x!.rank);
    if (a.int('exclusive', 0) === 1) throw new RangeError('importOnnx: exclusive CumSum is not supported');
    return [cumsum(x!, axis, { reverse: a.int('reverse', 0) === 1 })];
  },
  TopK: ([x, k], a) => {
    const [v, i] = topk(x!, ints(k)[0]!, { axis: a.int('axis', -1), largest: a.int('largest', 1) === 1 });
    return [v, i];
  },
  Softmax: ([x], a) => [softmax(x!, a.int('axis', -1))],
  LogSoftmax: ([x], a) => [logSoftmax(x!, a.int('axis', -1))],
  Conv: ([x, w, b], a) => [conv(x!, w!, b ?? null, a)],
  ConvTranspose: ([x, w, b], a) => [convTransposeOp(x!, w!, b ?? null, a)],
  MaxPool: ([x], a, nOut) => {
    if (nOut > 1) throw new RangeError('importOnnx: MaxPool with an Indices output is not supported');
    return [maxPoolOp(x!, a)];
  },
  AveragePool: ([x], a) => [avgPoolOp(x!, a)],
  GlobalAveragePool: ([x]) => [
    mean(
      x!,
      x!.shape.slice(2).map((_, i) => i + 2),
      { keepdims: true },
    ),
  ],
  BatchNormalization: ([x, scale, b, m, v], a) => {
    if (a.int('training_mode', 0) === 1)
      throw new RangeError('importOnnx: BatchNormalization training_mode is not supported');
    return [
      batchNorm(x!, m!, v!, { weight: scale!, bias: b!, training: false, eps: a.float('epsilon', 1e-5) }),
    ];
  },
  LayerNormalization: ([x, scale, b], a, nOut) => {
    if (nOut > 1)
      throw new RangeError('importOnnx: LayerNormalization with Mean/InvStdDev outputs is not supported');
    const axis = norm(a.int('axis', -1), x!.rank);
    return [
      layerNorm(x!, x!.shape.slice(axis), {
        weight: scale ?? null,
        bias: b ?? null,
        eps: a.float('epsilon', 1e-5),
      }),
    ];
  },
  LSTM: (ins, a) => recurrent('LSTM', ins, a),
  GRU: (ins, a) => recurrent('GRU', ins, a),
  RNN: (ins, a) => recurrent('RNN', ins, a),
};

/** Slice with [begin, end, step] per dim (end exclusive, −1 meaning "before 0" for negative steps). */
function sliceRange(x: Tensor, specs: ([number, number, number] | null)[]): Tensor {
  return slice(
    x,
    ...specs.map((s) => {
      if (!s) return null;
      const [b, e, st] = s;
      const n = st > 0 ? Math.max(0, Math.ceil((e - b) / st)) : Math.max(0, Math.ceil((b - e) / -st));
      if (n === 0) return [b, b, 1] as [number, number, number];
      // Express as start/stop/step in the form core's slice takes (stop exclusive; may be negative for reverse).
      const stop = st > 0 ? b + (n - 1) * st + 1 : b + (n - 1) * st - 1;
      return [b, stop < 0 ? null : stop, st] as [number, number | null, number];
    }),
  );
}

/** Op types `importOnnx` can run. */
export const IMPORTABLE_OPS: readonly string[] = ['Constant', ...Object.keys(OPS)].sort();

const BUFFER_NAME = /(^|\.)(running_mean|running_var|num_batches_tracked)$/;

interface ParsedNode {
  readonly op: string;
  readonly inputs: string[];
  readonly outputs: string[];
  readonly attrs: Attrs;
  readonly ref: string;
  readonly constant: ITensorProto | null;
}

/**
 * An ONNX graph as a Myelin Module: float initializers are Parameters (trainable, named as in the
 * file, so a PyTorch export keeps its state-dict names), BatchNorm statistics and integer
 * initializers are buffers, and `forward(...inputs)` interprets the nodes with core ops, so
 * gradients flow to every parameter.
 */
export class OnnxModule extends Module {
  readonly #nodes: ParsedNode[];
  readonly #inputs: { name: string; dims: (number | null)[] }[];
  readonly #outputs: string[];
  readonly #vars = new Map<string, Variable>();

  /** @internal use `importOnnx` */
  constructor(
    nodes: ParsedNode[],
    inits: ITensorProto[],
    inputs: { name: string; dims: (number | null)[] }[],
    outputs: string[],
  ) {
    super();
    this.#nodes = nodes;
    this.#inputs = inputs;
    this.#outputs = outputs;
    const self = this as unknown as Record<string, unknown>;
    for (const t of inits) {
      const name = t.name!;
      const init = toTensor(t);
      const v =
        init.dtype === 'float32' && !BUFFER_NAME.test(name)
          ? new Parameter(init)
          : new Variable(init, { requiresGrad: false });
      init.dispose();
      this.#vars.set(name, v);
      const key = name in self ? `onnx:${name}` : name;
      self[key] = v;
    }
  }

  /** Graph input names, in the order `forward` takes them. */
  get inputNames(): string[] {
    return this.#inputs.map((i) => i.name);
  }

  get outputNames(): string[] {
    return [...this.#outputs];
  }

  /** Run the graph: one tensor per graph input; one output returns a Tensor, several an array. */
  forward(...inputs: Tensor[]): Tensor & Tensor[] {
    const outs = this.run(inputs);
    return (outs.length === 1 ? outs[0]! : outs) as Tensor & Tensor[];
  }

  /** Run the graph and return every output, in order. */
  run(inputs: Tensor[]): Tensor[] {
    if (inputs.length !== this.#inputs.length)
      throw new RangeError(
        `OnnxModule.forward: the graph takes ${this.#inputs.length} input(s) (${this.inputNames.join(', ')}), got ${inputs.length}`,
      );
    inputs.forEach((x, i) => {
      const want = this.#inputs[i]!.dims;
      if (want.length !== x.rank || want.some((d, j) => d !== null && d !== x.shape[j]))
        throw new RangeError(
          `OnnxModule.forward: input '${this.#inputs[i]!.name}' has shape [${x.shape}]; the graph expects [${want.map((d) => d ?? '?')}]`,
        );
    });
    return scope(() => {
      const env = new Map<string, Tensor>(this.#vars);
      this.#inputs.forEach((inp, i) => {
        env.set(inp.name, inputs[i]!);
      });
      for (const n of this.#nodes) {
        let outs: Tensor[];
        try {
          if (n.constant) outs = [toTensor(n.constant)];
          else {
            const ins = n.inputs.map((name) => (name ? env.get(name)! : null));
            outs = OPS[n.op]!(ins, n.attrs, n.outputs.length);
          }
        } catch (e) {
          throw new Error(`OnnxModule.forward: node ${n.ref} failed: ${(e as Error).message}`);
        }
        n.outputs.forEach((name, k) => {
          if (name && outs[k]) env.set(name, outs[k]!);
        });
      }
      return this.#outputs.map((o) => env.get(o)!);
    });
  }
}

/**
 * Load an ONNX model (bytes of a `.onnx` file) as a runnable, trainable Myelin Module. Everything is
 * checked before any tensor is made: the protobuf decodes, every op is one Myelin runs (all the
 * unsupported ones are listed in one error), every node input is defined earlier in the graph
 * (no cycles, nothing missing), and every initializer's dims match its data within `limits`.
 *
 * @example
 * const model = importOnnx(readFileSync('mlp.onnx'));
 * const y = model.forward(x);            // PyTorch's outputs
 * const opt = new SGD(model.parameters(), { lr: 0.1 }); // and fine-tune it
 */
export function importOnnx(bytes: Uint8Array, limits: ImportLimits = {}): OnnxModule {
  const lim: Required<ImportLimits> = { maxElements: 2 ** 28, maxNodes: 100_000, ...limits };
  if (!(bytes instanceof Uint8Array))
    throw new TypeError(`importOnnx: expected the bytes of a .onnx file (Uint8Array), got ${typeof bytes}`);
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(
      `importOnnx: the bytes are not a valid ONNX model (protobuf decoding failed: ${(e as Error).message})`,
    );
  }
  const g = model.graph;
  if (!g) throw new Error('importOnnx: the model has no graph');
  const opset = model.opsetImport?.find((o) => !o.domain || o.domain === 'ai.onnx');
  const version = opset ? num(opset.version as number) : 0;
  if (version < 13 || version > 17)
    throw new RangeError(
      `importOnnx: the model uses opset ${version}; supported: 13 to 17 (re-export with opset_version=17)`,
    );
  const nodesIn = g.node ?? [];
  if (nodesIn.length > lim.maxNodes)
    throw new RangeError(
      `importOnnx: the graph has ${nodesIn.length} nodes, more than the limit of ${lim.maxNodes}`,
    );
  const inits = g.initializer ?? [];
  const defined = new Set<string>();
  inits.forEach((t, i) => {
    checkTensor(t, `initializer '${t.name ?? i}'`, lim);
    defined.add(t.name ?? '');
  });
  const inputs = (g.input ?? [])
    .filter((v) => !defined.has(v.name ?? ''))
    .map((v) => {
      const tt = v.type?.tensorType;
      if (!tt) throw new TypeError(`importOnnx: graph input '${v.name}' is not a tensor`);
      const et = tt.elemType ?? 0;
      if (![DT.FLOAT, DT.INT32, DT.INT64, DT.BOOL, DT.DOUBLE].includes(et as 1))
        throw new TypeError(
          `importOnnx: graph input '${v.name}' has element type ${onnx.TensorProto.DataType[et] ?? et}; supported: FLOAT, DOUBLE, INT32, INT64, BOOL`,
        );
      const dims = (tt.shape?.dim ?? []).map((d) =>
        d.dimValue !== null && d.dimValue !== undefined && !d.dimParam ? num(d.dimValue as number) : null,
      );
      return { name: v.name!, dims };
    });
  for (const i of inputs) defined.add(i.name);
  const producedBy = new Map<string, number>();
  nodesIn.forEach((n, k) => {
    for (const o of n.output ?? []) if (o) producedBy.set(o, k);
  });
  const unsupported = new Set<string>();
  const problems: string[] = [];
  const nodes: ParsedNode[] = nodesIn.map((n, k) => {
    const op = n.opType ?? '';
    const ref = `#${k} ${op}${n.name ? ` '${n.name}'` : ''}`;
    if (n.domain && n.domain !== 'ai.onnx') unsupported.add(`${n.domain}.${op}`);
    else if (op !== 'Constant' && !OPS[op]) unsupported.add(op);
    for (const x of n.input ?? []) {
      if (!x || defined.has(x)) continue;
      const p = producedBy.get(x);
      problems.push(
        p === undefined
          ? `node ${ref} reads '${x}', which no node, input or initializer defines`
          : p >= k
            ? `node ${ref} reads '${x}' before node #${p} makes it (a cycle, or nodes out of topological order)`
            : `node ${ref} reads '${x}'`,
      );
    }
    for (const o of n.output ?? []) if (o) defined.add(o);
    const attrs = new Attrs(n, ref);
    let constant: ITensorProto | null = null;
    if (op === 'Constant') {
      constant = attrs.tensor('value');
      if (!constant) {
        if (attrs.has('value_float'))
          constant = { dims: [], dataType: DT.FLOAT, floatData: [attrs.float('value_float', 0)] };
        else if (attrs.has('value_int'))
          constant = { dims: [], dataType: DT.INT64, int64Data: [attrs.int('value_int', 0)] };
        else if (attrs.has('value_ints')) {
          const v = attrs.ints('value_ints', [])!;
          constant = { dims: [v.length], dataType: DT.INT64, int64Data: v };
        } else problems.push(`node ${ref}: Constant without a supported value attribute`);
      }
      if (constant) checkTensor(constant, `node ${ref} value`, lim);
    }
    return { op, inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])], attrs, ref, constant };
  });
  if (unsupported.size)
    throw new Error(
      `importOnnx: the model uses ${unsupported.size} op type(s) Myelin does not import: ${[...unsupported].sort().join(', ')}`,
    );
  const outputs = (g.output ?? []).map((o) => o.name ?? '');
  for (const o of outputs) if (!defined.has(o)) problems.push(`graph output '${o}' is never defined`);
  if (outputs.length === 0) problems.push('the graph has no outputs');
  if (problems.length)
    throw new Error(
      `importOnnx: the graph is malformed:\n  ${problems.slice(0, 20).join('\n  ')}${problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''}`,
    );
  return new OnnxModule(nodes, inits, inputs, outputs);
}
