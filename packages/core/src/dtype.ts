/** Element types a tensor can hold. `bool` is stored as one byte per element (0 or 1). */
export type DType = 'float32' | 'int32' | 'bool';

export const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

export type TypedArray = Float32Array | Int32Array | Uint8Array;

/** The typed array that backs each dtype on the host. */
export type TypedArrayFor<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'int32'
    ? Int32Array
    : Uint8Array;

export function typedArrayFor(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}

export function bytesPerElement(dtype: DType): number {
  return dtype === 'bool' ? 1 : 4;
}

/** Copy `values` into a fresh typed array of `dtype`, converting as a cast would (int32 truncates toward zero). */
export function toTypedArray(values: ArrayLike<number | boolean>, dtype: DType): TypedArray {
  const out = typedArrayFor(dtype, values.length);
  if (dtype === 'bool') {
    for (let i = 0; i < values.length; i++) out[i] = values[i] ? 1 : 0;
  } else {
    for (let i = 0; i < values.length; i++) out[i] = Number(values[i]);
  }
  return out;
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2 };

/** NumPy/PyTorch-style promotion: bool < int32 < float32. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32';
}

export function assertDType(op: string, got: DType, allowed: readonly DType[], what = 'input'): void {
  if (!allowed.includes(got)) {
    throw new TypeError(`${op}: ${what} has dtype ${got}, expected ${allowed.join(' or ')}`);
  }
}
