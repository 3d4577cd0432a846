import { memory, noGrad, scope, tensor } from '@myelin/core';
import { Linear, Sequential } from '@myelin/nn';
import { describe, expect, it } from 'vitest';
import {
  box,
  CartPole,
  CategoricalActor,
  categoricalTerms,
  discountedReturns,
  dqnTargets,
  EnvError,
  EnvRandom,
  EpisodeTracker,
  evaluatePolicy,
  GaussianPolicy,
  gae,
  linearEpsilon,
  mlp,
  observationTensor,
  Pendulum,
  ReplayMemory,
  returnCurve,
  sampleCategorical,
} from '../src/index.js';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, digits = 5) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, digits);
};

describe('returns and advantages (worked by hand)', () => {
  it('discounted returns-to-go', () => {
    // G2 = 3, G1 = 2 + 0.5·3 = 3.5, G0 = 1 + 0.5·3.5 = 2.75
    close(discountedReturns([1, 2, 3], 0.5), [2.75, 3.5, 3]);
    expect(discountedReturns([], 0.9).length).toBe(0);
    close(discountedReturns([4], 0.9), [4]);
  });

  it('GAE: bootstraps from the next value, 0 after termination, V(final) after truncation', () => {
    // one copy, three steps, γ = 0.5, λ = 0.5
    // t2: truncated with V(final) = 4: δ2 = 1 + 0.5·4 − 3 = 0, A2 = 0
    // t1: δ1 = 1 + 0.5·3 − 2 = 0.5, A1 = δ1 + γλ·A2 = 0.5 + 0.25·0 = 0.5
    // t0: terminated: δ0 = 1 − 1 = 0, A0 = 0
    const r = gae(
      {
        steps: 3,
        n: 1,
        rewards: [1, 1, 1],
        values: [1, 2, 3],
        terminated: [1, 0, 0],
        truncated: [0, 0, 1],
        finalValues: [0, 0, 4],
        lastValues: [100],
      },
      0.5,
      0.5,
    );
    close(r.advantages, [0, 0.5, 0]);
    close(r.returns, [1, 2.5, 3]);
  });

  it('GAE: λ = 1 gives n-step returns minus V; the last step bootstraps from lastValues; copies stay apart', () => {
    // two copies interleaved step-major; copy 0 rewards [1, 1], V [0, 0], last V 10; γ = 0.9
    // copy 0: A1 = 1 + 0.9·10 = 10, A0 = 1 + 0.9·0 − 0 + 0.9·A1 = 10
    // copy 1: rewards [2, 0], V [1, 1], terminated at t1: A1 = 0 − 1 = −1, A0 = 2 + 0.9·1 − 1 + 0.9·(−1) = 1
    const r = gae(
      {
        steps: 2,
        n: 2,
        rewards: [1, 2, 1, 0],
        values: [0, 1, 0, 1],
        terminated: [0, 0, 0, 1],
        truncated: [0, 0, 0, 0],
        finalValues: [0, 0, 0, 0],
        lastValues: [10, 55],
      },
      0.9,
      1,
    );
    close(r.advantages, [10, 1, 10, -1]);
  });

  it('ε decays linearly over the exploration fraction, then stays', () => {
    expect(linearEpsilon(0, 1000, 1, 0.05, 0.1)).toBe(1);
    expect(linearEpsilon(50, 1000, 1, 0.05, 0.1)).toBeCloseTo(0.525, 10);
    expect(linearEpsilon(100, 1000, 1, 0.05, 0.1)).toBe(0.05);
    expect(linearEpsilon(999, 1000, 1, 0.05, 0.1)).toBe(0.05);
  });

  it('the episode tracker reports finished episodes per copy', () => {
    const t = new EpisodeTracker(2);
    expect(t.step([1, 2], [false, false])).toEqual([]);
    expect(t.step([1, 2], [true, false])).toEqual([{ return: 2, length: 2 }]);
    expect(t.step([5, 2], [true, true])).toEqual([
      { return: 5, length: 1 },
      { return: 6, length: 3 },
    ]);
  });
});

