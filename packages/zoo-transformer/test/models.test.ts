import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Generator, memory, noGrad, type Tensor, tensor } from '@myelin/core';
import { crossEntropy } from '@myelin/nn';
import { describe, expect, it } from 'vitest';
import { EncoderDecoder, GPT, type GPTConfig, sampleToken, ViT, type ViTConfig } from '../src/index.js';

/** Weights, inputs and outputs of tools/gen_transformer_fixtures.py (plain PyTorch 1.13). */
interface Case {
  config: Record<string, number | string>;
  state: Record<string, { shape: number[]; values: number[] }>;
  logits: number[];
  loss: number;
  grads: Record<string, number[]>;
}
interface GptCase extends Case {
  ids: number[];
  shape: number[];
  targets: number[];
  greedy: { prompt: number[]; tokens: number[] };
}
interface VitCase extends Case {
  images: number[];
  shape: number[];
  labels: number[];
}
const fixture: { torch: string; gpt: GptCase; gptRotary: GptCase; vit: VitCase } = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/transformer.json', import.meta.url)), 'utf8'),
);

function stateOf(c: Case): Record<string, Tensor> {
  return Object.fromEntries(
    Object.entries(c.state).map(([k, v]) => [k, tensor(Float32Array.from(v.values), { shape: v.shape })]),
  );
}

function expectClose(got: ArrayLike<number>, want: readonly number[], tol: number, what: string) {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  expect(worst, `${what}: largest difference`).toBeLessThan(tol);
}

function gptFrom(c: GptCase): GPT {
  const gpt = new GPT(c.config as unknown as GPTConfig);
  const state = stateOf(c);
  gpt.loadStateDict(state);
  for (const t of Object.values(state)) t.dispose();
  return gpt;
}

describe.each([
  ['learned positions', 'gpt'],
  ['rotary positions', 'gptRotary'],
] as const)('GPT (%s) against PyTorch 1.13', (_, key) => {
  const c = fixture[key];

  it('has nanoGPT state-dict names and loads the torch weights by name (tied lm_head listed once as a parameter)', () => {
    const gpt = new GPT(c.config as unknown as GPTConfig);
    expect(Object.keys(gpt.stateDict()).sort()).toEqual(Object.keys(c.state).sort());
    expect(gpt.lm_head.weight).toBe(gpt.transformer.wte.weight);
    expect(gpt.namedParameters().map(([n]) => n)).not.toContain('lm_head.weight');
    expect(gpt.numParameters()).toBe(Object.keys(c.grads).reduce((n, k) => n + c.grads[k]!.length, 0));
    gpt.dispose();
  });

  it('logits, loss and every parameter gradient match', async () => {
    const gpt = gptFrom(c);
    const ids = tensor(Int32Array.from(c.ids), { shape: c.shape, dtype: 'int32' });
    const logits = gpt.forward(ids);
    expectClose(await logits.data(), c.logits, 1e-4, 'logits');
    const V = c.config.vocabSize as number;
    const loss = crossEntropy(
      logits.reshape([-1, V]),
      tensor(Int32Array.from(c.targets), { dtype: 'int32' }),
    );
    expect((await loss.data())[0]).toBeCloseTo(c.loss, 5);
    loss.backward();
    for (const [name, p] of gpt.namedParameters())
      expectClose(await p.grad!.data(), c.grads[name]!, 1e-4, name);
    gpt.dispose();
  });

  it('greedy generation equals torch token for token, with and without the KV cache', () => {
    const gpt = gptFrom(c);
    const { prompt, tokens } = c.greedy;
    const cached = gpt.generate(prompt, tokens.length, { temperature: 0 });
    const uncached = gpt.generate(prompt, tokens.length, { temperature: 0, cache: false });
    expect(Array.from(cached)).toEqual(tokens);
    expect(Array.from(uncached)).toEqual(tokens);
    gpt.dispose();
  });
});

