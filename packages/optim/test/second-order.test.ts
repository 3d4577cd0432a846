import { memory, type Tensor, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { bfgs, type MinimizeResult, newton, newtonCG, type Objective } from '../src/index.js';
import { expectClose } from './helpers.js';

// f(x) = ½xᵀAx − bᵀx with A = [[4,1,0],[1,3,1],[0,1,2]] (SPD), b = [1,2,3]: the minimiser solves
// Ax = b, x* = (2/9, 1/9, 13/9) (check: 4·2/9 + 1/9 = 1, 2/9 + 3/9 + 13/9 = 2, 1/9 + 26/9 = 3), and
// f(x*) = −½bᵀx* = −(2/9 + 2/9 + 39/9)/2 = −43/18.
const A = [4, 1, 0, 1, 3, 1, 0, 1, 2];
const quadratic: Objective = (x) => {
  const a = tensor(A, { shape: [3, 3] });
  const b = tensor([1, 2, 3]);
  return x.matmul(a).mul(x).sum().mul(0.5).sub(x.mul(b).sum());
};
const X_STAR = [2 / 9, 1 / 9, 13 / 9];

// Rosenbrock's banana 100(y − x²)² + (1 − x)², minimum 0 at (1, 1); classic start (−1.2, 1).
const rosenbrock: Objective = (v) => {
  const x = v.mul(tensor([1, 0])).sum();
  const y = v.mul(tensor([0, 1])).sum();
  return y.sub(x.square()).square().mul(100).add(x.neg().add(1).square());
};

// x⁴ − 2x² + y²: minima −1 at (±1, 0); at x = 0.1 the Hessian (12x² − 4) is indefinite.
const doubleWell: Objective = (v) => {
  const x = v.mul(tensor([1, 0])).sum();
  const y = v.mul(tensor([0, 1])).sum();
  return x.square().square().sub(x.square().mul(2)).add(y.square());
};

const METHODS = { newton, newtonCG, bfgs } as const;

function run(method: keyof typeof METHODS, f: Objective, x0: number[]): MinimizeResult & { xs: number[] } {
  const start = tensor(x0);
  const before = memory().tensors;
  const res = METHODS[method](f, start, { gtol: 1e-4 });
  const xs = Array.from(res.x.dataSync());
  res.x.dispose();
  expect(memory().tensors, `${method}: no tensors left behind`).toBe(before);
  start.dispose();
  return { ...res, xs };
}

describe('second-order methods reach the closed-form minimum', () => {
  for (const method of Object.keys(METHODS) as (keyof typeof METHODS)[]) {
    it(`${method}: quadratic, x* = A⁻¹b`, () => {
      const res = run(method, quadratic, [3, -2, 1]);
      expect(res.converged).toBe(true);
      expectClose(res.xs, X_STAR, `${method} x`, 1e-4, 1e-5);
      expect(res.fun).toBeCloseTo(-43 / 18, 5);
      // Newton is exact on a quadratic in one step; CG solves a 3×3 system in 3 iterations; BFGS needs a few
      // (Newton-CG truncates CG at the forcing tolerance min(0.5, √‖g‖)‖g‖, so takes a few)
      if (method === 'newton') expect(res.iterations).toBe(1);
      else expect(res.iterations).toBeLessThanOrEqual(12);
      expect(res.history[0]).toBeGreaterThan(res.fun);
    });

    it(`${method}: Rosenbrock from (−1.2, 1) to (1, 1)`, () => {
      const res = run(method, rosenbrock, [-1.2, 1]);
      expectClose(res.xs, [1, 1], `${method} x`, 0, 2e-3);
      expect(res.fun).toBeLessThan(1e-5);
      // monotone: every accepted step satisfied the Armijo condition
      for (let i = 1; i < res.history.length; i++)
        expect(res.history[i]!).toBeLessThanOrEqual(res.history[i - 1]!);
      expect(res.iterations).toBeLessThan(method === 'newton' ? 40 : 100);
    });
  }

  it('newton: an indefinite Hessian gets a shifted (descent) step, reaching a minimum of the double well', () => {
    const res = run('newton', doubleWell, [0.1, 0.5]);
    expectClose(res.xs, [1, 0], 'x', 0, 1e-3);
    expect(res.fun).toBeCloseTo(-1, 5);
  });

  it('newtonCG: negative curvature at the start is handled; size-1 input works', () => {
    const res = run('newtonCG', doubleWell, [0.1, 0.5]);
    expect(Math.abs(res.xs[0]!)).toBeCloseTo(1, 3);
    const one = run('bfgs', (x: Tensor) => x.sub(3).square().sum(), [0]);
    expectClose(one.xs, [3], 'x', 0, 1e-4);
  });

  it('stops at maxIter and reports not converged', () => {
    const res = run('bfgs', rosenbrock, [-1.2, 1]);
    const capped = bfgs(rosenbrock, tensor([-1.2, 1]), { maxIter: 3 });
    expect(capped.iterations).toBe(3);
    expect(capped.converged).toBe(false);
    expect(capped.history).toHaveLength(4);
    expect(capped.fun).toBeGreaterThan(res.fun);
    capped.x.dispose();
  });

  it('bad input gets clear errors', () => {
    const x = tensor([1, 2]);
    expect(() => newton(rosenbrock, tensor([1, 2], { dtype: 'int32' }))).toThrow(
      /newton: x0 must be float32, got int32/,
    );
    expect(() => newtonCG(rosenbrock, tensor([], { shape: [0] }))).toThrow(/newtonCG: x0 is empty/);
    expect(() => bfgs((v) => v.square(), x)).toThrow(
      /bfgs: the objective must return a one-element tensor, got shape \[2\]/,
    );
    expect(() => bfgs(rosenbrock, x, { c1: 2 })).toThrow(/bfgs: invalid c1 2/);
    expect(() => newton(rosenbrock, x, { shrink: 1 })).toThrow(/newton: invalid shrink 1/);
    x.dispose();
  });
});
