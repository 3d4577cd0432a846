import { memory, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { LVQ } from '../src/energy/lvq.js';
import { SelfOrganizingMap } from '../src/energy/som.js';

const flat = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());
function closeAll(a: ArrayLike<number>, b: number[], tol = 1e-5) {
  for (const [i, v] of Array.from(a).entries())
    expect([i, Math.abs(v - b[i]!) < tol, v]).toEqual([i, true, v]);
}

/** A 1×2 map on the line with codebook [0], [1]. */
function lineMap(): SelfOrganizingMap {
  const som = new SelfOrganizingMap({ rows: 1, cols: 2, dims: 1 });
  som.weight.assign(tensor([[0], [1]]));
  return som;
}

describe('self-organising map', () => {
  const x = tensor([[0.2], [0.4], [0.9]]);

  it('best-matching units and the batch map, worked by hand', () => {
    const som = lineMap();
    expect(flat(som.bestMatching(x))).toEqual([0, 0, 1]);
    // σ = 1: h(0, 1) = e^{−1/2}. Unit 0 ← (0.2 + 0.4 + e^{−½}·0.9) / (2 + e^{−½}), unit 1 ← (e^{−½}(0.2 + 0.4) + 0.9) / (2e^{−½} + 1).
    const g = Math.exp(-0.5);
    som.step(x, { sigma: 1 });
    closeAll(som.weight.dataSync(), [(0.6 + g * 0.9) / (2 + g), (g * 0.6 + 0.9) / (2 * g + 1)]);
    // A tiny σ: each unit moves to the mean of its own samples (k-means' step).
    const sharp = lineMap();
    sharp.step(x, { sigma: 0.01 });
    closeAll(sharp.weight.dataSync(), [0.3, 0.9]);
  });

  it('the online rule, worked by hand: w ← w + α·mean over the batch of h(j, c)(x − w)', () => {
    const som = lineMap();
    const g = Math.exp(-0.5);
    som.step(x, { sigma: 1, mode: 'online', lr: 0.5 });
    const w0 = 0 + (0.5 / 3) * (0.2 - 0 + (0.4 - 0) + g * (0.9 - 0));
    const w1 = 1 + (0.5 / 3) * (g * (0.2 - 1) + g * (0.4 - 1) + (0.9 - 1));
    closeAll(som.weight.dataSync(), [w0, w1]);
  });

  it('quantisation error, topographic error, U-matrix and component planes of a hand-made 2×2 map', () => {
    const som = new SelfOrganizingMap({ rows: 2, cols: 2, dims: 2 });
    // Units (0,0) (0,1) (1,0) (1,1) at the corners of a 3×4 rectangle.
    som.weight.assign(
      tensor([
        [0, 0],
        [3, 0],
        [0, 4],
        [3, 4],
      ]),
    );
    const pts = tensor([
      [0.5, 0],
      [3, 1],
      [1, 4],
    ]);
    // Distances to the nearest unit: 0.5, 1, 1 → mean 5/6.
    expect(som.quantizationError(pts)).toBeCloseTo(5 / 6, 5);
    // Best and second-best: (0.5,0): units 0 and 1 (adjacent); (3,1): 1 and 0; (1,4): 2 and 3. On a
    // 2×2 grid every pair is within Chebyshev distance 1, so no error.
    expect(som.topographicError(pts)).toBe(0);
    // U-matrix: unit 0's neighbours are 1 (distance 3) and 2 (distance 4) → 3.5; all four alike.
    closeAll(som.uMatrix(), [3.5, 3.5, 3.5, 3.5]);
    closeAll(som.componentPlanes(), [0, 3, 0, 3, 0, 0, 4, 4]);
    const map = som.labelMap(pts, [0, 1, 1], 2);
    expect(Array.from(map.majority)).toEqual([0, 1, 1, -1]);
    expect(map.purity).toBe(1);
  });

  it('topographic error counts best/second-best pairs that are not grid neighbours (1×3 map)', () => {
    const som = new SelfOrganizingMap({ rows: 1, cols: 3, dims: 1 });
    // A twisted map: units at 0, 2, 1 — the sample 0.2 has units 0 and 2 (not neighbours) nearest.
    som.weight.assign(tensor([[0], [2], [1]]));
    expect(som.topographicError(tensor([[0.2], [1.9]]))).toBe(0.5);
  });

  it('edges and errors: one unit, a batch of one; bad shapes name the function', () => {
    const one = new SelfOrganizingMap({ rows: 1, cols: 1, dims: 2 });
    const p = tensor([[1, 2]]);
    one.step(p, { sigma: 1 });
    closeAll(one.weight.dataSync(), [1, 2]);
    expect(one.topographicError(p)).toBe(0);
    expect(() => one.step(tensor([[1, 2, 3]]), { sigma: 1 })).toThrow(
      /SelfOrganizingMap.step: expected samples \[B ≥ 1, 2\], got shape \[1,3\]/,
    );
    expect(() => one.step(p, { sigma: 0 })).toThrow(/sigma must be > 0, got 0/);
    expect(() => new SelfOrganizingMap({ rows: 0, cols: 2, dims: 1 })).toThrow(
      /rows must be an integer ≥ 1, got 0/,
    );
  });

  it('memory stays flat across training steps', () => {
    const som = new SelfOrganizingMap({ rows: 3, cols: 3, dims: 1 });
    som.initFromSamples(x, { seed: 1 });
    const counts: number[] = [];
    for (let i = 0; i < 5; i++) {
      som.step(x, { sigma: 1 });
      som.step(x, { sigma: 1, mode: 'online', lr: 0.1 });
      som.quantizationError(x);
      som.topographicError(x);
      counts.push(memory().tensors);
    }
    expect(new Set(counts).size).toBe(1);
    som.dispose();
  });
});

