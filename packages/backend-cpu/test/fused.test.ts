import type { BiasActivation, Shape } from '@myelin/core';
import { sizeOf } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { expectClose, f32, fround, indices, offsetOf, randoms, run1 } from './helpers.js';

/** Naive layer norm: each run of `size` elements, mean and biased variance from their definitions. */
function layerNormRef(x: ArrayLike<number>, size: number, eps: number): number[] {
  const out: number[] = [];
  for (let base = 0; base < x.length; base += size) {
    const row = Array.from({ length: size }, (_, j) => x[base + j]!);
    const mean = row.reduce((a, v) => a + v, 0) / size;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / size;
    for (const v of row) out.push((v - mean) / Math.sqrt(variance + eps));
  }
  return out;
}

/** erf by its Maclaurin series (|x| < 3) or the asymptotic continued fraction, for the gelu reference. */
function erfRef(x: number): number {
  const ax = Math.abs(x);
  if (ax > 5) return Math.sign(x);
  let term = ax;
  let sum = ax;
  for (let n = 1; n < 200; n++) {
    term *= (-ax * ax) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
}

const ACTS: Record<BiasActivation, (z: number) => number> = {
  none: (z) => z,
  relu: (z) => Math.max(z, 0),
  gelu: (z) => 0.5 * z * (1 + erfRef(z / Math.SQRT2)),
  tanh: (z) => Math.tanh(z),
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  silu: (z) => z / (1 + Math.exp(-z)),
};

/** Naive bias + activation: every element reads the bias at its own coordinate along `axis`. */
function biasActRef(
  x: ArrayLike<number>,
  shape: Shape,
  b: ArrayLike<number>,
  axis: number,
  act: BiasActivation,
): number[] {
  const out = new Array<number>(sizeOf(shape));
  for (const idx of indices(shape)) {
    const o = offsetOf(shape, idx);
    out[o] = ACTS[act](Math.fround(x[o]! + b[idx[axis]!]!));
  }
  return out;
}

describe('LayerNorm', () => {
  const cases: [Shape, number][] = [
    [[1, 1], 1],
    [[3, 7], 7],
    [[5, 13], 13],
    [[2, 3, 11], 33],
    [[2, 3, 11], 11],
    [[4, 257], 257],
    [[1, 1031], 1031],
  ];
  for (const [shape, size] of cases) {
    it(`normalises runs of ${size} in ${JSON.stringify(shape)} as the closed form`, () => {
      const x = randoms(sizeOf(shape), size + 3, -3, 5);
      for (const eps of [1e-5, 0.1]) {
        expectClose(
          run1('LayerNorm', [f32(x, shape)], { size, eps }, shape),
          fround(layerNormRef(x, size, eps)),
          {
            rtol: 1e-5,
            atol: 1e-5,
          },
        );
      }
    });
  }

  it('a constant row gives zeros (0 / sqrt(eps)); a single element gives 0', () => {
    expect([...run1('LayerNorm', [f32([2.5, 2.5, 2.5], [1, 3])], { size: 3, eps: 1e-5 }, [1, 3])]).toEqual([
      0, 0, 0,
    ]);
    expect([...run1('LayerNorm', [f32([7], [1, 1])], { size: 1, eps: 1e-5 }, [1, 1])]).toEqual([0]);
  });

  it('keeps precision with a large offset (float64 accumulation)', () => {
    const x = Float32Array.from({ length: 101 }, (_, i) => 1e4 + (i % 7) * 0.25);
    expectClose(
      run1('LayerNorm', [f32(x, [1, 101])], { size: 101, eps: 1e-5 }, [1, 101]),
      fround(layerNormRef(x, 101, 1e-5)),
      {
        rtol: 1e-5,
        atol: 1e-5,
      },
    );
  });

  it('NaN in a row makes that row NaN only; empty input gives empty output', () => {
    const out = run1('LayerNorm', [f32([1, Number.NaN, 3, 1, 2, 3], [2, 3])], { size: 3, eps: 1e-5 }, [2, 3]);
    expect([...out.slice(0, 3)].every(Number.isNaN)).toBe(true);
    expectClose(out.slice(3), fround(layerNormRef([1, 2, 3], 3, 1e-5)));
    expect(run1('LayerNorm', [f32([], [0, 4])], { size: 4, eps: 1e-5 }, [0, 4]).length).toBe(0);
  });
});

describe('BiasAct', () => {
  const cases: [Shape, number][] = [
    [[5], 0],
    [[3, 7], 1],
    [[3, 7], -1],
    [[3, 7], 0],
    [[2, 5, 3, 3], 1],
    [[2, 5, 3, 3], 0],
    [[2, 5, 3, 3], 3],
    [[3, 4, 5], 1],
    [[1, 9, 1], 1],
  ];
  const activations: BiasActivation[] = ['none', 'relu', 'gelu', 'tanh', 'sigmoid', 'silu'];
  for (const [shape, given] of cases) {
    const axis = given < 0 ? shape.length + given : given;
    it(`adds the bias along axis ${given} of ${JSON.stringify(shape)} under every activation`, () => {
      const x = randoms(sizeOf(shape), shape.length * 11 + axis, -4, 4);
      const b = randoms(shape[axis]!, axis + 5, -2, 2);
      for (const activation of activations) {
        const got = run1('BiasAct', [f32(x, shape), f32(b, [b.length])], { axis, activation }, shape);
        expectClose(got, fround(biasActRef(x, shape, b, axis, activation)), { rtol: 1e-6, atol: 1e-7 });
      }
    });
  }

  it("'none' and 'relu' are exact: the float32 sum, then max(., 0)", () => {
    const x = f32([1e8, -3, 0.1, 2], [2, 2]);
    const b = f32([1, 0.2]);
    expect([...run1('BiasAct', [x, b], { axis: 1, activation: 'none' }, [2, 2])]).toEqual(
      fround([1e8 + 1, -3 + 0.2, Math.fround(0.1) + 1, 2 + Math.fround(0.2)]),
    );
    expect([...run1('BiasAct', [x, b], { axis: 1, activation: 'relu' }, [2, 2])]).toEqual(
      fround([1e8, 0, Math.fround(0.1) + 1, 2 + Math.fround(0.2)]),
    );
  });

  it('extreme inputs: saturating activations, NaN propagates, gelu of very negative is -0 / tiny', () => {
    const x = f32([-1000, 1000, Number.NaN, -40], [4]);
    const zero = f32([0, 0, 0, 0]);
    expect([...run1('BiasAct', [x, zero], { axis: 0, activation: 'sigmoid' }, [4])].slice(0, 2)).toEqual([
      0, 1,
    ]);
    expect([...run1('BiasAct', [x, zero], { axis: 0, activation: 'tanh' }, [4])].slice(0, 2)).toEqual([
      -1, 1,
    ]);
    const g = run1('BiasAct', [x, zero], { axis: 0, activation: 'gelu' }, [4]);
    expect(g[1]).toBe(1000);
    expect(Number.isNaN(g[2])).toBe(true);
    expect(Math.abs(g[3]!)).toBeLessThan(1e-30);
    expect(Number.isNaN(run1('BiasAct', [x, zero], { axis: 0, activation: 'relu' }, [4])[2])).toBe(true);
  });
});
