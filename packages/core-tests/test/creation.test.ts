import {
  arange,
  bernoulli,
  eye,
  full,
  fullLike,
  Generator,
  linspace,
  manualSeed,
  multinomial,
  ones,
  onesLike,
  permutation,
  rand,
  randint,
  randn,
  scalar,
  sum,
  type Tensor,
  tensor,
  truncatedNormal,
  zeros,
  zerosLike,
} from '@myelin/core';
import { describe, expect, it } from 'vitest';

describe('creation', () => {
  it('tensor infers shape and dtype; typed arrays keep theirs', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.rank).toBe(2);
    expect(t.size).toBe(6);
    expect(tensor([true, false]).dtype).toBe('bool');
    expect(tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(tensor([1, 2, 3, 4], { shape: [2, 2] }).arraySync()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(scalar(7).shape).toEqual([]);
  });

  it('arange matches torch.arange lengths and dtypes', () => {
    expect(Array.from(arange(5).dataSync())).toEqual([0, 1, 2, 3, 4]);
    expect(arange(5).dtype).toBe('int32');
    expect(Array.from(arange(1, 2, 0.25).dataSync())).toEqual([1, 1.25, 1.5, 1.75]);
    expect(arange(1, 2, 0.25).dtype).toBe('float32');
    expect(arange(5, 0, -2).arraySync()).toEqual([5, 3, 1]);
  });

  it('linspace ends exactly at stop; eye; full; zerosLike keeps dtype', () => {
    const l = linspace(0, 1, 5).dataSync();
    expect(Array.from(l)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(eye(2, 3).arraySync()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(full([2], 7, { dtype: 'int32' }).arraySync()).toEqual([7, 7]);
    expect(zerosLike(tensor([1, 2], { dtype: 'int32' })).dtype).toBe('int32');
  });

  it('toString is readable', () => {
    expect(
      tensor([
        [1, 2],
        [3, 4],
      ]).toString(),
    ).toBe('Tensor([[1., 2.],\n        [3., 4.]], shape=[2,2], dtype=float32)');
    expect(tensor([true, false]).toString()).toBe('Tensor([true, false], shape=[2], dtype=bool)');
  });
});

describe('dtype promotion and weak scalars', () => {
  it('int + int stays int; int + 0.5 is float; int / int is float', () => {
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(i.add(1).dtype).toBe('int32');
    expect(i.add(0.5).dtype).toBe('float32');
    expect(i.div(2).dtype).toBe('float32');
    expect(Array.from(i.div(2).dataSync())).toEqual([0.5, 1]);
    expect(tensor([true, true]).add(tensor([true, false])).dtype).toBe('int32');
    expect(i.less(2).dtype).toBe('bool');
    expect(i.exp().dtype).toBe('float32');
  });
});

describe('random', () => {
  it('same seed, same numbers; a Generator advances', () => {
    expect(Array.from(rand([5], { seed: 42 }).dataSync())).toEqual(
      Array.from(rand([5], { seed: 42 }).dataSync()),
    );
    const g = new Generator(7);
    const a = randn([4], { seed: g }).dataSync();
    const b = randn([4], { seed: g }).dataSync();
    expect(Array.from(a)).not.toEqual(Array.from(b));
    manualSeed(3);
    const c = rand([3]).dataSync();
    manualSeed(3);
    expect(Array.from(rand([3]).dataSync())).toEqual(Array.from(c));
  });

  it('ranges and shapes: randint in [low, high), truncatedNormal within 2 std, permutation, multinomial, bernoulli', () => {
    const r = randint(-3, 4, [1000], { seed: 1 }).dataSync();
    expect(Math.min(...r)).toBe(-3);
    expect(Math.max(...r)).toBe(3);
    const t = truncatedNormal([1000], { seed: 2, mean: 1, std: 0.5 }).dataSync();
    expect(Math.min(...t)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...t)).toBeLessThanOrEqual(2);
    expect(Array.from(permutation(6, { seed: 3 }).dataSync()).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const m = multinomial(tensor([[0, 1, 0, 3]]), 2, { seed: 4 }).arraySync() as number[][];
    expect(new Set(m[0]).size).toBe(2);
    expect(m[0]!.every((k) => k === 1 || k === 3)).toBe(true);
    const b = bernoulli(0.25, { shape: [4000], seed: 5 }).dataSync();
    const frac = Array.from(b).reduce((s, v) => s + v, 0) / 4000;
    // 5 standard errors of a Bernoulli(0.25) mean over 4000 draws.
    expect(Math.abs(frac - 0.25)).toBeLessThan(5 * Math.sqrt((0.25 * 0.75) / 4000));
  });
});

describe('creation options: requiresGrad, and unknown keys are errors', () => {
  // Every float32 creation op, called with { requiresGrad: true }: a leaf that records, as torch's
  // requires_grad=True; its gradient after sum().backward() is all ones.
  const makers: [string, (o: { requiresGrad?: boolean }) => Tensor][] = [
    ['tensor', (o) => tensor([1, 2, 3], o)],
    ['zeros', (o) => zeros([2, 3], o)],
    ['ones', (o) => ones([1], o)],
    ['full', (o) => full([2], 7, o)],
    ['zerosLike', (o) => zerosLike(ones([3]), o)],
    ['onesLike', (o) => onesLike(ones([3]), o)],
    ['fullLike', (o) => fullLike(ones([3]), 2, o)],
    ['arange', (o) => arange(0, 3, 1, { dtype: 'float32', ...o })],
    ['eye', (o) => eye(2, 2, o)],
    ['rand', (o) => rand([2, 2], { seed: 1, ...o })],
    ['randn', (o) => randn([2, 2], { seed: 1, ...o })],
    ['truncatedNormal', (o) => truncatedNormal([3], { seed: 1, ...o })],
  ];
  for (const [name, make] of makers) {
    it(`${name}({ requiresGrad: true }) is a leaf whose grad is ones after sum().backward()`, () => {
      const t = make({ requiresGrad: true });
      expect(t.requiresGrad).toBe(true);
      sum(t).backward();
      expect([...t.grad!.dataSync()]).toEqual(new Array(t.size).fill(1));
      expect(make({}).requiresGrad).toBe(false);
      expect(make({ requiresGrad: false }).requiresGrad).toBe(false);
    });
  }

  it('int32 and bool results refuse requiresGrad, naming the op and the dtype', () => {
    expect(() => zeros([2], { dtype: 'int32', requiresGrad: true })).toThrow(
      'zeros: only float32 tensors can require grad; this one is int32',
    );
    expect(() => arange(3, undefined, 1, { requiresGrad: true })).toThrow(/arange: only float32 .* int32/);
    expect(() => randint(0, 5, [2], { requiresGrad: true })).toThrow(/randint: only float32 .* int32/);
    expect(() => bernoulli(0.5, { shape: [2], requiresGrad: true })).toThrow(/bernoulli: .* bool/);
    expect(() => permutation(3, { requiresGrad: true })).toThrow(/permutation: .* int32/);
  });

  it('an unknown option (a typo, or torch spelling) is an error listing the keys the op takes', () => {
    const bad = { requires_grad: true } as unknown as { requiresGrad?: boolean };
    expect(() => randn([2], bad)).toThrow(
      'randn: unknown option "requires_grad"; it takes seed, mean, std, requiresGrad',
    );
    expect(() => zeros([2], bad)).toThrow(
      'zeros: unknown option "requires_grad"; it takes dtype, requiresGrad',
    );
    expect(() => tensor([1], bad)).toThrow(
      'tensor: unknown option "requires_grad"; it takes dtype, shape, requiresGrad',
    );
    expect(() => rand([2], { sead: 1 } as unknown as { seed: number })).toThrow(
      'rand: unknown option "sead"',
    );
    expect(() => multinomial(tensor([1, 1]), 1, { replace: true } as unknown as object)).toThrow(
      'multinomial: unknown option "replace"; it takes seed, replacement, requiresGrad',
    );
  });
});
