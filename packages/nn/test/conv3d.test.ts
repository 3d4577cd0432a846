import { conv1d, memory, randn, scope, type Tensor, tensor, variable, zeros } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { Conv3d, ConvTranspose3d, conv3d, convTranspose3d, Fold, Unfold } from '../src/index.js';
import { loadCases, runCase } from './fixtures.js';

const cases = loadCases('nn21-3d');
const pick = (...names: string[]) =>
  cases.filter((c) => names.includes(c.module ?? c.fn ?? '')).map((c) => [c.name, c] as const);

// Conv3d/ConvTranspose3d and the functional forms against PyTorch 1.13
// (tools/gen_nn21_3d_fixtures.py): outputs, input and parameter gradients for a seeded cotangent;
// a forward+backward inside a scope leaks nothing.
describe('3-D convolutions match PyTorch', () => {
  it.each(pick('Conv3d', 'ConvTranspose3d', 'conv3d', 'convTranspose3d'))('%s', (_name, c) => {
    const { errors, leaked } = runCase(c);
    expect(errors).toEqual([]);
    expect(leaked).toBe(0);
  });
});

const dot = (a: Tensor, b: Tensor) => a.mul(b).sum().dataSync()[0]!;

describe('convTranspose3d is the adjoint of conv3d', () => {
  // <conv3d(x, w), y> = <x, convTranspose3d(y, w)> for every x, y: the defining identity of the
  // transposed convolution, independent of either implementation.
  it.each<[string, number[], number[], Parameters<typeof conv3d>[2]]>([
    [
      'stride [2,1,3] padding [1,0,1] dilation [1,2,1]',
      [2, 2, 6, 7, 8],
      [3, 2, 3, 2, 2],
      { stride: [2, 1, 3], padding: [1, 0, 1], dilation: [1, 2, 1] },
    ],
    ['groups 2', [1, 4, 4, 3, 5], [6, 2, 2, 2, 3], { groups: 2 }],
  ])('%s', (_name, xs, ws, o) =>
    scope(() => {
      const x = randn(xs, { seed: 1 });
      const w = randn(ws, { seed: 2 });
      const y0 = conv3d(x, w, o);
      const y = randn(y0.shape, { seed: 3 });
      const back = convTranspose3d(y, w, {
        stride: o?.stride,
        padding: o?.padding as [number, number, number] | undefined,
        dilation: o?.dilation,
        groups: o?.groups,
        // PyTorch's rule: the output padding that gives back x's size.
        outputPadding: xs.slice(2).map((n, i) => {
          const s = (o?.stride as number[] | undefined)?.[i] ?? 1;
          const p = (o?.padding as number[] | undefined)?.[i] ?? 0;
          const d = (o?.dilation as number[] | undefined)?.[i] ?? 1;
          return n - ((y0.shape[i + 2]! - 1) * s - 2 * p + d * (ws[i + 2]! - 1) + 1);
        }) as [number, number, number],
      });
      expect(back.shape).toEqual(xs);
      expect(dot(y0, y)).toBeCloseTo(dot(x, back), 2);
    }),
  );
});

describe('Conv3d and ConvTranspose3d initialise as PyTorch', () => {
  it('weight and bias are U(±1/√fan_in) with PyTorch shapes and state-dict keys', () => {
    const conv = new Conv3d(4, 6, [3, 2, 2], { groups: 2, seed: 7 });
    const sd = conv.stateDict();
    expect(Object.keys(sd).sort()).toEqual(['bias', 'weight']);
    expect(sd.weight!.shape).toEqual([6, 2, 3, 2, 2]);
    expect(sd.bias!.shape).toEqual([6]);
    const bound = 1 / Math.sqrt(2 * 3 * 2 * 2);
    const w = sd.weight!.dataSync();
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(Math.max(...sd.bias!.dataSync().map(Math.abs))).toBeLessThanOrEqual(bound);
    const again = new Conv3d(4, 6, [3, 2, 2], { groups: 2, seed: 7 });
    expect(Array.from(again.weight.dataSync())).toEqual(Array.from(w));
    conv.dispose();
    again.dispose();
  });

  it('ConvTranspose3d takes fan_in from weight dim 1 (out/groups·kd·kh·kw) and has no bias when asked', () => {
    const t = new ConvTranspose3d(2, 4, 2, { groups: 2, bias: false, seed: 3 });
    expect(t.weight.shape).toEqual([2, 2, 2, 2, 2]);
    expect(t.bias).toBeNull();
    const bound = 1 / Math.sqrt(2 * 8);
    const w = t.weight.dataSync();
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    t.dispose();
  });
});

