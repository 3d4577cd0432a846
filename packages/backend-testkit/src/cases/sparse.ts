import type { CaseBuilder } from '../generated.js';
import type { OpFn } from '../ops-table.js';
import type { RefOp } from '../reference.js';

/*
 * The sparse and segment ops (segmentReduce, scatterReduce, segmentSoftmax, spmm, sddmm): their
 * generated edge cases, the calls into core, float64 references and which inputs get gradients.
 */

/** Op name → the core call of a case. */
export const SPARSE_OPS: Readonly<Record<string, OpFn>> = {};

/** Op name → float64 reference. */
export const SPARSE_REFERENCE: Readonly<Record<string, RefOp>> = {};

/** Op name → positions of the inputs that get gradients. */
export const SPARSE_DIFFERENTIABLE: Readonly<Record<string, readonly number[] | 'all'>> = {};

/** Add the generated cases. */
export function sparseCases(b: CaseBuilder): void {
  void b;
}
