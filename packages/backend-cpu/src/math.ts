/**
 * Scalar formulas of the binary elementwise tables, each matching PyTorch's CPU behaviour where
 * JS's `Math` differs. Small enough that V8 inlines them into the kernel loops. The unary ones
 * (erf, softplus, round half to even, …) live in core's scalar-math.ts beside the unary op table.
 */

/** `torch.remainder` on floats: the C remainder shifted to take the divisor's sign (NaN for b = 0). */
export function remainder(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

/** `torch.remainder` on int32 (Python semantics); b = 0 gives 0 instead of raising. */
export function remainderInt(a: number, b: number): number {
  const r = (a % b) | 0;
  return r !== 0 && (r ^ b) < 0 ? r + b : r;
}

/**
 * `torch.floor_divide` on floats. Dividing then flooring can be off by one when a/b rounds up to an
 * integer, so this follows CPython's float floordiv (which PyTorch copies): derive the quotient from
 * the exact C remainder.
 */
export function floorDiv(a: number, b: number): number {
  if (b === 0) return a / b;
  const mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0 && b < 0 !== mod < 0) div -= 1;
  if (div === 0) return 0 * (a / b); // a signed zero, as CPython
  const floored = Math.floor(div);
  return div - floored > 0.5 ? floored + 1 : floored;
}

/** `torch.floor_divide` on int32. The double quotient of two int32s never rounds across an integer. */
export function floorDivInt(a: number, b: number): number {
  return Math.floor(a / b) | 0;
}

/** C's `pow` (which PyTorch uses): unlike `Math.pow`, `pow(1, NaN)` and `pow(-1, ±Infinity)` are 1. */
export function pow(a: number, b: number): number {
  if (a === 1 || b === 0) return 1;
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1;
  return a ** b;
}

/**
 * Integer power with int32 wrap-around, by repeated squaring. Negative exponents truncate toward
 * zero as C integer division would (PyTorch rejects them for integer tensors).
 */
export function powInt(a: number, b: number): number {
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b & 1 ? -1 : 1) : 0;
  let result = 1;
  let base = a | 0;
  while (b > 0) {
    if (b & 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
    b >>>= 1;
  }
  return result;
}
