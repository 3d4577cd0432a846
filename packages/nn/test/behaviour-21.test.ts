import {
  Generator,
  isTensor,
  type Module,
  memory,
  randn,
  scope,
  type Tensor,
  tensor,
  Variable,
  variable,
} from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveMaxPool1d,
  AdaptiveMaxPool2d,
  AlphaDropout,
  ChannelShuffle,
  CosineSimilarity,
  cosineSimilarity,
  Dropout3d,
  EmbeddingBag,
  Flatten,
  Fold,
  GaussianKLLoss,
  gaussianKlLoss,
  gumbelSoftmax,
  LocalResponseNorm,
  LPPool1d,
  LPPool2d,
  MaskedMSELoss,
  maskedMseLoss,
  normalize,
  PixelShuffle,
  PixelUnshuffle,
  RReLU,
  Sequential,
  Softmax2d,
  sparseInit,
  Unfold,
} from '../src/index.js';
import { type RawTensor, readFixture, values } from './fixtures.js';

const ints = (v: number[], shape = [v.length]) => tensor(v, { shape, dtype: 'int32' });

describe('issue-21 modules leave memory as they found it', () => {
  // [module, inputs, number of outputs]; each built and run outside any scope, in train mode.
  const cases: [string, () => Module, () => unknown[], number][] = [
    ['PixelShuffle', () => new PixelShuffle(2), () => [randn([1, 4, 2, 2])], 1],
    ['PixelUnshuffle', () => new PixelUnshuffle(2), () => [randn([1, 1, 2, 2])], 1],
    ['ChannelShuffle', () => new ChannelShuffle(2), () => [randn([1, 4, 2])], 1],
    ['CosineSimilarity', () => new CosineSimilarity(), () => [randn([2, 3]), randn([2, 3])], 1],
    [
      'EmbeddingBag',
      () => new EmbeddingBag(5, 2, { mode: 'max', seed: 1 }),
      () => [ints([1, 2, 3]), { offsets: ints([0, 1]) }],
      1,
    ],
    ['RReLU', () => new RReLU(0.1, 0.3, { seed: 1 }), () => [randn([2, 3])], 1],
    ['Softmax2d', () => new Softmax2d(), () => [randn([1, 2, 2, 2])], 1],
    ['AlphaDropout', () => new AlphaDropout(0.3, { seed: 1 }), () => [randn([2, 3])], 1],
    ['Dropout3d', () => new Dropout3d(0.3, { seed: 1 }), () => [randn([1, 2, 2, 2, 2])], 1],
    ['LocalResponseNorm', () => new LocalResponseNorm(3), () => [randn([1, 4, 2, 2])], 1],
    ['LPPool1d', () => new LPPool1d(2, 2), () => [randn([1, 2, 4])], 1],
    ['LPPool2d', () => new LPPool2d(2, 2), () => [randn([1, 2, 4, 4])], 1],
    [
      'AdaptiveMaxPool1d',
      () => new AdaptiveMaxPool1d(2, { returnIndices: true }),
      () => [randn([1, 2, 5])],
      2,
    ],
    ['AdaptiveMaxPool2d', () => new AdaptiveMaxPool2d(2), () => [randn([1, 2, 5, 5])], 1],
    ['Unfold', () => new Unfold(2), () => [randn([1, 2, 3, 3])], 1],
    ['Fold', () => new Fold(3, 2), () => [randn([1, 8, 4])], 1],
    ['GaussianKLLoss', () => new GaussianKLLoss(), () => [randn([2, 3]), randn([2, 3])], 1],
    [
      'MaskedMSELoss',
      () => new MaskedMSELoss(),
      () => [randn([2, 3]), randn([2, 3]), tensor([1, 0, 1, 1, 0, 1], { shape: [2, 3] })],
      1,
    ],
  ];
  it.each(cases)('%s.forward outside a scope adds only its outputs', (_name, make, inputs, outs) => {
    const m = make();
    const xs = inputs();
    const before = memory().tensors;
    const y = (m as unknown as { forward: (...a: unknown[]) => Tensor | Tensor[] }).forward(...xs);
    expect(memory().tensors - before).toBe(outs);
    for (const t of Array.isArray(y) ? y : [y]) t.dispose();
    expect(memory().tensors).toBe(before);
    for (const x of xs)
      for (const t of isTensor(x) ? [x] : Object.values(x as object)) (t as Tensor).dispose();
    m.dispose();
  });
});

