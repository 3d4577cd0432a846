import { concat, memory, type Parameter, scope, slice, type Tensor, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { LBFGS, type LBFGSOptions } from '../src/index.js';
import { type EncTensor, expectClose, fromEnc, loadFixture, num, paramFrom, values } from './helpers.js';

interface Case {
  name: string;
  problem: 'rosenbrock' | 'lstsq';
  options: Partial<LBFGSOptions>;
  initial: EncTensor[];
  steps: { loss: number; params: EncTensor[]; funcEvals: number; nIter: number }[];
}
interface Converged {
  name: string;
  problem: 'rosenbrock' | 'lstsq';
  options: Partial<LBFGSOptions>;
  steps: number;
  loss: number;
  params: EncTensor[];
}
interface Fixture {
  lstsq: Record<'A' | 'y' | 'x0' | 'c0', EncTensor>;
  cases: Case[];
  converged: Converged[];
}

const fx = loadFixture<Fixture>('lbfgs.json');

/** Σ 100 (x[i+1] − x[i]²)² + (1 − x[i])² over x = cat(a, b). */
function rosenbrock(a: Tensor, b: Tensor): Tensor {
  const x = concat([a, b]);
  const head = slice(x, [0, -1]);
  const tail = slice(x, [1, null]);
  return tail.sub(head.square()).square().mul(100).add(head.neg().add(1).square()).sum();
}

describe('LBFGS matches torch.optim.LBFGS (PyTorch 1.13)', () => {
  const A = fromEnc(fx.lstsq.A);
  const y = fromEnc(fx.lstsq.y);
  const lstsq = (x: Tensor, c: Tensor) => A.matmul(x).add(c).sub(y).square().mean();

  const setup = (problem: Case['problem'], initial: EncTensor[], options: Partial<LBFGSOptions>) => {
    const params = initial.map(paramFrom) as [Parameter, Parameter];
    const f = problem === 'rosenbrock' ? () => rosenbrock(...params) : () => lstsq(...params);
    const opt = new LBFGS(params, options);
    const closure = () => {
      opt.zeroGrad();
      const loss = f();
      loss.backward();
      return loss;
    };
    return { params, f, opt, closure };
  };

  for (const c of fx.cases) {
    it(`${c.name}: parameters, loss and evaluation counts after each step`, () => {
      const { params, opt, closure } = setup(c.problem, c.initial, c.options);
      c.steps.forEach((expected, i) => {
        const loss = scope(() => (opt.step(closure) as Tensor).item());
        const label = `${c.name} step ${i + 1}`;
        expectClose([loss], [num(expected.loss)], `${label} loss`, 1e-5, 1e-6);
        // Rosenbrock's curved valley amplifies one-ulp differences of the gradient kernels to ~4e-5
        // relative after 15 iterations, hence 1e-4 here (the first-order optimizers pass at 1e-5).
        params.forEach((p, j) => {
          expectClose(p.dataSync(), values(expected.params[j]!), `${label} param ${j}`, 1e-4, 1e-5);
        });
        const st = opt.state.get(params[0])!;
        expect({ funcEvals: st.funcEvals, nIter: st.nIter }, label).toEqual({
          funcEvals: expected.funcEvals,
          nIter: expected.nIter,
        });
      });
      opt.dispose();
      opt.zeroGrad();
      for (const p of params) p.dispose();
    });
  }

  for (const c of fx.converged) {
    it(`${c.name} converges to torch's float64 answer`, () => {
      const initial = c.problem === 'rosenbrock' ? fx.cases[0]!.initial : [fx.lstsq.x0, fx.lstsq.c0];
      const { params, f, opt, closure } = setup(c.problem, initial, c.options);
      for (let i = 0; i < c.steps; i++) scope(() => void opt.step(closure));
      // float32 leaves the flat valley's floor undetermined to about sqrt(eps) in the parameters
      params.forEach((p, j) => {
        expectClose(p.dataSync(), values(c.params[j]!), `${c.name} param ${j}`, 0, 2e-3);
      });
      expectClose([scope(() => f().item())], [c.loss], `${c.name} loss`, 1e-6, 0);
      opt.dispose();
      opt.zeroGrad();
      for (const p of params) p.dispose();
    });
  }

  it('finds the minimum of the textbook bowl J = w1² + 4w2² − cos(w1 + w2) at (0, 0), J = −1 (Aggarwal §4.6.2)', () => {
    const w = paramFrom({ shape: [2], data: [1, 1] });
    const opt = new LBFGS([w], { lineSearchFn: 'strong_wolfe' });
    const J = () => {
      const [w1, w2] = [slice(w, 0), slice(w, 1)];
      return w1.square().add(w2.square().mul(4)).sub(w1.add(w2).cos());
    };
    const closure = () => {
      opt.zeroGrad();
      const loss = J();
      loss.backward();
      return loss;
    };
    for (let i = 0; i < 3; i++) scope(() => opt.step(closure));
    expectClose(w.dataSync(), [0, 0], 'argmin', 0, 1e-4);
    expect(scope(() => J().item())).toBeCloseTo(-1, 6);
    opt.dispose();
    opt.zeroGrad();
    w.dispose();
  });

  it('leaves memory() flat across steps (history held in Variables, the rest freed)', () => {
    const params = fx.cases[0]!.initial.map(paramFrom) as [Parameter, Parameter];
    const opt = new LBFGS(params, { maxIter: 4, historySize: 3, lineSearchFn: 'strong_wolfe' });
    const closure = () => {
      opt.zeroGrad();
      const loss = rosenbrock(...params);
      loss.backward();
      return loss;
    };
    const step = () => scope(() => void opt.step(closure));
    // The history fills up over the first steps; after that its size is fixed.
    for (let i = 0; i < 3; i++) step();
    opt.zeroGrad();
    const before = memory();
    for (let i = 0; i < 10; i++) step();
    opt.zeroGrad();
    const after = memory();
    expect({ tensors: after.tensors, bytes: after.bytes }).toEqual({
      tensors: before.tensors,
      bytes: before.bytes,
    });
    opt.dispose();
    for (const p of params) p.dispose();
  });

  it('requires a closure and a single parameter group', () => {
    const p = paramFrom({ shape: [1], data: [1] });
    const q = paramFrom({ shape: [1], data: [2] });
    const opt = new LBFGS([p]);
    expect(() => opt.step()).toThrow(/closure is required/);
    expect(() => opt.addParamGroup({ params: [q] })).toThrow(/parameter groups/);
    expect(() => new LBFGS([p], { lineSearchFn: 'backtracking' as 'strong_wolfe' })).toThrow(/strong_wolfe/);
    p.dispose();
    q.dispose();
    void tensor;
  });
});
