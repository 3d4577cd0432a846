import {
  adaptiveAvgPool1d,
  arange,
  argmax,
  argmin,
  avgPool2d,
  backward,
  chunk,
  conv2d,
  cumsum,
  eye,
  flip,
  floorDiv,
  full,
  grad,
  linspace,
  logSoftmax,
  logSumExp,
  max,
  maxPool2d,
  mean,
  memory,
  min,
  mod,
  multinomial,
  oneHot,
  ones,
  Parameter,
  pad,
  permutation,
  permute,
  prod,
  rand,
  randint,
  randn,
  repeat,
  reshape,
  roll,
  type Shape,
  scope,
  slice,
  softmax,
  split,
  squeeze,
  sum,
  type Tensor,
  tensor,
  tile,
  topk,
  transpose,
  tril,
  truncatedNormal,
  unfold,
  unsqueeze,
  zeros,
} from '@myelin/core';
import { describe, expect, it } from 'vitest';

/* Core semantics that used to give silently wrong results (issue 18): each case below was a NaN,
 * a doubled gradient, an ∓Infinity or a 0 before, and is an error naming the op now. Cases are
 * generated from a seeded generator; golden values are closed forms (PyTorch 1.13 agrees: noted
 * where it was checked). */

/** mulberry32: a tiny seeded generator for test cases (not the code under test). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

describe('backward() through a spent graph', () => {
  it('a second backward() through the same graph raises and leaves .grad as it was (PyTorch: retain_graph)', () => {
    const r = rng(1);
    for (let trial = 0; trial < 5; trial++) {
      const values = Array.from({ length: int(r, 1, 6) }, () => r() * 4 - 2);
      const w = new Parameter(tensor(values));
      const loss = w.mul(w).sum();
      loss.backward();
      const once = Array.from(w.grad!.dataSync());
      expect(once.map((v, i) => v - 2 * values[i]!).every((d) => Math.abs(d) < 1e-5)).toBe(true);
      expect(() => loss.backward()).toThrow(
        /backward: this graph was already backpropagated through.*retainGraph/,
      );
      expect(Array.from(w.grad!.dataSync())).toEqual(once);
      loss.dispose();
      w.dispose();
    }
  });

  it('retainGraph allows it, and the gradients add up (d/dw Σw² = 2w, twice: 4w)', () => {
    const w = new Parameter(tensor([1, -2, 3]));
    const loss = w.mul(w).sum();
    loss.backward({ retainGraph: true });
    loss.backward({ retainGraph: true });
    loss.backward();
    expect(Array.from(w.grad!.dataSync())).toEqual([6, -12, 18]);
    expect(() => loss.backward()).toThrow(/already backpropagated/);
    // The function form takes the options after an optional cotangent.
    const y = w.mul(3);
    backward(y, ones([3]), { retainGraph: true });
    backward(y, ones([3]));
    expect(Array.from(w.grad!.dataSync())).toEqual([12, -6, 24]);
    for (const t of [loss, y, w]) t.dispose();
  });

  it('two losses sharing a subgraph: the second backward raises unless the first retained it (as PyTorch)', () => {
    const w = new Parameter(tensor([1, 2]));
    const h = w.mul(w);
    const l1 = h.sum();
    const l2 = h.mul(3).sum();
    l1.backward();
    expect(() => l2.backward()).toThrow(/already backpropagated/);
    const h2 = w.mul(w);
    h2.sum().backward({ retainGraph: true });
    h2.mul(3).sum().backward();
    // 2w (from l1) + 2w + 6w
    expect(Array.from(w.grad!.dataSync())).toEqual([10, 20]);
    for (const t of [w, h, l1, l2, h2]) t.dispose();
  });

  it('a fresh forward pass each step is unaffected, and so is the functional face', () => {
    const w = new Parameter(tensor([0.5]));
    for (let i = 0; i < 3; i++) scope(() => w.square().sum().backward());
    expect(w.grad!.dataSync()[0]).toBeCloseTo(3, 6);
    const f = (x: Tensor) => x.pow(3).sum();
    const x = tensor([2]);
    expect(grad(f)(x).dataSync()[0]).toBe(12);
    expect(grad(f)(x).dataSync()[0]).toBe(12);
    w.dispose();
  });
});

describe('tensor() rejects what is not a number or a boolean', () => {
  const bad: [unknown, RegExp][] = [
    ['a', /a string \("a"\)/],
    [undefined, /undefined/],
    [null, /null/],
    [{}, /an object/],
    [10n, /a bigint/],
    [Symbol('s'), /a symbol/],
    [() => 1, /a function/],
  ];

  it('flat arrays with a shape, at every index, naming the index and what was found', () => {
    const r = rng(2);
    for (const [value, what] of bad) {
      const n = int(r, 1, 7);
      for (let at = 0; at < n; at++) {
        const values: unknown[] = Array.from({ length: n }, (_, i) => i);
        values[at] = value;
        const msg = new RegExp(`tensor: values\\[${at}\\] is ${what.source}`);
        expect(() => tensor(values as number[], { shape: [n] })).toThrow(msg);
        expect(() => tensor(values as number[])).toThrow(msg);
      }
    }
  });

  it('nested arrays: a bad entry is named by its full index', () => {
    const r = rng(3);
    for (let trial = 0; trial < 20; trial++) {
      const shape = Array.from({ length: int(r, 1, 3) }, () => int(r, 1, 3));
      const path = shape.map((d) => int(r, 0, d - 1));
      const build = (dim: number, prefix: number[]): unknown =>
        dim === shape.length
          ? prefix.every((p, i) => p === path[i])
            ? 'x'
            : 1
          : Array.from({ length: shape[dim]! }, (_, i) => build(dim + 1, [...prefix, i]));
      const label = path.map((p) => `\\[${p}\\]`).join('');
      expect(() => tensor(build(0, []) as number[])).toThrow(new RegExp(`values${label} is a string`));
    }
  });

  it('ragged arrays, at every depth, with or without a shape', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged nested array: values\[1\] is an array of length 1/);
    expect(() => tensor([[1, 2], 3] as unknown as number[])).toThrow(/ragged.*values\[1\] is a number/);
    expect(() => tensor([1, [2, 3]] as unknown as number[])).toThrow(/ragged.*values\[1\] is an array/);
    expect(() =>
      tensor([
        [[1], [2]],
        [[3], [4, 5]],
      ]),
    ).toThrow(/values\[1\]\[1\] is an array of length 2/);
    expect(() => tensor([[1, 2], [3]], { shape: [3] })).toThrow(/ragged/);
    expect(() =>
      tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { shape: [3] },
      ),
    ).toThrow(/tensor: 4 values cannot fill shape \[3\]/);
    // A rectangular nested array with a shape of the same size is still accepted.
    expect(
      tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { shape: [4] },
      ).shape,
    ).toEqual([4]);
  });

  it('typed arrays other than Float32Array, Int32Array and Uint8Array are refused, not misread as bool', () => {
    expect(() => tensor(new Float64Array([1.5]) as unknown as Float32Array)).toThrow(
      /tensor: a Float64Array cannot be used directly/,
    );
    expect(() => tensor(new Int16Array([3]) as unknown as Int32Array)).toThrow(/Int16Array/);
  });
});

describe('integer arguments reject NaN, non-integers and infinities with the op named', () => {
  const x = arange(24).reshape([2, 3, 4]).cast('float32');
  const img = ones([1, 2, 6, 6]);
  const w = ones([2, 2, 3, 3]);
  const labels = tensor([0, 1], { dtype: 'int32' });
  const seq = ones([1, 2, 8]);
  const weights = ones([4]);
  // Each op with one integer argument replaced by `v`.
  const cases: [string, string, (v: number) => unknown][] = [
    ['slice', 'slice(x, [v, 2])', (v) => slice(x, [v, 2])],
    ['slice', 'slice(x, null, [0, v])', (v) => slice(x, null, [0, v])],
    ['slice', 'slice(x, [0, 2, v])', (v) => slice(x, [0, 2, v])],
    ['slice', 'slice(x, v)', (v) => slice(x, v)],
    ['reshape', 'reshape(x, [v, 12])', (v) => reshape(x, [v, 12])],
    ['pad', 'pad(x, [v, 1])', (v) => pad(x, [v, 1])],
    ['tile', 'tile(x, [v])', (v) => tile(x, [v])],
    ['repeat', 'repeat(x, v, 0)', (v) => repeat(x, v, 0)],
    ['sum', 'sum(x, v)', (v) => sum(x, v)],
    ['max', 'max(x, v)', (v) => max(x, v)],
    ['argmax', 'argmax(x, v)', (v) => argmax(x, v)],
    ['cumsum', 'cumsum(x, v)', (v) => cumsum(x, v)],
    ['flip', 'flip(x, v)', (v) => flip(x, v)],
    ['permute', 'permute(x, [0, v, 2])', (v) => permute(x, [0, v, 2])],
    ['transpose', 'transpose(x, v, 0)', (v) => transpose(x, v, 0)],
    ['squeeze', 'squeeze(x, v)', (v) => squeeze(x, v)],
    ['unsqueeze', 'unsqueeze(x, v)', (v) => unsqueeze(x, v)],
    ['split', 'split(x, v, 2)', (v) => split(x, v, 2)],
    ['chunk', 'chunk(x, v, 2)', (v) => chunk(x, v, 2)],
    ['topk', 'topk(x, v)', (v) => topk(x, v)],
    ['roll', 'roll(x, v, 1)', (v) => roll(x, v, 1)],
    ['tril', 'tril(x, v)', (v) => tril(x, v)],
    ['oneHot', 'oneHot(labels, v)', (v) => oneHot(labels, v)],
    ['maxPool2d', 'maxPool2d(img, v)', (v) => maxPool2d(img, v)],
    ['avgPool2d', 'avgPool2d(img, 2, { stride: v })', (v) => avgPool2d(img, 2, { stride: v })],
    ['conv2d', 'conv2d(img, w, { stride: v })', (v) => conv2d(img, w, { stride: v })],
    ['conv2d', 'conv2d(img, w, { padding: v })', (v) => conv2d(img, w, { padding: v })],
    ['conv2d', 'conv2d(img, w, { dilation: v })', (v) => conv2d(img, w, { dilation: v })],
    ['unfold', 'unfold(img, v)', (v) => unfold(img, v)],
    ['adaptiveAvgPool1d', 'adaptiveAvgPool1d(seq, v)', (v) => adaptiveAvgPool1d(seq, v)],
    ['zeros', 'zeros([2, v])', (v) => zeros([2, v])],
    ['eye', 'eye(v)', (v) => eye(v)],
    ['linspace', 'linspace(0, 1, v)', (v) => linspace(0, 1, v)],
    ['arange', 'arange(0, v)', (v) => arange(0, v)],
    ['permutation', 'permutation(v)', (v) => permutation(v)],
    ['randn', 'randn([v])', (v) => randn([v])],
    ['randint', 'randint(0, 5, [v])', (v) => randint(0, 5, [v])],
    ['multinomial', 'multinomial(weights, v)', (v) => multinomial(weights, v)],
  ];
  for (const [op, call, f] of cases) {
    it(call, () => {
      const before = memory().tensors;
      for (const v of [Number.NaN, 1.5, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        // arange's stop is a real number: only non-finite values are wrong there.
        if (op === 'arange' && v === 1.5) continue;
        expect(() => f(v), `${op} with ${v}`).toThrow(new RegExp(`^${op}: `));
      }
      expect(memory().tensors).toBe(before);
    });
  }

  it('out-of-range integers: a pad that crops past a dim is an error, not an empty tensor (torch raises)', () => {
    const r = rng(7);
    for (let trial = 0; trial < 20; trial++) {
      const n = int(r, 0, 5);
      const crop = -int(r, n + 1, n + 4);
      const v = zeros([2, n]);
      expect(() => pad(v, [crop, 0])).toThrow(
        /^pad: dim 1 of size \d+ padded by -\d+ and 0 would have a negative size/,
      );
      expect(() => pad(v, [0, crop])).toThrow(/negative size/);
      // Cropping exactly to nothing is allowed.
      expect(pad(v, [-n, 0]).shape).toEqual([2, 0]);
      v.dispose();
    }
  });

  it('the kernel layer checks every integer attribute too, whatever op built it', () => {
    // A third-party op calling a kernel with a bad attribute gets a clear error, not a kernel's garbage.
    expect(() => x.sum([0.5] as unknown as number)).toThrow(/axis must be an integer/);
    expect(() => zeros([2 ** 53])).toThrow(
      /zeros: shape \[9007199254740992\] must hold non-negative integers/,
    );
    expect(() => zeros([2 ** 26, 2 ** 27])).toThrow(/zeros: shape \[67108864,134217728\]/);
  });
});

describe('max/min/argmax/argmin of nothing are errors; sum/mean/prod of nothing keep their identities', () => {
  /** Every shape of rank 1–3 with dims in {0, 1, 2}, with a 0 somewhere. */
  function emptyShapes(): number[][] {
    const out: number[][] = [];
    for (let rank = 1; rank <= 3; rank++) {
      for (let code = 0; code < 3 ** rank; code++) {
        const s = Array.from({ length: rank }, (_, i) => Math.floor(code / 3 ** i) % 3);
        if (s.includes(0)) out.push(s);
      }
    }
    return out;
  }
  const reduced = (s: Shape, axes: number[]) => s.filter((_, i) => !axes.includes(i));

  it('over all axes and over each single axis, for every empty shape (PyTorch: IndexError/RuntimeError)', () => {
    let errors = 0;
    let empties = 0;
    for (const s of emptyShapes()) {
      const x = zeros(s);
      expect(() => max(x)).toThrow(
        new RegExp(`max: cannot reduce the empty tensor of shape \\[${s.join(',')}\\]`),
      );
      expect(() => min(x)).toThrow(/min: cannot reduce the empty tensor/);
      expect(() => argmax(x)).toThrow(/argmax: cannot reduce the empty tensor/);
      expect(() => argmin(x)).toThrow(/argmin: cannot reduce the empty tensor/);
      for (let a = 0; a < s.length; a++) {
        const ops: [string, () => Tensor][] = [
          ['max', () => max(x, a)],
          ['min', () => min(x, a)],
          ['argmax', () => argmax(x, a)],
          ['argmin', () => argmin(x, a)],
        ];
        for (const [name, f] of ops) {
          if (s[a] === 0) {
            expect(f).toThrow(new RegExp(`${name}: axis ${a} of shape \\[${s.join(',')}\\] is empty`));
            errors++;
          } else {
            // Reducing a non-empty axis of an empty tensor is an empty result (torch: tensor([])).
            const y = f();
            expect(y.shape).toEqual(reduced(s, [a]));
            expect(y.size).toBe(0);
            y.dispose();
            empties++;
          }
        }
      }
      x.dispose();
    }
    expect(errors).toBeGreaterThan(0);
    expect(empties).toBeGreaterThan(0);
  });

  it('sum = 0, prod = 1, mean = NaN, logSumExp = −∞ over an empty axis (torch.sum/prod/mean/logsumexp)', () => {
    for (const s of emptyShapes()) {
      const x = zeros(s);
      for (let a = 0; a < s.length; a++) {
        if (s[a] !== 0) continue;
        const shape = reduced(s, [a]);
        const n = shape.reduce((p, q) => p * q, 1);
        expect(Array.from(sum(x, a).dataSync())).toEqual(new Array(n).fill(0));
        expect(Array.from(prod(x, a).dataSync())).toEqual(new Array(n).fill(1));
        expect(Array.from(mean(x, a).dataSync())).toEqual(new Array(n).fill(Number.NaN));
        expect(Array.from(logSumExp(x, a).dataSync())).toEqual(new Array(n).fill(Number.NEGATIVE_INFINITY));
        // Softmax over an empty axis is empty, not an error.
        expect(softmax(x, a).shape).toEqual(s);
        expect(logSoftmax(x, a).shape).toEqual(s);
      }
      expect(sum(x).dataSync()[0]).toBe(0);
      expect(prod(x).dataSync()[0]).toBe(1);
      expect(mean(x).dataSync()[0]).toBeNaN();
      x.dispose();
    }
  });
});

