import { readFileSync } from 'node:fs';
import { memory, scope, type Tensor, tensor, variable } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { HashedLinear, hashedIndexMap, Linear, LowRankLinear, lowRankFactorise } from '../src/index.js';

// Golden values from tools/gen_canon_gaps_fixtures.py: the hash maps from that script's own
// implementation of the hash spec, forward/backward from plain PyTorch 1.13, truncated SVDs from
// torch.linalg.svd.
interface Enc {
  shape: number[];
  data: number[];
}
interface HashedCase {
  name: string;
  inFeatures: number;
  outFeatures: number;
  buckets: number;
  hashSeed: number;
  bias: boolean;
  index: number[];
  sign: number[];
  weight: number[];
  biasValue: number[];
  x: Enc;
  C: Enc;
  y: number[];
  gradX: number[];
  gradWeight: number[];
  gradBias: number[] | null;
}
interface LowRankCase {
  name: string;
  outFeatures: number;
  inFeatures: number;
  rank: number;
  weight: number[];
  singularValues: number[];
  approx: number[];
  frobeniusError: number;
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/canon-gaps.json', import.meta.url), 'utf8')) as {
  hashed: HashedCase[];
  lowRank: LowRankCase[];
};

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    expect(Math.abs(actual[i]! - e), `element ${i}: ${actual[i]} vs ${e}`).toBeLessThanOrEqual(
      tol * (1 + Math.abs(e)),
    );
  }
}

const enc = (e: Enc): Tensor => tensor(e.data, { shape: e.shape });

describe('HashedLinear matches HashedNets (Chen et al. 2015) in plain PyTorch', () => {
  it('has its cases', () => expect(fx.hashed.length).toBe(3));

  it.each(fx.hashed.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const layer = new HashedLinear(c.inFeatures, c.outFeatures, {
      buckets: c.buckets,
      hashSeed: c.hashSeed,
      bias: c.bias,
    });
    // The index and sign maps equal the independently implemented hash's.
    const maps = layer.indexMap();
    expect(Array.from(maps.index)).toEqual(c.index);
    expect(Array.from(maps.sign)).toEqual(c.sign);
    scope(() => {
      layer.weight.assign(tensor(c.weight));
      if (c.bias) layer.bias!.assign(tensor(c.biasValue));
    });
    const before = memory().tensors;
    const x = scope(() => variable(enc(c.x)));
    scope(() => {
      const y = layer.forward(x);
      expectClose(y.dataSync(), c.y);
      y.mul(enc(c.C)).sum().backward();
    });
    expectClose(x.grad!.dataSync(), c.gradX);
    // Gradients of the virtual entries sharing a bucket add up in it.
    expectClose(layer.weight.grad!.dataSync(), c.gradWeight);
    if (c.gradBias) expectClose(layer.bias!.grad!.dataSync(), c.gradBias);
    x.grad!.dispose();
    x.dispose();
    layer.zeroGrad();
    expect(memory().tensors).toBe(before);
    layer.dispose();
  });
});

