import { memory, scope, type Tensor, tensor, variable } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { KSparse, kSparse, Linear, WinnerTakeAll, winnerTakeAll } from '../src/index.js';

// Golden values are worked by hand from the definitions (Makhzani & Frey 2013, 2015): the kept
// entries are the k largest values of a row (first index first among equals), everything else 0,
// and d(Σ c⊙y)/dx is c on the kept entries and 0 elsewhere.

const rows = (t: Tensor): number[][] => {
  const w = t.shape[t.rank - 1]!;
  const v = Array.from(t.dataSync() as Float32Array);
  return Array.from({ length: v.length / w }, (_, i) => v.slice(i * w, i * w + w));
};

/** y = f(x) and dΣ(c⊙y)/dx for a float input given as nested arrays. */
function valueAndInputGrad(f: (x: Tensor) => Tensor, x0: Tensor, c: Tensor): { y: number[]; g: number[] } {
  const x = scope(() => variable(x0));
  let y: number[] = [];
  scope(() => {
    const out = f(x);
    y = Array.from(out.dataSync() as Float32Array);
    out.mul(c).sum().backward();
  });
  const g = Array.from(x.grad!.dataSync() as Float32Array);
  x.grad!.dispose();
  x.dispose();
  return { y, g };
}

describe('kSparse keeps the k largest of each row (Makhzani & Frey 2013)', () => {
  it('keeps the k largest values, zeros the rest, and passes gradient only through the kept', () => {
    scope(() => {
      const x = tensor([
        [0.1, 0.9, -2, 0.5],
        [3, -1, 2, 4],
      ]);
      const c = tensor([
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ]);
      const { y, g } = valueAndInputGrad((t) => kSparse(t, 2), x, c);
      expect(y).toEqual([0, 0.9, 0, 0.5, 3, 0, 0, 4].map(Math.fround));
      expect(g).toEqual([0, 2, 0, 4, 5, 0, 0, 8]);
    });
  });

  it('largest means largest value, not magnitude', () => {
    scope(() => expect(rows(kSparse(tensor([[-5, -1, -3]]), 1))).toEqual([[0, -1, 0]]));
  });

  it('ties: among equal values the lower index is kept first', () => {
    scope(() => {
      expect(rows(kSparse(tensor([[1, 3, 3, 3, 0]]), 2))).toEqual([[0, 3, 3, 0, 0]]);
      expect(rows(kSparse(tensor([[2, 2, 2]]), 1))).toEqual([[2, 0, 0]]);
    });
  });

  it('k ≥ width keeps everything (gradient 1 everywhere); k = 0 gives zeros', () => {
    scope(() => {
      const x = tensor([[1, -2, 3]]);
      const c = tensor([[1, 1, 1]]);
      for (const k of [3, 10]) {
        const { y, g } = valueAndInputGrad((t) => kSparse(t, k), x, c);
        expect(y).toEqual([1, -2, 3]);
        expect(g).toEqual([1, 1, 1]);
      }
      const zero = valueAndInputGrad((t) => kSparse(t, 0), x, c);
      expect(zero.y).toEqual([0, 0, 0]);
      expect(zero.g).toEqual([0, 0, 0]);
    });
  });

  it('batch 1, size-1 dims, leading dims and an empty batch', () => {
    scope(() => {
      expect(rows(kSparse(tensor([[7]]), 1))).toEqual([[7]]);
      const x3 = tensor([1, 5, 2, 6, 0, 4], { shape: [2, 1, 3] });
      const y3 = kSparse(x3, 1);
      expect(y3.shape).toEqual([2, 1, 3]);
      expect(rows(y3)).toEqual([
        [0, 5, 0],
        [6, 0, 0],
      ]);
      expect(kSparse(tensor(new Float32Array(0), { shape: [0, 4] }), 2).shape).toEqual([0, 4]);
      expect(kSparse(tensor(new Float32Array(0), { shape: [3, 0] }), 2).shape).toEqual([3, 0]);
    });
  });

  it('rejects bad k and inputs, naming the function', () => {
    scope(() => {
      const x = tensor([[1, 2]]);
      expect(() => kSparse(x, -1)).toThrow(/kSparse: k must be an integer ≥ 0, got -1/);
      expect(() => kSparse(x, 1.5)).toThrow(/kSparse: k must be an integer/);
      expect(() => kSparse(tensor([[1, 2]], { dtype: 'int32' }), 1)).toThrow(
        /kSparse: expected float32 activations, got int32/,
      );
      expect(() => kSparse(tensor(1), 1)).toThrow(
        /kSparse: expected activations \[\.\.\., width\], got a scalar/,
      );
      expect(() => new KSparse(-2)).toThrow(/KSparse: k must be/);
    });
  });
});

