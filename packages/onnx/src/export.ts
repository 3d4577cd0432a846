import {
  concat,
  type DataId,
  type DType,
  type Module,
  type Shape,
  type Tensor,
  type TensorInfo,
  type TypedArray,
} from '@myelin/core';
import {
  attr,
  DT,
  type IAttributeProto,
  type INodeProto,
  IR_VERSION,
  type ITensorProto,
  type IValueInfoProto,
  type ModelProto,
  ONNX_DTYPE,
  OPSET,
  onnx,
  tensorProto,
  valueInfo,
} from './proto.js';
import { type ForwardFn, type KernelRecord, type Trace, traceForward } from './trace.js';

/** Options of `exportOnnx`. */
export interface ExportOptions {
  /** Graph input names (default `input`, `input_1`, …). */
  inputNames?: readonly string[];
  /** Graph output names (default `output`, `output_1`, …). */
  outputNames?: readonly string[];
  /**
   * Make dim 0 of every input and the matching dims downstream a symbolic batch `N` (default true).
   * The model is traced twice, at the example batch b and at 2b (the inputs repeated), and every
   * dim that scales with the batch becomes symbolic. Off: every shape is fixed (a GCN on one graph).
   */
  dynamicBatch?: boolean;
  /** How to call the model on the inputs (default `model.forward(...inputs)`). */
  forward?: ForwardFn;
  /** Free text stored as the model's doc string. */
  docString?: string;
}

const INT64_MAX = Number.MAX_SAFE_INTEGER;

/** An error raised while mapping one kernel; collected so that every unsupported op is listed at once. */
class Unsupported extends Error {}

type Val =
  | { kind: 'const'; values: TypedArray; dtype: DType }
  | { kind: 'value'; name: string; shape: Shape; dtype: DType };

/** A dim of a traced shape: fixed, or `k` times the batch. */
type Dim = { fixed: number } | { batch: number };

interface Ctx {
  readonly rec: KernelRecord;
  readonly attrs: Record<string, unknown>;
  /** The ONNX value of input j, viewed with the shape the kernel saw. */
  x(j: number): string;
  /** Input j's shape, dtype, and whether it is a constant known at export (its values then). */
  shape(j: number): Shape;
  dtype(j: number): DType;
  constValues(j: number): TypedArray | null;
  /** Output j's shape and dims (fixed or batch-scaled). */
  outShape(j: number): Shape;
  outDims(j: number): Dim[];
  inDims(j: number): Dim[];
  node(op: string, inputs: string[], attrs?: IAttributeProto[], outputs?: number): string[];
  /** A 1-D int64 constant. */
  i64(values: readonly number[]): string;
  /** A scalar (or shaped) constant of `dtype`. */
  scalar(value: number, dtype: DType): string;
  init(values: ArrayLike<number>, dims: readonly number[], dtype: DType | 'int64'): string;
  /** A 1-D int64 shape tensor for `dims` (batch dims read from the first graph input at run time). */
  shapeOf(dims: Dim[], forReshape: boolean): string;
}

type Handler = (c: Ctx) => string[];

const one = (c: Ctx, op: string, ins: string[], attrs: IAttributeProto[] = []) => c.node(op, ins, attrs);

const UNARY: Record<string, string> = {
  Neg: 'Neg',
  Abs: 'Abs',
  Sign: 'Sign',
  Exp: 'Exp',
  Log: 'Log',
  Sqrt: 'Sqrt',
  Reciprocal: 'Reciprocal',
  Sin: 'Sin',
  Cos: 'Cos',
  Tan: 'Tan',
  Asin: 'Asin',
  Acos: 'Acos',
  Atan: 'Atan',
  Sinh: 'Sinh',
  Cosh: 'Cosh',
  Tanh: 'Tanh',
  Sigmoid: 'Sigmoid',
  Softplus: 'Softplus',
  Relu: 'Relu',
  Erf: 'Erf',
  Floor: 'Floor',
  Ceil: 'Ceil',
  Round: 'Round',
  IsNaN: 'IsNaN',
  LogicalNot: 'Not',
  Softsign: 'Softsign',
  HardSwish: 'HardSwish',
};

const BINARY: Record<string, string> = {
  Add: 'Add',
  Sub: 'Sub',
  Mul: 'Mul',
  Div: 'Div',
  Pow: 'Pow',
  Maximum: 'Max',
  Minimum: 'Min',
  Equal: 'Equal',
  Less: 'Less',
  LessEqual: 'LessOrEqual',
  Greater: 'Greater',
  GreaterEqual: 'GreaterOrEqual',
  LogicalAnd: 'And',
  LogicalOr: 'Or',
  LogicalXor: 'Xor',
};

const f = (c: Ctx, v: number) => c.scalar(v, 'float32');

/** Activations applied to an ONNX value (used by the activation kernels and by BiasAct's epilogue). */
function activate(c: Ctx, kind: string, x: string): string {
  switch (kind) {
    case 'none':
      return x;
    case 'relu':
      return one(c, 'Relu', [x])[0]!;
    case 'tanh':
      return one(c, 'Tanh', [x])[0]!;
    case 'sigmoid':
      return one(c, 'Sigmoid', [x])[0]!;
    case 'silu':
      return one(c, 'Mul', [x, one(c, 'Sigmoid', [x])[0]!])[0]!;
    case 'gelu': // 0.5·x·(1 + erf(x/√2)): opset 17 has no Gelu op (it came in opset 20)
      return gelu(c, x, 'none');
    default:
      throw new Unsupported(`activation '${kind}' has no ONNX mapping`);
  }
}

