import { fmtShape, type Tensor, tensor } from '@myelin/core';

/**
 * Variable-length batches: sequences padded at the end to one length, with their true lengths
 * and a mask. Padding always goes after the valid steps (PyTorch's `pad_sequence` with
 * `batch_first=True`), so a forward recurrence reads every valid step before any padding.
 */

/** A padded batch of token ids (or any integers): `[batch, steps]` row-major, with lengths. */
export interface PaddedBatch {
  /** `batch · steps` values, sequence b at `[b·steps, b·steps + lengths[b])`, then `padValue`. */
  ids: Int32Array;
  lengths: Int32Array;
  batch: number;
  steps: number;
}

export interface PadOptions {
  /** Cut longer sequences to this many steps (default: the longest sequence's length). */
  maxLength?: number;
  /** Keep the first (`'head'`, default) or the last (`'tail'`) `maxLength` steps of a longer sequence. */
  truncate?: 'head' | 'tail';
  /** The value of padded steps (default 0). */
  padValue?: number;
  /**
   * Round the padded length up to a multiple of this (default 1), so batches come in a few shapes:
   * allocators that keep freed blocks by size (the wasm backend's) then reuse them.
   */
  multipleOf?: number;
}

/**
 * Pad integer sequences to one length (PyTorch's `pad_sequence(batch_first=True)` plus truncation).
 * An empty sequence keeps length 0 (all padding); models reject it where a step is needed.
 *
 * @example
 * padSequences([[5, 6, 7], [8]]); // ids [5,6,7, 8,0,0], lengths [3, 1], batch 2, steps 3
 */
export function padSequences(seqs: readonly ArrayLike<number>[], options: PadOptions = {}): PaddedBatch {
  const op = 'padSequences';
  if (seqs.length === 0) throw new RangeError(`${op}: expected at least one sequence, got none`);
  const pad = options.padValue ?? 0;
  if (!Number.isInteger(pad)) throw new RangeError(`${op}: padValue must be an integer, got ${pad}`);
  let steps = 0;
  for (const s of seqs) steps = Math.max(steps, s.length);
  if (options.maxLength !== undefined) {
    if (!(Number.isInteger(options.maxLength) && options.maxLength >= 1))
      throw new RangeError(`${op}: maxLength must be an integer ≥ 1, got ${options.maxLength}`);
    steps = Math.min(steps, options.maxLength);
  }
  steps = Math.max(steps, 1);
  const multiple = options.multipleOf ?? 1;
  if (!(Number.isInteger(multiple) && multiple >= 1))
    throw new RangeError(`${op}: multipleOf must be an integer ≥ 1, got ${multiple}`);
  steps = Math.ceil(steps / multiple) * multiple;
  const batch = seqs.length;
  const ids = new Int32Array(batch * steps).fill(pad);
  const lengths = new Int32Array(batch);
  seqs.forEach((s, b) => {
    const n = Math.min(s.length, steps, options.maxLength ?? steps);
    const from = options.truncate === 'tail' ? s.length - n : 0;
    for (let t = 0; t < n; t++) {
      const v = s[from + t]!;
      if (!Number.isInteger(v))
        throw new RangeError(`${op}: sequence ${b} holds ${v} at step ${from + t}; expected integers`);
      ids[b * steps + t] = v;
    }
    lengths[b] = n;
  });
  return { ids, lengths, batch, steps };
}

/**
 * Check `lengths` against a batch of `batch` sequences of `steps` steps: one length per sequence,
 * each an integer in [1, steps]. Returns them as an Int32Array.
 *
 * @throws RangeError naming `op`, what it got and what it expected
 */
export function checkLengths(
  op: string,
  lengths: ArrayLike<number>,
  batch: number,
  steps: number,
): Int32Array {
  if (lengths.length !== batch)
    throw new RangeError(
      `${op}: got ${lengths.length} lengths for a batch of ${batch}; expected one per sequence`,
    );
  const out = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const n = lengths[b]!;
    if (!(Number.isInteger(n) && n >= 1 && n <= steps))
      throw new RangeError(
        `${op}: length ${b} is ${n}; expected an integer in [1, ${steps}] (the padded steps)`,
      );
    out[b] = n;
  }
  return out;
}

/** Lengths from a `[batch, steps]` mask (1/true for valid steps, all before any padding). */
export function lengthsFromMask(op: string, mask: Tensor, values: ArrayLike<number | boolean>): Int32Array {
  if (mask.rank !== 2)
    throw new RangeError(`${op}: mask must be [batch, steps], got ${fmtShape(mask.shape)}`);
  const [B, T] = mask.shape as [number, number];
  const lengths = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let n = 0;
    while (n < T && values[b * T + n]) n++;
    for (let t = n; t < T; t++)
      if (values[b * T + t])
        throw new RangeError(
          `${op}: mask row ${b} has a valid step ${t} after padding at ${n}; expected padding only at the end`,
        );
    lengths[b] = n;
  }
  return lengths;
}

/** The `[batch, steps]` boolean mask of `lengths`: true on each sequence's first `lengths[b]` steps. */
export function lengthMask(lengths: ArrayLike<number>, steps: number): Tensor {
  const B = lengths.length;
  const m = new Uint8Array(B * steps);
  for (let b = 0; b < B; b++) m.fill(1, b * steps, b * steps + Math.min(lengths[b]!, steps));
  return tensor(m, { shape: [B, steps], dtype: 'bool' });
}

/**
 * Indices that reverse each row's first `lengths[b]` steps and leave its padding in place, into
 * the rows of a `[batch·steps, …]` flattening: step t of row b reads step `lengths[b] − 1 − t`.
 * Running a recurrence over the reversed rows is the backward direction of a packed sequence.
 */
export function reverseWithinLengths(lengths: ArrayLike<number>, steps: number): Int32Array {
  const B = lengths.length;
  const idx = new Int32Array(B * steps);
  for (let b = 0; b < B; b++) {
    const n = lengths[b]!;
    for (let t = 0; t < steps; t++) idx[b * steps + t] = b * steps + (t < n ? n - 1 - t : t);
  }
  return idx;
}
