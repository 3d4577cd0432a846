import { concat, Generator, memory, randn, scope, type Tensor, tensor } from '@myelin/core';
import { crossEntropy } from '@myelin/nn';
import { SGD } from '@myelin/optim';
import { describe, expect, it } from 'vitest';
import {
  CharLM,
  lengthMask,
  lengthsFromMask,
  padSequences,
  reverseWithinLengths,
  SequenceClassifier,
  SequenceTagger,
  StreamBatches,
  trainStep,
} from '../src/index.js';

const ids = (v: number[]) => tensor(Int32Array.from(v), { shape: [1, v.length], dtype: 'int32' });

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  expect(worst).toBeLessThan(tol);
}

/** Three sequences of lengths 5, 2 and 1 over a vocabulary of 11 (0 is padding). */
const SEQS = [[3, 7, 1, 9, 4], [10, 2], [5]];

describe('padSequences and masks', () => {
  it('pads at the end, records lengths and truncates from the head or the tail', () => {
    const p = padSequences(SEQS);
    expect([p.batch, p.steps]).toEqual([3, 5]);
    expect(Array.from(p.lengths)).toEqual([5, 2, 1]);
    expect(Array.from(p.ids)).toEqual([3, 7, 1, 9, 4, 10, 2, 0, 0, 0, 5, 0, 0, 0, 0]);
    const head = padSequences(SEQS, { maxLength: 3, padValue: -1 });
    expect(Array.from(head.ids)).toEqual([3, 7, 1, 10, 2, -1, 5, -1, -1]);
    const tail = padSequences(SEQS, { maxLength: 3, truncate: 'tail' });
    expect(Array.from(tail.ids)).toEqual([1, 9, 4, 10, 2, 0, 5, 0, 0]);
    expect(Array.from(tail.lengths)).toEqual([3, 2, 1]);
    // batch of one, and an empty sequence (length 0, one padded step)
    expect(Array.from(padSequences([[4]]).ids)).toEqual([4]);
    const empty = padSequences([[]]);
    expect([empty.steps, empty.lengths[0]]).toEqual([1, 0]);
  });

  it('bad input names padSequences and what it expected', () => {
    expect(() => padSequences([])).toThrow('padSequences: expected at least one sequence, got none');
    expect(() => padSequences([[1.5]])).toThrow(
      'padSequences: sequence 0 holds 1.5 at step 0; expected integers',
    );
    expect(() => padSequences([[1]], { maxLength: 0 })).toThrow('maxLength must be an integer ≥ 1, got 0');
  });

  it('lengthMask, lengthsFromMask and the within-length reversal agree with the lengths', async () => {
    const m = lengthMask([3, 1], 4);
    expect(Array.from(await m.data(), Number)).toEqual([1, 1, 1, 0, 1, 0, 0, 0]);
    expect(Array.from(lengthsFromMask('t', m, [1, 1, 1, 0, 1, 0, 0, 0]))).toEqual([3, 1]);
    expect(() => lengthsFromMask('t', m, [1, 0, 1, 0, 1, 0, 0, 0])).toThrow(
      't: mask row 0 has a valid step 2 after padding at 1; expected padding only at the end',
    );
    // row 0 (length 3): 2 1 0 | 3; row 1 (length 1): 4 | 5 6 7
    expect(Array.from(reverseWithinLengths([3, 1], 4))).toEqual([2, 1, 0, 3, 4, 5, 6, 7]);
  });
});