describe('Conv3d trains with flat memory', () => {
  it('five SGD steps leave the live tensor count unchanged', () => {
    const conv = new Conv3d(2, 3, 3, { padding: 1, seed: 1 });
    const x = randn([2, 2, 3, 4, 4], { seed: 2 });
    const counts: number[] = [];
    for (let step = 0; step < 5; step++) {
      scope(() => {
        const loss = conv.forward(x).square().mean();
        loss.backward();
        for (const p of conv.parameters()) p.assign(p.sub(p.grad!.mul(0.1)));
        conv.zeroGrad();
      });
      counts.push(memory().tensors);
    }
    expect(new Set(counts).size).toBe(1);
    conv.dispose();
    x.dispose();
  });

  it('a gradient reaches an unbatched input', () =>
    scope(() => {
      const x = variable(randn([2, 3, 3, 3], { seed: 4 }));
      const conv = new Conv3d(2, 1, 2, { seed: 5 });
      conv.forward(x).sum().backward();
      expect(x.grad!.shape).toEqual([2, 3, 3, 3]);
      conv.dispose();
    }));
});

describe('an empty batch passes through with the output shape PyTorch gives', () => {
  it('Conv3d, ConvTranspose3d and 3-D Unfold', () =>
    scope(() => {
      const x = zeros([0, 2, 3, 4, 4]);
      expect(new Conv3d(2, 3, 2).forward(x).shape).toEqual([0, 3, 2, 3, 3]);
      expect(new ConvTranspose3d(2, 3, 2, { stride: 2 }).forward(x).shape).toEqual([0, 3, 6, 8, 8]);
      expect(new Unfold([2, 2, 2]).forward(x).shape).toEqual([0, 16, 18]);
    }));
});

describe('3-D convolution errors name the layer, what came and what was expected', () => {
  it.each<[string, () => unknown, RegExp]>([
    [
      'rank',
      () => conv3d(randn([1, 2, 3]), randn([1, 2, 1, 1, 1])),
      /conv3d: input must be \[N, C, D, H, W\] or \[C, D, H, W\], got \[1,2,3\]/,
    ],
    [
      'weight rank',
      () => conv3d(randn([1, 2, 3, 3, 3]), randn([1, 2, 1, 1])),
      /conv3d: weight must be \[O, C\/groups, kd, kh, kw\], got \[1,2,1,1\]/,
    ],
    [
      'channels',
      () => new Conv3d(3, 2, 1).forward(randn([1, 2, 2, 2, 2])),
      /conv3d: input has 2 channels but weight expects 3/,
    ],
    [
      'groups',
      () => new Conv3d(3, 4, 1, { groups: 2 }),
      /Conv3d: groups = 2 must divide inChannels 3 and outChannels 4/,
    ],
    [
      'same with stride',
      () => new Conv3d(1, 1, 3, { padding: 'same', stride: 2 }),
      /Conv3d: padding 'same' requires stride 1, got \[2,2,2\]/,
    ],
    [
      'kernel too large',
      () => new Conv3d(1, 1, [4, 1, 1]).forward(randn([1, 1, 3, 2, 2])),
      /conv3d: kernel \[4,1,1\] .* larger than the padded input \[3,2,2\]/,
    ],
    [
      'kernel size',
      () => new Conv3d(1, 1, [2, 2] as never),
      /Conv3d: kernelSize must be an integer or 3 integers ≥ 1, got \[2,2\]/,
    ],
    [
      'bias',
      () => conv3d(randn([1, 1, 2, 2, 2]), randn([2, 1, 1, 1, 1]), { bias: randn([3]) }),
      /conv3d: bias must have shape \[2\], got \[3\]/,
    ],
    [
      'outputPadding',
      () => new ConvTranspose3d(1, 1, 2, { stride: 2, outputPadding: 2 }),
      /ConvTranspose3d: outputPadding \[2,2,2\] must be smaller than stride \[2,2,2\] or dilation \[1,1,1\]/,
    ],
    [
      'outputSize',
      () =>
        new ConvTranspose3d(1, 1, 2, { stride: 2 }).forward(randn([1, 1, 2, 2, 2]), {
          outputSize: [7, 4, 4],
        }),
      /ConvTranspose3d: outputSize \[7,4,4\] is not reachable from input \[1,1,2,2,2\]/,
    ],
    [
      'transpose channels',
      () => convTranspose3d(randn([1, 3, 2, 2, 2]), randn([2, 1, 1, 1, 1])),
      /convTranspose3d: input has 3 channels but weight expects 2/,
    ],
  ])('%s', (_name, f, re) => {
    expect(f).toThrow(re);
  });
});

