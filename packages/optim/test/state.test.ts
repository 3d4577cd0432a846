import { memory, type Parameter, scope, type Tensor, tensor, zeros } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  Adam,
  LBFGS,
  loadOptimizerState,
  type Optimizer,
  readOptimizerState,
  SGD,
  saveOptimizerState,
} from '../src/index.js';
import { expectClose, paramOf, values } from './helpers.js';
import { buildOptimizer, fx, makeProblem, trainStep } from './problem.js';

// One case per optimizer, with param groups where the fixture has them (state of both groups).
const picks = fx.cases.filter((c) => c.groups);

describe('optimizer state saves and loads', () => {
  const problem = makeProblem();

  for (const c of picks) {
    it(`${c.name}: 3 steps, save (safetensors + JSON), load into a fresh optimizer, 2 steps = 5 steps of torch`, async () => {
      const [W, b] = problem.params();
      const opt = buildOptimizer(c, [W, b]);
      for (let i = 0; i < 3; i++) trainStep(opt, () => problem.loss(W, b));
      const bytes = await saveOptimizerState(opt);
      const params = [W.dataSync(), b.dataSync()];
      opt.dispose();
      W.dispose();
      b.dispose();

      const [W2, b2] = problem.params();
      scope(() => {
        W2.assign(tensor(params[0]!, { shape: W2.shape }));
        b2.assign(tensor(params[1]!, { shape: b2.shape }));
      });
      const fresh = buildOptimizer(c, [W2, b2]);
      fresh.paramGroups[0]!.lr = 123; // the loaded state sets the options back
      loadOptimizerState(fresh, bytes);
      expect(fresh.paramGroups.map((g) => g.lr)).toEqual(
        c.groups!.map(
          (g) => (g.lr as number | undefined) ?? (c.options.lr as number | undefined) ?? fresh.defaults.lr,
        ),
      );
      for (let i = 3; i < 5; i++) trainStep(fresh, () => problem.loss(W2, b2));
      expectClose(W2.dataSync(), values(c.steps[4]!.params[0]!), `${c.name} W after 3 + 2 steps`);
      expectClose(b2.dataSync(), values(c.steps[4]!.params[1]!), `${c.name} b after 3 + 2 steps`);
      fresh.zeroGrad();
      fresh.dispose();
      W2.dispose();
      b2.dispose();
    });
  }

  it('stateDict uses torch layout: state by parameter index, groups with params as indices', () => {
    const [W, b] = problem.params();
    const opt = new Adam([{ params: [W] }, { params: [b], lr: 0.5 }], { lr: 0.01, amsgrad: true });
    trainStep(opt, () => problem.loss(W, b));
    const sd = opt.stateDict();
    expect(Object.keys(sd.state)).toEqual(['0', '1']);
    expect(Object.keys(sd.state['1']!).sort()).toEqual(['expAvg', 'expAvgSq', 'maxExpAvgSq', 'step']);
    expect(sd.state['0']!.step).toBe(1);
    expect(sd.paramGroups).toEqual([
      {
        lr: 0.01,
        betas: [0.9, 0.999],
        eps: 1e-8,
        weightDecay: 0,
        amsgrad: true,
        maximize: false,
        params: [0],
      },
      {
        lr: 0.5,
        betas: [0.9, 0.999],
        eps: 1e-8,
        weightDecay: 0,
        amsgrad: true,
        maximize: false,
        params: [1],
      },
    ]);
    opt.zeroGrad();
    opt.dispose();
    W.dispose();
    b.dispose();
  });

  it('loading frees the old state and owns copies of what it loads', async () => {
    const [W, b] = problem.params();
    const opt = new Adam([W, b], { lr: 0.01 });
    trainStep(opt, () => problem.loss(W, b));
    opt.zeroGrad();
    const bytes = await saveOptimizerState(opt);
    const before = memory();
    for (let i = 0; i < 5; i++) loadOptimizerState(opt, bytes);
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
    opt.dispose();
    const [W2] = problem.params();
    expect(() => loadOptimizerState(new SGD([W2], { lr: 1 }), bytes)).toThrow(/group 0 has 2 parameters/);
    W.dispose();
    b.dispose();
    W2.dispose();
  });

  it('L-BFGS state (history lists) round-trips too', async () => {
    const make = () => paramOf(tensor([-1.5, 2]));
    const f = (x: Tensor) => x.square().sum().add(x.prod());
    const run = (opt: Optimizer<{ lr: number }>, x: Parameter, n: number) => {
      for (let i = 0; i < n; i++) {
        scope(
          () =>
            void opt.step(() => {
              opt.zeroGrad();
              const l = f(x);
              l.backward();
              return l;
            }),
        );
      }
    };
    const x1 = make();
    const o1 = new LBFGS([x1], { maxIter: 2, lineSearchFn: 'strong_wolfe' });
    run(o1, x1, 4);
    const x2 = make();
    const o2 = new LBFGS([x2], { maxIter: 2, lineSearchFn: 'strong_wolfe' });
    run(o2, x2, 2);
    const bytes = await saveOptimizerState(o2);
    const x3 = paramOf(tensor(x2.dataSync(), { shape: [2] }));
    const o3 = new LBFGS([x3], { maxIter: 2, lineSearchFn: 'strong_wolfe' });
    loadOptimizerState(o3, bytes);
    expect(Object.keys(o3.stateDict().state['0']!).sort()).toEqual(
      [
        'd',
        'funcEvals',
        'hDiag',
        'nIter',
        'oldDirs',
        'oldStps',
        'prevFlatGrad',
        'prevLoss',
        'ro',
        't',
      ].sort(),
    );
    run(o3, x3, 2);
    expectClose(x3.dataSync(), x1.dataSync(), 'L-BFGS 2 + 2 steps', 0, 0);
    for (const o of [o1, o2, o3]) {
      o.zeroGrad();
      o.dispose();
    }
    for (const x of [x1, x2, x3]) x.dispose();
  });

  it('readOptimizerState rejects files without optimizer metadata', async () => {
    const { saveSafetensors } = await import('@myelin/core');
    const z = zeros([1]);
    const bytes = await saveSafetensors({ z });
    expect(() => readOptimizerState(bytes)).toThrow(/not an optimizer state file/);
    z.dispose();
  });
});
