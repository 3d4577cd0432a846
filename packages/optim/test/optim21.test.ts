import { keep, Module, memory, type Parameter, scope, type Tensor, tensor, zeros } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  Adam,
  type AnyOptimizer,
  ASGD,
  AveragedModel,
  CyclicLR,
  type CyclicLROptions,
  loadOptimizerState,
  type Optimizer,
  type ParamGroupInput,
  RAdam,
  Rprop,
  SGD,
  SparseAdam,
  SWALR,
  type SWALROptions,
  saveOptimizerState,
} from '../src/index.js';
import {
  type EncTensor,
  expectClose,
  fromEnc,
  loadFixture,
  num,
  paramFrom,
  paramOf,
  values,
} from './helpers.js';

interface Step {
  loss: number;
  params: EncTensor[];
  ax?: EncTensor[];
  grads?: EncTensor[];
}
interface Case {
  optimizer: 'RAdam' | 'Rprop' | 'ASGD' | 'SparseAdam';
  name: string;
  options: Record<string, unknown>;
  groups?: ({ params: number[] } & Record<string, unknown>)[];
  steps: Step[];
}
interface SchedCase {
  name: string;
  type: 'CyclicLR' | 'SWALR';
  options: Record<string, unknown>;
  lrs: number[][];
  momenta: number[][];
}
interface Fixture {
  problem: Record<'X' | 'Y' | 'C' | 'W' | 'b', EncTensor>;
  cases: Case[];
  schedulers: SchedCase[];
  swa: { steps: { params: EncTensor[]; averaged: EncTensor[]; nAveraged: number }[] };
}

const fx = loadFixture<Fixture>('optim21.json');

// biome-ignore lint/suspicious/noExplicitAny: constructors of different option types, picked by name
type AnyCtor = new (params: any, options?: any) => Optimizer<{ lr: number }>;
const CTORS: Record<Case['optimizer'], AnyCtor> = { RAdam, Rprop, ASGD, SparseAdam };

const [X, Y, C] = (['X', 'Y', 'C'] as const).map((k) => keep(fromEnc(fx.problem[k])));
const loss = (W: Tensor, b: Tensor): Tensor => {
  const z = X!.matmul(W).add(b);
  return z.sub(Y!).square().mean().add(z.tanh().mul(C!).mean());
};
const params = (): [Parameter, Parameter] => [paramFrom(fx.problem.W), paramFrom(fx.problem.b)];

function build(c: Case, ps: Parameter[]): Optimizer<{ lr: number }> {
  const Ctor = CTORS[c.optimizer];
  if (!c.groups) return new Ctor(ps, c.options);
  const groups = c.groups.map(({ params: idx, ...over }) => ({ params: idx.map((i) => ps[i]!), ...over }));
  return new Ctor(groups as ParamGroupInput<{ lr: number }>[], c.options);
}

/** One step of case `c` at index `i`: the problem's gradient, or the fixture's (sparse) gradient. */
function step(opt: Optimizer<{ lr: number }>, c: Case, i: number, W: Parameter, b: Parameter): number {
  opt.zeroGrad();
  let value: number;
  if (c.optimizer === 'SparseAdam') {
    value = scope(() => loss(W, b).item());
    const grads = c.steps[i]!.grads!;
    W.grad = keep(fromEnc(grads[0]!));
    b.grad = keep(fromEnc(grads[1]!));
  } else {
    value = scope(() => {
      const l = loss(W, b);
      l.backward();
      return l.item();
    });
  }
  opt.step();
  return value;
}

function checkStep(c: Case, i: number, opt: Optimizer<{ lr: number }>, W: Parameter, b: Parameter): void {
  const e = c.steps[i]!;
  const at = `${c.name} step ${i + 1}`;
  expectClose(W.dataSync(), values(e.params[0]!), `${at} W`);
  expectClose(b.dataSync(), values(e.params[1]!), `${at} b`);
  if (e.ax) {
    const asgd = opt as unknown as ASGD;
    expectClose(asgd.averaged(W)!.dataSync(), values(e.ax[0]!), `${at} ax(W)`);
    expectClose(asgd.averaged(b)!.dataSync(), values(e.ax[1]!), `${at} ax(b)`);
  }
}