describe('GPT generation', () => {
  it('sampled with the KV cache equals sampled without it, token for token, past the context too, and leaks nothing', () => {
    for (const positions of ['learned', 'sinusoidal', 'rotary'] as const) {
      const gpt = new GPT({
        vocabSize: 23,
        blockSize: 12,
        nLayer: 2,
        nHead: 2,
        nEmbd: 16,
        positions,
        seed: 4,
      });
      const before = memory().tensors;
      const opts = { temperature: 1.5, topK: 10, topP: 0.95, seed: 7 };
      const a = gpt.generate([1, 2, 3, 4, 5], 20, opts);
      const b = gpt.generate([1, 2, 3, 4, 5], 20, { ...opts, cache: false });
      expect([positions, Array.from(a)]).toEqual([positions, Array.from(b)]);
      expect(new Set(a).size).toBeGreaterThan(3);
      expect(memory().tensors).toBe(before);
      gpt.dispose();
    }
  });

  it('the same seed gives the same text, another seed another', () => {
    const gpt = new GPT({ vocabSize: 50, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 8, seed: 1 });
    const a = gpt.generate([0], 15, { temperature: 2, seed: 3 });
    expect(Array.from(gpt.generate([0], 15, { temperature: 2, seed: 3 }))).toEqual(Array.from(a));
    expect(Array.from(gpt.generate([0], 15, { temperature: 2, seed: 4 }))).not.toEqual(Array.from(a));
    gpt.dispose();
  });

  it('errors name the prompt longer than the context, ids outside the vocabulary, heads that do not divide the width', () => {
    const gpt = new GPT({ vocabSize: 10, blockSize: 4, nLayer: 1, nHead: 2, nEmbd: 8, seed: 1 });
    expect(() => gpt.generate([1, 2, 3, 4, 5], 1)).toThrow(
      'GPT.generate: the prompt has 5 tokens but the context holds 4 (blockSize)',
    );
    expect(() => gpt.generate([], 1)).toThrow('GPT.generate: the prompt is empty');
    expect(() => gpt.generate([1, 10], 1)).toThrow(
      'GPT.generate: prompt token 10 at 1 is outside the vocabulary [0, 10)',
    );
    expect(() => gpt.forward(tensor(Int32Array.of(1, -1), { shape: [1, 2], dtype: 'int32' }))).toThrow(
      'GPT: token id -1 at flat position 1 is outside the vocabulary [0, 10)',
    );
    expect(() => gpt.forward(tensor(new Int32Array(5), { shape: [1, 5], dtype: 'int32' }))).toThrow(
      'GPT: 5 tokens exceed the context of 4 (blockSize)',
    );
    expect(() => gpt.forward(tensor(new Float32Array(2), { shape: [1, 2] }))).toThrow(
      'GPT: token ids must be int32, got float32',
    );
    expect(() => new GPT({ vocabSize: 10, blockSize: 4, nHead: 3, nEmbd: 8 })).toThrow(
      'GPT: 3 heads do not divide the width 8',
    );
    gpt.dispose();
  });

  it('batch 1, one token: logits (1, 1, vocab)', () => {
    const gpt = new GPT({ vocabSize: 7, blockSize: 4, nLayer: 1, nHead: 1, nEmbd: 4, seed: 2 });
    const y = noGrad(() => gpt.forward(tensor(Int32Array.of(3), { shape: [1, 1], dtype: 'int32' })));
    expect(y.shape).toEqual([1, 1, 7]);
    y.dispose();
    gpt.dispose();
  });
});

describe('sampleToken', () => {
  it('temperature 0 is the argmax; topK 1 too; topP keeps the smallest prefix reaching p', () => {
    const gen = new Generator(0);
    const logits = [0.1, 2, 1.9, -1];
    expect(sampleToken(logits, gen, { temperature: 0 })).toBe(1);
    for (let i = 0; i < 20; i++) expect(sampleToken(logits, gen, { topK: 1 })).toBe(1);
    // probabilities of [0, ln 3, -inf…]: 0.25, 0.75 → topP 0.7 keeps only id 1
    for (let i = 0; i < 20; i++) expect(sampleToken([0, Math.log(3), -50], gen, { topP: 0.7 })).toBe(1);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(sampleToken([0, Math.log(3), -50], gen, { topP: 0.8 }));
    expect([...seen].sort()).toEqual([0, 1]);
  });

  it('draws in proportion to softmax(logits / temperature) (4,000 draws within 3 %)', () => {
    const gen = new Generator(5);
    const counts = [0, 0, 0];
    for (let i = 0; i < 4000; i++)
      counts[sampleToken([0, Math.log(2), Math.log(5)], gen, { temperature: 1 })]!++;
    // softmax = 1/8, 2/8, 5/8
    expect(counts.map((c) => Math.round((c / 4000) * 100))).toEqual([
      expect.closeTo(12.5, -0.5),
      expect.closeTo(25, -0.5),
      expect.closeTo(62.5, -0.5),
    ]);
  });

  it('rejects bad options naming them', () => {
    const gen = new Generator(0);
    expect(() => sampleToken([1], gen, { temperature: -1 })).toThrow('sampleToken: temperature must be');
    expect(() => sampleToken([1], gen, { topP: 0 })).toThrow('sampleToken: topP must be in (0, 1], got 0');
    expect(() => sampleToken([], gen)).toThrow('sampleToken: no logits');
  });
});

