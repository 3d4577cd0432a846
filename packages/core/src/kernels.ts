import type { DataId, OutputSpec, TensorInfo } from './backend.js';
import type { DType } from './dtype.js';
import {
  UNARY_ACTIVATIONS,
  UNARY_PRIMITIVES as UNARY_PRIMITIVES_,
  UNARY_ROWS,
  type UnaryActivation,
  type UnaryKernelAttrs,
  type UnaryPrimitive,
} from './unary-table.js';

/**
 * The kernel contract between core and backends: every kernel name with its typed attrs.
 *
 * Conventions every backend relies on:
 * - Inputs are contiguous row-major; `outputs` holds the shapes/dtypes core computed; the kernel
 *   returns one fresh handle per output, in order.
 * - Broadcasting kernels (binary, `Where`, `BroadcastTo`) broadcast inputs NumPy-style to
 *   `outputs[0].shape`.
 * - Axes in attrs are already normalised (non-negative, sorted, no duplicates).
 * - 2-D spatial attrs are `[height, width]`; `pad` is `[top, bottom, left, right]`.
 */

export { UNARY_PRIMITIVES, type UnaryPrimitive } from './unary-table.js';

/** Elementwise binary kernels with broadcasting. Output dtype is given (bool for comparisons and logic). */
export const BINARY_PRIMITIVES = [
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Maximum',
  'Minimum',
  'Mod',
  'FloorDiv',
  'Atan2',
  'Equal',
  'NotEqual',
  'Less',
  'LessEqual',
  'Greater',
  'GreaterEqual',
  'LogicalAnd',
  'LogicalOr',
  'LogicalXor',
] as const;
export type BinaryPrimitive = (typeof BINARY_PRIMITIVES)[number];

type NoAttrs = Record<string, never>;

export interface Pool2dAttrs {
  kernel: [number, number];
  stride: [number, number];
  /** [top, bottom, left, right] */
  pad: [number, number, number, number];
  dilation: [number, number];
}

export interface Conv2dAttrs {
  stride: [number, number];
  /** [top, bottom, left, right] */
  pad: [number, number, number, number];
  dilation: [number, number];
  groups: number;
}

/**
 * Attrs of every kernel, primitive or composite. The unary ones (primitives and fused activations,
 * e.g. `LeakyRelu: { alpha: number }`) come from their rows in unary-table.ts.
 */
export interface KernelAttrs extends UnaryKernelAttrs, Record<BinaryPrimitive, NoAttrs> {
  // --- primitives ---
  /** Convert to `outputs[0].dtype`. float→int32 truncates toward zero; anything→bool is `x != 0`. */
  Cast: NoAttrs;
  /** clamp(x, min, max); NaN stays NaN. */
  Clip: { min: number; max: number };
  /** inputs: [condition (bool), a, b] → condition ? a : b, broadcast. */
  Where: NoAttrs;
  /** Reductions over `axes`; the output drops the reduced axes (core reshapes for keepdims). */
  Sum: { axes: number[] };
  Prod: { axes: number[] };
  Max: { axes: number[] };
  Min: { axes: number[] };
  Any: { axes: number[] };
  All: { axes: number[] };
  /** Index (int32) of the first maximum / minimum along `axis` (NaN counts as the maximum, as PyTorch). */
  ArgMax: { axis: number };
  ArgMin: { axis: number };
  /** inputs: [a (..., m, k), b (..., k, n)] with batch dims broadcast; transposes swap the last two dims first. */
  MatMul: { transposeA: boolean; transposeB: boolean };
  /** out[i...] = x[perm applied]: output dim j is input dim perm[j]. */
  Transpose: { perm: number[] };
  /** out[i0, i1, ...] = x[begin0 + i0*step0, ...]; steps are non-zero, may be negative; output shape given. */
  Slice: { begin: number[]; step: number[] };
  /** Join n inputs along `axis`. */
  Concat: { axis: number };
  /** pads: [before0, after0, before1, after1, ...] (non-negative); reflect excludes the edge (PyTorch). */
  Pad: { pads: number[]; mode: 'constant' | 'reflect' | 'replicate'; value: number };
  Tile: { reps: number[] };
  Flip: { axes: number[] };
  /** Copy x broadcast to outputs[0].shape. */
  BroadcastTo: NoAttrs;
  /** torch.gather: inputs [x, index (int32, same rank)]; out[..i..] = x[.. index[..i..] ..] along axis. */
  Gather: { axis: number };
  /** inputs [x, index (int32, 1-D)]: select whole slices of x along axis. */
  IndexSelect: { axis: number };
  /** torch.scatter: inputs [x, index, src]; out = x with out[.. index ..] = src along axis. */
  Scatter: { axis: number };
  /** torch.scatter_add: inputs [x, index, src]; out = x with src added at index along axis. */
  ScatterAdd: { axis: number };
  /** Along the last axis: outputs [values, indices (int32)], sorted; ties keep the lower index first. */
  TopK: { k: number; largest: boolean };
  /** Stable sort along `axis`: outputs [values, indices (int32)]. NaN sorts last ascending (PyTorch). */
  Sort: { axis: number; descending: boolean };
  Cumsum: { axis: number; reverse: boolean };
  Cumprod: { axis: number; reverse: boolean };
  /** inputs [x (N,C,H,W), w (O, C/groups, kh, kw)] → (N, O, outH, outW). No bias. */
  Conv2d: Conv2dAttrs;
  /** inputs [dy (N,O,outH,outW), w] → dx with shape outputs[0].shape. */
  Conv2dBackpropInput: Conv2dAttrs;
  /** inputs [x, dy] → dw with shape outputs[0].shape. */
  Conv2dBackpropFilter: Conv2dAttrs;
  /** Max over each window; padding never wins (treated as -Infinity). */
  MaxPool2d: Pool2dAttrs;
  /** inputs [dy, x] → dx: each window's gradient goes to the first maximum in the window (row-major). */
  MaxPool2dGrad: Pool2dAttrs;
  /** Mean over each window; divisor counts padding when countIncludePad (PyTorch default true). */
  AvgPool2d: Pool2dAttrs & { countIncludePad: boolean };
  /** inputs [dy] → dx with shape outputs[0].shape. */
  AvgPool2dGrad: Pool2dAttrs & { countIncludePad: boolean };

