import { readFileSync } from 'node:fs';
import {
  cholesky,
  customGrad,
  det,
  eigh,
  eye,
  GradcheckError,
  gradcheck,
  gradcheckReport,
  hessian,
  hvp,
  inv,
  jacobian,
  jvp,
  lstsq,
  matmul,
  matrixNorm,
  memory,
  mul,
  pinv,
  qr,
  slogdet,
  solve,
  svd,
  type Tensor,
  tensor,
  transpose,
} from '@myelin/core';
import { describe, expect, it } from 'vitest';

const close = (a: Tensor | ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  const g = 'dataSync' in a ? a.dataSync() : a;
  expect(g.length).toBe(b.length);
  for (let i = 0; i < b.length; i++)
    expect(Math.abs(g[i]! - b[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]!)));
};

const A = tensor([
  [1, 2, 0],
  [-1, 3, 4],
]);
const S = tensor([
  [4, 1, 0.5],
  [1, 3, 0.2],
  [0.5, 0.2, 2],
]);

describe('jacobian', () => {
  it('of x ↦ A x is A; of x ↦ x² is diag(2x) (closed forms)', () => {
    const x = tensor([0.5, -1, 2]);
    const j = jacobian((u) => matmul(A, u), x);
    expect(j.shape).toEqual([2, 3]);
    close(j, A.dataSync());
    close(
      jacobian((u) => u.square(), x),
      [1, 0, 0, 0, -2, 0, 0, 0, 4],
    );
  });
  it('with several inputs: d(x·y)/dx = diag(y), d/dy = diag(x)', () => {
    const [jx, jy] = jacobian((x, y) => mul(x!, y!), [tensor([1, 2]), tensor([3, 4])]);
    close(jx!, [3, 0, 0, 4]);
    close(jy!, [1, 0, 0, 2]);
  });
  it('shapes [...out, ...in] for a scalar output and a 1-element input', () => {
    expect(jacobian((u) => u.sum(), tensor([[1, 2]])).shape).toEqual([1, 2]);
    expect(jacobian((u) => u.mul(3), tensor([2])).shape).toEqual([1, 1]);
  });
});

describe('against torch.autograd.functional (PyTorch 1.13, float64)', () => {
  const fx = JSON.parse(readFileSync(new URL('../fixtures/linalg.json', import.meta.url), 'utf8'))
    .functional as Record<string, number[]>;
  const W = tensor(fx.W!, { shape: [2, 3] });
  const x = tensor(fx.x!);
  const v = tensor(fx.v!);
  // vec(x) = tanh(W x)·Σx², scal(x) = log(1 + Σx⁴) + Πsin(x)
  const vec = (u: Tensor) => matmul(W, u).tanh().mul(u.square().sum());
  const scal = (u: Tensor) => u.pow(4).sum().log1p().add(u.sin().prod());
  it('jacobian and jvp of a vector function', () => {
    close(jacobian(vec, x), fx.jacobian!, 1e-4);
    close(jvp(vec, x, v)[1], fx.jvp!, 1e-4);
  });
  it('hessian and hvp of a scalar function', () => {
    close(hessian(scal, x), fx.hessian!, 1e-4);
    close(hvp(scal, x, v)[1], fx.hvp!, 1e-4);
  });
});

describe('hessian, hvp, jvp', () => {
  const x = tensor([0.3, -0.7, 1.1]);
  const v = tensor([1, 0.5, -2]);
  const quad = (u: Tensor) => matmul(u, matmul(S, u));
  it('hessian of xᵀSx is S + Sᵀ; of Σx³ is diag(6x)', () => {
    close(hessian(quad, x), S.add(transpose(S)).dataSync());
    close(
      hessian((u) => u.pow(3).sum(), x),
      [1.8, 0, 0, 0, -4.2, 0, 0, 0, 6.6],
      1e-5,
    );
  });
  it('hessian of the Rosenbrock function (closed form)', () => {
    const rosen = (u: Tensor) => {
      const [a, b] = [u.slice([0, 1]), u.slice([1, 2])];
      return a.neg().add(1).square().add(b.sub(a.square()).square().mul(100)).sum();
    };
    const [a, b] = [0.5, 1.5];
    close(
      hessian(rosen, tensor([a, b])),
      [2 - 400 * (b - a * a) + 800 * a * a, -400 * a, -400 * a, 200],
      1e-5,
    );
  });
  it('second derivatives through the host ops: hessian of det on 2×2 is the closed form', () => {
    // det = ad − bc over x = [a, b, c, d]: ∂²/∂a∂d = 1, ∂²/∂b∂c = −1, everything else 0.
    const h = hessian((u) => det(u.reshape([2, 2])), tensor([1.5, -0.3, 0.7, 2]));
    close(h, [0, 0, 0, 1, 0, 0, -1, 0, 0, -1, 0, 0, 1, 0, 0, 0]);
    // log det(S + tI): d²/dt² = −tr(S⁻²) at t = 0.
    // −tr(S⁻²) by numpy.linalg (float64).
    const want = -0.5016150628298159;
    const d2 = hessian((t) => slogdet(S.add(eye(3).mul(t.reshape([]))))[1], tensor([0]));
    close(d2, [want], 1e-4);
  });
  it('hvp equals (S + Sᵀ) v and returns f(x)', () => {
    const [value, hv] = hvp(quad, x, v);
    close(value, [quad(x).item()]);
    close(hv, matmul(S.add(transpose(S)), v).dataSync());
  });
  it('jvp of x ↦ A x is A v; of sin is cos(x)·v', () => {
    const [value, jv] = jvp((u) => matmul(A, u), x, v);
    close(value, matmul(A, x).dataSync());
    close(jv, matmul(A, v).dataSync());
    close(
      jvp((u) => u.sin(), x, v)[1],
      [0, 1, 2].map((i) => Math.cos(x.dataSync()[i]!) * v.dataSync()[i]!),
    );
  });
  it('shape mismatches are errors naming the function', () => {
    expect(() => hvp(quad, x, tensor([1, 2]))).toThrow(/hvp: v has shape \[2\] but x has shape \[3\]/);
    expect(() => jvp((u) => u, x, tensor([1]))).toThrow(/jvp: v has shape \[1\] but x has shape \[3\]/);
    expect(() => hvp((u) => u, x, v)).toThrow(/hvp: the function must return a one-element tensor/);
  });
});

