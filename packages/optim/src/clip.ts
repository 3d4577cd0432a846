import {
  clip,
  div,
  keep,
  max,
  noGrad,
  norm,
  scope,
  stack,
  type Tensor,
  tensor,
  Variable,
} from '@myelin/core';

function listOf(params: Iterable<Variable> | Variable): Variable[] {
  return params instanceof Variable ? [params] : [...params];
}

/**
 * Scale the gradients of `params` together so that their joint `normType`-norm is at most
 * `maxNorm`, as `torch.nn.utils.clip_grad_norm_` (PyTorch 1.13): every gradient is multiplied by
 * min(1, maxNorm / (total + 1e-6)). Returns the total norm before clipping as a 0-d tensor (owned
 * by the current scope, or by the caller outside one; `.item()` reads it).
 *
 * `normType` is any p > 0 or `Infinity` / `'inf'` (the largest |g|). With `errorIfNonfinite` a NaN
 * or infinite total norm throws instead of scaling.
 *
 * ```ts
 * loss.backward();
 * clipGradNorm(model.parameters(), 1.0);
 * opt.step();
 * ```
 */
export function clipGradNorm(
  params: Iterable<Variable> | Variable,
  maxNorm: number,
  normType: number | 'inf' = 2,
  options: { errorIfNonfinite?: boolean } = {},
): Tensor {
  const withGrad = listOf(params).filter((p) => p.grad !== null);
  const p = normType === 'inf' ? Infinity : normType;
  if (!(p === Infinity || p > 0)) {
    throw new RangeError(
      `clipGradNorm: normType must be a positive number or 'inf', got ${String(normType)}`,
    );
  }
  if (withGrad.length === 0) return tensor(0);
  const total = noGrad(() =>
    scope(() => {
      const norms = withGrad.map((q) => (p === Infinity ? q.grad!.abs().max() : norm(q.grad!, p)));
      // torch takes the norm of the stacked norms even for one tensor; for inf, the max of several
      const totalNorm =
        p === Infinity ? (norms.length === 1 ? norms[0]! : max(stack(norms))) : norm(stack(norms), p);
      if (options.errorIfNonfinite && !Number.isFinite(totalNorm.item())) {
        throw new RangeError(
          `clipGradNorm: the total norm of order ${String(normType)} of the gradients is non-finite, so it cannot be clipped`,
        );
      }
      const coef = clip(div(maxNorm, totalNorm.add(1e-6)), -Infinity, 1);
      for (const q of withGrad) {
        const old = q.grad!;
        q.grad = keep(old.mul(coef));
        old.dispose();
      }
      return totalNorm;
    }),
  );
  return total;
}

/**
 * Clamp every gradient entry of `params` to [−clipValue, clipValue], as
 * `torch.nn.utils.clip_grad_value_`.
 */
export function clipGradValue(params: Iterable<Variable> | Variable, clipValue: number): void {
  if (!(clipValue >= 0)) throw new RangeError(`clipGradValue: clipValue must be >= 0, got ${clipValue}`);
  noGrad(() => {
    for (const q of listOf(params)) {
      const old = q.grad;
      if (!old) continue;
      q.grad = keep(clip(old, -clipValue, clipValue));
      old.dispose();
    }
  });
}
