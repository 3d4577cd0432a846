import { CpuBackend } from '@myelin/backend-cpu';
import {
  type Backend,
  CsrMatrix,
  grad,
  gradcheck,
  memory,
  mul,
  noGrad,
  Parameter,
  randn,
  scatterReduce,
  scope,
  sddmm,
  segmentIds,
  segmentReduce,
  segmentSoftmax,
  spmm,
  square,
  sum,
  type Tensor,
  tensor,
  use,
  zeros,
} from '@myelin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Behaviour of core's sparse and segment ops beyond the golden values (sparse-torch.test.ts) and the
// testkit's generated edge cases: host-side index checks, CsrMatrix (fromCoo, transpose, withValues,
// dispose), tie splitting, second-order gradients, dispatch to the fused kernels, and memory.

const ints = (a: number[]) => tensor(a, { dtype: 'int32', shape: [a.length] });
const arr = (t: Tensor) => Array.from(t.dataSync());
const near = (got: number[], want: number[], tol = 1e-5) => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    expect(Math.abs(g - want[i]!), `element ${i}: ${g} vs ${want[i]}`).toBeLessThanOrEqual(
      tol * (1 + Math.abs(want[i]!)),
    );
  });
};

/** Dense row-major (R, C) matrix of COO entries (duplicates add up): the independent reference. */
function dense(rows: number[], cols: number[], vals: number[], r: number, c: number): number[][] {
  const m = Array.from({ length: r }, () => new Array<number>(c).fill(0));
  rows.forEach((i, k) => {
    m[i]![cols[k]!]! += vals[k]!;
  });
  return m;
}
const matVec = (m: number[][], x: number[], f: number) =>
  m.flatMap((row) => Array.from({ length: f }, (_, j) => row.reduce((s, v, k) => s + v * x[k * f + j]!, 0)));
const transposed = (m: number[][]) => m[0]!.map((_, j) => m.map((row) => row[j]!));

const kernelCalls: Record<string, number> = {};
function countingCpu(): Backend {
  const b = new CpuBackend();
  const kernels = { ...b.kernels } as Record<string, (args: never) => unknown>;
  for (const k of ['SegmentReduce', 'SpMM', 'Sddmm']) {
    const inner = kernels[k]!;
    kernelCalls[k] = 0;
    kernels[k] = (args: never) => {
      kernelCalls[k]!++;
      return inner(args);
    };
  }
  Object.defineProperty(b, 'kernels', { value: kernels });
  return b;
}

// A 4×5 matrix with an empty first row, an empty last column and a duplicate entry (row 2, col 1).
const R = [2, 1, 2, 3, 1, 2];
const C = [1, 0, 1, 3, 2, 0];
const V = [0.5, -1, 2, 1.5, 3, -2];

