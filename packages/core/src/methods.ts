import { type BackwardOptions, backward, bindAutogradOps, bindOnes, stopGradient } from './autograd.js';
import * as ops from './ops/index.js';
import { Tensor } from './tensor.js';

/**
 * The chainable face of the ops: `x.add(y).relu()` is `relu(add(x, y))`. Each method is the
 * function of the same name with the tensor as its first argument; the types live in tensor.ts.
 */
export const METHOD_NAMES = [
  // elementwise
  'neg',
  'abs',
  'sign',
  'exp',
  'expm1',
  'log',
  'log1p',
  'log2',
  'sqrt',
  'rsqrt',
  'square',
  'reciprocal',
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'sinh',
  'cosh',
  'tanh',
  'sigmoid',
  'logSigmoid',
  'softplus',
  'softsign',
  'relu',
  'relu6',
  'leakyRelu',
  'elu',
  'selu',
  'celu',
  'gelu',
  'silu',
  'mish',
  'hardSigmoid',
  'hardSwish',
  'hardTanh',
  'erf',
  'floor',
  'ceil',
  'round',
  'trunc',
  'isNaN',
  'isFinite',
  'logicalNot',
  'clip',
  'cast',
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'mod',
  'floorDiv',
  'atan2',
  'equal',
  'notEqual',
  'less',
  'lessEqual',
  'greater',
  'greaterEqual',
  'logicalAnd',
  'logicalOr',
  'logicalXor',
  // reductions
  'sum',
  'mean',
  'prod',
  'max',
  'min',
  'any',
  'all',
  'argmax',
  'argmin',
  'variance',
  'std',
  'logSumExp',
  'norm',
  // linear algebra
  'matmul',
  'dot',
  'outer',
  // shape
  'reshape',
  'flatten',
  'squeeze',
  'unsqueeze',
  'transpose',
  'permute',
  'broadcastTo',
  'split',
  'chunk',
  'slice',
  'pad',
  'clone',
  'tile',
  'repeat',
  'flip',
  'roll',
  'tril',
  'triu',
  // indexing
  'gather',
  'take',
  'indexSelect',
  'scatter',
  'scatterAdd',
  'maskedFill',
  'topk',
  'sort',
  'argsort',
  'cumsum',
  'cumprod',
  'oneHot',
  // nn
  'softmax',
  'logSoftmax',
] as const;

type Fn = (self: Tensor, ...rest: unknown[]) => unknown;
const proto = Tensor.prototype as unknown as Record<string, (this: Tensor, ...rest: unknown[]) => unknown>;
const table = ops as unknown as Record<string, Fn>;
for (const name of METHOD_NAMES) {
  const f = table[name]!;
  proto[name] = function (this: Tensor, ...rest: unknown[]) {
    return f(this, ...rest);
  };
}
proto.backward = function (this: Tensor, ...rest: unknown[]) {
  const [first, second] = rest as [Tensor | BackwardOptions | undefined, BackwardOptions | undefined];
  return first instanceof Tensor || first === undefined
    ? backward(this, first, second)
    : backward(this, first);
};
proto.detach = function (this: Tensor) {
  return stopGradient(this);
};

bindAutogradOps(ops.add, (t) => ops.zerosLike(t));
bindOnes((t) => ops.onesLike(t));
