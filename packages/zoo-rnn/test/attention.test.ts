import { readFileSync } from 'node:fs';
import { memory, type Tensor, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  AdditiveAttention,
  type AttentionScore,
  attention,
  ConcatAttention,
  LuongAttention,
} from '../src/index.js';

/** Golden numbers: tools/gen_zoo_rnn_series_fixtures.py (PyTorch 1.13, the papers' equations). */
const fx = JSON.parse(readFileSync(new URL('../fixtures/series.json', import.meta.url), 'utf8'));
const A = fx.attention;

const t = (v: unknown, shape?: number[]) => tensor(v as number[], shape ? { shape } : {});
function set(p: Tensor, v: unknown) {
  (p as unknown as { assign(x: Tensor): void }).assign(t(v));
}

function expectClose(got: ArrayLike<number>, want: number[], tol = 1e-5) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(tol);
}

function build(score: AttentionScore) {
  const m = attention(score, 4, 4, { attentionDim: 5, seed: 1 });
  const P = A.params;
  if (m instanceof AdditiveAttention) {
    set(m.query.weight, P['query.weight']);
    set(m.key.weight, P['key.weight']);
    set(m.key.bias!, P['key.bias']);
    set(m.v.weight, P['v.weight']);
  } else if (m instanceof ConcatAttention) {
    set(m.Wa.weight, P['Wa_concat.weight']);
    set(m.v.weight, P['v_concat.weight']);
  } else if (m instanceof LuongAttention && m.Wa) set(m.Wa.weight, P['Wa_general.weight']);
  return m;
}

describe('attention scores match PyTorch (Bahdanau additive; Luong dot, general, concat)', () => {
  for (const score of ['bahdanau', 'dot', 'general', 'concat'] as const) {
    it(`${score}: weights and context over a batch with a padded position`, async () => {
      const m = build(score);
      const q = t(A.query);
      const keys = t(A.keys);
      const mask = tensor(A.mask as boolean[][], { dtype: 'bool' });
      const { context, weights } = m.forward(q, keys, mask);
      expect(weights.shape).toEqual([2, 3]);
      expect(context.shape).toEqual([2, 4]);
      expectClose(await weights.data(), A.expected[score].weights.flat());
      expectClose(await context.data(), A.expected[score].context.flat());
      // The padded position gets no weight.
      expect((await weights.data())[5]).toBe(0);
      for (const x of [q, keys, mask, context, weights]) x.dispose();
      m.dispose();
    });
  }

  it('batch 1 and a single source position: the context is that position', async () => {
    const m = attention('general', 3, 2, { seed: 2 });
    const keys = t([[[0.5, -1]]]);
    const { context, weights } = m.forward(t([[1, 2, 3]]), keys);
    expect([...(await weights.data())]).toEqual([1]);
    expectClose(await context.data(), [0.5, -1]);
    m.dispose();
  });

  it('names what it expected when the decoder state, the keys or the mask are the wrong shape', () => {
    const m = attention('bahdanau', 4, 6, { attentionDim: 3 });
    const keys = t(new Array(2 * 3 * 6).fill(0), [2, 3, 6]);
    expect(() => m.forward(t([1, 2, 3, 4], [1, 4]), keys)).toThrow(
      'AdditiveAttention: the keys (encoder outputs) should be [1, positions, 6], got [2,3,6]',
    );
    expect(() => m.forward(t(new Array(10).fill(0), [2, 5]), keys)).toThrow(
      'AdditiveAttention: the query (decoder state) should be [batch, 4], got [2,5]',
    );
    const badMask = tensor([[true, false]], { dtype: 'bool' });
    expect(() => m.forward(t(new Array(8).fill(0), [2, 4]), keys, badMask)).toThrow(
      'AdditiveAttention: the mask should be bool [2, 3] (true = padding), got bool [1,2]',
    );
    expect(() => attention('dot', 4, 6)).toThrow(
      'LuongAttention: the dot score needs queryDim = keyDim, got 4 and 6',
    );
    expect(() => attention('cosine' as AttentionScore, 4, 4)).toThrow(
      'attention: unknown score "cosine"; expected one of bahdanau, dot, general, concat',
    );
    m.dispose();
  });

  it('frees what it computes inside a scope: no tensors left behind', async () => {
    const { scope } = await import('@myelin/core');
    const m = attention('concat', 4, 4, { attentionDim: 5 });
    const q = t(A.query);
    const keys = t(A.keys);
    const before = memory().tensors;
    for (let i = 0; i < 3; i++)
      scope(() => {
        m.forward(q, keys).context.sum();
      });
    expect(memory().tensors).toBe(before);
    m.dispose();
  });
});