  // --- composites: core implements these from primitives; a backend may register a fused kernel ---
  Softmax: { axis: number };
  LogSoftmax: { axis: number };
  /**
   * Normalise each contiguous run of `size` elements (the trailing dims of layer norm) to zero mean
   * and unit biased variance: (x − mean) / sqrt(var + eps). No affine part.
   */
  LayerNorm: { size: number; eps: number };
  /**
   * inputs [x, bias (1-D, length x.shape[axis])] → activation(x + bias broadcast along `axis`): the
   * epilogue of a linear or convolution layer.
   */
  BiasAct: { axis: number; activation: BiasActivation };
  /**
   * The pointwise part of one LSTM step (PyTorch's gate order i, f, g, o). inputs [gates (N, 4H):
   * the pre-activations x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh, c (N, H)] → outputs [h' (N, H), c' (N, H)]
   * with c' = σ(f)·c + σ(i)·tanh(g) and h' = σ(o)·tanh(c').
   */
  LstmCell: NoAttrs;
  /**
   * The backward of `LstmCell`. inputs [gates (N, 4H), c (N, H), dh' (N, H), dc' (N, H)] → outputs
   * [dgates (N, 4H), dc (N, H)]: the cotangents of the pre-activations and of the previous cell.
   */
  LstmCellGrad: NoAttrs;
  /**
   * The pointwise part of one GRU step (PyTorch's gate order r, z, n). inputs [gx (N, 3H) =
   * x·W_ihᵀ + b_ih, gh (N, 3H) = h·W_hhᵀ + b_hh, h (N, H)] → h' (N, H) with r = σ(gx_r + gh_r),
   * z = σ(gx_z + gh_z), n = tanh(gx_n + r·gh_n), h' = (1 − z)·n + z·h.
   */
  GruCell: NoAttrs;
  /**
   * The backward of `GruCell`. inputs [gx (N, 3H), gh (N, 3H), h (N, H), dh' (N, H)] → outputs
   * [dgx (N, 3H), dgh (N, 3H), dh (N, H)]; dh is the direct path z·dh' only (the path through gh
   * reaches h through the matmul outside the kernel).
   */
  GruCellGrad: NoAttrs;
  /**
   * Reduce contiguous runs of rows (a segment per graph node, its incoming edges sorted by
   * destination). inputs [x (E, …F) float32, offsets (S+1) int32, non-decreasing from 0 to E] →
   * (S, …F): output row s reduces rows offsets[s] … offsets[s+1]−1 of x by `reduce`; an empty run
   * gives 0 (for max and min too, as PyTorch Geometric's scatter does).
   */
  SegmentReduce: { reduce: SegmentReduction };
  /**
   * CSR sparse × dense. inputs [rowPtr (R+1) int32, colIdx (nnz) int32, values (nnz) float32,
   * x (C, F) float32] → (R, F): out[r] = Σ over k in rowPtr[r] … rowPtr[r+1]−1 of
   * values[k]·x[colIdx[k]]. Indices are valid by construction (core checks them on the host).
   */
  SpMM: NoAttrs;
  /**
   * Sampled dense–dense products, one per stored entry (the gradient of `SpMM` with respect to its
   * values, and edge scores). inputs [rows (nnz) int32, cols (nnz) int32, a (R, F), b (C, F)] →
   * (nnz): out[k] = Σ_f a[rows[k], f]·b[cols[k], f].
   */
  Sddmm: NoAttrs;
  /**
   * Scaled dot-product attention, forward. inputs [q (B, L, D), k (B, S, D), v (B, S, Dv)] and
   * optionally a float32 additive mask (Bm, Lm, S) with Bm ∈ {1, B}, Lm ∈ {1, L} (broadcast) →
   * outputs [out (B, L, Dv), lse (B, L)]: scores = scale·q·kᵀ (+ mask) (with j > i set to −∞ when
   * `causal`, aligned top-left as PyTorch's `is_causal`), out = softmax(scores)·v, and lse the
   * log-sum-exp of each score row, kept for the backward. A row whose every score is −∞ gives
   * out 0 and lse −∞ (PyTorch gives NaN there). B is batch × heads flattened.
   */
  Attention: { scale: number; causal: boolean };
  /**
   * The backward of `Attention`. inputs [q, k, v, out, lse, dout] and the mask when the forward
   * had one → outputs [dq (B, L, D), dk (B, S, D), dv (B, S, Dv)]. The mask gets no gradient.
   */
  AttentionGrad: { scale: number; causal: boolean };
}

