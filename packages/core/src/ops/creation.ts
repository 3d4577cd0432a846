import { type DType, type TypedArray, toTypedArray, typedArrayFor } from '../dtype.js';
import { checkAlloc, fromValues } from '../engine.js';
import { assertShape, fmtShape, type Shape, sizeOf } from '../shape.js';
import type { NestedArray } from '../tensor.js';
import { Tensor, type TensorLike } from '../tensor.js';

/** Options of the creation ops: the dtype and, as torch's `requires_grad=True`, a recording leaf. */
export interface DTypeOption {
  dtype?: DType;
  /** Make the result a leaf that requires grad (float32 only), as `t.requiresGrad = true`. */
  requiresGrad?: boolean;
}

/**
 * Check a creation op's options object: a key the op does not know (a typo, or torch's
 * `requires_grad` spelling) is an error naming the op and the keys it takes, never silently ignored.
 * @internal
 */
export function checkOptions(op: string, options: object, known: readonly string[]): void {
  if (options === null || typeof options !== 'object')
    throw new TypeError(
      `${op}: options must be an object, got ${options === null ? 'null' : typeof options}`,
    );
  for (const key of Object.keys(options)) {
    if (!known.includes(key) && key !== 'requiresGrad')
      throw new TypeError(
        `${op}: unknown option ${JSON.stringify(key)}; it takes ${[...known, 'requiresGrad'].join(', ')}`,
      );
  }
}

/** Apply `requiresGrad` from a creation op's options to its fresh result. @internal */
export function finishCreation(op: string, t: Tensor, options: { requiresGrad?: boolean }): Tensor {
  if (options.requiresGrad === undefined || options.requiresGrad === false) return t;
  if (options.requiresGrad !== true)
    throw new TypeError(`${op}: requiresGrad must be a boolean, got ${typeof options.requiresGrad}`);
  if (t.dtype !== 'float32') {
    t.dispose();
    throw new TypeError(`${op}: only float32 tensors can require grad; this one is ${t.dtype}`);
  }
  t.requiresGrad = true;
  return t;
}

type Values = number | boolean | TypedArray | readonly (number | boolean)[] | readonly NestedArray[];

