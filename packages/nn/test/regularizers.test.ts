import { readFileSync } from 'node:fs';
import {
  Module,
  memory,
  ones,
  Parameter,
  randn,
  scope,
  sigmoid,
  type Tensor,
  tanh,
  tensor,
  Variable,
  variable,
} from '@myelin/core';
import { describe, expect, it } from 'vitest';
import {
  Conv2d,
  contractivePenalty,
  DropConnect,
  GaussianNoise,
  klSparsityPenalty,
  Linear,
  maxNorm_,
  maxNormConstraint,
  SoftWeightSharing,
  StochasticDepth,
  stochasticDepth,
  WeightNoise,
} from '../src/index.js';

/** A tensor as PyTorch 1.13 gave it (tools/gen_nn21_reg_fixtures.py, float64 there). */
interface Raw {
  shape: number[];
  data: number[];
}
interface Fixtures {
  renorm: { name: string; dim: number; p: number; maxNorm: number; input: Raw; output: Raw }[];
  kl: { name: string; rho: number; input: Raw; value: number; grad: Raw }[];
  contractive: {
    name: string;
    kind: 'sigmoid' | 'tanh2';
    x: Raw;
    params: Record<string, Raw>;
    value: number;
    grads: Record<string, Raw>;
  }[];
  sws: {
    name: string;
    components: number;
    weights: Raw[];
    means: Raw;
    logVars: Raw;
    mixLogits: Raw;
    value: number;
    weightGrads: Raw[];
    meansGrad: Raw;
    logVarsGrad: Raw;
    mixLogitsGrad: Raw;
  }[];
}
const FX = JSON.parse(
  readFileSync(new URL('../fixtures/nn21-reg.json', import.meta.url), 'utf8'),
) as Fixtures;

const t = (r: Raw) => tensor(r.data, { shape: r.shape });
const v = (r: Raw) => variable(t(r));

function expectClose(got: Tensor | null, want: Raw, rtol = 1e-4, atol = 1e-5): void {
  expect(got).not.toBeNull();
  expect(got!.shape).toEqual(want.shape);
  const g = got!.dataSync();
  want.data.forEach((w, i) => {
    expect(Math.abs(g[i]! - w), `entry ${i}: got ${g[i]}, want ${w}`).toBeLessThanOrEqual(
      atol + rtol * Math.abs(w),
    );
  });
}

/** Sample mean and (population) standard deviation. */
function meanSd(values: ArrayLike<number>): { mean: number; sd: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  const mean = sum / values.length;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i]! - mean) ** 2;
  return { mean, sd: Math.sqrt(sq / values.length) };
}

/** The live tensor count is the same before and after `f` (run outside any scope). */
function expectNoLeak(f: () => void): void {
  f(); // warm-up (generators, caches)
  const before = memory().tensors;
  f();
  expect(memory().tensors).toBe(before);
}

describe('maxNorm_ (the max-norm constraint)', () => {
  for (const c of FX.renorm) {
    it(`matches torch.renorm: ${c.name}`, () => {
      const w = new Variable(t(c.input), { requiresGrad: true });
      maxNorm_([w], c.maxNorm, c.dim, c.p);
      expectClose(w, c.output);
      w.dispose();
    });
  }

  it('maxNormConstraint renorms weights of rank ≥ 2 and leaves biases alone', () => {
    const fc = new Linear(3, 2, { seed: 5 });
    scope(() => {
      fc.weight.assign(tensor([3, 4, 0, 0.3, 0.4, 0], { shape: [2, 3] }));
      fc.bias!.assign(tensor([10, -10]));
    });
    maxNormConstraint(1)(fc);
    // row 0 has norm 5 → scaled by 1/(5 + 1e-7); row 1 has norm 0.5 ≤ 1 → unchanged
    const w = fc.weight.dataSync();
    [0.6, 0.8, 0, 0.3, 0.4, 0].forEach((e, i) => {
      expect(w[i]).toBeCloseTo(e, 6);
    });
    expect([...fc.bias!.dataSync()]).toEqual([10, -10]);
    const conv = new Conv2d(1, 2, 2, { seed: 1 });
    scope(() => conv.weight.assign(conv.weight.mul(100)));
    maxNormConstraint(2)(conv);
    const norms = scope(() => conv.weight.square().sum([1, 2, 3]).sqrt().dataSync());
    for (const n of norms) expect(n).toBeCloseTo(2, 5);
    fc.dispose();
    conv.dispose();
  });

  it('refuses bad arguments, naming the function', () => {
    const b = new Variable(tensor([1, 2, 3]));
    expect(() => maxNorm_([b], 1)).toThrow(/maxNorm_: needs tensors of at least 2 dims .* got \[3\]/);
    const w = new Variable(tensor([1, 2, 3, 4], { shape: [2, 2] }));
    expect(() => maxNorm_(w, 1, 2)).toThrow(/maxNorm_: dim 2 is out of range for a tensor of shape \[2,2\]/);
    expect(() => maxNorm_(w, -1)).toThrow(/maxNorm_: maxValue must be ≥ 0, got -1/);
    expect(() => maxNorm_(w, 1, 0, 0)).toThrow(/maxNorm_: normType must be > 0, got 0/);
    expect(() => maxNormConstraint(Number.NaN)).toThrow(/maxNormConstraint: maxValue must be ≥ 0, got NaN/);
    b.dispose();
    w.dispose();
  });

  it('allocates nothing that outlives the call', () => {
    const w = new Variable(randn([4, 3], { seed: 2 }).mul(5));
    expectNoLeak(() => maxNorm_(w, 1));
    w.dispose();
  });
});

