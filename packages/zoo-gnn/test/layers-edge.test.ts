import { noGrad, scope, tensor, zeros } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { GATConv, GCNConv, globalSumPool, SAGEConv } from '../src/layers/index.js';
import { expectClose } from './layers-fixture.js';

const noEdges = (n: number) => ({ numNodes: n, src: new Int32Array(0), dst: new Int32Array(0) });

describe('layers on graphs without edges and without nodes', () => {
  const x = () =>
    tensor([
      [1, -2],
      [0.5, 3],
      [2, 1],
    ]);
  it('SAGEConv: no neighbours aggregate to 0, leaving lin_l.bias + lin_r(x) (mean, max, lstm)', () => {
    noGrad(() =>
      scope(() => {
        for (const aggregator of ['mean', 'max', 'lstm'] as const) {
          const conv = new SAGEConv(2, 2, { aggregator, seed: 0 });
          const want = conv.lin_r!.forward(x()).add(conv.lin_l.bias!).dataSync();
          expectClose(conv.forward(x(), noEdges(3)).dataSync(), [...want], 1e-6, aggregator);
        }
      }),
    );
  });
  it('GATConv with self-loops: each node attends to itself alone (weight 1)', () => {
    noGrad(() =>
      scope(() => {
        const conv = new GATConv(2, 2, { heads: 2, seed: 0 });
        const { out, alpha } = conv.forwardWithAttention(x(), noEdges(3));
        expect([...alpha.dataSync()]).toEqual([1, 1, 1, 1, 1, 1]);
        expectClose(out.dataSync(), [...conv.lin.forward(x()).add(conv.bias!).dataSync()], 1e-6);
      }),
    );
  });
  it('a graph of zero nodes gives zero rows', () => {
    noGrad(() =>
      scope(() => {
        const empty = zeros([0, 2]);
        expect(new GCNConv(2, 3).forward(empty, noEdges(0)).shape).toEqual([0, 3]);
        expect(new SAGEConv(2, 3).forward(empty, noEdges(0)).shape).toEqual([0, 3]);
        expect(new GATConv(2, 3, { heads: 2 }).forward(empty, noEdges(0)).shape).toEqual([0, 6]);
        expect([...globalSumPool(empty).dataSync()]).toEqual([0, 0]);
      }),
    );
  });
});