describe('host-side checks name the op, the sizes and the bad entry', () => {
  it('segmentReduce rejects offsets that do not start at 0, decrease, or do not end at E', () => {
    const x = zeros([4, 2]);
    expect(() => segmentReduce(x, ints([1, 2, 4]))).toThrow(
      /segmentReduce: offsets must start at 0, got offsets\[0\] = 1/,
    );
    expect(() => segmentReduce(x, ints([0, 3, 2, 4]))).toThrow(
      /segmentReduce: offsets must not decrease, got offsets\[1\] = 3 > offsets\[2\] = 2/,
    );
    expect(() => segmentReduce(x, ints([0, 2, 3]))).toThrow(
      /segmentReduce: offsets must end at 4 .*offsets\[2\] = 3/,
    );
    expect(() => segmentReduce(x, ints([]))).toThrow(
      /segmentReduce: offsets must be 1-D with S\+1 ≥ 1 entries, got shape \[0\]/,
    );
    expect(() => segmentReduce(x, tensor([0, 4]))).toThrow(
      /segmentReduce: offsets must be int32, got float32/,
    );
    expect(() => segmentReduce(ints([1, 2]), ints([0, 2]))).toThrow(
      /segmentReduce: x must be float32, got int32/,
    );
    expect(() => segmentReduce(x, ints([0, 4]), 'prod' as never)).toThrow(
      /segmentReduce: reduce must be one of sum, mean, max, min, got 'prod'/,
    );
    expect(() => segmentReduce(tensor(1), ints([0]))).toThrow(/segmentReduce: x must have at least one dim/);
    expect(() => segmentSoftmax(x, ints([0, 5]))).toThrow(/segmentSoftmax: offsets must end at 4/);
    expect(() => segmentIds(ints([0, 2, 1]), 1)).toThrow(/segmentIds: offsets must not decrease/);
    expect(() => segmentIds(ints([0, 2]), -1)).toThrow(
      /segmentIds: rows must be a non-negative integer, got -1/,
    );
  });

  it('scatterReduce rejects indices outside [0, numSegments) and mismatched lengths', () => {
    const src = zeros([3, 2]);
    expect(() => scatterReduce(src, ints([0, 3, 1]), 3)).toThrow(
      /scatterReduce: index\[1\] = 3 is out of range for numSegments = 3 \(expected 0 ≤ i < 3\)/,
    );
    expect(() => scatterReduce(src, ints([0, -1, 1]), 3)).toThrow(
      /scatterReduce: index\[1\] = -1 is out of range/,
    );
    expect(() => scatterReduce(src, ints([0, 1]), 3)).toThrow(
      /scatterReduce: index must be 1-D with one entry per row of src \[3,2\], got \[2\]/,
    );
    expect(() => scatterReduce(src, ints([0, 1, 1]), 1.5)).toThrow(
      /scatterReduce: numSegments must be a non-negative integer, got 1.5/,
    );
  });

  it('sddmm and spmm reject out-of-range indices and mismatched shapes', () => {
    const a = zeros([3, 2]);
    const b = zeros([4, 2]);
    expect(() => sddmm(ints([0, 3]), ints([0, 1]), a, b)).toThrow(
      /sddmm: rows\[1\] = 3 is out of range for a \[3,2\]/,
    );
    expect(() => sddmm(ints([0, 1]), ints([4, 1]), a, b)).toThrow(
      /sddmm: cols\[0\] = 4 is out of range for b \[4,2\]/,
    );
    expect(() => sddmm(ints([0, 1]), ints([0]), a, b)).toThrow(
      /sddmm: rows and cols must be 1-D of one length/,
    );
    expect(() => sddmm(ints([0]), ints([0]), a, zeros([4, 3]))).toThrow(
      /sddmm: a and b must be 2-D with the same number of columns/,
    );
    const m = CsrMatrix.fromCoo(Int32Array.from(R), Int32Array.from(C), undefined, [4, 5]);
    expect(() => spmm(m, zeros([4, 2]))).toThrow(
      /spmm: x must have shape \[5, F\] for a sparse matrix of shape \[4,5\], got \[4,2\]/,
    );
    m.dispose();
    expect(() => spmm(m, zeros([5, 2]))).toThrow(/spmm: the sparse matrix of shape \[4,5\] was disposed/);
  });

  it('CsrMatrix, fromCoo and withValues reject bad structure and values', () => {
    const i32 = (a: number[]) => Int32Array.from(a);
    expect(() => new CsrMatrix(i32([0, 1]), i32([0]), undefined, [2, 2])).toThrow(
      /CsrMatrix: rowPtr has 2 entries for 2 rows; expected 3/,
    );
    expect(() => new CsrMatrix(i32([0, 2, 1]), i32([0]), undefined, [2, 2])).toThrow(
      /CsrMatrix: rowPtr decreases at row 1 \(2 → 1\)/,
    );
    expect(() => new CsrMatrix(i32([0, 1, 1]), i32([2]), undefined, [2, 2])).toThrow(
      /CsrMatrix: column index 2 at entry 0 is out of range for 2 columns/,
    );
    expect(() => new CsrMatrix(i32([0, 1, 1]), i32([0]), new Float32Array(2), [2, 2])).toThrow(
      /CsrMatrix: values must have shape \[1\] \(one per stored entry\), got \[2\]/,
    );
    expect(() => CsrMatrix.fromCoo(i32([0, 2]), i32([0, 1]), undefined, [2, 2])).toThrow(
      /CsrMatrix.fromCoo: rows\[1\] = 2 is out of range for 2 rows/,
    );
    expect(() => CsrMatrix.fromCoo(i32([0, 1]), i32([0, -1]), undefined, [2, 2])).toThrow(
      /CsrMatrix.fromCoo: cols\[1\] = -1 is out of range for 2 columns/,
    );
    expect(() => CsrMatrix.fromCoo(i32([0]), i32([0, 1]), undefined, [2, 2])).toThrow(
      /rows and cols must have one length, got 1 and 2/,
    );
    const before = memory().tensors;
    expect(() => CsrMatrix.fromCoo(i32([0, 1]), i32([0, 1]), new Float32Array(3), [2, 2])).toThrow(
      /CsrMatrix.fromCoo: values must have shape \[2\]/,
    );
    expect(memory().tensors).toBe(before);
    const m = CsrMatrix.fromCoo(i32([0, 1]), i32([0, 1]), undefined, [2, 2]);
    expect(() => m.withValues(zeros([3]))).toThrow(/CsrMatrix.withValues: values must have shape \[2\]/);
    expect(() => m.withValues(ints([1, 2]))).toThrow(
      /CsrMatrix.withValues: values must be float32, got int32/,
    );
    m.dispose();
  });
});

