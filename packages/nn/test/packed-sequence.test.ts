import { readFileSync } from 'node:fs';
import { memory, randn, scope, type Tensor, tensor, type Variable, variable } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  GRU,
  isPackedSequence,
  LSTM,
  packedSequence,
  packPaddedSequence,
  packSequence,
  padPackedSequence,
  padSequence,
  RNN,
} from '../src/index.js';
import { buildModule, compare, DEFAULT_TOL, type NNCase, type RawTensor, toTensor } from './fixtures.js';

// torch.nn.utils.rnn and the recurrent layers on packed ragged batches, against PyTorch 1.13
// (tools/gen_nn21_seq_fixtures.py): pack_padded_sequence → module → pad_packed_sequence, with the
// packed data, padded outputs, final states and every gradient.

interface PackedCase extends NNCase {
  packed: { lengths: number[]; batchFirst: boolean; enforceSorted: boolean };
}
interface PackCase {
  name: string;
  kind: 'packPadded' | 'padSequence' | 'packSequence';
  x?: RawTensor;
  seqs?: RawTensor[];
  lengths?: number[];
  batchFirst?: boolean;
  enforceSorted?: boolean;
  totalLength?: number | null;
  paddingValue?: number;
  data?: RawTensor;
  batchSizes?: number[];
  sortedIndices?: number[] | null;
  unsortedIndices?: number[] | null;
  padded: RawTensor;
  paddedLengths?: number[];
}
const file = JSON.parse(readFileSync(new URL('../fixtures/nn21-seq.json', import.meta.url), 'utf8')) as {
  packed: PackedCase[];
  pack: PackCase[];
};

const ints = (a: Int32Array | null) => (a ? Array.from(a) : null);

describe('pack / pad match torch.nn.utils.rnn', () => {
  it.each(file.pack.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    scope(() => {
      if (c.kind === 'padSequence') {
        const got = padSequence(c.seqs!.map(toTensor), {
          batchFirst: c.batchFirst,
          paddingValue: c.paddingValue,
        });
        expect(compare('padded', got, c.padded, 1e-6, 1e-7)).toBeNull();
        return;
      }
      const p =
        c.kind === 'packSequence'
          ? packSequence(c.seqs!.map(toTensor), { enforceSorted: false })
          : packPaddedSequence(toTensor(c.x!), c.lengths!, {
              batchFirst: c.batchFirst,
              enforceSorted: c.enforceSorted,
            });
      expect(isPackedSequence(p)).toBe(true);
      expect(compare('data', p.data, c.data!, 1e-6, 1e-7)).toBeNull();
      expect(Array.from(p.batchSizes)).toEqual(c.batchSizes);
      expect(ints(p.sortedIndices)).toEqual(c.sortedIndices);
      expect(ints(p.unsortedIndices)).toEqual(c.unsortedIndices);
      if (c.kind === 'packPadded') {
        const [padded, lengths] = padPackedSequence(p, {
          batchFirst: c.batchFirst,
          paddingValue: -1.5,
          totalLength: c.totalLength ?? undefined,
        });
        expect(compare('padded', padded, c.padded, 1e-6, 1e-7)).toBeNull();
        expect(Array.from(lengths.dataSync())).toEqual(c.paddedLengths);
      }
    });
  });

  it('packing and unpacking pass gradients back to the padded input (padding gets 0)', () => {
    scope(() => {
      const x = variable(randn([3, 2, 2], { seed: 1 }));
      const p = packPaddedSequence(x, [3, 1]);
      const [y] = padPackedSequence(p);
      y.mul(2).sum().backward();
      // [t, b] live when t < length(b): (0,0) (0,1) (1,0) (2,0)
      const g = Array.from(x.grad!.dataSync());
      expect(g).toEqual([2, 2, 2, 2, 2, 2, 0, 0, 2, 2, 0, 0]);
      x.dispose();
    });
  });

  it('lengths may be an int tensor or a typed array; a float tensor is refused', () => {
    scope(() => {
      const x = randn([3, 2, 1], { seed: 3 });
      const a = packPaddedSequence(x, tensor([1, 3], { dtype: 'int32' }), { enforceSorted: false });
      const b = packPaddedSequence(x, Int32Array.from([1, 3]), { enforceSorted: false });
      expect(Array.from(a.batchSizes)).toEqual([2, 1, 1]);
      expect(ints(a.sortedIndices)).toEqual([1, 0]);
      expect(Array.from(a.data.dataSync())).toEqual(Array.from(b.data.dataSync()));
      expect(() => packPaddedSequence(x, tensor([1, 3]))).toThrow(
        /packPaddedSequence: lengths must be a 1-D integer tensor or an array, got a float32 tensor/,
      );
    });
  });

  it('padSequence takes empty sequences and a single one', () => {
    scope(() => {
      const y = padSequence([tensor([1, 2], { shape: [2, 1] }), tensor([], { shape: [0, 1] })], {
        batchFirst: true,
        paddingValue: 9,
      });
      expect(y.shape).toEqual([2, 2, 1]);
      expect(Array.from(y.dataSync())).toEqual([1, 2, 9, 9]);
      expect(padSequence([tensor([5])]).shape).toEqual([1, 1]);
    });
  });

  it('rejects bad input clearly', () => {
    scope(() => {
      const x = randn([3, 2, 1]);
      expect(() => packPaddedSequence(x, [3, 0])).toThrow(
        /packPaddedSequence: every length must be a positive integer \(a sequence of length 0 cannot be packed\), got \[3, 0\]/,
      );
      expect(() => packPaddedSequence(x, [1, 3])).toThrow(
        /packPaddedSequence: lengths must be sorted in decreasing order .* got \[1, 3\]; pass enforceSorted: false/,
      );
      expect(() => packPaddedSequence(x, [4, 1])).toThrow(/packPaddedSequence: length 4 exceeds the 3 steps/);
      expect(() => packPaddedSequence(x, [3])).toThrow(/packPaddedSequence: got 1 lengths for a batch of 2/);
      expect(() => packPaddedSequence(randn([3]), [3])).toThrow(
        /packPaddedSequence: input must be \[T, batch, \*\]/,
      );
      expect(() => packSequence([randn([2, 1]), randn([0, 1])])).toThrow(
        /packSequence: every sequence needs at least one step/,
      );
      expect(() => padSequence([randn([2, 1]), randn([2, 2])])).toThrow(
        /padSequence: sequence 1 has shape \[2,2\] but sequence 0 has \[2,1\]/,
      );
      expect(() => padSequence([])).toThrow(/padSequence: expected a non-empty array/);
      const p = packPaddedSequence(x, [3, 2]);
      expect(() => padPackedSequence(p, { totalLength: 2 })).toThrow(
        /padPackedSequence: totalLength must be an integer at least the longest sequence \(3\), got 2/,
      );
      expect(() => padPackedSequence(x as never)).toThrow(/padPackedSequence: expected a PackedSequence/);
      expect(() => packedSequence(randn([4, 1]), [2, 3])).toThrow(
        /packedSequence: batchSizes must be positive and non-increasing/,
      );
      expect(() => packedSequence(randn([4, 1]), [2, 1])).toThrow(
        /packedSequence: batchSizes sum to 3 but data has 4 rows/,
      );
      expect(() => packedSequence(randn([3, 1]), [2, 1], [0, 0])).toThrow(
        /sortedIndices must be a permutation of 0…1/,
      );
    });
  });
});

