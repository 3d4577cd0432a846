import { cpuBackend } from '@myelin/backend-cpu';
import {
  type Backend,
  exp,
  getBackend,
  type KernelTable,
  memory,
  Parameter,
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

  it('use() moves every live tensor to the new backend, and memory() counts move with them exactly', async () => {
    await use(delegating('left'));
    const a = tensor([1, 2, 3]);
    const view = a.reshape([3, 1]); // a second tensor sharing a's storage
    const before = memory();
    const left = before.backends.left!;
    expect(left.handles).toBeGreaterThanOrEqual(1);
    await use(delegating('right'));
    const after = memory();
    // Everything that lived on 'left' now lives on 'right': per-backend counts moved, totals kept.
    expect(after.backends.left).toEqual({ tensors: 0, handles: 0, bytes: 0 });
    expect(after.backends.right).toEqual(left);
    expect([after.tensors, after.handles, after.bytes]).toEqual([
      before.tensors,
      before.handles,
      before.bytes,
    ]);
    expect(a.backend.name).toBe('right');
    const b = a.mul(2);
    expect(Array.from(b.dataSync())).toEqual([2, 4, 6]);
    // A tensor copied elsewhere with to() moves back lazily at its next op.
    const c = await b.to(delegating('elsewhere'));
    expect(c.backend.name).toBe('elsewhere');
    expect(Array.from(await c.data())).toEqual([2, 4, 6]);
    const d = c.add(1);
    expect(c.backend.name).toBe('right');
    expect(memory().backends.elsewhere).toEqual({ tensors: 0, handles: 0, bytes: 0 });
    for (const t of [a, view, b, c, d]) t.dispose();
    expect(memory().backends.right!.tensors).toBe(left.tensors - 2);
  });

  it('use() moves tensors off a backend that reads only asynchronously; a lazy move from one says what to do', async () => {
    /** Like WebGPU: storage that can be read with `read` only. */
    const asyncOnly = (name: string): Backend => ({
      ...delegating(name),
      canReadSync: false,
      readSync: () => {
        throw new Error(`${name} cannot read synchronously; use await t.data()`);
      },
    });
    const gpu = asyncOnly('gpu-like');
    await use(gpu);
    const w = new Parameter(tensor([1, 2, 3]));
    const before = memory();
    await use(delegating('host'));
    expect(w.backend.name).toBe('host');
    expect(memory().backends['gpu-like']).toEqual({ tensors: 0, handles: 0, bytes: 0 });
    expect(memory().backends.host).toEqual(before.backends['gpu-like']);
    expect(Array.from(w.mul(2).dataSync())).toEqual([2, 4, 6]);
    // A copy made with to() onto the async-only backend cannot move back at its next op.
    const far = await w.to(gpu);
    expect(() => far.add(1)).toThrow(
      /^Add: an input lives on backend 'gpu-like' but the active backend is 'host', and it cannot be moved with a synchronous read .*`await use\(\.\.\.\)` moves every live tensor/,
    );
    // use() moves it.
    await use(delegating('host2'));
    expect(Array.from(far.add(1).dataSync())).toEqual([2, 3, 4]);
    w.dispose();
    far.dispose();
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
