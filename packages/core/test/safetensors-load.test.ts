import { describe, expect, it } from 'vitest';
import type { Backend, DataId } from '../src/backend.js';
import type { DType, TypedArray } from '../src/dtype.js';
import { memory, use } from '../src/engine.js';
import { loadSafetensors } from '../src/io/index.js';
import { encodeSafetensors, type SafetensorsEntry, typedArrayToEntry } from '../src/io/safetensors.js';

/**
 * Core has no backend of its own (backends depend on core, not the reverse), so this test runs on
 * a storage-only backend: `loadSafetensors` only writes tensors, which is all such a backend needs,
 * and `memory()` is core's own accounting over it.
 */
function hostStorage(): Backend {
  const live = new Map<DataId, TypedArray>();
  return {
    name: 'host-storage',
    write(values: TypedArray, _dtype: DType) {
      const id = {};
      live.set(id, values.slice());
      return id;
    },
    read: async (id) => live.get(id)!.slice(),
    readSync: (id) => live.get(id)!.slice(),
    free(id) {
      live.delete(id);
    },
    memory: () => ({ handles: live.size, bytes: [...live.values()].reduce((n, v) => n + v.byteLength, 0) }),
    supports: () => true,
    kernels: {},
    dispose() {
      live.clear();
    },
  };
}

describe('loadSafetensors on a bad file leaves memory() where it was (issue 18)', () => {
  it('a failing entry after k good ones frees the k uploaded tensors, for every k', async () => {
    await use(hostStorage());
    for (let k = 0; k <= 5; k++) {
      // k float tensors, then a U32 holding 2^31, which does not fit int32 (the writer lays F32
      // before U32, so the bad one comes last).
      const entries: Record<string, SafetensorsEntry> = {};
      for (let j = 0; j < k; j++)
        entries[`w${j}`] = typedArrayToEntry(new Float32Array(3 + j), 'float32', [3 + j]);
      const big = new Uint8Array(4);
      new DataView(big.buffer).setUint32(0, 2 ** 31, true);
      entries.z = { dtype: 'U32', shape: [1], data: big };
      const bytes = encodeSafetensors(entries);
      const before = memory();
      expect(() => loadSafetensors(bytes)).toThrow(/safetensors: tensor "z" \(U32\) holds 2147483648/);
      const after = memory();
      expect({ k, tensors: after.tensors, bytes: after.bytes }).toEqual({
        k,
        tensors: before.tensors,
        bytes: before.bytes,
      });
    }
  });

  it('a good file still loads, and the tensors it made are the only new ones', async () => {
    await use(hostStorage());
    const before = memory().tensors;
    const { tensors } = loadSafetensors(
      encodeSafetensors({
        a: typedArrayToEntry(new Float32Array([1, 2]), 'float32', [2]),
        constructor: typedArrayToEntry(new Int32Array([7]), 'int32', [1]),
      }),
    );
    expect(memory().tensors - before).toBe(2);
    const get = (name: string) => tensors[name]!;
    expect(Array.from(get('a').dataSync())).toEqual([1, 2]);
    expect(Array.from(get('constructor').dataSync())).toEqual([7]);
    for (const t of Object.values(tensors)) t.dispose();
    expect(memory().tensors).toBe(before);
  });
});