describe('integer floorDiv and mod by zero raise (torch: ZeroDivisionError); floats stay IEEE', () => {
  it('random int32 operands with and without zero divisors, checked against the closed form', () => {
    const r = rng(5);
    let raised = 0;
    for (let trial = 0; trial < 60; trial++) {
      const n = int(r, 1, 8);
      const a = Array.from({ length: n }, () => int(r, -50, 50));
      const b = Array.from({ length: n }, () => (r() < 0.15 ? 0 : int(r, -9, 9) || 1));
      const at = tensor(a, { dtype: 'int32' });
      const bt = tensor(b, { dtype: 'int32' });
      const zero = b.indexOf(0);
      if (zero >= 0) {
        const msg = new RegExp(
          `integer division by zero \\(the int32 divisor of shape \\[${n}\\] holds 0 at flat index ${zero}\\)`,
        );
        expect(() => floorDiv(at, bt)).toThrow(new RegExp(`floorDiv: ${msg.source}`));
        expect(() => mod(at, bt)).toThrow(new RegExp(`mod: ${msg.source}`));
        raised++;
      } else {
        // Python's // and % (floor division; the remainder takes the divisor's sign).
        // (`| 0`: int32 has no −0.)
        expect(Array.from(floorDiv(at, bt).dataSync())).toEqual(a.map((v, i) => Math.floor(v / b[i]!) | 0));
        expect(Array.from(mod(at, bt).dataSync())).toEqual(
          a.map((v, i) => (v - b[i]! * Math.floor(v / b[i]!)) | 0),
        );
      }
      at.dispose();
      bt.dispose();
    }
    expect(raised).toBeGreaterThan(0);
  });

  it('a zero JS-number divisor with an int tensor raises; bool divisors promote to int32 and are checked', () => {
    const a = tensor([7, -7], { dtype: 'int32' });
    expect(() => floorDiv(a, 0)).toThrow(/floorDiv: integer division by zero \(the int32 divisor is 0\)/);
    expect(() => mod(a, 0)).toThrow(/mod: integer division by zero/);
    expect(() => mod(a, tensor([true, false]))).toThrow(/holds 0 at flat index 1/);
    // An empty result divides nothing.
    expect(floorDiv(zeros([0], { dtype: 'int32' }), 0).shape).toEqual([0]);
    // float32: IEEE, as torch (7.0 // 0 = inf, 7.0 % 0 = nan).
    expect(Array.from(floorDiv(tensor([7, -7]), 0).dataSync())).toEqual([Infinity, -Infinity]);
    expect(Array.from(mod(tensor([7]), 0).dataSync())).toEqual([Number.NaN]);
    a.dispose();
  });
});