/** The packed forward of a case: pack, run, pad; returns [padded, packed data, ...states]. */
function runPacked(c: PackedCase, m: unknown, x: Tensor, states: Tensor[]): Tensor[] {
  const { lengths, batchFirst, enforceSorted } = c.packed;
  const p = packPaddedSequence(x, lengths, { batchFirst, enforceSorted });
  if (c.module === 'LSTM') {
    const [o, [h, cc]] = (m as LSTM).forwardPacked(p, states.length ? [states[0]!, states[1]!] : null);
    return [padPackedSequence(o, { batchFirst })[0], o.data, h, cc];
  }
  const [o, h] = (m as GRU).forwardPacked(p, states[0] ?? null);
  return [padPackedSequence(o, { batchFirst })[0], o.data, h];
}

describe('RNN / LSTM / GRU on packed ragged batches match PyTorch', () => {
  it.each(file.packed.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const tol = { ...DEFAULT_TOL, ...(c.tolerance ?? {}) };
    const m = buildModule(c.module!, c.args ?? [], c.options);
    scope(() =>
      m.loadStateDict(Object.fromEntries(Object.entries(c.state!).map(([k, v]) => [k, toTensor(v)]))),
    );
    const before = memory().tensors;
    const errors: string[] = [];
    scope(() => {
      const leaves: Variable[] = c.inputs.map((r) => variable(toTensor(r)));
      const outs = runPacked(c, m, leaves[0]!, leaves.slice(1));
      expect(outs.length).toBe(c.outputs.length);
      outs.forEach((o, i) => {
        const e = compare(`output ${i}`, o, c.outputs[i]!, tol.rtol, tol.atol);
        if (e) errors.push(e);
      });
      let total = outs[0]!.mul(toTensor(c.cotangents[0]!)).sum();
      for (let i = 1; i < outs.length; i++) total = total.add(outs[i]!.mul(toTensor(c.cotangents[i]!)).sum());
      total.backward();
      c.grads.forEach((g, i) => {
        const e = g && compare(`grad of input ${i}`, leaves[i]!.grad!, g, tol.gradRtol, tol.gradAtol);
        if (e) errors.push(e);
      });
      const params = Object.fromEntries(m.namedParameters());
      for (const [k, g] of Object.entries(c.paramGrads ?? {})) {
        const e = compare(`grad of ${k}`, params[k]!.grad!, g, tol.gradRtol, tol.gradAtol);
        if (e) errors.push(e);
      }
      m.zeroGrad();
      for (const l of leaves) l.dispose();
    });
    expect(errors).toEqual([]);
    expect(memory().tensors).toBe(before);
    m.dispose();
  });

  it('forward() given a PackedSequence runs the packed path too', () => {
    const rnn = new RNN(2, 3, { seed: 1 });
    scope(() => {
      const x = randn([3, 2, 2], { seed: 2 });
      const p = packPaddedSequence(x, [3, 2]);
      const [a] = rnn.forwardPacked(p);
      const [b] = rnn.forward(p as never) as unknown as [typeof p];
      expect(Array.from(b.data.dataSync())).toEqual(Array.from(a.data.dataSync()));
    });
    rnn.dispose();
  });

  it('a packed batch of equal lengths gives the padded forward exactly', () => {
    const gru = new GRU(2, 3, { bidirectional: true, numLayers: 2, seed: 3 });
    scope(() => {
      const x = randn([4, 3, 2], { seed: 5 });
      const [full, hFull] = gru.forward(x);
      const [o, h] = gru.forwardPacked(packPaddedSequence(x, [4, 4, 4]));
      const [padded] = padPackedSequence(o);
      const a = padded.dataSync();
      const b = full.dataSync();
      for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 6);
      const ha = h.dataSync();
      const hb = hFull.dataSync();
      for (let i = 0; i < ha.length; i++) expect(ha[i]).toBeCloseTo(hb[i]!, 6);
    });
    gru.dispose();
  });

  it('rejects packed data of the wrong width and states of the wrong shape', () => {
    const lstm = new LSTM(2, 3, { seed: 1 });
    scope(() => {
      const p = packPaddedSequence(randn([3, 2, 4]), [3, 1]);
      expect(() => lstm.forwardPacked(p)).toThrow(/LSTM: packed data must be \[Σ lengths, 2\], got \[4,4\]/);
      const q = packPaddedSequence(randn([3, 2, 2]), [3, 1]);
      expect(() => lstm.forwardPacked(q, [randn([1, 3, 3]), randn([1, 2, 3])])).toThrow(
        /LSTM: h0 must be \[1,2,3\], got \[1,3,3\]/,
      );
    });
    lstm.dispose();
  });
});

