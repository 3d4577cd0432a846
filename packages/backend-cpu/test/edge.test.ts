import * as m from '@myelin/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpuBackend } from '../src/index.js';

// Regressions found by the testkit's generated edge cases (issue 18), with closed-form answers.

describe('cpu edge regressions', () => {
  beforeAll(async () => {
    await m.use(cpuBackend());
  });

  it('logSoftmax keeps log Σ at large magnitudes (torch: [3e38, 3e38] → −log 2; [1e4, 1e4] exact)', async () => {
    const big = await m.logSoftmax(m.tensor([[3e38, 3e38]]), 1).data();
    expect([...big].map((v) => v.toFixed(6))).toEqual(['-0.693147', '-0.693147']);
    const cols = await m.logSoftmax(m.tensor([[3e38], [3e38]]), 0).data();
    expect(cols[0]).toBeCloseTo(-Math.log(2), 6);
    const rows = await m.logSoftmax(m.tensor([[1e4, 1e4, 1e4, 1e4]]), 1).data();
    expect(rows[0]).toBeCloseTo(-Math.log(4), 6);
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
});