describe('learning vector quantisation (LVQ1)', () => {
  it('one update, worked by hand: the nearest prototype moves away from a sample of another class, then towards one of its own', () => {
    const lvq = new LVQ({ dims: 2, classes: 2 });
    lvq.weight.assign(
      tensor([
        [0, 0],
        [1, 0],
      ]),
    );
    // (0.4, 0) is nearest to prototype 0 (class 0) but is class 1: w₀ ← w₀ − 0.1·(x − w₀) = (−0.04, 0).
    lvq.update(tensor([[0.4, 0]]), [1], 0.1);
    closeAll(lvq.weight.dataSync(), [-0.04, 0, 1, 0]);
    // (1, 1) is class 1, nearest to prototype 1: w₁ ← w₁ + 0.5·((1,1) − (1,0)) = (1, 0.5).
    lvq.update(tensor([[1, 1]]), [1], 0.5);
    closeAll(lvq.weight.dataSync(), [-0.04, 0, 1, 0.5]);
    expect(
      Array.from(
        lvq.predict(
          tensor([
            [-1, 0],
            [2, 1],
          ]),
        ),
      ),
    ).toEqual([0, 1]);
  });

  it('class-major prototypes from samples of their class; errors name the function', () => {
    const x = tensor([
      [0, 0],
      [5, 5],
      [0.1, 0],
      [5, 5.1],
    ]);
    const lvq = new LVQ({ dims: 2, classes: 2, perClass: 2 });
    lvq.initFromSamples(x, [0, 1, 0, 1], { seed: 3 });
    expect(Array.from(lvq.prototypeLabels)).toEqual([0, 0, 1, 1]);
    expect(Array.from(lvq.predict(x))).toEqual([0, 1, 0, 1]);
    expect(() => lvq.update(x, [0, 1, 2, 0], 0.1)).toThrow(/LVQ.update: label 2 at 2 is not in \[0, 2\)/);
    expect(() => lvq.update(x, [0, 1], 0.1)).toThrow(/LVQ.update: 4 samples but 2 labels/);
    expect(() => lvq.update(x, [0, 1, 0, 1], 0)).toThrow(/LVQ.update: lr must be in \(0, 1\], got 0/);
    expect(() => lvq.initFromSamples(x, [0, 0, 0, 0])).toThrow(/LVQ.initFromSamples: class 1 has no samples/);
  });
});
