import { readFileSync } from 'node:fs';
import { memory, tensor } from '@myelin/core';
import { loadSklearnTable } from '@myelin/data/node';
import { describe, expect, it } from 'vitest';
import {
  bandwidths,
  fitRBFOutput,
  KernelSVM,
  kernelMatrix,
  kMeans,
  leastSquares,
  RBFNetwork,
  rbfHidden,
  Standardizer,
  trainKernelSVM,
  trainRBF,
} from '../src/index.js';

/** numpy golden numbers: tools/gen_classic_shallow_fixtures.py. */
const fx = JSON.parse(
  readFileSync(new URL('../fixtures/shallow-rbf-lstsq.json', import.meta.url), 'utf8'),
) as {
  x: number[];
  labels: number[];
  dims: number;
  centres: number[];
  widths: number[];
  phi: number[];
  lstsq: { weight: number[]; bias: number[]; mse: number };
  ridge: { lambda: number; weight: number[]; bias: number[] };
  gram: {
    rows: number;
    rbf_gamma: number;
    rbf: number[];
    poly: { degree: number; gamma: number; coef0: number };
    polynomial: number[];
  };
};
const X = Float32Array.from(fx.x);
const Y = Int32Array.from(fx.labels);

const close = (got: ArrayLike<number>, want: readonly number[], tol: number) => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(tol);
};

describe('RBF network: the closed-form output layer is the least-squares solution (numpy lstsq)', () => {
  const net = () => new RBFNetwork(Float32Array.from(fx.centres), Float32Array.from(fx.widths), 4, 2);

  it('hidden activations match numpy', async () => {
    const m = net();
    close(await rbfHidden(m, X), fx.phi, 1e-6);
    // The tensor path (forward's hidden layer) agrees in float32.
    const h = m.hidden(tensor(X, { shape: [60, 4] }));
    close(await h.data(), fx.phi, 1e-5);
    h.dispose();
    m.dispose();
  });

  it('plain least squares: weights, bias and training MSE equal numpy.linalg.lstsq', async () => {
    const m = net();
    const mse = await fitRBFOutput(m, X, Y);
    close(await m.weight.data(), fx.lstsq.weight, 2e-5);
    close(await m.bias.data(), fx.lstsq.bias, 2e-5);
    expect(mse).toBeCloseTo(fx.lstsq.mse, 8);
    m.dispose();
  });

  it('ridge: equals the normal equations (AᵀA + λD)W = AᵀT with the bias unpenalised', async () => {
    const m = net();
    await fitRBFOutput(m, X, Y, { ridge: fx.ridge.lambda });
    close(await m.weight.data(), fx.ridge.weight, 2e-5);
    close(await m.bias.data(), fx.ridge.bias, 2e-5);
    m.dispose();
  });

  it('gradient descent on the same squared error approaches the closed form from above', async () => {
    const m = net();
    const before = memory().tensors;
    const live: number[] = [];
    const h = await trainRBF(m, X, Y, {
      epochs: 400,
      lr: 0.05,
      optimizer: 'adam',
      onEpoch: () => live.push(memory().tensors),
    });
    expect(new Set(live).size).toBe(1);
    // Training leaves nothing behind (no gradients, no optimizer state).
    expect(memory().tensors).toBe(before);
    // Objective ½·Σ_c (y − t)² per row = C/2 · MSE per output; the least-squares optimum is a floor.
    const floor = fx.lstsq.mse;
    expect(h.at(-1)! / 1).toBeGreaterThanOrEqual(floor - 1e-6);
    expect(h.at(-1)!).toBeLessThan(floor * 1.05);
    m.dispose();
  });

  it('leastSquares reports a rank-deficient problem and asks for a ridge', () => {
    const A = Float64Array.of(1, 2, 2, 4, 3, 6); // second column = 2 × first
    expect(() => leastSquares(A, 3, 2, Float64Array.of(1, 2, 3), 1)).toThrow(
      /rank-deficient.*pass a ridge > 0/,
    );
    expect(leastSquares(A, 3, 2, Float64Array.of(1, 2, 3), 1, { ridge: 1e-6 }).every(Number.isFinite)).toBe(
      true,
    );
  });
});

