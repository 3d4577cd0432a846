import { Generator, scope, tensor } from '@myelin/core';
import { crossEntropy, LSTM } from '@myelin/nn';
import { clipGradNorm } from '@myelin/optim';
import { describe, expect, it } from 'vitest';
import { CharVocabulary, mobyDickText, sampleLogits } from '../src/index.js';

/** Frequencies of `n` draws. */
function frequencies(logits: number[], n: number, options: { temperature?: number; topK?: number }) {
  const gen = new Generator(11);
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[sampleLogits(logits, gen, options)]!++;
  return counts.map((c) => c / n);
}

describe('sampling with a temperature and top-k', () => {
  // logits ln 1, ln 2, ln 4: softmax is (1, 2, 4)/7; at temperature ½ the weights square: (1, 4, 16)/21.
  const logits = [0, Math.log(2), Math.log(4)];
  const n = 20_000;
  // Standard error of a frequency near ½ over 20,000 draws is ≈ 0.0035: 0.015 is over 4σ.
  it('temperature 1 draws from the softmax', () => {
    const f = frequencies(logits, n, { temperature: 1 });
    for (const [i, p] of [1 / 7, 2 / 7, 4 / 7].entries()) expect(Math.abs(f[i]! - p)).toBeLessThan(0.015);
  });
  it('temperature ½ sharpens to (1, 4, 16)/21; temperature 2 flattens to (1, √2, 2)/(3 + √2)', () => {
    const half = frequencies(logits, n, { temperature: 0.5 });
    for (const [i, p] of [1 / 21, 4 / 21, 16 / 21].entries())
      expect(Math.abs(half[i]! - p)).toBeLessThan(0.015);
    const two = frequencies(logits, n, { temperature: 2 });
    const z = 3 + Math.SQRT2;
    for (const [i, p] of [1 / z, Math.SQRT2 / z, 2 / z].entries())
      expect(Math.abs(two[i]! - p)).toBeLessThan(0.015);
  });
  it('top-k keeps the k largest and renormalises; top-1 is the argmax', () => {
    const top2 = frequencies(logits, n, { topK: 2 });
    expect(top2[0]).toBe(0);
    expect(Math.abs(top2[2]! - 2 / 3)).toBeLessThan(0.015);
    expect(frequencies([0.3, 2, -1, 1.9], 200, { topK: 1, temperature: 5 })).toEqual([0, 1, 0, 0]);
    // k at or above the vocabulary keeps everything
    expect(frequencies(logits, 2000, { topK: 3 })[0]).toBeGreaterThan(0.1);
  });
  it('is reproducible from the generator and rejects bad settings', () => {
    const draw = (seed: number) => {
      const g = new Generator(seed);
      return Array.from({ length: 30 }, () => sampleLogits(logits, g));
    };
    expect(draw(4)).toEqual(draw(4));
    expect(draw(4)).not.toEqual(draw(5));
    const g = new Generator(1);
    expect(() => sampleLogits(logits, g, { temperature: 0 })).toThrow(
      'sampleLogits: temperature must be a finite number > 0, got 0',
    );
    expect(() => sampleLogits(logits, g, { topK: -1 })).toThrow(
      'sampleLogits: topK must be an integer ≥ 0 (0: all), got -1',
    );
    expect(() => sampleLogits([], g)).toThrow('sampleLogits: no logits to sample from');
  });
});

describe('CharVocabulary and the Moby Dick text', () => {
  it('orders characters by frequency after the unknown symbol; unknown characters encode to 0', () => {
    const v = CharVocabulary.build('abracadabra');
    expect(v.chars).toEqual(['\u0000', 'a', 'b', 'r', 'c', 'd']);
    expect(Array.from(v.encode('cab!'))).toEqual([4, 1, 2, 0]);
    expect(v.decode([3, 1])).toBe('ra');
    expect(() => v.decode([6])).toThrow('CharVocabulary.decode: id 6 at 0 is outside [0, 6)');
    expect(CharVocabulary.build('aab', { minCount: 2 }).chars).toEqual(['\u0000', 'a']);
    expect(() => new CharVocabulary(['?', 'ab'])).toThrow(
      'CharVocabulary: entry 1 is "ab"; expected one character',
    );
  });
  it('mobyDickText joins paragraphs by newlines and unwraps their lines', () => {
    expect(mobyDickText(['CHAPTER 1.\nLoomings.', '', 'Call me\r\n  Ishmael.'])).toBe(
      'CHAPTER 1. Loomings.\nCall me Ishmael.',
    );
  });
});

describe("LSTM's folded biases and gradient clipping", () => {
  it('the two biases (one b_ih + b_hh sum in the fused layer) get gradients of their own, so clipGradNorm runs', async () => {
    const lstm = new LSTM(3, 2, { seed: 1 });
    const x = tensor(
      Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)),
      { shape: [4, 1, 3] },
    );
    scope(() =>
      crossEntropy(lstm.forward(x)[0].reshape([4, 2]), tensor(Int32Array.of(0, 1, 1, 0))).backward(),
    );
    const bIh = lstm.getParameter('bias_ih_l0');
    const bHh = lstm.getParameter('bias_hh_l0');
    expect(bIh.grad).not.toBe(bHh.grad);
    // clipGradNorm replaces and frees each gradient in turn: with a shared one it freed it twice
    clipGradNorm(lstm.parameters(), 1e-3);
    // d loss / d b_ih = d loss / d b_hh: both enter the gates as one sum.
    expect(Array.from(await bIh.grad!.data())).toEqual(Array.from(await bHh.grad!.data()));
    lstm.dispose();
  });
});
