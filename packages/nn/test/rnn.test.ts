import { CpuBackend } from '@myelin/backend-cpu';
import {
  type Backend,
  getBackend,
  Module,
  memory,
  noGrad,
  randn,
  scope,
  type Tensor,
  use,
} from '@myelin/core';
import { afterAll, describe, expect, it } from 'vitest';
import { GRU, GRUCell, LSTM, LSTMCell, mseLoss, RNN } from '../src/index.js';

// The recurrent layers on core's fused cells: one input matmul per layer and direction, then per
// step one h·W_hhᵀ matmul and one fused cell call; the same numbers as core's decomposition of the
// cells into primitives. (Their numbers against PyTorch: pytorch.test.ts, fixtures/rnn.json.)

const CELLS = ['LstmCell', 'LstmCellGrad', 'GruCell', 'GruCellGrad'];

/** Kernel calls by name, counted by `countingCpu`. */
const calls = new Map<string, number>();

/** The CPU backend counting every kernel call; `withoutCells` also takes the fused cells out. */
function countingCpu(name: string, withoutCells = false): Backend {
  const b = new CpuBackend();
  const kernels: Record<string, (args: never) => unknown> = {};
  for (const [k, f] of Object.entries(b.kernels as Record<string, (args: never) => unknown>)) {
    if (withoutCells && CELLS.includes(k)) continue;
    kernels[k] = (args: never) => {
      calls.set(k, (calls.get(k) ?? 0) + 1);
      return f(args);
    };
  }
  Object.defineProperty(b, 'kernels', { value: kernels });
  Object.defineProperty(b, 'name', { value: name });
  return b;
}

const original = getBackend();
const fused = countingCpu('cpu-counting');
const plain = countingCpu('cpu-decomposed', true);

/** Outputs, final states and every parameter's gradient of Σ(out²) + Σ(hn²), as arrays. */
function forwardBackward(layer: Module, x: Tensor): number[][] {
  return scope(() => {
    const [out, state] = (layer as unknown as { forward(x: Tensor): [Tensor, Tensor | Tensor[]] }).forward(x);
    const states = Array.isArray(state) ? state : [state];
    let loss = out.square().sum();
    for (const s of states) loss = loss.add(s.square().sum());
    loss.backward();
    const res = [out, ...states, ...layer.parameters().map((p) => p.grad!)].map((t) =>
      Array.from(t.dataSync()),
    );
    layer.zeroGrad();
    return res;
  });
}

