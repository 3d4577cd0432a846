import { CpuBackend } from '@myelin/backend-cpu';
import { type Backend, getBackend, memory, randn, scope, tensor, use } from '@myelin/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  generateSquareSubsequentMask,
  Transformer,
  TransformerDecoder,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerEncoderLayer,
} from '../src/index.js';
import { loadCases, runCase } from './fixtures.js';

// torch.nn.Transformer (PyTorch 1.13, dropout 0, fixed weights; tools/gen_nn21_seq_fixtures.py):
// outputs, input and parameter gradients by PyTorch's state-dict keys; nothing leaks.
const cases = loadCases('nn21-seq').filter((c) => c.module === 'Transformer');

describe('Transformer matches torch.nn.Transformer', () => {
  it('has its cases', () => expect(cases.length).toBe(4));
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { errors, leaked } = runCase(c);
    expect(errors).toEqual([]);
    expect(leaked).toBe(0);
  });
});

describe('Transformer', () => {
  it("names its parameters as PyTorch's state dict", () => {
    const m = new Transformer(8, 2, { numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 4 });
    const keys = Object.keys(m.stateDict());
    expect(keys).toContain('encoder.layers.0.self_attn.in_proj_weight');
    expect(keys).toContain('encoder.norm.weight');
    expect(keys).toContain('decoder.layers.0.multihead_attn.out_proj.bias');
    expect(keys).toContain('decoder.norm.bias');
    // len(torch.nn.Transformer(8, 2, 1, 1, 4).state_dict()) = 34
    expect(keys.length).toBe(34);
    m.dispose();
  });

  it('initialises every matrix xavier-uniform: bound √(6 / (fanIn + fanOut))', () => {
    const m = new Transformer(16, 4, {
      numEncoderLayers: 1,
      numDecoderLayers: 1,
      dimFeedforward: 32,
      seed: 3,
    });
    const sd = m.stateDict();
    for (const [k, fi, fo] of [
      ['encoder.layers.0.self_attn.in_proj_weight', 16, 48],
      ['encoder.layers.0.linear1.weight', 16, 32],
      ['decoder.layers.0.linear2.weight', 32, 16],
    ] as const) {
      const v = sd[k]!.dataSync() as Float32Array;
      const bound = Math.sqrt(6 / (fi + fo));
      const max = v.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
      expect(max, k).toBeLessThanOrEqual(bound);
      expect(max, k).toBeGreaterThan(0.8 * bound);
    }
    m.dispose();
  });

  it('generateSquareSubsequentMask is 0 on and below the diagonal, −∞ above', () => {
    const m = Transformer.generateSquareSubsequentMask(3);
    expect(Array.from(m.dataSync())).toEqual([0, -Infinity, -Infinity, 0, 0, -Infinity, 0, 0, 0]);
    m.dispose();
    expect(() => Transformer.generateSquareSubsequentMask(0)).toThrow(/generateSquareSubsequentMask.*size/);
  });

  it('rejects mismatched batches, wrong features and bad head counts', () => {
    expect(() => new Transformer(10, 3)).toThrow(/Transformer: dModel 10 must be divisible by nhead 3/);
    const m = new Transformer(4, 2, { numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 4 });
    scope(() => {
      expect(() => m.forward(randn([3, 2, 4]), randn([2, 3, 4]))).toThrow(
        /Transformer: src and tgt must have the same batch size \(dim 1\), got \[3,2,4\] and \[2,3,4\]/,
      );
      expect(() => m.forward(randn([3, 2, 5]), randn([2, 2, 5]))).toThrow(/feature size .* dModel 4/);
      expect(() => m.forward(randn([3, 2, 4]), randn([2, 4]))).toThrow(/both be 3-D/);
    });
    m.dispose();
  });

  it('layers run attention on the fused op with the same numbers as MultiheadAttention', () => {
    // Fused path (no weights) against MultiheadAttention's own forward, key padding + causal.
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 8, dropout: 0, seed: 4 });
    scope(() => {
      const x = randn([5, 2, 8], { seed: 9 });
      const kpm = tensor([false, false, false, true, true, false, false, false, false, false], {
        shape: [2, 5],
        dtype: 'bool',
      });
      const mask = generateSquareSubsequentMask(5);
      const [sa] = layer.self_attn.forward(x, x, x, { attnMask: mask, keyPaddingMask: kpm });
      const want = layer.norm2
        .forward(
          layer.norm1
            .forward(x.add(sa))
            .add(layer.linear2.forward(layer.linear1.forward(layer.norm1.forward(x.add(sa))).relu())),
        )
        .dataSync();
      const got = layer.forward(x, { srcMask: mask, srcKeyPaddingMask: kpm }).dataSync();
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
    });
    layer.dispose();
  });

  it('uses a custom encoder and decoder when given', () => {
    const enc = new TransformerEncoder(
      new TransformerEncoderLayer(4, 1, { dimFeedforward: 4, dropout: 0 }),
      1,
    );
    const dec = new TransformerDecoder(
      new TransformerDecoderLayer(4, 1, { dimFeedforward: 4, dropout: 0 }),
      1,
    );
    const m = new Transformer(4, 1, { customEncoder: enc, customDecoder: dec });
    expect(m.encoder).toBe(enc);
    expect(m.decoder).toBe(dec);
    expect(Object.keys(m.stateDict())).not.toContain('encoder.norm.weight');
    scope(() => {
      const src = randn([3, 1, 4], { seed: 1 });
      const tgt = randn([2, 1, 4], { seed: 2 });
      const want = dec.forward(tgt, enc.forward(src)).dataSync();
      const got = m.forward(src, tgt).dataSync();
      expect(Array.from(got)).toEqual(Array.from(want));
    });
    m.dispose();
  });

  it('a training step leaks nothing', () => {
    const m = new Transformer(8, 2, { numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 8, seed: 1 });
    const before = memory().tensors;
    for (let i = 0; i < 2; i++)
      scope(() => {
        m.forward(randn([3, 2, 8]), randn([2, 2, 8]), {
          tgtMask: Transformer.generateSquareSubsequentMask(2),
        })
          .square()
          .sum()
          .backward();
        m.zeroGrad();
      });
    expect(memory().tensors).toBe(before);
    m.dispose();
  });
});

