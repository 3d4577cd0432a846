import { cpuBackend } from '@myelin/backend-cpu';
import { type WasmBackend, wasmBackend } from '@myelin/backend-wasm';
import * as m from '@myelin/core';
import { afterAll, describe, expect, it } from 'vitest';
import { type WebGpuBackend, webgpuBackend } from '../src/index.js';

/*
 * Moving live tensors between backends (issue 18): `use('webgpu')` after training on threaded wasm
 * failed with "no overload matched for writeBuffer" (wasm's data is a view of a SharedArrayBuffer),
 * leaving webgpu for cpu failed with a synchronous-read error, and memory() went negative after a
 * move. Here cpu ↔ wasm (2 threads, shared memory) ↔ webgpu (Dawn; llvmpipe without a GPU).
 */

let gpu: WebGpuBackend | null = null;
let reason = '';
try {
  gpu = await webgpuBackend();
} catch (e) {
  reason = (e as Error).message;
}

const NAMES = ['cpu', 'wasm', 'webgpu'] as const;
type Name = (typeof NAMES)[number];

describe.skipIf(!gpu)(`moving live tensors between backends${gpu ? '' : ` (skipped: ${reason})`}`, () => {
  const cpu = cpuBackend();
  let wasm: WasmBackend;
  const backends = (): Record<Name, m.Backend> => ({ cpu, wasm, webgpu: gpu! });
  afterAll(async () => {
    await m.use(cpu);
    wasm?.dispose();
  });

  /** Per-backend counts of core's memory(), zeros where a backend has none. */
  function counts(): Record<Name, { tensors: number; handles: number; bytes: number }> {
    const b = m.memory().backends;
    const zero = { tensors: 0, handles: 0, bytes: 0 };
    return { cpu: b.cpu ?? zero, wasm: b.wasm ?? zero, webgpu: b.webgpu ?? zero };
  }

  /** One SGD step of a small MLP on the active backend (returns the loss). */
  async function step(params: m.Parameter[], x: m.Tensor, y: m.Tensor): Promise<number> {
    const [w1, b1, w2] = params as [m.Parameter, m.Parameter, m.Parameter];
    const loss = m.scope(() => {
      const l = x.matmul(w1).add(b1).relu().matmul(w2).sub(y).square().mean();
      l.backward();
      return l;
    });
    m.noGrad(() => {
      for (const p of params) {
        m.scope(() => {
          p.assign(p.sub(p.grad!.mul(0.1)));
        });
        p.grad!.dispose();
        p.grad = null;
      }
    });
    const v = (await loss.data())[0]!;
    loss.dispose();
    return v;
  }

  it('a training run hops cpu → wasm (threaded) → webgpu → cpu → webgpu → wasm → cpu with values and memory() exact', async () => {
    wasm = await wasmBackend({ threads: 2 });
    expect(wasm.threads).toBe(2);
    await m.use(cpu);
    const init = [m.randn([6, 8], { seed: 1 }).mul(0.3), m.zeros([8]), m.randn([8, 2], { seed: 2 }).mul(0.3)];
    const params = init.map((t) => new m.Parameter(t));
    for (const t of init) t.dispose();
    const x = m.randn([5, 6], { seed: 3 });
    const y = m.randn([5, 2], { seed: 4 });
    const shared = x.reshape([30]); // shares x's storage: one handle, two tensors
    const start = counts();
    const losses: number[] = [];
    let from: Name = 'cpu';
    for (const to of ['wasm', 'webgpu', 'cpu', 'webgpu', 'wasm', 'cpu'] as const) {
      losses.push(await step(params, x, y));
      const values = await Promise.all([...params, x, shared].map(async (t) => Array.from(await t.data())));
      const before = counts();
      await m.use(backends()[to]);
      const after = counts();
      // Everything moved: the source holds nothing, the target gained exactly what it held.
      expect(after[from], `${from} → ${to}`).toEqual({ tensors: 0, handles: 0, bytes: 0 });
      expect(after[to]).toEqual({
        tensors: before[to].tensors + before[from].tensors,
        handles: before[to].handles + before[from].handles,
        bytes: before[to].bytes + before[from].bytes,
      });
      for (const t of [...params, x, shared]) expect(t.backend.name).toBe(to);
      const moved = await Promise.all([...params, x, shared].map(async (t) => Array.from(await t.data())));
      expect(moved).toEqual(values);
      from = to;
    }
    losses.push(await step(params, x, y));
    // Gradient descent with a small step: the loss went down across all the hops.
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    const end = counts();
    expect(end.cpu).toEqual({
      tensors: start.cpu.tensors,
      handles: start.cpu.handles,
      bytes: start.cpu.bytes,
    });
    for (const t of [...params, x, y, shared]) t.dispose();
    for (const n of NAMES) {
      const c = counts()[n];
      expect(c.tensors, n).toBeGreaterThanOrEqual(0);
      expect(c.handles, n).toBeGreaterThanOrEqual(0);
    }
  });

  it('a tensor copied to threaded wasm with to() moves to webgpu at its next op (SharedArrayBuffer data is copied)', async () => {
    await m.use(gpu!);
    const onWasm = await m.tensor([1, 2, 3]).to(wasm);
    expect(onWasm.backend.name).toBe('wasm');
    const y = onWasm.mul(2);
    expect(y.backend.name).toBe('webgpu');
    expect(Array.from(await y.data())).toEqual([2, 4, 6]);
    expect(counts().wasm.tensors).toBe(0);
    onWasm.dispose();
    y.dispose();
  });

  it('a GPU tensor copied away and back lazily gets an error that says how to move it', async () => {
    await m.use(cpu);
    const onGpu = await m.tensor([1, 2, 3]).to(gpu!);
    expect(() => onGpu.add(1)).toThrow(
      /^Add: an input lives on backend 'webgpu' but the active backend is 'cpu', and it cannot be moved with a synchronous read .*await use/,
    );
    await m.use(wasm);
    await m.use(cpu);
    expect(Array.from(onGpu.add(1).dataSync())).toEqual([2, 3, 4]);
    onGpu.dispose();
  });

  it('model.to() moves a module (parameters, their gradients, buffers) off WebGPU and back, by instance or name', async () => {
    await m.use(gpu!);
    const init = [m.randn([3, 2], { seed: 5 }), m.ones([2])] as const;
    class Net extends m.Module {
      w = new m.Parameter(init[0]);
      stat = new m.Variable(init[1]);
    }
    const net = new Net();
    for (const t of init) t.dispose(); // the module's variables hold the only views now
    m.scope(() => net.w.square().sum().backward());
    const held = () => [net.w, net.w.grad!, net.stat];
    const values = await Promise.all(held().map(async (t) => Array.from(await t.data())));
    // d/dw Σw² = 2w, computed on the GPU.
    expect(values[1]).toEqual(values[0]!.map((v) => Math.fround(2 * v)));
    const before = counts();
    expect(await net.to(cpu)).toBe(net);
    for (const t of held()) expect(t.backend.name).toBe('cpu');
    const after = counts();
    const bytes = (6 + 6 + 2) * 4;
    expect(after.webgpu).toEqual({
      tensors: before.webgpu.tensors - 3,
      handles: before.webgpu.handles - 3,
      bytes: before.webgpu.bytes - bytes,
    });
    expect(after.cpu).toEqual({
      tensors: before.cpu.tensors + 3,
      handles: before.cpu.handles + 3,
      bytes: before.cpu.bytes + bytes,
    });
    // On the CPU backend now: synchronous reads work, and the values came along exactly.
    expect(held().map((t) => Array.from(t.dataSync()))).toEqual(values);
    // Back by registered name (the webgpu instance `use` made active above).
    await net.to('webgpu');
    for (const t of held()) expect(t.backend.name).toBe('webgpu');
    expect(counts().cpu).toEqual(before.cpu);
    expect(await Promise.all(held().map(async (t) => Array.from(await t.data())))).toEqual(values);
    // A copy by name leaves the original where it was.
    const copy = await net.w.to('webgpu');
    expect(copy).not.toBe(net.w);
    expect(Array.from(await copy.data())).toEqual(values[0]);
    copy.dispose();
    await expect(net.to('tpu')).rejects.toThrow(/^Module\.to: no backend named 'tpu' is registered/);
    net.w.grad!.dispose();
    net.dispose();
  });

  it('webgpu reports its buffer limit, and too-large tensors fail before allocating', async () => {
    await m.use(gpu!);
    const l = gpu!.device.limits;
    const limit = Math.floor(Math.min(l.maxBufferSize, l.maxStorageBufferBindingSize) / 4);
    expect(gpu!.maxElements('float32')).toBe(limit);
    expect(() => m.zeros([limit + 1])).toThrow(
      new RegExp(
        `^zeros: shape \\[${limit + 1}\\] .*backend 'webgpu' can hold in one tensor: ${limit} elements \\(4-byte elements; the device's maxBufferSize`,
      ),
    );
    // A kernel's output is checked too: a broadcast of two small inputs past the limit.
    const side = Math.ceil(Math.sqrt(limit + 1));
    const a = m.ones([side, 1]);
    const b = m.ones([1, side]);
    expect(() => a.mul(b)).toThrow(new RegExp(`^Mul: shape \\[${side},${side}\\]`));
    a.dispose();
    b.dispose();
  });
});
