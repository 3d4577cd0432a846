import type { Shape, UnaryPrimitive } from '@myelin/core';
import { sizeOf } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { bool, expectClose, f32, fround, i32, indices, offsetOf, randoms, run1 } from './helpers.js';

const NAN = Number.NaN;

function unary(op: UnaryPrimitive, values: number[], dtype: 'float32' | 'int32' = 'float32'): number[] {
  const x = dtype === 'int32' ? i32(values) : f32(values);
  const outDtype = op === 'IsNaN' || op === 'IsFinite' || op === 'LogicalNot' ? 'bool' : dtype;
  return [...run1(op, [x], {}, [values.length], outDtype)];
}

/** erf by its Maclaurin series (|x| ≤ 3) or the erfc continued fraction (|x| > 3), in double. */
function erfReference(x: number): number {
  const ax = Math.abs(x);
  if (ax <= 3) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))), evaluated bottom-up.
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

describe('unary kernels', () => {
  const xs = [-2.5, -1, -0.5, 0, 0.3, 1, 2.5, 7];
  const table: [UnaryPrimitive, (v: number) => number, number[]?][] = [
    ['Neg', (v) => -v],
    ['Abs', Math.abs],
    ['Exp', Math.exp],
    ['Expm1', Math.expm1],
    ['Log', Math.log, [0.1, 1, 2, 1000]],
    ['Log1p', Math.log1p, [-0.5, 0, 1e-8, 3]],
    ['Sqrt', Math.sqrt, [0, 0.25, 2, 9]],
    ['Rsqrt', (v) => 1 / Math.sqrt(v), [0.25, 2, 9]],
    ['Square', (v) => v * v],
    ['Reciprocal', (v) => 1 / v],
    ['Sin', Math.sin],
    ['Cos', Math.cos],
    ['Tan', Math.tan],
    ['Asin', Math.asin, [-1, -0.5, 0, 0.9]],
    ['Acos', Math.acos, [-1, -0.5, 0, 0.9]],
    ['Atan', Math.atan],
    ['Sinh', Math.sinh],
    ['Cosh', Math.cosh],
    ['Tanh', Math.tanh],
    ['Sigmoid', (v) => 1 / (1 + Math.exp(-v))],
    ['Floor', Math.floor],
    ['Ceil', Math.ceil],
    ['Trunc', Math.trunc],
  ];
  for (const [op, f, values = xs] of table) {
    it(`${op} matches its closed form`, () => {
      const x = fround(values);
      expectClose(unary(op, x), fround(x.map(f)), { rtol: 1e-6, atol: 0 });
    });
  }

  it('Round rounds half to even (torch.round)', () => {
    expect(unary('Round', [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6, NAN])).toEqual([
      0,
      2,
      2,
      -0,
      -2,
      -2,
      2,
      -3,
      NAN,
    ]);
  });

  it('Sign gives -1, 0, 1 and 0 for NaN (PyTorch 1.13)', () => {
    expect(unary('Sign', [-3, -0, 0, 2, NAN, -Infinity])).toEqual([-1, 0, 0, 1, 0, -1]);
  });

  it('Relu keeps NaN, sends -0 to 0 and handles infinities', () => {
    expect(unary('Relu', [-1, 0, 2, NAN, -0, -Infinity, Infinity])).toEqual([0, 0, 2, NAN, 0, 0, Infinity]);
  });

  it('Softplus is linear above the threshold 20 and accurate far below 0', () => {
    const out = unary('Softplus', [0, 1, 20.5, -100]);
    expectClose(out, fround([Math.LN2, Math.log1p(Math.E), 20.5, Math.exp(-100)]), { rtol: 1e-6, atol: 0 });
  });

  it('Erf is accurate to float32 rounding across its range', () => {
    const x: number[] = [];
    for (let v = -7; v <= 7; v += 0.01) x.push(Math.fround(v));
    x.push(1e-30, -1e-8, 0.84375, 1.25, 1 / 0.35, 6, Infinity, -Infinity);
    const out = unary('Erf', x);
    for (let i = 0; i < x.length; i++) {
      const expected = Number.isFinite(x[i]!) ? erfReference(x[i]!) : Math.sign(x[i]!);
      // Within one float32 rounding of the exact value.
      const ulp = Math.max(Math.abs(expected) * 2 ** -23, 2 ** -149);
      expect(Math.abs(out[i]! - expected), `erf(${x[i]})`).toBeLessThanOrEqual(ulp);
    }
    expect(unary('Erf', [NAN])).toEqual([NAN]);
  });

  it('predicates output bool', () => {
    expect(unary('IsNaN', [1, NAN, Infinity])).toEqual([0, 1, 0]);
    expect(unary('IsFinite', [1, NAN, Infinity, -Infinity])).toEqual([1, 0, 0, 0]);
    expect(unary('LogicalNot', [0, 2, NAN])).toEqual([1, 0, 0]);
    expect([...run1('LogicalNot', [bool([true, false])], {}, [2], 'bool')]).toEqual([0, 1]);
  });

  it('int32 Neg, Abs and Square wrap like int32', () => {
    const min = -(2 ** 31);
    expect(unary('Neg', [min, 5], 'int32')).toEqual([min, -5]);
    expect(unary('Abs', [min, -5], 'int32')).toEqual([min, 5]);
    expect(unary('Square', [65536, -3], 'int32')).toEqual([0, 9]);
    expect(unary('Sign', [-7, 0, 9], 'int32')).toEqual([-1, 0, 1]);
    expect(unary('Relu', [-7, 0, 9], 'int32')).toEqual([0, 0, 9]);
  });
});

