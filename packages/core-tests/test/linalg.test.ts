import { readFileSync } from 'node:fs';
import {
  cholesky,
  det,
  diagonal,
  eigh,
  eighFloat64,
  eye,
  grad,
  inv,
  lstsq,
  type MatrixNormOrd,
  matmul,
  matrixNorm,
  mean,
  median,
  memory,
  mul,
  pinv,
  type QuantileInterpolation,
  qr,
  quantile,
  slogdet,
  solve,
  sub,
  sum,
  svd,
  type Tensor,
  tensor,
  trace,
  transpose,
  zeros,
} from '@myelin/core';
import { describe, expect, it } from 'vitest';

interface Arr {
  shape: number[];
  data: number[];
}
interface Case {
  op: string;
  extra: {
    ord?: string | number;
    offset?: number;
    dim?: number | null;
    keepdim?: boolean;
    indices?: number[];
    q?: number | number[];
    interpolation?: QuantileInterpolation;
  };
  inputs: Arr[];
  outputs: Arr[];
  weights: Arr[];
  loss: number;
  grads: Arr[];
}
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/linalg.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};
const t = (a: Arr) => tensor(a.data, { shape: a.shape });

/** |got − want| ≤ tol·(1 + max|want|) elementwise (float32 against float64 references). */
function close(got: Tensor | ArrayLike<number>, want: Arr | ArrayLike<number>, tol = 1e-4) {
  const g = 'dataSync' in got ? got.dataSync() : got;
  const w = 'data' in want ? want.data : want;
  if ('shape' in want && 'shape' in got) expect(got.shape).toEqual(want.shape);
  expect(g.length).toBe(w.length);
  const scale = 1 + Math.max(0, ...Array.from(w, Math.abs));
  for (let i = 0; i < w.length; i++)
    expect(Math.abs(g[i]! - w[i]!), `entry ${i}: ${g[i]} vs ${w[i]}`).toBeLessThanOrEqual(tol * scale);
}

const signs = (r: Tensor) => {
  const n = Math.min(r.shape[r.rank - 2]!, r.shape[r.rank - 1]!);
  return diagonal(r)
    .sign()
    .reshape([...r.shape.slice(0, -2), n]);
};

/** The op's outputs as the fixture's loss sees them, and that loss (weights from the fixture). */
const forwards: Record<
  string,
  (c: Case, ...xs: Tensor[]) => [Tensor[], (o: Tensor[], w: Tensor[]) => Tensor]
> = {
  det: (_, a) => [[det(a!)], lin],
  inv: (_, a) => [[inv(a!)], lin],
  slogdet: (_, a) => [slogdet(a!), (o, w) => mul(o[1]!, w[1]!).sum()],
  solve: (_, a, b) => [[solve(a!, b!)], lin],
  cholesky: (_, a) => [[cholesky(a!)], lin],
  qr: (_, a) => {
    const [q, r] = qr(a!);
    const s = signs(r).detach();
    return [[mul(q, s.unsqueeze(-2)), mul(r, s.unsqueeze(-1))], lin];
  },
  eigh: (_, a) => [eigh(a!), squares],
  svd: (_, a) => {
    const [u, s, vh] = svd(a!);
    return [[s, u, vh], squares];
  },
  pinv: (_, a) => [[pinv(a!)], lin],
  lstsq: (_, a, b) => [[lstsq(a!, b!)], lin],
  matrix_norm: (c, a) => [[matrixNorm(a!, c.extra.ord as MatrixNormOrd)], lin],
  trace: (_, a) => [[trace(a!)], lin],
  diagonal: (c, a) => [[diagonal(a!, c.extra.offset)], lin],
  median_all: (_, a) => [[median(a!)], lin],
  median_dim: (c, a) => {
    const [v, i] = median(a!, c.extra.dim!, { keepdims: c.extra.keepdim });
    expect(Array.from(i.dataSync())).toEqual(c.extra.indices);
    expect(i.shape).toEqual(v.shape);
    return [[v], lin];
  },
  quantile: (c, a) => [
    [
      quantile(a!, c.extra.q!, c.extra.dim ?? undefined, {
        keepdims: c.extra.keepdim,
        interpolation: c.extra.interpolation,
      }),
    ],
    lin,
  ],
};
function lin(o: Tensor[], w: Tensor[]): Tensor {
  return o.map((x, i) => mul(x, w[i]!).sum()).reduce((a, b) => a.add(b));
}
function squares(o: Tensor[], w: Tensor[]): Tensor {
  return o.map((x, i) => mul(i === 0 ? x : mul(x, x), w[i]!).sum()).reduce((a, b) => a.add(b));
}

