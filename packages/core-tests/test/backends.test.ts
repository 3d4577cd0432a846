import { cpuBackend } from '@myelin/backend-cpu';
import {
  type Backend,
  exp,
  getBackend,
  type KernelTable,
  memory,
  registerBackend,
  registeredBackends,
  softmax,
  tensor,
  use,
} from '@myelin/core';
import { afterAll, describe, expect, it } from 'vitest';

/** A backend named `name` that stores through a CPU backend but exposes only some kernels. */
function delegating(name: string, keep?: (kernel: string) => boolean): Backend {
  const inner = cpuBackend();
  const kernels = Object.fromEntries(
    Object.entries(inner.kernels).filter(([k]) => !keep || keep(k)),
  ) as KernelTable;
  return {
    name,
    kernels,
    write: (v, d) => inner.write(v, d),
    read: (id) => inner.read(id),
    readSync: (id) => inner.readSync(id),
    free: (id) => inner.free(id),
    memory: () => inner.memory(),
    supports: (d) => inner.supports(d),
    dispose: () => inner.dispose(),
  };
}

const original = getBackend();
afterAll(async () => {
  await use(original);
});

describe('the backend SPI', () => {
  it('a missing primitive names the kernel and the backend', async () => {
    await use(delegating('partial', (k) => k !== 'Exp'));
    const x = tensor([1, 2]);
    expect(() => exp(x)).toThrow("kernel 'Exp' is not implemented by backend 'partial'");
    x.dispose();
  });

  it('a missing fused composite falls back to its decomposition', async () => {
    await use(delegating('no-fused-softmax', (k) => k !== 'Softmax'));
    const y = softmax(tensor([1, 2, 3]));
    const e = [1, 2, 3].map(Math.exp);
    const s = e[0]! + e[1]! + e[2]!;
    const got = y.dataSync();
    e.forEach((v, i) => {
      expect(got[i]).toBeCloseTo(v / s, 6);
    });
  });

  it('tensors move to the active backend when an op needs them, and memory() counts per backend', async () => {
    await use(delegating('left'));
    const a = tensor([1, 2, 3]);
    expect(memory().backends.left!.handles).toBeGreaterThanOrEqual(1);
    const leftBefore = memory().backends.left!.handles;
    await use(delegating('right'));
    const b = a.mul(2);
    expect(Array.from(b.dataSync())).toEqual([2, 4, 6]);
    expect(a.backend.name).toBe('right');
    expect(memory().backends.left!.handles).toBe(leftBefore - 1);
    const c = await b.to(delegating('elsewhere'));
    expect(c.backend.name).toBe('elsewhere');
    expect(Array.from(await c.data())).toEqual([2, 4, 6]);
    for (const t of [a, b, c]) t.dispose();
  });

  it('registration by name with priorities; unknown names get a helpful error', async () => {
    registerBackend('low', () => delegating('low'), { priority: -10 });
    registerBackend('high', () => delegating('high'), { priority: 50 });
    const names = registeredBackends();
    expect(names.indexOf('high')).toBeLessThan(names.indexOf('low'));
    expect((await use('low')).name).toBe('low');
    await expect(use('tpu')).rejects.toThrow(
      /use: no backend named 'tpu' is registered \(registered: high, .*cpu.*low/,
    );
  });
});