describe('fused activations', () => {
  const x = fround([-30, -4, -3, -1.5, -0.2, 0, 0.2, 1.5, 3, 4, 30]);
  const sp = (v: number) => (v > 20 ? v : Math.log1p(Math.exp(v)));
  const alpha = 1.6732632423543772;
  const scale = 1.0507009873554805;
  const phi = (v: number) => 0.5 * (1 + erfReference(v / Math.SQRT2));
  const cases: [string, Record<string, unknown>, (v: number) => number][] = [
    ['Log2', {}, Math.log2],
    ['LogSigmoid', {}, (v) => -sp(-v)],
    ['Softsign', {}, (v) => v / (1 + Math.abs(v))],
    ['Relu6', {}, (v) => Math.min(Math.max(v, 0), 6)],
    ['LeakyRelu', { alpha: 0.1 }, (v) => (v > 0 ? v : 0.1 * v)],
    ['Elu', { alpha: 0.7 }, (v) => (v > 0 ? v : 0.7 * (Math.exp(v) - 1))],
    ['Selu', {}, (v) => scale * (v > 0 ? v : alpha * (Math.exp(v) - 1))],
    ['Celu', { alpha: 2 }, (v) => (v > 0 ? v : 2 * (Math.exp(v / 2) - 1))],
    ['Gelu', { approximate: 'none' }, (v) => v * phi(v)],
    [
      'Gelu',
      { approximate: 'tanh' },
      (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
    ],
    ['Silu', {}, (v) => v / (1 + Math.exp(-v))],
    ['Mish', {}, (v) => v * Math.tanh(sp(v))],
    ['HardSigmoid', {}, (v) => Math.min(Math.max(v + 3, 0), 6) / 6],
    ['HardTanh', { min: -2, max: 1 }, (v) => Math.min(Math.max(v, -2), 1)],
    ['HardSwish', {}, (v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6],
  ];
  for (const [op, attrs, f] of cases) {
    it(`${op} ${JSON.stringify(attrs)} matches its definition`, () => {
      const input = op === 'Log2' ? fround([0.125, 1, 3, 1024]) : x;
      const out = run1(op as 'Selu', [f32(input)], attrs as never, [input.length]);
      expectClose(out, fround(input.map(f)), { rtol: 2e-6, atol: 1e-30 });
    });
  }

  it('keep NaN', () => {
    for (const op of ['Relu6', 'HardSigmoid', 'HardSwish', 'Silu', 'Mish', 'Selu'] as const) {
      expect(Number.isNaN(run1(op, [f32([NAN])], {}, [1])[0]!), op).toBe(true);
    }
  });
});

/** Reference broadcast binary op by multi-index. */
function broadcastRef(
  a: ArrayLike<number>,
  as: Shape,
  b: ArrayLike<number>,
  bs: Shape,
  out: Shape,
  f: (x: number, y: number) => number,
): number[] {
  const res: number[] = [];
  const at = (shape: Shape, idx: number[]) =>
    offsetOf(
      shape,
      shape.map((d, i) => (d === 1 ? 0 : idx[idx.length - shape.length + i]!)),
    );
  for (const idx of indices(out)) res.push(f(a[at(as, idx)]!, b[at(bs, idx)]!));
  return res;
}

describe('binary kernels', () => {
  it('Add broadcasts NumPy-style in every layout (same shape, scalar, inner, outer, middle)', () => {
    const layouts: [Shape, Shape, Shape][] = [
      [
        [2, 3],
        [2, 3],
        [2, 3],
      ],
      [[], [4, 5], [4, 5]],
      [[4, 5], [], [4, 5]],
      [[3, 4], [4], [3, 4]],
      [
        [3, 1],
        [1, 4],
        [3, 4],
      ],
      [
        [2, 1, 5],
        [3, 1],
        [2, 3, 5],
      ],
      [
        [2, 3, 1, 4],
        [1, 3, 5, 1],
        [2, 3, 5, 4],
      ],
      [[0, 3], [3], [0, 3]],
    ];
    for (const [as, bs, os] of layouts) {
      const a = randoms(sizeOf(as), 1);
      const b = randoms(sizeOf(bs), 2);
      const out = run1('Add', [f32(a, as), f32(b, bs)], {}, os);
      expectClose(out, fround(broadcastRef(a, as, b, bs, os, (x, y) => x + y)), { rtol: 0, atol: 0 });
    }
  });

  it('Sub, Mul, Div, Maximum, Minimum, Atan2 on floats; Maximum/Minimum propagate NaN', () => {
    const a = [1, -2, 3, NAN, 0.5, -0.25];
    const b = [2, 2, -1, 1, NAN, 4];
    const ops: ['Sub' | 'Mul' | 'Div' | 'Maximum' | 'Minimum' | 'Atan2', (x: number, y: number) => number][] =
      [
        ['Sub', (x, y) => x - y],
        ['Mul', (x, y) => x * y],
        ['Div', (x, y) => x / y],
        ['Maximum', Math.max],
        ['Minimum', Math.min],
        ['Atan2', Math.atan2],
      ];
    for (const [op, f] of ops) {
      const out = run1(op, [f32(a), f32(b)], {}, [6]);
      expectClose(out, fround(a.map((x, i) => f(x, b[i]!))), { rtol: 1e-7, atol: 0 });
    }
  });

  it('Mod is Python remainder and FloorDiv floors (floats)', () => {
    const a = [-3, 3, -3, 3, 5, 5.5, -0.5];
    const b = [2, -2, -2, 2, 0, 2, 1];
    expect([...run1('Mod', [f32(a), f32(b)], {}, [7])]).toEqual([1, -1, -1, 1, NAN, 1.5, 0.5]);
    expect([...run1('FloorDiv', [f32(a), f32(b)], {}, [7])]).toEqual([-2, -2, 1, 1, Infinity, 2, -1]);
  });

  it('Mod and FloorDiv on int32 follow Python', () => {
    const a = [-3, 3, -3, 3, -7, 7];
    const b = [2, -2, -2, 2, 3, -3];
    expect([...run1('Mod', [i32(a), i32(b)], {}, [6], 'int32')]).toEqual([1, -1, -1, 1, 2, -2]);
    expect([...run1('FloorDiv', [i32(a), i32(b)], {}, [6], 'int32')]).toEqual([-2, -2, 1, 1, -3, -3]);
  });

  it('int32 Add and Mul wrap; Pow is exact integer power', () => {
    const max = 2 ** 31 - 1;
    expect([...run1('Add', [i32([max]), i32([1])], {}, [1], 'int32')]).toEqual([-(2 ** 31)]);
    expect([...run1('Mul', [i32([65536, 3]), i32([65536, -4])], {}, [2], 'int32')]).toEqual([0, -12]);
    expect([...run1('Pow', [i32([3, -2, 2, 7]), i32([4, 3, 31, 0])], {}, [4], 'int32')]).toEqual([
      81,
      -8,
      -(2 ** 31),
      1,
    ]);
  });

  it('Pow follows C pow: pow(1, NaN) = 1, pow(x, 0) = 1', () => {
    const out = run1('Pow', [f32([1, NAN, 2, -8, 4]), f32([NAN, 0, 0.5, 1 / 3, -0.5])], {}, [5]);
    expectClose(out, fround([1, 1, Math.SQRT2, NAN, 0.5]), { rtol: 1e-7, atol: 0 });
  });

  it('comparisons output bool; NaN compares unequal', () => {
    const a = f32([1, 2, NAN, 3]);
    const b = f32([1, 3, NAN, 2]);
    const cmp = (op: 'Equal' | 'NotEqual' | 'Less' | 'LessEqual' | 'Greater' | 'GreaterEqual') => [
      ...run1(op, [a, b], {}, [4], 'bool'),
    ];
    expect(cmp('Equal')).toEqual([1, 0, 0, 0]);
    expect(cmp('NotEqual')).toEqual([0, 1, 1, 1]);
    expect(cmp('Less')).toEqual([0, 1, 0, 0]);
    expect(cmp('LessEqual')).toEqual([1, 1, 0, 0]);
    expect(cmp('Greater')).toEqual([0, 0, 0, 1]);
    expect(cmp('GreaterEqual')).toEqual([1, 0, 0, 1]);
  });

  it('logical ops treat nonzero (and NaN) as true, with broadcasting', () => {
    const a = bool([true, false], [2, 1]);
    const b = bool([true, false, true], [3]);
    expect([...run1('LogicalAnd', [a, b], {}, [2, 3], 'bool')]).toEqual([1, 0, 1, 0, 0, 0]);
    expect([...run1('LogicalOr', [a, b], {}, [2, 3], 'bool')]).toEqual([1, 1, 1, 1, 0, 1]);
    expect([...run1('LogicalXor', [a, b], {}, [2, 3], 'bool')]).toEqual([0, 1, 0, 1, 0, 1]);
    expect([...run1('LogicalAnd', [f32([NAN, 0]), f32([2, 2])], {}, [2], 'bool')]).toEqual([1, 0]);
  });
});

describe('Cast, Clip, Where, BroadcastTo', () => {
  it('Cast truncates float → int32 toward zero and maps anything → bool as x != 0', () => {
    expect([...run1('Cast', [f32([-1.7, 2.9, -0.2, NAN])], {}, [4], 'int32')]).toEqual([-1, 2, 0, 0]);
    expect([...run1('Cast', [f32([0, -0.5, NAN])], {}, [3], 'bool')]).toEqual([0, 1, 1]);
    expect([...run1('Cast', [i32([0, 7])], {}, [2], 'bool')]).toEqual([0, 1]);
    expect([...run1('Cast', [bool([true, false])], {}, [2], 'float32')]).toEqual([1, 0]);
    expect([...run1('Cast', [i32([-3, 16777217])], {}, [2], 'float32')]).toEqual([-3, 16777216]);
  });

  it('Clip clamps and keeps NaN; int32 too', () => {
    expect([...run1('Clip', [f32([-5, 0.5, 5, NAN])], { min: -1, max: 1 }, [4])]).toEqual([-1, 0.5, 1, NAN]);
    expect([...run1('Clip', [i32([-5, 0, 5])], { min: -1, max: 3 }, [3], 'int32')]).toEqual([-1, 0, 3]);
  });

  it('Where picks by a broadcast bool condition', () => {
    const c = bool([true, false, true], [3]);
    const a = f32([1, 2], [2, 1]);
    const b = f32([-9]);
    expect([...run1('Where', [c, a, b], {}, [2, 3])]).toEqual([1, -9, 1, 2, -9, 2]);
    expect([...run1('Where', [bool([false, true]), i32([1, 2]), i32([3, 4])], {}, [2], 'int32')]).toEqual([
      3, 2,
    ]);
  });

  it('BroadcastTo copies along new and size-1 dims, for every dtype', () => {
    expect([...run1('BroadcastTo', [f32([1, 2, 3], [3, 1])], {}, [2, 3, 2])]).toEqual([
      1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3,
    ]);
    expect([...run1('BroadcastTo', [bool([true])], {}, [3], 'bool')]).toEqual([1, 1, 1]);
    expect([...run1('BroadcastTo', [i32([4], [])], {}, [], 'int32')]).toEqual([4]);
  });
});
