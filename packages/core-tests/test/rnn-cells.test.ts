import { readFileSync } from 'node:fs';
import { CpuBackend } from '@myelin/backend-cpu';
import {
  add,
  type Backend,
  concat,
  grad,
  gradcheck,
  gruCell,
  gruCellGrad,
  lstmCell,
  lstmCellGrad,
  matmul,
  memory,
  mul,
  randn,
  scope,
  sum,
  type Tensor,
  tensor,
  unbind,
  use,
  vjp,
  zeros,
} from '@myelin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The fused recurrent cells (core's lstmCell / gruCell and their LstmCellGrad / GruCellGrad
// backwards) against PyTorch 1.13 in float64 (tools/gen_rnn_cell_fixtures.py), on the CPU
// backend's fused kernels and on core's decomposition into primitives (the same CPU backend with
// the four kernels taken out), plus gradcheck, double backward and bad input.

interface Arr {
  shape: number[];
  data: number[];
}
interface Case {
  op: 'lstmCell' | 'gruCell' | 'LSTMCell' | 'GRUCell';
  name: string;
  bias?: boolean;
  inputs: Arr[];
  params?: Arr[];
  outputs: Arr[];
  cotangents: Arr[];
  grads: Arr[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/rnn-cells.json', import.meta.url), 'utf8')) as {
  torch: string;
  cases: Case[];
};
const cases = fixture.cases;

const RNN_KERNELS = ['LstmCell', 'LstmCellGrad', 'GruCell', 'GruCellGrad'];

/** The CPU backend without the fused cells: core runs their decompositions instead. */
function decomposedCpu(): Backend {
  const b = new CpuBackend();
  const kernels = { ...b.kernels } as Record<string, unknown>;
  for (const k of RNN_KERNELS) delete kernels[k];
  Object.defineProperty(b, 'kernels', { value: kernels });
  Object.defineProperty(b, 'name', { value: 'cpu-decomposed' });
  return b;
}

/** Calls of each fused cell kernel, counted by `countingCpu`. */
const calls: Record<string, number> = {};

/** The CPU backend with its fused cells counting their calls (to prove that path ran them). */
function countingCpu(): Backend {
  const b = new CpuBackend();
  const kernels = { ...b.kernels } as Record<string, (args: never) => unknown>;
  for (const k of RNN_KERNELS) {
    const inner = kernels[k]!;
    calls[k] = 0;
    kernels[k] = (args: never) => {
      calls[k]!++;
      return inner(args);
    };
  }
  Object.defineProperty(b, 'kernels', { value: kernels });
  Object.defineProperty(b, 'name', { value: 'cpu-counting' });
  return b;
}

const fused = countingCpu();
const plain = decomposedCpu();
const PATHS = [
  ['fused kernels', fused],
  ['decomposition', plain],
] as const;

const t = (a: Arr) => tensor(a.data, { shape: a.shape });

function close(label: string, got: Tensor, want: Arr, tol = 2e-5) {
  expect(got.shape, label).toEqual(want.shape);
  const g = got.dataSync();
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.data.length; i++) {
    const excess = Math.abs(g[i]! - want.data[i]!) - tol * (1 + Math.abs(want.data[i]!));
    if (excess > worst) {
      worst = excess;
      at = i;
    }
  }
  expect(at, `${label}: element ${at} is ${g[at]}, PyTorch ${want.data[at]}`).toBe(-1);
}

/** The cell of a case: inputs (then parameters) → its outputs, as our ops compute them. */
function run(c: Case, xs: Tensor[]): Tensor[] {
  switch (c.op) {
    case 'lstmCell':
      return lstmCell(xs[0]!, xs[1]!);
    case 'gruCell':
      return [gruCell(xs[0]!, xs[1]!, xs[2]!)];
    case 'LSTMCell': {
      // torch.nn.LSTMCell: gates = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh, all four at once.
      const [x, h, cPrev, wIh, wHh, bIh, bHh] = xs as Tensor[];
      let gates = add(matmul(x!, wIh!, { transposeB: true }), matmul(h!, wHh!, { transposeB: true }));
      if (c.bias) gates = add(gates, add(bIh!, bHh!));
      return lstmCell(gates, cPrev!);
    }
    case 'GRUCell': {
      const [x, h, wIh, wHh, bIh, bHh] = xs as Tensor[];
      let gx = matmul(x!, wIh!, { transposeB: true });
      let gh = matmul(h!, wHh!, { transposeB: true });
      if (c.bias) {
        gx = add(gx, bIh!);
        gh = add(gh, bHh!);
      }
      return [gruCell(gx, gh, h!)];
    }
  }
}