describe('LSTM forgetBias (Jozefowicz et al., 2015)', () => {
  it('sets the forget slice of b_ih to the value and of b_hh to 0, in every layer and direction', () => {
    const lstm = new LSTM(2, 3, { numLayers: 2, bidirectional: true, forgetBias: 1, seed: 7 });
    const plain = new LSTM(2, 3, { numLayers: 2, bidirectional: true, seed: 7 });
    const sd = lstm.stateDict();
    const sp = plain.stateDict();
    let seen = 0;
    for (const k of Object.keys(sd)) {
      if (!k.startsWith('bias_')) {
        expect(Array.from(sd[k]!.dataSync()), k).toEqual(Array.from(sp[k]!.dataSync()));
        continue;
      }
      seen++;
      const v = Array.from(sd[k]!.dataSync());
      const u = Array.from(sp[k]!.dataSync());
      const fill = k.startsWith('bias_ih') ? 1 : 0;
      expect(v.slice(3, 6), k).toEqual([fill, fill, fill]);
      expect(v.slice(0, 3), k).toEqual(u.slice(0, 3));
      expect(v.slice(6), k).toEqual(u.slice(6));
    }
    expect(seen).toBe(8);
    lstm.dispose();
    plain.dispose();
  });

  it('is off by default and needs biases', () => {
    expect(() => new LSTM(2, 3, { bias: false, forgetBias: 1 })).toThrow(/LSTM: forgetBias needs bias: true/);
    expect(() => new LSTM(2, 3, { forgetBias: Number.NaN })).toThrow(
      /LSTM: forgetBias must be a finite number, got NaN/,
    );
  });
});
