import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Generator, memory, noGrad, scope, type Tensor, tensor } from '@myelin/core';
import { crossEntropy } from '@myelin/nn';
import { describe, expect, it } from 'vitest';
import { Bert, type BertConfig, type BertInput, maskTokens } from '../src/index.js';

/** A tiny BERT in plain PyTorch 1.13 (tools/gen_transformer_fixtures.py → fixtures/bert.json). */
interface BertCase {
  config: BertConfig;
  state: Record<string, { shape: number[]; values: number[] }>;
  ids: number[];
  tokenTypes: number[];
  keep: number[];
  shape: [number, number];
  hidden: number[];
  attention: number[][];
  positions: number[];
  mlmTargets: number[];
  labels: number[];
  mlmLogits: number[];
  clsLogits: number[];
  loss: number;
  grads: Record<string, number[]>;
}
const c: BertCase = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/bert.json', import.meta.url)), 'utf8'),
).bert;

function expectClose(got: ArrayLike<number>, want: readonly number[], tol: number, what: string) {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  expect(worst, `${what}: largest difference`).toBeLessThan(tol);
}

function torchBert(): Bert {
  const bert = new Bert({ ...c.config, dropout: 0 });
  const state = Object.fromEntries(
    Object.entries(c.state).map(([k, v]) => [k, tensor(Float32Array.from(v.values), { shape: v.shape })]),
  );
  bert.loadStateDict(state);
  for (const t of Object.values(state)) t.dispose();
  return bert;
}

const input = (): BertInput => ({
  ids: tensor(Int32Array.from(c.ids), { shape: c.shape, dtype: 'int32' }),
  tokenTypes: tensor(Int32Array.from(c.tokenTypes), { shape: c.shape, dtype: 'int32' }),
  mask: tensor(Uint8Array.from(c.keep), { shape: c.shape, dtype: 'bool' }),
});

