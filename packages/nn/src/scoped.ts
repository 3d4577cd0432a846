import { scope } from '@myelin/core';

/**
 * Run an nn function in its own memory scope, as core wraps its ops: the temporaries it makes are
 * freed when it returns, whether or not the caller uses scopes; only what it returns survives
 * (tensors found in arrays, plain objects and Maps of the result).
 */
export function nnOp<F extends (...args: never[]) => unknown>(f: F): F {
  return ((...args: never[]) => scope(() => f(...args))) as F;
}