function gelu(c: Ctx, x: string, approximate: string): string {
  const half = one(c, 'Mul', [x, f(c, 0.5)])[0]!;
  let inner: string;
  if (approximate === 'tanh') {
    const x3 = one(c, 'Mul', [one(c, 'Mul', [x, x])[0]!, x])[0]!;
    const s = one(c, 'Add', [x, one(c, 'Mul', [x3, f(c, 0.044715)])[0]!])[0]!;
    inner = one(c, 'Tanh', [one(c, 'Mul', [s, f(c, Math.sqrt(2 / Math.PI))])[0]!])[0]!;
  } else {
    inner = one(c, 'Erf', [one(c, 'Mul', [x, f(c, Math.SQRT1_2)])[0]!])[0]!;
  }
  return one(c, 'Mul', [half, one(c, 'Add', [inner, f(c, 1)])[0]!])[0]!;
}

const sigmoid = (c: Ctx, x: string) => one(c, 'Sigmoid', [x])[0]!;
const tanh = (c: Ctx, x: string) => one(c, 'Tanh', [x])[0]!;
const mul = (c: Ctx, a: string, b: string) => one(c, 'Mul', [a, b])[0]!;
const add = (c: Ctx, a: string, b: string) => one(c, 'Add', [a, b])[0]!;
const sub = (c: Ctx, a: string, b: string) => one(c, 'Sub', [a, b])[0]!;

/** Row index of each stored entry of a CSR matrix (or of each row of a segmented array). */
function rowsOf(offsets: TypedArray, what: string): number[] {
  const rows: number[] = [];
  for (let r = 0; r + 1 < offsets.length; r++)
    for (let k = offsets[r]!; k < offsets[r + 1]!; k++) rows.push(r);
  if (rows.length !== (offsets[offsets.length - 1] ?? 0))
    throw new Unsupported(`${what}: offsets are not a valid CSR row pointer`);
  return rows;
}

function poolAttrs(c: Ctx, op: 'MaxPool' | 'AveragePool'): IAttributeProto[] {
  const a = c.attrs as { kernel: number[]; stride: number[]; pad: number[]; dilation: number[] };
  const [, , H, W] = c.shape(0);
  const [, , oh, ow] = c.outShape(0);
  const floorOut = (n: number, k: number, s: number, d: number, p0: number, p1: number) =>
    Math.floor((n + p0 + p1 - d * (k - 1) - 1) / s) + 1;
  const ceil =
    floorOut(H!, a.kernel[0]!, a.stride[0]!, a.dilation[0]!, a.pad[0]!, a.pad[1]!) !== oh ||
    floorOut(W!, a.kernel[1]!, a.stride[1]!, a.dilation[1]!, a.pad[2]!, a.pad[3]!) !== ow;
  const out = [
    attr.ints('kernel_shape', a.kernel),
    attr.ints('strides', a.stride),
    attr.ints('pads', [a.pad[0]!, a.pad[2]!, a.pad[1]!, a.pad[3]!]),
    attr.int('ceil_mode', ceil ? 1 : 0),
  ];
  if (op === 'MaxPool') out.push(attr.ints('dilations', a.dilation));
  else if (a.dilation.some((d) => d !== 1))
    throw new Unsupported('AveragePool has no dilation before opset 19');
  return out;
}

