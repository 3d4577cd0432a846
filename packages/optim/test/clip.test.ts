import { memory, type Parameter, scope, type Tensor, zeros } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { clipGradNorm, clipGradValue } from '../src/index.js';
import { type EncTensor, expectClose, fromEnc, loadFixture, num, paramOf, values } from './helpers.js';

interface Case {
  name: string;
  kind: 'norm' | 'value';
  maxNorm?: number;
  normType?: number | 'inf';
  totalNorm?: number;
  clipValue?: number;
  grads: EncTensor[];
}
const fx = loadFixture<{ inputs: EncTensor[]; cases: Case[] }>('clip.json');

/** Parameters whose .grad holds the fixture's gradients. */
function withGrads(): Parameter[] {
  return fx.inputs.map((g) => {
    const p = paramOf(zeros(g.shape));
    p.grad = fromEnc(g);
    return p;
  });
}

function release(ps: Parameter[]) {
  for (const p of ps) p.dispose(); // also frees .grad
}

describe('gradient clipping matches torch.nn.utils (PyTorch 1.13)', () => {
  for (const c of fx.cases) {
    it(`${c.name}: ${c.kind === 'norm' ? 'total norm and ' : ''}clipped gradients`, () => {
      const ps = withGrads();
      if (c.kind === 'norm') {
        const total = scope(() => clipGradNorm(ps, c.maxNorm!, c.normType!).item());
        expectClose([total], [num(c.totalNorm!)], `${c.name} total norm`, 1e-6, 0);
      } else {
        clipGradValue(ps, c.clipValue!);
      }
      ps.forEach((p, i) => {
        expectClose(p.grad!.dataSync(), values(c.grads[i]!), `${c.name} grad ${i}`, 1e-6, 1e-7);
      });
      release(ps);
    });
  }

  it('skips parameters without a gradient and returns 0 when none has one', () => {
    const a = paramOf(zeros([2]));
    const total = clipGradNorm([a], 1);
    expect(total.item()).toBe(0);
    total.dispose();
    clipGradValue(a, 1);
    expect(a.grad).toBeNull();
    a.dispose();
  });

  it('leaves no tensors behind (inside a scope, the returned norm is freed with it)', () => {
    const ps = withGrads();
    const before = memory();
    for (let i = 0; i < 10; i++) {
      scope(() => {
        clipGradNorm(ps, 0.5);
        clipGradValue(ps, 0.1);
      });
    }
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
    release(ps);
  });

  it('errorIfNonfinite throws on a NaN or infinite total norm', () => {
    const p = paramOf(zeros([2]));
    p.grad = fromEnc({ shape: [2], data: [1, 'Infinity'] });
    expect(() => clipGradNorm([p], 1, 2, { errorIfNonfinite: true })).toThrow(/non-finite/);
    const g: Tensor = p.grad;
    expect(Array.from(g.dataSync())).toEqual([1, Infinity]);
    p.dispose();
  });
});