describe(`recurrent cells match PyTorch ${fixture.torch} (float64 golden values)`, () => {
  afterAll(async () => {
    await use(fused);
  });

  it('the decomposed path has none of the four fused kernels', () => {
    expect(RNN_KERNELS.filter((k) => k in plain.kernels)).toEqual([]);
  });

  it('the fixture holds batch 1, hidden 1 and empty-batch cases of each kind', () => {
    for (const op of ['lstmCell', 'gruCell', 'LSTMCell', 'GRUCell']) {
      const mine = cases.filter((c) => c.op === op);
      expect(
        mine.some((c) => c.outputs[0]!.shape[0] === 1),
        op,
      ).toBe(true);
      expect(
        mine.some((c) => c.outputs[0]!.shape[1] === 1),
        op,
      ).toBe(true);
      expect(
        mine.some((c) => c.outputs[0]!.shape[0] === 0),
        op,
      ).toBe(true);
    }
  });

  for (const [path, backend] of PATHS) {
    describe(path, () => {
      beforeAll(async () => {
        await use(backend);
      });
      it.each(cases.map((c) => [c.name, c] as const))(
        '%s: outputs and gradients of every input',
        (_name, c) => {
          const before = memory().tensors;
          scope(() => {
            const xs = [...c.inputs, ...(c.params ?? [])].map(t);
            const [outs, back] = vjp((...ys: Tensor[]) => run(c, ys), ...xs);
            outs.forEach((o, i) => {
              close(`${c.name} output ${i}`, o, c.outputs[i]!);
            });
            const grads = back(c.cotangents.map(t));
            grads.forEach((g, i) => {
              close(`${c.name} gradient of input ${i}`, g, c.grads[i]!, 5e-5);
            });
          });
          expect(memory().tensors).toBe(before);
        },
      );
    });
  }

  it('and the fused path called each fused kernel', () => {
    for (const k of RNN_KERNELS) expect(calls[k], k).toBeGreaterThan(0);
  });
});

describe('fused and decomposed paths agree', () => {
  afterAll(async () => {
    await use(fused);
  });

  /** Values and first and second derivatives of a few cell calls, read back as plain arrays. */
  function probe(): number[][] {
    return scope(() => {
      const g = randn([3, 8], { seed: 1 }).mul(2);
      const c = randn([3, 2], { seed: 2 });
      const gx = randn([2, 9], { seed: 3 }).mul(2);
      const gh = randn([2, 9], { seed: 4 });
      const h = randn([2, 3], { seed: 5 });
      const w = randn([3, 2], { seed: 6 });
      const lstmLoss = (a: Tensor, b: Tensor) => {
        const [h1, c1] = lstmCell(a, b);
        return sum(add(mul(h1, w), mul(c1, c1)));
      };
      const gruLoss = (a: Tensor, b: Tensor, s: Tensor) => sum(mul(gruCell(a, b, s), gruCell(a, b, s)));
      // d/dg of Σ (∂L/∂g)² — a second derivative through LstmCellGrad's decomposition.
      const second = grad((a: Tensor) => sum(mul(grad(lstmLoss)(a, c), grad(lstmLoss)(a, c))))(g);
      const secondGru = grad((s: Tensor) => {
        const d = grad(gruLoss, [0, 1, 2])(gx, gh, s) as Tensor[];
        return sum(mul(d[2]!, d[2]!));
      })(h);
      return [
        lstmCell(g, c)[1]!,
        ...(grad(lstmLoss, [0, 1])(g, c) as Tensor[]),
        gruCell(gx, gh, h),
        ...(grad(gruLoss, [0, 1, 2])(gx, gh, h) as Tensor[]),
        second,
        secondGru,
      ].map((x) => Array.from(x.dataSync()));
    });
  }

  it('values, gradients and second derivatives are equal to float32 rounding', async () => {
    await use(fused);
    const a = probe();
    await use(plain);
    const b = probe();
    expect(a.length).toBe(b.length);
    a.forEach((row, i) => {
      row.forEach((v, j) => {
        expect(Math.abs(v - b[i]![j]!), `result ${i} element ${j}`).toBeLessThan(1e-5 * (1 + Math.abs(v)));
      });
    });
  });
});

