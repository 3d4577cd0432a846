import { apply, defineGrad } from '../autograd.js';
import {
  assertInt,
  assertShape,
  broadcastShapes,
  fmtShape,
  normAxes,
  normAxis,
  type Shape,
  shapesEqual,
  sizeOf,
} from '../shape.js';
import type { Tensor } from '../tensor.js';
import { arange, full, tensor } from './creation.js';
import { greaterEqual, lessEqual, sub, where } from './elementwise.js';
import { cast, indexSelect, reshape, sum } from './kernel-calls.js';

export { reshape } from './kernel-calls.js';

// ---------------------------------------------------------------------------------------------
// Views: reshape (in ./kernel-calls.ts) shares storage; no kernel runs.
// ---------------------------------------------------------------------------------------------

/** A copy of `x` (sharing its immutable storage) that gradients flow through, as torch.clone. */
export function clone(x: Tensor): Tensor {
  return reshape(x, x.shape);
}

/** Merge dims startDim..endDim (inclusive) into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normAxis('flatten', startDim, x.rank);
  const e = normAxis('flatten', endDim, x.rank);
  if (s > e) throw new RangeError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** Remove size-1 dims (all of them, or those in `axis`; a named dim that is not 1 is left as is, as PyTorch). */
export function squeeze(x: Tensor, axis?: number | number[]): Tensor {
  const axes = axis === undefined ? x.shape.map((_, i) => i) : normAxes('squeeze', axis, x.rank);
  return reshape(
    x,
    x.shape.filter((d, i) => !(d === 1 && axes.includes(i))),
  );
}