describe('ViT against PyTorch 1.13', () => {
  const c = fixture.vit;

  it('timm state-dict names; logits, loss and every gradient match', async () => {
    const vit = new ViT(c.config as unknown as ViTConfig);
    expect(Object.keys(vit.stateDict()).sort()).toEqual(Object.keys(c.state).sort());
    const state = stateOf(c);
    vit.loadStateDict(state);
    for (const t of Object.values(state)) t.dispose();
    const logits = vit.forward(tensor(Float32Array.from(c.images), { shape: c.shape }));
    expectClose(await logits.data(), c.logits, 1e-4, 'logits');
    const loss = crossEntropy(logits, tensor(Int32Array.from(c.labels), { dtype: 'int32' }));
    expect((await loss.data())[0]).toBeCloseTo(c.loss, 5);
    loss.backward();
    for (const [name, p] of vit.namedParameters())
      expectClose(await p.grad!.data(), c.grads[name]!, 1e-4, name);
    vit.dispose();
  });

  it('rejects images of the wrong shape and a patch that does not divide the image', () => {
    const vit = new ViT({ numClasses: 3, imageSize: 8, patchSize: 4, width: 8, depth: 1, heads: 2 });
    expect(() => vit.forward(tensor(new Float32Array(64), { shape: [1, 1, 8, 8] }).reshape([1, 64]))).toThrow(
      'ViT: expected images (batch, 1, 8, 8), got [1,64]',
    );
    expect(() => new ViT({ numClasses: 3, imageSize: 8, patchSize: 3 })).toThrow(
      'ViT: patchSize 3 does not divide imageSize 8',
    );
    vit.dispose();
  });
});

describe('EncoderDecoder', () => {
  it('padding in the source changes nothing; the decoder is causal; greedy decodes to the asked length', async () => {
    const m = new EncoderDecoder({
      sourceVocab: 9,
      targetVocab: 6,
      maxSource: 8,
      maxTarget: 5,
      width: 16,
      heads: 2,
      seed: 3,
    });
    m.eval();
    const src = tensor(Int32Array.of(3, 4, 5), { shape: [1, 3], dtype: 'int32' });
    const padded = tensor(Int32Array.of(3, 4, 5, 0, 0), { shape: [1, 5], dtype: 'int32' });
    const dec = tensor(Int32Array.of(0, 2, 3), { shape: [1, 3], dtype: 'int32' });
    const a = await noGrad(() => m.forward(src, dec)).data();
    const b = await noGrad(() => m.forward(padded, dec)).data();
    expectClose(a, Array.from(b), 1e-5, 'padded source');
    // changing decoder token 2 leaves the logits of positions 0 and 1 alone
    const dec2 = tensor(Int32Array.of(0, 2, 5), { shape: [1, 3], dtype: 'int32' });
    const c2 = await noGrad(() => m.forward(src, dec2)).data();
    expectClose(c2.slice(0, 12), Array.from(a.slice(0, 12)), 1e-5, 'causal prefix');
    expect(Math.max(...Array.from(c2.slice(12), (v, i) => Math.abs(v - a[12 + i]!)))).toBeGreaterThan(1e-4);
    const out = m.greedy(padded, { bos: 0, eos: 99, maxLength: 4 });
    expect(out).toHaveLength(1);
    expect(out[0]).toHaveLength(4);
    expect(() => m.encode(tensor(Int32Array.of(9), { shape: [1, 1], dtype: 'int32' }))).toThrow(
      'EncoderDecoder.encode: token id 9 at flat position 0 is outside the vocabulary [0, 9)',
    );
    m.dispose();
  });
});
