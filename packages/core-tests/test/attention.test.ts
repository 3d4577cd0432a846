import { readFileSync } from 'node:fs';
import { CpuBackend } from '@myelin/backend-cpu';
import { wasmBackend } from '@myelin/backend-wasm';
import {
  type Backend,
  grad,
  memory,
  mul,
  ones,
  randn,
  scaledDotProductAttention,
  scope,
  sum,
  type Tensor,
  tensor,
  use,
  vjp,
  zeros,
} from '@myelin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// core's scaledDotProductAttention against PyTorch 1.13 in float64 (tools/gen_attention_fixtures.py
// builds PyTorch 2's F.scaled_dot_product_attention from its documented formula), on three paths:
// the CPU backend's fused Attention/AttentionGrad kernels, core's decomposition (the CPU backend
// without them) and the wasm backend's fused kernels. Then second derivatives, fully masked rows,
// dropout, bad input and memory.

interface Arr {
  shape: number[];
  dtype: 'float32' | 'bool';
  data: (number | boolean)[];
}
interface Case {
  name: string;
  inputs: Arr[];
  causal: boolean;
  scale?: number;
  output: Arr;
  cotangent: Arr;
  grads: Arr[];
  second?: { weight: Arr; grads: Arr[] };
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/attention.json', import.meta.url), 'utf8')) as {
  torch: string;
  cases: Case[];
};
const cases = fixture.cases;

const KERNELS = ['Attention', 'AttentionGrad'];

/** The CPU backend without the fused kernels: core runs the decomposition. */
function decomposedCpu(): Backend {
  const b = new CpuBackend();
  const kernels = { ...b.kernels } as Record<string, unknown>;
  for (const k of KERNELS) delete kernels[k];
  Object.defineProperty(b, 'kernels', { value: kernels });
  Object.defineProperty(b, 'name', { value: 'cpu-decomposed' });
  return b;
}

/** Calls of each fused kernel on the backends wrapped by `counting`, by backend then kernel. */
const calls: Record<string, Record<string, number>> = {};

/** `b` with its fused attention kernels counting their calls (to prove that a path ran them). */
function counting<B extends Backend>(b: B): B {
  const kernels = { ...b.kernels } as Record<string, (...args: never[]) => unknown>;
  const mine: Record<string, number> = {};
  calls[b.name] = mine;
  for (const k of KERNELS) {
    mine[k] = 0;
    const inner = kernels[k];
    if (!inner) throw new Error(`${b.name} has no ${k} kernel`);
    kernels[k] = (...args: never[]) => {
      mine[k]!++;
      return inner(...args);
    };
  }
  Object.defineProperty(b, 'kernels', { value: kernels });
  return b;
}

const cpu = counting(new CpuBackend());
const plain = decomposedCpu();
const wasm = counting(await wasmBackend());
const PATHS = [
  ['cpu fused kernels', cpu],
  ['decomposition', plain],
  ['wasm fused kernels', wasm],
] as const;

const t = (a: Arr) =>
  a.dtype === 'bool'
    ? tensor(a.data as boolean[], { shape: a.shape, dtype: 'bool' })
    : tensor(a.data as number[], { shape: a.shape });

function close(label: string, got: Tensor, want: Arr, tol = 2e-5) {
  expect(got.shape, label).toEqual(want.shape);
  const g = got.dataSync();
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.data.length; i++) {
    const w = want.data[i] as number;
    const excess = Math.abs(g[i]! - w) - tol * (1 + Math.abs(w));
    if (!(excess <= worst)) {
      worst = excess;
      at = i;
    }
  }
  expect(at, `${label}: element ${at} is ${g[at]}, PyTorch ${want.data[at]}`).toBe(-1);
}

function attend(c: Case, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | undefined): Tensor {
  return scaledDotProductAttention(q, k, v, { mask, causal: c.causal, scale: c.scale });
}

