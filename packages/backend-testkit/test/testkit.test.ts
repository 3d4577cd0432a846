import { cpuBackend } from '@myelin/backend-cpu';
import { use } from '@myelin/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkCase,
  compareTensor,
  DEFAULT_TOLERANCE,
  type FixtureCase,
  fdSteps,
  fdVerdict,
  loadFixtures,
  OPS,
  parseFixtureFile,
} from '../src/index.js';

// Tests of the testkit itself: the fixtures are well formed and a wrong answer is caught and named.

const files = loadFixtures();
const cases = files.flatMap((f) => f.cases);

describe('fixtures', () => {
  it('load every family with its torch version', () => {
    expect(files.map((f) => f.family)).toEqual(
      expect.arrayContaining([
        'creation',
        'elementwise-unary',
        'elementwise-binary',
        'reduction',
        'linalg',
        'shape',
        'indexing',
        'nn',
        'conv',
      ]),
    );
    for (const f of files) expect(f.torch).toMatch(/^1\.13/);
  });

  it('have unique case names of the form op/description', () => {
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    for (const c of cases) expect(c.name.startsWith(`${c.op}/`)).toBe(true);
  });

  it('have an ops-table entry for every op', () => {
    expect([...new Set(cases.map((c) => c.op))].filter((op) => !(op in OPS))).toEqual([]);
  });

  it('hold one gradient slot per input and one cotangent per float output when differentiated', () => {
    for (const c of cases) {
      expect(c.grads.length, c.name).toBe(c.inputs.length);
      const differentiated = c.grads.some((g) => g !== null);
      const floats = c.outputs.filter((o) => o.dtype === 'float32').length;
      expect(c.cotangents.length, c.name).toBe(differentiated ? floats : 0);
      c.grads.forEach((g, i) => {
        if (g) expect(g.shape, c.name).toEqual(c.inputs[i]!.shape);
      });
    }
  });

  it('decode NaN and ±Infinity written as strings, in data and args', () => {
    const f = parseFixtureFile(
      JSON.stringify({
        generator: 'test',
        torch: '1.13.0',
        cases: [
          {
            name: 'full/x',
            op: 'full',
            inputs: [],
            args: { shape: [3], value: '-Infinity' },
            outputs: [{ shape: [3], dtype: 'float32', data: ['NaN', 'Infinity', '-Infinity'] }],
            cotangents: [],
            grads: [],
          },
        ],
      }),
    );
    const c = f.cases[0]!;
    expect(c.args.value).toBe(Number.NEGATIVE_INFINITY);
    expect(c.outputs[0]!.data).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });
});

describe('compareTensor', () => {
  const expected = {
    shape: [2, 2],
    dtype: 'float32' as const,
    data: [1, Number.NaN, Number.POSITIVE_INFINITY, 0],
  };
  const tol = { rtol: 1e-5, atol: 1e-5 };

  it('accepts values within atol + rtol·|expected|, NaN for NaN and -0 for 0', () => {
    const got = {
      shape: [2, 2],
      dtype: 'float32' as const,
      data: [1.000005, Number.NaN, Number.POSITIVE_INFINITY, -0],
    };
    expect(compareTensor('x', got, expected, tol)).toBeNull();
  });

  it('names the case, the first bad element, got and expected', () => {
    const got = { shape: [2, 2], dtype: 'float32' as const, data: [1, Number.NaN, 5, 0.5] };
    const msg = compareTensor('add/case: output', got, expected, tol);
    expect(msg).toContain('add/case: output: element 2 [1,0]: got 5, expected Infinity');
    expect(msg).toContain('2 of 4 elements differ');
  });

  it('is exact for int32 and reports shape and dtype mismatches', () => {
    const ints = { shape: [2], dtype: 'int32' as const, data: [1, 2] };
    expect(compareTensor('i', { shape: [2], dtype: 'int32', data: [1, 3] }, ints, tol)).toContain(
      'got 3, expected 2',
    );
    expect(compareTensor('i', { shape: [1, 2], dtype: 'int32', data: [1, 2] }, ints, tol)).toBe(
      'i: shape [1,2], expected [2]',
    );
    expect(compareTensor('i', { shape: [2], dtype: 'float32', data: [1, 2] }, ints, tol)).toBe(
      'i: dtype float32, expected int32',
    );
  });
});

describe('finite differences', () => {
  it('skip a kink: |x| at 0 has one-sided slopes -1 and 1', () => {
    const { hp, hm } = fdSteps(0);
    expect(fdVerdict(0, hp, hm, hp, hm, 0, 0, 1).ok).toBeNull();
  });

  it('catch a wrong gradient at a smooth point', () => {
    // x² at x = 1: central difference 2, a vjp claiming 3 is wrong.
    const { xp, xm, hp, hm } = fdSteps(1);
    expect(fdVerdict(1, xp * xp, xm * xm, hp, hm, 1, 3, 3).ok).toBe(false);
    expect(fdVerdict(1, xp * xp, xm * xm, hp, hm, 1, 2, 2).ok).toBe(true);
  });
});

describe('checkCase catches wrong answers (on the cpu backend)', () => {
  beforeAll(async () => {
    await use(cpuBackend());
  });
  const base = cases.find((c) => c.name === 'mul/[2,3] same shape')!;
  const tol = DEFAULT_TOLERANCE;

  it('passes the true case', async () => {
    await expect(checkCase(base, tol)).resolves.toBeUndefined();
  });

  it('reports a wrong output value with the case name and element', async () => {
    const out = base.outputs[0]!;
    const bad: FixtureCase = {
      ...base,
      outputs: [{ ...out, data: out.data.map((v, i) => (i === 4 ? v + 1 : v)) }],
    };
    await expect(checkCase(bad, tol)).rejects.toThrow(
      /mul\/\[2,3\] same shape: output: element 4 \[1,1\]: got .*, expected/,
    );
  });

  it('reports a wrong gradient with the input index', async () => {
    const g = base.grads[1]!;
    const bad: FixtureCase = { ...base, grads: [base.grads[0]!, { ...g, data: g.data.map((v) => -v) }] };
    await expect(checkCase(bad, tol)).rejects.toThrow(/gradient of input 1: element 0/);
  });

  it('reports an op that throws, and still frees what it made', async () => {
    const bad: FixtureCase = { ...base, inputs: [base.inputs[0]!, { ...base.inputs[1]!, shape: [3, 2] }] };
    await expect(checkCase(bad, tol)).rejects.toThrow(/mul\/\[2,3\] same shape: threw/);
  });
});
