import { cpuBackend } from '@myelin/backend-cpu';
import type { Backend, Tensor } from '@myelin/core';
import * as m from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { type WebGpuBackend, webgpuBackend } from '../src/index.js';

/*
 * Mesa's llvmpipe (the software adapter of GPU-less machines) ends every loop of a shader
 * invocation once the invocation has run 65,535 loop iterations in total, silently. Each case
 * here makes one invocation's loop pass that count on a per-thread design (rows of 70,000 and
 * 200,000 elements, a whole-tensor reduction of 4.5 million, an index axis of 70,000) and checks
 * the result against the CPU backend or a closed form. The inputs plant their decisive element
 * (the maximum, the last entry) past the cap, so a truncated loop cannot pass.
 */

let gpu: WebGpuBackend | null = null;
let reason = '';
try {
  gpu = await webgpuBackend();
} catch (e) {
  reason = (e as Error).message;
}
const cpu = cpuBackend();

/** `f` on both backends; returns [gpu, cpu] values of every output. */
async function both(f: () => Tensor[]): Promise<[Float32Array[], Float32Array[]]> {
  const run = async (b: Backend) => {
    await m.use(b);
    const ts = m.scope(() => f());
    const out = await Promise.all(ts.map(async (t) => Float32Array.from(await t.data())));
    for (const t of ts) t.dispose();
    return out;
  };
  const g = await run(gpu as WebGpuBackend);
  const c = await run(cpu);
  return [g, c];
}

/** Values of `f` on the GPU alone. */
async function onGpu(f: () => Tensor[]): Promise<Float32Array[]> {
  await m.use(gpu as WebGpuBackend);
  const ts = m.scope(() => f());
  const out = await Promise.all(ts.map(async (t) => Float32Array.from(await t.data())));
  for (const t of ts) t.dispose();
  return out;
}

function expectClose(got: Float32Array[], want: Float32Array[], tol = 1e-4): void {
  expect(got.length).toBe(want.length);
  for (let k = 0; k < got.length; k++) {
    expect(got[k]!.length, `output ${k} length`).toBe(want[k]!.length);
    let worst = 0;
    let at = -1;
    for (let i = 0; i < got[k]!.length; i++) {
      if (Number.isNaN(got[k]![i]!) && Number.isNaN(want[k]![i]!)) continue;
      const e = Math.abs(got[k]![i]! - want[k]![i]!) / (1 + Math.abs(want[k]![i]!));
      if (!(e <= worst)) {
        worst = e;
        at = i;
      }
    }
    expect(worst, `output ${k}, worst at ${at}`).toBeLessThan(tol);
  }
}

/** Seeded uniform values in [-2, 2) with a maximum of 5 planted at `peak` of each row of `len`. */
function rows(count: number, len: number, peak: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const v = new Float32Array(count * len);
  for (let i = 0; i < v.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = (s / 2 ** 32 - 0.5) * 4;
  }
  for (let r = 0; r < count; r++) v[r * len + peak] = 5;
  return v;
}

const LONG = 70_000;
const LONGER = 200_000;