describe('padding never changes a result (padded batch = each sequence alone)', () => {
  const cases = [
    { cell: 'lstm', bidirectional: false, pooling: 'last' },
    { cell: 'lstm', bidirectional: true, pooling: 'last' },
    { cell: 'lstm', bidirectional: true, pooling: 'mean' },
    { cell: 'gru', bidirectional: true, pooling: 'max' },
    { cell: 'gru', bidirectional: false, pooling: 'max' },
  ] as const;
  for (const c of cases) {
    it(`SequenceClassifier, 2 layers, ${c.cell}, ${c.bidirectional ? 'bidirectional' : 'one direction'}, ${c.pooling} pooling`, async () => {
      const model = new SequenceClassifier({
        vocabSize: 11,
        embeddingDim: 6,
        hiddenSize: 5,
        numLayers: 2,
        numClasses: 3,
        seed: 7,
        ...c,
      });
      model.eval();
      const p = padSequences(SEQS);
      const batch = scope(() => model.forward(tensor(p.ids, { shape: [3, 5], dtype: 'int32' }), p.lengths));
      const alone = SEQS.map((s) => scope(() => model.forward(ids(s))));
      expect(batch.shape).toEqual([3, 3]);
      expectClose(await batch.data(), await concat(alone, 0).data());
      // Padding with other ids changes nothing either.
      const other = padSequences(SEQS, { padValue: 9 });
      const b2 = model.forward(tensor(other.ids, { shape: [3, 5], dtype: 'int32' }), other.lengths);
      expectClose(await b2.data(), await batch.data());
      for (const t of [batch, b2, ...alone]) t.dispose();
      model.dispose();
    });
  }

  it('SequenceTagger (bidirectional LSTM): the logits at every valid step equal the sequence alone', async () => {
    const model = new SequenceTagger({
      vocabSize: 11,
      embeddingDim: 4,
      hiddenSize: 3,
      numLayers: 2,
      bidirectional: true,
      numTags: 2,
      seed: 3,
    });
    const p = padSequences(SEQS);
    const out = await model.forward(tensor(p.ids, { shape: [3, 5], dtype: 'int32' }), p.lengths).data();
    for (const [b, s] of SEQS.entries()) {
      const alone = await model.forward(ids(s)).data();
      expectClose(out.slice(b * 5 * 2, (b * 5 + s.length) * 2), alone);
    }
    model.dispose();
  });

  it('the gradient of a padded batch equals the sum of the sequences alone (bidirectional GRU)', async () => {
    const model = new SequenceClassifier({
      vocabSize: 11,
      embeddingDim: 4,
      hiddenSize: 3,
      bidirectional: true,
      cell: 'gru',
      numClasses: 2,
      seed: 5,
    });
    const w = model.rnn.getParameter('weight_hh_l0_reverse');
    const p = padSequences(SEQS);
    scope(() =>
      crossEntropy(
        model.forward(tensor(p.ids, { shape: [3, 5], dtype: 'int32' }), p.lengths),
        tensor(Int32Array.of(0, 1, 1)),
        {
          reduction: 'sum',
        },
      ).backward(),
    );
    const batched = await w.grad!.data();
    model.zeroGrad();
    for (const [b, s] of SEQS.entries())
      scope(() => crossEntropy(model.forward(ids(s)), tensor(Int32Array.of(b === 0 ? 0 : 1))).backward());
    expectClose(batched, await w.grad!.data());
    model.dispose();
  });

  it('raw features with lengths (rows of an image): batch of one and size-1 steps', async () => {
    const model = new SequenceClassifier({
      inputSize: 4,
      hiddenSize: 3,
      numClasses: 2,
      bidirectional: true,
      seed: 1,
    });
    const x = randn([2, 3, 4], { seed: 2 });
    const out = await model.forward(x, [3, 1]).data();
    const [a, b] = x.split(1, 0) as [Tensor, Tensor];
    expectClose(out.slice(0, 2), await model.forward(a).data());
    expectClose(out.slice(2, 4), await model.forward(b.split(1, 1)[0]!).data());
    model.dispose();
  });
});

describe('bad input gets an error naming what was expected', () => {
  const model = new SequenceClassifier({ vocabSize: 11, hiddenSize: 3, numClasses: 2, seed: 1 });
  it('token ids outside the vocabulary', () => {
    expect(() => model.forward(ids([3, 11]))).toThrow(
      'SequenceClassifier: token id 11 at position 1 is outside the vocabulary; expected an id in [0, 11)',
    );
    expect(() => model.forward(ids([-1]))).toThrow('token id -1 at position 0');
  });
  it('lengths that do not match the batch', () => {
    const x = tensor(new Int32Array(6), { shape: [2, 3], dtype: 'int32' });
    expect(() => model.forward(x, [3])).toThrow(
      'SequenceClassifier: got 1 lengths for a batch of 2; expected one per sequence',
    );
    expect(() => model.forward(x, [3, 4])).toThrow(
      'SequenceClassifier: length 1 is 4; expected an integer in [1, 3] (the padded steps)',
    );
    expect(() => model.forward(x, [3, 0])).toThrow('length 1 is 0');
    expect(() => model.forward(x, lengthMask([3, 1, 2], 3))).toThrow(
      'SequenceClassifier: the mask must be [2, 3] like the batch, got [3,3]',
    );
    expect(() =>
      model.forward(x, tensor(Uint8Array.of(1, 0, 1, 1, 1, 1), { shape: [2, 3], dtype: 'bool' })),
    ).toThrow(
      'SequenceClassifier: mask row 0 has a valid step 2 after padding at 1; expected padding only at the end',
    );
  });
  it('a mask gives the same result as the lengths', async () => {
    const x = tensor(Int32Array.of(3, 4, 5, 6, 7, 0), { shape: [2, 3], dtype: 'int32' });
    const a = await model.forward(x, [3, 2]).data();
    expectClose(await model.forward(x, lengthMask([3, 2], 3)).data(), a, 1e-7);
  });
  it('inputs of the wrong kind or size', () => {
    expect(() => model.forward(randn([2, 3]))).toThrow(
      'SequenceClassifier: expected token ids [batch, steps] int32, got [2,3] float32',
    );
    const raw = new SequenceTagger({ inputSize: 4, hiddenSize: 3, numTags: 2 });
    expect(() => raw.forward(randn([2, 3, 5]))).toThrow(
      'SequenceTagger: expected features [batch, steps, 4], got [2,3,5]',
    );
    expect(() => new SequenceTagger({ hiddenSize: 3, numTags: 2 })).toThrow(
      'give vocabSize (token ids) or inputSize (raw features), exactly one; got neither',
    );
    raw.dispose();
  });
  it('a language-model state of the wrong shape', () => {
    const lm = new CharLM({ vocabSize: 5, hiddenSize: 4, numLayers: 2, seed: 1 });
    const bad = [randn([2, 1, 3]), randn([2, 1, 4])] as const;
    expect(() => lm.forward(ids([1, 2]), bad)).toThrow(
      'CharLM: state h must be [2,1,4] (layers, batch, hidden), got [2,1,3]',
    );
    expect(() => lm.forward(ids([1, 7]))).toThrow(
      'CharLM: token id 7 at position 1 is outside the vocabulary; expected an id in [0, 5)',
    );
    lm.dispose();
  });
});

