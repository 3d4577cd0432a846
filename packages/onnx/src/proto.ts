import type { DType, TypedArray } from '@myelin/core';
import onnxProto from 'onnx-proto';

/** The protobuf classes of ONNX's schema (`onnx.proto`, compiled by protobufjs in `onnx-proto`). */
export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type IModelProto = onnxProto.onnx.IModelProto;
export type IGraphProto = onnxProto.onnx.IGraphProto;
export type INodeProto = onnxProto.onnx.INodeProto;
export type ITensorProto = onnxProto.onnx.ITensorProto;
export type IAttributeProto = onnxProto.onnx.IAttributeProto;
export type IValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** The opset every exported model declares, and the IR version that goes with it (ONNX 1.12). */
export const OPSET = 17;
export const IR_VERSION = 8;

/** ONNX `TensorProto.DataType` codes used here. */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;

export const ONNX_DTYPE: Record<DType, number> = { float32: DT.FLOAT, int32: DT.INT32, bool: DT.BOOL };

/** A protobuf int64 (a Long from protobufjs, or a number) as a safe JavaScript integer. */
export function num(v: number | { toNumber(): number } | null | undefined, what = 'value'): number {
  if (v === null || v === undefined) return 0;
  const n = typeof v === 'number' ? v : v.toNumber();
  if (!Number.isSafeInteger(n) && Number.isFinite(n) && Math.abs(n) >= 2 ** 53) {
    // int64 sentinels (INT64_MAX/MIN in Slice ends) are clamped by the ops that read them.
    return n > 0 ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
  }
  if (!Number.isFinite(n)) throw new RangeError(`onnx: ${what} is not a finite integer`);
  return n;
}

/** Attribute constructors, one per ONNX attribute type. */
export const attr = {
  int: (name: string, i: number): IAttributeProto => ({
    name,
    type: onnx.AttributeProto.AttributeType.INT,
    i,
  }),
  ints: (name: string, ints: readonly number[]): IAttributeProto => ({
    name,
    type: onnx.AttributeProto.AttributeType.INTS,
    ints: [...ints],
  }),
  float: (name: string, f: number): IAttributeProto => ({
    name,
    type: onnx.AttributeProto.AttributeType.FLOAT,
    f,
  }),
  string: (name: string, s: string): IAttributeProto => ({
    name,
    type: onnx.AttributeProto.AttributeType.STRING,
    s: new TextEncoder().encode(s),
  }),
  tensor: (name: string, t: ITensorProto): IAttributeProto => ({
    name,
    type: onnx.AttributeProto.AttributeType.TENSOR,
    t,
  }),
};

/** A TensorProto holding `values` (float32, int32, int64 or bool) as little-endian raw data. */
export function tensorProto(
  name: string,
  dims: readonly number[],
  values: TypedArray | readonly number[],
  dataType: number,
): ITensorProto {
  let raw: Uint8Array;
  if (dataType === DT.FLOAT) raw = new Uint8Array(Float32Array.from(values as ArrayLike<number>).buffer);
  else if (dataType === DT.INT32) raw = new Uint8Array(Int32Array.from(values as ArrayLike<number>).buffer);
  else if (dataType === DT.INT64) {
    const big = new BigInt64Array(values.length);
    for (let i = 0; i < values.length; i++) big[i] = BigInt(Math.trunc(Number(values[i])));
    raw = new Uint8Array(big.buffer);
  } else if (dataType === DT.BOOL) raw = Uint8Array.from(values as ArrayLike<number>, (v) => (v ? 1 : 0));
  else throw new TypeError(`tensorProto: data type ${dataType} is not written by this exporter`);
  return { name, dims: [...dims], dataType, rawData: raw };
}

/** A ValueInfoProto: a graph input or output with its element type and shape (a string dim is symbolic). */
export function valueInfo(
  name: string,
  dataType: number,
  dims: readonly (number | string)[],
): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: dataType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}