describe('issue-21 functions called outside a scope leave only their result', () => {
  const fns: [string, (a: Tensor, b: Tensor, m: Tensor) => Tensor][] = [
    ['cosineSimilarity', (a, b) => cosineSimilarity(a, b)],
    ['normalize', (a) => normalize(a, { p: 1 })],
    ['gumbelSoftmax hard', (a) => gumbelSoftmax(a, { hard: true, seed: 1 })],
    ['gaussianKlLoss', (a, b) => gaussianKlLoss(a, b, { reduction: 'batchmean' })],
    ['maskedMseLoss', (a, b, m) => maskedMseLoss(a, b, m)],
    ['sparseInit', () => sparseInit([3, 2], 0.5, { seed: 1 })],
  ];
  it.each(fns)('%s', (_name, f) => {
    const a = randn([2, 3], { seed: 1 });
    const b = randn([2, 3], { seed: 2 });
    const m = a.greater(0);
    const before = memory().tensors;
    const y = f(a, b, m);
    expect(memory().tensors - before).toBe(1);
    for (const t of [y, a, b, m]) t.dispose();
  });
});

describe('errors name the layer, what came and what was expected', () => {
  it.each<[string, () => unknown, RegExp]>([
    [
      'PixelShuffle',
      () => new PixelShuffle(2).forward(randn([1, 3, 2, 2])),
      /PixelShuffle: channels 3 .* divisible by upscaleFactor² = 4/,
    ],
    [
      'PixelUnshuffle',
      () => new PixelUnshuffle(2).forward(randn([1, 1, 3, 2])),
      /PixelUnshuffle: height 3 .* divisible by downscaleFactor 2/,
    ],
    [
      'ChannelShuffle',
      () => new ChannelShuffle(3).forward(randn([1, 4, 2])),
      /ChannelShuffle: channels 4 .* groups 3/,
    ],
    [
      'ChannelShuffle rank',
      () => new ChannelShuffle(1).forward(randn([4, 2])),
      /ChannelShuffle: input must be \[N, C, \*\]/,
    ],
    [
      'CosineSimilarity',
      () => new CosineSimilarity().forward(randn([2, 3]), randn([2, 4])),
      /cosineSimilarity: shapes \[2,3\] and \[2,4\] do not broadcast/,
    ],
    ['normalize', () => normalize(randn([2, 3]), { dim: 2 }), /normalize: dim 2 is out of range/],
    [
      'EmbeddingBag psw',
      () => new EmbeddingBag(4, 2).forward(ints([1, 2], [1, 2]), { perSampleWeights: randn([1, 2]) }),
      /EmbeddingBag: perSampleWeights needs mode 'sum', got mode 'mean'/,
    ],
    [
      'EmbeddingBag range',
      () => new EmbeddingBag(4, 2).forward(ints([4], [1, 1])),
      /EmbeddingBag: index 4 is out of range for 4 embeddings/,
    ],
    [
      'EmbeddingBag offsets',
      () => new EmbeddingBag(4, 2).forward(ints([1, 2]), { offsets: ints([1]) }),
      /EmbeddingBag: the first offset must be 0, got 1/,
    ],
    [
      'EmbeddingBag 1-D',
      () => new EmbeddingBag(4, 2).forward(ints([1, 2])),
      /EmbeddingBag: 1-D indices \[2\] need offsets/,
    ],
    [
      'EmbeddingBag paddingIdx',
      () => new EmbeddingBag(4, 2, { paddingIdx: 4 }),
      /EmbeddingBag: paddingIdx 4 must be an integer in \[−4, 4\)/,
    ],
    [
      'EmbeddingBag float',
      () => new EmbeddingBag(4, 2).forward(randn([2, 2])),
      /EmbeddingBag: indices must be int32, got float32/,
    ],
    ['RReLU', () => new RReLU(0.5, 0.1), /RReLU: needs 0 ≤ lower ≤ upper, got lower=0.5 upper=0.1/],
    [
      'Softmax2d',
      () => new Softmax2d().forward(randn([2, 3])),
      /Softmax2d: input must be \[N, C, H, W\] or \[C, H, W\], got \[2,3\]/,
    ],
    ['AlphaDropout', () => new AlphaDropout(1.5), /AlphaDropout: p .* must be in \[0, 1\], got 1.5/],
    [
      'Dropout3d',
      () => new Dropout3d().forward(randn([2, 3, 4])),
      /Dropout3d: input must be \[N, C, D, H, W\] or \[C, D, H, W\], got \[2,3,4\]/,
    ],
    [
      'gumbelSoftmax',
      () => gumbelSoftmax(randn([2, 3]), { tau: 0 }),
      /gumbelSoftmax: tau must be > 0, got 0/,
    ],
    [
      'LocalResponseNorm',
      () => new LocalResponseNorm(2).forward(randn([2, 3])),
      /LocalResponseNorm: input must be \[N, C, \*\] \(rank ≥ 3\), got \[2,3\]/,
    ],
    ['LPPool1d', () => new LPPool1d(0, 2), /LPPool1d: normType must be a finite p > 0, got 0/],
    [
      'LPPool2d',
      () => new LPPool2d(2, 2).forward(randn([4, 4])),
      /LPPool2d: input must be \[N, C, H, W\] or \[C, H, W\], got \[4,4\]/,
    ],
    [
      'AdaptiveMaxPool1d',
      () => new AdaptiveMaxPool1d(0),
      /AdaptiveMaxPool1d: outputSize must be a positive integer, got 0/,
    ],
    [
      'AdaptiveMaxPool2d',
      () => new AdaptiveMaxPool2d(2).forward(randn([4, 4])),
      /AdaptiveMaxPool2d: input must be \[N, C, H, W\] or \[C, H, W\], got \[4,4\]/,
    ],
    [
      'Unfold',
      () => new Unfold(4).forward(randn([1, 1, 3, 3])),
      /Unfold: kernel \[4,4\] .* does not fit input \[1,1,3,3\]/,
    ],
    [
      'Fold blocks',
      () => new Fold(4, 2).forward(randn([1, 4, 5])),
      /Fold: input \[1,4,5\] has 5 blocks but outputSize \[4,4\] with kernel \[2,2\] gives 3×3/,
    ],
    [
      'Fold channels',
      () => new Fold(4, 2).forward(randn([1, 6, 9])),
      /Fold: input dim 6 of \[1,6,9\] must be divisible by kh·kw = 4/,
    ],
    [
      'gaussianKlLoss',
      () => new GaussianKLLoss().forward(randn([2, 3]), randn([2, 2])),
      /gaussianKlLoss: logvar shape \[2,2\] must match the mu shape \[2,3\]/,
    ],
    [
      'maskedMseLoss',
      () => maskedMseLoss(randn([2]), randn([2]), randn([3])),
      /maskedMseLoss: mask shape \[3\] must match the input shape \[2\]/,
    ],
    [
      'sparseInit',
      () => sparseInit([2, 3, 4], 0.5),
      /sparseInit: only 2-D targets are supported, got shape \[2,3,4\]/,
    ],
  ])('%s', (_name, f, message) => {
    expect(() =>
      scope(() => {
        f();
      }),
    ).toThrow(message);
  });
});