describe('LSTM and GRU on the fused cells', () => {
  afterAll(async () => {
    await use(original);
  });

  const layers: [string, () => Module][] = [
    [
      'LSTM 2 layers, bidirectional, batchFirst',
      () => new LSTM(3, 5, { numLayers: 2, bidirectional: true, batchFirst: true, seed: 1 }),
    ],
    ['LSTM with projSize 2', () => new LSTM(3, 4, { projSize: 2, seed: 2 })],
    ['LSTM without biases', () => new LSTM(3, 3, { bias: false, seed: 3 })],
    ['GRU 2 layers, bidirectional', () => new GRU(3, 4, { numLayers: 2, bidirectional: true, seed: 4 })],
    ['GRU without biases', () => new GRU(3, 2, { bias: false, seed: 5 })],
    ['RNN relu, 2 layers', () => new RNN(3, 4, { numLayers: 2, nonlinearity: 'relu', seed: 6 })],
  ];
  it.each(layers)(
    '%s: outputs, states and parameter gradients equal the decomposed cells',
    async (_name, make) => {
      const x = randn([4, 3, 3], { seed: 9 }).mul(1.5);
      const layer = make();
      await use(fused);
      const a = forwardBackward(layer, x);
      await use(plain);
      const b = forwardBackward(layer, x);
      await use(fused);
      expect(a.length).toBe(b.length);
      a.forEach((row, i) => {
        expect(row.length).toBe(b[i]!.length);
        row.forEach((v, j) => {
          expect(Math.abs(v - b[i]![j]!), `tensor ${i} element ${j}`).toBeLessThan(2e-5 * (1 + Math.abs(v)));
        });
      });
      layer.dispose();
      x.dispose();
    },
  );

  it('per layer and direction: one input matmul, then per step one matmul and one fused cell call', async () => {
    await use(fused);
    const T = 5;
    const x = randn([T, 2, 3], { seed: 10 });
    const count = (make: () => Module, run: (m: Module) => void) => {
      const m = make();
      calls.clear();
      noGrad(() => scope(() => run(m)));
      const got = {
        matmul: calls.get('MatMul') ?? 0,
        lstm: calls.get('LstmCell') ?? 0,
        gru: calls.get('GruCell') ?? 0,
      };
      m.dispose();
      return got;
    };
    // 2 layers × 2 directions: 4 input matmuls + 4·T recurrent ones, 4·T cell calls.
    expect(
      count(
        () => new LSTM(3, 4, { numLayers: 2, bidirectional: true }),
        (m) => (m as LSTM).forward(x),
      ),
    ).toEqual({ matmul: 4 + 4 * T, lstm: 4 * T, gru: 0 });
    expect(
      count(
        () => new GRU(3, 4, { numLayers: 2 }),
        (m) => (m as GRU).forward(x),
      ),
    ).toEqual({ matmul: 2 + 2 * T, lstm: 0, gru: 2 * T });
    // The projection adds one matmul per step.
    expect(
      count(
        () => new LSTM(3, 4, { projSize: 2 }),
        (m) => (m as LSTM).forward(x),
      ),
    ).toEqual({ matmul: 1 + 2 * T, lstm: T, gru: 0 });
    x.dispose();
  });

  it('backward runs each fused backward once per step', async () => {
    await use(fused);
    const T = 6;
    const x = randn([T, 2, 3], { seed: 11 });
    for (const [make, kernel] of [
      [() => new LSTM(3, 4, { seed: 1 }), 'LstmCellGrad'],
      [() => new GRU(3, 4, { seed: 2 }), 'GruCellGrad'],
    ] as const) {
      const m = make();
      calls.clear();
      scope(() => {
        const [out] = (m as LSTM | GRU).forward(x);
        out.sum().backward();
      });
      expect(calls.get(kernel), kernel).toBe(T);
      m.dispose();
    }
    x.dispose();
  });

  it('LSTMCell and GRUCell call the fused cells (unbatched input included)', async () => {
    await use(fused);
    const lstm = new LSTMCell(3, 4, { seed: 1 });
    const gru = new GRUCell(3, 4, { seed: 2 });
    calls.clear();
    scope(() => {
      const x = randn([3], { seed: 3 });
      const [h, c] = lstm.forward(x);
      expect(h.shape).toEqual([4]);
      expect(c.shape).toEqual([4]);
      expect(gru.forward(randn([2, 3], { seed: 4 })).shape).toEqual([2, 4]);
    });
    expect([calls.get('LstmCell'), calls.get('GruCell')]).toEqual([1, 1]);
    lstm.dispose();
    gru.dispose();
  });

  it('memory stays flat over training steps of a stacked bidirectional LSTM and a GRU', async () => {
    await use(fused);
    class Net extends Module {
      lstm = new LSTM(3, 6, { numLayers: 2, bidirectional: true, batchFirst: true, seed: 1 });
      gru = new GRU(12, 4, { batchFirst: true, seed: 2 });
      forward(x: Tensor): Tensor {
        const [h] = this.lstm.forward(x);
        const [g] = this.gru.forward(h);
        return g.mean(1);
      }
    }
    const net = new Net();
    const x = randn([5, 7, 3], { seed: 3 });
    const y = randn([5, 4], { seed: 4 });
    const losses: number[] = [];
    const counts: number[] = [];
    for (let step = 0; step < 6; step++) {
      scope(() => {
        const loss = mseLoss(net.forward(x), y);
        loss.backward();
        losses.push(loss.item());
        noGrad(() => {
          for (const p of net.parameters()) p.assign(p.sub(p.grad!.mul(0.2)));
        });
        net.zeroGrad();
      });
      counts.push(memory().tensors);
    }
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(losses[5]!).toBeLessThan(losses[0]!);
    x.dispose();
    y.dispose();
    net.dispose();
  });
});
