import type { Parameter, Tensor } from '@myelin/core';
import { scope } from '@myelin/core';
import {
  Adadelta,
  Adagrad,
  Adam,
  Adamax,
  AdamW,
  NAdam,
  type Optimizer,
  type ParamGroupInput,
  RMSprop,
  SGD,
} from '../src/index.js';
import { type EncTensor, fromEnc, loadFixture, paramFrom } from './helpers.js';

/** A case of optimizers.json. */
export interface OptimizerCase {
  optimizer: string;
  name: string;
  options: Record<string, unknown>;
  groups?: ({ params: number[] } & Record<string, unknown>)[];
  steps: { loss: number; params: EncTensor[] }[];
}
interface Fixture {
  problem: Record<'X' | 'Y' | 'C' | 'W' | 'b', EncTensor>;
  cases: OptimizerCase[];
}

export const fx = loadFixture<Fixture>('optimizers.json');

// biome-ignore lint/suspicious/noExplicitAny: constructors of different option types, picked by name
type AnyCtor = new (params: any, options?: any) => Optimizer<{ lr: number }>;
export const OPTIMIZERS: Record<string, AnyCtor> = {
  SGD,
  Adagrad,
  RMSprop,
  Adadelta,
  Adam,
  AdamW,
  Adamax,
  NAdam,
};

/** The fixture's loss: mean((X@W + b − Y)²) + mean(tanh(X@W + b)·C). */
export function makeProblem() {
  const [X, Y, C] = (['X', 'Y', 'C'] as const).map((k) => fromEnc(fx.problem[k]));
  const params = (): [Parameter, Parameter] => [paramFrom(fx.problem.W), paramFrom(fx.problem.b)];
  const loss = (W: Tensor, b: Tensor): Tensor => {
    const z = X!.matmul(W).add(b);
    return z.sub(Y!).square().mean().add(z.tanh().mul(C!).mean());
  };
  const dispose = () => {
    for (const t of [X, Y, C]) t!.dispose();
  };
  return { params, loss, dispose };
}

export function buildOptimizer(
  c: Pick<OptimizerCase, 'optimizer' | 'options' | 'groups'>,
  params: Parameter[],
) {
  const Ctor = OPTIMIZERS[c.optimizer]!;
  if (!c.groups) return new Ctor(params, c.options);
  const groups = c.groups.map(({ params: idx, ...over }) => ({
    params: idx.map((i) => params[i]!),
    ...over,
  }));
  return new Ctor(groups as ParamGroupInput<{ lr: number }>[], c.options);
}

/** One training step: forward and backward in a scope, then the optimizer step. Returns the loss. */
export function trainStep(opt: Optimizer<{ lr: number }>, loss: () => Tensor): number {
  opt.zeroGrad();
  const value = scope(() => {
    const l = loss();
    l.backward();
    return l.item();
  });
  opt.step();
  return value;
}