describe('AdaptiveMaxPool2d without indices is a Layer', () => {
  it('fits a Sequential and returns one tensor', () => {
    scope(() => {
      const net = new Sequential(new AdaptiveMaxPool2d(1), new Flatten());
      const y = net.forward(tensor([1, 5, 3, 2], { shape: [1, 1, 2, 2] }));
      expect(Array.from(y.dataSync())).toEqual([5]);
      const [v, i] = new AdaptiveMaxPool2d(1, { returnIndices: true }).forward(
        tensor([1, 5, 3, 2], { shape: [1, 2, 2] }),
      );
      expect([v.item(), i.item()]).toEqual([5, 1]);
      net.dispose();
    });
  });
});

describe('EmbeddingBag edges', () => {
  it('empty 1-D input with one bag gives a zero row; batch 1 with a single index is that row', () => {
    scope(() => {
      const bag = new EmbeddingBag(3, 2, {
        mode: 'max',
        weight: tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2] }),
      });
      const empty = bag.forward(ints([]), { offsets: ints([0]) });
      expect(empty.shape).toEqual([1, 2]);
      expect(Array.from(empty.dataSync())).toEqual([0, 0]);
      expect(Array.from(bag.forward(ints([2], [1, 1])).dataSync())).toEqual([5, 6]);
      bag.dispose();
    });
  });
});

