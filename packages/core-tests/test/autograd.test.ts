import {
  add,
  customGrad,
  grad,
  matmul,
  memory,
  noGrad,
  Parameter,
  randn,
  scope,
  stopGradient,
  type Tensor,
  tensor,
  valueAndGrad,
  vjp,
} from '@myelin/core';
import { describe, expect, it } from 'vitest';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++)
    expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]!)));
};

describe('functional autograd', () => {
  it('grad of sum(x^3) is 3x^2 (closed form)', () => {
    const x = tensor([-2, -0.5, 0, 1, 3]);
    const g = grad((t) => t.pow(3).sum())(x);
    close(g.dataSync(), [12, 0.75, 0, 3, 27]);
  });

  it('grad(grad(x => x.pow(3).sum())) gives 6x', () => {
    const x = tensor([-2, -0.5, 0, 1, 3]);
    const g2 = grad((t) => grad((u) => u.pow(3).sum())(t).sum())(x);
    close(g2.dataSync(), [-12, -3, 0, 6, 18]);
  });

  it('third derivative of sin is -cos', () => {
    const x = tensor([0.3, 1.2, -2]);
    const d = (f: (t: Tensor) => Tensor) => (t: Tensor) => grad((u) => f(u).sum())(t);
    const g3 = d(d(d((t) => t.sin())))(x);
    close(
      g3.dataSync(),
      [0.3, 1.2, -2].map((v) => -Math.cos(v)),
      1e-5,
    );
  });

  it('valueAndGrad over two arguments with argnums', () => {
    const a = tensor([1, 2]);
    const b = tensor([3, 5]);
    const [v, [ga, gb]] = valueAndGrad((x, y) => x.mul(y).sum(), [0, 1])(a, b) as [Tensor, Tensor[]];
    expect(v.item()).toBe(13);
    close(ga!.dataSync(), [3, 5]);
    close(gb!.dataSync(), [1, 2]);
  });

  it('vjp with an explicit cotangent equals J^T v for matmul', () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const w = tensor([
      [0.5, -1],
      [2, 1],
    ]);
    const [out, back] = vjp((x) => matmul(x, w), a);
    expect(out.shape).toEqual([2, 2]);
    const [g] = back(
      tensor([
        [1, 0],
        [0, 1],
      ]),
    );
    // d/dA <V, A W> = V W^T with V = I.
    close(g!.dataSync(), [0.5, 2, -1, 1]);
  });

  it('stopGradient blocks the gradient', () => {
    const g = grad((x) => x.mul(stopGradient(x)).sum())(tensor([2, 3]));
    close(g.dataSync(), [2, 3]);
  });

  it('customGrad uses the given rule', () => {
    const clipGrad = customGrad((x: Tensor) => ({ value: x.mul(1), grad: (dy: Tensor) => [dy.clip(-1, 1)] }));
    const g = grad((x) => clipGrad(x).mul(10).sum())(tensor([1, 2]));
    close(g.dataSync(), [1, 1]);
  });

  it('noGrad records nothing', () => {
    const p = new Parameter(tensor([1, 2]));
    const y = noGrad(() => p.mul(2));
    expect(y.requiresGrad).toBe(false);
    p.dispose();
  });

  it('a gradient that reaches a target twice is summed', () => {
    const g = grad((x) => add(x, x).mul(x).sum())(tensor([1, 2])); // d/dx 2x^2 = 4x
    close(g.dataSync(), [4, 8]);
  });
});