describe('kernels, k-means, bandwidths', () => {
  it('Gram matrices of the RBF and polynomial kernels match numpy', async () => {
    const p = tensor(X.subarray(0, 20), { shape: [5, 4] });
    const rbf = kernelMatrix(p, p, { kind: 'rbf', gamma: fx.gram.rbf_gamma });
    const poly = kernelMatrix(p, p, { kind: 'polynomial', ...fx.gram.poly });
    close(await rbf.data(), fx.gram.rbf, 1e-5);
    close(await poly.data(), fx.gram.polynomial, 1e-3);
    for (const t of [p, rbf, poly]) t.dispose();
    expect(() => kernelMatrix(tensor([[1, 2]]), tensor([[1, 2, 3]]), { kind: 'linear' })).toThrow(
      /kernelMatrix: expected rows \[N, D\] and \[M, D\], got \[1, 2\] and \[1, 3\]/,
    );
    expect(() => kernelMatrix(tensor([[1]]), tensor([[1]]), { kind: 'rbf', gamma: 0 })).toThrow(
      /gamma must be > 0, got 0/,
    );
  });

  it('k-means finds two separated blobs; k > N is refused', () => {
    const pts = Float32Array.of(0, 0, 0.1, 0, 0, 0.1, 10, 10, 10.1, 10, 10, 10.1);
    const r = kMeans(pts, 2, 2, { seed: 4 });
    const a = r.assignment;
    expect(a[0]).toBe(a[1]);
    expect(a[1]).toBe(a[2]);
    expect(a[3]).toBe(a[4]);
    expect(a[0]).not.toBe(a[3]);
    // Each blob's centroid is its corner + (1/30, 1/30): squared distances 2/900, 5/900, 5/900.
    expect(r.inertia).toBeCloseTo(24 / 900, 5);
    expect(() => kMeans(pts, 2, 7)).toThrow('kMeans: k = 7 centres need at least 7 rows, got 6');
  });

  it('bandwidth heuristics by their formulas', () => {
    const c = Float32Array.of(0, 0, 3, 4, 0, 1);
    // d_max = 5 between (0,0) and (3,4): σ = 5 / √(2·3).
    close(bandwidths(c, 2, 'max-distance'), [5 / Math.sqrt(6), 5 / Math.sqrt(6), 5 / Math.sqrt(6)], 1e-6);
    // p = 1: the distance to the nearest other centre (1, √18, 1).
    close(bandwidths(c, 2, 'nearest-centres', { p: 1 }), [1, Math.sqrt(18), 1], 1e-6);
    // Rows (1,0),(−1,0) around centre 0, (3,5),(3,3) around centre 1, (0,1) alone at centre 2.
    const x = Float32Array.of(1, 0, -1, 0, 3, 5, 3, 3, 0, 1);
    close(
      bandwidths(c, 2, 'cluster-spread', { x, assignment: Int32Array.of(0, 0, 1, 1, 2) }),
      [1, 1, 1],
      1e-6,
    );
    expect(() => bandwidths(c, 2, 'cluster-spread')).toThrow(/needs the rows \(x\) and their assignment/);
  });
});

describe('kernel SVM as a network over kernel features', () => {
  it('learns breast cancer (2 features) and is memory-flat; bad input is named', async () => {
    const t = await loadSklearnTable('breast-cancer');
    const cols = new Float32Array(t.count * 2);
    for (let i = 0; i < t.count; i++) {
      cols[2 * i] = t.features[i * 30 + 20]!;
      cols[2 * i + 1] = t.features[i * 30 + 27]!;
    }
    const x = Standardizer.fit(cols, 2).transform(cols);
    const before = memory().tensors;
    const m = new KernelSVM(x, 2, 2, { kind: 'rbf', gamma: 0.5 });
    const live: number[] = [];
    const h = await trainKernelSVM(m, t.labels, {
      epochs: 60,
      lr: 0.05,
      optimizer: 'adam',
      onEpoch: () => live.push(memory().tensors),
    });
    expect(new Set(live).size).toBe(1);
    expect(h.at(-1)).toBeLessThan(h[0]!);
    const p = await m.predict(x);
    let right = 0;
    for (let i = 0; i < t.count; i++) if (p[i] === t.labels[i]) right++;
    expect(right / t.count).toBeGreaterThan(0.93);
    await expect(trainKernelSVM(m, t.labels.subarray(1), { epochs: 1, lr: 0.1 })).rejects.toThrow(
      /trainKernelSVM: got 568 labels for 569 rows/,
    );
    await expect(m.predict(Float32Array.of(1, 2, 3))).rejects.toThrow(
      /KernelSVM.predict: 3 feature values do not make rows of 2/,
    );
    m.dispose();
    expect(memory().tensors).toBe(before);
    expect(() => new KernelSVM(x, 2, 2, { kind: 'polynomial', degree: 0, gamma: 1, coef0: 1 })).toThrow(
      /degree must be an integer ≥ 1, got 0/,
    );
  });
});
