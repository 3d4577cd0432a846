import { zeros } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  Adam,
  type AnyOptimizer,
  ChainedScheduler,
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  ExponentialLR,
  InverseTimeDecay,
  type JsonValue,
  joinState,
  LambdaLR,
  LinearLR,
  LinearWarmup,
  type LRScheduler,
  type LrLambda,
  MultiplicativeLR,
  MultiStepLR,
  OneCycleLR,
  type OneCycleOptions,
  PolynomialLR,
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
  type Scheduler,
  type SchedulerState,
  SequentialLR,
  SGD,
  StepLR,
  splitState,
} from '../src/index.js';
import { expectClose, loadFixture, num, paramOf } from './helpers.js';

interface Spec {
  type: string;
  options?: Record<string, unknown>;
  lambda?: string;
  schedulers?: Spec[];
  milestones?: number[];
}
interface Case {
  name: string;
  optimizer: 'sgd' | 'adam';
  spec: Spec;
  lrs: (number | string)[][];
  momenta?: (number | null)[][];
  metrics?: number[];
}

const fx = loadFixture<{ cases: Case[] }>('schedulers.json');

const LAMBDAS: Record<string, LrLambda> = {
  pow095: (e) => 0.95 ** e,
  halving5: (e) => 0.5 ** Math.floor(e / 5),
  mul09: () => 0.9,
};

