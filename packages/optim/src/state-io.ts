import { loadSafetensors, saveSafetensors, Tensor } from '@myelin/core';
import type { JsonValue, Optimizer, OptimizerStateDict } from './optimizer.js';

/** The metadata key under which `saveOptimizerState` stores the JSON part. */
export const OPTIMIZER_STATE_KEY = 'myelin.optimizer';

/** A state dict cut in two: JSON (with `{ "$tensor": name }` where tensors were) and named tensors. */
export interface SplitState {
  json: JsonValue;
  tensors: Record<string, Tensor>;
}

/**
 * Cut a state dict (of an optimizer, or anything holding tensors in plain objects and arrays) into a
 * JSON value and named tensors, e.g. to store both in one safetensors file or beside a model's
 * weights. Tensor names are their dotted paths (`state.0.expAvg`), after `prefix`. Non-finite
 * numbers become `{ "$number": "Infinity" }` so the JSON survives `JSON.stringify`.
 */
export function splitState(value: unknown, prefix = ''): SplitState {
  const tensors: Record<string, Tensor> = {};
  const walk = (v: unknown, path: string): JsonValue => {
    if (v instanceof Tensor) {
      tensors[path] = v;
      return { $tensor: path };
    }
    if (typeof v === 'number') return Number.isFinite(v) ? v : { $number: String(v) };
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (v === undefined) return null;
    if (Array.isArray(v)) return v.map((x, i) => walk(x, join(path, String(i))));
    if (typeof v === 'object') {
      const out: Record<string, JsonValue> = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = walk(x, join(path, k));
      return out;
    }
    throw new TypeError(`splitState: cannot serialise a ${typeof v} at '${path}'`);
  };
  return { json: walk(value, prefix), tensors };
}

/** The inverse of `splitState`: put the tensors back where the JSON names them. */
export function joinState<T = unknown>(json: JsonValue, tensors: Record<string, Tensor>): T {
  const walk = (v: JsonValue): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      if (typeof v.$tensor === 'string' && Object.keys(v).length === 1) {
        const t = tensors[v.$tensor];
        if (!t) throw new RangeError(`joinState: tensor '${v.$tensor}' is missing`);
        return t;
      }
      if (typeof v.$number === 'string' && Object.keys(v).length === 1) return Number(v.$number);
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(json) as T;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

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
