import { cpuBackend } from '@myelin/backend-cpu';
import type { Backend, Tensor } from '@myelin/core';
import * as m from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { type WebGpuBackend, webgpuBackend } from '../src/index.js';

/*
 * The training path end to end: a small LeNet-style network (conv, relu, max-pool, linear,
 * log-softmax cross-entropy with integer labels sliced from a label tensor) trained by SGD for a few
 * steps on webgpu and on the CPU reference from the same seeds. Losses must match step by step,
 * and the number of live handles must stay flat across steps (nothing leaks on the GPU).
 */

let gpu: WebGpuBackend | null = null;
let reason = '';
try {
  gpu = await webgpuBackend();
} catch (e) {
  reason = (e as Error).message;
}

async function train(backend: Backend, steps: number): Promise<{ losses: number[]; handles: number[] }> {
  await m.use(backend);
  let params = m.keep([
    m.randn([4, 1, 3, 3], { seed: 1, std: 0.5 }),
    m.zeros([1, 4, 1, 1]),
    m.randn([4 * 4 * 4, 10], { seed: 2, std: 0.2 }),
    m.zeros([10]),
  ]);
  const images = m.keep(m.randn([16, 1, 8, 8], { seed: 3 }));
  const labels = m.keep(
    m.tensor(
      Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 10),
      { dtype: 'int32' },
    ),
  );
  const loss =
    (x: Tensor, y: Tensor) =>
    (...p: Tensor[]) => {
      const h = m.maxPool2d(m.relu(m.conv2d(x, p[0]!, { padding: 1 }).add(p[1]!)), 2);
      const logits = h.reshape([x.shape[0]!, 64]).matmul(p[2]!).add(p[3]!);
      return m.logSoftmax(logits, -1).mul(m.oneHot(y, 10)).sum().neg().div(x.shape[0]!);
    };
  const losses: number[] = [];
  const handles: number[] = [];
  for (let s = 0; s < steps; s++) {
    const b = (s % 2) * 8;
    const [value, next] = m.scope(() => {
      const x = m.slice(images, [b, b + 8]);
      const y = m.slice(labels, [b, b + 8]);
      const [l, grads] = m.valueAndGrad(
        loss(x, y),
        params.map((_, i) => i),
      )(...params);
      const updated = m.noGrad(() => params.map((p, i) => p.sub((grads as Tensor[])[i]!.mul(0.1))));
      return [l, updated] as const;
    });
    losses.push((await value.data())[0]!);
    value.dispose();
    for (const p of params) p.dispose();
    params = m.keep(next);
    handles.push(m.memory().handles);
  }
  for (const t of [...params, images, labels]) t.dispose();
  return { losses, handles };
}

describe.skipIf(!gpu)(`training on webgpu${gpu ? '' : ` (skipped: ${reason})`}`, () => {
  it('a conv/pool/linear net trains by SGD with the same losses as the CPU backend, and flat memory', async () => {
    const ref = await train(cpuBackend(), 6);
    const got = await train(gpu as WebGpuBackend, 6);
    for (let i = 0; i < ref.losses.length; i++) expect(got.losses[i]).toBeCloseTo(ref.losses[i]!, 4);
    expect(got.losses[5]!).toBeLessThan(got.losses[0]!);
    expect(new Set(got.handles.slice(1)).size).toBe(1);
  }, 60_000);
});
