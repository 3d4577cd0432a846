import { cpuBackend } from '@myelin/backend-cpu';
import type { Backend, DataId, Tensor } from '@myelin/core';
import * as m from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { type WebGpuBackend, webgpuBackend } from '../src/index.js';

/*
 * Core's lstmCell/gruCell ops on webgpu (where they run the fused kernels of kernels/rnn.ts) against
 * the CPU backend running core's decomposition of the cells, from the same seeds, and a small LSTM and GRU sequence regressor trained by SGD
 * through time on both: losses must agree step by step within float32 tolerance, fall, and the
 * live handles must stay flat across steps. The recurrences are written out here from core ops
 * (one matmul per step for all gates, PyTorch's layout W_ih (4H, I), W_hh (4H, H)), since this
 * package does not depend on @myelin/nn.
 */

let gpu: WebGpuBackend | null = null;
let reason = '';
try {
  gpu = await webgpuBackend();
} catch (e) {
  reason = (e as Error).message;
}

const CELL_KERNELS = ['LstmCell', 'LstmCellGrad', 'GruCell', 'GruCellGrad'] as const;

/**
 * The reference: the CPU backend without its own fused cells, so core decomposes each cell into
 * primitive ops (slices, sigmoid, tanh, products) and autograd differentiates those; neither
 * fused implementation is compared with itself.
 */
function reference(): Backend {
  const b = cpuBackend();
  for (const k of CELL_KERNELS) delete (b.kernels as Record<string, unknown>)[k];
  return b;
}

/** Count calls of the fused cell kernels on `b` while `f` runs. */
async function counting<T>(b: Backend, f: () => Promise<T>): Promise<[T, Record<string, number>]> {
  const table = b.kernels as Record<string, ((args: unknown) => DataId[]) | undefined>;
  const saved = CELL_KERNELS.map((k) => table[k]);
  const calls: Record<string, number> = {};
  for (const k of CELL_KERNELS) {
    const impl = table[k];
    if (!impl) continue;
    calls[k] = 0;
    table[k] = (args) => {
      calls[k]!++;
      return impl(args);
    };
  }
  try {
    return [await f(), calls];
  } finally {
    CELL_KERNELS.forEach((k, i) => {
      table[k] = saved[i];
    });
  }
}

async function read(ts: Tensor[]): Promise<Float32Array[]> {
  const out = await Promise.all(ts.map(async (t) => Float32Array.from(await t.data())));
  for (const t of ts) t.dispose();
  return out;
}

function expectClose(got: Float32Array[], want: Float32Array[], tol: number): void {
  expect(got.length).toBe(want.length);
  for (let k = 0; k < got.length; k++) {
    expect(got[k]!.length).toBe(want[k]!.length);
    let worst = 0;
    for (let i = 0; i < got[k]!.length; i++)
      worst = Math.max(worst, Math.abs(got[k]![i]! - want[k]![i]!) / (1 + Math.abs(want[k]![i]!)));
    expect(worst, `output ${k}`).toBeLessThan(tol);
  }
}

const rn = (shape: number[], seed: number, std = 1) => m.randn(shape, { seed, std });

/** One cell's outputs and input gradients (weighted by fixed cotangents), on the active backend. */
function cellCase(): Tensor[] {
  const [n, h] = [5, 7];
  const gates = rn([n, 4 * h], 1, 2);
  const c = rn([n, h], 2);
  const wh = rn([n, h], 3);
  const wc = rn([n, h], 4);
  const [h1, c1] = m.lstmCell(gates, c);
  const [dGates, dc] = m.grad(
    (g: Tensor, cc: Tensor) => {
      const [a, b] = m.lstmCell(g, cc);
      return a.mul(wh).sum().add(b.mul(wc).sum());
    },
    [0, 1],
  )(gates, c) as Tensor[];
  const gx = rn([n, 3 * h], 5, 2);
  const gh = rn([n, 3 * h], 6, 2);
  const hp = rn([n, h], 7);
  const g1 = m.gruCell(gx, gh, hp);
  const [dgx, dgh, dhp] = m.grad(
    (a: Tensor, b: Tensor, hh: Tensor) => m.gruCell(a, b, hh).mul(wh).sum(),
    [0, 1, 2],
  )(gx, gh, hp) as Tensor[];
  return [h1, c1, dGates!, dc!, g1, dgx!, dgh!, dhp!];
}

type Kind = 'lstm' | 'gru';

/**
 * Train a one-layer recurrent regressor (input 3, hidden 8, 6 steps, batch 4: predict the running
 * mean of the inputs' first feature from the last hidden state) by SGD for `steps` steps.
 */
