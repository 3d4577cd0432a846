import { memory, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { sgnsTensorStep } from '../src/index.js';
import { fixture, maxDiff } from './fixtures.js';

const c = fixture('steps.json').tensor;

describe('the batched SGNS step on tensors', () => {
  it('matches the published gradient (numpy), repeated rows summed', () => {
    const before = memory().tensors;
    const tables = {
      input: tensor(Float32Array.from(c.input), { shape: [4, 3] }),
      output: tensor(Float32Array.from(c.output), { shape: [4, 3] }),
    };
    const { tables: next, loss } = sgnsTensorStep(
      tables,
      {
        inputs: Int32Array.from(c.inputs),
        targets: Int32Array.from(c.targets),
        negatives: Int32Array.from(c.negatives),
      },
      c.lr,
    );
    expect(maxDiff(next.input.dataSync(), c.input_after)).toBeLessThan(1e-6);
    expect(maxDiff(next.output.dataSync(), c.output_after)).toBeLessThan(1e-6);
    expect(loss).toBeCloseTo(c.loss, 5);
    // The old tables were disposed and nothing else was left behind: two live tensors, the new tables.
    expect(memory().tensors).toBe(before + 2);
    next.input.dispose();
    next.output.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('rejects mismatched batches', () => {
    const t = () => ({
      input: tensor(new Float32Array(6), { shape: [2, 3] }),
      output: tensor(new Float32Array(6), { shape: [2, 3] }),
    });
    expect(() =>
      sgnsTensorStep(
        t(),
        { inputs: Int32Array.from([0]), targets: Int32Array.from([]), negatives: Int32Array.from([]) },
        0.1,
      ),
    ).toThrow(/sgnsTensorStep: expected B ≥ 1 inputs/);
  });
});