describe('linalg against PyTorch 1.13 (float64 references)', () => {
  for (const c of fixtures.cases) {
    if (c.op === 'pinv_rank1') continue;
    const label = `${c.op}${c.extra.ord !== undefined ? ` ord=${c.extra.ord}` : ''}${c.extra.q !== undefined ? ` q=${c.extra.q} dim=${c.extra.dim} ${c.extra.interpolation}` : ''}${c.extra.dim !== undefined && c.extra.q === undefined ? ` dim=${c.extra.dim} keepdim=${c.extra.keepdim}` : ''} ${c.inputs.map((x) => `[${x.shape}]`).join(' ')}`;
    it(label, () => {
      const xs = c.inputs.map(t);
      const ws = c.weights.map(t);
      const [outs, loss] = forwards[c.op]!(c, ...xs);
      // eigh/svd vectors are compared through their squares (sign-free), as the loss sees them.
      outs.forEach((o, i) => {
        const squared = (c.op === 'eigh' || c.op === 'svd') && i > 0;
        const want = squared
          ? { shape: c.outputs[i]!.shape, data: c.outputs[i]!.data.map((v) => v * v) }
          : c.outputs[i]!;
        if (c.op === 'slogdet' && i === 0) close(o, want, 0);
        else close(squared ? mul(o, o) : o, want);
      });
      close([loss(outs, ws).item()], [c.loss], 1e-4);
      const gs = grad((...args: Tensor[]) => loss(forwards[c.op]!(c, ...args)[0], ws), [...xs.keys()])(...xs);
      gs.forEach((g, i) => {
        close(g, c.grads[i]!, 2e-3);
      });
    });
  }

  it('pinv of a rank-1 matrix', () => {
    const c = fixtures.cases.find((x) => x.op === 'pinv_rank1')!;
    close(pinv(t(c.inputs[0]!)), c.outputs[0]!);
  });
});

describe('decompositions reconstruct their input', () => {
  const a = tensor([
    [4, 1, 2],
    [1, 5, 3],
    [2, 3, 6],
  ]);
  it('eigh: V diag(λ) Vᵀ = A, Vᵀ V = I', () => {
    const [l, v] = eigh(a);
    close(matmul(mul(v, l.unsqueeze(-2)), transpose(v)), a.dataSync() as unknown as ArrayLike<number>);
    close(matmul(transpose(v), v), eye(3).dataSync());
  });
  it('svd of a wide batch: U diag(S) Vh = A', () => {
    const x = tensor([1, -2, 3, 0.5, 4, -1, 2, 2, 0, 1, -3, 5], { shape: [2, 2, 3] });
    const [u, s, vh] = svd(x);
    expect(u.shape).toEqual([2, 2, 2]);
    expect(vh.shape).toEqual([2, 2, 3]);
    close(matmul(mul(u, s.unsqueeze(-2)), vh), x.dataSync());
  });
  it('qr: Q R = A and Qᵀ Q = I', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 10, 1, 0, 1], { shape: [4, 3] });
    const [q, r] = qr(x);
    close(matmul(q, r), x.dataSync());
    close(matmul(transpose(q), q), eye(3).dataSync());
  });
  it('a 1×1 batch and size-1 matrices', () => {
    const x = tensor([[[4]]]);
    close(det(x), [4]);
    close(inv(x), [0.25]);
    close(cholesky(x), [2]);
    close(svd(x)[1], [4]);
  });
  it('empty matrices and empty batches (as torch: det of a 0×0 matrix is 1)', () => {
    expect(det(zeros([0, 0])).item()).toBe(1);
    expect(inv(zeros([2, 0, 0])).shape).toEqual([2, 0, 0]);
    expect(det(zeros([0, 3, 3])).shape).toEqual([0]);
    const [u, s, vh] = svd(zeros([0, 3, 2]));
    expect([u.shape, s.shape, vh.shape]).toEqual([
      [0, 3, 2],
      [0, 2],
      [0, 2, 2],
    ]);
    expect(eigh(zeros([0, 2, 2]))[1].shape).toEqual([0, 2, 2]);
  });
  it('trace and diagonal of a 3×4 (closed form)', () => {
    const x = tensor([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12],
    ]);
    expect(trace(x).item()).toBe(18);
    expect(Array.from(diagonal(x, 1).dataSync())).toEqual([2, 7, 12]);
    expect(Array.from(diagonal(x, -1).dataSync())).toEqual([5, 10]);
    expect(diagonal(x, 5).shape).toEqual([0]);
  });
});

