import { memory, randn, scope, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { BahdanauAttention, LuongAttention, scaledDotProductAttention } from '../src/index.js';
import { loadCases, runCase } from './fixtures.js';

// Luong (dot / general / concat) and Bahdanau attention against the papers' equations written in
// plain PyTorch 1.13, and scaledDotProductAttention against softmax(q·kᵀ·scale + mask)·v
// (tools/gen_nn21_seq_fixtures.py): outputs, input and parameter gradients; nothing leaks.
const cases = loadCases('nn21-seq').filter(
  (c) =>
    ['LuongAttention', 'BahdanauAttention'].includes(c.module ?? '') || c.fn === 'scaledDotProductAttention',
);

describe('sequence attention matches the published equations (PyTorch)', () => {
  it('has its cases', () => expect(cases.length).toBe(13));
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { errors, leaked } = runCase(c);
    expect(errors).toEqual([]);
    expect(leaked).toBe(0);
  });
});

describe('LuongAttention / BahdanauAttention', () => {
  it('padding gets weight exactly 0 and the weights sum to 1', () => {
    const attn = new BahdanauAttention(3, { keyDim: 2, attnDim: 4, seed: 1 });
    scope(() => {
      const mask = tensor([false, true, false, false, false, true], { shape: [2, 3], dtype: 'bool' });
      const [ctx, w] = attn.forward(randn([2, 3], { seed: 2 }), randn([2, 3, 2], { seed: 3 }), {
        keyPaddingMask: mask,
      });
      expect(ctx.shape).toEqual([2, 2]);
      const v = Array.from(w.dataSync());
      expect(v[1]).toBe(0);
      expect(v[5]).toBe(0);
      expect(v[0]! + v[2]!).toBeCloseTo(1, 6);
      expect(v[3]! + v[4]!).toBeCloseTo(1, 6);
    });
    attn.dispose();
  });

  it("'dot' of a query with itself as the only key: weight 1, context the key", () => {
    const attn = new LuongAttention(2, { score: 'dot' });
    scope(() => {
      const [ctx, w] = attn.forward(tensor([[1, 2]]), tensor([[[3, 4]]]));
      expect(Array.from(w.dataSync())).toEqual([1]);
      expect(Array.from(ctx.dataSync())).toEqual([3, 4]);
    });
  });

  it('rejects bad shapes and options clearly', () => {
    expect(() => new LuongAttention(4, { score: 'dot', keyDim: 3 })).toThrow(
      /LuongAttention: score 'dot' needs keyDim equal to queryDim, got 3 and 4/,
    );
    expect(() => new LuongAttention(4, { score: 'bilinear' as never })).toThrow(
      /LuongAttention: score must be 'dot', 'general' or 'concat', got 'bilinear'/,
    );
    const l = new LuongAttention(4, { seed: 1 });
    const b = new BahdanauAttention(4, { seed: 1 });
    scope(() => {
      expect(() => l.forward(randn([2, 3]), randn([2, 5, 4]))).toThrow(
        /LuongAttention: query must be \[batch, 4\] or \[batch, L, 4\], got \[2,3\]/,
      );
      expect(() => b.forward(randn([2, 4]), randn([3, 5, 4]))).toThrow(
        /BahdanauAttention: keys must be \[2, S, 4\] .* got \[3,5,4\]/,
      );
      expect(() => b.forward(randn([2, 4]), randn([2, 0, 4]))).toThrow(/at least one source position/);
      expect(() =>
        b.forward(randn([2, 4]), randn([2, 5, 4]), {
          keyPaddingMask: tensor([true, false], { dtype: 'bool' }),
        }),
      ).toThrow(/BahdanauAttention: keyPaddingMask must be \[2, 5\], got \[2\]/);
    });
    l.dispose();
    b.dispose();
  });

  it('a training step leaks nothing', () => {
    const attn = new LuongAttention(4, { score: 'concat', attnDim: 3, seed: 5 });
    const before = memory().tensors;
    for (let i = 0; i < 2; i++)
      scope(() => {
        const [ctx] = attn.forward(randn([2, 4]), randn([2, 3, 4]));
        ctx.sum().backward();
        attn.zeroGrad();
      });
    expect(memory().tensors).toBe(before);
    attn.dispose();
  });
});

describe('scaledDotProductAttention (torch.nn.functional names)', () => {
  it('rejects a bad dropoutP', () => {
    scope(() => {
      const q = randn([1, 2, 2]);
      expect(() => scaledDotProductAttention(q, q, q, { dropoutP: 1.5 })).toThrow(
        /scaledDotProductAttention: dropoutP must be in \[0, 1\], got 1.5/,
      );
    });
  });

  it('dropoutP 1 drops every weight: the output is 0', () => {
    scope(() => {
      const q = randn([1, 3, 2], { seed: 4 });
      const y = scaledDotProductAttention(q, q, q, { dropoutP: 1, generator: 3 });
      expect(Array.from(y.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    });
  });
});