describe('RReLU in training draws one slope per element from U(lower, upper)', () => {
  it('keeps x ≥ 0, scales x < 0 by a seeded slope whose mean is (lower+upper)/2; the gradient is the slope', () => {
    scope(() => {
      const n = 20000;
      const x = variable(
        tensor(
          Array.from({ length: n }, (_, i) => (i % 2 ? 1 + (i % 7) : -1 - (i % 5))),
          { shape: [n] },
        ),
      );
      const m = new RReLU(0.1, 0.3, { seed: 7 });
      const y = m.forward(x);
      y.sum().backward();
      const xv = x.dataSync();
      const yv = y.dataSync();
      const gv = x.grad!.dataSync();
      let sum = 0;
      for (let i = 0; i < n; i++) {
        if (xv[i]! >= 0) {
          expect(yv[i]).toBe(xv[i]);
          expect(gv[i]).toBe(1);
          continue;
        }
        const a = yv[i]! / xv[i]!;
        expect(a).toBeGreaterThanOrEqual(0.1 - 1e-6);
        expect(a).toBeLessThanOrEqual(0.3 + 1e-6);
        expect(gv[i]).toBeCloseTo(a, 5);
        sum += a;
      }
      // Mean of n/2 U(0.1, 0.3) draws: σ = 0.2/√12/√(n/2) ≈ 5.8e-4; 5σ bound.
      expect(Math.abs(sum / (n / 2) - 0.2)).toBeLessThan(3e-3);
      // The same seed draws the same slopes.
      expect(Array.from(new RReLU(0.1, 0.3, { seed: 7 }).forward(x).dataSync())).toEqual(Array.from(yv));
      x.dispose();
    });
  });
});

interface Samples {
  samples: Record<string, { p: number; input: RawTensor; output: RawTensor }>;
}

describe('AlphaDropout keeps PyTorch constants (samples21.json)', () => {
  const { samples } = JSON.parse(new TextDecoder().decode(readFixture('samples21.json'))) as Samples;
  it.each(Object.entries(samples))('%s', (_name, s) => {
    // From torch's draw: dropped elements share one value; kept ones lie on a line a·x + b.
    const x = values(s.input);
    const yt = values(s.output);
    const counts = new Map<number, number>();
    for (const v of yt) counts.set(v, (counts.get(v) ?? 0) + 1);
    const dropped = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const kept = x.map((_, i) => i).filter((i) => yt[i] !== dropped);
    const [i0, i1] = [kept[0]!, kept[1]!];
    const a = (yt[i1]! - yt[i0]!) / (x[i1]! - x[i0]!);
    const b = yt[i0]! - a * x[i0]!;
    scope(() => {
      const xv = variable(tensor(x, { shape: [x.length] }));
      const y = new AlphaDropout(s.p, { seed: 3 }).forward(xv);
      y.sum().backward();
      const ys = y.dataSync();
      const g = xv.grad!.dataSync();
      let drops = 0;
      for (let i = 0; i < x.length; i++) {
        if (Math.abs(ys[i]! - dropped) < 1e-5 && g[i] === 0) drops++;
        else {
          expect(ys[i]).toBeCloseTo(a * x[i]! + b, 4);
          expect(g[i]).toBeCloseTo(a, 5);
        }
      }
      // Binomial(400, p): within 5σ.
      expect(Math.abs(drops - s.p * x.length)).toBeLessThan(5 * Math.sqrt(x.length * s.p * (1 - s.p)));
      xv.dispose();
    });
  });

  it('keeps zero mean and unit variance of standard normal input; eval is the identity', () => {
    scope(() => {
      const n = 40000;
      const x = randn([n], { seed: 11 });
      const y = new AlphaDropout(0.3, { seed: 5 }).forward(x);
      // Mean and variance of n samples: σ_mean = 1/√n = 0.005, σ_var ≈ √(2/n) ≈ 0.007 (roughly).
      expect(Math.abs(y.mean().item())).toBeLessThan(0.03);
      expect(Math.abs(y.variance(undefined, { correction: 0 }).item() - 1)).toBeLessThan(0.05);
      const m = new AlphaDropout(0.3);
      m.eval();
      expect(m.forward(x)).toBe(x);
    });
  });
});

