import { describe, expect, it } from 'vitest';
import { Generator, philox4x32 } from '../src/random/philox.js';

// Random123 tests/kat_vectors (github.com/DEShawResearch/random123), the philox4x32 lines:
// rounds, counter[4], key[2] → expected[4], all hex uint32.
const KAT: readonly string[] = [
  '7  00000000 00000000 00000000 00000000 00000000 00000000  5f6fb709 0d893f64 4f121f81 4f730a48',
  '7  ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff  5207ddc2 45165e59 4d8ee751 8c52f662',
  '7  243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0  4dfccaba 190a87f0 c47362ba b6b5242a',
  '10 00000000 00000000 00000000 00000000 00000000 00000000  6627e8d5 e169c58d bc57ac4c 9b00dbd8',
  '10 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff  408f276d 41c83b0e a20bc7c6 6d5451fd',
  '10 243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0  d16cfe09 94fdcceb 5001e420 24126ea1',
];

const N = 100_000;

function meanVar(xs: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  const mean = s / xs.length;
  let ss = 0;
  for (let i = 0; i < xs.length; i++) ss += (xs[i]! - mean) ** 2;
  return { mean, variance: ss / (xs.length - 1) };
}

/** Pearson's statistic for observed counts against expected counts. */
function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): number {
  let x2 = 0;
  for (let i = 0; i < observed.length; i++) x2 += (observed[i]! - expected[i]!) ** 2 / expected[i]!;
  return x2;
}

/** `times` copies of `row`, end to end (a [times, row.length] probability matrix). */
function tile(row: Float32Array, times: number): Float32Array {
  const out = new Float32Array(row.length * times);
  for (let t = 0; t < times; t++) out.set(row, t * row.length);
  return out;
}

/** Mean + 5 standard deviations of a χ² variable with `df` degrees of freedom (mean df, variance 2df). */
function chiSquareBound(df: number): number {
  return df + 5 * Math.sqrt(2 * df);
}

describe('philox4x32 matches the Random123 known-answer vectors', () => {
  for (const line of KAT) {
    const [rounds, ...hex] = line.trim().split(/\s+/);
    const words = hex.map((h) => Number.parseInt(h, 16));
    it(`philox4x32-${rounds} counter ${hex.slice(0, 4).join(' ')} key ${hex.slice(4, 6).join(' ')}`, () => {
      const out = philox4x32(words.slice(0, 4), words.slice(4, 6), Number(rounds));
      expect(Array.from(out)).toEqual(words.slice(6, 10));
    });
  }

  it('Generator block k under seed s is philox4x32-10(counter = [k, 0, 0, 0], key = [lo(s), hi(s)])', () => {
    const seed = 0x299f31d0a4093822n;
    const g = new Generator(seed);
    const words = g.bits(8);
    expect(Array.from(words.subarray(0, 4))).toEqual(
      Array.from(philox4x32([0, 0, 0, 0], [0xa4093822, 0x299f31d0])),
    );
    expect(Array.from(words.subarray(4, 8))).toEqual(
      Array.from(philox4x32([1, 0, 0, 0], [0xa4093822, 0x299f31d0])),
    );
    expect(Array.from(new Generator(0).bits(4))).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
  });
});

describe('Generator determinism and state', () => {
  it('the same seed gives the same numbers; successive calls give fresh ones', () => {
    const a = new Generator(1234);
    const b = new Generator(1234);
    const a1 = a.uniform(10);
    const a2 = a.uniform(10);
    expect(Array.from(b.uniform(10))).toEqual(Array.from(a1));
    expect(Array.from(b.uniform(10))).toEqual(Array.from(a2));
    expect(Array.from(a2)).not.toEqual(Array.from(a1));
    expect(Array.from(new Generator(1235).uniform(10))).not.toEqual(Array.from(a1));
  });

  it('every call starts on a fresh 4-word block and advances the offset by the blocks it read', () => {
    const g = new Generator(7);
    g.uniform(5); // 2 blocks
    expect(g.getState()).toEqual({ seed: 7n, offset: 2 });
    g.normal(3); // 2 pairs = 4 words = 1 block
    expect(g.getState().offset).toBe(3);
    g.randint(0, 256, 4); // rejection-free for a power-of-two range: 1 block
    expect(g.getState().offset).toBe(4);
  });

  it('setState rewinds and replays exactly', () => {
    const g = new Generator(99n);
    g.uniform(3);
    const saved = g.getState();
    const first = [g.normal(7), g.randint(-5, 5, 9), g.permutation(12), g.truncatedNormal(11, 1, 2)];
    g.setState(saved);
    const second = [g.normal(7), g.randint(-5, 5, 9), g.permutation(12), g.truncatedNormal(11, 1, 2)];
    for (let i = 0; i < first.length; i++) expect(Array.from(second[i]!)).toEqual(Array.from(first[i]!));
  });

  it('negative and bigint seeds wrap to 64 bits as torch.manual_seed does', () => {
    expect(new Generator(-1).getState().seed).toBe(0xffffffffffffffffn);
    expect(Array.from(new Generator(-1).bits(4))).toEqual(
      Array.from(philox4x32([0, 0, 0, 0], [0xffffffff, 0xffffffff])),
    );
    expect(() => new Generator(1.5)).toThrow(/seed must be an integer/);
  });

  it('fork and split give reproducible, distinct streams', () => {
    const a = new Generator(5);
    const [c1, c2] = a.split(2);
    const b = new Generator(5);
    const [d1, d2] = b.split(2);
    const x1 = c1!.uniform(8);
    expect(Array.from(d1!.uniform(8))).toEqual(Array.from(x1));
    expect(Array.from(d2!.uniform(8))).toEqual(Array.from(c2!.uniform(8)));
    expect(Array.from(c2!.uniform(8))).not.toEqual(Array.from(x1));
    expect(a.getState().offset).toBe(2);
  });
});