describe('klSparsityPenalty', () => {
  for (const c of FX.kl) {
    it(`value and gradient match PyTorch: ${c.name}`, () => {
      const a = v(c.input);
      scope(() => {
        const pen = klSparsityPenalty(a, c.rho);
        expect(pen.item()).toBeCloseTo(c.value, 4);
        pen.backward();
      });
      expectClose(a.grad, c.grad, 1e-3, 1e-4);
      a.dispose();
    });
  }

  it('is 0 when every unit fires at rate ρ (closed form)', () => {
    scope(() => {
      const h = tensor([0.1, 0.3, 0.1, 0.3], { shape: [2, 2] }); // column means 0.1 and 0.3
      expect(klSparsityPenalty(h.slice([0, 2], [0, 1]), 0.1).item()).toBeCloseTo(0, 6);
      expect(klSparsityPenalty(h.slice([0, 2], [1, 2]), 0.3).item()).toBeCloseTo(0, 6);
    });
  });

  it('refuses bad input', () => {
    scope(() => {
      expect(() => klSparsityPenalty(tensor(0.5), 0.1)).toThrow(
        /klSparsityPenalty: expected activations \[N, \.\.\.units\] with N ≥ 1, got \[\]/,
      );
      expect(() => klSparsityPenalty(ones([0, 3]), 0.1)).toThrow(/got \[0,3\]/);
      expect(() => klSparsityPenalty(ones([2, 3]).mul(0.5), 1)).toThrow(
        /klSparsityPenalty: rho must be in \(0, 1\), got 1/,
      );
    });
  });
});

describe('contractivePenalty', () => {
  for (const c of FX.contractive) {
    it(`value and gradients (create_graph) match PyTorch: ${c.name}`, () => {
      const p = Object.fromEntries(Object.entries(c.params).map(([k, r]) => [k, new Parameter(t(r))]));
      const encoder =
        c.kind === 'sigmoid'
          ? (x: Tensor) => sigmoid(x.matmul(p.w!.transpose()).add(p.b!))
          : (x: Tensor) =>
              tanh(tanh(x.matmul(p.w1!.transpose()).add(p.b1!)).matmul(p.w2!.transpose()).add(p.b2!));
      const x = v(c.x);
      scope(() => {
        const pen = contractivePenalty(encoder, x);
        expect(pen.item()).toBeCloseTo(c.value, 4);
        pen.backward();
      });
      expectClose(x.grad, c.grads.x!, 1e-3, 1e-4);
      for (const k of Object.keys(c.params)) expectClose(p[k]!.grad, c.grads[k]!, 1e-3, 1e-4);
      x.dispose();
      for (const q of Object.values(p)) q.dispose();
    });
  }

  it('equals the sigmoid closed form Σⱼ (hⱼ(1 − hⱼ))² Σᵢ Wⱼᵢ² (Rifai et al. eq. 4)', () => {
    scope(() => {
      const w = randn([3, 5], { seed: 3 });
      const x = randn([4, 5], { seed: 4 });
      const h = sigmoid(x.matmul(w.transpose()));
      const closed = h.mul(h.neg().add(1)).square().mul(w.square().sum(1)).sum().div(4);
      expect(contractivePenalty((z) => sigmoid(z.matmul(w.transpose())), x).item()).toBeCloseTo(
        closed.item(),
        5,
      );
    });
  });

  it('refuses inputs without a batch and encoders that drop it', () => {
    scope(() => {
      expect(() => contractivePenalty((z) => z, tensor(1))).toThrow(
        /contractivePenalty: expected inputs \[N, \.\.\.features\] with N ≥ 1, got \[\]/,
      );
      expect(() => contractivePenalty((z) => z.sum(0), ones([2, 3]))).toThrow(
        /contractivePenalty: the encoder must keep the batch dim: inputs \[2,3\] gave codes \[3\]/,
      );
    });
  });

  it('frees its temporaries after forward and backward', () => {
    const w = new Parameter(randn([2, 3], { seed: 8 }));
    const x = randn([2, 3], { seed: 9 });
    expectNoLeak(() => {
      scope(() => contractivePenalty((z) => sigmoid(z.matmul(w.transpose())), x).backward());
      w.grad?.dispose();
      w.grad = null;
    });
    w.dispose();
    x.dispose();
  });
});