describe('textbook closed forms', () => {
  it('eighFloat64: [[2, 1], [1, 2]] has eigenvalues 1 and 3 with eigenvectors (1, ∓1)/√2', () => {
    const { values, vectors } = eighFloat64([2, 1, 1, 2], 2);
    expect([...values]).toEqual([expect.closeTo(1, 14), expect.closeTo(3, 14)]);
    const r = Math.SQRT1_2;
    // columns up to sign: v0 ∝ (1, −1), v1 ∝ (1, 1)
    expect(Math.abs(vectors[0]!)).toBeCloseTo(r, 14);
    expect(vectors[0]! * vectors[2]!).toBeCloseTo(-0.5, 14);
    expect(vectors[1]! * vectors[3]!).toBeCloseTo(0.5, 14);
    expect(eighFloat64([], 0).values.length).toBe(0);
    expect(() => eighFloat64([1, 2, 3], 2)).toThrow(/eighFloat64: an 2×2 matrix needs 4 values, got 3/);
  });

  // A fixed design: y = 2 − x1 + 0.5·x2 plus a fixed perturbation.
  const X = tensor([
    [1, 0.1, 2.0],
    [1, 1.3, -0.4],
    [1, 2.2, 1.1],
    [1, -0.7, 0.3],
    [1, 0.5, -1.6],
    [1, 3.1, 0.8],
  ]);
  const y = tensor([[2.3], [0.2], [0.3], [2.5], [0.9], [-0.6]]);
  const Xt = transpose(X);

  it('lstsq equals the normal equations (XᵀX)⁻¹ Xᵀ y', () => {
    close(lstsq(X, y), solve(matmul(Xt, X), matmul(Xt, y)).dataSync());
    // The residual is orthogonal to the columns of X.
    close(matmul(Xt, sub(y, matmul(X, lstsq(X, y)))), [0, 0, 0], 1e-4);
  });

  it('ridge: (XᵀX + λI)⁻¹Xᵀy equals lstsq on the augmented system [X; √λ I], [y; 0]', () => {
    const lam = 0.7;
    const ridge = solve(matmul(Xt, X).add(eye(3).mul(lam)), matmul(Xt, y));
    const Xa = tensor([
      ...(X.arraySync() as number[][]),
      ...(eye(3).mul(Math.sqrt(lam)).arraySync() as number[][]),
    ]);
    const ya = tensor([...(y.arraySync() as number[][]), [0], [0], [0]]);
    close(ridge, lstsq(Xa, ya).dataSync());
    // Shrinkage: the ridge solution has a smaller norm than least squares.
    expect(ridge.square().sum().item()).toBeLessThan(lstsq(X, y).square().sum().item());
  });

  it('PCA whitening by eigh of the covariance gives identity covariance', () => {
    const data = tensor([
      [2.5, 2.4, 0.5],
      [0.5, 0.7, -1.2],
      [2.2, 2.9, 0.3],
      [1.9, 2.2, 1.4],
      [3.1, 3.0, -0.2],
      [2.3, 2.7, 0.9],
      [2.0, 1.6, -0.7],
      [1.0, 1.1, 0.1],
    ]);
    const centred = sub(data, mean(data, 0, { keepdims: true }));
    const cov = matmul(transpose(centred), centred).div(7);
    const [l, v] = eigh(cov);
    const white = matmul(centred, v).div(l.sqrt().unsqueeze(0));
    close(matmul(transpose(white), white).div(7), eye(3).dataSync(), 1e-4);
  });

  it('linear autoencoder as SVD: the rank-k reconstruction error is the sum of the dropped σ²', () => {
    const data = tensor([1, 2, 0, -1, 3, 1, 0, 2, 2, 1, -2, 4, 1, 1, 0, 3], { shape: [4, 4] });
    const [u, s, vh] = svd(data);
    const k = 2;
    const uk = u.slice(null, [0, k]);
    const vk = vh.slice([0, k]);
    const recon = matmul(mul(uk, s.slice([0, k]).unsqueeze(0)), vk);
    const err = sub(data, recon).square().sum().item();
    // σ by numpy.linalg.svd: [6.71440782, 2.75663938, 1.41842939, 1.14268325]; σ₃² + σ₄² = 3.31766694.
    close(s, [6.71440782, 2.75663938, 1.41842939, 1.14268325], 1e-6);
    close([err], [3.3176669442274793], 1e-4);
  });
});