describe('issue-21 optimizers match torch.optim (PyTorch 1.13) over 10 steps', () => {
  for (const c of fx.cases) {
    it(`${c.name}`, () => {
      const [W, b] = params();
      const opt = build(c, [W, b]);
      c.steps.forEach((e, i) => {
        const l = step(opt, c, i, W, b);
        expectClose([l], [num(e.loss)], `${c.name} step ${i + 1} loss`, 1e-5, 1e-6);
        checkStep(c, i, opt, W, b);
      });
      opt.zeroGrad();
      opt.dispose();
      W.dispose();
      b.dispose();
    });
  }

  for (const c of fx.cases.filter((x) => x.groups)) {
    it(`${c.name}: 4 steps, save and load into a fresh optimizer, 6 steps = 10 steps of torch`, async () => {
      const [W, b] = params();
      const opt = build(c, [W, b]);
      for (let i = 0; i < 4; i++) step(opt, c, i, W, b);
      opt.zeroGrad();
      const bytes = await saveOptimizerState(opt);
      const fresh = build(c, [W, b]);
      fresh.paramGroups[1]!.lr = 123; // loading sets the options back
      loadOptimizerState(fresh, bytes);
      opt.dispose();
      expect(fresh.paramGroups[1]!.lr).toBe(c.groups![1]!.lr);
      for (let i = 4; i < 10; i++) step(fresh, c, i, W, b);
      checkStep(c, 9, fresh, W, b);
      fresh.zeroGrad();
      fresh.dispose();
      W.dispose();
      b.dispose();
    });
  }

  it('every new optimizer keeps memory() flat over 50 steps (state made at step 1)', () => {
    for (const c of fx.cases.filter((x) => x.name.endsWith('defaults'))) {
      const [W, b] = params();
      const opt = build(c, [W, b]);
      step(opt, c, 0, W, b);
      opt.zeroGrad();
      const before = memory();
      for (let i = 0; i < 50; i++) step(opt, c, i % 10, W, b);
      opt.zeroGrad();
      const after = memory();
      expect({ name: c.name, tensors: after.tensors, bytes: after.bytes }).toEqual({
        name: c.name,
        tensors: before.tensors,
        bytes: before.bytes,
      });
      opt.dispose();
      W.dispose();
      b.dispose();
    }
  });

  it('ASGD.swapInAverages evaluates with ax and puts the iterates back', () => {
    const c = fx.cases.find((x) => x.optimizer === 'ASGD' && x.options.t0 === 3)!;
    const [W, b] = params();
    const opt = new ASGD([W, b], c.options);
    for (let i = 0; i < 6; i++) step(opt, c, i, W, b);
    opt.zeroGrad();
    const before = memory().tensors;
    const restore = opt.swapInAverages();
    expectClose(W.dataSync(), values(c.steps[5]!.ax![0]!), 'W swapped to ax');
    restore();
    expectClose(W.dataSync(), values(c.steps[5]!.params[0]!), 'W restored');
    expect(memory().tensors).toBe(before);
    opt.dispose();
    W.dispose();
    b.dispose();
  });

  it('SparseAdam leaves absent rows (and their moments) untouched; batch of one row', () => {
    const E = paramOf(tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2] }));
    const opt = new SparseAdam([E], { lr: 0.1 });
    E.grad = keep(tensor([0, 0, 0.5, -2, 0, 0], { shape: [3, 2] }));
    opt.step();
    // step 1 on a present row: m̂ = g, v̂ = g², so θ moves by −lr·g/(|g| + ε·√(1−β₂)/(1−β₁)... ≈ −lr·sign(g)
    const got = E.dataSync();
    expectClose(got, [1, 2, 3 - 0.1, 4 + 0.1, 5, 6], 'rows 0 and 2 unchanged, row 1 moved by lr', 1e-5, 1e-6);
    const st = opt.stateDict().state['0']!;
    expectClose((st.expAvg as Tensor).dataSync(), [0, 0, 0.05, -0.2, 0, 0], 'm only on row 1');
    opt.zeroGrad();
    opt.dispose();
    E.dispose();
  });

  it('RAdam before rectification is SGD with bias-corrected momentum (closed form, step 1)', () => {
    const p = paramOf(tensor([1, -2]));
    const opt = new RAdam([p], { lr: 0.5 });
    p.grad = keep(tensor([0.3, 0.7]));
    opt.step();
    expectClose(p.dataSync(), [1 - 0.5 * 0.3, -2 - 0.5 * 0.7], 'θ − lr·g');
    opt.zeroGrad();
    opt.dispose();
    p.dispose();
  });

  it('Rprop: sign flip shrinks the step and skips the move; growth clamps at the max step size', () => {
    const p = paramOf(tensor([0]));
    const opt = new Rprop([p], { lr: 0.1, etas: [0.5, 2], stepSizes: [0.01, 0.3] });
    const grads = [1, 1, 1, -1, -1];
    const xs: number[] = [];
    for (const g of grads) {
      p.grad?.dispose();
      p.grad = keep(tensor([g]));
      opt.step();
      xs.push(p.dataSync()[0]!);
    }
    // steps: 0.1 (first: prev 0), 0.2, 0.3 (clamped from 0.4), flip: 0.15 and no move, then +0.15
    expectClose(xs, [-0.1, -0.3, -0.6, -0.6, -0.45], 'Rprop trajectory', 1e-6, 1e-6);
    opt.zeroGrad();
    opt.dispose();
    p.dispose();
  });

  it('bad options get a clear error naming the optimizer and the value', () => {
    const p = paramOf(zeros([2]));
    expect(() => new RAdam([p], { betas: [1, 0.9] })).toThrow(/RAdam: invalid beta1 1/);
    expect(() => new RAdam([p], { eps: -1 })).toThrow(/RAdam: invalid eps -1/);
    expect(() => new Rprop([p], { etas: [1.5, 1.2] })).toThrow(/Rprop: invalid etas \[1.5,1.2\]/);
    expect(() => new Rprop([p], { stepSizes: [1, 0.5] })).toThrow(/Rprop: invalid stepSizes/);
    expect(() => new ASGD([p], { lambd: -0.1 })).toThrow(/ASGD: invalid lambd -0.1/);
    expect(() => new ASGD([p], { lr: -1 })).toThrow(/ASGD: parameter group 0 has invalid lr -1/);
    expect(() => new SparseAdam([p], { eps: 0 })).toThrow(/SparseAdam: invalid eps 0/);
    p.dispose();
  });
});