describe('KSparse layer', () => {
  it('uses k in training and evalK in eval mode (the paper encodes test inputs with αk)', () => {
    const layer = new KSparse(1, { evalK: 2 });
    scope(() => {
      const x = tensor([[4, 1, 3]]);
      expect(rows(layer.forward(x))).toEqual([[4, 0, 0]]);
      layer.eval();
      expect(rows(layer.forward(x))).toEqual([[4, 0, 3]]);
    });
    expect(new KSparse(3).evalK).toBe(3);
  });

  it('a k-sparse autoencoder step is memory-flat', () => {
    const enc = new Linear(6, 8, { seed: 0 });
    const dec = new Linear(8, 6, { seed: 1 });
    const sparse = new KSparse(3);
    const x = tensor([
      [1, 0, 1, 0, 1, 0],
      [0, 1, 0, 1, 0, 1],
    ]);
    const counts: number[] = [];
    for (let s = 0; s < 4; s++) {
      scope(() => {
        const h = sparse.forward(enc.forward(x));
        // Exactly 3 non-zero codes per row.
        for (const r of rows(h)) expect(r.filter((v) => v !== 0).length).toBe(3);
        dec.forward(h).sub(x).square().mean().backward();
        for (const p of [...enc.parameters(), ...dec.parameters()]) p.assign(p.sub(p.grad!.mul(0.1)));
        enc.zeroGrad();
        dec.zeroGrad();
      });
      counts.push(memory().tensors);
    }
    expect(new Set(counts).size).toBe(1);
    x.dispose();
    enc.dispose();
    dec.dispose();
  });
});

