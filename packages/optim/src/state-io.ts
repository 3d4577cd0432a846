import { joinState, loadSafetensors, saveSafetensors, splitState, Tensor } from '@myelin/core';
import type { JsonValue, Optimizer, OptimizerStateDict } from './optimizer.js';

/** The metadata key under which `saveOptimizerState` stores the JSON part. */
export const OPTIMIZER_STATE_KEY = 'myelin.optimizer';

// splitState / joinState live in core (saveModel stores optimizer state with them); re-exported
// here, where they were first.
export { joinState, type SplitState, splitState } from '@myelin/core';

/**
 * The optimizer's state as safetensors bytes: its tensors by dotted name, and the rest as JSON in
 * the metadata under `myelin.optimizer`. `loadOptimizerState` reads it back.
 *
 * ```ts
 * await writeFile('opt.safetensors', await saveOptimizerState(opt));
 * loadOptimizerState(opt2, await readFile('opt.safetensors'));
 * ```
 */
export async function saveOptimizerState(optimizer: Optimizer<{ lr: number }>): Promise<Uint8Array> {
  const { json, tensors } = splitState(optimizer.stateDict());
  return saveSafetensors(tensors, { metadata: { [OPTIMIZER_STATE_KEY]: JSON.stringify(json) } });
}

/** Read bytes from `saveOptimizerState` into a state dict (the caller owns its tensors). */
export function readOptimizerState(bytes: Uint8Array): OptimizerStateDict {
  const { tensors, metadata } = loadSafetensors(bytes);
  const text = metadata[OPTIMIZER_STATE_KEY];
  if (text === undefined) {
    for (const t of Object.values(tensors)) t.dispose();
    throw new Error(`readOptimizerState: no '${OPTIMIZER_STATE_KEY}' metadata: not an optimizer state file`);
  }
  return joinState<OptimizerStateDict>(JSON.parse(text) as JsonValue, tensors);
}

/** Load bytes from `saveOptimizerState` into `optimizer` (same parameter layout). */
export function loadOptimizerState(optimizer: Optimizer<{ lr: number }>, bytes: Uint8Array): void {
  const sd = readOptimizerState(bytes);
  try {
    optimizer.loadStateDict(sd);
  } finally {
    disposeAll(sd.state);
  }
}

function disposeAll(v: unknown): void {
  if (v instanceof Tensor) v.dispose();
  else if (Array.isArray(v)) for (const x of v) disposeAll(x);
  else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) disposeAll(x);
}
