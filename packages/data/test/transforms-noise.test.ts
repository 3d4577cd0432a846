import { full, memory, scope, type Tensor, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { fromTensors, gaussianNoise, saltAndPepper } from '../src/index.js';

// Statistical tests against the definitions (scikit-image's random_noise): every element is
// replaced with probability `amount` (Binomial counts), salt with probability `saltVsPepper`.
// Bounds are 5 standard deviations, so a correct transform fails about once in 3 million runs.

const values = (t: Tensor): Float32Array => t.dataSync() as Float32Array;

function counts(v: Float32Array, background: number, low: number, high: number) {
  let salt = 0;
  let pepper = 0;
  let kept = 0;
  let other = 0;
  for (const x of v) {
    if (x === high) salt++;
    else if (x === low) pepper++;
    else if (x === Math.fround(background)) kept++;
    else other++;
  }
  return { salt, pepper, kept, other };
}

describe('saltAndPepper (scikit-image s&p)', () => {
  it('replaces a Binomial(n, amount) number of elements, a saltVsPepper share of them with salt', () => {
    scope(() => {
      const x = full([10, 1, 100, 100], 0.5); // n = 10⁵, no value is already 0 or 1
      const n = x.size;
      const [amount, q] = [0.1, 0.3];
      const c = counts(values(saltAndPepper({ amount, saltVsPepper: q, seed: 7 })(x)), 0.5, 0, 1);
      expect(c.other).toBe(0);
      const replaced = c.salt + c.pepper;
      expect(Math.abs(replaced - n * amount)).toBeLessThan(5 * Math.sqrt(n * amount * (1 - amount)));
      expect(Math.abs(c.salt / replaced - q)).toBeLessThan(5 * Math.sqrt((q * (1 - q)) / replaced));
      expect(c.kept).toBe(n - replaced);
    });
  });

  it('defaults: amount 0.05, a fair coin, salt 1 and pepper 0', () => {
    scope(() => {
      const x = full([4, 3, 50, 50], 0.25); // n = 30 000
      const n = x.size;
      const c = counts(values(saltAndPepper({ seed: 1 })(x)), 0.25, 0, 1);
      expect(c.other).toBe(0);
      const replaced = c.salt + c.pepper;
      expect(Math.abs(replaced - 0.05 * n)).toBeLessThan(5 * Math.sqrt(n * 0.05 * 0.95));
      expect(Math.abs(c.salt / replaced - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / replaced));
    });
  });

  it('range sets the pepper and salt values (signed images: [−1, 1])', () => {
    scope(() => {
      const x = full([2000], 0.3);
      const c = counts(values(saltAndPepper({ amount: 0.5, range: [-1, 1], seed: 3 })(x)), 0.3, -1, 1);
      expect(c.other).toBe(0);
      expect(c.salt).toBeGreaterThan(0);
      expect(c.pepper).toBeGreaterThan(0);
    });
  });

  it('amount 0 is the identity; amount 1 with saltVsPepper 1 or 0 is all salt or all pepper', () => {
    scope(() => {
      const x = tensor([0.1, 0.2, 0.3, 0.4], { shape: [1, 1, 2, 2] });
      expect(Array.from(values(saltAndPepper({ amount: 0, seed: 0 })(x)))).toEqual(Array.from(values(x)));
      expect(Array.from(values(saltAndPepper({ amount: 1, saltVsPepper: 1, seed: 0 })(x)))).toEqual([
        1, 1, 1, 1,
      ]);
      expect(Array.from(values(saltAndPepper({ amount: 1, saltVsPepper: 0, seed: 0 })(x)))).toEqual([
        0, 0, 0, 0,
      ]);
    });
  });

  it('is seeded: the same seed repeats, successive calls draw afresh; the input is untouched', () => {
    scope(() => {
      const x = full([1, 28, 28], 0.5);
      const a = saltAndPepper({ amount: 0.3, seed: 11 });
      const b = saltAndPepper({ amount: 0.3, seed: 11 });
      const a1 = Array.from(values(a(x)));
      expect(Array.from(values(b(x)))).toEqual(a1);
      expect(Array.from(values(a(x)))).not.toEqual(a1);
      expect(values(x).every((v) => v === 0.5)).toBe(true);
    });
  });

  it('batch 1 of size-1 dims, flat vectors, and an empty batch keep their shape', () => {
    scope(() => {
      const t = saltAndPepper({ amount: 1, saltVsPepper: 1, seed: 2 });
      expect(Array.from(values(t(tensor([0.5], { shape: [1, 1, 1, 1] }))))).toEqual([1]);
      expect(t(full([3, 784], 0.5)).shape).toEqual([3, 784]);
      expect(t(tensor(new Float32Array(0), { shape: [0, 1, 28, 28] })).shape).toEqual([0, 1, 28, 28]);
    });
  });

  it('in a dataset map it frees its temporaries', async () => {
    const x = full([6, 1, 4, 4], 0.5);
    const before = memory().tensors;
    const out = await fromTensors(x)
      .map(saltAndPepper({ amount: 0.2, seed: 4 }))
      .toArray();
    expect(out.map((t) => t.shape)).toEqual(Array(6).fill([1, 4, 4]));
    expect(memory().tensors).toBe(before + 6);
    for (const t of out) t.dispose();
    expect(memory().tensors).toBe(before);
    x.dispose();
  });

  it('rejects bad options and non-float input, naming the function', () => {
    expect(() => saltAndPepper({ amount: 1.5 })).toThrow(
      /saltAndPepper: amount must be in \[0, 1\], got 1.5/,
    );
    expect(() => saltAndPepper({ saltVsPepper: -0.1 })).toThrow(
      /saltAndPepper: saltVsPepper must be in \[0, 1\], got -0.1/,
    );
    expect(() => saltAndPepper({ range: [1, 0] })).toThrow(
      /saltAndPepper: range must be \[low, high\] with finite low < high, got \[1,0\]/,
    );
    scope(() => {
      const bytes = tensor([0, 255], { dtype: 'int32' });
      expect(() => saltAndPepper()(bytes)).toThrow(
        /saltAndPepper: expected a float32 tensor, got int32 \[2\]/,
      );
    });
  });
});

describe('gaussianNoise', () => {
  it('adds N(mean, std²) noise: the sample mean and variance of x′ − x match', () => {
    scope(() => {
      const x = full([200, 100], 0.5);
      const n = x.size;
      const [mean, std] = [0.1, 0.3];
      const d = values(gaussianNoise({ std, mean, seed: 5 })(x).sub(x));
      let m = 0;
      for (const v of d) m += v;
      m /= n;
      let s2 = 0;
      for (const v of d) s2 += (v - m) ** 2;
      s2 /= n - 1;
      expect(Math.abs(m - mean)).toBeLessThan((5 * std) / Math.sqrt(n));
      // Var(s²) = 2σ⁴/(n − 1) for normal samples.
      expect(Math.abs(s2 - std * std)).toBeLessThan(5 * std * std * Math.sqrt(2 / (n - 1)));
    });
  });

  it('clip bounds the result; std 0 is the identity; it is seeded', () => {
    scope(() => {
      const x = full([5000], 0.9);
      const y = values(gaussianNoise({ std: 0.5, clip: [0, 1], seed: 1 })(x));
      expect(y.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(y.some((v) => v === 1)).toBe(true);
      const small = tensor([0.25, 0.75], { shape: [1, 1, 1, 2] });
      expect(Array.from(values(gaussianNoise({ std: 0 })(small)))).toEqual([0.25, 0.75]);
      const a = Array.from(values(gaussianNoise({ std: 1, seed: 9 })(small)));
      expect(Array.from(values(gaussianNoise({ std: 1, seed: 9 })(small)))).toEqual(a);
      expect(gaussianNoise({ std: 1 })(tensor(new Float32Array(0), { shape: [0, 3] })).shape).toEqual([0, 3]);
    });
  });

  it('rejects bad options and non-float input, naming the function', () => {
    expect(() => gaussianNoise({ std: -1 })).toThrow(
      /gaussianNoise: std must be a finite number ≥ 0, got -1/,
    );
    // biome-ignore lint/suspicious/noExplicitAny: a JavaScript caller forgetting std
    expect(() => gaussianNoise({} as any)).toThrow(
      /gaussianNoise: std must be a finite number ≥ 0, got undefined/,
    );
    expect(() => gaussianNoise({ std: 1, clip: [1, 1] })).toThrow(
      /gaussianNoise: clip must be \[low, high\] with finite low < high, got \[1,1\]/,
    );
    scope(() => {
      expect(() => gaussianNoise({ std: 1 })(tensor([1], { dtype: 'int32' }))).toThrow(
        /gaussianNoise: expected a float32 tensor, got int32/,
      );
    });
  });
});
