import { fromValues } from '../engine.js';
import type { Tensor } from '../tensor.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  entryToTypedArray,
  type SafetensorsEntry,
  type SafetensorsWriteDType,
  typedArrayToEntry,
} from './safetensors.js';

/**
 * Serialise named tensors to safetensors bytes (F32/I32/BOOL by default; `as` picks another
 * storage type per tensor, e.g. `{ 'fc.weight': 'F16' }`).
 */
export async function saveSafetensors(
  tensors: Record<string, Tensor>,
  options: { metadata?: Record<string, string>; as?: Record<string, SafetensorsWriteDType> } = {},
): Promise<Uint8Array> {
  const entries: Record<string, SafetensorsEntry> = {};
  for (const [name, t] of Object.entries(tensors)) {
    entries[name] = typedArrayToEntry(await t.data(), t.dtype, t.shape, options.as?.[name]);
  }
  return encodeSafetensors(entries, options.metadata);
}

/**
 * Read safetensors bytes into tensors on the active backend (F16/BF16/F64 → float32, I64/U8/… →
 * int32). The whole file is validated before anything is uploaded; if a tensor still fails (a
 * value outside int32, a backend error), the tensors already uploaded are disposed before the
 * error propagates, so a bad file leaves `memory()` where it was. The returned records have no
 * prototype (see `decodeSafetensors`).
 */
export function loadSafetensors(bytes: Uint8Array): {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
} {
  const { tensors: entries, metadata } = decodeSafetensors(bytes);
  const tensors: Record<string, Tensor> = Object.create(null);
  const made: Tensor[] = [];
  try {
    for (const [name, e] of Object.entries(entries)) {
      const { dtype, values } = entryToTypedArray(e, name);
      const t = fromValues(values, e.shape, dtype, 'loadSafetensors');
      made.push(t);
      tensors[name] = t;
    }
  } catch (err) {
    for (const t of made) t.dispose();
    throw err;
  }
  return { tensors, metadata };
}