describe('replay memory', () => {
  it('stores transitions in a ring and samples stored ones', () => {
    const m = new ReplayMemory(3, 2);
    for (let i = 0; i < 5; i++)
      m.add(Float32Array.of(i, i), i, i * 10, Float32Array.of(i + 1, i + 1), i === 4);
    expect(m.size).toBe(3);
    expect(Array.from(m.actions).sort()).toEqual([2, 3, 4]);
    const s = m.sample(50, new EnvRandom(0));
    for (let b = 0; b < 50; b++) {
      const a = s.actions[b]!;
      expect([2, 3, 4]).toContain(a);
      expect(s.rewards[b]).toBe(a * 10);
      expect(s.observations[2 * b]).toBe(a);
      expect(s.nextObservations[2 * b]).toBe(a + 1);
      expect(s.terminated[b]).toBe(a === 4 ? 1 : 0);
    }
    expect(() => new ReplayMemory(0, 2)).toThrow(/capacity must be an integer ≥ 1, got 0/);
    expect(() => m.add(Float32Array.of(1), 0, 0, Float32Array.of(1, 1), false)).toThrow(/expected 2/);
    expect(() => new ReplayMemory(2, 1).sample(1, new EnvRandom(0))).toThrow(/empty/);
  });
});

/** A 2-in, 2-out linear "network" with weights set by hand: Q(s) = W·s + b. */
function linearNet(w: number[], b: number[]): Sequential {
  const l = new Linear(2, 2);
  noGrad(() => {
    l.weight.assign(tensor(w, { shape: [2, 2] }));
    l.bias!.assign(tensor(b));
  });
  return new Sequential(l);
}

describe('DQN targets', () => {
  it('plain DQN takes the target net’s max, double DQN scores the online argmax with the target net', () => {
    // s' = [1, 0]: online Q = [1, 2] (argmax 1), target Q = [5, 3]
    const online = linearNet([1, 0, 2, 0], [0, 0]);
    const target = linearNet([5, 0, 3, 0], [0, 0]);
    const next = tensor([1, 0, 1, 0], { shape: [2, 2] });
    const r = tensor([1, 1]);
    const term = tensor([0, 1]);
    const plain = scope(() => dqnTargets(online, target, next, r, term, 0.5, false));
    const double = scope(() => dqnTargets(online, target, next, r, term, 0.5, true));
    close(plain.dataSync(), [1 + 0.5 * 5, 1]);
    close(double.dataSync(), [1 + 0.5 * 3, 1]);
    for (const t of [plain, double, next, r, term]) t.dispose();
    online.dispose();
    target.dispose();
  });
});

