import { readFileSync } from 'node:fs';
import { einsum, matmul, memory, scope, type Tensor, tensor, trace, variable } from '@myelin/core';
import { describe, expect, it } from 'vitest';

// torch.einsum (PyTorch 1.13) outputs and vector-Jacobian products, from
// tools/gen_nn21_sample_fixtures.py (float64 in torch, compared in float32 here).
interface Arr {
  shape: number[];
  data: number[];
}
interface Case {
  equation: string;
  inputs: Arr[];
  output: Arr;
  cotangent: Arr;
  grads: Arr[];
}
const cases = (
  JSON.parse(readFileSync(new URL('../fixtures/einsum.json', import.meta.url), 'utf8')) as { cases: Case[] }
).cases;
const t = (a: Arr) => tensor(a.data, { shape: a.shape });

function expectClose(got: Tensor, want: Arr, label: string) {
  expect(got.shape, `${label} shape`).toEqual(want.shape);
  const g = got.dataSync();
  want.data.forEach((w, i) => {
    expect(Math.abs(g[i]! - w), `${label}[${i}]: got ${g[i]}, expected ${w}`).toBeLessThanOrEqual(
      1e-4 + 1e-4 * Math.abs(w),
    );
  });
}

describe('einsum matches torch.einsum (PyTorch 1.13)', () => {
  it.each(cases.map((c) => [`${c.equation} ${c.inputs.map((a) => `[${a.shape}]`).join(' ')}`, c] as const))(
    '%s',
    (_name, c) => {
      const before = memory().tensors;
      scope(() => {
        const xs = c.inputs.map((a) => variable(t(a)));
        const y = einsum(c.equation, ...xs);
        expectClose(y, c.output, 'output');
        y.mul(t(c.cotangent)).sum().backward();
        xs.forEach((x, i) => {
          expectClose(x.grad ?? x.mul(0), c.grads[i]!, `grad of operand ${i}`);
        });
        for (const x of xs) x.dispose();
      });
      expect(memory().tensors).toBe(before);
    },
  );

  it('has fixtures for many operands, diagonals and ellipses', () => {
    const eqs = cases.map((c) => c.equation);
    expect(eqs).toContain('ab,bc,cd,de->ae');
    expect(eqs).toContain('iij->j');
    expect(eqs).toContain('...ij,...jk->...ik');
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });
});

describe('einsum call forms', () => {
  it('keeps the two-operand call form, with an undefined second operand', () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = tensor([
      [5, 6],
      [7, 8],
    ]);
    expect(einsum('ij,jk->ik', a, b).arraySync()).toEqual(matmul(a, b).arraySync());
    expect(einsum('ij->ji', a, undefined).arraySync()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    // 'ii' is the trace: 1 + 4.
    expect(einsum('ii', a).item()).toBe(trace(a).item());
  });
});

describe('einsum errors name the equation and the bad term', () => {
  const m = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const sq = tensor([
    [1, 2],
    [3, 4],
  ]);
  it.each([
    ['ij,jk->ik', [m], /einsum: 'ij,jk->ik' names 2 operands but 1 was given/],
    ['i2->i', [m], /einsum: 'i2->i': term 0 'i2' has an invalid character/],
    ['...i...->i', [m], /einsum: '\.\.\.i\.\.\.->i': term 0 '\.\.\.i\.\.\.' has more than one ellipsis/],
    ['ijk->i', [m], /einsum: 'ijk->i': term 'ijk' has 3 labels but operand 0 has shape \[2,3\]/],
    ['ij->k', [m], /einsum: 'ij->k': output label 'k' appears in no operand/],
    ['ij->ii', [m], /einsum: 'ij->ii': output 'ii' repeats label 'i'/],
    ['ij->i->j', [m], /einsum: 'ij->i->j' has more than one '->'/],
    ['ij,ij->i', [m, sq], /einsum: 'ij,ij->i': label 'j' has size 3 in one operand but 2 in term 'ij'/],
    ['ii->i', [m], /einsum: 'ii->i': label 'i' is repeated in term 'ii' but its dims differ \(2 vs 3/],
  ] as const)('%s', (eq, ops, msg) => {
    expect(() => einsum(eq, ...(ops as readonly Tensor[]))).toThrow(msg);
  });

  it('broadcasts ellipsis dims of size 1 and rejects the ones that do not broadcast', () => {
    const a = tensor([1, 2], { shape: [1, 2] });
    const b = tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2] });
    // [1,2]·[3,2] summed over i and the broadcast batch of 3: 1·1+2·2 + 1·3+2·4 + 1·5+2·6.
    expect(einsum('...i,...i->', a, b).item()).toBe(33);
    expect(() => einsum('...i,...i->...', tensor([1, 2, 3, 4], { shape: [2, 2] }), b)).toThrow(
      /einsum: '\.\.\.i,\.\.\.i->\.\.\.': '\.\.\.' has size 2 in one operand but 3 in term '\.\.\.i'/,
    );
  });
});