/** The ONNX subgraph of every kernel that has one. */
const HANDLERS: Record<string, Handler> = {
  Expm1: (c) => [sub(c, one(c, 'Exp', [c.x(0)])[0]!, f(c, 1))],
  Log1p: (c) => [one(c, 'Log', [add(c, c.x(0), f(c, 1))])[0]!],
  Rsqrt: (c) => [one(c, 'Reciprocal', [one(c, 'Sqrt', [c.x(0)])[0]!])[0]!],
  Square: (c) => [mul(c, c.x(0), c.x(0))],
  Trunc: (c) => [mul(c, one(c, 'Sign', [c.x(0)])[0]!, one(c, 'Floor', [one(c, 'Abs', [c.x(0)])[0]!])[0]!)],
  IsFinite: (c) => {
    const bad = one(c, 'Or', [one(c, 'IsNaN', [c.x(0)])[0]!, one(c, 'IsInf', [c.x(0)])[0]!])[0]!;
    return one(c, 'Not', [bad]);
  },
  NotEqual: (c) => one(c, 'Not', [one(c, 'Equal', [c.x(0), c.x(1)])[0]!]),
  Mod: (c) => {
    // torch.remainder: the result takes the divisor's sign. ONNX Mod (fmod = 0) does that for ints.
    if (c.dtype(0) === 'int32') return one(c, 'Mod', [c.x(0), c.x(1)], [attr.int('fmod', 0)]);
    const q = one(c, 'Floor', [one(c, 'Div', [c.x(0), c.x(1)])[0]!])[0]!;
    return [sub(c, c.x(0), mul(c, q, c.x(1)))];
  },
  FloorDiv: (c) => {
    if (c.dtype(0) === 'float32') return one(c, 'Floor', [one(c, 'Div', [c.x(0), c.x(1)])[0]!]);
    const fa = one(c, 'Cast', [c.x(0)], [attr.int('to', DT.FLOAT)])[0]!;
    const fb = one(c, 'Cast', [c.x(1)], [attr.int('to', DT.FLOAT)])[0]!;
    const q = one(c, 'Floor', [one(c, 'Div', [fa, fb])[0]!])[0]!;
    return one(c, 'Cast', [q], [attr.int('to', DT.INT32)]);
  },
  Cast: (c) => one(c, 'Cast', [c.x(0)], [attr.int('to', ONNX_DTYPE[c.rec.outputs[0]!.dtype])]),
  Clip: (c) => {
    const { min, max } = c.attrs as { min: number; max: number };
    const dt = c.dtype(0);
    const lo = Number.isFinite(min) ? c.scalar(min, dt) : '';
    const hi = Number.isFinite(max) ? c.scalar(max, dt) : '';
    return one(c, 'Clip', hi ? [c.x(0), lo, hi] : lo ? [c.x(0), lo] : [c.x(0)]);
  },
  Where: (c) => one(c, 'Where', [c.x(0), c.x(1), c.x(2)]),
  Sum: (c) => reduce(c, 'ReduceSum', true),
  Prod: (c) => reduce(c, 'ReduceProd', false),
  Max: (c) => reduce(c, 'ReduceMax', false),
  Min: (c) => reduce(c, 'ReduceMin', false),
  Any: (c) => boolReduce(c, 'ReduceMax'),
  All: (c) => boolReduce(c, 'ReduceMin'),
  ArgMax: (c) => argReduce(c, 'ArgMax'),
  ArgMin: (c) => argReduce(c, 'ArgMin'),
  MatMul: (c) => {
    const { transposeA, transposeB } = c.attrs as { transposeA: boolean; transposeB: boolean };
    const swap = (j: number) => {
      const r = c.shape(j).length;
      const perm = [...Array(r).keys()];
      [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
      return one(c, 'Transpose', [c.x(j)], [attr.ints('perm', perm)])[0]!;
    };
    return one(c, 'MatMul', [transposeA ? swap(0) : c.x(0), transposeB ? swap(1) : c.x(1)]);
  },
  Transpose: (c) => one(c, 'Transpose', [c.x(0)], [attr.ints('perm', c.attrs.perm as number[])]),
  Slice: (c) => {
    const { begin, step } = c.attrs as { begin: number[]; step: number[] };
    const inD = c.inDims(0);
    const outD = c.outDims(0);
    const out = c.outShape(0);
    const ends = begin.map((b, i) => {
      const od = outD[i]!;
      if ('batch' in od) {
        const id = inD[i]!;
        if (b !== 0 || step[i] !== 1 || !('batch' in id) || id.batch !== od.batch)
          throw new Unsupported(
            'a slice along the batch dim that is not the whole dim cannot be made dynamic',
          );
        return INT64_MAX;
      }
      const n = out[i]!;
      if (n === 0) return b;
      const last = b + (n - 1) * step[i]!;
      return step[i]! > 0 ? last + 1 : last - 1 < 0 ? -INT64_MAX : last - 1;
    });
    const axes = begin.map((_, i) => i);
    return one(c, 'Slice', [c.x(0), c.i64(begin), c.i64(ends), c.i64(axes), c.i64(step)]);
  },
  Concat: (c) =>
    one(
      c,
      'Concat',
      c.rec.inputs.map((_, j) => c.x(j)),
      [attr.int('axis', c.attrs.axis as number)],
    ),
  Pad: (c) => {
    const { pads, mode, value } = c.attrs as { pads: number[]; mode: string; value: number };
    const r = pads.length / 2;
    const onnxPads = [...Array(r).keys()].map((i) => pads[2 * i]!);
    for (let i = 0; i < r; i++) onnxPads.push(pads[2 * i + 1]!);
    const m = mode === 'replicate' ? 'edge' : mode;
    const ins = [c.x(0), c.i64(onnxPads)];
    if (m === 'constant') ins.push(c.scalar(value, c.dtype(0)));
    return one(c, 'Pad', ins, [attr.string('mode', m)]);
  },
  Tile: (c) => one(c, 'Tile', [c.x(0), c.i64(c.attrs.reps as number[])]),
  Flip: (c) => {
    const axes = c.attrs.axes as number[];
    return one(c, 'Slice', [
      c.x(0),
      c.i64(axes.map(() => -1)),
      c.i64(axes.map(() => -INT64_MAX)),
      c.i64(axes),
      c.i64(axes.map(() => -1)),
    ]);
  },
  BroadcastTo: (c) => {
    const inD = c.inDims(0);
    const outD = c.outDims(0);
    const lead = outD.length - inD.length;
    // Expand broadcasts both ways: a 1 keeps the input's (batch) dim where the input already has it.
    const dims = outD.map((d, i): Dim => {
      const src = inD[i - lead];
      return 'batch' in d && src && 'batch' in src && src.batch === d.batch ? { fixed: 1 } : d;
    });
    return one(c, 'Expand', [c.x(0), c.shapeOf(dims, false)]);
  },
  Gather: (c) => one(c, 'GatherElements', [c.x(0), c.x(1)], [attr.int('axis', c.attrs.axis as number)]),
  IndexSelect: (c) => one(c, 'Gather', [c.x(0), c.x(1)], [attr.int('axis', c.attrs.axis as number)]),
  Scatter: (c) =>
    one(c, 'ScatterElements', [c.x(0), c.x(1), c.x(2)], [attr.int('axis', c.attrs.axis as number)]),
  ScatterAdd: (c) =>
    one(
      c,
      'ScatterElements',
      [c.x(0), c.x(1), c.x(2)],
      [attr.int('axis', c.attrs.axis as number), attr.string('reduction', 'add')],
    ),
  TopK: (c) => {
    const { k, largest } = c.attrs as { k: number; largest: boolean };
    const [v, i] = c.node(
      'TopK',
      [c.x(0), c.i64([k])],
      [attr.int('axis', -1), attr.int('largest', largest ? 1 : 0), attr.int('sorted', 1)],
      2,
    );
    return [v!, one(c, 'Cast', [i!], [attr.int('to', DT.INT32)])[0]!];
  },
  Sort: (c) => {
    const { axis, descending } = c.attrs as { axis: number; descending: boolean };
    const n = c.shape(0)[axis]!;
    const [v, i] = c.node(
      'TopK',
      [c.x(0), c.i64([n])],
      [attr.int('axis', axis), attr.int('largest', descending ? 1 : 0), attr.int('sorted', 1)],
      2,
    );
    return [v!, one(c, 'Cast', [i!], [attr.int('to', DT.INT32)])[0]!];
  },
  Cumsum: (c) => {
    const { axis, reverse } = c.attrs as { axis: number; reverse: boolean };
    return one(c, 'CumSum', [c.x(0), c.init([axis], [], 'int64')], [attr.int('reverse', reverse ? 1 : 0)]);
  },
  Conv2d: (c) => {
    const a = c.attrs as { stride: number[]; pad: number[]; dilation: number[]; groups: number };
    const w = c.shape(1);
    return one(
      c,
      'Conv',
      [c.x(0), c.x(1)],
      [
        attr.ints('kernel_shape', [w[2]!, w[3]!]),
        attr.ints('strides', a.stride),
        attr.ints('pads', [a.pad[0]!, a.pad[2]!, a.pad[1]!, a.pad[3]!]),
        attr.ints('dilations', a.dilation),
        attr.int('group', a.groups),
      ],
    );
  },
  // convTranspose2d (and conv2d's input gradient): attrs.pad are the forward convolution's
  // [t, b, l, r]. ONNX crops pads[begin] from the full output s·(in − 1) + d·(k − 1) + 1 and
  // pads[end] from its end, or adds output_padding where the output reaches beyond it.
  Conv2dBackpropInput: (c) => {
    const a = c.attrs as { stride: number[]; pad: number[]; dilation: number[]; groups: number };
    const x = c.shape(0);
    const w = c.shape(1);
    const out = c.rec.outputs[0]!.shape;
    const begin = [a.pad[0]!, a.pad[2]!];
    const rest = [0, 1].map(
      (i) => a.stride[i]! * (x[2 + i]! - 1) + a.dilation[i]! * (w[2 + i]! - 1) + 1 - begin[i]! - out[2 + i]!,
    );
    return one(
      c,
      'ConvTranspose',
      [c.x(0), c.x(1)],
      [
        attr.ints('kernel_shape', [w[2]!, w[3]!]),
        attr.ints('strides', a.stride),
        attr.ints('pads', [...begin, ...rest.map((r) => Math.max(0, r))]),
        attr.ints(
          'output_padding',
          rest.map((r) => Math.max(0, -r)),
        ),
        attr.ints('dilations', a.dilation),
        attr.int('group', a.groups),
      ],
    );
  },
  MaxPool2d: (c) => one(c, 'MaxPool', [c.x(0)], poolAttrs(c, 'MaxPool')),
  AvgPool2d: (c) =>
    one(
      c,
      'AveragePool',
      [c.x(0)],
      [
        ...poolAttrs(c, 'AveragePool'),
        attr.int('count_include_pad', (c.attrs.countIncludePad as boolean) ? 1 : 0),
      ],
    ),
  // --- composites ---
  Log2: (c) => one(c, 'Div', [one(c, 'Log', [c.x(0)])[0]!, f(c, Math.LN2)]),
  LogSigmoid: (c) => one(c, 'Neg', [one(c, 'Softplus', [one(c, 'Neg', [c.x(0)])[0]!])[0]!]),
  Relu6: (c) => one(c, 'Clip', [c.x(0), f(c, 0), f(c, 6)]),
  LeakyRelu: (c) => one(c, 'LeakyRelu', [c.x(0)], [attr.float('alpha', c.attrs.alpha as number)]),
  Elu: (c) => one(c, 'Elu', [c.x(0)], [attr.float('alpha', c.attrs.alpha as number)]),
  // PyTorch's SELU constants (ONNX's defaults are the same numbers rounded).
  Selu: (c) =>
    one(
      c,
      'Selu',
      [c.x(0)],
      [attr.float('alpha', 1.6732632423543772), attr.float('gamma', 1.0507009873554805)],
    ),
  Celu: (c) => one(c, 'Celu', [c.x(0)], [attr.float('alpha', c.attrs.alpha as number)]),
  Gelu: (c) => [gelu(c, c.x(0), c.attrs.approximate as string)],
  Silu: (c) => [activate(c, 'silu', c.x(0))],
  Mish: (c) => [mul(c, c.x(0), tanh(c, one(c, 'Softplus', [c.x(0)])[0]!))],
  HardSigmoid: (c) => one(c, 'HardSigmoid', [c.x(0)], [attr.float('alpha', 1 / 6), attr.float('beta', 0.5)]),
  HardTanh: (c) => one(c, 'Clip', [c.x(0), f(c, c.attrs.min as number), f(c, c.attrs.max as number)]),
  Softmax: (c) => one(c, 'Softmax', [c.x(0)], [attr.int('axis', c.attrs.axis as number)]),
  LogSoftmax: (c) => one(c, 'LogSoftmax', [c.x(0)], [attr.int('axis', c.attrs.axis as number)]),
  LayerNorm: (c) => {
    const { size, eps } = c.attrs as { size: number; eps: number };
    const s = c.shape(0);
    let k = s.length;
    let p = 1;
    while (k > 0 && p < size) p *= s[--k]!;
    if (p !== size)
      throw new Unsupported(`LayerNorm over ${size} elements does not match trailing dims of [${s}]`);
    const trailing = s.slice(k);
    const scale = c.init(new Float32Array(size).fill(1), trailing, 'float32');
    return [
      c.node('LayerNormalization', [c.x(0), scale], [attr.int('axis', k), attr.float('epsilon', eps)], 1)[0]!,
    ];
  },
  BiasAct: (c) => {
    const { axis, activation } = c.attrs as { axis: number; activation: string };
    const r = c.shape(0).length;
    const b = one(c, 'Reshape', [c.x(1), c.i64([c.shape(1)[0]!, ...Array(r - 1 - axis).fill(1)])])[0]!;
    return [activate(c, activation, add(c, c.x(0), b))];
  },
  LstmCell: (c) => {
    const H = c.shape(1)[1]!;
    const [i, fg, g, o] = c.node('Split', [c.x(0), c.i64([H, H, H, H])], [attr.int('axis', 1)], 4);
    const cNew = add(c, mul(c, sigmoid(c, fg!), c.x(1)), mul(c, sigmoid(c, i!), tanh(c, g!)));
    return [mul(c, sigmoid(c, o!), tanh(c, cNew)), cNew];
  },
  GruCell: (c) => {
    const H = c.shape(2)[1]!;
    const [xr, xz, xn] = c.node('Split', [c.x(0), c.i64([H, H, H])], [attr.int('axis', 1)], 3);
    const [hr, hz, hn] = c.node('Split', [c.x(1), c.i64([H, H, H])], [attr.int('axis', 1)], 3);
    const r = sigmoid(c, add(c, xr!, hr!));
    const z = sigmoid(c, add(c, xz!, hz!));
    const n = tanh(c, add(c, xn!, mul(c, r, hn!)));
    return [add(c, n, mul(c, z, sub(c, c.x(2), n)))];
  },
  SegmentReduce: (c) => {
    const reduce = c.attrs.reduce as string;
    const offsets = c.constValues(1);
    if (!offsets)
      throw new Unsupported('SegmentReduce needs segment offsets known at export (a fixed graph)');
    if (reduce !== 'sum' && reduce !== 'mean')
      throw new Unsupported(`SegmentReduce '${reduce}' needs ScatterND max/min (opset 18)`);
    const rows = rowsOf(offsets, 'SegmentReduce');
    const out = c.outShape(0);
    const zeros = c.node(
      'ConstantOfShape',
      [c.i64(out)],
      [attr.tensor('value', tensorProto('', [1], [0], DT.FLOAT))],
    )[0]!;
    let y = one(
      c,
      'ScatterND',
      [zeros, c.init(rows, [rows.length, 1], 'int64'), c.x(0)],
      [attr.string('reduction', 'add')],
    )[0]!;
    if (reduce === 'mean') {
      const counts = [...Array(out[0]!).keys()].map((s) => Math.max(1, offsets[s + 1]! - offsets[s]!));
      y = one(c, 'Div', [y, c.init(counts, [out[0]!, ...out.slice(1).map(() => 1)], 'float32')])[0]!;
    }
    return [y];
  },
  SpMM: (c) => {
    const rowPtr = c.constValues(0);
    if (!rowPtr || !c.constValues(1))
      throw new Unsupported('SpMM needs its sparse structure known at export (a fixed graph)');
    const rows = rowsOf(rowPtr, 'SpMM');
    const out = c.outShape(0);
    const gathered = one(c, 'Gather', [c.x(3), c.x(1)], [attr.int('axis', 0)])[0]!;
    const vals = one(c, 'Unsqueeze', [c.x(2), c.i64([1])])[0]!;
    const zeros = c.node(
      'ConstantOfShape',
      [c.i64(out)],
      [attr.tensor('value', tensorProto('', [1], [0], DT.FLOAT))],
    )[0]!;
    return one(
      c,
      'ScatterND',
      [zeros, c.init(rows, [rows.length, 1], 'int64'), mul(c, gathered, vals)],
      [attr.string('reduction', 'add')],
    );
  },
  Sddmm: (c) => {
    const a = one(c, 'Gather', [c.x(2), c.x(0)], [attr.int('axis', 0)])[0]!;
    const b = one(c, 'Gather', [c.x(3), c.x(1)], [attr.int('axis', 0)])[0]!;
    return one(c, 'ReduceSum', [mul(c, a, b), c.i64([1])], [attr.int('keepdims', 0)]);
  },
  Attention: (c) => {
    const { scale, causal } = c.attrs as { scale: number; causal: boolean };
    const kT = one(c, 'Transpose', [c.x(1)], [attr.ints('perm', [0, 2, 1])])[0]!;
    let scores = mul(c, one(c, 'MatMul', [c.x(0), kT])[0]!, f(c, scale));
    if (c.rec.inputs.length > 3) scores = add(c, scores, c.x(3));
    if (causal) {
      const L = c.shape(0)[1]!;
      const S = c.shape(1)[1]!;
      const m = new Float32Array(L * S);
      for (let i = 0; i < L; i++) for (let j = i + 1; j < S; j++) m[i * S + j] = Number.NEGATIVE_INFINITY;
      scores = add(c, scores, c.init(m, [L, S], 'float32'));
    }
    const p = one(c, 'Softmax', [scores], [attr.int('axis', -1)])[0]!;
    const out = one(c, 'MatMul', [p, c.x(2)])[0]!;
    const lse = one(c, 'ReduceLogSumExp', [scores], [attr.ints('axes', [-1]), attr.int('keepdims', 0)])[0]!;
    return [out, lse];
  },
};
for (const [k, op] of Object.entries(UNARY)) HANDLERS[k] = (c) => one(c, op, [c.x(0)]);
for (const [k, op] of Object.entries(BINARY)) HANDLERS[k] = (c) => one(c, op, [c.x(0), c.x(1)]);

function reduce(c: Ctx, op: string, axesAsInput: boolean): string[] {
  const axes = c.attrs.axes as number[];
  if (axes.length === 0) return one(c, 'Identity', [c.x(0)]);
  if (axesAsInput) return one(c, op, [c.x(0), c.i64(axes)], [attr.int('keepdims', 0)]);
  return one(c, op, [c.x(0)], [attr.ints('axes', axes), attr.int('keepdims', 0)]);
}

function boolReduce(c: Ctx, op: string): string[] {
  const axes = c.attrs.axes as number[];
  if (axes.length === 0) return one(c, 'Identity', [c.x(0)]);
  const i = one(c, 'Cast', [c.x(0)], [attr.int('to', DT.INT32)])[0]!;
  const r = one(c, op, [i], [attr.ints('axes', axes), attr.int('keepdims', 0)])[0]!;
  return one(c, 'Cast', [r], [attr.int('to', DT.BOOL)]);
}

function argReduce(c: Ctx, op: string): string[] {
  const r = one(c, op, [c.x(0)], [attr.int('axis', c.attrs.axis as number), attr.int('keepdims', 0)])[0]!;
  return one(c, 'Cast', [r], [attr.int('to', DT.INT32)]);
}

/** The kernels `exportOnnx` maps to ONNX (everything a forward pass runs, bar the ones listed in the README). */
export const EXPORTABLE_KERNELS: readonly string[] = Object.keys(HANDLERS).sort();

const same = (a: Shape, b: Shape) => a.length === b.length && a.every((d, i) => d === b[i]);

function sameValues(a: TypedArray, b: TypedArray): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++)
    if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