describe('SoftWeightSharing (Nowlan & Hinton 1992)', () => {
  for (const c of FX.sws) {
    it(`penalty and gradients match PyTorch: ${c.name}`, () => {
      const prior = new SoftWeightSharing(c.components);
      scope(() => {
        prior.means.assign(t(c.means));
        prior.logVars.assign(t(c.logVars));
        prior.mixLogits.assign(t(c.mixLogits));
      });
      const ws = c.weights.map(v);
      scope(() => {
        const pen = prior.penalty(ws);
        expect(pen.item()).toBeCloseTo(c.value, 3);
        pen.backward();
      });
      ws.forEach((w, i) => {
        expectClose(w.grad, c.weightGrads[i]!, 1e-3, 1e-4);
      });
      expectClose(prior.means.grad, c.meansGrad, 1e-3, 1e-4);
      expectClose(prior.logVars.grad, c.logVarsGrad, 1e-3, 1e-4);
      expectClose(prior.mixLogits.grad, c.mixLogitsGrad, 1e-3, 1e-4);
      for (const w of ws) w.dispose();
      prior.dispose();
    });
  }

  it('has learnable means, log-variances and mixing logits, initialised as documented', () => {
    const prior = new SoftWeightSharing(3, { std: 0.5 });
    expect(prior.namedParameters().map(([n]) => n)).toEqual(['means', 'logVars', 'mixLogits']);
    expect([...prior.means.dataSync()]).toEqual([-1, 0, 1]);
    for (const lv of prior.logVars.dataSync()) expect(lv).toBeCloseTo(2 * Math.log(0.5), 6);
    // one component at 0 with σ = 0.5: −log N(0; 0, 0.25) = ½ log(2π·0.25)
    const one = new SoftWeightSharing(1, { std: 0.5 });
    scope(() => expect(one.forward(tensor([0])).item()).toBeCloseTo(0.5 * Math.log(2 * Math.PI * 0.25), 5));
    prior.dispose();
    one.dispose();
  });

  it('refuses bad configurations', () => {
    expect(() => new SoftWeightSharing(0)).toThrow(
      /SoftWeightSharing: components must be a positive integer, got 0/,
    );
    expect(() => new SoftWeightSharing(2, { means: [0] })).toThrow(
      /SoftWeightSharing: got 1 means for 2 components/,
    );
    expect(() => new SoftWeightSharing(2, { std: 0 })).toThrow(/SoftWeightSharing: std must be > 0, got 0/);
  });
});

