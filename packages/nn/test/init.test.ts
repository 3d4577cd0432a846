import { readFileSync } from 'node:fs';
import {
  Generator,
  type Module,
  memory,
  Parameter,
  type Shape,
  scope,
  type Tensor,
  tensor,
  zeros,
} from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { elasticNetPenalty, init, Linear, l1Penalty, l2Penalty } from '../src/index.js';
import { buildModule } from './fixtures.js';

interface Stats {
  mean: number;
  std: number;
  min: number;
  max: number;
  size: number;
}
interface Expected {
  kind: 'uniform' | 'normal' | 'constant' | 'truncated' | 'orthogonal';
  low?: number;
  high?: number;
  mean?: number;
  std?: number;
  value?: number;
  gain?: number;
}
const doc = JSON.parse(readFileSync(new URL('../fixtures/init.json', import.meta.url), 'utf8')) as {
  gains: Record<string, number>;
  fans: { shape: number[]; fans: [number, number] }[];
  initializers: {
    init: string;
    shape: number[];
    options: Record<string, unknown>;
    torch: Stats;
    expected: Expected;
  }[];
  layers: {
    module: string;
    args: unknown[];
    options: Record<string, unknown>;
    params: Record<string, Stats>;
  }[];
};

function stats(t: Tensor): Stats {
  const v = t.dataSync();
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    s += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = s / v.length;
  let ss = 0;
  for (const x of v) ss += (x - mean) ** 2;
  return { mean, std: Math.sqrt(ss / v.length), min, max, size: v.length };
}

/** Closed-form std of each distribution. */
function closedStd(e: Expected): number {
  if (e.kind === 'uniform') return (e.high! - e.low!) / Math.sqrt(12);
  if (e.kind === 'constant') return 0;
  return e.std!;
}

/**
 * A sample std of n draws is within 4/√n relative of the true one (≥ 5.6 standard errors for a
 * normal, ≥ 9 for a uniform): loose enough for fixed seeds, tight enough to catch a wrong formula
 * (√2 or fan-in/fan-out mix-ups are 10-40 % off at these sizes).
 */
const stdTol = (n: number) => 4 / Math.sqrt(n);

type InitFn = (target: Shape, options?: Record<string, unknown>) => Tensor;
const inits = init as unknown as Record<string, InitFn>;

describe('calculateGain and fans match torch.nn.init', () => {
  it.each(Object.entries(doc.gains))('calculateGain(%s)', (name, want) => {
    const m = /^(.*)\((.*)\)$/.exec(name);
    const got = m ? init.calculateGain(m[1]!, Number(m[2])) : init.calculateGain(name);
    expect(got).toBeCloseTo(want, 12);
  });
  it.each(doc.fans.map((f) => [JSON.stringify(f.shape), f] as const))('fans of %s', (_n, f) => {
    expect(init.calculateFanInAndFanOut(f.shape)).toEqual(f.fans);
  });
});

describe('initializers: sample statistics against closed forms and PyTorch', () => {
  it.each(
    doc.initializers.map(
      (c, i) => [`${i} ${c.init} ${JSON.stringify(c.shape)} ${JSON.stringify(c.options)}`, c] as const,
    ),
  )('%s', (_n, c) => {
    const t =
      c.init === 'constant'
        ? init.constant(c.shape, c.options.value as number)
        : inits[c.init]!(c.shape, { ...c.options, seed: 1234 });
    const s = stats(t);
    t.dispose();
    const e = c.expected;
    const want = closedStd(e);
    const tol = stdTol(s.size);
    // Ours and PyTorch's samples are both near the closed form.
    for (const sample of [s, c.torch]) {
      if (want === 0) expect(sample.std).toBeLessThan(1e-6);
      else expect(Math.abs(sample.std / want - 1)).toBeLessThan(tol);
    }
    const meanWant =
      e.kind === 'uniform' ? (e.low! + e.high!) / 2 : e.kind === 'constant' ? e.value! : (e.mean ?? 0);
    expect(Math.abs(s.mean - meanWant)).toBeLessThan(5 * (want / Math.sqrt(s.size)) + 1e-6);
    if (e.kind === 'uniform' || e.kind === 'truncated') {
      expect(s.min).toBeGreaterThanOrEqual(e.low! - 1e-6);
      expect(s.max).toBeLessThanOrEqual(e.high! + 1e-6);
      // The support is used: the extremes come close to the bounds.
      expect(s.min).toBeLessThan(e.low! + 0.01 * (e.high! - e.low!));
      expect(s.max).toBeGreaterThan(e.high! - 0.01 * (e.high! - e.low!));
    }
  });

  it('orthogonal: WᵀW = gain²·I for tall, W·Wᵀ = gain²·I for wide and conv shapes', () => {
    for (const [shape, gain] of [
      [[60, 40], 2],
      [[40, 60], 1],
      [[8, 4, 3, 3], 1.5],
    ] as [number[], number][]) {
      scope(() => {
        const w = init.orthogonal(shape, { gain, seed: 5 });
        const m = w.reshape([shape[0]!, -1]);
        const tall = m.shape[0]! >= m.shape[1]!;
        const g = tall ? m.transpose().matmul(m) : m.matmul(m.transpose());
        const n = g.shape[0]!;
        const v = g.dataSync();
        let worst = 0;
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++)
            worst = Math.max(worst, Math.abs(v[i * n + j]! - (i === j ? gain * gain : 0)));
        expect(worst).toBeLessThan(1e-5 * gain * gain);
      });
    }
  });

  it('the same seed gives the same tensor; a Generator advances between calls', () => {
    const a = init.kaimingNormal([5, 7], { seed: 3 }).dataSync();
    const b = init.kaimingNormal([5, 7], { seed: 3 }).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    const g = new Generator(3);
    const c = init.kaimingNormal([5, 7], { seed: g }).dataSync();
    const d = init.kaimingNormal([5, 7], { seed: g }).dataSync();
    expect(Array.from(c)).toEqual(Array.from(a));
    expect(Array.from(d)).not.toEqual(Array.from(c));
  });

  it('given a Variable, assigns in place without recording a gradient and returns it', () => {
    const p = new Parameter(zeros([4, 3]));
    const before = memory().tensors;
    const r = init.xavierUniform(p, { seed: 1 });
    expect(r).toBe(p);
    expect(memory().tensors).toBe(before);
    const bound = Math.sqrt(6 / 7);
    const v = p.dataSync();
    expect(v.some((x) => x !== 0)).toBe(true);
    expect(v.every((x) => Math.abs(x) <= bound)).toBe(true);
    expect(p.requiresGrad).toBe(true);
    expect(p.node).toBeNull();
    init.eye(init.zeros(p));
    expect(p.arraySync()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [0, 0, 0],
    ]);
    p.dispose();
  });

  it('dirac makes a convolution the identity on its channels', () => {
    const w = init.dirac([3, 3, 3, 3]);
    const v = w.reshape([3, 3, 9]).arraySync() as number[][][];
    for (let o = 0; o < 3; o++) for (let i = 0; i < 3; i++) expect(v[o]![i]![4]).toBe(o === i ? 1 : 0);
    expect(w.sum().item()).toBe(3);
  });

  it('rejects shapes without fans with a clear message', () => {
    expect(() => init.xavierUniform([5])).toThrow(/fewer than 2 dims.*\[5\]/);
    expect(() => init.kaimingUniform([3, 2], { mode: 'fanMiddle' as never })).toThrow(/mode must be/);
  });
});