/** [v0, d] when v[i] = v0 + i·d for every i (at least two values), else null. */
function rampOf(v: TypedArray): [number, number] | null {
  if (v.length < 2) return null;
  const d = v[1]! - v[0]!;
  for (let i = 2; i < v.length; i++) if (v[i]! - v[i - 1]! !== d) return null;
  return [v[0]!, d];
}

function fillValue(v: TypedArray): number | null {
  if (v.length === 0) return null;
  const x = v[0]!;
  for (let i = 1; i < v.length; i++) if (v[i] !== x) return null;
  return x;
}

/** Builds the graph from trace A (example batch) checked against trace B (double batch), if any. */
class GraphBuilder {
  readonly nodes: INodeProto[] = [];
  readonly initializers: ITensorProto[] = [];
  private readonly valsA = new Map<DataId, Val>();
  private readonly valsB = new Map<DataId, Val>();
  private counter = 0;
  private batchDim: string | null = null;
  private module = '';
  readonly errors: string[] = [];

  constructor(
    private readonly a: Trace,
    private readonly b: Trace | null,
    private readonly inputNames: readonly string[],
    private readonly batch: [number, number],
  ) {
    a.inputs.forEach((t, i) => {
      this.valsA.set(t.dataId, { kind: 'value', name: inputNames[i]!, shape: t.shape, dtype: t.dtype });
    });
    b?.inputs.forEach((t, i) => {
      this.valsB.set(t.dataId, { kind: 'value', name: inputNames[i]!, shape: t.shape, dtype: t.dtype });
    });
  }