describe('policies', () => {
  it('categorical log-probabilities and entropy match the closed form', () => {
    const logits = tensor([0, Math.log(3), 1, 1], { shape: [2, 2] });
    const { logProb, entropy } = scope(() => categoricalTerms(logits, tensor([1, 0], { dtype: 'int32' })));
    // row 0: p = [1/4, 3/4]; row 1: p = [1/2, 1/2]
    close(logProb.dataSync(), [Math.log(0.75), Math.log(0.5)]);
    close(entropy.dataSync(), [-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)), Math.log(2)]);
    for (const t of [logits, logProb, entropy]) t.dispose();
  });

  it('a Gaussian policy’s log-density and entropy match the normal formulas', () => {
    const p = new GaussianPolicy(3, box(-2, 2, [1]), [4], 0, Math.log(0.5));
    const obs = tensor([0.1, 0.2, 0.3, -1, 0, 1], { shape: [2, 3] });
    const mu = scope(() => p.forward(obs)).dataSync();
    const a = [0.4, -0.7];
    const { logProb, entropy } = scope(() => p.terms(obs, tensor(a, { shape: [2, 1] })));
    const sigma = 0.5;
    const want = a.map(
      (x, i) => -((x - mu[i]!) ** 2) / (2 * sigma ** 2) - Math.log(sigma * Math.sqrt(2 * Math.PI)),
    );
    close(logProb.dataSync(), want);
    close(entropy.dataSync(), [
      0.5 * Math.log(2 * Math.PI * Math.E * sigma ** 2),
      0.5 * Math.log(2 * Math.PI * Math.E * sigma ** 2),
    ]);
    for (const t of [obs, logProb, entropy]) t.dispose();
    p.dispose();
  });

  it('categorical sampling follows the softmax (frequencies of 20,000 draws)', () => {
    const rng = new EnvRandom(3);
    const logits = [0, Math.log(3)];
    let ones = 0;
    for (let i = 0; i < 20_000; i++) ones += sampleCategorical(logits, 1, 2, rng)[0]!;
    expect(ones / 20_000).toBeGreaterThan(0.74 - 0.015);
    expect(ones / 20_000).toBeLessThan(0.76 + 0.015);
  });

  it('an observation of the wrong shape gets an error naming the environment', async () => {
    const env = new CartPole();
    expect(() => observationTensor(env.id, 'DQN', env.observationSpace, new Float32Array(3), 1)).toThrow(
      EnvError,
    );
    expect(() => observationTensor(env.id, 'DQN', env.observationSpace, new Float32Array(3), 1)).toThrow(
      /DQN for CartPole-v1: got an observation batch of 3 values, expected 1 × 4/,
    );
    const actor = new CategoricalActor(4, 2, [8], 0);
    const p = new Pendulum();
    await expect(
      evaluatePolicy(
        () => p,
        async (o, n) => {
          observationTensor(p.id, 'PPO', p.observationSpace, o.subarray(1), n).dispose();
          return [];
        },
        { episodes: 1, seed: 0 },
      ),
    ).rejects.toThrow(/PPO for Pendulum-v1: got an observation batch of 2 values, expected 1 × 3/);
    actor.module.dispose();
  });

  it('mlp shapes and a near-zero last layer', () => {
    const net = mlp([4, 8, 2], 'tanh', 0, 0.01);
    expect(net.parameters().map((q) => q.shape)).toEqual([[8, 4], [8], [2, 8], [2]]);
    const w = net.parameters()[2]!.dataSync();
    expect(Math.max(...Array.from(w, Math.abs))).toBeLessThan(0.01);
    expect(() => mlp([4], 'relu', 0)).toThrow(/mlp: needs at least/);
    net.dispose();
  });
});

describe('evaluation', () => {
  it('runs seeded episodes in parallel, to termination or the time limit, and records frames', async () => {
    const before = memory().tensors;
    // always push right: ends when the pole falls, the same for the same seeds
    const ev = await evaluatePolicy(
      () => new CartPole(),
      async (_o, n) => new Array(n).fill(1),
      { episodes: 4, seed: 5, record: true, recordEvery: 2 },
    );
    expect(ev.returns.length).toBe(4);
    for (const r of ev.returns) expect(r).toBeLessThan(20);
    expect(ev.returns).toEqual(ev.lengths);
    const again = await evaluatePolicy(
      () => new CartPole(),
      async (_o, n) => new Array(n).fill(1),
      { episodes: 4, seed: 5 },
    );
    expect(again.returns).toEqual(ev.returns);
    expect(again.frames).toBeUndefined();
    const frames = ev.frames!;
    expect(frames.shape.slice(1)).toEqual([3, 200, 300]);
    expect(frames.shape[0]).toBe(1 + Math.floor((ev.lengths[0]! - 1) / 2) + 1);
    const t = await evaluatePolicy(
      () => new Pendulum({ maxEpisodeSteps: 7 }),
      async (_o, n) => new Array(n).fill(Float32Array.of(0)),
      {
        episodes: 3,
        seed: 0,
      },
    );
    expect(t.lengths).toEqual([7, 7, 7]);
    expect(memory().tensors).toBe(before);
  });

  it('the return curve chart carries each episode and the running mean', () => {
    const spec = returnCurve(
      't',
      [
        { type: 'episode', episode: 0, return: 10, length: 10 },
        { type: 'episode', episode: 1, return: 20, length: 20 },
      ],
      2,
    ) as { data: { values: { series: string; return: number }[] } };
    expect(spec.data.values.filter((v) => v.series !== 'episode return').map((v) => v.return)).toEqual([
      10, 15,
    ]);
  });
});