describe('Bert against a plain-PyTorch BERT (post-norm, padding mask, tied MLM head, pooler + classifier)', () => {
  it('has Hugging Face BertModel names (+ cls.predictions.*, classifier) and loads the torch state dict by name', () => {
    const bert = new Bert({ ...c.config });
    expect(Object.keys(bert.stateDict()).sort()).toEqual(Object.keys(c.state).sort());
    expect(Object.keys(c.state)).toContain('encoder.layer.0.attention.self.query.weight');
    expect(Object.keys(c.state)).toContain('embeddings.word_embeddings.weight');
    expect(bert.numParameters()).toBe(Object.values(c.grads).reduce((n, g) => n + g.length, 0));
    bert.dispose();
  });

  it('hidden states, attention weights, MLM and class logits, the loss and every parameter gradient match', async () => {
    const bert = torchBert();
    const sink: Tensor[] = [];
    const hidden = bert.encode(input(), sink);
    expectClose(await hidden.data(), c.hidden, 1e-4, 'hidden');
    expect(sink).toHaveLength(2);
    for (let l = 0; l < 2; l++) {
      expect(sink[l]!.shape).toEqual([2, c.config.numHeads, 6, 6]);
      expectClose(await sink[l]!.data(), c.attention[l]!, 1e-5, `attention weights of layer ${l}`);
    }
    const mlm = bert.mlmLogits(hidden, tensor(Int32Array.from(c.positions), { dtype: 'int32' }));
    expectClose(await mlm.data(), c.mlmLogits, 1e-4, 'MLM logits');
    const cls = bert.classify(bert.pool(hidden));
    expectClose(await cls.data(), c.clsLogits, 1e-4, 'class logits');
    const loss = crossEntropy(mlm, tensor(Int32Array.from(c.mlmTargets), { dtype: 'int32' })).add(
      crossEntropy(cls, tensor(Int32Array.from(c.labels), { dtype: 'int32' })),
    );
    expect((await loss.data())[0]).toBeCloseTo(c.loss, 4);
    loss.backward();
    for (const [name, p] of bert.namedParameters())
      expectClose(await p.grad!.data(), c.grads[name]!, 1e-4, `gradient of ${name}`);
    bert.dispose();
  });

  it('the fused attention path (no weights asked) gives the explicit path’s outputs', async () => {
    const bert = torchBert();
    bert.eval();
    const [fused, explicit] = noGrad(() => [bert.encode(input()), bert.encode(input(), [])]);
    expectClose(await fused!.data(), Array.from(await explicit!.data()), 1e-5, 'fused vs explicit');
    expectClose(await fused!.data(), c.hidden, 1e-4, 'fused vs torch');
    bert.dispose();
  });

  it('padding: a padded key gets weight 0, and what follows the padding does not change the real tokens', async () => {
    const bert = torchBert();
    bert.eval();
    const sink: Tensor[] = [];
    noGrad(() => bert.encode(input(), sink));
    const w = await sink[0]!.data(); // (2, H, 6, 6): row 1's keys 4 and 5 are padding
    for (let h = 0; h < c.config.numHeads!; h++)
      for (let i = 0; i < 6; i++)
        for (const j of [4, 5]) expect(w[((1 * c.config.numHeads! + h) * 6 + i) * 6 + j]).toBe(0);
    const other = input();
    const ids = Int32Array.from(c.ids);
    ids[10] = 11; // a different token under the padding of row 1
    other.ids = tensor(ids, { shape: c.shape, dtype: 'int32' });
    const [a, b] = noGrad(() => [bert.encode(input()), bert.encode(other)]);
    const av = await a!.data();
    const bv = await b!.data();
    const C = c.config.hiddenSize!;
    expectClose(
      bv.subarray(6 * C, 10 * C),
      Array.from(av.subarray(6 * C, 10 * C)),
      1e-6,
      'real tokens of row 1',
    );
    bert.dispose();
  });

  it('batch of one, one token: shapes hold and nothing leaks', () => {
    const bert = new Bert({ vocabSize: 10, hiddenSize: 8, numHeads: 2, numLayers: 1, seed: 3 });
    bert.eval();
    const before = memory().tensors;
    noGrad(() =>
      scope(() => {
        const ids = tensor(Int32Array.of(4), { shape: [1, 1], dtype: 'int32' });
        const h = bert.encode({ ids });
        expect(h.shape).toEqual([1, 1, 8]);
        expect(bert.forward({ ids }).shape).toEqual([1, 2]);
        expect(bert.mlmLogits(h, tensor(Int32Array.of(0), { dtype: 'int32' })).shape).toEqual([1, 10]);
      }),
    );
    expect(memory().tensors).toBe(before);
    bert.dispose();
  });

  it('bad input gets an error naming what was expected', () => {
    const bert = new Bert({
      vocabSize: 10,
      maxPositions: 4,
      hiddenSize: 8,
      numHeads: 2,
      numLayers: 1,
      seed: 3,
    });
    const ids = (v: number[], shape = [1, v.length]) => tensor(Int32Array.from(v), { shape, dtype: 'int32' });
    expect(() => bert.encode({ ids: ids([1, 10]) })).toThrow(
      'Bert: token id 10 at flat position 1 is outside the vocabulary [0, 10)',
    );
    expect(() => bert.encode({ ids: ids([1, 2, 3, 4, 5]) })).toThrow(
      'Bert: 5 tokens exceed the 4 positions (maxPositions); expected at most 4',
    );
    expect(() =>
      bert.encode({
        ids: ids([1, 2, 3]),
        mask: tensor(Uint8Array.of(1, 1), { shape: [1, 2], dtype: 'bool' }),
      }),
    ).toThrow('Bert: mask must be (1, 3) like the ids, got [1,2]');
    expect(() =>
      bert.encode({ ids: ids([1, 2]), mask: tensor(Float32Array.of(1, 1), { shape: [1, 2] }) }),
    ).toThrow('Bert: mask must be bool, got float32');
    expect(() => bert.encode({ ids: ids([1, 2]), tokenTypes: ids([0, 2]) })).toThrow(
      'Bert (token types): token id 2 at flat position 1 is outside the vocabulary [0, 2)',
    );
    expect(() => bert.encode({ ids: ids([1, 2, 3], [3]) })).toThrow(
      'Bert: expected token ids (batch, time), got shape [3]',
    );
    expect(() => new Bert({ vocabSize: 10, hiddenSize: 10, numHeads: 4 })).toThrow(
      'Bert: 4 heads do not divide the width 10',
    );
    bert.dispose();
  });
});