  fresh(base: string): string {
    return `${base}_${this.counter++}`;
  }

  node(op: string, inputs: string[], attrs: IAttributeProto[] = [], outputs = 1): string[] {
    const outs = [...Array(outputs).keys()].map(() => this.fresh(op.toLowerCase()));
    const name = `${this.module ? `${this.module}/` : ''}${op}_${this.counter++}`;
    this.nodes.push({ opType: op, input: inputs, output: outs, name, attribute: attrs });
    return outs;
  }

  init(values: ArrayLike<number>, dims: readonly number[], dtype: DType | 'int64'): string {
    const name = this.fresh('const');
    const code = dtype === 'int64' ? DT.INT64 : ONNX_DTYPE[dtype];
    this.initializers.push(tensorProto(name, dims, values as TypedArray, code));
    return name;
  }

  /** Dims of shape `sa` (trace A) against `sb` (trace B): the ones that scale with the batch. */
  dims(sa: Shape, sb: Shape | undefined, what: string): Dim[] {
    return sa.map((d, i): Dim => {
      const e = sb?.[i];
      if (e === undefined || e === d) return { fixed: d };
      const [ba, bb] = this.batch;
      if (d % ba === 0 && e % bb === 0 && d / ba === e / bb) return { batch: d / ba };
      throw new Unsupported(
        `${what}: dim ${i} is ${d} at batch ${ba} but ${e} at batch ${bb}, not a multiple of the batch`,
      );
    });
  }