describe('DropConnect (Wan et al. 2013)', () => {
  it('evaluates with the expected weights (1 − p)·W', () => {
    const fc = new Linear(3, 2, { seed: 1 });
    const dc = new DropConnect(fc, 0.25, { seed: 2 }).eval();
    scope(() => {
      const x = randn([4, 3], { seed: 3 });
      const want = x.matmul(fc.weight.mul(0.75).transpose()).add(fc.bias!);
      expect(dc.forward(x).arraySync()).toEqual(want.arraySync());
    });
    expect(dc.namedParameters().map(([n]) => n)).toEqual(['module.weight', 'module.bias']);
    dc.dispose();
  });

  it('drops whole weights in training, unscaled, and only dropped weights get no gradient', () => {
    const fc = new Linear(40, 30, { seed: 1 });
    const dc = new DropConnect(fc, 0.3, { seed: 7 });
    const x = ones([1, 40]);
    scope(() => {
      const y = dc.forward(x);
      y.sum().backward();
      // with x = 1, dL/dW = the mask M; and y = Σⱼ Mᵢⱼ Wᵢⱼ + bᵢ
      const mask = fc.weight.grad!;
      const m = mask.dataSync();
      expect(m.every((e) => e === 0 || e === 1)).toBe(true);
      const dropped = m.filter((e) => e === 0).length / m.length;
      expect(dropped).toBeGreaterThan(0.22);
      expect(dropped).toBeLessThan(0.38);
      const want = fc.weight.mul(mask).sum(1).add(fc.bias!).dataSync();
      y.dataSync().forEach((e, i) => {
        expect(e).toBeCloseTo(want[i]!, 4);
      });
      expect([...fc.bias!.grad!.dataSync()]).toEqual(new Array(30).fill(1));
    });
    // The wrapped layer has its Parameter back after the forward.
    expect(fc.weight).toBeInstanceOf(Parameter);
    dc.dispose();
    x.dispose();
  });

  it('is the plain layer at p = 0 and drops every weight at p = 1', () => {
    const fc = new Linear(3, 2, { seed: 4 });
    scope(() => {
      const x = randn([2, 3], { seed: 5 });
      expect(new DropConnect(fc, 0).forward(x).arraySync()).toEqual(fc.forward(x).arraySync());
      const allDropped = new DropConnect(fc, 1).forward(x).arraySync() as number[][];
      const b = [...fc.bias!.dataSync()];
      for (const row of allDropped)
        row.forEach((e, i) => {
          expect(e).toBeCloseTo(b[i]!, 6);
        });
    });
    fc.dispose();
  });

  it('refuses bad p and modules without the named weight', () => {
    const fc = new Linear(2, 2);
    expect(() => new DropConnect(fc, 1.5)).toThrow(
      /DropConnect: p \(the drop probability\) must be in \[0, 1\], got 1.5/,
    );
    expect(() => new DropConnect(fc, 0.5, { names: ['kernel'] })).toThrow(
      /DropConnect: the wrapped module has no parameter named 'kernel'/,
    );
    fc.dispose();
  });

  it('leaves no tensors behind after forward and backward', () => {
    const dc = new DropConnect(new Linear(3, 2, { seed: 1 }), 0.5, { seed: 1 });
    const x = randn([2, 3]);
    expectNoLeak(() => {
      scope(() => dc.forward(x).sum().backward());
      dc.zeroGrad();
    });
    dc.dispose();
    x.dispose();
  });
});

describe('WeightNoise', () => {
  it('adds fresh N(0, σ²) noise to the weights each training forward; gradients reach the clean weights', () => {
    const fc = new Linear(50, 40, { seed: 1, bias: false });
    const wn = new WeightNoise(fc, 0.1, { seed: 3 });
    const eye = scope(() => {
      const e = new Float32Array(50 * 50);
      for (let i = 0; i < 50; i++) e[i * 51] = 1;
      return tensor(e, { shape: [50, 50] });
    });
    scope(() => {
      // rows of the identity read the (noisy weight)ᵀ back: y = I·(W + ε)ᵀ
      const y1 = wn.forward(eye);
      const eps = y1.sub(fc.weight.transpose()).dataSync();
      const { mean, sd } = meanSd(eps);
      expect(Math.abs(mean)).toBeLessThan(0.01);
      expect(sd).toBeGreaterThan(0.09);
      expect(sd).toBeLessThan(0.11);
      expect(wn.forward(eye).arraySync()).not.toEqual(y1.arraySync());
      y1.sum().backward();
      // d Σ (I (W + ε)ᵀ) / dW = 1 everywhere
      expect(fc.weight.grad!.dataSync().every((g) => g === 1)).toBe(true);
      wn.eval();
      expect(wn.forward(eye).arraySync()).toEqual(fc.weight.transpose().arraySync());
    });
    expect(fc.weight).toBeInstanceOf(Parameter);
    expect(() => new WeightNoise(fc, -1)).toThrow(/WeightNoise: std must be ≥ 0, got -1/);
    wn.dispose();
    eye.dispose();
  });

  it('leaves no tensors behind', () => {
    const wn = new WeightNoise(new Linear(3, 2, { seed: 1 }), 0.1, { seed: 1 });
    const x = randn([2, 3]);
    expectNoLeak(() => {
      scope(() => wn.forward(x).sum().backward());
      wn.zeroGrad();
    });
    wn.dispose();
    x.dispose();
  });
});

describe('GaussianNoise', () => {
  it('adds N(0, σ²) in training, reproducibly from the seed, and is the identity in evaluation', () => {
    const make = () => new GaussianNoise(0.5, { seed: 11 });
    const a = make();
    const b = make();
    const x = variable(ones([20000]));
    scope(() => {
      const y = a.forward(x);
      expect(b.forward(x).arraySync()).toEqual(y.arraySync());
      const noise = y.sub(1).dataSync();
      const { mean, sd } = meanSd(noise);
      expect(Math.abs(mean)).toBeLessThan(0.02);
      expect(sd).toBeGreaterThan(0.49);
      expect(sd).toBeLessThan(0.51);
      y.sum().backward();
      expect(x.grad!.dataSync().every((g) => g === 1)).toBe(true);
      a.eval();
      expect(a.forward(x)).toBe(x);
    });
    expect(() => new GaussianNoise(-0.1)).toThrow(/GaussianNoise: std must be ≥ 0, got -0.1/);
    x.dispose();
  });
});

