import { cpuBackend } from '@myelin/backend-cpu';
import type { Backend, Tensor } from '@myelin/core';
import * as m from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { type WebGpuBackend, webgpuBackend } from '../src/index.js';

/*
 * Shapes the golden fixtures are too small to reach: several 32×32 GEMM tiles with ragged edges,
 * products of hundreds of tiles (with K up to 4,800 in a filter gradient),
 * K spanning many 16-wide steps, broadcast batches, grouped/strided/dilated convolutions and their
 * gradients, reductions longer than a workgroup, long sort rows. Each is computed on webgpu and on
 * the CPU reference from the same seeded inputs.
 */

let gpu: WebGpuBackend | null = null;
let reason = '';
try {
  gpu = await webgpuBackend();
} catch (e) {
  reason = (e as Error).message;
}
const cpu = cpuBackend();

/** `f` on both backends (inputs from the same seeds); returns [gpu, cpu] values of every output. */
async function both(f: () => Tensor[]): Promise<[Float32Array[], Float32Array[]]> {
  const run = async (b: Backend) => {
    await m.use(b);
    return m.scope(() => f()).map((t) => t);
  };
  const read = async (ts: Tensor[]) => {
    const out = await Promise.all(ts.map(async (t) => Float32Array.from(await t.data())));
    for (const t of ts) t.dispose();
    return out;
  };
  const g = await read(await run(gpu as WebGpuBackend));
  const c = await read(await run(cpu));
  return [g, c];
}

function expectClose(got: Float32Array[], want: Float32Array[], tol = 1e-4): void {
  expect(got.length).toBe(want.length);
  for (let k = 0; k < got.length; k++) {
    expect(got[k]!.length).toBe(want[k]!.length);
    let worst = 0;
    for (let i = 0; i < got[k]!.length; i++) {
      worst = Math.max(worst, Math.abs(got[k]![i]! - want[k]![i]!) / (1 + Math.abs(want[k]![i]!)));
    }
    expect(worst, `output ${k}`).toBeLessThan(tol);
  }
}

const rn = (shape: number[], seed: number) => m.randn(shape, { seed });

describe.skipIf(!gpu)(`webgpu kernels beyond fixture sizes${gpu ? '' : ` (skipped: ${reason})`}`, () => {
  it('matmul: ragged multi-tile shapes, long K, transposes, broadcast batch', async () => {
    const [g, c] = await both(() => [
      m.matmul(rn([70, 45], 1), rn([45, 90], 2)),
      m.matmul(rn([3, 1, 33, 100], 3), rn([2, 100, 17], 4)),
      m.matmul(rn([65, 40], 5), rn([40, 65], 6), { transposeA: true, transposeB: true }),
    ]);
    expectClose(g, c);
  });

  it('matmul and conv2d over hundreds of tiles: ragged edges, transposes, batches, an M under one tile', async () => {
    const [g, c] = await both(() => {
      const x = rn([8, 16, 24, 25], 13);
      const w = rn([24, 16, 3, 3], 14);
      const cot = rn([8, 24, 24, 25], 17);
      const f = (xx: Tensor, ww: Tensor) => m.conv2d(xx, ww, { padding: 1 });
      const [gx, gw] = m.grad((xx: Tensor, ww: Tensor) => f(xx, ww).mul(cot).sum(), [0, 1])(x, w) as Tensor[];
      return [
        m.matmul(rn([520, 130], 9), rn([130, 530], 10)),
        m.matmul(rn([137, 600], 11), rn([590, 137], 12), { transposeA: true, transposeB: true }),
        m.matmul(rn([5, 200, 70], 15), rn([5, 70, 210], 16)),
        f(x, w),
        gx!,
        gw!,
      ];
    });
    // The filter gradient sums 4,800 products per element in float32 (K = N·OH·OW): its rounding
    // error, in either block size, is ~1e-4 of the result.
    expectClose(g, c, 5e-4);
  });

  it('conv2d forward and both gradients: strided, dilated, grouped, padded', async () => {
    const [g, c] = await both(() => {
      const x = rn([2, 6, 13, 11], 7);
      const w = rn([8, 3, 3, 3], 8);
      const f = (xx: Tensor, ww: Tensor) =>
        m.conv2d(xx, ww, { stride: [2, 1], padding: [2, 1], dilation: [1, 2], groups: 2 });
      const y = f(x, w);
      const [gx, gw] = m.grad((xx: Tensor, ww: Tensor) => f(xx, ww).square().sum(), [0, 1])(x, w) as Tensor[];
      return [y, gx!, gw!];
    });
    expectClose(g, c);
  });

  it('reductions longer than a workgroup, softmax rows, cumsum, long sort rows', async () => {
    const [g, c] = await both(() => {
      const x = rn([3, 5000], 9);
      const [vals, idx] = m.sort(rn([2, 300], 10), { descending: true });
      return [
        m.sum(x, 1),
        m.max(x, 0),
        m.softmax(x, -1),
        m.cumsum(rn([4, 700], 11), 1),
        vals,
        m.cast(idx, 'float32'),
      ];
    });
    expectClose(g, c, 1e-3);
  });

  it('layerNorm: rows longer than a workgroup, more rows than a dispatch dimension, and its gradient', async () => {
    const [g, c] = await both(() => {
      const x = rn([3, 5000], 12);
      const w = rn([5000], 13);
      const b = rn([5000], 14);
      const y = m.layerNorm(x, [5000], { weight: w, bias: b });
      const loss = (xx: Tensor) =>
        m
          .layerNorm(xx, [7, 13])
          .mul(rn([7, 13], 15))
          .sum();
      const [gx] = m.grad(loss, [0])(rn([5, 7, 13], 16)) as Tensor[];
      return [y, m.layerNorm(rn([70000, 3], 17), [3], { eps: 0.1 }), m.layerNorm(rn([4, 1], 18), [1]), gx!];
    });
    expectClose(g, c, 1e-3);
  });

  it('biasAct: every activation along axis 0, 1 and last, with gradients for x and bias', async () => {
    const acts = ['none', 'relu', 'gelu', 'tanh', 'sigmoid', 'silu'] as const;
    const shape = [2, 5, 13, 11];
    for (const axis of [0, 1, 3, -1]) {
      const [g, c] = await both(() => {
        const x = rn(shape, 19 + axis);
        const b = rn([shape.at(axis)!], 29 + axis);
        const out: Tensor[] = [];
        for (const activation of acts) {
          out.push(m.biasAct(x, b, { axis, activation }));
          const w = rn(shape, 39);
          const [gx, gb] = m.grad(
            (xx: Tensor, bb: Tensor) => m.biasAct(xx, bb, { axis, activation }).mul(w).sum(),
            [0, 1],
          )(x, b) as Tensor[];
          out.push(gx!, gb!);
        }
        return out;
      });
      expectClose(g, c, 1e-4);
    }
  });
});