  shapeOf(dims: Dim[], forReshape: boolean): string {
    const nBatch = dims.filter((d) => 'batch' in d).length;
    if (nBatch === 0)
      return this.init(
        dims.map((d) => (d as { fixed: number }).fixed),
        [dims.length],
        'int64',
      );
    if (forReshape && nBatch === 1)
      return this.init(
        dims.map((d) => ('batch' in d ? -1 : d.fixed)),
        [dims.length],
        'int64',
      );
    if (!this.batchDim) {
      const shape = this.node('Shape', [this.inputNames[0]!])[0]!;
      this.batchDim = this.node('Gather', [shape, this.init([0], [1], 'int64')], [attr.int('axis', 0)])[0]!;
    }
    const parts = dims.map((d) =>
      'batch' in d
        ? d.batch === 1
          ? this.batchDim!
          : this.node('Mul', [this.batchDim!, this.init([d.batch], [1], 'int64')])[0]!
        : this.init([d.fixed], [1], 'int64'),
    );
    return this.node('Concat', parts, [attr.int('axis', 0)])[0]!;
  }

  private valOf(vals: Map<DataId, Val>, trace: Trace, info: TensorInfo): Val {
    const v = vals.get(info.dataId);
    if (v) return v;
    const name = trace.names.get(info.dataId);
    if (name !== undefined) {
      const st = trace.stateShapes.get(name)!;
      const val: Val = { kind: 'value', name, shape: st.shape, dtype: st.dtype };
      if (vals === this.valsA) {
        const values = trace.written.get(info.dataId);
        if (!values) throw new Error(`exportOnnx: no values recorded for parameter '${name}'`);
        this.initializers.push(tensorProto(name, st.shape, values, ONNX_DTYPE[st.dtype]));
      }
      vals.set(info.dataId, val);
      return val;
    }
    const values = trace.written.get(info.dataId) ?? trace.computed.get(info.dataId);
    if (!values)
      throw new Error('exportOnnx: a kernel input was neither written nor computed during the trace');
    const val: Val = { kind: 'const', values, dtype: info.dtype };
    vals.set(info.dataId, val);
    return val;
  }