describe('Dropout3d drops whole channel volumes', () => {
  it('every (sample, channel) volume is all zero or all x/(1−p); the dropped share is near p', () => {
    scope(() => {
      const [n, c, vol] = [50, 40, 8];
      const x = tensor(
        Array.from({ length: n * c * vol }, (_, i) => 1 + (i % 3)),
        { shape: [n, c, 2, 2, 2] },
      );
      const y = new Dropout3d(0.25, { seed: 2 }).forward(x).dataSync();
      const xv = x.dataSync();
      let dropped = 0;
      for (let k = 0; k < n * c; k++) {
        const zero = y[k * vol] === 0;
        if (zero) dropped++;
        for (let j = 0; j < vol; j++) {
          const i = k * vol + j;
          expect(y[i]).toBeCloseTo(zero ? 0 : xv[i]! / 0.75, 5);
        }
      }
      expect(Math.abs(dropped / (n * c) - 0.25)).toBeLessThan(5 * Math.sqrt((0.25 * 0.75) / (n * c)));
      const unbatched = new Dropout3d(0.5, { seed: 1 }).forward(randn([1, 2, 2, 2]));
      expect(unbatched.shape).toEqual([1, 2, 2, 2]);
      const m = new Dropout3d(0.5);
      m.eval();
      expect(m.forward(x)).toBe(x);
    });
  });
});