/** [C·K, 1, ...k] one-hot kernels: channel c·K + j picks kernel offset j of input channel c. */
function oneHot(c: number, k: number[]): Tensor {
  const K = k.reduce((a, b) => a * b, 1);
  const w = new Float32Array(c * K * K);
  for (let i = 0; i < c * K; i++) w[i * K + (i % K)] = 1;
  return tensor(w, { shape: [c * K, 1, ...k] });
}

// PyTorch's Unfold/Fold are 2-D only (their 2-D cases are in layers21.json); the other ranks are
// checked against an independent construction: a grouped convolution with one-hot kernels
// (Unfold) and its transpose (Fold).
describe('Unfold/Fold of any rank', () => {
  it('3-D Unfold equals conv3d with one-hot kernels (stride, padding, dilation)', () =>
    scope(() => {
      const x = randn([2, 2, 5, 6, 4], { seed: 1 });
      const k = [2, 3, 2];
      const o = {
        stride: [2, 1, 2] as [number, number, number],
        padding: [1, 1, 0] as [number, number, number],
        dilation: [1, 2, 1] as [number, number, number],
      };
      const cols = new Unfold(k, o).forward(x);
      const ref = conv3d(x, oneHot(2, k), { ...o, groups: 2 });
      expect(cols.shape).toEqual([2, 2 * 12, ref.size / (2 * 24)]);
      expect(Array.from(cols.dataSync())).toEqual(Array.from(ref.reshape([2, 24, -1]).dataSync()));
    }));

  it('1-D Unfold equals conv1d with one-hot kernels, unbatched too', () =>
    scope(() => {
      const x = randn([3, 9], { seed: 2 });
      const cols = new Unfold([3], { stride: [2], padding: [1], dilation: [2] }).forward(x);
      const ref = conv1d(x, oneHot(3, [3]), { stride: 2, padding: 1, dilation: 2, groups: 3 });
      expect(cols.shape).toEqual(ref.shape);
      expect(Array.from(cols.dataSync())).toEqual(Array.from(ref.dataSync()));
    }));

  it('3-D Fold equals convTranspose3d with one-hot kernels', () =>
    scope(() => {
      const k = [2, 2, 3];
      const o = {
        stride: [2, 1, 2] as [number, number, number],
        dilation: [1, 2, 1] as [number, number, number],
      };
      const out = [4, 6, 7]; // (L − 1)·s + d·(k − 1) + 1 for L = [2, 4, 3]: no remainder
      const cols = randn([2, 2 * 12, 2 * 4 * 3], { seed: 3 });
      const y = new Fold(out, k, o).forward(cols);
      const ref = convTranspose3d(cols.reshape([2, 24, 2, 4, 3]), oneHot(2, k), { ...o, groups: 2 });
      expect(y.shape).toEqual([2, 2, 4, 6, 7]);
      expect(ref.shape).toEqual([2, 2, 4, 6, 7]);
      const a = y.dataSync();
      const b = ref.dataSync();
      for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 5);
    }));

  it.each<
    [string, number[], number[], { stride?: number[]; padding?: number[]; dilation?: number[] }, number[]]
  >([
    ['1-D with padding and a remainder', [2, 3, 10], [3], { stride: [3], padding: [1] }, [10]],
    [
      '3-D with padding and a remainder',
      [1, 2, 5, 4, 6],
      [2, 2, 3],
      { stride: [2, 3, 2], padding: [1, 0, 1], dilation: [1, 1, 2] },
      [5, 4, 6],
    ],
  ])(
    'Fold is the adjoint of Unfold: <Unfold(x), c> = <x, Fold(c)> (%s), and their gradients agree',
    (_name, xs, k, o, out) =>
      scope(() => {
        const x = variable(randn(xs, { seed: 4 }));
        const cols = new Unfold(k, o).forward(x);
        const c = randn(cols.shape, { seed: 5 });
        const folded = new Fold(out, k, o).forward(c);
        expect(folded.shape).toEqual(xs);
        expect(dot(cols, c)).toBeCloseTo(dot(x, folded), 3);
        cols.mul(c).sum().backward();
        const g = x.grad!.dataSync();
        const f = folded.dataSync();
        for (let i = 0; i < g.length; i++) expect(g[i]).toBeCloseTo(f[i]!, 5);
        const cv = variable(c);
        new Fold(out, k, o).forward(cv).mul(x).sum().backward();
        const gc = cv.grad!.dataSync();
        const cs = cols.dataSync();
        for (let i = 0; i < gc.length; i++) expect(gc[i]).toBeCloseTo(cs[i]!, 5);
      }),
  );

  it('N-d Unfold/Fold outside a scope add only their output', () => {
    const x = randn([1, 2, 3, 3, 3], { seed: 1 });
    const before = memory().tensors;
    const cols = new Unfold([2, 2, 2]).forward(x);
    const back = new Fold([3, 3, 3], [2, 2, 2]).forward(cols);
    expect(memory().tensors - before).toBe(2);
    for (const t of [cols, back, x]) t.dispose();
  });

  it.each<[string, () => unknown, RegExp]>([
    [
      'mixed ranks',
      () => new Unfold([2, 2, 2], { stride: [1, 1] }),
      /Unfold: the sizes name different numbers of spatial dims \(3, 2\)/,
    ],
    [
      'input rank',
      () => new Unfold([2, 2, 2]).forward(randn([4, 4])),
      /Unfold: input must be \[N, C, D, H, W\] or \[C, D, H, W\], got \[4,4\]/,
    ],
    [
      'kernel too large',
      () => new Unfold([4]).forward(randn([1, 1, 3])),
      /Unfold: kernel \[4\] \(dilation \[1\]\) does not fit input \[1,1,3\] padded by \[0\]/,
    ],
    [
      'Fold blocks',
      () => new Fold([4, 4, 4], [2, 2, 2]).forward(randn([1, 8, 5])),
      /Fold: input \[1,8,5\] has 5 blocks but outputSize \[4,4,4\] with kernel \[2,2,2\] gives 3×3×3/,
    ],
    [
      'Fold channels',
      () => new Fold([5], [2]).forward(randn([1, 3, 4])),
      /Fold: input dim 3 of \[1,3,4\] must be divisible by ∏kernelSize = 2/,
    ],
  ])('error: %s', (_name, f, re) => {
    expect(f).toThrow(re);
  });
});
