/**
 * Variable-length batches for the recurrent layers, as torch.nn.utils.rnn: `padSequence`,
 * `packPaddedSequence`, `padPackedSequence`, `packSequence` and the `PackedSequence` they trade.
 *
 * A packed sequence holds the steps of a batch sorted by decreasing length, time-major: `data`
 * [Σ lengths, *] is step 0 of every sequence, then step 1 of every sequence still running, …;
 * `batchSizes[t]` says how many sequences run at step t. `sortedIndices[i]` is the original batch
 * position of the i-th longest sequence and `unsortedIndices` its inverse (both null when the batch
 * came sorted). Unlike PyTorch the index arrays are plain Int32Arrays (host data, never on a
 * backend); `data` is a tensor with its gradient, so packing and unpacking are differentiable.
 *
 * A PackedSequence is a plain object (like PyTorch's namedtuple), so `scope()` keeps its `data`
 * when it is returned.
 */
import { concat, fmtShape, full, isTensor, type Tensor, tensor } from '@myelin/core';
import { nnOp } from './scoped.js';

const BRAND: unique symbol = Symbol.for('myelin.nn.PackedSequence');

/** A packed batch of sequences (torch.nn.utils.rnn.PackedSequence). */
export interface PackedSequence {
  /** [Σ lengths, *features]: the steps of every sequence, time-major, longest sequences first. */
  readonly data: Tensor;
  /** Sequences still running at each step (non-increasing, all ≥ 1). */
  readonly batchSizes: Int32Array;
  /** Original batch position of the i-th longest sequence; null when the input was sorted. */
  readonly sortedIndices: Int32Array | null;
  /** Inverse of sortedIndices; null when the input was sorted. */
  readonly unsortedIndices: Int32Array | null;
  readonly [BRAND]: true;
}

