import {
  loadSafetensors,
  Module,
  Parameter,
  saveSafetensors,
  type Tensor,
  tensor,
  Variable,
  zeros,
} from '@myelin/core';
import { describe, expect, it } from 'vitest';

class Lin extends Module {
  weight: Parameter;
  bias: Parameter;
  constructor(i: number, o: number) {
    super();
    this.weight = new Parameter(zeros([o, i]).add(0.5));
    this.bias = new Parameter(zeros([o]));
  }
  forward(x: Tensor): Tensor {
    return x.matmul(this.weight.transpose()).add(this.bias);
  }
}

class Net extends Module {
  layers = [new Lin(3, 4), new Lin(4, 2)];
  runningMean = new Variable(zeros([2]));
  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, l) => l.forward(h).tanh(), x);
  }
}

describe('Module', () => {
  it('names parameters and buffers with PyTorch dotted paths', () => {
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'layers.0.weight',
      'layers.0.bias',
      'layers.1.weight',
      'layers.1.bias',
    ]);
    // PyTorch's order: a module's own parameters and buffers, then its children's.
    expect(Object.keys(net.stateDict())).toEqual([
      'runningMean',
      'layers.0.weight',
      'layers.0.bias',
      'layers.1.weight',
      'layers.1.bias',
    ]);
    expect(net.numParameters()).toBe(3 * 4 + 4 + 4 * 2 + 2);
    net.dispose();
  });

  it('train()/eval() reach every child', () => {
    const net = new Net().eval();
    expect(net.layers.every((l) => !l.training)).toBe(true);
    net.train();
    expect(net.layers[1]!.training).toBe(true);
    net.dispose();
  });

  it('loadStateDict copies by name and reports mismatches', () => {
    const net = new Net();
    const w = tensor([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
      [10, 11, 12],
    ]);
    const state: Record<string, Tensor> = { ...net.stateDict(), 'layers.0.weight': w };
    net.loadStateDict(state);
    expect(Array.from(net.layers[0]!.weight.dataSync())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(() => net.loadStateDict({ ...state, 'layers.0.weight': zeros([2, 2]) })).toThrow(
      /shape mismatch: layers.0.weight: expected \[4,3\], got \[2,2\]/,
    );
    const { 'layers.1.bias': _, ...partial } = state;
    expect(() => net.loadStateDict(partial)).toThrow(/missing: layers.1.bias/);
    expect(net.loadStateDict(partial, { strict: false }).missing).toEqual(['layers.1.bias']);
    net.dispose();
  });

  it('a state dict round-trips through safetensors and gives the same outputs', async () => {
    const a = new Net();
    a.layers[0]!.weight.assign(
      tensor([
        [0.1, -0.2, 0.3],
        [0.4, 0.5, -0.6],
        [0.7, 0.8, 0.9],
        [-1, 1.1, 1.2],
      ]),
    );
    const bytes = await saveSafetensors(a.stateDict());
    const b = new Net();
    const { tensors } = loadSafetensors(bytes);
    b.loadStateDict(tensors);
    const x = tensor([[1, 2, 3]]);
    expect(Array.from(b.forward(x).dataSync())).toEqual(Array.from(a.forward(x).dataSync()));
    a.dispose();
    b.dispose();
  });
});

describe('shared parameters', () => {
  it('a parameter reachable by two paths is listed once in parameters() but under both names in stateDict()', () => {
    class Tied extends Module {
      a = new Lin(2, 2);
      b = this.a;
      forward(x: Tensor): Tensor {
        return this.b.forward(this.a.forward(x));
      }
    }
    const m = new Tied();
    expect(m.namedParameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias']);
    expect(m.numParameters()).toBe(6);
    expect(Object.keys(m.stateDict())).toEqual(['a.weight', 'a.bias', 'b.weight', 'b.bias']);
    m.dispose();
  });
});