describe('maskTokens (BERT §3.1: 15 % chosen; 80 % [MASK], 10 % random, 10 % kept)', () => {
  const vocabSize = 50;
  const special = new Set([0, 1, 2]);
  const ids = Int32Array.from({ length: 40_000 }, (_, i) => (i % 100 === 0 ? 1 : 5 + (i % 45)));

  it('chooses about 15 % of the ordinary tokens, never a special one, and splits them 80/10/10', () => {
    const m = maskTokens(ids, { maskId: 4, randomFrom: 5, vocabSize, special, generator: new Generator(7) });
    const ordinary = ids.filter((v) => !special.has(v)).length;
    const share = m.positions.length / ordinary;
    // binomial sd at n = 39,600, p = 0.15: 0.0018; 4 sd either side
    expect(share).toBeGreaterThan(0.15 - 0.0072);
    expect(share).toBeLessThan(0.15 + 0.0072);
    let masked = 0;
    let kept = 0;
    let changed = 0;
    m.positions.forEach((pos, k) => {
      expect(special.has(ids[pos]!)).toBe(false);
      expect(m.targets[k]).toBe(ids[pos]);
      if (m.input[pos] === 4) masked++;
      else if (m.input[pos] === ids[pos]) kept++;
      else {
        changed++;
        expect(m.input[pos]).toBeGreaterThanOrEqual(5);
      }
    });
    const n = m.positions.length; // ≈ 5,940: sd of a 0.1 share 0.004, of 0.8 0.005
    expect(masked / n).toBeGreaterThan(0.78);
    expect(masked / n).toBeLessThan(0.82);
    // a random replacement equals the original 1 time in 45: it counts as kept
    expect(changed / n).toBeGreaterThan(0.08);
    expect(changed / n).toBeLessThan(0.12);
    expect(kept / n).toBeGreaterThan(0.08);
    expect(kept / n).toBeLessThan(0.12);
    // every position not chosen is untouched
    const chosen = new Set(m.positions);
    for (let i = 0; i < ids.length; i++) if (!chosen.has(i)) expect(m.input[i]).toBe(ids[i]);
  });

  it('repeats from its seed; a batch with one ordinary token still gets one target; all-special gets none', () => {
    const opts = { maskId: 4, randomFrom: 5, vocabSize, special };
    const a = maskTokens(ids.subarray(0, 500), { ...opts, generator: new Generator(3) });
    const b = maskTokens(ids.subarray(0, 500), { ...opts, generator: new Generator(3) });
    expect(Array.from(a.input)).toEqual(Array.from(b.input));
    const one = maskTokens(Int32Array.of(1, 9, 2), { ...opts, generator: new Generator(1) });
    expect(Array.from(one.positions)).toEqual([1]);
    expect(Array.from(one.targets)).toEqual([9]);
    expect(maskTokens(Int32Array.of(1, 2), { ...opts, generator: new Generator(1) }).positions).toHaveLength(
      0,
    );
    expect(() => maskTokens(ids, { ...opts, probability: 0, generator: new Generator(1) })).toThrow(
      'maskTokens: probability must be in (0, 1], got 0',
    );
  });
});
