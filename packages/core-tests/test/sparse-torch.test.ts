import { readFileSync } from 'node:fs';
import { CpuBackend } from '@myelin/backend-cpu';
import { wasmBackend } from '@myelin/backend-wasm';
import {
  type Backend,
  CsrMatrix,
  memory,
  type SegmentReduction,
  scatterReduce,
  scope,
  sddmm,
  segmentReduce,
  segmentSoftmax,
  spmm,
  type Tensor,
  tensor,
  use,
  vjp,
} from '@myelin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Core's sparse and segment ops against PyTorch 1.13 in float64 (tools/gen_sparse_fixtures.py):
// scatter_reduce (sum, mean, amax, amin; include_self=False) on random graphs and its sorted twin
// for segmentReduce, torch.sparse_csr_tensor / torch.sparse.mm products, sampled_addmm and a
// per-segment softmax, with gradients. Each runs on the CPU backend's fused kernels and on core's
// decomposition into primitives (the CPU backend without the three kernels: the path every backend
// without fused sparse kernels takes).

interface Arr {
  shape: number[];
  data: number[];
}
interface Case {
  op: 'scatterReduce' | 'spmm' | 'spmmCoo' | 'sddmm' | 'segmentSoftmax';
  name: string;
  [key: string]: unknown;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/sparse.json', import.meta.url), 'utf8')) as {
  torch: string;
  cases: Case[];
};

const SPARSE_KERNELS = ['SegmentReduce', 'SpMM', 'Sddmm'];
const calls: Record<string, number> = {};

/** The CPU backend with the sparse kernels counting their calls, or without them. */
function cpuWith(fusedKernels: boolean): Backend {
  const b = new CpuBackend();
  const kernels = { ...b.kernels } as Record<string, (args: never) => unknown>;
  for (const k of SPARSE_KERNELS) {
    const inner = kernels[k]!;
    calls[k] = 0;
    if (!fusedKernels) delete kernels[k];
    else
      kernels[k] = (args: never) => {
        calls[k]!++;
        return inner(args);
      };
  }
  Object.defineProperty(b, 'kernels', { value: kernels });
  Object.defineProperty(b, 'name', { value: fusedKernels ? 'cpu-counting' : 'cpu-decomposed' });
  return b;
}

const fused = cpuWith(true);
const plain = cpuWith(false);
/** The wasm backend with its own SIMD, threaded sparse kernels. */
const wasm = await wasmBackend({ threads: 2 });

const t = (a: Arr) => tensor(a.data, { shape: a.shape });
const ints = (a: number[]) => tensor(a, { dtype: 'int32', shape: [a.length] });
const vec = (a: number[]) => tensor(a, { shape: [a.length] });

function close(label: string, got: Tensor, want: Arr, tol = 2e-5) {
  expect(got.shape, label).toEqual(want.shape);
  const g = got.dataSync();
  let at = -1;
  let worst = 0;
  for (let i = 0; i < want.data.length; i++) {
    const excess = Math.abs(g[i]! - want.data[i]!) - tol * (1 + Math.abs(want.data[i]!));
    if (excess > worst) {
      worst = excess;
      at = i;
    }
  }
  expect(at, `${label}: element ${at} is ${g[at]}, PyTorch ${want.data[at]}`).toBe(-1);
}

/** Outputs and vjp gradients of `f` at `xs`, against PyTorch's. */
function check(name: string, f: (...xs: Tensor[]) => Tensor, xs: Tensor[], out: Arr, cot: Arr, grads: Arr[]) {
  const [y, back] = vjp(f, ...xs);
  close(`${name}: output`, y, out);
  back(t(cot)).forEach((g, i) => {
    close(`${name}: gradient of input ${i}`, g, grads[i]!, 5e-5);
  });
}

const flat = (data: number[]): Arr => ({ shape: [data.length], data });

