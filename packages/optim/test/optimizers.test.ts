import { memory } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { expectClose, num, values } from './helpers.js';
import { buildOptimizer, fx, makeProblem, OPTIMIZERS, trainStep } from './problem.js';

describe('optimizers match torch.optim (PyTorch 1.13) over 5 steps', () => {
  const problem = makeProblem();

  for (const c of fx.cases) {
    it(`${c.name} matches torch.optim.${c.optimizer}`, () => {
      const [W, b] = problem.params();
      const opt = buildOptimizer(c, [W, b]);
      c.steps.forEach((expected, i) => {
        const loss = trainStep(opt, () => problem.loss(W, b));
        expectClose([loss], [num(expected.loss)], `${c.name} step ${i + 1} loss`, 1e-5, 1e-6);
        expectClose(W.dataSync(), values(expected.params[0]!), `${c.name} step ${i + 1} W`);
        expectClose(b.dataSync(), values(expected.params[1]!), `${c.name} step ${i + 1} b`);
      });
      opt.dispose();
      W.dispose();
      b.dispose();
    });
  }

  it('every optimizer keeps memory() flat over 100 steps (state made at step 1)', () => {
    for (const [name, Ctor] of Object.entries(OPTIMIZERS)) {
      const [W, b] = problem.params();
      const opt = new Ctor([W, b], {
        lr: 0.01,
        ...(name === 'SGD' ? { momentum: 0.9, nesterov: true } : {}),
      });
      trainStep(opt, () => problem.loss(W, b));
      opt.zeroGrad();
      const before = memory();
      for (let i = 0; i < 100; i++) trainStep(opt, () => problem.loss(W, b));
      opt.zeroGrad();
      const after = memory();
      expect({ name, tensors: after.tensors, bytes: after.bytes }).toEqual({
        name,
        tensors: before.tensors,
        bytes: before.bytes,
      });
      opt.dispose();
      W.dispose();
      b.dispose();
    }
  });
});
