import { cpuBackend } from '@myelin/backend-cpu';
import * as core from '@myelin/core';
import {
  type AnyUnaryRow,
  COMPOSITES,
  grad,
  KERNEL_DTYPES,
  mul,
  PRIMITIVES,
  scope,
  sum,
  type Tensor,
  tensor,
  UNARY_ACTIVATIONS,
  UNARY_PRIMITIVES,
  UNARY_ROWS,
  type UnaryOps,
} from '@myelin/core';
import { describe, expect, it } from 'vitest';

/*
 * The unary op table (issue #19): kernel names, dtypes and every backend's unary kernels derive
 * from core's UNARY_TABLE. These tests hold each row's parts to each other: the fused kernel (the
 * row's host formula) against its decomposition, and the row's gradient rule against autograd
 * through the decomposition, so a new row is checked without a test of its own.
 */

/** Attrs to try for the rows with parameters; a new row with parameters must add its own here. */
const ATTRS: Readonly<Record<string, object[]>> = {
  LeakyRelu: [{ alpha: 0.2 }, { alpha: -0.5 }],
  Elu: [{ alpha: 0.7 }],
  Celu: [{ alpha: 1.5 }],
  Gelu: [{ approximate: 'none' }, { approximate: 'tanh' }],
  HardTanh: [{ min: -0.5, max: 2 }],
};
const attrsOf = (name: string, row: AnyUnaryRow): object[] =>
  row.params || row.form ? (ATTRS[name] ?? []) : [{}];

const ops = core as unknown as UnaryOps;
const xs = [-3.5, -3, -1.2, -0.3, 0.2, 0.9, 2.5, 3, 6.5];
const positive = [0.15, 0.5, 1, 2.5, 3.9];

describe('the unary op table', () => {
  it('derives the kernel lists and dtypes from its rows', () => {
    for (const [name, row] of UNARY_ROWS) {
      if (row.kind === 'form') continue;
      const list = row.kind === 'activation' ? COMPOSITES : PRIMITIVES;
      expect(list, name).toContain(name);
      expect(KERNEL_DTYPES[name as keyof typeof KERNEL_DTYPES], name).toBeDefined();
    }
    expect(UNARY_PRIMITIVES.length + UNARY_ACTIVATIONS.length).toBe(
      UNARY_ROWS.filter(([, r]) => r.kind !== 'form').length,
    );
  });

  it('gives every row a public function of its name and every activation a decomposition', () => {
    for (const [name, row] of UNARY_ROWS) {
      expect(typeof (core as unknown as Record<string, unknown>)[row.op], row.op).toBe('function');
      if (row.kind === 'activation') expect(typeof row.decompose, name).toBe('function');
      if (row.params || row.form) expect(ATTRS[name], `attrs to test ${name} with`).toBeDefined();
    }
  });

  it('puts every unary kernel of the table on the cpu backend', () => {
    const kernels = cpuBackend().kernels as Record<string, unknown>;
    for (const name of [...UNARY_PRIMITIVES, ...UNARY_ACTIVATIONS]) expect(kernels[name], name).toBeDefined();
  });

  for (const [name, row] of UNARY_ROWS) {
    if (row.kind !== 'activation') continue;
    const decompose = row.decompose!;
    for (const attrs of attrsOf(name, row)) {
      const values = name === 'Log2' ? positive : xs;
      it(`${name} ${JSON.stringify(attrs)}: the fused kernel matches its decomposition, the gradient rule autograd`, () => {
        scope(() => {
          const x = tensor(values);
          const w = tensor(values.map((_, i) => 0.5 + 0.25 * i));
          const fused = (t: Tensor) =>
            core.composite(name as core.UnaryActivation, [t], attrs as never, 'float32', () => {
              throw new Error(`${name}: the cpu backend should fuse it`);
            });
          const viaPrimitives = (t: Tensor) => decompose(ops, t, attrs as never);
          const a = Array.from(fused(x).dataSync());
          const b = Array.from(viaPrimitives(x).dataSync());
          for (let i = 0; i < a.length; i++) expect(a[i], `${name}(${values[i]})`).toBeCloseTo(b[i]!, 5);
          const ga = Array.from(grad((t: Tensor) => sum(mul(fused(t), w)))(x).dataSync());
          const gb = Array.from(grad((t: Tensor) => sum(mul(viaPrimitives(t), w)))(x).dataSync());
          for (let i = 0; i < ga.length; i++) expect(ga[i], `${name}'(${values[i]})`).toBeCloseTo(gb[i]!, 4);
        });
      });
    }
  }
});
