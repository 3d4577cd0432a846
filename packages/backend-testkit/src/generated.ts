import { type DType, KERNEL_DTYPES, type KernelName, UNARY_ROWS } from '@myelin/core';
import { ATTENTION_DIFFERENTIABLE, attentionCases } from './cases/attention.js';
import { SPARSE_DIFFERENTIABLE, sparseCases } from './cases/sparse.js';
import type { FixtureCase, FixtureFile, FixtureTensor, Tolerance } from './fixtures.js';
import type { OpArgs } from './ops-table.js';
import { BINARY_MATH, exactly, REFERENCE, type Ref, sizeOf, UNARY_MATH } from './reference.js';

/*
 * Generated edge cases: shapes from generators (one element, a size-1 dim in every position,
 * batch 1, empty dims, broadcasting with size-1 dims on both sides), one case per dtype the op's
 * kernel accepts (core's KERNEL_DTYPES), large magnitudes for softmax and logSumExp, and values
 * from a seeded generator. Expected outputs come from the float64 evaluator in reference.ts.
 * Expected gradients (of Σ⟨out, cot⟩, random cotangents) are central differences of that float64
 * reference. They run as the fixture family `generated` through the same `checkCase` as the golden
 * fixtures: values, dtypes, shapes, vjp gradients and leaks.
 */

export const GENERATED_FAMILY = 'generated';

// ---------------------------------------------------------------------------------------------
// Shape generators
// ---------------------------------------------------------------------------------------------

/** `base` with a 1 in each position in turn. */
const size1Everywhere = (base: readonly number[]) =>
  base.map((_, i) => base.map((d, j) => (i === j ? 1 : d)));

/** `base` with a 0 in each position in turn. */
const emptyEverywhere = (base: readonly number[]) =>
  base.map((_, i) => base.map((d, j) => (i === j ? 0 : d)));

/**
 * Operand pairs: one element against a scalar, size-1 dims broadcasting on both sides at once
 * (and across ranks), and empty dims broadcast against size 1 on either side.
 */
const BROADCAST_PAIRS: [number[], number[]][] = [
  [[1, 1, 1], []],
  [
    [2, 1, 4],
    [1, 3, 1],
  ],
  [
    [1, 3],
    [2, 1],
  ],
  [[4, 1], [3]],
  [
    [0, 3],
    [1, 3],
  ],
  [
    [2, 1],
    [2, 0],
  ],
];

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** mulberry32: a tiny seeded generator, so every case is reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Value ranges: float [lo, hi] (or a grid step for exact arithmetic), int [lo, hi]. */
interface Domain {
  lo: number;
  hi: number;
  /** Round floats to multiples of this (exact in float32: sums and remainders stay exact). */
  grid?: number;
  /** Leave out (-gap, gap): away from poles and zero divisors. */
  gap?: number;
  ilo?: number;
  ihi?: number;
  /** Exact values to cycle through instead of random ones. */
  list?: readonly number[];
}
const DEFAULT_DOMAIN: Domain = { lo: -3, hi: 3, ilo: -4, ihi: 4 };

