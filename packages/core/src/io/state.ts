import { Tensor } from '../tensor.js';

/** A JSON value, as a state dict's non-tensor part holds. */
export type StateJson = number | string | boolean | null | StateJson[] | { [key: string]: StateJson };

/** A state dict cut in two: JSON (with `{ "$tensor": name }` where tensors were) and named tensors. */
export interface SplitState {
  json: StateJson;
  tensors: Record<string, Tensor>;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/**
 * Cut a state dict (of an optimizer, or anything holding tensors in plain objects and arrays) into a
 * JSON value and named tensors, e.g. to store both in one safetensors file or beside a model's
 * weights. Tensor names are their dotted paths (`state.0.expAvg`), after `prefix`. Non-finite
 * numbers become `{ "$number": "Infinity" }` so the JSON survives `JSON.stringify`.
 */
export function splitState(value: unknown, prefix = ''): SplitState {
  const tensors: Record<string, Tensor> = {};
  const walk = (v: unknown, path: string): StateJson => {
    if (v instanceof Tensor) {
      tensors[path] = v;
      return { $tensor: path };
    }
    if (typeof v === 'number') return Number.isFinite(v) ? v : { $number: String(v) };
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (v === undefined) return null;
    if (Array.isArray(v)) return v.map((x, i) => walk(x, join(path, String(i))));
    if (typeof v === 'object') {
      const out: Record<string, StateJson> = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = walk(x, join(path, k));
      return out;
    }
    throw new TypeError(`splitState: cannot serialise a ${typeof v} at '${path}'`);
  };
  return { json: walk(value, prefix), tensors };
}

/** The inverse of `splitState`: put the tensors back where the JSON names them. */
export function joinState<T = unknown>(json: StateJson, tensors: Record<string, Tensor>): T {
  const walk = (v: StateJson): unknown => {
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