function runCase(c: Case): void {
  const a = c as Record<string, unknown>;
  switch (c.op) {
    case 'scatterReduce': {
      const reduce = a.reduce as SegmentReduction;
      const n = a.numSegments as number;
      const index = ints(a.index as number[]);
      check(
        c.name,
        (src) => scatterReduce(src, index, n, reduce),
        [t(a.src as Arr)],
        a.out as Arr,
        a.cot as Arr,
        [a.grad as Arr],
      );
      const offsets = ints(a.offsets as number[]);
      check(
        `${c.name} (segmentReduce of the sorted rows)`,
        (src) => segmentReduce(src, offsets, reduce),
        [t(a.sortedSrc as Arr)],
        a.out as Arr,
        a.cot as Arr,
        [a.sortedGrad as Arr],
      );
      return;
    }
    case 'spmm':
    case 'spmmCoo': {
      const shape = a.shape as [number, number];
      const rows = Int32Array.from(a.rows as number[]);
      const cols = Int32Array.from(a.cols as number[]);
      const m =
        c.op === 'spmm'
          ? (v: Tensor) => new CsrMatrix(Int32Array.from(a.rowPtr as number[]), cols, v, shape)
          : (v: Tensor) => CsrMatrix.fromCoo(rows, cols, v, shape);
      check(
        c.name,
        (v, x) => {
          const csr = m(v);
          const y = spmm(csr, x);
          csr.dispose();
          return y;
        },
        [vec(a.values as number[]), t(a.x as Arr)],
        a.out as Arr,
        a.cot as Arr,
        [flat(a.gradValues as number[]), a.gradX as Arr],
      );
      return;
    }
    case 'sddmm': {
      const rows = ints(a.rows as number[]);
      const cols = ints(a.cols as number[]);
      check(
        c.name,
        (x, y) => sddmm(rows, cols, x, y),
        [t(a.a as Arr), t(a.b as Arr)],
        flat(a.out as number[]),
        flat(a.cot as number[]),
        [a.gradA as Arr, a.gradB as Arr],
      );
      // the same entries as a CsrMatrix (torch's pattern is sorted by row: the stored order)
      const csr = CsrMatrix.fromCoo(
        Int32Array.from(a.rows as number[]),
        Int32Array.from(a.cols as number[]),
        undefined,
        [(a.a as Arr).shape[0]!, (a.b as Arr).shape[0]!],
      );
      check(
        `${c.name} (over a CsrMatrix)`,
        (x, y) => sddmm(csr, x, y),
        [t(a.a as Arr), t(a.b as Arr)],
        flat(a.out as number[]),
        flat(a.cot as number[]),
        [a.gradA as Arr, a.gradB as Arr],
      );
      csr.dispose();
      return;
    }
    case 'segmentSoftmax': {
      const offsets = ints(a.offsets as number[]);
      check(c.name, (s) => segmentSoftmax(s, offsets), [t(a.scores as Arr)], a.out as Arr, a.cot as Arr, [
        a.grad as Arr,
      ]);
      return;
    }
  }
}

describe(`sparse ops match PyTorch ${fixture.torch} (float64 golden values)`, () => {
  afterAll(async () => {
    await use(fused);
  });

  it('the fixture covers every reduction, ties, empty segments, rectangular and duplicate-entry matrices', () => {
    const ops = new Set(fixture.cases.map((c) => c.op));
    expect([...ops].sort()).toEqual(['scatterReduce', 'sddmm', 'segmentSoftmax', 'spmm', 'spmmCoo']);
    const scat = fixture.cases.filter((c) => c.op === 'scatterReduce');
    expect(new Set(scat.map((c) => c.reduce))).toEqual(new Set(['sum', 'mean', 'max', 'min']));
    // an empty segment: two equal offsets in a row
    expect(scat.every((c) => (c.offsets as number[]).some((o, i, all) => i > 0 && all[i - 1] === o))).toBe(
      true,
    );
    // ties: a segment whose max (min) is reached by k ≥ 2 rows, and torch gave each 1/k of the cotangent
    for (const reduce of ['max', 'min']) {
      const tie = scat.find((c) => c.name.startsWith('ties') && c.reduce === reduce)!;
      const g = (tie.grad as Arr).data;
      const cot = (tie.cot as Arr).data;
      const idx = tie.index as number[];
      const shares = g.flatMap((v, k) => (v === 0 ? [] : [cot[idx[k >> 1]! * 2 + (k & 1)]! / v]));
      expect(
        shares.some((k) => k > 1.5 && Math.abs(k - Math.round(k)) < 1e-9),
        reduce,
      ).toBe(true);
    }
    const shapes = fixture.cases.filter((c) => c.op === 'spmm').map((c) => c.shape as number[]);
    expect(shapes.some(([r, cc]) => r !== cc)).toBe(true);
    const coo = fixture.cases.find((c) => c.op === 'spmmCoo')!;
    const pairs = (coo.rows as number[]).map((r, k) => `${r},${(coo.cols as number[])[k]}`);
    expect(new Set(pairs).size).toBeLessThan(pairs.length);
  });

  for (const [path, backend] of [
    ['fused CPU kernels', fused],
    ['decomposition into primitives', plain],
    ['wasm kernels', wasm],
  ] as const) {
    describe(path, () => {
      beforeAll(async () => {
        await use(backend);
      });
      it.each(fixture.cases.map((c) => [c.name, c] as const))('%s: outputs and gradients', (_name, c) => {
        const before = memory().tensors;
        scope(() => runCase(c));
        expect(memory().tensors).toBe(before);
      });
    });
  }

  it('the fused path ran each sparse kernel and the decomposed path has none of them', () => {
    for (const k of SPARSE_KERNELS) {
      expect(calls[k], k).toBeGreaterThan(0);
      expect(k in plain.kernels, k).toBe(false);
    }
  });
});