function inferShape(v: unknown): number[] {
  const shape: number[] = [];
  let cur = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

/** How a bad entry reads in an error: its type and, for short values, the value. */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)})`;
  if (typeof v === 'object') return `an object (${Object.prototype.toString.call(v)})`;
  return `${typeof v === 'undefined' ? 'undefined' : `a ${typeof v}`}`;
}

function fmtPath(path: readonly number[]): string {
  return `values${path.map((i) => `[${i}]`).join('')}`;
}

/** Flatten a nested array of `shape` into `out`, checking every length and every entry. */
function flatten(v: unknown, shape: number[], path: number[], out: (number | boolean)[]): void {
  const dim = path.length;
  if (dim === shape.length) {
    if (typeof v !== 'number' && typeof v !== 'boolean') {
      throw new TypeError(
        Array.isArray(v)
          ? `tensor: ragged nested array: ${fmtPath(path)} is ${describe(v)} where a value was expected (depth ${dim})`
          : `tensor: ${fmtPath(path)} is ${describe(v)}; expected a number or a boolean`,
      );
    }
    out.push(v);
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[dim]) {
    throw new RangeError(
      `tensor: ragged nested array: ${fmtPath(path)} is ${describe(v)} but ${fmtPath([...path.slice(0, -1), 0])} suggests length ${shape[dim]}`,
    );
  }
  for (let i = 0; i < v.length; i++) {
    path.push(i);
    flatten(v[i], shape, path, out);
    path.pop();
  }
}

/** The dtype a typed array holds; other typed arrays are rejected rather than misread. */
function dtypeOfTyped(a: ArrayBufferView): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array) return 'bool';
  throw new TypeError(
    `tensor: a ${a.constructor.name} cannot be used directly; pass a Float32Array, an Int32Array, a Uint8Array (bool) or a plain array`,
  );
}

/**
 * Create a tensor from nested arrays, a flat array or typed array plus `shape`, or a single value.
 * float32 unless `dtype` says otherwise (booleans give bool, an Int32Array int32). Every entry must
 * be a number or a boolean and nested arrays must be rectangular: anything else is an error that
 * names the entry, never a NaN.
 * @example tensor([[1, 2], [3, 4]]) · tensor(new Float32Array(6), { shape: [2, 3] })
 */
export function tensor(values: Values, options: DTypeOption & { shape?: Shape } = {}): Tensor {
  checkOptions('tensor', options, ['dtype', 'shape']);
  let flat: ArrayLike<number | boolean>;
  let shape: number[];
  let inferred: DType;
  if (ArrayBuffer.isView(values)) {
    inferred = dtypeOfTyped(values);
    flat = values;
    shape = [values.length];
  } else if (Array.isArray(values)) {
    shape = inferShape(values);
    const out: (number | boolean)[] = [];
    flatten(values, shape, [], out);
    flat = out;
    inferred = out.length > 0 && typeof out[0] === 'boolean' ? 'bool' : 'float32';
  } else if (typeof values === 'number' || typeof values === 'boolean') {
    flat = [values];
    shape = [];
    inferred = typeof values === 'boolean' ? 'bool' : 'float32';
  } else {
    throw new TypeError(
      `tensor: values must be a number, a boolean, an array or a typed array, got ${describe(values)}`,
    );
  }
  if (options.shape) {
    assertShape('tensor', options.shape);
    if (sizeOf(options.shape) !== flat.length) {
      throw new RangeError(
        `tensor: ${flat.length} values cannot fill shape ${fmtShape(options.shape)} (${sizeOf(options.shape)} elements)`,
      );
    }
    shape = [...options.shape];
  }
  const dtype = options.dtype ?? inferred;
  checkAlloc('tensor', shape, dtype);
  const data =
    ArrayBuffer.isView(flat) && dtypeOfTyped(flat as TypedArray) === dtype
      ? (flat as TypedArray).slice()
      : toTypedArray(flat, dtype);
  return finishCreation('tensor', fromValues(data, shape, dtype), options);
}

export function scalar(value: number | boolean, dtype?: DType): Tensor {
  return tensor(value, dtype ? { dtype } : {});
}

export function full(shape: Shape, value: number | boolean, options: DTypeOption = {}): Tensor {
  return fullNamed('full', shape, value, options);
}

function fullNamed(op: string, shape: Shape, value: number | boolean, options: DTypeOption): Tensor {
  checkOptions(op, options, ['dtype']);
  const dtype = options.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  checkAlloc(op, shape, dtype, undefined, true);
  const data = typedArrayFor(dtype, sizeOf(shape));
  data.fill(dtype === 'bool' ? (value ? 1 : 0) : Number(value));
  return finishCreation(op, fromValues(data, shape, dtype, op), options);
}

export function zeros(shape: Shape, options: DTypeOption = {}): Tensor {
  return fullNamed('zeros', shape, 0, options);
}

export function ones(shape: Shape, options: DTypeOption = {}): Tensor {
  return fullNamed('ones', shape, 1, options);
}

export function zerosLike(x: Tensor, options: DTypeOption = {}): Tensor {
  return fullNamed('zerosLike', x.shape, 0, { ...options, dtype: options.dtype ?? x.dtype });
}

export function onesLike(x: Tensor, options: DTypeOption = {}): Tensor {
  return fullNamed('onesLike', x.shape, 1, { ...options, dtype: options.dtype ?? x.dtype });
}

export function fullLike(x: Tensor, value: number | boolean, options: DTypeOption = {}): Tensor {
  return fullNamed('fullLike', x.shape, value, { ...options, dtype: options.dtype ?? x.dtype });
}

/**
 * `arange(stop)` or `arange(start, stop, step = 1)`: int32 when every argument is an integer,
 * float32 otherwise (or as `dtype` says). Length ceil((stop - start) / step), as PyTorch.
 */
export function arange(start: number, stop?: number, step = 1, options: DTypeOption = {}): Tensor {
  checkOptions('arange', options, ['dtype']);
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0 || !Number.isFinite(step))
    throw new RangeError(`arange: step must be finite and non-zero, got ${step}`);
  if (!Number.isFinite(start) || !Number.isFinite(stop))
    throw new RangeError(`arange: start and stop must be finite numbers, got start=${start} stop=${stop}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const dtype = options.dtype ?? ([start, stop, step].every(Number.isInteger) ? 'int32' : 'float32');
  checkAlloc('arange', [n], dtype, undefined, true);
  const data = typedArrayFor(dtype, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return finishCreation('arange', fromValues(data, [n], dtype, 'arange'), options);
}

/** `num` evenly spaced float32 values from `start` to `stop` inclusive. */
export function linspace(start: number, stop: number, num: number): Tensor {
  if (!Number.isInteger(num) || num < 0)
    throw new RangeError(`linspace: num must be a non-negative integer, got ${num}`);
  checkAlloc('linspace', [num], 'float32', undefined, true);
  const data = new Float32Array(num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  // Fill from both ends, as PyTorch, so the last value is exactly `stop`.
  const half = Math.floor(num / 2);
  for (let i = 0; i < num; i++) data[i] = i < half ? start + step * i : stop - step * (num - 1 - i);
  if (num === 1) data[0] = start;
  return fromValues(data, [num], 'float32', 'linspace');
}

/** Identity matrix of shape [n, m] (m defaults to n). */
export function eye(n: number, m = n, options: DTypeOption = {}): Tensor {
  checkOptions('eye', options, ['dtype']);
  const dtype = options.dtype ?? 'float32';
  checkAlloc('eye', [n, m], dtype, undefined, true);
  const data = typedArrayFor(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return finishCreation('eye', fromValues(data, [n, m], dtype, 'eye'), options);
}

/**
 * Turn a JS number into a tensor for an op with `other`: a "weak" scalar that takes `other`'s dtype
 * when it fits (an integer with an int32 tensor), as PyTorch treats Python scalars.
 */
export function toTensor(v: TensorLike, other?: Tensor | DType): Tensor {
  if (v instanceof Tensor) return v;
  const od = other === undefined ? undefined : typeof other === 'string' ? other : other.dtype;
  if (typeof v === 'boolean') return scalar(v, od === undefined || od === 'bool' ? 'bool' : od);
  if (typeof v !== 'number') throw new TypeError(`expected a tensor or a number, got ${typeof v}`);
  if (od === 'float32' || od === undefined) return scalar(v, 'float32');
  return scalar(v, Number.isInteger(v) ? 'int32' : 'float32');
}