describe('uniform', () => {
  it('lies in [0, 1) on multiples of 2^-24 with mean 1/2 and variance 1/12 (within 5 standard errors)', () => {
    const u = new Generator(2024).uniform(N);
    let lo = 1;
    let hi = 0;
    for (let i = 0; i < N; i++) {
      const x = u[i]!;
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
      if (!Number.isInteger(x * 2 ** 24)) throw new Error(`uniform[${i}] = ${x} is not a multiple of 2^-24`);
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    const { mean, variance } = meanVar(u);
    // SE(mean) = sqrt(σ²/n); SE(var) = sqrt((μ4 − σ⁴)/n) with μ4 = 1/80, σ⁴ = 1/144.
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(5 * Math.sqrt((1 / 80 - 1 / 144) / N));
  });
});

describe('normal', () => {
  it('has the requested mean and std (within 5 standard errors) and no non-finite values', () => {
    const mean0 = 3;
    const std0 = 2;
    const z = new Generator(11).normal(N, mean0, std0);
    for (let i = 0; i < N; i++) if (!Number.isFinite(z[i]!)) throw new Error(`normal[${i}] = ${z[i]}`);
    const { mean, variance } = meanVar(z);
    // SE(mean) = σ/√n; SE(var) = σ²·√(2/n) for a normal sample.
    expect(Math.abs(mean - mean0)).toBeLessThan((5 * std0) / Math.sqrt(N));
    expect(Math.abs(variance - std0 ** 2)).toBeLessThan(5 * std0 ** 2 * Math.sqrt(2 / N));
  });

  it('puts 68.27% of the mass within one std (5 standard errors of a binomial proportion)', () => {
    const z = new Generator(12).normal(N);
    let inside = 0;
    for (let i = 0; i < N; i++) if (Math.abs(z[i]!) <= 1) inside++;
    const p = 0.6826894921370859; // erf(1/√2)
    expect(Math.abs(inside / N - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
  });

  it('handles odd n and std = 0', () => {
    expect(new Generator(1).normal(5).length).toBe(5);
    expect(Array.from(new Generator(1).normal(3, 4, 0))).toEqual([4, 4, 4]);
    expect(() => new Generator(1).normal(3, 0, -1)).toThrow(/std must be finite and >= 0/);
  });
});

describe('truncatedNormal', () => {
  it('respects the ±2 std bounds and has the truncated normal mean and variance', () => {
    const mean0 = -1;
    const std0 = 0.5;
    const t = new Generator(13).truncatedNormal(N, mean0, std0);
    const lo = Math.fround(mean0 - 2 * std0);
    const hi = Math.fround(mean0 + 2 * std0);
    for (let i = 0; i < N; i++) {
      if (!(t[i]! >= lo && t[i]! <= hi))
        throw new Error(`truncatedNormal[${i}] = ${t[i]} outside [${lo}, ${hi}]`);
    }
    // Standard normal truncated to [−2, 2]: variance 1 − 2·2·φ(2)/(Φ(2) − Φ(−2)), with
    // φ(2) = 0.0539909665131881 and Φ(2) − Φ(−2) = erf(√2) = 0.9544997361036416.
    const v = 1 - (4 * 0.0539909665131881) / 0.9544997361036416;
    const { mean, variance } = meanVar(t);
    expect(Math.abs(mean - mean0)).toBeLessThan((5 * std0 * Math.sqrt(v)) / Math.sqrt(N));
    // The truncated normal has excess kurtosis < 0, so √(2/n)·σ² over-covers SE(var); keep it.
    expect(Math.abs(variance - v * std0 ** 2)).toBeLessThan(5 * v * std0 ** 2 * Math.sqrt(2 / N));
  });
});

describe('randint', () => {
  it('covers [low, high) uniformly (χ² below df + 5·√(2df))', () => {
    const low = -3;
    const high = 7; // 10 categories
    const r = new Generator(14).randint(low, high, N);
    const counts = new Array<number>(high - low).fill(0);
    for (let i = 0; i < N; i++) {
      const v = r[i]!;
      if (v < low || v >= high) throw new Error(`randint[${i}] = ${v} outside [${low}, ${high})`);
      counts[v - low]!++;
    }
    const expected = counts.map(() => N / (high - low));
    expect(chiSquare(counts, expected)).toBeLessThan(chiSquareBound(high - low - 1));
  });

  it('stays unbiased for a range that does not divide 2^32 (3·2^30: modulo alone would skew 2:1)', () => {
    // With plain `w mod range`, values below 2^30 would be twice as likely as the rest.
    const range = 3 * 2 ** 30;
    const r = new Generator(15).randint(-(2 ** 31), -(2 ** 31) + range, N);
    const counts = [0, 0, 0];
    for (let i = 0; i < N; i++) counts[Math.floor((r[i]! + 2 ** 31) / 2 ** 30)]!++;
    expect(chiSquare(counts, [N / 3, N / 3, N / 3])).toBeLessThan(chiSquareBound(2));
  });

  it('accepts the full int32 range and rejects empty or out-of-range bounds', () => {
    expect(new Generator(1).randint(-(2 ** 31), 2 ** 31, 4).length).toBe(4);
    expect(() => new Generator(1).randint(5, 5, 1)).toThrow(/low < high/);
    expect(() => new Generator(1).randint(0, 2 ** 32, 1)).toThrow(/int32/);
  });
});

describe('bernoulli', () => {
  it('fires with probability p (within 5 standard errors); p = 0 never, p = 1 always', () => {
    const p = 0.3;
    const b = new Generator(16).bernoulli(p, N);
    let ones = 0;
    for (let i = 0; i < N; i++) ones += b[i]!;
    expect(Math.abs(ones / N - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
    expect(Array.from(new Generator(16).bernoulli(0, 1000)).every((x) => x === 0)).toBe(true);
    expect(Array.from(new Generator(16).bernoulli(1, 1000)).every((x) => x === 1)).toBe(true);
  });

  it('takes one probability per draw', () => {
    const probs = new Float32Array(N);
    for (let i = 0; i < N; i++) probs[i] = i % 2 === 0 ? 0 : 0.75;
    const b = new Generator(17).bernoulli(probs, N);
    let oddOnes = 0;
    for (let i = 0; i < N; i++) {
      if (i % 2 === 0 && b[i] !== 0) throw new Error(`bernoulli[${i}] fired with p = 0`);
      if (i % 2 === 1) oddOnes += b[i]!;
    }
    expect(Math.abs(oddOnes / (N / 2) - 0.75)).toBeLessThan(5 * Math.sqrt((0.75 * 0.25) / (N / 2)));
    expect(() => new Generator(1).bernoulli(new Float32Array(3), 4)).toThrow(/3 probabilities for 4 draws/);
    expect(() => new Generator(1).bernoulli(1.5, 4)).toThrow(/p must be in \[0, 1\]/);
  });
});

describe('permutation', () => {
  it('is a permutation of 0..n-1', () => {
    const n = 1000;
    const p = new Generator(18).permutation(n);
    const sorted = Array.from(p).sort((a, b) => a - b);
    expect(sorted).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(Array.from(p)).not.toEqual(sorted);
  });

  it('puts each element in each position uniformly (χ² over 3! orderings)', () => {
    const g = new Generator(19);
    const counts = new Map<string, number>();
    const trials = 60_000;
    for (let t = 0; t < trials; t++) {
      const key = Array.from(g.permutation(3)).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    const observed = Array.from(counts.values());
    expect(
      chiSquare(
        observed,
        observed.map(() => trials / 6),
      ),
    ).toBeLessThan(chiSquareBound(5));
  });

  it('handles n = 0 and n = 1', () => {
    expect(Array.from(new Generator(1).permutation(0))).toEqual([]);
    expect(Array.from(new Generator(1).permutation(1))).toEqual([0]);
  });
});

describe('multinomial', () => {
  const probs = new Float32Array([
    // row 0: unnormalised weights, category 2 impossible
    1, 2, 0, 5,
    // row 1: a single possible category
    0, 0, 3, 0,
  ]);

  it('with replacement matches the row probabilities (χ²) and never draws a zero-weight category', () => {
    const s = new Generator(20).multinomial(probs, 2, 4, N, true);
    const counts = [0, 0, 0, 0];
    for (let k = 0; k < N; k++) counts[s[k]!]!++;
    expect(counts[2]).toBe(0);
    const observed = [counts[0]!, counts[1]!, counts[3]!];
    expect(chiSquare(observed, [N / 8, (2 * N) / 8, (5 * N) / 8])).toBeLessThan(chiSquareBound(2));
    for (let k = 0; k < N; k++) if (s[N + k] !== 2) throw new Error(`row 1 drew ${s[N + k]}`);
  });

  it('without replacement draws distinct categories, the first one in proportion to the weights', () => {
    const trials = 20_000;
    const s = new Generator(21).multinomial(tile(probs.subarray(0, 4), trials), trials, 4, 3, false);
    const first = [0, 0, 0, 0];
    for (let t = 0; t < trials; t++) {
      const a = s[3 * t]!;
      const b = s[3 * t + 1]!;
      const c = s[3 * t + 2]!;
      if (a === b || b === c || a === c || a === 2 || b === 2 || c === 2) {
        throw new Error(`trial ${t} drew [${a}, ${b}, ${c}]`);
      }
      first[a]!++;
    }
    const observed = [first[0]!, first[1]!, first[3]!];
    expect(chiSquare(observed, [trials / 8, (2 * trials) / 8, (5 * trials) / 8])).toBeLessThan(
      chiSquareBound(2),
    );
  });

  it('without replacement, the second draw follows the renormalised weights (P(second = 0) closed form)', () => {
    // Weights w = (1, 2, 5)/8: P(second = 0) = Σ_{j≠0} w_j · w_0 / (1 − w_j) = (2/8)(1/6) + (5/8)(1/3).
    const trials = 40_000;
    const s = new Generator(22).multinomial(tile(new Float32Array([1, 2, 5]), trials), trials, 3, 2, false);
    let second0 = 0;
    for (let t = 0; t < trials; t++) if (s[2 * t + 1] === 0) second0++;
    const p = (2 / 8) * (1 / 6) + (5 / 8) * (1 / 3);
    expect(Math.abs(second0 / trials - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / trials));
  });

  it('throws for a row with no positive mass, too many samples without replacement, or bad values', () => {
    const g = new Generator(1);
    expect(() => g.multinomial(new Float32Array([1, 1, 0, 0]), 2, 2, 1, true)).toThrow(
      /row 1 has no positive probability mass/,
    );
    expect(() => g.multinomial(probs, 2, 4, 2, false)).toThrow(
      /cannot draw 2 samples without replacement from row 1, which has only 1 categories/,
    );
    expect(() => g.multinomial(new Float32Array([1, -1]), 1, 2, 1, true)).toThrow(/probs\[0, 1\] = -1/);
    expect(() => g.multinomial(new Float32Array([1, 1, 1]), 2, 2, 1, true)).toThrow(
      /3 values but rows × cols/,
    );
    expect(g.getState().offset).toBe(0);
  });
});

describe('sample counts beyond one typed array fail before drawing (issue 18)', () => {
  it('normal, uniform, bits, randint, bernoulli and truncatedNormal refuse more than 2^32 samples at once', () => {
    // normal(1e12) computed its pairs with `>>> 1`, which wraps above 2^32, and drew gigabytes first.
    for (const n of [2 ** 32 + 1, 2 ** 32 + 2, 1e12, 2 ** 53 - 1]) {
      const g = new Generator(1);
      const t0 = performance.now();
      expect(() => g.normal(n)).toThrow(
        new RegExp(`^normal: ${n} samples are more than one typed array holds`),
      );
      expect(() => g.uniform(n)).toThrow(/^uniform: /);
      expect(() => g.bits(n)).toThrow(/^bits: /);
      expect(() => g.randint(0, 3, n)).toThrow(/^randint: /);
      expect(() => g.bernoulli(0.5, n)).toThrow(/^bernoulli: /);
      expect(() => g.truncatedNormal(n)).toThrow(/^truncatedNormal: /);
      expect(performance.now() - t0).toBeLessThan(50);
      expect(g.getState().offset).toBe(0);
    }
  });

  it('odd counts still pair up as before: normal(2k + 1) is normal(2k + 2) without its last sample', () => {
    for (const n of [1, 3, 7, 101]) {
      const a = new Generator(9).normal(n);
      const b = new Generator(9).normal(n + 1);
      expect(Array.from(a)).toEqual(Array.from(b.subarray(0, n)));
    }
  });
});
