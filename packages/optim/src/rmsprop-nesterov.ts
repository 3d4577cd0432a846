import type { ParamsInput } from './optimizer.js';
import { RMSprop, type RMSpropOptions } from './rmsprop.js';

/** RMSprop's options; `nesterov` defaults to true here. */
export type NesterovRMSpropOptions = RMSpropOptions;

/**
 * RMSprop with Nesterov momentum (Sutskever et al. 2013's look-ahead, in the form torch's SGD uses
 * for `nesterov: true`) on RMSprop's normalised gradient u = g/(√v + ε):
 *
 *     v ← αv + (1−α)g²;   b ← μb + u;   θ ← θ − lr·(u + μb)
 *
 * It is `RMSprop` with `nesterov: true` and momentum 0.9 by default (momentum must be > 0); with
 * `nesterov: false` it is `RMSprop` with momentum.
 */
export class NesterovRMSprop extends RMSprop {
  constructor(params: ParamsInput<NesterovRMSpropOptions>, options: Partial<NesterovRMSpropOptions> = {}) {
    super(params, { momentum: 0.9, nesterov: true, ...options });
  }

  protected override get name(): string {
    return 'NesterovRMSprop';
  }
}
