import { Parameter, type Tensor, Variable } from '@myelin/core';

/** A fresh tensor as a trainable parameter (the temporary released). */
export function param(t: Tensor): Parameter {
  const p = new Parameter(t);
  t.dispose();
  return p;
}

/** A fresh tensor as a buffer: a non-trainable Variable (the temporary released). */
export function buffer(t: Tensor): Variable {
  const v = new Variable(t, { requiresGrad: false });
  t.dispose();
  return v;
}