describe('errors name the op and what it got', () => {
  it('non-square, singular and not positive-definite inputs', () => {
    expect(() => det(tensor([[1, 2, 3]]))).toThrow(/det: expects square matrices, got shape \[1,3\]/);
    expect(() => inv(tensor([1, 2]))).toThrow(/inv: expects a matrix .* got shape \[2\]/);
    expect(() =>
      inv(
        tensor([
          [1, 2],
          [2, 4],
        ]),
      ),
    ).toThrow(/inv: the matrix of shape \[2,2\] is singular/);
    expect(() =>
      solve(
        tensor([
          [
            [1, 0],
            [0, 1],
          ],
          [
            [1, 1],
            [1, 1],
          ],
        ]),
        tensor([1, 2]),
      ),
    ).toThrow(/solve: batch element \[1\] .* is singular/);
    expect(() => solve(eye(3), tensor([1, 2]))).toThrow(
      /solve: B of shape \[2\] does not match A of shape \[3,3\]/,
    );
    expect(() =>
      cholesky(
        tensor([
          [1, 2],
          [2, 1],
        ]),
      ),
    ).toThrow(
      /cholesky: the matrix of shape \[2,2\] is not positive-definite \(the leading minor of order 2/,
    );
    expect(() => matrixNorm(tensor([1, 2]))).toThrow(/matrixNorm: expects rank ≥ 2/);
    expect(() => matrixNorm(eye(2), 3 as unknown as MatrixNormOrd)).toThrow(/matrixNorm: unsupported ord 3/);
  });
  it('the gradient of det at an exactly singular matrix is its cofactor matrix (closed form)', () => {
    // cof([[1, 2], [2, 4]]) = [[4, −2], [−2, 1]]; for rank n − 2 every cofactor vanishes.
    close(
      grad((x: Tensor) => det(x))(
        tensor([
          [1, 2],
          [2, 4],
        ]),
      ),
      [4, -2, -2, 1],
    );
    close(
      grad((x: Tensor) => det(x))(
        tensor([
          [1, 2, 3],
          [2, 4, 6],
          [3, 6, 9],
        ]),
      ),
      new Array(9).fill(0),
    );
    close(
      grad((x: Tensor) => det(x))(
        tensor([
          [1, 0, 0],
          [0, 0, 0],
          [0, 0, 2],
        ]),
      ),
      [0, 0, 0, 0, 2, 0, 0, 0, 0],
    );
  });
  it('eigh, svd and qr reject bad shapes and dtypes', () => {
    expect(() =>
      eigh(
        tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      ),
    ).toThrow(/eigh: expects square matrices, got shape \[2,3\]/);
    expect(() => svd(tensor([1, 2, 3]))).toThrow(
      /svd: expects a matrix or a batch of matrices \(rank ≥ 2\), got shape \[3\]/,
    );
    expect(() => qr(tensor([[1, 2]], { dtype: 'int32' }))).toThrow(/qr: expects a float32 tensor, got int32/);
    expect(() => diagonal(eye(2), 0.5)).toThrow(/diagonal: offset must be an integer, got 0.5/);
    expect(() => trace(zeros([2, 2, 2]))).toThrow(/trace: expects a 2-D tensor, got shape \[2,2,2\]/);
    expect(() => lstsq(eye(3), tensor([1, 2]))).toThrow(
      /lstsq: B of shape \[2\] does not match A of shape \[3,3\]/,
    );
  });
  it('median and quantile: edges and bad input', () => {
    expect(median(tensor(3)).item()).toBe(3);
    expect(median(tensor([4, 1, 3, 2])).item()).toBe(2); // the lower middle value, as torch
    expect(quantile(tensor([4, 1, 3, 2]), 0.5).item()).toBe(2.5);
    expect(quantile(tensor([[5]]), [0, 1], 1).shape).toEqual([2, 1]);
    expect(() => median(zeros([0]))).toThrow(/median: expects a non-empty tensor, got shape \[0\]/);
    expect(() => median(eye(2), 2)).toThrow(/median: axis 2 is out of range for a tensor of rank 2/);
    expect(() => quantile(eye(2), 1.5)).toThrow(/quantile: q must lie in \[0, 1\], got 1.5/);
    expect(() => quantile(eye(2), 0.5, 0, { interpolation: 'cubic' as QuantileInterpolation })).toThrow(
      /quantile: unknown interpolation 'cubic'/,
    );
  });
  it('repeated eigenvalues: eigh of 2·I is [2, 2, 2] with orthonormal vectors', () => {
    const [l, v] = eigh(eye(3).mul(2));
    close(l, [2, 2, 2]);
    close(matmul(transpose(v), v), eye(3).dataSync());
  });
  it('a singular matrix has det 0 and slogdet (0, −∞), as PyTorch', () => {
    expect(
      det(
        tensor([
          [1, 2],
          [2, 4],
        ]),
      ).item(),
    ).toBe(0);
    const [s, l] = slogdet(
      tensor([
        [1, 2],
        [2, 4],
      ]),
    );
    expect(s.item()).toBe(0);
    expect(l.item()).toBe(-Infinity);
  });
});

describe('memory', () => {
  it('decompositions and their gradients leave no live tensors behind', () => {
    const a = tensor([
      [4, 1, 2],
      [1, 5, 3],
      [2, 3, 6],
    ]);
    const step = () => {
      const g = grad((x: Tensor) =>
        sum(svd(x)[1]).add(eigh(x)[0].sum()).add(inv(x).sum()).add(cholesky(x).sum()),
      )(a);
      g.dispose();
    };
    step();
    const before = memory().tensors;
    for (let i = 0; i < 3; i++) step();
    expect(memory().tensors).toBe(before);
  });
});
