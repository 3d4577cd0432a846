import { memory, type Parameter, scope, tensor, Variable, zeros } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { Adadelta, Adagrad, Adam, AdamW, SGD } from '../src/index.js';
import { expectClose, paramOf } from './helpers.js';

const param = (values: number[]) => paramOf(tensor(values));

/** Fill `.grad` by backpropagating loss(p). */
function backward(loss: () => ReturnType<typeof tensor>) {
  scope(() => loss().backward());
}

describe('Optimizer base behaviour', () => {
  it('skips parameters whose grad is null: no change and no state', () => {
    const a = param([1, 2]);
    const b = param([3, 4]);
    const opt = new Adam([a, b], { lr: 0.1 });
    backward(() => a.square().sum());
    opt.step();
    expect(Array.from(b.dataSync())).toEqual([3, 4]);
    expect(opt.state.has(b)).toBe(false);
    expect(opt.state.has(a)).toBe(true);
    opt.zeroGrad();
    opt.dispose();
    a.dispose();
    b.dispose();
  });

  it("Adam's first step moves every coordinate by about lr, whatever the gradient's scale (Aggarwal §4.5.5.2, α₁ = α·√(1−ρ)/(1−ρ_f))", () => {
    const w = param([1, -2, 3]);
    const opt = new Adam([w], { lr: 0.01 });
    backward(() => w.mul(tensor([1000, 0.001, -5])).sum());
    opt.step();
    expectClose(w.dataSync(), [1 - 0.01, -2 - 0.01, 3 + 0.01], 'first Adam step', 0, 1e-6);
    opt.zeroGrad();
    opt.dispose();
    w.dispose();
  });

  it('AdaDelta moves from zero state because of ε (the textbook form without ε would not move)', () => {
    const w = param([1, 1]);
    const opt = new Adadelta([w]);
    backward(() => w.square().sum());
    opt.step();
    // Δ = √(0 + ε)/√(0.1·g² + ε)·g with g = 2: ≈ √1e-6/√0.4 · 2
    const delta = (Math.sqrt(1e-6) / Math.sqrt(0.1 * 4 + 1e-6)) * 2;
    expectClose(w.dataSync(), [1 - delta, 1 - delta], 'AdaDelta first step', 1e-5, 0);
    opt.zeroGrad();
    opt.dispose();
    w.dispose();
  });

  it('zeroGrad() sets grads to null; { setToNone: false } fills zeros (then SGD momentum still moves)', () => {
    const w = param([1]);
    const opt = new SGD([w], { lr: 0.1, momentum: 0.9 });
    backward(() => w.square().sum());
    opt.step(); // buf = 2, w = 0.8
    opt.zeroGrad({ setToNone: false });
    expect(Array.from(w.grad!.dataSync())).toEqual([0]);
    opt.step(); // buf = 1.8, w = 0.62
    expectClose(w.dataSync(), [0.62], 'momentum with a zero grad', 1e-6, 0);
    opt.zeroGrad();
    expect(w.grad).toBeNull();
    opt.step(); // skipped
    expectClose(w.dataSync(), [0.62], 'null grad skips', 1e-6, 0);
    opt.dispose();
    w.dispose();
  });

  it('zeroGrad({ setToNone: false }) inside a scope keeps the zero grads alive', () => {
    const w = param([1, 2]);
    const opt = new SGD([w], { lr: 0.1 });
    backward(() => w.square().sum());
    scope(() => opt.zeroGrad({ setToNone: false }));
    expect(w.grad!.isDisposed).toBe(false);
    expect(Array.from(w.grad!.dataSync())).toEqual([0, 0]);
    w.dispose();
  });

  it('param groups take their own options and the defaults for the rest; addParamGroup adds more', () => {
    const a = param([1]);
    const b = param([1]);
    const c = param([1]);
    const opt = new AdamW([{ params: [a] }, { params: b, lr: 0.5, betas: [0.5, 0.9] }], { lr: 0.1 });
    opt.addParamGroup({ params: [c], weightDecay: 0 });
    expect(opt.paramGroups.map((g) => [g.lr, g.betas, g.weightDecay])).toEqual([
      [0.1, [0.9, 0.999], 0.01],
      [0.5, [0.5, 0.9], 0.01],
      [0.1, [0.9, 0.999], 0],
    ]);
    expect(() => opt.addParamGroup({ params: [a] })).toThrow(/more than one parameter group/);
    for (const p of [a, b, c]) p.dispose();
  });

  it('errors name the optimizer, the option and the value', () => {
    const a = param([1]);
    expect(() => new SGD([a])).toThrow(/SGD: parameter group 0 has invalid lr undefined/);
    expect(() => new SGD([a], { lr: 0.1, nesterov: true })).toThrow(/Nesterov momentum requires a momentum/);
    expect(() => new Adam([a], { lr: -1 })).toThrow(/Adam: parameter group 0 has invalid lr -1/);
    expect(() => new Adam([a], { betas: [1, 0.9] })).toThrow(/Adam: invalid beta1 1/);
    expect(() => new Adagrad([a], { eps: -1 })).toThrow(/Adagrad: invalid eps -1/);
    expect(() => new Adam([])).toThrow(/Adam: got an empty parameter list/);
    expect(() => new Adam([tensor([1]) as unknown as Parameter])).toThrow(/not a Variable or Parameter/);
    expect(() => new Adam([a, a])).toThrow(/same parameter twice/);
    a.dispose();
  });

  it('dispose() frees the state; Variables (not only Parameters) can be optimized', () => {
    const before = memory();
    const init = zeros([4]);
    const v = new Variable(init, { requiresGrad: true });
    init.dispose();
    const opt = new Adam([v], { lr: 0.1, amsgrad: true });
    backward(() => v.sub(1).square().sum());
    opt.step();
    opt.zeroGrad();
    expect(memory().tensors).toBe(before.tensors + 4); // v + expAvg, expAvgSq, maxExpAvgSq
    opt.dispose();
    v.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });

  it('step(closure) evaluates the closure first and returns its loss', () => {
    const w = param([3]);
    const opt = new SGD([w], { lr: 0.25 });
    const loss = scope(() => {
      const l = opt.step(() => {
        opt.zeroGrad();
        const out = w.square().sum();
        out.backward();
        return out;
      });
      return typeof l === 'number' ? l : l!.item();
    });
    expect(loss).toBe(9);
    expect(Array.from(w.dataSync())).toEqual([1.5]);
    opt.zeroGrad();
    w.dispose();
  });
});