function values(n: number, dtype: DType, dom: Domain, next: () => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (dom.list) {
      out.push(dom.list[i % dom.list.length]!);
      continue;
    }
    if (dtype === 'bool') out.push(next() < 0.5 ? 0 : 1);
    else if (dtype === 'int32') {
      const lo = dom.ilo ?? -4;
      const hi = dom.ihi ?? 4;
      let v = lo + Math.floor(next() * (hi - lo + 1));
      if (dom.gap && Math.abs(v) < dom.gap) v = v < 0 ? -Math.ceil(dom.gap) : Math.ceil(dom.gap);
      out.push(v);
    } else {
      let v = dom.lo + (dom.hi - dom.lo) * next();
      if (dom.grid) v = Math.round(v / dom.grid) * dom.grid;
      if (dom.gap && Math.abs(v) < dom.gap) v = v < 0 ? -dom.gap : dom.gap;
      out.push(Math.fround(v) + 0); // + 0: no -0, which JSON cannot carry
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Building cases
// ---------------------------------------------------------------------------------------------

export interface InputSpec {
  shape: number[];
  dtype: DType;
  domain?: Domain;
  /** Exact data instead of generated values. */
  data?: number[];
}

const fmt = (s: readonly number[]) => `[${s.join(',')}]`;

/** What a case family in cases/ uses to add its cases. */
export type CaseBuilder = Pick<Builder, 'add' | 'gradients'>;

class Builder {
  readonly cases: FixtureCase[] = [];
  private readonly names = new Set<string>();
  /** Whether cases of differentiable ops get expected gradients (off for the extreme-value rows). */
  gradients = true;

  add(
    op: string,
    desc: string,
    inputs: InputSpec[],
    args: OpArgs = {},
    tolerance?: Partial<Tolerance>,
  ): void {
    let name = `${op}/${desc}`;
    for (let k = 2; this.names.has(name); k++) name = `${op}/${desc} #${k}`;
    this.names.add(name);
    const next = rng(hash(name));
    const xs: FixtureTensor[] = inputs.map((s) => ({
      shape: s.shape,
      dtype: s.dtype,
      data: s.data ?? values(sizeOf(s.shape), s.dtype, s.domain ?? DEFAULT_DOMAIN, next),
    }));
    const ref = REFERENCE[op];
    if (!ref) throw new Error(`generated cases: no reference for op '${op}'`);
    const outputs = ref(xs, args);
    const diff = this.gradients && !inputs.some((s) => s.domain?.grid) ? differentiable(op, xs) : [];
    const [cotangents, grads] = diff.length
      ? centralDifferences(ref, xs, args, outputs, diff, next)
      : [[], []];
    this.cases.push({
      name,
      op,
      family: GENERATED_FAMILY,
      inputs: xs,
      args: args as FixtureCase['args'],
      outputs,
      cotangents,
      grads: grads.length ? grads : xs.map(() => null),
      tags: ['generated'],
      ...(tolerance ? { tolerance } : {}),
      gradcheck: false,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Gradients: central differences of the float64 reference
// ---------------------------------------------------------------------------------------------

/** Ops whose float inputs are differentiated (all of them, or the listed positions). */
const DIFFERENTIABLE: Readonly<Record<string, readonly number[] | 'all'>> = {
  ...SPARSE_DIFFERENTIABLE,
  ...ATTENTION_DIFFERENTIABLE,
  ...Object.fromEntries(
    Object.keys(UNARY_MATH)
      .filter(
        (op) => !['floor', 'ceil', 'round', 'trunc', 'isNaN', 'isFinite', 'logicalNot', 'sign'].includes(op),
      )
      .map((op) => [op, 'all']),
  ),
  ...Object.fromEntries(
    ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'atan2'].map((op) => [op, 'all']),
  ),
  where: [1, 2],
  ...Object.fromEntries(
    ['sum', 'prod', 'max', 'min', 'mean', 'logSumExp', 'variance', 'std', 'norm'].map((op) => [op, 'all']),
  ),
  ...Object.fromEntries(
    ['softmax', 'logSoftmax', 'matmul', 'dot', 'outer', 'cumsum', 'cumprod', 'sort', 'topk'].map((op) => [
      op,
      'all',
    ]),
  ),
  ...Object.fromEntries(
    [
      'reshape',
      'flatten',
      'squeeze',
      'unsqueeze',
      'transpose',
      'permute',
      'broadcastTo',
      'concat',
      'stack',
      'split',
      'slice',
      'pad',
      'tile',
      'repeat',
      'flip',
      'roll',
      'tril',
      'triu',
    ].map((op) => [op, 'all']),
  ),
  gather: [0],
  indexSelect: [0],
  take: [0],
  scatter: [0, 2],
  scatterAdd: [0, 2],
  maskedFill: [0],
  conv2d: 'all',
  conv1d: 'all',
  convTranspose2d: 'all',
  maxPool1d: 'all',
  avgPool1d: 'all',
  adaptiveAvgPool2d: 'all',
  unfold: 'all',
  einsum: 'all',
  chunk: 'all',
  batchNorm: [0, 3, 4],
  maxPool2d: 'all',
  avgPool2d: 'all',
  layerNorm: 'all',
  biasAct: 'all',
  embedding: [1],
  lstmCell: 'all',
  lstmCellGrad: 'all',
  gruCell: 'all',
  gruCellGrad: 'all',
  dropout: 'all',
};

/** Positions of the float inputs of `op` that get gradients. */
function differentiable(op: string, xs: readonly FixtureTensor[]): number[] {
  const which = DIFFERENTIABLE[op];
  if (!which) return [];
  return xs.flatMap((x, i) => (x.dtype === 'float32' && (which === 'all' || which.includes(i)) ? [i] : []));
}

/**
 * Expected gradients of Σ_j ⟨out_j, cot_j⟩ with respect to inputs `diff`, by central differences of
 * the unrounded float64 reference (step 1e-5·max(1, |x|): truncation and rounding errors near 1e-10,
 * far below the suite's gradient tolerance). No gradients where an output or a difference is not
 * finite (0/0 variances, say).
 */
function centralDifferences(
  ref: (xs: readonly Ref[], a: OpArgs) => Ref[],
  xs: readonly FixtureTensor[],
  args: OpArgs,
  outputs: readonly Ref[],
  diff: readonly number[],
  next: () => number,
): [FixtureTensor[], (FixtureTensor | null)[]] {
  const floats = outputs.filter((o) => o.dtype === 'float32');
  if (floats.length === 0 || floats.some((o) => o.data.some((v) => !Number.isFinite(v)))) return [[], []];
  const cots = floats.map((o) => ({
    shape: o.shape,
    dtype: 'float32' as DType,
    data: values(o.data.length, 'float32', { lo: -1, hi: 1 }, next),
  }));
  const objective = (inputs: FixtureTensor[]) =>
    exactly(() =>
      ref(inputs, args)
        .filter((o) => o.dtype === 'float32')
        .reduce((acc, o, j) => acc + o.data.reduce((s, v, k) => s + v * cots[j]!.data[k]!, 0), 0),
    );
  const grads: (FixtureTensor | null)[] = xs.map(() => null);
  for (const i of diff) {
    const base = xs[i]!;
    const g = base.data.map((x0, k) => {
      const h = 1e-5 * Math.max(1, Math.abs(x0));
      const at = (v: number) => {
        const data = [...base.data];
        data[k] = v;
        const inputs = [...xs];
        inputs[i] = { ...base, data };
        return objective(inputs);
      };
      return (at(x0 + h) - at(x0 - h)) / (2 * h);
    });
    if (g.some((v) => !Number.isFinite(v))) return [[], []];
    grads[i] = { shape: base.shape, dtype: 'float32', data: g.map((v) => Math.fround(v) + 0) };
  }
  return [cots, grads];
}

/** The dtypes kernel `k` accepts for its data operands (core's table). */
const dtypesOf = (k: KernelName): readonly DType[] => KERNEL_DTYPES[k].data;

const kernelName = (op: string) => (op.charAt(0).toUpperCase() + op.slice(1)) as KernelName;

// ---------------------------------------------------------------------------------------------
// Elementwise
// ---------------------------------------------------------------------------------------------

const POSITIVE: Domain = { lo: 0.1, hi: 4, ilo: 1, ihi: 4 };
const UNIT: Domain = { lo: -0.95, hi: 0.95 };
const UNARY_DOMAINS: Readonly<Record<string, Domain>> = {
  log: POSITIVE,
  log2: POSITIVE,
  sqrt: POSITIVE,
  rsqrt: POSITIVE,
  log1p: { lo: -0.9, hi: 3 },
  reciprocal: { lo: -4, hi: 4, gap: 0.25 },
  asin: UNIT,
  acos: UNIT,
  tan: { lo: -1.3, hi: 1.3 },
  relu6: { lo: -3, hi: 9 },
  // halves: round's ties go to even; exact floats keep floor/ceil/trunc clear of rounding
  round: { lo: -3, hi: 3, grid: 0.5 },
  floor: { lo: -3, hi: 3, grid: 0.25 },
  ceil: { lo: -3, hi: 3, grid: 0.25 },
  trunc: { lo: -3, hi: 3, grid: 0.25 },
  isNaN: { lo: 0, hi: 0, list: [Number.NaN, Number.POSITIVE_INFINITY, -1.5, Number.NEGATIVE_INFINITY, 0] },
  isFinite: { lo: 0, hi: 0, list: [Number.NaN, Number.POSITIVE_INFINITY, -1.5, Number.NEGATIVE_INFINITY, 0] },
};
/** The unary table's input domain of an op (its row's `[lo, hi]`), for ops UNARY_DOMAINS leaves out. */
const TABLE_DOMAINS: ReadonlyMap<string, Domain> = new Map(
  UNARY_ROWS.flatMap(([, row]) =>
    row.domain ? [[row.op, { lo: row.domain[0], hi: row.domain[1] }] as const] : [],
  ),
);
const domainOf = (op: string): Domain | undefined => TABLE_DOMAINS.get(op);
/** Op args for the parameterised activations. */
const UNARY_ARGS: Readonly<Record<string, OpArgs>> = {
  leakyRelu: { alpha: 0.2 },
  elu: { alpha: 0.5 },
  celu: { alpha: 1.5 },
  gelu: { approximate: 'tanh' },
  hardTanh: { min: -0.5, max: 2 },
  clip: { min: -1, max: 2 },
};
const UNARY_KERNEL: Readonly<Record<string, KernelName>> = { clip: 'Clip' };
const UNARY_SHAPES: number[][] = [
  [1, 1, 1],
  [0, 3],
  [2, 1, 3],
];

function elementwise(b: Builder): void {
  for (const op of Object.keys(UNARY_MATH)) {
    for (const dtype of dtypesOf(UNARY_KERNEL[op] ?? kernelName(op))) {
      for (const shape of UNARY_SHAPES) {
        const domain = UNARY_DOMAINS[op] ?? domainOf(op) ?? DEFAULT_DOMAIN;
        b.add(op, `${dtype} ${fmt(shape)}`, [{ shape, dtype, domain }], UNARY_ARGS[op] ?? {});
      }
    }
    if (op === 'gelu') b.add(op, 'exact erf [2,1,3]', [{ shape: [2, 1, 3], dtype: 'float32' }], {});
  }
  // grids keep float remainders and quotients exact; divisors stay clear of zero
  const binaryDomains: Record<string, Domain[]> = {
    pow: [
      { lo: 0.25, hi: 3, ilo: -3, ihi: 3 },
      { lo: -2, hi: 2, ilo: 0, ihi: 3 },
    ],
    mod: [
      { lo: -4, hi: 4, grid: 0.25 },
      { lo: -3, hi: 3, grid: 0.5, gap: 0.5 },
    ],
    floorDiv: [
      { lo: -4, hi: 4, grid: 0.25 },
      { lo: -3, hi: 3, grid: 0.5, gap: 0.5 },
    ],
    div: [DEFAULT_DOMAIN, { lo: -3, hi: 3, gap: 0.25 }],
    // ties make equal / less / ... interesting
    equal: [
      { lo: -2, hi: 2, grid: 1 },
      { lo: -2, hi: 2, grid: 1 },
    ],
    lessEqual: [
      { lo: -2, hi: 2, grid: 1 },
      { lo: -2, hi: 2, grid: 1 },
    ],
  };
  for (const op of Object.keys(BINARY_MATH)) {
    const [da, db] = binaryDomains[op] ?? [DEFAULT_DOMAIN, DEFAULT_DOMAIN];
    for (const dtype of dtypesOf(kernelName(op))) {
      for (const [sa, sb] of BROADCAST_PAIRS) {
        b.add(op, `${dtype} ${fmt(sa)} with ${fmt(sb)}`, [
          { shape: sa, dtype, domain: da },
          { shape: sb, dtype, domain: db },
        ]);
      }
    }
  }
  const triples: [number[], number[], number[]][] = [
    [[1], [1], [1]],
    [
      [2, 1, 1],
      [1, 3, 1],
      [1, 1, 4],
    ],
    [[1, 3], [2, 1], []],
    [[0, 2], [1, 2], [1]],
  ];
  for (const dtype of dtypesOf('Where')) {
    for (const [sc, sa, sb] of triples) {
      b.add('where', `${dtype} ${fmt(sc)} ? ${fmt(sa)} : ${fmt(sb)}`, [
        { shape: sc, dtype: 'bool' },
        { shape: sa, dtype },
        { shape: sb, dtype },
      ]);
    }
  }
  const casts = { lo: -3, hi: 3, grid: 0.25 };
  for (const from of dtypesOf('Cast')) {
    for (const to of dtypesOf('Cast')) {
      if (from === to) continue;
      for (const shape of [[1], [2, 1, 3], [0]]) {
        b.add('cast', `${from} to ${to} ${fmt(shape)}`, [{ shape, dtype: from, domain: casts }], {
          dtype: to,
        });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reductions
// ---------------------------------------------------------------------------------------------

type Axis = number | number[] | undefined;

/** (shape, axis, keepdims) triples: one element, a size-1 dim reduced in every position, batch 1, empty. */
function reductionShapes(withEmpty: boolean): [number[], Axis, boolean][] {
  const out: [number[], Axis, boolean][] = [
    [[1], undefined, false],
    [[1, 1, 1], [0, 2], false],
    [[1, 5], 1, false],
    [[1, 5], 0, true],
  ];
  size1Everywhere([2, 3, 4]).forEach((shape, i) => {
    out.push([shape, i, i % 2 === 0]);
  });
  out.push([[2, 1, 4], [0, 2], false], [[2, 1, 4], undefined, true]);
  if (withEmpty) {
    out.push([[0], undefined, false]);
    for (const shape of emptyEverywhere([2, 3])) out.push([shape, 0, false], [shape, 1, true]);
  }
  return out;
}

const REDUCTION_KERNEL: Readonly<Record<string, KernelName | null>> = {
  sum: 'Sum',
  prod: 'Prod',
  max: 'Max',
  min: 'Min',
  any: 'Any',
  all: 'All',
  argmax: 'ArgMax',
  argmin: 'ArgMin',
  // composites of float ops
  mean: null,
  logSumExp: null,
  variance: null,
  std: null,
  norm: null,
};

function reductions(b: Builder): void {
  for (const [op, kernel] of Object.entries(REDUCTION_KERNEL)) {
    // max / min / argmax / argmin of an empty tensor are errors (PyTorch), not values
    const empty = !['max', 'min', 'argmax', 'argmin'].includes(op);
    const domain: Domain = op === 'prod' ? { lo: 0.5, hi: 1.5, ilo: -2, ihi: 2 } : DEFAULT_DOMAIN;
    for (const dtype of kernel ? dtypesOf(kernel) : ['float32' as DType]) {
      for (const [shape, axis, keepdims] of reductionShapes(empty)) {
        // arg-reductions take one axis
        const arg = op === 'argmax' || op === 'argmin';
        if (arg && Array.isArray(axis)) continue;
        if (arg && axis === undefined && keepdims) continue;
        const desc = `${dtype} ${fmt(shape)} axis ${axis === undefined ? 'all' : fmt([axis].flat())}${keepdims ? ' keepdims' : ''}`;
        b.add(op, desc, [{ shape, dtype, domain }], { axis, keepdims });
      }
    }
  }
  for (const correction of [0, 1]) {
    b.add('variance', `one element, correction ${correction}`, [{ shape: [1, 1], dtype: 'float32' }], {
      axis: 1,
      correction,
    });
    b.add('std', `one element, correction ${correction}`, [{ shape: [1], dtype: 'float32' }], { correction });
  }
}

// ---------------------------------------------------------------------------------------------
// Softmax and logSumExp at large magnitudes
// ---------------------------------------------------------------------------------------------

/** Rows of extreme values: each overflows exp() unless the maximum is subtracted first. */
const LARGE_ROWS: [string, number[]][] = [
  ['±1e4', [1e4, -1e4, 0, 1e4 - 1]],
  ['all 1e4', [1e4, 1e4, 1e4, 1e4]],
  ['all -1e4', [-1e4, -1e4, -1e4, -1e4]],
  ['±3e38', [3e38, -3e38, 3e38, 0]],
  ['-3e38 and 0', [-3e38, 0, -3e38, -1]],
  ['all 3e38', [3e38, 3e38, 3e38, 3e38]],
];

function softmaxes(b: Builder): void {
  const shapes: [number[], number][] = [
    [[1], 0],
    [[1, 1], 1],
    [[1, 5], 1],
    [[5, 1], 1],
    [[2, 1, 3], 1],
    [[2, 1, 3], 0],
    [[2, 1, 3], 2],
    [[0, 3], 1],
    [[3, 0], 1],
  ];
  for (const op of ['softmax', 'logSoftmax']) {
    b.gradients = true;
    for (const [shape, axis] of shapes)
      b.add(op, `${fmt(shape)} axis ${axis}`, [{ shape, dtype: 'float32' }], { axis });
    // no gradients at ±3e38 (a step of 1e-5·|x| leaves float range) nor at ±1e4 (exp underflows)
    b.gradients = false;
    for (const [label, row] of LARGE_ROWS) {
      b.add(
        op,
        `${label} [2,4] axis 1`,
        [{ shape: [2, 4], dtype: 'float32', data: [...row, ...row.map((v) => -v)] }],
        {
          axis: 1,
        },
      );
      if (label.startsWith('±'))
        b.add(op, `${label} [4,1] axis 0`, [{ shape: [4, 1], dtype: 'float32', data: row }], { axis: 0 });
    }
  }
  for (const [label, row] of LARGE_ROWS) {
    b.add(
      'logSumExp',
      `${label} [2,4] axis 1`,
      [{ shape: [2, 4], dtype: 'float32', data: [...row, ...row.map((v) => -v)] }],
      {
        axis: 1,
      },
    );
    b.add('logSumExp', `${label} [1,4] axis all`, [{ shape: [1, 4], dtype: 'float32', data: row }], {});
  }
  b.gradients = true;
}

// ---------------------------------------------------------------------------------------------
// Linear algebra
// ---------------------------------------------------------------------------------------------

function linalg(b: Builder): void {
  const pairs: [number[], number[]][] = [
    [[1], [1]],
    [
      [1, 1],
      [1, 1],
    ],
    [
      [1, 3],
      [3, 1],
    ],
    [
      [3, 1],
      [1, 3],
    ],
    [
      [1, 1, 2],
      [2, 2],
    ],
    [
      [2, 1, 2, 3],
      [1, 3, 3, 2],
    ],
    [[2], [2, 3]],
    [[2, 3], [3]],
    [
      [0, 3],
      [3, 2],
    ],
    [
      [2, 0],
      [0, 3],
    ],
    [
      [1, 0, 2],
      [3, 2, 2],
    ],
  ];
  for (const dtype of dtypesOf('MatMul')) {
    for (const [sa, sb] of pairs) {
      b.add('matmul', `${dtype} ${fmt(sa)} @ ${fmt(sb)}`, [
        { shape: sa, dtype },
        { shape: sb, dtype },
      ]);
    }
    b.add('dot', `${dtype} [1]·[1]`, [
      { shape: [1], dtype },
      { shape: [1], dtype },
    ]);
    b.add('outer', `${dtype} [1]⊗[3]`, [
      { shape: [1], dtype },
      { shape: [3], dtype },
    ]);
    b.add('outer', `${dtype} [0]⊗[2]`, [
      { shape: [0], dtype },
      { shape: [2], dtype },
    ]);
  }
}

// ---------------------------------------------------------------------------------------------
// Shape ops (every dtype: they move data)
// ---------------------------------------------------------------------------------------------

function shapes(b: Builder): void {
  const cases: [op: string, shape: number[], args: OpArgs, more?: number[][]][] = [
    ['reshape', [1], { shape: [] }],
    ['reshape', [2, 1, 3], { shape: [3, 1, 2] }],
    ['reshape', [0, 3], { shape: [3, 0] }],
    ['flatten', [1, 1, 1], { startDim: 0, endDim: -1 }],
    ['flatten', [2, 1, 3], { startDim: 1, endDim: 2 }],
    ['flatten', [0, 2, 3], { startDim: 1, endDim: 2 }],
    ['squeeze', [1, 1, 1], {}],
    ['squeeze', [2, 1, 3], { axis: 1 }],
    ['squeeze', [1, 3, 1], { axis: -1 }],
    ['unsqueeze', [1], { axis: 0 }],
    ['unsqueeze', [0], { axis: 1 }],
    ['transpose', [1, 3], { dim0: 0, dim1: 1 }],
    ['transpose', [2, 1, 3], { dim0: 0, dim1: 2 }],
    ['transpose', [0, 2], { dim0: 0, dim1: 1 }],
    ['permute', [1, 2, 1], { dims: [2, 0, 1] }],
    ['permute', [2, 1, 3, 1], { dims: [3, 1, 0, 2] }],
    ['permute', [2, 0, 3], { dims: [1, 2, 0] }],
    ['broadcastTo', [1], { shape: [2, 3] }],
    ['broadcastTo', [1, 3, 1], { shape: [2, 3, 4] }],
    ['broadcastTo', [1, 1], { shape: [0, 1] }],
    ['broadcastTo', [3, 1], { shape: [2, 3, 0] }],
    ['concat', [1], { axis: 0 }, [[1]]],
    ['concat', [2, 1], { axis: 1 }, [[2, 3]]],
    ['concat', [0, 3], { axis: 0 }, [[2, 3]]],
    ['concat', [2, 0], { axis: 1 }, [[2, 0]]],
    [
      'concat',
      [1, 2],
      { axis: 0 },
      [
        [1, 2],
        [1, 2],
      ],
    ],
    ['stack', [1], { axis: 0 }, [[1]]],
    [
      'stack',
      [1, 1],
      { axis: -1 },
      [
        [1, 1],
        [1, 1],
      ],
    ],
    ['stack', [0, 2], { axis: 1 }, [[0, 2]]],
    ['split', [1, 3], { sizeOrSizes: 1, axis: 0 }],
    ['split', [5, 2], { sizeOrSizes: 2, axis: 0 }],
    ['split', [2, 1], { sizeOrSizes: 1, axis: 1 }],
    ['chunk', [1, 3], { chunks: 2, axis: 0 }],
    ['chunk', [5, 2], { chunks: 3, axis: 0 }],
    ['chunk', [0, 2], { chunks: 2, axis: 0 }],
    ['slice', [1, 3], { specs: [0, [null, null, -1]] }],
    ['slice', [2, 1, 3], { specs: [null, [0, 1], [1, 3]] }],
    ['slice', [3, 4], { specs: [[2, 1], null] }],
    ['slice', [1], { specs: [[null, null, -1]] }],
    ['pad', [1, 1], { pads: [1, 1, 1, 1], mode: 'constant', value: 1 }],
    ['pad', [1, 2], { pads: [1, 0, 2, 1], mode: 'replicate' }],
    ['pad', [2, 1, 3], { pads: [0, 0, 1, 2], mode: 'constant', value: 0 }],
    ['pad', [0, 2], { pads: [1, 1], mode: 'constant', value: 1 }],
    ['pad', [1, 3], { pads: [2, 2], mode: 'reflect' }],
    ['tile', [1], { reps: [3] }],
    ['tile', [2, 1], { reps: [1, 3] }],
    ['tile', [0, 2], { reps: [2, 1] }],
    ['tile', [1, 2], { reps: [2, 1, 1] }],
    ['repeat', [1], { repeats: 3, axis: 0 }],
    ['repeat', [2, 1], { repeats: 2, axis: 1 }],
    ['repeat', [0, 2], { repeats: 2, axis: 1 }],
    ['flip', [1], { axis: 0 }],
    ['flip', [2, 1, 3], { axis: [0, 2] }],
    ['flip', [0, 3], { axis: 1 }],
    ['roll', [1], { shifts: 5, axis: 0 }],
    ['roll', [2, 3], { shifts: -1, axis: 1 }],
    ['roll', [3, 1], { shifts: 1, axis: 1 }],
    ['tril', [1, 1], {}],
    ['tril', [1, 4], { k: 1 }],
    ['tril', [2, 1, 3], {}],
    ['triu', [3, 1], { k: -1 }],
    ['triu', [0, 3], {}],
    ['triu', [1, 4], {}],
  ];
  const kernelOf: Record<string, KernelName> = {
    concat: 'Concat',
    stack: 'Concat',
    pad: 'Pad',
    tile: 'Tile',
    flip: 'Flip',
    broadcastTo: 'BroadcastTo',
    transpose: 'Transpose',
    permute: 'Transpose',
  };
  for (const [op, shape, args, more] of cases) {
    for (const dtype of dtypesOf(kernelOf[op] ?? 'Slice')) {
      const inputs: InputSpec[] = [{ shape, dtype }, ...(more ?? []).map((s) => ({ shape: s, dtype }))];
      b.add(
        op,
        `${dtype} ${inputs.map((i) => fmt(i.shape)).join(' ')} ${JSON.stringify(args)}`,
        inputs,
        args,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Indexing, sorting, scans
// ---------------------------------------------------------------------------------------------

const index = (shape: number[], data: number[]): InputSpec => ({ shape, dtype: 'int32', data });

function indexing(b: Builder): void {
  for (const dtype of dtypesOf('Gather')) {
    const x = (shape: number[]): InputSpec => ({ shape, dtype });
    b.add('gather', `${dtype} [1,1] axis 1`, [x([1, 1]), index([1, 1], [0])], { axis: 1 });
    b.add('gather', `${dtype} [2,3] index [2,1] axis 1`, [x([2, 3]), index([2, 1], [2, 0])], { axis: 1 });
    b.add('gather', `${dtype} [3,2] index [1,2] axis 0`, [x([3, 2]), index([1, 2], [2, 0])], { axis: 0 });
    b.add('gather', `${dtype} [2,3] empty index axis 1`, [x([2, 3]), index([2, 0], [])], { axis: 1 });
    b.add('indexSelect', `${dtype} [1,3] twice row 0`, [x([1, 3]), index([2], [0, 0])], { axis: 0 });
    b.add('indexSelect', `${dtype} [2,1,3] axis 1`, [x([2, 1, 3]), index([1], [0])], { axis: 1 });
    b.add('indexSelect', `${dtype} [2,3] empty index`, [x([2, 3]), index([0], [])], { axis: 1 });
    b.add('take', `${dtype} [1] index [1,1]`, [x([1]), index([1, 1], [0])]);
    b.add('take', `${dtype} [2,3] empty index`, [x([2, 3]), index([0], [])]);
    b.add('scatter', `${dtype} [1,1]`, [x([1, 1]), index([1, 1], [0]), x([1, 1])], { axis: 1 });
    b.add('scatter', `${dtype} [3,2] index [1,2] axis 0`, [x([3, 2]), index([1, 2], [2, 0]), x([1, 2])], {
      axis: 0,
    });
    b.add('scatter', `${dtype} [2,3] empty index`, [x([2, 3]), index([2, 0], []), x([2, 0])], { axis: 1 });
    b.add('scatterAdd', `${dtype} [1,1]`, [x([1, 1]), index([1, 1], [0]), x([1, 1])], { axis: 0 });
    b.add(
      'scatterAdd',
      `${dtype} [3,2] repeated indices axis 0`,
      [x([3, 2]), index([4, 2], [0, 2, 0, 1, 2, 2, 0, 0]), x([4, 2])],
      { axis: 0 },
    );
    b.add('maskedFill', `${dtype} [2,3] mask [1,3]`, [x([2, 3]), { shape: [1, 3], dtype: 'bool' }], {
      value: 1,
    });
    b.add('maskedFill', `${dtype} [1] mask [1]`, [x([1]), { shape: [1], dtype: 'bool', data: [1] }], {
      value: 1,
    });
  }
  b.add('oneHot', '[1] of 1 class', [index([1], [0])], { numClasses: 1 });
  b.add('oneHot', '[2,1] of 3 classes', [index([2, 1], [2, 0])], { numClasses: 3 });
  b.add('oneHot', '[0] of 2 classes', [index([0], [])], { numClasses: 2 });
  for (const w of [
    [1, 1],
    [3, 2],
    [2, 3],
  ]) {
    const i = w[0] === 1 ? index([1], [0]) : w[0] === 3 ? index([2, 1], [2, 0]) : index([0], []);
    b.add('embedding', `${fmt(i.shape)} rows of ${fmt(w)}`, [i, { shape: w, dtype: 'float32' }]);
  }

  for (const dtype of dtypesOf('Sort')) {
    // int32 and bool values tie: the lower index comes first (stable sort, the kernel contract)
    const x = (shape: number[]): InputSpec => ({ shape, dtype, domain: { lo: -3, hi: 3, ilo: -2, ihi: 2 } });
    b.add('sort', `${dtype} [1]`, [x([1])], {});
    b.add('sort', `${dtype} [2,1,3] axis 1`, [x([2, 1, 3])], { axis: 1 });
    b.add('sort', `${dtype} [3,4] axis 0 descending`, [x([3, 4])], { axis: 0, descending: true });
    b.add('sort', `${dtype} [0,3] axis 1`, [x([0, 3])], { axis: 1 });
    b.add('sort', `${dtype} [2,5] ties`, [x([2, 5])], { axis: 1 });
    b.add('argsort', `${dtype} [1,4] descending`, [x([1, 4])], { descending: true });
    b.add('argsort', `${dtype} [3,1] axis 1`, [x([3, 1])], { axis: 1 });
    b.add('topk', `${dtype} [1] k 1`, [x([1])], { k: 1 });
    b.add('topk', `${dtype} [2,5] k 1`, [x([2, 5])], { k: 1 });
    b.add('topk', `${dtype} [2,5] k 0`, [x([2, 5])], { k: 0 });
    b.add('topk', `${dtype} [3,2] axis 0 k 2 smallest`, [x([3, 2])], { k: 2, axis: 0, largest: false });
  }
  for (const op of ['cumsum', 'cumprod']) {
    for (const dtype of dtypesOf(op === 'cumsum' ? 'Cumsum' : 'Cumprod')) {
      const domain: Domain = op === 'cumprod' ? { lo: 0.5, hi: 1.5, ilo: -2, ihi: 2 } : DEFAULT_DOMAIN;
      for (const [shape, axis] of [
        [[1], 0],
        [[2, 1, 3], 1],
        [[2, 3], 0],
        [[1, 4], 1],
        [[0, 3], 1],
      ] as [number[], number][]) {
        b.add(op, `${dtype} ${fmt(shape)} axis ${axis}`, [{ shape, dtype, domain }], { axis });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Neural-net ops and creation
// ---------------------------------------------------------------------------------------------

function nn(b: Builder): void {
  const f = (shape: number[]): InputSpec => ({ shape, dtype: 'float32' });
  b.add('conv2d', '1×1 image, 1×1 kernel', [f([1, 1, 1, 1]), f([1, 1, 1, 1])]);
  b.add('conv2d', 'batch 1, padding 1', [f([1, 2, 3, 3]), f([3, 2, 3, 3])], { padding: 1 });
  b.add('conv2d', 'width 1, stride 2', [f([2, 1, 4, 1]), f([1, 1, 1, 1])], { stride: 2 });
  b.add('conv2d', 'groups 2 with bias', [f([1, 2, 2, 2]), f([2, 1, 1, 1]), f([2])], { groups: 2 });
  b.add('conv2d', 'kernel covers the image', [f([1, 1, 2, 3]), f([4, 1, 2, 3])]);
  for (const op of ['maxPool2d', 'avgPool2d']) {
    b.add(op, '1×1 image, kernel 1', [f([1, 1, 1, 1])], { kernel: 1 });
    b.add(op, 'batch 1, window covers the image', [f([1, 2, 3, 3])], { kernel: 3 });
    b.add(op, 'height 1, kernel [1,2]', [f([2, 1, 1, 4])], { kernel: [1, 2] });
    b.add(op, 'padding 1, stride 2', [f([1, 1, 4, 4])], { kernel: 2, stride: 2, padding: 1 });
  }
  b.add('layerNorm', '[1,1] over [1]', [f([1, 1]), f([1]), f([1])], { normalizedShape: [1], eps: 1e-5 });
  b.add('layerNorm', 'batch 1 [1,5]', [f([1, 5])], { normalizedShape: [5], eps: 1e-5 });
  b.add('layerNorm', '[2,1,3] over [1,3]', [f([2, 1, 3]), f([1, 3]), f([1, 3])], {
    normalizedShape: [1, 3],
    eps: 1e-5,
  });
  b.add('layerNorm', 'empty batch [0,4]', [f([0, 4])], { normalizedShape: [4], eps: 1e-5 });
  const acts = ['none', 'relu', 'gelu', 'tanh', 'sigmoid', 'silu'] as const;
  const biasShapes: [number[], number][] = [
    [[1, 1], 1],
    [[2, 3, 1, 1], 1],
    [[1, 4], -1],
    [[0, 3], 1],
    [[2, 1, 3], 1],
    [[1, 2, 1], 1],
  ];
  biasShapes.forEach(([shape, axis], i) => {
    const activation = acts[i % acts.length]!;
    const n = shape[axis < 0 ? axis + shape.length : axis]!;
    b.add('biasAct', `${activation} ${fmt(shape)} axis ${axis}`, [f(shape), f([n])], { axis, activation });
  });
  b.add('dropout', 'eval mode [1]', [f([1])], { p: 0.5, training: false });
  b.add('convTranspose2d', '1×1 image, 1×1 kernel', [f([1, 1, 1, 1]), f([1, 1, 1, 1])]);
  b.add(
    'convTranspose2d',
    'stride 2, padding 1, output padding 1, bias',
    [f([1, 2, 2, 2]), f([2, 3, 3, 3]), f([3])],
    {
      stride: 2,
      padding: 1,
      outputPadding: 1,
    },
  );
  b.add('convTranspose2d', 'height 1, batch 2', [f([2, 1, 1, 3]), f([1, 1, 2, 1])]);
  b.add('conv1d', 'length 1', [f([1, 1, 1]), f([1, 1, 1])]);
  b.add('conv1d', 'batch 1, padding 1, bias', [f([1, 2, 5]), f([3, 2, 3]), f([3])], { padding: 1 });
  for (const op of ['maxPool1d', 'avgPool1d']) {
    b.add(op, 'length 1, kernel 1', [f([1, 1, 1])], { kernel: 1 });
    b.add(op, 'window covers the row', [f([2, 3, 4])], { kernel: 4 });
    b.add(op, 'padding 1, stride 2', [f([1, 1, 5])], { kernel: 2, stride: 2, padding: 1 });
  }
  b.add('adaptiveAvgPool2d', 'global', [f([1, 2, 3, 3])], { outputSize: 1 });
  b.add('adaptiveAvgPool2d', '1×1 up to 2×3', [f([1, 1, 1, 1])], { outputSize: [2, 3] });
  b.add('adaptiveAvgPool2d', 'overlapping windows', [f([2, 1, 5, 3])], { outputSize: [2, 2] });
  b.add('unfold', '1×1 image, kernel 1', [f([1, 1, 1, 1])], { kernel: 1 });
  b.add('unfold', 'batch 1, padding 1', [f([1, 2, 3, 2])], { kernel: [2, 2], padding: 1 });
  const stats = (n: number): InputSpec[] => [
    f([n]),
    { shape: [n], dtype: 'float32', domain: POSITIVE },
    f([n]),
    f([n]),
  ];
  b.add('batchNorm', 'eval, batch 1 [1,2]', [f([1, 2]), ...stats(2)], { training: false, eps: 1e-5 });
  b.add('batchNorm', 'eval, [2,3,1,1]', [f([2, 3, 1, 1]), ...stats(3)], { training: false, eps: 1e-5 });
  b.add('batchNorm', 'eval, empty batch [0,2,2]', [f([0, 2, 2]), ...stats(2)], {
    training: false,
    eps: 1e-5,
  });
  b.add('einsum', 'ij,jk->ik [1,1]', [f([1, 1]), f([1, 1])], { equation: 'ij,jk->ik' });
  b.add('einsum', 'bij,bjk->bik batch 1', [f([1, 2, 3]), f([1, 3, 1])], { equation: 'bij,bjk->bik' });
  b.add('einsum', 'ij->j [1,4]', [f([1, 4])], { equation: 'ij->j' });
  b.add('einsum', 'i,i-> [1]', [f([1]), f([1])], { equation: 'i,i->' });
  b.add('einsum', 'ij,kj->ik empty contraction', [f([2, 0]), f([3, 0])], { equation: 'ij,kj->ik' });
}

/**
 * The fused recurrent cells (LstmCell, GruCell) and their backwards, called directly and, through
 * the vjp of the forward cases, as the gradient rules call them: batch 1, hidden 1, an empty batch,
 * and a few rows of several units.
 */
function recurrent(b: Builder): void {
  const f = (shape: number[]): InputSpec => ({ shape, dtype: 'float32' });
  const sizes: [number, number][] = [
    [1, 1],
    [2, 3],
    [1, 5],
    [3, 1],
    [0, 2],
  ];
  for (const [n, h] of sizes) {
    const d = `N ${n}, H ${h}`;
    b.add('lstmCell', d, [f([n, 4 * h]), f([n, h])]);
    b.add('lstmCellGrad', d, [f([n, 4 * h]), f([n, h]), f([n, h]), f([n, h])]);
    b.add('gruCell', d, [f([n, 3 * h]), f([n, 3 * h]), f([n, h])]);
    b.add('gruCellGrad', d, [f([n, 3 * h]), f([n, 3 * h]), f([n, h]), f([n, h])]);
  }
}

function creation(b: Builder): void {
  for (const dtype of ['float32', 'int32', 'bool'] as DType[]) {
    for (const shape of [[0], [1, 0, 1], [1, 1]]) {
      b.add('zeros', `${dtype} ${fmt(shape)}`, [], { shape, dtype });
      b.add('ones', `${dtype} ${fmt(shape)}`, [], { shape, dtype });
      b.add('full', `${dtype} ${fmt(shape)}`, [], { shape, dtype, value: dtype === 'float32' ? 2.5 : 1 });
    }
    for (const shape of [[0, 2], [1]]) {
      b.add('zerosLike', `${dtype} ${fmt(shape)}`, [{ shape, dtype }]);
      b.add('onesLike', `${dtype} ${fmt(shape)}`, [{ shape, dtype }]);
      b.add('fullLike', `${dtype} ${fmt(shape)}`, [{ shape, dtype }], { value: 1 });
    }
    b.add('scalar', dtype, [], { value: dtype === 'float32' ? 2.5 : 1, dtype });
  }
  for (const [n, m] of [
    [1, undefined],
    [0, undefined],
    [1, 3],
    [2, 0],
  ] as [number, number | undefined][]) {
    b.add('eye', `${n}×${m ?? n}`, [], m === undefined ? { n } : { n, m });
  }
  b.add('arange', 'empty', [], { stop: 0 });
  b.add('arange', 'one element', [], { start: 0, stop: 1, step: 1 });
  b.add('arange', 'negative step', [], { start: 5, stop: 0, step: -2 });
  b.add('arange', 'float step', [], { start: 0, stop: 1, step: 0.25, dtype: 'float32' });
  for (const num of [0, 1, 2]) b.add('linspace', `num ${num}`, [], { start: -1, stop: 3, num });
}

/** Every generated edge case, deterministic (same names and values on every call). */
export function generatedCases(): FixtureCase[] {
  const b = new Builder();
  elementwise(b);
  reductions(b);
  softmaxes(b);
  linalg(b);
  shapes(b);
  indexing(b);
  nn(b);
  recurrent(b);
  sparseCases(b);
  attentionCases(b);
  creation(b);
  return b.cases;
}

/** The generated cases as a fixture file (the family `generated`). */
export function generatedFixtures(): FixtureFile {
  return {
    family: GENERATED_FAMILY,
    generator: 'backend-testkit/src/generated.ts',
    torch: 'float64 reference',
    cases: generatedCases(),
  };
}

const encodeNumber = (v: number) =>
  Number.isNaN(v)
    ? 'NaN'
    : v === Number.POSITIVE_INFINITY
      ? 'Infinity'
      : v === Number.NEGATIVE_INFINITY
        ? '-Infinity'
        : v;

function encodeValue(v: unknown): unknown {
  if (typeof v === 'number') return encodeNumber(v);
  if (Array.isArray(v)) return v.map(encodeValue);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeValue(x)]));
  return v;
}

/** A fixture file as the JSON text `parseFixtureFile` reads (NaN and ±Infinity as strings): for browser pages. */
export function encodeFixtureFile(file: FixtureFile): string {
  return JSON.stringify({
    generator: file.generator,
    torch: file.torch,
    family: file.family,
    cases: file.cases.map((c) => encodeValue({ ...c, family: undefined })),
  });
}