describe('winnerTakeAll (Makhzani & Frey 2015)', () => {
  it('spatial: keeps the single largest value of each feature map (first in row-major order)', () => {
    scope(() => {
      // [1, 2, 2, 2]: map 0 has two 5s (the first, at (0, 1), wins); map 1 is all negative.
      const x = tensor([1, 5, 5, 2, -1, -2, -3, -4], { shape: [1, 2, 2, 2] });
      const c = tensor([1, 2, 3, 4, 5, 6, 7, 8], { shape: [1, 2, 2, 2] });
      const { y, g } = valueAndInputGrad((t) => winnerTakeAll(t, { spatial: true }), x, c);
      expect(y).toEqual([0, 5, 0, 0, -1, 0, 0, 0]);
      expect(g).toEqual([0, 2, 0, 0, 5, 0, 0, 0]);
    });
  });

  it('spatial on 1×1 maps is the identity; on a batch each sample has its own winner', () => {
    scope(() => {
      const x = tensor([3, -1], { shape: [2, 1, 1, 1] });
      expect(Array.from(winnerTakeAll(x, { spatial: true }).dataSync())).toEqual([3, -1]);
      const b = tensor([1, 2, 4, 3], { shape: [2, 1, 2] });
      expect(rows(winnerTakeAll(b, { spatial: true }))).toEqual([
        [0, 2],
        [4, 0],
      ]);
    });
  });

  it('lifetime: each unit keeps its ⌈f·N⌉ largest activations over the batch (lower index on ties)', () => {
    scope(() => {
      // Columns: unit 0 = [1, 4, 2, 3] keeps rows 1, 3; unit 1 = [5, 5, 0, 1] keeps rows 0, 1.
      const x = tensor([
        [1, 5],
        [4, 5],
        [2, 0],
        [3, 1],
      ]);
      const c = tensor([
        [1, 1],
        [1, 1],
        [1, 1],
        [1, 1],
      ]);
      const { y, g } = valueAndInputGrad((t) => winnerTakeAll(t, { lifetime: 0.5 }), x, c);
      expect(y).toEqual([0, 5, 4, 5, 0, 0, 3, 0]);
      expect(g).toEqual([0, 1, 1, 1, 0, 0, 1, 0]);
      // ⌈0.3·4⌉ = 2 as well; f = 1 keeps everything; a batch of 1 keeps its one sample.
      expect(rows(winnerTakeAll(x, { lifetime: 0.3 }))).toEqual(rows(winnerTakeAll(x, { lifetime: 0.5 })));
      expect(rows(winnerTakeAll(x, { lifetime: 1 }))).toEqual(rows(x));
      expect(rows(winnerTakeAll(tensor([[2, -1]]), { lifetime: 0.05 }))).toEqual([[2, -1]]);
    });
  });

  it('spatial + lifetime (conv-WTA): a channel keeps the spatial winners of its top ⌈f·N⌉ samples', () => {
    scope(() => {
      // 3 samples, 1 channel, 1×2 maps: winners 2 (sample 0), 9 (sample 1), 4 (sample 2); f = 1/3 keeps sample 1.
      const x = tensor([1, 2, 9, 0, 4, 3], { shape: [3, 1, 1, 2] });
      const c = tensor([1, 1, 1, 1, 1, 1], { shape: [3, 1, 1, 2] });
      const { y, g } = valueAndInputGrad((t) => winnerTakeAll(t, { spatial: true, lifetime: 1 / 3 }), x, c);
      expect(y).toEqual([0, 0, 9, 0, 0, 0]);
      expect(g).toEqual([0, 0, 1, 0, 0, 0]);
    });
  });

  it('an empty batch passes through', () => {
    scope(() => {
      const e = tensor(new Float32Array(0), { shape: [0, 2, 3, 3] });
      expect(winnerTakeAll(e, { spatial: true, lifetime: 0.1 }).shape).toEqual([0, 2, 3, 3]);
    });
  });

  it('rejects bad options and shapes, naming the function', () => {
    scope(() => {
      const x = tensor([[1, 2]]);
      expect(() => winnerTakeAll(x, {})).toThrow(
        /winnerTakeAll: give spatial: true, a lifetime rate, or both/,
      );
      expect(() => winnerTakeAll(x, { lifetime: 0 })).toThrow(
        /winnerTakeAll: lifetime must be a rate in \(0, 1\], got 0/,
      );
      expect(() => winnerTakeAll(x, { lifetime: 1.5 })).toThrow(/winnerTakeAll: lifetime/);
      expect(() => winnerTakeAll(x, { spatial: true })).toThrow(
        /winnerTakeAll: spatial sparsity expects feature maps \[N, C, \.\.\.spatial\], got .*1.*2/,
      );
      expect(() => winnerTakeAll(tensor([1, 2]), { lifetime: 0.5 })).toThrow(
        /winnerTakeAll: lifetime sparsity expects/,
      );
      expect(() => new WinnerTakeAll({})).toThrow(/WinnerTakeAll: give spatial/);
    });
  });
});

describe('WinnerTakeAll layer', () => {
  it('is sparse in training and the identity in eval mode unless sparseInEval', () => {
    const wta = new WinnerTakeAll({ spatial: true });
    scope(() => {
      const x = tensor([1, 3, 2, 0], { shape: [1, 1, 2, 2] });
      expect(Array.from(wta.forward(x).dataSync())).toEqual([0, 3, 0, 0]);
      wta.eval();
      expect(wta.forward(x)).toBe(x);
      const always = new WinnerTakeAll({ spatial: true, sparseInEval: true }).eval();
      expect(Array.from(always.forward(x).dataSync())).toEqual([0, 3, 0, 0]);
    });
  });
});
