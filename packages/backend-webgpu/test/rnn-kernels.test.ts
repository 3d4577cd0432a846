import type { DataId, KernelName, OutputSpec } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { type WebGpuBackend, webgpuBackend } from '../src/index.js';

/*
 * The fused LSTM/GRU cell kernels called directly on the backend, against a float64 reference
 * written here from the equations documented on the kernels (PyTorch's gate orders i, f, g, o and
 * r, z, n). The backward kernels are checked against central differences of that float64 forward,
 * not against hand-derived gradients, so a wrong derivative cannot agree with itself.
 */

let gpu: WebGpuBackend | null = null;
let reason = '';
try {
  gpu = await webgpuBackend();
} catch (e) {
  reason = (e as Error).message;
}

// --- float64 reference ---------------------------------------------------------------------

const sig = (x: number) => 1 / (1 + Math.exp(-x));

/** One LSTM unit: pre-activations i, f, g, o and the previous cell → [h', c']. */
function lstmUnit(i: number, f: number, g: number, o: number, c: number): [number, number] {
  const c2 = sig(f) * c + sig(i) * Math.tanh(g);
  return [sig(o) * Math.tanh(c2), c2];
}

/** One GRU unit: input and hidden parts of r, z, n and the previous hidden → h'. */
function gruUnit(xr: number, xz: number, xn: number, hr: number, hz: number, hn: number, h: number): number {
  const r = sig(xr + hr);
  const z = sig(xz + hz);
  const n = Math.tanh(xn + r * hn);
  return (1 - z) * n + z * h;
}

/** ∂f/∂args[k] for every k by central differences (float64). */
function numericGrad(f: (...a: number[]) => number, args: number[]): number[] {
  return args.map((_, k) => {
    const eps = 1e-6 * Math.max(1, Math.abs(args[k]!));
    const up = args.slice();
    const down = args.slice();
    up[k]! += eps;
    down[k]! -= eps;
    return (f(...up) - f(...down)) / (2 * eps);
  });
}

function lstmRef(gates: Float32Array, c: Float32Array, n: number, h: number) {
  const hOut = new Float64Array(n * h);
  const cOut = new Float64Array(n * h);
  for (let r = 0; r < n; r++)
    for (let j = 0; j < h; j++) {
      const g = r * 4 * h + j;
      [hOut[r * h + j], cOut[r * h + j]] = lstmUnit(
        gates[g]!,
        gates[g + h]!,
        gates[g + 2 * h]!,
        gates[g + 3 * h]!,
        c[r * h + j]!,
      );
    }
  return [hOut, cOut];
}

function lstmGradRef(
  gates: Float32Array,
  c: Float32Array,
  dh: Float32Array,
  dc: Float32Array,
  n: number,
  h: number,
) {
  const dgates = new Float64Array(n * 4 * h);
  const dcOut = new Float64Array(n * h);
  for (let r = 0; r < n; r++)
    for (let j = 0; j < h; j++) {
      const g = r * 4 * h + j;
      const u = r * h + j;
      // the cotangent-weighted output of this unit, as a function of its five inputs
      const loss = (i: number, f: number, gg: number, o: number, cc: number) => {
        const [h2, c2] = lstmUnit(i, f, gg, o, cc);
        return dh[u]! * h2 + dc[u]! * c2;
      };
      const d = numericGrad(loss, [gates[g]!, gates[g + h]!, gates[g + 2 * h]!, gates[g + 3 * h]!, c[u]!]);
      for (let k = 0; k < 4; k++) dgates[g + k * h] = d[k]!;
      dcOut[u] = d[4]!;
    }
  return [dgates, dcOut];
}

function gruRef(gx: Float32Array, gh: Float32Array, hp: Float32Array, n: number, h: number) {
  const out = new Float64Array(n * h);
  for (let r = 0; r < n; r++)
    for (let j = 0; j < h; j++) {
      const g = r * 3 * h + j;
      out[r * h + j] = gruUnit(
        gx[g]!,
        gx[g + h]!,
        gx[g + 2 * h]!,
        gh[g]!,
        gh[g + h]!,
        gh[g + 2 * h]!,
        hp[r * h + j]!,
      );
    }
  return [out];
}