describe(`scaledDotProductAttention matches PyTorch ${fixture.torch} (float64, PyTorch 2's formula)`, () => {
  afterAll(async () => {
    await use(cpu);
  });

  it('the fixture holds L = 1, S = 1, L ≠ S, D ≠ Dv, causal, masks and a case longer than a key block', () => {
    const dims = cases.map((c) => {
      const [q, k, v] = c.inputs;
      return { L: q!.shape.at(-2)!, S: k!.shape.at(-2)!, D: q!.shape.at(-1)!, Dv: v!.shape.at(-1)! };
    });
    expect(dims.some((d) => d.L === 1)).toBe(true);
    expect(dims.some((d) => d.S === 1)).toBe(true);
    expect(dims.some((d) => d.L !== d.S)).toBe(true);
    expect(dims.some((d) => d.D !== d.Dv)).toBe(true);
    expect(dims.some((d) => d.S > 128)).toBe(true);
    expect(cases.filter((c) => c.causal).length).toBeGreaterThanOrEqual(3);
    expect(cases.some((c) => c.inputs[3]?.dtype === 'bool')).toBe(true);
    expect(cases.some((c) => c.inputs[3]?.dtype === 'float32')).toBe(true);
    expect(cases.filter((c) => c.second).length).toBeGreaterThanOrEqual(3);
  });

  it('the decomposed path has neither fused kernel', () => {
    expect(KERNELS.filter((k) => k in plain.kernels)).toEqual([]);
  });

  for (const [path, backend] of PATHS) {
    describe(path, () => {
      beforeAll(async () => {
        await use(backend);
      });
      it.each(cases.map((c) => [c.name, c] as const))('%s: output and gradients of q, k, v', (_name, c) => {
        const before = memory().tensors;
        scope(() => {
          const [q, k, v, mask] = c.inputs.map(t);
          const [outs, back] = vjp((a, b, d) => attend(c, a, b, d, mask), q!, k!, v!);
          close(`${c.name} output`, outs, c.output);
          back(t(c.cotangent)).forEach((g, i) => {
            close(`${c.name} gradient of input ${i}`, g, c.grads[i]!, 5e-5);
          });
        });
        expect(memory().tensors).toBe(before);
      });
      const seconds = cases.filter((c) => c.second);
      it.each(seconds.map((c) => [c.name, c] as const))('%s: gradient of the gradient of q', (_name, c) => {
        scope(() => {
          const [q, k, v, mask] = c.inputs.map(t);
          const cot = t(c.cotangent);
          const w = t(c.second!.weight);
          const dq = (a: Tensor, b: Tensor, d: Tensor) =>
            grad((x: Tensor) => sum(mul(attend(c, x, b, d, mask), cot)))(a);
          const gg = grad((a: Tensor, b: Tensor, d: Tensor) => sum(mul(dq(a, b, d), w)), [0, 1, 2])(
            q!,
            k!,
            v!,
          );
          (gg as Tensor[]).forEach((g, i) => {
            close(`${c.name} second derivative, input ${i}`, g, c.second!.grads[i]!, 1e-4);
          });
        });
      });
    });
  }

  it('and each fused path called both kernels', () => {
    for (const b of [cpu, wasm])
      for (const k of KERNELS) expect(calls[b.name]![k], `${b.name} ${k}`).toBeGreaterThan(0);
  });
});

describe('rows that see no key', () => {
  for (const [path, backend] of PATHS) {
    it(`give 0 and pass no gradient on the ${path} (PyTorch gives NaN)`, async () => {
      await use(backend);
      scope(() => {
        const q = randn([2, 3, 4], { seed: 1 });
        const k = randn([2, 5, 4], { seed: 2 });
        const v = randn([2, 5, 2], { seed: 3 });
        // row 1 of every batch entry sees no key; row 0 sees key 0 only, row 2 key 4 only
        const mask = tensor(
          [
            true,
            false,
            false,
            false,
            false,
            false,
            false,
            false,
            false,
            false,
            false,
            false,
            false,
            false,
            true,
          ],
          {
            shape: [3, 5],
            dtype: 'bool',
          },
        );
        const f = (a: Tensor, b: Tensor, c: Tensor) => scaledDotProductAttention(a, b, c, { mask });
        const [y, back] = vjp(f, q, k, v);
        const out = y.dataSync();
        for (const b of [0, 1]) for (const c of [0, 1]) expect(out[b * 6 + 2 + c]).toBe(0);
        expect(out.every(Number.isFinite)).toBe(true);
        const [dq, dk, dv] = back(ones([2, 3, 2]));
        const dqs = dq!.dataSync();
        for (const b of [0, 1]) for (let d = 0; d < 4; d++) expect(dqs[b * 12 + 4 + d]).toBe(0);
        // keys 1-3 are seen by no row: no gradient reaches them
        const dks = dk!.dataSync();
        const dvs = dv!.dataSync();
        for (const b of [0, 1])
          for (const j of [1, 2, 3]) {
            for (let d = 0; d < 4; d++) expect(dks[(b * 5 + j) * 4 + d]).toBe(0);
            for (let d = 0; d < 2; d++) expect(dvs[(b * 5 + j) * 2 + d]).toBe(0);
          }
        // closed form for a row that sees one key: out = v of that key, and that key's dv = dout = 1
        const vs = v.dataSync();
        for (const b of [0, 1])
          for (const c of [0, 1]) {
            expect(out[b * 6 + c]).toBeCloseTo(vs[b * 10 + c]!, 6);
            expect(out[b * 6 + 4 + c]).toBeCloseTo(vs[b * 10 + 8 + c]!, 6);
            expect(dvs[b * 10 + c]).toBeCloseTo(1, 6);
            expect(dvs[b * 10 + 8 + c]).toBeCloseTo(1, 6);
          }
        expect([...dqs, ...dks, ...dvs].every(Number.isFinite)).toBe(true);
      });
    });
  }
});

