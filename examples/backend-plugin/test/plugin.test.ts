import { cpuBackend } from '@myelin/backend-cpu';
import { matmul, memory, randn, relu, scope, sum, tensor, use } from '@myelin/core';
import { Linear, ReLU, Sequential } from '@myelin/nn';
import { SGD } from '@myelin/optim';
import { describe, expect, it } from 'vitest';
import { type ExampleBackend, exampleBackend, OWN_KERNELS } from '../src/index.js';

describe('the example backend', () => {
  it('runs its own kernels for what it implements and delegates the rest', async () => {
    const b = (await use(exampleBackend())) as ExampleBackend;
    const x = tensor([
      [1, -2],
      [3, 4],
    ]);
    const y = relu(matmul(x, x).add(tensor([1, 1]))); // MatMul 2-D, Add broadcast, Relu: all own
    expect([...y.dataSync()]).toEqual([0, 0, 16, 11]); // [[-5, -10], [15, 10]] + 1, then relu
    expect(b.counts.own.MatMul).toBe(1);
    expect(b.counts.own.Add).toBe(1);
    expect(b.counts.own.Relu).toBe(1);
    const delegatedBefore = b.counts.delegated;
    expect(sum(y).item()).toBe(27); // Sum is delegated to the CPU backend
    expect(b.counts.delegated).toBe(delegatedBefore + 1);
    // a batched matmul is outside the 2-D kernel: delegated, same numbers
    const batched = matmul(
      tensor([[[1, 2]], [[3, 4]]]),
      tensor([
        [[5], [6]],
        [[7], [8]],
      ]),
    );
    expect([...batched.dataSync()]).toEqual([17, 53]);
    expect(OWN_KERNELS).toContain('MatMul');
  });

  it('trains a small MLP to the same weights as the CPU backend, with flat memory', async () => {
    const run = async (backend: Parameters<typeof use>[0]) => {
      await use(backend);
      const model = new Sequential(new Linear(3, 8, { seed: 1 }), new ReLU(), new Linear(8, 1, { seed: 2 }));
      const opt = new SGD(model.parameters(), { lr: 0.05 });
      const x = randn([16, 3], { seed: 3 });
      const target = sum(x, 1, { keepdims: true });
      const losses: number[] = [];
      let live = 0;
      for (let step = 0; step < 20; step++) {
        scope(() => {
          opt.zeroGrad();
          const loss = model.forward(x).sub(target).square().mean();
          loss.backward();
          opt.step();
          losses.push(loss.item());
        });
        if (step === 1) live = memory().tensors;
        if (step > 1) expect(memory().tensors).toBe(live);
      }
      return { losses, weight: [...model.parameters()[0]!.dataSync()] };
    };
    const cpu = await run(cpuBackend());
    const own = await run(exampleBackend());
    expect(own.losses.at(-1)!).toBeLessThan(own.losses[0]! / 4);
    for (const [i, l] of own.losses.entries()) expect(l).toBeCloseTo(cpu.losses[i]!, 5);
    for (const [i, w] of own.weight.entries()) expect(w).toBeCloseTo(cpu.weight[i]!, 5);
  });
});