describe('imperative autograd', () => {
  it('two leaves that receive the same cotangent get .grad tensors of their own', () => {
    // add's rule hands one dy to both inputs (as does an LSTM's folded bias): disposing one .grad,
    // as clipGradNorm and zeroGrad do, must not free the other.
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    a.add(b).sum().backward();
    expect(a.grad).not.toBe(b.grad);
    a.grad!.dispose();
    expect([...b.grad!.dataSync()]).toEqual([1, 1]);
    // and a second backward accumulates into each separately
    a.grad = null;
    a.add(b).mul(2).sum().backward();
    expect([...a.grad!.dataSync()]).toEqual([2, 2]);
    expect([...b.grad!.dataSync()]).toEqual([3, 3]);
  });

  it('loss.backward() and grad agree on a small MLP', () => {
    const w1 = new Parameter(randn([4, 8], { seed: 1 }));
    const b1 = new Parameter(randn([8], { seed: 2 }));
    const w2 = new Parameter(randn([8, 3], { seed: 3 }));
    const x = randn([5, 4], { seed: 4 });
    const target = randn([5, 3], { seed: 5 });
    const loss = (a: Tensor, b: Tensor, c: Tensor) =>
      matmul(matmul(x, a).add(b).tanh(), c).sub(target).square().mean();
    scope(() => loss(w1, b1, w2).backward());
    const gs = grad(loss, [0, 1, 2])(w1, b1, w2);
    close(w1.grad!.dataSync(), gs[0]!.dataSync(), 1e-5);
    close(b1.grad!.dataSync(), gs[1]!.dataSync(), 1e-5);
    close(w2.grad!.dataSync(), gs[2]!.dataSync(), 1e-5);
    // A second backward accumulates, as PyTorch.
    scope(() => loss(w1, b1, w2).backward());
    close(w2.grad!.dataSync(), gs[2]!.mul(2).dataSync(), 1e-5);
    for (const t of [w1, b1, w2, x, target, ...gs]) t.dispose();
  });

  it('backward on a non-scalar needs a cotangent', () => {
    const p = new Parameter(tensor([1, 2]));
    expect(() => p.mul(2).backward()).toThrow(/cotangent is required/);
    p.dispose();
  });

  it('graphs die with their tensors: no memory is held after the loss is disposed', () => {
    const p = new Parameter(randn([16, 16], { seed: 9 }));
    const before = memory();
    // The scope frees the intermediates' user handles; the graph still holds their storage.
    const loss = scope(() => p.matmul(p).tanh().sum());
    expect(memory().tensors).toBe(before.tensors + 1);
    expect(memory().handles).toBeGreaterThan(before.handles + 1);
    loss.backward();
    expect(p.grad!.shape).toEqual([16, 16]);
    loss.dispose();
    p.grad?.dispose();
    p.grad = null;
    expect(memory().handles).toBe(before.handles);
    expect(memory().tensors).toBe(before.tensors);
    p.dispose();
  });
});

describe('functional grad over parameters in a training loop', () => {
  it('gradients of Parameters carry no graph, so plain updates do not chain steps', () => {
    const w = new Parameter(randn([4, 3], { seed: 21 }));
    const x = randn([8, 4], { seed: 22 });
    const step = valueAndGrad((p) => x.matmul(p).square().mean());
    const handles: number[] = [];
    for (let i = 0; i < 5; i++) {
      scope(() => {
        const [, g] = step(w) as [Tensor, Tensor];
        expect(g.requiresGrad).toBe(false);
        w.assign(noGrad(() => w.sub((g as Tensor).mul(0.1))));
      });
      handles.push(memory().handles);
    }
    expect(new Set(handles).size).toBe(1);
    w.dispose();
    x.dispose();
  });
});

describe('prod gradient', () => {
  it('is the product of the other elements, exactly, with zeros and infinities (closed form)', () => {
    close(grad((x) => x.prod())(tensor([2, 0, 3, 0.5])).dataSync(), [0, 3, 0, 0]);
    close(grad((x) => x.prod())(tensor([2, 0, 3, 4])).dataSync(), [0, 24, 0, 0]);
    expect(Array.from(grad((x) => x.prod())(tensor([Number.POSITIVE_INFINITY, 2, 3])).dataSync())).toEqual([
      6,
      Number.POSITIVE_INFINITY,
      Number.POSITIVE_INFINITY,
    ]);
  });
});