describe('dropout on the attention weights', () => {
  beforeAll(async () => {
    await use(cpu);
  });

  it('is off when not training and with p = 0 (the fused kernel runs), and p = 1 drops everything', () => {
    scope(() => {
      const q = randn([2, 4, 3], { seed: 4 });
      const k = randn([2, 6, 3], { seed: 5 });
      const v = randn([2, 6, 2], { seed: 6 });
      const plainOut = Array.from(scaledDotProductAttention(q, k, v).dataSync());
      const before = calls.cpu!.Attention!;
      const evalOut = scaledDotProductAttention(q, k, v, { dropout: 0.5, training: false }).dataSync();
      expect(calls.cpu!.Attention).toBe(before + 1);
      expect(Array.from(evalOut)).toEqual(plainOut);
      const dropped = scaledDotProductAttention(q, k, v, { dropout: 1 }).dataSync();
      expect(Array.from(dropped).every((x) => x === 0)).toBe(true);
    });
  });

  it('keeps each weight with probability 1 − p, scaled by 1/(1 − p), and is reproducible by seed', () => {
    scope(() => {
      // v = 1: each output is Σ_j keep_j·P_ij/(1 − p), whose mean over many rows is 1.
      const [L, S] = [4000, 8];
      const q = zeros([1, L, 4]);
      const k = zeros([1, S, 4]);
      const v = ones([1, S, 1]);
      const before = calls.cpu!.Attention!;
      const y = scaledDotProductAttention(q, k, v, { dropout: 0.25, generator: 7 });
      expect(calls.cpu!.Attention, 'no fused kernel takes a random mask').toBe(before);
      const data = Array.from(y.dataSync());
      // Uniform P = 1/8: each output is (kept count)/6, a Binomial(8, 0.75)/6: mean 1, sd 0.204.
      const mean = data.reduce((a, b) => a + b, 0) / L;
      expect(Math.abs(mean - 1)).toBeLessThan(4 * (0.204 / Math.sqrt(L)));
      for (const x of data) expect(Math.abs(x * 6 - Math.round(x * 6))).toBeLessThan(1e-5);
      const again = scaledDotProductAttention(q, k, v, { dropout: 0.25, generator: 7 }).dataSync();
      expect(Array.from(again)).toEqual(Array.from(data));
    });
  });
});

describe('bad input is named', () => {
  beforeAll(async () => {
    await use(cpu);
  });
  const q = () => zeros([2, 3, 4]);
  const k = () => zeros([2, 5, 4]);
  const v = () => zeros([2, 5, 6]);
  const bad: [string, () => unknown, RegExp][] = [
    [
      'D of q and k differ',
      () => scaledDotProductAttention(q(), zeros([2, 5, 3]), v()),
      /q has D = 4 features but k has 3/,
    ],
    [
      'S of k and v differ',
      () => scaledDotProductAttention(q(), k(), zeros([2, 4, 6])),
      /k has S = 5 keys but v has 4/,
    ],
    ['D = 0', () => scaledDotProductAttention(zeros([2, 3, 0]), zeros([2, 5, 0]), v()), /D = 0/],
    ['rank 1', () => scaledDotProductAttention(zeros([4]), k(), v()), /q needs at least 2 dims.*\[4\]/],
    [
      'batch dims that do not broadcast',
      () => scaledDotProductAttention(q(), zeros([3, 5, 4]), zeros([3, 5, 6])),
      /leading .* do not broadcast/,
    ],
    [
      'a mask that does not broadcast',
      () => scaledDotProductAttention(q(), k(), v(), { mask: zeros([3, 4], { dtype: 'bool' }) }),
      /mask of shape \[3,4\] does not broadcast to .*\[2,3,5\]/,
    ],
    [
      'an int32 mask',
      () => scaledDotProductAttention(q(), k(), v(), { mask: zeros([3, 5], { dtype: 'int32' }) }),
      /mask must be bool .* got int32/,
    ],
    [
      'an int32 q',
      () => scaledDotProductAttention(zeros([2, 3, 4], { dtype: 'int32' }), k(), v()),
      /q must be float32, got int32/,
    ],
    [
      'dropout 1.5',
      () => scaledDotProductAttention(q(), k(), v(), { dropout: 1.5 }),
      /dropout must be in \[0, 1\], got 1.5/,
    ],
    [
      'scale NaN',
      () => scaledDotProductAttention(q(), k(), v(), { scale: Number.NaN }),
      /scale must be a finite number/,
    ],
  ];
  it.each(bad)('%s', (_name, f, message) => {
    expect(f).toThrow(/scaledDotProductAttention/);
    expect(f).toThrow(message);
  });
});

describe('memory', () => {
  for (const [path, backend] of PATHS) {
    it(`is flat across training steps of a causal self-attention on the ${path}`, async () => {
      await use(backend);
      const wq = randn([8, 8], { seed: 1 });
      const x = randn([2, 16, 8], { seed: 2 });
      const step = () =>
        scope(() => {
          const g = grad((w: Tensor) => {
            const h = x.matmul(w);
            return sum(mul(scaledDotProductAttention(h, h, h, { causal: true }), h));
          })(wq);
          return g.sum().dataSync()[0]!;
        });
      step();
      const before = memory().tensors;
      for (let i = 0; i < 5; i++) step();
      expect(memory().tensors).toBe(before);
    });
  }
});