describe('gumbelSoftmax', () => {
  const logits = [1.0, 0.0, -1.0, 0.5];
  const z = logits.map(Math.exp);
  const probs = z.map((v) => v / z.reduce((a, b) => a + b));

  it('hard samples are one-hot with class frequencies softmax(logits) (within 5σ)', () => {
    scope(() => {
      const n = 4000;
      const l = tensor(Array.from({ length: n }, () => logits).flat(), { shape: [n, 4] });
      const y = gumbelSoftmax(l, { hard: true, seed: new Generator(42) }).dataSync();
      const freq = [0, 0, 0, 0];
      for (let i = 0; i < n; i++) {
        let ones = 0;
        for (let k = 0; k < 4; k++) {
          const v = y[i * 4 + k]!;
          expect(v === 0 || Math.abs(v - 1) < 1e-6).toBe(true);
          if (v > 0.5) {
            ones++;
            freq[k]!++;
          }
        }
        expect(ones).toBe(1);
      }
      for (const [k, p] of probs.entries())
        expect(Math.abs(freq[k]! / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    });
  });

  it('soft samples sum to 1 along dim; hard along dim 0 is one-hot there', () => {
    scope(() => {
      const soft = gumbelSoftmax(tensor(logits, { shape: [2, 2] }), { tau: 0.7, seed: 1 });
      const s = soft.sum(-1).dataSync();
      for (const v of s) expect(v).toBeCloseTo(1, 5);
      const hard = gumbelSoftmax(randn([3, 5], { seed: 2 }), { hard: true, dim: 0, seed: 3 });
      expect(Array.from(hard.sum(0).dataSync())).toEqual([1, 1, 1, 1, 1]);
      const single = gumbelSoftmax(tensor([2], { shape: [1, 1] }), { hard: true, seed: 4 });
      expect(Array.from(single.dataSync())).toEqual([1]);
    });
  });

  it('the hard sample passes the soft sample’s gradient straight through (same noise)', () => {
    scope(() => {
      const cot = tensor([0.3, -1.2, 0.7, 2.0, -0.5, 0.1, 0.9, -0.4], { shape: [2, 4] });
      const gradOf = (hard: boolean): number[] => {
        const l = variable(tensor([...logits, ...logits.map((v) => -v)], { shape: [2, 4] }));
        gumbelSoftmax(l, { hard, tau: 0.5, seed: 9 }).mul(cot).sum().backward();
        const g = Array.from(l.grad!.dataSync());
        l.dispose();
        return g;
      };
      const soft = gradOf(false);
      const hard = gradOf(true);
      expect(soft.some((v) => Math.abs(v) > 1e-3)).toBe(true);
      hard.forEach((v, i) => {
        expect(v).toBeCloseTo(soft[i]!, 6);
      });
    });
  });
});

describe('sparseInit', () => {
  it('zeros ⌈sparsity·rows⌉ entries of every column; the rest ~ N(0, std²); seeded', () => {
    scope(() => {
      const [rows, cols] = [10, 300];
      const w = sparseInit([rows, cols], 0.25, { std: 0.02, seed: 5 });
      const v = w.dataSync();
      const nonzero: number[] = [];
      for (let c = 0; c < cols; c++) {
        let zeros = 0;
        for (let r = 0; r < rows; r++) {
          const e = v[r * cols + c]!;
          if (e === 0) zeros++;
          else nonzero.push(e);
        }
        expect(zeros).toBe(3);
      }
      const sd = Math.sqrt(nonzero.reduce((s, e) => s + e * e, 0) / nonzero.length);
      // 2100 normal draws: the sample std is within ~5·std/√(2n) ≈ 0.0015 of 0.02.
      expect(Math.abs(sd - 0.02)).toBeLessThan(0.0015);
      expect(Array.from(sparseInit([rows, cols], 0.25, { std: 0.02, seed: 5 }).dataSync())).toEqual(
        Array.from(v),
      );
    });
  });

  it('fills a Variable in place; sparsity 0 and 1 and a single row', () => {
    scope(() => {
      const p = new Variable(randn([4, 3]));
      expect(sparseInit(p, 1)).toBe(p);
      expect(Array.from(p.dataSync()).every((e) => e === 0)).toBe(true);
      expect(Array.from(sparseInit([1, 5], 0, { seed: 1 }).dataSync()).every((e) => e !== 0)).toBe(true);
      expect(Array.from(sparseInit([1, 5], 0.1, { seed: 1 }).dataSync()).every((e) => e === 0)).toBe(true);
      p.dispose();
    });
  });
});

describe('maskedMseLoss', () => {
  it('a NaN target under a false mask poisons neither the loss nor the gradient', () => {
    scope(() => {
      const x = variable(tensor([1, 2, 3], { shape: [3] }));
      const loss = maskedMseLoss(
        x,
        tensor([0, Number.NaN, 1], { shape: [3] }),
        tensor([true, false, true], { dtype: 'bool' }),
      );
      expect(loss.item()).toBeCloseTo((1 + 4) / 2, 6);
      loss.backward();
      expect(Array.from(x.grad!.dataSync())).toEqual([1, 0, 2]);
      x.dispose();
    });
  });

  it('no element kept gives NaN, as torch.mse_loss of an empty selection', () => {
    scope(() => {
      const loss = maskedMseLoss(randn([2]), randn([2]), tensor([false, false], { dtype: 'bool' }));
      expect(Number.isNaN(loss.item())).toBe(true);
    });
  });
});
