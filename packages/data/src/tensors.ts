import { isTensor, type Tensor } from '@myelin/core';

/**
 * Ownership of the tensors that flow through a pipeline. The rule (the one tf.data follows): an
 * element handed to the next stage belongs to that stage. A stage that drops an element (filter,
 * skip, a batch cut by `dropLast`, a buffer left behind by an early `break`) disposes its tensors;
 * a stage that transforms one (map, collate) disposes the input tensors that its output does not
 * reuse. Sources therefore hand out fresh tensors (slices, or cheap views of the tensors given to
 * `fromArray`), never the caller's own.
 *
 * Containers searched: arrays, plain objects and Maps, to depth 16 — the same containers core's
 * `scope()` searches for the tensors a function returns.
 */
const MAX_DEPTH = 16;

function walk(v: unknown, out: Set<Tensor>, depth: number): void {
  if (depth > MAX_DEPTH || v === null || typeof v !== 'object') return;
  if (isTensor(v)) {
    out.add(v);
    return;
  }
  if (Array.isArray(v)) for (const x of v) walk(x, out, depth + 1);
  else if (v instanceof Map) for (const x of v.values()) walk(x, out, depth + 1);
  else if (isPlainObject(v)) for (const x of Object.values(v)) walk(x, out, depth + 1);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Every tensor inside `value` (a tensor, or arrays / plain objects / Maps holding tensors). */
export function collectTensors(value: unknown): Set<Tensor> {
  const out = new Set<Tensor>();
  walk(value, out, 0);
  return out;
}

/**
 * Dispose every tensor inside `value`: a batch from a `DataLoader`, an element of a `Dataset`.
 *
 * @example
 * for await (const batch of loader) {
 *   trainStep(batch.x, batch.y);
 *   disposeTensors(batch);
 * }
 */
export function disposeTensors(value: unknown): void {
  for (const t of collectTensors(value)) t.dispose();
}

/** Dispose the tensors of `input` that `output` does not contain (a stage consumed its input). */
export function disposeReplaced(input: unknown, output: unknown): void {
  const inputs = collectTensors(input);
  if (inputs.size === 0) return;
  const kept = collectTensors(output);
  for (const t of inputs) if (!kept.has(t)) t.dispose();
}

/**
 * `value` with each tensor replaced by a new tensor sharing its storage (a reshape view: no copy),
 * so the receiver may dispose what it got without freeing the original. Values without tensors are
 * returned as they are.
 */
export function cloneTensors<T>(value: T): T {
  return cloneAt(value, 0) as T;
}

function cloneAt(v: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH || v === null || typeof v !== 'object') return v;
  if (isTensor(v)) return v.reshape(v.shape);
  if (Array.isArray(v)) return hasTensor(v) ? v.map((x) => cloneAt(x, depth + 1)) : v;
  if (v instanceof Map) {
    if (!hasTensor(v)) return v;
    const m = new Map();
    for (const [k, x] of v) m.set(k, cloneAt(x, depth + 1));
    return m;
  }
  if (isPlainObject(v)) {
    if (!hasTensor(v)) return v;
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = cloneAt(x, depth + 1);
    return o;
  }
  return v;
}

function hasTensor(v: unknown): boolean {
  return collectTensors(v).size > 0;
}