describe('HashedLinear', () => {
  it('stores only the buckets: parameters and state dict are weight [buckets] and bias [out]', () => {
    const layer = new HashedLinear(100, 100, { buckets: 1000, seed: 3 });
    expect(layer.weight.shape).toEqual([1000]);
    expect(Object.keys(layer.stateDict())).toEqual(['weight', 'bias']);
    expect(layer.numParameters()).toBe(1100);
    expect(layer.compression).toBeCloseTo(0.1, 12); // Aggarwal's 100×100 in 1000 groups
    // The hash spreads the 10⁴ entries evenly: Pearson's χ² of the bucket counts (999 degrees of
    // freedom: mean 999, sd √1998 ≈ 44.7) within 5 sd, and the signs balanced.
    const { index, sign } = layer.indexMap();
    const counts = new Float64Array(1000);
    for (const k of index) counts[k]! += 1;
    const chi2 = counts.reduce((acc, o) => acc + (o - 10) ** 2 / 10, 0);
    expect(Math.abs(chi2 - 999)).toBeLessThan(5 * Math.sqrt(1998));
    const plus = sign.reduce((n, s) => n + (s > 0 ? 1 : 0), 0);
    expect(Math.abs(plus - 5000)).toBeLessThan(4.5 * 50); // Binomial(10⁴, ½): sd 50
    layer.dispose();
  });

  it('the hash depends on the seed, and a numeric seed keys it by default', () => {
    const a = hashedIndexMap(4, 6, 5, 1).index;
    const b = hashedIndexMap(4, 6, 5, 2).index;
    expect(Array.from(a)).not.toEqual(Array.from(b));
    const layer = new HashedLinear(6, 4, { buckets: 5, seed: 1 });
    expect(layer.hashSeed).toBe(1);
    expect(Array.from(layer.indexMap().index)).toEqual(Array.from(a));
    layer.dispose();
  });

  it('with one bucket per entry and a fixed map, equals the dense layer of its virtual weight', () => {
    const layer = new HashedLinear(3, 2, { buckets: 4, seed: 5 });
    scope(() => {
      const x = tensor([
        [1, -2, 0.5],
        [0, 1, 3],
      ]);
      const v = layer.denseWeight();
      const dense = x.matmul(v, { transposeB: true }).add(layer.bias!);
      expectClose(layer.forward(x).dataSync(), dense.dataSync(), 1e-6);
      // Virtual entries are ±(a bucket value).
      const w = Array.from(layer.weight.dataSync()).map(Math.abs);
      for (const e of v.dataSync()) expect(w.some((b) => Math.abs(b - Math.abs(e)) < 1e-7)).toBe(true);
    });
    layer.dispose();
  });

  it('takes leading batch dims and an empty batch', () => {
    const layer = new HashedLinear(3, 2, { buckets: 2, seed: 0 });
    scope(() => {
      expect(layer.forward(tensor(new Float32Array(24), { shape: [2, 4, 3] })).shape).toEqual([2, 4, 2]);
      expect(layer.forward(tensor(new Float32Array(0), { shape: [0, 3] })).shape).toEqual([0, 2]);
    });
    layer.dispose();
  });

  it('a training loop is memory-flat', () => {
    const layer = new HashedLinear(4, 3, { buckets: 5, seed: 0 });
    const x = tensor([[1, 2, 3, 4]]);
    const counts: number[] = [];
    for (let s = 0; s < 4; s++) {
      scope(() => {
        layer.forward(x).square().sum().backward();
        layer.weight.assign(layer.weight.sub(layer.weight.grad!.mul(0.01)));
        layer.zeroGrad();
      });
      counts.push(memory().tensors);
    }
    expect(new Set(counts).size).toBe(1);
    x.dispose();
    layer.dispose();
  });

  it('rejects bad arguments, naming the layer', () => {
    expect(() => new HashedLinear(3, 2, { buckets: 0 })).toThrow(
      /HashedLinear: buckets must be a positive integer, got 0/,
    );
    expect(() => new HashedLinear(0, 2, { buckets: 2 })).toThrow(/HashedLinear: inFeatures/);
    expect(() => new HashedLinear(3, 2, { buckets: 2, hashSeed: -1 })).toThrow(/HashedLinear: hashSeed/);
    // biome-ignore lint/suspicious/noExplicitAny: a JavaScript caller forgetting the options
    expect(() => new (HashedLinear as any)(3, 2)).toThrow(/HashedLinear: options \{ buckets \} are required/);
    const layer = new HashedLinear(3, 2, { buckets: 2 });
    expect(() => layer.forward(tensor([[1, 2]]))).toThrow(/HashedLinear: input has 2 features .* expects 3/);
    layer.dispose();
  });
});