/** True for a PackedSequence (made by the functions of this module or `packedSequence`). */
export function isPackedSequence(x: unknown): x is PackedSequence {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * A PackedSequence from its parts (PyTorch's constructor); `unsortedIndices` defaults to the
 * inverse of `sortedIndices`. The batch sizes must be positive, non-increasing and sum to data's
 * first dim.
 */
export function packedSequence(
  data: Tensor,
  batchSizes: ArrayLike<number>,
  sortedIndices: ArrayLike<number> | null = null,
  unsortedIndices: ArrayLike<number> | null = null,
): PackedSequence {
  const op = 'packedSequence';
  if (!isTensor(data) || data.rank < 1)
    throw new TypeError(`${op}: data must be a tensor [Σ lengths, *], got ${describe(data)}`);
  const bs = Int32Array.from(batchSizes);
  let total = 0;
  for (let t = 0; t < bs.length; t++) {
    if (!(bs[t]! >= 1) || (t > 0 && bs[t]! > bs[t - 1]!))
      throw new RangeError(
        `${op}: batchSizes must be positive and non-increasing, got [${Array.from(bs).join(', ')}]`,
      );
    total += bs[t]!;
  }
  if (total !== data.shape[0])
    throw new RangeError(
      `${op}: batchSizes sum to ${total} but data has ${data.shape[0]} rows (shape ${fmtShape(data.shape)})`,
    );
  const n = bs.length ? bs[0]! : 0;
  let sorted: Int32Array | null = null;
  let unsorted: Int32Array | null = null;
  if (sortedIndices) {
    sorted = Int32Array.from(sortedIndices);
    checkPermutation(op, sorted, n, 'sortedIndices');
    unsorted = unsortedIndices ? Int32Array.from(unsortedIndices) : invert(sorted);
    checkPermutation(op, unsorted, n, 'unsortedIndices');
    for (let i = 0; i < n; i++)
      if (unsorted[sorted[i]!] !== i)
        throw new RangeError(`${op}: unsortedIndices must be the inverse of sortedIndices`);
  } else if (unsortedIndices) {
    throw new RangeError(`${op}: unsortedIndices given without sortedIndices`);
  }
  return { data, batchSizes: bs, sortedIndices: sorted, unsortedIndices: unsorted, [BRAND]: true };
}

function describe(x: unknown): string {
  return isTensor(x) ? `shape ${fmtShape(x.shape)}` : typeof x;
}

function checkPermutation(op: string, p: Int32Array, n: number, what: string): void {
  const seen = new Uint8Array(n);
  const bad =
    p.length !== n ||
    p.some((v) => {
      if (!Number.isInteger(v) || v < 0 || v >= n || seen[v]) return true;
      seen[v] = 1;
      return false;
    });
  if (bad) throw new RangeError(`${op}: ${what} must be a permutation of 0…${n - 1}, got [${Array.from(p)}]`);
}

function invert(p: Int32Array): Int32Array {
  const inv = new Int32Array(p.length);
  p.forEach((v, i) => {
    inv[v] = i;
  });
  return inv;
}

/** The lengths as integers (an array, typed array or 1-D int tensor). */
function readLengths(op: string, lengths: ArrayLike<number> | Tensor, batch: number): number[] {
  let ls: number[];
  if (isTensor(lengths)) {
    if (lengths.rank !== 1 || lengths.dtype === 'float32' || lengths.dtype === 'bool')
      throw new TypeError(
        `${op}: lengths must be a 1-D integer tensor or an array, got a ${lengths.dtype} tensor of shape ${fmtShape(lengths.shape)}`,
      );
    ls = Array.from(lengths.dataSync() as ArrayLike<number>, Number);
  } else ls = Array.from(lengths, Number);
  if (ls.length !== batch)
    throw new RangeError(`${op}: got ${ls.length} lengths for a batch of ${batch} sequences`);
  for (const l of ls)
    if (!Number.isInteger(l) || l <= 0)
      throw new RangeError(
        `${op}: every length must be a positive integer (a sequence of length 0 cannot be packed), got [${ls.join(', ')}]`,
      );
  return ls;
}

/** Batch sizes of lengths sorted in decreasing order. */
function batchSizesOf(sortedLengths: readonly number[]): Int32Array {
  const T = sortedLengths[0] ?? 0;
  const bs = new Int32Array(T);
  for (let t = 0; t < T; t++) {
    let n = 0;
    while (n < sortedLengths.length && sortedLengths[n]! > t) n++;
    bs[t] = n;
  }
  return bs;
}

export interface PadSequenceOptions {
  /** Output [batch, maxLen, *] instead of [maxLen, batch, *] (default false). */
  batchFirst?: boolean;
  /** Value of the padded positions (default 0). */
  paddingValue?: number;
}

/**
 * Stack sequences [L_i, *] of equal trailing dims into one tensor [maxLen, batch, *] (or
 * [batch, maxLen, *] with batchFirst), padding the short ones with `paddingValue`
 * (torch.nn.utils.rnn.pad_sequence). Sequences of length 0 are allowed here.
 */
export const padSequence = nnOp(function padSequence(
  sequences: readonly Tensor[],
  options: PadSequenceOptions = {},
): Tensor {
  const op = 'padSequence';
  if (!Array.isArray(sequences) || sequences.length === 0)
    throw new RangeError(
      `${op}: expected a non-empty array of tensors [L_i, *], got ${sequences.length ?? typeof sequences} sequences`,
    );
  const first = sequences[0]!;
  sequences.forEach((s, i) => {
    if (!isTensor(s) || s.rank < 1)
      throw new TypeError(`${op}: sequence ${i} must be a tensor [L, *], got ${describe(s)}`);
    if (s.rank !== first.rank || s.shape.some((d, j) => j > 0 && d !== first.shape[j]))
      throw new RangeError(
        `${op}: sequence ${i} has shape ${fmtShape(s.shape)} but sequence 0 has ${fmtShape(first.shape)}; all but the first dim must match`,
      );
  });
  const rest = first.shape.slice(1);
  const maxLen = Math.max(...sequences.map((s) => s.shape[0]!));
  const value = options.paddingValue ?? 0;
  const padded = sequences.map((s) => {
    const L = s.shape[0]!;
    if (L === maxLen) return s;
    const fill = full([maxLen - L, ...rest], value, { dtype: s.dtype });
    return L === 0 ? fill : concat([s, fill], 0);
  });
  // [batch, maxLen, *] then to time-major unless batchFirst.
  const stacked = concat(
    padded.map((p) => p.unsqueeze(0)),
    0,
  );
  return options.batchFirst ? stacked : stacked.transpose(0, 1);
});

export interface PackPaddedOptions {
  /** The input is [batch, T, *] instead of [T, batch, *] (default false). */
  batchFirst?: boolean;
  /**
   * The lengths come sorted in decreasing order (default true, as PyTorch; an unsorted batch is
   * an error); false sorts them and records the permutation in sortedIndices.
   */
  enforceSorted?: boolean;
}

/**
 * Pack a padded batch [T, batch, *] (or [batch, T, *]) of sequences of the given lengths
 * (torch.nn.utils.rnn.pack_padded_sequence); steps past a sequence's length are dropped. Lengths
 * must be between 1 and T.
 *
 * @example
 * const packed = packPaddedSequence(x, [5, 3, 2], { batchFirst: true });
 * const [out, hn] = new GRU(8, 16, { batchFirst: true }).forward(packed);
 * const [padded, lengths] = padPackedSequence(out, { batchFirst: true });
 */
export const packPaddedSequence = nnOp(function packPaddedSequence(
  input: Tensor,
  lengths: ArrayLike<number> | Tensor,
  options: PackPaddedOptions = {},
): PackedSequence {
  const op = 'packPaddedSequence';
  if (!isTensor(input) || input.rank < 2)
    throw new RangeError(
      `${op}: input must be [T, batch, *] (or [batch, T, *] with batchFirst), got ${describe(input)}`,
    );
  const x = options.batchFirst ? input.transpose(0, 1) : input;
  const [T, N] = x.shape as [number, number];
  const ls = readLengths(op, lengths, N);
  for (const l of ls)
    if (l > T)
      throw new RangeError(
        `${op}: length ${l} exceeds the ${T} steps of the input (shape ${fmtShape(input.shape)})`,
      );
  const enforce = options.enforceSorted ?? true;
  let order: number[];
  if (enforce) {
    for (let i = 1; i < N; i++)
      if (ls[i]! > ls[i - 1]!)
        throw new RangeError(
          `${op}: lengths must be sorted in decreasing order when enforceSorted is true, got [${ls.join(', ')}]; pass enforceSorted: false to sort them`,
        );
    order = ls.map((_, i) => i);
  } else {
    // Stable sort by decreasing length.
    order = ls.map((_, i) => i).sort((a, b) => ls[b]! - ls[a]! || a - b);
  }
  const sortedLengths = order.map((i) => ls[i]!);
  const bs = batchSizesOf(sortedLengths);
  // One gather: row t·N + order[b] of the flattened time-major input for every live (t, b).
  const idx: number[] = [];
  for (let t = 0; t < T; t++) for (let b = 0; b < (bs[t] ?? 0); b++) idx.push(t * N + order[b]!);
  const rest = x.shape.slice(2);
  const flat = x.reshape([T * N, ...rest]);
  const data = flat.indexSelect(0, tensor(idx, { shape: [idx.length], dtype: 'int32' }));
  return enforce ? packedSequence(data, bs) : packedSequence(data, bs, order);
});

export interface PadPackedOptions {
  /** Output [batch, T, *] instead of [T, batch, *] (default false). */
  batchFirst?: boolean;
  /** Value of the padded positions (default 0). */
  paddingValue?: number;
  /** Pad to this many steps (at least the longest sequence; default the longest). */
  totalLength?: number;
}

/**
 * Unpack to a padded tensor [T, batch, *] (or [batch, T, *]) in the original batch order, and the
 * lengths as an int32 tensor [batch] (torch.nn.utils.rnn.pad_packed_sequence).
 */
export const padPackedSequence = nnOp(function padPackedSequence(
  sequence: PackedSequence,
  options: PadPackedOptions = {},
): [Tensor, Tensor] {
  const op = 'padPackedSequence';
  if (!isPackedSequence(sequence))
    throw new TypeError(`${op}: expected a PackedSequence, got ${describe(sequence)}`);
  const { data, batchSizes: bs } = sequence;
  const maxLen = bs.length;
  const T = options.totalLength ?? maxLen;
  if (!Number.isInteger(T) || T < maxLen)
    throw new RangeError(
      `${op}: totalLength must be an integer at least the longest sequence (${maxLen}), got ${options.totalLength}`,
    );
  const N = maxLen ? bs[0]! : 0;
  const sorted = sequence.sortedIndices;
  // Sorted position b's length; offsets of each step in data.
  const lengths = new Int32Array(N);
  const offset = new Int32Array(maxLen);
  let off = 0;
  for (let t = 0; t < maxLen; t++) {
    offset[t] = off;
    off += bs[t]!;
    for (let b = 0; b < bs[t]!; b++) lengths[b] = t + 1;
  }
  const rows = data.shape[0]!;
  const rest = data.shape.slice(1);
  // Out position (t, original batch n) reads row offset[t] + sortedPos(n), or the padding row.
  const inv = sequence.unsortedIndices;
  const idx: number[] = [];
  for (let t = 0; t < T; t++)
    for (let n = 0; n < N; n++) {
      const b = inv ? inv[n]! : n;
      idx.push(t < maxLen && b < bs[t]! ? offset[t]! + b : rows);
    }
  const padRow = full([1, ...rest], options.paddingValue ?? 0, { dtype: data.dtype });
  const src = concat([data, padRow], 0);
  let out = src.indexSelect(0, tensor(idx, { shape: [idx.length], dtype: 'int32' })).reshape([T, N, ...rest]);
  if (options.batchFirst) out = out.transpose(0, 1);
  const origLengths = new Int32Array(N);
  for (let b = 0; b < N; b++) origLengths[sorted ? sorted[b]! : b] = lengths[b]!;
  return [out, tensor(Array.from(origLengths), { shape: [N], dtype: 'int32' })];
});

/**
 * Pack a list of sequences [L_i, *] (torch.nn.utils.rnn.pack_sequence): padSequence then
 * packPaddedSequence. With enforceSorted (default true) they must come longest first.
 */
export const packSequence = nnOp(function packSequence(
  sequences: readonly Tensor[],
  options: { enforceSorted?: boolean } = {},
): PackedSequence {
  const lengths = sequences.map((s) => (isTensor(s) ? s.shape[0]! : Number.NaN));
  if (lengths.some((l) => l === 0))
    throw new RangeError(
      `packSequence: every sequence needs at least one step (a sequence of length 0 cannot be packed), got lengths [${lengths.join(', ')}]`,
    );
  return packPaddedSequence(padSequence(sequences), lengths, { enforceSorted: options.enforceSorted });
});
