/**
 * The bottom layer of the op modules: the few ops that the others build on, each one kernel call
 * (or a view) with its checks and gradient rule, and nothing above it imported. The op modules
 * form a tree on top of it, each importing only modules below it:
 *
 *   kernel-calls  ◄─ elementwise ◄─ shape ◄─ reduce ◄─ indexing ◄─ (nn, linalg, sparse, …)
 *
 * The public functions here are re-exported by the module they belong to (`cast` by elementwise,
 * `reshape` by shape, `sum`/`reducedShape` by reduce, `indexSelect`/`cumprod` by indexing); a
 * gradient rule that needs an op from a higher module stays with that module (rules are found by
 * kernel name, so where one is registered does not matter to autograd).
 */
import { apply, defineGrad, record } from '../autograd.js';
import type { DType } from '../dtype.js';
import { assertShape, fmtShape, normAxes, normAxis, type Shape, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';

/** Convert to `dtype` (float→int32 truncates toward zero; anything→bool is `x != 0`). */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  return apply('Cast', [x], {}, [{ shape: x.shape, dtype }])[0]!;
}
defineGrad('Cast', ({ dys, inputs }) => [inputs[0]!.dtype === 'float32' ? cast(dys[0]!, 'float32') : null]);

/** Same elements, new shape (one dim may be -1). Shares storage with `x`. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = [...shape];
  const neg = target.indexOf(-1);
  if (neg !== target.lastIndexOf(-1))
    throw new RangeError(`reshape: only one dimension can be -1, got ${fmtShape(shape)}`);
  if (neg >= 0) {
    const rest = sizeOf(target.filter((_, i) => i !== neg));
    if (rest === 0 || x.size % rest !== 0) {
      throw new RangeError(
        `reshape: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) to ${fmtShape(shape)}`,
      );
    }
    target[neg] = x.size / rest;
  }
  assertShape('reshape', target);
  if (sizeOf(target) !== x.size) {
    throw new RangeError(
      `reshape: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) to ${fmtShape(shape)} (${sizeOf(target)} elements)`,
    );
  }
  const out = Tensor.view(x, target, 'reshape');
  record('Reshape', [x], [out], {});
  return out;
}
defineGrad('Reshape', ({ dys, inputs }) => [reshape(dys[0]!, inputs[0]!.shape)]);

export interface ReduceOptions {
  keepdims?: boolean;
}

/** The output shape of reducing `axes` of `shape`, with or without kept dims. */
export function reducedShape(shape: Shape, axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

export type ReduceKernel = 'Sum' | 'Prod' | 'Max' | 'Min' | 'Any' | 'All';

export function reduce(
  name: ReduceKernel,
  op: string,
  x: Tensor,
  axis: number | readonly number[] | undefined,
  opts: ReduceOptions,
  dtype: DType,
): Tensor {
  const axes = normAxes(op, axis, x.rank);
  const keepdims = opts.keepdims ?? false;
  let input = x;
  if (name === 'Any' || name === 'All') {
    if (x.dtype !== 'bool') input = cast(x, 'bool');
  } else if (x.dtype !== dtype) input = cast(x, dtype);
  if (axes.length === 0) return input === x ? reshape(x, x.shape) : input;
  const out = apply(name, [input], { axes }, [{ shape: reducedShape(x.shape, axes, false), dtype }])[0]!;
  return keepdims ? reshape(out, reducedShape(x.shape, axes, true)) : out;
}

export const numeric = (x: Tensor): DType => (x.dtype === 'bool' ? 'int32' : x.dtype);

/** Sum over `axis` (all axes when omitted). bool sums to int32. */
export function sum(x: Tensor, axis?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  return reduce('Sum', 'sum', x, axis, opts, numeric(x));
}

/** An index tensor as int32 (bool is cast; float32 is an error naming `op`). */
export function checkIndex(op: string, index: Tensor): Tensor {
  if (index.dtype === 'float32') throw new TypeError(`${op}: index must be int32, got float32`);
  return index.dtype === 'bool' ? cast(index, 'int32') : index;
}

/** Host-side bounds check of an index tensor: a clear error instead of garbage from a kernel. */
export function checkBounds(op: string, index: Tensor, n: number, what: string): void {
  // Needs a synchronous read; backends that cannot do one check (or clamp) in their kernels.
  if (index.backend.canReadSync === false) return;
  let v: ArrayLike<number>;
  try {
    v = index.dataSync();
  } catch {
    // This backend cannot read this tensor synchronously (WebGPU): its kernels clamp instead.
    return;
  }
  for (let i = 0; i < v.length; i++) {
    const k = v[i]!;
    if (k < 0 || k >= n) throw new RangeError(`${op}: index ${k} is out of range for ${what} of size ${n}`);
  }
}

/** Whole slices of `x` along `axis`, chosen by a 1-D int32 index. */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normAxis('indexSelect', axis, x.rank);
  let idx = checkIndex('indexSelect', index);
  if (idx.rank === 0) idx = reshape(idx, [1]);
  if (idx.rank !== 1)
    throw new RangeError(`indexSelect: index must be 1-D, got shape ${fmtShape(index.shape)}`);
  checkBounds('indexSelect', idx, x.shape[a]!, `dim ${a}`);
  const shape = [...x.shape];
  shape[a] = idx.size;
  return apply('IndexSelect', [x, idx], { axis: a }, [{ shape, dtype: x.dtype }])[0]!;
}

/** Running product along `axis`. */
export function cumprod(x: Tensor, axis: number, options: { reverse?: boolean } = {}): Tensor {
  const a = normAxis('cumprod', axis, Math.max(x.rank, 1));
  const input = x.dtype === 'bool' ? cast(x, 'int32') : x;
  if (x.rank === 0) return reshape(input, []);
  return apply('Cumprod', [input], { axis: a, reverse: options.reverse ?? false }, [
    { shape: x.shape, dtype: input.dtype },
  ])[0]!;
}
