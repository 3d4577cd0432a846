/**
 * @myelin/optim: optimizers with torch.optim's update rules and defaults (PyTorch 1.13), learning-rate
 * schedules, gradient clipping, and optimizer state that saves and loads.
 *
 * ```ts
 * import { Adam, CosineAnnealingLR, clipGradNorm } from '@myelin/optim';
 * const opt = new Adam(model.parameters(), { lr: 1e-3 });
 * const sched = new CosineAnnealingLR(opt, { Tmax: epochs });
 * for (const [x, y] of batches) {
 *   scope(() => {
 *     const loss = lossFn(model.forward(x), y);
 *     loss.backward();
 *     clipGradNorm(model.parameters(), 1.0);
 *     opt.step();
 *     opt.zeroGrad();
 *   });
 * }
 * sched.step();
 * ```
 */
export { Adadelta, type AdadeltaOptions } from './adadelta.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { Adam, type AdamOptions, AdamW } from './adam.js';
export { Adamax, type AdamaxOptions } from './adamax.js';
export { ASGD, type ASGDOptions } from './asgd.js';
export { clipGradNorm, clipGradValue } from './clip.js';
export * from './delta-bar-delta.js';
export { LBFGS, type LBFGSOptions } from './lbfgs.js';
export { NAdam, type NAdamOptions } from './nadam.js';
export {
  type BaseOptions,
  type Closure,
  type JsonValue,
  Optimizer,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type ParamsInput,
  type ScheduleFields,
  type StateValue,
} from './optimizer.js';
export { RAdam, type RAdamOptions } from './radam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { NesterovRMSprop, type NesterovRMSpropOptions } from './rmsprop-nesterov.js';
export { Rprop, type RpropOptions } from './rprop.js';
export {
  type AnyOptimizer,
  LRScheduler,
  type Scheduler,
  type SchedulerState,
} from './schedulers/base.js';
export { ChainedScheduler, SequentialLR } from './schedulers/compose.js';
export { CosineAnnealingLR, CosineAnnealingWarmRestarts } from './schedulers/cosine.js';
export { CyclicLR, type CyclicLROptions } from './schedulers/cyclic.js';
export {
  ConstantLR,
  ExponentialLR,
  InverseTimeDecay,
  LambdaLR,
  LinearLR,
  LinearWarmup,
  type LrLambda,
  MultiplicativeLR,
  MultiStepLR,
  PolynomialLR,
  type ScheduleOptions,
  StepLR,
} from './schedulers/decay.js';
export { OneCycleLR, type OneCycleOptions } from './schedulers/one-cycle.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './schedulers/plateau.js';
export {
  bfgs,
  type MinimizeResult,
  type NewtonCGOptions,
  newton,
  newtonCG,
  type Objective,
  type SecondOrderOptions,
} from './second-order.js';
export { SGD, type SGDOptions } from './sgd.js';
export { SparseAdam, type SparseAdamOptions } from './sparse-adam.js';
export {
  joinState,
  loadOptimizerState,
  OPTIMIZER_STATE_KEY,
  readOptimizerState,
  type SplitState,
  saveOptimizerState,
  splitState,
} from './state-io.js';
export {
  AveragedModel,
  type AveragedModelOptions,
  type AveragingFn,
  SWALR,
  type SWALROptions,
} from './swa.js';
