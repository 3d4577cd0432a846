/**
 * Where the time of a GPU op goes: reading back an existing tensor, a tiny read (the round trip),
 * matmuls synchronised by a one-element read (the kernels), and matmul plus full read-back.
 */

import { webgpuBackend } from '@myelin/backend-webgpu';
import * as core from '@myelin/core';

const vulkan = process.env.MYELIN_DAWN === 'vulkan';
const backend = await webgpuBackend(vulkan ? { dawnFlags: [], compatibility: false } : {});
await core.use(backend);
console.log('adapter', backend.adapterInfo);

async function time(name: string, f: () => Promise<unknown>, reps = 20): Promise<void> {
  for (let i = 0; i < 3; i++) await f();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await f();
    ts.push(performance.now() - t);
  }
  ts.sort((x, y) => x - y);
  console.log(`${name.padEnd(44)} median ${ts[ts.length >> 1]!.toFixed(3)} ms  min ${ts[0]!.toFixed(3)}`);
}

for (const n of [1024, 2048, 4096]) {
  const a = core.randn([n, n], { seed: 1 });
  const b = core.randn([n, n], { seed: 2 });
  const small = core.randn([4], { seed: 3 });
  await a.data();
  const first = async (ys: core.Tensor[]) => {
    const s = core.scope(() => ys[ys.length - 1]!.reshape([-1]).slice([0, 1]));
    await s.data();
    for (const t of [...ys, s]) t.dispose();
  };
  await time(`read ${n}² existing tensor`, () => a.data());
  await time('read 4 floats', () => small.data());
  await time(`matmul ${n} + read 1 element`, () => first([core.matmul(a, b)]));
  await time(`matmul ${n} ×4 + read 1 element`, () => first([0, 1, 2, 3].map(() => core.matmul(a, b))));
  await time(`matmul ${n} + read all`, async () => {
    const y = core.matmul(a, b);
    await y.data();
    y.dispose();
  });
  for (const t of [a, b, small]) t.dispose();
}
process.exit(0);