describe('stochasticDepth (torchvision.ops)', () => {
  it("'row' zeroes whole samples and scales survivors by 1/(1 − p)", () => {
    scope(() => {
      const x = randn([400, 3, 2], { seed: 1 });
      const y = stochasticDepth(x, 0.25, 'row', true, { seed: 5 });
      const xs = x.reshape([400, 6]).arraySync() as number[][];
      const ys = y.reshape([400, 6]).arraySync() as number[][];
      let dropped = 0;
      ys.forEach((row, i) => {
        if (row.every((e) => e === 0)) dropped++;
        else
          row.forEach((e, j) => {
            expect(e).toBeCloseTo(xs[i]![j]! / 0.75, 5);
          });
      });
      expect(dropped).toBeGreaterThan(70);
      expect(dropped).toBeLessThan(130);
    });
  });

  it("'batch' keeps or drops the whole input", () => {
    scope(() => {
      const x = randn([3, 4], { seed: 2 });
      let kept = 0;
      for (let s = 0; s < 40; s++) {
        const y = stochasticDepth(x, 0.5, 'batch', true, { seed: s }).dataSync();
        const xs = x.dataSync();
        if (y.every((e) => e === 0)) continue;
        kept++;
        y.forEach((e, i) => {
          expect(e).toBeCloseTo(xs[i]! * 2, 5);
        });
      }
      expect(kept).toBeGreaterThan(8);
      expect(kept).toBeLessThan(32);
    });
  });

  it('is the identity when not training or p = 0, and zero at p = 1', () => {
    scope(() => {
      const x = randn([2, 3], { seed: 3 });
      expect(stochasticDepth(x, 0.5, 'row', false)).toBe(x);
      expect(stochasticDepth(x, 0, 'row')).toBe(x);
      expect(
        stochasticDepth(x, 1, 'row', true, { seed: 1 })
          .dataSync()
          .every((e) => e === 0),
      ).toBe(true);
      const single = stochasticDepth(ones([1, 1]), 1, 'batch');
      expect(single.shape).toEqual([1, 1]);
      const m = new StochasticDepth(0.5, 'row', { seed: 1 }).eval();
      expect(m.forward(x)).toBe(x);
    });
  });

  it('refuses bad p and mode as torchvision does, naming the function', () => {
    scope(() => {
      const x = ones([2, 2]);
      expect(() => stochasticDepth(x, 1.2, 'row')).toThrow(
        /stochasticDepth: p \(the drop probability\) must be in \[0, 1\], got 1.2/,
      );
      expect(() => stochasticDepth(x, 0.2, 'col' as 'row')).toThrow(
        /stochasticDepth: mode must be 'row' or 'batch', got col/,
      );
      expect(() => stochasticDepth(tensor(1), 0.2, 'row')).toThrow(
        /stochasticDepth: mode 'row' needs a batch dim/,
      );
      expect(() => new StochasticDepth(0.2, 'x' as 'row')).toThrow(
        /StochasticDepth: mode must be 'row' or 'batch', got x/,
      );
    });
  });

  it('leaves no tensors behind after forward and backward', () => {
    const m = new StochasticDepth(0.5, 'row', { seed: 3 });
    const x = variable(randn([4, 3]));
    expectNoLeak(() => {
      scope(() => m.forward(x).sum().backward());
      x.grad?.dispose();
      x.grad = null;
    });
    x.dispose();
  });
});

describe('the wrappers compose with any Module', () => {
  it('DropConnect wraps a Conv2d (filters dropped in training, expected weights in eval)', () => {
    class Net extends Module {
      conv = new Conv2d(1, 2, 2, { seed: 1 });
      forward(x: Tensor): Tensor {
        return this.conv.forward(x);
      }
    }
    const net = new Net();
    const dc = new DropConnect(net, 0.5, { seed: 1 }).eval();
    scope(() => {
      const x = randn([1, 1, 3, 3], { seed: 2 });
      const ref = new Conv2d(1, 2, 2, { seed: 1 });
      ref.weight.assign(net.conv.weight.mul(0.5));
      dc.forward(x)
        .dataSync()
        .forEach((e, i) => {
          expect(e).toBeCloseTo(ref.forward(x).dataSync()[i]!, 6);
        });
      ref.dispose();
    });
    dc.dispose();
  });
});
