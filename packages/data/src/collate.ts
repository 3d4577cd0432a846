import { type DType, isTensor, scope, stack, type Tensor, tensor } from '@myelin/core';
import { isPlainObject } from './tensors.js';

/** Typed arrays `collate` stacks into a `[N, length]` tensor. */
export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint8ClampedArray
  | Uint16Array
  | Uint32Array;

/**
 * What `collate` makes of a list of elements of type `T`: tensors, numbers, booleans and typed
 * arrays become one tensor; strings a string array; arrays and plain objects are collated field by
 * field.
 */
export type Collated<T> = T extends Tensor | number | boolean | NumericArray
  ? Tensor
  : T extends string
    ? string[]
    : T extends null | undefined
      ? T[]
      : T extends readonly unknown[]
        ? { -readonly [K in keyof T]: Collated<T[K]> }
        : T extends object
          ? { -readonly [K in keyof T]: Collated<T[K]> }
          : T[];

/**
 * Turn a list of elements into a batch, as PyTorch's `default_collate`:
 * - tensors of one shape → `stack` (a new leading batch dim);
 * - numbers → a 1-D tensor, int32 when every number is an integer in int32 range, float32 otherwise
 *   (JavaScript has one number type, so the values decide; give a typed array or a tensor for a
 *   fixed dtype);
 * - booleans → a bool tensor; typed arrays of one length → `[N, length]` (float32 for
 *   Float32Array/Float64Array, int32 for integer arrays);
 * - strings, `null` and anything else → the plain array of them;
 * - arrays (tuples) and plain objects → collated position by position / key by key, so a list of
 *   `{ x, y }` gives `{ x: stack(xs), y: stack(ys) }` and a list of `[x, y]` gives `[X, Y]`.
 *
 * The inputs are not disposed (a `DataLoader` disposes the elements it collated).
 *
 * @example
 * collate([{ x: tensor([1, 2]), y: 0 }, { x: tensor([3, 4]), y: 1 }]);
 * // { x: Tensor [2, 2] float32, y: Tensor [2] int32 }
 */
export function collate<T>(items: readonly T[]): Collated<T> {
  if (items.length === 0) throw new RangeError('collate: needs at least one element');
  return collateAt(items, 'batch') as Collated<T>;
}

function collateAt(items: readonly unknown[], path: string): unknown {
  const first = items[0];
  if (isTensor(first)) {
    const ts = items.map((x, i) => {
      if (!isTensor(x)) throw new TypeError(`collate: ${path}[${i}] is ${describe(x)}, expected a tensor`);
      return x;
    });
    return scope(() => stack(ts));
  }
  if (typeof first === 'number') return collateNumbers(items, path);
  if (typeof first === 'boolean') {
    const out = new Uint8Array(items.length);
    items.forEach((x, i) => {
      if (typeof x !== 'boolean')
        throw new TypeError(`collate: ${path}[${i}] is ${describe(x)}, expected a boolean`);
      out[i] = x ? 1 : 0;
    });
    return tensor(out, { dtype: 'bool' });
  }
  if (isNumericArray(first)) return collateTypedArrays(items, first, path);
  if (Array.isArray(first)) {
    const n = first.length;
    items.forEach((x, i) => {
      if (!Array.isArray(x) || x.length !== n) {
        throw new TypeError(`collate: ${path}[${i}] is ${describe(x)}, expected an array of length ${n}`);
      }
    });
    return Array.from({ length: n }, (_, k) =>
      collateAt(
        items.map((x) => (x as unknown[])[k]),
        `${path}[*][${k}]`,
      ),
    );
  }
  if (isPlainObject(first)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) {
      out[key] = collateAt(
        items.map((x, i) => {
          if (!isPlainObject(x) || !(key in x))
            throw new TypeError(`collate: ${path}[${i}] has no key '${key}' (element 0 has it)`);
          return x[key];
        }),
        `${path}[*].${key}`,
      );
    }
    return out;
  }
  return [...items];
}

function collateNumbers(items: readonly unknown[], path: string): Tensor {
  let ints = true;
  items.forEach((x, i) => {
    if (typeof x !== 'number')
      throw new TypeError(`collate: ${path}[${i}] is ${describe(x)}, expected a number`);
    if (!Number.isInteger(x) || x < -2147483648 || x > 2147483647) ints = false;
  });
  const values = items as readonly number[];
  return ints
    ? tensor(Int32Array.from(values), { dtype: 'int32' })
    : tensor(Float32Array.from(values), { dtype: 'float32' });
}

function collateTypedArrays(items: readonly unknown[], first: NumericArray, path: string): Tensor {
  const len = first.length;
  const dtype: DType = first instanceof Float32Array || first instanceof Float64Array ? 'float32' : 'int32';
  const out = dtype === 'float32' ? new Float32Array(items.length * len) : new Int32Array(items.length * len);
  items.forEach((x, i) => {
    if (!isNumericArray(x) || x.length !== len) {
      throw new TypeError(
        `collate: ${path}[${i}] is ${describe(x)}, expected a typed array of length ${len}`,
      );
    }
    out.set(x, i * len);
  });
  return tensor(out, { dtype, shape: [items.length, len] });
}

export function isNumericArray(v: unknown): v is NumericArray {
  return (
    ArrayBuffer.isView(v) &&
    !(v instanceof DataView) &&
    !(v instanceof BigInt64Array || v instanceof BigUint64Array)
  );
}

function describe(v: unknown): string {
  if (isTensor(v)) return `a tensor [${v.shape.join(', ')}]`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (isNumericArray(v)) return `a ${v.constructor.name} of length ${v.length}`;
  return v === null ? 'null' : typeof v;
}
