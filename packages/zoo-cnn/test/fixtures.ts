import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Tensor, tensor } from '@myelin/core';

/** A model's parameter count and state-dict layout as torchvision builds it. */
export interface Layout {
  params: number;
  state: [string, number[]][];
}

/** A module filled by the formula and its eval-mode output on the formula input (t = 0). */
export interface OutputCase {
  input_shape: number[];
  tensors: [number, number][];
  output_shape: number[];
  output: number[];
}

export interface TorchvisionFixture {
  torch: string;
  torchvision: string;
  models: Record<string, Layout>;
  outputs: Record<string, OutputCase>;
  resnet18: { input_shape: number[]; tensors: [number, number][]; logits: number[] };
}

export const fixture: TorchvisionFixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/torchvision.json', import.meta.url)), 'utf8'),
);

/** lowbias32, as tools/gen_zoo_cnn_fixtures.py: an integer hash whose bits JS and NumPy agree on. */
function hash32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * The generator's formula: offset + scale · k / 1024, k = hash32(i + t · 0x9E3779B9) mod 2001 − 1000,
 * for element i of tensor t. Every term is a dyadic rational, so float32 rounding cannot differ.
 */
export function formula(t: number, size: number, scale: number, offset: number): Float32Array {
  const out = new Float32Array(size);
  const base = Math.imul(t, 0x9e3779b9) >>> 0;
  for (let i = 0; i < size; i++) {
    const k = (hash32((i + base) >>> 0) % 2001) - 1000;
    out[i] = offset + scale * (k / 1024);
  }
  return out;
}

/** The generator's values for a state-dict layout, as tensors by name. */
export function formulaState(
  layout: [string, number[]][],
  tensors: [number, number][],
): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  layout.forEach(([key, shape], i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    if (key.endsWith('num_batches_tracked'))
      out[key] = tensor(new Int32Array(size), { shape, dtype: 'int32' });
    else {
      const [scale, offset] = tensors[i]!;
      out[key] = tensor(formula(i + 1, size, scale, offset), { shape });
    }
  });
  return out;
}