  /** The ONNX name of a kernel input as the kernel viewed it. */
  ref(rA: KernelRecord, rB: KernelRecord | null, j: number): string {
    const ia = rA.inputs[j]!;
    const ib = rB?.inputs[j];
    const va = this.valOf(this.valsA, this.a, ia);
    const vb = ib ? this.valOf(this.valsB, this.b!, ib) : null;
    const dims = this.dims(ia.shape, ib?.shape, `${rA.name} input ${j}`);
    if (va.kind === 'const') {
      if (vb && vb.kind !== 'const')
        throw new Unsupported(`${rA.name} input ${j} is constant at one batch size only`);
      if (!dims.some((d) => 'batch' in d)) {
        if (vb && !sameValues(va.values, (vb as { values: TypedArray }).values))
          throw new Unsupported(
            `${rA.name} input ${j} is a constant [${ia.shape}] whose values depend on the batch size`,
          );
        return this.init(va.values, ia.shape, va.dtype);
      }
      const fill = fillValue(va.values);
      const valuesB = (vb as { values: TypedArray }).values;
      const ramp = ia.shape.length === 1 ? rampOf(va.values) : null;
      const rampB = ramp ? rampOf(valuesB) : null;
      if (ramp && rampB && ramp[0] === rampB[0] && ramp[1] === rampB[1] && fill === null) {
        // An arange over the batch (row indices b·T + t): Range(v0, v0 + len·d, d) with len = k·N.
        const [v0, d] = ramp;
        const k = (dims[0] as { batch: number }).batch;
        this.shapeOf(dims, false); // makes batchDim
        const span = this.node('Mul', [this.batchDim!, this.init([k * d], [1], 'int64')])[0]!;
        const end64 = this.node('Add', [span, this.init([v0], [1], 'int64')])[0]!;
        const end0 = this.node('Squeeze', [end64, this.init([0], [1], 'int64')])[0]!;
        const end = this.node('Cast', [end0], [attr.int('to', ONNX_DTYPE[va.dtype])])[0]!;
        return this.node('Range', [this.init([v0], [], va.dtype), end, this.init([d], [], va.dtype)])[0]!;
      }
      if (fill === null || fillValue(valuesB) !== fill)
        throw new Unsupported(
          `${rA.name} input ${j} is a constant [${ia.shape}] that grows with the batch and is not a fill`,
        );
      return this.node('Expand', [this.init([fill], [], va.dtype), this.shapeOf(dims, false)])[0]!;
    }
    if (same(va.shape, ia.shape)) return va.name;
    return this.node('Reshape', [va.name, this.shapeOf(dims, true)])[0]!;
  }

  add(rA: KernelRecord, rB: KernelRecord | null): void {
    this.module = rA.module;
    const where = `kernel '${rA.name}' in module '${rA.module || '(root)'}'`;
    if (rB && rB.name !== rA.name) {
      throw new Error(
        `exportOnnx: the model runs ${where} at batch ${this.batch[0]} but '${rB.name}' at batch ${this.batch[1]}; export with dynamicBatch: false`,
      );
    }
    // Constant folding: a kernel whose inputs are all constants (not inputs, not parameters) runs at export.
    const consts = rA.inputs.map((t) => this.valOf(this.valsA, this.a, t).kind === 'const');
    if (consts.every(Boolean)) {
      rA.outIds.forEach((id, k) => {
        this.valsA.set(id, { kind: 'const', values: this.a.computed.get(id)!, dtype: rA.outputs[k]!.dtype });
      });
      rB?.outIds.forEach((id, k) => {
        this.valsB.set(id, { kind: 'const', values: this.b!.computed.get(id)!, dtype: rB.outputs[k]!.dtype });
      });
      return;
    }
    const handler = HANDLERS[rA.name];
    let outs: string[];
    try {
      if (!handler) throw new Unsupported('it has no ONNX equivalent in opset 17');
      const ctx: Ctx = {
        rec: rA,
        attrs: rA.attrs,
        x: (j) => this.ref(rA, rB, j),
        shape: (j) => rA.inputs[j]!.shape,
        dtype: (j) => rA.inputs[j]!.dtype,
        constValues: (j) => {
          const v = this.valOf(this.valsA, this.a, rA.inputs[j]!);
          return v.kind === 'const' ? v.values : null;
        },
        outShape: (j) => rA.outputs[j]!.shape,
        outDims: (j) =>
          this.dims(rA.outputs[j]!.shape, rB ? rB.outputs[j]!.shape : undefined, `${rA.name} output ${j}`),
        inDims: (j) =>
          this.dims(rA.inputs[j]!.shape, rB ? rB.inputs[j]!.shape : undefined, `${rA.name} input ${j}`),
        node: (op, ins, at, n) => this.node(op, ins, at, n),
        i64: (v) => this.init(v, [v.length], 'int64'),
        scalar: (v, dt) => this.init([v], [], dt),
        init: (v, d, dt) => this.init(v, d, dt),
        shapeOf: (d, r) => this.shapeOf(d, r),
      };
      outs = handler(ctx);
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      this.errors.push(`${where}: ${e.message}`);
      outs = rA.outputs.map(() => this.fresh('unsupported'));
    }
    rA.outIds.forEach((id, k) => {
      this.valsA.set(id, {
        kind: 'value',
        name: outs[k]!,
        shape: rA.outputs[k]!.shape,
        dtype: rA.outputs[k]!.dtype,
      });
    });
    rB?.outIds.forEach((id, k) => {
      this.valsB.set(id, {
        kind: 'value',
        name: outs[k]!,
        shape: rB.outputs[k]!.shape,
        dtype: rB.outputs[k]!.dtype,
      });
    });
  }

  /** A graph output: the traced output's value under `name`. */
  output(j: number, name: string): void {
    this.module = '';
    const ia = this.a.outputs[j]!;
    const ib = this.b?.outputs[j];
    const fake: KernelRecord = {
      name: 'Output' as never,
      inputs: [ia],
      attrs: {},
      outputs: [],
      outIds: [],
      module: '',
    };
    const fakeB = ib ? { ...fake, inputs: [ib] } : null;
    const src = this.ref(fake, fakeB, 0);
    this.nodes.push({ opType: 'Identity', input: [src], output: [name], name: `output/${name}` });
  }

