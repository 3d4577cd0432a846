import { biasAct, grad, layerNorm, randn, type Tensor, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++)
    expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]!)));
};

describe('biasAct and layerNorm (composites a backend may fuse)', () => {
  it('biasAct(x, b, relu) along axis 1 equals relu(x + b) by hand', () => {
    const x = tensor([
      [1, -2],
      [-3, 4],
    ]);
    const b = tensor([0.5, 1]);
    expect(biasAct(x, b, { activation: 'relu', axis: 1 }).arraySync()).toEqual([
      [1.5, 0],
      [0, 5],
    ]);
    expect(biasAct(x, tensor([10, 20]), { axis: 0 }).arraySync()).toEqual([
      [11, 8],
      [17, 24],
    ]);
  });

  it('biasAct gradients: d/dx = act′(z)·dy and d/db sums over the other axes (tanh, closed form)', () => {
    const x = randn([3, 4], { seed: 1 });
    const b = randn([4], { seed: 2 });
    const [gx, gb] = grad((u: Tensor, v: Tensor) => biasAct(u, v, { activation: 'tanh' }).sum(), [0, 1])(
      x,
      b,
    );
    const z = x.add(b).dataSync();
    const dz = Array.from(z, (v) => 1 - Math.tanh(v) ** 2);
    close(gx!.dataSync(), dz);
    close(
      gb!.dataSync(),
      [0, 1, 2, 3].map((j) => dz[j]! + dz[4 + j]! + dz[8 + j]!),
    );
  });

  it('layerNorm rows have mean 0 and variance 1/(1 + eps/var)', () => {
    const y = layerNorm(tensor([[1, 2, 3, 4]]), 4, { eps: 0 }).dataSync();
    const s = Math.sqrt(1.25);
    close(y, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s]);
  });

  it('a bad bias shape names the op and the shapes', () => {
    expect(() => biasAct(tensor([[1, 2]]), tensor([1, 2, 3]))).toThrow(/biasAct: bias must have shape \[2\]/);
  });
});
