import { type BackwardOptions, backward, stopGradient } from './autograd.js';
import * as ops from './ops/index.js';
import { Tensor } from './tensor.js';

/** The name of every chainable op (the keys of `METHOD_TABLE` in ops/index.ts). */
export const METHOD_NAMES = Object.keys(ops.METHOD_TABLE) as readonly ops.MethodName[];

type Fn = (self: Tensor, ...rest: unknown[]) => unknown;
const proto = Tensor.prototype as unknown as Record<string, (this: Tensor, ...rest: unknown[]) => unknown>;
for (const [name, op] of Object.entries(ops.METHOD_TABLE)) {
  const f = op as Fn;
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
