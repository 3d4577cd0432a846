import * as m from '@myelin/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type WebGpuBackend, webgpuBackend } from '../src/index.js';

/* How reads behave on WebGPU: asynchronous always, synchronous only for small host-written indices. */

let backend: WebGpuBackend | null = null;
let reason = '';
try {
  backend = await webgpuBackend();
} catch (e) {
  reason = (e as Error).message;
}

describe.skipIf(!backend)(`webgpu reads${backend ? '' : ` (skipped: ${reason})`}`, () => {
  beforeAll(async () => {
    await m.use(backend as WebGpuBackend);
  });

  it('dataSync on a tensor computed on the GPU says to use data()', async () => {
    const y = m.tensor([1, 2, 3]).mul(2);
    expect(() => y.dataSync()).toThrow(/await t\.data\(\)/);
    expect(Array.from(await y.data())).toEqual([2, 4, 6]);
  });

  it('small int32 indices written from the host, and sliced or cast from them, read synchronously', () => {
    const idx = m.tensor([3, 1, 2, 0], { dtype: 'int32' });
    expect(Array.from(idx.dataSync())).toEqual([3, 1, 2, 0]);
    expect(Array.from(m.slice(idx, [1, 3]).dataSync())).toEqual([1, 2]);
    expect(Array.from(m.cast(m.tensor([true, false]), 'int32').dataSync())).toEqual([1, 0]);
  });

  it('bool reads come back as Uint8Array', async () => {
    const b = m.tensor([1, -2, 3]).greater(0);
    const v = await b.data();
    expect(v).toBeInstanceOf(Uint8Array);
    expect(Array.from(v)).toEqual([1, 0, 1]);
  });
});