describe('gradcheck (central differences of our own forward)', () => {
  for (const [path, backend] of PATHS) {
    it(`lstmCell, gruCell and their backwards on the ${path}`, async () => {
      await use(backend);
      try {
        const g = randn([2, 12], { seed: 7 });
        const c = randn([2, 3], { seed: 8 });
        const dh = randn([2, 3], { seed: 9 });
        const dc = randn([2, 3], { seed: 10 });
        const gx = randn([2, 9], { seed: 11 });
        const gh = randn([2, 9], { seed: 12 });
        const h = randn([2, 3], { seed: 13 });
        expect(gradcheck((a, b) => concat(lstmCell(a!, b!), 1), [g, c])).toBe(true);
        expect(gradcheck((a, b, s) => gruCell(a!, b!, s!), [gx, gh, h])).toBe(true);
        // The backwards as functions of their inputs: what double backward differentiates.
        expect(gradcheck((a, b, u, v) => concat(lstmCellGrad(a!, b!, u!, v!), 1), [g, c, dh, dc])).toBe(true);
        expect(gradcheck((a, b, s, u) => concat(gruCellGrad(a!, b!, s!, u!), 1), [gx, gh, h, dh])).toBe(true);
      } finally {
        await use(fused);
      }
    });
  }
});

describe('unbind (the time steps of a sequence)', () => {
  it('gives the slices along an axis and its gradient stacks their cotangents', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2] });
    expect(unbind(x, 0).map((s) => s.arraySync())).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(unbind(x, 1).map((s) => s.arraySync())).toEqual([
      [1, 3, 5],
      [2, 4, 6],
    ]);
    // d/dx Σ_t w_t · x_t for steps t = 0, 2 only (step 1 gets no cotangent: zeros there).
    const g = grad((u: Tensor) => {
      const [a, , b] = unbind(u, 0);
      return add(sum(mul(a!, 2)), sum(mul(b!, -1)));
    })(x);
    expect(g.arraySync()).toEqual([
      [2, 2],
      [0, 0],
      [-1, -1],
    ]);
    expect(unbind(zeros([0, 3]), 0)).toEqual([]);
    expect(() => unbind(x, 2)).toThrow(/unbind: axis/);
  });
});

describe('bad input names the op, what it got and what it expected', () => {
  it('lstmCell and gruCell', () => {
    expect(() => lstmCell(zeros([2, 7]), zeros([2, 2]))).toThrow(
      /lstmCell: gates must have shape \[2,8\] .* got \[2,7\]/,
    );
    expect(() => lstmCell(zeros([3, 8]), zeros([2, 2]))).toThrow(/lstmCell: gates must have shape \[2,8\]/);
    expect(() => lstmCell(zeros([2, 8]), zeros([2]))).toThrow(
      /lstmCell: the state must be 2-D \(N, H\), got shape \[2\]/,
    );
    expect(() => lstmCell(zeros([2, 8], { dtype: 'int32' }), zeros([2, 2]))).toThrow(
      /lstmCell: gates must be float32, got int32/,
    );
    expect(() => gruCell(zeros([2, 6]), zeros([2, 9]), zeros([2, 2]))).toThrow(
      /gruCell: gh must have shape \[2,6\] .* got \[2,9\]/,
    );
    expect(() => gruCell(zeros([2, 6]), zeros([2, 6]), zeros([2, 2], { dtype: 'bool' }))).toThrow(
      /gruCell: h must be float32, got bool/,
    );
    expect(() => lstmCellGrad(zeros([1, 4]), zeros([1, 1]), zeros([1, 2]), zeros([1, 1]))).toThrow(
      /lstmCellGrad: dh must have the shape of c \[1,1\], got \[1,2\]/,
    );
  });
});