describe('sizes are checked once, before anything is allocated', () => {
  it('shapes beyond the backend or the host fail at once, naming the op, the shape and the limit', () => {
    const huge: [string, () => unknown][] = [
      ['zeros', () => zeros([1e6, 1e6])],
      ['ones', () => ones([2 ** 16, 2 ** 16, 2])],
      ['full', () => full([2 ** 33], 1, { dtype: 'bool' })],
      ['randn', () => randn([1e6, 1e6])],
      ['rand', () => rand([2 ** 32 + 1])],
      ['randint', () => randint(0, 2, [1e5, 1e5])],
      ['truncatedNormal', () => truncatedNormal([1e6, 1e6])],
      ['eye', () => eye(1e5, 1e5)],
      ['arange', () => arange(0, 2 ** 33)],
      ['linspace', () => linspace(0, 1, 2 ** 33)],
      ['permutation', () => permutation(2 ** 33)],
    ];
    for (const [op, f] of huge) {
      const before = process.memoryUsage().arrayBuffers;
      expect(f, op).toThrow(
        new RegExp(
          `^${op}: shape \\[[0-9,]+\\] holds \\d+ \\w+ elements.*more than backend 'cpu' can hold in one tensor: 4294967296 elements`,
        ),
      );
      // Before the fix randn([1e6, 1e6]) grew past 6 GiB first; now nothing is allocated or drawn
      // (checked by memory, not by a timer: a loaded machine must not fail it).
      expect(process.memoryUsage().arrayBuffers - before, op).toBeLessThan(64 * 2 ** 20);
    }
  });

  it('a kernel whose output would be too large fails before the kernel runs', () => {
    const a = ones([2 ** 16, 1]);
    const b = ones([1, 2 ** 16 + 1]);
    expect(() => a.mul(b)).toThrow(/^Mul: shape \[65536,65537\] holds 4295032832 float32 elements/);
    expect(() => tile(ones([2 ** 16]), [2 ** 16 + 1])).toThrow(/^Tile: shape \[4295032832\]/);
    a.dispose();
    b.dispose();
  });
});
