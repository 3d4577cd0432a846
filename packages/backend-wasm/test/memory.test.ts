import * as m from '@myelin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Allocator, type WasmBackend, wasmBackend } from '../src/index.js';

describe('wasm memory', () => {
  let backend: WasmBackend;
  beforeAll(async () => {
    backend = await wasmBackend({ threads: 2 });
    await m.use(backend);
  });
  afterAll(() => backend.dispose());

  it('size classes waste at most a quarter and keep 64-byte alignment', () => {
    for (const bytes of [1, 63, 64, 100, 4000, 4097, 5000, 65536, 1e6, 12345678]) {
      const size = Allocator.classSize(bytes);
      expect(size % 64).toBe(0);
      expect(size).toBeGreaterThanOrEqual(bytes + 16);
      expect(size).toBeLessThanOrEqual(Math.max(bytes + 16 + 64, (bytes + 16) * 1.25 + 64));
    }
  });

  it('a freed block is reused by the next request of its class', () => {
    const a = backend.write(new Float32Array(1000), 'float32');
    const ptr = (a as unknown as { ptr: number }).ptr;
    backend.free(a);
    const b = backend.write(new Float32Array(990), 'float32');
    expect((b as unknown as { ptr: number }).ptr).toBe(ptr);
    backend.free(b);
  });

  it('1,000 steps of a small conv-net training loop do not grow the memory after warm-up', () => {
    const rt = backend.runtime;
    let params = m.keep([
      m.randn([4, 1, 3, 3], { seed: 1 }).mul(0.3),
      m.randn([4 * 4 * 4, 10], { seed: 2 }).mul(0.1),
      m.zeros([10]),
    ]);
    const x = m.keep(m.randn([8, 1, 8, 8], { seed: 3 }));
    const target = m.keep(m.oneHot(m.tensor([0, 1, 2, 3, 4, 5, 6, 7], { dtype: 'int32' }), 10));
    const loss = (w: m.Tensor, v: m.Tensor, b: m.Tensor) => {
      const h = m.maxPool2d(m.relu(m.conv2d(x, w, { padding: 1 })), 2);
      const logits = h.reshape([8, 64]).matmul(v).add(b);
      return m.logSoftmax(logits, -1).mul(target).sum().neg().div(8);
    };
    const step = () => {
      const next = m.scope(() => {
        const [, grads] = m.valueAndGrad(loss, [0, 1, 2])(...params);
        // The update is not part of any graph: outside noGrad each step's graph would chain onto the next.
        return m.noGrad(() => params.map((p, i) => p.sub((grads as m.Tensor[])[i]!.mul(0.05))));
      });
      for (const p of params) p.dispose();
      params = m.keep(next);
    };
    let first = 0;
    for (let i = 0; i < 20; i++) step();
    const bytes = rt.memory.buffer.byteLength;
    const inUse = rt.alloc.inUse;
    const before = m.memory().handles;
    for (let i = 0; i < 1000; i++) {
      step();
      if (i === 0) first = rt.memory.buffer.byteLength;
    }
    expect(first).toBe(bytes);
    expect(rt.memory.buffer.byteLength).toBe(bytes);
    expect(rt.alloc.inUse).toBe(inUse);
    expect(m.memory().handles).toBe(before);
    const final = m.scope(() => loss(params[0]!, params[1]!, params[2]!).dataSync()[0]!);
    expect(final).toBeLessThan(0.5);
    for (const t of [...params, x, target]) t.dispose();
    // Under the default 5 s on a quiet machine; 8 s measured at load average 32 on 2 cores.
  }, 30_000);
});