describe('gradcheck', () => {
  it('passes on the linalg ops', () => {
    const sq = tensor([
      [2, 0.5, -0.3],
      [0.1, 1.5, 0.4],
      [-0.2, 0.3, 1.8],
    ]);
    const tall = tensor([
      [1, 0.4],
      [-0.5, 2],
      [0.3, 0.7],
    ]);
    expect(gradcheck((a) => det(a), [sq])).toBe(true);
    expect(gradcheck((a) => inv(a), [sq])).toBe(true);
    expect(gradcheck((a, b) => solve(a!, b!), [sq, tall])).toBe(true);
    // cholesky and eigh read only the lower triangle while their gradient is PyTorch's symmetric
    // one, so (as PyTorch's own tests) they are checked on a symmetrised input.
    const sym = (a: Tensor) => a.add(transpose(a)).mul(0.5);
    expect(gradcheck((a) => cholesky(sym(a)), [S])).toBe(true);
    expect(gradcheck((a) => eigh(sym(a))[0], [S])).toBe(true);
    expect(gradcheck((a) => eigh(sym(a))[1].square(), [S])).toBe(true);
    expect(gradcheck((a) => svd(a)[1], [tall])).toBe(true);
    expect(gradcheck((a) => pinv(a), [tall])).toBe(true);
    expect(gradcheck((a) => qr(a)[1].abs(), [tall])).toBe(true);
    expect(gradcheck((a) => slogdet(a)[1], [sq])).toBe(true);
    expect(gradcheck((a) => lstsq(a, tensor([[1], [2], [-1]])), [tall])).toBe(true);
    expect(gradcheck((a) => matrixNorm(a, 'nuc'), [tall])).toBe(true);
    expect(gradcheck((a) => matrixNorm(a, 2), [tall])).toBe(true);
  });
  it('fails on a custom op whose backward is deliberately wrong', () => {
    // cube(x) = x³ with a broken gradient 2x² (the right one is 3x²).
    const cube = customGrad((x) => ({ value: x.pow(3), grad: (dy) => [mul(dy, x.square().mul(2))] }));
    const x = tensor([0.5, -1.2, 2]);
    expect(() => gradcheck((u) => cube(u), [x])).toThrow(GradcheckError);
    expect(() => gradcheck((u) => cube(u), [x])).toThrow(
      /gradcheck: the analytic and numeric Jacobians differ/,
    );
    expect(gradcheck((u) => cube(u), [x], { raiseException: false })).toBe(false);
    const report = gradcheckReport((u) => cube(u), [x], { raiseException: false });
    // The worst entry is element 2: analytic 2·4 = 8, numeric 3·4 = 12.
    expect(report.worst?.element).toBe(2);
    close([report.worst!.analytic, report.worst!.numeric], [8, 12], 1e-3);
    close([report.maxRelativeError], [1 / 3], 1e-3);
    // The same op with the right gradient passes.
    const good = customGrad((u) => ({ value: u.pow(3), grad: (dy) => [mul(dy, u.square().mul(3))] }));
    expect(gradcheck((u) => good(u), [x])).toBe(true);
  });
  it('rejects a non-positive eps and non-float inputs', () => {
    expect(() => gradcheck((u) => u, [tensor([1])], { eps: 0 })).toThrow(
      /gradcheck: eps must be positive, got 0/,
    );
    expect(() => gradcheck((u) => u, [tensor([1], { dtype: 'int32' })])).toThrow(
      /gradcheck: input 0 must be float32/,
    );
  });
});

describe('memory', () => {
  it('jacobian, hessian, hvp, jvp and gradcheck leave no live tensors', () => {
    const x = tensor([0.3, -0.7, 1.1]);
    const v = tensor([1, 0.5, -2]);
    const f = (u: Tensor) => u.pow(3).sum();
    const step = () => {
      jacobian((u) => u.sin(), x).dispose();
      hessian(f, x).dispose();
      for (const t of hvp(f, x, v)) t.dispose();
      for (const t of jvp((u) => u.exp(), x, v)) t.dispose();
      gradcheck((u) => u.exp(), [x]);
    };
    step();
    const before = memory().tensors;
    for (let i = 0; i < 3; i++) step();
    expect(memory().tensors).toBe(before);
  });
});