async function train(backend: Backend, kind: Kind, steps: number) {
  await m.use(backend);
  const [inp, hid, len, batch] = [3, 8, 6, 4];
  const gates = kind === 'lstm' ? 4 : 3;
  const k = 1 / Math.sqrt(hid);
  let params = m.keep([
    m
      .rand([gates * hid, inp], { seed: 1 })
      .mul(2 * k)
      .sub(k), // W_ih
    m
      .rand([gates * hid, hid], { seed: 2 })
      .mul(2 * k)
      .sub(k), // W_hh
    m
      .rand([gates * hid], { seed: 3 })
      .mul(2 * k)
      .sub(k), // b_ih
    m
      .rand([gates * hid], { seed: 4 })
      .mul(2 * k)
      .sub(k), // b_hh
    m
      .rand([1, hid], { seed: 5 })
      .mul(2 * k)
      .sub(k), // head
  ]);
  const xs = m.keep(rn([2, len, batch, inp], 6));
  const ys = m.keep(m.mean(m.slice(xs, null, null, null, [0, 1]), 1).reshape([2, batch, 1]));
  const loss =
    (x: Tensor, y: Tensor) =>
    (...p: Tensor[]) => {
      const [wIh, wHh, bIh, bHh, head] = p as [Tensor, Tensor, Tensor, Tensor, Tensor];
      let h = m.zeros([batch, hid]);
      let c = m.zeros([batch, hid]);
      for (let t = 0; t < len; t++) {
        const xt = m.slice(x, [t, t + 1]).reshape([batch, inp]);
        const gx = xt.matmul(wIh, { transposeB: true }).add(bIh);
        const gh = h.matmul(wHh, { transposeB: true }).add(bHh);
        if (kind === 'lstm') [h, c] = m.lstmCell(gx.add(gh), c);
        else h = m.gruCell(gx, gh, h);
      }
      return h.matmul(head, { transposeB: true }).sub(y).square().mean();
    };
  const losses: number[] = [];
  const handles: number[] = [];
  const gpuBytes: number[] = [];
  for (let s = 0; s < steps; s++) {
    const [value, next] = m.scope(() => {
      const x = m.slice(xs, [s % 2, (s % 2) + 1]).reshape([len, batch, inp]);
      const y = m.slice(ys, [s % 2, (s % 2) + 1]).reshape([batch, 1]);
      const [l, grads] = m.valueAndGrad(
        loss(x, y),
        params.map((_, i) => i),
      )(...params);
      const updated = m.noGrad(() => params.map((p, i) => p.sub((grads as Tensor[])[i]!.mul(0.5))));
      return [l, updated] as const;
    });
    losses.push((await value.data())[0]!);
    value.dispose();
    for (const p of params) p.dispose();
    params = m.keep(next);
    handles.push(m.memory().handles);
    gpuBytes.push((backend as Partial<WebGpuBackend>).rt?.pool.allocatedBytes ?? 0);
  }
  for (const t of [...params, xs, ys]) t.dispose();
  return { losses, handles, gpuBytes };
}

describe.skipIf(!gpu)(
  `fused recurrent cells through core on webgpu${gpu ? '' : ` (skipped: ${reason})`}`,
  () => {
    it('lstmCell and gruCell forward and gradients run fused and match core’s decomposition on the CPU backend', async () => {
      const g = gpu as WebGpuBackend;
      const [got, calls] = await counting(g, async () => {
        await m.use(g);
        return read(m.scope(() => cellCase()));
      });
      expect(calls).toEqual({ LstmCell: 2, LstmCellGrad: 1, GruCell: 2, GruCellGrad: 1 });
      await m.use(reference());
      const want = await read(m.scope(() => cellCase()));
      expectClose(got, want, 2e-5);
    });

    for (const kind of ['lstm', 'gru'] as const) {
      it(`a small ${kind.toUpperCase()} trains by SGD through time with the CPU decomposition's losses and flat memory`, async () => {
        const ref = await train(reference(), kind, 8);
        const [got, calls] = await counting(gpu as WebGpuBackend, () => train(gpu as WebGpuBackend, kind, 8));
        // 6 time steps × 8 SGD steps: one forward and one backward cell kernel per time step.
        const [fwd, bwd] = kind === 'lstm' ? ['LstmCell', 'LstmCellGrad'] : ['GruCell', 'GruCellGrad'];
        expect([calls[fwd], calls[bwd]]).toEqual([48, 48]);
        for (let i = 0; i < ref.losses.length; i++) expect(got.losses[i]).toBeCloseTo(ref.losses[i]!, 5);
        // the two batches alternate: each one's loss falls from its first visit to its last
        expect(got.losses[6]!).toBeLessThan(got.losses[0]! * 0.9);
        expect(got.losses[7]!).toBeLessThan(got.losses[1]! * 0.9);
        expect(new Set(got.handles.slice(1)).size).toBe(1);
        // the GPU buffer pool stops growing once the first steps have sized it
        expect(new Set(got.gpuBytes.slice(2)).size).toBe(1);
      }, 60_000);
    }
  },
);