// --------------------------------------------------------------------------------------------------
// schedules
// --------------------------------------------------------------------------------------------------

function schedOptimizer() {
  const p1 = paramOf(zeros([2]));
  const p2 = paramOf(zeros([3]));
  const opt: AnyOptimizer = new SGD([{ params: [p1] }, { params: [p2], lr: 0.05 }], {
    lr: 0.1,
    momentum: 0.9,
  });
  return {
    opt,
    dispose: () => {
      p1.dispose();
      p2.dispose();
    },
  };
}

function buildSched(opt: AnyOptimizer, c: SchedCase): CyclicLR | SWALR {
  return c.type === 'CyclicLR'
    ? new CyclicLR(opt, c.options as unknown as CyclicLROptions)
    : new SWALR(opt, c.options as unknown as SWALROptions);
}
const momenta = (opt: AnyOptimizer) =>
  opt.paramGroups.map((g) => (g as unknown as { momentum: number }).momentum);

describe('CyclicLR and SWALR match torch.optim.lr_scheduler (PyTorch 1.13) over 30 steps', () => {
  for (const c of fx.schedulers) {
    it(`${c.name}: learning rates and momenta`, () => {
      const { opt, dispose } = schedOptimizer();
      const sched = buildSched(opt, c);
      c.lrs.forEach((row, i) => {
        if (i > 0) sched.step();
        expectClose(sched.getLastLr(), row, `${c.name} lr after ${i} steps`, 1e-12, 1e-15);
        expectClose(momenta(opt), c.momenta[i]!, `${c.name} momentum after ${i} steps`, 1e-12, 1e-15);
      });
      dispose();
    });
  }

  for (const c of fx.schedulers.filter((x) => x.name.includes('per'))) {
    it(`${c.name}: state dict after 10 steps resumes on a fresh optimizer and scheduler`, () => {
      const a = schedOptimizer();
      const schedA = buildSched(a.opt, c);
      for (let i = 0; i < 10; i++) schedA.step();
      const optState = a.opt.stateDict();
      const schedState = JSON.parse(JSON.stringify(schedA.stateDict()));
      const b = schedOptimizer();
      const schedB = buildSched(b.opt, c);
      b.opt.loadStateDict(optState);
      schedB.loadStateDict(schedState);
      for (let i = 10; i < 30; i++) schedB.step();
      expectClose(schedB.getLastLr(), c.lrs[30]!, `${c.name} lr after 10 + 20 steps`, 1e-12, 1e-15);
      expectClose(momenta(b.opt), c.momenta[30]!, `${c.name} momentum after 10 + 20 steps`, 1e-12, 1e-15);
      a.dispose();
      b.dispose();
    });
  }

  it('CyclicLR cycles β₁ of Adam-like optimizers; step(epoch) jumps with the closed form', () => {
    const p = paramOf(zeros([1]));
    const opt = new Adam([p], { lr: 1 });
    const sched = new CyclicLR(opt, {
      baseLr: 0.1,
      maxLr: 1.1,
      stepSizeUp: 2,
      baseMomentum: 0.8,
      maxMomentum: 0.9,
    });
    expect(opt.paramGroups[0]!.betas[0]).toBeCloseTo(0.9, 12);
    sched.step();
    expect(sched.getLastLr()[0]).toBeCloseTo(0.6, 12); // halfway up: base + (max − base)/2
    expect(opt.paramGroups[0]!.betas[0]).toBeCloseTo(0.85, 12);
    sched.step(2);
    expect(sched.getLastLr()[0]).toBeCloseTo(1.1, 12);
    expect(opt.paramGroups[0]!.betas).toEqual([0.8, 0.999]);
    sched.step(5);
    expect(sched.getLastLr()[0]).toBeCloseTo(0.6, 12);
    p.dispose();
  });

  it('bad schedule options get clear errors', () => {
    const { opt, dispose } = schedOptimizer();
    expect(() => new CyclicLR(opt, { baseLr: [0.1], maxLr: 1 })).toThrow(
      /CyclicLR baseLr: expected 2 values/,
    );
    expect(() => new CyclicLR(opt, { baseLr: 0.1, maxLr: 1, stepSizeUp: 0 })).toThrow(
      /CyclicLR: stepSizeUp must be a positive number, got 0/,
    );
    expect(() => new CyclicLR(opt, { baseLr: 0.1, maxLr: 1, mode: 'sine' as 'triangular' })).toThrow(
      /CyclicLR: mode must be/,
    );
    expect(() => new SWALR(opt, { swaLr: 0.1, annealEpochs: 1.5 })).toThrow(
      /SWALR: annealEpochs must be an integer/,
    );
    expect(() => new SWALR(opt, { swaLr: 0.1, annealStrategy: 'exp' as 'cos' })).toThrow(
      /SWALR: annealStrategy/,
    );
    const q = paramOf(zeros([1]));
    expect(() => new CyclicLR(new SparseAdam([q]), { baseLr: 0.1, maxLr: 1 })).not.toThrow(); // betas
    dispose();
    q.dispose();
  });
});

