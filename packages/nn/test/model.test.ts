import { loadSafetensors, Module, relu, saveSafetensors, scope, type Tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { BatchNorm2d, Conv2d, Linear, LSTM } from '../src/index.js';
import { compare, type RawTensor, readFixture, toTensor } from './fixtures.js';

/** The Myelin twin of tools/nn_fixtures_model.py's SmallModel, with the same child names. */
class SmallModel extends Module {
  conv = new Conv2d(1, 4, 3, { padding: 1 });
  bn = new BatchNorm2d(4);
  lstm = new LSTM(4, 8, { numLayers: 2, batchFirst: true, bidirectional: true });
  head = new Linear(16, 3);

  forward(x: Tensor): Tensor {
    const y = relu(this.bn.forward(this.conv.forward(x)));
    const seq = y.mean(2).transpose(1, 2);
    const [out] = this.lstm.forward(seq);
    return this.head.forward(out.slice(null, -1));
  }
}

const expected = JSON.parse(new TextDecoder().decode(readFixture('small_model.expected.json'))) as {
  names: string[];
  dtypes: Record<string, string>;
  input: RawTensor;
  eval: RawTensor;
  train: RawTensor;
  runningMeanAfterTrain: RawTensor;
};

describe('a PyTorch state_dict saved as safetensors', () => {
  it('has exactly the keys of the Myelin model (PyTorch names, num_batches_tracked as I64)', () => {
    const model = new SmallModel();
    expect(Object.keys(model.stateDict()).sort()).toEqual([...expected.names].sort());
    expect(expected.dtypes['bn.num_batches_tracked']).toBe('I64');
    model.dispose();
  });

  it('loads by name with loadSafetensors + loadStateDict and gives PyTorch’s outputs', () => {
    const model = new SmallModel();
    const { tensors } = loadSafetensors(readFixture('small_model.safetensors'));
    const { missing, unexpected } = model.loadStateDict(tensors);
    expect([missing, unexpected]).toEqual([[], []]);
    for (const t of Object.values(tensors)) t.dispose();
    expect(model.bn.numBatchesTracked!.item()).toBe(5);
    scope(() => {
      const x = toTensor(expected.input);
      model.eval();
      expect(compare('eval output', model.forward(x), expected.eval, 1e-4, 1e-5)).toBeNull();
      model.train();
      expect(compare('train output', model.forward(x), expected.train, 1e-4, 1e-5)).toBeNull();
      expect(
        compare('running mean', model.bn.runningMean!, expected.runningMeanAfterTrain, 1e-4, 1e-6),
      ).toBeNull();
      expect(model.bn.numBatchesTracked!.item()).toBe(6);
    });
    model.dispose();
  });

  it('round-trips through saveSafetensors', async () => {
    const a = new SmallModel();
    const bytes = await saveSafetensors(a.stateDict());
    const b = new SmallModel();
    const { tensors } = loadSafetensors(bytes);
    b.loadStateDict(tensors);
    for (const t of Object.values(tensors)) t.dispose();
    for (const [k, v] of Object.entries(a.stateDict()))
      expect(b.stateDict()[k]!.arraySync(), k).toEqual(v.arraySync());
    a.dispose();
    b.dispose();
  });
});