describe("each layer's default initialisation matches PyTorch's distribution", () => {
  it.each(
    doc.layers.map((l) => [`${l.module}(${l.args.join(', ')}) ${JSON.stringify(l.options)}`, l] as const),
  )('%s', (_n, l) => {
    // PReLU's second argument is its initial slope, not an options object.
    const m: Module = buildModule(
      l.module,
      l.args,
      l.module === 'PReLU' ? undefined : { ...l.options, seed: 99 },
    );
    const sd = m.stateDict();
    expect(Object.keys(sd).sort()).toEqual(Object.keys(l.params).sort());
    for (const [name, want] of Object.entries(l.params)) {
      const got = stats(sd[name]!);
      expect(got.size, name).toBe(want.size);
      if (want.std === 0) {
        expect(got.std, name).toBeLessThan(1e-7);
        expect(got.mean, name).toBeCloseTo(want.mean, 6);
      } else {
        expect(Math.abs(got.std / want.std - 1), `${name} std ${got.std} vs torch ${want.std}`).toBeLessThan(
          stdTol(want.size) * 1.5,
        );
        // Uniform inits: our extremes stay inside PyTorch's observed range widened by 3 %.
        const span = want.max - want.min;
        expect(got.min, name).toBeGreaterThan(want.min - 0.5 * span);
        expect(got.max, name).toBeLessThan(want.max + 0.5 * span);
      }
    }
    m.dispose();
  });

  it('Linear weights lie within ±1/√fan_in (kaiming_uniform with a = √5)', () => {
    const fc = new Linear(50, 20, { seed: 0 });
    const b = 1 / Math.sqrt(50);
    expect(fc.weight.dataSync().every((x) => Math.abs(x) <= b)).toBe(true);
    expect(fc.bias!.dataSync().every((x) => Math.abs(x) <= b)).toBe(true);
    fc.dispose();
  });

  it('layers built with the same seed are identical', () => {
    const a = new Linear(6, 4, { seed: 42 });
    const b = new Linear(6, 4, { seed: 42 });
    expect(a.weight.arraySync()).toEqual(b.weight.arraySync());
    expect(a.bias!.arraySync()).toEqual(b.bias!.arraySync());
    expect(a.weight.arraySync()).not.toEqual(new Linear(6, 4, { seed: 43 }).weight.arraySync());
    a.dispose();
    b.dispose();
  });
});

describe('penalties', () => {
  it('L1, L2 and elastic net are scalar tensors with the textbook gradients', () => {
    const p1 = new Parameter(tensor([1, -2, 0.5]));
    const p2 = new Parameter(tensor([[-1, 3]]));
    const ps = [p1, p2];
    expect(l1Penalty(ps, 0.1).item()).toBeCloseTo(0.1 * 7.5, 6);
    expect(l2Penalty(ps, 0.5).item()).toBeCloseTo(0.5 * (1 + 4 + 0.25 + 1 + 9), 6);
    const e = elasticNetPenalty(ps, { l1: 0.1, l2: 0.5 });
    expect(e.rank).toBe(0);
    expect(e.item()).toBeCloseTo(0.75 + 7.625, 5);
    e.backward();
    // d/dw (0.1|w| + 0.5 w²) = 0.1 sign(w) + w
    expect(Array.from(p1.grad!.dataSync()).map((x) => Number(x.toFixed(5)))).toEqual([1.1, -2.1, 0.6]);
    expect(Array.from(p2.grad!.dataSync()).map((x) => Number(x.toFixed(5)))).toEqual([-1.1, 3.1]);
    expect(l2Penalty([]).item()).toBe(0);
    p1.dispose();
    p2.dispose();
  });
});