// --------------------------------------------------------------------------------------------------
// AveragedModel
// --------------------------------------------------------------------------------------------------

class Affine extends Module {
  weight: Parameter;
  bias: Parameter;
  constructor() {
    super();
    this.weight = paramOf(zeros([2, 3]));
    this.bias = paramOf(zeros([2]));
  }
  forward(x: Tensor): Tensor {
    return x.matmul(this.weight.transpose()).add(this.bias);
  }
}

describe('AveragedModel matches torch.optim.swa_utils.AveragedModel', () => {
  it('running mean over 5 updates, memory flat', () => {
    const model = new Affine();
    const setModel = (e: EncTensor[]) =>
      scope(() => {
        model.weight.assign(fromEnc(e[0]!));
        model.bias.assign(fromEnc(e[1]!));
      });
    setModel(fx.swa.steps[0]!.params);
    const swa = new AveragedModel(model, new Affine());
    expectClose(swa.module.weight.dataSync(), model.weight.dataSync(), 'the copy starts as the model', 0, 0);
    let before = memory().tensors;
    fx.swa.steps.forEach((s, i) => {
      setModel(s.params);
      swa.updateParameters(model);
      expect(swa.nAveraged).toBe(s.nAveraged);
      expectClose(swa.module.weight.dataSync(), values(s.averaged[0]!), `averaged weight after ${i + 1}`);
      expectClose(swa.module.bias.dataSync(), values(s.averaged[1]!), `averaged bias after ${i + 1}`);
      if (i === 0) before = memory().tensors;
    });
    expect(memory().tensors).toBe(before);
    expect(() => new AveragedModel(model, model)).toThrow(/AveragedModel: copy must be a second instance/);
    swa.module.dispose();
    model.dispose();
  });
});
