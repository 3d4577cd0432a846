import * as m from '@myelin/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { wasmBackend } from '../src/index.js';

/*
 * Regressions from issue 18, with closed-form expectations: float reductions whose input has one
 * element (every dim size 1, so nothing is left after dropping the size-1 dims), int32 matmul,
 * log-softmax of rows at ±1e4 and ±3e38 and bool scatterAdd (found by the generated edge cases).
 * The testkit's generated edge cases cover the whole class on every backend; these name the bugs.
 */

for (const threads of [1, 2]) {
  describe(`wasm edge regressions (${threads} thread${threads > 1 ? 's' : ''})`, () => {
    beforeAll(async () => {
      await m.use(await wasmBackend({ threads }));
    });

    it('reduces a one-element float tensor to its element (sum, max, min, mean, prod)', async () => {
      const x = m.tensor([5]);
      const y = m.tensor([[-2.5]]);
      expect(await m.sum(x).data()).toEqual(new Float32Array([5]));
      expect(await m.max(y).data()).toEqual(new Float32Array([-2.5]));
      expect(await m.min(y).data()).toEqual(new Float32Array([-2.5]));
      expect(await m.mean(m.tensor([[[7]]]), [0, 2]).data()).toEqual(new Float32Array([7]));
      expect(await m.sum(m.tensor([[3]]), 1, { keepdims: true }).data()).toEqual(new Float32Array([3]));
      expect(await m.prod(x).data()).toEqual(new Float32Array([5]));
    });

    it('gives logSumExp of one element as the element and softmax 1 for a batch of one', async () => {
      expect(await m.logSumExp(m.tensor([[2]]), 1).data()).toEqual(new Float32Array([2]));
      expect(
        await m
          .softmax(m.tensor([[1, 2]]), 1)
          .sum()
          .data(),
      ).toEqual(new Float32Array([1]));
    });

    it('logSoftmax keeps log Σ at large magnitudes (torch: [3e38, 3e38] → −log 2; [1e4, 1e4] exact)', async () => {
      const big = await m.logSoftmax(m.tensor([[3e38, 3e38]]), 1).data();
      expect([...big].map((v) => v.toFixed(6))).toEqual(['-0.693147', '-0.693147']);
      const rows = await m.logSoftmax(m.tensor([[1e4, 1e4, 1e4, 1e4]]), 1).data();
      expect(rows[0]).toBeCloseTo(-Math.log(4), 6);
      // an axis that is not innermost takes the strided path
      const cols = await m.logSoftmax(m.tensor([[3e38], [3e38]]), 0).data();
      expect(cols[0]).toBeCloseTo(-Math.log(2), 6);
    });

    it('scatterAdd on bool saturates: true + true is true (stored as 1, not 2)', async () => {
      const x = m.tensor([false, false], { dtype: 'bool' });
      const out = m.scatterAdd(
        x,
        0,
        m.tensor([0, 0, 1], { dtype: 'int32' }),
        m.tensor([true, true, false], { dtype: 'bool' }),
      );
      expect([...(await out.data())]).toEqual([1, 0]);
    });

    it('multiplies int32 matrices in int32 ([[1,2],[3,4]]² = [[7,10],[15,22]])', async () => {
      const a = m.tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { dtype: 'int32' },
      );
      const p = m.matmul(a, a);
      expect(p.dtype).toBe('int32');
      expect([...(await p.data())]).toEqual([7, 10, 15, 22]);
      const v = m.matmul(
        m.tensor([[2, -3, 4]], { dtype: 'int32' }),
        m.tensor([[5], [6], [7]], { dtype: 'int32' }),
      );
      expect([...(await v.data())]).toEqual([2 * 5 - 3 * 6 + 4 * 7]);
      // transposed operands are strides to the same loop: aᵀa and abᵀ
      expect([...(await m.matmul(a, a, { transposeA: true }).data())]).toEqual([10, 14, 14, 20]);
      expect([...(await m.matmul(a, a, { transposeB: true }).data())]).toEqual([5, 11, 11, 25]);
    });
  });
}