function gruGradRef(
  gx: Float32Array,
  gh: Float32Array,
  hp: Float32Array,
  dh: Float32Array,
  n: number,
  h: number,
) {
  const dgx = new Float64Array(n * 3 * h);
  const dgh = new Float64Array(n * 3 * h);
  const dhOut = new Float64Array(n * h);
  for (let r = 0; r < n; r++)
    for (let j = 0; j < h; j++) {
      const g = r * 3 * h + j;
      const u = r * h + j;
      const loss = (...a: number[]) => dh[u]! * gruUnit(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!);
      const d = numericGrad(loss, [
        gx[g]!,
        gx[g + h]!,
        gx[g + 2 * h]!,
        gh[g]!,
        gh[g + h]!,
        gh[g + 2 * h]!,
        hp[u]!,
      ]);
      for (let k = 0; k < 3; k++) {
        dgx[g + k * h] = d[k]!;
        dgh[g + k * h] = d[3 + k]!;
      }
      dhOut[u] = d[6]!;
    }
  return [dgx, dgh, dhOut];
}

// --- running a kernel on the backend ---------------------------------------------------------

/** Seeded normal-ish values (sum of uniforms), scaled, rounded to float32. */
function values(count: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return Float32Array.from({ length: count }, () => (u() + u() + u() - 1.5) * 2 * scale);
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Run kernel `name` on the GPU with the given float32 inputs; returns the outputs and frees all. */
async function runKernel(
  name: KernelName,
  inputs: [Float32Array, number[]][],
  outShapes: number[][],
): Promise<Float32Array[]> {
  const b = gpu as WebGpuBackend;
  const ids = inputs.map(([v]) => b.write(v, 'float32'));
  const outputs: OutputSpec[] = outShapes.map((shape) => ({ shape, dtype: 'float32' }));
  const impl = b.kernels[name] as (args: unknown) => DataId[];
  const outs = impl({
    inputs: inputs.map(([, shape], k) => ({ dataId: ids[k]!, shape, dtype: 'float32' })),
    attrs: {},
    outputs,
  });
  const got = await Promise.all(outs.map(async (id) => Float32Array.from(await b.read(id))));
  for (const id of [...ids, ...outs]) b.free(id);
  return got.map((g, k) => g.subarray(0, size(outShapes[k]!)));
}

function expectClose(got: Float32Array[], want: Float64Array[], tol: number): void {
  expect(got.length).toBe(want.length);
  for (let k = 0; k < got.length; k++) {
    expect(got[k]!.length, `output ${k} length`).toBe(want[k]!.length);
    let worst = 0;
    let at = -1;
    for (let i = 0; i < want[k]!.length; i++) {
      const g = got[k]![i]!;
      const err = Number.isFinite(g) ? Math.abs(g - want[k]![i]!) / (1 + Math.abs(want[k]![i]!)) : Infinity;
      if (err > worst) [worst, at] = [err, i];
    }
    expect(worst, `output ${k}, element ${at}`).toBeLessThan(tol);
  }
}

async function checkLstm(n: number, h: number, seed: number, scale = 2, tol = 2e-5): Promise<void> {
  const gates = values(n * 4 * h, seed, scale);
  const c = values(n * h, seed + 1, scale);
  const dh = values(n * h, seed + 2);
  const dc = values(n * h, seed + 3);
  const fwd = await runKernel(
    'LstmCell',
    [
      [gates, [n, 4 * h]],
      [c, [n, h]],
    ],
    [
      [n, h],
      [n, h],
    ],
  );
  expectClose(fwd, lstmRef(gates, c, n, h), tol);
  const bwd = await runKernel(
    'LstmCellGrad',
    [
      [gates, [n, 4 * h]],
      [c, [n, h]],
      [dh, [n, h]],
      [dc, [n, h]],
    ],
    [
      [n, 4 * h],
      [n, h],
    ],
  );
  expectClose(bwd, lstmGradRef(gates, c, dh, dc, n, h), tol);
}

async function checkGru(n: number, h: number, seed: number, scale = 2, tol = 2e-5): Promise<void> {
  const gx = values(n * 3 * h, seed, scale);
  const gh = values(n * 3 * h, seed + 1, scale);
  const hp = values(n * h, seed + 2);
  const dh = values(n * h, seed + 3);
  const fwd = await runKernel(
    'GruCell',
    [
      [gx, [n, 3 * h]],
      [gh, [n, 3 * h]],
      [hp, [n, h]],
    ],
    [[n, h]],
  );
  expectClose(fwd, gruRef(gx, gh, hp, n, h), tol);
  const bwd = await runKernel(
    'GruCellGrad',
    [
      [gx, [n, 3 * h]],
      [gh, [n, 3 * h]],
      [hp, [n, h]],
      [dh, [n, h]],
    ],
    [
      [n, 3 * h],
      [n, 3 * h],
      [n, h],
    ],
  );
  expectClose(bwd, gruGradRef(gx, gh, hp, dh, n, h), tol);
}

describe.skipIf(!gpu)(`webgpu fused LSTM/GRU cells${gpu ? '' : ` (skipped: ${reason})`}`, () => {
  it('the float64 reference reproduces a hand-computed LSTM and GRU unit', () => {
    // i = f = g = o = 0, c = 1: σ = 1/2, tanh 0 = 0 → c' = 1/2, h' = tanh(1/2)/2.
    const [h2, c2] = lstmUnit(0, 0, 0, 0, 1);
    expect(c2).toBe(0.5);
    expect(h2).toBeCloseTo(0.2310585786300049, 15);
    // every pre-activation 0, h = 1: r = z = 1/2, n = 0 → h' = 1/2.
    expect(gruUnit(0, 0, 0, 0, 0, 0, 1)).toBe(0.5);
  });

  it('LstmCell and LstmCellGrad: a batch, several workgroups, batch 1 and one unit', async () => {
    await checkLstm(3, 5, 1);
    await checkLstm(37, 129, 2);
    await checkLstm(1, 7, 3);
    await checkLstm(4, 1, 4);
    await checkLstm(1, 1, 5);
  });

  it('GruCell and GruCellGrad: a batch, several workgroups, batch 1 and one unit', async () => {
    await checkGru(3, 5, 11);
    await checkGru(37, 129, 12);
    await checkGru(1, 7, 13);
    await checkGru(4, 1, 14);
    await checkGru(1, 1, 15);
  });

  it('saturated gates stay finite: sigmoid and tanh of ±30 and ±1e30 pre-activations', async () => {
    // Pre-activations of ±30 saturate σ to within 1e-13 of 0/1 and tanh to ±1; ±1e30 would overflow
    // a naive exp. Both kernels must give the limits, and finite gradients.
    const big = (v: Float32Array) => v.map((x, i) => (i % 3 === 0 ? Math.sign(x) * 1e30 : x * 15));
    const n = 4;
    const h = 6;
    const gates = big(values(n * 4 * h, 21));
    const c = values(n * h, 22);
    const [hOut, cOut] = await runKernel(
      'LstmCell',
      [
        [gates, [n, 4 * h]],
        [c, [n, h]],
      ],
      [
        [n, h],
        [n, h],
      ],
    );
    expectClose([hOut!, cOut!], lstmRef(gates, c, n, h), 1e-6);
    const dh = values(n * h, 23);
    const [dgates, dc] = await runKernel(
      'LstmCellGrad',
      [
        [gates, [n, 4 * h]],
        [c, [n, h]],
        [dh, [n, h]],
        [dh, [n, h]],
      ],
      [
        [n, 4 * h],
        [n, h],
      ],
    );
    for (const v of [...dgates!, ...dc!]) expect(Number.isFinite(v)).toBe(true);
    const gx = big(values(n * 3 * h, 24));
    const gh = values(n * 3 * h, 25);
    const [hg] = await runKernel(
      'GruCell',
      [
        [gx, [n, 3 * h]],
        [gh, [n, 3 * h]],
        [c, [n, h]],
      ],
      [[n, h]],
    );
    expectClose([hg!], gruRef(gx, gh, c, n, h), 1e-6);
    const grads = await runKernel(
      'GruCellGrad',
      [
        [gx, [n, 3 * h]],
        [gh, [n, 3 * h]],
        [c, [n, h]],
        [dh, [n, h]],
      ],
      [
        [n, 3 * h],
        [n, 3 * h],
        [n, h],
      ],
    );
    for (const g of grads) for (const v of g) expect(Number.isFinite(v)).toBe(true);
  });

  it('leading dims beyond one batch dim, and empty batches or zero units', async () => {
    const gates = values(2 * 3 * 8, 31);
    const c = values(2 * 3 * 2, 32);
    const [h3] = await runKernel(
      'LstmCell',
      [
        [gates, [2, 3, 8]],
        [c, [2, 3, 2]],
      ],
      [
        [2, 3, 2],
        [2, 3, 2],
      ],
    );
    expectClose([h3!], [lstmRef(gates, c, 6, 2)[0]!], 2e-5);
    const none = new Float32Array(0);
    const empty = await runKernel(
      'LstmCell',
      [
        [none, [0, 12]],
        [none, [0, 3]],
      ],
      [
        [0, 3],
        [0, 3],
      ],
    );
    expect(empty.map((e) => e.length)).toEqual([0, 0]);
    const zeroUnits = await runKernel(
      'GruCellGrad',
      [
        [none, [5, 0]],
        [none, [5, 0]],
        [none, [5, 0]],
        [none, [5, 0]],
      ],
      [
        [5, 0],
        [5, 0],
        [5, 0],
      ],
    );
    expect(zeroUnits.map((e) => e.length)).toEqual([0, 0, 0]);
  });

  it('mismatched shapes are refused with the kernel, the shapes got and the shapes expected', async () => {
    const b = gpu as WebGpuBackend;
    const before = b.memory().handles;
    const info = (shape: number[]) => ({
      dataId: b.write(new Float32Array(size(shape)), 'float32'),
      shape,
      dtype: 'float32' as const,
    });
    const call = (name: KernelName, shapes: number[][]) => {
      const inputs = shapes.map(info);
      try {
        (b.kernels[name] as (args: unknown) => DataId[])({ inputs, attrs: {}, outputs: [] });
      } finally {
        for (const t of inputs) b.free(t.dataId);
      }
    };
    expect(() =>
      call('LstmCell', [
        [2, 12],
        [2, 4],
      ]),
    ).toThrow('LstmCell: gates has shape [2, 12] and c [2, 4]; expected gates (N, 4H) and c (N, H)');
    expect(() =>
      call('LstmCellGrad', [
        [2, 16],
        [2, 4],
        [2, 4],
        [3, 4],
      ]),
    ).toThrow("LstmCellGrad: dc' has shape [3, 4]; expected the shape of c, [2, 4]");
    expect(() =>
      call('GruCell', [
        [2, 9],
        [2, 9],
        [1, 3],
      ]),
    ).toThrow('GruCell: gx has shape [2, 9] and h [1, 3]; expected gx (N, 3H) and h (N, H)');
    expect(() =>
      call('GruCellGrad', [
        [2, 9],
        [2, 6],
        [2, 3],
        [2, 3],
      ]),
    ).toThrow('GruCellGrad: gh has shape [2, 6]; expected the shape of gx, [2, 9]');
    // checked before any output is allocated: a refused call leaves nothing behind
    expect(b.memory().handles).toBe(before);
  });
});