describe('lowRankFactorise is the best rank-r approximation (Eckart–Young, torch.linalg.svd)', () => {
  it.each(fx.lowRank.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const fc = new Linear(c.inFeatures, c.outFeatures, { seed: 0 });
    fc.weight.assign(tensor(c.weight, { shape: [c.outFeatures, c.inFeatures] }));
    const low = lowRankFactorise(fc, c.rank);
    expect(low.u.shape).toEqual([c.outFeatures, c.rank]);
    expect(low.v.shape).toEqual([c.rank, c.inFeatures]);
    scope(() => {
      const w = low.denseWeight();
      expectClose(w.dataSync(), c.approx, 1e-4);
      // ‖W − UV‖_F = √(Σ dropped σ²), the closed form.
      const err = Math.sqrt(fc.weight.sub(w).square().sum().item() as number);
      expect(err).toBeCloseTo(c.frobeniusError, 4);
      // The bias is carried over, and the layer computes x·(UV)ᵀ + b.
      expectClose(low.bias!.dataSync(), fc.bias!.dataSync(), 0);
      const x = tensor([Array.from({ length: c.inFeatures }, (_, i) => i / 3 - 1)]);
      expectClose(
        low.forward(x).dataSync(),
        x.matmul(w, { transposeB: true }).add(fc.bias!).dataSync(),
        1e-5,
      );
    });
    fc.dispose();
    low.dispose();
  });

  it('splits the singular values evenly: UᵀU = VVᵀ = diag(σ_1..σ_r)', () => {
    const c = fx.lowRank[0]!;
    const fc = new Linear(c.inFeatures, c.outFeatures, { bias: false });
    fc.weight.assign(tensor(c.weight, { shape: [c.outFeatures, c.inFeatures] }));
    const low = lowRankFactorise(fc, c.rank);
    expect(low.bias).toBeNull();
    scope(() => {
      const sigma = c.singularValues.slice(0, c.rank);
      const diag = (m: number[]) => [m[0]!, m[3]!];
      expectClose(diag(Array.from(low.u.matmul(low.u, { transposeA: true }).dataSync())), sigma, 1e-4);
      expectClose(diag(Array.from(low.v.matmul(low.v, { transposeB: true }).dataSync())), sigma, 1e-4);
    });
    fc.dispose();
    low.dispose();
  });

  it('rejects a rank outside [1, min(out, in)] and a non-linear argument', () => {
    const fc = new Linear(4, 3);
    expect(() => lowRankFactorise(fc, 4)).toThrow(
      /lowRankFactorise: rank must be an integer in \[1, min\(out, in\) = 3\].*got 4/,
    );
    expect(() => lowRankFactorise(fc, 0)).toThrow(/lowRankFactorise: rank/);
    // biome-ignore lint/suspicious/noExplicitAny: a JavaScript caller passing the wrong thing
    expect(() => lowRankFactorise({} as any, 1)).toThrow(/lowRankFactorise: expected a Linear/);
    fc.dispose();
  });
});

describe('LowRankLinear', () => {
  it('has u [out, r], v [r, in], bias [out] and r·(in + out) + out parameters', () => {
    const l = new LowRankLinear(784, 256, 32, { seed: 0 });
    expect(l.u.shape).toEqual([256, 32]);
    expect(l.v.shape).toEqual([32, 784]);
    expect(Object.keys(l.stateDict())).toEqual(['u', 'v', 'bias']);
    expect(l.numParameters()).toBe(32 * (784 + 256) + 256);
    // Aggarwal's ratio m1·m2 / (k(m1 + m2)): the dense weight over the factors.
    expect((784 * 256) / (l.numParameters() - 256)).toBeCloseTo((784 * 256) / (32 * (784 + 256)), 12);
    l.dispose();
  });

  it('batch 1, size-1 dims (rank 1 of a 1×1 layer) and an empty batch', () => {
    const l = new LowRankLinear(1, 1, 1, { seed: 2 });
    scope(() => {
      const y = l.forward(tensor([[2]]));
      const expected = 2 * (l.u.item() as number) * (l.v.item() as number) + (l.bias!.item() as number);
      expect(y.item()).toBeCloseTo(expected, 6);
      expect(l.forward(tensor(new Float32Array(0), { shape: [0, 1] })).shape).toEqual([0, 1]);
    });
    l.dispose();
  });

  it('trains memory-flat and its gradient reaches both factors', () => {
    const l = new LowRankLinear(3, 2, 1, { seed: 1 });
    const x = tensor([
      [1, 0, -1],
      [2, 1, 0],
    ]);
    const counts: number[] = [];
    for (let s = 0; s < 4; s++) {
      scope(() => {
        l.forward(x).square().sum().backward();
        const [gu, gv] = [l.u.grad!, l.v.grad!];
        expect(gu.abs().sum().item()).toBeGreaterThan(0);
        expect(gv.abs().sum().item()).toBeGreaterThan(0);
        l.u.assign(l.u.sub(gu.mul(0.01)));
        l.v.assign(l.v.sub(gv.mul(0.01)));
        l.zeroGrad();
      });
      counts.push(memory().tensors);
    }
    expect(new Set(counts).size).toBe(1);
    x.dispose();
    l.dispose();
  });

  it('rejects bad sizes and inputs, naming the layer', () => {
    expect(() => new LowRankLinear(3, 2, 0)).toThrow(/LowRankLinear: rank must be a positive integer, got 0/);
    const l = new LowRankLinear(3, 2, 1);
    expect(() => l.forward(tensor(1))).toThrow(/LowRankLinear: input has no features/);
    l.dispose();
  });
});