describe('Transformer layers on the fused attention kernel', () => {
  const original = getBackend();
  afterAll(async () => {
    await use(original);
  });

  it('one Attention / AttentionGrad kernel call per attention block, no softmax', async () => {
    const calls = new Map<string, number>();
    const b = new CpuBackend();
    const kernels: Record<string, (args: never) => unknown> = {};
    for (const [k, f] of Object.entries(b.kernels as Record<string, (args: never) => unknown>))
      kernels[k] = (args: never) => {
        calls.set(k, (calls.get(k) ?? 0) + 1);
        return f(args);
      };
    Object.defineProperty(b, 'kernels', { value: kernels });
    Object.defineProperty(b, 'name', { value: 'cpu-counting-attention' });
    await use(b as Backend);
    const m = new Transformer(8, 2, {
      numEncoderLayers: 2,
      numDecoderLayers: 1,
      dimFeedforward: 8,
      dropout: 0,
      seed: 2,
    });
    scope(() => {
      const y = m.forward(randn([4, 2, 8], { seed: 1 }), randn([3, 2, 8], { seed: 2 }), {
        tgtMask: Transformer.generateSquareSubsequentMask(3),
      });
      // 2 encoder self-attentions + decoder self- and cross-attention.
      expect(calls.get('Attention')).toBe(4);
      y.sum().backward();
      expect(calls.get('AttentionGrad')).toBe(4);
      expect(calls.get('Softmax') ?? 0).toBe(0);
    });
    m.dispose();
  });
});