describe('truncated BPTT and clipping', () => {
  it('StreamBatches: parallel streams, targets one character ahead, a shorter last window', () => {
    const s = new StreamBatches(
      Int32Array.from({ length: 23 }, (_, i) => i),
      2,
      4,
    );
    // streams of 11: [0…10] and [11…21]; windows over 10 predicted steps: 4, 4, 2
    expect([s.length, s.windows]).toEqual([11, 3]);
    const w0 = s.window(0);
    expect(Array.from(w0.x)).toEqual([0, 1, 2, 3, 11, 12, 13, 14]);
    expect(Array.from(w0.y)).toEqual([1, 2, 3, 4, 12, 13, 14, 15]);
    const w2 = s.window(2);
    expect([w2.n, ...w2.x]).toEqual([2, 8, 9, 19, 20]);
    expect(Array.from(w2.y)).toEqual([9, 10, 20, 21]);
    expect(() => s.window(3)).toThrow('StreamBatches.window: window 3 is outside [0, 3)');
    expect(() => new StreamBatches(Int32Array.of(1, 2, 3), 2, 4)).toThrow(
      'expected at least 2 ids per stream',
    );
  });

  it('carrying the state across windows gives the logits of the whole sequence', async () => {
    const lm = new CharLM({ vocabSize: 9, embeddingDim: 3, hiddenSize: 5, numLayers: 2, seed: 4 });
    const seq = [1, 4, 2, 8, 5, 7, 3];
    const [whole] = lm.forward(ids(seq));
    const [a, s] = lm.forward(ids(seq.slice(0, 3)));
    const [b] = lm.forward(ids(seq.slice(3)), [s[0].detach(), s[1].detach()]);
    expectClose(await whole.data(), await concat([a, b], 1).data());
    lm.dispose();
  });

  it('trainStep clips the gradient norm (SGD lr 1: the step is the clipped gradient)', async () => {
    const model = new SequenceClassifier({ vocabSize: 11, hiddenSize: 4, numClasses: 2, seed: 2 });
    const params = model.parameters();
    const before = await Promise.all(params.map(async (p) => Float32Array.from(await p.data())));
    const opt = new SGD(params, { lr: 1 });
    const x = tensor(Int32Array.from(SEQS[0]!), { shape: [1, 5], dtype: 'int32' });
    await trainStep(model, opt, 0.01, () => crossEntropy(model.forward(x), tensor(Int32Array.of(1))));
    let sq = 0;
    for (const [k, p] of params.entries()) {
      const after = await p.data();
      for (let i = 0; i < after.length; i++) sq += (after[i]! - before[k]![i]!) ** 2;
    }
    // clip_grad_norm_ scales by max_norm / (norm + 1e-6): the step's norm is 0.01 up to that epsilon.
    expect(Math.sqrt(sq)).toBeCloseTo(0.01, 5);
    opt.dispose();
    model.dispose();
  });

  it('a training step leaves no tensor behind', async () => {
    const model = new SequenceTagger({
      vocabSize: 11,
      hiddenSize: 4,
      numTags: 2,
      bidirectional: true,
      seed: 2,
    });
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    const p = padSequences(SEQS);
    const step = () =>
      trainStep(model, opt, 1, () =>
        crossEntropy(
          model.forward(tensor(p.ids, { shape: [3, 5], dtype: 'int32' }), p.lengths).reshape([15, 2]),
          tensor(Int32Array.from(p.ids, (v) => (v === 0 ? -100 : v % 2))),
        ),
      );
    await step();
    const live = memory().tensors;
    for (let i = 0; i < 3; i++) await step();
    expect(memory().tensors).toBe(live);
    opt.dispose();
    model.dispose();
  });
});

describe('sampling', () => {
  it('CharLM.sample is seeded and returns the asked length', () => {
    const lm = new CharLM({ vocabSize: 7, hiddenSize: 8, seed: 1 });
    const a = lm.sample([1, 2], 20, { temperature: 1, seed: 3 });
    const b = lm.sample([1, 2], 20, { temperature: 1, seed: 3 });
    expect(a.length).toBe(20);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(a.every((v) => v >= 0 && v < 7)).toBe(true);
    expect(lm.sample([1], 0).length).toBe(0);
    expect(() => lm.sample([], 3)).toThrow('CharLM.sample: the prompt is empty; expected at least one id');
    lm.dispose();
  });

  it('the generator draws reproducibly', () => {
    expect(new Generator(5).uniform(3)).toEqual(new Generator(5).uniform(3));
  });
});
