import { readFileSync } from 'node:fs';
import { backward, type Module, scope, type Tensor, tensor, variable } from '@myelin/core';
import { expect } from 'vitest';
import type { GraphLike } from '../src/layers/graph.js';

/** Golden numbers: tools/gen_gnn_fixtures.py (PyTorch 1.13, dense adjacency maths, no sparse ops). */
export const fx = JSON.parse(readFileSync(new URL('../fixtures/layers.json', import.meta.url), 'utf8'));

export interface Stored {
  shape: number[];
  data: number[];
}

export interface LayerCase {
  params: Record<string, Stored>;
  out: Stored;
  R: number[];
  gradX: number[];
  grads: Record<string, number[]>;
}

export const t = (s: Stored): Tensor => tensor(s.data, { shape: s.shape });

/** The fixture's graph (7 nodes, 13 directed edges, node 6 with no incoming edge). */
export function fixtureGraph(
  options: { weighted?: boolean; typed?: boolean; batched?: boolean } = {},
): GraphLike {
  const g = fx.graph;
  return {
    numNodes: g.numNodes,
    src: Int32Array.from(g.src),
    dst: Int32Array.from(g.dst),
    edgeWeight: options.weighted ? Float32Array.from(g.edgeWeight) : undefined,
    edgeType: options.typed ? Int32Array.from(g.edgeType) : undefined,
    batch: options.batched ? Int32Array.from(g.batch) : undefined,
    numGraphs: options.batched ? 3 : 1,
  };
}

export function expectClose(got: ArrayLike<number>, want: readonly number[], tol = 1e-4, what = ''): void {
  expect(got.length, `${what} length`).toBe(want.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!));
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  expect(worst, `${what} worst relative error at ${at}: got ${got[at]}, want ${want[at]}`).toBeLessThan(tol);
}

/**
 * Load the case's parameters by name (strict: the names must be PyG's), run forward on the
 * fixture's features, compare the output and the gradients of sum(out · R).
 */
export function checkLayerCase(
  layer: Module,
  c: LayerCase,
  run: (x: Tensor) => Tensor,
  options: { tol?: number; skipParams?: string[] } = {},
): void {
  const tol = options.tol ?? 1e-4;
  scope(() => {
    layer.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, t(v)])));
    layer.zeroGrad();
    const x = variable(t(fx.x));
    const out = run(x);
    expect(out.shape).toEqual(c.out.shape);
    expectClose(out.dataSync(), c.out.data, tol, 'out');
    backward(out.mul(tensor(c.R, { shape: c.out.shape })).sum());
    expectClose(x.grad!.dataSync(), c.gradX, tol, 'grad x');
    const params = Object.fromEntries(layer.namedParameters());
    for (const [name, want] of Object.entries(c.grads)) {
      if (options.skipParams?.includes(name)) continue;
      const p = params[name];
      expect(p, `parameter ${name}`).toBeDefined();
      expectClose(p!.grad!.dataSync(), want, tol, `grad ${name}`);
    }
    layer.zeroGrad();
    x.dispose();
  });
}