/** Insert a size-1 dim at `axis` (which may be rank, to append). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis('unsqueeze', axis, x.rank + 1);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

// ---------------------------------------------------------------------------------------------
// Kernels
// ---------------------------------------------------------------------------------------------

/** Reorder dims: output dim j is input dim dims[j]. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.rank) {
    throw new RangeError(`permute: got ${dims.length} dims ${fmtShape(dims)} for a tensor of rank ${x.rank}`);
  }
  const perm = dims.map((d) => normAxis('permute', d, x.rank));
  if (new Set(perm).size !== perm.length)
    throw new RangeError(`permute: dims ${fmtShape(dims)} repeat an axis`);
  if (perm.every((p, i) => p === i)) return reshape(x, x.shape);
  const shape = perm.map((p) => x.shape[p]!);
  // Moving only size-1 dims keeps the element order: a reshape suffices.
  const moved = perm.filter((p) => x.shape[p] !== 1);
  if (moved.every((p, i) => i === 0 || p > moved[i - 1]!)) return reshape(x, shape);
  return apply('Transpose', [x], { perm }, [{ shape, dtype: x.dtype }])[0]!;
}
defineGrad('Transpose', ({ dys, attrs }) => {
  const inv = attrs.perm.map((_, i) => attrs.perm.indexOf(i));
  return [permute(dys[0]!, inv)];
});

/** Swap two dims. */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  if (x.rank < 2 && dim0 === -2 && dim1 === -1) return reshape(x, x.shape);
  const a = normAxis('transpose', dim0, x.rank);
  const b = normAxis('transpose', dim1, x.rank);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  assertShape('broadcastTo', shape);
  const out = broadcastShapes('broadcastTo', x.shape, shape);
  if (!shapesEqual(out, shape)) {
    throw new RangeError(`broadcastTo: cannot broadcast ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
  }
  if (shapesEqual(x.shape, shape)) return reshape(x, shape);
  return apply('BroadcastTo', [x], {}, [{ shape, dtype: x.dtype }])[0]!;
}
defineGrad('BroadcastTo', ({ dys, inputs }) => [unbroadcastSum(dys[0]!, inputs[0]!.shape)]);

function unbroadcastSum(g: Tensor, shape: Shape): Tensor {
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  return reshape(axes.length ? sum(g, axes) : g, shape);
}

/** Join tensors along an existing axis; dtypes promote. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new RangeError('concat: needs at least one tensor');
  const first = xs[0]!;
  const a = normAxis('concat', axis, first.rank);
  let dtype = first.dtype;
  let total = 0;
  xs.forEach((x, i) => {
    if (x.rank !== first.rank || x.shape.some((d, j) => j !== a && d !== first.shape[j])) {
      throw new RangeError(
        `concat: tensor ${i} has shape ${fmtShape(x.shape)} but tensor 0 has ${fmtShape(first.shape)} (all dims but axis ${a} must match)`,
      );
    }
    total += x.shape[a]!;
    if (x.dtype === 'float32' || (x.dtype === 'int32' && dtype === 'bool')) dtype = x.dtype;
  });
  if (xs.length === 1) return reshape(first, first.shape);
  const shape = [...first.shape];
  shape[a] = total;
  return apply(
    'Concat',
    xs.map((x) => cast(x, dtype)),
    { axis: a },
    [{ shape, dtype }],
  )[0]!;
}
defineGrad('Concat', ({ dys, inputs, attrs }) => {
  let start = 0;
  return inputs.map((x) => {
    const n = x.shape[attrs.axis]!;
    const spec = x.shape.map((_, i) => (i === attrs.axis ? ([start, start + n] as [number, number]) : null));
    start += n;
    return slice(dys[0]!, ...spec);
  });
});

/** Join tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new RangeError('stack: needs at least one tensor');
  const a = normAxis('stack', axis, xs[0]!.rank + 1);
  xs.forEach((x, i) => {
    if (!shapesEqual(x.shape, xs[0]!.shape)) {
      throw new RangeError(
        `stack: tensor ${i} has shape ${fmtShape(x.shape)} but tensor 0 has ${fmtShape(xs[0]!.shape)}`,
      );
    }
  });
  return concat(
    xs.map((x) => unsqueeze(x, a)),
    a,
  );
}

/** torch.split: chunks of `size` (the last may be smaller), or pieces of the given sizes. */
export function split(x: Tensor, sizeOrSizes: number | readonly number[], axis = 0): Tensor[] {
  const a = normAxis('split', axis, x.rank);
  const n = x.shape[a]!;
  let sizes: number[];
  if (typeof sizeOrSizes === 'number') {
    if (!Number.isInteger(sizeOrSizes) || sizeOrSizes <= 0)
      throw new RangeError(`split: size must be a positive integer, got ${sizeOrSizes}`);
    sizes = [];
    for (let s = 0; s < n; s += sizeOrSizes) sizes.push(Math.min(sizeOrSizes, n - s));
    if (sizes.length === 0) sizes.push(0);
  } else {
    sizes = [...sizeOrSizes];
    const total = sizes.reduce((p, q) => p + q, 0);
    if (total !== n || sizes.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new RangeError(
        `split: sizes ${fmtShape(sizes)} must be non-negative integers summing to ${n} (dim ${a} of ${fmtShape(x.shape)})`,
      );
    }
  }
  let start = 0;
  return sizes.map((s) => {
    const spec = x.shape.map((_, i) => (i === a ? ([start, start + s] as [number, number]) : null));
    start += s;
    return slice(x, ...spec);
  });
}

/** torch.chunk: `chunks` pieces of ceil(n / chunks) (fewer when n is small). */
export function chunk(x: Tensor, chunks: number, axis = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0)
    throw new RangeError(`chunk: chunks must be a positive integer, got ${chunks}`);
  const a = normAxis('chunk', axis, x.rank);
  const size = Math.max(1, Math.ceil(x.shape[a]! / chunks));
  return split(x, size, a);
}

export type SliceSpec =
  | number
  | null
  | undefined
  | readonly [(number | null)?, (number | null)?, (number | null)?];

/**
 * Python-style basic indexing, one spec per leading dim: a number picks an index (dropping the
 * dim), null keeps the dim whole, `[start, stop, step]` slices (negative values count from the end;
 * negative steps walk backwards).
 */
export function slice(x: Tensor, ...specs: SliceSpec[]): Tensor {
  if (specs.length > x.rank)
    throw new RangeError(`slice: ${specs.length} specs for a tensor of rank ${x.rank}`);
  specs.forEach((s, i) => {
    if (s !== null && s !== undefined && typeof s !== 'number' && !Array.isArray(s))
      throw new TypeError(`slice: spec ${i} must be an index, null or [start, stop, step], got ${typeof s}`);
  });
  const begin: number[] = [];
  const step: number[] = [];
  const shape: number[] = [];
  const keep: number[] = [];
  x.shape.forEach((n, i) => {
    const s = specs[i];
    if (typeof s === 'number') {
      if (!Number.isInteger(s) || s < -n || s >= n) {
        throw new RangeError(
          `slice: index ${s} is out of range for dim ${i} of size ${n} (shape ${fmtShape(x.shape)})`,
        );
      }
      begin.push(s < 0 ? s + n : s);
      step.push(1);
      shape.push(1);
      return;
    }
    const [st, sp, stp] = s ?? [];
    const k = stp ?? 1;
    if (!Number.isSafeInteger(k) || k === 0)
      throw new RangeError(`slice: step of dim ${i} must be a non-zero integer, got ${k}`);
    // Python's slice.indices().
    const clampIdx = (v: number | null | undefined, what: string, dflt: number, lo: number, hi: number) => {
      if (v === null || v === undefined) return dflt;
      assertInt('slice', `${what} of dim ${i}`, v);
      const w = v < 0 ? v + n : v;
      return Math.min(Math.max(w, lo), hi);
    };
    const b = k > 0 ? clampIdx(st, 'start', 0, 0, n) : clampIdx(st, 'start', n - 1, -1, n - 1);
    const e = k > 0 ? clampIdx(sp, 'stop', n, 0, n) : clampIdx(sp, 'stop', -1, -1, n - 1);
    const len = k > 0 ? Math.max(0, Math.ceil((e - b) / k)) : Math.max(0, Math.ceil((b - e) / -k));
    begin.push(len > 0 ? b : 0);
    step.push(k);
    shape.push(len);
    keep.push(i);
  });
  const dropped = x.shape.map((_, i) => i).filter((i) => typeof specs[i] === 'number');
  const full = x.shape.every((n, i) => begin[i] === 0 && step[i] === 1 && shape[i] === n);
  const out = full
    ? reshape(x, x.shape)
    : apply('Slice', [x], { begin, step }, [{ shape, dtype: x.dtype }])[0]!;
  return dropped.length
    ? reshape(
        out,
        shape.filter((_, i) => !dropped.includes(i)),
      )
    : out;
}
// The gradient scatters dy back into zeros of the input's shape: for step ±1 a pad; otherwise dy is
// interleaved with zeros along that axis (pad a new trailing axis, then merge) before padding.
defineGrad('Slice', ({ dys, inputs, attrs }) => {
  const x = inputs[0]!;
  let g = dys[0]!;
  if (g.size === 0) return [full(x.shape, 0)];
  const pads: number[] = [];
  for (let i = x.rank - 1; i >= 0; i--) {
    const n = g.shape[i]!;
    let k = attrs.step[i]!;
    let b = attrs.begin[i]!;
    if (k < 0) {
      g = flip(g, i);
      b = b + (n - 1) * k;
      k = -k;
    }
    if (k > 1) {
      const inter = pad(unsqueeze(g, i + 1), [...new Array(2 * (g.rank - i - 1)).fill(0), 0, k - 1]);
      const merged = reshape(inter, [...g.shape.slice(0, i), n * k, ...g.shape.slice(i + 1)]);
      g = slice(merged, ...new Array(i).fill(null), [0, (n - 1) * k + 1]);
    }
    const span = g.shape[i]!;
    pads.push(b, x.shape[i]! - b - span);
  }
  return [pad(g, pads)];
});

export interface PadOptions {
  mode?: 'constant' | 'reflect' | 'replicate';
  value?: number;
}

/**
 * Pad with `pads` in torch.nn.functional.pad order: pairs for the last dim first
 * (`[left, right, top, bottom, …]`). Negative pads crop.
 */
export function pad(x: Tensor, pads: readonly number[], options: PadOptions = {}): Tensor {
  const mode = options.mode ?? 'constant';
  if (pads.length % 2 !== 0 || pads.length / 2 > x.rank) {
    throw new RangeError(`pad: pads ${fmtShape(pads)} must hold pairs for at most ${x.rank} dims`);
  }
  const before = new Array<number>(x.rank).fill(0);
  const after = new Array<number>(x.rank).fill(0);
  for (let j = 0; j < pads.length / 2; j++) {
    const d = x.rank - 1 - j;
    before[d] = pads[2 * j]!;
    after[d] = pads[2 * j + 1]!;
    if (!Number.isInteger(before[d]) || !Number.isInteger(after[d]))
      throw new TypeError(`pad: pads must be integers, got ${fmtShape(pads)}`);
    if (mode === 'reflect' && (before[d]! >= x.shape[d]! || after[d]! >= x.shape[d]!)) {
      throw new RangeError(
        `pad: reflect padding ${before[d]},${after[d]} must be smaller than dim ${d} of size ${x.shape[d]}`,
      );
    }
    if (mode === 'replicate' && x.shape[d] === 0 && (before[d]! > 0 || after[d]! > 0)) {
      throw new RangeError(`pad: cannot replicate-pad an empty dim ${d}`);
    }
  }
  for (let d = 0; d < x.rank; d++) {
    if (x.shape[d]! + before[d]! + after[d]! < 0) {
      throw new RangeError(
        `pad: dim ${d} of size ${x.shape[d]} padded by ${before[d]} and ${after[d]} would have a negative size (pads ${fmtShape(pads)}, input ${fmtShape(x.shape)})`,
      );
    }
  }
  // Negative pads crop first.
  if (before.some((p) => p < 0) || after.some((p) => p < 0)) {
    const spec = x.shape.map(
      (n, i) => [Math.max(0, -before[i]!), n - Math.max(0, -after[i]!)] as [number, number],
    );
    x = slice(x, ...spec);
    for (let i = 0; i < x.rank; i++) {
      before[i] = Math.max(0, before[i]!);
      after[i] = Math.max(0, after[i]!);
    }
  }
  if (before.every((p) => p === 0) && after.every((p) => p === 0)) return reshape(x, x.shape);
  // Reflect/replicate are gathers along each padded axis; while recording they run as such so that
  // the gradient (a scatter-add) comes from IndexSelect's rule.
  if (mode !== 'constant' && x.requiresGrad) {
    let y = x;
    for (let d = 0; d < x.rank; d++) {
      if (before[d] === 0 && after[d] === 0) continue;
      y = indexSelect(y, d, padIndex(x.shape[d]!, before[d]!, after[d]!, mode));
    }
    return y;
  }
  const shape = x.shape.map((n, i) => n + before[i]! + after[i]!);
  const flat: number[] = [];
  for (let i = 0; i < x.rank; i++) flat.push(before[i]!, after[i]!);
  return apply('Pad', [x], { pads: flat, mode, value: options.value ?? 0 }, [{ shape, dtype: x.dtype }])[0]!;
}
defineGrad('Pad', ({ dys, inputs, attrs }) => {
  const x = inputs[0]!;
  if (attrs.mode !== 'constant') throw new Error('pad: reflect/replicate gradients go through indexSelect');
  const spec = x.shape.map((n, i) => [attrs.pads[2 * i]!, attrs.pads[2 * i]! + n] as [number, number]);
  return [slice(dys[0]!, ...spec)];
});

/** Source index of each padded position along one axis. */
function padIndex(n: number, b: number, a: number, mode: 'reflect' | 'replicate'): Tensor {
  const idx = new Int32Array(n + b + a);
  for (let j = 0; j < idx.length; j++) {
    let s = j - b;
    if (mode === 'replicate') s = Math.min(Math.max(s, 0), n - 1);
    else {
      if (s < 0) s = -s;
      if (s >= n) s = 2 * (n - 1) - s;
    }
    idx[j] = s;
  }
  return tensor(idx);
}

/** Repeat the whole tensor `reps` times along each dim (NumPy/torch.tile). */
export function tile(x: Tensor, reps: readonly number[]): Tensor {
  reps.forEach((r) => {
    if (!Number.isInteger(r) || r < 0)
      throw new RangeError(`tile: reps ${fmtShape(reps)} must be non-negative integers`);
  });
  const rank = Math.max(x.rank, reps.length);
  const xr = x.rank < rank ? reshape(x, [...new Array(rank - x.rank).fill(1), ...x.shape]) : x;
  const r = [...new Array(rank - reps.length).fill(1), ...reps];
  if (r.every((v) => v === 1)) return reshape(xr, xr.shape);
  return apply('Tile', [xr], { reps: r }, [{ shape: xr.shape.map((d, i) => d * r[i]!), dtype: x.dtype }])[0]!;
}
defineGrad('Tile', ({ dys, inputs, attrs }) => {
  const x = inputs[0]!;
  const inter: number[] = [];
  x.shape.forEach((d, i) => {
    inter.push(attrs.reps[i]!, d);
  });
  const axes = x.shape.map((_, i) => 2 * i);
  return [reshape(sum(reshape(dys[0]!, inter), axes), x.shape)];
});

/**
 * Repeat each element along `axis` (NumPy repeat, torch.repeat_interleave): `repeats` is one count
 * for every element or one count per element. Flattens first when `axis` is omitted.
 */
export function repeat(x: Tensor, repeats: number | readonly number[], axis?: number): Tensor {
  if (axis === undefined) return repeat(reshape(x, [x.size]), repeats, 0);
  const a = normAxis('repeat', axis, x.rank);
  const n = x.shape[a]!;
  const counts = typeof repeats === 'number' ? new Array<number>(n).fill(repeats) : [...repeats];
  if (counts.length !== n) {
    throw new RangeError(
      `repeat: got ${counts.length} repeats for dim ${a} of size ${n} (shape ${fmtShape(x.shape)})`,
    );
  }
  const index: number[] = [];
  counts.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0)
      throw new RangeError(`repeat: repeats must be non-negative integers, got ${String(repeats)}`);
    for (let k = 0; k < c; k++) index.push(i);
  });
  return indexSelect(x, a, tensor(Int32Array.from(index)));
}

/** Reverse the order of elements along `axis`. */
export function flip(x: Tensor, axis: number | readonly number[]): Tensor {
  const axes = normAxes('flip', axis, x.rank);
  if (axes.every((a) => x.shape[a]! <= 1)) return reshape(x, x.shape);
  return apply('Flip', [x], { axes }, [{ shape: x.shape, dtype: x.dtype }])[0]!;
}
defineGrad('Flip', ({ dys, attrs }) => [flip(dys[0]!, attrs.axes)]);

/** Rotate elements along `axis` by `shifts` (flattened when axis is omitted). */
export function roll(
  x: Tensor,
  shifts: number | readonly number[],
  axis?: number | readonly number[],
): Tensor {
  if (axis === undefined) {
    if (typeof shifts !== 'number') throw new RangeError('roll: give one shift when no axis is given');
    return reshape(roll(reshape(x, [x.size]), shifts, 0), x.shape);
  }
  const ss = typeof shifts === 'number' ? [shifts] : [...shifts];
  const as = typeof axis === 'number' ? [axis] : [...axis];
  ss.forEach((s, j) => {
    assertInt('roll', `shift ${j}`, s);
  });
  if (ss.length !== as.length) throw new RangeError(`roll: ${ss.length} shifts for ${as.length} axes`);
  let y = x;
  as.forEach((ax, j) => {
    const a = normAxis('roll', ax, x.rank);
    const n = x.shape[a]!;
    if (n === 0) return;
    const s = ((ss[j]! % n) + n) % n;
    if (s === 0) return;
    const lead = new Array(a).fill(null);
    y = concat([slice(y, ...lead, [n - s, n]), slice(y, ...lead, [0, n - s])], a);
  });
  return y === x ? reshape(x, x.shape) : y;
}

function band(x: Tensor, k: number, lower: boolean): Tensor {
  assertInt(lower ? 'tril' : 'triu', 'diagonal offset k', k);
  if (x.rank < 2)
    throw new RangeError(`${lower ? 'tril' : 'triu'}: needs a tensor of rank ≥ 2, got ${fmtShape(x.shape)}`);
  const [n, m] = [x.shape[x.rank - 2]!, x.shape[x.rank - 1]!];
  const rows = reshape(arange(n), [n, 1]);
  const cols = reshape(arange(m), [1, m]);
  const diff = sub(cols, rows);
  const mask = lower ? lessEqual(diff, k) : greaterEqual(diff, k);
  return where(mask, x, full([], 0, { dtype: x.dtype }));
}

/** Keep the lower triangle (j − i ≤ k) of the last two dims, zero the rest. */
export function tril(x: Tensor, k = 0): Tensor {
  return band(x, k, true);
}
/** Keep the upper triangle (j − i ≥ k) of the last two dims, zero the rest. */
export function triu(x: Tensor, k = 0): Tensor {
  return band(x, k, false);
}