/** How `SegmentReduce` combines the rows of one segment. */
export type SegmentReduction = 'sum' | 'mean' | 'max' | 'min';

export type BiasActivation = 'none' | 'relu' | 'gelu' | 'tanh' | 'sigmoid' | 'silu';

export type KernelName = keyof KernelAttrs;

export interface KernelArgs<A> {
  readonly inputs: readonly TensorInfo[];
  readonly attrs: A;
  readonly outputs: readonly OutputSpec[];
}

/** A backend's implementation of one kernel: returns one new handle per output spec. */
export type KernelImpl<A> = (args: KernelArgs<A>) => DataId[];

export type KernelTable = { readonly [K in KernelName]?: KernelImpl<KernelAttrs[K]> };

/** Kernels every backend must implement. Everything else in `KernelAttrs` is a composite. */
export const PRIMITIVES: readonly KernelName[] = [
  ...UNARY_PRIMITIVES_,
  ...BINARY_PRIMITIVES,
  'Cast',
  'Clip',
  'Where',
  'Sum',
  'Prod',
  'Max',
  'Min',
  'Any',
  'All',
  'ArgMax',
  'ArgMin',
  'MatMul',
  'Transpose',
  'Slice',
  'Concat',
  'Pad',
  'Tile',
  'Flip',
  'BroadcastTo',
  'Gather',
  'IndexSelect',
  'Scatter',
  'ScatterAdd',
  'TopK',
  'Sort',
  'Cumsum',
  'Cumprod',
  'Conv2d',
  'Conv2dBackpropInput',
  'Conv2dBackpropFilter',
  'MaxPool2d',
  'MaxPool2dGrad',
  'AvgPool2d',
  'AvgPool2dGrad',
];

export const COMPOSITES: readonly KernelName[] = [
  ...UNARY_ACTIVATIONS,
  'Softmax',
  'LogSoftmax',
  'LayerNorm',
  'BiasAct',
  'LstmCell',
  'LstmCellGrad',
  'GruCell',
  'GruCellGrad',
  'SegmentReduce',
  'SpMM',
  'Sddmm',
  'Attention',
  'AttentionGrad',
];

/** Dtypes a kernel is asked to handle; e.g. Add may see float32 or int32 (core casts bool first). */
export type KernelDType = DType;

/**
 * The dtypes a kernel accepts: its data operands all share one dtype `T` from `data`; inputs in
 * `fixed` (an int32 index, a bool condition) have that dtype instead. The op layer casts to these
 * before it dispatches, so a backend never sees anything else, and the testkit generates one edge
 * case per accepted dtype.
 */
export interface KernelDTypes {
  readonly data: readonly KernelDType[];
  readonly fixed?: { readonly [input: number]: KernelDType };
}

