import { COMPOSITES, checkKernelDTypes, KERNEL_DTYPES, PRIMITIVES } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  encodeFixtureFile,
  GENERATED_FAMILY,
  generatedCases,
  generatedFixtures,
  OPS,
  parseFixtureFile,
  REFERENCE,
} from '../src/index.js';
import { erf } from '../src/reference.js';

// Tests of the generated edge cases themselves: well formed, deterministic, covering the ops, and
// a reference evaluator that agrees with closed forms checked by hand.

const cases = generatedCases();
const ref = (
  op: string,
  data: number[],
  shape: number[],
  args = {},
  dtype: 'float32' | 'int32' = 'float32',
) => REFERENCE[op]!([{ shape, dtype, data }], args)[0]!;

describe('generated edge cases', () => {
  it('have unique names of the form op/description, in the generated family, one gradient slot per input', () => {
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    for (const c of cases) {
      expect(c.name.startsWith(`${c.op}/`), c.name).toBe(true);
      expect(c.family).toBe(GENERATED_FAMILY);
      expect(c.grads.length).toBe(c.inputs.length);
    }
  });

  it('are the same on every call (seeded values)', () => {
    expect(JSON.stringify(generatedCases())).toBe(JSON.stringify(cases));
  });

  it('cover every op of the ops table', () => {
    const covered = new Set(cases.map((c) => c.op));
    expect(Object.keys(OPS).filter((op) => !covered.has(op))).toEqual([]);
    for (const op of covered) expect(op in OPS, op).toBe(true);
  });

  it('hold one-element, empty and size-1 shapes and every accepted dtype of each kernel they name', () => {
    const shapes = cases.flatMap((c) => c.inputs.map((t) => t.shape));
    expect(shapes.some((s) => s.length === 3 && s.every((d) => d === 1))).toBe(true);
    expect(shapes.some((s) => s.includes(0))).toBe(true);
    const dtypes = (op: string) => new Set(cases.filter((c) => c.op === op).map((c) => c.inputs[0]!.dtype));
    expect([...dtypes('add')].sort()).toEqual([...KERNEL_DTYPES.Add.data].sort());
    expect([...dtypes('matmul')].sort()).toEqual([...KERNEL_DTYPES.MatMul.data].sort());
    expect([...dtypes('sort')].sort()).toEqual([...KERNEL_DTYPES.Sort.data].sort());
    expect([...dtypes('logicalAnd')]).toEqual(['bool']);
  });

  it('carry gradients for the differentiable ops, equal to the closed form where there is one', () => {
    const graded = cases.filter((c) => c.grads.some((g) => g));
    expect(graded.length).toBeGreaterThan(300);
    // d/dx Σ cot·sum(x) = cot everywhere; d/dx Σ cot·(x·y) = cot·y (one element each)
    const s = cases.find((c) => c.name === 'sum/float32 [1] axis all')!;
    expect(s.grads[0]!.data[0]).toBeCloseTo(s.cotangents[0]!.data[0]!, 6);
    const mm = cases.find((c) => c.name === 'matmul/float32 [1,1] @ [1,1]')!;
    expect(mm.grads[0]!.data[0]).toBeCloseTo(mm.cotangents[0]!.data[0]! * mm.inputs[1]!.data[0]!, 6);
    expect(mm.grads[1]!.data[0]).toBeCloseTo(mm.cotangents[0]!.data[0]! * mm.inputs[0]!.data[0]!, 6);
  });

  it('survive the JSON round trip a browser page makes (NaN and ±Infinity included; -0 reads back as 0)', () => {
    const file = generatedFixtures();
    const back = parseFixtureFile(encodeFixtureFile(file), GENERATED_FAMILY);
    expect(back.cases.length).toBe(file.cases.length);
    const nan = back.cases.find((c) => c.name.startsWith('isNaN/'))!;
    expect(nan.inputs[0]!.data.some(Number.isNaN)).toBe(true);
    const differ = back.cases
      .filter((c, i) => JSON.stringify(c) !== JSON.stringify(file.cases[i]))
      .map((c) => c.name);
    expect(differ.slice(0, 5)).toEqual([]);
  });
});

