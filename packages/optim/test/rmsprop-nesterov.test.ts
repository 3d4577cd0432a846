import { keep, memory, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { NesterovRMSprop, RMSprop } from '../src/index.js';
import { expectClose, paramOf, values } from './helpers.js';
import { fx, makeProblem, trainStep } from './problem.js';

describe('NesterovRMSprop', () => {
  it('matches the closed form on a constant gradient (2 steps)', () => {
    // g = 2, α = 0.5, lr = 0.1, μ = 0.9, ε = 0:
    //   step 1: v = 2,  u = 2/√2 = √2,  b = √2,            θ₁ = θ₀ − 0.1(√2 + 0.9√2)
    //   step 2: v = 3,  u = 2/√3,       b = 0.9√2 + 2/√3,  θ₂ = θ₁ − 0.1(2/√3 + 0.9b)
    const p = paramOf(tensor([1, -1]));
    const opt = new NesterovRMSprop([p], { lr: 0.1, alpha: 0.5, momentum: 0.9, eps: 0 });
    const th1 = 1 - 0.1 * 1.9 * Math.SQRT2;
    const b2 = 0.9 * Math.SQRT2 + 2 / Math.sqrt(3);
    const th2 = th1 - 0.1 * (2 / Math.sqrt(3) + 0.9 * b2);
    const got: number[] = [];
    for (let i = 0; i < 2; i++) {
      p.grad?.dispose();
      p.grad = keep(tensor([2, 2]));
      opt.step();
      got.push(p.dataSync()[0]!);
    }
    expectClose(got, [th1, th2], 'θ after 1 and 2 steps');
    expectClose(p.dataSync(), [th2, th2 - 2], 'both elements (the second starts at −1)');
    opt.zeroGrad();
    opt.dispose();
    p.dispose();
  });

  it('with nesterov: false it is torch RMSprop with momentum (optimizers.json fixtures)', () => {
    const problem = makeProblem();
    const cases = fx.cases.filter((c) => c.optimizer === 'RMSprop' && c.options.momentum && !c.groups);
    expect(cases.length).toBeGreaterThanOrEqual(2);
    for (const c of cases) {
      const [W, b] = problem.params();
      const opt = new NesterovRMSprop([W, b], { ...c.options, nesterov: false });
      c.steps.forEach((e, i) => {
        trainStep(opt, () => problem.loss(W, b));
        expectClose(W.dataSync(), values(e.params[0]!), `${c.name} step ${i + 1} W`);
        expectClose(b.dataSync(), values(e.params[1]!), `${c.name} step ${i + 1} b`);
      });
      opt.zeroGrad();
      opt.dispose();
      W.dispose();
      b.dispose();
    }
    problem.dispose();
  });

  it('moves differently from plain momentum, keeps memory flat, and rejects momentum 0', () => {
    const problem = makeProblem();
    const [W, b] = problem.params();
    const [W2, b2] = problem.params();
    const nest = new NesterovRMSprop([W, b], { lr: 0.01, centered: true });
    const plain = new RMSprop([W2, b2], { lr: 0.01, centered: true, momentum: 0.9 });
    trainStep(nest, () => problem.loss(W, b));
    trainStep(plain, () => problem.loss(W2, b2));
    nest.zeroGrad();
    const before = memory();
    for (let i = 0; i < 30; i++) trainStep(nest, () => problem.loss(W, b));
    nest.zeroGrad();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
    expect(W.dataSync()[0]).not.toBe(W2.dataSync()[0]);
    expect(() => new NesterovRMSprop([W], { momentum: 0 })).toThrow(
      /NesterovRMSprop: invalid momentum 0 \(Nesterov momentum needs momentum > 0\)/,
    );
    plain.zeroGrad();
    for (const o of [nest, plain]) o.dispose();
    for (const t of [W, b, W2, b2]) t.dispose();
    problem.dispose();
  });
});
