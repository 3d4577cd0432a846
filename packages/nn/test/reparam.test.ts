import { readFileSync } from 'node:fs';
import { type Module, memory, scope, type Tensor, variable } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index.js';
import { Linear, removeSpectralNorm, removeWeightNorm, spectralNorm, weightNorm } from '../src/index.js';
import { compare, type RawTensor, toTensor } from './fixtures.js';

// torch.nn.utils.weight_norm / spectral_norm (PyTorch 1.13) from tools/gen_nn21_sample_fixtures.py:
// the state dict PyTorch builds (names and order), outputs and gradients of input and parameters
// for a seeded cotangent, and spectral norm's u/v buffers after each training-mode forward.
interface Spec {
  class: string;
  args: number[];
}
interface Step {
  output: RawTensor;
  cotangent: RawTensor;
  inputGrad: RawTensor;
  paramGrads: Record<string, RawTensor>;
}
interface WnCase extends Step {
  name: string;
  module: Spec;
  dim: number | null;
  state: Record<string, RawTensor>;
  input: RawTensor;
  weight: RawTensor;
}
interface SnCase {
  name: string;
  module: Spec;
  nPowerIterations: number;
  dim: number | null;
  state: Record<string, RawTensor>;
  input: RawTensor;
  train: (Step & { u: RawTensor; v: RawTensor })[];
  eval: Step & { state: Record<string, RawTensor> };
}
const fixtures = JSON.parse(
  readFileSync(new URL('../fixtures/nn21-sample.json', import.meta.url), 'utf8'),
) as { reparam: { weightNorm: WnCase[]; spectralNorm: SnCase[] } };

const VAL = [1e-4, 1e-5] as const;
const GRAD = [1e-3, 1e-4] as const;

function build(spec: Spec): Module & { forward(x: Tensor): Tensor } {
  const Cls = (
    nn as unknown as Record<string, new (...a: number[]) => Module & { forward(x: Tensor): Tensor }>
  )[spec.class]!;
  return new Cls(...spec.args);
}

const load = (m: Module, state: Record<string, RawTensor>) =>
  scope(() => {
    m.loadStateDict(Object.fromEntries(Object.entries(state).map(([k, v]) => [k, toTensor(v)])));
  });

/** Forward + backward of <out, cotangent>; the mismatches against PyTorch's step. */
function step(m: Module & { forward(x: Tensor): Tensor }, input: RawTensor, want: Step): string[] {
  const errors: string[] = [];
  scope(() => {
    const x = variable(toTensor(input));
    const y = m.forward(x);
    errors.push(compare('output', y, want.output, ...VAL) ?? '');
    y.mul(toTensor(want.cotangent)).sum().backward();
    errors.push(compare('input grad', x.grad!, want.inputGrad, ...GRAD) ?? '');
    const params = Object.fromEntries(m.namedParameters());
    for (const [k, g] of Object.entries(want.paramGrads))
      errors.push(
        params[k] ? (compare(`grad of ${k}`, params[k]!.grad!, g, ...GRAD) ?? '') : `no parameter ${k}`,
      );
    m.zeroGrad();
    x.dispose();
  });
  return errors.filter(Boolean);
}

describe('weightNorm matches torch.nn.utils.weight_norm', () => {
  it.each(fixtures.reparam.weightNorm.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const m = weightNorm(build(c.module), { dim: c.dim });
    // PyTorch's names and order: bias, weight_g, weight_v.
    expect(Object.keys(m.stateDict())).toEqual(Object.keys(c.state));
    load(m, c.state);
    const before = memory().tensors;
    expect(step(m, c.input, c)).toEqual([]);
    expect(memory().tensors).toBe(before);
    scope(() => {
      expect(compare('weight', (m as unknown as { weight: Tensor }).weight, c.weight, ...VAL)).toBeNull();
    });
    removeWeightNorm(m);
    expect(Object.keys(m.stateDict()).sort()).toEqual(['bias', 'weight']);
    expect(compare('weight after remove', m.stateDict().weight!, c.weight, ...VAL)).toBeNull();
    m.dispose();
  });
});