const F: KernelDTypes = { data: ['float32'] };
const FI: KernelDTypes = { data: ['float32', 'int32'] };
const ANY: KernelDTypes = { data: ['float32', 'int32', 'bool'] };
const B: KernelDTypes = { data: ['bool'] };
const INDEXED: KernelDTypes = { data: ['float32', 'int32', 'bool'], fixed: { 1: 'int32' } };

/**
 * The unary kernels' dtypes, from their kind in unary-table.ts: 'numeric' ops keep int32, logic
 * takes bool, the rest compute in float32 (rounding is the identity on integers and the predicates
 * constant there: core never calls them with integers).
 */
function unaryDTypes(): { readonly [K in UnaryPrimitive | UnaryActivation]: KernelDTypes } {
  const out: Record<string, KernelDTypes> = {};
  for (const [name, row] of UNARY_ROWS) {
    if (row.kind === 'form') continue;
    out[name] = row.kind === 'numeric' ? FI : row.kind === 'logic' ? B : F;
  }
  return out as { readonly [K in UnaryPrimitive | UnaryActivation]: KernelDTypes };
}

/** Accepted dtypes of every kernel, primitive and composite: one row each. */
export const KERNEL_DTYPES: { readonly [K in KernelName]: KernelDTypes } = {
  ...unaryDTypes(),
  // binary: arithmetic in the promoted type (bool → int32); true division and atan2 in float32
  Add: FI,
  Sub: FI,
  Mul: FI,
  Pow: FI,
  Maximum: FI,
  Minimum: FI,
  Mod: FI,
  FloorDiv: FI,
  Div: F,
  Atan2: F,
  Equal: ANY,
  NotEqual: ANY,
  Less: ANY,
  LessEqual: ANY,
  Greater: ANY,
  GreaterEqual: ANY,
  LogicalAnd: B,
  LogicalOr: B,
  LogicalXor: B,
  Cast: ANY,
  Clip: FI,
  Where: { data: ['float32', 'int32', 'bool'], fixed: { 0: 'bool' } },
  // reductions: bool sums, products and extremes run in int32; Any/All on bool
  Sum: FI,
  Prod: FI,
  Max: FI,
  Min: FI,
  Any: B,
  All: B,
  ArgMax: FI,
  ArgMin: FI,
  MatMul: FI,
  // data movement: every dtype
  Transpose: ANY,
  Slice: ANY,
  Concat: ANY,
  Pad: ANY,
  Tile: ANY,
  Flip: ANY,
  BroadcastTo: ANY,
  Gather: INDEXED,
  IndexSelect: INDEXED,
  Scatter: INDEXED,
  ScatterAdd: INDEXED,
  TopK: ANY,
  Sort: ANY,
  Cumsum: FI,
  Cumprod: FI,
  // convolution, pooling and every composite: float32
  Conv2d: F,
  Conv2dBackpropInput: F,
  Conv2dBackpropFilter: F,
  MaxPool2d: F,
  MaxPool2dGrad: F,
  AvgPool2d: F,
  AvgPool2dGrad: F,
  Softmax: F,
  LogSoftmax: F,
  LayerNorm: F,
  BiasAct: F,
  LstmCell: F,
  LstmCellGrad: F,
  GruCell: F,
  GruCellGrad: F,
  SegmentReduce: { data: ['float32'], fixed: { 1: 'int32' } },
  SpMM: { data: ['float32'], fixed: { 0: 'int32', 1: 'int32' } },
  Sddmm: { data: ['float32'], fixed: { 0: 'int32', 1: 'int32' } },
  Attention: F,
  AttentionGrad: F,
};

/**
 * Throw when kernel `name` is about to be called with input dtypes its row of `KERNEL_DTYPES`
 * does not accept: a bug in an op (a missing cast), named before a backend computes garbage.
 */
export function checkKernelDTypes(name: KernelName, dtypes: readonly DType[]): void {
  const row = KERNEL_DTYPES[name];
  let data: DType | undefined;
  for (let i = 0; i < dtypes.length; i++) {
    const fixed = row.fixed?.[i];
    const d = dtypes[i]!;
    if (fixed !== undefined) {
      if (d !== fixed) throw new TypeError(`${name}: input ${i} is ${d}; the kernel expects ${fixed}`);
    } else if (!row.data.includes(d)) {
      throw new TypeError(`${name}: input ${i} is ${d}; the kernel accepts ${row.data.join(', ')}`);
    } else if (data !== undefined && d !== data) {
      throw new TypeError(
        `${name}: inputs are ${data} and ${d}; the kernel expects one dtype for all data inputs`,
      );
    } else data = d;
  }
}