describe('CsrMatrix', () => {
  it('fromCoo sorts entries by row stably, keeps the permutation and permutes a values tensor', () => {
    scope(() => {
      const m = CsrMatrix.fromCoo(Int32Array.from(R), Int32Array.from(C), tensor(V), [4, 5]);
      expect(Array.from(m.hostRowPtr)).toEqual([0, 0, 2, 5, 6]);
      // row 1: input entries 1, 4; row 2: entries 0, 2, 5; row 3: entry 3
      expect(Array.from(m.perm!)).toEqual([1, 4, 0, 2, 5, 3]);
      expect(Array.from(m.hostColIdx)).toEqual([0, 2, 1, 1, 0, 3]);
      expect(arr(m.values)).toEqual([-1, 3, 0.5, 2, -2, 1.5]);
      expect(arr(m.rowIndices())).toEqual([1, 1, 2, 2, 2, 3]);
      m.dispose();
    });
  });

  it('spmm equals the dense product (duplicates add up), and the transpose the transposed one', () => {
    scope(() => {
      const m = CsrMatrix.fromCoo(Int32Array.from(R), Int32Array.from(C), new Float32Array(V), [4, 5]);
      const x = randn([5, 3], { seed: 7 });
      const xt = randn([4, 2], { seed: 8 });
      const d = dense(R, C, V, 4, 5);
      near(arr(spmm(m, x)), matVec(d, arr(x), 3));
      const t = m.transpose();
      expect(t.shape).toEqual([5, 4]);
      expect(m.transpose()).toBe(t);
      near(arr(spmm(t, xt)), matVec(transposed(d), arr(xt), 2));
      // the transpose of the transpose is the matrix again (entries reordered within rows)
      near(arr(spmm(t.transpose(), x)), matVec(d, arr(x), 3));
      m.dispose();
    });
  });

  it('withValues shares the pattern: disposing it frees nothing of the original; dispose frees everything', () => {
    const before = memory().tensors;
    const m = CsrMatrix.fromCoo(Int32Array.from(R), Int32Array.from(C), undefined, [4, 5]);
    m.transpose();
    m.rowIndices();
    scope(() => {
      const w = m.withValues(tensor([1, 2, 3, 4, 5, 6]));
      expect(w.rowPtr).toBe(m.rowPtr);
      expect(w.colIdx).toBe(m.colIdx);
      const x = randn([5, 2], { seed: 3 });
      const rows = [1, 1, 2, 2, 2, 3];
      near(
        arr(spmm(w, x)),
        matVec(dense(rows, Array.from(m.hostColIdx), [1, 2, 3, 4, 5, 6], 4, 5), arr(x), 2),
      );
      w.dispose();
      expect(m.rowPtr.isDisposed).toBe(false);
      near(arr(spmm(m, x)), matVec(dense(R, C, [1, 1, 1, 1, 1, 1], 4, 5), arr(x), 2));
    });
    m.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('the gradient rules still work after the matrix is disposed (they rebuild its transpose)', () => {
    scope(() => {
      const v = tensor(V);
      const x = randn([5, 2], { seed: 4 });
      const [gv, gx] = grad(
        (vv: Tensor, xx: Tensor) => {
          const m = CsrMatrix.fromCoo(Int32Array.from(R), Int32Array.from(C), vv, [4, 5]);
          const y = spmm(m, xx);
          m.dispose();
          return sum(square(y));
        },
        [0, 1],
      )(v, x);
      // d/dx Σ(Ax)² = 2·Aᵀ·A·x ; d/dv_k = 2·(A·x)[r_k] · x[c_k]
      const d = dense(R, C, V, 4, 5);
      const ax = matVec(d, arr(x), 2);
      near(
        arr(gx!),
        matVec(transposed(d), ax, 2).map((z) => 2 * z),
        1e-4,
      );
      const want = R.map(
        (r, k) => 2 * (ax[r * 2]! * arr(x)[C[k]! * 2]! + ax[r * 2 + 1]! * arr(x)[C[k]! * 2 + 1]!),
      );
      near(arr(gv!), want, 1e-4);
    });
  });

  it('sddmm over a CsrMatrix: the stored order, and gradients as sparse products with it', () => {
    scope(() => {
      const m = CsrMatrix.fromCoo(Int32Array.from(R), Int32Array.from(C), undefined, [4, 5]);
      const a = randn([4, 3], { seed: 21 });
      const b = randn([5, 3], { seed: 22 });
      const w = randn([6], { seed: 23 });
      const rows = [1, 1, 2, 2, 2, 3];
      const cols = Array.from(m.hostColIdx);
      const av = arr(a);
      const bv = arr(b);
      const dot = (r: number, c: number) =>
        [0, 1, 2].reduce((s, j) => s + av[r * 3 + j]! * bv[c * 3 + j]!, 0);
      near(
        arr(sddmm(m, a, b)),
        rows.map((r, k) => dot(r, cols[k]!)),
      );
      near(arr(sddmm(m, a, b)), arr(sddmm(m.rowIndices(), m.colIdx, a, b)));
      // Σ_k w_k·out_k: da = W·b and db = Wᵀ·a for W the matrix with values w
      const [ga, gb] = grad((x: Tensor, y: Tensor) => sum(mul(sddmm(m, x, y), w)), [0, 1])(a, b);
      const wd = dense(rows, cols, arr(w), 4, 5);
      near(arr(ga!), matVec(wd, bv, 3), 1e-4);
      near(arr(gb!), matVec(transposed(wd), av, 3), 1e-4);
      expect(() => sddmm(m, zeros([5, 3]), b)).toThrow(
        /sddmm: a and b must have shapes \[4, F\] and \[5, F\] for a sparse matrix of shape \[4,5\], got \[5,3\] and \[5,3\]/,
      );
      const second = (x: Tensor, y: Tensor) => grad((z: Tensor) => sum(square(sddmm(m, z, y))))(x);
      expect(gradcheck(second, [a, b], { atol: 2e-3, rtol: 2e-2 })).toBe(true);
      m.dispose();
    });
  });

  it('empty matrices: 0×0, nnz 0 and F 0', () => {
    scope(() => {
      const e = new CsrMatrix(new Int32Array([0]), new Int32Array(0), undefined, [0, 0]);
      expect(spmm(e, zeros([0, 3])).shape).toEqual([0, 3]);
      expect(e.transpose().shape).toEqual([0, 0]);
      e.dispose();
      const z = new CsrMatrix(new Int32Array([0, 0, 0]), new Int32Array(0), undefined, [2, 3]);
      const x = randn([3, 2], { seed: 1 });
      expect(arr(spmm(z, x))).toEqual([0, 0, 0, 0]);
      const g = grad((xx: Tensor) => sum(spmm(z, xx)))(x);
      expect(arr(g)).toEqual([0, 0, 0, 0, 0, 0]);
      z.dispose();
      const m = CsrMatrix.fromCoo(Int32Array.from(R), Int32Array.from(C), undefined, [4, 5]);
      expect(spmm(m, zeros([5, 0])).shape).toEqual([4, 0]);
      m.dispose();
    });
  });
});

describe('gradients', () => {
  it('max / min split the cotangent evenly among tied rows (PyTorch scatter_reduce amax / amin)', () => {
    scope(() => {
      const x = tensor([[1], [1], [1], [0], [-2], [-2]]);
      const offsets = ints([0, 4, 6]);
      const gmax = grad((xx: Tensor) => sum(mul(segmentReduce(xx, offsets, 'max'), tensor([[3], [6]]))))(x);
      near(arr(gmax), [1, 1, 1, 0, 3, 3]);
      const gmin = grad((xx: Tensor) => sum(segmentReduce(xx, offsets, 'min')))(x);
      near(arr(gmin), [0, 0, 0, 1, 0.5, 0.5]);
      const gsc = grad((xx: Tensor) => sum(scatterReduce(xx, ints([1, 0, 1, 1, 0, 0]), 2, 'max')))(x);
      // segment 0 takes rows 1, 4, 5 = [1, -2, -2]; segment 1 rows 0, 2, 3 = [1, 1, 0]: a two-way tie
      near(arr(gsc), [0.5, 1, 0.5, 0, 0, 0]);
    });
  });

  it('second-order: the gradient of spmm, sddmm and segment gradients are themselves differentiable', () => {
    scope(() => {
      const m = CsrMatrix.fromCoo(Int32Array.from(R), Int32Array.from(C), new Float32Array(V), [4, 5]);
      const d = dense(R, C, V, 4, 5);
      const x = randn([5, 2], { seed: 11 });
      const w = randn([5, 2], { seed: 12 });
      // h(x) = ⟨∇ₓ Σ(Ax)², w⟩ = 2⟨AᵀAx, w⟩ ⇒ ∇ₓ h = 2·AᵀA·w
      const h = grad((xx: Tensor) => sum(mul(grad((y: Tensor) => sum(square(spmm(m, y))))(xx), w)))(x);
      near(
        arr(h),
        matVec(transposed(d), matVec(d, arr(w), 2), 2).map((z) => 2 * z),
        1e-4,
      );
      m.dispose();

      const rows = ints([0, 2, 2, 1]);
      const cols = ints([1, 0, 2, 1]);
      const a = randn([3, 2], { seed: 13 });
      const b = randn([3, 2], { seed: 14 });
      const firstA = (aa: Tensor, bb: Tensor) =>
        grad((y: Tensor) => sum(square(sddmm(rows, cols, y, bb))))(aa);
      expect(gradcheck((aa: Tensor, bb: Tensor) => firstA(aa, bb), [a, b], { atol: 2e-3, rtol: 2e-2 })).toBe(
        true,
      );

      const s = randn([5, 2], { seed: 15 });
      const off = ints([0, 2, 2, 5]);
      const firstS = (ss: Tensor) => grad((y: Tensor) => sum(square(segmentSoftmax(y, off))))(ss);
      expect(gradcheck(firstS, [s], { atol: 2e-3, rtol: 2e-2 })).toBe(true);
      const firstMean = (ss: Tensor) => grad((y: Tensor) => sum(square(segmentReduce(y, off, 'mean'))))(ss);
      expect(gradcheck(firstMean, [s], { atol: 2e-3, rtol: 2e-2 })).toBe(true);
    });
  });

  it('loss.backward() reaches the values and the features through spmm and segmentReduce', () => {
    const m = CsrMatrix.fromCoo(Int32Array.from(R), Int32Array.from(C), undefined, [4, 5]);
    const vals = new Parameter(tensor(V));
    const x = new Parameter(randn([5, 2], { seed: 5 }));
    scope(() => {
      const y = spmm(m.withValues(vals), x);
      sum(segmentReduce(y, ints([0, 1, 4]), 'max')).backward();
    });
    expect(vals.grad!.shape).toEqual([6]);
    expect(x.grad!.shape).toEqual([5, 2]);
    expect(arr(x.grad!).some((v) => v !== 0)).toBe(true);
    m.dispose();
    for (const p of [vals, x]) {
      p.grad?.dispose();
      p.dispose();
    }
  });
});

describe('dispatch and memory', () => {
  beforeAll(async () => {
    await use(countingCpu());
  });
  afterAll(async () => {
    await use(new CpuBackend());
  });

  it('runs the fused kernels forward (recording or not) and inside the gradient rules', () => {
    scope(() => {
      const m = CsrMatrix.fromCoo(Int32Array.from(R), Int32Array.from(C), undefined, [4, 5]);
      const x = randn([5, 3], { seed: 2 });
      for (const k of Object.keys(kernelCalls)) kernelCalls[k] = 0;
      noGrad(() => spmm(m, x));
      expect(kernelCalls.SpMM).toBe(1);
      grad((v: Tensor) => sum(spmm(m.withValues(v), x)))(tensor(V));
      // forward SpMM, then the values' gradient: one SDDMM over the stored entries
      expect(kernelCalls.SpMM).toBe(2);
      expect(kernelCalls.Sddmm).toBe(1);
      grad((xx: Tensor) => sum(segmentReduce(spmm(m, xx), ints([0, 2, 4]), 'mean')))(x);
      // spmm forward + Aᵀ·dy in the rule; SegmentReduce forward
      expect(kernelCalls.SpMM).toBe(4);
      expect(kernelCalls.SegmentReduce).toBe(1);
      // sddmm over the matrix: forward Sddmm, both gradients SpMM (with A and with Aᵀ)
      grad((y: Tensor) => sum(sddmm(m, randn([4, 3], { seed: 6 }), y)))(x);
      expect(kernelCalls.Sddmm).toBe(2);
      expect(kernelCalls.SpMM).toBe(5);
      m.dispose();
    });
  });

  it('a training loop through spmm, sddmm, segmentSoftmax and scatterReduce stays memory-flat', () => {
    const n = 6;
    const src = Int32Array.from([0, 1, 2, 3, 4, 5, 0, 2, 4, 1]);
    const dst = Int32Array.from([1, 2, 3, 4, 5, 0, 3, 5, 1, 1]);
    const adj = CsrMatrix.fromCoo(dst, src, undefined, [n, n]);
    const w = new Parameter(randn([3, 3], { seed: 9 }));
    const x = randn([n, 3], { seed: 10 });
    const rows = adj.rowIndices();
    const counts: number[] = [];
    for (let step = 0; step < 4; step++) {
      scope(() => {
        const h = mul(x, sum(w, 0));
        const scores = sddmm(rows, adj.colIdx, h, h);
        const alpha = segmentSoftmax(scores, adj.rowPtr);
        const y = spmm(adj.withValues(alpha), h);
        const pooled = scatterReduce(y, ints([0, 0, 1, 1, 2, 2]), 3, 'mean');
        sum(square(pooled)).backward();
        w.grad!.dispose();
        w.grad = null;
      });
      counts.push(memory().tensors);
    }
    // the first step builds the cached transpose; after it nothing grows
    expect(counts.slice(1)).toEqual([counts[1], counts[1], counts[1]]);
    adj.dispose();
    w.dispose();
    x.dispose();
  });
});
