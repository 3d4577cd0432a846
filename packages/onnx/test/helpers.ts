import { type Module, randn, type Tensor, tensor } from '@myelin/core';
import * as ort from 'onnxruntime-node';

/** Largest absolute difference between two arrays of equal length (Infinity if lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** A Myelin tensor as an ONNX Runtime tensor (float32 or int32). */
export function toOrt(t: Tensor): ort.Tensor {
  const data = t.dataSync();
  return t.dtype === 'int32'
    ? new ort.Tensor('int32', Int32Array.from(data), [...t.shape])
    : new ort.Tensor('float32', Float32Array.from(data), [...t.shape]);
}

/** Run `bytes` in ONNX Runtime on `inputs` (by the graph's input order); the outputs in order. */
export async function runOrt(bytes: Uint8Array, inputs: Tensor[]): Promise<ort.Tensor[]> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  session.inputNames.forEach((n, i) => {
    feeds[n] = toOrt(inputs[i]!);
  });
  const out = await session.run(feeds);
  const result = session.outputNames.map((n) => out[n]!);
  await session.release();
  return result;
}

/** Give every BatchNorm non-trivial running statistics, so an export that skipped them would show. */
export function randomizeBuffers(model: Module, seed: number): void {
  let s = seed;
  for (const [name, b] of model.namedBuffers()) {
    if (b.dtype !== 'float32') continue;
    const r = randn([...b.shape], { seed: s++ });
    const v = name.endsWith('running_var') ? r.abs().add(0.5) : r.mul(0.2);
    b.assign(v);
    r.dispose();
    v.dispose();
  }
}

export const ids = (values: number[], shape: number[]) =>
  tensor(Int32Array.from(values), { shape, dtype: 'int32' });