describe('the float64 reference evaluator', () => {
  it('erf matches tabulated values (Abramowitz & Stegun 7.1)', () => {
    expect(erf(0)).toBe(0);
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(-1)).toBeCloseTo(-0.8427007929497149, 14);
    expect(erf(2.5)).toBeCloseTo(0.999593047982555, 14);
  });

  it('reduces one element to itself and an empty tensor to the identity', () => {
    expect(ref('sum', [5], [1]).data).toEqual([5]);
    expect(ref('max', [-2.5], [1, 1]).data).toEqual([-2.5]);
    expect(ref('prod', [], [0]).data).toEqual([1]);
    expect(ref('sum', [], [2, 0], { axis: 1 }).data).toEqual([0, 0]);
    expect(ref('variance', [3], [1]).data).toEqual([Number.NaN]);
    expect(ref('logSumExp', [3e38, 3e38], [2]).data).toEqual([Math.fround(3e38 + Math.log(2))]);
  });

  it('softmax of extreme rows: no overflow, one-hot where the gap exceeds float range', () => {
    expect(ref('softmax', [1e4, 1e4], [2]).data).toEqual([0.5, 0.5]);
    expect(ref('softmax', [3e38, -3e38], [2]).data).toEqual([1, 0]);
    expect(ref('logSoftmax', [0, -3e38], [2]).data).toEqual([0, Math.fround(-3e38)]);
  });

  it('wraps int32 arithmetic and follows Python division and remainder', () => {
    const mm = REFERENCE.matmul!(
      [
        { shape: [2, 2], dtype: 'int32', data: [1, 2, 3, 4] },
        { shape: [2, 2], dtype: 'int32', data: [1, 2, 3, 4] },
      ],
      {},
    )[0]!;
    expect(mm.data).toEqual([7, 10, 15, 22]);
    const md = (op: string, a: number, b: number) =>
      REFERENCE[op]!(
        [
          { shape: [], dtype: 'int32', data: [a] },
          { shape: [], dtype: 'int32', data: [b] },
        ],
        {},
      )[0]!.data[0];
    expect([md('mod', -7, 3), md('mod', 7, -3), md('floorDiv', -7, 2)]).toEqual([2, -2, -4]);
    expect(md('add', 2 ** 31 - 1, 1)).toBe(-(2 ** 31));
  });

  it('rounds half to even and sorts stably', () => {
    expect(ref('round', [0.5, 1.5, 2.5, -0.5], [4]).data).toEqual([0, 2, 2, -0]);
    const [v, i] = REFERENCE.sort!([{ shape: [4], dtype: 'int32', data: [2, 1, 2, 1] }], {
      descending: true,
    });
    expect([v!.data, i!.data]).toEqual([
      [2, 2, 1, 1],
      [0, 2, 1, 3],
    ]);
  });
});

describe("core's kernel dtype table (KERNEL_DTYPES)", () => {
  it('has a row for every primitive and composite kernel', () => {
    expect([...PRIMITIVES, ...COMPOSITES].filter((k) => !(k in KERNEL_DTYPES))).toEqual([]);
  });

  it('rejects a dtype a kernel does not accept, naming the kernel, the input and what it accepts', () => {
    expect(() => checkKernelDTypes('Exp', ['int32'])).toThrow(
      'Exp: input 0 is int32; the kernel accepts float32',
    );
    expect(() => checkKernelDTypes('Gather', ['float32', 'float32'])).toThrow(
      'Gather: input 1 is float32; the kernel expects int32',
    );
    expect(() => checkKernelDTypes('Add', ['float32', 'int32'])).toThrow(/Add: inputs are float32 and int32/);
    expect(() => checkKernelDTypes('Where', ['bool', 'int32', 'int32'])).not.toThrow();
    expect(() => checkKernelDTypes('MatMul', ['int32', 'int32'])).not.toThrow();
  });
});
