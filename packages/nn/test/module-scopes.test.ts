import { Module, memory, randn, scope, type Tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  BatchNorm2d,
  Conv2d,
  Linear,
  LSTM,
  ModuleList,
  MultiheadAttention,
  Sequential,
} from '../src/index.js';

/**
 * Issue 19: a layer called outside any `scope()` frees its own temporaries (Module runs `forward`
 * in a scope when none encloses the call), leaving exactly the tensors it returns; the values,
 * the gradients and the buffer updates are those of the same call inside a scope.
 */
function leftBehind<T>(call: () => T, returned: number): { value: T; extra: number } {
  const before = memory().tensors;
  const value = call();
  return { value, extra: memory().tensors - before - returned };
}

const close = (a: Tensor, b: Tensor) => expect([...a.dataSync()]).toEqual([...b.dataSync()]);

describe('Module.forward outside any scope leaves only its outputs', () => {
  it('LSTM over 5 steps: output, h and c, and nothing else', () => {
    const lstm = new LSTM(4, 8, { numLayers: 2 });
    const x = randn([5, 2, 4], { seed: 1 });
    const { value, extra } = leftBehind(() => lstm.forward(x), 3);
    expect(extra).toBe(0);
    const [out, [h, c]] = value;
    scope(() => {
      const [o2, [h2, c2]] = lstm.forward(x);
      close(out, o2);
      close(h, h2);
      close(c, c2);
    });
    for (const t of [out, h, c, x]) t.dispose();
    lstm.dispose();
  });

  it('MultiheadAttention: output and weights', () => {
    const mha = new MultiheadAttention(8, 2);
    const q = randn([3, 2, 8], { seed: 2 });
    const { value, extra } = leftBehind(() => mha.forward(q, q, q), 2);
    expect(extra).toBe(0);
    const [out, weights] = value;
    expect(out.shape).toEqual([3, 2, 8]);
    expect(weights?.shape).toEqual([2, 3, 3]);
    out.dispose();
    weights?.dispose();
    const noWeights = leftBehind(() => mha.forward(q, q, q, { needWeights: false }), 1);
    expect([noWeights.extra, noWeights.value[1]]).toEqual([0, null]);
    noWeights.value[0].dispose();
    q.dispose();
    mha.dispose();
  });

  it('Conv2d + BatchNorm2d in training: one output, running statistics updated, gradients flow', () => {
    const conv = new Conv2d(1, 3, 3, { padding: 1 });
    const bn = new BatchNorm2d(3);
    const model = new Sequential(conv, bn);
    const x = randn([2, 1, 5, 5], { seed: 3 });
    const { value: y, extra } = leftBehind(() => model.forward(x), 1);
    expect(extra).toBe(0);
    // the running mean moved from 0 by momentum · batch mean of the conv output (PyTorch's update)
    const batchMean = scope(() => conv.forward(x).mean([0, 2, 3]).mul(0.1).dataSync());
    const running = bn.running_mean!.dataSync();
    for (let i = 0; i < 3; i++) expect(running[i]).toBeCloseTo(batchMean[i]!, 6);
    const loss = y.square().mean();
    loss.backward();
    expect(conv.weight.grad?.shape).toEqual([3, 1, 3, 3]);
    for (const t of [y, loss, x]) t.dispose();
    model.zeroGrad();
    model.dispose();
  });

  it('inside a scope, an intermediate captured by a hook lives until that scope closes', () => {
    const inner = new Linear(3, 3);
    const model = new Sequential(inner, new Linear(3, 1));
    const x = randn([2, 3], { seed: 4 });
    const original = inner.forward;
    let captured: Tensor | undefined;
    inner.forward = (input: Tensor) => {
      captured = original.call(inner, input);
      return captured;
    };
    const before = memory().tensors;
    scope(() => {
      model.forward(x);
      expect(captured!.isDisposed).toBe(false);
      expect(captured!.shape).toEqual([2, 3]);
    });
    expect([captured!.isDisposed, memory().tensors - before]).toEqual([true, 0]);
    x.dispose();
    model.dispose();
  });

  it('is typed on Module: generic code calls forward without a cast; instances get no own forward', () => {
    const models: Module[] = [new Linear(2, 1)];
    const x = randn([1, 2], { seed: 5 });
    const y: Tensor = models[0]!.forward(x);
    expect(y.shape).toEqual([1, 1]);
    expect(Object.hasOwn(models[0]!, 'forward')).toBe(false);
    // a container without a forward still has none
    expect(typeof new ModuleList([]).forward).toBe('undefined');
    for (const t of [x, y]) t.dispose();
  });

  it('tensors a forward leaves in an array it was given (an attention sink) survive; its temporaries do not', () => {
    class Probe extends Module {
      readonly fc = new Linear(4, 4);
      forward(x: Tensor, sink: Tensor[]): Tensor {
        const h = this.fc.forward(x).relu();
        sink.push(h.mul(2));
        return h.sum();
      }
    }
    const probe = new Probe();
    const x = randn([3, 4], { seed: 2 });
    const sink: Tensor[] = [];
    const { value, extra } = leftBehind(() => probe.forward(x, sink), 2);
    expect(extra).toBe(0);
    expect(sink).toHaveLength(1);
    expect(sink[0]!.shape).toEqual([3, 4]);
    expect(sink[0]!.dataSync().every((v) => v >= 0)).toBe(true);
    for (const t of [value, sink[0]!, x]) t.dispose();
    probe.dispose();
  });
});