/** The generator's optimizer: two groups, lr 0.1 and 0.05 (SGD with momentum 0.9, or Adam). */
function makeOptimizer(kind: 'sgd' | 'adam') {
  const p1 = paramOf(zeros([2]));
  const p2 = paramOf(zeros([3]));
  const groups = [{ params: [p1] }, { params: [p2], lr: 0.05 }];
  const opt: AnyOptimizer =
    kind === 'adam' ? new Adam(groups, { lr: 0.1 }) : new SGD(groups, { lr: 0.1, momentum: 0.9 });
  return {
    opt,
    dispose: () => {
      p1.dispose();
      p2.dispose();
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: options come from JSON and are typed by each constructor
type Opts = any;
function build(opt: AnyOptimizer, spec: Spec): Scheduler & { step(): void } {
  const o: Opts = spec.options ?? {};
  switch (spec.type) {
    case 'StepLR':
      return new StepLR(opt, o);
    case 'MultiStepLR':
      return new MultiStepLR(opt, o);
    case 'ExponentialLR':
      return new ExponentialLR(opt, o);
    case 'PolynomialLR':
      return new PolynomialLR(opt, o);
    case 'CosineAnnealingLR':
      return new CosineAnnealingLR(opt, o);
    case 'CosineAnnealingWarmRestarts':
      return new CosineAnnealingWarmRestarts(opt, o);
    case 'LinearLR':
      return new LinearWarmup(opt, o);
    case 'ConstantLR':
      return new ConstantLR(opt, o);
    case 'LambdaLR':
      return new LambdaLR(opt, { lrLambda: LAMBDAS[spec.lambda!]! });
    case 'MultiplicativeLR':
      return new MultiplicativeLR(opt, { lrLambda: LAMBDAS[spec.lambda!]! });
    case 'InverseTimeDecay':
      return new InverseTimeDecay(opt, o);
    case 'OneCycleLR':
      return new OneCycleLR(opt, o as OneCycleOptions);
    case 'SequentialLR':
      return new SequentialLR(opt, {
        schedulers: spec.schedulers!.map((s) => build(opt, s) as LRScheduler),
        milestones: spec.milestones!,
      });
    case 'ChainedScheduler':
      return new ChainedScheduler(spec.schedulers!.map((s) => build(opt, s) as LRScheduler));
    default:
      throw new Error(`unknown scheduler ${spec.type}`);
  }
}

function momenta(opt: AnyOptimizer): (number | null)[] {
  return opt.paramGroups.map((g) => {
    const m = g as { betas?: [number, number]; momentum?: number };
    return m.betas ? m.betas[0] : (m.momentum ?? null);
  });
}

const expected = (row: (number | string)[]) => row.map(num);
const RTOL = 1e-12;

/** Save through JSON (as a checkpoint would) and load into a fresh optimizer and scheduler. */
function roundTrip(state: { optimizer: unknown; scheduler: SchedulerState }) {
  const { json, tensors } = splitState(state);
  expect(Object.keys(tensors)).toEqual([]);
  return joinState<{ optimizer: Parameters<AnyOptimizer['loadStateDict']>[0]; scheduler: SchedulerState }>(
    JSON.parse(JSON.stringify(json)) as JsonValue,
    tensors,
  );
}

describe('LR schedules match torch.optim.lr_scheduler (PyTorch 1.13) over 30 steps', () => {
  for (const c of fx.cases.filter((k) => k.spec.type !== 'ReduceLROnPlateau')) {
    it(`${c.name}: learning rates${c.momenta ? ' and momenta' : ''}`, () => {
      const { opt, dispose } = makeOptimizer(c.optimizer);
      const sched = build(opt, c.spec);
      c.lrs.forEach((row, i) => {
        if (i > 0) {
          opt.step();
          sched.step();
        }
        expectClose(sched.getLastLr(), expected(row), `${c.name} lr after ${i} steps`, RTOL, 1e-15);
        expectClose(
          opt.paramGroups.map((g) => g.lr),
          expected(row),
          `${c.name} group lr after ${i} steps`,
          RTOL,
          1e-15,
        );
        if (c.momenta)
          expectClose(
            momenta(opt) as number[],
            c.momenta[i] as number[],
            `${c.name} momentum ${i}`,
            RTOL,
            1e-15,
          );
      });
      dispose();
    });

    it(`${c.name}: state saved after 10 steps and loaded into fresh objects continues the same`, () => {
      const a = makeOptimizer(c.optimizer);
      const schedA = build(a.opt, c.spec);
      for (let i = 0; i < 10; i++) schedA.step();
      const saved = roundTrip({ optimizer: a.opt.stateDict(), scheduler: schedA.stateDict() });
      const b = makeOptimizer(c.optimizer);
      const schedB = build(b.opt, c.spec);
      b.opt.loadStateDict(saved.optimizer);
      schedB.loadStateDict(saved.scheduler);
      expectClose(schedB.getLastLr(), expected(c.lrs[10]!), `${c.name} lr after load`, RTOL, 1e-15);
      for (let i = 11; i < c.lrs.length; i++) {
        schedB.step();
        expectClose(
          schedB.getLastLr(),
          expected(c.lrs[i]!),
          `${c.name} lr after ${i} steps (resumed)`,
          RTOL,
          1e-15,
        );
      }
      a.dispose();
      b.dispose();
    });
  }

  for (const c of fx.cases.filter((k) => k.spec.type === 'ReduceLROnPlateau')) {
    it(`${c.name}: learning rates for a fixed metric sequence`, () => {
      const { opt, dispose } = makeOptimizer('sgd');
      const sched = new ReduceLROnPlateau(opt, c.spec.options as ReduceLROnPlateauOptions);
      expectClose(sched.getLastLr(), expected(c.lrs[0]!), `${c.name} initial lr`, RTOL, 1e-15);
      c.metrics!.forEach((m, i) => {
        opt.step();
        sched.step(m);
        expectClose(
          sched.getLastLr(),
          expected(c.lrs[i + 1]!),
          `${c.name} lr after metric ${i} (${m})`,
          RTOL,
          1e-15,
        );
      });
      dispose();
    });

    it(`${c.name}: state survives JSON (best = ±Infinity included) and resumes`, () => {
      const a = makeOptimizer('sgd');
      const schedA = new ReduceLROnPlateau(a.opt, c.spec.options as ReduceLROnPlateauOptions);
      expect(JSON.parse(JSON.stringify(schedA.stateDict())).best).toBeNull();
      const metrics = c.metrics!;
      for (let i = 0; i < 12; i++) schedA.step(metrics[i]!);
      const saved = roundTrip({ optimizer: a.opt.stateDict(), scheduler: schedA.stateDict() });
      const b = makeOptimizer('sgd');
      const schedB = new ReduceLROnPlateau(b.opt, c.spec.options as ReduceLROnPlateauOptions);
      b.opt.loadStateDict(saved.optimizer);
      schedB.loadStateDict(saved.scheduler);
      for (let i = 12; i < metrics.length; i++) {
        schedB.step(metrics[i]!);
        expectClose(
          schedB.getLastLr(),
          expected(c.lrs[i + 1]!),
          `${c.name} lr after metric ${i} (resumed)`,
          RTOL,
          1e-15,
        );
      }
      a.dispose();
      b.dispose();
    });
  }

  it('LinearWarmup is LinearLR', () => {
    expect(LinearWarmup).toBe(LinearLR);
  });

  it('errors name the schedule and the bad value', () => {
    const { opt, dispose } = makeOptimizer('sgd');
    expect(() => new StepLR(opt, { stepSize: 0 })).toThrow(
      /StepLR: stepSize must be a positive integer, got 0/,
    );
    expect(() => new OneCycleLR(opt, { maxLr: 1 })).toThrow(/totalSteps, or epochs and stepsPerEpoch/);
    expect(() => new OneCycleLR(opt, { maxLr: [1, 2, 3], totalSteps: 10 })).toThrow(/expected 2 values/);
    expect(() => new ReduceLROnPlateau(opt, { factor: 1 })).toThrow(/factor must be < 1/);
    const s = new OneCycleLR(opt, { maxLr: 1, totalSteps: 2 });
    s.step();
    s.step();
    expect(() => s.step()).toThrow(/tried to step 4 times; the cycle has 2 total steps/);
    dispose();
  });
});
