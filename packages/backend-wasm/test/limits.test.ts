import * as m from '@myelin/core';
import { afterAll, describe, expect, it } from 'vitest';
import { type WasmBackend, wasmBackend } from '../src/index.js';

/* Sizes are checked against the wasm memory's maximum before anything is allocated (issue 18):
 * zeros([2**30]) used to build a 4 GiB host array for 14 s before "out of memory". */

const GiB = 2 ** 30;
const made: WasmBackend[] = [];
afterAll(() => {
  for (const b of made) b.dispose();
});

describe.each([1, 2])('wasm size limits with %i thread(s)', (threads) => {
  it('maxElements fits the memory maximum (4 GiB single-threaded, 2 GiB shared) beside the static data', async () => {
    const b = await wasmBackend({ threads });
    made.push(b);
    const max = threads > 1 && b.threads > 1 ? 2 * GiB : 4 * GiB;
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const bpe = dtype === 'bool' ? 1 : 4;
      const n = b.maxElements(dtype);
      expect(n * bpe).toBeLessThan(max);
      // Size classes waste at most a quarter: the limit is no lower than that.
      expect(n * bpe).toBeGreaterThan(max * 0.74);
    }
  });

  it('too-large creations, random draws and kernel outputs fail at once, naming op, shape and limit', async () => {
    const b = await wasmBackend({ threads });
    made.push(b);
    await m.use(b);
    const limit = b.maxElements('float32');
    const over = [limit + 1];
    const cases: [string, () => unknown][] = [
      ['zeros', () => m.zeros([2 ** 30])],
      ['ones', () => m.ones(over)],
      ['randn', () => m.randn([2 ** 30])],
      ['rand', () => m.rand(over)],
    ];
    for (const [op, f] of cases) {
      const t0 = performance.now();
      expect(f, op).toThrow(
        new RegExp(
          `^${op}: shape \\[[0-9,]+\\] holds \\d+ float32 elements .*more than backend 'wasm' can hold in one tensor: ${limit} elements \\(its 32-bit memory holds at most`,
        ),
      );
      expect(performance.now() - t0, op).toBeLessThan(100);
    }
    const a = m.ones([2 ** 15, 1]);
    const c = m.ones([1, 2 ** 15 + 1]);
    expect(() => a.mul(c)).toThrow(/^Mul: shape \[32768,32769\] holds 1073774592 float32 elements/);
    // Within the limit all is well.
    expect(Array.from(m.ones([3]).dataSync())).toEqual([1, 1, 1]);
  });
});
