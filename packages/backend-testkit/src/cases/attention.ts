import type { CaseBuilder } from '../generated.js';
import type { OpFn } from '../ops-table.js';
import type { RefOp } from '../reference.js';

/*
 * Scaled dot-product attention: its generated edge cases, the call into core, a float64 reference
 * and which inputs get gradients.
 */

/** Op name → the core call of a case. */
export const ATTENTION_OPS: Readonly<Record<string, OpFn>> = {};

/** Op name → float64 reference. */
export const ATTENTION_REFERENCE: Readonly<Record<string, RefOp>> = {};

/** Op name → positions of the inputs that get gradients. */
export const ATTENTION_DIFFERENTIABLE: Readonly<Record<string, readonly number[] | 'all'>> = {};

/** Add the generated cases. */
export function attentionCases(b: CaseBuilder): void {
  void b;
}