  /** Drop nodes and initializers no output depends on. */
  prune(outputs: readonly string[]): void {
    const needed = new Set(outputs);
    const keep: INodeProto[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i]!;
      if (!n.output!.some((o) => needed.has(o))) continue;
      keep.push(n);
      for (const x of n.input!) if (x) needed.add(x);
    }
    this.nodes.splice(0, this.nodes.length, ...keep.reverse());
    const inits = this.initializers.filter((t) => needed.has(t.name!));
    this.initializers.splice(0, this.initializers.length, ...inits);
  }
}

function defaultNames(n: number, base: string): string[] {
  return [...Array(n).keys()].map((i) => (i === 0 ? base : `${base}_${i}`));
}

/**
 * Trace `model` on example inputs and build an ONNX model (opset 17): weights become initializers
 * named by their state-dict keys, dim 0 a symbolic batch `N` (unless `dynamicBatch: false`), every
 * kernel its ONNX op or subgraph (LayerNorm → LayerNormalization, LstmCell → Split + gates,
 * Attention → MatMul/Softmax, SpMM on a fixed graph → Gather + ScatterND). A kernel with no ONNX
 * equivalent fails the export with an error that lists each such kernel and the module it ran in.
 *
 * @example
 * const model = lenet5().eval();
 * const bytes = await exportOnnx(model, randn([1, 1, 28, 28]));
 * writeFileSync('lenet.onnx', bytes); // run it with onnxruntime-node's InferenceSession
 */
export async function exportOnnxModel(
  model: Module,
  inputs: Tensor | readonly Tensor[],
  options: ExportOptions = {},
): Promise<ModelProto> {
  const xs = Array.isArray(inputs) ? [...(inputs as Tensor[])] : [inputs as Tensor];
  if (xs.length === 0) throw new RangeError('exportOnnx: needs at least one example input');
  const forward: ForwardFn =
    options.forward ??
    ((m, ins) => (m as unknown as { forward: (...a: Tensor[]) => Tensor }).forward(...ins));
  const dynamic = options.dynamicBatch ?? true;
  const inputNames = options.inputNames ? [...options.inputNames] : defaultNames(xs.length, 'input');
  if (inputNames.length !== xs.length)
    throw new RangeError(`exportOnnx: ${inputNames.length} input names for ${xs.length} inputs`);
  let batch: [number, number] = [0, 0];
  if (dynamic) {
    const b0 = xs[0]!.shape[0];
    xs.forEach((x, i) => {
      if (x.rank === 0 || x.shape[0] !== b0 || b0 === 0)
        throw new RangeError(
          `exportOnnx: with dynamicBatch every input needs the same non-zero batch dim 0; input ${i} has shape [${x.shape}] (input 0: [${xs[0]!.shape}]); pass dynamicBatch: false for fixed shapes`,
        );
    });
    // Trace at 2b and 3b (the inputs repeated), not at b: a model may take a shortcut at batch 1.
    batch = [2 * b0!, 3 * b0!];
  }
  const repeated = (k: number) => xs.map((x) => concat(Array<Tensor>(k).fill(x), 0));
  let traceA: Trace;
  let traceB: Trace | null = null;
  if (!dynamic) traceA = await traceForward(model, xs, forward);
  else {
    const [two, three] = [repeated(2), repeated(3)];
    try {
      traceA = await traceForward(model, two, forward);
      traceB = await traceForward(model, three, forward);
    } catch (e) {
      throw new Error(
        `exportOnnx: the model failed on the example inputs repeated to batch ${batch[0]} and ${batch[1]} (dynamicBatch traces there): ${(e as Error).message}; pass dynamicBatch: false if its input shapes are fixed`,
      );
    } finally {
      for (const d of [...two, ...three]) d.dispose();
    }
    if (traceB.records.length !== traceA.records.length)
      throw new Error(
        `exportOnnx: the model runs ${traceA.records.length} kernels at batch ${batch[0]} but ${traceB.records.length} at batch ${batch[1]}; export with dynamicBatch: false`,
      );
  }
  const g = new GraphBuilder(traceA, traceB, inputNames, batch);
  traceA.records.forEach((r, i) => {
    g.add(r, traceB?.records[i] ?? null);
  });
  if (g.errors.length)
    throw new Error(
      `exportOnnx: ${g.errors.length} kernel(s) cannot be exported to ONNX opset ${OPSET}:\n  ${g.errors.join('\n  ')}`,
    );
  const outputNames = options.outputNames
    ? [...options.outputNames]
    : defaultNames(traceA.outputs.length, 'output');
  if (outputNames.length !== traceA.outputs.length)
    throw new RangeError(
      `exportOnnx: ${outputNames.length} output names for ${traceA.outputs.length} outputs`,
    );
  outputNames.forEach((n, j) => {
    g.output(j, n);
  });
  g.prune(outputNames);
  const symbolic = (t: TensorInfo, u: TensorInfo | undefined): (number | string)[] =>
    t.shape.map((d, i) => (u && u.shape[i] !== d ? (i === 0 ? 'N' : `N*${d / batch[0]}`) : d));
  const graphInputs: IValueInfoProto[] = traceA.inputs.map((t, i) =>
    valueInfo(inputNames[i]!, ONNX_DTYPE[t.dtype], symbolic(t, traceB?.inputs[i])),
  );
  const graphOutputs: IValueInfoProto[] = traceA.outputs.map((t, i) =>
    valueInfo(outputNames[i]!, ONNX_DTYPE[t.dtype], symbolic(t, traceB?.outputs[i])),
  );
  return onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'myelin',
    producerVersion: '0.1.0',
    docString: options.docString ?? '',
    graph: {
      name: model.constructor.name,
      node: g.nodes,
      initializer: g.initializers,
      input: graphInputs,
      output: graphOutputs,
    },
  });
}

/** `exportOnnxModel`, encoded: the bytes of a `.onnx` file. */
export async function exportOnnx(
  model: Module,
  inputs: Tensor | readonly Tensor[],
  options: ExportOptions = {},
): Promise<Uint8Array> {
  return onnx.ModelProto.encode(await exportOnnxModel(model, inputs, options)).finish();
}