describe.skipIf(!gpu)(
  `webgpu loops past llvmpipe's 65,535-iteration cap${gpu ? '' : ` (skipped: ${reason})`}`,
  () => {
    it('softmax and logSoftmax along rows of 70,000 and 200,000, and down a column of 70,000', async () => {
      const a = rows(2, LONG, LONG - 3, 1);
      const b = rows(1, LONGER, LONGER - 1, 2);
      const [g, c] = await both(() => {
        const x = m.tensor(a, { shape: [2, LONG] });
        const y = m.tensor(b, { shape: [1, LONGER] });
        const z = m.tensor(a, { shape: [LONG, 2] });
        return [
          m.softmax(x, -1),
          m.logSoftmax(x, -1),
          m.softmax(y, -1),
          m.logSoftmax(y, -1),
          m.softmax(z, 0),
        ];
      });
      expectClose(g, c, 1e-4);
      // the closed form of the reported case: a row of zeros gives 1/len everywhere, the last too
      const [u] = await onGpu(() => [m.softmax(m.zeros([1, 30_000]), -1)]);
      expect(u![29_999]).toBeCloseTo(1 / 30_000, 9);
    });

    it('sum, max, argmax and argmin along long rows, and argmax down a long column', async () => {
      const a = rows(2, LONGER, LONGER - 2, 3);
      const [g, c] = await both(() => {
        const x = m.tensor(a, { shape: [2, LONGER] });
        const col = m.tensor(a.subarray(0, 3 * LONG), { shape: [LONG, 3] });
        return [
          m.sum(x, 1),
          m.max(x, 1),
          m.cast(m.argmax(x, 1), 'float32'),
          m.cast(m.argmin(m.neg(x), 1), 'float32'),
          m.cast(m.argmax(col, 0), 'float32'),
        ];
      });
      expectClose(g, c, 1e-4);
      expect(Array.from(g[2]!)).toEqual([LONGER - 2, LONGER - 2]);
    });

    it('argmax and argmin of long rows: ties to the first index, the first NaN, int32, a NaN softmax row', async () => {
      const a = rows(4, LONG, 100, 6);
      a[66_000] = 5; // row 0: a tie with index 100, past the cap
      a[LONG + 66_000] = Number.NaN; // row 1: NaNs at 66,000 and 68,000
      a[LONG + 68_000] = Number.NaN;
      a[3 * LONG - 1] = -9; // row 2: the minimum at the very end
      const ints = Int32Array.from(a, (v) => (Number.isNaN(v) ? 0 : Math.round(v * 1000)));
      const [g, c] = await both(() => {
        const x = m.tensor(a, { shape: [4, LONG] });
        const n = m.tensor(ints, { shape: [4, LONG], dtype: 'int32' });
        return [
          m.cast(m.argmax(x, 1), 'float32'),
          m.cast(m.argmin(x, 1), 'float32'),
          m.cast(m.argmax(n, 1), 'float32'),
          m.cast(m.argmin(n, 1), 'float32'),
          m.softmax(x, 1),
        ];
      });
      expectClose(g, c, 1e-4);
      expect(Array.from(g[0]!)).toEqual([100, 66_000, 100, 100]);
      expect(g[1]![1]).toBe(66_000);
      expect(g[1]![2]).toBe(LONG - 1);
      expect(Number.isNaN(g[4]![LONG + 5])).toBe(true);
    });

    it('the workgroup-per-line kernels at and just past their threshold, over many lines', async () => {
      const a = rows(70, 1025, 1024, 8);
      const [g, c] = await both(() => {
        const out: Tensor[] = [];
        for (const [shape, axis] of [
          [[70, 1025], 1],
          [[1025, 70], 0],
          [[2, 1024, 35], 1],
          [[70, 1023, 1], 1],
        ] as [number[], number][]) {
          const x = m.tensor(
            a.subarray(
              0,
              shape.reduce((p, d) => p * d, 1),
            ),
            { shape },
          );
          out.push(m.softmax(x, axis), m.logSoftmax(x, axis), m.cumsum(x, axis, { reverse: axis === 0 }));
          out.push(m.cast(m.argmax(x, axis), 'float32'), m.cast(m.argmin(x, axis), 'float32'));
        }
        return out;
      });
      expectClose(g, c, 1e-4);
    });

    it('a whole-tensor sum and max over 4.5 million elements (64 threads of 70,000 each)', async () => {
      const n = 4_500_000;
      const peak = new Float32Array(n);
      peak[n - 1] = 7;
      const [s, mx] = await onGpu(() => [m.sum(m.ones([n])), m.max(m.tensor(peak))]);
      expect(s![0]).toBe(n);
      expect(mx![0]).toBe(7);
    });

    it('cumsum and cumprod along rows of 70,000 and 200,000, forward and reversed', async () => {
      const [f, r, p] = await onGpu(() => [
        m.cumsum(m.ones([2, LONG]), 1),
        m.cumsum(m.ones([LONGER]), 0, { reverse: true }),
        m.cumprod(m.full([LONG], -1), 0),
      ]);
      // closed forms: cumsum of ones counts, cumprod of −1 alternates
      expect(f![LONG - 1]).toBe(LONG);
      expect(f![2 * LONG - 1]).toBe(LONG);
      expect(f![LONG + 1234]).toBe(1235);
      expect(r![0]).toBe(LONGER);
      expect(r![LONGER - 1]).toBe(1);
      expect(p![LONG - 1]).toBe(1);
      expect(p![LONG - 2]).toBe(-1);
    });

    it('cumsum and cumprod of random long rows and down a long column against the CPU', async () => {
      const a = rows(2, LONG, 0, 7);
      const near1 = Float32Array.from(a.subarray(0, LONG), (v) => 1 + v * 1e-5);
      const ints = Int32Array.from(a, (v) => Math.round(v * 100));
      const [g, c] = await both(() => {
        const x = m.tensor(a, { shape: [2, LONG] });
        return [
          m.cumsum(x, 1),
          m.cumsum(x, 1, { reverse: true }),
          m.cumsum(m.tensor(a, { shape: [LONG, 2] }), 0),
          m.cumprod(m.tensor(near1), 0, { reverse: true }),
          m.cumsum(m.tensor(ints, { shape: [2, LONG], dtype: 'int32' }), 1),
        ];
      });
      // float32 running sums of 70,000 terms: the GPU adds 64 runs' totals, the CPU one by one
      expectClose(g, c, 1e-3);
      expect(Array.from(g[4]!)).toEqual(Array.from(c[4]!));
    });

    // Sort and TopK share one rank shader (every element counts the elements that go before it:
    // O(len²) per row, ~20 s for 70,000 on llvmpipe), so one long row exercises both.
    it('sort along a row of 70,000', async () => {
      const a = rows(1, LONG, LONG - 1, 4);
      const [g, c] = await both(() => {
        const [v, i] = m.sort(m.tensor(a), { descending: true });
        return [v, m.cast(i, 'float32')];
      });
      expectClose(g, c, 1e-6);
      expect(g[1]![0]).toBe(LONG - 1);
    }, 120_000);

    it('layerNorm over a row of 1.5 million (64 threads × 3 passes × 23,400)', async () => {
      const n = 1_500_000;
      const a = rows(1, n, n - 1, 5);
      const [g, c] = await both(() => [m.layerNorm(m.tensor(a, { shape: [1, n] }), [n])]);
      expectClose(g, c, 1e-3);
    });

    it('scatterAdd and scatter over an index axis of 70,000; gather and indexSelect of long rows', async () => {
      const hits = new Int32Array(LONG);
      hits[LONG - 1] = 1;
      const src = Float32Array.from({ length: LONG }, (_, j) => j);
      const ones = new Float32Array(LONG).fill(1);
      ones[LONG - 1] = 5;
      const [add, put, gat, sel] = await onGpu(() => {
        const idx = m.tensor(hits, { dtype: 'int32' });
        const s = m.tensor(src);
        const rev = m.tensor(
          Int32Array.from({ length: LONGER }, (_, j) => LONGER - 1 - j),
          { dtype: 'int32' },
        );
        const y = m.arange(0, LONGER);
        return [
          m.scatterAdd(m.zeros([2]), 0, idx, m.tensor(ones)),
          m.scatter(m.zeros([2]), 0, idx, s),
          m.gather(y, 0, rev),
          m.indexSelect(m.reshape(y, [1, LONGER]), 1, rev),
        ];
      });
      // closed forms: index 0 receives LONG − 1 ones, index 1 the planted 5 at the very end; scatter's
      // last write to index 0 is src[LONG − 2]
      expect(Array.from(add!)).toEqual([LONG - 1, 5]);
      expect(Array.from(put!)).toEqual([LONG - 2, LONG - 1]);
      expect(gat![0]).toBe(LONGER - 1);
      expect(gat![LONGER - 1]).toBe(0);
      expect(sel![LONGER - 1]).toBe(0);
    });
  },
);
