/**
 * @myelin/core: tensors, the backend SPI, ops, autograd, memory management, random numbers, the
 * Module base and safetensors I/O. Pick a backend package to run anything:
 *
 * ```ts
 * import { tensor, grad, use } from '@myelin/core';
 * import { cpuBackend } from '@myelin/backend-cpu';
 * await use(cpuBackend());
 * const dfdx = grad((x) => x.pow(3).sum())(tensor([1, 2, 3])); // [3, 12, 27]
 * ```
 */
import './methods.js';

export {
  type BackwardOptions,
  backward,
  customGrad,
  defineGrad,
  defineNonDifferentiable,
  enableGrad,
  type GradContext,
  type GradFn,
  grad,
  hasGradRule,
  isGradEnabled,
  noGrad,
  opWithGrad,
  stopGradient,
  valueAndGrad,
  vjp,
} from './autograd.js';
export * from './backend.js';
export { hasAsyncContext } from './context.js';
export * from './dtype.js';
export {
  checkAlloc,
  getBackend,
  HOST_MAX_ELEMENTS,
  keep,
  type LeakInfo,
  liveTensors,
  type MemoryInfo,
  memory,
  ready,
  registerBackend,
  registeredBackends,
  resolveBackend,
  scope,
  setDebug,
  use,
} from './engine.js';
export * from './functional/index.js';
export * from './io/index.js';
export * from './kernels.js';
export * from './linalg/index.js';
export { METHOD_NAMES } from './methods.js';
export * from './module.js';
export * from './ops/index.js';
export * from './shape.js';
export { isTensor, type LeafRecord, type NestedArray, Tensor, type TensorLike } from './tensor.js';
export {
  type AnyUnaryRow,
  BIAS_ACTIVATION_ROWS,
  UNARY_ACTIVATIONS,
  UNARY_ROWS,
  UNARY_TABLE,
  type UnaryActivation,
  type UnaryAttrsOf,
  type UnaryFormName,
  type UnaryKernelAttrs,
  type UnaryKind,
  type UnaryOps,
  type UnaryRow,
  unaryForm,
} from './unary-table.js';
