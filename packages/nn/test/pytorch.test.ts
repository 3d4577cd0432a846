import { describe, expect, it } from 'vitest';
import { loadCases, runCase } from './fixtures.js';

// Every layer against PyTorch 1.13 (tools/gen_nn_fixtures.py): outputs, input and parameter
// gradients for a seeded cotangent, buffers after a training step; and a forward+backward inside
// a scope leaves memory() as it found it.
describe.each(['layers', 'rnn', 'attention', 'losses'])('%s matches PyTorch', (family) => {
  it.each(loadCases(family).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { errors, leaked } = runCase(c);
    expect(errors).toEqual([]);
    expect(leaked).toBe(0);
  });
});
