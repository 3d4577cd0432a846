import { add, keep, memory, randn, scope, type Tensor, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';

/** Totals only: the per-backend map gains an entry the first time a backend is used. */
const counts = () => {
  const { tensors, handles, bytes } = memory();
  return { tensors, handles, bytes };
};

const tick = () => new Promise<void>((r) => setTimeout(r, 0));

describe('memory', () => {
  it('a scope frees what it allocated except what it returns', () => {
    const before = counts();
    const kept = scope(() => {
      const a = tensor([1, 2, 3]);
      const b = a.mul(2).add(1);
      return b.exp();
    });
    expect(counts().tensors).toBe(before.tensors + 1);
    expect(kept.dataSync()[0]).toBeCloseTo(Math.exp(3), 4);
    kept.dispose();
    expect(counts()).toEqual(before);
  });

  it('a 1,000-iteration loop of ops in async scopes with an await inside leaves memory() where it started', async () => {
    const w = randn([32, 32], { seed: 1 });
    const before = counts();
    let acc = 0;
    for (let i = 0; i < 1000; i++) {
      acc += await scope(async () => {
        const x = randn([8, 32], { seed: i });
        const h = x.matmul(w).relu();
        await tick();
        const y = h.mul(h).mean();
        return (await y.data())[0]!;
      });
    }
    expect(Number.isFinite(acc)).toBe(true);
    expect(counts()).toEqual(before);
    w.dispose();
  });

  it('concurrent async scopes each own their allocations across awaits', async () => {
    const before = counts();
    const run = (n: number) =>
      scope(async () => {
        const a = tensor([n]);
        await tick();
        const b = a.add(1);
        await tick();
        return b.mul(2);
      });
    const [x, y] = await Promise.all([run(1), run(10)]);
    expect(x!.dataSync()[0]).toBe(4);
    expect(y!.dataSync()[0]).toBe(22);
    expect(counts().tensors).toBe(before.tensors + 2);
    x!.dispose();
    y!.dispose();
    expect(counts()).toEqual(before);
  });

  it('nested scopes hand results to the parent', () => {
    const before = counts();
    scope(() => {
      const inner = scope(() => tensor([1]).add(1));
      expect(inner.isDisposed).toBe(false);
    });
    expect(counts()).toEqual(before);
  });

  it('keep() takes a tensor out of every scope', () => {
    const before = counts();
    let k: Tensor | null = null;
    scope(() => {
      k = keep(tensor([5]));
    });
    expect(k!.isDisposed).toBe(false);
    k!.dispose();
    expect(counts()).toEqual(before);
  });

  it('using disposes at block end', () => {
    const before = counts();
    {
      using t = tensor([1, 2]);
      expect(t.size).toBe(2);
    }
    expect(counts()).toEqual(before);
  });

  it('reshape shares storage: handles < tensors until both go', () => {
    const before = counts();
    const a = tensor([1, 2, 3, 4]);
    const b = a.reshape([2, 2]);
    expect(counts().tensors - before.tensors).toBe(2);
    expect(counts().handles - before.handles).toBe(1);
    a.dispose();
    expect(b.dataSync()[3]).toBe(4);
    b.dispose();
    expect(counts()).toEqual(before);
  });

  it('a scope that throws still frees what it allocated', () => {
    const before = counts();
    expect(() =>
      scope(() => {
        add(tensor([1]), tensor([2]));
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(counts()).toEqual(before);
  });

  it('using a disposed tensor gives a clear error', () => {
    const t = tensor([1]);
    t.dispose();
    expect(() => t.add(1)).toThrow(/was disposed/);
  });
});
