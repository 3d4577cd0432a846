import { describe, expect, it } from 'vitest';
import { loadCases, runCase } from './fixtures.js';

// The issue-21 layers against PyTorch 1.13 (tools/gen_nn21_fixtures.py): outputs, input and
// parameter gradients for a seeded cotangent; a forward+backward inside a scope leaks nothing.
describe('issue-21 layers match PyTorch', () => {
  it.each(loadCases('layers21').map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { errors, leaked } = runCase(c);
    expect(errors).toEqual([]);
    expect(leaked).toBe(0);
  });
});