describe('spectralNorm matches torch.nn.utils.spectral_norm', () => {
  it.each(fixtures.reparam.spectralNorm.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const m = spectralNorm(build(c.module), {
      nPowerIterations: c.nPowerIterations,
      ...(c.dim === null ? {} : { dim: c.dim }),
      seed: 7,
    });
    // PyTorch's names and order: bias, weight_orig, then the buffers weight_u, weight_v.
    expect(Object.keys(m.stateDict())).toEqual(Object.keys(c.state));
    load(m, c.state);
    m.train();
    const before = memory().tensors;
    c.train.forEach((want, i) => {
      expect(step(m, c.input, want), `training forward ${i}`).toEqual([]);
      const sd = m.stateDict();
      expect(compare(`weight_u after forward ${i}`, sd.weight_u!, want.u, ...VAL)).toBeNull();
      expect(compare(`weight_v after forward ${i}`, sd.weight_v!, want.v, ...VAL)).toBeNull();
      // The power iteration replaces the buffers' values; nothing accumulates.
      expect(memory().tensors).toBe(before);
    });
    m.eval();
    expect(step(m, c.input, c.eval)).toEqual([]);
    // Eval mode leaves u and v alone.
    expect(compare('weight_u in eval', m.stateDict().weight_u!, c.train[2]!.u, ...VAL)).toBeNull();
    m.dispose();

    // PyTorch's state dict after training loads into a fresh module and gives the same eval output.
    const fresh = spectralNorm(build(c.module), {
      nPowerIterations: c.nPowerIterations,
      ...(c.dim === null ? {} : { dim: c.dim }),
    }).eval();
    load(fresh, c.eval.state);
    expect(step(fresh, c.input, c.eval)).toEqual([]);
    removeSpectralNorm(fresh);
    expect(Object.keys(fresh.stateDict()).sort()).toEqual(['bias', 'weight']);
    fresh.dispose();
  });

  it('the removed weight has spectral norm 1 after enough power iterations', () => {
    const m = spectralNorm(new Linear(6, 4), { nPowerIterations: 50, seed: 3 });
    // One training forward runs the 50 power-iteration steps on the buffers.
    scope(() => m.forward(toTensor({ shape: [1, 6], dtype: 'float32', data: [1, 2, 3, 4, 5, 6] })));
    removeSpectralNorm(m);
    // σ_max(W) = sqrt(λ_max(W Wᵀ)); power iteration on W Wᵀ from a ones vector.
    const w = m.weight.dataSync();
    const gram = Array.from({ length: 16 }, (_, k) => {
      const [i, j] = [Math.floor(k / 4), k % 4];
      let s = 0;
      for (let t = 0; t < 6; t++) s += w[i * 6 + t]! * w[j * 6 + t]!;
      return s;
    });
    let v = [1, 1, 1, 1];
    let lambda = 0;
    for (let it = 0; it < 500; it++) {
      const next = v.map((_, i) => v.reduce((s, x, j) => s + gram[i * 4 + j]! * x, 0));
      lambda = Math.hypot(...next);
      v = next.map((x) => x / lambda);
    }
    expect(Math.sqrt(lambda)).toBeCloseTo(1, 4);
    m.dispose();
  });
});

describe('reparametrisation errors name the function, the module and the parameter', () => {
  it.each([
    [
      'no such parameter',
      () => weightNorm(new Linear(2, 2), { name: 'kernel' }),
      /weightNorm: Linear has no parameter 'kernel'/,
    ],
    [
      'twice',
      () => weightNorm(weightNorm(new Linear(2, 2))),
      /weightNorm: 'weight' of Linear is already reparametrised by weight_norm/,
    ],
    [
      'spectral over weight norm',
      () => spectralNorm(weightNorm(new Linear(2, 2))),
      /spectralNorm: 'weight' of Linear is already reparametrised by weight_norm/,
    ],
    [
      'bad dim',
      () => weightNorm(new Linear(2, 2), { dim: 2 }),
      /weightNorm: dim must be null, -1 or an integer in \[0, 2\) for 'weight' of shape \[2,2\], got 2/,
    ],
    [
      'iterations',
      () => spectralNorm(new Linear(2, 2), { nPowerIterations: 0 }),
      /spectralNorm: nPowerIterations must be a positive integer, got 0/,
    ],
    [
      'spectral dim',
      () => spectralNorm(new Linear(2, 2), { dim: 3 }),
      /spectralNorm: dim must be an integer in \[0, 2\) for 'weight' of shape \[2,2\], got 3/,
    ],
    [
      'remove what is not there',
      () => removeWeightNorm(new Linear(2, 2)),
      /removeWeightNorm: weight_norm of 'weight' not found in Linear/,
    ],
    [
      'remove the other kind',
      () => removeSpectralNorm(weightNorm(new Linear(2, 2))),
      /removeSpectralNorm: spectral_norm of 'weight' not found in Linear/,
    ],
    [
      'assign the computed weight',
      () => {
        const m = weightNorm(new Linear(2, 2));
        (m as unknown as { weight: unknown }).weight = null;
      },
      /weightNorm: 'weight' of Linear is computed/,
    ],
  ])('%s', (_n, f, msg) => {
    expect(f).toThrow(msg);
  });

  it('a rejected call leaves the module as it was', () => {
    const m = new Linear(3, 2);
    expect(() => weightNorm(m, { dim: 5 })).toThrow(/weightNorm: dim must be/);
    expect(() => spectralNorm(m, { dim: -1 })).toThrow(/spectralNorm: dim must be/);
    expect(Object.keys(m.stateDict())).toEqual(['weight', 'bias']);
    expect(m.forward(toTensor({ shape: [1, 3], dtype: 'float32', data: [1, 2, 3] })).shape).toEqual([1, 2]);
    m.dispose();
  });
});
